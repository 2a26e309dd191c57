using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Model;

namespace Leadspace.Client
{
    /// <summary>The outcome of one enrichment call, after any retries.</summary>
    public sealed class CallResult
    {
        public EnrichmentResponse? Response { get; set; }
        public int? HttpStatus { get; set; }
        public FailureKind Failure { get; set; }
        public string? Message { get; set; }
        public string? TrackingId { get; set; }
        public int Attempts { get; set; }
        /// <summary>False when no attempt reached the network (the row cost nothing).</summary>
        public bool Sent { get; set; }
        /// <summary>True when the run was stopped before this call could finish.</summary>
        public bool Stopped { get; set; }

        /// <summary>The token of the last attempt (to renew it after a 401); never shown.</summary>
        internal string? LastToken { get; set; }
    }

    /// <summary>Something that makes enrichment calls (the HTTP client, or a fake in tests).</summary>
    public interface IEnrichmentCaller
    {
        /// <param name="request">The request to send.</param>
        /// <param name="stopSending">Cancelled when the run must not start new attempts (a fatal answer);
        /// attempts already on the wire finish.</param>
        /// <param name="abort">Cancelled on Ctrl+C: everything stops at once.</param>
        Task<CallResult> EnrichAsync(EnrichmentRequest request, CancellationToken stopSending, CancellationToken abort);
    }

    /// <summary>
    /// The HTTP client of one connection: one pooled <see cref="HttpClient"/>, the shared rate gate of the
    /// program, a bound on concurrent calls, the token provider, and the retry policy.
    /// </summary>
    public sealed class LeadspaceClient : IEnrichmentCaller, IDisposable
    {
        public const string EnrichPath = "/enrichment/enrich/single";
        private static readonly MediaTypeHeaderValue JsonType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        private readonly HttpClient _http;
        private readonly Uri _enrichUri;
        private readonly SemaphoreSlim _concurrency;
        private readonly Random _random = new Random();

        public LeadspaceClient(ConnectionSettings settings, Func<HttpClient, ITokenProvider> tokens, IRateGate gate, HttpMessageHandler? handler = null)
        {
            settings.Validate();
            Settings = settings;
            Gate = gate;
            _http = new HttpClient(handler ?? CreateHandler(settings.MaxConcurrency), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            _http.DefaultRequestHeaders.ExpectContinue = false; // .NET Framework would add a round trip per POST
            _http.DefaultRequestHeaders.UserAgent.ParseAdd("Leadspace-PowerShell/" + typeof(LeadspaceClient).Assembly.GetName().Version?.ToString(3));
            _enrichUri = new Uri(settings.BaseUri, EnrichPath);
            _concurrency = new SemaphoreSlim(settings.MaxConcurrency, settings.MaxConcurrency);
            Tokens = tokens(_http);
        }

        public ConnectionSettings Settings { get; }
        public IRateGate Gate { get; }
        public ITokenProvider Tokens { get; }
        public ClientStatistics Statistics { get; } = new ClientStatistics();

        /// <summary>
        /// A handler whose connection pool matches the concurrency. On .NET Framework (Windows PowerShell 5.1)
        /// the per-host limit would otherwise be 2 and TLS 1.2 may be off. TLS is set on this handler only;
        /// the connection limit, on .NET Framework, is kept by the ServicePoint of the Leadspace host, so it is
        /// raised for that one host (never ServicePointManager.DefaultConnectionLimit, never other hosts).
        /// </summary>
        public static HttpMessageHandler CreateHandler(int maxConcurrency)
        {
            var handler = new HttpClientHandler
            {
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            };
            try { handler.MaxConnectionsPerServer = Math.Max(2, maxConcurrency); } catch (PlatformNotSupportedException) { }
            if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
            {
                try { handler.SslProtocols = SslProtocols.Tls12 | (SslProtocols)12288 /* Tls13 */; }
                catch (PlatformNotSupportedException) { }
                catch (NotSupportedException) { handler.SslProtocols = SslProtocols.Tls12; }
            }
            return handler;
        }

        public async Task<CallResult> EnrichAsync(EnrichmentRequest request, CancellationToken stopSending, CancellationToken abort)
        {
            var result = new CallResult();
            var started = Stopwatch.StartNew();
            int ambiguousRetries = 0;
            bool renewed = false;
            byte[] body = request.ToJsonUtf8();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopSending, abort);

            while (true)
            {
                TimeSpan? retryAfter = null;
                if (await TryAttemptAsync(body, result, linked.Token, abort).ConfigureAwait(false) is AttemptOutcome outcome)
                {
                    if (outcome.Stopped) return result;
                    retryAfter = outcome.RetryAfter;
                }

                if (result.Failure == FailureKind.None) return result;

                if (result.Failure == FailureKind.Unauthorized && !renewed && result.Sent)
                {
                    renewed = true;
                    bool again;
                    try { again = await Tokens.RenewAfterUnauthorizedAsync(result.LastToken ?? string.Empty, abort).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return Stopped(result, "The run was stopped (Ctrl+C)."); }
                    catch (LeadspaceTokenUnavailableException ex)
                    {
                        // The renewal itself failed for a passing reason: retry the row later (nothing charged).
                        result.Failure = FailureKind.ConnectFailed;
                        result.Message = "HTTP 401, and the OAuth token could not be renewed: " + ex.Message;
                        again = false;
                    }
                    if (again) continue;
                }
                if (result.Failure == FailureKind.RateLimited)
                {
                    // Pause the whole program's gate for the server's Retry-After, but never longer than a retry delay.
                    Gate.Penalize(retryAfter, Settings.Retry.MaxDelay);
                }

                if (!Settings.Retry.ShouldRetry(result.Failure, result.Attempts, ambiguousRetries, started.Elapsed, retryAfter, _random, out var delay))
                {
                    Statistics.Failure();
                    return result;
                }
                if (RetryPolicy.IsAmbiguous(result.Failure)) ambiguousRetries++;
                Statistics.Retry();
                try
                {
                    await Task.Delay(delay, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    result.Stopped = true;
                    Statistics.Failure();
                    result.Message += abort.IsCancellationRequested ? " (Ctrl+C before the retry)" : " (the run stopped before the retry)";
                    return result;
                }
            }
        }

        private int _connectionHighWater;
        private long _lastSendTicks;
        private int _active; // calls granted by the gate and not finished

        /// <summary>
        /// Called by the gate at the moment of a grant. Whether this call will likely open a new connection:
        /// the pool keeps one connection per call that was ever active at once (until it has been idle for a
        /// while), so a new one opens only when more calls are active than ever before.
        /// </summary>
        private bool GrantAndProbeConnection()
        {
            int active = Interlocked.Increment(ref _active);
            long now = Stopwatch.GetTimestamp();
            long last = Interlocked.Exchange(ref _lastSendTicks, now);
            if (last != 0 && now - last > PoolIdleTimeout.TotalSeconds * Stopwatch.Frequency) Interlocked.Exchange(ref _connectionHighWater, 0);
            while (true)
            {
                int high = Volatile.Read(ref _connectionHighWater);
                if (active <= high) return false;
                if (Interlocked.CompareExchange(ref _connectionHighWater, active, high) == high) return true;
            }
        }

        /// <summary>Idle pooled connections are closed after about this long (.NET: 1–2 minutes; be conservative).</summary>
        private static readonly TimeSpan PoolIdleTimeout = TimeSpan.FromSeconds(50);

        private readonly struct AttemptOutcome
        {
            public AttemptOutcome(bool stopped, TimeSpan? retryAfter) { Stopped = stopped; RetryAfter = retryAfter; }
            public bool Stopped { get; }
            public TimeSpan? RetryAfter { get; }
        }

        /// <summary>One attempt: a free slot, a token, the program's rate, then the request. Fills
        /// <paramref name="result"/>; Stopped means the caller must return it as it is.</summary>
        private async Task<AttemptOutcome?> TryAttemptAsync(byte[] body, CallResult result, CancellationToken stopOrAbort, CancellationToken abort)
        {
            // 1. A free slot, a token, then the program's rate: the gate is passed last, right before the
            //    send, so the spacing it enforces is the spacing on the wire. A stop here sends nothing.
            Statistics.EnterQueue();
            string token;
            bool slot = false, granted = false;
            void Release()
            {
                if (slot) _concurrency.Release();
                if (granted) Interlocked.Decrement(ref _active);
            }
            try
            {
                await _concurrency.WaitAsync(stopOrAbort).ConfigureAwait(false);
                slot = true;
                token = await Tokens.GetTokenAsync(stopOrAbort).ConfigureAwait(false);
                await Gate.WaitAsync(stopOrAbort, () => { granted = true; return GrantAndProbeConnection(); }).ConfigureAwait(false);
                // The wait may have outlived the token (OAuth): take the current one, without delaying the send
                // unless it has really expired.
                token = Tokens.PeekValidToken() ?? await Tokens.GetTokenAsync(stopOrAbort).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Release();
                Stopped(result, abort.IsCancellationRequested ? "The run was stopped (Ctrl+C) before this row was sent." : "The run stopped before this row was sent.");
                return new AttemptOutcome(true, null);
            }
            catch (LeadspaceAuthenticationException ex)
            {
                Release();
                result.Failure = FailureKind.Unauthorized;
                result.HttpStatus = ex.HttpStatus;
                result.Message = ex.Message;
                Statistics.Failure();
                return new AttemptOutcome(true, null);
            }
            catch (LeadspaceTokenUnavailableException ex)
            {
                Release();
                result.Failure = FailureKind.ConnectFailed; // nothing sent: safe to retry
                result.Message = ex.Message;
                return null;
            }
            catch
            {
                Release();
                throw;
            }
            finally
            {
                Statistics.LeaveQueue();
            }

            // 2. The request.
            result.Attempts++;
            result.Sent = true;
            result.LastToken = token;
            result.Failure = FailureKind.None;
            int status = 0;
            string? text = null;
            TimeSpan? retryAfter = null;
            var attemptWatch = Stopwatch.StartNew();
            Statistics.EnterFlight();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abort);
                timeout.CancelAfter(Settings.Timeout);
                using var message = new HttpRequestMessage(HttpMethod.Post, _enrichUri) { Content = new ByteArrayContent(body) };
                message.Content.Headers.ContentType = JsonType;
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                HttpResponseMessage? response = null;
                try
                {
                    response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                    status = (int)response.StatusCode;
                    retryAfter = ReadRetryAfter(response);
                    text = response.Content == null ? null : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (status >= 200 && status < 300 && !abort.IsCancellationRequested && !(ex is OutOfMemoryException))
                {
                    // The answer was a success but its body was lost: the credit is spent, never retry.
                    result.Failure = FailureKind.InvalidResponse;
                    result.HttpStatus = status;
                    result.Message = $"HTTP {status}, but the body could not be read (not retried: the credit is spent): {ex.Message}";
                }
                catch (OperationCanceledException) when (!abort.IsCancellationRequested)
                {
                    status = 0;
                    result.Failure = FailureKind.Timeout;
                    result.Message = $"No answer within {Settings.Timeout.TotalSeconds:0.#} s; the call may have been processed (and charged).";
                }
                catch (HttpRequestException ex)
                {
                    status = 0;
                    result.Failure = IsConnectFailure(ex) ? FailureKind.ConnectFailed : FailureKind.ConnectionLost;
                    result.Message = (result.Failure == FailureKind.ConnectFailed ? "Could not connect: " : "The connection was lost before an answer arrived; the call may have been processed: ") + Flatten(ex);
                }
                catch (IOException ex)
                {
                    status = 0;
                    result.Failure = FailureKind.ConnectionLost;
                    result.Message = "The connection was lost before an answer arrived; the call may have been processed: " + ex.Message;
                }
                finally
                {
                    response?.Dispose();
                }
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                result.Stopped = true;
                result.Failure = FailureKind.ConnectionLost;
                result.Message = "The run was stopped (Ctrl+C) while this call was in flight; it may have been processed.";
                return new AttemptOutcome(true, null);
            }
            finally
            {
                Statistics.LeaveFlight();
                Release();
            }

            Statistics.Answer(status, attemptWatch.Elapsed);
            if (result.Failure == FailureKind.InvalidResponse)
            {
                Statistics.Failure();
                return new AttemptOutcome(true, null);
            }
            if (status != 0)
            {
                result.HttpStatus = status;
                result.Failure = RetryPolicy.Classify(status);
            }

            // 3. Success, or what the failure means.
            if (result.Failure == FailureKind.None)
            {
                try
                {
                    result.Response = EnrichmentResponse.Parse(text ?? string.Empty);
                    result.Message = null;
                }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    result.Failure = FailureKind.InvalidResponse;
                    result.Message = $"HTTP {status} with a body that could not be read (not retried: the credit is spent): {ex.Message}";
                    Statistics.Failure();
                }
                return new AttemptOutcome(true, null);
            }
            if (status != 0) DescribeHttpFailure(result, status, text);
            return new AttemptOutcome(false, retryAfter);
        }

        private static CallResult Stopped(CallResult result, string message)
        {
            result.Stopped = true;
            if (result.Attempts == 0) { result.Failure = FailureKind.None; result.Message = message; }
            else result.Message = (result.Message ?? string.Empty) + " " + message;
            return result;
        }

        private void DescribeHttpFailure(CallResult result, int status, string? text)
        {
            var program = Settings.ProgramId != null ? $" (program '{Settings.ProgramId}')" : string.Empty;
            switch (result.Failure)
            {
                case FailureKind.Unauthorized:
                    result.Message = $"HTTP 401: Leadspace rejected the credentials{program}; they are wrong or have expired."; break;
                case FailureKind.CreditsExhausted:
                    result.Message = $"HTTP 427: insufficient credits{program} (or an invalid program id). Ask your Customer Success Manager or support@leadspace.com for credits."; break;
                case FailureKind.RateLimited:
                    result.Message = "HTTP 429: rate limit exceeded."; break;
                case FailureKind.BadRequest:
                    result.Message = "HTTP 400: " + (string.IsNullOrWhiteSpace(text) ? "insufficient input or invalid JSON." : Shorten(text!)); break;
                case FailureKind.ServerError:
                case FailureKind.Timeout when status >= 500:
                    var error = ReadErrorBody(text);
                    result.TrackingId = error?.String("tracking_id");
                    var code = error?.String("error");
                    result.Message = $"HTTP {status}: server error" + (code != null ? $" '{code}'" : string.Empty)
                        + (result.TrackingId != null ? $", tracking id {result.TrackingId}" : string.Empty)
                        + (error?.String("request_timestamp") is string ts ? $", at {ts}" : string.Empty)
                        + (status == 504 ? " (gateway timeout: the call may have been processed)" : string.Empty) + "."; break;
                default:
                    result.Message = $"HTTP {status}" + (string.IsNullOrWhiteSpace(text) ? "." : ": " + Shorten(text!)); break;
            }
        }

        private static string Shorten(string text) => text.Length <= 300 ? text.Trim() : text.Substring(0, 300).Trim() + "…";

        /// <summary>A 5xx body ({"error", "tracking_id", "request_timestamp", …}), parsed once; null when absent or not JSON.</summary>
        private static JsonObjectReader? ReadErrorBody(string? json)
        {
            if (string.IsNullOrWhiteSpace(json)) return null;
            try
            {
                var root = JsonDocument.Parse(json!).RootElement.Clone();
                return root.ValueKind == JsonValueKind.Object ? new JsonObjectReader(root) : null;
            }
            catch (JsonException) { return null; }
        }

        /// <summary>Retry-After as sent: the typed header drops fractional seconds, so the raw value is parsed.</summary>
        private static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
            => response.Headers.TryGetValues("Retry-After", out var values)
                ? RetryPolicy.ParseRetryAfter(values.FirstOrDefault(), DateTimeOffset.UtcNow)
                : null;

        private static bool IsConnectFailure(Exception ex)
        {
            for (Exception? e = ex; e != null; e = e.InnerException)
            {
                if (e is SocketException se)
                {
                    return se.SocketErrorCode == SocketError.ConnectionRefused || se.SocketErrorCode == SocketError.HostNotFound
                        || se.SocketErrorCode == SocketError.HostUnreachable || se.SocketErrorCode == SocketError.NetworkUnreachable
                        || se.SocketErrorCode == SocketError.TryAgain;
                }
            }
            return false;
        }

        private static string Flatten(Exception ex)
        {
            var msg = ex.Message;
            for (var e = ex.InnerException; e != null; e = e.InnerException) msg += " " + e.Message;
            return msg;
        }

        public void Dispose()
        {
            _http.Dispose();
            Tokens.Dispose();
            _concurrency.Dispose();
        }
    }
}
