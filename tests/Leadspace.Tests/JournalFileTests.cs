using System.Text;
using Leadspace.Journal;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The journal split (issue 16): the file's sync outside the record lock, the wait for a closing journal that
/// Ctrl+C ends, journals written before the split, and the temporary answer store behind the same interface.</summary>
public class JournalFileTests : IDisposable
{
    private const string Service = "https://apigw.example.test";
    private static readonly string[] Program = { Service + "|program:prog-1" };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "leadspace-journalfile-tests-" + Guid.NewGuid().ToString("N"));

    public JournalFileTests() => Directory.CreateDirectory(_dir);
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name = "run.jsonl") => Path.Combine(_dir, name);

    private static RunJournal Open(string path, CancellationToken cancellationToken = default)
        => RunJournal.Open(path, Service, Program, "prog-1", cancellationToken: cancellationToken);

    private const string KeyA = "00112233445566778899aabbccddeeff";
    private const string KeyB = "ffeeddccbbaa99887766554433221100";

    [Fact]
    public async Task ASentRecordDoesNotWaitForASyncInProgress()
    {
        using var journal = Open(File());
        journal.RecordSent(KeyA); // something to sync
        using var syncing = new ManualResetEventSlim();
        using var diskDone = new ManualResetEventSlim();
        journal.BeforeSyncToDisk = () => { syncing.Set(); diskDone.Wait(TimeSpan.FromSeconds(30)); }; // a disk that takes its time
        var sync = Task.Run(() => journal.Sync());
        Assert.True(syncing.Wait(TimeSpan.FromSeconds(30)), "the sync did not start");

        // While the fsync hangs, records are written, whole and in order (not waiting for the disk).
        var writes = Task.Run(() =>
        {
            journal.RecordSent(KeyB);
            journal.RecordDone(KeyB, 200, 1, "{\"status\":\"success\"}", null);
        });
        bool wroteDuringSync = await Task.WhenAny(writes, Task.Delay(TimeSpan.FromSeconds(20))) == writes;
        diskDone.Set();
        await sync;
        await writes;
        Assert.True(wroteDuringSync, "a record waited for the fsync");
        Assert.True(journal.TryGetAnswer(KeyB, out var answer));
        Assert.Equal(200, answer!.HttpStatus);

        journal.BeforeSyncToDisk = null;
        journal.Dispose();
        var lines = System.IO.File.ReadAllLines(File());
        Assert.Equal(new[] { "sent", "sent", "done" }, lines.Skip(1).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("t").GetString()));
    }

    [Fact]
    public async Task CtrlCEndsTheWaitForAClosingJournalWithinASecond()
    {
        var path = File();
        using (Open(path)) { }
        var neverEnds = new TaskCompletionSource<bool>();
        RunJournal.Closing(path, neverEnds.Task); // a run of this process still finishing its calls into the journal
        try
        {
            using var stop = new CancellationTokenSource();
            var open = Task.Run(() => Open(path, stop.Token));
            Assert.NotSame(open, await Task.WhenAny(open, Task.Delay(300))); // it waits for the closing run
            var pressed = System.Diagnostics.Stopwatch.StartNew();
            stop.Cancel(); // Ctrl+C
            bool ended = await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(5))) == open;
            var elapsed = pressed.Elapsed;
            Assert.True(ended && elapsed < TimeSpan.FromSeconds(1), $"the wait ended {elapsed.TotalMilliseconds:N0} ms after Ctrl+C");
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => open);
        }
        finally
        {
            neverEnds.SetResult(true);
        }
    }

    [Fact]
    public async Task OpenGoesOnOnceTheClosingRunEnds()
    {
        var path = File();
        using (Open(path)) { }
        var finishing = new TaskCompletionSource<bool>();
        RunJournal.Closing(path, finishing.Task);
        var open = Task.Run(() => Open(path));
        Assert.NotSame(open, await Task.WhenAny(open, Task.Delay(200)));
        finishing.SetResult(true);
        Assert.Same(open, await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(10))));
        (await open).Dispose();
    }

    [Fact]
    public void AJournalWrittenBeforeTheSplitOpensAsItDid()
    {
        // Lines exactly as the single-class journal wrote them (version 1), a torn last line included.
        var path = File();
        var text = new StringBuilder()
            .Append("{\"type\":\"leadspace-journal\",\"version\":1,\"service\":\"https://apigw.example.test\",\"program\":\"prog-1\",\"programKeys\":[\"https://apigw.example.test|program:prog-1\"],\"created\":\"2026-11-30T10:00:00.000Z\"}\n")
            .Append("{\"t\":\"sent\",\"k\":\"" + KeyA + "\",\"at\":\"2026-11-30T10:00:01.000Z\"}\n")
            .Append("{\"t\":\"done\",\"k\":\"" + KeyA + "\",\"at\":\"2026-11-30T10:00:01.250Z\",\"status\":200,\"attempts\":2,\"body\":{\"status\":\"success\",\"data\":{\"enrichment_status\":\"Company Enriched\"}}}\n")
            .Append("{\"t\":\"sent\",\"k\":\"" + KeyB + "\",\"at\":\"2026-11-30T10:00:02.000Z\"}\n")
            .Append("{\"t\":\"sent\",\"k\":\"row-7\",\"at\":\"2026-11-30T10:00:03.000+01:00\"}\n")
            .Append("not json\n")
            .Append("{\"t\":\"done\",\"k\":\"" + KeyB);
        System.IO.File.WriteAllText(path, text.ToString());
        using var journal = Open(path);
        Assert.Equal(1, journal.AnswersAtOpen);
        Assert.Equal(2, journal.UnresolvedAtOpen);
        Assert.Equal(2, journal.Warnings.Count); // the torn line, the unreadable one
        Assert.True(journal.TryGetAnswer(KeyA, out var answer));
        Assert.Equal((200, 2, false), (answer!.HttpStatus, answer.Attempts, answer.RecordedThisRun));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 10, 0, 1, 250, TimeSpan.Zero), answer.At);
        Assert.Equal("{\"status\":\"success\",\"data\":{\"enrichment_status\":\"Company Enriched\"}}", answer.Body);
        Assert.Equal(1, journal.PriorPossibleCharges(KeyB));
        Assert.Equal(1, journal.PriorPossibleCharges("row-7"));
        Assert.False(journal.TryGetAnswer(KeyB, out _));
        journal.RecordDone(KeyB, 200, 1, "{\"status\":\"success\"}", null);
        Assert.True(journal.TryGetAnswer(KeyB, out var fresh));
        Assert.True(fresh!.RecordedThisRun);
        journal.Dispose();
        var lines = System.IO.File.ReadAllLines(path);
        Assert.Equal(7, lines.Length); // the torn line was cut off; the new record is a line of its own
        Assert.StartsWith("{\"t\":\"done\",\"k\":\"" + KeyB + "\"", lines[6]);
    }

    [Fact]
    public void TheTemporaryStoreKeepsAnswersAndFailuresButNoWriteAheadRecords()
    {
        using IAnswerStore store = TemporaryAnswerStore.Open();
        Assert.False(store.Durable);
        store.RecordSent(KeyA);
        Assert.Equal(0, store.BytesWritten);
        Assert.Equal(0, store.PriorPossibleCharges(KeyA));
        store.RecordFailed(KeyA, 2);
        Assert.Equal(2, store.PriorPossibleCharges(KeyA));
        store.RecordDone(KeyB, 200, 1, "{\"status\":\"success\"}", null);
        Assert.True(store.TryGetAnswer(KeyB, out var answer));
        Assert.True(answer!.RecordedThisRun);
        Assert.False(store.TryGetAnswer(KeyA, out _));
    }

    [Fact]
    public void TheStoresIndexHoldsAtMost100BytesPerDistinctRow()
    {
        using var store = TemporaryAnswerStore.Open();
        const int n = 20_000;
        for (int i = 0; i < n; i++) store.RecordDone(i.ToString("x32"), 200, 1, "{}", null);
        Assert.Equal(n, store.Index.Count);
        Assert.True(store.Index.AllocatedBytes <= 100L * n, $"{store.Index.AllocatedBytes / (double)n:N1} bytes per row");
    }
}
