using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Leadspace.Engine;

namespace Leadspace.Resilience
{
    /// <summary>What went wrong with a call (or why it was never made). Its meaning is in <see cref="FailureTable"/>.</summary>
    public enum FailureKind
    {
        None,
        /// <summary>429: over the rate limit. Refused before processing.</summary>
        RateLimited,
        /// <summary>500, 503 and the other retryable 5xx where the service itself says it failed or could not take the call.</summary>
        ServerError,
        /// <summary>502 (and Cloudflare's 520): a gateway lost the service's answer; the service may have done the work.</summary>
        BadGateway,
        /// <summary>504 (and 524, 598, 599): a gateway stopped waiting for the service; the service may have done the work.</summary>
        GatewayTimeout,
        /// <summary>No answer within -TimeoutSec (headers and body): the call may have been processed.</summary>
        Timeout,
        /// <summary>408: the server did not receive the whole request in time, so it did not process it.</summary>
        RequestTimeout,
        /// <summary>The connection could not be made: the call was certainly not processed.</summary>
        ConnectFailed,
        /// <summary>The connection broke after the request was sent: the call may have been processed.</summary>
        ConnectionLost,
        /// <summary>Every one of the last calls of the run failed to connect, or timed out, and none was answered:
        /// the run stops sending.</summary>
        Unreachable,
        /// <summary>No OAuth token could be obtained for now (the token endpoint failed); nothing was sent.</summary>
        TokenUnavailable,
        /// <summary>OAuth token fetches keep failing: the run stops.</summary>
        TokenOutage,
        /// <summary>401 (after one OAuth renewal), or the OAuth endpoint refused the program's credentials.</summary>
        Unauthorized,
        /// <summary>427: out of credits, or an invalid program id.</summary>
        CreditsExhausted,
        /// <summary>400: insufficient input or invalid JSON.</summary>
        BadRequest,
        /// <summary>Any other answer that retrying cannot fix: 3xx, 403, 404, 405, 415, other 4xx, 501, 505.</summary>
        ClientError,
        /// <summary>A 200 whose body could not be read or holds no usable answer. Not retried: the credit is spent.</summary>
        InvalidResponse,
        /// <summary>The run journal (-CheckpointPath) could not be written: the run stops before the next paid call.</summary>
        CheckpointFailed,
        /// <summary>The request was on the wire when an earlier run ended (crash, kill, stop) and may have been
        /// charged; -MaxAmbiguousRetries allows no further resend.</summary>
        InterruptedCall,
        /// <summary>A defect or an unforeseen exception in the client.</summary>
        Unexpected,
        /// <summary>407 from a proxy between this machine and Leadspace (or its CONNECT tunnel): the proxy wants
        /// credentials, or refused the ones given. Nothing reached Leadspace. (Last, so that the
        /// numbers of the kinds before it stay as they were.)</summary>
        ProxyAuthenticationRequired,
        /// <summary>The credit budget (the run's -MaxCredits, the connection's -CreditBudget) allows no further call:
        /// not sent, no credit spent. Not fatal: rows the journal or an identical row can answer still are.</summary>
        BudgetExhausted,
    }

    /// <summary>What one <see cref="FailureKind"/> means for the call, the run and the user.</summary>
    public sealed class FailureSemantics
    {
        internal FailureSemantics(FailureKind kind, bool retryable, bool ambiguous, bool fatal, string errorId, int category, string cause, string action)
        {
            Kind = kind; Retryable = retryable; Ambiguous = ambiguous; Fatal = fatal;
            Error = new ErrorEntry(errorId, category, action); Cause = cause;
        }

        public FailureKind Kind { get; }
        /// <summary>Retried within -MaxAttempts and -MaxRetrySec.</summary>
        public bool Retryable { get; }
        /// <summary>The call may have been processed and charged although no answer arrived: resent at most
        /// -MaxAmbiguousRetries times.</summary>
        public bool Ambiguous { get; }
        /// <summary>No later call can succeed: the run stops sending (the rest come out NotSent).</summary>
        public bool Fatal { get; }
        /// <summary>The row of the error table (<see cref="ErrorTable"/>) that the ErrorRecord reads.</summary>
        internal ErrorEntry Error { get; }
        /// <summary>The stable ErrorId of the row's (or the run's) ErrorRecord.</summary>
        public string ErrorId => Error.ErrorId;
        /// <summary>The ErrorCategory of the row's (or the run's) ErrorRecord.</summary>
        public ErrorCategory Category => Error.Category;
        public string Cause { get; }
        public string RecommendedAction => Error.RecommendedAction!;

        public override string ToString() => $"{Kind}: {ErrorId}";
    }

    /// <summary>How an HTTP status is classified, and why.</summary>
    public sealed class StatusRule
    {
        internal StatusRule(int from, int to, FailureKind kind, string why) { From = from; To = to; Kind = kind; Why = why; }
        public int From { get; }
        public int To { get; }
        public FailureKind Kind { get; }
        public string Why { get; }
        public string Statuses => From == To ? From.ToString() : $"{From}-{To}";
    }

    /// <summary>
    /// The one table of failure semantics: how each HTTP status and each transport failure is classified, and,
    /// for each kind, whether it is retried, whether the call may have been charged although no answer arrived
    /// (ambiguous), whether it ends the run, and the ErrorId, ErrorCategory and recommended action the user sees.
    /// The client, the engine, the cmdlet and the help all read it.
    /// </summary>
    public static class FailureTable
    {
        internal const string RetryLater = "Resend the rows later: $err.TargetObject | Invoke-LeadspaceEnrichment.";

        private static readonly FailureSemantics[] Kinds =
        {
            new FailureSemantics(FailureKind.RateLimited, true, false, false, ErrorIds.RateLimited, (int)ErrorCategory.LimitsExceeded,
                "429 after every retry: the program's calls per second were exceeded (another process may share the program).",
                "Lower -RequestsPerSecond, or share one rate limit between processes (-RateLimitStore). " + RetryLater),
            new FailureSemantics(FailureKind.ServerError, true, false, false, ErrorIds.ServerError, (int)ErrorCategory.ResourceUnavailable,
                "500, 503 or another 5xx after every retry: the service reported that it failed or could not take the call.",
                "Retry later; quote the tracking id to Leadspace support if it persists. " + RetryLater),
            new FailureSemantics(FailureKind.BadGateway, true, true, false, ErrorIds.ServerError, (int)ErrorCategory.ResourceUnavailable,
                "502 (or 520): a gateway lost the service's answer; the call may have been processed and charged.",
                "Retry later; the row may already have been charged. " + RetryLater),
            new FailureSemantics(FailureKind.GatewayTimeout, true, true, false, ErrorIds.Timeout, (int)ErrorCategory.OperationTimeout,
                "504 (or 524, 598, 599): a gateway stopped waiting for the service; the call may have been processed and charged.",
                "Retry later; the row may already have been charged. " + RetryLater),
            new FailureSemantics(FailureKind.Timeout, true, true, false, ErrorIds.Timeout, (int)ErrorCategory.OperationTimeout,
                "No complete answer within -TimeoutSec; the call may have been processed and charged.",
                "Raise Connect-Leadspace -TimeoutSec if answers are slow; the row may already have been charged. " + RetryLater),
            new FailureSemantics(FailureKind.RequestTimeout, true, false, false, ErrorIds.Timeout, (int)ErrorCategory.OperationTimeout,
                "408: the server did not receive the whole request in time and did not process it.",
                RetryLater),
            new FailureSemantics(FailureKind.ConnectFailed, true, false, false, ErrorIds.ConnectFailed, (int)ErrorCategory.ConnectionError,
                "The connection could not be made (refused, DNS, network); nothing was sent.",
                "Check -BaseUri and the network. " + RetryLater),
            new FailureSemantics(FailureKind.ConnectionLost, true, true, false, ErrorIds.ConnectionLost, (int)ErrorCategory.ConnectionError,
                "The connection broke after the request was sent; the call may have been processed and charged.",
                "Retry later; the row may already have been charged. " + RetryLater),
            new FailureSemantics(FailureKind.Unreachable, false, false, true, ErrorIds.Unreachable, (int)ErrorCategory.ConnectionError,
                "Every one of the last calls failed to connect (or timed out) and none was answered: the run stopped sending.",
                "Check -BaseUri (Get-LeadspaceConnection), DNS, proxy and firewall, or raise -TimeoutSec, then resend the rows that were not sent."),
            new FailureSemantics(FailureKind.TokenUnavailable, true, false, false, ErrorIds.OAuthUnavailable, (int)ErrorCategory.ConnectionError,
                "No OAuth token could be obtained after every retry (the token endpoint failed); nothing was sent.",
                "Check that the OAuth endpoint is reachable. " + RetryLater),
            new FailureSemantics(FailureKind.TokenOutage, false, false, true, ErrorIds.OAuthUnavailable, (int)ErrorCategory.ConnectionError,
                "OAuth token fetches kept failing: the run stopped sending (nothing was charged).",
                "Check that the OAuth endpoint is reachable, then resend the rows that were not sent."),
            new FailureSemantics(FailureKind.Unauthorized, false, false, true, ErrorIds.Unauthorized, (int)ErrorCategory.AuthenticationError,
                "401: the token or OAuth credentials were rejected or have expired; the run stopped.",
                "Check the token or OAuth credentials, run Connect-Leadspace again, then resend the rows that were not sent."),
            new FailureSemantics(FailureKind.ProxyAuthenticationRequired, false, false, true, ErrorIds.ProxyAuthenticationRequired, (int)ErrorCategory.AuthenticationError,
                "407: the proxy between this machine and Leadspace requires authentication, or refused the credentials given; nothing reached Leadspace and the run stopped.",
                "Connect-Leadspace again with -Proxy <uri> -ProxyCredential <credential> (or -ProxyUseDefaultCredentials), or -NoProxy if Leadspace is reachable without the proxy, then resend the rows that were not sent."),
            new FailureSemantics(FailureKind.CreditsExhausted, false, false, true, ErrorIds.CreditsExhausted, (int)ErrorCategory.QuotaExceeded,
                "427: the program has no credits left, or the program id is invalid; the run stopped.",
                "Ask your Customer Success Manager or support@leadspace.com for credits (or check the program id), then resend the rows that were not sent."),
            new FailureSemantics(FailureKind.BudgetExhausted, false, false, false, ErrorIds.BudgetExhausted, (int)ErrorCategory.QuotaExceeded,
                "The credit budget (Invoke-LeadspaceEnrichment -MaxCredits, or Connect-Leadspace -CreditBudget for the period) allows no further call: the row was not sent and cost nothing.",
                "Raise -MaxCredits (or wait for the next budget period, Get-LeadspaceRateStatus shows it), then rerun with the same -CheckpointPath: answered rows are not paid again."),
            new FailureSemantics(FailureKind.BadRequest, false, false, false, ErrorIds.BadRequest, (int)ErrorCategory.InvalidArgument,
                "400: Leadspace found the input insufficient or the JSON invalid.",
                "Check the row's values (see the message) and map other columns with -PropertyMap."),
            new FailureSemantics(FailureKind.ClientError, false, false, false, ErrorIds.HttpError, (int)ErrorCategory.ProtocolError,
                "An answer retrying cannot fix (3xx, 403, 404, 405, 415, another 4xx, 501, 505).",
                "Check -BaseUri and any proxy in between; the message quotes the answer."),
            new FailureSemantics(FailureKind.InvalidResponse, false, false, false, ErrorIds.InvalidResponse, (int)ErrorCategory.InvalidResult,
                "A 200 whose body could not be read or holds no usable answer. Not retried: the credit is spent.",
                "Report the answer (the message, -AsResponse .Json) to Leadspace support; resending costs another credit."),
            new FailureSemantics(FailureKind.CheckpointFailed, false, false, true, ErrorIds.CheckpointFailed, (int)ErrorCategory.WriteError,
                "The run journal (-CheckpointPath) could not be written: the run stopped before the next paid call.",
                "Free disk space or fix the journal's permissions, then rerun the same command with the same -CheckpointPath."),
            new FailureSemantics(FailureKind.InterruptedCall, true, true, false, ErrorIds.NotResent, (int)ErrorCategory.OperationStopped,
                "Sent in an earlier run that ended before its answer (a crash, a kill, a stop); it may have been charged, and -MaxAmbiguousRetries allows no further resend.",
                "Raise Connect-Leadspace -MaxAmbiguousRetries to resend it anyway (it may be charged again), or ask Leadspace whether it was charged."),
            new FailureSemantics(FailureKind.Unexpected, false, false, false, ErrorIds.UnexpectedError, (int)ErrorCategory.InvalidOperation,
                "An unexpected error in the module.",
                "Report it with the message; resend the row later."),
        };

        private static readonly Dictionary<FailureKind, FailureSemantics> ByKind = Kinds.ToDictionary(k => k.Kind);

        /// <summary>Status classification in the order it is decided; the first rule whose range holds the status wins.</summary>
        public static readonly IReadOnlyList<StatusRule> Statuses = new[]
        {
            new StatusRule(200, 299, FailureKind.None, "success (a 200 without a usable answer is InvalidResponse)"),
            new StatusRule(300, 399, FailureKind.ClientError, "a redirect: not followed, the token must not travel elsewhere"),
            new StatusRule(400, 400, FailureKind.BadRequest, "the spec: insufficient input or invalid JSON"),
            new StatusRule(401, 401, FailureKind.Unauthorized, "the spec: wrong or expired credentials (OAuth: renewed once first)"),
            new StatusRule(407, 407, FailureKind.ProxyAuthenticationRequired, "a proxy wants credentials: nothing reached Leadspace, and no later call can pass"),
            new StatusRule(408, 408, FailureKind.RequestTimeout, "the server gave up receiving the request: not processed"),
            new StatusRule(427, 427, FailureKind.CreditsExhausted, "the spec: insufficient credits (the addendum: or an invalid program id)"),
            new StatusRule(429, 429, FailureKind.RateLimited, "the spec: rate limit exceeded, refused before processing"),
            new StatusRule(400, 499, FailureKind.ClientError, "another client error: retrying the same request cannot succeed"),
            new StatusRule(500, 500, FailureKind.ServerError, "the service's own error answer (the spec: error code, timestamp, tracking id)"),
            new StatusRule(501, 501, FailureKind.ClientError, "not implemented: permanent"),
            new StatusRule(502, 502, FailureKind.BadGateway, "a gateway got no valid answer from the service, which may have done the work"),
            new StatusRule(503, 503, FailureKind.ServerError, "the service is unavailable and did not take the call"),
            new StatusRule(504, 504, FailureKind.GatewayTimeout, "a gateway stopped waiting; the service may have done the work"),
            new StatusRule(505, 505, FailureKind.ClientError, "HTTP version not supported: permanent"),
            new StatusRule(520, 520, FailureKind.BadGateway, "CDN: the origin's answer was unusable; it may have done the work"),
            new StatusRule(521, 523, FailureKind.ServerError, "CDN: the origin was down or unreachable; not processed"),
            new StatusRule(524, 524, FailureKind.GatewayTimeout, "CDN: the origin took too long; it may have done the work"),
            new StatusRule(598, 599, FailureKind.GatewayTimeout, "proxy network timeouts; the service may have done the work"),
            new StatusRule(500, 599, FailureKind.ServerError, "another server error: retried, not counted as a possible charge"),
            new StatusRule(0, int.MaxValue, FailureKind.ClientError, "an unexpected status"),
        };

        /// <summary>Every kind that can end a row or a run, in documentation order.</summary>
        public static IReadOnlyList<FailureSemantics> All => Kinds;

        internal static FailureSemantics For(FailureKind kind)
        {
            if (ByKind.TryGetValue(kind, out var s)) return s;
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "FailureKind.None has no failure semantics.");
        }

        internal static FailureKind Classify(int status)
        {
            foreach (var rule in Statuses)
            {
                if (status >= rule.From && status <= rule.To) return rule.Kind;
            }
            return FailureKind.ClientError;
        }

        internal static bool IsRetryable(FailureKind kind) => kind != FailureKind.None && For(kind).Retryable;
        internal static bool IsAmbiguous(FailureKind kind) => kind != FailureKind.None && For(kind).Ambiguous;
        internal static bool IsFatal(FailureKind kind) => kind != FailureKind.None && For(kind).Fatal;
    }
}
