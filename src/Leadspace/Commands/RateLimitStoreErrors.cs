using System.Management.Automation;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;

namespace Leadspace.Commands
{
    /// <summary>Error records and messages about a rate limit store, for Connect-Leadspace. The target object and every
    /// text show the configuration with its password redacted.</summary>
    internal static class RateLimitStoreErrors
    {
        public static ErrorRecord Record(RateLimitStoreException ex, string? configuration)
        {
            string id;
            ErrorCategory category;
            string action;
            switch (ex.Failure)
            {
                case RateLimitStoreFailure.AuthenticationFailed:
                    id = "LeadspaceRateLimitStoreAuthenticationFailed"; category = ErrorCategory.AuthenticationError;
                    action = "Check the password (and user) in the -RateLimitStore configuration string or $env:" + RateLimitStoreOption.EnvironmentVariable + ".";
                    break;
                case RateLimitStoreFailure.Unsupported:
                    id = "LeadspaceRateLimitStoreUnsupported"; category = ErrorCategory.InvalidOperation;
                    action = "Use Redis 6.2 or newer, or Garnet started with --lua --lua-transaction-mode.";
                    break;
                case RateLimitStoreFailure.InvalidConfiguration:
                    id = "LeadspaceRateLimitStoreInvalid"; category = ErrorCategory.InvalidArgument;
                    action = "Pass a StackExchange.Redis configuration string, e.g. 'redis01:6379,password=…,ssl=true'.";
                    break;
                case RateLimitStoreFailure.Conflict:
                    id = "LeadspaceRateLimitStoreConflict"; category = ErrorCategory.ResourceExists;
                    action = "Disconnect-Leadspace the program's connections first, or connect with the same -RateLimitStore.";
                    break;
                case RateLimitStoreFailure.NotInstalled:
                    id = "LeadspaceRateLimitStoreNotInstalled"; category = ErrorCategory.NotInstalled;
                    action = "Reinstall the module: its RateLimitStore folder is incomplete.";
                    break;
                default:
                    id = "LeadspaceRateLimitStoreUnreachable"; category = ErrorCategory.ConnectionError;
                    action = "Check that the store is running and reachable from this host (host, port, ssl), then connect again.";
                    break;
            }
            var target = configuration == null ? null : RateLimitStoreOption.Redact(configuration);
            var message = configuration == null ? ex.Message : RateLimitStoreOption.Sanitize(ex.Message, configuration);
            var record = new ErrorRecord(ex, id, category, target);
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = action };
            return record;
        }

        public static string Describe(IRateGate gate)
        {
            var snapshot = gate.Snapshot();
            return $"The program's rate is shared through the rate limit store {snapshot.Store} ({snapshot.Processes} process(es) in the last minute, this one included); "
                + $"if the store stops answering, this process goes on alone at {snapshot.FallbackRate:0.##} calls/s until it answers again.";
        }
    }
}
