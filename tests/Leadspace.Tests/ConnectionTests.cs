using System.Security;
using Leadspace.Http;
using Leadspace.RateLimiting;
using Leadspace.Session;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Connecting (review items 5, 6, 7, 13): one gate per program, checked tokens and base URIs, runs never broken by a disconnect.</summary>
[Collection("Connections")] // the gate registry is process-wide
public class ConnectionTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;
    private static int _programs;

    private static string NewProgram() => "prog-" + Interlocked.Increment(ref _programs) + "-" + Guid.NewGuid().ToString("N")[..6];

    private static ConnectionRequest TokenRequest(string token, string? programId, double rate = 30, string baseUri = "https://apigw.example.test")
        => new() { Token = ClientTests.Secure(token), ProgramId = programId, BaseUri = new Uri(baseUri), Settings = new ConnectionSettings { RequestsPerSecond = rate } };

    private static ConnectionRequest OAuthRequest(string programId, double rate = 30)
        => new() { Method = ConnectionRequest.Auth.OAuth, UserName = programId, Password = ClientTests.Secure("secret"), BaseUri = new Uri("https://apigw.example.test"), Settings = new ConnectionSettings { RequestsPerSecond = rate } };

    private static Func<HttpMessageHandler> OAuthServer(int status = 200)
        => () => new StubHandler((_, _) => Task.FromResult(status == 200
            ? StubHandler.Json(200, """{"token":"oauth-token","refreshToken":"r","expiration":4102444800}""")
            : StubHandler.Json(status, "")));

    private static LeadspaceConnectException Refused(ConnectionRequest request, Func<string, string?>? env = null)
        => Assert.Throws<LeadspaceConnectException>(() => ConnectionFactory.Open(request, env ?? NoEnvironment, default));

    [Fact]
    public void ATokenConnectionAndAnOAuthConnectionOfOneProgramShareOneGate()
    {
        var program = NewProgram();
        using var token = ConnectionFactory.Open(TokenRequest("tok-" + program, program), NoEnvironment, default).Connection;
        using var oauth = ConnectionFactory.Open(OAuthRequest(program), NoEnvironment, default, OAuthServer()).Connection;
        Assert.Same(token.Gate, oauth.Gate);
        // The program id is compared without case and without surrounding spaces.
        using var spaced = ConnectionFactory.Open(TokenRequest("other-" + program, "  " + program.ToUpperInvariant() + " "), NoEnvironment, default).Connection;
        Assert.Same(token.Gate, spaced.Gate);
    }

    [Fact]
    public void TheSameTokenWithAndWithoutSurroundingSpacesOrAProgramIdSharesOneGate()
    {
        var program = NewProgram();
        using var first = ConnectionFactory.Open(TokenRequest("tok-" + program, null), NoEnvironment, default).Connection;
        using var padded = ConnectionFactory.Open(TokenRequest("  tok-" + program + "\n", null), NoEnvironment, default).Connection;
        using var named = ConnectionFactory.Open(TokenRequest("tok-" + program, program), NoEnvironment, default).Connection;
        Assert.Same(first.Gate, padded.Gate);
        Assert.Same(first.Gate, named.Gate);
        // ...and through the program id the token named, an OAuth connection of that program joins it too.
        using var oauth = ConnectionFactory.Open(OAuthRequest(program), NoEnvironment, default, OAuthServer()).Connection;
        Assert.Same(first.Gate, oauth.Gate);
    }

    [Fact]
    public void AnotherServiceOrProgramGetsItsOwnGate()
    {
        var program = NewProgram();
        using var a = ConnectionFactory.Open(TokenRequest("t1-" + program, program), NoEnvironment, default).Connection;
        using var b = ConnectionFactory.Open(TokenRequest("t1-" + program, program, baseUri: "https://eu.example.test"), NoEnvironment, default).Connection;
        using var c = ConnectionFactory.Open(TokenRequest("t2-" + program, program + "-b"), NoEnvironment, default).Connection;
        Assert.NotSame(a.Gate, b.Gate);
        Assert.NotSame(a.Gate, c.Gate);
    }

    [Fact]
    public void AFailedConnectLeavesTheLiveRateOfTheProgramAlone()
    {
        var program = NewProgram();
        using var live = ConnectionFactory.Open(TokenRequest("tok-" + program, program, rate: 30), NoEnvironment, default).Connection;
        var refused = Assert.Throws<LeadspaceConnectException>(() => ConnectionFactory.Open(OAuthRequest(program, rate: 5), NoEnvironment, default, OAuthServer(401)));
        Assert.Equal("LeadspaceOAuthFailed", refused.ErrorId);
        Assert.Equal(30, live.Gate.RequestsPerSecond);
        var bad = Refused(TokenRequest("bad token", program, rate: 5));
        Assert.Equal("LeadspaceInvalidToken", bad.ErrorId);
        Assert.Equal(30, live.Gate.RequestsPerSecond);
        // A good connect does change it, and says what it replaced.
        var outcome = ConnectionFactory.Open(TokenRequest("tok-" + program, program, rate: 10), NoEnvironment, default);
        using var _ = outcome.Connection;
        Assert.Equal(30, outcome.ReplacedRate);
        Assert.Equal(10, live.Gate.RequestsPerSecond);
    }

    [Theory]
    [InlineData("tö", "not ASCII")]
    [InlineData("abc\r\ndef", "line break")]
    [InlineData("abc def", "whitespace")]
    [InlineData("abc\u0001def", "control character")]
    [InlineData("“quoted”", "not ASCII")]
    public void TokensThatCannotTravelInAHeaderAreRefusedAtConnect(string token, string why)
    {
        var ex = Refused(TokenRequest(token, NewProgram()));
        Assert.Equal("LeadspaceInvalidToken", ex.ErrorId);
        Assert.Same(ErrorTable.InvalidToken, ex.Error);
        Assert.Contains(why, ex.Message);
        Assert.DoesNotContain(token.Trim(), ex.Message);
    }

    [Fact]
    public void ATokenFromTheEnvironmentIsCheckedToo()
    {
        var env = new Dictionary<string, string?> { [ConnectionFactory.TokenVariable] = "tok\twith-tab" };
        var ex = Refused(new ConnectionRequest { BaseUri = new Uri("https://apigw.example.test") }, k => env.GetValueOrDefault(k));
        Assert.Equal("LeadspaceInvalidToken", ex.ErrorId);
    }

    [Theory]
    [InlineData("https://user:p4ssw0rd@apigw.example.test", "user name or password")]
    [InlineData("ftp://apigw.example.test", "must be https")]
    [InlineData("http://apigw.example.test", "must be https")]
    public void BaseUrisThatWouldLeakOrCannotWorkAreRefused(string uri, string why)
    {
        var ex = Refused(TokenRequest("tok", NewProgram(), baseUri: uri));
        Assert.Equal("LeadspaceInvalidBaseUri", ex.ErrorId);
        Assert.Contains(why, ex.Message);
        Assert.DoesNotContain("p4ssw0rd", ex.Message);
        Assert.DoesNotContain("p4ssw0rd", ex.Target?.ToString() ?? string.Empty);
    }

    [Fact]
    public void ADisconnectWaitsForTheRunsThatUseTheConnection()
    {
        var connection = ConnectionFactory.Open(TokenRequest("tok-run", NewProgram()), NoEnvironment, default).Connection;
        var run = connection.BeginRun();
        connection.Dispose();
        Assert.True(connection.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => connection.BeginRun()); // no new run
        Assert.False(((RateGate)connection.Gate).IsDisposed);                  // the run in flight keeps its gate and client
        _ = connection.Client.Statistics.Calls;
        run.Dispose();
        Assert.True(((RateGate)connection.Gate).IsDisposed);
    }
}
