using System.Diagnostics;

namespace Leadspace.Simulator;

internal enum Admission
{
    Accepted,
    RateLimited,
    ConcurrencyLimited,
}

/// <summary>
/// Rate window (sliding, fixed, leaky without burst, token bucket) + concurrency cap + the "max accepted in any trailing second" statistic, all under one lock.
/// Times are <see cref="Stopwatch"/> ticks (monotonic) for the sliding computations and Unix milliseconds for
/// fixed (wall-clock) windows; both are passed in so the logic can be tested with synthetic clocks.
/// </summary>
internal sealed class AdmissionGate
{
    private static readonly long TicksPerSecond = Stopwatch.Frequency;

    private readonly object _lock = new();

    // Accept timestamps inside the current limiter window (sliding mode).
    private readonly Queue<long> _window = new();

    // Accept timestamps inside the trailing 1 s (for the statistic, independent of the limiter settings).
    private readonly Queue<long> _statsWindow = new();

    private long _fixedWindowIndex = long.MinValue;
    private int _fixedCount;

    // Leaky bucket without burst: the last accepted call (ticks); token bucket: tokens left at _tokensAt.
    private long? _lastAcceptedTicks;
    // The first accepted call since the last reset (the accepted-span statistic: first to last accepted call).
    private long? _firstAcceptedTicks;
    private long? _lastAcceptedAnyTicks;
    private double _tokens = double.NaN;   // NaN: full (no call yet)
    private long _tokensAt;
    private int _admitted;
    private int _maxAcceptedInAnyWindow;
    private long _accepted;

    public int MaxAcceptedInAnyWindow
    {
        get { lock (_lock) { return _maxAcceptedInAnyWindow; } }
    }

    public long Accepted => Interlocked.Read(ref _accepted);

    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Decides on one request. On <see cref="Admission.Accepted"/> the caller must call <see cref="Release"/> when done.</summary>
    public Admission TryAdmit(int rate, RateWindowMode mode, int windowMs, int maxConcurrency, long nowTicks, long nowUnixMs)
    {
        lock (_lock)
        {
            var windowTicks = windowMs * TicksPerSecond / 1000;
            // Window is half-open (now - window, now]: a timestamp exactly one window old no longer counts.
            while (_window.Count > 0 && _window.Peek() <= nowTicks - windowTicks)
            {
                _window.Dequeue();
            }

            // Token bucket: refilled continuously at rate per window, never above rate tokens.
            if (rate > 0)
            {
                _tokens = double.IsNaN(_tokens) ? rate : Math.Min(rate, _tokens + (double)(nowTicks - _tokensAt) * rate / windowTicks);
            }
            _tokensAt = nowTicks;

            if (rate > 0)
            {
                if (mode == RateWindowMode.Sliding)
                {
                    if (_window.Count >= rate)
                    {
                        return Admission.RateLimited;
                    }
                }
                else if (mode == RateWindowMode.Leaky)
                {
                    // One emission interval (window / rate) since the last accepted call, no burst; a refused call
                    // leaves no trace. nginx limit_req without burst counts in whole milliseconds of its clock:
                    // excess = 1000 - rate_per_s * ms / 1000 * 1000 must not be above 0, so at 30/s two accepted
                    // calls need 34 clock milliseconds between them (33.9 ms can read as 33 and be refused).
                    if (_lastAcceptedTicks is { } last && LeakyRefuses(last, nowTicks, rate, windowMs))
                    {
                        return Admission.RateLimited;
                    }
                }
                else if (mode == RateWindowMode.TokenBucket)
                {
                    if (_tokens < 1)
                    {
                        return Admission.RateLimited;
                    }
                }
                else
                {
                    var index = nowUnixMs / windowMs;
                    if (index != _fixedWindowIndex)
                    {
                        _fixedWindowIndex = index;
                        _fixedCount = 0;
                    }
                    if (_fixedCount >= rate)
                    {
                        return Admission.RateLimited;
                    }
                }
            }

            if (maxConcurrency > 0 && Volatile.Read(ref _admitted) >= maxConcurrency)
            {
                return Admission.ConcurrencyLimited;
            }

            Interlocked.Increment(ref _admitted);
            Interlocked.Increment(ref _accepted);

            // Every mode's state is kept in every mode so switching modes at runtime stays consistent.
            _window.Enqueue(nowTicks);
            _lastAcceptedTicks = nowTicks;
            _firstAcceptedTicks ??= nowTicks;
            _lastAcceptedAnyTicks = nowTicks;
            if (rate > 0)
            {
                _tokens = Math.Max(0, _tokens - 1);
            }
            var index2 = nowUnixMs / windowMs;
            if (index2 != _fixedWindowIndex)
            {
                _fixedWindowIndex = index2;
                _fixedCount = 0;
            }
            _fixedCount++;

            while (_statsWindow.Count > 0 && _statsWindow.Peek() <= nowTicks - TicksPerSecond)
            {
                _statsWindow.Dequeue();
            }
            _statsWindow.Enqueue(nowTicks);
            if (_statsWindow.Count > _maxAcceptedInAnyWindow)
            {
                _maxAcceptedInAnyWindow = _statsWindow.Count;
            }
            return Admission.Accepted;
        }
    }

    /// <summary>nginx limit_req (burst 0): the milliseconds between the two calls on a millisecond clock (whole
    /// milliseconds of the same clock, so two calls 33.9 ms apart can be 33 apart), times the rate per millisecond,
    /// must reach one call.</summary>
    internal static bool LeakyRefuses(long lastTicks, long nowTicks, int rate, int windowMs)
    {
        long ms = nowTicks / (TicksPerSecond / 1000) - lastTicks / (TicksPerSecond / 1000);
        return ms * rate < windowMs;
    }

    /// <summary>Milliseconds from the first to the last accepted call since the last reset (0 with fewer than two):
    /// the accepted calls' sustained rate is (accepted - 1) / span, without the client's start and end.</summary>
    public double AcceptedSpanMs
    {
        get
        {
            lock (_lock)
            {
                return _firstAcceptedTicks is { } first && _lastAcceptedAnyTicks is { } last ? (last - first) * 1000.0 / TicksPerSecond : 0;
            }
        }
    }

    public void Release() => Interlocked.Decrement(ref _admitted);

    /// <summary>Clears the rate window and the statistic (in-flight requests stay counted).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _window.Clear();
            _statsWindow.Clear();
            _fixedWindowIndex = long.MinValue;
            _fixedCount = 0;
            _lastAcceptedTicks = null;
            _firstAcceptedTicks = null;
            _lastAcceptedAnyTicks = null;
            _tokens = double.NaN;
            _maxAcceptedInAnyWindow = 0;
            Interlocked.Exchange(ref _accepted, 0);
        }
    }
}
