using System;
using System.Collections.Generic;
using System.Linq;

namespace Leadspace.Mapping
{
    /// <summary>
    /// Checks on the values of one input row that catch a file read the wrong way: text decoded with the wrong
    /// encoding (a Windows-1252 file read as UTF-8 gives U+FFFD; a UTF-8 file read as Windows-1252 gives "Ã©",
    /// "â€™"), and a header row repeated in the middle of the data (two exports joined together).
    /// </summary>
    internal static class InputChecks
    {
        /// <summary>The warning (once per run) for a column whose text looks decoded with the wrong encoding.</summary>
        public static string EncodingWarning(long row, string column)
            => $"Column '{column}' of input row {row} holds text that looks decoded with the wrong encoding (a '\uFFFD' or pairs such as 'Ã©', 'â€™'). "
               + "Rows are sent as they are. If the file was saved by Excel on Windows (Windows-1252, 'ANSI'), read it with Import-Csv -Encoding 1252 "
               + "(Windows PowerShell 5.1: -Encoding Default); if it is UTF-8 read as something else, use Import-Csv -Encoding utf8. Then run the same command again.";

        /// <summary>The first of <paramref name="columns"/> whose value looks mis-decoded, or null.</summary>
        public static string? MisdecodedColumn(IReadOnlyList<InputProperty> properties, IEnumerable<int> columns)
        {
            foreach (var i in columns)
            {
                var p = properties[i];
                if (p.Kind == InputValueKind.Text && LooksMisdecoded(p.Text)) return p.Name;
            }
            return null;
        }

        /// <summary>True for U+FFFD (the replacement character a decoder writes for bytes it cannot read) and for the
        /// typical pairs that UTF-8 read as Windows-1252 or Latin-1 leaves: "Ã" or "Â" followed by a Latin-1 symbol
        /// or letter (é → "Ã©", non-breaking space → "Â "), and "â€" (’ → "â€™", “ → "â€œ", – → "â€“").</summary>
        public static bool LooksMisdecoded(string? text)
        {
            if (string.IsNullOrEmpty(text)) return false;
            for (int i = 0; i < text!.Length; i++)
            {
                char c = text[i];
                if (c == '\uFFFD') return true;
                if (i + 1 >= text.Length) continue;
                char n = text[i + 1];
                if (c == 'Ã' && ((n >= '\u0080' && n <= '\u00BF') || n == '\u0192' || n == '\u2020' || n == '\u2021' || n == '\u2030' || n == '\u0160' || n == '\u2039' || n == '\u0152' || n == '\u017D' || n == '\u2122' || n == '\u0161' || n == '\u203A' || n == '\u0153' || n == '\u017E' || n == '\u0178' || n == '\u201A' || n == '\u201E' || n == '\u2026' || n == '\u02C6' || n == '\u2018' || n == '\u2019' || n == '\u201C' || n == '\u201D' || n == '\u2022' || n == '\u2013' || n == '\u2014' || n == '\u02DC'))
                    return true;
                if (c == 'Â' && n >= '\u00A0' && n <= '\u00BF') return true;
                if (c == 'â' && n == '€') return true;
            }
            return false;
        }

        /// <summary>When every mapped column's value is its own column name (at least two of them, or the only one):
        /// the message of the Invalid row; else null.</summary>
        public static string? RepeatsHeader(IReadOnlyList<InputProperty> properties, IEnumerable<int> columns)
        {
            var mapped = columns.Distinct().Select(i => properties[i]).ToList();
            if (mapped.Count == 0) return null;
            foreach (var p in mapped)
            {
                if (p.Kind != InputValueKind.Text || p.Text == null) return null;
                if (!string.Equals(p.Text.Trim(), p.Name.Trim(), StringComparison.OrdinalIgnoreCase)) return null;
            }
            var names = string.Join(", ", mapped.Take(3).Select(p => $"'{p.Name}'")) + (mapped.Count > 3 ? ", …" : string.Empty);
            return $"The row repeats the header row (each mapped value is its own column name: {names}); two exports joined into one file? A header row is never sent.";
        }
    }
}
