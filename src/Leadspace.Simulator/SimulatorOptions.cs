namespace Leadspace.Simulator;

/// <summary>How the rate limit counts accepted calls.</summary>
public enum RateWindowMode
{
    /// <summary>Strict: at most <see cref="SimulatorOptions.Rate"/> accepted calls in ANY trailing window
    /// (half-open interval (t - window, t]), computed from accept timestamps.</summary>
    Sliding,

    /// <summary>At most <see cref="SimulatorOptions.Rate"/> accepted calls per wall-clock window
    /// (per calendar second with the default 1000 ms window).</summary>
    Fixed,

    /// <summary>A leaky bucket that allows no burst (nginx <c>limit_req</c> without <c>burst</c>, an API gateway's
    /// spike arrest): a call is accepted only if at least one emission interval (window ÷ rate, 33.3 ms at 30 per
    /// second) has passed since the last accepted call.</summary>
    Leaky,

    /// <summary>A token bucket holding up to <see cref="SimulatorOptions.Rate"/> tokens (a full window's worth of
    /// burst), refilled continuously at rate per window; each accepted call takes one token.</summary>
    TokenBucket,
}

/// <summary>Body shape of the simulator's 400 / 401 / 427 answers.</summary>
public enum ErrorBodyFormat
{
    /// <summary>text/plain with the spec's message (default).</summary>
    Text,

    /// <summary>application/json: <c>{"status":"failure","message":"..."}</c>.</summary>
    Json,

    /// <summary>No body at all (the spec says bodies of errors may be absent).</summary>
    Empty,
}

/// <summary>Which of the shapes the spec allows the 200 bodies use.</summary>
public enum ResponseShapes
{
    /// <summary>Both forms where the spec allows two, chosen per input (deterministic): <c>intent_modeling</c> one
    /// object or a list of models, <c>surging_topics</c> an array or a string, <c>signals</c> ranks whole or with
    /// a fraction (the spec says <c>number</c>). Default.</summary>
    Varied,

    /// <summary>Always the first form: one <c>intent_modeling</c> object, <c>surging_topics</c> arrays, whole ranks.</summary>
    Fixed,
}

/// <summary>Body of the simulator's 5xx answers (the spec: "may or may not exist").</summary>
public enum ServerErrorBody
{
    /// <summary>application/json with the addendum's keys: <c>error</c>, <c>tracking_id</c>, <c>request_timestamp</c>, <c>details</c> (default).</summary>
    Addendum,

    /// <summary>application/json with other key names: <c>code</c>, <c>message</c>, <c>trackingId</c>, <c>timestamp</c>.</summary>
    Renamed,

    /// <summary>text/plain: one line naming the status, the reason and the tracking id.</summary>
    Text,

    /// <summary>text/html: a gateway's error page with the tracking id in its text.</summary>
    Html,

    /// <summary>No body at all.</summary>
    Empty,

    /// <summary>One of the five above per answer, drawn from the seeded fault random source.</summary>
    Mixed,
}

/// <summary>
/// Every knob of the simulator. Properties are live: a running <see cref="SimulatorHost"/> reads them on each
/// request, so tests may change them between calls. The command-line flag of each property is its name in
/// kebab-case (e.g. <see cref="ErrorRate"/> ↔ <c>--error-rate</c>); <c>POST /__config</c> accepts the flag name
/// without dashes, case-insensitively (e.g. <c>errorRate</c>).
/// </summary>
public sealed class SimulatorOptions
{
    private long _credits = -1;
    private long _creditsVersion;

    private string _pathPrefix = "";

    /// <summary>Serves the API under this path (e.g. <c>/v3</c>: <c>POST /v3/enrichment/enrich/single</c>), as a gateway or
    /// reverse proxy does; requests outside it get 404. Kept as "/segment…" without a trailing slash; "" = none.</summary>
    public string PathPrefix
    {
        get => _pathPrefix;
        set
        {
            var v = (value ?? "").Trim().Trim('/');
            _pathPrefix = v.Length == 0 ? "" : "/" + v;
        }
    }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free port. Default 0.</summary>
    public int Port { get; set; }

    /// <summary>Perpetual bearer tokens that always work and map to <see cref="ProgramId"/>. Default <c>sim-token</c>.</summary>
    public List<string> Tokens { get; set; } = ["sim-token"];

    /// <summary>The program id (OAuth <c>user</c>). Default <c>sim-program</c>.</summary>
    public string ProgramId { get; set; } = "sim-program";

    /// <summary>The OAuth secret (<c>pass</c>). Default <c>sim-secret</c>.</summary>
    public string OAuthSecret { get; set; } = "sim-secret";

    /// <summary>Lifetime of OAuth access tokens, in seconds (fractions allowed). Default 86400.</summary>
    public double OAuthTokenLifetime { get; set; } = 86400;

    /// <summary>Accepted calls allowed per rate window; 0 = unlimited. Default 30.</summary>
    public int Rate { get; set; } = 30;

    /// <summary>Window semantics of the rate limit. Default <see cref="RateWindowMode.Sliding"/>.</summary>
    public RateWindowMode RateWindow { get; set; } = RateWindowMode.Sliding;

    /// <summary>Length of the rate window in milliseconds. Default 1000 (the API's "per second").</summary>
    public int RateWindowMs { get; set; } = 1000;

    /// <summary>When set, every 429 carries <c>Retry-After: N</c> (seconds). Default null: no header.</summary>
    public int? RetryAfter { get; set; }

    /// <summary>Maximum admitted requests in flight; over it → 429. 0 = unlimited. Default 0.</summary>
    public int MaxConcurrency { get; set; }

    /// <summary>
    /// Credit budget; each 200 costs one; once spent → 427. -1 = unlimited. Default -1.
    /// Setting it (here or via <c>/__config</c>) restarts the budget: that many further 200s are allowed.
    /// </summary>
    public long Credits
    {
        get => Interlocked.Read(ref _credits);
        set
        {
            Interlocked.Exchange(ref _credits, value);
            Interlocked.Increment(ref _creditsVersion);
        }
    }

    internal long CreditsVersion => Interlocked.Read(ref _creditsVersion);

    /// <summary>
    /// Time a new connection takes before it is served: what a TCP and TLS handshake costs on the real
    /// internet (loopback has none). A request sent on a new connection reaches the server (and its rate
    /// limiter) that much later; one sent on a warm connection arrives at once. Default 0.
    /// </summary>
    public int ConnectDelayMs { get; set; }

    /// <summary>Base latency of 200/5xx/dropped answers in ms. Default 0.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Uniform ± jitter around <see cref="LatencyMs"/> in ms (result never negative). Default 0.</summary>
    public int JitterMs { get; set; }

    /// <summary>Share (0..1) of valid requests answered 500/502/503/504 with a JSON error body. Default 0.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Share (0..1) of valid requests whose connection is aborted with no response. Default 0.</summary>
    public double DropRate { get; set; }

    /// <summary>Whether a dropped request is charged a credit (the server "did the work" but the answer was lost). Default false.</summary>
    public bool DropCharges { get; set; }

    /// <summary>Share (0..1) of valid requests delayed by an extra <see cref="SlowMs"/>. Default 0.</summary>
    public double SlowRate { get; set; }

    /// <summary>Extra delay of slow responses in ms. Default 5000.</summary>
    public int SlowMs { get; set; } = 5000;

    /// <summary>Share (0..1) of 200s whose body is truncated (invalid JSON). Default 0.</summary>
    public double MalformedRate { get; set; }

    /// <summary>Share (0..1) of inputs (chosen by hashing the input) answered 200 <c>Not Enriched</c>. Default 0.15.</summary>
    public double NoMatchRate { get; set; } = 0.15;

    /// <summary>Seed of the random source for fault shares, latency jitter and 5xx codes. Default 12345.</summary>
    public int Seed { get; set; } = 12345;

    /// <summary>Program ids treated as invalid: requests whose token maps to one get 427. Default empty.</summary>
    public List<string> InvalidProgramIds { get; set; } = [];

    /// <summary>Which of the shapes the spec allows 200 bodies use. Default <see cref="Leadspace.Simulator.ResponseShapes.Varied"/>.</summary>
    public ResponseShapes ResponseShapes { get; set; } = ResponseShapes.Varied;

    /// <summary>Body of 5xx answers. Default <see cref="Leadspace.Simulator.ServerErrorBody.Addendum"/>.</summary>
    public ServerErrorBody ServerErrorBody { get; set; } = ServerErrorBody.Addendum;

    /// <summary>Share (0..1) of 200s whose body holds no usable answer (no data, data null or not an object, not an
    /// object at all, status failure, "Person &amp; Company Enriched" with neither). Still charged. Default 0.</summary>
    public double UnusableRate { get; set; }

    /// <summary>Share (0..1) of 200s with shapes the spec does not describe: <c>company.size</c> as its range text,
    /// <c>family_tree</c> as a bare list, numbers as numeric strings, and fields the spec does not name. Default 0.</summary>
    public double OddShapeRate { get; set; }

    /// <summary>Answers whose text values begin like spreadsheet formulas (<c>=HYPERLINK(...)</c>, <c>+cmd|...</c>,
    /// <c>-2+3</c>, <c>@SUM(...)</c>, a tab, a carriage return), for testing CSV-injection defences; number fields keep
    /// their values. Default false.</summary>
    public bool FormulaValues { get; set; }

    /// <summary>Body format of 400/401/427 answers. Default <see cref="Leadspace.Simulator.ErrorBodyFormat.Text"/>.</summary>
    public ErrorBodyFormat ErrorBodyFormat { get; set; } = ErrorBodyFormat.Text;

    /// <summary>Command line only: exit when stdin reaches end of file. Default false.</summary>
    public bool ExitOnStdinEof { get; set; }

    /// <summary>Returns a copy of these options.</summary>
    public SimulatorOptions Clone()
    {
        var c = (SimulatorOptions)MemberwiseClone();
        c.Tokens = [.. Tokens];
        c.InvalidProgramIds = [.. InvalidProgramIds];
        return c;
    }
}
