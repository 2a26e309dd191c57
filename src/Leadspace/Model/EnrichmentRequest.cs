using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Leadspace.Mapping;

namespace Leadspace.Model
{
    /// <summary>A custom field sent in <c>custom_fields[]</c>.</summary>
    internal sealed class CustomField
    {
        public CustomField(string name, string value) { Name = name; Value = value; }
        public string Name { get; }
        public string Value { get; }
        public override string ToString() => Name + "=" + Value;
    }

    /// <summary>
    /// One enrichment request: the values of the request table's fields (empty values are never kept)
    /// and the custom fields. Serialised with the JSON spellings of the spec's sample request schema.
    /// </summary>
    internal sealed class EnrichmentRequest
    {
        private readonly Dictionary<RequestField, string> _values = new Dictionary<RequestField, string>();
        private readonly List<CustomField> _customFields = new List<CustomField>();
        private List<string>? _problems;
        private HashSet<RequestField>? _problemFields;

        public IReadOnlyDictionary<RequestField, string> Values => _values;
        public IReadOnlyList<CustomField> CustomFields => _customFields;

        /// <summary>Why some input could not be sent (a list or object where one value belongs): the row is invalid.</summary>
        public IReadOnlyList<string> Problems => (IReadOnlyList<string>?)_problems ?? Array.Empty<string>();

        public void AddProblem(RequestField? field, string problem)
        {
            (_problems ??= new List<string>()).Add(problem);
            if (field != null) (_problemFields ??= new HashSet<RequestField>()).Add(field);
        }

        public bool HasProblem(RequestField field) => _problemFields != null && _problemFields.Contains(field);

        /// <summary>Sets a field; whitespace-only and null values count as empty and clear it.</summary>
        public void Set(RequestField field, string? value)
        {
            var v = Clean(value);
            if (v == null) _values.Remove(field); else _values[field] = v;
        }

        public void AddCustomField(string name, string? value)
        {
            var v = Clean(value);
            if (v != null && !string.IsNullOrWhiteSpace(name)) _customFields.Add(new CustomField(name.Trim(), v));
        }

        public string? Get(RequestField field) => _values.TryGetValue(field, out var v) ? v : null;

        public bool Has(RequestField field) => _values.ContainsKey(field);

        public string? ExternalId => Get(RequestField.ExternalId);

        public bool IsEmpty => _values.Count == 0 && _customFields.Count == 0;

        /// <summary>The value without surrounding whitespace and invisible characters (zero-width spaces, joiners,
        /// byte-order marks, soft hyphens, control characters); null when nothing visible is left.</summary>
        internal static string? Clean(string? value)
        {
            if (value == null) return null;
            int start = 0, end = value.Length - 1;
            while (start <= end && IsInvisible(value[start])) start++;
            while (end >= start && IsInvisible(value[end])) end--;
            if (start > end) return null;
            return start == 0 && end == value.Length - 1 ? value : value.Substring(start, end - start + 1);
        }

        private static bool IsInvisible(char c)
        {
            if (c < 0x80) return c <= ' ' || c == 0x7F;
            if (char.IsWhiteSpace(c)) return true;
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            return category == UnicodeCategory.Format || category == UnicodeCategory.Control;
        }

        /// <summary>The request body as UTF-8 JSON.</summary>
        public byte[] ToJsonUtf8()
        {
            using var ms = new MemoryStream(256);
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = MinimalJsonEncoder.Instance }))
            {
                WriteTo(w);
            }
            return ms.ToArray();
        }

        public string ToJson() => Encoding.UTF8.GetString(ToJsonUtf8());

        /// <summary>
        /// The request's identity for the run journal and in-run dedupe: a SHA-256 of the body without
        /// <c>external_id</c> (correlation only: "not used for the processing what so ever"), with emails and the
        /// website compared without case. Two rows with the same key get the same answer; row order, extra columns
        /// and the input file do not matter.
        /// </summary>
        public string CanonicalKey()
        {
            using var ms = new MemoryStream(256);
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = MinimalJsonEncoder.Instance }))
            {
                WriteTo(w, canonical: true);
            }
            var hash = (_sha ??= SHA256.Create()).ComputeHash(ms.GetBuffer(), 0, (int)ms.Length);
            var sb = new StringBuilder(32);
            for (int i = 0; i < 16; i++) sb.Append(hash[i].ToString("x2", CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        [ThreadStatic] private static SHA256? _sha; // one per thread: creating one per row costs more than hashing

        public void WriteTo(Utf8JsonWriter w) => WriteTo(w, canonical: false);

        private void WriteTo(Utf8JsonWriter w, bool canonical)
        {
            w.WriteStartObject();
            // Group the dotted paths into nested objects, preserving the documented field order.
            var fields = RequestField.All.Where(_values.ContainsKey);
            if (canonical) fields = fields.Where(f => f != RequestField.ExternalId);
            WriteLevel(w, fields.ToList(), 0, canonical);
            if (_customFields.Count > 0)
            {
                w.WritePropertyName(RequestField.CustomFieldsPath);
                w.WriteStartArray();
                foreach (var c in _customFields)
                {
                    w.WriteStartObject();
                    w.WriteString("name", c.Name);
                    w.WriteString("value", c.Value);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }

        private void WriteLevel(Utf8JsonWriter w, List<RequestField> fields, int depth, bool canonical)
        {
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in fields)
            {
                var seg = f.Segments[depth];
                if (f.Segments.Length == depth + 1)
                {
                    var value = _values[f];
                    if (canonical && (f == RequestField.Email || f == RequestField.Website)) value = value.ToLowerInvariant();
                    w.WriteString(seg, value);
                }
                else if (written.Add(seg))
                {
                    w.WritePropertyName(seg);
                    w.WriteStartObject();
                    WriteLevel(w, fields.Where(x => x.Segments.Length > depth + 1 && x.Segments[depth] == seg).ToList(), depth + 1, canonical);
                    w.WriteEndObject();
                }
            }
        }
    }
}
