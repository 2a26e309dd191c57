using System.Net;
using System.Text;
using Leadspace.Auth;
using Leadspace.Http;
using Leadspace.Resilience;
using Leadspace.Engine;
using Leadspace.Model;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Proxies (handler set-up, 407), answer size bounds, and the 401 message of a perpetual token.</summary>
public class NetworkTests
{
    /// <summary>A body of <paramref name="size"/> bytes that is produced while it is read (never held in memory by the
    /// test), optionally declaring its length; counts what was read.</summary>
    private sealed class HugeContent : HttpContent
    {
        private readonly long _size;
        private readonly bool _declare;
        public long Written;
        public HugeContent(long size, bool declare) { _size = size; _declare = declare; Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json"); }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = Encoding.ASCII.GetBytes(new string(' ', 65536));
            while (Written < _size)
            {
                int n = (int)Math.Min(chunk.Length, _size - Written);
                await stream.WriteAsync(chunk.AsMemory(0, n));
                Written += n;
            }
        }

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new Producer(this));

        protected override bool TryComputeLength(out long length) { length = _size; return _declare; }

        private sealed class Producer : Stream
        {
            private readonly HugeContent _owner;
            public Producer(HugeContent owner) { _owner = owner; }
            public override int Read(byte[] buffer, int offset, int count)
            {
                int n = (int)Math.Min(count, _owner._size - _owner.Written);
                for (int i = 0; i < n; i++) buffer[offset + i] = (byte)' ';
                _owner.Written += n;
                return n;
            }
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }

    [Fact]
    public async Task A401OnAPerpetualTokenSaysItMayHaveExpiredOrBeenRotated()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(401, "Credentials are required to access this resource")));
        using var client = ClientTests.Client(handler);
        var call = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.Unauthorized, call.Failure);
        Assert.Equal(1, handler.Calls);
        Assert.Contains("prog-1", call.Message);
        Assert.Contains("expired or been rotated", call.Message);
        Assert.Contains("rotated every six months", call.Message);
        Assert.Contains("expire two years after", call.Message);
    }

    [Fact]
    public async Task A401WithOAuthKeepsItsOwnMessage()
    {
        // The token is issued, the call is refused, the renewal is refused: the OAuth message, not the perpetual one.
        int tokenCalls = 0;
        var handler = new StubHandler((req, _) => Task.FromResult(req.RequestUri!.AbsolutePath == "/oauth/authorize" && Interlocked.Increment(ref tokenCalls) == 1
            ? StubHandler.Json(200, """{"token":"t1","refreshToken":"r1","expiration":4102444800}""")
            : StubHandler.Json(401, "")));
        using var client = ClientTests.Client(handler, tokens: http => new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog-1", ClientTests.Secure("s")));
        var call = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.Unauthorized, call.Failure);
        Assert.Contains("rejected the credentials", call.Message);
        Assert.DoesNotContain("rotated", call.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAnswerLargerThanTheCapFailsItsRowOnceAndIsNotReadWhole(bool declared)
    {
        HugeContent? content = null;
        var handler = new StubHandler((_, _) =>
        {
            content = new HugeContent(200L * 1024 * 1024, declared);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        });
        using var client = ClientTests.Client(handler); // the default bound: 4 MB
        Assert.Equal(4 * 1024 * 1024, client.Settings.MaxResponseBytes);
        var call = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.InvalidResponse, call.Failure);
        Assert.Equal(1, handler.Calls);              // not retried: the credit is spent once
        Assert.Equal(1, call.Attempts);
        Assert.True(call.Charged);
        Assert.Contains("larger than the 4 MB allowed", call.Message);
        // Reading stopped at the bound (a declared length is refused before reading anything).
        Assert.True(content!.Written <= 4 * 1024 * 1024 + 65536, $"read {content.Written} bytes");
        if (declared) Assert.Equal(0, content.Written);
        var row = EnrichmentEngine.Shape(1, ClientTests.Request(), call);
        Assert.Equal(EnrichmentOutcome.Failed, row.Status);
        Assert.Equal(ErrorIds.InvalidResponse, row.ErrorId);
    }

    [Fact]
    public async Task TheBoundIsAConnectionSettingAndAnAnswerWithinItIsRead()
    {
        var padding = new string(' ', 2 * 1024 * 1024);
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(200, StubHandler.Enriched + padding)));
        using (var client = ClientTests.Client(handler, s => s.MaxResponseBytes = 3 * 1024 * 1024))
        {
            var ok = await client.EnrichAsync(ClientTests.Request(), default, default);
            Assert.Equal(FailureKind.None, ok.Failure);
        }
        using (var small = ClientTests.Client(handler, s => s.MaxResponseBytes = 1024 * 1024))
        {
            var tooBig = await small.EnrichAsync(ClientTests.Request(), default, default);
            Assert.Equal(FailureKind.InvalidResponse, tooBig.Failure);
            Assert.Contains("1 MB", tooBig.Message);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConnectionSettings { MaxResponseBytes = 65 * 1024 * 1024 }.Validate());
    }

    [Fact]
    public async Task TheOAuthAnswerIsReadWithTheSameBound()
    {
        HugeContent? content = null;
        var handler = new StubHandler((_, _) =>
        {
            content = new HugeContent(100L * 1024 * 1024, false);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        });
        using var http = new HttpClient(handler);
        using var provider = new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog", ClientTests.Secure("s"), maxResponseBytes: 1024 * 1024);
        var ex = await Assert.ThrowsAsync<LeadspaceTokenUnavailableException>(() => provider.GetTokenAsync(default));
        Assert.Contains("larger than the 1 MB allowed", ex.Message);
        Assert.True(content!.Written <= 1024 * 1024 + 65536, $"read {content.Written} bytes");
    }

    [Fact]
    public async Task A407StopsTheRunAtOnceNamingTheProxyAndSpendsNothing()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(407, "<html>Proxy Authentication Required</html>")));
        using var client = ClientTests.Client(handler, s => s.Proxy = new Uri("http://proxy.example.test:3128"));
        var call = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.ProxyAuthenticationRequired, call.Failure);
        Assert.Equal(1, handler.Calls);        // not retried
        Assert.False(call.Sent);               // nothing reached Leadspace
        Assert.False(call.Charged);
        Assert.Contains("407", call.Message);
        Assert.Contains("http://proxy.example.test:3128", call.Message);
        Assert.Contains("-ProxyCredential", call.Message);
        Assert.True(FailureTable.IsFatal(call.Failure));
        var row = EnrichmentEngine.Shape(1, ClientTests.Request(), call);
        Assert.Equal(EnrichmentOutcome.NotSent, row.Status);
        Assert.Contains("no credit", row.Message);
        var semantics = FailureTable.For(FailureKind.ProxyAuthenticationRequired);
        Assert.Equal("LeadspaceProxyAuthenticationRequired", semantics.ErrorId);
        Assert.Equal(FailureTable.For(FailureKind.Unauthorized).Error.CategoryCode, semantics.Error.CategoryCode); // AuthenticationError, as a 401
        Assert.False(semantics.Retryable);
    }

    [Fact]
    public async Task A407ToTheTunnelOfAnHttpsCallIsTheSameFatalFailure()
    {
        // What SocketsHttpHandler throws when a proxy refuses the CONNECT of an https call.
        var handler = new StubHandler((_, _) => Task.FromException<HttpResponseMessage>(
            new HttpRequestException("The proxy tunnel request to proxy 'http://proxy.example.test:3128/' failed with status code '407'.")));
        using var client = ClientTests.Client(handler, s => { s.Proxy = new Uri("http://proxy.example.test:3128"); s.ProxyCredential = new NetworkCredential("u", "wrong"); });
        var call = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.ProxyAuthenticationRequired, call.Failure);
        Assert.Equal(1, handler.Calls);
        Assert.False(call.Sent);
        Assert.Contains("refused the credentials given", call.Message);
        Assert.DoesNotContain("wrong", call.Message);
        Assert.False(LeadspaceClient.IsProxyAuthenticationFailure(new HttpRequestException("Connection refused (127.0.0.1:407)")));
    }

    [Fact]
    public async Task A407ToTheOAuthTokenCallStopsTheRunTheSameWay()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(407, "")));
        using var client = ClientTests.Client(handler, s => s.Proxy = new Uri("http://proxy.example.test:3128"),
            tokens: http => new OAuthTokenProvider(http, new Uri("https://apigw.example.test"), "prog-1", ClientTests.Secure("s")));
        var call = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.ProxyAuthenticationRequired, call.Failure);
        Assert.Equal(1, handler.Calls);                 // the token call only: not retried, nothing enriched
        Assert.Equal("/oauth/authorize", Assert.Single(handler.Requests).Path);
        Assert.False(call.Sent);
        Assert.Contains("OAuth token request", call.Message);
        Assert.Contains("http://proxy.example.test:3128", call.Message);
    }

    [Fact]
    public void TheProxyIsUsedForEveryCallLoopbackIncludedAndNoProxyIgnoresTheEnvironment()
    {
        var settings = new ConnectionSettings { BaseUri = new Uri("http://127.0.0.1:5000"), Proxy = new Uri("http://127.0.0.1:3128"), ProxyCredential = new NetworkCredential("u", "p") };
        settings.Validate();
        using var handler = (HttpClientHandler)LeadspaceClient.CreateHandler(settings);
        Assert.True(handler.UseProxy);
        var proxy = Assert.IsType<WebProxy>(handler.Proxy);
        Assert.False(proxy.BypassProxyOnLocal);
        Assert.False(proxy.IsBypassed(new Uri("http://127.0.0.1:5000/enrichment/enrich/single")));
        Assert.Equal(new Uri("http://127.0.0.1:3128"), proxy.GetProxy(new Uri("http://localhost:5000/")));
        Assert.Equal("u", proxy.Credentials!.GetCredential(new Uri("http://127.0.0.1:3128"), "Basic")!.UserName);

        using var direct = (HttpClientHandler)LeadspaceClient.CreateHandler(new ConnectionSettings { NoProxy = true });
        Assert.False(direct.UseProxy);
        using var environment = (HttpClientHandler)LeadspaceClient.CreateHandler(new ConnectionSettings());
        Assert.True(environment.UseProxy);
        Assert.Null(environment.Proxy); // the default proxy: HTTPS_PROXY, HTTP_PROXY, NO_PROXY, the system's
    }

    [Theory]
    [InlineData("http://user:pw@proxy:3128", "user name or password")]
    [InlineData("ftp://proxy:21", "http://")]
    public void AProxyWithCredentialsInItsUriOrAnotherSchemeIsRefused(string uri, string expected)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new ConnectionSettings { Proxy = new Uri(uri) }.Validate());
        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain("pw", ex.Message);
    }

    [Fact]
    public void ProxyOptionsThatContradictEachOtherAreRefused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new ConnectionSettings { Proxy = new Uri("http://p:1"), NoProxy = true }.Validate());
        Assert.ThrowsAny<ArgumentException>(() => new ConnectionSettings { ProxyCredential = new NetworkCredential("u", "p") }.Validate());
        Assert.ThrowsAny<ArgumentException>(() => new ConnectionSettings { Proxy = new Uri("http://p:1"), ProxyCredential = new NetworkCredential("u", "p"), ProxyUseDefaultCredentials = true }.Validate());
    }
}
