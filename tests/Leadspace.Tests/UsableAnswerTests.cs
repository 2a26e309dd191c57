using Leadspace.Engine;
using Leadspace.Http;
using Leadspace.Model;
using Leadspace.Resilience;
using Xunit;

namespace Leadspace.Tests;

/// <summary>
/// A 200 without usable data is Failed (LeadspaceInvalidResponse, never NotMatched, never retried: the credit is
/// spent); only a real "Not Enriched" is NotMatched. The result's ExternalId is always the input's.
/// </summary>
public class UsableAnswerTests
{
    public static TheoryData<string, string> Unusable => new()
    {
        { """{"status":"success"}""", "it has no data" },
        { """{"status":"success","data":null}""", "it has no data" },
        { """{}""", "it has no data" },
        { """[]""", "the answer is an array, not a JSON object" },
        { "\"ok\"", "the answer is a string, not a JSON object" },
        { """{"status":"success","data":"oops"}""", "its data is a string, not an object" },
        { """{"status":"success","data":[]}""", "its data is an array, not an object" },
        { """{"status":"success","data":{}}""", "it has no enrichment_status, no person and no company" },
        { """{"status":"success","data":{"enrichment_status":"Person & Company Enriched"}}""", "its enrichment_status is 'Person & Company Enriched' but it has neither person nor company data" },
        { """{"status":"success","data":{"enrichment_status":"Company Enriched","company":{},"person":{"first_name":null}}}""", "neither person nor company data" },
        { """{"status":"failure","message":"Enrichment failed for this record","tracking_id":"trk-31"}""", "its status is 'failure': Enrichment failed for this record (tracking id trk-31)" },
        { """{"status":"FAILURE","data":{"enrichment_status":"Company Enriched","company":{"name":"Acme"}}}""", "its status is 'FAILURE'" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void A200WithoutUsableDataIsFailedNotNotMatched(string json, string why)
    {
        var r = ResultShaper.FromResponse(4, EnrichmentResponse.Parse(json), 200, 1, "in-4");
        Assert.Equal(EnrichmentOutcome.Failed, r.Status);
        Assert.Equal(ErrorIds.InvalidResponse, r.ErrorId);
        Assert.Equal(FailureKind.InvalidResponse, r.Failure);
        Assert.Contains(why, r.Message);
        Assert.Contains("credit is spent", r.Message);
        Assert.Equal(200, r.HttpStatus);
        Assert.Equal("in-4", r.ExternalId);
    }

    [Fact]
    public void TheStatedFailureCarriesItsTrackingId()
    {
        var r = ResultShaper.FromResponse(1, EnrichmentResponse.Parse("""{"status":"failure","error":"QUOTA","tracking_id":"trk-31"}"""), 200, 1, null);
        Assert.Equal("trk-31", r.TrackingId);
        Assert.Equal("failure", r.ResponseStatus);
    }

    [Theory]
    [InlineData("""{"status":"success","data":{"enrichment_status":"Not Enriched"}}""", EnrichmentOutcome.NotMatched)]
    [InlineData("""{"status":"success","data":{"enrichment_status":" not enriched "}}""", EnrichmentOutcome.NotMatched)]
    [InlineData("""{"data":{"enrichment_status":"Company Enriched","company":{"name":"Acme"}}}""", EnrichmentOutcome.Enriched)]
    [InlineData("""{"status":"success","data":{"enrichment_status":"Person Enriched","person":{"first_name":"Ada"}}}""", EnrichmentOutcome.Enriched)]
    [InlineData("""{"status":"success","data":{"enrichment_status":"Person & Company Enriched","company":{"name":"Acme"}}}""", EnrichmentOutcome.Enriched)]
    [InlineData("""{"status":"success","data":{"company":{"name":"Acme"}}}""", EnrichmentOutcome.Enriched)]
    [InlineData("""{"status":"success","data":{"enrichment_status":"Enriched (v4)","company":{"x":"only an unknown field"}}}""", EnrichmentOutcome.Enriched)]
    public void UsableAnswers(string json, string status)
    {
        var r = ResultShaper.FromResponse(1, EnrichmentResponse.Parse(json), 200, 1, null);
        Assert.Equal(status, r.Status);
        Assert.Null(r.ErrorId);
        Assert.Equal(FailureKind.None, r.Failure);
    }

    [Fact]
    public void EngineTurnsAnUnusable200IntoAFailedRowWithoutRetrying()
    {
        var request = ClientTests.Request("Acme", "in-9");
        var call = new CallResult { Response = EnrichmentResponse.Parse("""{"status":"success","data":"oops"}"""), HttpStatus = 200, Attempts = 1, Sent = true };
        var r = EnrichmentEngine.Shape(9, request, call);
        Assert.Equal(EnrichmentOutcome.Failed, r.Status);
        Assert.Equal(ErrorIds.InvalidResponse, r.ErrorId);
        Assert.Equal(1, r.Attempts);
        Assert.False(FailureTable.IsRetryable(r.Failure));
        Assert.False(FailureTable.IsFatal(r.Failure));
    }

    [Theory]
    [InlineData("in-1", "in-1", null)]
    [InlineData("in-1", "server-7", "server-7")]
    [InlineData("in-1", null, null)]
    [InlineData(null, "server-7", "server-7")]
    [InlineData(null, null, null)]
    public void ExternalIdIsAlwaysTheInputsAndADifferentEchoHasItsOwnColumn(string? input, string? echoed, string? responseColumn)
    {
        var json = echoed == null
            ? """{"status":"success","data":{"enrichment_status":"Not Enriched"}}"""
            : $$$"""{"status":"success","external_id":"{{{echoed}}}","data":{"enrichment_status":"Not Enriched"}}""";
        var r = ResultShaper.FromResponse(1, EnrichmentResponse.Parse(json), 200, 1, input);
        Assert.Equal(input, r.ExternalId);
        Assert.Equal(responseColumn, r.ResponseExternalId);
    }

    [Fact]
    public void EngineUsesTheRequestsExternalIdNotTheEcho()
    {
        var call = new CallResult { Response = EnrichmentResponse.Parse("""{"status":"success","external_id":"other","data":{"enrichment_status":"Not Enriched"}}"""), HttpStatus = 200, Attempts = 1, Sent = true };
        var r = EnrichmentEngine.Shape(1, ClientTests.Request("Acme", "mine"), call);
        Assert.Equal("mine", r.ExternalId);
        Assert.Equal("other", r.ResponseExternalId);
    }
}
