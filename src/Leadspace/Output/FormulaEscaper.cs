using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Leadspace.Model;

namespace Leadspace.Output
{
    /// <summary>
    /// -EscapeFormulas: keeps spreadsheet formulas out of exported CSV (CWE-1236, OWASP "CSV injection"). A text value
    /// that begins with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return is prefixed with <c>'</c>, so
    /// Excel, LibreOffice and Google Sheets show it as text instead of running it. Numbers stay numbers: typed number
    /// columns are never touched, and a text value that is a plain number (<c>-12</c>, <c>+3.5</c>, which no
    /// spreadsheet runs as a formula) is left as it is. The price: other values that begin with those characters
    /// change too, such as a phone number <c>+1 555 0100</c> (it becomes <c>'+1 555 0100</c>).
    /// </summary>
    internal static class FormulaEscaper
    {
        private static readonly char[] Triggers = { '=', '+', '-', '@', '\t', '\r' };

        private static readonly PropertyInfo[] TextColumns = typeof(EnrichmentResult).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) && p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)
            .ToArray();

        /// <summary>True when a spreadsheet could take <paramref name="value"/> for a formula.</summary>
        public static bool NeedsEscape(string? value)
            => !string.IsNullOrEmpty(value) && Array.IndexOf(Triggers, value![0]) >= 0 && !IsPlainNumber(value);

        /// <summary>The value, prefixed with <c>'</c> when a spreadsheet could take it for a formula.</summary>
        public static string? Escape(string? value) => NeedsEscape(value) ? "'" + value : value;

        /// <summary>Escapes every text column of a flat result in place; number columns are not touched.</summary>
        public static void EscapeColumns(EnrichmentResult result)
        {
            foreach (var p in TextColumns)
            {
                var value = (string?)p.GetValue(result);
                if (NeedsEscape(value)) p.SetValue(result, "'" + value);
            }
        }

        private static bool IsPlainNumber(string value)
            => value.Length > 1 && char.IsDigit(value[value.Length - 1])
               && decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out _);
    }
}
