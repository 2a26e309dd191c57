using System;
using System.Globalization;

namespace Leadspace.Model
{
    /// <summary>
    /// A decimal that prints itself in the invariant culture. Export-Csv writes each cell with ToString(),
    /// which for a plain decimal follows the current culture ("0,75" under de-DE); this keeps CSV files the same
    /// on every machine while the value stays a number: it compares, sorts, and converts to [decimal]/[double].
    /// </summary>
    public readonly struct InvariantDecimal : IComparable, IComparable<InvariantDecimal>, IEquatable<InvariantDecimal>, IFormattable, IConvertible
    {
        public InvariantDecimal(decimal value) { Value = value; }

        public decimal Value { get; }

        public static implicit operator decimal(InvariantDecimal d) => d.Value;
        public static implicit operator double(InvariantDecimal d) => (double)d.Value;
        public static implicit operator InvariantDecimal(decimal d) => new InvariantDecimal(d);
        public static implicit operator InvariantDecimal(double d) => new InvariantDecimal((decimal)d);
        public static implicit operator InvariantDecimal(int d) => new InvariantDecimal(d);

        public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
        public string ToString(string? format, IFormatProvider? formatProvider) => Value.ToString(format, formatProvider ?? CultureInfo.InvariantCulture);

        public int CompareTo(InvariantDecimal other) => Value.CompareTo(other.Value);
        public int CompareTo(object? obj) => obj switch
        {
            null => 1,
            InvariantDecimal d => CompareTo(d),
            IConvertible c => Value.CompareTo(c.ToDecimal(CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException("Cannot compare with " + obj.GetType().Name),
        };
        public bool Equals(InvariantDecimal other) => Value == other.Value;
        public override bool Equals(object? obj) => obj is InvariantDecimal d && Equals(d);
        public override int GetHashCode() => Value.GetHashCode();
        public static bool operator ==(InvariantDecimal a, InvariantDecimal b) => a.Equals(b);
        public static bool operator !=(InvariantDecimal a, InvariantDecimal b) => !a.Equals(b);

        TypeCode IConvertible.GetTypeCode() => TypeCode.Decimal;
        bool IConvertible.ToBoolean(IFormatProvider? provider) => Value != 0;
        byte IConvertible.ToByte(IFormatProvider? provider) => (byte)Value;
        char IConvertible.ToChar(IFormatProvider? provider) => throw new InvalidCastException();
        DateTime IConvertible.ToDateTime(IFormatProvider? provider) => throw new InvalidCastException();
        decimal IConvertible.ToDecimal(IFormatProvider? provider) => Value;
        double IConvertible.ToDouble(IFormatProvider? provider) => (double)Value;
        short IConvertible.ToInt16(IFormatProvider? provider) => (short)Value;
        int IConvertible.ToInt32(IFormatProvider? provider) => (int)Value;
        long IConvertible.ToInt64(IFormatProvider? provider) => (long)Value;
        sbyte IConvertible.ToSByte(IFormatProvider? provider) => (sbyte)Value;
        float IConvertible.ToSingle(IFormatProvider? provider) => (float)Value;
        string IConvertible.ToString(IFormatProvider? provider) => Value.ToString(provider ?? CultureInfo.InvariantCulture);
        object IConvertible.ToType(Type conversionType, IFormatProvider? provider) => Convert.ChangeType(Value, conversionType, provider ?? CultureInfo.InvariantCulture);
        ushort IConvertible.ToUInt16(IFormatProvider? provider) => (ushort)Value;
        uint IConvertible.ToUInt32(IFormatProvider? provider) => (uint)Value;
        ulong IConvertible.ToUInt64(IFormatProvider? provider) => (ulong)Value;
    }
}
