using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Leadspace.RateLimiting
{
    /// <summary>
    /// What the client needs from a program's rate gate: wait for a grant right before a call goes on the wire,
    /// and slow down after a 429. Two gates implement it: <see cref="RateGate"/> (this process only, the
    /// default) and <see cref="Shared.SharedRateGate"/> (every process and host pointed at the same rate limit store).
    /// </summary>
    internal interface IRateGate : IDisposable
    {
        /// <summary>Waits for a grant. Throws OperationCanceledException when cancelled.</summary>
        /// <param name="cancellationToken">Cancels the wait; a cancelled waiter leaves no reservation.</param>
        /// <param name="coldProbe">Called at most once, when the grant is decided: true when the call will likely
        /// open a new connection (the grant is then recorded later, see <see cref="RateGate.ColdStartGuard"/>).</param>
        Task WaitAsync(CancellationToken cancellationToken, Func<bool>? coldProbe = null);

        /// <summary>Called on a 429: lowers the effective rate and, with a Retry-After, pauses every caller
        /// (for at most <paramref name="maxPause"/>).</summary>
        void Penalize(TimeSpan? retryAfter, TimeSpan? maxPause = null);

        /// <summary>Changes the limit (a later Connect-Leadspace for the same program).</summary>
        void SetRate(double requestsPerSecond);

        /// <summary>The configured limit in calls per second.</summary>
        double RequestsPerSecond { get; }

        /// <summary>The limit in force now (lower for a while after a 429).</summary>
        double EffectiveRequestsPerSecond { get; }

        long TotalGranted { get; }
        int Queued { get; }

        /// <summary>What kind of gate this is and how it is doing, for Get-LeadspaceRateStatus.</summary>
        RateGateSnapshot Snapshot();

        /// <summary>Notices for the user (the store stopped answering, the gate rejoined it) made after
        /// <paramref name="cursor"/>; moves the cursor past them. Only the pipeline thread writes them.</summary>
        IReadOnlyList<GateNotice> NoticesAfter(ref long cursor);

        /// <summary>The sequence number of the latest notice (0 before any): a run starts its cursor here.</summary>
        long LatestNotice { get; }
    }

    /// <summary>A gate's kind and state at one moment (never a secret: the store is shown redacted).</summary>
    internal sealed class RateGateSnapshot
    {
        public const string LocalKind = "Local";
        public const string SharedKind = "Shared";

        /// <summary><c>Local</c> (this process) or <c>Shared</c> (through a rate limit store).</summary>
        public string Kind { get; set; } = LocalKind;
        /// <summary><c>Local</c>; or, for a shared gate, <c>Shared</c>, <c>Fallback</c> (the store does not
        /// answer: local gate at a conservative rate) or <c>Rejoining</c> (both, for a few seconds).</summary>
        public string State { get; set; } = LocalKind;
        /// <summary>The store's configuration with its password redacted; null for a local gate.</summary>
        public string? Store { get; set; }
        public double EffectiveRate { get; set; }
        public int PermitsAvailable { get; set; }
        /// <summary>Processes that took grants from the store in the last minute (this one included).</summary>
        public int? Processes { get; set; }
        /// <summary>Mean time of one grant's round trip to the store, over the last grants.</summary>
        public double? StoreRoundTripMs { get; set; }
        /// <summary>Times this process fell back to its local gate since connect.</summary>
        public int Fallbacks { get; set; }
        /// <summary>The local rate used while the store does not answer.</summary>
        public double? FallbackRate { get; set; }
        public string? LastStoreError { get; set; }
    }

    /// <summary>Something the user should know about the gate, written once by the next run that sees it.</summary>
    internal sealed class GateNotice
    {
        public GateNotice(long sequence, bool isWarning, string message)
        {
            Sequence = sequence;
            IsWarning = isWarning;
            Message = message;
        }

        public long Sequence { get; }
        /// <summary>A warning (fell back) rather than verbose information (rejoined).</summary>
        public bool IsWarning { get; }
        public string Message { get; }
        public override string ToString() => Message;
    }
}
