using System;
using System.Linq;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.Run;
using Leadspace.Resilience;

namespace Leadspace.Engine
{
    /// <summary>
    /// The counts of one run as its rows are output, and the texts made from them: the verbose summary, the
    /// terminating error of a run that stopped, the -WhatIf estimate. Plain C#: the cmdlet only writes them.
    /// </summary>
    internal sealed class RunTally
    {
        private readonly TimeProvider _time;
        private readonly long _started;

        public RunTally(TimeProvider? time = null)
        {
            _time = time ?? TimeProvider.System;
            _started = _time.GetTimestamp();
        }

        public long RowsRead { get; private set; }
        public long Enriched { get; private set; }
        public long NotMatched { get; private set; }
        public long Invalid { get; private set; }
        public long Failed { get; private set; }
        public long NotSent { get; private set; }
        /// <summary>Rows not sent because the credit budget was spent (NotSent, LeadspaceBudgetExhausted): part of <see cref="NotSent"/>.</summary>
        public long NotSentForBudget { get; private set; }
        /// <summary>Rows that would be sent (-WhatIf).</summary>
        public long WouldSend { get; private set; }
        /// <summary>Rows -WhatIf found identical to an earlier row (no call).</summary>
        public long WouldDuplicateCount { get; private set; }
        /// <summary>Rows -WhatIf found answered in the journal (no call).</summary>
        public long WouldReplayCount { get; private set; }
        /// <summary>Rows -WhatIf found sent in earlier runs without an answer beyond -MaxAmbiguousRetries (no call).</summary>
        public long WouldNotResendCount { get; private set; }
        /// <summary>Rows -WhatIf found beyond the credit budget (not sent, no credit).</summary>
        public long WouldOverBudgetCount { get; private set; }
        public long FromApi { get; private set; }
        public long FromJournal { get; private set; }
        public long Duplicates { get; private set; }

        public long Output => Enriched + NotMatched + Invalid + Failed + NotSent;
        public long Done => Enriched + NotMatched + Invalid;
        public TimeSpan Elapsed => _time.GetElapsedTime(_started);

        /// <summary>A new input row; returns its 1-based number.</summary>
        public long Read() => ++RowsRead;

        /// <summary>-WhatIf: counts the admission decision of a row instead of running it.</summary>
        internal void Predicted(AdmissionKind kind)
        {
            switch (kind)
            {
                case AdmissionKind.Invalid: Invalid++; break;
                case AdmissionKind.Duplicate: WouldDuplicateCount++; break;
                case AdmissionKind.Answered: WouldReplayCount++; break;
                case AdmissionKind.NotResent: WouldNotResendCount++; break;
                case AdmissionKind.OverBudget: WouldOverBudgetCount++; break;
                case AdmissionKind.Send: WouldSend++; break;
            }
        }

        public void Count(EnrichmentResult result)
        {
            switch (result.Status)
            {
                case EnrichmentOutcome.Enriched: Enriched++; break;
                case EnrichmentOutcome.NotMatched: NotMatched++; break;
                case EnrichmentOutcome.Invalid: Invalid++; break;
                case EnrichmentOutcome.Failed: Failed++; break;
                case EnrichmentOutcome.NotSent:
                    NotSent++;
                    if (result.ErrorId == ErrorIds.BudgetExhausted) NotSentForBudget++;
                    break;
            }
            switch (result.Source)
            {
                case ResultSource.Api: FromApi++; break;
                case ResultSource.Journal: FromJournal++; break;
                case ResultSource.Duplicate: Duplicates++; break;
            }
        }

        public string Summary()
            => $"Leadspace enrichment: {RowsRead} rows in {Elapsed.TotalSeconds:0.0} s — {Enriched} enriched, {NotMatched} not matched, {Invalid} invalid, {Failed} failed, {NotSent} not sent.";

        /// <param name="budget">What the credit budget is called ("-MaxCredits 30"), when there is one.</param>
        public string WhatIfTarget(string? budget = null)
            => $"{RowsRead} input row(s): {WouldSend} to send, {Invalid} invalid (not sent, no credit)"
               + (WouldDuplicateCount > 0 ? $", {WouldDuplicateCount} identical to an earlier row (no credit)" : string.Empty)
               + (WouldReplayCount > 0 ? $", {WouldReplayCount} answered in the journal (no credit)" : string.Empty)
               + (WouldNotResendCount > 0 ? $", {WouldNotResendCount} sent by an earlier run without an answer and not resent (-MaxAmbiguousRetries; no credit)" : string.Empty)
               + (WouldOverBudgetCount > 0 ? $", {WouldOverBudgetCount} left unsent by the credit budget ({budget ?? "spent"}; no credit)" : string.Empty);

        public string WhatIfAction() => $"Enrich through Leadspace, spending up to {WouldSend} credit(s) in {WouldSend} call(s)";

        /// <summary>The message of the terminating error of a run that a fatal failure stopped.</summary>
        public string StoppedMessage(EnrichmentResult fatal, string? programId, Uri? baseUri)
        {
            var program = programId != null ? $" (program '{programId}')" : string.Empty;
            string reason;
            switch (fatal.Failure)
            {
                case FailureKind.CreditsExhausted: reason = $"Leadspace answered 427 (insufficient credits or invalid program id){program}"; break;
                case FailureKind.Unauthorized: reason = $"Leadspace rejected the credentials (401){program}"; break;
                case FailureKind.ProxyAuthenticationRequired: reason = "The proxy answered 407 (Proxy Authentication Required)"; break;
                case FailureKind.Unreachable: reason = $"{baseUri?.GetLeftPart(UriPartial.Authority) ?? "Leadspace"} could not be reached"; break;
                case FailureKind.TokenOutage: reason = $"No OAuth token could be obtained{program}"; break;
                case FailureKind.CheckpointFailed: reason = "The run journal could not be written"; break;
                default: reason = FailureTable.For(fatal.Failure).Cause; break;
            }
            return $"{reason} on row {fatal.RowNumber}; the run stopped sending. Of {RowsRead} rows read: {Done} done ({Enriched} enriched, {NotMatched} not matched, {Invalid} invalid), {Failed} failed, {NotSent} not sent (no credit spent on those). "
                + $"Every row has been output; resend the failed and not-sent ones with $err.TargetObject | Invoke-LeadspaceEnrichment. Cause: {fatal.Message}";
        }

        /// <summary>The message of the terminating error of a run that left rows unsent for its credit budget (every
        /// row has been output).</summary>
        /// <param name="spent">Which budget is spent, in words (<see cref="Budget.CreditBudget.SpentMessage"/>).</param>
        /// <param name="charged">Credits charged by this run (2xx answers).</param>
        /// <param name="ambiguous">Sends of this run that may have been charged without an answer.</param>
        /// <param name="journal">The -CheckpointPath journal, or null.</param>
        /// <param name="nextPeriod">When a period budget is the spent one: when its next period starts.</param>
        /// <param name="runCap">The spent budget is the run's -MaxCredits (else the connection's: a new -MaxCredits does
        /// not help).</param>
        public string BudgetMessage(string spent, long charged, long ambiguous, string? journal, DateTimeOffset? nextPeriod, bool runCap = true)
        {
            var cost = $"this run was charged {charged} credit(s)" + (ambiguous > 0 ? $" ({ambiguous} more call(s) may have been charged without an answer)" : string.Empty);
            var counts = $"{Output} row(s) output ({Done} done, {Failed} failed, {NotSent} not sent), of which {NotSentForBudget} not sent for the budget (no credit spent on those)";
            var when = runCap ? " and a new -MaxCredits"
                : nextPeriod is DateTimeOffset next ? $" once the budget allows more (its next period starts {next:yyyy-MM-dd HH:mm} UTC)"
                : " once the budget allows more";
            var how = journal != null
                ? $"To go on, rerun the same command with the same -CheckpointPath{when}: the answers in the journal cost nothing and only the rows not answered are sent."
                : $"To go on, resend the rows not sent{(runCap ? " with a new -MaxCredits" : when)}: $err.TargetObject | Invoke-LeadspaceEnrichment" + (runCap ? " -MaxCredits <n>" : string.Empty)
                  + ". With -CheckpointPath, a rerun of the same command pays nothing for the rows already answered.";
            return char.ToUpperInvariant(spent[0]) + spent.Substring(1) + $"; {cost}; {counts}. {how}";
        }

        /// <summary>"row 12 [L-12] (Ada Lovelace, Analytical Engines)": for -WhatIf/-Confirm and messages.</summary>
        public static string Describe(long row, EnrichmentRequest request)
        {
            var who = string.Join(" ", new[] { request.Get(RequestField.FirstName), request.Get(RequestField.LastName) }.Where(s => s != null));
            var what = string.Join(", ", new[] { who.Length > 0 ? who : null, request.Get(RequestField.CompanyName) ?? request.Get(RequestField.Website) ?? request.Get(RequestField.Email) }.Where(s => s != null));
            return $"row {row}" + (request.ExternalId != null ? $" [{request.ExternalId}]" : string.Empty) + (what.Length > 0 ? $" ({what})" : string.Empty);
        }
    }
}
