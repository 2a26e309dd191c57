using Leadspace.RateLimiting.Shared;
using StackExchange.Redis;
using Xunit;

namespace Leadspace.RateLimitStore.Tests;

/// <summary>
/// The store's algorithm (Scripts/*.lua) on real servers. Assertions are on the grant times the store itself recorded
/// (its own clock), never on this machine's wall clock, so a loaded machine can only make grants later, not wrong.
/// </summary>
[Collection("Store servers")]
public class RedisRateLimitStoreTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(1025);
    private readonly StoreServers _servers;

    public RedisRateLimitStoreTests(StoreServers servers) => _servers = servers;

    private static string NewProgram() => RateLimitStoreOption.ProgramKey("test|" + Guid.NewGuid());

    private static RedisRateLimitStore Connect(StoreServer server) => RedisRateLimitStore.Connect(server.Configuration, server.Configuration);

    private static StoreReservationRequest Request(string program, string process, double rate = 30, TimeSpan? cold = null) => new()
    {
        ProgramKey = program,
        RequestsPerSecond = rate,
        Window = Window,
        ColdDelay = cold ?? TimeSpan.Zero,
        Member = process + ":" + Guid.NewGuid().ToString("N"),
        ProcessId = process,
        MaxLead = TimeSpan.FromSeconds(1),
        SendWindow = TimeSpan.FromMilliseconds(50),
    };

    private static int MaxInAnyWindow(List<long> sortedMicroseconds, long windowMicroseconds)
    {
        int max = 0, start = 0;
        for (int end = 0; end < sortedMicroseconds.Count; end++)
        {
            while (sortedMicroseconds[end] - sortedMicroseconds[start] >= windowMicroseconds) start++;
            max = Math.Max(max, end - start + 1);
        }
        return max;
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task ThreeProcessesNeverGetMoreThanTheLimitInAnyWindow_AndArePaced(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        var stores = Enumerable.Range(0, 3).Select(_ => Connect(server)).ToList();
        try
        {
            var granted = new List<long>();
            async Task Process(RedisRateLimitStore store, string id)
            {
                int mine = 0;
                while (mine < 30)
                {
                    var r = await store.ReserveAsync(Request(program, id));
                    if (r.Granted) { lock (granted) granted.Add(r.ReservedAtMicroseconds); mine++; }
                    await Task.Delay(r.Wait); // one reservation outstanding per process, as the gate does
                }
            }
            await Task.WhenAll(stores.Select((s, i) => Process(s, "process-" + i)));

            granted.Sort();
            Assert.Equal(90, granted.Count);
            Assert.True(MaxInAnyWindow(granted, 1_025_000) <= 30, $"{MaxInAnyWindow(granted, 1_025_000)} grants in one window");
            Assert.True(MaxInAnyWindow(granted, 100_000) <= 4, "paced, not burst: no more than ~3 grants in any 100 ms at 30/s");
            var status = await stores[0].GetStatusAsync(program, Window);
            Assert.Equal(3, status.Processes);
        }
        finally { stores.ForEach(s => s.Dispose()); }
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task TheProgramsLimitIsStoredOnceAndTheLowestWins(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        using var a = Connect(server);
        using var b = Connect(server);
        var granted = new List<long>();
        var first = await a.ReserveAsync(Request(program, "a", rate: 30));
        Assert.True(first.Granted);
        Assert.Equal(30, first.Limit);
        granted.Add(first.ReservedAtMicroseconds);
        var low = await b.ReserveAsync(Request(program, "b", rate: 5));
        Assert.Equal(5, low.Limit);
        if (low.Granted) granted.Add(low.ReservedAtMicroseconds);
        await Task.Delay(low.Wait);
        // Process a still asks for 30/s: the store applies 5/s, for it and for everyone.
        while (granted.Count < 9)
        {
            var r = await a.ReserveAsync(Request(program, "a", rate: 30));
            Assert.Equal(5, r.Limit);
            if (r.Granted) granted.Add(r.ReservedAtMicroseconds);
            await Task.Delay(r.Wait);
        }
        granted.Sort();
        Assert.True(MaxInAnyWindow(granted, 1_025_000) <= 5, $"{MaxInAnyWindow(granted, 1_025_000)} grants in one window at a stored limit of 5/s");
        Assert.True(granted[^1] - granted[0] >= 1_025_000, "9 grants at 5/s span more than one window");
        Assert.Equal(5, (await a.GetStatusAsync(program, Window)).Limit);
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task A429InOneProcessSlowsAndPausesEveryOther(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        using var a = Connect(server);
        using var b = Connect(server);
        await b.ReserveAsync(Request(program, "b"));

        var penalty = await a.PenalizeAsync(program, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(30));
        Assert.Equal(0.7, penalty.Factor, 3);
        Assert.True(penalty.Paused > TimeSpan.FromMilliseconds(700));
        var again = await a.PenalizeAsync(program, null, TimeSpan.FromSeconds(30)); // within half a second: the same signal
        Assert.Equal(0.7, again.Factor, 3);

        var r = await b.ReserveAsync(Request(program, "b"));
        Assert.True(r.Granted);
        Assert.True(r.ReservedAtMicroseconds >= penalty.AtMicroseconds + 800_000, "the other process waits out the Retry-After");
        Assert.Equal(0.7, r.Factor, 3);
        var next = await b.ReserveAsync(Request(program, "b"));
        Assert.True(next.ReservedAtMicroseconds - r.ReservedAtMicroseconds >= 1_000_000 / 21 - 16_000, "paced at 70 % of the rate");
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task AGrantIsNeverReservedFurtherAheadThanTheLead(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        using var store = Connect(server);
        var first = await store.ReserveAsync(Request(program, "p", rate: 1));
        Assert.True(first.Granted);
        var second = await store.ReserveAsync(Request(program, "p", rate: 1));
        Assert.False(second.Granted);                          // one per 1.025 s window: more than the 1 s lead away
        Assert.True(second.Wait > TimeSpan.FromSeconds(1));
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task AGrantIsRecordedAtItsLatestSendTime_ColdOnesLater_AndKeysExpireByThemselves(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        using var store = Connect(server);
        var request = Request(program, "p", cold: TimeSpan.FromMilliseconds(100));
        var r = await store.ReserveAsync(request);
        Assert.True(r.Granted);

        using var redis = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = redis.GetDatabase();
        // Recorded at the latest moment it may be sent (reserved + send window), plus the cold delay.
        Assert.Equal(r.ReservedAtMicroseconds + 50_000 + 100_000, (long)(await db.SortedSetScoreAsync(program + ":grants", request.Member))!.Value);
        foreach (var key in new[] { ":grants", ":state", ":procs" })
        {
            var ttl = await db.KeyTimeToLiveAsync(program + key);
            Assert.NotNull(ttl);
            Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), RedisRateLimitStore.KeyLifetime);
        }
        await store.ReleaseAsync(program, request.Member);
        Assert.Null(await db.SortedSetScoreAsync(program + ":grants", request.Member));
    }

    [Fact]
    public void AWrongOrMissingPasswordIsAClearErrorThatNeverShowsThePassword()
    {
        using var server = StoreServer.StartGarnet("--lua", "--lua-transaction-mode", "--auth", "Password", "--password", "right-pass-7f3a");
        var config = server.Configuration + ",password=wrong-pass-9c1d";
        var ex = Assert.Throws<RateLimitStoreException>(() => RedisRateLimitStore.Connect(config, RateLimitStoreOption.Redact(config)));
        Assert.Equal(RateLimitStoreFailure.AuthenticationFailed, ex.Failure);
        Assert.DoesNotContain("wrong-pass-9c1d", ex.ToString());
        Assert.Contains("password=(redacted)", ex.Message);

        var none = Assert.Throws<RateLimitStoreException>(() => RedisRateLimitStore.Connect(server.Configuration, server.Configuration));
        Assert.Equal(RateLimitStoreFailure.AuthenticationFailed, none.Failure);

        var good = server.Configuration + ",password=right-pass-7f3a";
        using var store = RedisRateLimitStore.Connect(good, RateLimitStoreOption.Redact(good));
        Assert.Equal(server.Configuration + ",password=(redacted)", store.Description);
    }

    [Fact]
    public void AnUnreachableStoreIsAClearError()
    {
        var config = $"127.0.0.1:{StoreServer.FreePort()},connectTimeout=2000";
        var ex = Assert.Throws<RateLimitStoreException>(() => RedisRateLimitStore.Connect(config, config));
        Assert.Equal(RateLimitStoreFailure.Unreachable, ex.Failure);
        Assert.Contains("Could not connect", ex.Message);
    }

    [Fact]
    public void AStoreWithoutLuaIsAClearError()
    {
        using var server = StoreServer.StartGarnet("--logger-level", "Error"); // no --lua
        var ex = Assert.Throws<RateLimitStoreException>(() => RedisRateLimitStore.Connect(server.Configuration, server.Configuration));
        Assert.Equal(RateLimitStoreFailure.Unsupported, ex.Failure);
        Assert.Contains("--lua --lua-transaction-mode", ex.Message);
    }

    [Fact]
    public void AnInvalidConfigurationStringIsAClearError()
    {
        var ex = Assert.Throws<RateLimitStoreException>(() => RedisRateLimitStore.Connect("127.0.0.1:6379,nosuchoption=1,password=zz-secret", "redacted"));
        Assert.Equal(RateLimitStoreFailure.InvalidConfiguration, ex.Failure);
        Assert.DoesNotContain("zz-secret", ex.Message);
    }

    [Fact]
    public async Task AKilledStoreFailsFast_AndAnswersAgainAfterARestart()
    {
        using var server = StoreServer.StartGarnet();
        var program = NewProgram();
        using var store = Connect(server);
        Assert.True((await store.ReserveAsync(Request(program, "p"))).Granted);

        server.Kill();
        // Fails instead of queueing the call until the store is back (the gate then falls back at once).
        var failure = store.ReserveAsync(Request(program, "p"));
        var finished = await Task.WhenAny(failure, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(failure, finished);
        var ex = await Assert.ThrowsAsync<RateLimitStoreException>(() => failure);
        Assert.Equal(RateLimitStoreFailure.Unreachable, ex.Failure);

        server.Start(); // same port, empty store: the scripts must be sent again (NOSCRIPT is handled)
        var deadline = DateTime.UtcNow.AddSeconds(30);
        StoreReservation? after = null;
        while (after == null && DateTime.UtcNow < deadline)
        {
            try { after = await store.ReserveAsync(Request(program, "p")); }
            catch (RateLimitStoreException) { await Task.Delay(200); }
        }
        Assert.NotNull(after);
        Assert.True(after!.Granted);
        await store.PingAsync();
    }
}
