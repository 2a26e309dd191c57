using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Leadspace.RateLimiting.Shared
{
    /// <summary>
    /// The -RateLimitStore option: where it comes from, how it is shown (password redacted), and the store keys of
    /// a program. No Redis type here: this runs whether or not a store is used.
    /// </summary>
    public static class RateLimitStoreOption
    {
        internal const string EnvironmentVariable = "LEADSPACE_RATE_LIMIT_STORE";
        internal const string Redacted = "(redacted)";

        /// <summary>The store to use: the parameter when given (blank = none, even if the variable is set), else
        /// $env:LEADSPACE_RATE_LIMIT_STORE, else none.</summary>
        internal static string? Resolve(bool parameterGiven, string? parameter)
        {
            var value = parameterGiven ? parameter : Environment.GetEnvironmentVariable(EnvironmentVariable);
            return string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
        }

        // password=... up to the next comma; StackExchange.Redis has no escaping for commas in values.
        private static readonly Regex Password = new Regex(@"(^|,)(\s*password\s*=)[^,]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>The configuration string with the value of every password=… option replaced by (redacted).</summary>
        public static string Redact(string configuration)
            => Password.Replace(configuration ?? string.Empty, m => m.Groups[1].Value + m.Groups[2].Value + Redacted);

        /// <summary>Removes every password of <paramref name="configuration"/> from a message (e.g. an exception's text
        /// coming back from the client library), and the whole unredacted string if it appears.</summary>
        public static string Sanitize(string? message, string configuration)
        {
            if (string.IsNullOrEmpty(message)) return message ?? string.Empty;
            var text = message!;
            if (!string.IsNullOrEmpty(configuration)) text = text.Replace(configuration, Redact(configuration));
            foreach (Match m in Password.Matches(configuration ?? string.Empty))
            {
                var value = m.Value.Substring(m.Value.IndexOf('=') + 1).Trim();
                if (value.Length > 0) text = text.Replace(value, Redacted);
            }
            return text;
        }

        /// <summary>The store key prefix of a program: a hash of this process's gate key (base URI and program
        /// identity; itself a hash for a token), so every process of the same program meets at the same keys and the
        /// store never sees a token. The braces are a Redis Cluster hash tag: all of a program's keys share a slot.</summary>
        internal static string ProgramKey(string gateKey)
        {
            using var sha = SHA256.Create();
            var hash = sha.ComputeHash(Encoding.UTF8.GetBytes(gateKey ?? string.Empty));
            return "leadspace:rate:{" + string.Concat(hash.Take(16).Select(b => b.ToString("x2"))) + "}";
        }
    }
}
