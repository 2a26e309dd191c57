using System.Collections.Generic;

namespace Leadspace.Model
{
    /// <summary>
    /// What happened to one input row: the values of <see cref="EnrichmentResult.Status"/> and
    /// <see cref="EnrichmentResponse.Outcome"/>. They are text, not an enum, so that every consumer reads the name:
    /// Export-Csv, the console, <c>$r.Status -eq 'Enriched'</c> and ConvertTo-Json (which writes an enum
    /// as its number).
    /// </summary>
    public static class EnrichmentOutcome
    {
        /// <summary>200 with person and/or company data.</summary>
        public const string Enriched = "Enriched";
        /// <summary>200 whose <c>enrichment_status</c> is <c>Not Enriched</c>: no match, a credit was still spent.</summary>
        public const string NotMatched = "NotMatched";
        /// <summary>The row fails the minimum-input rule; it was not sent and cost nothing.</summary>
        public const string Invalid = "Invalid";
        /// <summary>The call was made and failed (after any retries), or its 200 answer held no usable data.</summary>
        public const string Failed = "Failed";
        /// <summary>The row was never sent: the run stopped first (credits exhausted, unauthorized, Ctrl+C) or it was declined.</summary>
        public const string NotSent = "NotSent";

        /// <summary>Every value, in documentation order.</summary>
        public static IReadOnlyList<string> All { get; } = new[] { Enriched, NotMatched, Invalid, Failed, NotSent };
    }
}
