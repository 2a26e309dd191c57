using System.Net;
using Xunit;

namespace Leadspace.Simulator.Tests;

public sealed class RequestValidationTests : IAsyncLifetime
{
    private SimulatorHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await Sim.StartAsync();
        _client = Sim.Client(_host);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task NonPostIs405WithAllowHeader(string method)
    {
        using var req = Sim.EnrichRequest(Sim.Account("Acme"), method: new HttpMethod(method));
        using var resp = await _client.SendAsync(req);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, resp.StatusCode);
        Assert.Contains("POST", resp.Content.Headers.Allow);
    }

    [Fact]
    public async Task MethodIsCheckedBeforeAuth()
    {
        using var req = Sim.EnrichRequest("", token: null, contentType: null, method: HttpMethod.Get);
        using var resp = await _client.SendAsync(req);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, resp.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    public async Task WrongContentTypeIs415EvenWithoutAuth(string? contentType)
    {
        using var resp = await _client.EnrichAsync(Sim.Account("Acme"), token: null, contentType: contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, resp.StatusCode);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=UTF-8")]
    public async Task JsonContentTypesAreAccepted(string contentType)
    {
        using var resp = await _client.EnrichAsync(Sim.Account("Acme"), contentType: contentType);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    [InlineData("sim-token-x")]
    public async Task BadTokenIs401WithSpecText(string? token)
    {
        var (status, body) = await _client.EnrichTextAsync("{not json", token);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Credentials are required to access this resource", body);
    }

    [Fact]
    public async Task NonBearerSchemeIs401()
    {
        using var req = Sim.EnrichRequest(Sim.Account("Acme"), token: null);
        req.Headers.TryAddWithoutValidation("Authorization", "Basic c2ltLXRva2Vu");
        using var resp = await _client.SendAsync(req);
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
    }

    public static TheoryData<string> InvalidBodies => new()
    {
        "",
        "{not json",
        "[]",
        "\"text\"",
        "{}",
        """{"person":{"first_name":"Ann","last_name":"Lee"}}""",
        """{"person":{"first_name":"Ann","email":"ann@acme.com"}}""",
        """{"person":{"last_name":"Lee","email":"ann@acme.com"},"company":{"website":"acme.com"}}""",
        """{"person":{"first_name":"Ann","last_name":"Lee","title":"CEO"},"company":{"lsid":"abc"}}""",
        """{"person":{"first_name":"  ","last_name":"Lee","email":"ann@acme.com"}}""",
        """{"person":{"first_name":"Ann","last_name":"Lee","email":"   "}}""",
        """{"company":{"name":"   "}}""",
        """{"company":{"name":""}}""",
        """{"company":{"website":"acme.com"}}""",
        """{"company":{"name":42}}""",
        """{"person":"Ann Lee","company":{"name":"Acme"}}""",
        """{"external_id":"only-id"}""",
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task BelowMinimumInputIs400WithSpecText(string body)
    {
        var (status, text) = await _client.EnrichTextAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("For Account enrichment: Company Name", text);
        Assert.Contains("First Name Last Name Company Name/Email Address/Website", text);
    }

    public static TheoryData<string, string> ValidMinimums => new()
    {
        { """{"company":{"name":"Acme"}}""", "Company Enriched" },
        { """{"company":{"name":"Acme"},"person":{"first_name":"Ann"}}""", "Company Enriched" },
        { """{"person":{"first_name":"Ann","last_name":"Lee"},"company":{"name":"Acme"}}""", "Person" },
        { """{"person":{"first_name":"Ann","last_name":"Lee","email":"ann@acme.com"}}""", "Person" },
        { """{"person":{"first_name":"Ann","last_name":"Lee"},"company":{"website":"https://www.acme.com/about"}}""", "Person" },
        { """{"person":{"first_name":" Ann ","last_name":"Lee","email":null},"company":{"name":"Acme","address":null},"custom_fields":[{"name":"a","value":"b"}]}""", "Person" },
    };

    [Theory]
    [MemberData(nameof(ValidMinimums))]
    public async Task MinimumInputsAre200(string body, string statusPrefix)
    {
        var json = await _client.EnrichJsonAsync(body);
        Assert.Equal("success", json.GetProperty("status").GetString());
        Assert.StartsWith(statusPrefix, json.GetProperty("data").GetProperty("enrichment_status").GetString());
    }

    [Fact]
    public async Task AccountOnlyAnswerHasNoPerson()
    {
        var json = await _client.EnrichJsonAsync(Sim.Account("Globex"));
        var data = json.GetProperty("data");
        Assert.Equal("Company Enriched", data.GetProperty("enrichment_status").GetString());
        Assert.False(data.TryGetProperty("person", out _));
        Assert.Equal("Globex", data.GetProperty("company").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/enrichment/enrich/bulk")]
    [InlineData("/enrichment/enrich")]
    public async Task OtherPathsAre404(string path)
    {
        using var resp = await _client.PostAsync(path, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
    }

    [Fact]
    public async Task FourHundredsAreCountedButCostNothing()
    {
        await _client.EnrichTextAsync("{}");
        await _client.EnrichTextAsync("{}", token: "bad");
        using (await _client.EnrichAsync("{}", contentType: "text/plain"))
        {
        }
        var s = _host.Stats;
        Assert.Equal(3, s.Calls);
        Assert.Equal(1, s.Status(400));
        Assert.Equal(1, s.Status(401));
        Assert.Equal(1, s.Status(415));
        Assert.Equal(0, s.CreditsCharged);
    }

    [Fact]
    public async Task JsonErrorBodyFormat()
    {
        _host.Options.ErrorBodyFormat = ErrorBodyFormat.Json;
        var (status, text) = await _client.EnrichTextAsync("{}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        Assert.Equal("failure", doc.RootElement.GetProperty("status").GetString());
        Assert.Contains("Company Name", doc.RootElement.GetProperty("message").GetString());
    }
}
