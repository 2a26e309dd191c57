using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Http;
using Leadspace.Journal;
using Leadspace.Model;
using Leadspace.Run;
using Leadspace.Resilience;

namespace Leadspace.Engine
{
    /// <summary>A row whose result is ready, with the input object it came from.</summary>
    internal sealed class CompletedRow
    {
        internal CompletedRow(object? input, EnrichmentResult result) { Input = input; Result = result; }
        public object? Input { get; }
        public EnrichmentResult Result { get; }
    }

    /// <summary>How an engine runs: its window, its journal (or answer store) and whether identical rows are sent once.</summary>
    internal sealed class EngineOptions
    {
        /// <summary>Rows held at once (the order window); memory is bounded by it, not by the input.</summary>
        public int WindowSize { get; set; } = 64;
        /// <summary>The run journal (-CheckpointPath), or a temporary answer store for in-run dedupe; null for neither.</summary>
        public IAnswerStore? Journal { get; set; }
        /// <summary>Rows whose canonical request is identical are sent once; the others reuse the answer.</summary>
        public bool Dedupe { get; set; }
        /// <summary>The connection's -MaxAmbiguousRetries: a request sent in an earlier run without an answer is
        /// resent only while its possible charges stay within it.</summary>
        public int MaxAmbiguousRetries { get; set; } = 1;
        /// <summary>The run's credit budget(s) (-MaxCredits and the connection's -CreditBudget), or null: a row is not
        /// admitted once it is spent, and each attempt reserves a credit of it (<see cref="CallContext.Budget"/>).</summary>
        public Budget.CreditBudget? Budget { get; set; }
    }

    /// <summary>
    /// The ordered window: rows are submitted in input order, their calls run concurrently (bounded by the
    /// window, paced by the client's rate gate), and results come back strictly in input order. The
    /// caller (the cmdlet's pipeline thread) is the only one that takes results out; nothing here touches
    /// PowerShell. Memory is bounded by the window, not by the input.
    /// Before a row is sent, the journal is asked for an earlier answer (replayed, no call) and for earlier sends
    /// that may have been charged (they count against -MaxAmbiguousRetries); a row identical to one already seen in
    /// this run reuses its answer. A fatal failure (<see cref="FailureTable"/>: 401 after renewal, 427, an
    /// unreachable server, an OAuth outage, an unwritable journal) stops every row not yet sent: they complete as NotSent.
    /// A spent credit budget is not fatal: each row it refuses (at admission, or when its credit is reserved right before
    /// the send) completes as NotSent with LeadspaceBudgetExhausted, and rows the journal or dedupe answer still are.
    /// </summary>
    internal sealed class EnrichmentEngine : IDisposable
    {
        private readonly IEnrichmentCaller _caller;
        private readonly EngineOptions _options;
        private readonly IAnswerStore? _journal;
        private readonly AdmissionPolicy _admission;
        private readonly Queue<Entry> _window = new Queue<Entry>();
        private readonly Dictionary<string, Task<EnrichmentResult>> _pendingByKey = new Dictionary<string, Task<EnrichmentResult>>(StringComparer.Ordinal);
        private readonly CancellationTokenSource _stopSending = new CancellationTokenSource();
        private readonly CancellationTokenSource _abort = new CancellationTokenSource();
        private EnrichmentResult? _fatal;
        private long _callsMade, _charged, _possible, _fromJournal, _duplicates, _resent, _notResent;

        public EnrichmentEngine(IEnrichmentCaller caller, int windowSize) : this(caller, new EngineOptions { WindowSize = windowSize }) { }

        public EnrichmentEngine(IEnrichmentCaller caller, EngineOptions options)
        {
            if (options.WindowSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "The window must hold at least one row.");
            _caller = caller;
            _options = options;
            _journal = options.Journal;
            if (options.Dedupe && _journal == null) throw new ArgumentException("In-run dedupe needs an answer store (a journal).", nameof(options));
            _admission = new AdmissionPolicy(_journal, options.Dedupe, options.MaxAmbiguousRetries, _pendingByKey.ContainsKey, options.Budget);
        }

        public int WindowSize => _options.WindowSize;
        public int Pending => _window.Count;
        public bool IsFull => _window.Count >= WindowSize;

        /// <summary>What the run's attempts say about the server (unreachable, timing out).</summary>
        public RunHealth Health { get; } = new RunHealth();

        /// <summary>The first result that stopped the run (a fatal failure), if any.</summary>
        public EnrichmentResult? Fatal => Volatile.Read(ref _fatal);

        public bool IsStopped => _stopSending.IsCancellationRequested;

        // ---- What the run cost (for the summary) ----
        /// <summary>Requests that went on the wire in this run (every attempt).</summary>
        public long CallsMade => Interlocked.Read(ref _callsMade);
        /// <summary>2xx answers of this run: credits spent as far as the client knows.</summary>
        public long CreditsCharged => Interlocked.Read(ref _charged);
        /// <summary>Sends of this run that may have been charged without an answer.</summary>
        public long PossibleCharges => Interlocked.Read(ref _possible);
        public long FromJournal => Interlocked.Read(ref _fromJournal);
        /// <summary>Rows answered from an identical row of this run: calls saved by dedupe.</summary>
        public long Duplicates => Interlocked.Read(ref _duplicates);
        /// <summary>Rows an earlier run sent without an answer (in flight when it ended) that this run resent.</summary>
        public long InterruptedResent => Interlocked.Read(ref _resent);
        /// <summary>Such rows not resent, because -MaxAmbiguousRetries was used up.</summary>
        public long InterruptedNotResent => Interlocked.Read(ref _notResent);

        /// <summary>Queues a row whose result is already known (invalid input, declined…).</summary>
        public void SubmitCompleted(object? input, EnrichmentResult result)
            => _window.Enqueue(new Entry(input, Task.FromResult(result), null, null));

        /// <summary>The admission decision for a row (<see cref="AdmissionPolicy"/>): the same code -WhatIf asks.</summary>
        /// <param name="request">The mapped request.</param>
        /// <param name="invalid">Why it is invalid, or null.</param>
        /// <param name="confirm">Asked only for a row that would be sent; false declines it.</param>
        internal Admission Admit(EnrichmentRequest request, string? invalid = null, Func<bool>? confirm = null)
            => _admission.Decide(request, invalid, _stopSending.IsCancellationRequested, confirm);

        /// <summary>Starts the row: from the journal, from an identical row, or with a call. The caller keeps the
        /// window bounded (see <see cref="IsFull"/>).</summary>
        public void Submit(long rowNumber, object? input, EnrichmentRequest request) => Submit(rowNumber, input, request, Admit(request));

        /// <summary>Queues the row as <paramref name="admission"/> (from <see cref="Admit"/>, just now) decided.</summary>
        internal void Submit(long rowNumber, object? input, EnrichmentRequest request, Admission admission)
        {
            var key = admission.Key;
            switch (admission.Kind)
            {
                case AdmissionKind.Invalid:
                    SubmitCompleted(input, ResultShaper.Failure(rowNumber, EnrichmentOutcome.Invalid, request.ExternalId, ErrorIds.InvalidInput,
                        "Invalid input, not sent (no credit spent): " + admission.Reason));
                    return;
                case AdmissionKind.Stopped:
                    var fatal = Fatal;
                    SubmitCompleted(input, fatal != null
                        ? NotSent(rowNumber, request, "Not sent: the run stopped at row " + fatal.RowNumber + " (" + FailureTable.For(fatal.Failure).ErrorId + "). No credit spent.")
                        : NotSent(rowNumber, request, "The run stopped before this row was sent."));
                    return;
                case AdmissionKind.Duplicate:
                    Interlocked.Increment(ref _duplicates);
                    _window.Enqueue(new Entry(input, DuplicateOf(_pendingByKey[key!], rowNumber, request), null, null));
                    return;
                case AdmissionKind.Answered:
                    var answer = admission.Answer!;
                    bool duplicate = answer.RecordedThisRun;
                    if (duplicate) Interlocked.Increment(ref _duplicates); else Interlocked.Increment(ref _fromJournal);
                    SubmitCompleted(input, Replay(rowNumber, request, answer, duplicate ? ResultSource.Duplicate : ResultSource.Journal));
                    return;
                case AdmissionKind.NotResent:
                    Interlocked.Increment(ref _notResent);
                    var semantics = FailureTable.For(FailureKind.InterruptedCall);
                    var failed = ResultShaper.Failure(rowNumber, EnrichmentOutcome.Failed, request.ExternalId, semantics.ErrorId,
                        $"Not resent: earlier runs sent this request {admission.Prior} time(s) without an answer (they ended while it was in flight, or it failed ambiguously), so it may already have been charged; -MaxAmbiguousRetries is {_admission.MaxAmbiguousRetries}.");
                    failed.Failure = FailureKind.InterruptedCall;
                    SubmitCompleted(input, failed);
                    return;
                case AdmissionKind.OverBudget:
                    SubmitCompleted(input, OverBudget(rowNumber, request, "Not sent: " + admission.Reason + " (no credit spent)."));
                    return;
                case AdmissionKind.Declined:
                    SubmitCompleted(input, ResultShaper.Failure(rowNumber, EnrichmentOutcome.NotSent, request.ExternalId, ErrorIds.Declined,
                        "Declined at the confirmation prompt; not sent."));
                    return;
            }
            int prior = admission.Prior;
            if (prior > 0) Interlocked.Increment(ref _resent);
            var row = new RowState();
            // On the thread pool: the call never runs on (or needs) the pipeline thread, whatever the host's
            // synchronization context.
            var task = Task.Run(() => RunAsync(rowNumber, request, key, prior, row));
            if (key != null && _options.Dedupe) _pendingByKey[key] = task;
            _window.Enqueue(new Entry(input, task, key, row));
        }

        private static async Task<EnrichmentResult> DuplicateOf(Task<EnrichmentResult> first, long rowNumber, EnrichmentRequest request)
        {
            var result = await first.ConfigureAwait(false);
            // The same answer (or failure) as the identical row; a row that was never sent stays without a source.
            return result.CopyFor(rowNumber, request.ExternalId, result.Source == ResultSource.None ? ResultSource.None : ResultSource.Duplicate);
        }

        /// <summary>An answer recorded by an earlier run (or earlier in this one), shaped exactly as a call's would be.</summary>
        internal static EnrichmentResult Replay(long rowNumber, EnrichmentRequest request, JournalAnswer answer, string source)
        {
            EnrichmentResult result;
            if (answer.Body != null)
            {
                try
                {
                    var call = new CallResult { Response = answer.Response ?? EnrichmentResponse.Parse(answer.Body), HttpStatus = answer.HttpStatus, Attempts = answer.Attempts, Sent = true };
                    result = Shape(rowNumber, request, call);
                }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    result = InvalidAnswer(rowNumber, request, answer, "the recorded answer could not be read: " + ex.Message);
                }
            }
            else
            {
                result = InvalidAnswer(rowNumber, request, answer, answer.Message ?? "the body could not be read");
            }
            result.ExternalId = request.ExternalId; // the row's own id, not the one the answer echoed for another row
            result.ResponseExternalId = null;
            result.Source = source;
            return result;
        }

        private static EnrichmentResult InvalidAnswer(long rowNumber, EnrichmentRequest request, JournalAnswer answer, string why)
        {
            var failed = ResultShaper.Failure(rowNumber, EnrichmentOutcome.Failed, request.ExternalId, ErrorIds.InvalidResponse,
                $"HTTP {answer.HttpStatus} at {answer.At:u} (the credit is spent), but {why}. Not resent.", answer.HttpStatus, null, answer.Attempts);
            failed.Failure = FailureKind.InvalidResponse;
            return failed;
        }

        private async Task<EnrichmentResult> RunAsync(long rowNumber, EnrichmentRequest request, string? key, int prior, RowState row)
        {
            CallResult call;
            var journal = _journal;
            try
            {
                var context = new CallContext
                {
                    StopSending = _stopSending.Token,
                    Abort = _abort.Token,
                    Health = Health,
                    PriorPossibleCharges = prior,
                    Budget = _options.Budget,
                    BeforeSend = () =>
                    {
                        if (key != null && journal != null && journal.Durable) journal.RecordSent(key); // write-ahead
                        Interlocked.Increment(ref row.Sends);
                        Interlocked.Increment(ref _callsMade);
                    },
                };
                call = await _caller.EnrichAsync(request, context).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                call = new CallResult { Failure = FailureKind.Unexpected, Message = "Unexpected error: " + ex.Message, Sent = true };
            }
            if (call.Charged) Interlocked.Increment(ref _charged);
            Interlocked.Add(ref _possible, Math.Max(0, call.PossibleCharges - prior));
            var result = Shape(rowNumber, request, call);
            result.Source = call.Sent || call.Charged ? ResultSource.Api : ResultSource.None;

            if (key != null && journal != null && (call.Sent || call.Charged))
            {
                try
                {
                    if (call.Charged) journal.RecordDone(key, call.HttpStatus!.Value, call.Attempts, call.Response?.Json, call.Message);
                    else journal.RecordFailed(key, call.PossibleCharges);
                }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    // The answer is kept and output, but nothing more can be journaled: stop before the next paid call.
                    var stop = ResultShaper.Failure(rowNumber, EnrichmentOutcome.NotSent, request.ExternalId, ErrorIds.CheckpointFailed,
                        $"The run journal could not be written after row {rowNumber} was answered: {ex.Message}");
                    stop.Failure = FailureKind.CheckpointFailed;
                    SetFatal(stop);
                }
            }
            if (FailureTable.IsFatal(call.Failure)) SetFatal(result);
            return result;
        }

        private void SetFatal(EnrichmentResult result)
        {
            Interlocked.CompareExchange(ref _fatal, result, null);
            try { _stopSending.Cancel(); } catch (ObjectDisposedException) { }
        }

        internal static EnrichmentResult Shape(long rowNumber, EnrichmentRequest request, CallResult call)
        {
            if (call.Failure == FailureKind.None && call.Response != null)
            {
                return ResultShaper.FromResponse(rowNumber, call.Response, call.HttpStatus ?? 200, call.Attempts, request.ExternalId);
            }
            if (!call.Sent && call.Failure == FailureKind.BudgetExhausted)
            {
                // The budget refused the credit when the call was about to go out: nothing sent, free to send later.
                return OverBudget(rowNumber, request, call.Message ?? "Not sent: the credit budget is spent (no credit spent).");
            }
            if (!call.Sent && (call.Failure == FailureKind.None || call.Stopped || FailureTable.IsFatal(call.Failure)))
            {
                // Never on the wire: the run stopped first, or this very call found the run dead. Free to resend.
                var notSent = NotSent(rowNumber, request, call.Failure == FailureKind.None || call.Stopped
                    ? call.Message ?? "Not sent."
                    : call.Message + " (not sent; no credit spent)");
                notSent.Failure = call.Failure;
                return notSent;
            }
            var message = call.Message ?? "The call failed.";
            if (!call.Sent) message += " (nothing was sent; no credit spent)";
            var failed = ResultShaper.Failure(rowNumber, EnrichmentOutcome.Failed, request.ExternalId, ErrorIds.For(call.Failure),
                message, call.HttpStatus, call.TrackingId, call.Attempts);
            failed.Failure = call.Failure;
            return failed;
        }

        private static EnrichmentResult NotSent(long rowNumber, EnrichmentRequest request, string message)
        {
            return ResultShaper.Failure(rowNumber, EnrichmentOutcome.NotSent, request.ExternalId, ErrorIds.NotSent, message);
        }

        /// <summary>A row not sent because the credit budget is spent: NotSent, LeadspaceBudgetExhausted.</summary>
        private static EnrichmentResult OverBudget(long rowNumber, EnrichmentRequest request, string message)
        {
            var result = ResultShaper.Failure(rowNumber, EnrichmentOutcome.NotSent, request.ExternalId, ErrorIds.BudgetExhausted, message);
            result.Failure = FailureKind.BudgetExhausted;
            return result;
        }

        /// <summary>Results at the head of the window that are complete, in input order; does not block.</summary>
        public IEnumerable<CompletedRow> TakeReady()
        {
            while (_window.Count > 0 && _window.Peek().Task.IsCompleted)
            {
                yield return Dequeue();
            }
        }

        /// <summary>Blocks until the oldest row is complete and returns it. Throws OperationCanceledException
        /// when <paramref name="cancellationToken"/> fires first.</summary>
        public CompletedRow TakeNext(CancellationToken cancellationToken)
        {
            var e = _window.Peek();
            try
            {
                e.Task.Wait(cancellationToken);
            }
            catch (AggregateException) { /* the task never faults: RunAsync catches everything */ }
            return Dequeue();
        }

        private CompletedRow Dequeue()
        {
            var e = _window.Dequeue();
            // A later identical row now finds the answer in the store rather than in the window.
            if (e.Key != null && _pendingByKey.TryGetValue(e.Key, out var task) && ReferenceEquals(task, e.Task)) _pendingByKey.Remove(e.Key);
            return new CompletedRow(e.Input, e.Task.GetAwaiter().GetResult());
        }

        /// <summary>Paid calls whose results will not be output if the run ends now: answers already charged that
        /// wait in the window, and calls on the wire.</summary>
        public int PaidCallsInWindow()
        {
            int n = 0;
            foreach (var e in _window)
            {
                if (e.Row == null) continue;
                if (e.Task.IsCompleted)
                {
                    var r = e.Task.GetAwaiter().GetResult();
                    if (r.Source == ResultSource.Api && r.HttpStatus >= 200 && r.HttpStatus < 300) n++;
                }
                else if (Volatile.Read(ref e.Row.Sends) > 0)
                {
                    n++;
                }
            }
            return n;
        }

        /// <summary>Stops sending: rows not yet on the wire complete as NotSent.</summary>
        public void StopSending()
        {
            try { _stopSending.Cancel(); } catch (ObjectDisposedException) { }
        }

        /// <summary>
        /// The pipeline stopped early and there is a journal: stops sending at once and lets the calls already on the
        /// wire finish in the background (for at most <paramref name="limit"/>), so that their answers, which are
        /// paid for, go into the journal for the next run; then disposes the engine and runs <paramref name="after"/>
        /// (close the journal, release the connection). Returns at once: Ctrl+C stays immediate.
        /// </summary>
        public Task FinishInBackground(TimeSpan limit, Action after)
        {
            StopSending();
            var calls = _window.Where(e => e.Row != null && !e.Task.IsCompleted).Select(e => (Task)e.Task).ToArray();
            return Task.Run(async () =>
            {
                try
                {
                    if (calls.Length > 0) await Task.WhenAny(Task.WhenAll(calls), Task.Delay(limit)).ConfigureAwait(false);
                }
                finally
                {
                    Dispose();
                    after();
                }
            });
        }
        /// <summary>Ctrl+C: cancels everything, including calls in flight.</summary>
        public void Abort()
        {
            try { _stopSending.Cancel(); _abort.Cancel(); } catch (ObjectDisposedException) { }
        }

        /// <summary>Cancels what is left and waits (briefly) for the background calls to end.</summary>
        public void Dispose()
        {
            Abort();
            var tasks = new List<Task>();
            foreach (var e in _window) tasks.Add(e.Task);
            try { Task.WaitAll(tasks.ToArray(), TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
            _window.Clear();
            _stopSending.Dispose();
            _abort.Dispose();
        }

        /// <summary>What the background call of a row has done so far (read by the pipeline thread).</summary>
        private sealed class RowState
        {
            public int Sends;
        }

        private readonly struct Entry
        {
            public Entry(object? input, Task<EnrichmentResult> task, string? key, RowState? row) { Input = input; Task = task; Key = key; Row = row; }
            public object? Input { get; }
            public Task<EnrichmentResult> Task { get; }
            public string? Key { get; }
            public RowState? Row { get; }
        }
    }
}
