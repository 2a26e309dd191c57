using System.Security.Cryptography;
using System.Text;
using Leadspace.Journal;
using Leadspace.Session;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The journal header names the program by its id, or by a keyed hash of the token; never by a bare hash.</summary>
public class ProgramIdentityTests : IDisposable
{
    private const string Token = "perpetual-token-0123456789";
    private static readonly Uri Base = new Uri("https://apigw.example.test/");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "leadspace-identity-tests-" + Guid.NewGuid().ToString("N"));

    public ProgramIdentityTests() => Directory.CreateDirectory(_dir);
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sha256Hex(string s) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static RunJournal Open(string path, ProgramIdentity identity)
        => RunJournal.Open(path, identity.Service, identity.JournalKeys, "p", headerKeys: identity.JournalHeaderKeys);

    private static string Header(string path) => File.ReadLines(path).First();

    [Fact]
    public void A_token_journal_header_holds_no_bare_hash_of_the_token()
    {
        var identity = new ProgramIdentity(Base, null, Token);
        var path = Path.Combine(_dir, "token.jsonl");
        using (Open(path, identity)) { }
        var header = Header(path);
        var bare = Sha256Hex(Token);
        Assert.DoesNotContain(bare.Substring(0, 32), header, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(bare.Substring(0, 16), header, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Token, header);
        Assert.Contains("|token-hmac:" + ProgramIdentity.KeyedHash("https://apigw.example.test", Token), header);
    }

    [Fact]
    public void With_a_program_id_the_header_says_nothing_about_the_token()
    {
        var identity = new ProgramIdentity(Base, " Prog-7 ", Token);
        var path = Path.Combine(_dir, "program.jsonl");
        using (Open(path, identity)) { }
        var header = Header(path);
        Assert.Contains("\"https://apigw.example.test|program:prog-7\"", header);
        Assert.DoesNotContain("token", header);
        // The connection still knows both keys (the rate gate is shared by either).
        Assert.Equal(2, identity.Keys.Count);
    }

    [Fact]
    public void The_keyed_hash_is_an_HMAC_under_the_module_context_not_a_plain_hash()
    {
        var expected = Convert.ToHexString(HMACSHA256.HashData(ProgramIdentity.TokenKeyContext, Encoding.UTF8.GetBytes("https://apigw.example.test\n" + Token))).Substring(0, 32);
        Assert.Equal(expected, ProgramIdentity.KeyedHash("https://apigw.example.test", Token));
        Assert.NotEqual(Sha256Hex(Token).Substring(0, 32), ProgramIdentity.KeyedHash("https://apigw.example.test", Token));
        Assert.NotEqual(ProgramIdentity.KeyedHash("https://other.example.test", Token), ProgramIdentity.KeyedHash("https://apigw.example.test", Token));
        Assert.Equal(Sha256Hex(Token).Substring(0, 32), ProgramIdentity.LegacyHash(Token));
    }

    [Fact]
    public void A_journal_written_by_the_earlier_version_is_still_recognised_and_its_answers_replayed()
    {
        var path = Path.Combine(_dir, "old.jsonl");
        // What the earlier version wrote: the service and the token's bare SHA-256 (first 32 hex digits) as its key.
        var oldKey = "https://apigw.example.test|token:" + Sha256Hex(Token).Substring(0, 32);
        using (var old = RunJournal.Open(path, "https://apigw.example.test", new[] { oldKey }, "(identified by its token)"))
            old.RecordDone("key-1", 200, 1, "{\"status\":\"success\"}", null);
        Assert.Contains(oldKey, Header(path));

        using (var journal = Open(path, new ProgramIdentity(Base, null, Token)))
        {
            Assert.Equal(1, journal.AnswersAtOpen);
            Assert.True(journal.TryGetAnswer("key-1", out _));
        }
        // Another token is still refused.
        var refused = Assert.Throws<JournalException>(() => Open(path, new ProgramIdentity(Base, null, "another-token")));
        Assert.Equal("LeadspaceCheckpointMismatch", refused.ErrorId);
    }

    [Fact]
    public void A_token_journal_is_recognised_by_a_connection_that_also_gives_the_program_id()
    {
        var path = Path.Combine(_dir, "both.jsonl");
        using (var j = Open(path, new ProgramIdentity(Base, null, Token))) j.RecordDone("k", 200, 1, "{}", null);
        using (var journal = Open(path, new ProgramIdentity(Base, "prog-7", Token))) Assert.Equal(1, journal.AnswersAtOpen);
    }
}
