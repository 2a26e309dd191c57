using System.Collections.Generic;
using System.Text.Json;

namespace Leadspace.Model
{
    // The typed shape of a 200 answer, one class per nested object of the spec's response tables.
    // Property names are the PowerShell-style spelling of the JSON names. Nothing in the answer is lost: every
    // class keeps, in AdditionalProperties, the JSON properties it does not know and the values its typed
    // properties cannot hold (see JsonObjectReader), and EnrichmentResponse.UntypedValues lists them by path.

    public abstract class ResponseObject
    {
        /// <summary>The JSON properties of this object that no typed property holds: fields the spec does not name,
        /// and values of another kind than the spec gives (kept as sent, as plain .NET values).</summary>
        public Dictionary<string, object?> AdditionalProperties { get; internal set; } = new Dictionary<string, object?>();

        /// <summary>The JSON object had no property with a value (<c>{}</c>).</summary>
        internal bool IsEmpty { get; set; }
    }

    public sealed class EnrichmentResponse : ResponseObject
    {
        /// <summary>Top-level <c>status</c> (<c>success</c> or <c>failure</c>).</summary>
        public string? Status { get; private set; }
        /// <summary>The <c>external_id</c> the server sent back (the input's is in the flat result's ExternalId).</summary>
        public string? ExternalId { get; private set; }
        public EnrichmentData? Data { get; private set; }

        /// <summary>Every value of the answer that no typed property holds (its path and JSON kind); the values
        /// themselves are in the AdditionalProperties of the objects that hold them.</summary>
        public IReadOnlyList<UntypedValue> UntypedValues { get; private set; } = new UntypedValue[0];

        /// <summary>The answer was a JSON object (a 200 whose body is an array, a string or a number is not usable).</summary>
        internal bool IsObject { get; private set; }

        // What happened to the row (set by the module, not part of the JSON answer).
        public long RowNumber { get; internal set; }
        /// <summary>One of the <see cref="EnrichmentOutcome"/> names.</summary>
        public string? Outcome { get; internal set; }
        public int? HttpStatus { get; internal set; }
        public string? Message { get; internal set; }

        /// <summary>The answer exactly as received (null when there was no 200 answer).</summary>
        public string? Json { get; internal set; }

        internal void FallbackExternalId(string? externalId)
        {
            if (ExternalId == null) ExternalId = externalId;
        }

        /// <summary>A response for a row that got no 200 answer.</summary>
        internal static EnrichmentResponse Empty() => new EnrichmentResponse();

        /// <summary>Reads an answer; throws <see cref="JsonException"/> only when the text is not JSON at all.</summary>
        internal static EnrichmentResponse Parse(string json)
        {
            using var doc = JsonDocument.Parse(json);
            var response = Read(doc.RootElement);
            response.Json = json;
            return response;
        }

        internal static EnrichmentResponse Read(JsonElement e)
        {
            var log = new List<UntypedValue>();
            var r = new JsonObjectReader(e, string.Empty, log);
            var response = new EnrichmentResponse
            {
                IsObject = e.ValueKind == JsonValueKind.Object,
                Status = r.String("status"),
                ExternalId = r.String("external_id"),
                Data = r.Object("data", EnrichmentData.Read),
            };
            response.AdditionalProperties = r.Rest();
            response.IsEmpty = r.IsEmpty;
            if (!response.IsObject) log.Add(new UntypedValue(string.Empty, JsonObjectReader.KindOf(e), "an object"));
            response.UntypedValues = log;
            return response;
        }
    }

    public sealed class EnrichmentData : ResponseObject
    {
        public string? EnrichmentStatus { get; private set; }
        public PersonData? Person { get; private set; }
        public CompanyData? Company { get; private set; }
        public List<TotalScore> TotalScores { get; private set; } = new List<TotalScore>();
        public List<string> MaxPositiveTotalScoreProfiles { get; private set; } = new List<string>();

        internal static EnrichmentData Read(JsonObjectReader r)
        {
            return new EnrichmentData
            {
                EnrichmentStatus = r.String("enrichment_status"),
                Person = r.Object("person", PersonData.Read),
                Company = r.Object("company", CompanyData.Read),
                TotalScores = r.Objects("total_scores", TotalScore.Read),
                MaxPositiveTotalScoreProfiles = r.Strings("max_positive_total_score_profiles"),
            };
        }
    }

    public sealed class PersonData : ResponseObject
    {
        public PersonAddress? Address { get; private set; }
        public string? VerificationStatus { get; private set; }
        public string? VerificationSource { get; private set; }
        public string? OriginalEmail { get; private set; }
        public string? OriginalEmailVerificationStatus { get; private set; }
        public string? FirstName { get; private set; }
        public string? LastName { get; private set; }
        public string? Title { get; private set; }
        public string? Department { get; private set; }
        public string? Level { get; private set; }
        public string? LinkedInProfile { get; private set; }
        public DataValidation? DataValidation { get; private set; }
        public string? Phone { get; private set; }
        public string? Email { get; private set; }
        public PersonAnalytics? Analytics { get; private set; }

        internal static PersonData Read(JsonObjectReader r)
        {
            return new PersonData
            {
                Address = r.Object("address", PersonAddress.Read),
                VerificationStatus = r.String("verification_status"),
                VerificationSource = r.String("verification_source"),
                OriginalEmail = r.String("original_email"),
                OriginalEmailVerificationStatus = r.String("original_email_verification_status"),
                FirstName = r.String("first_name"),
                LastName = r.String("last_name"),
                Title = r.String("title"),
                Department = r.String("department"),
                Level = r.String("level"),
                LinkedInProfile = r.String("linkedin_profile"),
                DataValidation = r.Object("data_validation", DataValidation.Read),
                Phone = r.String("phone"),
                Email = r.String("email"),
                Analytics = r.Object("analytics", PersonAnalytics.Read),
            };
        }
    }

    public sealed class PersonAddress : ResponseObject
    {
        public string? Country { get; private set; }
        public string? State { get; private set; }
        public string? City { get; private set; }
        public string? Region { get; private set; }

        internal static PersonAddress Read(JsonObjectReader r)
        {
            return new PersonAddress
            {
                Country = r.String("country"), State = r.String("state"), City = r.String("city"), Region = r.String("region"),
            };
        }
    }

    public sealed class CompanyAddress : ResponseObject
    {
        public string? Country { get; private set; }
        public string? State { get; private set; }
        public string? City { get; private set; }
        public string? Street { get; private set; }
        public string? Zipcode { get; private set; }
        public string? Region { get; private set; }

        internal static CompanyAddress Read(JsonObjectReader r)
        {
            return new CompanyAddress
            {
                Country = r.String("country"), State = r.String("state"), City = r.String("city"),
                Street = r.String("street"), Zipcode = r.String("zipcode"), Region = r.String("region"),
            };
        }
    }

    /// <summary>A <c>data_validation</c> object (person: phone; company: phone and address).</summary>
    public sealed class DataValidation : ResponseObject
    {
        public ValidatedValue? Phone { get; private set; }
        public ValidatedValue? Address { get; private set; }

        internal static DataValidation Read(JsonObjectReader r)
        {
            return new DataValidation
            {
                Phone = r.Object("phone", ValidatedValue.Read),
                Address = r.Object("address", ValidatedValue.Read),
            };
        }
    }

    public sealed class ValidatedValue : ResponseObject
    {
        public string? Status { get; private set; }
        public string? NormalizeValue { get; private set; }

        internal static ValidatedValue Read(JsonObjectReader r)
        {
            return new ValidatedValue { Status = r.String("status"), NormalizeValue = r.String("normalize_value") };
        }
    }

    public sealed class PersonAnalytics : ResponseObject
    {
        public List<string> JobFunctions { get; private set; } = new List<string>();
        public List<string> Technologies { get; private set; } = new List<string>();
        public List<ProfileScore> Scores { get; private set; } = new List<ProfileScore>();
        public string? MaxPositiveScoreProfiles { get; private set; }

        internal static PersonAnalytics Read(JsonObjectReader r)
        {
            return new PersonAnalytics
            {
                JobFunctions = r.Strings("job_functions"),
                Technologies = r.Strings("technologies"),
                Scores = r.Objects("scores", ProfileScore.Read),
                MaxPositiveScoreProfiles = r.String("max_positive_score_profiles"),
            };
        }
    }

    public sealed class ProfileScore : ResponseObject
    {
        public string? ProfileName { get; private set; }
        public ScoreValue? Score { get; private set; }

        internal static ProfileScore Read(JsonObjectReader r)
        {
            return new ProfileScore { ProfileName = r.String("profile_name"), Score = r.Object("score", ScoreValue.Read) };
        }
    }

    public sealed class ScoreValue : ResponseObject
    {
        /// <summary>Nullable, as the spec says.</summary>
        public decimal? Value { get; private set; }
        public string? PredictiveSignalsSummary { get; private set; }
        public string? TopPositivePredictiveSignals { get; private set; }
        public string? TopNegativePredictiveSignals { get; private set; }

        internal static ScoreValue Read(JsonObjectReader r)
        {
            return new ScoreValue
            {
                Value = r.Number("value"),
                PredictiveSignalsSummary = r.String("predictiveSignalsSummary"),
                TopPositivePredictiveSignals = r.String("topPositivePredictiveSignals"),
                TopNegativePredictiveSignals = r.String("topNegativePredictiveSignals"),
            };
        }
    }

    public sealed class TotalScore : ResponseObject
    {
        public string? ProfileName { get; private set; }
        public ScoreValue? Score { get; private set; }

        internal static TotalScore Read(JsonObjectReader r)
        {
            return new TotalScore { ProfileName = r.String("profile_name"), Score = r.Object("score", ScoreValue.Read) };
        }
    }

    public sealed class SizeInfo : ResponseObject
    {
        public string? Range { get; private set; }
        /// <summary>The spec's unsigned integer: a whole number of zero or more (any other value is kept in AdditionalProperties).</summary>
        public long? Exact { get; private set; }

        internal static SizeInfo Read(JsonObjectReader r)
        {
            return new SizeInfo { Range = r.String("range"), Exact = r.UnsignedInteger("exact") };
        }
    }

    public sealed class CompanyAnalytics : ResponseObject
    {
        public List<string> InstalledBaseTechnologies { get; private set; } = new List<string>();
        public List<string> WebSiteTechnologies { get; private set; } = new List<string>();
        public List<string> CustomTechnologiesCategories { get; private set; } = new List<string>();
        public List<string> CompanyTechnologiesCategories { get; private set; } = new List<string>();

        internal static CompanyAnalytics Read(JsonObjectReader r)
        {
            return new CompanyAnalytics
            {
                InstalledBaseTechnologies = r.Strings("installed_base_technologies"),
                WebSiteTechnologies = r.Strings("web_site_technologies"),
                CustomTechnologiesCategories = r.Strings("customTechnologiesCategories"),
                CompanyTechnologiesCategories = r.Strings("company_technologies_categories"),
            };
        }
    }

    public sealed class IntentModel : ResponseObject
    {
        public string? ProjectName { get; private set; }
        public string? ProjectScore { get; private set; }
        public string? NewHighIntentFlag { get; private set; }
        public List<string> SurgingTopics { get; private set; } = new List<string>();

        internal static IntentModel Read(JsonObjectReader r)
        {
            return new IntentModel
            {
                ProjectName = r.String("project_name"),
                ProjectScore = r.String("project_score"),
                NewHighIntentFlag = r.String("new_high_intent_flag"),
                SurgingTopics = r.Strings("surging_topics"),
            };
        }
    }

    public sealed class CompanySignals : ResponseObject
    {
        /// <summary>The spec's <c>number</c> (1-500): fractions are kept.</summary>
        public decimal? Fortune500Rank { get; private set; }
        /// <summary>The spec's <c>number</c> (1-2000): fractions are kept.</summary>
        public decimal? G2kRank { get; private set; }

        internal static CompanySignals Read(JsonObjectReader r)
        {
            return new CompanySignals { Fortune500Rank = r.Number("fortune_500_rank"), G2kRank = r.Number("g2k_rank") };
        }
    }

    public sealed class FamilyTree : ResponseObject
    {
        public List<FamilyTreeCompany> Companies { get; private set; } = new List<FamilyTreeCompany>();

        internal static FamilyTree Read(JsonObjectReader r)
        {
            return new FamilyTree { Companies = r.Objects("companies", FamilyTreeCompany.Read) };
        }
    }

    public sealed class FamilyTreeCompany : ResponseObject
    {
        /// <summary>Company type, e.g. <c>GU</c> (global ultimate) or <c>DU</c> (domestic ultimate).</summary>
        public string? Type { get; private set; }
        public string? Name { get; private set; }
        public string? LsId { get; private set; }
        public CompanyAddress? Address { get; private set; }
        public string? Phone { get; private set; }
        public string? Website { get; private set; }
        public string? Sic { get; private set; }
        public string? Naics { get; private set; }
        public SizeInfo? Size { get; private set; }
        public SizeInfo? Revenue { get; private set; }

        internal static FamilyTreeCompany Read(JsonObjectReader r)
        {
            return new FamilyTreeCompany
            {
                Type = r.String("type"), Name = r.String("name"), LsId = r.String("ls_id"),
                Address = r.Object("address", CompanyAddress.Read), Phone = r.String("phone"), Website = r.String("website"),
                Sic = r.String("sic"), Naics = r.String("naics"),
                Size = r.Object("size", SizeInfo.Read), Revenue = r.Object("revenue", SizeInfo.Read),
            };
        }
    }

    public sealed class CompanyData : ResponseObject
    {
        public string? Name { get; private set; }
        public string? OriginalName { get; private set; }
        public string? LsId { get; private set; }
        public string? Description { get; private set; }
        public string? Ownership { get; private set; }
        /// <summary><c>matching_confidence</c>: its <c>level</c>, and any other key it holds in AdditionalProperties.</summary>
        public MatchingConfidence? MatchingConfidence { get; private set; }
        public CompanyAddress? Address { get; private set; }
        public string? Phone { get; private set; }
        public string? Industry { get; private set; }
        public string? SubIndustry { get; private set; }
        public string? LinkedInProfile { get; private set; }
        public string? FacebookUrl { get; private set; }
        public string? TwitterUrl { get; private set; }
        public string? Ticker { get; private set; }
        public string? Website { get; private set; }
        public string? Sic { get; private set; }
        public string? Naics { get; private set; }
        public SizeInfo? Size { get; private set; }
        public SizeInfo? Revenue { get; private set; }
        public CompanyAnalytics? Analytics { get; private set; }
        /// <summary>The spec types it as a nested object without naming its fields: kept as read.</summary>
        public object? Specialties { get; private set; }
        public List<string> Expertise { get; private set; } = new List<string>();
        public string? DomainIntent { get; private set; }
        /// <summary>One item per intent model (the API may send one object or a list).</summary>
        public List<IntentModel> IntentModeling { get; private set; } = new List<IntentModel>();
        public string? AlternateCompanyDomains { get; private set; }
        public DataValidation? DataValidation { get; private set; }
        public CompanySignals? Signals { get; private set; }
        /// <summary>Nullable, as the spec says.</summary>
        public FamilyTree? FamilyTree { get; private set; }

        internal static CompanyData Read(JsonObjectReader r)
        {
            return new CompanyData
            {
                Name = r.String("name"),
                OriginalName = r.String("original_name"),
                LsId = r.String("ls_id"),
                Description = r.String("description"),
                Ownership = r.String("ownership"),
                MatchingConfidence = Model.MatchingConfidence.Read(r, "matching_confidence"),
                Address = r.Object("address", CompanyAddress.Read),
                Phone = r.String("phone"),
                Industry = r.String("industry"),
                SubIndustry = r.String("sub_industry"),
                LinkedInProfile = r.String("linkedin_profile"),
                FacebookUrl = r.String("facebook_url"),
                TwitterUrl = r.String("twitter_url"),
                Ticker = r.String("ticker"),
                Website = r.String("website"),
                Sic = r.String("sic"),
                Naics = r.String("naics"),
                Size = r.Object("size", SizeInfo.Read),
                Revenue = r.Object("revenue", SizeInfo.Read),
                Analytics = r.Object("analytics", CompanyAnalytics.Read),
                Specialties = r.Any("specialties"),
                Expertise = r.Strings("expertise"),
                DomainIntent = r.String("domain_intent"),
                IntentModeling = r.Objects("intent_modeling", IntentModel.Read),
                AlternateCompanyDomains = r.String("alternateCompanyDomains"),
                DataValidation = r.Object("data_validation", DataValidation.Read),
                Signals = r.Object("signals", CompanySignals.Read),
                FamilyTree = r.Object("family_tree", FamilyTree.Read),
            };
        }
    }

    /// <summary><c>company.matching_confidence</c>. A plain string or number sent in its place reads as the level.</summary>
    public sealed class MatchingConfidence : ResponseObject
    {
        /// <summary><c>High</c>, <c>Medium</c>, <c>Low</c>, <c>Very Low</c> (the addendum); any text is kept.</summary>
        public string? Level { get; private set; }

        internal static MatchingConfidence? Read(JsonObjectReader company, string name)
        {
            if (company.TryGet(name, out var v) && JsonObjectReader.ScalarText(v) is string level)
                return new MatchingConfidence { Level = level };
            return company.Object(name, r => new MatchingConfidence { Level = r.String("level") });
        }

        public override string ToString() => Level ?? string.Empty;
    }
}
