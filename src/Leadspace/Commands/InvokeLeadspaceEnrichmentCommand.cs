using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Leadspace.Engine;
using Leadspace.Journal;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.Resilience;
using Leadspace.Session;

namespace Leadspace.Commands
{
    /// <summary>
    /// Enriches records through Leadspace: one typed result per input row, in input order, with the calls
    /// made concurrently at the program's rate. The cmdlet binds parameters, hands rows to the engine and
    /// writes what comes back on the pipeline thread; mapping, validation, HTTP, rate and retries live in
    /// plain classes.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "LeadspaceEnrichment", DefaultParameterSetName = InputSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(EnrichmentResult), ParameterSetName = new[] { InputSet, RecordSet })]
    [OutputType(typeof(EnrichmentResponse), ParameterSetName = new[] { InputSet, RecordSet })]
    public sealed class InvokeLeadspaceEnrichmentCommand : LeadspaceCmdlet, IDisposable
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

        /// <summary>The longest that calls on the wire may still answer (into the journal, in the background) after the
        /// pipeline stopped early: their timeout, but never more than this.</summary>
        internal static readonly TimeSpan MaxFinish = TimeSpan.FromSeconds(60);

        private RunJournal? _journal;
        /// <summary>The -CheckpointPath journal; null without one (the temporary answer store of dedupe is not one).</summary>
        private RunJournal? Checkpoint => _journal != null && _journal.Durable ? _journal : null;
        private readonly HashSet<string> _whatIfKeys = new HashSet<string>(StringComparer.Ordinal);
        private bool _stopOnError, _ended, _summarySet;
        private string? _ending;
        private long _discarded;

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private InputMapper _mapper = new InputMapper();
        private EnrichmentEngine? _engine;
        private LeadspaceConnection? _connection;
        private IDisposable? _lease;
        private bool _whatIf;
        private bool _debug;
        private bool _timeoutWarningWritten;
        private readonly RunTally _tally = new RunTally();
        private ProgressReport _progress = new ProgressReport(0);
        private readonly InputColumns _inputColumns = new InputColumns(typeof(EnrichmentResult).GetProperties().Select(p => p.Name));
        private readonly HashSet<string> _warned = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private long _gateNotices; // the rate gate's notices already written (a shared gate's fallback and rejoin)

        protected override void BeginProcessing()
        {
            if (AsResponse && IncludeInput)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException("-IncludeInput adds the input columns to the flat result; -AsResponse outputs the nested answer, which has no place for them. Use one or the other (the input row is the error's TargetObject either way)."),
                    "LeadspaceIncompatibleParameters", ErrorCategory.InvalidArgument, null));
            }
            _progress = new ProgressReport(TotalCount);
            try
            {
                _mapper = new InputMapper(
                    PropertyMap?.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, string>(e.Key?.ToString() ?? string.Empty, InputRecord.Text(e.Value) ?? string.Empty)),
                    CustomField);
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "LeadspaceInvalidPropertyMap", ErrorCategory.InvalidArgument, PropertyMap));
            }
            if (MaxAge.HasValue && CheckpointPath == null)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException("-MaxAge applies to the answers of a journal: give -CheckpointPath too."),
                    "LeadspaceIncompatibleParameters", ErrorCategory.InvalidArgument, MaxAge));
            }
            _whatIf = IsWhatIf();
            _debug = MyInvocation.BoundParameters.ContainsKey("Debug")
                || !Equals(GetVariableValue("DebugPreference"), ActionPreference.SilentlyContinue);
            _stopOnError = StopsOnError();
            if (!_whatIf) _connection = ResolveConnection(Connection);
            OpenJournal();
        }

        /// <summary>-ErrorAction Stop (or Inquire): a row's error ends the run, so an invalid row's error is written
        /// before another paid call is sent rather than after the slower rows ahead of it.</summary>
        private bool StopsOnError()
        {
            object? value = MyInvocation.BoundParameters.TryGetValue("ErrorAction", out var bound) ? bound : GetVariableValue("ErrorActionPreference");
            if (value is PSObject p) value = p.BaseObject;
            if (value is ActionPreference a) return a == ActionPreference.Stop || a == ActionPreference.Inquire;
            return value != null && (string.Equals(value.ToString(), "Stop", StringComparison.OrdinalIgnoreCase) || string.Equals(value.ToString(), "Inquire", StringComparison.OrdinalIgnoreCase));
        }

        private void OpenJournal()
        {
            var connection = _connection ?? (CheckpointPath != null && _whatIf ? ConnectionRegistry.DefaultFor(CurrentRunspaceId) : null);
            try
            {
                if (CheckpointPath != null)
                {
                    if (connection == null) { WriteWarning("-WhatIf: there is no connection, so the journal's answers are not counted."); return; }
                    var path = GetUnresolvedProviderPathFromPSPath(CheckpointPath);
                    var identity = connection.Identity;
                    var name = connection.ProgramId ?? "(identified by its token)";
                    _journal = _whatIf
                        ? RunJournal.OpenForReading(path, identity.Service, identity.Keys, name, MaxAge)
                        : RunJournal.Open(path, identity.Service, identity.Keys, name, MaxAge);
                    if (_journal != null)
                    {
                        foreach (var warning in _journal.Warnings) WriteWarning(warning);
                        WriteVerbose($"Run journal {path}: {_journal.AnswersAtOpen} answer(s) from earlier runs, {_journal.UnresolvedAtOpen} request(s) that were in flight when an earlier run ended.");
                    }
                }
                else if (!NoDedupe && !_whatIf)
                {
                    _journal = RunJournal.OpenTemporary(); // keeps answers for identical rows later in the input
                }
            }
            catch (JournalException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, (ErrorCategory)Enum.Parse(typeof(ErrorCategory), ex.Category), CheckpointPath));
            }
        }

        private bool IsWhatIf()
        {
            if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)) return w is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(w);
            return LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
        }

        protected override void ProcessRecord()
        {
            try
            {
                if (ParameterSetName == RecordSet)
                {
                    HandleRow(RecordFromParameters());
                }
                else if (InputObject != null)
                {
                    // -InputObject $rows (not piped): enumerate, and use the count for progress.
                    if (!MyInvocation.ExpectingInput && InputObject.BaseObject is IList list && !(InputObject.BaseObject is IDictionary))
                    {
                        if (TotalCount == 0) { TotalCount = list.Count; _progress.TotalCount = list.Count; }
                        foreach (var item in list) if (item != null) HandleRow(item);
                    }
                    else
                    {
                        HandleRow(InputObject);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Ctrl+C: PowerShell stops the pipeline; Dispose cleans up.
            }
        }

        protected override void EndProcessing()
        {
            try
            {
                if (_engine != null)
                {
                    while (_engine.Pending > 0) Emit(_engine.TakeNext(_stop.Token));
                    WriteGateNotices();
                }
                _ended = true;
                if (_whatIf) ShouldProcess(_tally.WhatIfTarget(), _tally.WhatIfAction());
                WriteVerbose(_tally.Summary());
                if (_engine != null)
                {
                    WriteVerbose($"Calls: {_engine.CallsMade} made, {_engine.CreditsCharged} charged, {_engine.PossibleCharges} may have been charged without an answer; saved: {_engine.FromJournal} answered from the journal, {_engine.Duplicates} by identical rows.");
                    if (_engine.InterruptedResent > 0)
                        WriteWarning($"{_engine.InterruptedResent} row(s) were in flight when an earlier run ended (a crash, a kill, a stop): they were sent again and may have been charged twice.");
                }
                if (_tally.RowsRead > 0)
                {
                    var stats = _connection?.Client.Statistics;
                    var last = _progress.Final(_tally.Output, stats?.CurrentCallsPerSecond ?? 0, stats?.InFlight ?? 0);
                    WriteProgress(ToRecord(last));
                    WriteProgress(new ProgressRecord(ProgressActivityId, "Leadspace enrichment", "Done") { RecordType = ProgressRecordType.Completed });
                }
                var fatal = _engine?.Fatal;
                SetSummary(fatal != null ? FailureTable.For(fatal.Failure).ErrorId : "Completed");
                if (fatal != null) ThrowFatal();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }

        protected override void StopProcessing()
        {
            try { _stop.Cancel(); } catch (ObjectDisposedException) { }
            // With a journal, calls on the wire may still answer into it (see Dispose); without one, they stop at once.
            if (Checkpoint != null) _engine?.StopSending();
            else _engine?.Abort();
        }

        public void Dispose()
        {
            if (!_ended && _engine != null)
            {
                // The pipeline stopped early (Ctrl+C, -ErrorAction Stop, Select-Object -First, a terminating error).
                _discarded = _engine.PaidCallsInWindow();
                try { SetSummary(_ending ?? "Stopped"); } catch (Exception) { /* the session may be gone */ }
                if (Checkpoint is RunJournal journal && _connection != null)
                {
                    // Calls on the wire are paid for: let them answer into the journal in the background (the next run
                    // on this journal waits for that), and return now. The connection stays leased until then.
                    var engine = _engine; var lease = _lease;
                    var limit = _connection.Timeout < MaxFinish ? _connection.Timeout : MaxFinish;
                    var finishing = engine.FinishInBackground(limit, () => { journal.Dispose(); lease?.Dispose(); });
                    RunJournal.Closing(journal, finishing);
                    _engine = null; _journal = null; _lease = null;
                }
                else
                {
                    _engine.Abort();
                }
            }
            _engine?.Dispose();
            _engine = null;
            _journal?.Dispose(); // the last sync to disk
            _journal = null;
            _lease?.Dispose(); // a Disconnect-Leadspace made meanwhile takes effect now
            _lease = null;
            _stop.Dispose();
        }

        /// <summary>The pipeline is stopping under our feet (a row's error with -ErrorAction Stop, Select-Object
        /// -First downstream): say what it discards while the pipeline thread still may.</summary>
        private void EarlyStop(string ending)
        {
            if (_ending != null) return;
            _ending = ending;
            if (_engine == null) return;
            int paid = _engine.PaidCallsInWindow();
            try
            {
                WriteVerbose(Checkpoint != null
                    ? $"The pipeline stopped early: {paid} paid call(s) not output yet; their answers go into the journal, and the next run with -CheckpointPath outputs them without calling."
                    : $"The pipeline stopped early: {paid} paid call(s) were discarded (answers not output). Use -CheckpointPath to keep them for the next run.");
            }
            catch (Exception) { /* the pipeline may no longer take records */ }
        }

        private void SetSummary(string ending)
        {
            if (_summarySet || SummaryVariable == null) return;
            _summarySet = true;
            var elapsed = _tally.Elapsed;
            var summary = new RunSummary
            {
                RowsIn = _tally.RowsRead,
                Enriched = _tally.Enriched,
                NotMatched = _tally.NotMatched,
                Invalid = _tally.Invalid,
                Failed = _tally.Failed,
                NotSent = _tally.NotSent,
                RowsOut = _tally.Output,
                FromApi = _tally.FromApi,
                FromJournal = _tally.FromJournal,
                Duplicates = _tally.Duplicates,
                CallsMade = _engine?.CallsMade ?? 0,
                CreditsCharged = _engine?.CreditsCharged ?? 0,
                CallsAmbiguous = _engine?.PossibleCharges ?? 0,
                CallsDiscarded = _discarded,
                InterruptedRowsResent = _engine?.InterruptedResent ?? 0,
                InterruptedRowsNotResent = _engine?.InterruptedNotResent ?? 0,
                Elapsed = elapsed,
                CallsPerSecond = Math.Round((_engine?.CallsMade ?? 0) / Math.Max(0.001, elapsed.TotalSeconds), 2),
                CheckpointPath = Checkpoint?.Path,
                JournalBytesWritten = Checkpoint?.BytesWritten ?? 0,
                Ending = ending,
            };
            SessionState.PSVariable.Set(SummaryVariable, summary);
        }

        private PSObject RecordFromParameters()
        {
            var record = new PSObject();
            foreach (var field in RequestField.All)
            {
                if (MyInvocation.BoundParameters.TryGetValue(field.ParameterName, out var value))
                    record.Properties.Add(new PSNoteProperty(field.ParameterName, value));
            }
            if (CustomFields != null)
            {
                foreach (DictionaryEntry e in CustomFields)
                {
                    var name = e.Key?.ToString();
                    if (string.IsNullOrWhiteSpace(name)) continue;
                    if (record.Properties[name] != null || InputMapper.FieldForColumn(name!) != null)
                    {
                        ThrowTerminatingError(new ErrorRecord(
                            new ArgumentException($"-CustomFields key '{name}' is also a request field; pass that value with its own parameter and give the custom field another name."),
                            "LeadspaceCustomFieldNameClash", ErrorCategory.InvalidArgument, CustomFields));
                    }
                    record.Properties.Add(new PSNoteProperty(name, e.Value));
                }
                _mapper = new InputMapper(null, CustomFields.Keys.Cast<object>().Select(k => k?.ToString() ?? string.Empty));
            }
            return record;
        }

        private void HandleRow(object input)
        {
            long row = _tally.Read();
            var properties = InputRecord.Properties(input);
            var request = _mapper.Map(properties);
            WarnAboutMapping(row);
            var rowInput = new RowInput(input, IncludeInput ? properties : null);
            var invalid = RequestValidator.Validate(request);
            if (_debug) WriteDebug($"Row {row} request body: {request.ToJson()}");

            if (_whatIf)
            {
                if (invalid != null) { _tally.InvalidRowSeen(); return; }
                var key = !NoDedupe || _journal != null ? request.CanonicalKey() : null;
                if (key != null && !NoDedupe && !_whatIfKeys.Add(key)) { _tally.WouldDuplicate(); return; }
                if (key != null && _journal != null && _journal.TryGetAnswer(key, out _)) { _tally.WouldReplay(); return; }
                _tally.WouldSendRow();
                ShouldProcess(RunTally.Describe(row, request), "Enrich (1 credit)");
                return;
            }

            // Keep the window bounded for every row, sent or not: memory stays flat whatever the input.
            var engine = Engine();
            while (engine.IsFull) Emit(engine.TakeNext(_stop.Token));

            if (invalid != null)
            {
                engine.SubmitCompleted(rowInput, ResultShaper.Failure(row, EnrichmentOutcome.Invalid, request.ExternalId, ErrorIds.InvalidInput,
                    "Invalid input, not sent (no credit spent): " + invalid));
            }
            else if (engine.Fatal != null)
            {
                // The run is stopped (427, 401, unreachable…): every further row is read and output, never sent.
                engine.SubmitCompleted(rowInput, ResultShaper.Failure(row, EnrichmentOutcome.NotSent, request.ExternalId, ErrorIds.NotSent,
                    "Not sent: the run stopped at row " + engine.Fatal.RowNumber + " (" + FailureTable.For(engine.Fatal.Failure).ErrorId + "). No credit spent."));
            }
            else if (!ShouldProcess(RunTally.Describe(row, request), "Enrich (1 credit)"))
            {
                var declined = ResultShaper.Failure(row, EnrichmentOutcome.NotSent, request.ExternalId, ErrorIds.Declined,
                    "Declined at the confirmation prompt; not sent.");
                engine.SubmitCompleted(rowInput, declined);
            }
            else
            {
                engine.Submit(row, rowInput, request);
            }

            // With -ErrorAction Stop, a row that is already known to fail is written now, before another paid call
            // goes out behind the slower rows ahead of it.
            if (_stopOnError && (invalid != null || engine.Fatal != null))
            {
                while (engine.Pending > 0) Emit(engine.TakeNext(_stop.Token));
            }
            foreach (var done in engine.TakeReady()) Emit(done);
            Progress();
        }

        private EnrichmentEngine Engine()
        {
            if (_engine != null) return _engine;
            _connection ??= ResolveConnection(Connection);
            try { _lease = _connection.BeginRun(); }
            catch (ObjectDisposedException ex)
            {
                ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(ex.Message + " Run Connect-Leadspace again.", ex), "LeadspaceConnectionClosed", ErrorCategory.ConnectionError, _connection));
            }
            var window = Math.Max(64, _connection.MaxConcurrency * 2);
            _engine = new EnrichmentEngine(_connection.Client, new EngineOptions
            {
                WindowSize = window,
                Journal = _journal,
                Dedupe = !NoDedupe,
                MaxAmbiguousRetries = _connection.MaxAmbiguousRetries,
            });
            _gateNotices = _connection.Gate.LatestNotice;
            WriteVerbose($"Enriching through {_connection.BaseUri} (program '{_connection.ProgramId ?? "(not given)"}', connection {_connection.Id}) at up to {_connection.RequestsPerSecond} calls/s, {_connection.MaxConcurrency} in flight.");
            return _engine;
        }

        private readonly UntypedValueReport _untypedValues = new UntypedValueReport();

        private void Emit(CompletedRow done)
        {
            var result = done.Result;
            var rowInput = (RowInput)done.Input!;
            _tally.Count(result);
            if (!_timeoutWarningWritten && _engine != null && _engine.Health.ResendsSuppressed)
            {
                _timeoutWarningWritten = true;
                var (timeouts, recent) = _engine.Health.RecentTimeouts;
                WriteWarning($"Most recent calls timed out ({timeouts} of the last {recent}) after {_connection?.Timeout.TotalSeconds:0.#} s: timed-out calls are no longer resent, since each may have been charged. If Leadspace answers slowly, reconnect with a larger -TimeoutSec.");
            }

            WriteGateNotices();
            foreach (var line in _untypedValues.NewLines(result.Response)) WriteVerbose(line);
            try
            {
                if (AsResponse) WriteObject(ToResponse(result));
                else if (IncludeInput) WriteObject(WithInput(result, rowInput.Properties!));
                else WriteObject(result);
            }
            catch (PipelineStoppedException)
            {
                EarlyStop("Stopped downstream");   // Select-Object -First and the like
                throw;
            }

            // A row the user declined at -Confirm is not an error; every other row without an answer is.
            if ((result.Status == EnrichmentOutcome.Invalid || result.Status == EnrichmentOutcome.Failed || result.Status == EnrichmentOutcome.NotSent)
                && result.ErrorId != ErrorIds.Declined)
            {
                try
                {
                    WriteError(RowError(result, rowInput.Input));
                }
                catch (Exception ex) when (ex is ActionPreferenceStopException || ex is PipelineStoppedException)
                {
                    EarlyStop(result.ErrorId ?? "Stopped");   // -ErrorAction Stop
                    throw;
                }
            }
            Progress();
        }

        /// <summary>What the shared rate gate has to say (the store stopped answering: once per outage; it rejoined),
        /// written on the pipeline thread.</summary>
        private void WriteGateNotices()
        {
            if (_connection == null) return;
            foreach (var notice in _connection.Gate.NoticesAfter(ref _gateNotices))
            {
                if (notice.IsWarning) WriteWarning(notice.Message);
                else WriteVerbose(notice.Message);
            }
        }

        private static EnrichmentResponse ToResponse(EnrichmentResult result)
        {
            var response = result.Response ?? EnrichmentResponse.Empty();
            response.RowNumber = result.RowNumber;
            response.Outcome = result.Status;
            response.HttpStatus = result.HttpStatus;
            response.Message = result.Message;
            response.FallbackExternalId(result.ExternalId);
            return response;
        }

        private PSObject WithInput(EnrichmentResult result, List<InputProperty> input)
        {
            var pso = new PSObject(result);
            var names = _inputColumns.Names(input.Select(p => p.Name).ToList());
            for (int i = 0; i < input.Count; i++) pso.Properties.Add(new PSNoteProperty(names[i], input[i].Text));
            return pso;
        }

        /// <summary>Once per run and name: a -PropertyMap key or -CustomField name that matches no input column (a
        /// typo: rows would be charged without it), and input that looks like a CSV read with the wrong delimiter.</summary>
        private void WarnAboutMapping(long row)
        {
            foreach (var name in _mapper.LastUnmatched)
            {
                if (_warned.Add("column:" + name))
                    WriteWarning($"'{name}' (in -PropertyMap or -CustomField) matches no property of input row {row}: nothing is sent from it for such rows. Check the spelling against the input's column names.");
            }
            if (_mapper.LastDelimiterHint is string delimiter && _warned.Add("delimiter"))
                WriteWarning($"Input row {row} has one column whose name holds several field names: it looks like a CSV read with the wrong delimiter. Use Import-Csv -Delimiter '{delimiter}'.");
        }

        private ErrorRecord RowError(EnrichmentResult result, object input)
        {
            var program = _connection?.ProgramId != null ? $" Program '{_connection.ProgramId}'." : string.Empty;
            var message = $"Row {result.RowNumber}" + (result.ExternalId != null ? $" [{result.ExternalId}]" : string.Empty) + ": " + result.Message;
            var id = result.ErrorId ?? ErrorIds.HttpError;
            var record = new ErrorRecord(new LeadspaceRowException(message, result), id, Category(result), input);
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = Recommended(result) + program };
            return record;
        }

        /// <summary>The ErrorCategory of a row's error: the failure table's for a failed call.</summary>
        internal static ErrorCategory Category(EnrichmentResult result)
        {
            if (result.Status == EnrichmentOutcome.Invalid) return ErrorCategory.InvalidData;
            if (result.Status == EnrichmentOutcome.NotSent) return ErrorCategory.OperationStopped;
            return CategoryOf(result.Failure);
        }

        internal static ErrorCategory CategoryOf(FailureKind kind)
            => kind == FailureKind.None ? ErrorCategory.InvalidResult : (ErrorCategory)Enum.Parse(typeof(ErrorCategory), FailureTable.For(kind).Category);

        private static string Recommended(EnrichmentResult result)
        {
            if (result.Status == EnrichmentOutcome.Invalid)
                return "Fill in company name (account), or first name, last name and one of company name/email/website (person); map other column names with -PropertyMap.";
            if (result.Status == EnrichmentOutcome.NotSent)
                return "Send the row again once the cause is fixed: $err.TargetObject | Invoke-LeadspaceEnrichment.";
            if (result.Failure == FailureKind.None) return FailureTable.RetryLater;
            var action = FailureTable.For(result.Failure).RecommendedAction;
            return result.TrackingId != null ? action + $" Leadspace tracking id: {result.TrackingId}." : action;
        }

        private void ThrowFatal()
        {
            var fatal = _engine!.Fatal!;
            var message = _tally.StoppedMessage(fatal, _connection?.ProgramId, _connection?.BaseUri);
            var semantics = FailureTable.For(fatal.Failure);
            var record = new ErrorRecord(new LeadspaceRunStoppedException(message, fatal), semantics.ErrorId, CategoryOf(fatal.Failure), null);
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = semantics.RecommendedAction };
            ThrowTerminatingError(record);
        }

        private void Progress()
        {
            var stats = _connection?.Client.Statistics;
            var update = _progress.Next(_tally.Output, stats?.CurrentCallsPerSecond ?? 0, stats?.InFlight ?? 0);
            if (update != null) WriteProgress(ToRecord(update));
        }

        private static ProgressRecord ToRecord(ProgressUpdate update)
            => new ProgressRecord(ProgressActivityId, "Leadspace enrichment", update.Status)
            {
                PercentComplete = update.PercentComplete,
                SecondsRemaining = update.SecondsRemaining,
            };

        private sealed class RowInput
        {
            public RowInput(object input, List<InputProperty>? properties) { Input = input; Properties = properties; }
            public object Input { get; }
            public List<InputProperty>? Properties { get; }
        }
    }

    /// <summary>The exception of a per-row ErrorRecord; carries the row's result.</summary>
    public sealed class LeadspaceRowException : Exception
    {
        public LeadspaceRowException(string message, EnrichmentResult result) : base(message) { Result = result; }
        public EnrichmentResult Result { get; }
    }

    /// <summary>The exception of the terminating error of a run that a fatal failure (427, 401, unreachable…) stopped.</summary>
    public sealed class LeadspaceRunStoppedException : Exception
    {
        public LeadspaceRunStoppedException(string message, EnrichmentResult fatalRow) : base(message) { FatalRow = fatalRow; }
        public EnrichmentResult FatalRow { get; }
    }
}
