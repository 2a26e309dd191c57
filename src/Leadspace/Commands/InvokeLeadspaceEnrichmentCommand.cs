using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Leadspace.Client;
using Leadspace.Engine;
using Leadspace.Mapping;
using Leadspace.Model;
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
        [ValidateNotNull]
        public IDictionary? PropertyMap { get; set; }

        /// <summary>Input columns copied into custom_fields under their own names.</summary>
        [Parameter(ParameterSetName = InputSet)]
        [ValidateNotNull]
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
        public LeadspaceConnection? Connection { get; set; }

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private InputMapper _mapper = new InputMapper();
        private EnrichmentEngine? _engine;
        private LeadspaceConnection? _connection;
        private bool _whatIf;
        private bool _debug;
        private long _row;
        private long _wouldSend, _enriched, _notMatched, _invalid, _failed, _notSent;
        private readonly Stopwatch _clock = new Stopwatch();
        private long _lastProgress = -10000;
        private long _gateNotices; // the rate gate's notices already written (a shared gate's fallback and rejoin)
        private static readonly HashSet<string> ResultColumns = new HashSet<string>(
            typeof(EnrichmentResult).GetProperties().Select(p => p.Name), StringComparer.OrdinalIgnoreCase);

        protected override void BeginProcessing()
        {
            _clock.Start();
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
            _whatIf = IsWhatIf();
            _debug = MyInvocation.BoundParameters.ContainsKey("Debug")
                || !Equals(GetVariableValue("DebugPreference"), ActionPreference.SilentlyContinue);
            if (!_whatIf) _connection = ResolveConnection(Connection);
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
                        if (TotalCount == 0) TotalCount = list.Count;
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
                    if (_engine.Fatal != null) ThrowFatal();
                }
                if (_whatIf)
                {
                    ShouldProcess($"{_row} input row(s): {_wouldSend} to send, {_invalid} invalid (not sent, no credit)",
                        $"Enrich through Leadspace, spending up to {_wouldSend} credit(s) in {_wouldSend} call(s)");
                }
                WriteVerbose($"Leadspace enrichment: {_row} rows in {_clock.Elapsed.TotalSeconds:0.0} s — {_enriched} enriched, {_notMatched} not matched, {_invalid} invalid, {_failed} failed, {_notSent} not sent.");
                if (_row > 0) WriteProgress(new ProgressRecord(ProgressActivityId, "Leadspace enrichment", "Done") { RecordType = ProgressRecordType.Completed });
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }

        protected override void StopProcessing()
        {
            try { _stop.Cancel(); } catch (ObjectDisposedException) { }
            _engine?.Abort();
        }

        public void Dispose()
        {
            _engine?.Dispose();
            _engine = null;
            _stop.Dispose();
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
            if (_engine?.Fatal != null) ThrowFatal();
            long row = ++_row;
            var properties = InputRecord.Properties(input);
            var request = _mapper.Map(properties);
            var rowInput = new RowInput(input, IncludeInput ? properties : null);
            var invalid = RequestValidator.Validate(request);
            if (_debug) WriteDebug($"Row {row} request body: {request.ToJson()}");

            if (_whatIf)
            {
                if (invalid != null) _invalid++;
                else { _wouldSend++; ShouldProcess(Describe(row, request), "Enrich (1 credit)"); }
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
            else if (!ShouldProcess(Describe(row, request), "Enrich (1 credit)"))
            {
                var declined = ResultShaper.Failure(row, EnrichmentOutcome.NotSent, request.ExternalId, ErrorIds.Declined,
                    "Declined at the confirmation prompt; not sent.");
                engine.SubmitCompleted(rowInput, declined);
            }
            else
            {
                engine.Submit(row, rowInput, request);
            }

            foreach (var done in engine.TakeReady()) Emit(done);
            Progress();
        }

        private EnrichmentEngine Engine()
        {
            if (_engine != null) return _engine;
            _connection ??= ResolveConnection(Connection);
            var window = Math.Max(64, _connection.MaxConcurrency * 2);
            _engine = new EnrichmentEngine(_connection.Client, window);
            _gateNotices = _connection.Gate.LatestNotice;
            WriteVerbose($"Enriching through {_connection.BaseUri} (program '{_connection.ProgramId ?? "(not given)"}', connection {_connection.Id}) at up to {_connection.RequestsPerSecond} calls/s, {_connection.MaxConcurrency} in flight.");
            return _engine;
        }

        private static string Describe(long row, EnrichmentRequest request)
        {
            var who = string.Join(" ", new[] { request.Get(RequestField.FirstName), request.Get(RequestField.LastName) }.Where(s => s != null));
            var what = string.Join(", ", new[] { who.Length > 0 ? who : null, request.Get(RequestField.CompanyName) ?? request.Get(RequestField.Website) ?? request.Get(RequestField.Email) }.Where(s => s != null));
            return $"row {row}" + (request.ExternalId != null ? $" [{request.ExternalId}]" : string.Empty) + (what.Length > 0 ? $" ({what})" : string.Empty);
        }

        private void Emit(CompletedRow done)
        {
            var result = done.Result;
            var rowInput = (RowInput)done.Input!;
            switch (result.Status)
            {
                case EnrichmentOutcome.Enriched: _enriched++; break;
                case EnrichmentOutcome.NotMatched: _notMatched++; break;
                case EnrichmentOutcome.Invalid: _invalid++; break;
                case EnrichmentOutcome.Failed: _failed++; break;
                case EnrichmentOutcome.NotSent: _notSent++; break;
            }

            WriteGateNotices();
            if (AsResponse) WriteObject(ToResponse(result));
            else if (IncludeInput) WriteObject(WithInput(result, rowInput.Properties!));
            else WriteObject(result);

            // A row the user declined at -Confirm is not an error; every other row without an answer is.
            if ((result.Status == EnrichmentOutcome.Invalid || result.Status == EnrichmentOutcome.Failed || result.Status == EnrichmentOutcome.NotSent)
                && result.ErrorId != ErrorIds.Declined)
            {
                WriteError(RowError(result, rowInput.Input));
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

        private static PSObject WithInput(EnrichmentResult result, List<KeyValuePair<string, string?>> input)
        {
            var pso = new PSObject(result);
            foreach (var kv in input)
            {
                var name = ResultColumns.Contains(kv.Key) ? "Input_" + kv.Key : kv.Key;
                if (pso.Properties[name] == null) pso.Properties.Add(new PSNoteProperty(name, kv.Value));
            }
            return pso;
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

        private static ErrorCategory Category(EnrichmentResult result)
        {
            if (result.Status == EnrichmentOutcome.Invalid) return ErrorCategory.InvalidData;
            if (result.Status == EnrichmentOutcome.NotSent) return ErrorCategory.OperationStopped;
            switch (result.Failure)
            {
                case FailureKind.RateLimited: return ErrorCategory.LimitsExceeded;
                case FailureKind.ServerError: return ErrorCategory.ResourceUnavailable;
                case FailureKind.Timeout: return ErrorCategory.OperationTimeout;
                case FailureKind.ConnectFailed:
                case FailureKind.ConnectionLost: return ErrorCategory.ConnectionError;
                case FailureKind.Unauthorized: return ErrorCategory.AuthenticationError;
                case FailureKind.CreditsExhausted: return ErrorCategory.QuotaExceeded;
                case FailureKind.BadRequest: return ErrorCategory.InvalidArgument;
                case FailureKind.InvalidResponse: return ErrorCategory.InvalidResult;
                default: return ErrorCategory.ProtocolError;
            }
        }

        private static string Recommended(EnrichmentResult result)
        {
            if (result.Status == EnrichmentOutcome.Invalid)
                return "Fill in company name (account), or first name, last name and one of company name/email/website (person); map other column names with -PropertyMap.";
            if (result.Status == EnrichmentOutcome.NotSent)
                return "Send the row again once the cause is fixed: $err.TargetObject | Invoke-LeadspaceEnrichment.";
            switch (result.Failure)
            {
                case FailureKind.CreditsExhausted: return "Ask your Customer Success Manager or support@leadspace.com for credits (or check the program id).";
                case FailureKind.Unauthorized: return "Check the token or OAuth credentials and run Connect-Leadspace again.";
                case FailureKind.ServerError: return "Retry later with $err.TargetObject | Invoke-LeadspaceEnrichment" + (result.TrackingId != null ? $"; quote tracking id {result.TrackingId} to Leadspace support." : ".");
                default: return "Retry the row later with $err.TargetObject | Invoke-LeadspaceEnrichment.";
            }
        }

        private void ThrowFatal()
        {
            var fatal = _engine!.Fatal!;
            // Emit everything still in the window first: rows already done are never lost.
            while (_engine.Pending > 0) Emit(_engine.TakeNext(_stop.Token));
            var done = _enriched + _notMatched + _invalid;
            var program = _connection?.ProgramId != null ? $" (program '{_connection.ProgramId}')" : string.Empty;
            var reason = fatal.Failure == FailureKind.CreditsExhausted
                ? $"Leadspace answered 427 (insufficient credits or invalid program id){program}"
                : $"Leadspace answered 401 (credentials rejected or expired){program}";
            var message = $"{reason} on row {fatal.RowNumber}; the run stopped. Of {_row} rows read: {done} done ({_enriched} enriched, {_notMatched} not matched, {_invalid} invalid), {_failed} failed, {_notSent} not sent. Rows after row {_row} were not read. Every row read has been output; resend the failed and not-sent ones with $err.TargetObject | Invoke-LeadspaceEnrichment.";
            var record = new ErrorRecord(new LeadspaceRunStoppedException(message, fatal), fatal.ErrorId ?? ErrorIds.HttpError,
                fatal.Failure == FailureKind.CreditsExhausted ? ErrorCategory.QuotaExceeded : ErrorCategory.AuthenticationError, null);
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = Recommended(fatal) };
            ThrowTerminatingError(record);
        }

        private void Progress()
        {
            long now = _clock.ElapsedMilliseconds;
            if (now - _lastProgress < 500) return;
            _lastProgress = now;
            long done = _enriched + _notMatched + _invalid + _failed + _notSent;
            var stats = _connection?.Client.Statistics;
            var rate = stats?.CurrentCallsPerSecond ?? 0;
            var status = $"{done} rows done, {rate:0} calls/s, {stats?.InFlight ?? 0} in flight";
            var record = new ProgressRecord(ProgressActivityId, "Leadspace enrichment", status);
            if (TotalCount > 0)
            {
                record.PercentComplete = (int)Math.Min(100, done * 100 / TotalCount);
                double perSecond = done / Math.Max(0.001, _clock.Elapsed.TotalSeconds);
                if (perSecond > 0) record.SecondsRemaining = (int)Math.Max(0, (TotalCount - done) / perSecond);
            }
            WriteProgress(record);
        }

        private sealed class RowInput
        {
            public RowInput(object input, List<KeyValuePair<string, string?>>? properties) { Input = input; Properties = properties; }
            public object Input { get; }
            public List<KeyValuePair<string, string?>>? Properties { get; }
        }
    }

    /// <summary>The exception of a per-row ErrorRecord; carries the row's result.</summary>
    public sealed class LeadspaceRowException : Exception
    {
        public LeadspaceRowException(string message, EnrichmentResult result) : base(message) { Result = result; }
        public EnrichmentResult Result { get; }
    }

    /// <summary>The exception of the terminating error after a 401 or 427.</summary>
    public sealed class LeadspaceRunStoppedException : Exception
    {
        public LeadspaceRunStoppedException(string message, EnrichmentResult fatalRow) : base(message) { FatalRow = fatalRow; }
        public EnrichmentResult FatalRow { get; }
    }
}
