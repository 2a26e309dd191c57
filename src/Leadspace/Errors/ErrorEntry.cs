using System.Management.Automation;

namespace Leadspace
{
    /// <summary>
    /// One row of the error table: the stable ErrorId, the ErrorCategory and the recommended action of an error.
    /// The category is written in the table as the <see cref="ErrorCategory"/> value and kept as its number, so that the
    /// plain classes that hold entries (the failure table, the exceptions) load without System.Management.Automation
    /// (the xunit tests run without it); only the cmdlets read <see cref="Category"/>.
    /// </summary>
    internal sealed class ErrorEntry
    {
        internal ErrorEntry(string errorId, int category, string? recommendedAction = null)
        {
            ErrorId = errorId; CategoryCode = category; RecommendedAction = recommendedAction;
        }

        public string ErrorId { get; }
        /// <summary>The ErrorCategory of the ErrorRecord.</summary>
        public ErrorCategory Category => (ErrorCategory)CategoryCode;
        /// <summary>The category's number (never 0, NotSpecified: a test checks every entry).</summary>
        internal int CategoryCode { get; }
        /// <summary>What the user can do about it; null when the message says it all.</summary>
        public string? RecommendedAction { get; }

        public override string ToString() => ErrorId;
    }
}
