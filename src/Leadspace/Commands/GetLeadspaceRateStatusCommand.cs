using System.Management.Automation;
using Leadspace.Model;
using Leadspace.Session;

namespace Leadspace.Commands
{
    /// <summary>Shows the rate, queue and totals of a connection; safe to call during a run from another runspace.</summary>
    [Cmdlet(VerbsCommon.Get, "LeadspaceRateStatus", DefaultParameterSetName = DefaultSet)]
    [OutputType(typeof(RateStatus))]
    public sealed class GetLeadspaceRateStatusCommand : LeadspaceCmdlet
    {
        public const string DefaultSet = "Default";
        public const string AllSet = "All";

        [Parameter(ParameterSetName = DefaultSet, ValueFromPipeline = true, Position = 0)]
        [Completion.ConnectionTransformation]
        [ArgumentCompleter(typeof(Completion.ConnectionCompleter))]
        public LeadspaceConnection? Connection { get; set; }

        [Parameter(ParameterSetName = AllSet, Mandatory = true)]
        public SwitchParameter All { get; set; }

        protected override void ProcessRecord()
        {
            if (All)
            {
                foreach (var c in ConnectionRegistry.All) WriteObject(For(c));
                return;
            }
            WriteObject(For(ResolveConnection(Connection)));
        }

        internal static RateStatus For(LeadspaceConnection c)
        {
            var s = c.Client.Statistics;
            var gate = c.Gate.Snapshot();
            var status = new RateStatus
            {
                ConnectionId = c.Id,
                ProgramId = c.ProgramId,
                BaseUri = c.BaseUri,
                ConfiguredRate = c.Gate.RequestsPerSecond,
                EffectiveRate = System.Math.Round(gate.EffectiveRate, 2),
                PermitsAvailable = gate.PermitsAvailable,
                Queued = s.Queued,
                InFlight = s.InFlight,
                CurrentCallsPerSecond = s.CurrentCallsPerSecond,
                Calls = s.Calls,
                Successes = s.Successes,
                RateLimited = s.RateLimited,
                Retries = s.Retries,
                Failures = s.Failures,
                CreditsExhausted = s.CreditsExhausted,
                AnswersByStatus = s.ByStatus,
                LatencyP50Ms = s.LatencyPercentile(50),
                LatencyP95Ms = s.LatencyPercentile(95),
                Last429 = s.Last429,
                ConnectedAt = c.ConnectedAt,
                Gate = gate.Kind,
                GateState = gate.State,
                RateLimitStore = gate.Store,
                Processes = gate.Processes,
                StoreRoundTripMs = gate.StoreRoundTripMs,
                Fallbacks = gate.Fallbacks,
                FallbackRate = gate.FallbackRate.HasValue ? System.Math.Round(gate.FallbackRate.Value, 2) : (double?)null,
                LastStoreError = gate.LastStoreError ?? (c.Budget as Budget.SharedCreditBudget)?.LastError,
            };
            status.SetBudget(c.Budget?.Snapshot());
            return status;
        }
    }
}
