using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Leadspace.Simulator;

internal enum EnrichmentKind
{
    Account,
    Person,
}

/// <summary>The request fields the simulator uses. Whitespace-only strings are treated as absent.</summary>
internal sealed class EnrichmentInput
{
    public string? FirstName { get; private set; }
    public string? LastName { get; private set; }
    public string? Email { get; private set; }
    public string? Title { get; private set; }
    public string? PersonLinkedinUrl { get; private set; }
    public string? Pid { get; private set; }
    public string? PersonPhone { get; private set; }
    public string? PersonCountry { get; private set; }
    public string? CompanyName { get; private set; }
    public string? Lsid { get; private set; }
    public string? UgLsid { get; private set; }
    public string? Website { get; private set; }
    public string? CompanyLinkedinUrl { get; private set; }
    public string? Country { get; private set; }
    public string? State { get; private set; }
    public string? City { get; private set; }
    public string? Street { get; private set; }
    public string? PostalCode { get; private set; }

    /// <summary>The external_id as sent (not trimmed; echoed verbatim). Null when absent.</summary>
    public string? ExternalId { get; private set; }

    public EnrichmentKind Kind { get; private set; }

    public const string MinimumInputMessage =
        "If the JSON format is valid, please make sure you provide the following fields for the enrichment: " +
        "For Account enrichment: Company Name " +
        "For Person (Lead/Contact) enrichment: First Name Last Name Company Name/Email Address/Website";

    /// <summary>Parses and validates a request body. Returns null and an error when it is invalid (→ 400).</summary>
    public static EnrichmentInput? TryParse(JsonElement root, out string? error)
    {
        error = MinimumInputMessage;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var input = new EnrichmentInput();
        try
        {
            if (Obj(root, "person") is { } p)
            {
                input.FirstName = Str(p, "first_name");
                input.LastName = Str(p, "last_name");
                input.Email = Str(p, "email");
                input.Title = Str(p, "title");
                input.PersonLinkedinUrl = Str(p, "linkedinUrl");
                input.Pid = Str(p, "pid");
                input.PersonPhone = Str(p, "person_phone");
                input.PersonCountry = Str(p, "person_country");
            }
            if (Obj(root, "company") is { } c)
            {
                input.CompanyName = Str(c, "name");
                input.Lsid = Str(c, "lsid");
                input.UgLsid = Str(c, "ugLsid");
                input.Website = Str(c, "website");
                input.CompanyLinkedinUrl = Str(c, "companyLinkedinUrl") ?? Str(c, "companylinkedinUrl");
                if (Obj(c, "address") is { } a)
                {
                    input.Country = Str(a, "country");
                    input.State = Str(a, "state");
                    input.City = Str(a, "city");
                    input.Street = Str(a, "street");
                    input.PostalCode = Str(a, "postalcode");
                }
            }
            if (root.TryGetProperty("external_id", out var ext))
            {
                input.ExternalId = ext.ValueKind switch
                {
                    JsonValueKind.String => ext.GetString(),
                    JsonValueKind.Null => null,
                    JsonValueKind.Number => ext.GetRawText(),
                    _ => throw new FormatException("external_id must be a string"),
                };
            }
            if (root.TryGetProperty("custom_fields", out var cf) && cf.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
            {
                throw new FormatException("custom_fields must be a list");
            }
        }
        catch (FormatException)
        {
            return null;
        }

        if (input.FirstName is not null && input.LastName is not null &&
            (input.CompanyName is not null || input.Email is not null || input.Website is not null))
        {
            input.Kind = EnrichmentKind.Person;
        }
        else if (input.CompanyName is not null)
        {
            input.Kind = EnrichmentKind.Account;
        }
        else
        {
            return null;
        }
        error = null;
        return input;
    }

    private static JsonElement? Obj(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return e.ValueKind == JsonValueKind.Object ? e : throw new FormatException($"{name} must be an object");
    }

    private static string? Str(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var e))
        {
            return null;
        }
        return e.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => string.IsNullOrWhiteSpace(e.GetString()) ? null : e.GetString()!.Trim(),
            _ => throw new FormatException($"{name} must be a string"),
        };
    }

    /// <summary>A stable 256-bit hash of the person and company fields (never the external_id or custom fields).</summary>
    public byte[] StableHash()
    {
        var sb = new StringBuilder(256);
        void Add(string? s) => sb.Append(s?.ToLowerInvariant()).Append('\u001f');
        Add(FirstName); Add(LastName); Add(Email); Add(Title); Add(PersonLinkedinUrl); Add(Pid); Add(PersonPhone); Add(PersonCountry);
        Add(CompanyName); Add(Lsid); Add(UgLsid); Add(Website); Add(CompanyLinkedinUrl);
        Add(Country); Add(State); Add(City); Add(Street); Add(PostalCode);
        return SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
    }
}
