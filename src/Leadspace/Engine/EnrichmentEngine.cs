using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Client;
using Leadspace.Model;

namespace Leadspace.Engine
{
    /// <summary>A row whose result is ready, with the input object it came from.</summary>
    public sealed class CompletedRow
    {
        internal CompletedRow(object? input, EnrichmentResult result) { Input = input; Result = result; }
        public object? Input { get; }
        public EnrichmentResult Result { get; }
    }

    /// <summary>
    /// The ordered window: rows are submitted in input order, their calls run concurrently (bounded by the
    /// window, paced by the client's rate gate), and results come back strictly in input order. The
    /// caller (the cmdlet's pipeline thread) is the only one that takes results out; nothing here touches
    /// PowerShell. Memory is bounded by the window, not by the input.
    /// A fatal failure (<see cref="FailureTable"/>: 401 after renewal, 427, an unreachable server, an OAuth
    /// outage, an unwritable journal) stops every row not yet sent: they complete as NotSent.
    /// </summary>
    public sealed class EnrichmentEngine : IDisposable
    {
        private readonly IEnrichmentCaller _caller;
        private readonly Queue<Entry> _window = new Queue<Entry>();
        private readonly CancellationTokenSource _stopSending = new CancellationTokenSource();
        private readonly CancellationTokenSource _abort = new CancellationTokenSource();
        private EnrichmentResult? _fatal;

        public EnrichmentEngine(IEnrichmentCaller caller, int windowSize)
        {
            if (windowSize < 1) throw new ArgumentOutOfRangeException(nameof(windowSize));
            _caller = caller;
            WindowSize = windowSize;
        }

        public int WindowSize { get; }

        /// <summary>What the run's attempts say about the server (unreachable, timing out).</summary>
        public RunHealth Health { get; } = new RunHealth();
        public int Pending => _window.Count;
        public bool IsFull => _window.Count >= WindowSize;

        /// <summary>The first result that stopped the run (a fatal failure), if any.</summary>
        public EnrichmentResult? Fatal => Volatile.Read(ref _fatal);

        public bool IsStopped => _stopSending.IsCancellationRequested;

        /// <summary>Queues a row whose result is already known (invalid input, declined, duplicate…).</summary>
        public void SubmitCompleted(object? input, EnrichmentResult result)
            => _window.Enqueue(new Entry(input, Task.FromResult(result)));

        /// <summary>Starts the call for a row. The caller keeps the window bounded (see <see cref="IsFull"/>).</summary>
        public void Submit(long rowNumber, object? input, EnrichmentRequest request)
        {
            Task<EnrichmentResult> task;
            if (_stopSending.IsCancellationRequested)
            {
                task = Task.FromResult(NotSent(rowNumber, request, "The run stopped before this row was sent."));
            }
            else
            {
                // On the thread pool: the call never runs on (or needs) the pipeline thread, whatever the host's
                // synchronization context.
                task = Task.Run(() => RunAsync(rowNumber, request));
            }
            _window.Enqueue(new Entry(input, task));
        }

        private async Task<EnrichmentResult> RunAsync(long rowNumber, EnrichmentRequest request)
        {
            CallResult call;
            try
            {
                var context = new CallContext { StopSending = _stopSending.Token, Abort = _abort.Token, Health = Health };
                call = await _caller.EnrichAsync(request, context).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                call = new CallResult { Failure = FailureKind.Unexpected, Message = "Unexpected error: " + ex.Message, Sent = true };
            }
            var result = Shape(rowNumber, request, call);
            if (FailureTable.IsFatal(call.Failure))
            {
                Interlocked.CompareExchange(ref _fatal, result, null);
                try { _stopSending.Cancel(); } catch (ObjectDisposedException) { }
            }
            return result;
        }

        internal static EnrichmentResult Shape(long rowNumber, EnrichmentRequest request, CallResult call)
        {
            if (call.Failure == FailureKind.None && call.Response != null)
            {
                return ResultShaper.FromResponse(rowNumber, call.Response, call.HttpStatus ?? 200, call.Attempts, request.ExternalId);
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

        /// <summary>Results at the head of the window that are complete, in input order; does not block.</summary>
        public IEnumerable<CompletedRow> TakeReady()
        {
            while (_window.Count > 0 && _window.Peek().Task.IsCompleted)
            {
                var e = _window.Dequeue();
                yield return new CompletedRow(e.Input, e.Task.GetAwaiter().GetResult());
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
            _window.Dequeue();
            return new CompletedRow(e.Input, e.Task.GetAwaiter().GetResult());
        }

        /// <summary>Stops sending: rows not yet on the wire complete as NotSent.</summary>
        public void StopSending()
        {
            try { _stopSending.Cancel(); } catch (ObjectDisposedException) { }
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

        private readonly struct Entry
        {
            public Entry(object? input, Task<EnrichmentResult> task) { Input = input; Task = task; }
            public object? Input { get; }
            public Task<EnrichmentResult> Task { get; }
        }
    }
}
