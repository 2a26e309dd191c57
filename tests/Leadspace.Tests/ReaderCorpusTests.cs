using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Leadspace.Model;
using Xunit;

namespace Leadspace.Tests;

/// <summary>
/// The tolerant reader over a corpus of answers a real server might send and the simulator does not: arrays for
/// objects, strings for numbers, fractions, objects for strings, unknown keys at every level, mixed lists, answers
/// that are not objects, very large answers. For each: every value the server sent is reachable from the typed
/// response (typed properties or AdditionalProperties), and the flat shaper does not throw.
/// </summary>
public class ReaderCorpusTests
{
    private static string Company(string inner) => """{"status":"success","external_id":"x1","data":{"enrichment_status":"Company Enriched","company":{""" + inner + "}}}";

    private static string Person(string inner) => """{"status":"success","data":{"enrichment_status":"Person Enriched","person":{""" + inner + "}}}";

    public static readonly Dictionary<string, string> Corpus = new()
    {
        ["full answer"] = ResponseTests.FullAnswer,
        ["family_tree as an array"] = Company("""
            "name":"Acme","family_tree":[{"type":"GU","name":"Acme Holding","ls_id":"LS9","size":{"range":"10,001+","exact":12000}}]
            """),
        ["size and revenue as strings, address as an array"] = Company("""
            "name":"Acme","size":"201-500","revenue":"$50M-$100M","address":[{"country":"Germany"},{"country":"Austria"}]
            """),
        ["numbers as strings"] = Company("""
            "name":"Acme","size":{"range":"201-500","exact":"350"},"revenue":{"exact":" 75000000 "},
            "signals":{"fortune_500_rank":"12","g2k_rank":"1500.5"}
            """) .Replace("\"Company Enriched\",", "\"Company Enriched\",\"total_scores\":[{\"profile_name\":\"Fit\",\"score\":{\"value\":\"87.25\"}}],"),
        ["numbers that are not numbers"] = Company("""
            "name":"Acme","size":{"exact":"about 500"},"revenue":{"exact":"1,000"},"signals":{"fortune_500_rank":"","g2k_rank":true}
            """),
        ["fractions, negatives, exponents"] = Company("""
            "name":"Acme","signals":{"fortune_500_rank":12.6,"g2k_rank":1.5e3},
            "size":{"range":"1-10","exact":12.5},"revenue":{"range":"$0-$1M","exact":-5},
            "family_tree":{"companies":[{"type":"DU","size":{"exact":3.0},"revenue":{"exact":2.5e2}}]}
            """),
        ["objects, arrays and booleans for strings"] = Person("""
            "first_name":"Ada","title":{"en":"CEO","de":"Geschäftsführerin"},"department":["Sales","Marketing"],"level":true,"phone":4930123456,
            "email":null,"address":{"country":{"code":"DE"},"city":"Berlin"}
            """),
        ["unknown keys at every level"] = """
            {"status":"success","x_top":1,"external_id":"u1","data":{"enrichment_status":"Person & Company Enriched","x_data":{"a":[1,2,{"b":null}]},
              "person":{"first_name":"Ada","x_person":"p","address":{"country":"UK","x_addr":"a"},
                "data_validation":{"phone":{"status":"Valid","x_phone":"v"},"x_dv":"dv"},
                "analytics":{"job_functions":["Sales"],"x_analytics":2,"scores":[{"profile_name":"P","x_score_item":"s","score":{"value":1,"x_value":"xv"}}]}},
              "company":{"name":"Acme","ug_company_id":"UG-1","matching_confidence":{"level":"High","score":0.93,"reason":"domain match"},
                "size":{"range":"1-10","x_size":"s"},"analytics":{"x_ca":"ca"},"intent_modeling":{"project_name":"M","x_intent":"i"},
                "signals":{"x_sig":"s"},"family_tree":{"x_ft":"f","companies":[{"type":"GU","x_ftc":"c","address":{"x_fta":"a"}}]},
                "data_validation":{"address":{"status":"Valid","x_dva":"d"}}},
              "total_scores":[{"profile_name":"T","x_ts":"t","score":{"value":2,"predictiveSignalsSummary":"S","x_tss":"u"}}]}}
            """,
        ["intent models as a list, surging topics as a string"] = Company("""
            "name":"Acme","intent_modeling":[{"project_name":"A","project_score":"High","new_high_intent_flag":"Yes","surging_topics":"IoT, Edge"},
              {"project_name":"B","project_score":"Low","new_high_intent_flag":"No","surging_topics":["5G"]}]
            """),
        ["intent modeling as a string, surging topics as an object"] = Company("""
            "name":"Acme","intent_modeling":"High intent","alternateCompanyDomains":["acme.io","acme.de"],
            "domain_intent":{"topics":["IoT"]}
            """),
        ["matching confidence as a string"] = Company("\"name\":\"A\",\"matching_confidence\":\"Medium\""),
        ["matching confidence as a number"] = Company("\"name\":\"B\",\"matching_confidence\":0.8"),
        ["mixed lists"] = """
            {"status":"success","data":{"enrichment_status":"Person & Company Enriched",
              "person":{"first_name":"Ada","analytics":{"job_functions":["Sales",{"custom":"Ops"},null],"technologies":"Salesforce",
                "scores":[{"profile_name":"P","score":{"value":5}},"not a score",null]}},
              "company":{"name":"Acme","expertise":{"primary":"Welding"},"analytics":{"web_site_technologies":[["nested"]]}},
              "total_scores":[{"profile_name":"T","score":{"value":1}},42],
              "max_positive_total_score_profiles":"T"}}
            """,
        ["nulls everywhere"] = """
            {"status":null,"external_id":null,"data":{"enrichment_status":"Company Enriched","person":null,
              "company":{"name":"Acme","address":null,"size":{"range":null,"exact":null},"family_tree":null,"signals":{"fortune_500_rank":null},
                "intent_modeling":null,"expertise":[null]},"total_scores":null,"max_positive_total_score_profiles":[null]}}
            """,
        ["numbers beyond long and decimal"] = Company("""
            "name":"Acme","x_big":123456789012345678901234567890,"x_huge":1e400,"x_tiny":1e-30,"x_precise":0.1000,
            "revenue":{"exact":123456789012345678901234567890}
            """),
        ["unicode and escapes"] = Company("""
            "name":"Müller & Söhne \"GmbH\"","description":"株式会社\nline\ttab \u00e9 \ud83d\ude00","x_ключ":"значение"
            """),
        ["data as a string"] = """{"status":"success","data":"oops"}""",
        ["data as an array"] = """{"status":"success","data":[{"enrichment_status":"Company Enriched"}]}""",
        ["the answer as an array"] = """[{"status":"success"}]""",
        ["the answer as a string"] = "\"ok\"",
        ["the answer as a number"] = "42",
        ["status failure with details"] = """{"status":"failure","error":"QUOTA","message":"Program over quota","tracking_id":"trk-77"}""",
        ["very large answer"] = LargeAnswer(),
        ["deeply nested unknown field"] = Company("\"name\":\"Acme\",\"x_deep\":" + new string('[', 50) + "\"bottom\"" + new string(']', 50)),
    };

    public static IEnumerable<object[]> CorpusNames() => Corpus.Keys.Select(k => new object[] { k });

    private static string LargeAnswer()
    {
        var sb = new StringBuilder();
        sb.Append("""{"status":"success","external_id":"big","data":{"enrichment_status":"Company Enriched","company":{"name":"Big Co","description":""");
        sb.Append('"').Append(new string('d', 1_000_000)).Append('"');
        sb.Append(""","analytics":{"installed_base_technologies":[""");
        sb.Append(string.Join(",", Enumerable.Range(0, 20_000).Select(i => $"\"Tech {i}\"")));
        sb.Append("""]},"family_tree":{"companies":[""");
        sb.Append(string.Join(",", Enumerable.Range(0, 2_000).Select(i =>
            $$"""{"type":"{{(i % 2 == 0 ? "GU" : "DU")}}","name":"Sub {{i}}","ls_id":"LS{{i}}","address":{"country":"C{{i}}"},"size":{"exact":{{i}}},"x_extra_{{i % 7}}":{{i}}}""")));
        sb.Append("""]},"x_blob":[""");
        sb.Append(string.Join(",", Enumerable.Range(0, 5_000).Select(i => $$"""{"k":{{i}},"v":"value {{i}}"}""")));
        sb.Append("]}}}");
        return sb.ToString();
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void EverythingTheServerSentIsReachableFromTheTypedResponse(string name)
    {
        var json = Corpus[name];
        var response = EnrichmentResponse.Parse(json);
        Assert.Equal(json, response.Json);
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            // Nothing can be typed: the answer is listed as untyped and kept whole in Json.
            Assert.Contains(response.UntypedValues, u => u.Path.Length == 0);
            return;
        }
        var reachable = TypedLeaves(response);
        var missing = JsonLeaves(doc.RootElement)
            .Where(leaf => !reachable.TryGetValue(leaf.Value, out var paths)
                           || !paths.Any(p => p == leaf.Path || p.StartsWith(leaf.Path + ".", StringComparison.Ordinal)))
            .Take(5).ToList();
        Assert.True(missing.Count == 0, $"{name}: not reachable: {string.Join(", ", missing.Select(m => m.Path + " = " + Short(m.Value)))}");
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void TheFlatShaperNeverThrowsAndEveryRowHasAStatus(string name)
    {
        var response = EnrichmentResponse.Parse(Corpus[name]);
        var r = ResultShaper.FromResponse(3, response, 200, 1, "in-1");
        Assert.Contains(r.Status, EnrichmentOutcome.All);
        Assert.Equal("in-1", r.ExternalId);
        foreach (var p in typeof(EnrichmentResult).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var value = p.GetValue(r);
            Assert.True(value == null || value is string || value.GetType().IsValueType, $"{name}: {p.Name} is {value?.GetType()}");
        }
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void EveryUntypedValueIsInTheAdditionalPropertiesOfItsObject(string name)
    {
        var response = EnrichmentResponse.Parse(Corpus[name]);
        var keys = AdditionalKeys(response);
        foreach (var u in response.UntypedValues.Where(u => u.Path.Length > 0))
        {
            Assert.True(keys.Contains(Normalize(u.Path)), $"{name}: {u} is not in any AdditionalProperties");
        }
    }

    [Fact]
    public void NumbersSentAsNumericStringsAreNumbers()
    {
        var r = EnrichmentResponse.Parse(Corpus["numbers as strings"]);
        var c = r.Data!.Company!;
        Assert.Equal(350L, c.Size!.Exact);
        Assert.Equal(75000000L, c.Revenue!.Exact);
        Assert.Equal(12m, c.Signals!.Fortune500Rank);
        Assert.Equal(1500.5m, c.Signals.G2kRank);
        Assert.Equal(87.25m, r.Data.TotalScores[0].Score!.Value);
        Assert.Empty(r.UntypedValues);
    }

    [Fact]
    public void SpecNumbersKeepFractionsAndUnsignedIntegersRefuseThem()
    {
        var r = EnrichmentResponse.Parse(Corpus["fractions, negatives, exponents"]);
        var c = r.Data!.Company!;
        Assert.Equal(12.6m, c.Signals!.Fortune500Rank);   // was 13 when read as an integer
        Assert.Equal(1500m, c.Signals.G2kRank);
        Assert.Null(c.Size!.Exact);                          // 12.5 employees: not an unsigned integer...
        Assert.Equal(12.5m, c.Size.AdditionalProperties["exact"]); // ...kept as sent
        Assert.Null(c.Revenue!.Exact);
        Assert.Equal(-5L, c.Revenue.AdditionalProperties["exact"]);
        Assert.Equal(3L, c.FamilyTree!.Companies[0].Size!.Exact);     // 3.0 is a whole number
        Assert.Equal(250L, c.FamilyTree.Companies[0].Revenue!.Exact);  // 2.5e2 too
        Assert.Contains(r.UntypedValues, u => u.Path == "data.company.size.exact" && u.JsonKind == "number" && u.Expected == "an unsigned integer");
        Assert.Contains(r.UntypedValues, u => u.Path == "data.company.revenue.exact");

        var flat = ResultShaper.FromResponse(1, r, 200, 1, "x1");
        Assert.Equal(12.6m, flat.CompanyFortune500Rank);
        Assert.Null(flat.CompanySizeExact);
    }

    [Fact]
    public void ValuesOfAnotherKindAreKeptAsSentAndListedByPath()
    {
        var tree = EnrichmentResponse.Parse(Corpus["family_tree as an array"]);
        Assert.Null(tree.Data!.Company!.FamilyTree);
        var kept = Assert.IsType<List<object?>>(tree.Data.Company.AdditionalProperties["family_tree"]);
        var first = Assert.IsType<Dictionary<string, object?>>(kept[0]);
        Assert.Equal("Acme Holding", first["name"]);
        var u = Assert.Single(tree.UntypedValues);
        Assert.Equal("data.company.family_tree", u.Path);
        Assert.Equal("array", u.JsonKind);
        Assert.Equal("an object", u.Expected);
        Assert.Contains("data.company.family_tree as an array where the spec has an object", u.Describe());

        var size = EnrichmentResponse.Parse(Corpus["size and revenue as strings, address as an array"]).Data!.Company!;
        Assert.Null(size.Size);
        Assert.Equal("201-500", size.AdditionalProperties["size"]);
        Assert.Equal("$50M-$100M", size.AdditionalProperties["revenue"]);
        Assert.IsType<List<object?>>(size.AdditionalProperties["address"]);

        var person = EnrichmentResponse.Parse(Corpus["objects, arrays and booleans for strings"]);
        var p = person.Data!.Person!;
        Assert.Null(p.Title);
        Assert.Equal("CEO", ((Dictionary<string, object?>)p.AdditionalProperties["title"]!)["en"]);
        Assert.Null(p.Department); // a list is not joined into one string: kept as sent
        Assert.Equal(new List<object?> { "Sales", "Marketing" }, p.AdditionalProperties["department"]);
        Assert.Equal("true", p.Level);         // a boolean reads as its JSON text
        Assert.Equal("4930123456", p.Phone);   // so does a number
        Assert.Equal("Berlin", p.Address!.City);
        Assert.Contains(person.UntypedValues, v => v.Path == "data.person.address.country" && v.JsonKind == "object");
    }

    [Fact]
    public void UnknownKeysAreKeptAtEveryLevelAndListed()
    {
        var r = EnrichmentResponse.Parse(Corpus["unknown keys at every level"]);
        Assert.Equal(1L, r.AdditionalProperties["x_top"]);
        Assert.Equal("p", r.Data!.Person!.AdditionalProperties["x_person"]);
        Assert.Equal("xv", r.Data.Person.Analytics!.Scores[0].Score!.AdditionalProperties["x_value"]);
        Assert.Equal("UG-1", r.Data.Company!.AdditionalProperties["ug_company_id"]);
        Assert.Equal("c", r.Data.Company.FamilyTree!.Companies[0].AdditionalProperties["x_ftc"]);
        Assert.Equal("u", r.Data.TotalScores[0].Score!.AdditionalProperties["x_tss"]);
        var paths = r.UntypedValues.Select(u => u.Path).ToList();
        Assert.Contains("x_top", paths);
        Assert.Contains("data.person.analytics.scores[].score.x_value", paths);
        Assert.Contains("data.company.family_tree.companies[].address.x_fta", paths);
        Assert.Contains("data.company.matching_confidence.score", paths);
        Assert.All(r.UntypedValues, v => Assert.Null(v.Expected));
    }

    [Fact]
    public void MatchingConfidenceKeepsItsOtherKeys()
    {
        var c = EnrichmentResponse.Parse(Corpus["unknown keys at every level"]).Data!.Company!;
        Assert.Equal("High", c.MatchingConfidence!.Level);
        Assert.Equal(0.93m, c.MatchingConfidence.AdditionalProperties["score"]);
        Assert.Equal("domain match", c.MatchingConfidence.AdditionalProperties["reason"]);
        Assert.Equal("High", c.MatchingConfidence.ToString());

        Assert.Equal("Medium", EnrichmentResponse.Parse(Corpus["matching confidence as a string"]).Data!.Company!.MatchingConfidence!.Level);
        Assert.Equal("0.8", EnrichmentResponse.Parse(Corpus["matching confidence as a number"]).Data!.Company!.MatchingConfidence!.Level);
    }

    [Fact]
    public void IntentModelsAsOneObjectOrAListAndSurgingTopicsAsAnArrayOrAString()
    {
        var r = EnrichmentResponse.Parse(Corpus["intent models as a list, surging topics as a string"]);
        var models = r.Data!.Company!.IntentModeling;
        Assert.Equal(2, models.Count);
        Assert.Equal(new[] { "IoT, Edge" }, models[0].SurgingTopics);
        Assert.Equal(new[] { "5G" }, models[1].SurgingTopics);
        Assert.Empty(r.UntypedValues);
        var flat = ResultShaper.FromResponse(1, r, 200, 1, "x1");
        Assert.Equal("A: High; B: Low", flat.CompanyIntentModels);
        Assert.Equal("IoT, Edge; 5G", flat.CompanySurgingTopics);
        Assert.Equal("Yes", flat.CompanyIntentNewHighIntentFlag);
    }

    [Fact]
    public void AListWithAnItemOfAnotherKindIsKeptWhole()
    {
        var r = EnrichmentResponse.Parse(Corpus["mixed lists"]);
        Assert.Empty(r.Data!.Person!.Analytics!.JobFunctions);
        Assert.Equal(3, ((List<object?>)r.Data.Person.Analytics.AdditionalProperties["job_functions"]!).Count);
        Assert.Equal(new[] { "Salesforce" }, r.Data.Person.Analytics.Technologies);
        Assert.Empty(r.Data.Person.Analytics.Scores);
        Assert.Empty(r.Data.TotalScores);
        Assert.Equal(new[] { "T" }, r.Data.MaxPositiveTotalScoreProfiles);
        Assert.Contains(r.UntypedValues, u => u.Path == "data.total_scores" && u.Expected == "a list of objects");
        Assert.Contains(r.UntypedValues, u => u.Path == "data.person.analytics.job_functions" && u.Expected == "a list of strings");
    }

    [Fact]
    public void LargeAnswersAreReadWhole()
    {
        var r = EnrichmentResponse.Parse(Corpus["very large answer"]);
        Assert.Equal(1_000_000, r.Data!.Company!.Description!.Length);
        Assert.Equal(20_000, r.Data.Company.Analytics!.InstalledBaseTechnologies.Count);
        Assert.Equal(2_000, r.Data.Company.FamilyTree!.Companies.Count);
        Assert.Equal(5_000, ((List<object?>)r.Data.Company.AdditionalProperties["x_blob"]!).Count);
        var flat = ResultShaper.FromResponse(1, r, 200, 1, "big");
        Assert.Equal("Sub 0", flat.GlobalUltimateName);
        Assert.Equal("Sub 1", flat.DomesticUltimateName);
        // Seven distinct unknown paths under the family tree companies, whatever their number.
        Assert.Equal(7, r.UntypedValues.Where(u => u.Path.StartsWith("data.company.family_tree.companies[].x_extra_", StringComparison.Ordinal)).Select(u => u.Path).Distinct().Count());
    }

    [Fact]
    public void PlainValuesKeepNumbersExactly()
    {
        var c = EnrichmentResponse.Parse(Corpus["numbers beyond long and decimal"]).Data!.Company!;
        Assert.Equal("123456789012345678901234567890", c.AdditionalProperties["x_big"]);
        Assert.Equal("1e400", c.AdditionalProperties["x_huge"]);
        Assert.Equal(1e-30, c.AdditionalProperties["x_tiny"]);
        Assert.Equal("0.1000", ((decimal)c.AdditionalProperties["x_precise"]!).ToString(CultureInfo.InvariantCulture));
        Assert.Equal("123456789012345678901234567890", c.Revenue!.AdditionalProperties["exact"]);
    }

    [Fact]
    public void TheVerboseReportNamesEachPathOncePerRun()
    {
        var report = new UntypedValueReport();
        var tree = EnrichmentResponse.Parse(Corpus["family_tree as an array"]);
        var first = report.NewLines(tree).ToList();
        Assert.Single(first);
        Assert.Contains("data.company.family_tree", first[0]);
        Assert.Empty(report.NewLines(EnrichmentResponse.Parse(Corpus["family_tree as an array"])));
        var large = report.NewLines(EnrichmentResponse.Parse(Corpus["very large answer"])).ToList();
        Assert.Equal(large.Count, large.Distinct().Count());
        Assert.Equal(8, large.Count); // x_blob and the seven x_extra_N paths, each once
        Assert.Empty(report.NewLines(null));
    }

    // ---- helpers ----

    private static string Short(string s) => s.Length > 40 ? s[..40] + "…" : s;

    private static string Normalize(string path)
        => string.Join(".", path.Replace("[]", "", StringComparison.Ordinal).Split('.').Select(NormalizeName));

    private static string NormalizeName(string name) => new string(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    private static string Combine(string path, string name) => path.Length == 0 ? NormalizeName(name) : path + "." + NormalizeName(name);

    private static string ValueKey(string text)
        => decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? NumberKey(d) : text;

    private static string NumberKey(decimal d) => d.ToString("0.############################", CultureInfo.InvariantCulture);

    private static List<(string Path, string Value)> JsonLeaves(JsonElement root)
    {
        var leaves = new List<(string, string)>();
        void Walk(JsonElement e, string path)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) Walk(p.Value, Combine(path, p.Name));
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) Walk(item, path);
                    break;
                case JsonValueKind.String: leaves.Add((path, ValueKey(e.GetString()!))); break;
                case JsonValueKind.Number: leaves.Add((path, ValueKey(e.GetRawText()))); break;
                case JsonValueKind.True: leaves.Add((path, "true")); break;
                case JsonValueKind.False: leaves.Add((path, "false")); break;
            }
        }
        Walk(root, "");
        return leaves;
    }

    private static readonly HashSet<string> ModuleProperties = new() { "RowNumber", "Outcome", "HttpStatus", "Message", "Json", "UntypedValues", "AdditionalProperties" };

    /// <summary>Every scalar reachable from the typed response: value → the normalised paths it is found at.</summary>
    private static Dictionary<string, List<string>> TypedLeaves(object response)
    {
        var leaves = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string path, string value)
        {
            if (!leaves.TryGetValue(value, out var list)) leaves[value] = list = new List<string>();
            list.Add(path);
        }
        void Walk(object? o, string path)
        {
            switch (o)
            {
                case null: return;
                case string s: Add(path, ValueKey(s)); return;
                case bool b: Add(path, b ? "true" : "false"); return;
                case long or int or decimal or double:
                    Add(path, o is double x ? (x >= -7.9e28 && x <= 7.9e28 ? ValueKey(x.ToString("R", CultureInfo.InvariantCulture)) : x.ToString("R", CultureInfo.InvariantCulture)) : NumberKey(Convert.ToDecimal(o, CultureInfo.InvariantCulture)));
                    return;
                case IDictionary<string, object?> dict:
                    foreach (var kv in dict) Walk(kv.Value, Combine(path, kv.Key));
                    return;
                case ResponseObject ro:
                    foreach (var p in ro.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    {
                        if (ModuleProperties.Contains(p.Name)) continue;
                        Walk(p.GetValue(ro), Combine(path, p.Name));
                    }
                    foreach (var kv in ro.AdditionalProperties) Walk(kv.Value, Combine(path, kv.Key));
                    return;
                case IEnumerable list:
                    foreach (var item in list) Walk(item, path);
                    return;
                default:
                    throw new InvalidOperationException($"Unexpected value of type {o.GetType()} at {path}");
            }
        }
        Walk(response, "");
        return leaves;
    }

    /// <summary>The normalised paths of every key of every AdditionalProperties.</summary>
    private static HashSet<string> AdditionalKeys(object response)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        void Walk(object? o, string path)
        {
            switch (o)
            {
                case ResponseObject ro:
                    foreach (var p in ro.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    {
                        if (ModuleProperties.Contains(p.Name) || p.PropertyType == typeof(string)) continue;
                        Walk(p.GetValue(ro), Combine(path, p.Name));
                    }
                    foreach (var kv in ro.AdditionalProperties) keys.Add(Combine(path, kv.Key));
                    return;
                case IEnumerable list when o is not string && o is not IDictionary<string, object?>:
                    foreach (var item in list) Walk(item, path);
                    return;
            }
        }
        Walk(response, "");
        return keys;
    }
}
