using System.Net;
using Xunit;

namespace Leadspace.Simulator.Tests;

public sealed class CreditTests
{
    private const string CreditsText =
        "Please reach out to the Customer Success Manager and the Support team (at support@leadspace.com) for credits allocation";

    [Fact]
    public async Task CreditsRunOutExactlyAtBudgetAndErrorsCostNothing()
    {
        await using var host = await Sim.StartAsync(o => o.Credits = 3);
        using var client = Sim.Client(host);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.EnrichTextAsync("{}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.EnrichTextAsync(Sim.Account("A"), "nope")).Status);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme " + i))).Status);
        }
        var (status, body) = await client.EnrichTextAsync(Sim.Account("Acme 4"));
        Assert.Equal((HttpStatusCode)427, status);
        Assert.Equal(CreditsText, body);
        // 427 is final: even an invalid body gets 427 now (credits are checked before the body).
        Assert.Equal((HttpStatusCode)427, (await client.EnrichTextAsync("{}")).Status);

        var s = host.Stats;
        Assert.Equal(3, s.CreditsCharged);
        Assert.Equal(0, s.CreditsRemaining);
        Assert.Equal(2, s.Status(427));
    }

    [Fact]
    public async Task ServerErrorsCostNoCredit()
    {
        await using var host = await Sim.StartAsync(o => { o.Credits = 2; o.ErrorRate = 1; });
        using var client = Sim.Client(host);
        for (var i = 0; i < 5; i++)
        {
            Assert.True((int)(await client.EnrichTextAsync(Sim.Account("Acme"))).Status >= 500);
        }
        host.Options.ErrorRate = 0;
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"))).Status);
        Assert.Equal((HttpStatusCode)427, (await client.EnrichTextAsync(Sim.Account("Acme"))).Status);
    }

    [Fact]
    public async Task ConcurrentCallsNeverOverspend()
    {
        await using var host = await Sim.StartAsync(o => { o.Credits = 5; o.LatencyMs = 100; });
        using var client = Sim.Client(host);
        var codes = await Sim.BurstAsync(client, 20, i => Sim.Account("Acme " + i));
        Assert.Equal(5, codes.Count(c => c == 200));
        Assert.Equal(15, codes.Count(c => c == 427));
        Assert.Equal(5, host.Stats.CreditsCharged);
    }

    [Fact]
    public async Task ResetAndConfigRestoreTheBudget()
    {
        await using var host = await Sim.StartAsync(o => o.Credits = 1);
        using var client = Sim.Client(host);
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        Assert.Equal((HttpStatusCode)427, (await client.EnrichTextAsync(Sim.Account("A"))).Status);

        host.ResetStats();
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        Assert.Equal((HttpStatusCode)427, (await client.EnrichTextAsync(Sim.Account("A"))).Status);

        var (status, cfg) = await client.PostJsonAsync("/__config", """{"credits":2}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, cfg.GetProperty("credits").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        Assert.Equal((HttpStatusCode)427, (await client.EnrichTextAsync(Sim.Account("A"))).Status);

        host.Options.Credits = -1;
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("A"))).Status);
        Assert.Null(host.Stats.CreditsRemaining);
    }

    [Fact]
    public async Task InvalidProgramIdGets427()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        var (status, _) = await client.PostJsonAsync("/__config", """{"invalidProgramIds":["sim-program"]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var (s427, body) = await client.EnrichTextAsync(Sim.Account("Acme"));
        Assert.Equal((HttpStatusCode)427, s427);
        Assert.Equal(CreditsText, body);
        await client.PostJsonAsync("/__config", """{"invalidProgramIds":[]}""");
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"))).Status);
    }
}
