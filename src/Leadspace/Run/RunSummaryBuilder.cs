using System;
using Leadspace.Budget;
using Leadspace.Engine;
using Leadspace.Journal;
using Leadspace.Mapping;
using Leadspace.Model;

namespace Leadspace.Run
{
    /// <summary>The run's summary (-SummaryVariable) from its counts, its engine and its journal.</summary>
    internal static class RunSummaryBuilder
    {
        /// <param name="tally">The rows' counts.</param>
        /// <param name="engine">The engine, or null when nothing was sent (-WhatIf, no row).</param>
        /// <param name="discarded">Paid calls whose answers were not output (an early stop).</param>
        /// <param name="checkpoint">The -CheckpointPath journal, or null.</param>
        /// <param name="ending">"Completed", "Stopped", "Stopped downstream", or the ErrorId that ended the run.</param>
        /// <param name="mapping">How the input columns mapped, or null (no row, or the one-record parameters).</param>
        /// <param name="budget">The run's own budget (its reservations; its limit when -MaxCredits was given), or null.</param>
        /// <param name="maxCredits">-MaxCredits, or null.</param>
        public static RunSummary Build(RunTally tally, EnrichmentEngine? engine, long discarded, RunJournal? checkpoint, string ending, MappingReport? mapping = null,
            BudgetSnapshot? budget = null, long? maxCredits = null)
        {
            var elapsed = tally.Elapsed;
            return new RunSummary
            {
                RowsIn = tally.RowsRead,
                Enriched = tally.Enriched,
                NotMatched = tally.NotMatched,
                Invalid = tally.Invalid,
                Failed = tally.Failed,
                NotSent = tally.NotSent,
                RowsOut = tally.Output,
                FromApi = tally.FromApi,
                FromJournal = tally.FromJournal,
                Duplicates = tally.Duplicates,
                CallsMade = engine?.CallsMade ?? 0,
                CreditsCharged = engine?.CreditsCharged ?? 0,
                CallsAmbiguous = engine?.PossibleCharges ?? 0,
                CallsDiscarded = discarded,
                MaxCredits = maxCredits,
                CreditsReserved = budget?.Reservations ?? 0,
                CreditsReleased = budget?.Released ?? 0,
                InterruptedRowsResent = engine?.InterruptedResent ?? 0,
                InterruptedRowsNotResent = engine?.InterruptedNotResent ?? 0,
                Elapsed = elapsed,
                CallsPerSecond = Math.Round((engine?.CallsMade ?? 0) / Math.Max(0.001, elapsed.TotalSeconds), 2),
                CheckpointPath = checkpoint?.Path,
                JournalBytesWritten = checkpoint?.BytesWritten ?? 0,
                Ending = ending,
                Mapping = mapping,
            };
        }
    }
}
