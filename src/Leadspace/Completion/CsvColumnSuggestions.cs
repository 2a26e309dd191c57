using System;
using System.Collections.Generic;
using System.Linq;
using Leadspace.Mapping;

namespace Leadspace.Completion
{
    /// <summary>
    /// Column names of the CSV the command line reads (see <see cref="PipelineCsv"/>), for -CustomField and for
    /// the column part of -PropertyMap 'Column=field'. Columns the alias table does not recognise come first:
    /// they are the ones that need a map or go to custom fields.
    /// </summary>
    internal static class CsvColumnSuggestions
    {
        /// <summary>-CustomField: the columns whose name starts with what was typed.</summary>
        public static IEnumerable<CompletionCandidate> CustomFields(string? wordToComplete, IReadOnlyList<string> columns)
        {
            var typed = CommandLineText.Unquote(wordToComplete, out var quote);
            return Ordered(columns, typed).Select(c => new CompletionCandidate(CommandLineText.Quote(c.Column, quote), c.Column,
                c.Field == null
                    ? $"{c.Column}: not in the alias table; sent as the custom field '{c.Column}'"
                    : $"{c.Column}: the alias table would send it as {c.Field.JsonPath}; -CustomField sends it as a custom field instead"));
        }

        /// <summary>-PropertyMap before any '=': 'Column= for the columns that start with what was typed, with the
        /// quote left open so that typing the field and Tab goes on from there. None when no column matches.</summary>
        public static IEnumerable<CompletionCandidate> PropertyMapColumns(string? wordToComplete, IReadOnlyList<string> columns)
        {
            var typed = CommandLineText.Unquote(wordToComplete, out var quote);
            if (typed.IndexOf('=') >= 0) yield break;
            foreach (var c in Ordered(columns, typed))
            {
                var text = CommandLineText.Quote(c.Column + "=", quote);
                if (text.Length > 1 && (text[0] == '\'' || text[0] == '"')) text = text.Substring(0, text.Length - 1);
                yield return new CompletionCandidate(text, c.Column,
                    c.Field == null ? $"{c.Column}: not in the alias table; map it to a field" : $"{c.Column}: the alias table maps it to {c.Field.JsonPath}");
            }
        }

        private static IEnumerable<(string Column, RequestField? Field)> Ordered(IReadOnlyList<string> columns, string typed)
        {
            var matching = columns
                .Where(c => !string.IsNullOrEmpty(c) && c.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                .Distinct(StringComparer.Ordinal)
                .Select(c => (Column: c, Field: InputMapper.FieldForColumn(c)))
                .ToList();
            return matching.Where(c => c.Field == null).Concat(matching.Where(c => c.Field != null));
        }
    }
}
