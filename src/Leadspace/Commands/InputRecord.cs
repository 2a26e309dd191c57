using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Text;

namespace Leadspace.Commands
{
    /// <summary>Reads the properties of any pipeline object (CSV row, PSCustomObject, hashtable, .NET object) as strings.</summary>
    internal static class InputRecord
    {
        public static List<KeyValuePair<string, string?>> Properties(object input)
        {
            var list = new List<KeyValuePair<string, string?>>();
            var pso = input as PSObject;
            var baseObject = pso?.BaseObject ?? input;
            if (baseObject is IDictionary dict)
            {
                foreach (DictionaryEntry e in dict)
                {
                    if (e.Key != null) list.Add(new KeyValuePair<string, string?>(e.Key.ToString() ?? string.Empty, Text(e.Value)));
                }
                return list;
            }
            pso ??= PSObject.AsPSObject(input);
            foreach (var p in pso.Properties)
            {
                if (!p.IsGettable) continue;
                object? value;
                try { value = p.Value; }
                catch (GetValueException) { continue; }
                catch (ExtendedTypeSystemException) { continue; }
                list.Add(new KeyValuePair<string, string?>(p.Name, Text(value)));
            }
            return list;
        }

        /// <summary>A value as text: invariant culture for numbers and dates, lists joined with "; ".</summary>
        public static string? Text(object? value)
        {
            if (value is PSObject p) value = p.BaseObject;
            switch (value)
            {
                case null: return null;
                case string s: return s;
                case DateTime dt: return dt.ToString("o", CultureInfo.InvariantCulture);
                case DateTimeOffset dto: return dto.ToString("o", CultureInfo.InvariantCulture);
                case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
                case IEnumerable e:
                    var sb = new StringBuilder();
                    foreach (var item in e)
                    {
                        var t = Text(item);
                        if (string.IsNullOrEmpty(t)) continue;
                        if (sb.Length > 0) sb.Append("; ");
                        sb.Append(t);
                    }
                    return sb.ToString();
                default: return value.ToString();
            }
        }
    }
}
