using Leadspace.Engine;
using Leadspace.Http;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.Resilience;
using Xunit;

namespace Leadspace.Tests;

public class EngineTests
{
    private sealed class FakeCaller : IEnrichmentCaller
    {
        private readonly Func<EnrichmentRequest, CancellationToken, CancellationToken, Task<CallResult>> _call;
        public int Calls;
        public int InFlight, PeakInFlight;
        public FakeCaller(Func<EnrichmentRequest, CancellationToken, CancellationToken, Task<CallResult>> call) { _call = call; }
        public async Task<CallResult> EnrichAsync(EnrichmentRequest request, CallContext context)
        {
            Interlocked.Increment(ref Calls);
            var now = Interlocked.Increment(ref InFlight);
            lock (this) PeakInFlight = Math.Max(PeakInFlight, now);
            try { return await _call(request, context.StopSending, context.Abort); }
            finally { Interlocked.Decrement(ref InFlight); }
        }
    }

    private static EnrichmentRequest Row(int i)
    {
        var r = new EnrichmentRequest();
        r.Set(RequestField.CompanyName, "Company " + i);
        r.Set(RequestField.ExternalId, i.ToString());
        return r;
    }

    private static CallResult Ok(EnrichmentRequest r) => new()
    {
        Sent = true, Attempts = 1, HttpStatus = 200,
        Response = EnrichmentResponse.Parse(
            "{\"status\":\"success\",\"external_id\":\"" + r.ExternalId + "\",\"data\":{\"enrichment_status\":\"Company Enriched\",\"company\":{\"name\":\"" + r.Get(RequestField.CompanyName) + "\"}}}"),
    };

    /// <summary>Drives the engine as the cmdlet does: submit, keep the window bounded, drain in order.</summary>
    private static List<CompletedRow> Run(EnrichmentEngine engine, int rows, Func<int, bool>? invalid = null)
    {
        var output = new List<CompletedRow>();
        for (int i = 1; i <= rows; i++)
        {
            if (invalid?.Invoke(i) == true)
            {
                engine.SubmitCompleted(i, ResultShaper.Failure(i, EnrichmentOutcome.Invalid, i.ToString(), ErrorIds.InvalidInput, "bad"));
            }
            else
            {
                while (engine.IsFull) output.Add(engine.TakeNext(default));
                engine.Submit(i, i, Row(i));
            }
            output.AddRange(engine.TakeReady());
        }
        while (engine.Pending > 0) output.Add(engine.TakeNext(default));
        return output;
    }

    [Fact]
    public void PreservesInputOrderUnderRandomLatencies()
    {
        var random = new Random(42);
        var caller = new FakeCaller(async (r, _, abort) =>
        {
            int delay; lock (random) delay = random.Next(0, 30);
            await Task.Delay(delay, abort);
            return Ok(r);
        });
        using var engine = new EnrichmentEngine(caller, 16);
        var output = Run(engine, 300, i => i % 17 == 0);
        Assert.Equal(Enumerable.Range(1, 300), output.Select(o => (int)o.Result.RowNumber));
        Assert.Equal(Enumerable.Range(1, 300), output.Select(o => (int)o.Input!));
        Assert.All(output.Where(o => (int)o.Input! % 17 != 0), o => Assert.Equal("Company " + o.Input, o.Result.CompanyName));
        Assert.Equal(300 - 300 / 17, caller.Calls);
        Assert.True(caller.PeakInFlight <= 16);
        Assert.True(caller.PeakInFlight > 1, "calls ran concurrently");
    }

    [Fact]
    public void AFatalAnswerStopsSendingAndEveryRowStillGetsAResult()
    {
        int sent = 0;
        var caller = new FakeCaller(async (r, stop, _) =>
        {
            await Task.Delay(5);
            if (stop.IsCancellationRequested) return new CallResult { Sent = false, Stopped = true, Message = "stopped" };
            var n = Interlocked.Increment(ref sent);
            if (n == 10) return new CallResult { Sent = true, Attempts = 1, HttpStatus = 427, Failure = FailureKind.CreditsExhausted, Message = "HTTP 427" };
            return Ok(r);
        });
        using var engine = new EnrichmentEngine(caller, 8);
        var output = new List<CompletedRow>();
        for (int i = 1; i <= 100 && engine.Fatal == null; i++)
        {
            while (engine.IsFull) output.Add(engine.TakeNext(default));
            engine.Submit(i, i, Row(i));
            output.AddRange(engine.TakeReady());
        }
        while (engine.Pending > 0) output.Add(engine.TakeNext(default));

        Assert.NotNull(engine.Fatal);
        Assert.Equal(FailureKind.CreditsExhausted, engine.Fatal!.Failure);
        Assert.Equal(Enumerable.Range(1, output.Count), output.Select(o => (int)o.Result.RowNumber));
        Assert.Single(output, o => o.Result.Status == EnrichmentOutcome.Failed);
        // After the 427, at most the rows already in the window (8) were still being sent, plus at most another window
        // submitted before the fatal answer was visible to the submitting loop: never the rest of the 100.
        Assert.True(sent <= 10 + 2 * 8, $"{sent} rows were sent: rows kept being sent after the 427");
        Assert.All(output.Where(o => o.Result.Status == EnrichmentOutcome.NotSent), o => Assert.Equal(ErrorIds.NotSent, o.Result.ErrorId));
    }

    [Fact]
    public void AbortReachesEveryCallInFlightAndLeavesNothingRunning()
    {
        int aborted = 0;
        var caller = new FakeCaller(async (r, _, abort) =>
        {
            try { await Task.Delay(30000, abort); }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref aborted);
                return new CallResult { Sent = true, Stopped = true, Failure = FailureKind.ConnectionLost, Message = "stopped" };
            }
            return Ok(r);
        });
        var engine = new EnrichmentEngine(caller, 10);
        for (int i = 1; i <= 10; i++) engine.Submit(i, i, Row(i));
        using var cts = new CancellationTokenSource();
        cts.Cancel(); // the pipeline's stop token: TakeNext gives up at once instead of waiting on the oldest row
        Assert.ThrowsAny<OperationCanceledException>(() => engine.TakeNext(cts.Token));
        engine.Abort();
        engine.Dispose(); // waits for the calls, which end as soon as they see the abort
        Assert.Equal(0, caller.InFlight);
        Assert.Equal(10, aborted);
    }
}
