using System.Text.Json;

namespace Leadspace.Simulator;

/// <summary>A snapshot of the simulator's counters (what <c>GET /__stats</c> returns).</summary>
public sealed class SimulatorStats
{
    /// <summary>Total requests to the enrichment endpoint (any method, any outcome).</summary>
    public long Calls { get; init; }

    /// <summary>Responses per HTTP status code (dropped connections are not here; see <see cref="Dropped"/>).</summary>
    public IReadOnlyDictionary<int, long> StatusCounts { get; init; } = new Dictionary<int, long>();

    /// <summary>Credits charged (one per 200, plus dropped requests when <c>DropCharges</c> is on).</summary>
    public long CreditsCharged { get; init; }

    /// <summary>Credits charged per external_id (requests without external_id are not listed).</summary>
    public IReadOnlyDictionary<string, long> ChargesByExternalId { get; init; } = new Dictionary<string, long>();

    /// <summary>Sum over external ids of (charges - 1) where charges &gt; 1: double spending.</summary>
    public long DuplicateCharges { get; init; }

    /// <summary>Calls that passed the rate limit and the concurrency cap.</summary>
    public long Accepted { get; init; }

    /// <summary>Largest number of accepted calls in any trailing 1-second window (half-open), from accept timestamps.</summary>
    public int MaxAcceptedInAnyWindow { get; init; }

    /// <summary>Milliseconds from the first to the last accepted call since the last reset (0 with fewer than two):
    /// (Accepted - 1) / span is the sustained rate the server saw, without the client's start and end.</summary>
    public double AcceptedSpanMs { get; init; }

    /// <summary>Largest number of enrichment requests in flight at once.</summary>
    public int PeakConcurrency { get; init; }

    /// <summary>Enrichment requests being handled right now (a call whose client went away still finishes and is charged).</summary>
    public int InFlight { get; init; }

    /// <summary>Requests to /oauth/authorize (any outcome).</summary>
    public long OAuthCalls { get; init; }

    /// <summary>Connections aborted by the drop fault.</summary>
    public long Dropped { get; init; }

    /// <summary>Responses delayed by the slow fault.</summary>
    public long Slow { get; init; }

    /// <summary>200s sent with a truncated body.</summary>
    public long Malformed { get; init; }

    /// <summary>Credits left in the budget, or null when unlimited.</summary>
    public long? CreditsRemaining { get; init; }

    /// <summary>Status count for one code (0 when none).</summary>
    public long Count(int status) => StatusCounts.TryGetValue(status, out var n) ? n : 0;

    internal void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("calls", Calls);
        w.WritePropertyName("statusCounts");
        w.WriteStartObject();
        foreach (var kv in StatusCounts.OrderBy(k => k.Key))
        {
            w.WriteNumber(kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv.Value);
        }
        w.WriteEndObject();
        w.WriteNumber("creditsCharged", CreditsCharged);
        w.WritePropertyName("chargesByExternalId");
        w.WriteStartObject();
        foreach (var kv in ChargesByExternalId)
        {
            w.WriteNumber(kv.Key, kv.Value);
        }
        w.WriteEndObject();
        w.WriteNumber("duplicateCharges", DuplicateCharges);
        w.WriteNumber("accepted", Accepted);
        w.WriteNumber("maxAcceptedInAnyWindow", MaxAcceptedInAnyWindow);
        w.WriteNumber("acceptedSpanMs", Math.Round(AcceptedSpanMs, 3));
        w.WriteNumber("peakConcurrency", PeakConcurrency);
        w.WriteNumber("inFlight", InFlight);
        w.WriteNumber("oauthCalls", OAuthCalls);
        w.WriteNumber("dropped", Dropped);
        w.WriteNumber("slow", Slow);
        w.WriteNumber("malformed", Malformed);
        if (CreditsRemaining is { } r)
        {
            w.WriteNumber("creditsRemaining", r);
        }
        else
        {
            w.WriteNull("creditsRemaining");
        }
        w.WriteEndObject();
    }
}
