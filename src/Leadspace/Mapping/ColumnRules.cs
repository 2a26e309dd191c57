using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Leadspace.Mapping
{
    /// <summary>What <see cref="ColumnRules"/> makes of one column name.</summary>
    internal readonly struct ColumnVerdict
    {
        private ColumnVerdict(RequestField? field, int tier, string? ignoredBecause, bool lookAlike)
        {
            Field = field; Tier = tier; IgnoredBecause = ignoredBecause; LookAlike = lookAlike;
        }

        /// <summary>The request field the column feeds, or null.</summary>
        public RequestField? Field { get; }
        /// <summary>Among columns for the same field, the lower tier wins (0 best … 3 last resort; 1 is neutral).</summary>
        public int Tier { get; }
        /// <summary>For a recognised column that is deliberately not sent: why (shown in the mapping report).</summary>
        public string? IgnoredBecause { get; }
        /// <summary>An unrecognised column whose name looks like a request field's (state, phone, title, id…).</summary>
        public bool LookAlike { get; }

        public static ColumnVerdict Maps(RequestField field, int tier) => new ColumnVerdict(field, tier, null, false);
        public static ColumnVerdict Known(string because) => new ColumnVerdict(null, 0, because, false);
        public static readonly ColumnVerdict Unknown = new ColumnVerdict(null, 0, null, false);
        public static readonly ColumnVerdict Suspicious = new ColumnVerdict(null, 0, null, true);
    }

    /// <summary>
    /// The general rules that recognise the column names of CRM and sales-tool exports beyond the exact aliases of
    /// <see cref="RequestField"/>: the name is split into words (spaces, punctuation and camelCase), qualifiers such as
    /// <c>Mailing</c>, <c>Billing</c>, <c>Company</c>, <c>Direct</c>, vendor names and entity prefixes
    /// (<c>Person - </c>, <c>(Do Not Modify) </c>) are read, and the base word decides the field. The tier ranks
    /// columns that compete for one field (see the README's "Columns that compete for one field").
    /// </summary>
    internal static class ColumnRules
    {
        private static readonly HashSet<string> PersonEntities = Set("lead", "contact", "prospect", "person", "people");
        private static readonly HashSet<string> AccountEntities = Set("account");
        private static readonly HashSet<string> CompanyEntities = Set("company", "organization", "organisation", "org", "business", "employer");
        private static readonly HashSet<string> Vendors = Set("salesforce", "sfdc", "sf", "hubspot", "zoominfo", "zi", "apollo", "zoho", "zcrm",
            "marketo", "pipedrive", "outreach", "salesloft", "pardot", "dynamics", "crm", "leadspace");
        private static readonly HashSet<string> GenericIdWords = Set("record", "external", "unique", "row");

        // Address qualifiers: tier 0 = the company's own address, 1 = unqualified, 2 = a person's work address, 3 = last resort.
        private static readonly Dictionary<string, int> AddressQualifiers = Tiers(
            (0, new[] { "company", "billing", "business", "hq", "headquarters", "account", "organization", "organisation", "org", "office", "corporate", "main", "registered", "work" }),
            (2, new[] { "mailing", "primary", "person", "contact", "lead", "prospect", "physical" }),
            (3, new[] { "shipping", "other" }));
        private static readonly HashSet<string> HomeWords = Set("home", "personal", "private", "residence", "residential", "previous", "former", "old");
        private static readonly HashSet<string> AddressFiller = Set("address", "code", "name", "or", "and", "1", "one", "line", "first", "village", "locality", "road", "county");

        // Phone qualifiers: 1 = a direct line, 2 = mobile, 3 = the company's switchboard.
        private static readonly Dictionary<string, int> PhoneQualifiers = Tiers(
            (1, new[] { "direct", "work", "business", "office", "first", "primary", "number", "no", "1", "person", "contact", "lead", "prospect", "dial", "telephone", "tel", "phone" }),
            (2, new[] { "mobile", "cell", "cellular" }),
            (3, new[] { "corporate", "company", "hq", "headquarters", "account", "organization", "organisation", "org", "main", "switchboard", "general", "business2" }));

        private static readonly HashSet<string> EmailQualifiers = Set("address", "work", "business", "primary", "1", "corporate", "office", "person", "contact", "lead", "prospect", "main", "email", "e", "mail");
        private static readonly HashSet<string> TitleQualifiers = Set("job", "person", "contact", "lead", "prospect", "business", "current", "professional", "work");
        private static readonly HashSet<string> NameQualifiers = Set("person", "contact", "lead", "prospect");

        private static readonly string[] LookAlikeWords =
        {
            "state", "region", "province", "phone", "mobile", "street", "address", "city", "zip", "postal", "postcode", "country",
            "title", "designation", "position", "id", "email", "mail", "name", "company", "account", "organization", "website", "domain", "linkedin",
        };

        private static readonly HashSet<string> Descriptors = Set("level", "status", "type", "date", "score", "grade", "range", "source",
            "count", "confidence", "verified", "flag", "checksum", "on", "at", "by", "time", "stage", "owner", "description", "industry",
            "revenue", "size", "employees", "ticker", "year", "keywords", "technologies", "budget", "rank", "url", "profile", "education", "function");

        /// <summary>An unrecognised name with a request field's word in it (and not ending in a descriptor such as Level or Status).</summary>
        private static bool IsLookAlike(List<string> words)
            => !Descriptors.Contains(words[words.Count - 1]) && words.Any(w => Array.IndexOf(LookAlikeWords, w) >= 0);

        /// <summary>Recognises a column by the rules; <paramref name="aliasField"/> is what the exact alias table says.</summary>
        public static ColumnVerdict Classify(string column, RequestField? aliasField)
        {
            var words = Words(column, out bool doNotModify, out string? entityPrefix);
            if (words.Count == 0) return ColumnVerdict.Unknown;

            if (doNotModify)
            {
                // Dynamics 365: "(Do Not Modify) Lead" holds the record's GUID; Row Checksum and Modified On are bookkeeping.
                if (words.Count == 1 && (PersonEntities.Contains(words[0]) || AccountEntities.Contains(words[0]) || CompanyEntities.Contains(words[0])))
                    return ColumnVerdict.Maps(RequestField.ExternalId, PersonEntities.Contains(words[0]) ? 2 : 3);
                return ColumnVerdict.Known("Dynamics 365 bookkeeping column");
            }
            if (entityPrefix != null)
            {
                // Pipedrive: "Person - ID", "Person - Email - Work", "Organization - Name".
                if (PersonEntities.Contains(entityPrefix))
                {
                    if (words.Count == 1 && words[0] == "id") return ColumnVerdict.Maps(RequestField.ExternalId, 2);
                    if (words.Count == 1 && CompanyEntities.Contains(words[0])) return ColumnVerdict.Maps(RequestField.CompanyName, 1);
                }
                else
                {
                    words.Insert(0, "company");
                }
                aliasField = InputMapper.AliasField(string.Concat(words));
            }

            var last = words[words.Count - 1];
            if (last == "id" || last == "ids" || last == "guid") return IdRule(words, aliasField);
            if (words.Any(w => w == "linkedin") || (words.Count > 1 && words[0] == "li" && words.Contains("url")))
                return LinkedInRule(words);
            if (words.Contains("email") || (words.Contains("e") && words.Contains("mail"))) return EmailRule(words);
            if (words.Any(w => w == "phone" || w == "telephone" || w == "tel" || w == "mobile" || w == "cell")) return PhoneRule(words);
            if (words.Contains("fax")) return ColumnVerdict.Known("a fax number");
            if (last == "title" || last == "designation" || last == "position" || (last == "role" && words.Contains("job"))) return TitleRule(words);
            var address = AddressRule(words);
            if (address.HasValue) return address.Value;
            if (words.Count >= 2 && words[words.Count - 1] == "name" && (words[words.Count - 2] == "first" || words[words.Count - 2] == "last"))
            {
                if (words.Take(words.Count - 2).All(NameQualifiers.Contains))
                    return ColumnVerdict.Maps(words[words.Count - 2] == "first" ? RequestField.FirstName : RequestField.LastName, 1);
            }
            if (words.Contains("website") || (words.Contains("domain") && !words.Contains("email")))
            {
                var other = words.Where(w => !WebsiteWords.Contains(w) && !CompanyEntities.Contains(w) && !AccountEntities.Contains(w) && !PersonEntities.Contains(w)).ToList();
                if (other.Count == 0) return ColumnVerdict.Maps(RequestField.Website, 1);
            }
            var company = CompanyNameRule(words);
            if (company.HasValue) return company.Value;
            if (aliasField != null) return ColumnVerdict.Maps(aliasField, 1);
            if (words.Count == 2 && words[1] == "name" && (words[0] == "middle" || words[0] == "nick" || words[0] == "preferred"))
                return ColumnVerdict.Known("a middle or preferred name");
            if (words.Count == 1 && words[0] == "name" || words.Count == 2 && words[0] == "full" && words[1] == "name")
                return ColumnVerdict.Known("a full name; the request takes first and last name");
            return IsLookAlike(words) ? ColumnVerdict.Suspicious : ColumnVerdict.Unknown;
        }

        private static ColumnVerdict IdRule(List<string> words, RequestField? aliasField)
        {
            if (aliasField != null && aliasField != RequestField.ExternalId) return ColumnVerdict.Maps(aliasField, 1); // pid, lsid, UG Company ID
            var qualifier = words.Take(words.Count - 1).ToList();
            bool vendor = qualifier.RemoveAll(Vendors.Contains) > 0;
            qualifier.RemoveAll(GenericIdWords.Contains);
            if (qualifier.Count == 0) return ColumnVerdict.Maps(RequestField.ExternalId, vendor ? 1 : 0);
            if (qualifier.Count == 1 && PersonEntities.Contains(qualifier[0])) return ColumnVerdict.Maps(RequestField.ExternalId, 2);
            if (qualifier.Count == 1 && AccountEntities.Contains(qualifier[0])) return ColumnVerdict.Maps(RequestField.ExternalId, 3);
            if (qualifier.All(w => CompanyEntities.Contains(w) || AccountEntities.Contains(w)))
                return ColumnVerdict.Known("a company's id, not the row's");
            return ColumnVerdict.Known("the id of another record (owner, campaign, parent…), not the row's");
        }

        private static ColumnVerdict LinkedInRule(List<string> words)
        {
            if (words.Any(HomeWords.Contains)) return ColumnVerdict.Known("a previous company's or person's profile");
            if (words.Any(w => CompanyEntities.Contains(w) || AccountEntities.Contains(w))) return ColumnVerdict.Maps(RequestField.CompanyLinkedInUrl, 1);
            var other = words.Where(w => w != "linkedin" && w != "li" && w != "url" && w != "profile" && w != "link" && !PersonEntities.Contains(w)).ToList();
            return other.Count == 0 ? ColumnVerdict.Maps(RequestField.PersonLinkedInUrl, 1) : ColumnVerdict.Suspicious;
        }

        private static ColumnVerdict EmailRule(List<string> words)
        {
            var other = words.Where(w => !EmailQualifiers.Contains(w)).ToList();
            if (other.Count == 0) return ColumnVerdict.Maps(RequestField.Email, 1);
            if (other.All(HomeWords.Contains)) return ColumnVerdict.Maps(RequestField.Email, 2);
            return ColumnVerdict.Known("e-mail bookkeeping (status, domain, opt-out…), or a second address");
        }

        private static ColumnVerdict PhoneRule(List<string> words)
        {
            int tier = 1;
            foreach (var w in words)
            {
                if (w == "phone") continue;
                if (PhoneQualifiers.TryGetValue(w, out var t)) { tier = Math.Max(tier, t); continue; }
                if (HomeWords.Contains(w) || w == "other" || w == "assistant" || w == "fax")
                    return ColumnVerdict.Known("a home, assistant or other phone, not the person's work number");
                return ColumnVerdict.Known("phone bookkeeping (extension, type, status…), not a number to send");
            }
            return ColumnVerdict.Maps(RequestField.Phone, tier);
        }

        private static ColumnVerdict TitleRule(List<string> words)
        {
            var qualifier = words.Take(words.Count - 1).ToList();
            if (qualifier.All(TitleQualifiers.Contains)) return ColumnVerdict.Maps(RequestField.Title, 1);
            if (qualifier.Any(HomeWords.Contains)) return ColumnVerdict.Known("a previous title");
            return ColumnVerdict.Suspicious;
        }

        private static ColumnVerdict? AddressRule(List<string> words)
        {
            RequestField? field = null;
            if (words.Contains("country")) field = RequestField.Country;
            else if (words.Contains("zip") || words.Contains("postal") || words.Contains("postcode") || (words.Contains("post") && words.Contains("code"))) field = RequestField.PostalCode;
            else if (words.Contains("state") || words.Contains("province")) field = RequestField.State;
            else if (words.Contains("city") || words.Contains("town")) field = RequestField.City;
            else if (words.Contains("street") || words.Contains("address") || words.Contains("addr")) field = RequestField.Street;
            if (field == null) return null;
            if (field == RequestField.Street && words.Any(w => w == "2" || w == "3" || w == "4" || w == "two" || w == "three" || w == "line2" || w == "supplement"))
                return ColumnVerdict.Known("a second address line");
            if (words.Contains("full") || words.Contains("formatted"))
                return ColumnVerdict.Known("a whole address in one text; street, city… come from their own columns");
            if (field == RequestField.Street && words.Any(w => w == "ip" || w == "web" || w == "mac"))
                return ColumnVerdict.Unknown;
            int tier = 1;
            bool qualified = false;
            foreach (var w in words)
            {
                if (IsBaseWord(w, field) || AddressFiller.Contains(w) || w == "region" || w == "province" || w == "state") continue;
                if (AddressQualifiers.TryGetValue(w, out var t))
                {
                    tier = qualified ? Math.Min(tier, t) : t;
                    qualified = true;
                    continue;
                }
                if (HomeWords.Contains(w)) return ColumnVerdict.Known("a home or former address, not the company's");
                return ColumnVerdict.Suspicious;
            }
            if (field == RequestField.Country && words.Count == 2 && PersonEntities.Contains(words[0]))
                return ColumnVerdict.Maps(RequestField.PersonCountry, 1);
            return ColumnVerdict.Maps(field, tier);
        }

        private static bool IsBaseWord(string w, RequestField field)
        {
            if (field == RequestField.Country) return w == "country";
            if (field == RequestField.PostalCode) return w == "zip" || w == "postal" || w == "postcode" || w == "post";
            if (field == RequestField.State) return w == "state" || w == "province";
            if (field == RequestField.City) return w == "city" || w == "town";
            return w == "street" || w == "address" || w == "addr";
        }

        private static readonly HashSet<string> WebsiteWords = Set("website", "domain", "url", "name", "primary", "web", "site", "main", "business", "corporate", "address");

        private static ColumnVerdict? CompanyNameRule(List<string> words)
        {
            if (words.Any(HomeWords.Contains) && words.Any(w => CompanyEntities.Contains(w) || AccountEntities.Contains(w)))
                return ColumnVerdict.Known("a previous company");
            if (words.Any(w => w == "parent" || w == "division" || w == "subsidiary" || w == "ultimate" || w == "immediate"))
                return ColumnVerdict.Known("another company (parent, division…)");
            // "Company Name for Emails" (Apollo) is the company's name trimmed for greetings: last resort.
            if (words.Count == 4 && words[0] == "company" && words[1] == "name" && words[2] == "for" && (words[3] == "emails" || words[3] == "email"))
                return ColumnVerdict.Maps(RequestField.CompanyName, 3);
            bool entity = words.Any(w => CompanyEntities.Contains(w) || AccountEntities.Contains(w));
            if (entity && words.All(w => CompanyEntities.Contains(w) || AccountEntities.Contains(w) || PersonEntities.Contains(w) || w == "name" || w == "legal" || w == "associated" || w == "primary" || w == "current"))
                return ColumnVerdict.Maps(RequestField.CompanyName, words.Any(w => w == "legal" || w == "associated") ? 2 : 1);
            return null;
        }

        /// <summary>A name with a structure the exact alias table cannot read ("(Do Not Modify) Lead", "Person - ID"): the
        /// rules decide its field.</summary>
        public static bool IsStructured(string column)
        {
            Words(column, out bool doNotModify, out string? entityPrefix);
            return doNotModify || entityPrefix != null;
        }

        /// <summary>Lower-case words of a column name: split at non-letters and camelCase humps; "(Do Not Modify)" and a
        /// Pipedrive-style entity prefix ("Person - ", "Organization - ") are taken off and reported.</summary>
        internal static List<string> Words(string column, out bool doNotModify, out string? entityPrefix)
        {
            doNotModify = false;
            entityPrefix = null;
            var text = column.Trim();
            const string dnm = "(do not modify)";
            if (text.StartsWith(dnm, StringComparison.OrdinalIgnoreCase)) { doNotModify = true; text = text.Substring(dnm.Length); }
            var dash = text.IndexOf(" - ", StringComparison.Ordinal);
            if (!doNotModify && dash > 0)
            {
                var head = Split(text.Substring(0, dash));
                if (head.Count == 1 && (PersonEntities.Contains(head[0]) || CompanyEntities.Contains(head[0]) || AccountEntities.Contains(head[0])))
                {
                    entityPrefix = head[0];
                    text = text.Substring(dash + 3);
                }
            }
            return Split(text);
        }

        private static List<string> Split(string text)
        {
            var words = new List<string>();
            var current = new StringBuilder();
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (!char.IsLetterOrDigit(c)) { Flush(words, current); continue; }
                // camelCase: "MailingStreet", "AccountId"; a run of capitals stays one word ("HQ", "URL").
                if (char.IsUpper(c) && current.Length > 0 && (char.IsLower(text[i - 1]) || (i + 1 < text.Length && char.IsLower(text[i + 1]) && char.IsUpper(text[i - 1]))))
                    Flush(words, current);
                else if (char.IsDigit(c) != (current.Length > 0 && char.IsDigit(current[current.Length - 1])) && current.Length > 0)
                    Flush(words, current);
                current.Append(char.ToLowerInvariant(c));
            }
            Flush(words, current);
            // Brand names that camelCase would split: "ZoomInfo", "LinkedIn", "HubSpot"; and "e-mail".
            for (int i = 0; i + 1 < words.Count; i++)
            {
                var joined = words[i] + words[i + 1];
                if (Joined.Contains(joined)) { words[i] = joined; words.RemoveAt(i + 1); }
            }
            return words;
        }

        private static void Flush(List<string> words, StringBuilder current)
        {
            if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
        }

        private static readonly HashSet<string> Joined = Set("email", "zoominfo", "linkedin", "hubspot", "salesforce", "salesloft", "pipedrive", "ids");

        private static HashSet<string> Set(params string[] words) => new HashSet<string>(words, StringComparer.Ordinal);

        private static Dictionary<string, int> Tiers(params (int Tier, string[] Words)[] groups)
        {
            var map = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (tier, ws) in groups) foreach (var w in ws) map[w] = tier;
            return map;
        }
    }
}
