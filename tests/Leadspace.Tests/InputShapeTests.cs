using System.Text;
using System.Text.Json;
using Leadspace.Mapping;
using Leadspace.Model;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Input that was silently wrong or lost (review items 8–12, 18): what is refused, what is taken, what is said.</summary>
public class InputShapeTests
{
    private static InputProperty Text(string name, string? value) => InputProperty.Of(name, value);

    [Theory]
    [InlineData("\u200B")]            // zero-width space
    [InlineData(" \u200B\u200D\uFEFF ")] // zero-width joiner, byte-order mark
    [InlineData("\u00AD")]            // soft hyphen
    [InlineData("\u00A0\u2060")]      // no-break space, word joiner
    [InlineData("\u0001\u0007")]
    public void AValueOfOnlyInvisibleCharactersIsEmpty(string value)
    {
        var request = new InputMapper().Map(new[] { Text("Company", value), Text("Id", "x") });
        Assert.False(request.Has(RequestField.CompanyName));
        Assert.NotNull(RequestValidator.Validate(request));
    }

    [Fact]
    public void InvisibleCharactersAroundAValueAreTrimmedButNotInside()
    {
        var request = new InputMapper().Map(new[] { Text("Company", "\u200BAcme\u200D Labs\uFEFF"), Text("First Name", "👨‍👩‍👧") });
        Assert.Equal("Acme\u200D Labs", request.Get(RequestField.CompanyName));
        Assert.Equal("👨‍👩‍👧", request.Get(RequestField.FirstName)); // joiners inside an emoji sequence stay
    }

    [Fact]
    public void AListInAMappedColumnIsRefusedNamingTheColumnAndTheType()
    {
        var request = new InputMapper().Map(new[]
        {
            Text("Company", "Acme"),
            new InputProperty("Email", "a@x.com; b@x.com", InputValueKind.List, "Object[]", 2),
        });
        var message = RequestValidator.Validate(request);
        Assert.NotNull(message);
        Assert.Contains("Column 'Email' holds 2 values", message);
        Assert.Contains("person.email", message);
        Assert.False(request.Has(RequestField.Email));
    }

    [Fact]
    public void ANestedObjectOrATypeNameInAMappedColumnIsRefused()
    {
        var nested = new InputMapper().Map(new[]
        {
            new InputProperty("Account", "@{Name=Inner Co}", InputValueKind.Nested, "Hashtable", 1, new[] { Text("Name", "Inner Co") }),
        });
        Assert.Contains("Column 'Account' holds a nested Hashtable", RequestValidator.Validate(nested));
        // "company" itself holding an object is the API's own shape: its name is company.name, not the object's text.
        var apiShape = new InputMapper().Map(new[]
        {
            new InputProperty("Company", "@{Name=Inner Co}", InputValueKind.Nested, "Hashtable", 1, new[] { Text("Name", "Inner Co") }),
        });
        Assert.Null(RequestValidator.Validate(apiShape));
        Assert.Equal("Inner Co", apiShape.Get(RequestField.CompanyName));
        var typeName = new InputMapper().Map(new[] { new InputProperty("Company", "System.Object", InputValueKind.Unprintable, "System.Object") });
        Assert.Contains("holds a System.Object whose text is only its type name", RequestValidator.Validate(typeName));
    }

    [Fact]
    public void ListsAndObjectsInColumnsThatMapToNothingAreIgnored()
    {
        var request = new InputMapper().Map(new[]
        {
            Text("Company", "Acme"),
            new InputProperty("Tags", "a; b", InputValueKind.List, "Object[]", 2),
            new InputProperty("Meta", "@{}", InputValueKind.Nested, "Hashtable", 0, Array.Empty<InputProperty>()),
        });
        Assert.Null(RequestValidator.Validate(request));
    }

    [Fact]
    public void TheApisOwnNestedShapeIsTakenOnPurpose()
    {
        var record = new[]
        {
            new InputProperty("person", "@{..}", InputValueKind.Nested, "Hashtable", 2, new[] { Text("first_name", "Ada"), Text("last_name", "Lovelace") }),
            new InputProperty("company", "@{..}", InputValueKind.Nested, "PSCustomObject", 2, new[]
            {
                Text("name", "Analytical Engines"),
                new InputProperty("address", "@{..}", InputValueKind.Nested, "Hashtable", 1, new[] { Text("city", "London") }),
            }),
            new InputProperty("custom_fields", "..", InputValueKind.List, "Object[]", 2, items: new IReadOnlyList<InputProperty>[]
            {
                new[] { Text("name", "Segment"), Text("value", "SMB") },
                new[] { Text("name", "Owner"), Text("value", "jdoe") },
            }),
            Text("external_id", "L-1"),
        };
        var request = new InputMapper().Map(record);
        Assert.Null(RequestValidator.Validate(request));
        Assert.Equal("Ada", request.Get(RequestField.FirstName));
        Assert.Equal("Lovelace", request.Get(RequestField.LastName));
        Assert.Equal("Analytical Engines", request.Get(RequestField.CompanyName));
        Assert.Equal("London", request.Get(RequestField.City));
        Assert.Equal(new[] { "Segment=SMB", "Owner=jdoe" }, request.CustomFields.Select(c => c.ToString()));
    }

    [Fact]
    public void PropertyMapKeysAndCustomFieldNamesThatMatchNoColumnAreReported()
    {
        var mapper = new InputMapper(new Dictionary<string, string> { ["Acct Nmae"] = "company.name" }, new[] { "Segmnet", "Owner" });
        mapper.Map(new[] { Text("Acct Name", "Acme"), Text("Owner", "jdoe"), Text("Company", "Fallback") });
        Assert.Equal(new[] { "Acct Nmae", "Segmnet" }, mapper.LastUnmatched);
        mapper.Map(new[] { Text("Acct Nmae", "Acme"), Text("Segmnet", "SMB"), Text("Owner", "x") });
        Assert.Empty(mapper.LastUnmatched);
    }

    [Theory]
    [InlineData("First Name;Last Name;Email;Company", ";")]
    [InlineData("First Name,Last Name,Company", ",")]
    [InlineData("First Name\tLast Name\tCompany", "`t")]
    public void ACsvReadWithTheWrongDelimiterIsNamed(string header, string delimiter)
    {
        var mapper = new InputMapper();
        var request = mapper.Map(new[] { Text(header, "Ada;Lovelace;ada@x.com;Acme") });
        var message = RequestValidator.Validate(request);
        Assert.Contains("wrong delimiter", message);
        Assert.Contains($"Import-Csv -Delimiter '{delimiter}'", message);
        Assert.Equal(delimiter, mapper.LastDelimiterHint);
    }

    [Fact]
    public void AnOrdinaryColumnWithACommaInItsNameIsNotADelimiterProblem()
    {
        var mapper = new InputMapper();
        var request = mapper.Map(new[] { Text("Notes, misc", "x") });
        Assert.DoesNotContain("delimiter", RequestValidator.Validate(request));
        Assert.Null(mapper.LastDelimiterHint);
    }

    [Fact]
    public void EveryInputColumnComesOutUnderAUniqueName()
    {
        var columns = new InputColumns(new[] { "RowNumber", "Status", "ExternalId" });
        Assert.Equal(new[] { "Input_Status_2", "Input_Status", "Owner" }, columns.Names(new[] { "Status", "Input_Status", "Owner" }));
        Assert.Equal(new[] { "Input_Status", "Input_status_2", "Input_STATUS_3" }, columns.Names(new[] { "Status", "status", "STATUS" }));
        Assert.Equal(new[] { "a", "Input_A" }, columns.Names(new[] { "a", "A" })); // case-insensitive twins
        var names = columns.Names(new[] { "Status", "Input_Status", "Input_Status_2", "rownumber" });
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.DoesNotContain(names, n => n is "RowNumber" or "Status" or "ExternalId");
    }

    [Fact]
    public void RequestBodiesAreReadableUtf8EscapingOnlyWhatJsonRequires()
    {
        var request = new EnrichmentRequest();
        request.Set(RequestField.CompanyName, "Weißdorn & Söhne \"GmbH\" 東京 🚀 <b>");
        request.Set(RequestField.FirstName, "Zoë\\");
        request.Set(RequestField.Street, "line1\nline2");
        var json = request.ToJson();
        Assert.Contains("Weißdorn & Söhne \\\"GmbH\\\" 東京 🚀 <b>", json);
        Assert.Contains("Zoë\\\\", json);
        Assert.Contains("line1\\nline2", json);
        Assert.DoesNotContain("\\u", json);
        Assert.Equal(Encoding.UTF8.GetBytes(json), request.ToJsonUtf8());
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("Weißdorn & Söhne \"GmbH\" 東京 🚀 <b>", doc.RootElement.GetProperty("company").GetProperty("name").GetString());
        Assert.Equal("line1\nline2", doc.RootElement.GetProperty("company").GetProperty("address").GetProperty("street").GetString());
    }

    [Fact]
    public void ALoneSurrogateIsStillEscapedSoTheBodyStaysValidJson()
    {
        var request = new EnrichmentRequest();
        request.Set(RequestField.CompanyName, "bad \uD800 half");
        var json = Encoding.UTF8.GetString(request.ToJsonUtf8());
        using var doc = JsonDocument.Parse(request.ToJsonUtf8()); // never throws
        Assert.NotNull(doc.RootElement.GetProperty("company").GetProperty("name").GetString());
    }
}
