using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text;
using Leadspace.Mapping;

namespace Leadspace.Commands
{
    /// <summary>
    /// Reads the properties of any pipeline object (CSV row, PSCustomObject, hashtable, .NET object) into
    /// <see cref="InputProperty"/> values: text in the invariant culture, and for anything that is not one value
    /// (a list, a nested object, an object that only prints its type name) what it is, so that the mapper can refuse
    /// to send it rather than send a type name or a joined list.
    /// </summary>
    internal static class InputRecord
    {
        private const int MaxDepth = 4;

        public static List<InputProperty> Properties(object input) => Properties(input, 0);

        /// <summary>The record of the parameter set that takes one record (-CompanyName, -Email, ..., -CustomFields).
        /// Throws ArgumentException for a -CustomFields key that is also a request field.</summary>
        public static PSObject FromParameters(IDictionary<string, object> bound, IDictionary? customFields)
        {
            var record = new PSObject();
            foreach (var field in RequestField.All)
            {
                if (bound.TryGetValue(field.ParameterName, out var value))
                    record.Properties.Add(new PSNoteProperty(field.ParameterName, value));
            }
            if (customFields == null) return record;
            foreach (DictionaryEntry e in customFields)
            {
                var name = e.Key?.ToString();
                if (string.IsNullOrWhiteSpace(name)) continue;
                if (record.Properties[name] != null || InputMapper.FieldForColumn(name!) != null)
                    throw new ArgumentException($"-CustomFields key '{name}' is also a request field; pass that value with its own parameter and give the custom field another name.");
                record.Properties.Add(new PSNoteProperty(name, e.Value));
            }
            return record;
        }

        /// <summary>The mapper of -PropertyMap and -CustomField, the same for every cmdlet that maps rows (a row is
        /// matched to its journal records by the request this mapper makes of it).</summary>
        /// <exception cref="ArgumentException">An empty -PropertyMap key or an unknown target.</exception>
        public static InputMapper Mapper(IDictionary? propertyMap, IEnumerable<string>? customField)
            => new InputMapper(
                propertyMap?.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, string>(e.Key?.ToString() ?? string.Empty, Text(e.Value) ?? string.Empty)),
                customField);

        private static List<InputProperty> Properties(object input, int depth)
        {
            var list = new List<InputProperty>();
            var pso = input as PSObject;
            var baseObject = pso?.BaseObject ?? input;
            if (baseObject is IDictionary dict)
            {
                foreach (DictionaryEntry e in dict)
                {
                    if (e.Key != null) list.Add(Read(e.Key.ToString() ?? string.Empty, e.Value, depth));
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
                list.Add(Read(p.Name, value, depth));
            }
            return list;
        }

        private static InputProperty Read(string name, object? value, int depth)
        {
            if (value is PSObject p && !(p.BaseObject is PSCustomObject)) value = p.BaseObject;
            switch (value)
            {
                case null: return new InputProperty(name, null);
                case string s: return new InputProperty(name, s);
                case DateTime dt: return new InputProperty(name, dt.ToString("o", CultureInfo.InvariantCulture));
                case DateTimeOffset dto: return new InputProperty(name, dto.ToString("o", CultureInfo.InvariantCulture));
                case IFormattable f: return new InputProperty(name, f.ToString(null, CultureInfo.InvariantCulture));
                case bool b: return new InputProperty(name, b ? "True" : "False");
                case char c: return new InputProperty(name, c.ToString());
            }
            if (value is IDictionary || (value is PSObject pso && pso.BaseObject is PSCustomObject))
            {
                var typeName = value is PSObject ? "PSCustomObject" : value.GetType().Name;
                if (depth >= MaxDepth) return new InputProperty(name, typeName, InputValueKind.Nested, typeName);
                var children = Properties(value, depth + 1);
                return new InputProperty(name, Render(children), InputValueKind.Nested, typeName, children.Count, children);
            }
            if (value is IEnumerable enumerable)
            {
                var values = new List<InputProperty>();
                var objects = new List<IReadOnlyList<InputProperty>>();
                foreach (var item in enumerable)
                {
                    if (item == null) continue;
                    var read = Read(name, item, depth + 1);
                    if (read.Kind == InputValueKind.Empty || (read.Kind == InputValueKind.Text && string.IsNullOrWhiteSpace(read.Text))) continue;
                    values.Add(read);
                    if (read.Children != null) objects.Add(read.Children);
                }
                if (values.Count == 0) return new InputProperty(name, null);
                if (values.Count == 1 && values[0].Kind == InputValueKind.Text) return new InputProperty(name, values[0].Text);
                var text = new StringBuilder();
                foreach (var v in values)
                {
                    if (text.Length > 0) text.Append("; ");
                    text.Append(v.Text);
                }
                return new InputProperty(name, text.ToString(), InputValueKind.List, value.GetType().Name, values.Count,
                    items: objects.Count == values.Count ? objects : null);
            }
            var printed = value.ToString();
            var type = value.GetType();
            if (string.IsNullOrEmpty(printed) || printed == type.FullName || printed == type.ToString())
                return new InputProperty(name, type.FullName, InputValueKind.Unprintable, type.FullName);
            return new InputProperty(name, printed);
        }

        private static string Render(List<InputProperty> children)
        {
            var sb = new StringBuilder("@{");
            for (int i = 0; i < children.Count; i++)
            {
                if (i > 0) sb.Append("; ");
                sb.Append(children[i].Name).Append('=').Append(children[i].Text);
            }
            return sb.Append('}').ToString();
        }

        /// <summary>A scalar value as text (a -PropertyMap target, say): invariant culture, lists joined with "; ".</summary>
        public static string? Text(object? value) => Read(string.Empty, value, MaxDepth).Text;
    }
}
