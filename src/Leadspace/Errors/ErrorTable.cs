using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Leadspace.RateLimiting.Shared;
using Leadspace.Resilience;
using Leadspace.Engine;
using Leadspace.Model;

namespace Leadspace
{
    /// <summary>
    /// The one table of the module's errors: every ErrorRecord the cmdlets write takes its id, category and recommended
    /// action from an entry here or from a row of <see cref="FailureTable"/> (a failed call), which holds entries of the
    /// same kind. Categories are written as <see cref="ErrorCategory"/> values (see <see cref="ErrorEntry"/> for why they
    /// are kept as numbers); nothing parses a category from text.
    /// </summary>
    internal static class ErrorTable
    {
        // ---- A row without an answer ----
        public static readonly ErrorEntry InvalidInput = new ErrorEntry(ErrorIds.InvalidInput, (int)ErrorCategory.InvalidData,
            "Fill in company name (account), or first name, last name and one of company name/email/website (person); map other column names with -PropertyMap.");
        public static readonly ErrorEntry NotSent = new ErrorEntry(ErrorIds.NotSent, (int)ErrorCategory.OperationStopped,
            "Send the row again once the cause is fixed: $err.TargetObject | Invoke-LeadspaceEnrichment.");
        /// <summary>The row whose answer could not be journaled: output, but the run stopped there.</summary>
        public static readonly ErrorEntry CheckpointStopped = new ErrorEntry(ErrorIds.CheckpointFailed, (int)ErrorCategory.OperationStopped, NotSent.RecommendedAction);
        /// <summary>A failed row whose failure has no kind (not expected: a defect).</summary>
        public static readonly ErrorEntry UnclassifiedFailure = new ErrorEntry(ErrorIds.HttpError, (int)ErrorCategory.InvalidResult, FailureTable.RetryLater);

        // ---- The run journal (-CheckpointPath) ----
        public static readonly ErrorEntry CheckpointUnwritable = new ErrorEntry(ErrorIds.CheckpointFailed, (int)ErrorCategory.WriteError,
            "Choose a -CheckpointPath in an existing folder that you may write to.");
        public static readonly ErrorEntry CheckpointUnreadable = new ErrorEntry(ErrorIds.CheckpointFailed, (int)ErrorCategory.ReadError,
            "Check the journal's permissions, or choose another -CheckpointPath.");
        public static readonly ErrorEntry CheckpointLocked = new ErrorEntry("LeadspaceCheckpointLocked", (int)ErrorCategory.ResourceBusy,
            "Wait for the other run to end, or use another -CheckpointPath.");
        public static readonly ErrorEntry CheckpointInvalid = new ErrorEntry("LeadspaceCheckpointInvalid", (int)ErrorCategory.InvalidData,
            "Choose another -CheckpointPath: this file is not a Leadspace run journal.");
        public static readonly ErrorEntry CheckpointMismatch = new ErrorEntry("LeadspaceCheckpointMismatch", (int)ErrorCategory.InvalidArgument,
            "Use another -CheckpointPath, or connect to the program and service the journal was written for.");
        public static readonly ErrorEntry NothingToErase = new ErrorEntry("LeadspaceNothingToErase", (int)ErrorCategory.InvalidArgument,
            "Pipe the rows to erase (as the run took them), or give -OlderThan.");
        public static readonly ErrorEntry JournalNotFound = new ErrorEntry("LeadspaceJournalNotFound", (int)ErrorCategory.ObjectNotFound,
            "Give the -CheckpointPath of an existing run journal.");

        // ---- Invoke-LeadspaceEnrichment's parameters and connection ----
        public static readonly ErrorEntry NoConnection = new ErrorEntry("LeadspaceNoConnection", (int)ErrorCategory.ConnectionError,
            "Connect-Leadspace -Token (Read-Host -AsSecureString 'Token') -ProgramId <your program id>");
        public static readonly ErrorEntry ConnectionClosed = new ErrorEntry("LeadspaceConnectionClosed", (int)ErrorCategory.ConnectionError,
            "Run Connect-Leadspace again (or pass a connection that is open to -Connection).");
        public static readonly ErrorEntry IncompatibleParameters = new ErrorEntry("LeadspaceIncompatibleParameters", (int)ErrorCategory.InvalidArgument);
        public static readonly ErrorEntry InvalidPropertyMap = new ErrorEntry("LeadspaceInvalidPropertyMap", (int)ErrorCategory.InvalidArgument,
            "Map each input column to one request field: @{ 'Column' = 'company.name' } (Tab completes the field names).");
        public static readonly ErrorEntry CustomFieldNameClash = new ErrorEntry("LeadspaceCustomFieldNameClash", (int)ErrorCategory.InvalidArgument);

        // ---- Connect-Leadspace ----
        public static readonly ErrorEntry InvalidBaseUri = new ErrorEntry("LeadspaceInvalidBaseUri", (int)ErrorCategory.InvalidArgument);
        public static readonly ErrorEntry InvalidConnectionSetting = new ErrorEntry("LeadspaceInvalidConnectionSetting", (int)ErrorCategory.InvalidArgument);
        public static readonly ErrorEntry OAuthProgramIdMissing = new ErrorEntry("LeadspaceOAuthProgramIdMissing", (int)ErrorCategory.InvalidArgument);
        public static readonly ErrorEntry TokenMissing = new ErrorEntry("LeadspaceTokenMissing", (int)ErrorCategory.AuthenticationError,
            "Connect-Leadspace -Token (Read-Host -AsSecureString 'Leadspace token') -ProgramId <program id>");
        public static readonly ErrorEntry InvalidToken = new ErrorEntry("LeadspaceInvalidToken", (int)ErrorCategory.InvalidArgument,
            "Copy the perpetual token again exactly as Leadspace sent it (printable ASCII, no spaces or line breaks inside).");
        public static readonly ErrorEntry InvalidCredential = new ErrorEntry("LeadspaceInvalidCredential", (int)ErrorCategory.InvalidArgument);
        public static readonly ErrorEntry OAuthFailed = new ErrorEntry("LeadspaceOAuthFailed", (int)ErrorCategory.AuthenticationError);
        public static readonly ErrorEntry OAuthUnavailable = new ErrorEntry(ErrorIds.OAuthUnavailable, (int)ErrorCategory.ConnectionError);

        // ---- The rate limit store (-RateLimitStore) ----
        public static readonly ErrorEntry RateLimitStoreAuthenticationFailed = new ErrorEntry("LeadspaceRateLimitStoreAuthenticationFailed", (int)ErrorCategory.AuthenticationError,
            "Check the password (and user) in the -RateLimitStore configuration string or $env:" + RateLimitStoreOption.EnvironmentVariable + ".");
        public static readonly ErrorEntry RateLimitStoreUnsupported = new ErrorEntry("LeadspaceRateLimitStoreUnsupported", (int)ErrorCategory.InvalidOperation,
            "Use Redis 6.2 or newer, or Garnet started with --lua --lua-transaction-mode.");
        public static readonly ErrorEntry RateLimitStoreInvalid = new ErrorEntry("LeadspaceRateLimitStoreInvalid", (int)ErrorCategory.InvalidArgument,
            "Pass a StackExchange.Redis configuration string, e.g. 'redis01:6379,password=…,ssl=true'.");
        public static readonly ErrorEntry RateLimitStoreConflict = new ErrorEntry("LeadspaceRateLimitStoreConflict", (int)ErrorCategory.ResourceExists,
            "Disconnect-Leadspace the program's connections first, or connect with the same -RateLimitStore.");
        public static readonly ErrorEntry RateLimitStoreNotInstalled = new ErrorEntry("LeadspaceRateLimitStoreNotInstalled", (int)ErrorCategory.NotInstalled,
            "Reinstall the module: its RateLimitStore folder is incomplete.");
        public static readonly ErrorEntry RateLimitStoreUnreachable = new ErrorEntry("LeadspaceRateLimitStoreUnreachable", (int)ErrorCategory.ConnectionError,
            "Check that the store is running and reachable from this host (host, port, ssl), then connect again.");

        /// <summary>The entry of a rate limit store failure.</summary>
        public static ErrorEntry For(RateLimitStoreFailure failure)
        {
            switch (failure)
            {
                case RateLimitStoreFailure.AuthenticationFailed: return RateLimitStoreAuthenticationFailed;
                case RateLimitStoreFailure.Unsupported: return RateLimitStoreUnsupported;
                case RateLimitStoreFailure.InvalidConfiguration: return RateLimitStoreInvalid;
                case RateLimitStoreFailure.Conflict: return RateLimitStoreConflict;
                case RateLimitStoreFailure.NotInstalled: return RateLimitStoreNotInstalled;
                default: return RateLimitStoreUnreachable;
            }
        }

        /// <summary>The entry of a row's error: invalid, not sent, or its failure's row of <see cref="FailureTable"/>.</summary>
        public static ErrorEntry ForRow(EnrichmentResult result)
        {
            if (result.Status == EnrichmentOutcome.Invalid) return InvalidInput;
            if (result.Status == EnrichmentOutcome.NotSent)
                return result.ErrorId == ErrorIds.CheckpointFailed ? CheckpointStopped
                    : result.ErrorId == ErrorIds.BudgetExhausted ? FailureTable.For(FailureKind.BudgetExhausted).Error
                    : NotSent;
            return result.Failure == FailureKind.None ? UnclassifiedFailure : FailureTable.For(result.Failure).Error;
        }

        /// <summary>The recommended action of a row's error: the entry's, with the tracking id Leadspace gave and the program.</summary>
        public static string RecommendedAction(EnrichmentResult result, string? programId)
        {
            var action = ForRow(result).RecommendedAction ?? string.Empty;
            if (result.Status == EnrichmentOutcome.Failed && result.Failure != FailureKind.None && result.TrackingId != null)
                action += $" Leadspace tracking id: {result.TrackingId}.";
            return programId != null ? action + $" Program '{programId}'." : action;
        }

        /// <summary>Every entry: this table's and the failure table's (the help and a test read it).</summary>
        public static IReadOnlyList<ErrorEntry> All =>
            typeof(ErrorTable).GetFields().Where(f => f.FieldType == typeof(ErrorEntry)).Select(f => (ErrorEntry)f.GetValue(null)!)
                .Concat(FailureTable.All.Select(f => f.Error)).ToList();
    }
}
