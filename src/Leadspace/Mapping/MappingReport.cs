using System.Collections.Generic;
using System.Linq;

namespace Leadspace.Mapping
{
    /// <summary>One input column in the <see cref="MappingReport"/>: the request field it feeds (null when ignored) and why.</summary>
    public sealed class ColumnMapping
    {
        internal ColumnMapping(string column, string? field, string? note)
        {
            Column = column; Field = field; Note = note;
        }

        /// <summary>The input column's name.</summary>
        public string Column { get; }
        /// <summary>The request field's JSON path (<c>company.address.state</c>, <c>custom_fields.segment</c>), or null when ignored.</summary>
        public string? Field { get; }
        /// <summary>Why: -PropertyMap, a fallback for a better column, why a recognised column is not sent…</summary>
        public string? Note { get; }

        public override string ToString()
            => $"'{Column}' → " + (Field ?? "ignored") + (Note != null ? $" ({Note})" : string.Empty);
    }

    /// <summary>
    /// Which input column went to which request field and which columns were ignored, for one set of column names
    /// (a CSV's header). Invoke-LeadspaceEnrichment writes it once per run to the verbose stream, puts it in the
    /// -WhatIf text and in <c>RunSummary.Mapping</c>.
    /// </summary>
    public sealed class MappingReport
    {
        internal MappingReport(IReadOnlyList<ColumnMapping> columns, IReadOnlyList<string> lookAlikes)
        {
            Columns = columns;
            LookAlikes = lookAlikes;
        }

        /// <summary>Every input column, in input order.</summary>
        public IReadOnlyList<ColumnMapping> Columns { get; }

        /// <summary>The columns that feed a request field or a custom field.</summary>
        public IEnumerable<ColumnMapping> Mapped => Columns.Where(c => c.Field != null);

        /// <summary>The names of the columns that are not sent.</summary>
        public IReadOnlyList<string> Ignored => Columns.Where(c => c.Field == null).Select(c => c.Column).ToList();

        /// <summary>Ignored columns whose names look like a request field's (state, region, phone, street, title, id…):
        /// a -PropertyMap entry may be missing.</summary>
        public IReadOnlyList<string> LookAlikes { get; }

        /// <summary>"Columns mapped: 'Lead ID' → external_id, …" on one line, for verbose and -WhatIf.</summary>
        public string MappedText()
            => Mapped.Any() ? "Columns mapped: " + string.Join("; ", Mapped.Select(c => c.ToString())) + "." : "No column maps to a request field.";

        /// <summary>"Columns ignored: 'Lead Source', …" (with the reason where one is known).</summary>
        public string IgnoredText()
        {
            var ignored = Columns.Where(c => c.Field == null).ToList();
            return ignored.Count == 0
                ? "No column ignored."
                : "Columns ignored (not sent): " + string.Join("; ", ignored.Select(c => $"'{c.Column}'" + (c.Note != null ? $" ({c.Note})" : string.Empty))) + ".";
        }

        /// <summary>The warning for look-alike columns, or null.</summary>
        public string? LookAlikeWarning()
            => LookAlikes.Count == 0 ? null
                : $"Column(s) {string.Join(", ", LookAlikes.Select(c => $"'{c}'"))} look like request fields but are not sent. If one holds a field's value, map it: -PropertyMap @{{ '{LookAlikes[0]}' = '<field>' }} (fields: "
                  + string.Join(", ", RequestField.All.Select(f => f.JsonPath)) + ").";

        public override string ToString() => MappedText() + " " + IgnoredText();
    }
}
