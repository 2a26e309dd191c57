using Leadspace.Engine;
using Leadspace.Model;

namespace Leadspace.Run
{
    /// <summary>
    /// Everything a run says to PowerShell, and the one question it asks (-Confirm). The run calls it only on the
    /// thread that called <see cref="EnrichmentRun.Begin"/>, <see cref="EnrichmentRun.Add"/> and
    /// <see cref="EnrichmentRun.End"/> (the pipeline thread), never from a call's task. An exception from
    /// <see cref="Row"/> or <see cref="RowError"/> means the pipeline is stopping (a downstream Select-Object -First,
    /// -ErrorAction Stop): the run notes it and lets it through.
    /// </summary>
    internal interface IRunOutput
    {
        /// <summary>One output row (WriteObject).</summary>
        void Row(OutputRow row);
        /// <summary>The error of a row without an answer (WriteError), the input as its target.</summary>
        void RowError(EnrichmentResult result, object input);
        void Warning(string message);
        void Verbose(string message);
        void Debug(string message);
        void Progress(ProgressUpdate update);
        /// <summary>The progress bar is done.</summary>
        void ProgressDone();
        /// <summary>ShouldProcess: false when the row must not be sent (-WhatIf, or No at -Confirm).</summary>
        bool Confirm(string target, string action);
        /// <summary>The run's summary (-SummaryVariable), set once when the run ends, however it ends.</summary>
        void Summary(RunSummary summary);
        /// <summary>True once the pipeline is being stopped as a whole (Ctrl+C): a row that <see cref="Row"/> failed to
        /// write was then not delivered (a downstream Select-Object -First stops only the commands before it).</summary>
        bool Stopping { get; }
    }
}
