using System.Collections.Concurrent;
using System.Diagnostics;
using Leadspace.Client;

namespace Leadspace.Tests;

/// <summary>
/// A clock that only moves when someone waits on it: every delay returns at once and advances time by its length,
/// and is recorded. Tests assert on the delays asked for, never on elapsed wall-clock time.
/// </summary>
internal sealed class TestClock : Clock
{
    private long _ticks = Stopwatch.Frequency * 1000;
    private DateTimeOffset _start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override long Timestamp => Interlocked.Read(ref _ticks);

    public override DateTimeOffset UtcNow => _start + TimeSpan.FromSeconds((Timestamp - Stopwatch.Frequency * 1000) / TicksPerSecond);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, Math.Max(0, (long)(by.TotalSeconds * TicksPerSecond)));

    public override Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Delays.Enqueue(delay);
        Advance(delay);
        return Task.CompletedTask;
    }

    /// <summary>A rate gate on this clock.</summary>
    public RateGate Gate(double rate) => new(rate, TimeSpan.FromMilliseconds(25), () => Timestamp, (d, ct) => Delay(d, ct));
}

/// <summary>
/// A bare Stopwatch-tick clock for the rate gates, moving only when a gate waits (every delay advances it by at least
/// one tick). <see cref="CancelWhen"/> and <see cref="Oversleep"/> let a test cancel a wait or wake a gate late.
/// </summary>
internal sealed class FakeTime
{
    public long Now = Stopwatch.Frequency * 1000;
    public Func<TimeSpan, CancellationToken, bool>? CancelWhen;
    public Func<TimeSpan, TimeSpan>? Oversleep;
    public long Clock() => Now;
    public Task Delay(TimeSpan d, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (CancelWhen != null && CancelWhen(d, ct)) throw new OperationCanceledException(ct);
        Now += Math.Max(1, (long)((d + (Oversleep?.Invoke(d) ?? TimeSpan.Zero)).TotalSeconds * Stopwatch.Frequency));
        return Task.CompletedTask;
    }
    public void Advance(double seconds) => Now += (long)(seconds * Stopwatch.Frequency);
    public double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;
}
