using System.Collections.Generic;
using Leadspace.Model;

namespace Leadspace.Mapping
{
    /// <summary>
    /// The spec's minimum-input rule, checked before any call is made: account enrichment needs the
    /// company name; person enrichment needs first name, last name and one of company name, email or website.
    /// </summary>
    internal static class RequestValidator
    {
        /// <summary>Returns null when the request is valid, else a message naming the missing fields.</summary>
        public static string? Validate(EnrichmentRequest request)
        {
            if (request.Problems.Count > 0) return string.Join(" ", request.Problems);

            bool company = request.Has(RequestField.CompanyName);
            if (company) return null; // account enrichment (and person enrichment when names are present)

            bool first = request.Has(RequestField.FirstName);
            bool last = request.Has(RequestField.LastName);
            bool email = request.Has(RequestField.Email);
            bool website = request.Has(RequestField.Website);

            if (first && last && (email || website)) return null;

            if (!first && !last)
            {
                return request.IsEmpty
                    ? "The row has no input that maps to a Leadspace field. Missing: company.name (account enrichment), or person.first_name, person.last_name and one of company.name/person.email/company.website (person enrichment)."
                    : "Missing company.name for account enrichment, or person.first_name and person.last_name (with company.name, person.email or company.website) for person enrichment.";
            }

            var missing = new List<string>();
            if (!first) missing.Add("person.first_name");
            if (!last) missing.Add("person.last_name");
            if (!email && !website) missing.Add("one of company.name/person.email/company.website");
            return "Missing " + string.Join(", ", missing) + " for person enrichment (or company.name for account enrichment).";
        }
    }
}
