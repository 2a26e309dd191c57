using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Http;
using Leadspace.Model;

namespace Leadspace.Auth
{
    /// <summary>Supplies the Bearer token for each call.</summary>
    internal interface ITokenProvider : IDisposable
    {
        /// <summary><c>PerpetualToken</c> or <c>OAuth</c>.</summary>
        string Method { get; }

        /// <summary>When the current token expires (null for perpetual tokens).</summary>
        DateTimeOffset? ExpiresAt { get; }

        Task<string> GetTokenAsync(CancellationToken cancellationToken);

        /// <summary>The current token if it has not expired yet (renewal margin ignored), without waiting.</summary>
        string? PeekValidToken();

        /// <summary>Token fetches that failed in a row for a passing reason (0 for a perpetual token).</summary>
        int ConsecutiveFailures { get; }

        /// <summary>After a 401 with <paramref name="rejectedToken"/>: obtains a new token once. True when a
        /// different token is now available and the call is worth repeating.</summary>
        Task<bool> RenewAfterUnauthorizedAsync(string rejectedToken, CancellationToken cancellationToken);
    }

    /// <summary>The OAuth endpoint refused the credentials (wrong program id or secret): final.</summary>
    internal sealed class LeadspaceAuthenticationException : LeadspaceException
    {
        public LeadspaceAuthenticationException(string message, int? httpStatus = null, Exception? inner = null) : base(ErrorTable.OAuthFailed, message, inner) { HttpStatus = httpStatus; }
        public int? HttpStatus { get; }
    }

    /// <summary>No token could be obtained for now (network, timeout, 5xx or 429 at the OAuth endpoint):
    /// nothing was sent, so the call may be retried.</summary>
    internal sealed class LeadspaceTokenUnavailableException : LeadspaceException
    {
        public LeadspaceTokenUnavailableException(string message, int? httpStatus = null, Exception? inner = null, TimeSpan? retryAfter = null) : base(ErrorTable.OAuthUnavailable, message, inner)
        {
            HttpStatus = httpStatus;
            RetryAfter = retryAfter;
        }
        public int? HttpStatus { get; }
        /// <summary>When the next fetch will be tried (the provider's backoff), if known.</summary>
        public TimeSpan? RetryAfter { get; }
    }

    internal static class SecureText
    {
        public static string ToPlain(SecureString secure)
        {
            IntPtr p = IntPtr.Zero;
            try
            {
                p = Marshal.SecureStringToGlobalAllocUnicode(secure);
                return Marshal.PtrToStringUni(p) ?? string.Empty;
            }
            finally
            {
                if (p != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(p);
            }
        }
    }

    /// <summary>A perpetual token handed out by Leadspace.</summary>
    internal sealed class PerpetualTokenProvider : ITokenProvider
    {
        private readonly string _token;

        public PerpetualTokenProvider(SecureString token)
        {
            if (token == null || token.Length == 0) throw new ArgumentException("The token is empty.");
            _token = SecureText.ToPlain(token).Trim();
            if (_token.Length == 0) throw new ArgumentException("The token is empty.");
        }

        public string Method => "PerpetualToken";
        public DateTimeOffset? ExpiresAt => null;
        public Task<string> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult(_token);
        public string? PeekValidToken() => _token;
        public int ConsecutiveFailures => 0;
        public Task<bool> RenewAfterUnauthorizedAsync(string rejectedToken, CancellationToken cancellationToken) => Task.FromResult(false);
        public void Dispose() { }
        public override string ToString() => "PerpetualToken(redacted)";
    }

    /// <summary>
    /// Leadspace's OAuth 2.0 flow: POST /oauth/authorize with program id and secret for a token, PUT with the
    /// refresh token to renew it. Tokens are renewed before they expire and once after a 401; concurrent
    /// callers share one renewal (no stampede). After a failed fetch, callers get the same failure at once until
    /// a backoff has passed (0.5 s, doubling up to 30 s), so an outage of the token endpoint is not hammered.
    /// </summary>
    internal sealed class OAuthTokenProvider : ITokenProvider
    {
        private readonly HttpClient _http;
        private readonly Uri _authorizeUri;
        private readonly string _programId;
        private readonly SecureString _secret;
        private readonly TimeProvider _time;
        private readonly TimeSpan _timeout;
        private readonly SemaphoreSlim _renewal = new SemaphoreSlim(1, 1);
        private string? _token;
        private string? _refreshToken;
        private DateTimeOffset _expiresAt;
        private DateTimeOffset _issuedAt;
        private int _failures;
        private DateTimeOffset _retryAt;
        private string? _lastFailure;

        private readonly int _maxResponseBytes;

        public OAuthTokenProvider(HttpClient http, Uri baseUri, string programId, SecureString secret, TimeProvider? time = null, TimeSpan? timeout = null,
            int maxResponseBytes = ConnectionSettings.DefaultMaxResponseBytes)
        {
            _maxResponseBytes = maxResponseBytes;
            _timeout = timeout ?? TimeSpan.FromSeconds(60);
            if (string.IsNullOrWhiteSpace(programId)) throw new ArgumentException("OAuth needs the program id.");
            if (secret == null || secret.Length == 0) throw new ArgumentException("OAuth needs the program's secret.");
            _http = http;
            _authorizeUri = ConnectionSettings.Endpoint(baseUri, "/oauth/authorize");
            _programId = programId;
            _secret = secret.Copy();
            _secret.MakeReadOnly();
            _time = time ?? TimeProvider.System;
        }

        public string Method => "OAuth";
        public DateTimeOffset? ExpiresAt => _token == null ? (DateTimeOffset?)null : _expiresAt;

        /// <summary>Renewals made since connect (for tests and status).</summary>
        public int Renewals { get; private set; }

        public int ConsecutiveFailures => Volatile.Read(ref _failures);

        /// <summary>The wait after <paramref name="failures"/> failed fetches in a row.</summary>
        internal static TimeSpan Backoff(int failures)
            => TimeSpan.FromMilliseconds(Math.Min(30000, 500 * Math.Pow(2, Math.Max(0, failures - 1))));

        private bool NeedsRenewal()
        {
            if (_token == null) return true;
            var lifetime = _expiresAt - _issuedAt;
            var skew = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(5).Ticks, Math.Max(0, lifetime.Ticks / 10)));
            return _time.GetUtcNow() >= _expiresAt - skew;
        }

        public string? PeekValidToken()
        {
            var t = _token;
            return t != null && _time.GetUtcNow() < _expiresAt ? t : null;
        }

        public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
        {
            var t = _token;
            if (t != null && !NeedsRenewal()) return t;
            await _renewal.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_token != null && !NeedsRenewal()) return _token;
                var now = _time.GetUtcNow();
                if (_failures > 0 && now < _retryAt)
                {
                    // Backing off after a failed fetch: the current token while it lasts, else the same failure.
                    if (_token != null && now < _expiresAt) return _token;
                    throw new LeadspaceTokenUnavailableException($"{_lastFailure} (next attempt in {(_retryAt - now).TotalSeconds:0.#} s)", null, null, _retryAt - now);
                }
                try
                {
                    await RenewAsync(cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _failures, 0);
                }
                catch (LeadspaceTokenUnavailableException ex)
                {
                    Volatile.Write(ref _failures, _failures + 1);
                    _retryAt = _time.GetUtcNow() + Backoff(_failures);
                    _lastFailure = ex.Message;
                    // Early renewal failed for a passing reason: the current token is still good.
                    if (_token != null && _time.GetUtcNow() < _expiresAt) return _token;
                    throw new LeadspaceTokenUnavailableException(ex.Message, ex.HttpStatus, ex, Backoff(_failures));
                }
                return _token!;
            }
            finally { _renewal.Release(); }
        }

        public async Task<bool> RenewAfterUnauthorizedAsync(string rejectedToken, CancellationToken cancellationToken)
        {
            await _renewal.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_token != null && _token != rejectedToken) return true; // someone else renewed already
                await RenewAsync(cancellationToken).ConfigureAwait(false);
                return _token != rejectedToken;
            }
            catch (LeadspaceAuthenticationException)
            {
                return false;
            }
            finally { _renewal.Release(); }
        }

        private async Task RenewAsync(CancellationToken cancellationToken)
        {
            if (_refreshToken != null)
            {
                try
                {
                    await CallAsync(HttpMethod.Put, w =>
                    {
                        w.WriteString("user", _programId);
                        w.WriteString("refreshToken", _refreshToken);
                    }, cancellationToken).ConfigureAwait(false);
                    Renewals++;
                    return;
                }
                catch (LeadspaceAuthenticationException)
                {
                    // The refresh token was refused: fall back to the secret.
                }
            }
            await CallAsync(HttpMethod.Post, w =>
            {
                w.WriteString("user", _programId);
                w.WriteString("pass", SecureText.ToPlain(_secret));
                w.WriteString("audience", "API_GATEWAY");
            }, cancellationToken).ConfigureAwait(false);
            if (_refreshToken != null) Renewals++;
        }

        private async Task CallAsync(HttpMethod method, Action<Utf8JsonWriter> body, CancellationToken cancellationToken)
        {
            byte[] payload;
            using (var ms = new MemoryStream())
            {
                using (var w = new Utf8JsonWriter(ms)) { w.WriteStartObject(); body(w); w.WriteEndObject(); }
                payload = ms.ToArray();
            }
            using var request = new HttpRequestMessage(method, _authorizeUri) { Content = new ByteArrayContent(payload) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            HttpResponseMessage response;
            string text;
            try
            {
                // Headers first, then the body read within the connection's answer size bound (as every answer).
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                try
                {
                    text = await LeadspaceClient.ReadBodyAsync(response, _maxResponseBytes, timeout.Token).ConfigureAwait(false) ?? string.Empty;
                }
                catch
                {
                    response.Dispose();
                    throw;
                }
            }
            catch (InvalidDataException ex)
            {
                throw new LeadspaceTokenUnavailableException($"The OAuth answer of {_authorizeUri} could not be used: {ex.Message}", null, ex);
            }
            catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LeadspaceTokenUnavailableException($"The connection to {_authorizeUri} was lost while reading the OAuth answer: {ex.Message}", null, ex);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LeadspaceTokenUnavailableException($"The OAuth endpoint {_authorizeUri} did not answer within {_timeout.TotalSeconds:0.#} s.", null, ex);
            }
            catch (HttpRequestException ex)
            {
                throw new LeadspaceTokenUnavailableException($"Could not reach {_authorizeUri} to obtain an OAuth token: {ex.Message}", null, ex);
            }
            using (response)
            {
                int status = (int)response.StatusCode;
                if (status == 400 || status == 401 || status == 403)
                    throw new LeadspaceAuthenticationException($"Leadspace refused the OAuth credentials of program '{_programId}' (HTTP {status}).", status);
                if (status != 200)
                    throw new LeadspaceTokenUnavailableException($"The OAuth endpoint answered HTTP {status} for program '{_programId}'.", status);
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    var r = new JsonObjectReader(doc.RootElement);
                    var token = r.String("token");
                    var refresh = r.String("refreshToken");
                    var expiration = r.Long("expiration");
                    if (string.IsNullOrEmpty(token)) throw new LeadspaceTokenUnavailableException("The OAuth answer has no token.", status);
                    foreach (var c in token!)
                    {
                        if (c < 0x21 || c > 0x7E) throw new LeadspaceTokenUnavailableException("The OAuth answer's token holds characters an HTTP header cannot carry.", status);
                    }
                    var now = _time.GetUtcNow();
                    _issuedAt = now;
                    _expiresAt = ExpiryFrom(expiration, now);
                    _token = token;
                    _refreshToken = string.IsNullOrEmpty(refresh) ? null : refresh;
                }
                catch (JsonException ex)
                {
                    throw new LeadspaceTokenUnavailableException("The OAuth answer is not valid JSON.", status, ex);
                }
            }
        }

        /// <summary>Unix seconds as documented; milliseconds are recognised too; a missing or absurd value means 24 h.</summary>
        internal static DateTimeOffset ExpiryFrom(long? expiration, DateTimeOffset now)
        {
            if (!expiration.HasValue || expiration.Value <= 0) return now.AddHours(24);
            long v = expiration.Value;
            if (v > 100_000_000_000L) v /= 1000; // milliseconds
            if (v > 253_402_300_799L) return now.AddHours(24);
            return DateTimeOffset.FromUnixTimeSeconds(v);
        }

        public void Dispose()
        {
            _secret.Dispose();
            _renewal.Dispose();
            _token = null;
            _refreshToken = null;
        }

        public override string ToString() => $"OAuth({_programId}, token redacted)";
    }
}
