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
    internal sealed class InputMapper
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

        /// <summary>The request field a column name maps to without a property map (the alias table, then the export
        /// rules of <see cref="ColumnRules"/>), if any.</summary>
        public static RequestField? FieldForColumn(string columnName)
        {
            var alias = ColumnRules.IsStructured(columnName) ? null : AliasField(RequestField.NormalizeName(columnName));
            return alias ?? ColumnRules.Classify(columnName, null).Field;
        }

        /// <summary>The field of an exact alias (a name already normalised by <see cref="RequestField.NormalizeName"/>).</summary>
        internal static RequestField? AliasField(string normalizedName)
            => AliasIndex.TryGetValue(normalizedName, out var e) ? e.Field : null;

        /// <summary>Maps one record whose values are all text (tests, simple callers).</summary>
        public EnrichmentRequest Map(IReadOnlyList<KeyValuePair<string, string?>> properties)
            => Map(properties.Select(p => InputProperty.Of(p.Key, p.Value)).ToList());

        /// <summary>Explicit -PropertyMap keys and -CustomField names that matched no column of the last record mapped.</summary>
        public IReadOnlyList<string> LastUnmatched { get; private set; } = Array.Empty<string>();

        /// <summary>When the last record looked like a CSV read with the wrong delimiter: the delimiter to use.</summary>
        public string? LastDelimiterHint { get; private set; }

        /// <summary>Which column went to which field for the last record's set of columns.</summary>
        public MappingReport? LastReport { get; private set; }

        /// <summary>True when the last record had a set of columns not seen before (its report is new).</summary>
        public bool LastReportIsNew { get; private set; }

        /// <summary>The first column of the last record whose value looks mis-decoded (U+FFFD, "Ã©", "â€™"), or null.</summary>
        public string? LastEncodingSuspect { get; private set; }

        /// <summary>
        /// Maps one record. A mapped column whose value is not one value (a list, a nested object, an object that only
        /// prints its type name) is never sent: the request records a problem naming the column and the type, and
        /// the validator turns it into an Invalid row. The API's own nested shape is taken on purpose:
        /// <c>@{ person = @{ first_name = … }; company = @{ name = …; address = @{ city = … } }; custom_fields = @(@{ name = …; value = … }) }</c>.
        /// </summary>
        public EnrichmentRequest Map(IReadOnlyList<InputProperty> record)
        {
            var properties = Flatten(record, out var apiCustomFields);
            var plan = GetPlan(properties, out var isNew);
            LastUnmatched = plan.Unmatched;
            LastDelimiterHint = plan.DelimiterHint;
            LastReport = plan.Report;
            LastReportIsNew = isNew;
            LastEncodingSuspect = InputChecks.MisdecodedColumn(properties, plan.Fields.Select(f => f.Column).Concat(plan.Custom.Select(c => c.Column)));
            var request = new EnrichmentRequest();
            foreach (var step in plan.Fields)
            {
                if (request.Has(step.Field) || request.HasProblem(step.Field)) continue;
                var p = properties[step.Column];
                var problem = ProblemOf(p, step.Field.JsonPath);
                if (problem != null) { request.AddProblem(step.Field, problem); continue; }
                request.Set(step.Field, p.Text);
            }
            foreach (var c in plan.Custom)
            {
                var p = properties[c.Column];
                var problem = ProblemOf(p, "custom_fields." + c.Name);
                if (problem != null) { request.AddProblem(null, problem); continue; }
                request.AddCustomField(c.Name, p.Text);
            }
            foreach (var (name, value) in apiCustomFields)
            {
                var problem = ProblemOf(value, "custom_fields." + name);
                if (problem != null) request.AddProblem(null, problem);
                else request.AddCustomField(name, value.Text);
            }
            if (InputChecks.RepeatsHeader(properties, plan.Fields.Select(f => f.Column).Concat(plan.Custom.Select(c => c.Column))) is string repeated)
            {
                request.AddProblem(null, repeated);
            }
            if (plan.DelimiterHint != null && request.IsEmpty)
            {
                request.AddProblem(null, $"The row has a single column, '{Shorten(properties[0].Name)}', whose name holds several field names: this looks like a CSV read with the wrong delimiter. Use Import-Csv -Delimiter '{plan.DelimiterHint}'.");
            }
            return request;
        }

        private static string? ProblemOf(InputProperty p, string target)
        {
            switch (p.Kind)
            {
                case InputValueKind.List:
                    return $"Column '{p.Name}' holds {p.Count} values (a {p.TypeName}), but {target} takes one; send one value per row (a joined list is never sent).";
                case InputValueKind.Nested:
                    return $"Column '{p.Name}' holds a nested {p.TypeName} ({Shorten(p.Text)}), but {target} takes one text value; flatten it or map one of its properties with -PropertyMap.";
                case InputValueKind.Unprintable:
                    return $"Column '{p.Name}' holds a {p.TypeName} whose text is only its type name, so {target} would get that name; pass the property you mean (e.g. with Select-Object or -PropertyMap).";
                default:
                    return null;
            }
        }

        private static string Shorten(string? text) => text == null ? string.Empty : text.Length <= 60 ? text : text.Substring(0, 60) + "…";

        /// <summary>Person and company objects in the API's own shape become dotted columns (company.address.city);
        /// custom_fields as a list of {name, value} become custom fields.</summary>
        private static IReadOnlyList<InputProperty> Flatten(IReadOnlyList<InputProperty> record, out List<(string Name, InputProperty Value)> customFields)
        {
            customFields = new List<(string, InputProperty)>();
            bool nested = false;
            foreach (var p in record) if (p.Kind == InputValueKind.Nested || p.Items != null) { nested = true; break; }
            if (!nested) return record;
            var flat = new List<InputProperty>(record.Count + 8);
            foreach (var p in record)
            {
                var key = RequestField.NormalizeName(p.Name);
                if (p.Kind == InputValueKind.Nested && p.Children != null && (key == "person" || key == "company"))
                {
                    AddDotted(flat, p.Name, p.Children);
                }
                else if (key == "customfields" && (p.Items != null || (p.Kind == InputValueKind.Nested && p.Children != null)))
                {
                    foreach (var item in p.Items ?? new[] { p.Children! })
                    {
                        var name = item.FirstOrDefault(c => string.Equals(c.Name, "name", StringComparison.OrdinalIgnoreCase));
                        var value = item.FirstOrDefault(c => string.Equals(c.Name, "value", StringComparison.OrdinalIgnoreCase));
                        if (name?.Text != null && value != null) customFields.Add((name.Text, value));
                    }
                }
                else
                {
                    flat.Add(p);
                }
            }
            return flat;
        }

        private static void AddDotted(List<InputProperty> flat, string prefix, IReadOnlyList<InputProperty> children)
        {
            foreach (var c in children)
            {
                var name = prefix + "." + c.Name;
                if (c.Kind == InputValueKind.Nested && c.Children != null) AddDotted(flat, name, c.Children);
                else flat.Add(new InputProperty(name, c.Text, c.Kind, c.TypeName, c.Count, c.Children, c.Items));
            }
        }

        private MappingPlan GetPlan(IReadOnlyList<InputProperty> properties, out bool isNew)
        {
            var key = string.Join("\u001f", properties.Select(p => p.Name));
            isNew = false;
            if (_plans.TryGetValue(key, out var plan)) return plan;
            isNew = true;
            plan = BuildPlan(properties);
            if (_plans.Count > 1000) _plans.Clear(); // heterogeneous input: keep memory bounded
            _plans[key] = plan;
            return plan;
        }

        private MappingPlan BuildPlan(IReadOnlyList<InputProperty> properties)
        {
            var fields = new List<(int Column, RequestField Field, int Rank)>();
            var custom = new List<(int Column, string Name)>();
            var explicitColumns = new HashSet<int>();
            var unmatched = new List<string>();

            // 1. Explicit property map entries win, in the order given.
            int rank = -100000;
            foreach (var kv in _explicitFields)
            {
                int col = FindColumn(properties, kv.Key);
                if (col < 0) { unmatched.Add(kv.Key); continue; }
                fields.Add((col, kv.Value, rank++));
                explicitColumns.Add(col);
            }
            foreach (var kv in _explicitCustom)
            {
                int col = FindColumn(properties, kv.Key);
                if (col < 0) { unmatched.Add(kv.Key); continue; }
                custom.Add((col, kv.Value));
                explicitColumns.Add(col);
            }

            // 2. Every other column by the alias table and the export rules (ColumnRules): the lower tier ranks first
            //    (Company City before City before Mailing City), then the table's order.
            var verdicts = new ColumnVerdict[properties.Count];
            for (int i = 0; i < properties.Count; i++)
            {
                if (explicitColumns.Contains(i)) continue;
                var hasAlias = AliasIndex.TryGetValue(RequestField.NormalizeName(properties[i].Name), out var e) && !ColumnRules.IsStructured(properties[i].Name);
                var verdict = ColumnRules.Classify(properties[i].Name, hasAlias ? e.Field : null);
                // The exact alias table is documented: its field stands; the rules only rank it.
                if (hasAlias && verdict.Field != e.Field) verdict = ColumnVerdict.Maps(e.Field, 1);
                verdicts[i] = verdict;
                if (verdict.Field != null) fields.Add((i, verdict.Field, verdict.Tier * 1000 + (hasAlias ? e.Priority : 999)));
            }

            var ordered = fields.OrderBy(f => f.Rank).ThenBy(f => f.Column).ToList();
            // The row's id comes from one column only: a Contact ID never falls back to an Account ID on some rows.
            var idColumn = ordered.FirstOrDefault(f => f.Field == RequestField.ExternalId && !explicitColumns.Contains(f.Column));
            var explicitId = ordered.Any(f => f.Field == RequestField.ExternalId && explicitColumns.Contains(f.Column));
            var notes = new string?[properties.Count];
            var dropped = new HashSet<int>();
            foreach (var f in ordered)
            {
                if (f.Field != RequestField.ExternalId || explicitColumns.Contains(f.Column)) continue;
                if (explicitId || f.Column != idColumn.Column) { dropped.Add(f.Column); notes[f.Column] = "the row's id is taken from one column only"; }
            }
            ordered.RemoveAll(f => dropped.Contains(f.Column));

            var report = Report(properties, ordered, custom, explicitColumns, verdicts, notes);
            return new MappingPlan(
                ordered.Select(f => new FieldStep(f.Column, f.Field)).ToArray(),
                custom.Select(c => new CustomStep(c.Column, c.Name)).ToArray(),
                unmatched.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
                fields.Count == 0 && custom.Count == 0 ? DelimiterOf(properties) : null,
                report);
        }

        private static MappingReport Report(IReadOnlyList<InputProperty> properties, List<(int Column, RequestField Field, int Rank)> ordered,
            List<(int Column, string Name)> custom, HashSet<int> explicitColumns, ColumnVerdict[] verdicts, string?[] notes)
        {
            var columns = new List<ColumnMapping>(properties.Count);
            var lookAlikes = new List<string>();
            for (int i = 0; i < properties.Count; i++)
            {
                var name = properties[i].Name;
                int at = ordered.FindIndex(f => f.Column == i);
                if (at >= 0)
                {
                    var field = ordered[at].Field;
                    var better = ordered.Take(at).Where(f => f.Field == field).Select(f => $"'{properties[f.Column].Name}'").ToList();
                    string? note = explicitColumns.Contains(i) ? "-PropertyMap" : better.Count > 0 ? "used when " + string.Join(" and ", better) + (better.Count > 1 ? " are" : " is") + " empty" : null;
                    columns.Add(new ColumnMapping(name, field.JsonPath, note));
                    continue;
                }
                var c = custom.FindIndex(x => x.Column == i);
                if (c >= 0) { columns.Add(new ColumnMapping(name, RequestField.CustomFieldsPath + "." + custom[c].Name, null)); continue; }
                var verdict = verdicts[i];
                columns.Add(new ColumnMapping(name, null, notes[i] ?? verdict.IgnoredBecause));
                if (verdict.LookAlike) lookAlikes.Add(name);
            }
            return new MappingReport(columns, lookAlikes);
        }

        /// <summary>A record with one column whose name holds two or more known field names joined by a delimiter.</summary>
        private static string? DelimiterOf(IReadOnlyList<InputProperty> properties)
        {
            if (properties.Count != 1) return null;
            foreach (var d in new[] { ';', ',', '\t', '|' })
            {
                var parts = properties[0].Name.Split(d);
                if (parts.Length < 2) continue;
                if (parts.Count(part => FieldForColumn(part.Trim().Trim('"')) != null) >= 2) return d == '\t' ? "`t" : d.ToString();
            }
            return null;
        }

        private static int FindColumn(IReadOnlyList<InputProperty> properties, string name)
        {
            for (int i = 0; i < properties.Count; i++)
                if (string.Equals(properties[i].Name, name, StringComparison.Ordinal)) return i;
            for (int i = 0; i < properties.Count; i++)
                if (string.Equals(properties[i].Name, name, StringComparison.OrdinalIgnoreCase)) return i;
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
            public MappingPlan(FieldStep[] fields, CustomStep[] custom, string[] unmatched, string? delimiterHint, MappingReport report)
            {
                Fields = fields; Custom = custom; Unmatched = unmatched; DelimiterHint = delimiterHint; Report = report;
            }
            public MappingReport Report { get; }
            public FieldStep[] Fields { get; }
            public CustomStep[] Custom { get; }
            public string[] Unmatched { get; }
            public string? DelimiterHint { get; }
        }
    }
}
