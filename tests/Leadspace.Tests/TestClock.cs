using System.Collections.Concurrent;
using System.Diagnostics;
using Leadspace.RateLimiting;

namespace Leadspace.Tests;

/// <summary>
/// A <see cref="TimeProvider"/> that only moves when someone waits on it: every timer (so every delay) fires at once
/// and advances time by its length (at least one tick), and is recorded. Tests assert on the delays asked for, never
/// on elapsed wall-clock time. <see cref="CancelWhen"/> and <see cref="Oversleep"/> let a test cancel a wait or wake a
/// gate late. Timestamps count in <see cref="Stopwatch.Frequency"/> ticks, like the system's.
/// </summary>
internal sealed class TestClock : TimeProvider
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly long Origin = Stopwatch.Frequency * 1000;

    /// <summary>The timestamp now (tests may move it directly).</summary>
    public long Now = Origin;
    public Func<TimeSpan, CancellationToken, bool>? CancelWhen;
    public Func<TimeSpan, TimeSpan>? Oversleep;

    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public long Timestamp => Interlocked.Read(ref Now);

    public DateTimeOffset UtcNow => GetUtcNow();

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => Timestamp;

    public override DateTimeOffset GetUtcNow() => Start + TimeSpan.FromSeconds((Timestamp - Origin) / (double)Stopwatch.Frequency);

    public void Advance(TimeSpan by) => Interlocked.Add(ref Now, Math.Max(0, (long)(by.TotalSeconds * Stopwatch.Frequency)));

    public void Advance(double seconds) => Interlocked.Add(ref Now, (long)(seconds * Stopwatch.Frequency));

    public double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    /// <summary>A one-shot timer fires at once, after moving time by its due time (plus any <see cref="Oversleep"/>);
    /// one that <see cref="CancelWhen"/> cancels never fires.</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime == Timeout.InfiniteTimeSpan) return new Inert();
        Delays.Enqueue(dueTime);
        if (CancelWhen != null && CancelWhen(dueTime, CancellationToken.None)) return new Inert();
        Interlocked.Add(ref Now, Math.Max(1, (long)((dueTime + (Oversleep?.Invoke(dueTime) ?? TimeSpan.Zero)).TotalSeconds * Stopwatch.Frequency)));
        callback(state);
        return new Inert();
    }

    /// <summary>A rate gate on this clock.</summary>
    public RateGate Gate(double rate) => new(rate, TimeSpan.FromMilliseconds(25), this);

    private sealed class Inert : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;
        public void Dispose() { }
        public ValueTask DisposeAsync() => default;
    }
}
