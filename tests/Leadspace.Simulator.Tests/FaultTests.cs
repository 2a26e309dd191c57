using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;

namespace Leadspace.Simulator.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task ServerErrorsCarryTrackingIdTimestampAndCode()
    {
        await using var host = await Sim.StartAsync(o => o.ErrorRate = 1);
        using var client = Sim.Client(host);
        var seen = new HashSet<int>();
        for (var i = 0; i < 40; i++)
        {
            using var resp = await client.EnrichAsync(Sim.Account("Acme"));
            var code = (int)resp.StatusCode;
            Assert.Contains(code, new[] { 500, 502, 503, 504 });
            seen.Add(code);
            Assert.StartsWith("application/json", resp.Content.Headers.ContentType?.ToString());
            using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
            var root = doc.RootElement;
            Assert.False(string.IsNullOrEmpty(root.GetProperty("error").GetString()));
            Assert.False(string.IsNullOrEmpty(root.GetProperty("details").GetString()));
            Assert.True(Guid.TryParse(root.GetProperty("tracking_id").GetString(), out _));
            var ts = root.GetProperty("request_timestamp").GetString()!;
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", ts);
            var parsed = DateTime.ParseExact(ts, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            Assert.True(Math.Abs((DateTime.UtcNow - parsed).TotalMinutes) < 5);
        }
        Assert.True(seen.Count >= 3, "several 5xx codes occur");
        Assert.Equal(0, host.Stats.CreditsCharged);
    }

    [Fact]
    public async Task ErrorShareIsRoughlyAsConfigured()
    {
        await using var host = await Sim.StartAsync(o => o.ErrorRate = 0.3);
        using var client = Sim.Client(host);
        var errors = 0;
        for (var i = 0; i < 300; i++)
        {
            using var resp = await client.EnrichAsync(Sim.Account("Acme " + i));
            if ((int)resp.StatusCode >= 500)
            {
                errors++;
            }
        }
        Assert.InRange(errors, 60, 120);
        Assert.Equal(300 - errors, host.Stats.CreditsCharged);
    }

    [Fact]
    public async Task SameSeedGivesTheSameFaultSequence()
    {
        async Task<string> Run()
        {
            await using var host = await Sim.StartAsync(o => { o.ErrorRate = 0.5; o.Seed = 7; });
            using var client = Sim.Client(host);
            var codes = new List<int>();
            for (var i = 0; i < 30; i++)
            {
                using var resp = await client.EnrichAsync(Sim.Account("Acme"));
                codes.Add((int)resp.StatusCode);
            }
            return string.Join(",", codes);
        }
        Assert.Equal(await Run(), await Run());
    }

    [Fact]
    public async Task DroppedConnectionsGetNoResponse()
    {
        await using var host = await Sim.StartAsync(o => { o.DropRate = 1; o.Credits = 10; });
        using var client = Sim.Client(host);
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.EnrichAsync(Sim.Account("Acme", "d" + i)));
        }
        var s = host.Stats;
        Assert.Equal(3, s.Dropped);
        Assert.Equal(0, s.CreditsCharged);
        Assert.Equal(3, s.Calls);

        host.Options.DropCharges = true;
        await Assert.ThrowsAsync<HttpRequestException>(() => client.EnrichAsync(Sim.Account("Acme", "d0")));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.EnrichAsync(Sim.Account("Acme", "d0")));
        s = await Sim.SettledStatsAsync(host, x => x.CreditsCharged >= 2 && x.DuplicateCharges >= 1);
        Assert.Equal(2, s.CreditsCharged);
        Assert.Equal(1, s.DuplicateCharges);
        Assert.Equal(8, s.CreditsRemaining);
    }

    [Fact]
    public async Task MalformedBodiesAreInvalidJsonAndCharged()
    {
        await using var host = await Sim.StartAsync(o => o.MalformedRate = 1);
        using var client = Sim.Client(host);
        for (var i = 0; i < 5; i++)
        {
            var (status, body) = await client.EnrichTextAsync(Sim.Person("Ann", "Lee", "Acme " + i));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.StartsWith("{\"status\":\"success\"", body);
            Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
        }
        Assert.Equal(5, host.Stats.Malformed);
        Assert.Equal(5, host.Stats.CreditsCharged);
    }

    [Fact]
    public async Task SlowResponsesAreDelayed()
    {
        await using var host = await Sim.StartAsync(o => { o.SlowRate = 1; o.SlowMs = 400; });
        using var client = Sim.Client(host);
        var sw = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"))).Status);
        Assert.True(sw.ElapsedMilliseconds >= 350, $"took {sw.ElapsedMilliseconds} ms");
        Assert.Equal(1, host.Stats.Slow);

        host.Options.SlowRate = 0;
        await client.EnrichTextAsync(Sim.Account("Acme"));
        Assert.Equal(1, host.Stats.Slow);
    }

    [Fact]
    public async Task LatencyWithJitterIsApplied()
    {
        await using var host = await Sim.StartAsync(o => { o.LatencyMs = 300; o.JitterMs = 100; });
        using var client = Sim.Client(host);
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            await client.EnrichTextAsync(Sim.Account("Acme"));
            Assert.True(sw.ElapsedMilliseconds >= 190, $"took {sw.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public async Task JitterNeverMakesLatencyNegative()
    {
        await using var host = await Sim.StartAsync(o => { o.LatencyMs = 0; o.JitterMs = 50; });
        using var client = Sim.Client(host);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"))).Status);
        }
    }

    [Fact]
    public async Task StopCutsPendingDelaysShort()
    {
        var host = await Sim.StartAsync(o => o.LatencyMs = 60_000);
        using var client = Sim.Client(host);
        var pending = client.EnrichAsync(Sim.Account("Acme"));
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        await host.StopAsync();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<Exception>(() => pending);
    }
}
