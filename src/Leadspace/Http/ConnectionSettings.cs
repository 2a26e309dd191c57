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
        /// <summary>The Redis ACL user of the store (-RateLimitStoreCredential's user name; null = none or the one
        /// in the configuration string).</summary>
        public string? RateLimitStoreUser { get; set; }
        /// <summary>The store's password (-RateLimitStoreCredential or $env:LEADSPACE_RATE_LIMIT_STORE_PASSWORD); it
        /// overrides a password= of the configuration string. Never shown.</summary>
        public System.Security.SecureString? RateLimitStorePassword { get; set; }

        /// <summary>The largest answer read, in bytes (enrichment and OAuth answers alike); a larger one fails its row.</summary>
        public int MaxResponseBytes { get; set; } = DefaultMaxResponseBytes;
        public const int DefaultMaxResponseBytes = 4 * 1024 * 1024;
        public const int MaxResponseBytesLimit = 64 * 1024 * 1024;

        /// <summary>-Proxy: every call (loopback base URIs included) and the OAuth token calls go through it.
        /// Null: the environment's proxy (HTTPS_PROXY/HTTP_PROXY/NO_PROXY, the system proxy) unless <see cref="NoProxy"/>.</summary>
        public Uri? Proxy { get; set; }
        /// <summary>-ProxyCredential (with <see cref="Proxy"/>).</summary>
        public System.Net.NetworkCredential? ProxyCredential { get; set; }
        /// <summary>-ProxyUseDefaultCredentials: the proxy gets the logged-on user's credentials (Negotiate/NTLM).</summary>
        public bool ProxyUseDefaultCredentials { get; set; }
        /// <summary>-NoProxy: direct connections, whatever the environment's proxy settings say.</summary>
        public bool NoProxy { get; set; }

        /// <summary>An endpoint under the base URI's path: <c>https://host/v3/</c> + <c>/enrichment/enrich/single</c> →
        /// <c>https://host/v3/enrichment/enrich/single</c> (gateways and reverse proxies often put the API under a
        /// prefix; <c>new Uri(base, "/…")</c> would drop it). The base URI's query and fragment are not kept.</summary>
        public static Uri Endpoint(Uri baseUri, string path)
        {
            var builder = new UriBuilder(baseUri) { Query = string.Empty, Fragment = string.Empty };
            builder.Path = builder.Path.TrimEnd('/') + "/" + path.TrimStart('/');
            return builder.Uri;
        }

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
            if (MaxResponseBytes < 1024 || MaxResponseBytes > MaxResponseBytesLimit)
                throw new ArgumentOutOfRangeException(nameof(MaxResponseBytes), "MaxResponseBytes must be between 1 KB and 64 MB.");
            if (Proxy != null)
            {
                if (NoProxy) throw new ArgumentException("-Proxy and -NoProxy cannot be used together.", nameof(Proxy));
                if (!Proxy.IsAbsoluteUri || (Proxy.Scheme != Uri.UriSchemeHttp && Proxy.Scheme != Uri.UriSchemeHttps))
                    throw new ArgumentException($"Proxy '{Redact(Proxy)}' must be an absolute http:// address, e.g. http://proxy.example.com:8080.", nameof(Proxy));
                if (!string.IsNullOrEmpty(Proxy.UserInfo))
                    throw new ArgumentException($"Proxy '{Redact(Proxy)}' holds a user name or password: refused, since it would be shown and logged. Pass -ProxyCredential.", nameof(Proxy));
            }
            else if (ProxyCredential != null || ProxyUseDefaultCredentials)
            {
                throw new ArgumentException("-ProxyCredential and -ProxyUseDefaultCredentials need -Proxy.", nameof(Proxy));
            }
            if (ProxyCredential != null && ProxyUseDefaultCredentials)
                throw new ArgumentException("-ProxyCredential and -ProxyUseDefaultCredentials cannot be used together.", nameof(ProxyCredential));
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
