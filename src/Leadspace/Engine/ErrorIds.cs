using Leadspace.Resilience;

namespace Leadspace.Engine
{
    /// <summary>
    /// The stable ErrorIds of per-row and per-run errors (documented in about_Leadspace). The ids of failed calls
    /// come from <see cref="FailureTable"/>; the constants name them for code and tests.
    /// </summary>
    public static class ErrorIds
    {
        public const string InvalidInput = "LeadspaceInvalidInput";
        public const string NotSent = "LeadspaceNotSent";
        /// <summary>The user answered No at the -Confirm prompt (a result row, not an error).</summary>
        public const string Declined = "LeadspaceDeclined";
        public const string RateLimited = "LeadspaceRateLimited";
        public const string ServerError = "LeadspaceServerError";
        public const string Timeout = "LeadspaceTimeout";
        public const string ConnectFailed = "LeadspaceConnectFailed";
        public const string ConnectionLost = "LeadspaceConnectionLost";
        public const string Unreachable = "LeadspaceUnreachable";
        public const string OAuthUnavailable = "LeadspaceOAuthUnavailable";
        public const string Unauthorized = "LeadspaceUnauthorized";
        public const string CreditsExhausted = "LeadspaceCreditsExhausted";
        public const string BadRequest = "LeadspaceBadRequest";
        public const string HttpError = "LeadspaceHttpError";
        public const string InvalidResponse = "LeadspaceInvalidResponse";
        public const string CheckpointFailed = "LeadspaceCheckpointFailed";
        public const string UnexpectedError = "LeadspaceUnexpectedError";
        public const string NotResent = "LeadspaceNotResent";

        public static string For(FailureKind kind) => FailureTable.For(kind).ErrorId;
    }
}
