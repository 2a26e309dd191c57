using Leadspace.Client;

namespace Leadspace.Engine
{
    /// <summary>
    /// The stable ErrorIds of the module's errors (documented in about_Leadspace). Every id is named here once; the
    /// category and the recommended action of each error are in <see cref="ErrorTable"/> (and, for failed calls, in
    /// <see cref="FailureTable"/>, whose rows are entries of the same kind).
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
        public const string CreditsExhausted = "LeadspaceCreditsExhausted";
        public const string BadRequest = "LeadspaceBadRequest";
        public const string HttpError = "LeadspaceHttpError";
        public const string InvalidResponse = "LeadspaceInvalidResponse";
        public const string CheckpointFailed = "LeadspaceCheckpointFailed";
        public const string UnexpectedError = "LeadspaceUnexpectedError";
        public const string NotResent = "LeadspaceNotResent";

        // ---- The run journal ----
        public const string CheckpointLocked = "LeadspaceCheckpointLocked";
        public const string CheckpointInvalid = "LeadspaceCheckpointInvalid";
        public const string CheckpointMismatch = "LeadspaceCheckpointMismatch";

        // ---- Parameters and connections of Invoke-LeadspaceEnrichment ----
        public const string NoConnection = "LeadspaceNoConnection";
        public const string ConnectionClosed = "LeadspaceConnectionClosed";
        public const string IncompatibleParameters = "LeadspaceIncompatibleParameters";
        public const string InvalidPropertyMap = "LeadspaceInvalidPropertyMap";
        public const string CustomFieldNameClash = "LeadspaceCustomFieldNameClash";

        // ---- Connect-Leadspace ----
        public const string InvalidBaseUri = "LeadspaceInvalidBaseUri";
        public const string InvalidConnectionSetting = "LeadspaceInvalidConnectionSetting";
        public const string OAuthProgramIdMissing = "LeadspaceOAuthProgramIdMissing";
        public const string TokenMissing = "LeadspaceTokenMissing";
        public const string InvalidToken = "LeadspaceInvalidToken";
        public const string InvalidCredential = "LeadspaceInvalidCredential";
        public const string OAuthFailed = "LeadspaceOAuthFailed";

        // ---- The rate limit store (-RateLimitStore) ----
        public const string RateLimitStoreAuthenticationFailed = "LeadspaceRateLimitStoreAuthenticationFailed";
        public const string RateLimitStoreUnsupported = "LeadspaceRateLimitStoreUnsupported";
        public const string RateLimitStoreInvalid = "LeadspaceRateLimitStoreInvalid";
        public const string RateLimitStoreConflict = "LeadspaceRateLimitStoreConflict";
        public const string RateLimitStoreNotInstalled = "LeadspaceRateLimitStoreNotInstalled";
        public const string RateLimitStoreUnreachable = "LeadspaceRateLimitStoreUnreachable";

        public static string For(FailureKind kind) => FailureTable.For(kind).ErrorId;
    }
}
