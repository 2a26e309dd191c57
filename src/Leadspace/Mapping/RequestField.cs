using System;
using System.Collections.Generic;
using System.Linq;

namespace Leadspace.Mapping
{
    /// <summary>
    /// One field of the request table in the API text. This list is the single source of truth for the
    /// JSON path sent to Leadspace, the cmdlet parameter that sets it, the CSV header aliases that map to
    /// it, the property-map completer and the alias table in the help.
    /// </summary>
    public sealed class RequestField
    {
        private RequestField(string jsonPath, string parameterName, string description, params string[] aliases)
        {
            JsonPath = jsonPath;
            ParameterName = parameterName;
            Description = description;
            Aliases = aliases;
            Segments = jsonPath.Split('.');
        }

        /// <summary>Dotted JSON path using the spellings of the spec's sample request schema.</summary>
        public string JsonPath { get; }

        /// <summary>Name of the Invoke-LeadspaceEnrichment parameter that sets this field for one record.</summary>
        public string ParameterName { get; }

        public string Description { get; }

        /// <summary>Input column names that map to this field, in priority order (matched case-insensitively,
        /// ignoring spaces, underscores, hyphens and dots).</summary>
        public IReadOnlyList<string> Aliases { get; }

        internal string[] Segments { get; }

        public override string ToString() => JsonPath;

        internal static readonly RequestField FirstName = new RequestField("person.first_name", "FirstName", "First name",
            "first_name", "First Name", "FirstName", "Given Name", "First", "fname");
        internal static readonly RequestField LastName = new RequestField("person.last_name", "LastName", "Last name",
            "last_name", "Last Name", "LastName", "Surname", "Family Name", "Last", "lname");
        internal static readonly RequestField Email = new RequestField("person.email", "Email", "Email address",
            "email", "Email Address", "Work Email", "Business Email", "E-mail", "Email 1", "Primary Email");
        internal static readonly RequestField Title = new RequestField("person.title", "Title", "Job title",
            "title", "Job Title", "Position", "Job Role");
        internal static readonly RequestField PersonLinkedInUrl = new RequestField("person.linkedinUrl", "LinkedInUrl", "Person LinkedIn URL",
            "linkedinUrl", "LinkedIn", "LinkedIn URL", "LinkedIn Profile", "Person LinkedIn URL", "LinkedIn Profile URL", "LI URL");
        internal static readonly RequestField PersonId = new RequestField("person.pid", "PersonId", "Person UG Person ID",
            "pid", "Person ID", "UG Person ID", "Leadspace Person ID");
        internal static readonly RequestField Phone = new RequestField("person.person_phone", "Phone", "Person phone (sample request schema)",
            "person_phone", "Phone", "Phone Number", "Work Phone", "Direct Phone", "Mobile", "Mobile Phone");
        internal static readonly RequestField PersonCountry = new RequestField("person.person_country", "PersonCountry", "Person country (sample request schema)",
            "person_country", "Person Country", "Contact Country", "Lead Country");
        internal static readonly RequestField CompanyName = new RequestField("company.name", "CompanyName", "Name of the company",
            "company.name", "Company", "Company Name", "Account Name", "Account", "Organization", "Organisation", "Organization Name", "Employer");
        internal static readonly RequestField CompanyLsid = new RequestField("company.lsid", "CompanyLsid", "LSID of the company (matched on first)",
            "lsid", "Company LSID", "ls_id", "Leadspace ID");
        internal static readonly RequestField CompanyUgLsid = new RequestField("company.ugLsid", "CompanyUgLsid", "UG Company ID (v4 only, matched on first)",
            "ugLsid", "UG Company ID", "ug_lsid", "ug_company_id");
        internal static readonly RequestField Website = new RequestField("company.website", "Website", "URL of the company's website",
            "website", "Company Website", "Domain", "Company Domain", "Web Site", "Website URL", "URL");
        internal static readonly RequestField CompanyLinkedInUrl = new RequestField("company.companyLinkedinUrl", "CompanyLinkedInUrl", "URL of the company's LinkedIn profile",
            "companyLinkedinUrl", "Company LinkedIn", "Company LinkedIn URL", "Company LinkedIn Profile", "Account LinkedIn URL");
        internal static readonly RequestField Country = new RequestField("company.address.country", "Country", "Company address: country",
            "country", "Company Country", "Billing Country", "Country/Region", "Country Code");
        internal static readonly RequestField State = new RequestField("company.address.state", "State", "Company address: state",
            "state", "State/Province", "Province", "Company State", "Billing State", "Billing State/Province", "State Code");
        internal static readonly RequestField City = new RequestField("company.address.city", "City", "Company address: city",
            "city", "Company City", "Billing City", "Town");
        internal static readonly RequestField Street = new RequestField("company.address.street", "Street", "Company address: street",
            "street", "Street Address", "Address", "Company Street", "Billing Street", "Address Line 1", "Address 1");
        internal static readonly RequestField PostalCode = new RequestField("company.address.postalcode", "PostalCode", "Company address: postal code",
            "postalcode", "Postal Code", "Zip", "Zip Code", "ZIP/Postal Code", "Postcode", "Billing Postal Code", "Billing Zip");
        internal static readonly RequestField ExternalId = new RequestField("external_id", "ExternalId", "Your identifier, echoed in the response",
            "external_id", "Id", "External ID", "Record ID", "Lead ID", "Contact ID", "Account ID", "Record Id");

        /// <summary>Every field of the request table, in the order they are documented.</summary>
        public static readonly IReadOnlyList<RequestField> All = new[]
        {
            FirstName, LastName, Email, Title, PersonLinkedInUrl, PersonId, Phone, PersonCountry,
            CompanyName, CompanyLsid, CompanyUgLsid, Website, CompanyLinkedInUrl,
            Country, State, City, Street, PostalCode, ExternalId,
        };

        /// <summary>Target of a property map entry that means "send this column as a custom field".</summary>
        internal const string CustomFieldsPath = "custom_fields";

        private static readonly Dictionary<string, RequestField> ByTarget = BuildTargets();

        private static Dictionary<string, RequestField> BuildTargets()
        {
            var map = new Dictionary<string, RequestField>(StringComparer.OrdinalIgnoreCase);
            foreach (var f in All)
            {
                map[f.JsonPath] = f;
                map[f.ParameterName] = f;
            }
            return map;
        }

        /// <summary>Finds a field by JSON path (e.g. <c>company.name</c>) or parameter name (e.g. <c>CompanyName</c>).</summary>
        internal static bool TryFind(string target, out RequestField field)
        {
            if (target != null && ByTarget.TryGetValue(target.Trim(), out var f)) { field = f; return true; }
            field = null!;
            return false;
        }

        /// <summary>Normalises a column name for alias matching: lower case, letters and digits only.</summary>
        internal static string NormalizeName(string name)
        {
            var chars = new char[name.Length];
            int n = 0;
            foreach (var c in name)
            {
                if (char.IsLetterOrDigit(c)) chars[n++] = char.ToLowerInvariant(c);
            }
            return new string(chars, 0, n);
        }

        /// <summary>The text of the alias table as documented in the help and README.</summary>
        public static IEnumerable<string> AliasTableLines()
        {
            yield return "| JSON field | Parameter | Column names recognised |";
            yield return "|---|---|---|";
            foreach (var f in All)
            {
                yield return $"| `{f.JsonPath}` | `-{f.ParameterName}` | {string.Join(", ", f.Aliases)} |";
            }
        }
    }
}
