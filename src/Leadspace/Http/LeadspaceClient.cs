using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Auth;
using Leadspace.Model;
using Leadspace.RateLimiting;
using Leadspace.Resilience;

namespace Leadspace.Http
{
    /// <summary>The outcome of one enrichment call, after any retries.</summary>
    internal sealed class CallResult
    {
        public EnrichmentResponse? Response { get; set; }
        public int? HttpStatus { get; set; }
        public FailureKind Failure { get; set; }
        public string? Message { get; set; }
        public string? TrackingId { get; set; }
        /// <summary>HTTP requests sent for this row.</summary>
        public int Attempts { get; set; }
        /// <summary>False when no attempt reached the network (the row cost nothing).</summary>
        public bool Sent { get; set; }
        /// <summary>True when the run was stopped before this call could finish.</summary>
        public bool Stopped { get; set; }
        /// <summary>Sends of this row (earlier runs included) that may have been charged although no answer arrived
        /// (ambiguous failures, see <see cref="FailureTable"/>).</summary>
        public int PossibleCharges { get; set; }
        /// <summary>True when a 2xx answer arrived: Leadspace charged the call.</summary>
        public bool Charged => HttpStatus.HasValue && HttpStatus.Value >= 200 && HttpStatus.Value < 300;

        /// <summary>The token of the last attempt (to renew it after a 401); never shown.</summary>
        internal string? LastToken { get; set; }
    }

    /// <summary>What one call needs to know about the run it belongs to.</summary>
    internal sealed class CallContext
    {
        /// <summary>Cancelled when the run must not start new attempts (a fatal answer, a stopped pipeline); attempts
        /// already on the wire finish.</summary>
        public CancellationToken StopSending { get; set; }
        /// <summary>Cancelled when calls on the wire must be abandoned too (Ctrl+C, after the grace period).</summary>
        public CancellationToken Abort { get; set; }
        /// <summary>The run's view of the server as a whole (unreachable, timing out); null for a lone call.</summary>
        public RunHealth? Health { get; set; }
        /// <summary>Called right before each request goes on the wire (the run journal's write-ahead record); an
        /// exception from it stops the call unsent with <see cref="FailureKind.CheckpointFailed"/>.</summary>
        public Action? BeforeSend { get; set; }
        /// <summary>Sends of the same request in earlier runs that may have been charged without an answer: they
        /// count against -MaxAmbiguousRetries.</summary>
        public int PriorPossibleCharges { get; set; }
        /// <summary>The credit budget(s) of the run (-MaxCredits, the connection's -CreditBudget): one credit is
        /// reserved before each attempt's rate grant and settled by the attempt's outcome; null for none.</summary>
        public Budget.CreditBudget? Budget { get; set; }
    }

    /// <summary>Something that makes enrichment calls (the HTTP client, or a fake in tests).</summary>
    internal interface IEnrichmentCaller
    {
        Task<CallResult> EnrichAsync(EnrichmentRequest request, CallContext context);
    }

    /// <summary>
    /// The HTTP client of one connection: one pooled <see cref="HttpClient"/>, the shared rate gate of the
    /// program, a bound on concurrent calls, the token provider, and the retry policy.
    /// </summary>
    internal sealed class LeadspaceClient : IEnrichmentCaller, IDisposable
    {
        public const string EnrichPath = "/enrichment/enrich/single";
        private static readonly MediaTypeHeaderValue JsonType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        private readonly HttpClient _http;
        private readonly Uri _enrichUri;
        private readonly SemaphoreSlim _concurrency;
        private readonly Random _random = new Random();
        private readonly TimeProvider _time;

        /// <summary>The largest answer body ever read (-MaxResponseSizeMB's upper bound; the default is 4 MB).</summary>
        public const int MaxBodyBytes = ConnectionSettings.MaxResponseBytesLimit;

        /// <summary>What a 401 on a perpetual token most likely means (Leadspace's token lifecycle, from the API text).</summary>
        public const string PerpetualTokenLifecycle = "It may be mistyped, or it may have expired or been rotated: Leadspace's perpetual tokens should be rotated every six months and expire two years after they were issued. "
            + "Ask Leadspace (your Customer Success Manager or support@leadspace.com) for the current token, then Connect-Leadspace with it.";

        /// <summary>Consecutive failed OAuth token fetches after which a run stops (<see cref="FailureKind.TokenOutage"/>).</summary>
        public const int TokenOutageAfter = 5;

        public LeadspaceClient(ConnectionSettings settings, Func<HttpClient, ITokenProvider> tokens, IRateGate gate, HttpMessageHandler? handler = null, TimeProvider? time = null)
        {
            settings.Validate();
            Settings = settings;
            Gate = gate;
            _time = time ?? TimeProvider.System;
            Statistics = new ClientStatistics(_time);
            _http = new HttpClient(handler ?? CreateHandler(settings), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            _http.DefaultRequestHeaders.ExpectContinue = false; // .NET Framework would add a round trip per POST
            _http.DefaultRequestHeaders.UserAgent.ParseAdd("Leadspace-PowerShell/" + typeof(LeadspaceClient).Assembly.GetName().Version?.ToString(3));
            _enrichUri = ConnectionSettings.Endpoint(settings.BaseUri, EnrichPath);
            _concurrency = new SemaphoreSlim(settings.MaxConcurrency, settings.MaxConcurrency);
            Tokens = tokens(_http);
        }

        public ConnectionSettings Settings { get; }
        public IRateGate Gate { get; }
        public ITokenProvider Tokens { get; }
        public ClientStatistics Statistics { get; }
        /// <summary>The time source of this client (the system's; a fake one in tests).</summary>
        internal TimeProvider Time => _time;

        /// <summary>
        /// A handler whose connection pool matches the concurrency. On .NET Framework (Windows PowerShell 5.1)
        /// the per-host limit would otherwise be 2 and TLS 1.2 may be off. TLS is set on this handler only;
        /// the connection limit, on .NET Framework, is kept by the ServicePoint of the Leadspace host, so it is
        /// raised for that one host (never ServicePointManager.DefaultConnectionLimit, never other hosts).
        /// </summary>
        public static HttpMessageHandler CreateHandler(ConnectionSettings settings)
        {
            int maxConcurrency = settings.MaxConcurrency;
            var handler = new HttpClientHandler
            {
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            };
            try { handler.MaxConnectionsPerServer = Math.Max(2, maxConcurrency); } catch (PlatformNotSupportedException) { }
            // Proxies as Invoke-RestMethod: -NoProxy ignores the environment's; -Proxy is used for every call, a
            // loopback base URI included (no bypass on local); otherwise the default proxy (HTTPS_PROXY, HTTP_PROXY,
            // NO_PROXY, the system proxy) applies.
            if (settings.NoProxy)
            {
                handler.UseProxy = false;
            }
            else if (settings.Proxy != null)
            {
                var proxy = new WebProxy(settings.Proxy, BypassOnLocal: false);
                if (settings.ProxyUseDefaultCredentials) proxy.UseDefaultCredentials = true;
                else if (settings.ProxyCredential != null) proxy.Credentials = settings.ProxyCredential;
                handler.UseProxy = true;
                handler.Proxy = proxy;
            }
            if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
            {
                try { handler.SslProtocols = SslProtocols.Tls12 | (SslProtocols)12288 /* Tls13 */; }
                catch (PlatformNotSupportedException) { }
                catch (NotSupportedException) { handler.SslProtocols = SslProtocols.Tls12; }
            }
            return handler;
        }

        /// <summary>One call with no run around it (tests, a single record).</summary>
        public Task<CallResult> EnrichAsync(EnrichmentRequest request, CancellationToken stopSending, CancellationToken abort)
            => EnrichAsync(request, new CallContext { StopSending = stopSending, Abort = abort });

        /// <summary>
        /// Sends one request, retrying as <see cref="FailureTable"/> and the <see cref="RetryPolicy"/> allow. Never
        /// throws for a failure of the call: the outcome is in the result.
        /// </summary>
        public async Task<CallResult> EnrichAsync(EnrichmentRequest request, CallContext context)
        {
            var result = new CallResult { PossibleCharges = context.PriorPossibleCharges };
            long started = _time.GetTimestamp();
            int tries = 0; // every attempt, a failed token fetch included: drives -MaxAttempts and the backoff
            bool renewed = false;
            byte[] body = request.ToJsonUtf8();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.StopSending, context.Abort);

            while (true)
            {
                tries++;
                var (next, retryAfter) = await AttemptAsync(body, result, context, linked.Token).ConfigureAwait(false);
                if (next == Next.Done || result.Failure == FailureKind.None) return result;

                var kind = result.Failure;
                if (FailureTable.IsAmbiguous(kind)) result.PossibleCharges++;

                if (kind == FailureKind.Unauthorized && !renewed && result.Sent)
                {
                    renewed = true;
                    bool again;
                    try { again = await Tokens.RenewAfterUnauthorizedAsync(result.LastToken ?? string.Empty, context.Abort).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return Stopped(result, "The run was stopped (Ctrl+C)."); }
                    catch (LeadspaceTokenUnavailableException ex)
                    {
                        // The renewal itself failed for a passing reason: retry the row later (nothing charged).
                        result.Failure = FailureKind.TokenUnavailable;
                        result.Message = "HTTP 401, and the OAuth token could not be renewed: " + ex.Message;
                        again = false;
                    }
                    if (again) continue;
                    kind = result.Failure;
                }
                if (kind == FailureKind.RateLimited)
                {
                    // Pause the whole program's gate for the server's Retry-After, but never longer than a retry delay.
                    Gate.Penalize(retryAfter, Settings.Retry.MaxDelay);
                }
                if (!Settings.Retry.ShouldRetry(kind, tries, result.PossibleCharges, _time.GetElapsedTime(started), retryAfter, _random, out var delay, out var why))
                {
                    Statistics.Failure();
                    if (why != null) result.Message += " " + why;
                    return result;
                }
                if (kind == FailureKind.Timeout && context.Health != null && !context.Health.AllowTimeoutResend())
                {
                    var (timeouts, recent) = context.Health.RecentTimeouts;
                    Statistics.Failure();
                    result.Message += $" Not resent: {timeouts} of the run's last {recent} calls timed out" + (context.Health.Answered == 0 ? " and none has been answered yet" : string.Empty)
                        + $", so a resend would likely be charged again for nothing; consider a larger -TimeoutSec (now {Settings.Timeout.TotalSeconds:0.#} s).";
                    return result;
                }
                Statistics.Retry();
                try
                {
                    await _time.Delay(delay, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Statistics.Failure();
                    return Stopped(result, context.Abort.IsCancellationRequested ? "(Ctrl+C before the retry)" : "(the run stopped before the retry)");
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
            long now = _time.GetTimestamp();
            long last = Interlocked.Exchange(ref _lastSendTicks, now);
            if (last != 0 && now - last > PoolIdleTimeout.TotalSeconds * _time.TimestampFrequency) Interlocked.Exchange(ref _connectionHighWater, 0);
            while (true)
            {
                int high = Volatile.Read(ref _connectionHighWater);
                if (active <= high) return false;
                if (Interlocked.CompareExchange(ref _connectionHighWater, active, high) == high) return true;
            }
        }

        /// <summary>Idle pooled connections are closed after about this long (.NET: 1–2 minutes; be conservative).</summary>
        private static readonly TimeSpan PoolIdleTimeout = TimeSpan.FromSeconds(50);

        private enum Next { Retry, Done }

        /// <summary>One attempt: a free slot, a token, the program's rate, the write-ahead hook, then the request,
        /// bounded as a whole (headers and body) by the timeout. Fills <paramref name="result"/>; Done means the
        /// caller must return it as it is (stopped, refused, journal failure, or an answer).</summary>
        private async Task<(Next Next, TimeSpan? RetryAfter)> AttemptAsync(byte[] body, CallResult result, CallContext context, CancellationToken stopOrAbort)
        {
            var abort = context.Abort;
            // 1. A free slot, a token, then the program's rate: the gate is passed last, right before the
            //    send, so the spacing it enforces is the spacing on the wire. A stop here sends nothing.
            Statistics.EnterQueue();
            string token;
            bool slot = false, granted = false;
            long grantedAt = 0;
            Budget.CreditReservation? reservation = null;
            void Release()
            {
                reservation?.Settle(Budget.CreditSettlement.NotCharged); // not sent: the credit goes back
                if (slot) { slot = false; _concurrency.Release(); }
                if (granted) { granted = false; Interlocked.Decrement(ref _active); }
            }
            try
            {
                await _concurrency.WaitAsync(stopOrAbort).ConfigureAwait(false);
                slot = true;
                token = await Tokens.GetTokenAsync(stopOrAbort).ConfigureAwait(false);
                if (context.Budget != null)
                {
                    // A credit before the rate grant: a spent budget costs no grant, and the gate's spacing stays the
                    // spacing on the wire.
                    var answer = await context.Budget.ReserveAsync(stopOrAbort).ConfigureAwait(false);
                    if (!answer.Granted)
                    {
                        Release();
                        if (result.Sent && result.Failure != FailureKind.None && !FailureTable.IsFatal(result.Failure))
                        {
                            // An earlier attempt went out and failed (perhaps charged, without an answer): the row keeps
                            // that failure; the budget only stopped the resend.
                            result.Message = (result.Message ?? "The call failed.") + " Not resent: " + answer.Message + ".";
                        }
                        else
                        {
                            result.Failure = FailureKind.BudgetExhausted;
                            result.Message = (result.Sent ? "Not resent: " : "Not sent: ") + answer.Message + (result.Sent ? "." : " (no credit spent).");
                        }
                        return (Next.Done, null);
                    }
                    reservation = answer.Reservation;
                }
                await Gate.WaitAsync(stopOrAbort, () => { granted = true; return GrantAndProbeConnection(); }).ConfigureAwait(false);
                grantedAt = _time.GetTimestamp();
                // The wait may have outlived the token (OAuth): take the current one, without delaying the send
                // unless it has really expired.
                token = Tokens.PeekValidToken() ?? await Tokens.GetTokenAsync(stopOrAbort).ConfigureAwait(false);
                stopOrAbort.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                Release();
                Stopped(result, abort.IsCancellationRequested ? "The run was stopped (Ctrl+C) before this row was sent." : "The run stopped before this row was sent.");
                return (Next.Done, null);
            }
            catch (LeadspaceAuthenticationException ex)
            {
                Release();
                result.Failure = FailureKind.Unauthorized;
                result.HttpStatus ??= ex.HttpStatus;
                result.Message = ex.Message;
                Statistics.Failure();
                return (Next.Done, null);
            }
            catch (LeadspaceTokenUnavailableException ex) when (ex.HttpStatus == 407 || IsProxyAuthenticationFailure(ex))
            {
                // The OAuth token call goes through the same proxy: a 407 there stops the run as one here would.
                Release();
                result.Failure = FailureKind.ProxyAuthenticationRequired;
                result.Message = ProxyRefused("HTTP 407 to the OAuth token request");
                Statistics.Failure();
                return (Next.Done, null);
            }
            catch (LeadspaceTokenUnavailableException ex)
            {
                Release();
                // Nothing sent: safe to retry, with backoff; the run stops once fetches keep failing.
                bool outage = Tokens.ConsecutiveFailures >= TokenOutageAfter;
                result.Failure = outage ? FailureKind.TokenOutage : FailureKind.TokenUnavailable;
                result.Message = outage ? $"OAuth token fetches failed {Tokens.ConsecutiveFailures} times in a row: {ex.Message}" : ex.Message;
                return (Next.Retry, ex.RetryAfter); // wait for the provider's backoff rather than burn attempts
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

            // 2. The write-ahead record (run journal): if it cannot be written, nothing is sent.
            if (context.BeforeSend != null)
            {
                try { context.BeforeSend(); }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    Release();
                    result.Failure = FailureKind.CheckpointFailed;
                    result.Message = "The run journal could not be written, so the call was not sent: " + ex.Message;
                    return (Next.Done, null);
                }
            }

            // 3. The request: headers and body within the timeout. From here the reservation is settled by the outcome.
            var sending = reservation;
            reservation = null;
            bool sentBefore = result.Sent;
            result.Attempts++;
            result.Sent = true;
            result.LastToken = token;
            result.Failure = FailureKind.None;
            int status = 0;
            string? text = null;
            TimeSpan? retryAfter = null;
            Exception? bodyError = null;
            long attemptStarted = _time.GetTimestamp();
            Statistics.GrantToSend(_time.GetElapsedTime(grantedAt));
            Statistics.EnterFlight();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abort);
            timeout.CancelAfter(Settings.Timeout);
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, _enrichUri) { Content = new ByteArrayContent(body) };
                message.Content.Headers.ContentType = JsonType;
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                status = (int)response.StatusCode;
                retryAfter = ReadRetryAfter(response);
                try
                {
                    text = await ReadBodyAsync(response, Settings.MaxResponseBytes, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!abort.IsCancellationRequested && !(ex is OutOfMemoryException))
                {
                    bodyError = ex;
                }
            }
            catch (Exception) when (abort.IsCancellationRequested)
            {
                result.Stopped = true;
                result.Failure = FailureKind.ConnectionLost;
                result.PossibleCharges++;
                result.Message = "The run was stopped (Ctrl+C) while this call was in flight; it may have been processed (and charged).";
                return (Next.Done, null);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                result.Failure = FailureKind.Timeout;
                result.Message = $"No answer within {Settings.Timeout.TotalSeconds:0.#} s; the call may have been processed (and charged).";
            }
            catch (HttpRequestException ex) when (IsProxyAuthenticationFailure(ex))
            {
                // An https base URI through a proxy: the CONNECT tunnel was refused with 407, so nothing was sent.
                result.Failure = FailureKind.ProxyAuthenticationRequired;
                result.Sent = sentBefore;
                result.Message = ProxyRefused("HTTP 407 to the tunnel request");
                Statistics.Failure();
                return (Next.Done, null);
            }
            catch (HttpRequestException ex)
            {
                result.Failure = IsConnectFailure(ex) ? FailureKind.ConnectFailed : FailureKind.ConnectionLost;
                result.Message = (result.Failure == FailureKind.ConnectFailed ? "Could not connect: " : "The connection was lost before an answer arrived; the call may have been processed (and charged): ") + Flatten(ex);
            }
            catch (IOException ex)
            {
                result.Failure = FailureKind.ConnectionLost;
                result.Message = "The connection was lost before an answer arrived; the call may have been processed (and charged): " + ex.Message;
            }
            finally
            {
                Statistics.LeaveFlight();
                Release();
                // Charged (2xx), kept (the call may have been charged: timeouts, 502/504, a lost connection, Ctrl+C on
                // the wire) or given back (an answer that proves no charge; a refused connection).
                sending?.Settle(Budget.CreditBudget.SettlementFor(
                    result.Failure != FailureKind.ConnectFailed || status != 0, status,
                    status != 0 ? FailureTable.Classify(status) : result.Failure == FailureKind.None ? FailureKind.ConnectionLost : result.Failure));
            }

            Statistics.Answer(status, _time.GetElapsedTime(attemptStarted));
            var health = context.Health;
            if (status == 0)
            {
                switch (result.Failure)
                {
                    case FailureKind.Timeout:
                        health?.RecordTimeout();
                        if (health != null && health.IsUnresponsive) MarkUnreachable(result, $"the last {RunHealth.UnresponsiveAfter} calls all timed out after {Settings.Timeout.TotalSeconds:0.#} s and none was answered");
                        break;
                    case FailureKind.ConnectFailed:
                        result.Sent = sentBefore; // no connection, so nothing left this machine
                        if (health != null && health.RecordConnectFailure()) MarkUnreachable(result, $"the last {RunHealth.UnreachableAfter} calls could not connect and none was answered");
                        break;
                    case FailureKind.ConnectionLost:
                        health?.RecordConnectionLost();
                        break;
                }
                return (Next.Retry, null);
            }

            health?.RecordAnswer();
            result.HttpStatus = status;
            bool success = status >= 200 && status < 300;
            if (success && bodyError != null)
            {
                // The answer was a success but its body was lost: the credit is spent, never retry.
                result.Failure = FailureKind.InvalidResponse;
                result.Message = timeout.IsCancellationRequested
                    ? $"HTTP {status}, but the body did not arrive within {Settings.Timeout.TotalSeconds:0.#} s (not retried: the credit is spent)."
                    : $"HTTP {status}, but the body could not be read (not retried: the credit is spent): {bodyError.Message}";
                Statistics.Failure();
                return (Next.Done, null);
            }
            result.Failure = FailureTable.Classify(status);
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
                return (Next.Done, null);
            }
            DescribeHttpFailure(result, status, text, sentBefore);
            if (bodyError != null && result.Failure != FailureKind.ProxyAuthenticationRequired) result.Message += timeout.IsCancellationRequested ? " (the body did not arrive in time)" : " (the body could not be read)";
            return (Next.Retry, retryAfter);
        }

        private void MarkUnreachable(CallResult result, string why)
        {
            result.Failure = FailureKind.Unreachable;
            result.Message = $"{Settings.BaseUri.GetLeftPart(UriPartial.Authority)} looks unreachable: {why}. The run stopped sending. Last error: {result.Message}";
        }

        /// <summary>Reads the whole body under <paramref name="cancellationToken"/> (the attempt's timeout and Ctrl+C):
        /// a server that sends headers and then stalls cannot hang the row.</summary>
        internal static async Task<string?> ReadBodyAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
        {
            var content = response.Content;
            if (content == null) return null;
            if (content.Headers.ContentLength is long declared && declared > maxBytes) throw TooLarge(maxBytes, declared);
            // Older handlers (.NET Framework) ignore the token on a network read: closing the response ends it.
            using var closeOnCancel = cancellationToken.Register(() => { try { response.Dispose(); } catch (ObjectDisposedException) { } });
            using var stream = await content.ReadAsStreamAsync().ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[16384];
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = await stream.ReadAsync(chunk, 0, chunk.Length, cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
                buffer.Write(chunk, 0, n);
                if (buffer.Length > maxBytes) throw TooLarge(maxBytes, null);
            }
            cancellationToken.ThrowIfCancellationRequested();
            return Decode(buffer.GetBuffer(), (int)buffer.Length, content.Headers.ContentType?.CharSet);
        }

        private static InvalidDataException TooLarge(int maxBytes, long? declared)
            => new InvalidDataException($"The answer is larger than the {Size(maxBytes)} allowed (Connect-Leadspace -MaxResponseSizeMB)"
                + (declared.HasValue ? $": it declares {Size(declared.Value)}." : "; the rest was not read."));

        private static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.##} MB" : $"{bytes / 1024.0:0.##} KB";

        private static string Decode(byte[] bytes, int count, string? charset)
        {
            Encoding encoding = Encoding.UTF8;
            if (!string.IsNullOrWhiteSpace(charset))
            {
                try { encoding = Encoding.GetEncoding(charset!.Trim().Trim('"')); }
                catch (ArgumentException) { }
            }
            int offset = 0;
            if (encoding is UTF8Encoding && count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) offset = 3;
            return encoding.GetString(bytes, offset, count - offset);
        }

        private static CallResult Stopped(CallResult result, string message)
        {
            result.Stopped = true;
            if (result.Attempts == 0) { result.Failure = FailureKind.None; result.Message = message; }
            else result.Message = (result.Message ?? string.Empty) + " " + message;
            return result;
        }

        private void DescribeHttpFailure(CallResult result, int status, string? text, bool sentBefore)
        {
            var program = Settings.ProgramId != null ? $" (program '{Settings.ProgramId}')" : string.Empty;
            switch (result.Failure)
            {
                case FailureKind.Unauthorized:
                    result.Message = Tokens is PerpetualTokenProvider
                        ? $"HTTP 401: Leadspace rejected the perpetual token{program}. {PerpetualTokenLifecycle}"
                        : $"HTTP 401: Leadspace rejected the credentials{program}; they are wrong or have expired."; break;
                case FailureKind.ProxyAuthenticationRequired:
                    result.Sent = sentBefore; // the proxy refused it: nothing reached Leadspace
                    result.Message = ProxyRefused("HTTP 407"); break;
                case FailureKind.CreditsExhausted:
                    result.Message = $"HTTP 427: insufficient credits{program} (or an invalid program id). Ask your Customer Success Manager or support@leadspace.com for credits."; break;
                case FailureKind.RateLimited:
                    result.Message = "HTTP 429: rate limit exceeded."; break;
                case FailureKind.BadRequest:
                    result.Message = "HTTP 400: " + (string.IsNullOrWhiteSpace(text) ? "insufficient input or invalid JSON." : Shorten(text!)); break;
                case FailureKind.ServerError:
                case FailureKind.BadGateway:
                case FailureKind.GatewayTimeout:
                    var error = ErrorBody.Parse(text);
                    result.TrackingId = error.TrackingId;
                    result.Message = $"HTTP {status}: server error, {error.Describe()}"
                        + (result.Failure == FailureKind.BadGateway ? " (bad gateway: the call may have been processed and charged)"
                           : result.Failure == FailureKind.GatewayTimeout ? " (gateway timeout: the call may have been processed and charged)" : string.Empty) + "."; break;
                case FailureKind.RequestTimeout:
                    result.Message = "HTTP 408: the server did not receive the whole request in time (not processed)."; break;
                default:
                    result.Message = $"HTTP {status}" + (string.IsNullOrWhiteSpace(text) ? "." : ": " + Shorten(text!)); break;
            }
        }

        private static string Shorten(string text) => text.Length <= 300 ? text.Trim() : text.Substring(0, 300).Trim() + "…";

        /// <summary>Retry-After as sent: the typed header drops fractional seconds, so the raw value is parsed.</summary>
        private TimeSpan? ReadRetryAfter(HttpResponseMessage response)
            => response.Headers.TryGetValues("Retry-After", out var values)
                ? RetryPolicy.ParseRetryAfter(values.FirstOrDefault(), _time.GetUtcNow())
                : null;

        /// <summary>"HTTP 407 …: the proxy http://proxy:8080 requires authentication …", naming the proxy.</summary>
        private string ProxyRefused(string what)
        {
            var hint = Settings.ProxyCredential != null || Settings.ProxyUseDefaultCredentials
                ? "refused the credentials given (-ProxyCredential / -ProxyUseDefaultCredentials)"
                : "requires authentication (Proxy Authentication Required) and none was given: pass -ProxyCredential or -ProxyUseDefaultCredentials";
            return $"{what}: the proxy {ProxyDescription()} {hint}. Nothing reached Leadspace.";
        }

        /// <summary>The proxy the calls go through, for messages (never with a user name or password).</summary>
        internal string ProxyDescription()
        {
            if (Settings.Proxy != null) return ConnectionSettings.Redact(Settings.Proxy).TrimEnd('/');
            try
            {
                var proxy = WebRequest.DefaultWebProxy?.GetProxy(_enrichUri);
                if (proxy != null && proxy != _enrichUri)
                    return $"{proxy.Scheme}://{proxy.Authority} (from the environment's or system's proxy settings)";
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException)) { }
            return "(the environment's or system's proxy)";
        }

        /// <summary>A proxy's CONNECT tunnel answered 407 (the handler reports it as an exception, not a status).</summary>
        internal static bool IsProxyAuthenticationFailure(Exception ex)
        {
            for (Exception? e = ex; e != null; e = e.InnerException)
            {
                // .NET 5+: HttpRequestException.StatusCode (not in netstandard2.0, so read by name).
                var status = e.GetType().GetProperty("StatusCode")?.GetValue(e);
                if (status is HttpStatusCode code && code == HttpStatusCode.ProxyAuthenticationRequired) return true;
                var text = e.Message ?? string.Empty;
                if (text.IndexOf("proxy", StringComparison.OrdinalIgnoreCase) >= 0
                    && (text.Contains("'407'") || text.Contains(" 407") || text.IndexOf("Proxy Authentication Required", StringComparison.OrdinalIgnoreCase) >= 0)) return true;
            }
            return false;
        }

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
