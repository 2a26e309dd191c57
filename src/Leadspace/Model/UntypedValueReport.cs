using System;
using System.Collections.Generic;

namespace Leadspace.Model
{
    /// <summary>
    /// The verbose report of what the typed model could not hold: one line per field path per run, however many
    /// answers carry it (the values themselves stay in each answer's AdditionalProperties).
    /// </summary>
    internal sealed class UntypedValueReport
    {
        private readonly HashSet<string> _reported = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>The lines for the paths of this answer that were not reported before in this run.</summary>
        public IEnumerable<string> NewLines(EnrichmentResponse? response)
        {
            if (response == null) yield break;
            foreach (var value in response.UntypedValues)
            {
                if (_reported.Add(value.Path)) yield return value.Describe();
            }
        }
    }
}
