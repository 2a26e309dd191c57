using Leadspace.Completion;
using Leadspace.Mapping;
using Leadspace.Session;
using Xunit;

namespace Leadspace.Tests;

public class CompletionTests
{
    [Fact]
    public void PropertyMapText_parses_column_equals_field_in_order()
    {
        var map = PropertyMapText.Parse(new[] { "Acct Legal Name=company.name", " SFDC Id = external_id ", "a=b=custom_fields" });
        Assert.Equal(new[] { "Acct Legal Name", "SFDC Id", "a=b" }, map.Select(kv => kv.Key));
        Assert.Equal(new[] { "company.name", "external_id", "custom_fields" }, map.Select(kv => kv.Value));
    }

    [Theory]
    [InlineData("company.name")]
    [InlineData("=company.name")]
    [InlineData("Acct=")]
    [InlineData("  =  ")]
    [InlineData("")]
    public void PropertyMapText_rejects_an_entry_without_column_or_field(string entry)
    {
        var ex = Assert.Throws<ArgumentException>(() => PropertyMapText.Parse(new[] { entry }));
        Assert.Contains("'Column=target'", ex.Message);
    }

    [Fact]
    public void PropertyMapText_rejects_a_column_named_twice()
    {
        var ex = Assert.Throws<ArgumentException>(() => PropertyMapText.Parse(new[] { "Acct=company.name", "ACCT=external_id" }));
        Assert.Contains("twice", ex.Message);
    }

    [Fact]
    public void The_parsed_map_drives_the_mapper_like_a_hashtable()
    {
        var mapper = new InputMapper(PropertyMapText.Parse(new[] { "Acct Legal Name=company.name", "Segment=custom_fields" }));
        var request = mapper.Map(new List<KeyValuePair<string, string?>> { new("Acct Legal Name", "Müller & Söhne"), new("Segment", "SMB") });
        Assert.Equal("Müller & Söhne", request.Get(RequestField.CompanyName));
        Assert.Contains("\"custom_fields\":[{\"name\":\"Segment\",\"value\":\"SMB\"}]", request.ToJson());
    }

    [Fact]
    public void After_the_equals_sign_every_request_field_and_custom_fields_are_offered_in_documented_order()
    {
        var offered = PropertyMapText.Complete("'Acct Legal Name=").ToList();
        Assert.Equal(RequestField.All.Select(f => f.JsonPath).Append("custom_fields"), offered.Select(c => c.ListItem));
        Assert.All(offered, c => Assert.StartsWith("'Acct Legal Name=", c.Text));
        Assert.All(offered, c => Assert.EndsWith("'", c.Text));
        var company = offered.Single(c => c.ListItem == "company.name");
        Assert.Contains("-CompanyName", company.ToolTip);
        Assert.Contains("Account Name", company.ToolTip);
    }

    [Theory]
    [InlineData("'Acct Legal Name=comp", "company.name,company.lsid,company.ugLsid,company.website,company.companyLinkedinUrl,company.address.country,company.address.state,company.address.city,company.address.street,company.address.postalcode")]
    [InlineData("Acct=city", "company.address.city")]
    [InlineData("Acct=CompanyN", "company.name")]
    [InlineData("Acct=first", "person.first_name")]
    [InlineData("Acct=EXT", "external_id")]
    [InlineData("Acct=cust", "custom_fields")]
    [InlineData("Acct=nothing-like-it", "")]
    public void After_the_equals_sign_fields_match_by_path_parameter_or_segment(string word, string expected)
    {
        Assert.Equal(expected, string.Join(",", PropertyMapText.Complete(word).Select(c => c.ListItem)));
    }

    [Theory]
    [InlineData("Acct=city", "Acct=company.address.city")]
    [InlineData("'Acct=city", "'Acct=company.address.city'")]
    [InlineData("Acct Nm=city", "'Acct Nm=company.address.city'")]
    [InlineData("\"Acct Nm=city", "\"Acct Nm=company.address.city\"")]
    [InlineData("\"Acct $x=city", "\"Acct `$x=company.address.city\"")]
    [InlineData("'O''Brien Co=city", "'O''Brien Co=company.address.city'")]
    [InlineData("-Acct=city", "'-Acct=company.address.city'")]
    public void Suggestions_are_quoted_the_way_the_user_started_or_when_a_bare_word_would_break(string word, string expected)
    {
        Assert.Equal(expected, PropertyMapText.Complete(word).Single().Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("'")]
    [InlineData("=comp")]
    [InlineData("'  =comp")]
    public void Nothing_is_offered_without_a_column(string word)
    {
        Assert.Empty(PropertyMapText.Complete(word));
    }

    [Fact]
    public void Before_the_equals_sign_the_column_is_offered_with_every_field()
    {
        var offered = PropertyMapText.Complete("'Acct Legal Name").ToList();
        Assert.Equal(RequestField.All.Count + 1, offered.Count);
        Assert.Equal("'Acct Legal Name=person.first_name'", offered[0].Text);
    }

    [Theory]
    [InlineData("abc", '\0', "abc")]
    [InlineData("'ab c'", '\'', "ab c")]
    [InlineData("'ab c", '\'', "ab c")]
    [InlineData("'it''s", '\'', "it's")]
    [InlineData("\u2018it\u2019\u2019s\u2019", '\'', "it\u2019s")]
    [InlineData("\"ab", '"', "ab")]
    public void Unquote_reads_the_word_as_typed(string word, char quote, string text)
    {
        Assert.Equal(text, CommandLineText.Unquote(word, out var q));
        Assert.Equal(quote, q);
    }

    [Fact]
    public void Quote_doubles_every_kind_of_single_quote()
    {
        Assert.Equal("'it''s \u2019\u2019x'", CommandLineText.Quote("it's \u2019x", '\0'));
        Assert.Equal("https://apigw.leadspace.com", CommandLineText.Quote("https://apigw.leadspace.com", '\0'));
        Assert.Equal("my-program", CommandLineText.Quote("my-program", '\0'));
        Assert.Equal("'-x'", CommandLineText.Quote("-x", '\0'));
        Assert.Equal("'a b'", CommandLineText.Quote("a b", '\0'));
        Assert.Equal("'$x'", CommandLineText.Quote("$x", '\0'));
    }

    [Theory]
    [InlineData(2, true, 2)]
    [InlineData(2L, true, 2)]
    [InlineData((short)3, true, 3)]
    [InlineData((byte)4, true, 4)]
    [InlineData(" 12 ", true, 12)]
    [InlineData("12a", false, 0)]
    [InlineData("-1", false, 0)]
    [InlineData("", false, 0)]
    [InlineData(2.5, false, 0)]
    [InlineData(null, false, 0)]
    [InlineData("99999999999", false, 0)]
    public void A_connection_id_is_a_whole_number_or_digits(object? value, bool ok, int id)
    {
        Assert.Equal(ok, ConnectionSuggestions.TryParseId(value, out var parsed));
        Assert.Equal(id, parsed);
    }

    [Fact]
    public void Program_ids_and_base_uris_come_from_the_environment_and_the_default_without_connections()
    {
        var none = Array.Empty<LeadspaceConnection>();
        var programs = ConnectionSuggestions.ProgramIds("", " my-program ", none).ToList();
        Assert.Equal("my-program", Assert.Single(programs).Text);
        Assert.Contains("LEADSPACE_PROGRAM_ID", programs[0].ToolTip);
        Assert.Empty(ConnectionSuggestions.ProgramIds("x", "my-program", none));
        Assert.Empty(ConnectionSuggestions.ProgramIds("", null, none));

        var uris = ConnectionSuggestions.BaseUris("", "http://127.0.0.1:4000/", none).Select(c => c.Text).ToList();
        Assert.Equal(new[] { "https://apigw.leadspace.com", "http://127.0.0.1:4000" }, uris);
        Assert.Equal(new[] { "http://127.0.0.1:4000" }, ConnectionSuggestions.BaseUris("HTTP:", "http://127.0.0.1:4000", none).Select(c => c.Text));
        Assert.Equal(new[] { "'https://apigw.leadspace.com'" }, ConnectionSuggestions.BaseUris("'https", null, none).Select(c => c.Text));
        Assert.Contains("with id 3", ConnectionSuggestions.NotFoundMessage(3, none));
        Assert.Contains("run Connect-Leadspace", ConnectionSuggestions.NotFoundMessage(3, none));
    }
}

public class CsvColumnCompletionTests
{
    private static readonly string[] Columns = { "Acct Legal Name", "First Name", "Sales Owner", "Segment", "Email" };

    [Fact]
    public void Custom_fields_offer_the_columns_the_alias_table_does_not_know_first()
    {
        var offered = CsvColumnSuggestions.CustomFields("", Columns).ToList();
        Assert.Equal(new[] { "'Acct Legal Name'", "'Sales Owner'", "Segment", "'First Name'", "Email" }, offered.Select(c => c.Text));
        Assert.Contains("not in the alias table", offered[0].ToolTip);
        Assert.Contains("person.first_name", offered[3].ToolTip);
    }

    [Fact]
    public void Custom_fields_narrow_by_what_was_typed_and_keep_the_users_quotes()
    {
        Assert.Equal(new[] { "Segment" }, CsvColumnSuggestions.CustomFields("seg", Columns).Select(c => c.Text));
        Assert.Equal(new[] { "\"Sales Owner\"" }, CsvColumnSuggestions.CustomFields("\"S", Columns).Where(c => c.ListItem != "Segment").Select(c => c.Text));
        Assert.Empty(CsvColumnSuggestions.CustomFields("zzz", Columns));
    }

    [Fact]
    public void Property_map_offers_Column_equals_with_the_quote_left_open_for_the_field()
    {
        var offered = CsvColumnSuggestions.PropertyMapColumns("'Acct", Columns).ToList();
        Assert.Equal("'Acct Legal Name=", Assert.Single(offered).Text);
        Assert.Equal("Segment=", CsvColumnSuggestions.PropertyMapColumns("Seg", Columns).Single().Text);
        Assert.Equal("'Sales Owner=", CsvColumnSuggestions.PropertyMapColumns("Sa", Columns).Single().Text);
        // Then the field: PropertyMapText takes over once there is an '='.
        Assert.Empty(CsvColumnSuggestions.PropertyMapColumns("'Acct Legal Name=comp", Columns));
        Assert.Contains(PropertyMapText.Complete("'Acct Legal Name=comp"), c => c.Text == "'Acct Legal Name=company.name'");
    }
}
