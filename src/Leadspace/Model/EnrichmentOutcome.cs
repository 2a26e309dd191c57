namespace Leadspace.Model
{
    /// <summary>What happened to one input row.</summary>
    public enum EnrichmentOutcome
    {
        /// <summary>200 with person and/or company data.</summary>
        Enriched,
        /// <summary>200 whose <c>enrichment_status</c> is <c>Not Enriched</c>: no match, a credit was still spent.</summary>
        NotMatched,
        /// <summary>The row fails the minimum-input rule; it was not sent and cost nothing.</summary>
        Invalid,
        /// <summary>The call was made and failed (after any retries).</summary>
        Failed,
        /// <summary>The row was never sent: the run stopped first (credits exhausted, unauthorized, Ctrl+C) or it was declined.</summary>
        NotSent,
    }
}
