using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Leadspace.Simulator;

/// <summary>One source of truth for the command line, <c>--help</c> and <c>POST /__config</c>.</summary>
internal static class OptionTable
{
    internal sealed record Def(
        string Flag,
        string Value,
        string Help,
        Func<SimulatorOptions, object?> Get,
        Action<SimulatorOptions, string?> Set,
        bool IsFlag = false,
        bool Repeatable = false,
        bool RuntimeSettable = true)
    {
        /// <summary>camelCase config name: the flag without dashes.</summary>
        public string ConfigName { get; } = ToCamel(Flag);
    }

    private static string ToCamel(string flag)
    {
        var parts = flag.Split('-');
        var sb = new StringBuilder(parts[0]);
        for (var i = 1; i < parts.Length; i++)
        {
            sb.Append(char.ToUpperInvariant(parts[i][0])).Append(parts[i].AsSpan(1));
        }
        return sb.ToString();
    }

    public static readonly IReadOnlyList<Def> All =
    [
        new("port", "N", "TCP port on 127.0.0.1 (0 = pick a free port)", o => o.Port, (o, v) => o.Port = Int(v, 0, 65535), RuntimeSettable: false),
        new("path-prefix", "PATH", "serve the API under PATH (e.g. /v3: POST /v3/enrichment/enrich/single), as a gateway does; other API paths get 404; the base URI printed includes it", o => o.PathPrefix, (o, v) => o.PathPrefix = Str(v), RuntimeSettable: false),
        new("token", "TOKEN", "perpetual bearer token (repeatable; the first --token replaces the default)", o => o.Tokens, (o, v) => o.Tokens.Add(Str(v)), Repeatable: true),
        new("program-id", "ID", "program id (OAuth user); perpetual tokens map to it", o => o.ProgramId, (o, v) => o.ProgramId = Str(v)),
        new("oauth-secret", "SECRET", "OAuth secret (pass)", o => o.OAuthSecret, (o, v) => o.OAuthSecret = Str(v)),
        new("oauth-token-lifetime", "SECONDS", "lifetime of OAuth access tokens (fractions allowed)", o => o.OAuthTokenLifetime, (o, v) => o.OAuthTokenLifetime = Dbl(v, 0, double.MaxValue)),
        new("rate", "N", "accepted calls per rate window (0 = unlimited)", o => o.Rate, (o, v) => o.Rate = Int(v, 0, int.MaxValue)),
        new("rate-window", "sliding|fixed|leaky|tokenbucket", "sliding: at most N accepted in ANY trailing window; fixed: per wall-clock window; leaky: no burst, one call per window/N; tokenbucket: N tokens, refilled at N per window", o => o.RateWindow.ToString().ToLowerInvariant(), (o, v) => o.RateWindow = Enum<RateWindowMode>(v)),
        new("rate-window-ms", "MS", "length of the rate window in ms", o => o.RateWindowMs, (o, v) => o.RateWindowMs = Int(v, 1, int.MaxValue)),
        new("retry-after", "SECONDS", "send Retry-After: SECONDS on every 429 (default: no header; 'none' clears)", o => o.RetryAfter, (o, v) => o.RetryAfter = v is null || v.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : Int(v, 0, int.MaxValue)),
        new("max-concurrency", "N", "admitted requests in flight before 429 (0 = unlimited)", o => o.MaxConcurrency, (o, v) => o.MaxConcurrency = Int(v, 0, int.MaxValue)),
        new("credits", "N", "credit budget, one per 200; then 427 (-1 = unlimited); setting it restarts the budget", o => o.Credits, (o, v) => o.Credits = Lng(v, -1, long.MaxValue)),
        new("connect-delay-ms", "MS", "time before a new connection is served, as a TLS handshake (requests on it arrive that much later)", o => o.ConnectDelayMs, (o, v) => o.ConnectDelayMs = Int(v, 0, int.MaxValue)),
        new("latency-ms", "MS", "base latency of 200 / 5xx / dropped answers", o => o.LatencyMs, (o, v) => o.LatencyMs = Int(v, 0, int.MaxValue)),
        new("jitter-ms", "MS", "uniform +/- jitter around the latency (never below 0)", o => o.JitterMs, (o, v) => o.JitterMs = Int(v, 0, int.MaxValue)),
        new("error-rate", "0..1", "share of valid requests answered 500/502/503/504 with a JSON error body", o => o.ErrorRate, (o, v) => o.ErrorRate = Share(v)),
        new("drop-rate", "0..1", "share of valid requests whose connection is aborted without an answer", o => o.DropRate, (o, v) => o.DropRate = Share(v)),
        new("drop-charges", "true|false", "charge a credit for dropped requests (answer lost after the work was done)", o => o.DropCharges, (o, v) => o.DropCharges = Bool(v), IsFlag: true),
        new("slow-rate", "0..1", "share of valid requests delayed by an extra --slow-ms", o => o.SlowRate, (o, v) => o.SlowRate = Share(v)),
        new("slow-ms", "MS", "extra delay of slow responses", o => o.SlowMs, (o, v) => o.SlowMs = Int(v, 0, int.MaxValue)),
        new("malformed-rate", "0..1", "share of 200s whose body is truncated (invalid JSON); still charged", o => o.MalformedRate, (o, v) => o.MalformedRate = Share(v)),
        new("no-match-rate", "0..1", "share of inputs (by hash of the input) answered 200 'Not Enriched'", o => o.NoMatchRate, (o, v) => o.NoMatchRate = Share(v)),
        new("seed", "N", "seed of the random source for fault shares, jitter and 5xx codes", o => o.Seed, (o, v) => o.Seed = Int(v, int.MinValue, int.MaxValue)),
        new("invalid-program-id", "ID", "program id treated as invalid: its tokens get 427 (repeatable)", o => o.InvalidProgramIds, (o, v) => o.InvalidProgramIds.Add(Str(v)), Repeatable: true),
        new("response-shapes", "varied|fixed", "varied: both forms where the spec allows two (intent_modeling object or list, surging_topics array or string, fractional ranks), chosen per input; fixed: always the first", o => o.ResponseShapes.ToString().ToLowerInvariant(), (o, v) => o.ResponseShapes = Enum<ResponseShapes>(v)),
        new("server-error-body", "addendum|renamed|text|html|empty|mixed", "body of 5xx answers: the addendum's JSON keys, JSON with other key names, plain text, an HTML page, nothing, or any of these per answer", o => o.ServerErrorBody.ToString().ToLowerInvariant(), (o, v) => o.ServerErrorBody = Enum<ServerErrorBody>(v)),
        new("unusable-rate", "0..1", "share of 200s whose body holds no usable answer (no data, data not an object, status failure...); still charged", o => o.UnusableRate, (o, v) => o.UnusableRate = Share(v)),
        new("odd-shape-rate", "0..1", "share of 200s with shapes the spec does not describe (size as text, family_tree as a list, numbers as strings, unknown fields)", o => o.OddShapeRate, (o, v) => o.OddShapeRate = Share(v)),
        new("formula-values", "true|false", "answer with text values a spreadsheet would run as formulas (=, +, -, @, tab, CR at the start); numbers unchanged", o => o.FormulaValues, (o, v) => o.FormulaValues = Bool(v), IsFlag: true),
        new("error-body-format", "text|json|empty", "body of 400/401/427 answers", o => o.ErrorBodyFormat.ToString().ToLowerInvariant(), (o, v) => o.ErrorBodyFormat = Enum<ErrorBodyFormat>(v)),
        new("exit-on-stdin-eof", "", "exit when stdin reaches end of file (for parent processes that may die)", o => o.ExitOnStdinEof, (o, v) => o.ExitOnStdinEof = Bool(v), IsFlag: true, RuntimeSettable: false),
    ];

    /// <summary>Config names also accept these aliases (property names that differ from the flag).</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tokens"] = "token",
        ["invalidProgramIds"] = "invalid-program-id",
        ["oauthTokenLifetimeSeconds"] = "oauth-token-lifetime",
    };

    public static Def? Find(string name)
    {
        if (Aliases.TryGetValue(name, out var flag))
        {
            name = flag;
        }
        foreach (var d in All)
        {
            if (d.Flag.Equals(name, StringComparison.OrdinalIgnoreCase) || d.ConfigName.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return d;
            }
        }
        return null;
    }

    public static string DefaultText(Def d)
    {
        var v = d.Get(new SimulatorOptions());
        return v switch
        {
            null => "none",
            List<string> l => l.Count == 0 ? "none" : string.Join(", ", l),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
    }

    public static string HelpText()
    {
        var sb = new StringBuilder();
        sb.AppendLine("Leadspace API simulator");
        sb.AppendLine();
        sb.AppendLine("Usage: Leadspace.Simulator [options]");
        sb.AppendLine("Prints the base URI (e.g. http://127.0.0.1:43121) as the first line of stdout.");
        sb.AppendLine();
        sb.AppendLine("Options (default in brackets):");
        foreach (var d in All)
        {
            var left = d.IsFlag ? $"  --{d.Flag}" : $"  --{d.Flag} {d.Value}";
            sb.Append(left.Length < 42 ? left.PadRight(42) : left + "  ").Append(d.Help).Append(" [").Append(DefaultText(d)).AppendLine("]");
        }
        sb.Append("  --help".PadRight(42)).AppendLine("print this help and exit");
        sb.AppendLine();
        sb.AppendLine("Endpoints: POST /enrichment/enrich/single, POST|PUT /oauth/authorize,");
        sb.AppendLine("           GET /__stats, POST /__reset, GET|POST /__config (no auth, never rate limited;");
        sb.AppendLine("           also served at the root when --path-prefix is given).");
        return sb.ToString();
    }

    /// <summary>Parses a command line. Returns null options and help=true for --help.</summary>
    public static SimulatorOptions Parse(IReadOnlyList<string> args, out bool help)
    {
        help = false;
        var o = new SimulatorOptions();
        var seen = new HashSet<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a is "--help" or "-h" or "-?" or "/?")
            {
                help = true;
                return o;
            }
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{a}'. Run with --help for the options.");
            }
            var name = a[2..];
            string? value = null;
            var eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            var def = All.FirstOrDefault(d => d.Flag.Equals(name, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"Unknown option '--{name}'. Run with --help for the options.");
            if (value is null)
            {
                if (def.IsFlag)
                {
                    value = "true";
                }
                else
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new ArgumentException($"Option '--{name}' needs a value ({def.Value}).");
                    }
                    value = args[++i];
                }
            }
            if (def.Repeatable && seen.Add(def.Flag))
            {
                ClearList(o, def);
            }
            try
            {
                def.Set(o, value);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException($"Option '--{name}': {ex.Message}");
            }
        }
        return o;
    }

    private static void ClearList(SimulatorOptions o, Def def)
    {
        if (def.Get(o) is List<string> l)
        {
            l.Clear();
        }
    }

    /// <summary>Applies a JSON object of settings; throws <see cref="FormatException"/> with a message on bad input.
    /// All settings are validated on a copy first, so a bad request changes nothing.</summary>
    public static void ApplyJson(SimulatorOptions target, JsonElement obj)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("The body must be a JSON object of option names and values.");
        }
        var trial = target.Clone();
        var actions = new List<Action<SimulatorOptions>>();
        foreach (var p in obj.EnumerateObject())
        {
            var def = Find(p.Name) ?? throw new FormatException($"Unknown option '{p.Name}'.");
            if (!def.RuntimeSettable)
            {
                throw new FormatException($"Option '{p.Name}' cannot be changed at runtime.");
            }
            var values = new List<string?>();
            if (def.Repeatable)
            {
                if (p.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var e in p.Value.EnumerateArray())
                    {
                        values.Add(Scalar(e, p.Name));
                    }
                }
                else if (p.Value.ValueKind != JsonValueKind.Null)
                {
                    values.Add(Scalar(p.Value, p.Name));
                }
            }
            else
            {
                values.Add(Scalar(p.Value, p.Name));
            }
            Action<SimulatorOptions> act = o =>
            {
                if (def.Repeatable)
                {
                    ClearList(o, def);
                }
                foreach (var v in values)
                {
                    def.Set(o, v);
                }
            };
            act(trial);
            actions.Add(act);
        }
        foreach (var act in actions)
        {
            act(target);
        }
    }

    private static string? Scalar(JsonElement e, string name) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => null,
        _ => throw new FormatException($"Option '{name}': unsupported JSON value {e.ValueKind}."),
    };

    public static void WriteJson(Utf8JsonWriter w, SimulatorOptions o)
    {
        w.WriteStartObject();
        foreach (var d in All)
        {
            w.WritePropertyName(d.Repeatable && d.Flag == "token" ? "tokens" : d.Repeatable ? "invalidProgramIds" : d.ConfigName);
            switch (d.Get(o))
            {
                case null: w.WriteNullValue(); break;
                case List<string> l:
                    w.WriteStartArray();
                    foreach (var s in l)
                    {
                        w.WriteStringValue(s);
                    }
                    w.WriteEndArray();
                    break;
                case bool b: w.WriteBooleanValue(b); break;
                case int i: w.WriteNumberValue(i); break;
                case long l: w.WriteNumberValue(l); break;
                case double x: w.WriteNumberValue(x); break;
                case string s: w.WriteStringValue(s); break;
                case var v: w.WriteStringValue(v.ToString()); break;
            }
        }
        w.WriteEndObject();
    }

    private static string Str(string? v) => string.IsNullOrEmpty(v) ? throw new FormatException("a non-empty value is required.") : v;

    private static int Int(string? v, int min, int max)
    {
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) || r < min || r > max)
        {
            throw new FormatException($"'{v}' is not an integer in [{min}, {max}].");
        }
        return r;
    }

    private static long Lng(string? v, long min, long max)
    {
        if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) || r < min || r > max)
        {
            throw new FormatException($"'{v}' is not an integer in [{min}, {max}].");
        }
        return r;
    }

    private static double Dbl(string? v, double min, double max)
    {
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) || double.IsNaN(r) || r < min || r > max)
        {
            throw new FormatException($"'{v}' is not a number in [{min}, {max}].");
        }
        return r;
    }

    private static double Share(string? v) => Dbl(v, 0, 1);

    private static bool Bool(string? v) => v?.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new FormatException($"'{v}' is not true or false."),
    };

    private static T Enum<T>(string? v) where T : struct, System.Enum =>
        System.Enum.TryParse<T>(v, ignoreCase: true, out var r) && System.Enum.IsDefined(r)
            ? r
            : throw new FormatException($"'{v}' is not one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
}
