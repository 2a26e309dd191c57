using System.Diagnostics;
using System.Net;
using Leadspace.Client;
using Leadspace.Engine;
using Leadspace.Mapping;
using Leadspace.Model;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Regression tests for defects found in review.</summary>
public class ReviewFixTests
{
    private static EnrichmentRequest Request() => ClientTests.Request();

    private static LeadspaceClient Client(StubHandler handler, Action<ConnectionSettings>? configure = null, Func<HttpClient, ITokenProvider>? tokens = null, TestClock? clock = null)
        => ClientTests.Client(handler, configure, tokens, clock);

    [Fact]
    public async Task FractionalRetryAfterIsHonoured()
    {
        var handler = new StubHandler((_, n) => Task.FromResult(n == 1
            ? StubHandler.Json(429, "", r => r.Headers.TryAddWithoutValidation("Retry-After", "0.4"))
            : StubHandler.Json(200, StubHandler.Enriched)));
        var clock = new TestClock();
        using var client = Client(handler, s => s.Retry.MaxDelay = TimeSpan.FromSeconds(5), clock: clock);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.None, result.Failure);
        var total = clock.Delays.Aggregate(TimeSpan.Zero, (a, d) => a + d);
        Assert.InRange(total.TotalSeconds, 0.4, 0.4 * 1.1 + 0.05); // Retry-After 0.4 s, spread by at most 10 %
    }

    [Fact]
    public async Task AHugeRetryAfterDoesNotFreezeTheProgramsGate()
    {
        var handler = new StubHandler((_, n) => Task.FromResult(n == 1
            ? StubHandler.Json(429, "", r => r.Headers.TryAddWithoutValidation("Retry-After", "3600"))
            : StubHandler.Json(200, StubHandler.Enriched)));
        var clock = new TestClock();
        using var client = Client(handler, s => { s.Retry.MaxElapsed = TimeSpan.FromSeconds(1); s.Retry.MaxDelay = TimeSpan.FromSeconds(2); }, clock: clock);
        var first = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.RateLimited, first.Failure); // gives up: an hour is past the retry budget
        while (clock.Delays.TryDequeue(out _)) { }
        var second = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.None, second.Failure);
        // The gate paused the program for at most one retry delay (2 s), not the hour the server asked for.
        var waited = clock.Delays.Aggregate(TimeSpan.Zero, (a, d) => a + d);
        Assert.InRange(waited.TotalSeconds, 0, 2.0 + 0.05);
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
        using var client = Client(handler, tokens: http => new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog-1", ClientTests.Secure("s"), () => clock.UtcNow), clock: clock);
        var result = await client.EnrichAsync(Request(), default, default);
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
        using var client = Client(handler, tokens: http => new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog-1", ClientTests.Secure("bad")));
        var call = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.Unauthorized, call.Failure);
        Assert.False(call.Sent);
        // Nothing was sent: the row is NotSent (free to resend); the run's terminating error carries LeadspaceUnauthorized.
        var row = EnrichmentEngine.Shape(1, Request(), call);
        Assert.Equal(EnrichmentOutcome.NotSent, row.Status);
        Assert.Equal(ErrorIds.NotSent, row.ErrorId);
        Assert.Equal(FailureKind.Unauthorized, row.Failure);
        Assert.Contains("no credit", row.Message);
    }

    private sealed class BrokenContent : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => throw new IOException("connection reset while reading the body");
        protected override bool TryComputeLength(out long length) { length = 0; return false; }
    }

    [Fact]
    public async Task ASuccessWhoseBodyIsLostIsNeverRetried()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new BrokenContent() }));
        using var client = Client(handler);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.InvalidResponse, result.Failure);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task ColdGrantsDelayTheirPartnerOneWindowLater()
    {
        long now = Stopwatch.Frequency * 1000;
        var gate = new RateGate(10, TimeSpan.FromMilliseconds(25), () => now, (d, ct) => { now += Math.Max(1, (long)(d.TotalSeconds * Stopwatch.Frequency)); return Task.CompletedTask; });
        var grants = new List<long>();
        for (int i = 0; i < 20; i++) { bool isCold = i < 3; await gate.WaitAsync(default, () => isCold); grants.Add(now); }
        var cold = (grants[10] - grants[0]) / (double)Stopwatch.Frequency;
        Assert.True(cold >= 1.0 + 0.025 + 0.1 - 0.001, $"11th grant {cold:0.000}s after the first (cold)");
        // The warm partners are only paced (0.1 s apart), not pushed back further.
        var warm = (grants[14] - grants[13]) / (double)Stopwatch.Frequency;
        Assert.True(warm < 0.11, $"15th grant {warm:0.000}s after the 14th");
    }
}
