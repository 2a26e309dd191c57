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
            var target = configuration == null ? null : RateLimitStoreOption.Redact(configuration);
            var message = configuration == null ? ex.Message : RateLimitStoreOption.Sanitize(ex.Message, configuration);
            var record = ErrorRecords.For(ex, target);
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = ex.RecommendedAction };
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
