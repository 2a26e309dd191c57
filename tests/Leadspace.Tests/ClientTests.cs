using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security;
using Leadspace.Auth;
using Leadspace.Http;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.RateLimiting;
using Leadspace.Resilience;
using Xunit;

namespace Leadspace.Tests;

public class ClientTests
{
    internal static SecureString Secure(string s)
    {
        var ss = new SecureString();
        foreach (var c in s) ss.AppendChar(c);
        return ss;
    }

    internal static EnrichmentRequest Request(string company = "Acme", string? id = "e1")
    {
        var r = new EnrichmentRequest();
        r.Set(RequestField.CompanyName, company);
        r.Set(RequestField.ExternalId, id);
        return r;
    }

    internal static LeadspaceClient Client(StubHandler handler, Action<ConnectionSettings>? configure = null, Func<HttpClient, ITokenProvider>? tokens = null, TestClock? clock = null)
    {
        var settings = new ConnectionSettings
        {
            BaseUri = new Uri("https://apigw.example.test"),
            ProgramId = "prog-1",
            RequestsPerSecond = 1000,
            Retry = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
        };
        configure?.Invoke(settings);
        return new LeadspaceClient(settings, tokens ?? (_ => new PerpetualTokenProvider(Secure("tok-123"))),
            clock != null ? clock.Gate(settings.RequestsPerSecond) : new RateGate(settings.RequestsPerSecond), handler, clock);
    }

    [Fact]
    public async Task SendsBearerJsonToTheSingleEndpoint()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(200, StubHandler.Enriched)));
        using var client = Client(handler);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.None, result.Failure);
        Assert.Equal("Acme", result.Response!.Data!.Company!.Name);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("/enrichment/enrich/single", sent.Path);
        Assert.Equal("Bearer tok-123", sent.Auth);
        Assert.Contains("\"company\":{\"name\":\"Acme\"}", sent.Body);
    }

    [Fact]
    public async Task RetriesRateLimitAndServerErrorsThenSucceeds()
    {
        var handler = new StubHandler((_, n) => Task.FromResult(n switch
        {
            1 => StubHandler.Json(429, ""),
            2 => StubHandler.Json(503, """{"error":"UNAVAILABLE","tracking_id":"t-1","request_timestamp":"2026-11-27T10:00:00Z"}"""),
            _ => StubHandler.Json(200, StubHandler.Enriched),
        }));
        using var client = Client(handler);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.None, result.Failure);
        Assert.Equal(3, result.Attempts);
        Assert.Equal(2, client.Statistics.Retries);
        Assert.Equal(1, client.Statistics.RateLimited);
    }

    [Theory]
    [InlineData(400, FailureKind.BadRequest)]
    [InlineData(405, FailureKind.ClientError)]
    [InlineData(415, FailureKind.ClientError)]
    [InlineData(427, FailureKind.CreditsExhausted)]
    [InlineData(401, FailureKind.Unauthorized)]
    public async Task NeverRetriesFinalAnswers(int status, FailureKind kind)
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(status, "Credentials are required to access this resource")));
        using var client = Client(handler);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(kind, result.Failure);
        Assert.Equal(1, handler.Calls);
        Assert.Equal(status, result.HttpStatus);
        Assert.Contains("prog-1", status is 401 or 427 ? result.Message : "prog-1");
    }

    [Fact]
    public async Task ServerErrorExposesTheTrackingId()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(500, """{"error":"E42","tracking_id":"trk-9","request_timestamp":"2026-11-27T10:00:00Z"}""")));
        using var client = Client(handler, s => s.Retry.MaxAttempts = 2);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.ServerError, result.Failure);
        Assert.Equal("trk-9", result.TrackingId);
        Assert.Contains("E42", result.Message);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task HonoursRetryAfterAndSlowsTheGate()
    {
        var handler = new StubHandler((_, n) => Task.FromResult(n == 1
            ? StubHandler.Json(429, "", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(1)))
            : StubHandler.Json(200, StubHandler.Enriched)));
        var clock = new TestClock();
        using var client = Client(handler, s => s.RequestsPerSecond = 30, clock: clock);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.None, result.Failure);
        Assert.Contains(clock.Delays, d => d >= TimeSpan.FromSeconds(1)); // the retry waited at least the Retry-After
        Assert.True(client.Gate.EffectiveRequestsPerSecond < 30);
    }

    [Fact]
    public async Task AMalformed200IsNotRetriedBecauseTheCreditIsSpent()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(200, "{\"status\":\"succ")));
        using var client = Client(handler);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.InvalidResponse, result.Failure);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task AmbiguousFailuresAreRetriedAtMostTheConfiguredNumberOfTimes()
    {
        var handler = new StubHandler((_, _) => throw new HttpRequestException("reset", new IOException("Connection reset by peer")));
        using var client = Client(handler, s => s.Retry.MaxAmbiguousRetries = 1);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.ConnectionLost, result.Failure);
        Assert.Equal(2, handler.Calls);

        var none = new StubHandler((_, _) => throw new HttpRequestException("reset", new IOException("Connection reset by peer")));
        using var strict = Client(none, s => s.Retry.MaxAmbiguousRetries = 0);
        Assert.Equal(FailureKind.ConnectionLost, (await strict.EnrichAsync(Request(), default, default)).Failure);
        Assert.Equal(1, none.Calls);
    }

    [Fact]
    public async Task RefusedConnectionsAreSafeToRetry()
    {
        var handler = new StubHandler((_, n) => n < 3
            ? throw new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused))
            : Task.FromResult(StubHandler.Json(200, StubHandler.Enriched)));
        using var client = Client(handler, s => s.Retry.MaxAmbiguousRetries = 0);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.None, result.Failure);
        Assert.Equal(3, handler.Calls);
    }

    [Fact]
    public async Task TimeoutIsAmbiguous()
    {
        var handler = new StubHandler(async (r, _) => { await Task.Delay(5000); return StubHandler.Json(200, StubHandler.Enriched); });
        using var client = Client(handler, s => { s.Timeout = TimeSpan.FromMilliseconds(100); s.Retry.MaxAmbiguousRetries = 0; });
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.Timeout, result.Failure);
        Assert.Contains("may have been processed", result.Message);
    }

    [Fact]
    public async Task StopBeforeSendingSendsNothing()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(200, StubHandler.Enriched)));
        using var client = Client(handler);
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var result = await client.EnrichAsync(Request(), stop.Token, default);
        Assert.False(result.Sent);
        Assert.True(result.Stopped);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task AbortCancelsACallInFlightQuickly()
    {
        var handler = new StubHandler(async (r, _) => { await Task.Delay(30000); return StubHandler.Json(200, StubHandler.Enriched); });
        using var client = Client(handler);
        using var abort = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var result = await client.EnrichAsync(Request(), default, abort.Token);
        // Had the abort not reached the call on the wire, the stub would have answered 200 after 30 s.
        Assert.True(result.Stopped);
        Assert.Null(result.Response);
        Assert.Equal(1, result.PossibleCharges);
    }

    [Fact]
    public void RefusesPlainHttpExceptOnLoopback()
    {
        var s = new ConnectionSettings { BaseUri = new Uri("http://apigw.leadspace.com") };
        Assert.Throws<ArgumentException>(s.Validate);
        new ConnectionSettings { BaseUri = new Uri("http://127.0.0.1:5000") }.Validate();
        new ConnectionSettings { BaseUri = new Uri("http://localhost:5000") }.Validate();
    }

    [Fact]
    public void TokensNeverAppearInToString()
    {
        using var p = new PerpetualTokenProvider(Secure("super-secret-token"));
        Assert.DoesNotContain("super-secret-token", p.ToString());
    }

    private sealed class BrokenContent : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => throw new IOException("connection reset while reading the body");
        protected override bool TryComputeLength(out long length) { length = 0; return false; }
    }


    [Fact]
    public async Task FractionalRetryAfterIsHonoured()
    {
        var handler = new StubHandler((_, n) => Task.FromResult(n == 1
            ? StubHandler.Json(429, "", r => r.Headers.TryAddWithoutValidation("Retry-After", "0.4"))
            : StubHandler.Json(200, StubHandler.Enriched)));
        var clock = new TestClock();
        using var client = ClientTests.Client(handler, s => s.Retry.MaxDelay = TimeSpan.FromSeconds(5), clock: clock);
        var result = await client.EnrichAsync(ClientTests.Request(), default, default);
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
        using var client = ClientTests.Client(handler, s => { s.Retry.MaxElapsed = TimeSpan.FromSeconds(1); s.Retry.MaxDelay = TimeSpan.FromSeconds(2); }, clock: clock);
        var first = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.RateLimited, first.Failure); // gives up: an hour is past the retry budget
        while (clock.Delays.TryDequeue(out _)) { }
        var second = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.None, second.Failure);
        // The gate paused the program for at most one retry delay (2 s), not the hour the server asked for.
        var waited = clock.Delays.Aggregate(TimeSpan.Zero, (a, d) => a + d);
        Assert.InRange(waited.TotalSeconds, 0, 2.0 + 0.05);
    }

    [Fact]
    public async Task ASuccessWhoseBodyIsLostIsNeverRetried()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new BrokenContent() }));
        using var client = ClientTests.Client(handler);
        var result = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.InvalidResponse, result.Failure);
        Assert.Equal(1, handler.Calls);
    }
}
