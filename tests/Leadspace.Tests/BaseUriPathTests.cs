using Leadspace.Auth;
using Leadspace.Http;
using Leadspace.RateLimiting;
using Leadspace.Engine;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.Simulator;
using Xunit;

namespace Leadspace.Tests;

/// <summary>A base URI with a path (a gateway's or reverse proxy's prefix) keeps it: the endpoints are appended.</summary>
public class BaseUriPathTests
{
    [Theory]
    [InlineData("https://apigw.leadspace.com", "https://apigw.leadspace.com/enrichment/enrich/single")]
    [InlineData("https://apigw.leadspace.com/", "https://apigw.leadspace.com/enrichment/enrich/single")]
    [InlineData("https://host/v3", "https://host/v3/enrichment/enrich/single")]
    [InlineData("https://host/v3/", "https://host/v3/enrichment/enrich/single")]
    [InlineData("https://host:8443/api/leadspace/v3//", "https://host:8443/api/leadspace/v3/enrichment/enrich/single")]
    [InlineData("https://host/v3/?x=1#top", "https://host/v3/enrichment/enrich/single")]
    public void TheEndpointIsAppendedToTheBaseUrisPath(string baseUri, string expected)
    {
        Assert.Equal(expected, ConnectionSettings.Endpoint(new Uri(baseUri), LeadspaceClient.EnrichPath).ToString());
        Assert.Equal(expected.Replace("enrichment/enrich/single", "oauth/authorize"), ConnectionSettings.Endpoint(new Uri(baseUri), "/oauth/authorize").ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwentyRowsAreEnrichedThroughAPrefixWithATokenAndWithOAuth(bool oauth)
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Rate = 0, PathPrefix = "/gateway/leadspace/v3", NoMatchRate = 0 });
        var baseUri = new Uri(sim.BaseUri.ToString().TrimEnd('/'));   // as a user types it, without the trailing slash
        var settings = new ConnectionSettings { BaseUri = baseUri, RequestsPerSecond = 200, Timeout = TimeSpan.FromSeconds(10) };
        using var client = new LeadspaceClient(settings,
            oauth ? http => new OAuthTokenProvider(http, baseUri, sim.Options.ProgramId, ClientTests.Secure(sim.Options.OAuthSecret))
                  : _ => new PerpetualTokenProvider(ClientTests.Secure("sim-token")),
            new RateGate(200));
        var results = SimulatorIntegrationTests.Run(client, 20);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => "row-" + i), results.Select(r => r.ExternalId));
        Assert.All(results, r => Assert.Equal(EnrichmentOutcome.Enriched, r.Status));
        var stats = sim.GetStats();
        Assert.Equal(20, stats.Calls);
        Assert.Equal(oauth ? 1 : 0, stats.OAuthCalls);
    }
}
