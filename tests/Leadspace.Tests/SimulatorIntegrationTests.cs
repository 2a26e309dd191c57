using Leadspace.Auth;
using Leadspace.Engine;
using Leadspace.Http;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.RateLimiting;
using Leadspace.Resilience;
using Leadspace.Simulator;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Timing-sensitive tests run alone, not beside other test classes competing for the 2 cores.</summary>
[CollectionDefinition("Timing", DisableParallelization = true)]
public class TimingCollection { }

/// <summary>The client and engine against the real simulator over HTTP, with faults injected.</summary>
[Collection("Timing")]
public class SimulatorIntegrationTests
{
    internal static List<EnrichmentResult> Run(LeadspaceClient client, int rows, int window = 64)
    {
        using var engine = new EnrichmentEngine(client, window);
        var output = new List<EnrichmentResult>();
        for (int i = 1; i <= rows; i++)
        {
            var r = new EnrichmentRequest();
            r.Set(RequestField.CompanyName, "Fault Co " + i);
            r.Set(RequestField.ExternalId, "row-" + i);
            while (engine.IsFull) output.Add(engine.TakeNext(default).Result);
            engine.Submit(i, null, r);
            output.AddRange(engine.TakeReady().Select(c => c.Result));
        }
        while (engine.Pending > 0) output.Add(engine.TakeNext(default).Result);
        return output;
    }

    private static LeadspaceClient Client(SimulatorHost sim, double rate, Action<RetryPolicy>? retry = null)
    {
        var settings = new ConnectionSettings
        {
            BaseUri = sim.BaseUri,
            RequestsPerSecond = rate,
            Timeout = TimeSpan.FromSeconds(5),
            Retry = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200), MaxAttempts = 8 },
        };
        retry?.Invoke(settings.Retry);
        return new LeadspaceClient(settings, _ => new PerpetualTokenProvider(ClientTests.Secure("sim-token")), new RateGate(rate));
    }

    [Fact]
    public async Task UnderServerErrorsAndDroppedConnectionsEveryRowIsEnrichedOnceInOrder()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Rate = 0, LatencyMs = 5, JitterMs = 5, ErrorRate = 0.2, DropRate = 0.05, Seed = 7 });
        // 502, 504 and drops may have been charged (ambiguous): with 15 % of attempts ambiguous, allow enough resends
        // that no row runs out by chance (the simulator charges none of them, which the stats check below).
        using var client = Client(sim, 400, r => { r.MaxAmbiguousRetries = 8; r.MaxAttempts = 16; });
        var results = Run(client, 200);

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Select(r => r.RowNumber));
        Assert.All(results, r => Assert.Contains(r.Status, new[] { EnrichmentOutcome.Enriched, EnrichmentOutcome.NotMatched }));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => "row-" + i), results.Select(r => r.ExternalId));
        var stats = sim.GetStats();
        Assert.True(stats.Count(500) + stats.Count(502) + stats.Count(503) + stats.Count(504) > 0, "faults were injected");
        Assert.True(stats.Dropped > 0, "connections were dropped");
        Assert.Equal(200, stats.CreditsCharged);
        Assert.Equal(0, stats.DuplicateCharges);
    }

    [Fact]
    public async Task AgainstAStricterServerLimit429sAreRetriedAndNoRowIsLost()
    {
        // The client believes 40/s; the server allows 20/s: 429s, back-off, and every row still arrives.
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Rate = 20, LatencyMs = 10 });
        using var client = Client(sim, 40, r => { r.MaxAttempts = 20; r.MaxElapsed = TimeSpan.FromSeconds(30); });
        var results = Run(client, 80);
        Assert.All(results, r => Assert.Contains(r.Status, new[] { EnrichmentOutcome.Enriched, EnrichmentOutcome.NotMatched }));
        var stats = sim.GetStats();
        Assert.True(stats.Count(429) > 0);
        Assert.True(client.Gate.EffectiveRequestsPerSecond < 40 || client.Statistics.RateLimited > 0);
        Assert.Equal(0, stats.DuplicateCharges);
        Assert.True(stats.MaxAcceptedInAnyWindow <= 20);
    }

    [Fact]
    public async Task TheGateIsOnTheWayToTheServerAndPacesWhatArrives()
    {
        // The server does not limit here: it only measures what arrives, in a true sliding window.
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Rate = 0, LatencyMs = 20, JitterMs = 10 });
        using var client = Client(sim, 25);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var results = Run(client, 100);
        watch.Stop();
        Assert.Equal(100, results.Count);
        var stats = sim.GetStats();
        // At most 25 grants in any 1.025 s: 100 calls cannot take less than three such windows, whatever the machine
        // (a busy machine only makes the run slower, so this bound never fails by chance).
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(3 * 1.025), $"100 calls at 25/s took only {watch.Elapsed}");
        // The exact window bound is proved on the gate's own clock (RateGateTests). What the server sees also carries
        // this machine's scheduling (a call granted on time may leave late, beside the next window's first ones), so
        // here the check is that nothing bursts: an unpaced client would put all 64 calls of its window in one second.
        Assert.True(stats.MaxAcceptedInAnyWindow < 2 * 25, $"{stats.MaxAcceptedInAnyWindow} calls arrived within one second");
    }

    [Fact]
    public async Task CreditsRunOutMidRunAndNothingIsSentAfterwards()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Rate = 0, Credits = 30, LatencyMs = 5 });
        using var client = Client(sim, 1000);
        using var engine = new EnrichmentEngine(client, 16);
        var output = new List<EnrichmentResult>();
        int submitted = 0;
        for (int i = 1; i <= 500 && engine.Fatal == null; i++)
        {
            var r = new EnrichmentRequest();
            r.Set(RequestField.CompanyName, "Budget Co " + i);
            r.Set(RequestField.ExternalId, "b-" + i);
            while (engine.IsFull) output.Add(engine.TakeNext(default).Result);
            engine.Submit(i, null, r);
            submitted++;
            output.AddRange(engine.TakeReady().Select(c => c.Result));
        }
        while (engine.Pending > 0) output.Add(engine.TakeNext(default).Result);

        Assert.NotNull(engine.Fatal);
        Assert.Equal(submitted, output.Count);
        Assert.Equal(30, output.Count(r => r.Status is EnrichmentOutcome.Enriched or EnrichmentOutcome.NotMatched));
        var stats = sim.GetStats();
        Assert.Equal(30, stats.CreditsCharged);
        Assert.True(stats.Calls <= 30 + 16, $"{stats.Calls} calls: rows kept being sent after the 427");
    }

    [Fact]
    public async Task OAuthTokensExpireAndAreRenewedWithoutFailingARow()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Rate = 0, OAuthTokenLifetime = 1.5, LatencyMs = 5 });
        var settings = new ConnectionSettings { BaseUri = sim.BaseUri, RequestsPerSecond = 40 };
        using var client = new LeadspaceClient(settings,
            http => new OAuthTokenProvider(http, sim.BaseUri, sim.Options.ProgramId, ClientTests.Secure(sim.Options.OAuthSecret)), new RateGate(40));
        var results = Run(client, 120); // ~3 s at 40/s: the token expires twice
        Assert.True(results.All(r => r.Status is EnrichmentOutcome.Enriched or EnrichmentOutcome.NotMatched),
            string.Join("\n", results.Where(r => r.Status == EnrichmentOutcome.Failed).Take(3).Select(r => r.Message)));
        Assert.All(results, r => Assert.Contains(r.Status, new[] { EnrichmentOutcome.Enriched, EnrichmentOutcome.NotMatched }));
        Assert.True(sim.GetStats().OAuthCalls >= 2);
    }
}
