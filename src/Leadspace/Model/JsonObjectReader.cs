using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace Leadspace.Model
{
    /// <summary>
    /// Reads one JSON object tolerantly: a string field that arrives as a number still reads, a list that
    /// arrives as a single value becomes a one-item list, unknown values never fail. Every property not read
    /// by the typed model is kept in <see cref="Rest"/>, so nothing in the response is lost.
    /// </summary>
    internal sealed class JsonObjectReader
    {
        private readonly JsonElement _element;
        private readonly HashSet<string> _read = new HashSet<string>(StringComparer.Ordinal);

        public JsonObjectReader(JsonElement element) { _element = element; }

        public static bool IsObject(JsonElement e) => e.ValueKind == JsonValueKind.Object;

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

        public string? String(string name) => TryGet(name, out var v) ? AsString(v) : null;

        public long? Long(string name) => TryGet(name, out var v) ? AsLong(v) : null;

        public decimal? Decimal(string name) => TryGet(name, out var v) ? AsDecimal(v) : null;

        public List<string> Strings(string name)
        {
            var list = new List<string>();
            if (!TryGet(name, out var v)) return list;
            if (v.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in v.EnumerateArray())
                {
                    var s = AsString(item);
                    if (s != null) list.Add(s);
                }
            }
            else
            {
                var s = AsString(v);
                if (s != null) list.Add(s);
            }
            return list;
        }

        public T? Object<T>(string name, Func<JsonElement, T> read) where T : class
            => TryGet(name, out var v) && v.ValueKind == JsonValueKind.Object ? read(v) : null;

        /// <summary>A list of objects; a single object where a list was expected reads as a one-item list.</summary>
        public List<T> Objects<T>(string name, Func<JsonElement, T> read)
        {
            var list = new List<T>();
            if (!TryGet(name, out var v)) return list;
            if (v.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in v.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.Object) list.Add(read(item));
            }
            else if (v.ValueKind == JsonValueKind.Object)
            {
                list.Add(read(v));
            }
            return list;
        }

        /// <summary>Any value, converted to plain .NET values (dictionaries, lists, strings, numbers, booleans).</summary>
        public object? Any(string name) => TryGet(name, out var v) ? ToPlain(v) : null;

        /// <summary>The properties the model did not read.</summary>
        public Dictionary<string, object?> Rest()
        {
            var rest = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (_element.ValueKind != JsonValueKind.Object) return rest;
            foreach (var p in _element.EnumerateObject())
            {
                if (!_read.Contains(p.Name)) rest[p.Name] = ToPlain(p.Value);
            }
            return rest;
        }

        public static string? AsString(JsonElement v)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.String: return v.GetString();
                case JsonValueKind.Number: return v.GetRawText();
                case JsonValueKind.True: return "true";
                case JsonValueKind.False: return "false";
                case JsonValueKind.Array: return string.Join("; ", v.EnumerateArray().Select(AsString).Where(s => s != null));
                case JsonValueKind.Object: return v.GetRawText();
                default: return null;
            }
        }

        public static long? AsLong(JsonElement v)
        {
            if (v.ValueKind == JsonValueKind.Number)
            {
                if (v.TryGetInt64(out var l)) return l;
                if (v.TryGetDecimal(out var d)) return (long)Math.Round(d);
                return null;
            }
            if (v.ValueKind == JsonValueKind.String)
            {
                var s = v.GetString();
                if (long.TryParse(s, NumberStyles.Integer | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var l)) return l;
                if (decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d)) return (long)Math.Round(d);
            }
            return null;
        }

        public static decimal? AsDecimal(JsonElement v)
        {
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d)) return d;
            if (v.ValueKind == JsonValueKind.String
                && decimal.TryParse(v.GetString(), NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var ds)) return ds;
            return null;
        }

        public static object? ToPlain(JsonElement v)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.Object:
                    var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var p in v.EnumerateObject()) dict[p.Name] = ToPlain(p.Value);
                    return dict;
                case JsonValueKind.Array:
                    return v.EnumerateArray().Select(ToPlain).ToList();
                case JsonValueKind.String: return v.GetString();
                case JsonValueKind.Number:
                    if (v.TryGetInt64(out var l)) return l;
                    if (v.TryGetDecimal(out var d)) return d;
                    return v.GetDouble();
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                default: return null;
            }
        }
    }
}
