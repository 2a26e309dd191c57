using System;
using System.Collections.Generic;
using System.Linq;

namespace Leadspace.Model
{
    /// <summary>The rate and health of one connection, as Get-LeadspaceRateStatus shows it.</summary>
    public sealed class RateStatus
    {
        public int ConnectionId { get; set; }
        public string? ProgramId { get; set; }
        public Uri? BaseUri { get; set; }
        /// <summary>Calls per second set with Connect-Leadspace.</summary>
        public double ConfiguredRate { get; set; }
        /// <summary>The limit in force now (lower for a while after a 429).</summary>
        public double EffectiveRate { get; set; }
        /// <summary>Calls that could start right now without waiting for the rate gate.</summary>
        public int PermitsAvailable { get; set; }
        /// <summary>Calls waiting for the rate gate or a free slot (this connection).</summary>
        public long Queued { get; set; }
        public long InFlight { get; set; }
        /// <summary>Answers received in the last second.</summary>
        public double CurrentCallsPerSecond { get; set; }
        /// <summary>HTTP attempts since connect.</summary>
        public long Calls { get; set; }
        public long Successes { get; set; }
        public long RateLimited { get; set; }
        public long Retries { get; set; }
        /// <summary>Rows that failed after all retries.</summary>
        public long Failures { get; set; }
        public long CreditsExhausted { get; set; }
        /// <summary>Answers by HTTP status; 0 means no answer (timeout or connection failure).</summary>
        public IReadOnlyDictionary<int, long> AnswersByStatus { get; set; } = new Dictionary<int, long>();
        public double? LatencyP50Ms { get; set; }
        public double? LatencyP95Ms { get; set; }
        public DateTimeOffset? Last429 { get; set; }
        public DateTimeOffset ConnectedAt { get; set; }
        /// <summary><c>Local</c> (this process keeps the limit) or <c>Shared</c> (through a rate limit store).</summary>
        public string Gate { get; set; } = "Local";
        /// <summary><c>Local</c>, or for a shared gate <c>Shared</c>, <c>Fallback</c> (the store does not answer) or <c>Rejoining</c>.</summary>
        public string GateState { get; set; } = "Local";
        /// <summary>The rate limit store, password redacted (null for a local gate).</summary>
        public string? RateLimitStore { get; set; }
        /// <summary>Processes that took grants from the store in the last minute, this one included.</summary>
        public int? Processes { get; set; }
        /// <summary>Mean round trip of one grant to the store, in milliseconds.</summary>
        public double? StoreRoundTripMs { get; set; }
        /// <summary>Times this process went on alone because the store did not answer.</summary>
        public int Fallbacks { get; set; }
        /// <summary>The local rate used while the store does not answer.</summary>
        public double? FallbackRate { get; set; }
        public string? LastStoreError { get; set; }
        /// <summary>The program's credit budget (Connect-Leadspace -CreditBudget): its period, Day, Week or Month (null: no budget).</summary>
        public string? BudgetPeriod { get; set; }
        /// <summary>Start of the budget's current period (UTC).</summary>
        public DateTimeOffset? BudgetPeriodStart { get; set; }
        /// <summary>The budget in force: the lowest any connection of the program asked for (in the store: any process).</summary>
        public long? BudgetLimit { get; set; }
        /// <summary>Credits spent this period: charged, or kept because the call may have been charged.</summary>
        public long? BudgetSpent { get; set; }
        /// <summary>Credits reserved by calls on the wire now (with a store: in every process).</summary>
        public long? BudgetReserved { get; set; }
        public long? BudgetLeft { get; set; }
        /// <summary><c>Process</c> (this process only) or <c>Store</c> (the rate limit store: every process of the program); null without a budget.</summary>
        public string? BudgetKeptIn { get; set; }

        /// <summary>Fills the Budget* properties from the connection's budget (all null without one).</summary>
        internal void SetBudget(Budget.BudgetSnapshot? budget)
        {
            BudgetPeriod = budget?.Period.ToString();
            BudgetPeriodStart = budget?.PeriodStart;
            BudgetLimit = budget?.Limit;
            BudgetSpent = budget?.Spent;
            BudgetReserved = budget?.Reserved;
            BudgetLeft = budget?.Left;
            BudgetKeptIn = budget?.KeptIn;
        }

        /// <summary>AnswersByStatus as text, e.g. "200=980; 429=2".</summary>
        public string AnswersByStatusText => string.Join("; ", AnswersByStatus.Select(kv => kv.Key + "=" + kv.Value));

        public override string ToString() => $"{ProgramId ?? "connection " + ConnectionId}: {EffectiveRate:0.#}/{ConfiguredRate:0.#} calls/s, {InFlight} in flight, {Calls} calls";
    }
}
