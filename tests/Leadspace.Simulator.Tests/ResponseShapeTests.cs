using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Leadspace.Simulator.Tests;

/// <summary>
/// The shapes the simulator's answers take: both forms where the spec allows two (varied by input, or fixed),
/// nothing the spec does not name, usable URLs for any company name, the 5xx body shapes, unusable 200s and
/// shapes beyond the spec.
/// </summary>
public sealed class ResponseShapeTests
{
    private static readonly Regex Guid = new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private sealed record Shapes(int IntentObjects, int IntentLists, int TopicStrings, int TopicArrays, int WholeRanks, int FractionalRanks);

    private static async Task<Shapes> Survey(HttpClient client, int n)
    {
        int io = 0, il = 0, ts = 0, ta = 0, wr = 0, fr = 0;
        for (var i = 0; i < n; i++)
        {
            var company = (await client.EnrichJsonAsync(Sim.Account("Shape Co " + i))).GetProperty("data").GetProperty("company");
            var intent = company.GetProperty("intent_modeling");
            var models = intent.ValueKind == JsonValueKind.Array ? intent.EnumerateArray().ToList() : [intent];
            if (intent.ValueKind == JsonValueKind.Array)
            {
                il++;
                Assert.InRange(models.Count, 1, 3);
            }
            else
            {
                io++;
            }
            foreach (var m in models)
            {
                Assert.False(string.IsNullOrEmpty(m.GetProperty("project_name").GetString()));
                if (m.GetProperty("surging_topics").ValueKind == JsonValueKind.String) ts++;
                else ta++;
            }
            foreach (var name in new[] { "fortune_500_rank", "g2k_rank" })
            {
                var rank = company.GetProperty("signals").GetProperty(name);
                if (rank.ValueKind != JsonValueKind.Number) continue;
                var d = rank.GetDecimal();
                Assert.InRange(d, 1m, name == "g2k_rank" ? 2000m : 500m);
                if (d == decimal.Truncate(d)) wr++;
                else fr++;
            }
        }
        return new Shapes(io, il, ts, ta, wr, fr);
    }

    [Fact]
    public async Task ByDefaultBothFormsTheSpecAllowsOccurChosenByTheInput()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        var s = await Survey(client, 400);
        Assert.True(s.IntentObjects > 50 && s.IntentLists > 50, $"intent_modeling: {s.IntentObjects} objects, {s.IntentLists} lists");
        Assert.True(s.TopicStrings > 20 && s.TopicArrays > 20, $"surging_topics: {s.TopicStrings} strings, {s.TopicArrays} arrays");
        Assert.True(s.FractionalRanks > 0 && s.WholeRanks > 0, $"ranks: {s.WholeRanks} whole, {s.FractionalRanks} fractional");

        // The input decides, not the seed or the order: the same input gives the same shape in another simulator.
        await using var other = await Sim.StartAsync(o => o.Seed = 4242);
        using var otherClient = Sim.Client(other);
        for (var i = 0; i < 20; i++)
        {
            var a = await client.EnrichJsonAsync(Sim.Account("Shape Co " + i));
            var b = await otherClient.EnrichJsonAsync(Sim.Account("Shape Co " + i));
            Assert.Equal(a.GetRawText(), b.GetRawText());
        }
    }

    [Fact]
    public async Task FixedShapesAlwaysUseTheFirstForm()
    {
        await using var host = await Sim.StartAsync(o => o.ResponseShapes = ResponseShapes.Fixed);
        using var client = Sim.Client(host);
        var s = await Survey(client, 400);
        Assert.Equal(0, s.IntentLists);
        Assert.Equal(0, s.TopicStrings);
        Assert.Equal(0, s.FractionalRanks);
        Assert.True(s.WholeRanks > 0);
    }

    [Fact]
    public async Task NothingTheSpecDoesNotNameIsInvented()
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        var types = new HashSet<string>();
        for (var i = 0; i < 150; i++)
        {
            var company = (await client.EnrichJsonAsync(Sim.Account("Spec Co " + i))).GetProperty("data").GetProperty("company");
            Assert.Equal("{}", company.GetProperty("specialties").GetRawText()); // a nested object without named fields
            var tree = company.GetProperty("family_tree");
            if (tree.ValueKind == JsonValueKind.Null) continue;
            var companyTypes = tree.GetProperty("companies").EnumerateArray().Select(c => c.GetProperty("type").GetString()!).ToList();
            Assert.Equal(companyTypes.Count, companyTypes.Distinct().Count());
            types.UnionWith(companyTypes);
        }
        Assert.Equal(new HashSet<string> { "GU", "DU" }, types);
    }

    [Theory]
    [InlineData("株式会社ヤマト商事")]
    [InlineData("Акционерное общество «Северсталь»")]
    [InlineData("شركة الاتصالات")]
    [InlineData("Müller & Söhne GmbH")]
    public async Task EveryUrlHasAHostNameWhateverTheCompanyName(string name)
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        var urls = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            var json = await client.EnrichJsonAsync(Sim.Person("Łukasz", "Иванов", name + (i == 0 ? "" : " " + new string('・', i))));
            var data = json.GetProperty("data");
            if (data.TryGetProperty("company", out var company))
            {
                urls.Add(company.GetProperty("website").GetString()!);
                urls.Add(company.GetProperty("twitter_url").GetString()!);
                urls.Add(company.GetProperty("linkedin_profile").GetString()!);
                if (company.GetProperty("family_tree") is { ValueKind: JsonValueKind.Object } tree)
                {
                    urls.AddRange(tree.GetProperty("companies").EnumerateArray().Select(c => c.GetProperty("website").GetString()!));
                }
            }
            if (data.GetProperty("person").TryGetProperty("linkedin_profile", out var li)) urls.Add(li.GetString()!);
        }
        Assert.NotEmpty(urls);
        Assert.All(urls, u =>
        {
            Assert.DoesNotContain("..", u);   // was www..com for names without Latin letters
            Assert.DoesNotContain("/-", u);
            Assert.False(u.EndsWith('/'), u);
            Assert.Matches("[a-z0-9]", u.Split('/').Last().Replace("www.", "", StringComparison.Ordinal).Replace(".com", "", StringComparison.Ordinal));
        });
    }

    [Theory]
    [InlineData("companyLinkedinUrl")]
    [InlineData("companylinkedinUrl")]
    public async Task BothSpellingsOfTheCompanyLinkedInKeyAreAccepted(string key)
    {
        await using var host = await Sim.StartAsync();
        using var client = Sim.Client(host);
        var json = await client.EnrichJsonAsync($$$"""{"company":{"name":"Acme","{{{key}}}":"https://www.linkedin.com/company/acme-x"}}""");
        Assert.Equal("https://www.linkedin.com/company/acme-x", json.GetProperty("data").GetProperty("company").GetProperty("linkedin_profile").GetString());
    }

    private static async Task<(int Status, string? ContentType, string Body)> ServerError(HttpClient client, int i)
    {
        using var resp = await client.EnrichAsync(Sim.Account("Err Co " + i));
        return ((int)resp.StatusCode, resp.Content.Headers.ContentType?.MediaType, await resp.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(ServerErrorBody.Addendum, "application/json", "\"tracking_id\":\"")]
    [InlineData(ServerErrorBody.Renamed, "application/json", "\"trackingId\":\"")]
    [InlineData(ServerErrorBody.Text, "text/plain", "Tracking ID: ")]
    [InlineData(ServerErrorBody.Html, "text/html", "Tracking ID: <code>")]
    public async Task ServerErrorBodiesInEachShapeCarryATrackingId(ServerErrorBody shape, string mediaType, string marker)
    {
        await using var host = await Sim.StartAsync(o => { o.ErrorRate = 1; o.ServerErrorBody = shape; });
        using var client = Sim.Client(host);
        for (var i = 0; i < 8; i++)
        {
            var (status, type, body) = await ServerError(client, i);
            Assert.InRange(status, 500, 504);
            Assert.Equal(mediaType, type);
            Assert.Contains(marker, body);
            Assert.Matches(Guid, body);
            if (mediaType == "application/json") JsonDocument.Parse(body).Dispose();
        }
        Assert.Equal(0, host.Stats.CreditsCharged);
    }

    private static string Kind(string? type, string body)
        => body.Length == 0 ? "empty" : type == "application/json" ? (body.Contains("tracking_id", StringComparison.Ordinal) ? "addendum" : "renamed") : type!;

    [Fact]
    public async Task EmptyAndMixedServerErrorBodies()
    {
        await using var host = await Sim.StartAsync(o => { o.ErrorRate = 1; o.ServerErrorBody = ServerErrorBody.Empty; });
        using var client = Sim.Client(host);
        var (_, _, empty) = await ServerError(client, 0);
        Assert.Equal(string.Empty, empty);

        host.Options.ServerErrorBody = ServerErrorBody.Mixed;
        var kinds = new HashSet<string>();
        for (var i = 0; i < 60; i++)
        {
            var (_, type, body) = await ServerError(client, i);
            kinds.Add(Kind(type, body));
        }
        Assert.Equal(new HashSet<string> { "empty", "addendum", "renamed", "text/plain", "text/html" }, kinds);
    }

    [Fact]
    public async Task MixedBodiesFollowTheSeed()
    {
        async Task<string> Sequence()
        {
            await using var host = await Sim.StartAsync(o => { o.ErrorRate = 1; o.ServerErrorBody = ServerErrorBody.Mixed; o.Seed = 99; });
            using var client = Sim.Client(host);
            var seq = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                var (_, type, body) = await ServerError(client, i);
                seq.Add(Kind(type, body));
            }
            return string.Join(",", seq);
        }
        Assert.Equal(await Sequence(), await Sequence());
    }

    [Fact]
    public async Task UnusableAnswersAreChargedAndHoldNoData()
    {
        await using var host = await Sim.StartAsync(o => o.UnusableRate = 1);
        using var client = Sim.Client(host);
        var bodies = new HashSet<string>();
        for (var i = 0; i < 70; i++)
        {
            var (status, body) = await client.EnrichTextAsync(Sim.Account("Unusable Co " + i, "u" + i));
            Assert.Equal(HttpStatusCode.OK, status);
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var usable = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("status", out var st) && st.GetString() == "success"
                && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                && (data.TryGetProperty("company", out _) || data.TryGetProperty("person", out _));
            Assert.False(usable, body);
            bodies.Add(Guid.Replace(body.Replace("u" + i, "ID", StringComparison.Ordinal), "GUID"));
        }
        Assert.Equal(ResponseGenerator.UnusableKinds, bodies.Count);
        Assert.Equal(70, host.Stats.CreditsCharged);
    }

    [Fact]
    public async Task OddShapesGoBeyondTheSpec()
    {
        await using var host = await Sim.StartAsync(o => o.OddShapeRate = 1);
        using var client = Sim.Client(host);
        var trees = 0;
        for (var i = 0; i < 30; i++)
        {
            var json = await client.EnrichJsonAsync(Sim.Person("Ada", "Odd" + i, "Odd Co " + i, email: $"ada{i}@odd.example"));
            Assert.Equal("3", json.GetProperty("api_version").GetString());
            var data = json.GetProperty("data");
            Assert.StartsWith("UGP-", data.GetProperty("person").GetProperty("ug_person_id").GetString());
            if (!data.TryGetProperty("company", out var company)) continue;
            Assert.Equal(JsonValueKind.String, company.GetProperty("size").ValueKind);
            Assert.Equal(JsonValueKind.String, company.GetProperty("revenue").GetProperty("exact").ValueKind);
            Assert.StartsWith("UG-", company.GetProperty("ug_company_id").GetString());
            if (company.GetProperty("family_tree").ValueKind == JsonValueKind.Array) trees++;
            else Assert.Equal(JsonValueKind.Null, company.GetProperty("family_tree").ValueKind);
        }
        Assert.True(trees > 0);
    }

    [Fact]
    public async Task FormulaValuesBeginLikeSpreadsheetFormulasAndLeaveNumbersAlone()
    {
        await using var host = await Sim.StartAsync(o => { o.FormulaValues = true; o.NoMatchRate = 0; });
        using var client = Sim.Client(host);
        var json = await client.EnrichJsonAsync(Sim.Person("Ada", "Formula", "Formula Co", email: "ada@formula.example"));
        var data = json.GetProperty("data");
        var person = data.GetProperty("person");
        Assert.Equal("+cmd|' /C calc'!A0", person.GetProperty("title").GetString());
        Assert.StartsWith("-2+3", person.GetProperty("first_name").GetString());
        Assert.Equal("\t=1+1", person.GetProperty("last_name").GetString());
        var company = (await client.EnrichJsonAsync(Sim.Account("Formula Co"))).GetProperty("data").GetProperty("company");
        Assert.StartsWith("=HYPERLINK(", company.GetProperty("description").GetString());
        Assert.StartsWith("@SUM(", company.GetProperty("name").GetString());

        // The same input without the option: the same answer except those texts (numbers included).
        await using var plain = await Sim.StartAsync(o => o.NoMatchRate = 0);
        using var plainClient = Sim.Client(plain);
        var plainCompany = (await plainClient.EnrichJsonAsync(Sim.Account("Formula Co"))).GetProperty("data").GetProperty("company");
        Assert.Equal(plainCompany.GetProperty("size").GetRawText(), company.GetProperty("size").GetRawText());
        Assert.Equal(plainCompany.GetProperty("revenue").GetRawText(), company.GetProperty("revenue").GetRawText());
        Assert.Equal("Formula Co", plainCompany.GetProperty("name").GetString());
        var title = (await plainClient.EnrichJsonAsync(Sim.Person("Ada", "Formula", "Formula Co", email: "ada@formula.example"))).GetProperty("data").GetProperty("person").GetProperty("title").GetString();
        Assert.DoesNotContain("cmd|", title);
    }
}
