using System;

namespace Leadspace
{
    /// <summary>
    /// The base of the module's exceptions: each names its row of the error table (<see cref="ErrorTable"/>), from
    /// which the cmdlets make the ErrorRecord's id, category and recommended action. Catch this to catch any of them.
    /// </summary>
    public abstract class LeadspaceException : Exception
    {
        internal LeadspaceException(ErrorEntry error, string message, Exception? inner = null, string? recommendedAction = null)
            : base(message, inner)
        {
            Error = error;
            _recommendedAction = recommendedAction;
        }

        private readonly string? _recommendedAction;

        /// <summary>The error's row of the error table.</summary>
        internal ErrorEntry Error { get; }
        /// <summary>The stable ErrorId of the ErrorRecord.</summary>
        public string ErrorId => Error.ErrorId;
        /// <summary>What the user can do: this error's own advice, else the table's.</summary>
        public string? RecommendedAction => _recommendedAction ?? Error.RecommendedAction;
    }

    /// <summary>A run could not go on (its connection was disconnected before it started sending).</summary>
    internal sealed class LeadspaceRunException : LeadspaceException
    {
        internal LeadspaceRunException(ErrorEntry error, string message, Exception? inner = null) : base(error, message, inner) { }
    }
}
