using Leadspace.Budget;
using Leadspace.Http;
using Leadspace.Resilience;
using Leadspace.Commands;
using Leadspace.Engine;
using Leadspace.Journal;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.Run;
using Xunit;

namespace Leadspace.Tests;

/// <summary>
/// The run object driven as the cmdlet drives it, with a fake caller and an output that records what PowerShell would
/// be told: early stops with and without a journal, the -ErrorAction Stop drain, the fatal stop, and -WhatIf, which
/// must predict exactly the credits the same input costs in a real run on the same journal.
/// </summary>
public class RunTests : IDisposable
{
    private const string Service = "https://api.example.test";
    private static readonly string[] Keys = { Service + "|program:prog-1" };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "leadspace-run-" + Guid.NewGuid().ToString("N"));

    public RunTests() => Directory.CreateDirectory(_dir);
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Stands in for PowerShell stopping the pipeline (PipelineStoppedException, ActionPreferenceStopException).</summary>
    private sealed class PipelineStopping : Exception { }

    private sealed class RecordingOutput : IRunOutput
    {
        private readonly int _thread = Environment.CurrentManagedThreadId;
        public readonly List<EnrichmentResult> Rows = new();
        public readonly List<EnrichmentResult> Errors = new();
        public readonly List<string> Warnings = new(), Verbosed = new(), Confirmed = new();
        public RunSummary? Summarized;
        public int SummariesSet;
        public bool OtherThread;
        /// <summary>Row output throws (Select-Object -First) once this many rows went out.</summary>
        public int StopAfterRows = int.MaxValue;
        /// <summary>A row's error throws (-ErrorAction Stop).</summary>
        public bool StopOnError;
        /// <summary>The answer at the -Confirm prompt.</summary>
        public bool Answer = true;

        private void Check() { if (Environment.CurrentManagedThreadId != _thread) OtherThread = true; }

        public void Row(OutputRow row)
        {
            Check();
            Rows.Add(row.Result);
            if (Rows.Count >= StopAfterRows) throw new PipelineStopping();
        }

        public void RowError(EnrichmentResult result, object input)
        {
            Check();
            Errors.Add(result);
            if (StopOnError) throw new PipelineStopping();
        }

        public void Warning(string message) { Check(); Warnings.Add(message); }
        public void Verbose(string message) { Check(); Verbosed.Add(message); }
        public bool Stopping => false;
        public void Debug(string message) => Check();
        public void Progress(ProgressUpdate update) => Check();
        public void ProgressDone() => Check();
        public bool Confirm(string target, string action) { Check(); Confirmed.Add(target); return Answer; }
        public void Summary(RunSummary summary) { Check(); Summarized = summary; SummariesSet++; }
    }

    /// <summary>Answers every request (after <see cref="Delay"/>), counting sends and charged answers.</summary>
    private sealed class FakeCaller : IEnrichmentCaller
    {
        public int Sends, Charged, Answered;
        public TimeSpan Delay = TimeSpan.Zero;
        public Func<EnrichmentRequest, CallResult?>? Override;

        public async Task<CallResult> EnrichAsync(EnrichmentRequest request, CallContext context)
        {
            // As the client does: a run that stopped sending sends nothing more.
            if (context.StopSending.IsCancellationRequested) return new CallResult { Stopped = true, Message = "The run stopped before this row was sent." };
            // As the client does: a credit of the run's budget before the send, settled by the answer.
            Budget.CreditReservation? credit = null;
            if (context.Budget != null)
            {
                var answer = await context.Budget.ReserveAsync(context.StopSending);
                if (!answer.Granted) return new CallResult { Failure = FailureKind.BudgetExhausted, Message = "Not sent: " + answer.Message + " (no credit spent)." };
                credit = answer.Reservation;
            }
            CallResult? result = null;
            try { return result = await SendAsync(request, context); }
            finally { credit?.Settle(result?.Charged == true ? Budget.CreditSettlement.Charged : Budget.CreditSettlement.NotCharged); }
        }

        private async Task<CallResult> SendAsync(EnrichmentRequest request, CallContext context)
        {
            context.BeforeSend?.Invoke();
            Interlocked.Increment(ref Sends);
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay, context.Abort); else await Task.Yield();
            var special = Override?.Invoke(request);
            Interlocked.Increment(ref Answered);
            if (special != null) return special;
            Interlocked.Increment(ref Charged);
            var json = "{\"status\":\"success\",\"data\":{\"enrichment_status\":\"Company Enriched\",\"company\":{\"name\":\"" + request.Get(RequestField.CompanyName) + "\"}}}";
            return new CallResult { Sent = true, Attempts = 1, HttpStatus = 200, Response = EnrichmentResponse.Parse(json) };
        }
    }

    private static RunConnection Connection(IEnrichmentCaller caller, int maxAmbiguous = 1) => new(caller)
    {
        Id = 1, ProgramId = "prog-1", Service = Service, ProgramKeys = Keys, MaxConcurrency = 4,
        MaxAmbiguousRetries = maxAmbiguous, Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>An input row: a company (null: invalid) and an id.</summary>
    private static List<InputProperty> Row(string? company, string id)
    {
        var row = new List<InputProperty> { new("Lead ID", id) };
        if (company != null) row.Add(new InputProperty("Company", company));
        return row;
    }

    private static IEnumerable<List<InputProperty>> Rows(int count, string prefix = "Company") => Enumerable.Range(1, count).Select(i => Row($"{prefix} {i}", "r" + i));

    /// <summary>A whole run: Begin, every row, End (its terminating error returned), Dispose.</summary>
    private static (RecordingOutput Output, Exception? Ended) Execute(RunOptions options, RunConnection? connection, IEnumerable<List<InputProperty>> rows, RecordingOutput? output = null)
    {
        output ??= new RecordingOutput();
        Exception? ended = null;
        using (var run = new EnrichmentRun(options, connection, output))
        {
            try
            {
                run.Begin();
                foreach (var row in rows) run.Add(row, row);
                run.End();
            }
            catch (Exception ex) { ended = ex; }
        }
        return (output, ended);
    }

    // ---- Early stop ----

    [Fact]
    public void AnEarlyStopWithoutAJournalAbortsTheCallsOnTheWireAndSaysWhatItDiscarded()
    {
        var caller = new FakeCaller { Delay = TimeSpan.FromMilliseconds(300) };
        var output = new RecordingOutput { StopAfterRows = 1 };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (_, ended) = Execute(new RunOptions(), Connection(caller), Rows(12), output);
        watch.Stop();

        Assert.IsType<PipelineStopping>(ended);
        Assert.Single(output.Rows);
        Assert.Contains(output.Warnings, v => v.StartsWith("The run stopped early (a command after it stopped the pipeline") && v.Contains("1 row(s) output") && v.Contains("paid call(s) were discarded") && v.Contains("-CheckpointPath"));
        Assert.Equal(1, output.SummariesSet);
        Assert.Equal("Stopped downstream", output.Summarized!.Ending);
        Assert.Equal(1, output.Summarized.RowsOut);
        Assert.Equal(12, output.Summarized.RowsIn);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.False(output.OtherThread);
    }

    [Fact]
    public void AnEarlyStopWithAJournalLetsTheCallsOnTheWireAnswerIntoItAndTheRerunPaysNothingForThem()
    {
        var path = Path.Combine(_dir, "early.jsonl");
        var caller = new FakeCaller { Delay = TimeSpan.FromMilliseconds(200) };
        var output = new RecordingOutput { StopAfterRows = 1 };
        var (_, ended) = Execute(new RunOptions { CheckpointPath = path }, Connection(caller), Rows(10), output);

        Assert.IsType<PipelineStopping>(ended);
        Assert.Contains(output.Warnings, v => v.StartsWith("The run stopped early") && v.Contains("paid call(s) not output go into the journal"));
        Assert.Equal("Stopped downstream", output.Summarized!.Ending);
        Assert.Equal(path, output.Summarized.CheckpointPath);

        // The same input again: the journal opens once the background finish is done, and every call the first run
        // made (answered after it stopped) is replayed.
        var rerun = new FakeCaller();
        var (again, error) = Execute(new RunOptions { CheckpointPath = path }, Connection(rerun), Rows(10));
        Assert.Null(error);
        int sentFirst = caller.Sends; // final: the rerun opened the journal only after the first run's calls ended
        Assert.True(sentFirst > 1, $"{sentFirst} call(s) were on the wire");
        Assert.Equal(10, again.Rows.Count);
        Assert.Equal(10 - sentFirst, rerun.Sends);
        Assert.Equal(sentFirst, again.Rows.Count(r => r.Source == ResultSource.Journal));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), again.Rows.Select(r => r.RowNumber));
    }

    // ---- -ErrorAction Stop ----

    [Fact]
    public void WithErrorActionStopAnInvalidRowIsOutputBeforeAnotherPaidCallGoesOut()
    {
        var caller = new FakeCaller { Delay = TimeSpan.FromMilliseconds(200) };
        var output = new RecordingOutput { StopOnError = true };
        var rows = new[] { Row("Company 1", "r1"), Row(null, "r2"), Row("Company 3", "r3") };
        var (_, ended) = Execute(new RunOptions { StopOnError = true }, Connection(caller), rows, output);

        Assert.IsType<PipelineStopping>(ended);
        // Row 1 (slow) was waited for and output, then row 2's error stopped the run: row 3 was never sent.
        Assert.Equal(new long[] { 1, 2 }, output.Rows.Select(r => r.RowNumber));
        var error = Assert.Single(output.Errors);
        Assert.Equal(ErrorIds.InvalidInput, error.ErrorId);
        Assert.Equal(1, caller.Sends);
        Assert.Equal(ErrorIds.InvalidInput, output.Summarized!.Ending);
    }

    [Fact]
    public void WithoutErrorActionStopAnInvalidRowWaitsForItsTurn()
    {
        var caller = new FakeCaller { Delay = TimeSpan.FromMilliseconds(200) };
        var output = new RecordingOutput();
        var rows = new[] { Row("Company 1", "r1"), Row(null, "r2"), Row("Company 3", "r3") };
        var (_, ended) = Execute(new RunOptions(), Connection(caller), rows, output);

        Assert.Null(ended);
        Assert.Equal(new long[] { 1, 2, 3 }, output.Rows.Select(r => r.RowNumber));
        Assert.Equal(2, caller.Sends);
        Assert.Equal("Completed", output.Summarized!.Ending);
    }

    // ---- Fatal stop ----

    [Fact]
    public void AFatalAnswerStopsSendingOutputsEveryRowAndEndsWithTheTerminatingError()
    {
        var caller = new FakeCaller
        {
            Override = r => r.Get(RequestField.CompanyName) == "Company 3"
                ? new CallResult { Sent = true, Attempts = 1, HttpStatus = 427, Failure = FailureKind.CreditsExhausted, Message = "427 insufficient credits" }
                : null,
        };
        var output = new RecordingOutput();
        var stopped = Assert.IsType<LeadspaceRunStoppedException>(Execute(new RunOptions(), Connection(caller), Slowly(Rows(10), after: 3, caller), output).Ended);

        Assert.Equal(ErrorIds.CreditsExhausted, stopped.ErrorId);
        Assert.Equal(3, stopped.FatalRow.RowNumber);
        Assert.Contains("on row 3", stopped.Message);
        Assert.Same(FailureTable.For(FailureKind.CreditsExhausted).Error, stopped.Error);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), output.Rows.Select(r => r.RowNumber));
        Assert.Equal(3, caller.Sends);
        Assert.All(output.Rows.Skip(3), r => Assert.Equal(EnrichmentOutcome.NotSent, r.Status));
        Assert.All(output.Rows.Skip(3), r => Assert.Contains("the run stopped at row 3", r.Message));
        Assert.Equal(8, output.Errors.Count); // row 3 and the seven rows never sent
        Assert.Equal(ErrorIds.CreditsExhausted, output.Summarized!.Ending);
        Assert.False(output.OtherThread);
    }

    /// <summary>The rows, one at a time for the first <paramref name="after"/>: each is given once the calls before it
    /// have answered (and, after the last of them, once the engine has had time to read the answers).</summary>
    private static IEnumerable<List<InputProperty>> Slowly(IEnumerable<List<InputProperty>> rows, int after, FakeCaller caller)
    {
        int n = 0;
        foreach (var row in rows)
        {
            if (n > 0 && n <= after)
            {
                Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref caller.Answered) >= n, TimeSpan.FromSeconds(10)));
                if (n == after) Thread.Sleep(300);
            }
            n++;
            yield return row;
        }
    }

    // ---- -WhatIf predicts what the run charges ----

    private long Predict(string? journal, IEnumerable<List<InputProperty>> rows, int maxAmbiguous = 1)
    {
        var output = new RecordingOutput { Answer = false }; // ShouldProcess under -WhatIf answers false
        long wouldSend = -1;
        using (var run = new EnrichmentRun(new RunOptions { WhatIf = true, CheckpointPath = journal }, Connection(new FakeCaller(), maxAmbiguous), output))
        {
            run.Begin();
            foreach (var row in rows) run.Add(row, row);
            run.End();
            wouldSend = run.Tally.WouldSend;
            Assert.Equal($"Enrich through Leadspace, spending up to {wouldSend} credit(s) in {wouldSend} call(s)", run.Tally.WhatIfAction());
        }
        Assert.Contains(output.Confirmed, c => c.Contains(wouldSend + " to send"));
        return wouldSend;
    }

    private static long Charge(string? journal, IEnumerable<List<InputProperty>> rows, int maxAmbiguous = 1)
    {
        var caller = new FakeCaller();
        var (output, ended) = Execute(new RunOptions { CheckpointPath = journal }, Connection(caller, maxAmbiguous), rows);
        Assert.Null(ended);
        Assert.Equal(caller.Charged, output.Summarized!.CreditsCharged);
        return caller.Charged;
    }

    private static List<List<InputProperty>> Mixed()
    {
        // 20 distinct rows, 3 invalid ones, and 5 repeats of earlier rows (another id, the same request).
        var rows = Rows(20).ToList();
        rows.Insert(4, Row(null, "bad-1"));
        rows.Insert(9, Row(null, "bad-2"));
        rows.Add(Row(null, "bad-3"));
        for (int i = 1; i <= 5; i++) rows.Add(Row("Company " + (i * 3), "again-" + i));
        return rows;
    }

    [Fact]
    public void WhatIfPredictsTheCreditsOfPlainInput()
    {
        var rows = Rows(25).ToList();
        Assert.Equal(25, Predict(null, rows));
        Assert.Equal(25, Charge(null, rows));
    }

    [Fact]
    public void WhatIfPredictsTheCreditsOfInputWithDuplicatesAndInvalidRows()
    {
        var rows = Mixed();
        long predicted = Predict(null, rows);
        Assert.Equal(20, predicted);
        Assert.Equal(predicted, Charge(null, rows));
    }

    [Fact]
    public void WhatIfPredictsTheCreditsOfAFinishedJournalAndOfOneHalfDone()
    {
        var path = Path.Combine(_dir, "finished.jsonl");
        var rows = Mixed();
        Assert.Equal(Predict(path, rows), Charge(path, rows)); // no file yet: like no journal
        Assert.Equal(0, Predict(path, rows));
        Assert.Equal(0, Charge(path, rows));

        var more = rows.Concat(Rows(30, "Company").Skip(20)).Concat(Rows(5, "Other")).ToList();
        long predicted = Predict(path, more);
        Assert.Equal(15, predicted);
        Assert.Equal(predicted, Charge(path, more));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void WhatIfPredictsTheCreditsOfAJournalWithRowsInFlight(int maxAmbiguous)
    {
        var path = Path.Combine(_dir, $"inflight-{maxAmbiguous}.jsonl");
        var rows = Mixed();
        // An earlier run answered rows 1-8 (of the distinct ones), then was killed with four more on the wire (their
        // write-ahead 'sent' records without an answer), one of them already sent twice.
        Charge(path, Rows(8));
        var mapper = new InputMapper();
        using (var journal = RunJournal.Open(path, Service, Keys, "prog-1"))
        {
            foreach (var i in new[] { 9, 10, 11, 12, 12 }) journal.RecordSent(mapper.Map(Row("Company " + i, "x")).CanonicalKey());
        }

        long predicted = Predict(path, rows, maxAmbiguous);
        // 12 distinct rows never sent; rows 9-11 sent once (resent only when -MaxAmbiguousRetries allows one), row 12 twice (never).
        Assert.Equal(maxAmbiguous == 0 ? 8 : 11, predicted);
        Assert.Equal(predicted, Charge(path, rows, maxAmbiguous));
    }

    [Fact]
    public void WhatIfTellsHowManyRowsItWillNotResend()
    {
        var path = Path.Combine(_dir, "notresent.jsonl");
        Charge(path, Rows(2));
        using (var journal = RunJournal.Open(path, Service, Keys, "prog-1"))
            journal.RecordSent(new InputMapper().Map(Row("Company 3", "x")).CanonicalKey());
        var output = new RecordingOutput { Answer = false };
        using (var run = new EnrichmentRun(new RunOptions { WhatIf = true, CheckpointPath = path }, Connection(new FakeCaller(), 0), output))
        {
            run.Begin();
            foreach (var row in Rows(4)) run.Add(row, row);
            run.End();
        }
        Assert.Contains(output.Confirmed, c => c.StartsWith("4 input row(s): 1 to send, 0 invalid (not sent, no credit), 2 answered in the journal (no credit), 1 sent by an earlier run without an answer and not resent"));
    }

    [Fact]
    public void DeclinedRowsAreNotSentAndNotErrors()
    {
        var caller = new FakeCaller();
        var output = new RecordingOutput { Answer = false };
        var (_, ended) = Execute(new RunOptions(), Connection(caller), Rows(3), output);
        Assert.Null(ended);
        Assert.Equal(0, caller.Sends);
        Assert.All(output.Rows, r => Assert.Equal(ErrorIds.Declined, r.ErrorId));
        Assert.Empty(output.Errors);
    }

    // ---- Credit budgets (-MaxCredits, the connection's budget) ----

    private static RunOptions Capped(long maxCredits, string? journal = null) => new() { MaxCredits = maxCredits, CheckpointPath = journal };

    [Fact]
    public void MaxCreditsSendsNoMoreThanTheCapOutputsEveryRowAndEndsWithOneErrorThatCountsThem()
    {
        var caller = new FakeCaller { Delay = TimeSpan.FromMilliseconds(2) };
        var (output, ended) = Execute(Capped(10), Connection(caller), Rows(30));

        Assert.Equal(10, caller.Sends);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), output.Rows.Select(r => r.RowNumber));
        var unsent = output.Rows.Where(r => r.Status == EnrichmentOutcome.NotSent).ToList();
        Assert.Equal(20, unsent.Count);
        Assert.All(unsent, r => Assert.Equal(ErrorIds.BudgetExhausted, r.ErrorId));
        Assert.All(unsent, r => Assert.Contains("the credit budget (-MaxCredits 10) is spent", r.Message));
        Assert.All(unsent, r => Assert.Null(r.HttpStatus));
        Assert.All(unsent, r => Assert.Same(FailureTable.For(FailureKind.BudgetExhausted).Error, ErrorTable.ForRow(r)));
        Assert.Equal(20, output.Errors.Count); // each unsent row is an error too (its input as the target)

        var stopped = Assert.IsType<LeadspaceRunStoppedException>(ended);
        Assert.Equal(ErrorIds.BudgetExhausted, stopped.ErrorId);
        Assert.Same(FailureTable.For(FailureKind.BudgetExhausted).Error, stopped.Error); // QuotaExceeded (FailureTableTests)
        Assert.Equal(unsent[0].RowNumber, stopped.FatalRow.RowNumber);
        Assert.Contains("The credit budget (-MaxCredits 10) is spent: 10 of 10 credit(s) used", stopped.Message);
        Assert.Contains("this run was charged 10 credit(s)", stopped.Message);
        Assert.Contains("30 row(s) output", stopped.Message);
        Assert.Contains("20 not sent for the budget", stopped.Message);
        Assert.Contains("-MaxCredits <n>", stopped.Message); // no journal: resend the unsent rows

        var summary = output.Summarized!;
        Assert.Equal(ErrorIds.BudgetExhausted, summary.Ending);
        Assert.Equal((10L, 10L, 10L, 0L, 20L, 30L), (summary.MaxCredits!.Value, summary.CreditsCharged, summary.CreditsReserved, summary.CreditsReleased, summary.NotSent, summary.RowsOut));
        Assert.Contains(output.Verbosed, v => v.Contains("Credits: 10 reserved, 0 given back (not charged), -MaxCredits 10; 20 row(s) not sent for the budget."));
        Assert.False(output.OtherThread);
    }

    [Fact]
    public void MaxCreditsZeroSendsNothingAndARunWithoutACapEndsNormally()
    {
        var caller = new FakeCaller();
        var (output, ended) = Execute(Capped(0), Connection(caller), Rows(5));
        Assert.Equal(0, caller.Sends);
        Assert.All(output.Rows, r => Assert.Equal(ErrorIds.BudgetExhausted, r.ErrorId));
        Assert.Contains("0 of 0 credit(s) used", Assert.IsType<LeadspaceRunStoppedException>(ended).Message);

        var (free, none) = Execute(new RunOptions(), Connection(new FakeCaller()), Rows(5));
        Assert.Null(none);
        Assert.Null(free.Summarized!.MaxCredits);
        Assert.Equal((5L, 0L, "Completed"), (free.Summarized.CreditsReserved, free.Summarized.CreditsReleased, free.Summarized.Ending));
    }

    [Fact]
    public void OnceTheBudgetIsSpentTheJournalAndIdenticalRowsStillAnswerForFree()
    {
        var path = Path.Combine(_dir, "budget.jsonl");
        Charge(path, Rows(5)); // an earlier run answered Company 1-5

        // This run may buy two answers: Company 6 and 7. Company 8 finds the budget spent; after it, the journal's
        // answers (Company 1-5, with other ids) and a row identical to Company 6 are still answered, free.
        var rows = Rows(8).Skip(5).ToList();
        rows.AddRange(Rows(5).Select((r, i) => Row("Company " + (i + 1), "old-" + (i + 1))));
        rows.Add(Row("Company 6", "again-6"));
        rows.Add(Row("Company 9", "r9"));
        var caller = new FakeCaller();
        var (output, ended) = Execute(Capped(2, path), Connection(caller), Slowly(rows, after: 2, caller));

        Assert.Equal(2, caller.Sends);
        Assert.Equal(rows.Count, output.Rows.Count);
        Assert.Equal(new[] { "r6", "r7" }, output.Rows.Where(r => r.Source == ResultSource.Api).Select(r => r.ExternalId));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => "old-" + i), output.Rows.Where(r => r.Source == ResultSource.Journal).Select(r => r.ExternalId));
        Assert.Equal("again-6", Assert.Single(output.Rows, r => r.Source == ResultSource.Duplicate).ExternalId);
        Assert.Equal(new[] { "r8", "r9" }, output.Rows.Where(r => r.ErrorId == ErrorIds.BudgetExhausted).Select(r => r.ExternalId));
        var stopped = Assert.IsType<LeadspaceRunStoppedException>(ended);
        Assert.Contains("this run was charged 2 credit(s)", stopped.Message);
        Assert.Contains("10 row(s) output", stopped.Message);
        Assert.Contains("2 not sent for the budget", stopped.Message);
        Assert.Contains("same -CheckpointPath and a new -MaxCredits", stopped.Message);

        // -WhatIf with a cap of 1: Company 1-7 are in the journal now (8 rows answered, free), Company 8 takes the credit,
        // Company 9 is left unsent.
        var prediction = new RecordingOutput { Answer = false };
        using (var whatIf = new EnrichmentRun(new RunOptions { WhatIf = true, CheckpointPath = path, MaxCredits = 1 }, Connection(new FakeCaller()), prediction))
        {
            whatIf.Begin();
            foreach (var row in rows) whatIf.Add(row, row);
            whatIf.End();
            Assert.Equal((1L, 8L, 1L), (whatIf.Tally.WouldSend, whatIf.Tally.WouldReplayCount, whatIf.Tally.WouldOverBudgetCount));
        }

        // The rerun with a new cap sends only the two rows the budget left unsent.
        var again = new FakeCaller();
        var (rerun, fine) = Execute(Capped(5, path), Connection(again), rows);
        Assert.Null(fine);
        Assert.Equal(2, again.Sends);
        Assert.All(rerun.Rows, r => Assert.Equal(EnrichmentOutcome.Enriched, r.Status));
    }

    [Fact]
    public void ACallTheBudgetRefusesIsNotSentAndDoesNotStopTheRun()
    {
        int n = 0;
        var caller = new FakeCaller();
        // The client's answer when the reservation is refused right before the send; then the budget has room again
        // (a connection's budget of another period, a released credit).
        var engine = new EnrichmentEngine(new DelegateCaller(r => Interlocked.Increment(ref n) == 2
            ? new CallResult { Failure = FailureKind.BudgetExhausted, Message = "Not sent: the credit budget (b) is spent (no credit spent)." }
            : null, caller), new EngineOptions());
        var results = new List<EnrichmentResult>();
        for (int i = 1; i <= 3; i++)
        {
            var request = new InputMapper().Map(Row("Company " + i, "r" + i));
            engine.Submit(i, null, request);
            results.Add(engine.TakeNext(default).Result);
        }
        engine.Dispose();
        Assert.Null(engine.Fatal);
        Assert.Equal(new[] { EnrichmentOutcome.Enriched, EnrichmentOutcome.NotSent, EnrichmentOutcome.Enriched }, results.Select(r => r.Status));
        Assert.Equal(ErrorIds.BudgetExhausted, results[1].ErrorId);
        Assert.Equal(FailureKind.BudgetExhausted, results[1].Failure);

        // A row already sent once (ambiguously) whose resend the budget refused stays Failed.
        var sent = EnrichmentEngine.Shape(4, new InputMapper().Map(Row("Company 4", "r4")),
            new CallResult { Sent = true, Attempts = 1, Failure = FailureKind.BudgetExhausted, Message = "Not resent: the credit budget (b) is spent." });
        Assert.Equal(EnrichmentOutcome.Failed, sent.Status);
    }

    /// <summary>Answers from <paramref name="special"/> when it has an answer, else from <paramref name="inner"/>.</summary>
    private sealed class DelegateCaller(Func<EnrichmentRequest, CallResult?> special, IEnrichmentCaller inner) : IEnrichmentCaller
    {
        public Task<CallResult> EnrichAsync(EnrichmentRequest request, CallContext context)
            => special(request) is CallResult r ? Task.FromResult(r) : inner.EnrichAsync(request, context);
    }

    [Fact]
    public void TheConnectionsBudgetCountsTooAndTheErrorSaysWhenItsPeriodEnds()
    {
        var caller = new FakeCaller();
        var connection = Connection(caller);
        connection.Budget = new LocalCreditBudget(4, BudgetPeriod.Day, "the program's daily budget (-CreditBudget 4)", "Process");
        var (output, ended) = Execute(Capped(10), connection, Rows(6));
        Assert.Equal(4, caller.Sends);
        // Which rows get the four credits is up to the calls' race for them; two rows find the budget spent.
        var unsent = output.Rows.Where(r => r.ErrorId == ErrorIds.BudgetExhausted).ToList();
        Assert.Equal(2, unsent.Count);
        Assert.All(unsent, r => Assert.Contains("the credit budget (the program's daily budget (-CreditBudget 4)) is spent: 4 of 4 credit(s) used this day", r.Message));
        var stopped = Assert.IsType<LeadspaceRunStoppedException>(ended);
        Assert.Contains("the program's daily budget", stopped.Message);
        Assert.Contains("once the budget allows more (its next period starts " + DateTimeOffset.UtcNow.Date.AddDays(1).ToString("yyyy-MM-dd") + " 00:00 UTC)", stopped.Message);
        Assert.DoesNotContain("-MaxCredits <n>", stopped.Message); // a larger cap would not help
        // The run's credit is reserved first, then the program's: the two refused ones were given back.
        Assert.Equal((6L, 2L, 4L), (output.Summarized!.CreditsReserved, output.Summarized.CreditsReleased, output.Summarized.CreditsCharged));

        // -WhatIf applies what that budget has left (nothing now), and -MaxCredits.
        var prediction = new RecordingOutput { Answer = false };
        using (var run = new EnrichmentRun(new RunOptions { WhatIf = true, MaxCredits = 10 }, connection, prediction))
        {
            run.Begin();
            foreach (var row in Rows(6)) run.Add(row, row);
            run.End();
            Assert.Equal(0, run.Tally.WouldSend);
            Assert.Equal(6, run.Tally.WouldOverBudgetCount);
        }
    }

    [Theory]
    [InlineData(30, 30)]
    [InlineData(100, 50)]
    public void WhatIfAppliesTheCapAndPredictsWhatTheCappedRunCharges(long cap, long expected)
    {
        var rows = Rows(50).ToList();
        var output = new RecordingOutput { Answer = false };
        using (var run = new EnrichmentRun(new RunOptions { WhatIf = true, MaxCredits = cap }, Connection(new FakeCaller()), output))
        {
            run.Begin();
            foreach (var row in rows) run.Add(row, row);
            run.End();
            Assert.Equal(expected, run.Tally.WouldSend);
            Assert.Equal($"Enrich through Leadspace, spending up to {expected} credit(s) in {expected} call(s)", run.Tally.WhatIfAction());
        }
        if (expected < 50) Assert.Contains(output.Confirmed, c => c.Contains($"{expected} to send") && c.Contains($"{50 - expected} left unsent by the credit budget (-MaxCredits {cap}"));
        else Assert.DoesNotContain(output.Confirmed, c => c.Contains("left unsent"));
        Assert.Equal(expected, output.Confirmed.Count - 1); // one "What if" per row sent (none for a row over the cap), then the run's line

        var caller = new FakeCaller();
        Execute(Capped(cap), Connection(caller), rows);
        Assert.Equal(expected, caller.Charged);
    }

    // ---- One error identity ----

    [Fact]
    public void EveryErrorHasAStableIdACategoryAndEveryIdIsInTheTable()
    {
        var entries = ErrorTable.All;
        Assert.All(entries, e => Assert.Matches("^Leadspace[A-Z][A-Za-z]+$", e.ErrorId));
        Assert.All(entries, e => Assert.NotEqual(0, e.CategoryCode)); // 0 is ErrorCategory.NotSpecified
        var ids = entries.Select(e => e.ErrorId).ToHashSet();
        var constants = typeof(ErrorIds).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetValue(null)!).ToList();
        // Declined is a result's id (a row the user declined), never an error record.
        Assert.All(constants.Where(c => c != ErrorIds.Declined), c => Assert.Contains(c, ids));
    }

    [Fact]
    public void TheModuleExceptionsShareOneBase()
    {
        Type[] types;
        // The cmdlets' base (PSCmdlet) is not loadable here: list every other type.
        try { types = typeof(LeadspaceException).Assembly.GetTypes(); }
        catch (System.Reflection.ReflectionTypeLoadException ex) { types = ex.Types.Where(t => t != null).ToArray()!; }
        // Every exception type of the module, public (users catch them) or internal (still seen through the base).
        var exceptions = types.Where(t => typeof(Exception).IsAssignableFrom(t)).ToList();
        Assert.True(exceptions.Count >= 8, string.Join(", ", exceptions));
        Assert.All(exceptions, t => Assert.True(typeof(LeadspaceException).IsAssignableFrom(t), t.FullName));
    }
}
