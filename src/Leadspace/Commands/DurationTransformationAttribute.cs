using System;
using System.Globalization;
using System.Management.Automation;

namespace Leadspace.Commands
{
    /// <summary>Lets a TimeSpan parameter take "30d", "12h", "90m" or "45s" as well as a TimeSpan or its text.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (value is TimeSpan) return value;
            if (value is string s && Duration.TryParse(s, out var span)) return span;
            return inputData;
        }
    }

    /// <summary>Durations as people type them: 30d, 12h, 90m, 45s (or a .NET TimeSpan text such as 1.00:00:00).</summary>
    internal static class Duration
    {
        public static bool TryParse(string text, out TimeSpan value)
        {
            value = default;
            var t = text.Trim();
            if (t.Length >= 2)
            {
                var unit = char.ToLowerInvariant(t[t.Length - 1]);
                if (double.TryParse(t.Substring(0, t.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
                {
                    switch (unit)
                    {
                        case 'd': value = TimeSpan.FromDays(n); return true;
                        case 'h': value = TimeSpan.FromHours(n); return true;
                        case 'm': value = TimeSpan.FromMinutes(n); return true;
                        case 's': value = TimeSpan.FromSeconds(n); return true;
                    }
                }
            }
            return TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out value);
        }
    }
}
