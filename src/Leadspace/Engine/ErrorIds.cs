using Leadspace.Client;

namespace Leadspace.Engine
{
    /// <summary>The stable ErrorIds of per-row failures (documented in about_Leadspace).</summary>
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
        public const string Unauthorized = "LeadspaceUnauthorized";
        public const string CreditsExhausted = "LeadspaceCreditsExhausted";
        public const string BadRequest = "LeadspaceBadRequest";
        public const string HttpError = "LeadspaceHttpError";
        public const string InvalidResponse = "LeadspaceInvalidResponse";

        public static string For(FailureKind kind)
        {
            switch (kind)
            {
                case FailureKind.RateLimited: return RateLimited;
                case FailureKind.ServerError: return ServerError;
                case FailureKind.Timeout: return Timeout;
                case FailureKind.ConnectFailed: return ConnectFailed;
                case FailureKind.ConnectionLost: return ConnectionLost;
                case FailureKind.Unauthorized: return Unauthorized;
                case FailureKind.CreditsExhausted: return CreditsExhausted;
                case FailureKind.BadRequest: return BadRequest;
                case FailureKind.InvalidResponse: return InvalidResponse;
                default: return HttpError;
            }
        }
    }
}
