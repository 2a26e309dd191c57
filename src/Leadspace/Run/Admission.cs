using System;
using System.Collections.Generic;
using Leadspace.Budget;
using Leadspace.Journal;
using Leadspace.Model;

namespace Leadspace.Run
{
    /// <summary>What happens to one row: the one decision that both a real run and -WhatIf make.</summary>
    internal enum AdmissionKind
    {
        /// <summary>The request misses the spec's minimum input: an Invalid result, no call.</summary>
        Invalid,
        /// <summary>The run stopped sending (a fatal answer, the pipeline stopping): NotSent, no call.</summary>
        Stopped,
        /// <summary>Identical to a row earlier in this run: its answer is reused, no call.</summary>
        Duplicate,
        /// <summary>The journal holds the answer (an earlier run, or an identical row of this one): replayed, no call.</summary>
        Answered,
        /// <summary>Sent in earlier runs without an answer more often than -MaxAmbiguousRetries allows: Failed, no call.</summary>
        NotResent,
        /// <summary>The user answered No at the -Confirm prompt: a NotSent row that is not an error.</summary>
        Declined,
        /// <summary>The credit budget (-MaxCredits, the connection's -CreditBudget) is spent: NotSent
        /// (LeadspaceBudgetExhausted), no call. Decided after the journal and dedupe (their answers cost nothing and are
        /// still given) and before the confirmation prompt (asked only for rows that would really be sent).</summary>
        OverBudget,
        /// <summary>Sent: one credit (a resend when earlier runs left it unanswered).</summary>
        Send,
    }

    /// <summary>The decision about one row and what it was based on.</summary>
    internal sealed class Admission
    {
        internal Admission(AdmissionKind kind, string? key = null, int prior = 0, JournalAnswer? answer = null, string? reason = null)
        {
            Kind = kind; Key = key; Prior = prior; Answer = answer; Reason = reason;
        }

        public AdmissionKind Kind { get; }
        /// <summary>The request's canonical key, when the run keeps answers (a journal or dedupe).</summary>
        public string? Key { get; }
        /// <summary>Sends of the request in earlier runs that may have been charged without an answer.</summary>
        public int Prior { get; }
        /// <summary>The journal's answer (<see cref="AdmissionKind.Answered"/>).</summary>
        public JournalAnswer? Answer { get; }
        /// <summary>Why the row is invalid (<see cref="AdmissionKind.Invalid"/>), or which budget is spent
        /// (<see cref="AdmissionKind.OverBudget"/>).</summary>
        public string? Reason { get; }
        /// <summary>True when the row costs a credit.</summary>
        public bool Charges => Kind == AdmissionKind.Send;
    }

    /// <summary>
    /// Decides, row by row, whether a request is sent: invalid, run stopped, identical to an earlier row of the run,
    /// answered in the journal, interrupted in an earlier run and not to be resent (-MaxAmbiguousRetries), over the
    /// credit budget, declined at the confirmation prompt, or sent. The engine asks it for every row it runs and -WhatIf
    /// asks the same code with a read-only journal and the same cap, so the estimate is what the run would charge when
    /// every call is answered.
    /// </summary>
    internal sealed class AdmissionPolicy
    {
        private readonly IAnswerStore? _journal;
        private readonly bool _dedupe;
        private readonly int _maxAmbiguousRetries;
        private readonly Func<string, bool> _identicalInRun;
        private readonly HashSet<string>? _predicted;
        private readonly CreditBudget? _budget;

        /// <param name="journal">The run journal or answer store; null for none.</param>
        /// <param name="dedupe">Identical rows are sent once.</param>
        /// <param name="maxAmbiguousRetries">The connection's -MaxAmbiguousRetries.</param>
        /// <param name="identicalInRun">Whether a row with this key is on its way in this run (the engine's window);
        /// null for a prediction (-WhatIf), where every row decided Send counts as answered for the rows after it.</param>
        /// <param name="budget">The run's credit budget(s), or null. A run asks whether it is spent (the client reserves
        /// the credit right before the send); a prediction spends one credit of it per row decided Send, as if every
        /// call were answered.</param>
        public AdmissionPolicy(IAnswerStore? journal, bool dedupe, int maxAmbiguousRetries, Func<string, bool>? identicalInRun = null, CreditBudget? budget = null)
        {
            _budget = budget;
            _journal = journal;
            _dedupe = dedupe;
            _maxAmbiguousRetries = maxAmbiguousRetries;
            if (identicalInRun != null) _identicalInRun = identicalInRun;
            else
            {
                _predicted = new HashSet<string>(StringComparer.Ordinal);
                _identicalInRun = _predicted.Contains;
            }
        }

        public int MaxAmbiguousRetries => _maxAmbiguousRetries;

        /// <summary>What the credit budget is called in messages ("-MaxCredits 30"), or null for none.</summary>
        public string? BudgetName => _budget?.Snapshot().Name;

        /// <summary>The decision for one row.</summary>
        /// <param name="request">The mapped request.</param>
        /// <param name="invalid">Why the request is invalid (RequestValidator), or null.</param>
        /// <param name="stopped">The run no longer sends.</param>
        /// <param name="confirm">Asked only for a row that would be sent (-Confirm); false declines it.</param>
        public Admission Decide(EnrichmentRequest request, string? invalid, bool stopped = false, Func<bool>? confirm = null)
        {
            if (invalid != null) return new Admission(AdmissionKind.Invalid, reason: invalid);
            if (stopped) return new Admission(AdmissionKind.Stopped);
            string? key = _dedupe || _journal != null ? request.CanonicalKey() : null;
            int prior = 0;
            if (key != null)
            {
                if (_dedupe && _identicalInRun(key)) return new Admission(AdmissionKind.Duplicate, key);
                if (_journal != null && _journal.TryGetAnswer(key, out var answer))
                {
                    // With dedupe, an answer this run recorded is an identical row's; without, it is still free.
                    return new Admission(AdmissionKind.Answered, key, answer: answer);
                }
                prior = _journal?.PriorPossibleCharges(key) ?? 0;
                if (prior > _maxAmbiguousRetries) return new Admission(AdmissionKind.NotResent, key, prior);
            }
            if (_budget != null && _budget.IsSpent) return new Admission(AdmissionKind.OverBudget, key, prior, reason: _budget.SpentMessage());
            if (confirm != null && !confirm()) return new Admission(AdmissionKind.Declined, key, prior);
            if (_predicted != null)
            {
                if (key != null) _predicted.Add(key);
                // A prediction: the call is taken as answered (charged). A local budget answers at once.
                if (_budget != null) _budget.ReserveAsync(default).AsTask().GetAwaiter().GetResult().Reservation?.Settle(CreditSettlement.Charged);
            }
            return new Admission(AdmissionKind.Send, key, prior);
        }
    }
}
