using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Leadspace.Mapping;

namespace Leadspace.Model
{
    /// <summary>A custom field sent in <c>custom_fields[]</c>.</summary>
    public sealed class CustomField
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
    public sealed class EnrichmentRequest
    {
        private readonly Dictionary<RequestField, string> _values = new Dictionary<RequestField, string>();
        private readonly List<CustomField> _customFields = new List<CustomField>();

        public IReadOnlyDictionary<RequestField, string> Values => _values;
        public IReadOnlyList<CustomField> CustomFields => _customFields;

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

        internal static string? Clean(string? value)
        {
            if (value == null) return null;
            var t = value.Trim();
            return t.Length == 0 ? null : t;
        }

        /// <summary>The request body as UTF-8 JSON.</summary>
        public byte[] ToJsonUtf8()
        {
            using var ms = new MemoryStream(256);
            using (var w = new Utf8JsonWriter(ms))
            {
                WriteTo(w);
            }
            return ms.ToArray();
        }

        public string ToJson() => Encoding.UTF8.GetString(ToJsonUtf8());

        public void WriteTo(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            // Group the dotted paths into nested objects, preserving the documented field order.
            WriteLevel(w, RequestField.All.Where(_values.ContainsKey).ToList(), 0);
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

        private void WriteLevel(Utf8JsonWriter w, List<RequestField> fields, int depth)
        {
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in fields)
            {
                var seg = f.Segments[depth];
                if (f.Segments.Length == depth + 1)
                {
                    w.WriteString(seg, _values[f]);
                }
                else if (written.Add(seg))
                {
                    w.WritePropertyName(seg);
                    w.WriteStartObject();
                    WriteLevel(w, fields.Where(x => x.Segments.Length > depth + 1 && x.Segments[depth] == seg).ToList(), depth + 1);
                    w.WriteEndObject();
                }
            }
        }
    }
}
