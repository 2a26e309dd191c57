using System;

namespace Leadspace.Model
{
    /// <summary>
    /// One result per input row: its outcome, the call's details, and the enrichment as flat, typed
    /// properties (one column each in Export-Csv, the same on every row whatever its outcome). Lists are
    /// joined with "; ". The nested answer is available with -AsResponse.
    /// </summary>
    public sealed class EnrichmentResult
    {
        public const string ListSeparator = "; ";

        // --- The row and the call ---
        /// <summary>1-based position of the input row in this run.</summary>
        public long RowNumber { get; set; }
        public EnrichmentOutcome Status { get; set; }
        public string? ExternalId { get; set; }
        /// <summary>The API's own <c>enrichment_status</c>.</summary>
        public string? EnrichmentStatus { get; set; }
        public string? CompanyMatchConfidence { get; set; }
        /// <summary>HTTP status of the last attempt (null when no call was made).</summary>
        public int? HttpStatus { get; set; }
        /// <summary>Stable error id when Status is Invalid, Failed or NotSent.</summary>
        public string? ErrorId { get; set; }
        public string? Message { get; set; }
        /// <summary>Leadspace's tracking id of a server error, for support.</summary>
        public string? TrackingId { get; set; }
        /// <summary>Number of HTTP attempts made for this row.</summary>
        public int Attempts { get; set; }
        /// <summary>The top-level <c>status</c> of a 200 answer (<c>success</c> or <c>failure</c>).</summary>
        public string? ResponseStatus { get; set; }
        /// <summary>Where the row's outcome came from: <c>Api</c> (a call of this run), <c>Journal</c> (an earlier
        /// run's answer, -CheckpointPath), <c>Duplicate</c> (an identical row of this run), or <c>None</c> (no call:
        /// invalid, not sent).</summary>
        public string Source { get; set; } = ResultSource.None;

        // --- Person ---
        public string? PersonFirstName { get; set; }
        public string? PersonLastName { get; set; }
        public string? PersonEmail { get; set; }
        public string? PersonTitle { get; set; }
        public string? PersonDepartment { get; set; }
        public string? PersonLevel { get; set; }
        public string? PersonPhone { get; set; }
        public string? PersonPhoneStatus { get; set; }
        public string? PersonLinkedInProfile { get; set; }
        public string? PersonCountry { get; set; }
        public string? PersonState { get; set; }
        public string? PersonCity { get; set; }
        public string? PersonRegion { get; set; }
        public string? PersonVerificationStatus { get; set; }
        public string? PersonVerificationSource { get; set; }
        public string? PersonOriginalEmail { get; set; }
        public string? PersonOriginalEmailVerificationStatus { get; set; }
        public string? PersonJobFunctions { get; set; }
        public string? PersonTechnologies { get; set; }
        /// <summary>Every person score as "profile=value", joined.</summary>
        public string? PersonScores { get; set; }
        public string? PersonMaxPositiveScoreProfiles { get; set; }

        // --- Company ---
        public string? CompanyName { get; set; }
        public string? CompanyOriginalName { get; set; }
        public string? CompanyLsId { get; set; }
        public string? CompanyDescription { get; set; }
        public string? CompanyOwnership { get; set; }
        public string? CompanyWebsite { get; set; }
        public string? CompanyAlternateDomains { get; set; }
        public string? CompanyPhone { get; set; }
        public string? CompanyPhoneStatus { get; set; }
        public string? CompanyPhoneNormalized { get; set; }
        public string? CompanyStreet { get; set; }
        public string? CompanyCity { get; set; }
        public string? CompanyState { get; set; }
        public string? CompanyZipCode { get; set; }
        public string? CompanyCountry { get; set; }
        public string? CompanyRegion { get; set; }
        public string? CompanyAddressStatus { get; set; }
        public string? CompanyAddressNormalized { get; set; }
        public string? CompanyIndustry { get; set; }
        public string? CompanySubIndustry { get; set; }
        public string? CompanySic { get; set; }
        public string? CompanyNaics { get; set; }
        public string? CompanySizeRange { get; set; }
        public long? CompanySizeExact { get; set; }
        public string? CompanyRevenueRange { get; set; }
        public long? CompanyRevenueExact { get; set; }
        public string? CompanyLinkedInProfile { get; set; }
        public string? CompanyFacebookUrl { get; set; }
        public string? CompanyTwitterUrl { get; set; }
        public string? CompanyTicker { get; set; }
        public string? CompanySpecialties { get; set; }
        public string? CompanyExpertise { get; set; }
        public string? CompanyInstalledBaseTechnologies { get; set; }
        public string? CompanyWebSiteTechnologies { get; set; }
        public string? CompanyCustomTechnologiesCategories { get; set; }
        public string? CompanyTechnologiesCategories { get; set; }
        public string? CompanyDomainIntent { get; set; }
        /// <summary>First intent model's name; every model is in CompanyIntentModels.</summary>
        public string? CompanyIntentProjectName { get; set; }
        public string? CompanyIntentProjectScore { get; set; }
        public string? CompanyIntentNewHighIntentFlag { get; set; }
        public string? CompanySurgingTopics { get; set; }
        /// <summary>Every intent model as "name: score", joined.</summary>
        public string? CompanyIntentModels { get; set; }
        public long? CompanyFortune500Rank { get; set; }
        public long? CompanyG2kRank { get; set; }

        // --- Family tree ---
        public string? GlobalUltimateName { get; set; }
        public string? GlobalUltimateLsId { get; set; }
        public string? DomesticUltimateName { get; set; }
        public string? DomesticUltimateLsId { get; set; }
        /// <summary>Every family-tree company as "type: name (ls_id)", joined.</summary>
        public string? FamilyTreeCompanies { get; set; }

        // --- Total scores ---
        public string? TotalScoreProfile { get; set; }
        /// <summary>The first total score's value: a number that prints in the invariant culture.</summary>
        public InvariantDecimal? TotalScore { get; set; }
        public string? TotalScorePredictiveSignalsSummary { get; set; }
        public string? TotalScoreTopPositiveSignals { get; set; }
        public string? TotalScoreTopNegativeSignals { get; set; }
        /// <summary>Every total score as "profile=value", joined.</summary>
        public string? TotalScores { get; set; }
        public string? MaxPositiveTotalScoreProfiles { get; set; }

        /// <summary>How the call failed (not a CSV column).</summary>
        internal Leadspace.Client.FailureKind Failure { get; set; }

        /// <summary>The nested answer (null unless the call returned 200). Not a CSV column.</summary>
        internal EnrichmentResponse? Response { get; set; }

        /// <summary>This result for another row with the same request (journal replay, in-run duplicate).</summary>
        internal EnrichmentResult CopyFor(long rowNumber, string? externalId, string source)
        {
            var copy = (EnrichmentResult)MemberwiseClone();
            copy.RowNumber = rowNumber;
            copy.ExternalId = externalId;
            copy.Source = source;
            return copy;
        }

        public override string ToString()
            => $"Row {RowNumber}: {Status}" + (ExternalId != null ? $" ({ExternalId})" : string.Empty)
               + (CompanyName != null ? $" {CompanyName}" : string.Empty);
    }

    /// <summary>The values of <see cref="EnrichmentResult.Source"/>.</summary>
    public static class ResultSource
    {
        public const string Api = "Api";
        public const string Journal = "Journal";
        public const string Duplicate = "Duplicate";
        public const string None = "None";
    }
}
