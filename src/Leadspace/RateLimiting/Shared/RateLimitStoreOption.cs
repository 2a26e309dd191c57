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
        /// <summary>The store's Redis ACL user for runbooks (as -RateLimitStoreCredential's user name).</summary>
        internal const string UserVariable = "LEADSPACE_RATE_LIMIT_STORE_USER";
        /// <summary>The store's password for runbooks (as -RateLimitStoreCredential's password).</summary>
        internal const string PasswordVariable = "LEADSPACE_RATE_LIMIT_STORE_PASSWORD";
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

        // redis://user:password@host — the password (or a lone user part, Redis' legacy "redis://:password@") up to the @.
        private static readonly Regex UriUserInfo = new Regex(@"(rediss?://)([^@/\s]*)@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>The configuration string with the value of every password=… option, and the password of a
        /// redis://user:password@host URI, replaced by (redacted).</summary>
        public static string Redact(string configuration)
        {
            var text = Password.Replace(configuration ?? string.Empty, m => m.Groups[1].Value + m.Groups[2].Value + Redacted);
            return UriUserInfo.Replace(text, m =>
            {
                var info = m.Groups[2].Value;
                int colon = info.IndexOf(':');
                return m.Groups[1].Value + (colon >= 0 ? info.Substring(0, colon) + ":" + Redacted : info) + "@";
            });
        }

        /// <summary>True for redis:// and rediss:// URIs (StackExchange.Redis itself reads only its own comma form).</summary>
        public static bool IsUri(string configuration)
            => configuration.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || configuration.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// A redis://[user[:password]@]host[:port][/database] URI (rediss:// = TLS) as a StackExchange.Redis configuration
        /// string without user or password, which come back apart (URL-decoded). Anything else is returned as it is.
        /// </summary>
        /// <exception cref="ArgumentException">Not a valid URI (the message never holds the password).</exception>
        public static string FromUri(string configuration, out string? user, out string? password)
        {
            user = null; password = null;
            if (!IsUri(configuration)) return configuration;
            if (!Uri.TryCreate(configuration, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
                throw new ArgumentException($"'{Redact(configuration)}' is not a valid redis:// URI (expected redis://user:password@host:6379).");
            var info = uri.UserInfo;
            if (info.Length > 0)
            {
                int colon = info.IndexOf(':');
                var u = Uri.UnescapeDataString(colon >= 0 ? info.Substring(0, colon) : info);
                var p = colon >= 0 ? Uri.UnescapeDataString(info.Substring(colon + 1)) : null;
                user = u.Length == 0 ? null : u;
                password = string.IsNullOrEmpty(p) ? null : p;
            }
            var host = uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.Host.Trim('[', ']') + "]" : uri.Host;
            var text = host + ":" + (uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (string.Equals(uri.Scheme, "rediss", StringComparison.OrdinalIgnoreCase)) text += ",ssl=true";
            var path = uri.AbsolutePath.Trim('/');
            if (path.Length > 0)
            {
                if (!int.TryParse(path, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var db))
                    throw new ArgumentException($"'{Redact(configuration)}' names database '{path}': a redis:// URI's path is a database number.");
                text += ",defaultDatabase=" + db.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return text;
        }

        /// <summary>The endpoints of a configuration string that are not on this machine, when the string does not
        /// ask for TLS: a password sent there travels in clear. Empty when ssl=true or every endpoint is loopback.</summary>
        public static string[] CleartextRemoteEndpoints(string configuration)
        {
            var parts = (configuration ?? string.Empty).Split(',').Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
            if (parts.Any(p => Regex.IsMatch(p, @"^ssl\s*=\s*true$", RegexOptions.IgnoreCase))) return new string[0];
            return parts.Where(p => p.IndexOf('=') < 0 && !IsLoopback(p)).ToArray();
        }

        private static bool IsLoopback(string endpoint)
        {
            var host = endpoint;
            if (host.StartsWith("[", StringComparison.Ordinal)) host = host.Substring(1, Math.Max(0, host.IndexOf(']') - 1));
            else if (host.Count(c => c == ':') == 1) host = host.Substring(0, host.IndexOf(':'));
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
            return System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip);
        }

        /// <summary>True when the configuration string holds a password=… option.</summary>
        public static bool HasPassword(string configuration) => Password.IsMatch(configuration ?? string.Empty);

        /// <summary>Removes every password of <paramref name="configuration"/> from a message (e.g. an exception's text
        /// coming back from the client library), and the whole unredacted string if it appears.</summary>
        public static string Sanitize(string? message, string configuration, string? password = null)
        {
            if (string.IsNullOrEmpty(message)) return message ?? string.Empty;
            var text = message!;
            if (!string.IsNullOrEmpty(password)) text = text.Replace(password, Redacted);
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
