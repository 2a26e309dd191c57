using System.Reflection;
using Leadspace.Model;
using Xunit;

namespace Leadspace.Tests;

public class ResponseTests
{
    internal const string FullAnswer = """
    {
      "status": "success",
      "external_id": "00Q1",
      "data": {
        "enrichment_status": "Person & Company Enriched",
        "person": {
          "address": { "country": "Germany", "state": "Bavaria", "city": "München", "region": "EMEA" },
          "verification_status": "Verified", "verification_source": "Web",
          "original_email": "zoe@muller.de", "original_email_verification_status": "VALID",
          "first_name": "Zoë", "last_name": "Müller", "title": "VP, Sales", "department": "Sales", "level": "VP Level",
          "linkedin_profile": "https://linkedin.com/in/zoe",
          "data_validation": { "phone": { "status": "Valid" } },
          "phone": "+49 89 1234", "email": "zoe@muller.de",
          "analytics": {
            "job_functions": ["Sales", "Business Development"],
            "technologies": ["Salesforce", "HubSpot"],
            "scores": [ { "profile_name": "ICP", "score": { "value": 87.5 } }, { "profile_name": "Churn", "score": { "value": null } } ],
            "max_positive_score_profiles": "ICP"
          }
        },
        "company": {
          "name": "Müller & Söhne GmbH", "original_name": "Mueller und Soehne", "ls_id": "LS123",
          "description": "Makes \"things\",\nand more", "ownership": "Private",
          "matching_confidence": { "level": "High" },
          "address": { "country": "Germany", "state": "Bavaria", "city": "München", "street": "Hauptstr. 1", "zipcode": "80331", "region": "EMEA" },
          "phone": "+49 89 0", "industry": "Manufacturing", "sub_industry": "Machinery",
          "linkedin_profile": "https://linkedin.com/company/ms", "facebook_url": "https://fb.com/ms", "twitter_url": "https://x.com/ms",
          "ticker": "MSG", "website": "muller.de", "sic": "3559", "naics": "333249",
          "size": { "range": "201-500", "exact": 350 },
          "revenue": { "range": "$50M-$100M", "exact": 75000000 },
          "analytics": {
            "installed_base_technologies": ["SAP"], "web_site_technologies": ["WordPress", "Google Analytics"],
            "customTechnologiesCategories": ["ERP"], "company_technologies_categories": ["CRM", "ERP"]
          },
          "specialties": { "items": ["Pumps", "Valves"] },
          "expertise": ["Hydraulics"],
          "domain_intent": "Industrial IoT",
          "intent_modeling": { "project_name": "Q4 Model", "project_score": "High", "new_high_intent_flag": "Yes", "surging_topics": ["IoT", "Automation"] },
          "alternateCompanyDomains": "muller.com",
          "data_validation": { "phone": { "status": "Valid", "normalize_value": "+49890" }, "address": { "status": "Unknown", "normalize_value": "Hauptstr. 1, 80331 München" } },
          "signals": { "fortune_500_rank": 321, "g2k_rank": "1500" },
          "family_tree": { "companies": [
            { "type": "GU", "name": "Müller Holding AG", "ls_id": "LS1", "address": { "country": "Switzerland" }, "size": { "range": "1000+", "exact": 5000 }, "revenue": { "range": "$1B+" } },
            { "type": "DU", "name": "Müller Deutschland", "ls_id": "LS2" }
          ] },
          "unknown_future_field": 42
        },
        "total_scores": [ { "profile_name": "Fit", "score": { "value": 0.75, "predictiveSignalsSummary": "Strong", "topPositivePredictiveSignals": "Size", "topNegativePredictiveSignals": "Region" } } ],
        "max_positive_total_score_profiles": ["Fit"]
      }
    }
    """;

    [Fact]
    public void ShapesEveryFieldOfTheResponseTablesIntoFlatColumns()
    {
        var response = EnrichmentResponse.Parse(FullAnswer);
        var r = ResultShaper.FromResponse(7, response, 200, 1, "00Q1");
        Assert.Equal(EnrichmentOutcome.Enriched, r.Status);
        Assert.Equal("00Q1", r.ExternalId);
        Assert.Equal("Person & Company Enriched", r.EnrichmentStatus);
        Assert.Equal("High", r.CompanyMatchConfidence);
        Assert.Equal("Zoë", r.PersonFirstName);
        Assert.Equal("VP Level", r.PersonLevel);
        Assert.Equal("Valid", r.PersonPhoneStatus);
        Assert.Equal("Sales; Business Development", r.PersonJobFunctions);
        Assert.Equal("ICP=87.5; Churn=", r.PersonScores);
        Assert.Equal(350L, r.CompanySizeExact);
        Assert.Equal(75000000L, r.CompanyRevenueExact);
        Assert.Equal("Makes \"things\",\nand more", r.CompanyDescription);
        Assert.Equal("items: Pumps; Valves", r.CompanySpecialties);
        Assert.Equal("Q4 Model", r.CompanyIntentProjectName);
        Assert.Equal("IoT; Automation", r.CompanySurgingTopics);
        Assert.Equal(1500m, r.CompanyG2kRank);
        Assert.Equal(321m, r.CompanyFortune500Rank);
        Assert.Equal("Müller Holding AG", r.GlobalUltimateName);
        Assert.Equal("LS2", r.DomesticUltimateLsId);
        Assert.Equal("GU: Müller Holding AG (LS1); DU: Müller Deutschland (LS2)", r.FamilyTreeCompanies);
        Assert.Equal(0.75m, r.TotalScore);
        Assert.Equal("Fit", r.MaxPositiveTotalScoreProfiles);
        Assert.Equal("Hauptstr. 1, 80331 München", r.CompanyAddressNormalized);

        // Every flat column is filled from this complete answer (except the error columns).
        var errorColumns = new[] { nameof(EnrichmentResult.ErrorId), nameof(EnrichmentResult.Message), nameof(EnrichmentResult.TrackingId), nameof(EnrichmentResult.ResponseExternalId) };
        foreach (var p in typeof(EnrichmentResult).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (errorColumns.Contains(p.Name)) continue;
            Assert.True(p.GetValue(r) != null, $"{p.Name} is empty");
        }
    }

    [Fact]
    public void KeepsUnknownFieldsSoNothingIsLost()
    {
        var response = EnrichmentResponse.Parse(FullAnswer);
        Assert.Equal(42L, response.Data!.Company!.AdditionalProperties["unknown_future_field"]);
        Assert.Equal(FullAnswer, response.Json);
        Assert.Single(response.Data.Company.IntentModeling);
        Assert.Null(response.Data.Person!.Analytics!.Scores[1].Score!.Value);
    }

    [Fact]
    public void FlatColumnsAreScalarsSoExportCsvNeverPrintsATypeName()
    {
        var allowed = new[] { typeof(string), typeof(long), typeof(int), typeof(int?), typeof(long?), typeof(decimal?) };
        foreach (var p in typeof(EnrichmentResult).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Assert.Contains(p.PropertyType, allowed);
        }
    }

    [Fact]
    public void NotEnrichedIsNotMatchedNotAnError()
    {
        var response = EnrichmentResponse.Parse("""{"status":"success","external_id":"9","data":{"enrichment_status":"Not Enriched"}}""");
        var r = ResultShaper.FromResponse(1, response, 200, 1, "9");
        Assert.Equal(EnrichmentOutcome.NotMatched, r.Status);
        Assert.Null(r.CompanyName);
    }

    [Fact]
    public void ToleratesOtherShapes()
    {
        // intent models as a list, numbers as strings, a single string where a list was expected, nulls.
        var response = EnrichmentResponse.Parse("""
            {"status":"success","data":{"enrichment_status":"Company Enriched","company":{
              "size":{"range":"11-50","exact":"42"},"revenue":null,
              "intent_modeling":[{"project_name":"A","project_score":"High"},{"project_name":"B","project_score":"Low"}],
              "expertise":"Welding","family_tree":null,"matching_confidence":"Medium"}}}
            """);
        var r = ResultShaper.FromResponse(1, response, 200, 1, null);
        Assert.Equal(42L, r.CompanySizeExact);
        Assert.Equal("A: High; B: Low", r.CompanyIntentModels);
        Assert.Equal("Welding", r.CompanyExpertise);
        Assert.Null(r.GlobalUltimateName);
        Assert.Equal("Medium", r.CompanyMatchConfidence);
    }
}
