using System;
using System.Collections.Generic;
using System.Threading;
using Leadspace.Budget;
using Leadspace.Http;
using Leadspace.Resilience;
using Leadspace.Engine;
using Leadspace.Journal;
using Leadspace.Mapping;
using Leadspace.Model;

namespace Leadspace.Run
{
    /// <summary>
    /// One Invoke-LeadspaceEnrichment run, from its first row to its summary: the journal (or the temporary answer store
    /// of dedupe), the connection's lease, the engine and its bounded window, the admission of each row (the same
    /// decision for -WhatIf), the drain of -ErrorAction Stop, an early stop (the pipeline stopped downstream, by an
    /// error, by Ctrl+C) with the background finish of calls on the wire, the fatal stop, notices, progress and the
    /// summary. Plain C#: it speaks to PowerShell only through <see cref="IRunOutput"/>, always on the caller's thread,
    /// except <see cref="Stop"/>, which any thread may call and which writes nothing.
    /// </summary>
    internal sealed class EnrichmentRun : IDisposable
    {
        private readonly RunOptions _options;
        private readonly RunConnection? _connection;
        private readonly IRunOutput _output;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly RunTally _tally = new RunTally();
        private readonly ProgressReport _progress;
        private readonly OutputShaper _shaper;
        private readonly RunNotices _notices;
        private IAnswerStore? _journal;
        private AdmissionPolicy? _prediction;
        private volatile EnrichmentEngine? _engine;
        private IDisposable? _lease;
        private bool _ended, _summarySet;
        private string? _ending;
        private long _discarded;
        /// <summary>The run's own budget: -MaxCredits, or no limit (it still counts the run's reservations for the summary).</summary>
        private readonly LocalCreditBudget _runBudget;
        /// <summary>The first row not sent for the budget: the terminating error's row.</summary>
        private EnrichmentResult? _firstOverBudget;

        /// <param name="options">How the run goes.</param>
        /// <param name="connection">The connection; for -WhatIf it may be null (then a journal cannot be read).</param>
        /// <param name="output">Where the run's output goes (the cmdlet).</param>
        public EnrichmentRun(RunOptions options, RunConnection? connection, IRunOutput output)
        {
            if (connection == null && !options.WhatIf) throw new ArgumentNullException(nameof(connection));
            _options = options;
            _connection = connection;
            _output = output;
            _progress = new ProgressReport(options.TotalCount);
            _shaper = new OutputShaper(options.AsResponse, options.EscapeFormulas);
            _notices = new RunNotices(output, connection);
            _runBudget = RunBudget(options.MaxCredits);
        }

        private static LocalCreditBudget RunBudget(long? maxCredits)
            => new LocalCreditBudget(maxCredits ?? long.MaxValue, BudgetPeriod.None, maxCredits is long n ? "-MaxCredits " + n : "no -MaxCredits", "Run");

        /// <summary>The budgets a call reserves from: the run's, then the connection's (-CreditBudget), if any.</summary>
        private CreditBudget Budgets() => CompositeCreditBudget.Of(_runBudget, _connection?.Budget)!;

        /// <summary>-WhatIf: the same cap as a run, as fresh budgets that the prediction spends row by row: -MaxCredits,
        /// and what the connection's budget has left now. Null when there is no cap.</summary>
        private CreditBudget? PredictionBudget()
        {
            var run = _options.MaxCredits.HasValue ? RunBudget(_options.MaxCredits) : null;
            var left = _connection?.Budget?.Snapshot();
            var connection = left != null ? new LocalCreditBudget(left.Left, BudgetPeriod.None, $"{left.Name}, {left.Left} credit(s) left", "Run") : null;
            return CompositeCreditBudget.Of(run, connection);
        }

        /// <summary>The input column → request field map; the cmdlet replaces it for -CustomFields before the first row.</summary>
        public InputMapper Mapper { get => _options.Mapper; set => _options.Mapper = value; }
        /// <summary>The counts so far.</summary>
        public RunTally Tally => _tally;
        /// <summary>Rows expected, for progress (set when the input turns out to be a list).</summary>
        public long TotalCount { get => _progress.TotalCount; set => _progress.TotalCount = value; }
        /// <summary>True once Ctrl+C (<see cref="Stop"/>) was asked for.</summary>
        public bool Stopping => _stop.IsCancellationRequested;
        /// <summary>The -CheckpointPath journal; null without one (the temporary answer store of dedupe is not one).</summary>
        private RunJournal? Checkpoint => _journal as RunJournal;

        /// <summary>Opens the journal (or the answer store of dedupe). Throws <see cref="JournalException"/>.</summary>
        public void Begin()
        {
            if (_options.CheckpointPath != null)
            {
                if (_connection == null) _output.Warning("-WhatIf: there is no connection, so the journal's answers are not counted.");
                else
                {
                    var path = _options.CheckpointPath;
                    var name = _connection.ProgramId ?? "(identified by its token)";
                    // Ctrl+C (the stop token) ends a wait for a run of this process that is still closing the journal.
                    var journal = _options.WhatIf
                        ? RunJournal.OpenForReading(path, _connection.Service, _connection.ProgramKeys, name, _options.MaxAge)
                        : RunJournal.Open(path, _connection.Service, _connection.ProgramKeys, name, _options.MaxAge, cancellationToken: _stop.Token, headerKeys: _connection.JournalHeaderKeys);
                    _journal = journal;
                    if (journal != null)
                    {
                        foreach (var warning in journal.Warnings) _output.Warning(warning);
                        _output.Verbose($"Run journal {path}: {journal.AnswersAtOpen} answer(s) from earlier runs, {journal.UnresolvedAtOpen} request(s) that were in flight when an earlier run ended.");
                    }
                }
            }
            else if (_options.Dedupe && !_options.WhatIf)
            {
                _journal = TemporaryAnswerStore.Open(); // keeps answers for identical rows later in the input
            }
            if (_options.WhatIf) _prediction = new AdmissionPolicy(_journal, _options.Dedupe, _connection?.MaxAmbiguousRetries ?? 1, budget: PredictionBudget());
        }

        /// <summary>One input row: mapped, decided, and sent or completed; whatever is ready is output.</summary>
        /// <param name="input">The input object (the row errors' target).</param>
        /// <param name="properties">Its properties, read by the cmdlet.</param>
        public void Add(object input, List<InputProperty> properties)
        {
            try
            {
                AddRow(input, properties);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Ctrl+C: PowerShell stops the pipeline; Dispose cleans up.
                EarlyStop("Stopped");
            }
        }

        private void AddRow(object input, List<InputProperty> properties)
        {
            long row = _tally.Read();
            var request = Mapper.Map(properties);
            _notices.Mapping(Mapper, row, _options.ReportMapping);
            var invalid = RequestValidator.Validate(request);
            if (_options.Debug) _output.Debug($"Row {row} request body: {request.ToJson()}");

            if (_prediction != null)
            {
                Predict(row, request, invalid);
                return;
            }

            // Keep the window bounded for every row, sent or not: memory stays flat whatever the input.
            var engine = Engine();
            while (engine.IsFull) Emit(engine.TakeNext(_stop.Token));

            var admission = engine.Admit(request, invalid, () => _output.Confirm(RunTally.Describe(row, request), "Enrich (1 credit)"));
            engine.Submit(row, new RowInput(input, _options.IncludeInput ? properties : null), request, admission);

            // With -ErrorAction Stop, a row that is already known to fail is written now, before another paid call
            // goes out behind the slower rows ahead of it.
            if (_options.StopOnError && (invalid != null || engine.Fatal != null))
            {
                while (engine.Pending > 0) Emit(engine.TakeNext(_stop.Token));
            }
            foreach (var done in engine.TakeReady()) Emit(done);
            Progress();
        }

        /// <summary>-WhatIf: the same admission as a run, counted instead of sent.</summary>
        private void Predict(long row, EnrichmentRequest request, string? invalid)
        {
            var admission = _prediction!.Decide(request, invalid, confirm: () =>
            {
                _output.Confirm(RunTally.Describe(row, request), "Enrich (1 credit)"); // "What if: ..." for the row
                return true;
            });
            _tally.Predicted(admission.Kind);
        }

        private EnrichmentEngine Engine()
        {
            if (_engine != null) return _engine;
            var connection = _connection!;
            try { _lease = connection.BeginRun?.Invoke(); }
            catch (ObjectDisposedException ex)
            {
                throw new LeadspaceRunException(ErrorTable.ConnectionClosed, ex.Message + " Run Connect-Leadspace again.", ex);
            }
            var window = Math.Max(64, connection.MaxConcurrency * 2);
            _engine = new EnrichmentEngine(connection.Caller, new EngineOptions
            {
                WindowSize = window,
                Journal = _journal,
                Dedupe = _options.Dedupe,
                MaxAmbiguousRetries = connection.MaxAmbiguousRetries,
                Budget = Budgets(),
            });
            _notices.Started();
            _output.Verbose($"Enriching through {connection.BaseUri} (program '{connection.ProgramId ?? "(not given)"}', connection {connection.Id}) at up to {connection.RequestsPerSecond} calls/s, {connection.MaxConcurrency} in flight.");
            return _engine;
        }

        private void Emit(CompletedRow done)
        {
            var result = done.Result;
            var rowInput = (RowInput)done.Input!;
            _tally.Count(result);
            if (_firstOverBudget == null && result.Status == EnrichmentOutcome.NotSent && result.ErrorId == ErrorIds.BudgetExhausted) _firstOverBudget = result;
            _notices.Health(_engine?.Health);
            _notices.Gate();
            _notices.UntypedValues(result);
            try
            {
                _output.Row(_shaper.Shape(result, rowInput.Properties));
            }
            catch (Exception)
            {
                // Select-Object -First stops only the commands before it (the row was delivered); Ctrl+C (or an error
                // after us) stops the whole pipeline, and then this row was not delivered.
                if (_output.Stopping || _stop.IsCancellationRequested) EarlyStop("Stopped", undelivered: 1);
                else EarlyStop("Stopped downstream");
                throw;
            }

            // A row the user declined at -Confirm is not an error; every other row without an answer is.
            if ((result.Status == EnrichmentOutcome.Invalid || result.Status == EnrichmentOutcome.Failed || result.Status == EnrichmentOutcome.NotSent)
                && result.ErrorId != ErrorIds.Declined)
            {
                try
                {
                    _output.RowError(result, rowInput.Input);
                }
                catch (Exception)
                {
                    EarlyStop(result.ErrorId ?? "Stopped");   // -ErrorAction Stop
                    throw;
                }
            }
            Progress();
        }

        /// <summary>The input is complete: outputs the rows still in the window, the notices and the summary.
        /// Throws <see cref="Commands.LeadspaceRunStoppedException"/> when a fatal failure stopped the run.</summary>
        public void End()
        {
            try
            {
                var engine = _engine;
                if (engine != null)
                {
                    while (engine.Pending > 0) Emit(engine.TakeNext(_stop.Token));
                    _notices.Gate();
                }
                _ended = true;
                if (_prediction != null)
                    _output.Confirm(_tally.WhatIfTarget(_prediction.BudgetName) + (_notices.MappingReport != null ? ". " + _notices.MappingReport : string.Empty), _tally.WhatIfAction());
                _output.Verbose(_tally.Summary());
                if (engine != null)
                {
                    var budget = _runBudget.Snapshot();
                    _output.Verbose($"Calls: {engine.CallsMade} made, {engine.CreditsCharged} charged, {engine.PossibleCharges} may have been charged without an answer; saved: {engine.FromJournal} answered from the journal, {engine.Duplicates} by identical rows. "
                        + $"Credits: {budget.Reservations} reserved, {budget.Released} given back (not charged)" + (_options.MaxCredits is long cap ? $", -MaxCredits {cap}" : string.Empty)
                        + (_tally.NotSentForBudget > 0 ? $"; {_tally.NotSentForBudget} row(s) not sent for the budget." : "."));
                    if (engine.InterruptedResent > 0)
                        _output.Warning($"{engine.InterruptedResent} row(s) were in flight when an earlier run ended (a crash, a kill, a stop): they were sent again and may have been charged twice.");
                }
                if (_tally.RowsRead > 0)
                {
                    var stats = _connection?.Statistics;
                    _output.Progress(_progress.Final(_tally.Output, stats?.CurrentCallsPerSecond ?? 0, stats?.InFlight ?? 0));
                    _output.ProgressDone();
                }
                var fatal = engine?.Fatal;
                var overBudget = fatal == null ? _firstOverBudget : null;
                SetSummary(fatal != null ? FailureTable.For(fatal.Failure).ErrorId : overBudget != null ? ErrorIds.BudgetExhausted : "Completed");
                if (fatal != null)
                    _output.Warning(EarlyStopReport.Warning(FailureTable.For(fatal.Failure).ErrorId + $" at row {fatal.RowNumber}", _tally.RowsRead, _tally.Output, TotalCount, 0, Checkpoint?.Path, inputEnded: true));
                if (fatal != null) throw new Commands.LeadspaceRunStoppedException(_tally.StoppedMessage(fatal, _connection?.ProgramId, _connection?.BaseUri), fatal);
                // Every row has been output; the rows the budget left unsent make the run end with one error that counts them.
                if (overBudget != null) throw new Commands.LeadspaceRunStoppedException(BudgetMessage(engine), overBudget);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                EarlyStop("Stopped");
            }
        }

        /// <summary>Ctrl+C (StopProcessing, on another thread): with a journal, calls on the wire may still answer
        /// into it (see <see cref="Dispose"/>); without one, they stop at once. Writes nothing.</summary>
        public void Stop()
        {
            try { _stop.Cancel(); } catch (ObjectDisposedException) { }
            var engine = _engine;
            if (Checkpoint != null) engine?.StopSending();
            else engine?.Abort();
        }

        /// <summary>The pipeline is stopping under our feet (Ctrl+C, a row's error with -ErrorAction Stop, Select-Object
        /// -First downstream): one warning says how many rows were output, how many were not, and what became of the
        /// paid calls (discarded, or into the journal), written while the pipeline thread still may. The summary's
        /// CallsDiscarded is the same count.</summary>
        /// <param name="ending">The summary's Ending.</param>
        /// <param name="undelivered">Rows counted as output that the pipeline did not take (the one whose write failed).</param>
        private void EarlyStop(string ending, int undelivered = 0)
        {
            if (_ending != null) return;
            _ending = ending;
            if (_engine == null) return;
            int paid = _engine.PaidCallsInWindow();
            _discarded = paid;
            try
            {
                _output.Warning(EarlyStopReport.Warning(EarlyStopReport.Why(ending), _tally.RowsRead, _tally.Output - undelivered, TotalCount, paid, Checkpoint?.Path));
            }
            catch (Exception) { /* no host left to tell */ }
        }

        private void Progress()
        {
            var stats = _connection?.Statistics;
            var update = _progress.Next(_tally.Output, stats?.CurrentCallsPerSecond ?? 0, stats?.InFlight ?? 0);
            if (update != null) _output.Progress(update);
        }

        private void SetSummary(string ending)
        {
            if (_summarySet) return;
            _summarySet = true;
            _output.Summary(RunSummaryBuilder.Build(_tally, _engine, _discarded, Checkpoint, ending, _notices.MappingReport, _runBudget.Snapshot(), _options.MaxCredits));
        }

        /// <summary>The terminating error's message when rows were left unsent for the budget: which budget, what the run
        /// spent, the counts, and how to go on (a new -MaxCredits with the same journal, or the next period).</summary>
        private string BudgetMessage(EnrichmentEngine? engine)
        {
            CreditBudget spent = _runBudget.IsSpent || _connection?.Budget == null ? _runBudget : _connection.Budget;
            var snapshot = spent.Snapshot();
            DateTimeOffset? next = snapshot.Period != BudgetPeriod.None && snapshot.PeriodStart is DateTimeOffset start ? BudgetPeriods.End(snapshot.Period, start) : (DateTimeOffset?)null;
            return _tally.BudgetMessage(spent.SpentMessage(), engine?.CreditsCharged ?? 0, engine?.PossibleCharges ?? 0, Checkpoint?.Path, next, runCap: spent == _runBudget);
        }

        /// <summary>Ends the run however it went. If the pipeline stopped early (Ctrl+C, -ErrorAction Stop,
        /// Select-Object -First, a terminating error) and there is a journal, the calls on the wire are paid for: they
        /// answer into the journal in the background (the next run on this journal waits for that) and this returns
        /// at once; the connection stays leased until then.</summary>
        public void Dispose()
        {
            var engine = _engine;
            if (!_ended && engine != null)
            {
                EarlyStop("Stopped"); // counts the discarded calls and warns, unless done already while the pipeline still ran
                try { SetSummary(_ending ?? "Stopped"); } catch (Exception) { /* the session may be gone */ }
                if (Checkpoint is RunJournal journal && _connection != null)
                {
                    var lease = _lease;
                    var limit = _connection.Timeout < _options.MaxFinish ? _connection.Timeout : _options.MaxFinish;
                    var finishing = engine.FinishInBackground(limit, () => { journal.Dispose(); lease?.Dispose(); });
                    RunJournal.Closing(journal, finishing);
                    _engine = null; _journal = null; _lease = null;
                }
                else
                {
                    engine.Abort();
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

        /// <summary>What the engine carries for a row besides its request: the input object and, for -IncludeInput,
        /// its properties.</summary>
        private sealed class RowInput
        {
            public RowInput(object input, List<InputProperty>? properties) { Input = input; Properties = properties; }
            public object Input { get; }
            public List<InputProperty>? Properties { get; }
        }
    }
}
