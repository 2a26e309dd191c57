using System.Net;
using Xunit;

namespace Leadspace.Simulator.Tests;

public sealed class StatsConfigTests
{
    [Fact]
    public async Task StatsCountEverything()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        await client.EnrichTextAsync(Sim.Account("A", "id-1"));
        await client.EnrichTextAsync(Sim.Account("A", "id-1"));
        await client.EnrichTextAsync(Sim.Account("A", "id-1"));
        await client.EnrichTextAsync(Sim.Account("B", "id-2"));
        await client.EnrichTextAsync(Sim.Account("C"));
        await client.EnrichTextAsync("{}");
        await client.EnrichTextAsync(Sim.Account("C"), "bad");

        var stats = await client.GetJsonAsync("/__stats");
        Assert.Equal(7, stats.GetProperty("calls").GetInt64());
        Assert.Equal(5, stats.GetProperty("statusCounts").GetProperty("200").GetInt64());
        Assert.Equal(1, stats.GetProperty("statusCounts").GetProperty("400").GetInt64());
        Assert.Equal(1, stats.GetProperty("statusCounts").GetProperty("401").GetInt64());
        Assert.Equal(5, stats.GetProperty("creditsCharged").GetInt64());
        Assert.Equal(3, stats.GetProperty("chargesByExternalId").GetProperty("id-1").GetInt64());
        Assert.Equal(1, stats.GetProperty("chargesByExternalId").GetProperty("id-2").GetInt64());
        Assert.Equal(2, stats.GetProperty("duplicateCharges").GetInt64());
        Assert.Equal(6, stats.GetProperty("maxAcceptedInAnyWindow").GetInt32()); // 5 × 200 + the 400 passed the gate
        Assert.True(stats.GetProperty("peakConcurrency").GetInt32() >= 1);
        Assert.Equal(0, stats.GetProperty("oauthCalls").GetInt64());
        Assert.Equal(0, stats.GetProperty("dropped").GetInt64());
    }

    [Fact]
    public async Task PeakConcurrencyIsMeasured()
    {
        await using var host = await Sim.StartAsync(o => o.LatencyMs = 1000);
        using var client = Sim.Client(host);
        var codes = await Sim.BurstAsync(client, 8, i => Sim.Account("P" + i));
        Assert.All(codes, c => Assert.Equal(200, c));
        Assert.InRange(host.Stats.PeakConcurrency, 5, 8);
    }

    [Fact]
    public async Task RequestsListsTheBodiesAsTheyArrivedUntilAReset()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        await client.EnrichTextAsync(Sim.Account("First Co", "r-1"));
        await client.EnrichTextAsync("{\"company\":{\"name\":\"Ünïcode Ltd\"},\"external_id\":\"r-2\"}");
        await client.EnrichTextAsync("not json");
        var bodies = await client.GetJsonAsync("/__requests");
        Assert.Equal(2, bodies.GetArrayLength()); // the one that is not JSON is not a body to record
        Assert.Equal("r-1", bodies[0].GetProperty("external_id").GetString());
        Assert.Equal("Ünïcode Ltd", bodies[1].GetProperty("company").GetProperty("name").GetString());
        await client.PostJsonAsync("/__reset", "{}");
        Assert.Equal(0, (await client.GetJsonAsync("/__requests")).GetArrayLength());
    }

    [Fact]
    public async Task ReleaseSendsTheAnswersThatAreWaitingOutTheirLatencyAtOnce()
    {
        await using var host = await Sim.StartAsync(o => o.LatencyMs = 600_000);
        using var client = Sim.Client(host);
        var held = client.EnrichTextAsync(Sim.Account("Held", "h-1"));
        while (host.Stats.Calls < 1) await Task.Delay(10);
        await Task.Delay(200);
        Assert.False(held.IsCompleted); // ten minutes of latency: still waiting

        var (status, _) = await client.PostJsonAsync("/__release", "{}");
        Assert.Equal(HttpStatusCode.OK, status);
        var answer = await held.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(1, host.Stats.CreditsCharged); // answered and charged like any other call

        // Only what was waiting is released: a later request waits out the latency again.
        var later = client.EnrichTextAsync(Sim.Account("Later", "h-2"));
        while (host.Stats.Calls < 2) await Task.Delay(10);
        await Task.Delay(200);
        Assert.False(later.IsCompleted);
        await client.PostJsonAsync("/__release", "{}");
        Assert.Equal(HttpStatusCode.OK, (await later.WaitAsync(TimeSpan.FromSeconds(30))).Status);
    }

    [Fact]
    public async Task ResetClearsCountersAndTheRateWindow()
    {
        await using var host = await Sim.StartAsync(o => { o.Rate = 2; o.RateWindowMs = 60_000; });
        using var client = Sim.Client(host);
        await client.EnrichTextAsync(Sim.Account("A", "x"));
        await client.EnrichTextAsync(Sim.Account("A", "x"));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.EnrichTextAsync(Sim.Account("A"))).Status);

        var (status, after) = await client.PostJsonAsync("/__reset", "{}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, after.GetProperty("calls").GetInt64());
        Assert.Equal(0, after.GetProperty("duplicateCharges").GetInt64());
        Assert.Equal(0, after.GetProperty("maxAcceptedInAnyWindow").GetInt32());
        Assert.Empty(after.GetProperty("chargesByExternalId").EnumerateObject());
        Assert.Empty(after.GetProperty("statusCounts").EnumerateObject());

        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        using var get = await client.GetAsync("/__reset");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Fact]
    public async Task ConfigChangesKnobsAndReturnsTheEffectiveConfig()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        var (status, cfg) = await client.PostJsonAsync("/__config",
            """{"credits":5,"errorRate":0.5,"latencyMs":0,"rate-window":"fixed","retryAfter":3,"tokens":["t1","t2"],"noMatchRate":0.2}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, cfg.GetProperty("credits").GetInt64());
        Assert.Equal(0.5, cfg.GetProperty("errorRate").GetDouble());
        Assert.Equal("fixed", cfg.GetProperty("rateWindow").GetString());
        Assert.Equal(3, cfg.GetProperty("retryAfter").GetInt32());
        Assert.Equal(2, cfg.GetProperty("tokens").GetArrayLength());
        Assert.Equal(0.5, host.Options.ErrorRate);
        Assert.Equal(RateWindowMode.Fixed, host.Options.RateWindow);
        Assert.Equal(["t1", "t2"], host.Options.Tokens);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        Assert.NotEqual(HttpStatusCode.Unauthorized, (await client.EnrichTextAsync(Sim.Account("A"), "t2")).Status);

        var get = await client.GetJsonAsync("/__config");
        Assert.Equal(0.2, get.GetProperty("noMatchRate").GetDouble());
        Assert.Equal(3, get.GetProperty("retryAfter").GetInt32());
        var (s2, _) = await client.PostJsonAsync("/__config", """{"retryAfter":null}""");
        Assert.Equal(HttpStatusCode.OK, s2);
        Assert.Null(host.Options.RetryAfter);
    }

    [Theory]
    [InlineData("""{"nope":1}""")]
    [InlineData("""{"errorRate":1.5}""")]
    [InlineData("""{"rate":-1}""")]
    [InlineData("""{"rateWindow":"weekly"}""")]
    [InlineData("""{"port":1234}""")]
    [InlineData("""{"errorRate":0.9,"credits":"many"}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""not json""")]
    public async Task BadConfigIsRejectedAndChangesNothing(string body)
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        using var resp = await client.PostAsync("/__config", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.Equal(0, host.Options.ErrorRate);
        Assert.Equal(-1, host.Options.Credits);
    }
}
