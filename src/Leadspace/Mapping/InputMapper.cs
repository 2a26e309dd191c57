using System;
using System.Collections.Generic;
using System.Linq;
using Leadspace.Model;

namespace Leadspace.Mapping
{
    /// <summary>
    /// Maps an input record (the properties of a CSV row, hashtable or any object) to an
    /// <see cref="EnrichmentRequest"/> using the alias table of <see cref="RequestField"/>, an explicit
    /// property map and a list of columns to send as custom fields. Plans are cached per column set, so
    /// a CSV with a million rows resolves its header once.
    /// </summary>
    public sealed class InputMapper
    {
        private readonly List<KeyValuePair<string, RequestField>> _explicitFields = new List<KeyValuePair<string, RequestField>>();
        private readonly List<KeyValuePair<string, string>> _explicitCustom = new List<KeyValuePair<string, string>>();
        private readonly Dictionary<string, MappingPlan> _plans = new Dictionary<string, MappingPlan>(StringComparer.Ordinal);

        private static readonly Dictionary<string, (RequestField Field, int Priority)> AliasIndex = BuildAliasIndex();

        /// <param name="propertyMap">Column name → target (a JSON path such as <c>company.name</c>, a parameter
        /// name such as <c>CompanyName</c>, <c>custom_fields</c>, or <c>custom_fields.&lt;name&gt;</c>).</param>
        /// <param name="customFieldColumns">Columns copied into <c>custom_fields</c> under their own names.</param>
        public InputMapper(IEnumerable<KeyValuePair<string, string>>? propertyMap = null, IEnumerable<string>? customFieldColumns = null)
        {
            if (propertyMap != null)
            {
                foreach (var kv in propertyMap)
                {
                    if (string.IsNullOrWhiteSpace(kv.Key)) throw new ArgumentException("A PropertyMap key (the input column name) is empty.");
                    var target = (kv.Value ?? string.Empty).Trim();
                    if (target.Equals(RequestField.CustomFieldsPath, StringComparison.OrdinalIgnoreCase))
                    {
                        _explicitCustom.Add(new KeyValuePair<string, string>(kv.Key, kv.Key));
                    }
                    else if (target.StartsWith(RequestField.CustomFieldsPath + ".", StringComparison.OrdinalIgnoreCase) && target.Length > RequestField.CustomFieldsPath.Length + 1)
                    {
                        _explicitCustom.Add(new KeyValuePair<string, string>(kv.Key, target.Substring(RequestField.CustomFieldsPath.Length + 1)));
                    }
                    else if (RequestField.TryFind(target, out var field))
                    {
                        _explicitFields.Add(new KeyValuePair<string, RequestField>(kv.Key, field));
                    }
                    else
                    {
                        throw new ArgumentException(
                            $"PropertyMap maps column '{kv.Key}' to '{target}', which is not a Leadspace request field. Valid targets: " +
                            string.Join(", ", RequestField.All.Select(f => f.JsonPath)) + ", custom_fields, custom_fields.<name>.");
                    }
                }
            }
            if (customFieldColumns != null)
            {
                foreach (var c in customFieldColumns)
                {
                    if (!string.IsNullOrWhiteSpace(c)) _explicitCustom.Add(new KeyValuePair<string, string>(c.Trim(), c.Trim()));
                }
            }
        }

        private static Dictionary<string, (RequestField, int)> BuildAliasIndex()
        {
            var index = new Dictionary<string, (RequestField, int)>(StringComparer.Ordinal);
            foreach (var f in RequestField.All)
            {
                int p = 0;
                foreach (var name in new[] { f.JsonPath, f.ParameterName }.Concat(f.Aliases))
                {
                    var key = RequestField.NormalizeName(name);
                    if (!index.ContainsKey(key)) index[key] = (f, p);
                    p++;
                }
            }
            return index;
        }

        /// <summary>The request field a column name maps to through the alias table, if any.</summary>
        public static RequestField? FieldForColumn(string columnName)
            => AliasIndex.TryGetValue(RequestField.NormalizeName(columnName), out var e) ? e.Field : null;

        /// <summary>Maps one record. Values are the record's property values already converted to strings.</summary>
        public EnrichmentRequest Map(IReadOnlyList<KeyValuePair<string, string?>> properties)
        {
            var plan = GetPlan(properties);
            var request = new EnrichmentRequest();
            foreach (var step in plan.Fields)
            {
                if (request.Has(step.Field)) continue;
                request.Set(step.Field, properties[step.Column].Value);
            }
            foreach (var c in plan.Custom)
            {
                request.AddCustomField(c.Name, properties[c.Column].Value);
            }
            return request;
        }

        private MappingPlan GetPlan(IReadOnlyList<KeyValuePair<string, string?>> properties)
        {
            var key = string.Join("\u001f", properties.Select(p => p.Key));
            if (_plans.TryGetValue(key, out var plan)) return plan;
            plan = BuildPlan(properties);
            if (_plans.Count > 1000) _plans.Clear(); // heterogeneous input: keep memory bounded
            _plans[key] = plan;
            return plan;
        }

        private MappingPlan BuildPlan(IReadOnlyList<KeyValuePair<string, string?>> properties)
        {
            var fields = new List<(int Column, RequestField Field, int Rank)>();
            var custom = new List<(int Column, string Name)>();
            var explicitColumns = new HashSet<int>();

            // 1. Explicit property map entries win, in the order given.
            int rank = -100000;
            foreach (var kv in _explicitFields)
            {
                int col = FindColumn(properties, kv.Key);
                if (col < 0) continue;
                fields.Add((col, kv.Value, rank++));
                explicitColumns.Add(col);
            }
            foreach (var kv in _explicitCustom)
            {
                int col = FindColumn(properties, kv.Key);
                if (col < 0) continue;
                custom.Add((col, kv.Value));
                explicitColumns.Add(col);
            }

            // 2. The alias table for every other column; the better alias ranks first.
            for (int i = 0; i < properties.Count; i++)
            {
                if (explicitColumns.Contains(i)) continue;
                if (AliasIndex.TryGetValue(RequestField.NormalizeName(properties[i].Key), out var e))
                {
                    fields.Add((i, e.Field, e.Priority));
                }
            }

            return new MappingPlan(
                fields.OrderBy(f => f.Rank).Select(f => new FieldStep(f.Column, f.Field)).ToArray(),
                custom.Select(c => new CustomStep(c.Column, c.Name)).ToArray());
        }

        private static int FindColumn(IReadOnlyList<KeyValuePair<string, string?>> properties, string name)
        {
            for (int i = 0; i < properties.Count; i++)
                if (string.Equals(properties[i].Key, name, StringComparison.Ordinal)) return i;
            for (int i = 0; i < properties.Count; i++)
                if (string.Equals(properties[i].Key, name, StringComparison.OrdinalIgnoreCase)) return i;
            return -1;
        }

        private readonly struct FieldStep
        {
            public FieldStep(int column, RequestField field) { Column = column; Field = field; }
            public int Column { get; }
            public RequestField Field { get; }
        }

        private readonly struct CustomStep
        {
            public CustomStep(int column, string name) { Column = column; Name = name; }
            public int Column { get; }
            public string Name { get; }
        }

        private sealed class MappingPlan
        {
            public MappingPlan(FieldStep[] fields, CustomStep[] custom) { Fields = fields; Custom = custom; }
            public FieldStep[] Fields { get; }
            public CustomStep[] Custom { get; }
        }
    }
}
