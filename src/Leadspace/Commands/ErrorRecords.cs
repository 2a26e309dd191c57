using System;
using System.Management.Automation;

namespace Leadspace.Commands
{
    /// <summary>Every ErrorRecord of the module is made here, from a row of the error table (<see cref="ErrorTable"/>):
    /// its id, its category and its recommended action.</summary>
    internal static class ErrorRecords
    {
        /// <summary>The record of one of the module's exceptions.</summary>
        public static ErrorRecord For(LeadspaceException exception, object? target)
            => Make(exception.Error, exception, target, exception.RecommendedAction);

        /// <summary>The record of an error that the table names but that has another exception (a bad argument).</summary>
        public static ErrorRecord For(ErrorEntry error, Exception exception, object? target)
            => Make(error, exception, target, error.RecommendedAction);

        private static ErrorRecord Make(ErrorEntry error, Exception exception, object? target, string? recommendedAction)
        {
            var record = new ErrorRecord(exception, error.ErrorId, error.Category, target);
            if (!string.IsNullOrEmpty(recommendedAction)) record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = recommendedAction };
            return record;
        }
    }
}
