using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using Leadspace.Model;

namespace Leadspace.Output
{
    /// <summary>
    /// How PowerShell sees the properties of an <see cref="EnrichmentResult"/> (registered for the type by
    /// <c>Leadspace.Types.ps1xml</c>): the same properties in the same order, read and written through cached
    /// delegates, except that a fractional number (decimal or double) comes wrapped in an <see cref="InvariantNumber"/>,
    /// a PSObject whose <c>ToString()</c> uses the invariant culture.
    /// </summary>
    /// <remarks>
    /// Why: Export-Csv writes <c>ToString()</c> of each property value, which for a decimal follows the current
    /// culture ("13,31" under de-DE). The CLR property stays a <c>decimal?</c>, so everything else sees a plain
    /// number: arithmetic and comparisons (PowerShell unwraps the PSObject), Sort-Object and Measure-Object, and
    /// ConvertTo-Json (which reads the CLR properties by reflection, not through this adapter).
    /// </remarks>
    public sealed class EnrichmentResultAdapter : PSPropertyAdapter
    {
        private sealed class Column
        {
            public Column(PropertyInfo property)
            {
                Name = property.Name;
                Type = property.PropertyType;
                var underlying = Nullable.GetUnderlyingType(Type);
                TypeName = underlying != null ? "System.Nullable[" + underlying.FullName + "]" : Type.FullName ?? Type.Name;
                var plain = underlying ?? Type;
                IsFractional = plain == typeof(decimal) || plain == typeof(double) || plain == typeof(float);
                Get = (Func<object, object?>)MakeGetterMethod.MakeGenericMethod(Type).Invoke(null, new object[] { property.GetGetMethod()! })!;
                var setter = property.GetSetMethod();
                Set = setter == null ? null : (Action<object, object?>)MakeSetterMethod.MakeGenericMethod(Type).Invoke(null, new object[] { setter })!;
            }

            public string Name { get; }
            public Type Type { get; }
            public string TypeName { get; }
            public bool IsFractional { get; }
            public Func<object, object?> Get { get; }
            public Action<object, object?>? Set { get; }
        }

        private static readonly MethodInfo MakeGetterMethod = typeof(EnrichmentResultAdapter).GetMethod(nameof(MakeGetter), BindingFlags.NonPublic | BindingFlags.Static)!;
        private static readonly MethodInfo MakeSetterMethod = typeof(EnrichmentResultAdapter).GetMethod(nameof(MakeSetter), BindingFlags.NonPublic | BindingFlags.Static)!;

        private static readonly Column[] Columns = typeof(EnrichmentResult)
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetGetMethod() != null && p.GetIndexParameters().Length == 0)
            .Select(p => new Column(p))
            .ToArray();

        private static readonly Dictionary<string, Column> ByName = Columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

        private static Func<object, object?> MakeGetter<T>(MethodInfo getter)
        {
            var typed = (Func<EnrichmentResult, T>)Delegate.CreateDelegate(typeof(Func<EnrichmentResult, T>), getter);
            return o => typed((EnrichmentResult)o);
        }

        private static Action<object, object?> MakeSetter<T>(MethodInfo setter)
        {
            var typed = (Action<EnrichmentResult, T>)Delegate.CreateDelegate(typeof(Action<EnrichmentResult, T>), setter);
            return (o, v) => typed((EnrichmentResult)o, v == null ? default! : (T)v);
        }

        public override Collection<PSAdaptedProperty> GetProperties(object baseObject)
        {
            var list = new List<PSAdaptedProperty>(Columns.Length);
            foreach (var c in Columns) list.Add(new PSAdaptedProperty(c.Name, c));
            return new Collection<PSAdaptedProperty>(list);
        }

        public override PSAdaptedProperty? GetProperty(object baseObject, string propertyName)
            => propertyName != null && ByName.TryGetValue(propertyName, out var c) ? new PSAdaptedProperty(c.Name, c) : null;

        public override bool IsGettable(PSAdaptedProperty adaptedProperty) => true;

        public override bool IsSettable(PSAdaptedProperty adaptedProperty) => ((Column)adaptedProperty.Tag).Set != null;

        public override string GetPropertyTypeName(PSAdaptedProperty adaptedProperty) => ((Column)adaptedProperty.Tag).TypeName;

        public override object? GetPropertyValue(PSAdaptedProperty adaptedProperty)
        {
            var c = (Column)adaptedProperty.Tag;
            var value = c.Get(adaptedProperty.BaseObject);
            if (value == null || !c.IsFractional) return value;
            return new InvariantNumber(value);
        }

        public override void SetPropertyValue(PSAdaptedProperty adaptedProperty, object? value)
        {
            var c = (Column)adaptedProperty.Tag;
            if (c.Set == null) throw new SetValueException($"The property '{c.Name}' cannot be set.");
            var converted = value == null ? null : LanguagePrimitives.ConvertTo(value, c.Type, CultureInfo.InvariantCulture);
            c.Set(adaptedProperty.BaseObject, converted);
        }
    }

    /// <summary>
    /// A fractional number as PowerShell sees it in an <see cref="EnrichmentResult"/>: a PSObject whose base object
    /// is the number itself (so arithmetic, comparisons, sorting, measuring and ConvertTo-Json see a plain number)
    /// and whose <c>ToString()</c> uses the invariant culture (what Export-Csv writes). A subclass rather than an
    /// instance ToString code method: PowerShell compiles a code method afresh for every new PSObject, which costs
    /// about 0.2 ms per value.
    /// </summary>
    public sealed class InvariantNumber : PSObject
    {
        public InvariantNumber(object value) : base(value) { }

        public override string ToString()
            => BaseObject is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : BaseObject?.ToString() ?? string.Empty;
    }
}
