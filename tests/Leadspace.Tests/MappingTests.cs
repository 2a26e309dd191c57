using System.Text.Json;
using Leadspace.Mapping;
using Leadspace.Model;
using Xunit;

namespace Leadspace.Tests;

public class MappingTests
{
    private static List<KeyValuePair<string, string?>> Row(params (string Key, string? Value)[] cells)
        => cells.Select(c => new KeyValuePair<string, string?>(c.Key, c.Value)).ToList();

    [Theory]
    [InlineData("First Name", "person.first_name")]
    [InlineData("FirstName", "person.first_name")]
    [InlineData("first_name", "person.first_name")]
    [InlineData("FIRST NAME", "person.first_name")]
    [InlineData("Last Name", "person.last_name")]
    [InlineData("Email", "person.email")]
    [InlineData("Email Address", "person.email")]
    [InlineData("Work Email", "person.email")]
    [InlineData("Company", "company.name")]
    [InlineData("Company Name", "company.name")]
    [InlineData("Account Name", "company.name")]
    [InlineData("Organization", "company.name")]
    [InlineData("Website", "company.website")]
    [InlineData("Domain", "company.website")]
    [InlineData("Company Website", "company.website")]
    [InlineData("Title", "person.title")]
    [InlineData("Job Title", "person.title")]
    [InlineData("LinkedIn", "person.linkedinUrl")]
    [InlineData("LinkedIn URL", "person.linkedinUrl")]
    [InlineData("Company LinkedIn URL", "company.companyLinkedinUrl")]
    [InlineData("Street", "company.address.street")]
    [InlineData("City", "company.address.city")]
    [InlineData("State/Province", "company.address.state")]
    [InlineData("Postal Code", "company.address.postalcode")]
    [InlineData("Zip", "company.address.postalcode")]
    [InlineData("Country", "company.address.country")]
    [InlineData("Id", "external_id")]
    [InlineData("ExternalId", "external_id")]
    [InlineData("external_id", "external_id")]
    [InlineData("Lead ID", "external_id")]
    [InlineData("lsid", "company.lsid")]
    [InlineData("ugLsid", "company.ugLsid")]
    [InlineData("pid", "person.pid")]
    public void AliasTableMapsCrmHeaders(string header, string jsonPath)
    {
        Assert.Equal(jsonPath, InputMapper.FieldForColumn(header)?.JsonPath);
        var request = new InputMapper().Map(Row((header, "value")));
        Assert.True(RequestField.TryFind(jsonPath, out var field));
        Assert.Equal("value", request.Get(field));
    }

    [Fact]
    public void EveryRequestFieldIsReachableByJsonPathAndParameterName()
    {
        foreach (var field in RequestField.All)
        {
            Assert.Equal(field, InputMapper.FieldForColumn(field.JsonPath));
            Assert.Equal(field, InputMapper.FieldForColumn(field.ParameterName));
            var viaMap = new InputMapper(new Dictionary<string, string> { ["My Column"] = field.JsonPath }).Map(Row(("My Column", "x")));
            Assert.Equal("x", viaMap.Get(field));
        }
    }

    [Fact]
    public void WhitespaceOnlyValuesCountAsEmpty()
    {
        var request = new InputMapper().Map(Row(("First Name", "   "), ("Company", "\t"), ("Email", " a@b.c ")));
        Assert.False(request.Has(RequestField.FirstName));
        Assert.False(request.Has(RequestField.CompanyName));
        Assert.Equal("a@b.c", request.Get(RequestField.Email));
    }

    [Fact]
    public void TheBetterAliasWinsAndEmptyOnesFallThrough()
    {
        var mapper = new InputMapper();
        var both = mapper.Map(Row(("Work Email", "work@x.com"), ("Email", "main@x.com")));
        Assert.Equal("main@x.com", both.Get(RequestField.Email));
        var fallback = mapper.Map(Row(("Work Email", "work@x.com"), ("Email", "")));
        Assert.Equal("work@x.com", fallback.Get(RequestField.Email));
    }

    [Fact]
    public void PropertyMapOverridesAliasesAndFeedsCustomFields()
    {
        var mapper = new InputMapper(new Dictionary<string, string>
        {
            ["Acct"] = "company.name",
            ["Company"] = "custom_fields",
            ["Segment"] = "custom_fields.segment_code",
            ["Given"] = "FirstName",
        }, new[] { "Owner" });
        var request = mapper.Map(Row(("Acct", "Acme"), ("Company", "Parent Co"), ("Segment", "SMB"), ("Given", "Ada"), ("Owner", "j.doe")));
        Assert.Equal("Acme", request.Get(RequestField.CompanyName));
        Assert.Equal("Ada", request.Get(RequestField.FirstName));
        Assert.Equal(new[] { "Company=Parent Co", "segment_code=SMB", "Owner=j.doe" }, request.CustomFields.Select(c => c.ToString()));
    }

    [Fact]
    public void PropertyMapRejectsUnknownTargets()
    {
        var ex = Assert.Throws<ArgumentException>(() => new InputMapper(new Dictionary<string, string> { ["X"] = "company.nmae" }));
        Assert.Contains("company.nmae", ex.Message);
        Assert.Contains("company.name", ex.Message);
    }

    [Fact]
    public void RequestJsonUsesTheSampleSchemaSpellingsAndOmitsEmptyFields()
    {
        var mapper = new InputMapper(customFieldColumns: new[] { "Segment" });
        var request = mapper.Map(Row(("First Name", "Zoë"), ("Last Name", "Müller"), ("Company", "Smith, Jones & \"Partners\""),
            ("Company LinkedIn URL", "https://linkedin.com/company/x"), ("City", "Zürich"), ("Lead ID", "00Q1"), ("Segment", "SMB"), ("Title", "")));
        using var doc = JsonDocument.Parse(request.ToJson());
        var root = doc.RootElement;
        Assert.Equal("Zoë", root.GetProperty("person").GetProperty("first_name").GetString());
        Assert.Equal("Müller", root.GetProperty("person").GetProperty("last_name").GetString());
        Assert.False(root.GetProperty("person").TryGetProperty("title", out _));
        Assert.Equal("Smith, Jones & \"Partners\"", root.GetProperty("company").GetProperty("name").GetString());
        Assert.Equal("https://linkedin.com/company/x", root.GetProperty("company").GetProperty("companyLinkedinUrl").GetString());
        Assert.Equal("Zürich", root.GetProperty("company").GetProperty("address").GetProperty("city").GetString());
        Assert.Equal("00Q1", root.GetProperty("external_id").GetString());
        var custom = root.GetProperty("custom_fields")[0];
        Assert.Equal("Segment", custom.GetProperty("name").GetString());
        Assert.Equal("SMB", custom.GetProperty("value").GetString());
    }

    [Theory]
    [InlineData(null, null, null, "Acme", null, true)]            // account enrichment
    [InlineData("Ada", "Lovelace", null, "Acme", null, true)]     // person with company
    [InlineData("Ada", "Lovelace", "ada@x.com", null, null, true)] // person with email
    [InlineData("Ada", "Lovelace", null, null, "x.com", true)]    // person with website
    [InlineData("Ada", "Lovelace", null, null, null, false)]      // names only
    [InlineData("Ada", null, "ada@x.com", null, null, false)]     // no last name
    [InlineData(null, null, "ada@x.com", null, null, false)]      // email only
    [InlineData(null, null, null, null, "x.com", false)]          // website only: account needs a name
    [InlineData(null, null, null, null, null, false)]
    public void ValidatorAppliesTheSpecMinimumInput(string? first, string? last, string? email, string? company, string? website, bool valid)
    {
        var request = new EnrichmentRequest();
        request.Set(RequestField.FirstName, first);
        request.Set(RequestField.LastName, last);
        request.Set(RequestField.Email, email);
        request.Set(RequestField.CompanyName, company);
        request.Set(RequestField.Website, website);
        var message = RequestValidator.Validate(request);
        Assert.Equal(valid, message == null);
    }

    [Fact]
    public void ValidatorMessageNamesTheMissingFields()
    {
        var request = new EnrichmentRequest();
        request.Set(RequestField.FirstName, "Ada");
        request.Set(RequestField.Email, "ada@x.com");
        var message = RequestValidator.Validate(request)!;
        Assert.Contains("person.last_name", message);
        Assert.DoesNotContain("person.first_name,", message);
    }

    [Fact]
    public void AliasTableLinesListEveryField()
    {
        var lines = RequestField.AliasTableLines().ToList();
        Assert.Equal(RequestField.All.Count + 2, lines.Count);
        Assert.Contains(lines, l => l.Contains("`company.ugLsid`"));
    }
}
