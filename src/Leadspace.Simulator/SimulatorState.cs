using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading;

namespace Leadspace.Simulator;

/// <summary>Counters, credits, OAuth tokens and the seeded random source shared by all requests.</summary>
internal sealed class SimulatorState(SimulatorOptions options)
{
    public SimulatorOptions Options { get; } = options;

    public AdmissionGate Gate { get; } = new();

    private readonly long[] _statusCounts = new long[600];
    private readonly ConcurrentDictionary<string, long> _chargesByExternalId = new(StringComparer.Ordinal);
    private long _calls;
    private long _creditsCharged;
    private long _oauthCalls;
    private long _dropped;
    private long _slow;
    private long _malformed;
    private int _inFlight;
    private int _peakConcurrency;

    // Credits budget.
    private readonly object _creditLock = new();
    private long _budgetUsed;
    private long _reserved;
    private long _seenCreditsVersion = -1;

    // Seeded random source.
    private readonly object _randomLock = new();
    private Random _random = new(options.Seed);
    private Random _answerRandom = AnswerRandom(options.Seed);
    private int _seenSeed = options.Seed;

    /// <summary>The answers' own random source, derived from the seed (so faults and answers vary independently).</summary>
    private static Random AnswerRandom(int seed) => new(unchecked(seed * 31 + 7));

    /// <summary>Restarts both random sources from <paramref name="seed"/>; call under <see cref="_randomLock"/>.</summary>
    private void Reseed(int seed)
    {
        _seenSeed = seed;
        _random = new Random(seed);
        _answerRandom = AnswerRandom(seed);
    }

    // OAuth.
    private readonly ConcurrentDictionary<string, (string ProgramId, DateTimeOffset Expires)> _accessTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);

    public void CountCall() => Interlocked.Increment(ref _calls);

    public void CountStatus(int status)
    {
        if (status is >= 0 and < 600)
        {
            Interlocked.Increment(ref _statusCounts[status]);
        }
    }

    public void CountOAuth() => Interlocked.Increment(ref _oauthCalls);

    public void CountDropped() => Interlocked.Increment(ref _dropped);

    public void CountSlow() => Interlocked.Increment(ref _slow);

    public void CountMalformed() => Interlocked.Increment(ref _malformed);

    public void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int peak;
        while (now > (peak = Volatile.Read(ref _peakConcurrency)) &&
               Interlocked.CompareExchange(ref _peakConcurrency, now, peak) != peak)
        {
        }
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Reserves one credit. False when the budget is spent (→ 427).</summary>
    public bool TryReserveCredit(out bool reserved)
    {
        reserved = false;
        var budget = Options.Credits;
        lock (_creditLock)
        {
            var version = Options.CreditsVersion;
            if (version != _seenCreditsVersion)
            {
                _seenCreditsVersion = version;
                _budgetUsed = 0;
            }
            if (budget < 0)
            {
                return true;
            }
            if (_budgetUsed + _reserved >= budget)
            {
                return false;
            }
            _reserved++;
            reserved = true;
            return true;
        }
    }

    /// <summary>Ends a reservation; when <paramref name="charge"/>, one credit is charged.</summary>
    public void CompleteCredit(bool reserved, bool charge, string? externalId)
    {
        if (reserved || charge)
        {
            lock (_creditLock)
            {
                if (reserved)
                {
                    _reserved--;
                }
                if (charge)
                {
                    _budgetUsed++;
                }
            }
        }
        if (charge)
        {
            Interlocked.Increment(ref _creditsCharged);
            if (externalId is not null)
            {
                _chargesByExternalId.AddOrUpdate(externalId, 1, static (_, n) => n + 1);
            }
        }
    }

    /// <summary>One draw per request for every fault, made under a lock so a sequential client sees a reproducible sequence.</summary>
    public FaultPlan DrawFaults()
    {
        var o = Options;
        lock (_randomLock)
        {
            if (o.Seed != _seenSeed) Reseed(o.Seed);
            var r = _random;
            var drop = r.NextDouble() < o.DropRate;
            var error = r.NextDouble() < o.ErrorRate;
            var slow = r.NextDouble() < o.SlowRate;
            var malformed = r.NextDouble() < o.MalformedRate;
            var errorCode = ErrorCodes[r.Next(ErrorCodes.Length)];
            var jitter = o.JitterMs > 0 ? r.Next(-o.JitterMs, o.JitterMs + 1) : 0;
            var delay = Math.Max(0, o.LatencyMs + jitter) + (slow ? o.SlowMs : 0);
            // Answer shapes come from a second source, drawn only when asked for, so that the fault sequence of a
            // seed stays what it was without them.
            var a = _answerRandom;
            var errorBody = o.ServerErrorBody == ServerErrorBody.Mixed ? (ServerErrorBody)a.Next((int)ServerErrorBody.Mixed) : o.ServerErrorBody;
            var unusable = o.UnusableRate > 0 && a.NextDouble() < o.UnusableRate ? a.Next(int.MaxValue) : -1;
            var odd = o.OddShapeRate > 0 && a.NextDouble() < o.OddShapeRate;
            return new FaultPlan(drop, !drop && error, slow, malformed, errorCode, delay, errorBody, unusable, odd);
        }
    }

    private static readonly int[] ErrorCodes = [500, 502, 503, 504];

    /// <param name="Unusable">-1, or which unusable body to send instead of the answer.</param>
    /// <param name="OddShapes">The answer's shapes are bent beyond the spec.</param>
    public readonly record struct FaultPlan(bool Drop, bool Error, bool Slow, bool Malformed, int ErrorStatus, int DelayMs,
        ServerErrorBody ErrorBody = ServerErrorBody.Addendum, int Unusable = -1, bool OddShapes = false);

    // ---- tokens -------------------------------------------------------------------------------------

    /// <summary>Resolves a bearer token to its program id, or null when unknown or expired.</summary>
    public string? ProgramIdOf(string token)
    {
        var o = Options;
        foreach (var t in o.Tokens)
        {
            if (string.Equals(t, token, StringComparison.Ordinal))
            {
                return o.ProgramId;
            }
        }
        if (_accessTokens.TryGetValue(token, out var info))
        {
            if (info.Expires > DateTimeOffset.UtcNow)
            {
                return info.ProgramId;
            }
            _accessTokens.TryRemove(token, out _);
        }
        return null;
    }

    public (string Token, string Refresh, long Expiration) Issue(string programId)
    {
        var token = NewSecret();
        var refresh = NewSecret();
        var lifetime = TimeSpan.FromSeconds(Options.OAuthTokenLifetime);
        var expires = DateTimeOffset.UtcNow + lifetime;
        _accessTokens[token] = (programId, expires);
        _refreshTokens[refresh] = programId;
        return (token, refresh, expires.ToUnixTimeSeconds());
    }

    /// <summary>Consumes a refresh token (single use). Returns false when unknown or owned by another program.</summary>
    public bool TryRedeemRefresh(string user, string refresh)
    {
        if (_refreshTokens.TryGetValue(refresh, out var owner) && string.Equals(owner, user, StringComparison.Ordinal))
        {
            return _refreshTokens.TryRemove(refresh, out _);
        }
        return false;
    }

    private static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // ---- stats --------------------------------------------------------------------------------------

    public SimulatorStats Snapshot()
    {
        var counts = new Dictionary<int, long>();
        for (var i = 0; i < _statusCounts.Length; i++)
        {
            var n = Interlocked.Read(ref _statusCounts[i]);
            if (n != 0)
            {
                counts[i] = n;
            }
        }
        var charges = new Dictionary<string, long>(_chargesByExternalId, StringComparer.Ordinal);
        long remaining;
        lock (_creditLock)
        {
            var budget = Options.Credits;
            var used = Options.CreditsVersion == _seenCreditsVersion ? _budgetUsed : 0;
            remaining = budget < 0 ? -1 : Math.Max(0, budget - used);
        }
        return new SimulatorStats
        {
            Calls = Interlocked.Read(ref _calls),
            InFlight = Volatile.Read(ref _inFlight),
            StatusCounts = counts,
            CreditsCharged = Interlocked.Read(ref _creditsCharged),
            ChargesByExternalId = charges,
            DuplicateCharges = charges.Values.Where(v => v > 1).Sum(v => v - 1),
            Accepted = Gate.Accepted,
            MaxAcceptedInAnyWindow = Gate.MaxAcceptedInAnyWindow,
            AcceptedSpanMs = Gate.AcceptedSpanMs,
            PeakConcurrency = Volatile.Read(ref _peakConcurrency),
            OAuthCalls = Interlocked.Read(ref _oauthCalls),
            Dropped = Interlocked.Read(ref _dropped),
            Slow = Interlocked.Read(ref _slow),
            Malformed = Interlocked.Read(ref _malformed),
            CreditsRemaining = remaining < 0 ? null : remaining,
        };
    }

    /// <summary>Clears counters and the rate window, restores the credit budget and re-seeds the random source.
    /// OAuth tokens stay valid.</summary>
    public void Reset()
    {
        Array.Clear(_statusCounts);
        _chargesByExternalId.Clear();
        Interlocked.Exchange(ref _calls, 0);
        Interlocked.Exchange(ref _creditsCharged, 0);
        Interlocked.Exchange(ref _oauthCalls, 0);
        Interlocked.Exchange(ref _dropped, 0);
        Interlocked.Exchange(ref _slow, 0);
        Interlocked.Exchange(ref _malformed, 0);
        Interlocked.Exchange(ref _peakConcurrency, Volatile.Read(ref _inFlight));
        Gate.Reset();
        _bodies.Clear();
        lock (_creditLock)
        {
            _budgetUsed = 0;
            _seenCreditsVersion = Options.CreditsVersion;
        }
        lock (_randomLock) Reseed(Options.Seed);
    }

    public static long NowTicks() => Stopwatch.GetTimestamp();

    private CancellationTokenSource _release = new();

    /// <summary>How many enrichment request bodies <c>GET /__requests</c> keeps (the most recent).</summary>
    public const int RecordedBodiesLimit = 10_000;
    private readonly ConcurrentQueue<string> _bodies = new();

    /// <summary>Keeps a request body that parsed as JSON, as it arrived (the most recent <see cref="RecordedBodiesLimit"/>),
    /// so tests check what a client really sent rather than what it says it sends.</summary>
    public void RecordBody(string json)
    {
        _bodies.Enqueue(json);
        while (_bodies.Count > RecordedBodiesLimit) _bodies.TryDequeue(out _);
    }

    /// <summary>The recorded request bodies, oldest first.</summary>
    public string[] RecordedBodies() => _bodies.ToArray();

    /// <summary>Cancelled by <see cref="ReleaseHeldAnswers"/>: answers waiting out their latency go out at once.</summary>
    public CancellationToken ReleaseToken => Volatile.Read(ref _release).Token;

    /// <summary><c>POST /__release</c>: every answer now waiting out its latency is sent at once (requests that
    /// arrive later wait as configured). Lets a test hold a client mid-run for as long as it needs, then end
    /// the wait on an event instead of a guessed duration.</summary>
    public void ReleaseHeldAnswers()
    {
        var old = Interlocked.Exchange(ref _release, new CancellationTokenSource());
        old.Cancel();
        old.Dispose();
    }
}
