namespace Leadspace.Run
{
    /// <summary>
    /// The one warning of a run that stopped before it ended (Ctrl+C, Select-Object -First downstream, -ErrorAction
    /// Stop, a fatal answer): how many rows were output, how many were read but not output, and what happened to the
    /// calls already paid for. Plain C#: the run writes it through IRunOutput on the pipeline thread.
    /// </summary>
    internal static class EarlyStopReport
    {
        /// <summary>The words for an ending: "Stopped downstream" (Select-Object -First), "Stopped" (Ctrl+C, a stop request,
        /// an error that stopped a command after this one), or an error id (-ErrorAction Stop).</summary>
        public static string Why(string ending)
        {
            switch (ending)
            {
                case "Stopped downstream": return "a command after it stopped the pipeline, e.g. Select-Object -First";
                case "Stopped": return "Ctrl+C, or the pipeline was stopped";
                default: return "-ErrorAction Stop and a row's error, " + ending;
            }
        }

        /// <param name="why">"Ctrl+C", "Select-Object -First (or another command) stopped the pipeline", an error id…</param>
        /// <param name="rowsRead">Input rows read so far.</param>
        /// <param name="rowsOutput">Results written.</param>
        /// <param name="totalCount">-TotalCount, or 0 when unknown.</param>
        /// <param name="paidCalls">Answered (paid) calls whose results were not output, and calls on the wire.</param>
        /// <param name="journalPath">The -CheckpointPath journal, or null.</param>
        /// <param name="inputEnded">All input was read (a fatal answer at the end of the input).</param>
        public static string Warning(string why, long rowsRead, long rowsOutput, long totalCount, long paidCalls, string? journalPath, bool inputEnded = false)
        {
            long notOutput = rowsRead - rowsOutput;
            var unread = inputEnded ? string.Empty
                : totalCount > rowsRead ? $"; {totalCount - rowsRead} of the {totalCount} expected row(s) were not read"
                : "; any rows after these were not read";
            string paid;
            if (paidCalls == 0) paid = "No paid answer was discarded.";
            else if (journalPath != null)
                paid = $"{paidCalls} paid call(s) not output go into the journal {journalPath}: rerunning the same command outputs them without paying again.";
            else
                paid = $"{paidCalls} paid call(s) were discarded (answers not output; they would be paid again). Use -CheckpointPath to keep such answers.";
            var rerun = (notOutput > 0 || !inputEnded) && why != Why("Stopped downstream") ? " Rerun the same command for the rest" + (journalPath != null ? " (the journal's answers cost nothing)." : ".") : string.Empty;
            return $"The run stopped early ({why}): {rowsOutput} row(s) output, {notOutput} read but not output{unread}. {paid}{rerun}";
        }
    }
}
