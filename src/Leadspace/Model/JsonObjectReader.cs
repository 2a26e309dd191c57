using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace Leadspace.Model
{
    /// <summary>
    /// Reads one JSON object of the answer into the typed model without losing anything. A value is typed when it
    /// converts without loss: a number or a boolean where the spec has a string reads as its JSON text, a numeric
    /// string where the spec has a number reads as that number, a single value where the spec has a list reads as
    /// a one-item list. Every other value (an array where an object was expected, a fraction or a negative number
    /// where the spec has an unsigned integer, text where it has a number...) is kept as sent in
    /// <see cref="Rest"/> (the object's AdditionalProperties), as are the properties the model does not know, and
    /// each of them is recorded, by field path, in the answer's <see cref="UntypedValue"/> list.
    /// </summary>
    internal sealed class JsonObjectReader
    {
        private readonly JsonElement _element;
        private readonly List<UntypedValue> _log;
        private readonly HashSet<string> _read = new HashSet<string>(StringComparer.Ordinal);
        private readonly HashSet<string> _kept = new HashSet<string>(StringComparer.Ordinal);

        public JsonObjectReader(JsonElement element, string path, List<UntypedValue> log)
        {
            _element = element;
            Path = path;
            _log = log;
        }

        /// <summary>Reads a standalone JSON object (e.g. an OAuth answer), outside an enrichment answer.</summary>
        public JsonObjectReader(JsonElement element) : this(element, string.Empty, new List<UntypedValue>()) { }

        /// <summary>The field path of this object, e.g. <c>data.company.family_tree.companies[]</c> ("" for the answer).</summary>
        public string Path { get; }

        /// <summary>True when the object has no property with a value (<c>{}</c>, or only nulls).</summary>
        public bool IsEmpty => _element.ValueKind != JsonValueKind.Object
            || !_element.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.Null);

        public static string Combine(string path, string name) => path.Length == 0 ? name : path + "." + name;

        /// <summary>The value of <paramref name="name"/> unless it is absent or null. Marks the name as read.</summary>
        public bool TryGet(string name, out JsonElement value)
        {
            _read.Add(name);
            if (_element.ValueKind == JsonValueKind.Object && _element.TryGetProperty(name, out value)
                && value.ValueKind != JsonValueKind.Null && value.ValueKind != JsonValueKind.Undefined)
            {
                return true;
            }
            value = default;
            return false;
        }

        /// <summary>Keeps a value the typed model cannot hold in <see cref="Rest"/> and records it.</summary>
        public void Keep(string name, JsonElement value, string expected)
        {
            _kept.Add(name);
            _log.Add(new UntypedValue(Combine(Path, name), KindOf(value), expected));
        }

        /// <summary>A spec <c>string</c>: strings as they are; numbers and booleans as their JSON text.</summary>
        public string? String(string name)
        {
            if (!TryGet(name, out var v)) return null;
            var s = ScalarText(v);
            if (s == null) Keep(name, v, "a string");
            return s;
        }

        /// <summary>A spec <c>number</c> or <c>decimal</c>: fractions kept; a numeric string reads as its number.</summary>
        public decimal? Number(string name)
        {
            if (!TryGet(name, out var v)) return null;
            var d = AsDecimal(v);
            if (d == null) Keep(name, v, "a number");
            return d;
        }

        /// <summary>A spec <c>unsigned integer</c>: a whole number of zero or more (12.0 and "12" read as 12; 12.5 and -3 do not).</summary>
        public long? UnsignedInteger(string name)
        {
            if (!TryGet(name, out var v)) return null;
            var d = AsDecimal(v);
            if (d is decimal x && x >= 0 && x <= long.MaxValue && x == decimal.Truncate(x)) return (long)x;
            Keep(name, v, "an unsigned integer");
            return null;
        }

        /// <summary>A whole number, fractions rounded (for bodies other than the enrichment answer, e.g. OAuth's <c>expiration</c>).</summary>
        public long? Long(string name)
        {
            if (!TryGet(name, out var v)) return null;
            var d = AsDecimal(v);
            if (d is decimal x && x >= long.MinValue && x <= long.MaxValue) return (long)Math.Round(x);
            Keep(name, v, "a whole number");
            return null;
        }

        /// <summary>A spec list of strings; a single string (or number) reads as a one-item list.</summary>
        public List<string> Strings(string name)
        {
            var list = new List<string>();
            if (!TryGet(name, out var v)) return list;
            if (v.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in v.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Null) continue;
                    var s = ScalarText(item);
                    if (s == null)
                    {
                        Keep(name, v, "a list of strings");
                        return new List<string>();
                    }
                    list.Add(s);
                }
                return list;
            }
            var one = ScalarText(v);
            if (one == null) Keep(name, v, "a list of strings");
            else list.Add(one);
            return list;
        }

        /// <summary>A spec nested object.</summary>
        public T? Object<T>(string name, Func<JsonObjectReader, T> read) where T : ResponseObject
        {
            if (!TryGet(name, out var v)) return null;
            if (v.ValueKind != JsonValueKind.Object)
            {
                Keep(name, v, "an object");
                return null;
            }
            return ReadObject(v, Combine(Path, name), read);
        }

        /// <summary>A spec list of objects; a single object reads as a one-item list.</summary>
        public List<T> Objects<T>(string name, Func<JsonObjectReader, T> read) where T : ResponseObject
        {
            var list = new List<T>();
            if (!TryGet(name, out var v)) return list;
            var itemPath = Combine(Path, name) + "[]";
            if (v.ValueKind == JsonValueKind.Object)
            {
                list.Add(ReadObject(v, itemPath, read));
                return list;
            }
            if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.Object && i.ValueKind != JsonValueKind.Null))
            {
                Keep(name, v, "a list of objects");
                return list;
            }
            foreach (var item in v.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object) list.Add(ReadObject(item, itemPath, read));
            }
            return list;
        }

        private T ReadObject<T>(JsonElement v, string path, Func<JsonObjectReader, T> read) where T : ResponseObject
        {
            var reader = new JsonObjectReader(v, path, _log);
            var result = read(reader);
            result.AdditionalProperties = reader.Rest();
            result.IsEmpty = reader.IsEmpty;
            return result;
        }

        /// <summary>A value whose shape the spec does not give, converted to plain .NET values.</summary>
        public object? Any(string name) => TryGet(name, out var v) ? ToPlain(v) : null;

        /// <summary>
        /// The properties the model did not read, and those whose values it could not hold, in the answer's order,
        /// as plain .NET values (dictionaries, lists, strings, numbers, booleans). Unknown properties are recorded
        /// (unless null).
        /// </summary>
        public Dictionary<string, object?> Rest()
        {
            var rest = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (_element.ValueKind != JsonValueKind.Object) return rest;
            foreach (var p in _element.EnumerateObject())
            {
                if (_read.Contains(p.Name) && !_kept.Contains(p.Name)) continue;
                if (rest.ContainsKey(p.Name)) continue; // a duplicate key: the typed model read one of them
                rest[p.Name] = ToPlain(p.Value);
                if (!_read.Contains(p.Name) && p.Value.ValueKind != JsonValueKind.Null)
                    _log.Add(new UntypedValue(Combine(Path, p.Name), KindOf(p.Value), null));
            }
            return rest;
        }

        /// <summary>The JSON kind as a word: object, array, string, number, boolean, null.</summary>
        public static string KindOf(JsonElement v)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.Object: return "object";
                case JsonValueKind.Array: return "array";
                case JsonValueKind.String: return "string";
                case JsonValueKind.Number: return "number";
                case JsonValueKind.True:
                case JsonValueKind.False: return "boolean";
                default: return "null";
            }
        }

        /// <summary>A string, or the JSON text of a number or boolean; null for objects, arrays and null.</summary>
        public static string? ScalarText(JsonElement v)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.String: return v.GetString();
                case JsonValueKind.Number: return v.GetRawText();
                case JsonValueKind.True: return "true";
                case JsonValueKind.False: return "false";
                default: return null;
            }
        }

        private const NumberStyles NumberText = NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite
            | NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

        /// <summary>A JSON number, or a string holding one in the invariant form ("12.6", "1e3"; not "1,000").</summary>
        public static decimal? AsDecimal(JsonElement v)
        {
            if (v.ValueKind == JsonValueKind.Number) return v.TryGetDecimal(out var d) ? d : (decimal?)null;
            if (v.ValueKind == JsonValueKind.String
                && decimal.TryParse(v.GetString(), NumberText, CultureInfo.InvariantCulture, out var ds)) return ds;
            return null;
        }

        /// <summary>Plain .NET values: dictionaries, lists, strings, numbers (long, decimal, double, or the JSON text
        /// when none holds it exactly), booleans.</summary>
        public static object? ToPlain(JsonElement v)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.Object:
                    var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var p in v.EnumerateObject())
                    {
                        if (!dict.ContainsKey(p.Name)) dict[p.Name] = ToPlain(p.Value);
                    }
                    return dict;
                case JsonValueKind.Array:
                    return v.EnumerateArray().Select(ToPlain).ToList();
                case JsonValueKind.String: return v.GetString();
                case JsonValueKind.Number:
                    if (v.TryGetInt64(out var l)) return l;
                    var raw = v.GetRawText();
                    if (raw.IndexOfAny(new[] { 'e', 'E' }) < 0 && v.TryGetDecimal(out var d)) return d;
                    if (v.TryGetDouble(out var x) && !double.IsInfinity(x) && string.Equals(x.ToString("R", CultureInfo.InvariantCulture), raw, StringComparison.OrdinalIgnoreCase)) return x;
                    return raw;
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                default: return null;
            }
        }
    }

    /// <summary>
    /// A value of the answer that the typed model does not hold in a typed property: a field the spec does not
    /// name, or a value of another JSON kind than the spec gives. The value itself is in the AdditionalProperties
    /// of the object that holds it (see -AsResponse).
    /// </summary>
    public sealed class UntypedValue
    {
        internal UntypedValue(string path, string jsonKind, string? expected)
        {
            Path = path;
            JsonKind = jsonKind;
            Expected = expected;
        }

        /// <summary>The field path, with <c>[]</c> for list items (e.g. <c>data.company.family_tree.companies[].size</c>); "" for the answer itself.</summary>
        public string Path { get; }

        /// <summary>What was sent: object, array, string, number or boolean.</summary>
        public string JsonKind { get; }

        /// <summary>What the spec gives for the field ("an object", "a number"...), or null for a field the spec does not name.</summary>
        public string? Expected { get; }

        /// <summary>One line for the verbose stream.</summary>
        internal string Describe()
        {
            var where = Path.Length == 0 ? "the answer itself" : Path;
            return Expected == null
                ? $"The answer has a field the module does not know: {where} ({JsonKind}). It is kept as sent in AdditionalProperties (see -AsResponse)."
                : $"The answer has {where} as {Article(JsonKind)} where the spec has {Expected}. It is kept as sent in AdditionalProperties (see -AsResponse).";
        }

        /// <summary>"an object", "a number".</summary>
        internal static string Article(string kind) => (kind.Length > 0 && "aeiou".IndexOf(kind[0]) >= 0 ? "an " : "a ") + kind;

        public override string ToString() => $"{(Path.Length == 0 ? "(answer)" : Path)}: {JsonKind}" + (Expected != null ? $" (expected {Expected})" : " (unknown field)");
    }
}
