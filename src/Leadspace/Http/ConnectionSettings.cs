using System;
using Leadspace.Resilience;

namespace Leadspace.Http
{
    /// <summary>Rate and resilience settings of one connection, validated on construction of the client.</summary>
    internal sealed class ConnectionSettings
    {
        public static readonly Uri DefaultBaseUri = new Uri("https://apigw.leadspace.com");

        public Uri BaseUri { get; set; } = DefaultBaseUri;
        public string? ProgramId { get; set; }
        /// <summary>Calls per second for the program (Leadspace's limit is 30).</summary>
        public double RequestsPerSecond { get; set; } = 30;
        /// <summary>Most calls in flight at once on this connection.</summary>
        public int MaxConcurrency { get; set; } = 64;
        /// <summary>Timeout of one HTTP attempt.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
        public RetryPolicy Retry { get; set; } = new RetryPolicy();
        /// <summary>A StackExchange.Redis configuration string: share the program's rate with every process and host
        /// pointed at the same store (null = this process only). May hold a password: never shown unredacted.</summary>
        public string? RateLimitStore { get; set; }

        public void Validate()
        {
            if (BaseUri == null || !BaseUri.IsAbsoluteUri) throw new ArgumentException("BaseUri must be an absolute URI.", nameof(BaseUri));
            if (!string.IsNullOrEmpty(BaseUri.UserInfo))
                throw new ArgumentException($"BaseUri '{Redact(BaseUri)}' holds a user name or password: refused, since it would be shown and logged. The token goes in -Token, -Credential or -OAuthCredential.", nameof(BaseUri));
            if (BaseUri.Scheme != Uri.UriSchemeHttps && BaseUri.Scheme != Uri.UriSchemeHttp)
                throw new ArgumentException($"BaseUri '{Redact(BaseUri)}' must be https (it is {BaseUri.Scheme}).", nameof(BaseUri));
            if (BaseUri.Scheme != Uri.UriSchemeHttps && !BaseUri.IsLoopback)
                throw new ArgumentException($"BaseUri '{BaseUri}' must be https: plain http is accepted only for a loopback host (a local simulator), since the token would travel in clear.", nameof(BaseUri));
            if (!(RequestsPerSecond > 0) || RequestsPerSecond > 100000) throw new ArgumentOutOfRangeException(nameof(RequestsPerSecond), "RequestsPerSecond must be between 0 (exclusive) and 100000.");
            if (MaxConcurrency < 1 || MaxConcurrency > 1024) throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), "MaxConcurrency must be between 1 and 1024.");
            if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(30)) throw new ArgumentOutOfRangeException(nameof(Timeout), "Timeout must be between 0 (exclusive) and 30 minutes.");
            Retry.Validate();
        }

        /// <summary>The URI with any user information replaced, for messages.</summary>
        public static string Redact(Uri? uri)
        {
            if (uri == null) return string.Empty;
            if (!uri.IsAbsoluteUri || string.IsNullOrEmpty(uri.UserInfo)) return uri.ToString();
            return $"{uri.Scheme}://***@{uri.Authority}{uri.AbsolutePath}";
        }
    }
}
