using System;
using Leadspace.Mapping;

namespace Leadspace.Run
{
    /// <summary>How one Invoke-LeadspaceEnrichment run goes: what the cmdlet's parameters and preferences say, in
    /// plain values. New run-wide settings (a credit budget, formula escaping) belong here.</summary>
    internal sealed class RunOptions
    {
        /// <summary>-WhatIf: count what the run would charge; send nothing, open no answer store, lease nothing.</summary>
        public bool WhatIf { get; set; }
        /// <summary>-ErrorAction Stop (or Inquire): a row known to fail is output before another paid call goes out.</summary>
        public bool StopOnError { get; set; }
        /// <summary>-Debug: each row's request body is written as a debug message.</summary>
        public bool Debug { get; set; }
        /// <summary>Identical rows are sent once (not -NoDedupe).</summary>
        public bool Dedupe { get; set; } = true;
        /// <summary>-IncludeInput: the input row's columns go into each result.</summary>
        public bool IncludeInput { get; set; }
        /// <summary>-AsResponse: the nested answer is output instead of the flat result.</summary>
        public bool AsResponse { get; set; }
        /// <summary>-EscapeFormulas: text that a spreadsheet would run as a formula gets a leading ' (flat result only).</summary>
        public bool EscapeFormulas { get; set; }
        /// <summary>Rows come from input objects (not the one-record parameters): report how their columns map, once.</summary>
        public bool ReportMapping { get; set; }
        /// <summary>-TotalCount: rows expected, for the progress bar (0 when unknown).</summary>
        public long TotalCount { get; set; }
        /// <summary>-CheckpointPath, as a file system path; null for no journal.</summary>
        public string? CheckpointPath { get; set; }
        /// <summary>-MaxCredits: the credits this run may spend (charged, or kept because a call may have been charged);
        /// null for no cap.</summary>
        public long? MaxCredits { get; set; }
        /// <summary>-MaxAge: older answers in the journal count as absent.</summary>
        public TimeSpan? MaxAge { get; set; }
        /// <summary>The input column → request field map (-PropertyMap, -CustomField).</summary>
        public InputMapper Mapper { get; set; } = new InputMapper();

        /// <summary>The longest that calls on the wire may still answer into the journal, in the background, after the
        /// pipeline stopped early: their timeout, but never more than this.</summary>
        public TimeSpan MaxFinish { get; set; } = TimeSpan.FromSeconds(60);
    }
}
