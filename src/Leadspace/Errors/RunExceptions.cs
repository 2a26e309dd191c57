using Leadspace.Model;

namespace Leadspace.Commands
{
    /// <summary>The exception of a per-row ErrorRecord; carries the row's result.</summary>
    public sealed class LeadspaceRowException : LeadspaceException
    {
        internal LeadspaceRowException(string message, EnrichmentResult result, string recommendedAction)
            : base(ErrorTable.ForRow(result), message, null, recommendedAction)
        {
            Result = result;
        }

        public EnrichmentResult Result { get; }
    }

    /// <summary>The exception of the terminating error of a run that a fatal failure (427, 401, unreachable…) stopped.</summary>
    public sealed class LeadspaceRunStoppedException : LeadspaceException
    {
        internal LeadspaceRunStoppedException(string message, EnrichmentResult fatalRow)
            : base(Resilience.FailureTable.For(fatalRow.Failure).Error, message)
        {
            FatalRow = fatalRow;
        }

        public EnrichmentResult FatalRow { get; }
    }
}
