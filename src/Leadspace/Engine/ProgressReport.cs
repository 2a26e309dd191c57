using System;

namespace Leadspace.Engine
{
    /// <summary>One progress update: what the cmdlet turns into a ProgressRecord.</summary>
    internal sealed class ProgressUpdate
    {
        public ProgressUpdate(string status, int percentComplete, int secondsRemaining)
        {
            Status = status; PercentComplete = percentComplete; SecondsRemaining = secondsRemaining;
        }

        public string Status { get; }
        /// <summary>-1 when the total is unknown.</summary>
        public int PercentComplete { get; }
        /// <summary>-1 when unknown.</summary>
        public int SecondsRemaining { get; }
    }

    /// <summary>
    /// Decides when to report progress and what to say: the first row at once, then at most once per
    /// <see cref="Interval"/>, and always a final update when the run ends. The clock is injectable so that the
    /// throttling is tested without waiting.
    /// </summary>
    internal sealed class ProgressReport
    {
        private readonly TimeProvider _time;
        private readonly long _started;
        private TimeSpan? _last;

        public ProgressReport(long totalCount, TimeSpan? interval = null, TimeProvider? time = null)
        {
            TotalCount = totalCount;
            Interval = interval ?? TimeSpan.FromMilliseconds(500);
            _time = time ?? TimeProvider.System;
            _started = _time.GetTimestamp();
        }

        /// <summary>Rows expected (0 when unknown).</summary>
        public long TotalCount { get; set; }
        public TimeSpan Interval { get; }

        /// <summary>An update if one is due now, else null.</summary>
        public ProgressUpdate? Next(long done, double callsPerSecond, long inFlight)
        {
            var now = _time.GetElapsedTime(_started);
            if (_last.HasValue && now - _last.Value < Interval) return null;
            _last = now;
            return Build(done, callsPerSecond, inFlight, now);
        }

        /// <summary>The last update of a run, whatever the throttle says.</summary>
        public ProgressUpdate Final(long done, double callsPerSecond, long inFlight) => Build(done, callsPerSecond, inFlight, _time.GetElapsedTime(_started));

        private ProgressUpdate Build(long done, double callsPerSecond, long inFlight, TimeSpan now)
        {
            var status = $"{done} rows done, {callsPerSecond:0} calls/s, {inFlight} in flight";
            if (TotalCount <= 0) return new ProgressUpdate(status, -1, -1);
            int percent = (int)Math.Min(100, done * 100 / TotalCount);
            double perSecond = done / Math.Max(0.001, now.TotalSeconds);
            int remaining = perSecond > 0 ? (int)Math.Min(int.MaxValue, Math.Max(0, (TotalCount - done) / perSecond)) : -1;
            return new ProgressUpdate(status, percent, remaining);
        }
    }
}
