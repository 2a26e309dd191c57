using System;

namespace Leadspace.Resilience
{
    /// <summary>
    /// What the attempts of one run say about the server as a whole, so that one run never hammers a dead base
    /// URI for hours or pays twice for answers that never come in time:
    /// <list type="bullet">
    /// <item>every one of the last <see cref="UnreachableAfter"/> attempts failed to connect (and none was answered
    /// in between): the run is <see cref="FailureKind.Unreachable"/> and stops sending;</item>
    /// <item>the last <see cref="UnresponsiveAfter"/> attempts all timed out and none was answered: the run is
    /// <see cref="FailureKind.Timeout"/>-dead (<see cref="IsUnresponsive"/>) and stops sending;</item>
    /// <item>while timeouts are at least half of the recent attempts, or no attempt has been answered yet, a timed-out
    /// call is not resent (each one may have been charged): a run where every call times out costs at most one
    /// credit per row.</item>
    /// </list>
    /// Thread-safe; one instance per run.
    /// </summary>
    internal sealed class RunHealth
    {
        public const int UnreachableAfter = 10;
        public const int UnresponsiveAfter = 20;
        private const int Window = 20;

        private readonly object _lock = new object();
        private readonly bool[] _timedOut = new bool[Window]; // ring of recent attempts that reached a verdict
        private int _count, _next, _timeouts;
        private int _connectFailStreak, _timeoutStreak;
        private long _answered;
        private bool _resendsSuppressed;

        /// <summary>An HTTP answer (any status) arrived in time.</summary>
        public void RecordAnswer()
        {
            lock (_lock)
            {
                _answered++;
                _connectFailStreak = 0;
                _timeoutStreak = 0;
                Push(false);
            }
        }

        /// <summary>The connection could not be made. True when the run is now unreachable.</summary>
        public bool RecordConnectFailure()
        {
            lock (_lock)
            {
                _connectFailStreak++;
                return _connectFailStreak >= UnreachableAfter;
            }
        }

        /// <summary>No complete answer within the timeout.</summary>
        public void RecordTimeout()
        {
            lock (_lock)
            {
                _timeoutStreak++;
                Push(true);
            }
        }

        /// <summary>The connection broke after sending: the server was reached.</summary>
        public void RecordConnectionLost()
        {
            lock (_lock) _connectFailStreak = 0;
        }

        public bool IsUnreachable { get { lock (_lock) return _connectFailStreak >= UnreachableAfter; } }

        public bool IsUnresponsive { get { lock (_lock) return _timeoutStreak >= UnresponsiveAfter; } }

        public long Answered { get { lock (_lock) return _answered; } }

        /// <summary>Whether a call that timed out may be resent now. False while no attempt of this run has been
        /// answered yet, or while timeouts are at least half of the recent attempts.</summary>
        public bool AllowTimeoutResend()
        {
            lock (_lock)
            {
                bool allow = _answered > 0 && _timeouts * 2 < _count;
                if (!allow) _resendsSuppressed = true;
                return allow;
            }
        }

        /// <summary>True once a timed-out call was not resent because of the rule above (for a one-time warning).</summary>
        public bool ResendsSuppressed { get { lock (_lock) return _resendsSuppressed; } }

        /// <summary>Timeouts among the recent attempts, and how many recent attempts there were.</summary>
        public (int Timeouts, int Attempts) RecentTimeouts { get { lock (_lock) return (_timeouts, _count); } }

        private void Push(bool timedOut)
        {
            if (_count == Window)
            {
                if (_timedOut[_next]) _timeouts--;
            }
            else
            {
                _count++;
            }
            _timedOut[_next] = timedOut;
            if (timedOut) _timeouts++;
            _next = (_next + 1) % Window;
        }
    }
}
