using System.Net;
using System.Text.Json;
using Xunit;

namespace Leadspace.Simulator.Tests;

public sealed class OAuthTests
{
    private const string Obtain = """{"user":"sim-program","pass":"sim-secret","audience":"API_GATEWAY"}""";

    [Fact]
    public async Task ObtainUseAndRefresh()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var (status, body) = await client.PostJsonAsync(SimulatorHost.OAuthPath, Obtain);
        Assert.Equal(HttpStatusCode.OK, status);
        var token = body.GetProperty("token").GetString()!;
        var refresh = body.GetProperty("refreshToken").GetString()!;
        var expiration = body.GetProperty("expiration").GetInt64();
        Assert.InRange(expiration, before + 86_390, before + 86_410);

        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"), token)).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"), Sim.Token)).Status); // perpetual alongside

        var refreshBody = JsonSerializer.Serialize(new { user = "sim-program", refreshToken = refresh });
        var (s2, b2) = await client.PostJsonAsync(SimulatorHost.OAuthPath, refreshBody, HttpMethod.Put);
        Assert.Equal(HttpStatusCode.OK, s2);
        var token2 = b2.GetProperty("token").GetString()!;
        Assert.NotEqual(token, token2);
        Assert.NotEqual(refresh, b2.GetProperty("refreshToken").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"), token2)).Status);

        // The old refresh token is single-use.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync(SimulatorHost.OAuthPath, refreshBody, HttpMethod.Put)).Status);
        // Unknown refresh token, or a refresh token presented for another user.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync(SimulatorHost.OAuthPath, """{"user":"sim-program","refreshToken":"nope"}""", HttpMethod.Put)).Status);
        var other = JsonSerializer.Serialize(new { user = "someone-else", refreshToken = b2.GetProperty("refreshToken").GetString() });
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync(SimulatorHost.OAuthPath, other, HttpMethod.Put)).Status);

        var s = host.Stats;
        Assert.Equal(5, s.OAuthCalls);
        Assert.Equal(3, s.Calls);
        Assert.Equal(3, s.CreditsCharged);
    }

    [Theory]
    [InlineData("""{"user":"sim-program","pass":"wrong","audience":"API_GATEWAY"}""", 401)]
    [InlineData("""{"user":"other-program","pass":"sim-secret","audience":"API_GATEWAY"}""", 401)]
    [InlineData("""{"user":"sim-program","audience":"API_GATEWAY"}""", 401)]
    [InlineData("""{"user":"sim-program","pass":"sim-secret","audience":"OTHER"}""", 400)]
    [InlineData("""{"user":"sim-program","pass":"sim-secret"}""", 400)]
    [InlineData("""not json""", 400)]
    public async Task BadObtainRequests(string body, int expected)
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        using var req = new HttpRequestMessage(HttpMethod.Post, SimulatorHost.OAuthPath)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        using var resp = await client.SendAsync(req);
        Assert.Equal(expected, (int)resp.StatusCode);
    }

    [Fact]
    public async Task OAuthMethodAndContentType()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        using (var r = await client.GetAsync(SimulatorHost.OAuthPath))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        }
        using (var r = await client.PostAsync(SimulatorHost.OAuthPath, new StringContent(Obtain)))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.StatusCode);
        }
    }

    [Fact]
    public async Task TokensExpire()
    {
        await using var host = await Sim.StartAsync(o => o.OAuthTokenLifetime = 1);
        using var client = Sim.Client(host);
        var (_, body) = await client.PostJsonAsync(SimulatorHost.OAuthPath, Obtain);
        var token = body.GetProperty("token").GetString()!;
        var refresh = body.GetProperty("refreshToken").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"), token)).Status);
        await Task.Delay(1300);
        var (status, text) = await client.EnrichTextAsync(Sim.Account("Acme"), token);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(SimulatorHost.UnauthorizedMessage, text);
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"), Sim.Token)).Status);

        // The refresh token outlives the access token.
        host.Options.OAuthTokenLifetime = 3600;
        var (s2, b2) = await client.PostJsonAsync(SimulatorHost.OAuthPath,
            JsonSerializer.Serialize(new { user = "sim-program", refreshToken = refresh }), HttpMethod.Put);
        Assert.Equal(HttpStatusCode.OK, s2);
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"), b2.GetProperty("token").GetString())).Status);
    }

    [Fact]
    public async Task TokenOfAProgramMarkedInvalidGets427()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        var (_, body) = await client.PostJsonAsync(SimulatorHost.OAuthPath, Obtain);
        var token = body.GetProperty("token").GetString()!;
        host.Options.InvalidProgramIds.Add("sim-program");
        Assert.Equal((HttpStatusCode)427, (await client.EnrichTextAsync(Sim.Account("Acme"), token)).Status);
        Assert.Equal((HttpStatusCode)427, (await client.EnrichTextAsync(Sim.Account("Acme"), Sim.Token)).Status);
    }
}
