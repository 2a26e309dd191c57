using Leadspace.Auth;
using Leadspace.Http;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;
using Leadspace.Session;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The store's credentials: redis:// URIs, -RateLimitStoreCredential, the environment form, redaction on
/// every path, and the warning for a password sent without TLS. No Redis here (see RateLimitStore.Tests.ps1).</summary>
[Collection("Connections")] // RateGateFactory.StoreFactory and the gate registry are process-wide
public class StoreCredentialTests
{
    private const string Secret = "Sup3r-S3cret-Pw";

    [Theory]
    [InlineData("redis://app:" + Secret + "@redis01:6379", "redis://app:(redacted)@redis01:6379")]
    [InlineData("redis://:" + Secret + "@redis01:6379/0", "redis://:(redacted)@redis01:6379/0")]
    [InlineData("rediss://app:" + Secret + "@redis01", "rediss://app:(redacted)@redis01")]
    [InlineData("redis://redis01:6379", "redis://redis01:6379")]
    public void RedactsTheUriPassword(string configuration, string shown)
    {
        Assert.Equal(shown, RateLimitStoreOption.Redact(configuration));
        Assert.Equal(shown, RateLimitStoreOption.Sanitize("failed: " + configuration, configuration).Substring("failed: ".Length));
    }

    [Fact]
    public void AUriBecomesAConfigurationStringWithoutItsCredentials()
    {
        Assert.Equal("redis01:6380", RateLimitStoreOption.FromUri("redis://app:p%40ss%2Cw@redis01:6380", out var user, out var password));
        Assert.Equal("app", user);
        Assert.Equal("p@ss,w", password);
        Assert.Equal("redis01:6379,ssl=true,defaultDatabase=2", RateLimitStoreOption.FromUri("rediss://:pw@redis01/2", out user, out password));
        Assert.Null(user);
        Assert.Equal("pw", password);
        Assert.Equal("redis01:6379,password=x", RateLimitStoreOption.FromUri("redis01:6379,password=x", out user, out password));
        Assert.Null(password);
        var ex = Assert.Throws<ArgumentException>(() => RateLimitStoreOption.FromUri("redis://app:" + Secret + "@redis01/not-a-db", out _, out _));
        Assert.DoesNotContain(Secret, ex.Message);
    }

    private static ConnectionRequest Request(string store, string? user = null, string? password = null)
        => new()
        {
            RateLimitStoreUser = user,
            RateLimitStorePassword = password == null ? null : ClientTests.Secure(password),
            Settings = new ConnectionSettings { RateLimitStore = store },
        };

    [Fact]
    public void TheCredentialTheUriAndTheEnvironmentGiveTheStoresCredentialsInThatOrder()
    {
        var env = new Dictionary<string, string?> { [RateLimitStoreOption.UserVariable] = "env-user", [RateLimitStoreOption.PasswordVariable] = "env-pw" };
        var warnings = new List<string>();

        var r = Request("redis://uri-user:uri-pw@127.0.0.1:6379", "cred-user", "cred-pw");
        ConnectionFactory.PrepareStore(r, k => env.GetValueOrDefault(k), warnings.Add);
        Assert.Equal("127.0.0.1:6379", r.Settings.RateLimitStore);
        Assert.Equal("cred-user", r.Settings.RateLimitStoreUser);
        Assert.Equal("cred-pw", SecureText.ToPlain(r.Settings.RateLimitStorePassword!));

        r = Request("redis://uri-user:uri-pw@127.0.0.1:6379");
        ConnectionFactory.PrepareStore(r, k => env.GetValueOrDefault(k), warnings.Add);
        Assert.Equal("uri-user", r.Settings.RateLimitStoreUser);
        Assert.Equal("uri-pw", SecureText.ToPlain(r.Settings.RateLimitStorePassword!));

        r = Request("127.0.0.1:6379");
        ConnectionFactory.PrepareStore(r, k => env.GetValueOrDefault(k), warnings.Add);
        Assert.Equal("env-user", r.Settings.RateLimitStoreUser);
        Assert.Equal("env-pw", SecureText.ToPlain(r.Settings.RateLimitStorePassword!));

        // A password in the string wins over the environment.
        r = Request("127.0.0.1:6379,password=in-string");
        ConnectionFactory.PrepareStore(r, k => env.GetValueOrDefault(k), warnings.Add);
        Assert.Null(r.Settings.RateLimitStorePassword);
        Assert.Empty(warnings); // loopback: no warning

        var noStore = new ConnectionRequest { RateLimitStorePassword = ClientTests.Secure("x") };
        var ex = Assert.Throws<LeadspaceConnectException>(() => ConnectionFactory.PrepareStore(noStore, _ => null, null));
        Assert.Equal("LeadspaceInvalidConnectionSetting", ex.ErrorId);
    }

    [Theory]
    [InlineData("redis-pw.invalid:6379,password=" + Secret, null, true)]
    [InlineData("redis://:" + Secret + "@redis-pw.invalid:6379", null, true)]
    [InlineData("redis-pw.invalid:6379", Secret, true)]
    [InlineData("redis-pw.invalid:6379,ssl=true,password=" + Secret, null, false)]
    [InlineData("rediss://:" + Secret + "@redis-pw.invalid:6379", null, false)]
    [InlineData("redis-pw.invalid:6379", null, false)]           // no password: nothing to protect
    [InlineData("localhost:6379,password=" + Secret, null, false)]
    [InlineData("[::1]:6379", Secret, false)]
    public void APasswordSentToARemoteStoreWithoutTlsWarns(string store, string? credentialPassword, bool warns)
    {
        var warnings = new List<string>();
        ConnectionFactory.PrepareStore(Request(store, credentialPassword == null ? null : "app", credentialPassword), _ => null, warnings.Add);
        Assert.Equal(warns ? 1 : 0, warnings.Count);
        if (warns)
        {
            Assert.Contains("redis-pw.invalid:6379", warnings[0]);
            Assert.Contains("ssl=true", warnings[0]);
            Assert.DoesNotContain(Secret, warnings[0]);
        }
    }

    private sealed class RecordingFactory : IRateLimitStoreFactory
    {
        public readonly List<(string Configuration, string Redacted, string? User, string? Password)> Calls = new();
        public Exception? Fail;
        public IRateLimitStore Connect(string configuration, string redacted, string? user, string? password)
        {
            Calls.Add((configuration, redacted, user, password));
            if (Fail != null) throw Fail;
            return new NullStore(redacted);
        }
    }

    private sealed class NullStore : IRateLimitStore
    {
        public NullStore(string description) { Description = description; }
        public string Description { get; }
        public Task<StoreReservation> ReserveAsync(StoreReservationRequest request) => Task.FromResult(new StoreReservation { Granted = true, Processes = 1 });
        public Task<StorePenalty> PenalizeAsync(string programKey, TimeSpan? retryAfter, TimeSpan maxPause) => Task.FromResult(new StorePenalty());
        public Task<StoreStatus> GetStatusAsync(string programKey, TimeSpan window) => Task.FromResult(new StoreStatus { Processes = 0 });
        public Task ReleaseAsync(string programKey, string member) => Task.CompletedTask;
        public Task PingAsync() => Task.CompletedTask;
        public Task<StoreStatus> ReserveCreditAsync(string programKey, string period, long limit, string reservation) => throw new NotSupportedException("no budget here");
        public Task<StoreStatus> SettleCreditAsync(string programKey, string period, string reservation, bool charged) => throw new NotSupportedException("no budget here");
        public Task<StoreStatus> GetBudgetAsync(string programKey, string period, long limit) => throw new NotSupportedException("no budget here");
        public void Dispose() { }
    }

    [Fact]
    public void TheCredentialReachesTheStoreApartIsNeverShownAndTellsStoresApart()
    {
        var factory = new RecordingFactory();
        var saved = RateGateFactory.StoreFactory;
        RateGateFactory.StoreFactory = () => factory;
        try
        {
            using var a = (SharedRateGate)RateGateFactory.Create("program-a", 30, "store-x:6379", null, "app", ClientTests.Secure(Secret));
            var call = Assert.Single(factory.Calls);
            Assert.Equal(("store-x:6379", "app", Secret), (call.Configuration, call.User, call.Password));
            Assert.Equal("store-x:6379,user=app,password=(redacted)", call.Redacted);
            Assert.Equal("store-x:6379,user=app,password=(redacted)", a.Snapshot().Store);
            Assert.DoesNotContain(Secret, a.ToString());

            // The same store with the same credential is the same store; another password is a conflict that never shows either.
            RateGateFactory.EnsureSameStore(a, "store-x:6379", "Program a", "app", ClientTests.Secure(Secret));
            var ex = Assert.Throws<RateLimitStoreException>(() => RateGateFactory.EnsureSameStore(a, "store-x:6379", "Program a", "app", ClientTests.Secure("other-" + Secret)));
            Assert.Equal(RateLimitStoreFailure.Conflict, ex.Failure);
            Assert.DoesNotContain(Secret, ex.ToString());
            Assert.Contains("password=(redacted)", ex.Message);

            // A failure of the client library that quotes the password never shows it.
            factory.Fail = new InvalidOperationException("AUTH app " + Secret + " failed");
            var load = Assert.Throws<RateLimitStoreException>(() => RateGateFactory.Create("program-b", 30, "store-y:6379", null, "app", ClientTests.Secure(Secret)));
            Assert.DoesNotContain(Secret, load.ToString());
        }
        finally { RateGateFactory.StoreFactory = saved; }
    }
}
