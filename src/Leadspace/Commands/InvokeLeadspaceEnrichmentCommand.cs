using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Leadspace.Engine;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.Run;
using Leadspace.Resilience;
using Leadspace.Session;

namespace Leadspace.Commands
{
    /// <summary>
    /// Enriches records through Leadspace: one typed result per input row, in input order, with the calls made
    /// concurrently at the program's rate. The cmdlet binds parameters, builds the run's options, hands rows to the run
    /// (<see cref="EnrichmentRun"/>) and writes what the run hands back (<see cref="IRunOutput"/>) on the pipeline thread.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "LeadspaceEnrichment", DefaultParameterSetName = InputSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(EnrichmentResult), ParameterSetName = new[] { InputSet, RecordSet })]
    [OutputType(typeof(EnrichmentResponse), ParameterSetName = new[] { InputSet, RecordSet })]
    public sealed class InvokeLeadspaceEnrichmentCommand : LeadspaceCmdlet, IDisposable, IRunOutput
    {
        public const string InputSet = "InputObject";
        public const string RecordSet = "Record";
        private const int ProgressActivityId = 0x1EAD;

        // ---- Input ----
        /// <summary>A record: a CSV row, PSCustomObject, hashtable or any object, mapped by property name.</summary>
        [Parameter(ParameterSetName = InputSet, ValueFromPipeline = true, Position = 0)]
        [AllowNull]
        public PSObject? InputObject { get; set; }

        [Parameter(ParameterSetName = RecordSet)] public string? FirstName { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? LastName { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? Email { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? Title { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? LinkedInUrl { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? PersonId { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? Phone { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? PersonCountry { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? CompanyName { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? CompanyLsid { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? CompanyUgLsid { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? Website { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? CompanyLinkedInUrl { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? Country { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? State { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? City { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? Street { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? PostalCode { get; set; }
        [Parameter(ParameterSetName = RecordSet)] public string? ExternalId { get; set; }
        /// <summary>Custom fields for a single record: name → value.</summary>
        [Parameter(ParameterSetName = RecordSet)] public IDictionary? CustomFields { get; set; }

        // ---- Mapping ----
        /// <summary>Input column → request field (e.g. @{ 'Acct' = 'company.name'; 'Segment' = 'custom_fields' }).</summary>
        [Parameter(ParameterSetName = InputSet)]
        [Completion.PropertyMapTransformation]
        [ArgumentCompleter(typeof(Completion.PropertyMapCompleter))]
        [ValidateNotNull]
        public IDictionary? PropertyMap { get; set; }

        /// <summary>Input columns copied into custom_fields under their own names.</summary>
        [Parameter(ParameterSetName = InputSet)]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(Completion.CustomFieldCompleter))]
        public string[]? CustomField { get; set; }

        // ---- Output ----
        /// <summary>Puts the input row's own columns first in each result (input columns whose name a result
        /// column also has are prefixed "Input_").</summary>
        [Parameter(ParameterSetName = InputSet)]
        public SwitchParameter IncludeInput { get; set; }

        /// <summary>Prefixes with ' every text value of the flat result (and of the input columns) that a spreadsheet
        /// would run as a formula (see Leadspace.Output.FormulaEscaper).</summary>
        [Parameter]
        public SwitchParameter EscapeFormulas { get; set; }

        /// <summary>Emits the full nested answer (Leadspace.Model.EnrichmentResponse) instead of the flat result.</summary>
        [Parameter]
        public SwitchParameter AsResponse { get; set; }

        /// <summary>How many rows to expect, for the progress bar's percentage and ETA.</summary>
        [Parameter]
        [ValidateRange(1, long.MaxValue)]
        public long TotalCount { get; set; }

        [Parameter]
        [Completion.ConnectionTransformation]
        [ArgumentCompleter(typeof(Completion.ConnectionCompleter))]
        public LeadspaceConnection? Connection { get; set; }

        // ---- Long runs ----
        /// <summary>The run journal: answers are recorded as they arrive, and a rerun with the same journal outputs
        /// them without calling again.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CheckpointPath { get; set; }

        /// <summary>The most credits this run may spend: no call goes out that could make the credits charged (or
        /// possibly charged, without an answer) exceed it. Rows beyond it come out NotSent (LeadspaceBudgetExhausted)
        /// and the run ends with one terminating error that counts them.</summary>
        [Parameter]
        [ValidateRange(0L, long.MaxValue)]
        public long? MaxCredits { get; set; }

        /// <summary>Answers in the journal older than this count as absent (e.g. 30d, 12h).</summary>
        [Parameter]
        [DurationTransformation]
        public TimeSpan? MaxAge { get; set; }

        /// <summary>Sends identical rows once each (default) unless given.</summary>
        [Parameter]
        public SwitchParameter NoDedupe { get; set; }

        /// <summary>Name of a variable that receives the run's summary (Leadspace.Model.RunSummary).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SummaryVariable { get; set; }

        private EnrichmentRun? _run;
        private string? _programId;

        protected override void BeginProcessing()
        {
            if (AsResponse && IncludeInput)
            {
                ThrowTerminatingError(ErrorRecords.For(ErrorTable.IncompatibleParameters,
                    new ArgumentException("-IncludeInput adds the input columns to the flat result; -AsResponse outputs the nested answer, which has no place for them. Use one or the other (the input row is the error's TargetObject either way)."), null));
            }
            if (AsResponse && EscapeFormulas)
            {
                ThrowTerminatingError(ErrorRecords.For(ErrorTable.IncompatibleParameters,
                    new ArgumentException("-EscapeFormulas changes the flat result's text for spreadsheets; -AsResponse outputs the nested answer as it came. Use one or the other."), null));
            }
            if (MaxAge.HasValue && CheckpointPath == null)
            {
                ThrowTerminatingError(ErrorRecords.For(ErrorTable.IncompatibleParameters,
                    new ArgumentException("-MaxAge applies to the answers of a journal: give -CheckpointPath too."), MaxAge));
            }
            var options = new RunOptions
            {
                WhatIf = Preferences.WhatIf(this),
                StopOnError = Preferences.StopOnError(this),
                Debug = Preferences.Debug(this),
                Dedupe = !NoDedupe,
                IncludeInput = IncludeInput,
                AsResponse = AsResponse,
                EscapeFormulas = EscapeFormulas,
                ReportMapping = ParameterSetName == InputSet,
                TotalCount = TotalCount,
                CheckpointPath = CheckpointPath == null ? null : GetUnresolvedProviderPathFromPSPath(CheckpointPath),
                MaxAge = MaxAge,
                MaxCredits = MaxCredits,
                Mapper = Mapper(),
            };
            // -WhatIf sends nothing: it reads a journal through the connection if there is one, and needs none otherwise.
            var connection = options.WhatIf ? Connection ?? ConnectionRegistry.DefaultFor(CurrentRunspaceId) : ResolveConnection(Connection);
            _programId = connection?.ProgramId;
            _run = new EnrichmentRun(options, connection == null ? null : RunConnection.From(connection), this);
            try { _run.Begin(); }
            catch (LeadspaceException ex) { ThrowTerminatingError(ErrorRecords.For(ex, CheckpointPath)); }
            catch (OperationCanceledException) when (_run.Stopping) { throw new PipelineStoppedException(); } // Ctrl+C while the journal was still closing
        }

        private InputMapper Mapper()
        {
            try
            {
                return InputRecord.Mapper(PropertyMap, CustomField);
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(ErrorRecords.For(ErrorTable.InvalidPropertyMap, ex, PropertyMap));
                throw; // not reached
            }
        }

        protected override void ProcessRecord()
        {
            var run = _run!;
            try
            {
                if (ParameterSetName == RecordSet)
                {
                    var record = RecordFromParameters();
                    run.Add(record, InputRecord.Properties(record));
                }
                else if (InputObject != null)
                {
                    // -InputObject $rows (not piped): enumerate, and use the count for progress.
                    if (!MyInvocation.ExpectingInput && InputObject.BaseObject is IList list && !(InputObject.BaseObject is IDictionary))
                    {
                        if (run.TotalCount == 0) run.TotalCount = list.Count;
                        foreach (var item in list) if (item != null && !run.Stopping) run.Add(item, InputRecord.Properties(item));
                    }
                    else
                    {
                        run.Add(InputObject, InputRecord.Properties(InputObject));
                    }
                }
            }
            catch (LeadspaceException ex)
            {
                ThrowTerminatingError(ErrorRecords.For(ex, null));
            }
        }

        protected override void EndProcessing()
        {
            try { _run!.End(); }
            catch (LeadspaceException ex) { ThrowTerminatingError(ErrorRecords.For(ex, null)); }
        }

        protected override void StopProcessing() => _run?.Stop();

        public void Dispose()
        {
            _run?.Dispose();
            _run = null;
        }

        private PSObject RecordFromParameters()
        {
            try
            {
                var record = InputRecord.FromParameters(MyInvocation.BoundParameters, CustomFields);
                if (CustomFields != null) _run!.Mapper = new InputMapper(null, CustomFields.Keys.Cast<object>().Select(k => k?.ToString() ?? string.Empty));
                return record;
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(ErrorRecords.For(ErrorTable.CustomFieldNameClash, ex, CustomFields));
                throw; // not reached
            }
        }

        // ---- IRunOutput: what the run hands back, written on the pipeline thread ----

        void IRunOutput.Row(OutputRow row)
        {
            if (row.Response != null) WriteObject(row.Response);
            else if (row.InputColumns == null) WriteObject(row.Result);
            else
            {
                var pso = new PSObject(row.Result);
                foreach (var column in row.InputColumns) pso.Properties.Add(new PSNoteProperty(column.Key, column.Value));
                WriteObject(pso);
            }
        }

        void IRunOutput.RowError(EnrichmentResult result, object input)
        {
            var message = $"Row {result.RowNumber}" + (result.ExternalId != null ? $" [{result.ExternalId}]" : string.Empty) + ": " + result.Message;
            WriteError(ErrorRecords.For(new LeadspaceRowException(message, result, ErrorTable.RecommendedAction(result, _programId)), input));
        }

        /// <summary>Once PowerShell stops the pipeline (Ctrl+C, Select-Object -First), WriteWarning throws; the host's UI
        /// still takes the line on this thread (the console prints it, a hosted PowerShell's Streams.Warning receives it),
        /// so the early-stop warning reaches the user.</summary>
        void IRunOutput.Warning(string message)
        {
            try { WriteWarning(message); return; }
            catch (Exception ex) when (ex is PipelineStoppedException || ex is InvalidOperationException) { }
            try { Host?.UI?.WriteWarningLine(message); }
            catch (Exception) { /* no host to tell */ }
        }

        bool IRunOutput.Stopping => Stopping;
        void IRunOutput.Verbose(string message) => WriteVerbose(message);
        void IRunOutput.Debug(string message) => WriteDebug(message);
        bool IRunOutput.Confirm(string target, string action) => ShouldProcess(target, action);

        void IRunOutput.Progress(ProgressUpdate update)
            => WriteProgress(new ProgressRecord(ProgressActivityId, "Leadspace enrichment", update.Status)
            {
                PercentComplete = update.PercentComplete,
                SecondsRemaining = update.SecondsRemaining,
            });

        void IRunOutput.ProgressDone()
            => WriteProgress(new ProgressRecord(ProgressActivityId, "Leadspace enrichment", "Done") { RecordType = ProgressRecordType.Completed });

        void IRunOutput.Summary(RunSummary summary)
        {
            if (SummaryVariable != null) SessionState.PSVariable.Set(SummaryVariable, summary);
        }
    }
}
