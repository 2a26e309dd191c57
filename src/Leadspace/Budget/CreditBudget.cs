using System;
using System.Threading;
using System.Threading.Tasks;

namespace Leadspace.Budget
{
    /// <summary>How the reservation of one attempt ends (see <see cref="CreditBudget.SettlementFor"/>).</summary>
    internal enum CreditSettlement
    {
        /// <summary>A 2xx answer: the credit is spent.</summary>
        Charged,
        /// <summary>The answer proves nothing was charged (429, 400, 401, 415, 500/503, a refused connection, never sent):
        /// the credit goes back to the budget.</summary>
        NotCharged,
        /// <summary>The call may have been charged without an answer (timeout, 502/504, a connection lost after sending,
        /// Ctrl+C while on the wire): the reservation is kept as spent, so the budget can never be overspent.</summary>
        Ambiguous,
    }

    /// <summary>Why a budget refused a reservation.</summary>
    internal enum BudgetRefusal
    {
        None,
        /// <summary>Spent (and reserved) credits have reached the limit.</summary>
        Spent,
        /// <summary>Where the budget is kept cannot be reached, and nothing proves there is credit left.</summary>
        Unavailable,
    }

    /// <summary>The period a budget covers, in UTC calendar terms (a day from 00:00 UTC, an ISO week from Monday 00:00 UTC,
    /// a calendar month from the 1st 00:00 UTC); None for a run's -MaxCredits, which covers the run.</summary>
    internal enum BudgetPeriod { None, Day, Week, Month }

    /// <summary>One credit reserved for one attempt. Settled exactly once (later calls do nothing).</summary>
    internal abstract class CreditReservation
    {
        private int _settled;

        /// <summary>Ends the reservation: the credit is spent (charged, ambiguous) or given back.</summary>
        public void Settle(CreditSettlement settlement)
        {
            if (Interlocked.Exchange(ref _settled, 1) != 0) return;
            OnSettle(settlement);
        }

        protected abstract void OnSettle(CreditSettlement settlement);
    }

    /// <summary>The answer to a reservation: a reservation, or why there is none.</summary>
    internal readonly struct BudgetAnswer
    {
        private BudgetAnswer(CreditReservation? reservation, BudgetRefusal refusal, string? message)
        {
            Reservation = reservation; Refusal = refusal; Message = message;
        }

        public CreditReservation? Reservation { get; }
        public BudgetRefusal Refusal { get; }
        /// <summary>For a refusal: which budget, and what is left, in words for the row's error.</summary>
        public string? Message { get; }
        public bool Granted => Reservation != null;

        public static BudgetAnswer Grant(CreditReservation reservation) => new BudgetAnswer(reservation, BudgetRefusal.None, null);
        public static BudgetAnswer Refuse(BudgetRefusal why, string message) => new BudgetAnswer(null, why, message);
    }

    /// <summary>What a budget stands at (Get-LeadspaceRateStatus, the run summary, -WhatIf).</summary>
    internal sealed class BudgetSnapshot
    {
        /// <summary>"-MaxCredits 50", "the program's daily budget", for messages.</summary>
        public string Name { get; set; } = string.Empty;
        public BudgetPeriod Period { get; set; }
        /// <summary>Start of the current period (UTC); null for a run's budget.</summary>
        public DateTimeOffset? PeriodStart { get; set; }
        public long Limit { get; set; }
        /// <summary>Credits spent: charged, or kept because the call may have been charged.</summary>
        public long Spent { get; set; }
        /// <summary>Credits reserved by calls on the wire now.</summary>
        public long Reserved { get; set; }
        public long Left => Math.Max(0, Limit - Spent - Reserved);
        /// <summary>Where it is kept: "Run", "Process" or "Store".</summary>
        public string KeptIn { get; set; } = "Process";
        /// <summary>Reservations made through this object (this process).</summary>
        public long Reservations { get; set; }
        /// <summary>Reservations given back because the answer proved no charge (this process).</summary>
        public long Released { get; set; }
    }

    /// <summary>
    /// A limit on the credits that may be spent: a run's -MaxCredits, a connection's -CreditBudget (kept in the
    /// process, or shared through the rate limit store). A credit is reserved right before an attempt is sent (after
    /// the journal and dedupe decided the row needs a call) and settled by the attempt's outcome.
    /// </summary>
    internal abstract class CreditBudget
    {
        /// <summary>Reserves one credit for an attempt about to be sent. When the limit is reached but calls of this
        /// process still hold reservations, it waits for one of them to settle (a released credit can be used again)
        /// rather than refuse at once. Throws OperationCanceledException when <paramref name="cancellationToken"/> fires.</summary>
        public abstract ValueTask<BudgetAnswer> ReserveAsync(CancellationToken cancellationToken);

        /// <summary>True when the budget is known to be spent with nothing of this process in flight that could come back:
        /// a cheap check made before a row is admitted, so a spent budget costs no wait.</summary>
        public abstract bool IsSpent { get; }

        /// <summary>What the budget stands at now.</summary>
        public abstract BudgetSnapshot Snapshot();

        /// <summary>Why a row is not sent once <see cref="IsSpent"/>: which budget and what it stands at (a composite
        /// names the one that is spent), in words for the row's message.</summary>
        public virtual string SpentMessage() => Describe(Snapshot());

        /// <summary>"the credit budget (-MaxCredits 50) is spent: 50 of 50 credit(s) used[ this day (since …)]".</summary>
        internal static string Describe(BudgetSnapshot s)
            => $"the credit budget ({s.Name}) is spent: {s.Spent} of {s.Limit} credit(s) used"
               + (s.PeriodStart is DateTimeOffset start ? $" this {BudgetPeriods.Noun(s.Period)} (since {start:yyyy-MM-dd HH:mm} UTC)" : string.Empty);

        /// <summary>How an attempt's outcome settles its reservation (the failure table's ambiguity decides):
        /// a 2xx is Charged; a failure that may have been charged (ambiguous kinds) is Ambiguous; every other failure,
        /// and an attempt that never went on the wire, is NotCharged.</summary>
        /// <param name="sent">The request went on the wire.</param>
        /// <param name="status">The HTTP status, 0 for none.</param>
        /// <param name="failure">The attempt's failure (None for an answer).</param>
        public static CreditSettlement SettlementFor(bool sent, int status, Resilience.FailureKind failure)
        {
            if (!sent) return CreditSettlement.NotCharged;
            if (status >= 200 && status < 300) return CreditSettlement.Charged;
            if (Resilience.FailureTable.IsAmbiguous(failure)) return CreditSettlement.Ambiguous;
            return CreditSettlement.NotCharged;
        }
    }
}
