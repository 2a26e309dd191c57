using System.Text.Json;
using Leadspace.Auth;
using Leadspace.Engine;
using Leadspace.Model;
using Leadspace.Resilience;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Leadspace.Tests;

public class OAuthTests
{
    private static string TokenAnswer(string token, string refresh, DateTimeOffset expires)
        => JsonSerializer.Serialize(new { token, refreshToken = refresh, expiration = expires.ToUnixTimeSeconds() });

    [Fact]
    public async Task ObtainsRefreshesBeforeExpiryAndSharesOneRenewal()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
        int issued = 0;
        var handler = new StubHandler(async (req, _) =>
        {
            await Task.Delay(20);
            var n = Interlocked.Increment(ref issued);
            return StubHandler.Json(200, TokenAnswer("t" + n, "r" + n, time.GetUtcNow().AddHours(1)));
        });
        using var http = new HttpClient(handler);
        using var provider = new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog", ClientTests.Secure("s3cret"), time);

        // 20 concurrent callers, one POST.
        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => provider.GetTokenAsync(default)));
        Assert.All(tokens, t => Assert.Equal("t1", t));
        var first = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, first.Method);
        Assert.Equal("/oauth/authorize", first.Path);
        using (var body = JsonDocument.Parse(first.Body))
        {
            Assert.Equal("prog", body.RootElement.GetProperty("user").GetString());
            Assert.Equal("s3cret", body.RootElement.GetProperty("pass").GetString());
            Assert.Equal("API_GATEWAY", body.RootElement.GetProperty("audience").GetString());
        }

        // Close to expiry: refreshed with PUT and the refresh token, once for many callers.
        time.Advance(TimeSpan.FromMinutes(56));
        tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => provider.GetTokenAsync(default)));
        Assert.All(tokens, t => Assert.Equal("t2", t));
        Assert.Equal(2, handler.Requests.Count);
        var refresh = handler.Requests.Last();
        Assert.Equal(HttpMethod.Put, refresh.Method);
        Assert.Contains("\"refreshToken\":\"r1\"", refresh.Body);
    }

    [Fact]
    public async Task RenewsOnceAfterA401AndFallsBackToTheSecret()
    {
        var now = DateTimeOffset.UtcNow;
        int n = 0;
        var handler = new StubHandler((req, _) =>
        {
            // The refresh is refused: the provider must log in again with the secret.
            if (req.Method == HttpMethod.Put) return Task.FromResult(StubHandler.Json(401, ""));
            var i = Interlocked.Increment(ref n);
            return Task.FromResult(StubHandler.Json(200, TokenAnswer("t" + i, "r" + i, now.AddHours(24))));
        });
        using var http = new HttpClient(handler);
        using var provider = new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog", ClientTests.Secure("s"));
        var t1 = await provider.GetTokenAsync(default);
        Assert.True(await provider.RenewAfterUnauthorizedAsync(t1, default));
        Assert.Equal("t2", await provider.GetTokenAsync(default));
        // A caller reporting the old token again does not trigger another renewal.
        Assert.True(await provider.RenewAfterUnauthorizedAsync(t1, default));
        Assert.Equal(2, n);
    }

    [Fact]
    public async Task WrongSecretIsAnAuthenticationError()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(401, "")));
        using var http = new HttpClient(handler);
        using var provider = new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog", ClientTests.Secure("wrong"));
        var ex = await Assert.ThrowsAsync<LeadspaceAuthenticationException>(() => provider.GetTokenAsync(default));
        Assert.Contains("prog", ex.Message);
        Assert.DoesNotContain("wrong", ex.Message);
    }

    [Fact]
    public async Task ATransientOAuthFailureIsRetriedNotFatal()
    {
        int authorize = 0;
        var handler = new StubHandler((req, _) =>
        {
            if (req.RequestUri!.AbsolutePath == "/oauth/authorize")
            {
                return Task.FromResult(Interlocked.Increment(ref authorize) == 1
                    ? StubHandler.Json(503, "")
                    : StubHandler.Json(200, """{"token":"t","refreshToken":"r","expiration":4102444800}"""));
            }
            return Task.FromResult(StubHandler.Json(200, StubHandler.Enriched));
        });
        var clock = new TestClock();
        using var client = ClientTests.Client(handler, tokens: http => new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog-1", ClientTests.Secure("s"), clock), clock: clock);
        var result = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.None, result.Failure);
        Assert.Equal(2, authorize);
        Assert.Contains(clock.Delays, d => d >= OAuthTokenProvider.Backoff(1)); // waited for the endpoint's backoff
    }

    [Fact]
    public async Task AHangingOAuthEndpointTimesOut()
    {
        // Had the timeout not fired, the endpoint would have handed out a valid token after 30 s.
        var handler = new StubHandler(async (_, _) => { await Task.Delay(30000); return StubHandler.Json(200, """{"token":"t","refreshToken":"r","expiration":4102444800}"""); });
        using var http = new HttpClient(handler);
        using var provider = new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "p", ClientTests.Secure("s"), timeout: TimeSpan.FromMilliseconds(200));
        var ex = await Assert.ThrowsAsync<LeadspaceTokenUnavailableException>(() => provider.GetTokenAsync(default));
        Assert.Contains("did not answer within", ex.Message);
    }

    [Fact]
    public async Task RefusedOAuthCredentialsAreFatalWithTheUnauthorizedId()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(401, "")));
        using var client = ClientTests.Client(handler, tokens: http => new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog-1", ClientTests.Secure("bad")));
        var call = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.Unauthorized, call.Failure);
        Assert.False(call.Sent);
        // Nothing was sent: the row is NotSent (free to resend); the run's terminating error carries LeadspaceUnauthorized.
        var row = EnrichmentEngine.Shape(1, ClientTests.Request(), call);
        Assert.Equal(EnrichmentOutcome.NotSent, row.Status);
        Assert.Equal(ErrorIds.NotSent, row.ErrorId);
        Assert.Equal(FailureKind.Unauthorized, row.Failure);
        Assert.Contains("no credit", row.Message);
    }
}
