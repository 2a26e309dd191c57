using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;

namespace Leadspace.RateLimiting
{
    /// <summary>
    /// The client-side rate limiter: a <see cref="RateLimiter"/> that guarantees that no trailing window of
    /// one second (plus a guard for network jitter) ever contains more than the configured number of
    /// grants, so a server counting with a strict sliding window never sees the limit exceeded. Grants are
    /// paced evenly (generic cell rate algorithm, one grant per (1 s + guard) ÷ rate) and, below 40 calls per
    /// second, never two closer than 1 ÷ rate rounded up to a whole millisecond (34 ms at 30/s), so a limiter that
    /// allows no burst at all (a leaky bucket, nginx limit_req without burst, which counts milliseconds) is met too; at high rates a small burst allowance stays, where timer resolution
    /// would otherwise cap throughput. A 429 lowers the effective rate by a twentieth (once per half second) and
    /// the rate climbs back by 3 % of the limit per second; below 40 calls per second a 429 without Retry-After
    /// also widens the least gap between two grants by half a millisecond (at most a tenth of 1 ÷ rate, given back
    /// at 0.05 ms per second). A 429 without Retry-After says one call came too early: against a limiter without
    /// burst that counts in whole milliseconds (nginx: 34 ms at 30/s), or behind a network that bunches calls, the
    /// next calls keep a little more room, and one 429 costs a few calls, not a share of the rate for the run.
    /// Waiters are served first come, first served; a cancelled waiter leaves no reservation behind.
    /// </summary>
    internal sealed class RateGate : RateLimiter, IRateGate
    {
        private readonly TimeProvider _time;
        private readonly double TicksPerSecond;
        private readonly SemaphoreSlim _turnstile = new SemaphoreSlim(1, 1);
        private readonly object _lock = new object();
        private long[] _ring = new long[1];
        private int _ringHead;
        private long _tat;           // theoretical arrival time of the next grant (GCRA)
        private long _pausedUntil;   // set by Retry-After
        private long _lastPenalty;
        private long _lastGrant;     // when the last grant happened (0: none yet)
        private double _rate;
        private double _factor = 1.0;   // share of the rate in force right after the last penalty

        /// <summary>A 429 multiplies the rate in force by this (at most once per half second)…</summary>
        internal const double PenaltyFactor = 0.95;
        /// <summary>…and the rate climbs back by this share of the limit per second from then on.</summary>
        internal const double RecoveryPerSecond = 0.03;
        /// <summary>Never below this share of the limit, however many 429s.</summary>
        internal const double MinimumFactor = 0.25;
        /// <summary>Below 40/s, a 429 without Retry-After widens the least gap between grants by this (once per half second)…</summary>
        internal static readonly TimeSpan SpacingStep = TimeSpan.FromMilliseconds(0.5);
        /// <summary>…up to this share of 1 ÷ rate (3.3 ms at 30/s)…</summary>
        internal const double MaximumSpacingShare = 0.1;
        /// <summary>…and narrows it again by this many milliseconds per second.</summary>
        internal const double SpacingReturnMsPerSecond = 0.05;
        private double _spacingMs;      // extra least gap right after the last widening
        private long _spacingAt;        // when it was widened
        private long _granted, _failed;
        private int _queued;
        private long _lastActivity;
        private bool _disposed;

        /// <summary>Timer slack allowed on every grant (Windows timers tick every 15.6 ms): without it a
        /// late wake-up would be lost for good and the rate would fall well short of the limit.</summary>
        private readonly long TimerSlack;

        public RateGate(double requestsPerSecond, TimeSpan? guard = null, TimeProvider? time = null)
        {
            _time = time ?? TimeProvider.System;
            TicksPerSecond = _time.TimestampFrequency;
            TimerSlack = (long)(0.016 * TicksPerSecond);
            Guard = guard ?? TimeSpan.FromMilliseconds(25);
            ColdStartGuard = TimeSpan.FromMilliseconds(100);
            _lastActivity = _time.GetTimestamp();
            SetRate(requestsPerSecond);
        }

        /// <summary>Extra length added to the one-second window to absorb network and timer jitter.</summary>
        public TimeSpan Guard { get; }

        /// <summary>
        /// A call that opens a new connection (TCP and TLS handshakes) reaches the server later than it leaves,
        /// while the call one window later, on a warm connection, arrives at once. Grants for such "cold" calls
        /// are recorded this much later than they happened, so the server's one-second window never holds a
        /// late cold call plus a full window of warm ones.
        /// </summary>
        public TimeSpan ColdStartGuard { get; set; }

        /// <summary>The configured limit in calls per second.</summary>
        public double RequestsPerSecond { get { lock (_lock) return _rate; } }

        /// <summary>The limit in force now (lower than configured for a while after a 429).</summary>
        public double EffectiveRequestsPerSecond { get { lock (_lock) return _rate * FactorAt(_time.GetTimestamp()); } }

        public long TotalGranted => Interlocked.Read(ref _granted);
        public int Queued => Volatile.Read(ref _queued);

        /// <summary>Changes the limit (e.g. a later Connect-Leadspace for the same program).</summary>
        public void SetRate(double requestsPerSecond)
        {
            if (!(requestsPerSecond > 0) || double.IsInfinity(requestsPerSecond)) throw new ArgumentOutOfRangeException(nameof(requestsPerSecond), "The rate must be a positive number of calls per second.");
            lock (_lock)
            {
                _rate = requestsPerSecond;
                int size = Math.Max(1, (int)Math.Floor(requestsPerSecond));
                if (size != _ring.Length)
                {
                    // Keep the most recent grants (oldest first, empty slots before them) so the
                    // window guarantee survives the change.
                    var chronological = new List<long>();
                    for (int i = 0; i < _ring.Length; i++)
                    {
                        long t = _ring[(_ringHead + i) % _ring.Length];
                        if (t != 0) chronological.Add(t);
                    }
                    int keep = Math.Min(size, chronological.Count);
                    var ring = new long[size];
                    chronological.CopyTo(chronological.Count - keep, ring, size - keep, keep);
                    _ring = ring;
                    _ringHead = 0;
                }
            }
        }

        /// <summary>Called on a 429: lowers the effective rate and, with a Retry-After, pauses every caller.</summary>
        /// <param name="retryAfter">The server's Retry-After, if any: every caller pauses that long…</param>
        /// <param name="maxPause">…but never longer than this (default 30 s), so one absurd Retry-After cannot
        /// freeze the program's gate for every runspace.</param>
        public void Penalize(TimeSpan? retryAfter, TimeSpan? maxPause = null)
        {
            lock (_lock)
            {
                long now = _time.GetTimestamp();
                // One penalty per half second: a burst of 429s from calls already in flight is one signal. A 429
                // without Retry-After says one call came too early: the steps are small and short-lived (a
                // twentieth of the rate, back in under two seconds; half a millisecond more between grants, back
                // in ten), so a handful of 429s cost a handful of calls.
                if (now - _lastPenalty > TicksPerSecond / 2 || _lastPenalty == 0)
                {
                    _factor = Math.Max(MinimumFactor, FactorAt(now) * PenaltyFactor);
                    _lastPenalty = now;
                    if (!(retryAfter.HasValue && retryAfter.Value > TimeSpan.Zero))
                    {
                        double most = 1000.0 / _rate * MaximumSpacingShare;
                        _spacingMs = Math.Min(most, SpacingMsAt(now) + SpacingStep.TotalMilliseconds);
                        _spacingAt = now;
                    }
                }
                if (retryAfter.HasValue && retryAfter.Value > TimeSpan.Zero)
                {
                    var cap = maxPause ?? TimeSpan.FromSeconds(30);
                    var pause = retryAfter.Value < cap ? retryAfter.Value : cap;
                    long until = now + (long)(pause.TotalSeconds * TicksPerSecond);
                    if (until > _pausedUntil) _pausedUntil = until;
                }
            }
        }

        /// <summary>The share of the rate in force at <paramref name="now"/>: linear recovery since the last penalty.</summary>
        private double FactorAt(long now)
        {
            if (_factor >= 1.0 || _lastPenalty == 0) return 1.0;
            double since = Math.Max(0, (now - _lastPenalty) / TicksPerSecond);
            return Math.Min(1.0, _factor + RecoveryPerSecond * since);
        }

        /// <summary>The extra least gap between grants at <paramref name="now"/> (milliseconds): widened by a 429, narrowing
        /// linearly since.</summary>
        private double SpacingMsAt(long now)
        {
            if (_spacingMs <= 0) return 0;
            double since = Math.Max(0, (now - _spacingAt) / TicksPerSecond);
            return Math.Max(0, _spacingMs - SpacingReturnMsPerSecond * since);
        }

        /// <summary>The least gap between two grants below 40/s, in milliseconds: 1 ÷ rate rounded up to a whole
        /// millisecond, plus the widening after a 429. Must hold the lock.</summary>
        private double LeastGapMs(double rate, long now) => Math.Ceiling(1000.0 / rate - 1e-9) + SpacingMsAt(now);

        /// <summary>The least gap between two grants in force now, below 40/s (for tests and status).</summary>
        internal TimeSpan LeastGap
        {
            get
            {
                lock (_lock)
                {
                    long now = _time.GetTimestamp();
                    double rate = _rate * FactorAt(now);
                    return TimeSpan.FromMilliseconds(LeastGapMs(rate, now));
                }
            }
        }

        /// <summary>Earliest time the next grant may happen, and the pacing interval. Must hold the lock.</summary>
        private long Earliest(long now, out long interval) => Earliest(now, out interval, out _);

        /// <summary>As above, and whether the rate in force allows no burst (below 40/s: a least gap between grants,
        /// so a late timer's time is lost for good). Must hold the lock.</summary>
        private long Earliest(long now, out long interval, out bool noBurst)
        {
            double rate = _rate * FactorAt(now);
            long window = (long)TicksPerSecond + (long)(Guard.TotalSeconds * TicksPerSecond);
            // Even pacing: one grant per window ÷ rate (34.2 ms at 30/s), the long-run rate the window allows,
            // so the one-second ring below rarely binds and leaves no gap to be caught up in a bunch.
            interval = (long)(window / rate);
            int burst = Math.Max(1, (int)(rate * 0.05));
            noBurst = burst == 1;
            long tolerance = Math.Max(interval * (burst - 1), Math.Min(TimerSlack, interval / 2));
            // Without burst, the tolerance only makes up a late timer: never two grants closer than 1 ÷ rate.
            // 1 ÷ rate in whole milliseconds, rounded up: a limiter that counts milliseconds (nginx limit_req) needs 34
            // between two calls at 30/s, and 33.4 ms can read as 33.
            long minGap = burst == 1 && _lastGrant != 0 ? _lastGrant + (long)(LeastGapMs(rate, now) * TicksPerSecond / 1000) : 0;
            long oldest = _ring[_ringHead];
            return Math.Max(Math.Max(Math.Max(_tat - tolerance, minGap), oldest == 0 ? 0 : oldest + window), _pausedUntil);
        }

        /// <summary>Waits until this gate would grant at once, without taking the grant (for a caller that must pass
        /// another gate first and then take this one, see <see cref="Shared.SharedRateGate"/>). Only the caller's own later
        /// grant, or a 429 pause, can make it wait again.</summary>
        internal async Task WaitReadyAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                long now, earliest;
                lock (_lock)
                {
                    now = _time.GetTimestamp();
                    earliest = Earliest(now, out _);
                }
                if (earliest <= now) return;
                var wait = TimeSpan.FromSeconds((earliest - now) / TicksPerSecond);
                await _time.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Earliest time a grant may happen; grants it when that is now.</summary>
        private bool TryGrant(Func<bool>? coldProbe, out long waitUntil) => TryGrant(coldProbe, out waitUntil, out _);

        /// <summary>As above, and whether the rate in force allows no burst (see <see cref="WaitUntilAsync"/>).</summary>
        private bool TryGrant(Func<bool>? coldProbe, out long waitUntil, out bool noBurst)
        {
            lock (_lock)
            {
                long now = _time.GetTimestamp();
                long earliest = Earliest(now, out long interval, out noBurst);
                if (earliest > now)
                {
                    waitUntil = earliest;
                    return false;
                }
                // Cold: a call that will open a new connection (which is also every call of a first burst).
                bool cold = coldProbe != null && coldProbe();
                long recorded = cold ? now + (long)(ColdStartGuard.TotalSeconds * TicksPerSecond) : now;
                _tat = Math.Max(_tat, now) + interval;
                _lastGrant = now;
                _ring[_ringHead] = recorded;
                _ringHead = (_ringHead + 1) % _ring.Length;
                _lastActivity = now;
                waitUntil = now;
                return true;
            }
        }

        /// <summary>Waits for a permit. Throws OperationCanceledException when cancelled.</summary>
        /// <param name="cancellationToken">Cancels the wait; a cancelled waiter leaves no reservation.</param>
        /// <param name="coldProbe">Called once, at the moment of the grant: true when the call will likely open a
        /// new connection (see <see cref="ColdStartGuard"/>).</param>
        public async Task WaitAsync(CancellationToken cancellationToken, Func<bool>? coldProbe = null)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(RateGate));
            Interlocked.Increment(ref _queued);
            try
            {
                await _turnstile.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    while (!TryGrant(coldProbe, out var until, out bool noBurst))
                    {
                        await WaitUntilAsync(until, noBurst, cancellationToken).ConfigureAwait(false);
                    }
                    Interlocked.Increment(ref _granted);
                }
                finally
                {
                    _turnstile.Release();
                }
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _failed);
                throw;
            }
            finally
            {
                Interlocked.Decrement(ref _queued);
            }
        }

        /// <summary>The last stretch of a wait on the system clock that is yielded away rather than slept: a timer wakes
        /// 1-2 ms late (whole milliseconds, then the thread pool), and below 40/s the least gap between grants leaves
        /// under a millisecond per grant to make that up, so sleeping to the grant paced 30/s at about 27.7/s.</summary>
        internal static readonly TimeSpan PreciseStretch = TimeSpan.FromMilliseconds(2);

        /// <summary>Waits until <paramref name="until"/> (a timestamp). On the system clock and <paramref name="precise"/>
        /// it sleeps until about <see cref="PreciseStretch"/> before it and yields the rest (at most that long, once per
        /// grant); otherwise on the system clock it sleeps whole milliseconds, rounded up (a late wake-up is made up
        /// by the burst allowance); on any other clock (a test's) it waits exactly that long, through its own timer.</summary>
        private async Task WaitUntilAsync(long until, bool precise, CancellationToken cancellationToken)
        {
            long remaining = until - _time.GetTimestamp();
            if (remaining <= 0) return;
            if (!ReferenceEquals(_time, TimeProvider.System))
            {
                // Another clock (a test's) has timers as precise as it likes: the whole wait, to the tick.
                await _time.Delay(TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling(remaining * (double)TimeSpan.TicksPerSecond / TicksPerSecond))), cancellationToken).ConfigureAwait(false);
                return;
            }
            if (!precise)
            {
                // Whole milliseconds, rounded up: a wait cut short would cost a second wake-up before the grant.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(remaining * 1000.0 / TicksPerSecond))), cancellationToken).ConfigureAwait(false);
                return;
            }
            long stretch = (long)(PreciseStretch.TotalSeconds * TicksPerSecond);
            if (remaining > stretch)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Math.Floor((remaining - stretch) * 1000 / TicksPerSecond))), cancellationToken).ConfigureAwait(false);
            }
            while (_time.GetTimestamp() < until)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Thread.Yield();
            }
        }

        /// <summary>Grants that could be made right now without waiting (for status display).</summary>
        public int AvailablePermits
        {
            get
            {
                lock (_lock)
                {
                    long now = _time.GetTimestamp();
                    long window = (long)TicksPerSecond + (long)(Guard.TotalSeconds * TicksPerSecond);
                    int used = 0;
                    foreach (var t in _ring) if (t != 0 && now - t < window) used++;
                    return Math.Max(0, _ring.Length - used);
                }
            }
        }

        public RateGateSnapshot Snapshot() => new RateGateSnapshot
        {
            Kind = RateGateSnapshot.LocalKind,
            State = RateGateSnapshot.LocalKind,
            EffectiveRate = EffectiveRequestsPerSecond,
            PermitsAvailable = AvailablePermits,
        };

        /// <summary>A local gate has nothing to tell.</summary>
        public IReadOnlyList<GateNotice> NoticesAfter(ref long cursor) => Array.Empty<GateNotice>();

        public long LatestNotice => 0;

        public override TimeSpan? IdleDuration
        {
            get
            {
                if (Queued > 0) return null;
                return TimeSpan.FromSeconds((_time.GetTimestamp() - Interlocked.Read(ref _lastActivity)) / TicksPerSecond);
            }
        }

        public override RateLimiterStatistics? GetStatistics() => new RateLimiterStatistics
        {
            CurrentAvailablePermits = AvailablePermits,
            CurrentQueuedCount = Queued,
            TotalSuccessfulLeases = TotalGranted,
            TotalFailedLeases = Interlocked.Read(ref _failed),
        };

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            if (permitCount != 1) throw new ArgumentOutOfRangeException(nameof(permitCount), "One permit per call.");
            if (!_turnstile.Wait(0)) return GateLease.Failed;
            try
            {
                if (!TryGrant(null, out _)) { Interlocked.Increment(ref _failed); return GateLease.Failed; }
                Interlocked.Increment(ref _granted);
                return GateLease.Acquired;
            }
            finally { _turnstile.Release(); }
        }

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            if (permitCount != 1) throw new ArgumentOutOfRangeException(nameof(permitCount), "One permit per call.");
            await WaitAsync(cancellationToken).ConfigureAwait(false);
            return GateLease.Acquired;
        }

        /// <summary>True once the gate was released (its last connection went).</summary>
        internal bool IsDisposed => _disposed;

        protected override void Dispose(bool disposing)
        {
            _disposed = true;
            base.Dispose(disposing);
        }

        private sealed class GateLease : RateLimitLease
        {
            public static readonly GateLease Acquired = new GateLease(true);
            public static readonly GateLease Failed = new GateLease(false);
            private GateLease(bool acquired) { IsAcquired = acquired; }
            public override bool IsAcquired { get; }
            public override IEnumerable<string> MetadataNames => Array.Empty<string>();
            public override bool TryGetMetadata(string metadataName, out object? metadata) { metadata = null; return false; }
        }
    }
}
