using System.Text;
using System.Text.Json;
using Leadspace.Engine;
using Leadspace.Http;
using Leadspace.Journal;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.Resilience;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The run journal and in-run dedupe: what is recorded, what a rerun replays, what it resends, what it refuses.</summary>
public class JournalTests : IDisposable
{
    private const string Service = "https://apigw.example.test";
    private static readonly string[] Program = { Service + "|program:prog-1" };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "leadspace-journal-tests-" + Guid.NewGuid().ToString("N"));

    public JournalTests() => Directory.CreateDirectory(_dir);
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name = "run.jsonl") => Path.Combine(_dir, name);

    private static RunJournal Open(string path, TimeProvider? clock = null, TimeSpan? maxAge = null, string[]? keys = null, string service = Service)
        => RunJournal.Open(path, service, keys ?? Program, "prog-1", maxAge, clock);

    private static EnrichmentRequest Request(int i, string? email = null)
    {
        var r = new EnrichmentRequest();
        r.Set(RequestField.CompanyName, "Company " + i);
        r.Set(RequestField.ExternalId, "row-" + i);
        if (email != null) r.Set(RequestField.Email, email);
        return r;
    }

    private static string Answer(string company) => "{\"status\":\"success\",\"external_id\":\"echo-of-first\",\"data\":{\"enrichment_status\":\"Company Enriched\",\"company\":{\"name\":\"" + company + "\"}}}";

    /// <summary>A caller that answers every request from the simulator's point of view and counts what it was asked.</summary>
    private sealed class CountingCaller : IEnrichmentCaller
    {
        public int Calls;
        public Func<EnrichmentRequest, CallContext, Task<CallResult>>? Override;
        public async Task<CallResult> EnrichAsync(EnrichmentRequest request, CallContext context)
        {
            if (Override != null) return await Override(request, context);
            context.BeforeSend?.Invoke();
            Interlocked.Increment(ref Calls);
            await Task.Yield();
            var json = Answer(request.Get(RequestField.CompanyName)!);
            return new CallResult { Sent = true, Attempts = 1, HttpStatus = 200, Response = EnrichmentResponse.Parse(json) };
        }
    }

    private static List<EnrichmentResult> Run(IEnrichmentCaller caller, IAnswerStore? journal, IEnumerable<EnrichmentRequest> requests, bool dedupe = true, int window = 8, int maxAmbiguous = 1)
    {
        using var engine = new EnrichmentEngine(caller, new EngineOptions { WindowSize = window, Journal = journal, Dedupe = dedupe && journal != null, MaxAmbiguousRetries = maxAmbiguous });
        var output = new List<EnrichmentResult>();
        long row = 0;
        foreach (var r in requests)
        {
            row++;
            while (engine.IsFull) output.Add(engine.TakeNext(default).Result);
            engine.Submit(row, row, r);
            output.AddRange(engine.TakeReady().Select(c => c.Result));
        }
        while (engine.Pending > 0) output.Add(engine.TakeNext(default).Result);
        return output;
    }

    [Fact]
    public void TheCanonicalKeyIgnoresTheExternalIdAndTheCaseOfEmailsAndWebsites()
    {
        var a = Request(1, "Ada@Example.COM"); a.Set(RequestField.Website, "Example.com");
        var b = Request(1, "ada@example.com"); b.Set(RequestField.Website, "example.COM"); b.Set(RequestField.ExternalId, "other-id");
        Assert.Equal(a.CanonicalKey(), b.CanonicalKey());
        var c = Request(1, "ada@example.com"); c.Set(RequestField.CompanyName, "COMPANY 1"); // names are not folded
        Assert.NotEqual(a.CanonicalKey(), c.CanonicalKey());
        Assert.Matches("^[0-9a-f]{32}$", a.CanonicalKey());
    }

    [Fact]
    public void ARerunReplaysEveryAnswerWithoutCalling()
    {
        var path = File();
        var requests = Enumerable.Range(1, 40).Select(i => Request(i)).ToList();
        var first = new CountingCaller();
        List<EnrichmentResult> before;
        using (var journal = Open(path)) before = Run(first, journal, requests);
        Assert.Equal(40, first.Calls);
        Assert.All(before, r => Assert.Equal(ResultSource.Api, r.Source));

        // Another order, other external ids, other rows mixed in: matched by request, not by position.
        var again = requests.AsEnumerable().Reverse().Select(r => { var c = Request(int.Parse(r.ExternalId!.Substring(4))); c.Set(RequestField.ExternalId, "new-" + r.ExternalId); return c; })
            .Concat(new[] { Request(99) }).ToList();
        var second = new CountingCaller();
        List<EnrichmentResult> after;
        using (var journal = Open(path))
        {
            Assert.Equal(40, journal.AnswersAtOpen);
            after = Run(second, journal, again);
        }
        Assert.Equal(1, second.Calls); // only row 99
        Assert.Equal(40, after.Count(r => r.Source == ResultSource.Journal));
        Assert.Equal(Enumerable.Range(1, 41).Select(i => (long)i), after.Select(r => r.RowNumber));
        Assert.Equal(again.Select(r => r.ExternalId), after.Select(r => r.ExternalId));
        // The replayed rows are shaped exactly as the calls were.
        var byCompany = before.ToDictionary(r => r.CompanyName!);
        foreach (var r in after.Where(r => r.Source == ResultSource.Journal))
        {
            var original = byCompany[r.CompanyName!];
            Assert.Equal(original.Status, r.Status);
            Assert.Equal(original.HttpStatus, r.HttpStatus);
            Assert.Equal(original.Attempts, r.Attempts);
            Assert.Equal(original.EnrichmentStatus, r.EnrichmentStatus);
        }
    }

    [Fact]
    public void IdenticalRowsOfOneRunAreSentOnce()
    {
        var requests = Enumerable.Range(1, 30).SelectMany(i => new[] { Request(i, "x@a.com"), Request(i, "X@A.COM"), Request(i, "x@a.com") }).ToList();
        for (int i = 0; i < requests.Count; i++) requests[i].Set(RequestField.ExternalId, "id-" + i);
        var caller = new CountingCaller();
        using var store = TemporaryAnswerStore.Open();
        var results = Run(caller, store, requests, window: 4); // a small window: most duplicates come after the first left it
        Assert.Equal(30, caller.Calls);
        Assert.Equal(90, results.Count);
        Assert.Equal(60, results.Count(r => r.Source == ResultSource.Duplicate));
        Assert.Equal(requests.Select(r => r.ExternalId), results.Select(r => r.ExternalId));
        Assert.All(results, r => Assert.Equal(EnrichmentOutcome.Enriched, r.Status));
    }

    [Fact]
    public void NoDedupeSendsEveryRow()
    {
        var requests = Enumerable.Range(1, 10).SelectMany(i => new[] { Request(i), Request(i) }).ToList();
        var caller = new CountingCaller();
        var results = Run(caller, null, requests, dedupe: false);
        Assert.Equal(20, caller.Calls);
        Assert.All(results, r => Assert.Equal(ResultSource.Api, r.Source));
    }

    [Fact]
    public void ARequestInFlightWhenARunEndedIsResentOnceThenNoMore()
    {
        var path = File();
        var request = Request(1);
        using (var journal = Open(path)) journal.RecordSent(request.CanonicalKey()); // the process died right after sending
        var caller = new CountingCaller();
        CallContext? seen = null;
        caller.Override = (r, ctx) => { seen = ctx; ctx.BeforeSend?.Invoke(); return Task.FromResult(new CallResult { Sent = true, Attempts = 1, Failure = FailureKind.Timeout, PossibleCharges = ctx.PriorPossibleCharges + 1, Message = "timed out" }); };
        using (var journal = Open(path))
        {
            Assert.Equal(1, journal.UnresolvedAtOpen);
            Assert.Equal(1, journal.PriorPossibleCharges(request.CanonicalKey()));
            var results = Run(caller, journal, new[] { request });
            Assert.Equal(1, seen!.PriorPossibleCharges); // the earlier send counts against -MaxAmbiguousRetries
            Assert.Equal(EnrichmentOutcome.Failed, results[0].Status);
        }
        // Two possible charges now: with -MaxAmbiguousRetries 1 the third run does not send it again.
        caller.Override = null;
        using (var journal = Open(path))
        {
            Assert.Equal(2, journal.PriorPossibleCharges(request.CanonicalKey()));
            var results = Run(caller, journal, new[] { request });
            Assert.Equal(0, caller.Calls);
            Assert.Equal(ErrorIds.NotResent, results[0].ErrorId);
            Assert.Contains("2 time(s) without an answer", results[0].Message);
        }
    }

    [Fact]
    public void AFailureThatCannotHaveBeenChargedIsSentAgainFreely()
    {
        var path = File();
        var request = Request(1);
        using (var journal = Open(path)) { journal.RecordSent(request.CanonicalKey()); journal.RecordFailed(request.CanonicalKey(), 0); }
        using (var journal = Open(path)) Assert.Equal(0, journal.PriorPossibleCharges(request.CanonicalKey()));
    }

    [Fact]
    public void ATornLastLineIsCutOffWithAWarningAndTheJournalGoesOn()
    {
        var path = File();
        var key = Request(1).CanonicalKey();
        using (var journal = Open(path)) journal.RecordDone(key, 200, 1, Answer("Company 1"), null);
        System.IO.File.AppendAllText(path, "{\"t\":\"done\",\"k\":\"abc\",\"at\":\"2026-");
        using (var journal = Open(path))
        {
            Assert.Contains(journal.Warnings, w => w.Contains("incomplete"));
            Assert.True(journal.TryGetAnswer(key, out _));
            journal.RecordSent(Request(2).CanonicalKey());
        }
        var lines = System.IO.File.ReadAllLines(path);
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose()); // every line is whole again
        using (var journal = Open(path)) Assert.Empty(journal.Warnings);
    }

    [Fact]
    public void ASecondRunOnTheSameJournalIsRefusedWhileTheFirstHoldsIt()
    {
        var path = File();
        using var first = Open(path);
        var ex = Assert.Throws<JournalException>(() => Open(path));
        Assert.Equal("LeadspaceCheckpointLocked", ex.ErrorId);
        Assert.Contains("in use by another run", ex.Message);
    }

    [Fact]
    public void AFolderAsTheJournalIsRefusedAsADirectoryNotAsAccessDenied()
    {
        var folder = File("a-folder");
        Directory.CreateDirectory(folder);
        foreach (var path in new[] { folder, folder + Path.DirectorySeparatorChar })
        {
            var ex = Assert.Throws<JournalException>(() => Open(path));
            Assert.Equal("LeadspaceCheckpointFailed", ex.ErrorId);
            Assert.Same(ErrorTable.CheckpointUnwritable, ex.Error); // WriteError
            Assert.Contains("is a directory", ex.Message);
            Assert.DoesNotContain("denied", ex.Message);
            var read = Assert.Throws<JournalException>(() => RunJournal.OpenForReading(path, Service, Program, "prog-1"));
            Assert.Contains("is a directory", read.Message);
        }
        Assert.Empty(Directory.GetFileSystemEntries(folder)); // nothing written into it
    }

    [Fact]
    public void AJournalOfAnotherProgramOrServiceOrNoJournalAtAllIsRefused()
    {
        var path = File();
        using (Open(path)) { }
        var program = Assert.Throws<JournalException>(() => Open(path, keys: new[] { Service + "|program:other" }));
        Assert.Equal("LeadspaceCheckpointMismatch", program.ErrorId);
        Assert.Contains("written for program prog-1", program.Message);
        var service = Assert.Throws<JournalException>(() => Open(path, service: "https://eu.example.test"));
        Assert.Equal("LeadspaceCheckpointMismatch", service.ErrorId);
        var csv = File("leads.csv");
        System.IO.File.WriteAllText(csv, "Company,Id\nAcme,1\n");
        var notJournal = Assert.Throws<JournalException>(() => Open(csv));
        Assert.Equal("LeadspaceCheckpointInvalid", notJournal.ErrorId);
        Assert.Equal("Company,Id\nAcme,1\n", System.IO.File.ReadAllText(csv)); // untouched
        // The same program known by another key (its token's hash as well) is accepted.
        using (Open(path, keys: new[] { Service + "|token:abc", Program[0] })) { }
    }

    [Fact]
    public void AnswersOlderThanMaxAgeCountAsAbsent()
    {
        var path = File();
        var clock = new TestClock();
        var key = Request(1).CanonicalKey();
        using (var journal = Open(path, clock)) journal.RecordDone(key, 200, 1, Answer("Company 1"), null);
        clock.Advance(TimeSpan.FromDays(31));
        using (var journal = Open(path, clock, TimeSpan.FromDays(30))) Assert.False(journal.TryGetAnswer(key, out _));
        using (var journal = Open(path, clock, TimeSpan.FromDays(60))) Assert.True(journal.TryGetAnswer(key, out _));
    }

    [Fact]
    public void AJournalThatCannotBeWrittenStopsTheRunBeforeTheNextPaidCall()
    {
        var path = File();
        // The real client, so that a failing write-ahead record is handled as in production.
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(200, StubHandler.Enriched)));
        using var caller = ClientTests.Client(handler);
        using var journal = Open(path);
        using var engine = new EnrichmentEngine(caller, new EngineOptions { WindowSize = 1, Journal = journal, Dedupe = true });
        var output = new List<EnrichmentResult>();
        for (int i = 1; i <= 20; i++)
        {
            while (engine.IsFull) output.Add(engine.TakeNext(default).Result);
            if (i == 6) journal.FailWrites = new IOException("No space left on device"); // after row 5 was recorded
            engine.Submit(i, i, Request(i));
        }
        while (engine.Pending > 0) output.Add(engine.TakeNext(default).Result);
        Assert.Equal(20, output.Count);
        Assert.Equal(5, handler.Calls); // the sixth row's write-ahead record failed: it was never sent
        Assert.Equal(FailureKind.CheckpointFailed, engine.Fatal!.Failure);
        Assert.All(output.Take(5), r => Assert.Equal(EnrichmentOutcome.Enriched, r.Status));
        Assert.All(output.Skip(5), r => Assert.Equal(EnrichmentOutcome.NotSent, r.Status));
        Assert.Contains("No space left on device", engine.Fatal.Message);
    }

    [Fact]
    public void EveryRecordIsOneReadableJsonLine()
    {
        var path = File();
        using (var journal = Open(path))
        {
            var key = Request(1).CanonicalKey();
            journal.RecordSent(key);
            journal.RecordDone(key, 200, 1, "{\n  \"status\": \"success\",\n  \"data\": {\"company\": {\"name\": \"Weißdorn\"}}\n}", null);
            journal.RecordDone(Request(2).CanonicalKey(), 200, 1, "{\"status\":\"succ", "cut short");
        }
        var lines = System.IO.File.ReadAllLines(path, Encoding.UTF8);
        Assert.Equal(4, lines.Length);
        Assert.Contains("\"type\":\"leadspace-journal\"", lines[0]);
        Assert.Contains("Weißdorn", lines[2]); // readable UTF-8, the pretty-printed answer on one line
        using var cut = JsonDocument.Parse(lines[3]);
        Assert.Equal(JsonValueKind.Null, cut.RootElement.GetProperty("body").ValueKind);
        Assert.Equal("cut short", cut.RootElement.GetProperty("message").GetString());
    }
}
