using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Leadspace.Http
{
    /// <summary>Counters of one connection since connect; safe to read from any thread during a run.</summary>
    internal sealed class ClientStatistics
    {
        private long _calls, _successes, _rateLimited, _retries, _creditsExhausted, _failures, _queued, _inFlight;
        private long _last429Ticks;
        private readonly ConcurrentDictionary<int, long> _byStatus = new ConcurrentDictionary<int, long>();
        private readonly double[] _latencies = new double[2048];
        private long _latencyCount;
        private readonly long[] _recent = new long[4096];
        private readonly TimeProvider _time;
        private long _recentCount;
        // Gate grant to send (the write-ahead record in between), all attempts of the connection: a log2 histogram
        // in microseconds (bucket b counts delays below 2^b µs) and the longest.
        private readonly long[] _grantToSend = new long[32];
        private long _grantToSendCount, _grantToSendMaxTicks;

        public ClientStatistics(TimeProvider? time = null) { _time = time ?? TimeProvider.System; }

        public long Calls => Interlocked.Read(ref _calls);
        public long Successes => Interlocked.Read(ref _successes);
        public long RateLimited => Interlocked.Read(ref _rateLimited);
        public long Retries => Interlocked.Read(ref _retries);
        public long CreditsExhausted => Interlocked.Read(ref _creditsExhausted);
        public long Failures => Interlocked.Read(ref _failures);
        public long Queued => Interlocked.Read(ref _queued);
        public long InFlight => Interlocked.Read(ref _inFlight);
        public DateTimeOffset? Last429 { get { var t = Interlocked.Read(ref _last429Ticks); return t == 0 ? (DateTimeOffset?)null : new DateTimeOffset(t, TimeSpan.Zero); } }

        /// <summary>Answers by HTTP status (0 = no answer: timeout or connection failure).</summary>
        public IReadOnlyDictionary<int, long> ByStatus => new SortedDictionary<int, long>(_byStatus);

        internal void EnterQueue() => Interlocked.Increment(ref _queued);
        internal void LeaveQueue() => Interlocked.Decrement(ref _queued);
        internal void EnterFlight() { Interlocked.Increment(ref _inFlight); Interlocked.Increment(ref _calls); }
        internal void LeaveFlight() => Interlocked.Decrement(ref _inFlight);
        internal void Retry() => Interlocked.Increment(ref _retries);
        internal void Failure() => Interlocked.Increment(ref _failures);

        internal void Answer(int status, TimeSpan latency)
        {
            _byStatus.AddOrUpdate(status, 1, (_, v) => v + 1);
            if (status == 200) Interlocked.Increment(ref _successes);
            if (status == 429) { Interlocked.Increment(ref _rateLimited); Interlocked.Exchange(ref _last429Ticks, _time.GetUtcNow().UtcTicks); }
            if (status == 427) Interlocked.Increment(ref _creditsExhausted);
            var i = Interlocked.Increment(ref _latencyCount) - 1;
            _latencies[i % _latencies.Length] = latency.TotalMilliseconds;
            var r = Interlocked.Increment(ref _recentCount) - 1;
            Volatile.Write(ref _recent[r % _recent.Length], _time.GetTimestamp());
        }

        /// <summary>An attempt went on the wire <paramref name="delay"/> after its gate grant (the token check and the
        /// write-ahead record of the run journal lie in between). Measured for the benchmark; nothing waits on it.</summary>
        internal void GrantToSend(TimeSpan delay)
        {
            long us = Math.Max(0, delay.Ticks / 10);
            int bucket = 0;
            while (bucket < _grantToSend.Length - 1 && (1L << bucket) <= us) bucket++;
            Interlocked.Increment(ref _grantToSend[bucket]);
            Interlocked.Increment(ref _grantToSendCount);
            long seen;
            while (delay.Ticks > (seen = Interlocked.Read(ref _grantToSendMaxTicks)) && Interlocked.CompareExchange(ref _grantToSendMaxTicks, delay.Ticks, seen) != seen) { }
        }

        /// <summary>Attempts whose gate grant to send was measured.</summary>
        public long GrantToSendCount => Interlocked.Read(ref _grantToSendCount);
        /// <summary>The longest time from a gate grant to its send, in milliseconds.</summary>
        public double GrantToSendMaxMs => Interlocked.Read(ref _grantToSendMaxTicks) / (double)TimeSpan.TicksPerMillisecond;

        /// <summary>Gate grant to send, percentile over every attempt of the connection, in milliseconds: the upper
        /// bound of its power-of-two bucket (null before any).</summary>
        public double? GrantToSendPercentile(double p)
        {
            long n = GrantToSendCount;
            if (n == 0) return null;
            long rank = Math.Max(1, (long)Math.Ceiling(p / 100.0 * n)), seen = 0;
            for (int b = 0; b < _grantToSend.Length; b++)
            {
                seen += Interlocked.Read(ref _grantToSend[b]);
                if (seen >= rank) return (1L << b) / 1000.0;
            }
            return GrantToSendMaxMs;
        }

        /// <summary>Answers received in the last second.</summary>
        public double CurrentCallsPerSecond
        {
            get
            {
                long now = _time.GetTimestamp(), second = _time.TimestampFrequency;
                long n = Math.Min(Interlocked.Read(ref _recentCount), _recent.Length);
                int count = 0;
                for (int i = 0; i < n; i++) if (now - Volatile.Read(ref _recent[i]) <= second) count++;
                return count;
            }
        }

        /// <summary>Latency percentile in milliseconds over the last 2048 answers (null before any).</summary>
        public double? LatencyPercentile(double p)
        {
            long n = Math.Min(Interlocked.Read(ref _latencyCount), _latencies.Length);
            if (n == 0) return null;
            var copy = new double[n];
            Array.Copy(_latencies, copy, n);
            Array.Sort(copy);
            int idx = (int)Math.Ceiling(p / 100.0 * n) - 1;
            return Math.Round(copy[Math.Max(0, Math.Min((int)n - 1, idx))], 1);
        }
    }
}
