using System.Text;
using Leadspace.Journal;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Erasure: the data of erased requests is no longer in the file, the rest still answers, the lock holds.</summary>
public class JournalEraserTests : IDisposable
{
    private const string Service = "https://apigw.example.test";
    private static readonly string[] Program = { Service + "|program:prog-1" };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "leadspace-eraser-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _path;

    public JournalEraserTests()
    {
        Directory.CreateDirectory(_dir);
        _path = Path.Combine(_dir, "run.jsonl");
    }
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Answer(int i) => "{\"status\":\"success\",\"data\":{\"person\":{\"email\":\"person" + i + "@example.com\"}}}";

    /// <summary>Three answered requests (k1..k3); k2 also has an earlier failure and k4 was only sent.</summary>
    private void Write(TestClock? clock = null)
    {
        using var j = RunJournal.Open(_path, Service, Program, "prog-1", clock: clock);
        j.RecordSent("k2");
        j.RecordFailed("k2", 1);
        for (int i = 1; i <= 3; i++)
        {
            j.RecordSent("k" + i);
            j.RecordDone("k" + i, 200, 1, Answer(i), null);
            clock?.Advance(TimeSpan.FromDays(10));
        }
        j.RecordSent("k4");
    }

    private RunJournal Reopen() => RunJournal.Open(_path, Service, Program, "prog-1");

    [Fact]
    public void Erasing_a_request_removes_every_record_of_it_and_keeps_the_rest_answering()
    {
        Write();
        var result = JournalEraser.Erase(_path, new[] { "k2", "absent" }, null);

        var text = File.ReadAllText(_path, Encoding.UTF8);
        Assert.DoesNotContain("person2@example.com", text);
        Assert.DoesNotContain("\"k2\"", text);
        Assert.Contains("person1@example.com", text);
        Assert.Equal(2, result.RequestsGiven);
        Assert.Equal(1, result.RequestsErased);
        Assert.Equal(1, result.RequestsNotFound);
        Assert.Equal(1, result.AnswersErased);
        Assert.Equal(4, result.LinesErased); // sent, fail, sent, done
        Assert.Equal(new FileInfo(_path).Length, result.BytesAfter);
        Assert.False(File.Exists(JournalEraser.TemporaryPath(_path)));
        using var journal = Reopen();
        Assert.Equal(2, journal.AnswersAtOpen);
        Assert.False(journal.TryGetAnswer("k2", out _));
        Assert.Equal(0, journal.PriorPossibleCharges("k2")); // its failure is gone with it: a rerun sends it as new
        Assert.True(journal.TryGetAnswer("k3", out var a3));
        Assert.Contains("person3@example.com", a3!.Body);
        Assert.Equal(1, journal.UnresolvedAtOpen); // k4, untouched
    }

    [Fact]
    public void OlderThan_removes_the_records_written_before_the_cut_off()
    {
        var clock = new TestClock();
        var start = clock.UtcNow;
        Write(clock); // k1 at day 0, k2 at day 10, k3 at day 20, k4 sent at day 30
        var result = JournalEraser.Erase(_path, Array.Empty<string>(), start + TimeSpan.FromDays(15));
        var text = File.ReadAllText(_path, Encoding.UTF8);
        Assert.DoesNotContain("person1@example.com", text);
        Assert.DoesNotContain("person2@example.com", text);
        Assert.Contains("person3@example.com", text);
        Assert.Equal(2, result.AnswersErased);
        using var journal = Reopen();
        Assert.Equal(1, journal.AnswersAtOpen);
    }

    [Fact]
    public void A_journal_in_use_by_a_run_is_refused_and_unchanged()
    {
        Write();
        var before = File.ReadAllBytes(_path);
        using (Reopen())
        {
            var ex = Assert.Throws<JournalException>(() => JournalEraser.Erase(_path, new[] { "k1" }, null));
            Assert.Equal("LeadspaceCheckpointLocked", ex.ErrorId);
            Assert.Same(ErrorTable.CheckpointLocked, ex.Error); // ResourceBusy
        }
        Assert.Equal(before, File.ReadAllBytes(_path));
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_refused_and_unchanged()
    {
        File.WriteAllText(_path, "Lead ID,Email\nL1,a@example.com\n");
        var ex = Assert.Throws<JournalException>(() => JournalEraser.Erase(_path, new[] { "k1" }, null));
        Assert.Equal("LeadspaceCheckpointInvalid", ex.ErrorId);
        Assert.Equal("Lead ID,Email\nL1,a@example.com\n", File.ReadAllText(_path));
        Assert.False(File.Exists(JournalEraser.TemporaryPath(_path)));
        Assert.Equal("LeadspaceJournalNotFound", Assert.Throws<JournalException>(() => JournalEraser.Erase(Path.Combine(_dir, "none.jsonl"), new[] { "k" }, null)).ErrorId);
    }

    [Fact]
    public void Nothing_to_erase_leaves_the_file_as_it_was()
    {
        Write();
        var before = File.ReadAllBytes(_path);
        var result = JournalEraser.Erase(_path, new[] { "absent" }, null);
        Assert.Equal(0, result.LinesErased);
        Assert.Equal(before, File.ReadAllBytes(_path));
    }

    [Fact]
    public void Unreadable_lines_and_an_incomplete_last_line_go_too()
    {
        Write();
        File.AppendAllText(_path, "not json but maybe person9@example.com\n{\"t\":\"done\",\"k\":\"k9\",\"body\":{\"email\":\"person9@exa");
        var result = JournalEraser.Erase(_path, new[] { "k1" }, null);
        Assert.DoesNotContain("person9", File.ReadAllText(_path));
        Assert.Equal(2 + 2, result.LinesErased);
        using var journal = Reopen();
        Assert.Empty(journal.Warnings);
        Assert.Equal(2, journal.AnswersAtOpen);
    }

    [Fact]
    public void The_rewritten_journal_is_owner_only_and_an_old_erasing_file_is_replaced()
    {
        if (OperatingSystem.IsWindows()) return;
        Write();
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.WriteAllText(JournalEraser.TemporaryPath(_path), "left by a killed erasure");
        JournalEraser.Erase(_path, new[] { "k1" }, null);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));
        Assert.False(File.Exists(JournalEraser.TemporaryPath(_path)));
        using var journal = Reopen();
        Assert.Equal(2, journal.AnswersAtOpen);
    }
}
