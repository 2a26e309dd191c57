using Leadspace.Resilience;

namespace Leadspace.Engine
{
    /// <summary>
    /// The stable ErrorIds of a row's result and error (the help's table of them is generated from these and from
    /// <see cref="FailureTable"/>). The category and recommended action of each error, and the ids of the other errors
    /// (parameters, connections, journals, the rate limit store), are in <see cref="ErrorTable"/>.
    /// </summary>
    public static class ErrorIds
    {
        // ---- A row's result ----
        public const string InvalidInput = "LeadspaceInvalidInput";
        public const string NotSent = "LeadspaceNotSent";
        /// <summary>The user answered No at the -Confirm prompt (a result row, not an error).</summary>
        public const string Declined = "LeadspaceDeclined";

        // ---- A failed call (FailureTable) ----
        public const string RateLimited = "LeadspaceRateLimited";
        public const string ServerError = "LeadspaceServerError";
        public const string Timeout = "LeadspaceTimeout";
        public const string ConnectFailed = "LeadspaceConnectFailed";
        public const string ConnectionLost = "LeadspaceConnectionLost";
        public const string Unreachable = "LeadspaceUnreachable";
        public const string OAuthUnavailable = "LeadspaceOAuthUnavailable";
        public const string Unauthorized = "LeadspaceUnauthorized";
        public const string ProxyAuthenticationRequired = "LeadspaceProxyAuthenticationRequired";
        public const string CreditsExhausted = "LeadspaceCreditsExhausted";
        public const string BudgetExhausted = "LeadspaceBudgetExhausted";
        public const string BadRequest = "LeadspaceBadRequest";
        public const string HttpError = "LeadspaceHttpError";
        public const string InvalidResponse = "LeadspaceInvalidResponse";
        public const string CheckpointFailed = "LeadspaceCheckpointFailed";
        public const string UnexpectedError = "LeadspaceUnexpectedError";
        public const string NotResent = "LeadspaceNotResent";

        public static string For(FailureKind kind) => FailureTable.For(kind).ErrorId;
    }
}
