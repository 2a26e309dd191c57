using System.Net;
using System.Net.Sockets;
using System.Text;
using Leadspace.Auth;
using Leadspace.Engine;
using Leadspace.Http;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.RateLimiting;
using Leadspace.Resilience;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Leadspace.Tests;

/// <summary>
/// A raw loopback HTTP server that answers every request with the given head (status line and headers) and a
/// part of the body, then holds the connection open without sending the rest: a body that stalls.
/// </summary>
internal sealed class StallingServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = new();
    private int _requests;

    public StallingServer(string head, string partialBody)
    {
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception) { return; }
                lock (_clients) _clients.Add(client);
                _ = Task.Run(async () =>
                {
                    var stream = client.GetStream();
                    var buffer = new byte[65536];
                    var seen = new StringBuilder();
                    bool counted = false;
                    try
                    {
                        while (true)
                        {
                            int n = await stream.ReadAsync(buffer, _stop.Token);
                            if (n == 0) return;
                            seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                            var text = seen.ToString();
                            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                            if (end < 0) continue;
                            // A request is counted once its head has arrived: a client that gives up while its body
                            // is still on the way has sent it all the same.
                            if (!counted) { counted = true; Interlocked.Increment(ref _requests); }
                            int length = 0;
                            foreach (var line in text[..end].Split("\r\n"))
                                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line[15..].Trim());
                            if (text.Length - end - 4 < length) continue;
                            var answer = Encoding.UTF8.GetBytes(head + "\r\n\r\n" + partialBody);
                            await stream.WriteAsync(answer, _stop.Token);
                            await stream.FlushAsync(_stop.Token);
                            await Task.Delay(Timeout.Infinite, _stop.Token); // and then nothing
                        }
                    }
                    catch (Exception) { }
                });
            }
        });
    }

    public Uri BaseUri { get; }
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Waits until the server has seen <paramref name="count"/> requests (or the deadline passes) and returns
    /// what it has seen: the client's result can reach a test before the server's task has counted the last request.</summary>
    public async Task<int> RequestsOnceAtLeast(int count, TimeSpan deadline)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Requests < count && clock.Elapsed < deadline) await Task.Delay(10);
        return Requests;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients) foreach (var c in _clients) c.Dispose();
    }
}

/// <summary>Calls that would hang, spin or charge twice (review items 1–4, 19, 22): each ends, bounded, for the right reason.</summary>
public class ResilienceTests
{
    private static EnrichmentRequest Request(int i = 1) => ClientTests.Request("Company " + i, "row-" + i);

    private static LeadspaceClient RealClient(Uri baseUri, Action<ConnectionSettings>? configure = null)
    {
        var settings = new ConnectionSettings
        {
            BaseUri = baseUri,
            RequestsPerSecond = 1000,
            Retry = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
        };
        configure?.Invoke(settings);
        return new LeadspaceClient(settings, _ => new PerpetualTokenProvider(ClientTests.Secure("tok")), new RateGate(1000));
    }

    private static List<EnrichmentResult> Run(IEnrichmentCaller caller, int rows, int window, out EnrichmentEngine engineOut)
    {
        var engine = new EnrichmentEngine(caller, window);
        engineOut = engine;
        var output = new List<EnrichmentResult>();
        for (int i = 1; i <= rows; i++)
        {
            while (engine.IsFull) output.Add(engine.TakeNext(default).Result);
            if (engine.Fatal != null) engine.SubmitCompleted(i, ResultShaper.Failure(i, EnrichmentOutcome.NotSent, "row-" + i, ErrorIds.NotSent, "stopped"));
            else engine.Submit(i, i, Request(i));
            output.AddRange(engine.TakeReady().Select(c => c.Result));
        }
        while (engine.Pending > 0) output.Add(engine.TakeNext(default).Result);
        return output;
    }

    // ---- 1. A body that stalls after the headers ------------------------------------------------------

    [Fact]
    public async Task ABodyThatStallsAfterA200IsBoundedByTheTimeoutAndNotRetried()
    {
        using var server = new StallingServer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000", "{\"status\":");
        // Long enough for the headers to arrive first on a loaded machine: the timeout must end the body's stall.
        using var client = RealClient(server.BaseUri, s => s.Timeout = TimeSpan.FromSeconds(2));
        var result = await client.EnrichAsync(Request(), default, default);
        // Without a bound on the body, this call would never return.
        Assert.Equal(FailureKind.InvalidResponse, result.Failure);
        Assert.Equal(200, result.HttpStatus);
        Assert.Contains("did not arrive within", result.Message);
        Assert.Equal(1, server.Requests); // the credit is spent: never resent
    }

    [Fact]
    public async Task ABodyThatStallsAfterA503IsRetriedByItsStatus()
    {
        using var server = new StallingServer("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 900", "{\"error\":");
        // The timeout must end the attempt during the body's stall, after the headers: 200 ms was sometimes shorter than
        // the headers took to arrive on a loaded machine (then the attempt is a plain Timeout, with no status to retry by).
        using var client = RealClient(server.BaseUri, s => { s.Timeout = TimeSpan.FromSeconds(2); s.Retry.MaxAttempts = 2; });
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.ServerError, result.Failure);
        Assert.Equal(503, result.HttpStatus);
        Assert.Contains("did not arrive in time", result.Message);
        Assert.Equal(2, await server.RequestsOnceAtLeast(2, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task CtrlCReachesABodyThatStalls()
    {
        using var server = new StallingServer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000", "{");
        using var client = RealClient(server.BaseUri, s => s.Timeout = TimeSpan.FromMinutes(10));
        using var abort = new CancellationTokenSource();
        var call = client.EnrichAsync(Request(), default, abort.Token);
        while (server.Requests == 0) await Task.Delay(10);
        abort.Cancel();
        var result = await call; // with a 10-minute timeout, only the abort can end it
        Assert.True(result.Stopped);
        Assert.Equal(1, result.PossibleCharges);
    }

    // ---- 2. An OAuth outage ------------------------------------------------------------------------------

    [Fact]
    public async Task AnOAuthOutageBacksOffAndEndsTheRun()
    {
        int authorize = 0, enrich = 0;
        var handler = new StubHandler((req, _) =>
        {
            if (req.RequestUri!.AbsolutePath == "/oauth/authorize") { Interlocked.Increment(ref authorize); return Task.FromResult(StubHandler.Json(503, "")); }
            Interlocked.Increment(ref enrich);
            return Task.FromResult(StubHandler.Json(200, StubHandler.Enriched));
        });
        var clock = new TestClock();
        using var client = ClientTests.Client(handler, s => { s.Retry.MaxAttempts = 50; s.Retry.MaxElapsed = TimeSpan.FromHours(1); },
            http => new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog-1", ClientTests.Secure("s"), clock), clock);

        var result = await client.EnrichAsync(Request(), default, default);

        Assert.Equal(FailureKind.TokenOutage, result.Failure);
        Assert.True(FailureTable.IsFatal(result.Failure));
        Assert.False(result.Sent);
        Assert.Equal(0, enrich);
        Assert.Equal(LeadspaceClient.TokenOutageAfter, authorize); // not one fetch per retry, let alone a spin
        // The waits grew with the endpoint's backoff.
        var waits = clock.Delays.ToList();
        Assert.True(waits.Count >= LeadspaceClient.TokenOutageAfter - 1);
        Assert.Contains(waits, d => d >= OAuthTokenProvider.Backoff(LeadspaceClient.TokenOutageAfter - 1));
    }

    [Fact]
    public async Task TokenFailuresDuringTheBackoffAreAnsweredWithoutCallingTheEndpoint()
    {
        int authorize = 0;
        var handler = new StubHandler((_, _) => { Interlocked.Increment(ref authorize); return Task.FromResult(StubHandler.Json(502, "")); });
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
        using var http = new HttpClient(handler);
        using var provider = new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "p", ClientTests.Secure("s"), time);
        for (int i = 0; i < 20; i++) await Assert.ThrowsAsync<LeadspaceTokenUnavailableException>(() => provider.GetTokenAsync(default));
        Assert.Equal(1, authorize);
        Assert.Equal(1, provider.ConsecutiveFailures);
        time.Advance(OAuthTokenProvider.Backoff(1));
        var ex = await Assert.ThrowsAsync<LeadspaceTokenUnavailableException>(() => provider.GetTokenAsync(default));
        Assert.Equal(2, authorize);
        Assert.Equal(OAuthTokenProvider.Backoff(2), ex.RetryAfter);
    }

    // ---- 3. A dead base URI ------------------------------------------------------------------------------

    [Fact]
    public void ADeadBaseUriStopsTheRunAfterTenRefusedConnectionsWithEveryRowNotSent()
    {
        var handler = new StubHandler((_, _) => throw new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused)));
        using var client = ClientTests.Client(handler);
        var results = Run(client, 240, 16, out var engine);
        using (engine)
        {
            Assert.Equal(240, results.Count);
            Assert.Equal(Enumerable.Range(1, 240).Select(i => (long)i), results.Select(r => r.RowNumber));
            AssertNothingSent(results);
            Assert.Equal(FailureKind.Unreachable, engine.Fatal!.Failure);
            Assert.Contains("could not connect", engine.Fatal.Message);
            // Ten failed connections decide it; at most the window's other calls were trying at that moment.
            Assert.InRange(handler.Calls, RunHealth.UnreachableAfter, RunHealth.UnreachableAfter + 16 * 2);
        }
    }

    [Fact]
    public void AClosedPortOnARealSocketIsUnreachable()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens there now: every connection is refused
        using var client = RealClient(new Uri($"http://127.0.0.1:{port}"));
        var results = Run(client, 60, 8, out var engine);
        using (engine)
        {
            Assert.Equal(FailureKind.Unreachable, engine.Fatal?.Failure);
            AssertNothingSent(results);
        }
    }

    /// <summary>A row that gave up before the run was declared unreachable is Failed (connect failed, nothing
    /// sent); every other row is NotSent.</summary>
    private static void AssertNothingSent(List<EnrichmentResult> results)
    {
        Assert.All(results, r =>
        {
            if (r.Status == EnrichmentOutcome.NotSent) return;
            Assert.Equal(EnrichmentOutcome.Failed, r.Status);
            Assert.Equal(ErrorIds.ConnectFailed, r.ErrorId);
            Assert.Contains("nothing was sent", r.Message);
        });
        Assert.InRange(results.Count(r => r.Status == EnrichmentOutcome.Failed), 0, RunHealth.UnreachableAfter);
    }

    [Fact]
    public void AnAnswerBetweenConnectFailuresKeepsTheRunGoing()
    {
        var health = new RunHealth();
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < RunHealth.UnreachableAfter - 1; i++) Assert.False(health.RecordConnectFailure());
            health.RecordAnswer();
        }
        Assert.False(health.IsUnreachable);
        for (int i = 0; i < RunHealth.UnreachableAfter - 1; i++) health.RecordConnectFailure();
        Assert.True(health.RecordConnectFailure());
    }

    // ---- 4 and 22. Which 5xx may have been charged ---------------------------------------------------------

    [Theory]
    [InlineData(502, 2)] // ambiguous: one resend (-MaxAmbiguousRetries 1), then stop
    [InlineData(504, 2)]
    [InlineData(500, 6)] // not ambiguous: every attempt
    [InlineData(503, 6)]
    public async Task OnlyAmbiguousServerErrorsAreLimitedByMaxAmbiguousRetries(int status, int expectedCalls)
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(status, """{"error":"E","tracking_id":"t-1"}""")));
        using var client = ClientTests.Client(handler, s => { s.Retry.MaxAttempts = 6; s.Retry.MaxAmbiguousRetries = 1; });
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(expectedCalls, handler.Calls);
        Assert.Equal(status, result.HttpStatus);
        Assert.Equal(FailureTable.IsAmbiguous(result.Failure) ? 2 : 0, result.PossibleCharges);
    }

    [Fact]
    public async Task A504ThenA503ThenSuccessIsNotStoppedByTheAmbiguityLimit()
    {
        var handler = new StubHandler((_, n) => Task.FromResult(n switch
        {
            1 => StubHandler.Json(504, ""),
            2 => StubHandler.Json(503, ""),
            3 => StubHandler.Json(500, ""),
            _ => StubHandler.Json(200, StubHandler.Enriched),
        }));
        using var client = ClientTests.Client(handler, s => s.Retry.MaxAmbiguousRetries = 1);
        var result = await client.EnrichAsync(Request(), default, default);
        Assert.Equal(FailureKind.None, result.Failure);
        Assert.Equal(4, result.Attempts);
        Assert.Equal(1, result.PossibleCharges);
    }

    // ---- 19. Answers slower than the timeout ------------------------------------------------------------

    [Fact]
    public void WhenEveryCallTimesOutNoRowIsSentTwiceAndTheRunStops()
    {
        var sent = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var handler = new StubHandler(async (req, _) =>
        {
            var body = await req.Content!.ReadAsStringAsync();
            sent.AddOrUpdate(body, 1, (_, v) => v + 1);
            await Task.Delay(TimeSpan.FromSeconds(30)); // "charged", but the answer never comes in time
            return StubHandler.Json(200, StubHandler.Enriched);
        });
        using var client = ClientTests.Client(handler, s => { s.Timeout = TimeSpan.FromMilliseconds(50); s.Retry.MaxAmbiguousRetries = 3; });
        var results = Run(client, 80, 8, out var engine);
        using (engine)
        {
            Assert.Equal(80, results.Count);
            Assert.All(sent.Values, v => Assert.Equal(1, v)); // one credit per row at most, although 3 resends were allowed
            Assert.True(engine.Health.ResendsSuppressed);
            Assert.Equal(FailureKind.Unreachable, engine.Fatal?.Failure); // 20 timeouts in a row and no answer: stop
            Assert.Contains("timed out", engine.Fatal!.Message);
            // Each failed row says why it was not resent: the timeout rule, or the run stopping before the resend.
            Assert.All(results.Where(r => r.Status == EnrichmentOutcome.Failed), r => Assert.Matches("Not resent|run stopped|looks unreachable", r.Message));
            Assert.InRange(sent.Count, RunHealth.UnresponsiveAfter, RunHealth.UnresponsiveAfter + 8 * 2);
        }
    }

    [Fact]
    public void AnOccasionalTimeoutAmongAnswersIsResent()
    {
        var health = new RunHealth();
        for (int i = 0; i < 15; i++) health.RecordAnswer();
        health.RecordTimeout();
        Assert.True(health.AllowTimeoutResend());
        Assert.False(health.ResendsSuppressed);
        for (int i = 0; i < 10; i++) health.RecordTimeout();
        Assert.False(health.AllowTimeoutResend()); // 11 of the last 20
        Assert.True(health.ResendsSuppressed);
    }

    [Fact]
    public void TheFirstTimeoutOfARunIsNotResentBeforeAnyAnswer()
    {
        var health = new RunHealth();
        health.RecordTimeout();
        Assert.False(health.AllowTimeoutResend());
    }
}
