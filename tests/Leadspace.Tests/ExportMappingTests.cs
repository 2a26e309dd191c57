using System.Text;
using Leadspace.Mapping;
using Leadspace.Model;
using Xunit;

namespace Leadspace.Tests;

/// <summary>
/// The header rows of real CRM and sales-tool exports (tests/fixtures/exports, sources in its README) map without a
/// property map: every column listed here reaches exactly that field, and every other column is ignored.
/// </summary>
public class ExportMappingTests
{
    internal static readonly Dictionary<string, (string Column, string Field)[]> Expected = new()
    {
        ["apollo-contacts.csv"] = new[] { ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Title", "person.title"), ("Company", "company.name"), ("Company Name for Emails", "company.name"), ("Email", "person.email"), ("First Phone", "person.person_phone"), ("Work Direct Phone", "person.person_phone"), ("Mobile Phone", "person.person_phone"), ("Corporate Phone", "person.person_phone"), ("Person Linkedin Url", "person.linkedinUrl"), ("Website", "company.website"), ("Company Linkedin Url", "company.companyLinkedinUrl"), ("City", "company.address.city"), ("State", "company.address.state"), ("Country", "company.address.country"), ("Company Address", "company.address.street"), ("Company City", "company.address.city"), ("Company State", "company.address.state"), ("Company Country", "company.address.country"), ("Company Phone", "person.person_phone"), ("Apollo Contact Id", "external_id") },
        ["dynamics-leads.csv"] = new[] { ("(Do Not Modify) Lead", "external_id"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Job Title", "person.title"), ("Company Name", "company.name"), ("Email", "person.email"), ("Business Phone", "person.person_phone"), ("Mobile Phone", "person.person_phone"), ("Street 1", "company.address.street"), ("City", "company.address.city"), ("State/Province", "company.address.state"), ("ZIP/Postal Code", "company.address.postalcode"), ("Country/Region", "company.address.country"), ("Website", "company.website") },
        ["hubspot-companies.csv"] = new[] { ("Record ID", "external_id"), ("Company name", "company.name"), ("Company Domain Name", "company.website"), ("Phone Number", "person.person_phone"), ("Street Address", "company.address.street"), ("City", "company.address.city"), ("State/Region", "company.address.state"), ("Postal Code", "company.address.postalcode"), ("Country/Region", "company.address.country") },
        ["hubspot-contacts.csv"] = new[] { ("Record ID", "external_id"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Email", "person.email"), ("Phone Number", "person.person_phone"), ("Mobile Phone Number", "person.person_phone"), ("Job Title", "person.title"), ("Company Name", "company.name"), ("Website URL", "company.website"), ("Street Address", "company.address.street"), ("City", "company.address.city"), ("State/Region", "company.address.state"), ("Postal Code", "company.address.postalcode"), ("Country/Region", "company.address.country") },
        ["marketo-leads.csv"] = new[] { ("Id", "external_id"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Email Address", "person.email"), ("Job Title", "person.title"), ("Company Name", "company.name"), ("Address", "company.address.street"), ("City", "company.address.city"), ("State", "company.address.state"), ("Postal Code", "company.address.postalcode"), ("Country", "company.address.country"), ("Phone Number", "person.person_phone"), ("Mobile Phone Number", "person.person_phone"), ("Website", "company.website") },
        ["outreach-prospects.csv"] = new[] { ("Prospect ID", "external_id"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Title", "person.title"), ("Company", "company.name"), ("Email", "person.email"), ("Work Phone", "person.person_phone"), ("Mobile Phone", "person.person_phone"), ("Address Street", "company.address.street"), ("Address City", "company.address.city"), ("Address State", "company.address.state"), ("Address Zip", "company.address.postalcode"), ("Address Country", "company.address.country"), ("LinkedIn URL", "person.linkedinUrl"), ("Website", "company.website"), ("Account Name", "company.name") },
        ["pardot-prospects.csv"] = new[] { ("Id", "external_id"), ("Email", "person.email"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Title", "person.title"), ("Company", "company.name"), ("Website", "company.website"), ("Country", "company.address.country"), ("Address One", "company.address.street"), ("City", "company.address.city"), ("State", "company.address.state"), ("Zip", "company.address.postalcode"), ("Phone", "person.person_phone") },
        ["pipedrive-persons.csv"] = new[] { ("Person - ID", "external_id"), ("Person - First name", "person.first_name"), ("Person - Last name", "person.last_name"), ("Person - Organization", "company.name"), ("Person - Email - Work", "person.email"), ("Person - Email - Home", "person.email"), ("Person - Phone - Work", "person.person_phone"), ("Person - Phone - Mobile", "person.person_phone"), ("Person - Job title", "person.title"), ("Organization - Name", "company.name"), ("Organization - Address", "company.address.street") },
        ["salesforce-accounts.csv"] = new[] { ("Account ID", "external_id"), ("Account Name", "company.name"), ("Billing Street", "company.address.street"), ("Billing City", "company.address.city"), ("Billing State/Province", "company.address.state"), ("Billing Zip/Postal Code", "company.address.postalcode"), ("Billing Country", "company.address.country"), ("Phone", "person.person_phone"), ("Website", "company.website") },
        ["salesforce-contacts-dataloader.csv"] = new[] { ("Id", "external_id"), ("FirstName", "person.first_name"), ("LastName", "person.last_name"), ("Title", "person.title"), ("MailingStreet", "company.address.street"), ("MailingCity", "company.address.city"), ("MailingState", "company.address.state"), ("MailingPostalCode", "company.address.postalcode"), ("MailingCountry", "company.address.country"), ("Phone", "person.person_phone"), ("MobilePhone", "person.person_phone"), ("Email", "person.email") },
        ["salesforce-contacts.csv"] = new[] { ("Contact ID", "external_id"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Title", "person.title"), ("Account Name", "company.name"), ("Mailing Street", "company.address.street"), ("Mailing City", "company.address.city"), ("Mailing State/Province", "company.address.state"), ("Mailing Zip/Postal Code", "company.address.postalcode"), ("Mailing Country", "company.address.country"), ("Phone", "person.person_phone"), ("Mobile", "person.person_phone"), ("Email", "person.email") },
        ["salesforce-leads.csv"] = new[] { ("Lead ID", "external_id"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Title", "person.title"), ("Company / Account", "company.name"), ("Street", "company.address.street"), ("City", "company.address.city"), ("State/Province", "company.address.state"), ("Zip/Postal Code", "company.address.postalcode"), ("Country", "company.address.country"), ("Phone", "person.person_phone"), ("Mobile", "person.person_phone"), ("Email", "person.email"), ("Website", "company.website") },
        ["salesloft-people.csv"] = new[] { ("Salesloft ID", "external_id"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Email", "person.email"), ("Phone", "person.person_phone"), ("Mobile Phone", "person.person_phone"), ("Title", "person.title"), ("Account", "company.name"), ("Person Company Name", "company.name"), ("Person Company Website", "company.website"), ("Work City", "company.address.city"), ("Work State", "company.address.state"), ("Work Country", "company.address.country"), ("City", "company.address.city"), ("State", "company.address.state"), ("Country", "company.address.country"), ("LinkedIn URL", "person.linkedinUrl") },
        ["zoho-leads.csv"] = new[] { ("Record Id", "external_id"), ("Company", "company.name"), ("First Name", "person.first_name"), ("Last Name", "person.last_name"), ("Designation", "person.title"), ("Email", "person.email"), ("Phone", "person.person_phone"), ("Mobile", "person.person_phone"), ("Website", "company.website"), ("Street", "company.address.street"), ("City", "company.address.city"), ("State", "company.address.state"), ("Zip Code", "company.address.postalcode"), ("Country", "company.address.country") },
        ["zoominfo-contacts.csv"] = new[] { ("ZoomInfo Contact ID", "external_id"), ("Last Name", "person.last_name"), ("First Name", "person.first_name"), ("Job Title", "person.title"), ("Direct Phone Number", "person.person_phone"), ("Email Address", "person.email"), ("Mobile phone", "person.person_phone"), ("LinkedIn Contact Profile URL", "person.linkedinUrl"), ("Person Street", "company.address.street"), ("Person City", "company.address.city"), ("Person State", "company.address.state"), ("Person Zip Code", "company.address.postalcode"), ("Country", "company.address.country"), ("Company Name", "company.name"), ("Website", "company.website"), ("Company HQ Phone", "person.person_phone"), ("LinkedIn Company Profile URL", "company.companyLinkedinUrl"), ("Company Street Address", "company.address.street"), ("Company City", "company.address.city"), ("Company State", "company.address.state"), ("Company Zip Code", "company.address.postalcode"), ("Company Country", "company.address.country") },
    };

    internal static string FixtureDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "LeadspacePS.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return Path.Combine(dir!.FullName, "tests", "fixtures", "exports");
    }

    /// <summary>A small RFC 4180 reader: quoted fields, doubled quotes, CRLF.</summary>
    internal static List<List<string>> ReadCsv(string path)
    {
        var rows = new List<List<string>>();
        var text = File.ReadAllText(path, Encoding.UTF8);
        var row = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n') { row.Add(cell.ToString()); cell.Clear(); rows.Add(row); row = new List<string>(); }
            else cell.Append(c);
        }
        if (cell.Length > 0 || row.Count > 0) { row.Add(cell.ToString()); rows.Add(row); }
        return rows;
    }

    public static IEnumerable<object[]> Fixtures() => Expected.Keys.Select(k => new object[] { k });

    [Fact]
    public void EveryFixtureHasItsExpectationAndASource()
    {
        var files = Directory.GetFiles(FixtureDirectory(), "*.csv").Select(f => Path.GetFileName(f)).OrderBy(f => f).ToList();
        Assert.Equal(Expected.Keys.OrderBy(k => k).ToList(), files);
        var readme = File.ReadAllText(Path.Combine(FixtureDirectory(), "README.md"));
        foreach (var f in files) Assert.Contains(f, readme);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TheRealHeaderRowMapsWithoutAPropertyMap(string fixture)
    {
        var rows = ReadCsv(Path.Combine(FixtureDirectory(), fixture));
        var header = rows[0];
        var expected = Expected[fixture];
        var mapper = new InputMapper();
        foreach (var values in rows.Skip(1))
        {
            var request = mapper.Map(header.Select((h, i) => new KeyValuePair<string, string?>(h, values[i])).ToList());
            Assert.Null(RequestValidator.Validate(request));
            var report = mapper.LastReport!;
            Assert.Equal(expected.Select(e => $"{e.Column} → {e.Field}"), report.Mapped.Select(m => $"{m.Column} → {m.Field}"));
            Assert.Equal(header.Where(h => !expected.Any(e => e.Column == h)), report.Ignored);
            Assert.Empty(report.LookAlikes);
            // Each field gets the value of the first non-empty column that the report lists for it.
            // (The report's note "used when 'A' and 'B' are empty" names the columns that rank before it.)
            foreach (var group in expected.GroupBy(e => e.Field))
            {
                var field = RequestField.All.Single(f => f.JsonPath == group.Key);
                var value = group.OrderBy(e => report.Columns.Single(c => c.Column == e.Column).Note?.Count(ch => ch == '\'') ?? 0)
                    .Select(e => values[header.IndexOf(e.Column)].Trim()).FirstOrDefault(v => v.Length > 0);
                Assert.Equal(value, request.Get(field));
            }
            Assert.NotNull(request.ExternalId);
        }
    }

    [Theory]
    [InlineData("(Do Not Modify) Lead", "external_id")]
    [InlineData("(Do Not Modify) Contact", "external_id")]
    [InlineData("(Do Not Modify) Account", "external_id")]
    [InlineData("(Do Not Modify) Row Checksum", null)]
    [InlineData("Lead ID", "external_id")]
    [InlineData("Zoominfo Contact ID", "external_id")]
    [InlineData("HubSpot Record Id", "external_id")]
    [InlineData("Apollo Contact Id", "external_id")]
    [InlineData("Person - ID", "external_id")]
    [InlineData("Company Id", null)]
    [InlineData("Organization - ID", null)]
    [InlineData("OwnerId", null)]
    [InlineData("Campaign ID", null)]
    [InlineData("Person ID", "person.pid")]
    [InlineData("Street 1", "company.address.street")]
    [InlineData("Address Line 1", "company.address.street")]
    [InlineData("Address One", "company.address.street")]
    [InlineData("Street 2", null)]
    [InlineData("Address Line 2", null)]
    [InlineData("Mailing Street", "company.address.street")]
    [InlineData("BillingStreet", "company.address.street")]
    [InlineData("Home Street", null)]
    [InlineData("State/Region", "company.address.state")]
    [InlineData("State or Province", "company.address.state")]
    [InlineData("Mailing State/Province", "company.address.state")]
    [InlineData("Country/Region", "company.address.country")]
    [InlineData("Lead Country", "person.person_country")]
    [InlineData("Business Phone", "person.person_phone")]
    [InlineData("Corporate Phone", "person.person_phone")]
    [InlineData("Direct Phone Number", "person.person_phone")]
    [InlineData("Work Direct Phone", "person.person_phone")]
    [InlineData("Home Phone", null)]
    [InlineData("Phone Extension", null)]
    [InlineData("Fax", null)]
    [InlineData("Designation", "person.title")]
    [InlineData("Job Title", "person.title")]
    [InlineData("Position", "person.title")]
    [InlineData("Previous Job Title", null)]
    [InlineData("Job Title Hierarchy Level", null)]
    [InlineData("Company Name for Emails", "company.name")]
    [InlineData("Previous Company Name", null)]
    [InlineData("Email Status", null)]
    [InlineData("Email Domain", null)]
    [InlineData("E-mail", "person.email")]
    [InlineData("LinkedIn Contact Profile URL", "person.linkedinUrl")]
    [InlineData("LinkedIn Company Profile URL", "company.companyLinkedinUrl")]
    [InlineData("Company Domain Name", "company.website")]
    [InlineData("Sales Region", null)]
    public void ExportColumnNamesReachTheirFieldAndLookAlikesDoNot(string column, string? field)
    {
        Assert.Equal(field, InputMapper.FieldForColumn(column)?.JsonPath);
    }

    [Fact]
    public void CompanyNameForEmailsIsOnlyAFallbackForCompany()
    {
        var mapper = new InputMapper();
        var both = mapper.Map(Row(("Company Name for Emails", "Acme"), ("Company", "Acme Corporation, Inc."), ("Email", "a@acme.example")));
        Assert.Equal("Acme Corporation, Inc.", both.Get(RequestField.CompanyName));
        Assert.Contains(mapper.LastReport!.Columns, c => c.Column == "Company Name for Emails" && c.Note == "used when 'Company' is empty");
        var alone = mapper.Map(Row(("Company Name for Emails", "Acme"), ("Email", "a@acme.example")));
        Assert.Equal("Acme", alone.Get(RequestField.CompanyName));
    }

    [Fact]
    public void TheRowIdComesFromOneColumnOnly()
    {
        var mapper = new InputMapper();
        var request = mapper.Map(Row(("Account ID", "001A"), ("Contact ID", ""), ("Company", "Acme")));
        Assert.Null(request.ExternalId);   // never the account's id on a contact row
        Assert.Contains(mapper.LastReport!.Columns, c => c.Column == "Account ID" && c.Field == null && c.Note!.Contains("one column"));
        var mapped = new InputMapper(new Dictionary<string, string> { ["Account ID"] = "external_id" }).Map(Row(("Account ID", "001A"), ("Contact ID", "003B"), ("Company", "Acme")));
        Assert.Equal("001A", mapped.ExternalId);   // -PropertyMap decides
    }

    [Fact]
    public void TheCompanysAddressRanksBeforeThePersonsAndEmptyOnesFallThrough()
    {
        var mapper = new InputMapper();
        var request = mapper.Map(Row(("City", "Bath"), ("Company City", "London"), ("Mailing City", "Leeds"), ("State", "Somerset"), ("Company State", ""), ("Company", "Acme")));
        Assert.Equal("London", request.Get(RequestField.City));
        Assert.Equal("Somerset", request.Get(RequestField.State));
        Assert.Equal("'Mailing City' → company.address.city (used when 'Company City' and 'City' are empty)",
            mapper.LastReport!.Columns.Single(c => c.Column == "Mailing City").ToString());
    }

    [Fact]
    public void TheReportListsMappedAndIgnoredColumnsAndWarnsAboutLookAlikes()
    {
        var mapper = new InputMapper(new Dictionary<string, string> { ["Acct"] = "company.name" }, new[] { "Segment" });
        mapper.Map(Row(("Acct", "Acme"), ("Segment", "SMB"), ("Sales Region", "EMEA"), ("Lead Source", "Web"), ("Street 2", "Floor 3")));
        var report = mapper.LastReport!;
        Assert.True(mapper.LastReportIsNew);
        Assert.Equal("Columns mapped: 'Acct' → company.name (-PropertyMap); 'Segment' → custom_fields.Segment.", report.MappedText());
        Assert.Equal("Columns ignored (not sent): 'Sales Region'; 'Lead Source'; 'Street 2' (a second address line).", report.IgnoredText());
        Assert.Equal(new[] { "Sales Region" }, report.LookAlikes);
        Assert.Contains("'Sales Region'", report.LookAlikeWarning());
        Assert.Contains("-PropertyMap", report.LookAlikeWarning());
        mapper.Map(Row(("Acct", "Other"), ("Segment", "SMB"), ("Sales Region", "EMEA"), ("Lead Source", "Web"), ("Street 2", "")));
        Assert.False(mapper.LastReportIsNew);   // once per set of columns
    }

    [Theory]
    [InlineData("Jos\uFFFD", true)]
    [InlineData("JosÃ©", true)]
    [InlineData("OÃ¢â‚¬â„¢Brien", true)]
    [InlineData("Oâ€™Brien", true)]
    [InlineData("MÃ¼ller", true)]
    [InlineData("Â£100", true)]
    [InlineData("José", false)]
    [InlineData("Müller & Söhne", false)]
    [InlineData("Ã…land", true)]   // "Åland" read the wrong way
    [InlineData("SÃO PAULO", false)]
    [InlineData("São Paulo", false)]
    public void MisdecodedTextIsRecognised(string value, bool misdecoded)
    {
        Assert.Equal(misdecoded, InputChecks.LooksMisdecoded(value));
    }

    [Fact]
    public void AWindows1252FileReadAsUtf8NamesTheColumn()
    {
        var bytes = Encoding.Latin1.GetBytes("First Name,Last Name,Company\r\nJosé,Muñoz,Café Olé\r\n");
        var text = new UTF8Encoding(false, false).GetString(bytes); // what Import-Csv without -Encoding reads
        var lines = text.Split("\r\n");
        var header = lines[0].Split(',');
        var values = lines[1].Split(',');
        var mapper = new InputMapper();
        var request = mapper.Map(header.Select((h, i) => new KeyValuePair<string, string?>(h, values[i])).ToList());
        Assert.Equal("First Name", mapper.LastEncodingSuspect);
        Assert.Null(RequestValidator.Validate(request));   // still sent: the user decides
        mapper.Map(Row(("First Name", "Jose"), ("Last Name", "Munoz"), ("Company", "Cafe")));
        Assert.Null(mapper.LastEncodingSuspect);
    }

    [Fact]
    public void ARepeatedHeaderRowIsInvalid()
    {
        var mapper = new InputMapper();
        var request = mapper.Map(Row(("Lead ID", "Lead ID"), ("First Name", "First Name"), ("Last Name", "Last Name"), ("Company", "Company"), ("Lead Source", "Lead Source")));
        var message = RequestValidator.Validate(request);
        Assert.NotNull(message);
        Assert.Contains("repeats the header row", message);
        // A real value that happens to equal one column's name is not a header row.
        var real = mapper.Map(Row(("Lead ID", "L-1"), ("First Name", "First Name"), ("Last Name", "Smith"), ("Company", "Acme"), ("Lead Source", "Web")));
        Assert.Null(RequestValidator.Validate(real));
    }

    private static List<KeyValuePair<string, string?>> Row(params (string Key, string? Value)[] cells)
        => cells.Select(c => new KeyValuePair<string, string?>(c.Key, c.Value)).ToList();
}
