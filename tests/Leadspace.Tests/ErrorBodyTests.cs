using System.Net;
using System.Text;
using Leadspace.Model;
using Leadspace.Resilience;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Error bodies of every shape: the tracking id is found and the body is kept (shortened) in the message.</summary>
public class ErrorBodyTests
{
    [Fact]
    public void TheAddendumsJsonKeys()
    {
        var b = ErrorBody.Parse("""{"error":"SERVICE_UNAVAILABLE","tracking_id":"9f3c2a10-1b2c-4d5e-8f90-123456789abc","request_timestamp":"2026-11-27T05:30:00Z","details":"Please retry later."}""");
        Assert.True(b.IsJson);
        Assert.Equal("SERVICE_UNAVAILABLE", b.Code);
        Assert.Equal("9f3c2a10-1b2c-4d5e-8f90-123456789abc", b.TrackingId);
        Assert.Equal("2026-11-27T05:30:00Z", b.Timestamp);
        Assert.Equal("Please retry later.", b.Details);
        Assert.Equal("'SERVICE_UNAVAILABLE': Please retry later. (tracking id 9f3c2a10-1b2c-4d5e-8f90-123456789abc, at 2026-11-27T05:30:00Z)", b.Describe());
    }

    [Theory]
    [InlineData("""{"code":503,"message":"Upstream down","trackingId":"TRK-0042"}""", "TRK-0042")]
    [InlineData("""{"errorCode":"E1","TrackingID":"ab12cd34"}""", "ab12cd34")]
    [InlineData("""{"error":{"code":"UNAVAILABLE","message":"busy","tracking-id":"t-12345"}}""", "t-12345")]
    [InlineData("""{"status":"failure","meta":{"tracking_number":7788123}}""", "7788123")]
    [InlineData("""{"message":"Internal error (tracking id: x9y8z7w6)"}""", "x9y8z7w6")]
    [InlineData("""{"message":"Internal error","requestId":"req-5566"}""", "req-5566")]
    [InlineData("""{"errors":[{"detail":"failed","correlation_id":"c0ffee01"}]}""", "c0ffee01")]
    public void TrackingIdsUnderOtherKeysOrInsideTheText(string body, string expected)
    {
        var b = ErrorBody.Parse(body);
        Assert.Equal(expected, b.TrackingId);
        Assert.Contains(expected, b.Describe());
    }

    [Theory]
    [InlineData("Service temporarily unavailable. Tracking ID: 5d2f9e8a-0c1b-4a3d-9e7f-aa11bb22cc33", "5d2f9e8a-0c1b-4a3d-9e7f-aa11bb22cc33")]
    [InlineData("Internal Server Error\ntracking_id=TRK77812\n", "TRK77812")]
    [InlineData("error; tracking number #884422; try again", "884422")]
    [InlineData("Upstream failure, request id: 0a1b2c3d4e", "0a1b2c3d4e")]
    public void PlainTextBodies(string body, string expected)
    {
        var b = ErrorBody.Parse(body);
        Assert.False(b.IsJson);
        Assert.Equal(expected, b.TrackingId);
        Assert.StartsWith("the answer: ", b.Describe());
        Assert.Contains(expected, b.Text);
    }

    [Fact]
    public void TextWithoutAnIdFindsNone()
    {
        var b = ErrorBody.Parse("Tracking is unavailable right now. Request failed.");
        Assert.Null(b.TrackingId);
        Assert.Equal("the answer: Tracking is unavailable right now. Request failed.", b.Describe());
    }

    [Fact]
    public void HtmlPagesFromAGatewayAreReducedToTheirText()
    {
        var b = ErrorBody.Parse("""
            <!DOCTYPE html>
            <html><head><title>502 Bad Gateway</title><style>body { color: red }</style><script>var x = 1;</script></head>
            <body><center><h1>502 Bad Gateway</h1></center><p>Tracking&nbsp;ID: <b>gw-7f3e9a21</b></p><hr><center>nginx</center></body></html>
            """);
        Assert.False(b.IsJson);
        Assert.Equal("gw-7f3e9a21", b.TrackingId);
        Assert.DoesNotContain("<", b.Text);
        Assert.DoesNotContain("color", b.Text);
        Assert.StartsWith("502 Bad Gateway", b.Text);
        Assert.Contains("nginx", b.Text);
    }

    [Fact]
    public void CloudflarePagesGiveTheirRayId()
    {
        var b = ErrorBody.Parse("<html><head><title>example.com | 520: Web server is returning an unknown error</title></head><body><span>Cloudflare Ray ID: <strong>8a1b2c3d4e5f6789</strong></span></body></html>");
        Assert.Equal("8a1b2c3d4e5f6789", b.TrackingId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \r\n")]
    public void NoBody(string? body)
    {
        var b = ErrorBody.Parse(body);
        Assert.Null(b.TrackingId);
        Assert.Null(b.Text);
        Assert.Equal("no body", b.Describe());
    }

    [Fact]
    public void UnknownJsonIsQuotedShortened()
    {
        var big = "{\"weird\":\"" + new string('x', 5000) + "\"}";
        var b = ErrorBody.Parse(big);
        Assert.True(b.IsJson);
        Assert.Null(b.Code);
        Assert.Equal(ErrorBody.MaxTextLength + 1, b.Text!.Length); // and an ellipsis
        Assert.EndsWith("…", b.Text);
        Assert.StartsWith("the answer: {\"weird\":\"xxx", b.Describe());
    }

    [Fact]
    public void KnownKeysBesideUnknownOnesKeepTheBodyToo()
    {
        var b = ErrorBody.Parse("""{"error":"E1","tracking_id":"trk-1234","hint":"reduce the batch"}""");
        Assert.Contains("'E1'", b.Describe());
        Assert.Contains("reduce the batch", b.Describe());
        Assert.Contains("tracking id trk-1234", b.Describe());
    }

    [Fact]
    public void InvalidJsonIsText()
    {
        var b = ErrorBody.Parse("{\"error\": \"truncated, tracking_id: zz-991");
        Assert.False(b.IsJson);
        Assert.Equal("zz-991", b.TrackingId);
    }

    [Theory]
    [InlineData("text/html", "<html><body><h1>503 Service Unavailable</h1><p>Tracking ID: html-5566aa</p></body></html>", "html-5566aa")]
    [InlineData("text/plain", "upstream connect error; tracking id 77aa88bb", "77aa88bb")]
    [InlineData("application/json", """{"code":"UNAVAILABLE","trackingId":"json-1122"}""", "json-1122")]
    public async Task TheClientPutsTheTrackingIdAndTheBodyInTheRowsMessage(string contentType, string body, string expected)
    {
        var handler = new StubHandler((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        }));
        using var client = ClientTests.Client(handler, s => s.Retry.MaxAttempts = 1);
        var result = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Equal(FailureKind.ServerError, result.Failure);
        Assert.Equal(expected, result.TrackingId);
        Assert.StartsWith("HTTP 503: server error, ", result.Message);
        Assert.Contains(expected, result.Message);
    }

    [Fact]
    public async Task AnEmptyServerErrorSaysSo()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError)));
        using var client = ClientTests.Client(handler, s => s.Retry.MaxAttempts = 1);
        var result = await client.EnrichAsync(ClientTests.Request(), default, default);
        Assert.Null(result.TrackingId);
        Assert.StartsWith("HTTP 500: server error, no body.", result.Message);
    }
}
