using System.Reflection;
using System.Runtime.InteropServices;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The -RateLimitStore option (redaction, environment variable, store keys) and the gate factory, without Redis.</summary>
[Collection("Connections")] // RateGateFactory.StoreFactory and the gate registry are process-wide
public class RateLimitStoreOptionTests
{
    [Theory]
    [InlineData("redis01:6379,password=s3cr3t!,ssl=true", "redis01:6379,password=(redacted),ssl=true")]
    [InlineData("password=s3cr3t,redis01:6379", "password=(redacted),redis01:6379")]
    [InlineData("redis01:6379, Password = s3cr3t", "redis01:6379, Password =(redacted)")]
    [InlineData("redis01:6379,user=app,password=a=b", "redis01:6379,user=app,password=(redacted)")]
    [InlineData("redis01:6379", "redis01:6379")]
    public void RedactsEveryPassword(string configuration, string shown)
    {
        Assert.Equal(shown, RateLimitStoreOption.Redact(configuration));
    }

    [Fact]
    public void SanitizeRemovesThePasswordFromAnyMessage()
    {
        var config = "redis01:6379,password=hunter2-xyz";
        var message = RateLimitStoreOption.Sanitize("failed for redis01:6379,password=hunter2-xyz (auth hunter2-xyz)", config);
        Assert.DoesNotContain("hunter2-xyz", message);
        Assert.Contains("(redacted)", message);
    }

    [Fact]
    public void TheParameterWinsOverTheEnvironmentVariable_AndBlankMeansNoStore()
    {
        var saved = Environment.GetEnvironmentVariable(RateLimitStoreOption.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(RateLimitStoreOption.EnvironmentVariable, "from-env:6379");
            Assert.Equal("from-env:6379", RateLimitStoreOption.Resolve(false, null));
            Assert.Equal("given:6379", RateLimitStoreOption.Resolve(true, " given:6379 "));
            Assert.Null(RateLimitStoreOption.Resolve(true, ""));
            Environment.SetEnvironmentVariable(RateLimitStoreOption.EnvironmentVariable, null);
            Assert.Null(RateLimitStoreOption.Resolve(false, null));
        }
        finally { Environment.SetEnvironmentVariable(RateLimitStoreOption.EnvironmentVariable, saved); }
    }

    [Fact]
    public void StoreKeysAreOnePerProgramShareAHashTagAndNeverHoldTheGateKey()
    {
        var a = RateLimitStoreOption.ProgramKey("https://apigw.leadspace.com|token:0123456789abcdef");
        var b = RateLimitStoreOption.ProgramKey("https://apigw.leadspace.com|token:0123456789abcdef");
        var c = RateLimitStoreOption.ProgramKey("https://apigw.leadspace.com|program:other");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Matches(@"^leadspace:rate:\{[0-9a-f]{32}\}$", a);
        Assert.DoesNotContain("0123456789abcdef", a);
    }

    private sealed class CountingFactory : IRateLimitStoreFactory
    {
        public int Connects;
        public Exception? Fail;
        public IRateLimitStore Connect(string configuration, string redacted, string? user, string? password)
        {
            Connects++;
            if (Fail != null) throw Fail;
            return new StaticStore(redacted);
        }
    }

    internal sealed class StaticStore : IRateLimitStore
    {
        public StaticStore(string description) { Description = description; }
        public string Description { get; }
        public bool Disposed;
        public Task<StoreReservation> ReserveAsync(StoreReservationRequest request) => Task.FromResult(new StoreReservation { Granted = true, Processes = 1 });
        public Task<StorePenalty> PenalizeAsync(string programKey, TimeSpan? retryAfter, TimeSpan maxPause) => Task.FromResult(new StorePenalty());
        public Task<StoreStatus> GetStatusAsync(string programKey, TimeSpan window) => Task.FromResult(new StoreStatus { Processes = 2 });
        public Task ReleaseAsync(string programKey, string member) => Task.CompletedTask;
        public Task PingAsync() => Task.CompletedTask;
        public Task<StoreStatus> ReserveCreditAsync(string programKey, string period, long limit, string reservation) => throw new NotSupportedException("no budget here");
        public Task<StoreStatus> SettleCreditAsync(string programKey, string period, string reservation, bool charged) => throw new NotSupportedException("no budget here");
        public Task<StoreStatus> GetBudgetAsync(string programKey, string period, long limit) => throw new NotSupportedException("no budget here");
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void TheFactoryMakesALocalGateWithoutAStoreAndSharesOneStoreConnectionPerConfiguration()
    {
        var factory = new CountingFactory();
        var saved = RateGateFactory.StoreFactory;
        RateGateFactory.StoreFactory = () => factory;
        try
        {
            using (var local = RateGateFactory.Create("k0", 30, null)) Assert.IsType<RateGate>(local);
            Assert.Equal(0, factory.Connects);

            var a = (SharedRateGate)RateGateFactory.Create("program-a", 30, "store-x:6379,password=p");
            var b = (SharedRateGate)RateGateFactory.Create("program-b", 30, "store-x:6379,password=p");
            Assert.Equal(1, factory.Connects);
            Assert.Equal("store-x:6379,password=(redacted)", a.Snapshot().Store);
            Assert.Equal(3, a.Snapshot().Processes); // 2 others seen at connect, plus this one
            a.Dispose();
            Assert.Equal(1, RateGateFactory.OpenStores);
            b.Dispose();
            Assert.Equal(0, RateGateFactory.OpenStores);
        }
        finally { RateGateFactory.StoreFactory = saved; }
    }

    [Fact]
    public void AStoreThatCannotBeUsedIsAClearErrorAndLeavesNothingOpen()
    {
        var factory = new CountingFactory { Fail = new RateLimitStoreException(RateLimitStoreFailure.AuthenticationFailed, "refused") };
        var saved = RateGateFactory.StoreFactory;
        RateGateFactory.StoreFactory = () => factory;
        try
        {
            var ex = Assert.Throws<RateLimitStoreException>(() => RateGateFactory.Create("p", 30, "s:1,password=x"));
            Assert.Equal(RateLimitStoreFailure.AuthenticationFailed, ex.Failure);
            Assert.Equal(0, RateGateFactory.OpenStores);
        }
        finally { RateGateFactory.StoreFactory = saved; }
    }

    [Fact]
    public void OneProgramInOneProcessUsesOneStoreOrNone()
    {
        using var local = new RateGate(30);
        RateGateFactory.EnsureSameStore(local, null, "Program p");
        var ex = Assert.Throws<RateLimitStoreException>(() => RateGateFactory.EnsureSameStore(local, "s:6379,password=secret", "Program p"));
        Assert.Equal(RateLimitStoreFailure.Conflict, ex.Failure);
        Assert.DoesNotContain("secret", ex.Message);
    }

    [Fact]
    public void TheIsolatedLoadTakesFromTheRuntimeOnlyWhatItCarriesAtTheSameVersionOrHigher()
    {
        var runtime = RuntimeEnvironment.GetRuntimeDirectory();
        Assert.True(RateLimitStoreLoader.RuntimeCarries(runtime, new AssemblyName("System.Memory, Version=4.0.1.1")));
        Assert.False(RateLimitStoreLoader.RuntimeCarries(runtime, new AssemblyName("System.Memory, Version=99.0.0.0")));
        Assert.False(RateLimitStoreLoader.RuntimeCarries(runtime, new AssemblyName("Pipelines.Sockets.Unofficial, Version=1.0.0.0")));
        Assert.False(RateLimitStoreLoader.RuntimeCarries(runtime, new AssemblyName("StackExchange.Redis, Version=2.0.0.0")));
    }
}
