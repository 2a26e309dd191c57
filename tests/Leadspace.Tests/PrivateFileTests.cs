using Leadspace.Journal;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Files holding rows or answers are owner-only (Unix modes here; the Windows ACL path cannot run on this
/// machine, only its access-list text is checked).</summary>
public class PrivateFileTests : IDisposable
{
    private const UnixFileMode OwnerRw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerRwx = OwnerRw | UnixFileMode.UserExecute;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "leadspace-private-tests-" + Guid.NewGuid().ToString("N"));

    public PrivateFileTests() => Directory.CreateDirectory(_dir);
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_new_file_is_created_0600_whatever_the_umask_allows()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Path.Combine(_dir, "new.jsonl");
        using (var file = PrivateFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            Assert.Equal(OwnerRw, File.GetUnixFileMode(path));
            file.WriteByte((byte)'x');
        }
        Assert.Equal(OwnerRw, File.GetUnixFileMode(path));
        Assert.Equal(1, new FileInfo(path).Length);
    }

    [Fact]
    public void An_existing_world_readable_file_is_narrowed_when_opened_to_write()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Path.Combine(_dir, "old.jsonl");
        File.WriteAllText(path, "{}\n");
        File.SetUnixFileMode(path, OwnerRw | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using (PrivateFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)) { }
        Assert.Equal(OwnerRw, File.GetUnixFileMode(path));
        Assert.Equal("{}\n", File.ReadAllText(path));
    }

    [Theory]
    [InlineData(FileMode.Open)]
    [InlineData(FileMode.Truncate)]
    [InlineData(FileMode.Append)]
    public void Modes_that_open_an_existing_file_work_and_narrow_it(FileMode mode)
    {
        var path = Path.Combine(_dir, "existing-" + mode);
        File.WriteAllText(path, "x");
        using (PrivateFile.Open(path, mode, mode == FileMode.Append ? FileAccess.Write : FileAccess.ReadWrite, FileShare.None)) { }
        if (!OperatingSystem.IsWindows()) Assert.Equal(OwnerRw, File.GetUnixFileMode(path));
    }

    [Fact]
    public void A_file_held_by_another_open_is_refused_as_before()
    {
        var path = Path.Combine(_dir, "locked.jsonl");
        using var first = PrivateFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        Assert.ThrowsAny<IOException>(() => PrivateFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
    }

    [Fact]
    public void The_journal_is_created_owner_only()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Path.Combine(_dir, "run.jsonl");
        using (RunJournal.Open(path, "https://apigw.example.test", new[] { "https://apigw.example.test|program:p" }, "p")) { }
        Assert.Equal(OwnerRw, File.GetUnixFileMode(path));
    }

    [Fact]
    public void The_temporary_store_lives_in_a_per_user_0700_folder_and_leaves_no_name_behind()
    {
        var folder = PrivateFile.TemporaryFolder();
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "leadspace-"), folder);
        if (!OperatingSystem.IsWindows())
        {
            // A folder left at 0755 (by hand, or by another tool) is narrowed again.
            File.SetUnixFileMode(folder, OwnerRwx | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            Assert.Equal(folder, PrivateFile.TemporaryFolder());
            Assert.Equal(OwnerRwx, File.GetUnixFileMode(folder));
        }
        var before = Directory.GetFiles(folder, "leadspace-answers-*").Length;
        using (var store = TemporaryAnswerStore.Open())
        {
            // On Unix the name is gone at once (the open file lives on); on Windows it goes when closed.
            if (!OperatingSystem.IsWindows()) Assert.Equal(before, Directory.GetFiles(folder, "leadspace-answers-*").Length);
            store.RecordDone("k", 200, 1, "{\"status\":\"success\"}", null);
            Assert.True(store.TryGetAnswer("k", out var answer));
            Assert.Equal(200, answer!.HttpStatus);
        }
        Assert.Equal(before, Directory.GetFiles(folder, "leadspace-answers-*").Length);
    }

    [Fact]
    public void The_Windows_access_list_grants_the_user_alone_and_inherits_nothing()
        => Assert.Equal("D:P(A;;FA;;;S-1-5-21-1-2-3-1001)", PrivateFile.OwnerOnlySddl("S-1-5-21-1-2-3-1001"));
}
