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

/// <summary>
/// The client, the engine and the reader against the simulator with every shape variant on: both forms the spec
/// allows, shapes beyond it, 200s without usable data, and 5xx bodies of every shape.
/// </summary>
[Collection("Timing")]
public class ShapeVariantIntegrationTests
{
    private static List<EnrichmentResult> Run(SimulatorHost sim, int rows)
    {
        var settings = new ConnectionSettings
        {
            BaseUri = sim.BaseUri,
            RequestsPerSecond = 400,
            Timeout = TimeSpan.FromSeconds(10),
            Retry = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50), MaxAttempts = 1 },
        };
        using var client = new LeadspaceClient(settings, _ => new PerpetualTokenProvider(ClientTests.Secure("sim-token")), new RateGate(400));
        using var engine = new EnrichmentEngine(client, 64);
        var output = new List<EnrichmentResult>();
        for (int i = 1; i <= rows; i++)
        {
            var r = new EnrichmentRequest();
            r.Set(RequestField.FirstName, "Ada");
            r.Set(RequestField.LastName, "Variant" + i);
            r.Set(RequestField.CompanyName, "Variant Co " + i);
            r.Set(RequestField.ExternalId, "v-" + i);
            while (engine.IsFull) output.Add(engine.TakeNext(default).Result);
            engine.Submit(i, null, r);
            output.AddRange(engine.TakeReady().Select(c => c.Result));
        }
        while (engine.Pending > 0) output.Add(engine.TakeNext(default).Result);
        return output;
    }

    [Fact]
    public async Task EveryRowComesOutWithItsValuesAndEveryTrackingIdIsFound()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            Rate = 0, NoMatchRate = 0.1, Seed = 11,
            ErrorRate = 0.2, ServerErrorBody = ServerErrorBody.Mixed,
            UnusableRate = 0.05, OddShapeRate = 0.3,
        });
        var results = Run(sim, 240);

        Assert.Equal(Enumerable.Range(1, 240).Select(i => (long)i), results.Select(r => r.RowNumber));
        Assert.Equal(Enumerable.Range(1, 240).Select(i => "v-" + i), results.Select(r => r.ExternalId));

        var serverErrors = results.Where(r => r.HttpStatus >= 500).ToList();
        Assert.NotEmpty(serverErrors);
        foreach (var r in serverErrors)
        {
            if (r.Message!.Contains("server error, no body", StringComparison.Ordinal)) Assert.Null(r.TrackingId);
            else Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", r.TrackingId);
        }
        Assert.Contains(serverErrors, r => r.Message!.Contains("the answer: ", StringComparison.Ordinal) && r.TrackingId != null); // text or HTML
        Assert.Contains(serverErrors, r => r.TrackingId == null);

        var unusable = results.Where(r => r.ErrorId == ErrorIds.InvalidResponse).ToList();
        Assert.NotEmpty(unusable);
        Assert.All(unusable, r => { Assert.Equal(EnrichmentOutcome.Failed, r.Status); Assert.Equal(200, r.HttpStatus); Assert.Equal(1, r.Attempts); });

        var answered = results.Where(r => r.HttpStatus == 200 && r.ErrorId == null).ToList();
        Assert.All(answered, r => Assert.Contains(r.Status, new[] { EnrichmentOutcome.Enriched, EnrichmentOutcome.NotMatched }));
        var odd = answered.Where(r => r.Response!.AdditionalProperties.ContainsKey("api_version")).ToList();
        Assert.NotEmpty(odd);
        foreach (var r in odd.Where(r => r.Response!.Data!.Company != null))
        {
            var company = r.Response!.Data!.Company!;
            Assert.IsType<string>(company.AdditionalProperties["size"]);       // kept as sent
            Assert.NotNull(r.CompanyRevenueExact);                               // a numeric string, typed
            Assert.Contains(r.Response.UntypedValues, u => u.Path == "data.company.size");
        }
        var lists = answered.Count(r => r.Response!.Json!.Contains("\"intent_modeling\":[", StringComparison.Ordinal));
        Assert.True(lists > 0 && lists < answered.Count(r => r.Response!.Data?.Company != null), "intent_modeling came as a list and as an object");
        Assert.Equal(sim.GetStats().CreditsCharged, answered.Count + unusable.Count);
    }
}
