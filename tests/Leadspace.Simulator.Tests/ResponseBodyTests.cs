using System.Text.Json;
using Xunit;

namespace Leadspace.Simulator.Tests;

public sealed class ResponseBodyTests : IAsyncLifetime
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

    private static readonly string[] Firsts = ["Ann", "Zoë", "José", "Björn", "Li", "Mary-Kate", "Łukasz", "Chloé", "Omar", "Sven"];
    private static readonly string[] Lasts = ["Lee", "Müller", "García", "O'Neil", "Nakamura", "Smith", "Kowalski", "Dubois", "Haddad", "Berg"];
    private static readonly string[] Companies = ["Acme Corp", "Müller & Söhne GmbH", "株式会社トヨタ", "Globex, Inc.", "Initech", "Umbrella \"Bio\" Labs", "Stark Industries", "Wayne Enterprises", "Hooli", "Pied Piper"];

    private static IEnumerable<string> PersonInputs(int n) => Enumerable.Range(0, n).Select(i =>
        Sim.Person(Firsts[i % 10], Lasts[(i / 10) % 10], Companies[(i * 7 + i / 10) % 10] + (i >= 100 ? " " + i : ""),
            email: $"{Firsts[i % 10].ToLowerInvariant()}{i}@example{i % 13}.com", externalId: "row-" + i));

    private static readonly string[] AlwaysInPerson =
    [
        "status", "external_id", "data", "data.enrichment_status",
        "data.person", "data.person.address", "data.person.address.country", "data.person.address.state", "data.person.address.city", "data.person.address.region",
        "data.person.verification_status", "data.person.original_email", "data.person.original_email_verification_status",
        "data.person.first_name", "data.person.last_name", "data.person.title", "data.person.department", "data.person.level",
        "data.person.data_validation", "data.person.data_validation.phone", "data.person.data_validation.phone.status",
        "data.person.phone", "data.person.email", "data.person.analytics", "data.person.analytics.job_functions", "data.person.analytics.job_functions[]",
        "data.person.analytics.technologies", "data.person.analytics.scores", "data.person.analytics.scores[]",
        "data.person.analytics.scores[].profile_name", "data.person.analytics.scores[].score", "data.person.analytics.scores[].score.value",
        "data.person.analytics.max_positive_score_profiles",
        "data.total_scores", "data.total_scores[]", "data.total_scores[].profile_name", "data.total_scores[].score", "data.total_scores[].score.value",
        "data.total_scores[].score.predictiveSignalsSummary", "data.total_scores[].score.topPositivePredictiveSignals", "data.total_scores[].score.topNegativePredictiveSignals",
        "data.max_positive_total_score_profiles",
    ];

    private static readonly string[] AlwaysInCompany =
    [
        "data.company", "data.company.name", "data.company.original_name", "data.company.ls_id", "data.company.description", "data.company.ownership",
        "data.company.matching_confidence", "data.company.matching_confidence.level",
        "data.company.address", "data.company.address.country", "data.company.address.state", "data.company.address.city",
        "data.company.address.street", "data.company.address.zipcode", "data.company.address.region",
        "data.company.phone", "data.company.industry", "data.company.sub_industry", "data.company.linkedin_profile", "data.company.facebook_url",
        "data.company.twitter_url", "data.company.ticker", "data.company.website", "data.company.sic", "data.company.naics",
        "data.company.size", "data.company.size.range", "data.company.revenue", "data.company.revenue.range", "data.company.revenue.exact",
        "data.company.analytics", "data.company.analytics.installed_base_technologies", "data.company.analytics.web_site_technologies",
        "data.company.analytics.customTechnologiesCategories", "data.company.analytics.company_technologies_categories",
        "data.company.specialties", "data.company.expertise", "data.company.domain_intent",
        "data.company.intent_modeling", "data.company.intent_modeling.project_name", "data.company.intent_modeling.project_score",
        "data.company.intent_modeling.new_high_intent_flag", "data.company.intent_modeling.surging_topics",
        "data.company.alternateCompanyDomains", "data.company.data_validation", "data.company.data_validation.phone",
        "data.company.data_validation.phone.status", "data.company.data_validation.phone.normalize_value",
        "data.company.data_validation.address", "data.company.data_validation.address.status", "data.company.data_validation.address.normalize_value",
        "data.company.signals", "data.company.signals.fortune_500_rank", "data.company.signals.g2k_rank", "data.company.family_tree",
    ];

    private static readonly string[] SometimesPresent =
    [
        "data.person.verification_source", "data.person.linkedin_profile", "data.person.analytics.technologies[]", "data.company.size.exact",
        "data.company.analytics.installed_base_technologies[]", "data.company.analytics.web_site_technologies[]",
        "data.company.analytics.customTechnologiesCategories[]", "data.company.analytics.company_technologies_categories[]",
        "data.company.expertise[]", "data.company.intent_modeling.surging_topics[]", "data.max_positive_total_score_profiles[]",
        "data.company.family_tree.companies", "data.company.family_tree.companies[]", "data.company.family_tree.companies[].type",
        "data.company.family_tree.companies[].name", "data.company.family_tree.companies[].ls_id",
        "data.company.family_tree.companies[].address", "data.company.family_tree.companies[].address.country",
        "data.company.family_tree.companies[].address.state", "data.company.family_tree.companies[].address.city",
        "data.company.family_tree.companies[].address.street", "data.company.family_tree.companies[].address.zipcode",
        "data.company.family_tree.companies[].address.region", "data.company.family_tree.companies[].phone",
        "data.company.family_tree.companies[].website", "data.company.family_tree.companies[].sic", "data.company.family_tree.companies[].naics",
        "data.company.family_tree.companies[].size", "data.company.family_tree.companies[].size.range", "data.company.family_tree.companies[].size.exact",
        "data.company.family_tree.companies[].revenue", "data.company.family_tree.companies[].revenue.range", "data.company.family_tree.companies[].revenue.exact",
    ];

    private static void Walk(JsonElement e, string path, HashSet<string> paths, List<(string Path, JsonElement Value)>? leaves = null)
    {
        if (path.Length > 0)
        {
            paths.Add(path);
        }
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    Walk(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name, paths, leaves);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item, path + "[]", paths, leaves);
                }
                break;
            default:
                leaves?.Add((path, e));
                break;
        }
    }

    [Fact]
    public async Task SameInputGivesTheSameDataWithItsOwnExternalId()
    {
        var a = await _client.EnrichJsonAsync(Sim.Person("Zoë", "Müller", "Müller & Söhne GmbH", email: "zoe@mueller.de", externalId: "first"));
        var b = await _client.EnrichJsonAsync(Sim.Person("Zoë", "Müller", "Müller & Söhne GmbH", email: "zoe@mueller.de", externalId: "second"));
        var c = await _client.EnrichJsonAsync(Sim.Person("Zoë", "Müller", "Müller & Söhne GmbH", email: "zoe@mueller.de"));
        Assert.Equal("first", a.GetProperty("external_id").GetString());
        Assert.Equal("second", b.GetProperty("external_id").GetString());
        Assert.False(c.TryGetProperty("external_id", out _));
        Assert.Equal(a.GetProperty("data").GetRawText(), b.GetProperty("data").GetRawText());
        Assert.Equal(a.GetProperty("data").GetRawText(), c.GetProperty("data").GetRawText());

        // A fresh simulator (other seed, other faults) answers the same input identically.
        await using var other = await Sim.StartAsync(o => o.Seed = 99);
        using var otherClient = Sim.Client(other);
        var d = await otherClient.EnrichJsonAsync(Sim.Person("Zoë", "Müller", "Müller & Söhne GmbH", email: "zoe@mueller.de", externalId: "x"));
        Assert.Equal(a.GetProperty("data").GetRawText(), d.GetProperty("data").GetRawText());

        // A different input gives a different answer.
        var e = await _client.EnrichJsonAsync(Sim.Person("Zoe", "Muller", "Müller & Söhne GmbH", email: "zoe@mueller.de"));
        Assert.NotEqual(a.GetProperty("data").GetRawText(), e.GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task EveryResponseTableFieldIsPresent()
    {
        var union = new HashSet<string>();
        var personAndCompany = 0;
        var personOnly = 0;
        foreach (var body in PersonInputs(60))
        {
            var json = await _client.EnrichJsonAsync(body);
            var paths = new HashSet<string>();
            Walk(json, "", paths);
            // intent_modeling is one object or a list of them (both forms of the spec): one set of paths.
            paths = paths.Select(p => p.Replace("intent_modeling[]", "intent_modeling", StringComparison.Ordinal)).ToHashSet();
            union.UnionWith(paths);
            var status = json.GetProperty("data").GetProperty("enrichment_status").GetString();
            Assert.Contains(status, new[] { "Person & Company Enriched", "Person Enriched" });
            foreach (var p in AlwaysInPerson)
            {
                Assert.True(paths.Contains(p), $"{p} missing in {json}");
            }
            if (status == "Person & Company Enriched")
            {
                personAndCompany++;
                foreach (var p in AlwaysInCompany)
                {
                    Assert.True(paths.Contains(p), $"{p} missing in {json}");
                }
            }
            else
            {
                personOnly++;
                Assert.DoesNotContain("data.company", paths);
            }
        }
        Assert.True(personAndCompany > 30);
        Assert.True(personOnly > 0);
        foreach (var p in SometimesPresent)
        {
            Assert.True(union.Contains(p), $"{p} never seen");
        }
    }

    [Fact]
    public async Task ValuesComeFromTheDocumentedEnumerations()
    {
        var levels = new HashSet<string> { "C Level", "Board Level", "VP Level", "Director Level", "Manager Level", "Staff Level" };
        var seen = new Dictionary<string, HashSet<string>>();
        void See(string key, string? v) => (seen.TryGetValue(key, out var s) ? s : seen[key] = []).Add(v ?? "<null>");
        var nullScores = 0;
        var nullFamily = 0;
        var noLinkedIn = 0;
        foreach (var body in PersonInputs(80))
        {
            var json = await _client.EnrichJsonAsync(body);
            Assert.Equal("success", json.GetProperty("status").GetString());
            var data = json.GetProperty("data");
            var person = data.GetProperty("person");
            Assert.Contains(person.GetProperty("level").GetString()!, levels);
            See("verification", person.GetProperty("verification_status").GetString());
            See("emailStatus", person.GetProperty("original_email_verification_status").GetString());
            if (person.GetProperty("verification_status").GetString() == "Verified")
            {
                Assert.True(person.TryGetProperty("verification_source", out _));
            }
            else
            {
                Assert.False(person.TryGetProperty("verification_source", out _));
            }
            if (!person.TryGetProperty("linkedin_profile", out var li))
            {
                noLinkedIn++;
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(li.GetString()));
            }
            foreach (var score in data.GetProperty("total_scores").EnumerateArray())
            {
                var v = score.GetProperty("score").GetProperty("value");
                if (v.ValueKind == JsonValueKind.Null)
                {
                    nullScores++;
                }
                else
                {
                    Assert.InRange(v.GetDecimal(), 0m, 100m);
                }
            }
            if (data.TryGetProperty("company", out var company))
            {
                See("confidence", company.GetProperty("matching_confidence").GetProperty("level").GetString());
                var intent = company.GetProperty("intent_modeling");
                foreach (var model in intent.ValueKind == JsonValueKind.Array ? intent.EnumerateArray().ToList() : [intent])
                {
                    See("projectScore", model.GetProperty("project_score").GetString());
                }
                var ft = company.GetProperty("family_tree");
                if (ft.ValueKind == JsonValueKind.Null)
                {
                    nullFamily++;
                }
                else
                {
                    foreach (var fc in ft.GetProperty("companies").EnumerateArray())
                    {
                        See("familyType", fc.GetProperty("type").GetString());
                    }
                }
                if (company.GetProperty("size").TryGetProperty("exact", out var exact))
                {
                    Assert.True(exact.GetInt64() > 0);
                }
            }
        }
        Assert.Subset(new HashSet<string> { "Verified", "Moved", "Not Verified" }, seen["verification"]);
        Assert.Subset(new HashSet<string> { "VALID", "INVALID", "UNKNOWN", "CATCH-ALL" }, seen["emailStatus"]);
        Assert.Subset(new HashSet<string> { "High", "Medium", "Low", "Very Low" }, seen["confidence"]);
        Assert.Subset(new HashSet<string> { "High", "Medium", "Low", "No Intent", "Not Available" }, seen["projectScore"]);
        Assert.Equal(new HashSet<string> { "GU", "DU" }, seen["familyType"]); // only the spec's two types
        Assert.True(seen["confidence"].Count >= 3);
        Assert.True(nullScores > 0, "some scores are null");
        Assert.True(nullFamily > 0, "some family trees are null");
        Assert.True(noLinkedIn > 0, "some linkedin_profile fields are omitted");
    }

    [Fact]
    public async Task UnicodeQuotesCommasAndNewlinesOccur()
    {
        var leaves = new List<(string Path, JsonElement Value)>();
        for (var i = 0; i < 40; i++)
        {
            var json = await _client.EnrichJsonAsync(Sim.Account($"Company {i}"));
            Walk(json, "", [], leaves);
        }
        var strings = leaves.Where(l => l.Value.ValueKind == JsonValueKind.String).Select(l => l.Value.GetString()!).ToList();
        Assert.Contains(strings, s => s.Any(ch => ch > 127));
        Assert.Contains(strings, s => s.Contains('"'));
        Assert.Contains(strings, s => s.Contains('\n'));
        Assert.Contains(strings, s => s.Contains(','));
        Assert.Contains(strings, s => s.Any(ch => ch >= 0x3040 && ch <= 0x30FF)); // Japanese kana
    }

    [Fact]
    public async Task NoMatchShareIsRoughlyAsConfiguredAndDeterministic()
    {
        _host.Options.NoMatchRate = 0.15;
        var noMatch = new List<int>();
        for (var i = 0; i < 400; i++)
        {
            var json = await _client.EnrichJsonAsync(Sim.Account("No-match probe " + i, "nm" + i));
            var data = json.GetProperty("data");
            if (data.GetProperty("enrichment_status").GetString() == "Not Enriched")
            {
                noMatch.Add(i);
                Assert.False(data.TryGetProperty("company", out _));
                Assert.Equal("nm" + i, json.GetProperty("external_id").GetString());
            }
        }
        Assert.InRange(noMatch.Count, 30, 95);
        var again = await _client.EnrichJsonAsync(Sim.Account("No-match probe " + noMatch[0]));
        Assert.Equal("Not Enriched", again.GetProperty("data").GetProperty("enrichment_status").GetString());
        Assert.Equal(401, _host.Stats.CreditsCharged); // a no-match is a 200 and costs a credit

        _host.Options.NoMatchRate = 1;
        Assert.Equal("Not Enriched", (await _client.EnrichJsonAsync(Sim.Account("Acme"))).GetProperty("data").GetProperty("enrichment_status").GetString());
        _host.Options.NoMatchRate = 0;
        Assert.Equal("Company Enriched", (await _client.EnrichJsonAsync(Sim.Account("No-match probe " + noMatch[0]))).GetProperty("data").GetProperty("enrichment_status").GetString());
    }

    [Fact]
    public async Task InputValuesAreEchoed()
    {
        var json = await _client.EnrichJsonAsync(
            """{"person":{"first_name":"Zoë","last_name":"Ñúñez","email":"zoe@acme.io","linkedinUrl":"https://www.linkedin.com/in/zoe"},"company":{"name":"  Acme, Inc. ","lsid":"LS123","website":"https://www.acme.io/x"},"external_id":"ext \"quoted\", with comma\nand newline"}""");
        Assert.Equal("ext \"quoted\", with comma\nand newline", json.GetProperty("external_id").GetString());
        var person = json.GetProperty("data").GetProperty("person");
        Assert.Equal("Zoë", person.GetProperty("first_name").GetString());
        Assert.Equal("Ñúñez", person.GetProperty("last_name").GetString());
        Assert.Equal("zoe@acme.io", person.GetProperty("original_email").GetString());
        Assert.Equal("https://www.linkedin.com/in/zoe", person.GetProperty("linkedin_profile").GetString());
        if (json.GetProperty("data").TryGetProperty("company", out var company))
        {
            Assert.Equal("Acme, Inc.", company.GetProperty("original_name").GetString());
            Assert.Equal("LS123", company.GetProperty("ls_id").GetString());
            Assert.Equal("www.acme.io", company.GetProperty("website").GetString());
            Assert.Equal("High", company.GetProperty("matching_confidence").GetProperty("level").GetString());
        }
    }
}
