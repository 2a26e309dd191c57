using System;

namespace Leadspace.Model
{
    /// <summary>
    /// What one Invoke-LeadspaceEnrichment run did and cost (-SummaryVariable): rows in and per status and source,
    /// calls made, credits charged as far as the client knows, calls that may have been charged without an answer,
    /// paid answers discarded by an early stop, and the time it took.
    /// </summary>
    public sealed class RunSummary
    {
        public long RowsIn { get; set; }
        public long Enriched { get; set; }
        public long NotMatched { get; set; }
        public long Invalid { get; set; }
        public long Failed { get; set; }
        public long NotSent { get; set; }
        /// <summary>Rows output (less than RowsIn when the run was stopped early).</summary>
        public long RowsOut { get; set; }

        /// <summary>Rows answered by a call of this run.</summary>
        public long FromApi { get; set; }
        /// <summary>Rows answered from the journal of an earlier run: calls saved.</summary>
        public long FromJournal { get; set; }
        /// <summary>Rows answered from an identical row of this run: calls saved by dedupe.</summary>
        public long Duplicates { get; set; }

        /// <summary>Requests that went on the wire (every attempt).</summary>
        public long CallsMade { get; set; }
        /// <summary>2xx answers of this run (one credit each).</summary>
        public long CreditsCharged { get; set; }
        /// <summary>Sends that may have been charged although no answer arrived (timeouts, lost connections, 502/504).</summary>
        public long CallsAmbiguous { get; set; }
        /// <summary>Paid calls whose results were not output because the run stopped early (answers kept in the
        /// journal, if there is one, and replayed by the next run).</summary>
        public long CallsDiscarded { get; set; }
        /// <summary>-MaxCredits of the run; null when not given.</summary>
        public long? MaxCredits { get; set; }
        /// <summary>Credits this run reserved: one per attempt about to be sent (retries included).</summary>
        public long CreditsReserved { get; set; }
        /// <summary>Reservations given back because the attempt was not charged (429, 400, 5xx that say so, a refused
        /// connection, not sent after all). Reserved − released = charged + kept because the call may have been charged.</summary>
        public long CreditsReleased { get; set; }
        /// <summary>Rows an earlier run sent without an answer (in flight when it ended), resent by this run.</summary>
        public long InterruptedRowsResent { get; set; }
        /// <summary>Such rows not resent (-MaxAmbiguousRetries used up).</summary>
        public long InterruptedRowsNotResent { get; set; }

        public TimeSpan Elapsed { get; set; }
        public double CallsPerSecond { get; set; }
        public string? CheckpointPath { get; set; }
        /// <summary>Bytes this run added to the journal.</summary>
        public long JournalBytesWritten { get; set; }
        /// <summary>Which input column went to which request field, and which were ignored (the first set of columns
        /// of the run; null for -FirstName/-LastName… records).</summary>
        public Leadspace.Mapping.MappingReport? Mapping { get; set; }

        /// <summary>Completed, or why the run ended early (an ErrorId, "Stopped").</summary>
        public string Ending { get; set; } = "Completed";

        public override string ToString()
            => $"{RowsIn} rows: {Enriched} enriched, {NotMatched} not matched, {Invalid} invalid, {Failed} failed, {NotSent} not sent; "
               + $"{FromApi} from the API, {FromJournal} from the journal, {Duplicates} duplicates; {CallsMade} calls, {CreditsCharged} credits; {Ending}.";
    }
}
