using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Leadspace.Resilience;

namespace Leadspace.Model
{
    /// <summary>Turns the nested answer into the flat <see cref="EnrichmentResult"/> columns.</summary>
    internal static class ResultShaper
    {
        public const string NotEnrichedStatus = "Not Enriched";

        /// <summary>
        /// The flat result of a 200 answer. <paramref name="inputExternalId"/> is the row's own external id: the
        /// result's ExternalId is always that one, and a different echo from the server goes to ResponseExternalId.
        /// A 200 without usable data (no JSON object, a <c>status</c> other than <c>success</c>, no <c>data</c>
        /// object, or an <c>enrichment_status</c> other than <c>Not Enriched</c> with neither person nor company)
        /// is Failed with LeadspaceInvalidResponse: the call was answered, so its credit is spent, and it is not
        /// retried. Whatever the answer holds is still shaped into the columns.
        /// </summary>
        public static EnrichmentResult FromResponse(long rowNumber, EnrichmentResponse response, int httpStatus, int attempts, string? inputExternalId)
        {
            var d = response.Data;
            var r = new EnrichmentResult
            {
                RowNumber = rowNumber,
                ExternalId = inputExternalId,
                ResponseExternalId = response.ExternalId != null && !string.Equals(response.ExternalId, inputExternalId, StringComparison.Ordinal) ? response.ExternalId : null,
                HttpStatus = httpStatus,
                Attempts = attempts,
                ResponseStatus = response.Status,
                EnrichmentStatus = d?.EnrichmentStatus,
                Response = response,
            };
            var unusable = Unusable(response, httpStatus, out var body);
            if (unusable != null)
            {
                r.Status = EnrichmentOutcome.Failed;
                r.Failure = FailureKind.InvalidResponse;
                r.ErrorId = FailureTable.For(FailureKind.InvalidResponse).ErrorId;
                r.Message = unusable;
                r.TrackingId = body?.TrackingId;
            }
            else
            {
                r.Status = IsNotMatched(response) ? EnrichmentOutcome.NotMatched : EnrichmentOutcome.Enriched;
            }
            if (d == null) return r;

            var p = d.Person;
            if (p != null)
            {
                r.PersonFirstName = p.FirstName;
                r.PersonLastName = p.LastName;
                r.PersonEmail = p.Email;
                r.PersonTitle = p.Title;
                r.PersonDepartment = p.Department;
                r.PersonLevel = p.Level;
                r.PersonPhone = p.Phone;
                r.PersonPhoneStatus = p.DataValidation?.Phone?.Status;
                r.PersonLinkedInProfile = p.LinkedInProfile;
                r.PersonCountry = p.Address?.Country;
                r.PersonState = p.Address?.State;
                r.PersonCity = p.Address?.City;
                r.PersonRegion = p.Address?.Region;
                r.PersonVerificationStatus = p.VerificationStatus;
                r.PersonVerificationSource = p.VerificationSource;
                r.PersonOriginalEmail = p.OriginalEmail;
                r.PersonOriginalEmailVerificationStatus = p.OriginalEmailVerificationStatus;
                r.PersonJobFunctions = Join(p.Analytics?.JobFunctions);
                r.PersonTechnologies = Join(p.Analytics?.Technologies);
                r.PersonScores = Join(p.Analytics?.Scores.Select(s => ScoreText(s.ProfileName, s.Score)));
                r.PersonMaxPositiveScoreProfiles = p.Analytics?.MaxPositiveScoreProfiles;
            }

            var c = d.Company;
            if (c != null)
            {
                r.CompanyName = c.Name;
                r.CompanyOriginalName = c.OriginalName;
                r.CompanyLsId = c.LsId;
                r.CompanyDescription = c.Description;
                r.CompanyOwnership = c.Ownership;
                r.CompanyMatchConfidence = c.MatchingConfidence?.Level;
                r.CompanyWebsite = c.Website;
                r.CompanyAlternateDomains = c.AlternateCompanyDomains;
                r.CompanyPhone = c.Phone;
                r.CompanyPhoneStatus = c.DataValidation?.Phone?.Status;
                r.CompanyPhoneNormalized = c.DataValidation?.Phone?.NormalizeValue;
                r.CompanyAddressStatus = c.DataValidation?.Address?.Status;
                r.CompanyAddressNormalized = c.DataValidation?.Address?.NormalizeValue;
                r.CompanyStreet = c.Address?.Street;
                r.CompanyCity = c.Address?.City;
                r.CompanyState = c.Address?.State;
                r.CompanyZipCode = c.Address?.Zipcode;
                r.CompanyCountry = c.Address?.Country;
                r.CompanyRegion = c.Address?.Region;
                r.CompanyIndustry = c.Industry;
                r.CompanySubIndustry = c.SubIndustry;
                r.CompanySic = c.Sic;
                r.CompanyNaics = c.Naics;
                r.CompanySizeRange = c.Size?.Range;
                r.CompanySizeExact = c.Size?.Exact;
                r.CompanyRevenueRange = c.Revenue?.Range;
                r.CompanyRevenueExact = c.Revenue?.Exact;
                r.CompanyLinkedInProfile = c.LinkedInProfile;
                r.CompanyFacebookUrl = c.FacebookUrl;
                r.CompanyTwitterUrl = c.TwitterUrl;
                r.CompanyTicker = c.Ticker;
                r.CompanySpecialties = PlainText(c.Specialties);
                r.CompanyExpertise = Join(c.Expertise);
                r.CompanyInstalledBaseTechnologies = Join(c.Analytics?.InstalledBaseTechnologies);
                r.CompanyWebSiteTechnologies = Join(c.Analytics?.WebSiteTechnologies);
                r.CompanyCustomTechnologiesCategories = Join(c.Analytics?.CustomTechnologiesCategories);
                r.CompanyTechnologiesCategories = Join(c.Analytics?.CompanyTechnologiesCategories);
                r.CompanyDomainIntent = c.DomainIntent;
                var firstIntent = c.IntentModeling.FirstOrDefault();
                r.CompanyIntentProjectName = firstIntent?.ProjectName;
                r.CompanyIntentProjectScore = firstIntent?.ProjectScore;
                r.CompanyIntentNewHighIntentFlag = firstIntent?.NewHighIntentFlag;
                r.CompanySurgingTopics = Join(c.IntentModeling.SelectMany(i => i.SurgingTopics).Distinct(StringComparer.Ordinal));
                r.CompanyIntentModels = Join(c.IntentModeling.Select(i => i.ProjectName + ": " + i.ProjectScore));
                r.CompanyFortune500Rank = c.Signals?.Fortune500Rank;
                r.CompanyG2kRank = c.Signals?.G2kRank;

                var tree = c.FamilyTree?.Companies ?? new List<FamilyTreeCompany>();
                var gu = tree.FirstOrDefault(t => IsType(t.Type, "GU", "Global Ultimate"));
                var du = tree.FirstOrDefault(t => IsType(t.Type, "DU", "Domestic Ultimate"));
                r.GlobalUltimateName = gu?.Name;
                r.GlobalUltimateLsId = gu?.LsId;
                r.DomesticUltimateName = du?.Name;
                r.DomesticUltimateLsId = du?.LsId;
                r.FamilyTreeCompanies = Join(tree.Select(t => $"{t.Type}: {t.Name}" + (t.LsId != null ? $" ({t.LsId})" : string.Empty)));
            }

            var first = d.TotalScores.FirstOrDefault();
            r.TotalScoreProfile = first?.ProfileName;
            r.TotalScore = first?.Score?.Value;
            r.TotalScorePredictiveSignalsSummary = first?.Score?.PredictiveSignalsSummary;
            r.TotalScoreTopPositiveSignals = first?.Score?.TopPositivePredictiveSignals;
            r.TotalScoreTopNegativeSignals = first?.Score?.TopNegativePredictiveSignals;
            r.TotalScores = Join(d.TotalScores.Select(s => ScoreText(s.ProfileName, s.Score)));
            r.MaxPositiveTotalScoreProfiles = Join(d.MaxPositiveTotalScoreProfiles);
            return r;
        }

        /// <summary>A result for a row that got no 200 answer.</summary>
        public static EnrichmentResult Failure(long rowNumber, string outcome, string? externalId, string errorId, string message,
            int? httpStatus = null, string? trackingId = null, int attempts = 0)
            => new EnrichmentResult
            {
                RowNumber = rowNumber,
                Status = outcome,
                ExternalId = externalId,
                ErrorId = errorId,
                Message = message,
                HttpStatus = httpStatus,
                TrackingId = trackingId,
                Attempts = attempts,
            };

        /// <summary>Only a real <c>enrichment_status</c> of <c>Not Enriched</c> is a no-match.</summary>
        public static bool IsNotMatched(EnrichmentResponse response)
        {
            var status = response.Data?.EnrichmentStatus;
            return status != null && string.Equals(status.Trim(), NotEnrichedStatus, StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>Why a 200 answer holds no usable data (the row's message), or null when it does.</summary>
        internal static string? Unusable(EnrichmentResponse response, int httpStatus, out ErrorBody? body)
        {
            body = null;
            string? why = null;
            var d = response.Data;
            if (!response.IsObject)
            {
                why = $"the answer is {UntypedValue.Article(response.UntypedValues.FirstOrDefault(u => u.Path.Length == 0)?.JsonKind ?? "value")}, not a JSON object";
            }
            else if (response.Status != null && !string.Equals(response.Status.Trim(), "success", StringComparison.OrdinalIgnoreCase))
            {
                body = ErrorBody.Parse(response.Json);
                why = $"its status is '{response.Status}'" + (body.Text != null ? ": " + body.Describe() : string.Empty);
            }
            else if (d == null)
            {
                why = response.AdditionalProperties.TryGetValue("data", out var data) && data != null
                    ? $"its data is {UntypedValue.Article(response.UntypedValues.FirstOrDefault(u => u.Path == "data")?.JsonKind ?? "value")}, not an object"
                    : "it has no data";
            }
            else if (!IsNotMatched(response) && !HasContent(d.Person) && !HasContent(d.Company))
            {
                why = d.EnrichmentStatus == null
                    ? "it has no enrichment_status, no person and no company"
                    : $"its enrichment_status is '{d.EnrichmentStatus}' but it has neither person nor company data";
            }
            return why == null ? null
                : $"HTTP {httpStatus} without usable data: {why}. Not retried: the call was answered, so its credit is spent (see -AsResponse .Json).";
        }

        private static bool HasContent(ResponseObject? o) => o != null && !o.IsEmpty;


        private static bool IsType(string? type, string code, string name)
            => type != null && (type.Equals(code, StringComparison.OrdinalIgnoreCase) || type.Equals(name, StringComparison.OrdinalIgnoreCase));

        private static string ScoreText(string? profile, ScoreValue? score)
            => (profile ?? "(profile)") + "=" + (score?.Value?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);

        internal static string? Join(IEnumerable<string?>? items)
        {
            if (items == null) return null;
            var list = items.Where(i => !string.IsNullOrEmpty(i)).ToList();
            return list.Count == 0 ? null : string.Join(EnrichmentResult.ListSeparator, list);
        }

        /// <summary>Readable text for a value of unspecified shape (dictionary, list or scalar).</summary>
        internal static string? PlainText(object? value)
        {
            switch (value)
            {
                case null: return null;
                case string s: return s.Length == 0 ? null : s;
                case IDictionary<string, object?> dict:
                    return Join(dict.Select(kv => kv.Value is IList || kv.Value is IDictionary<string, object?>
                        ? kv.Key + ": " + PlainText(kv.Value)
                        : kv.Key + "=" + PlainText(kv.Value)));
                case IEnumerable list:
                    return Join(list.Cast<object?>().Select(PlainText));
                case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
                case bool b: return b ? "true" : "false";
                default: return value.ToString();
            }
        }
    }
}
