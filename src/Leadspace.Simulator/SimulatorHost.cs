using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Net.Http.Headers;

namespace Leadspace.Simulator;

/// <summary>
/// The Leadspace API simulator, hosted in-process on 127.0.0.1 (Kestrel, HTTP/1.1).
/// Use <see cref="StartAsync"/>; dispose or <see cref="StopAsync"/> to stop.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    public const string EnrichPath = "/enrichment/enrich/single";
    public const string OAuthPath = "/oauth/authorize";
    public const string UnauthorizedMessage = "Credentials are required to access this resource";
    public const string CreditsMessage =
        "Please reach out to the Customer Success Manager and the Support team (at support@leadspace.com) for credits allocation";

    private readonly WebApplication _app;
    private readonly SimulatorState _state;
    private readonly CancellationTokenSource _stopping = new();
    private int _stopped;

    private SimulatorHost(WebApplication app, SimulatorState state)
    {
        _app = app;
        _state = state;
    }

    /// <summary>Base URI, e.g. <c>http://127.0.0.1:43121</c> (Uri.ToString adds a trailing slash); with
    /// <see cref="SimulatorOptions.PathPrefix"/>, the prefix and a trailing slash (<c>http://127.0.0.1:43121/v3/</c>).</summary>
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1");

    /// <summary>The live options: changes take effect on the next request.</summary>
    public SimulatorOptions Options => _state.Options;

    /// <summary>A snapshot of the counters.</summary>
    public SimulatorStats Stats => _state.Snapshot();

    /// <summary>A snapshot of the counters.</summary>
    public SimulatorStats GetStats() => _state.Snapshot();

    /// <summary>Same as <c>POST /__reset</c>.</summary>
    public void ResetStats() => _state.Reset();

    /// <summary>Starts a simulator. The options object is used live (not copied).</summary>
    public static async Task<SimulatorHost> StartAsync(SimulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatorHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = null;
            k.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
            k.Listen(IPAddress.Loopback, options.Port, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                // --connect-delay-ms: a new connection is not served until its "handshake" time has passed,
                // as with TLS; a request sent on it waits for what is left of that time.
                l.Use(next => async connection =>
                {
                    var delay = options.ConnectDelayMs;
                    if (delay > 0)
                    {
                        try { await Task.Delay(delay, connection.ConnectionClosed).ConfigureAwait(false); }
                        catch (OperationCanceledException) { return; }
                    }
                    await next(connection).ConfigureAwait(false);
                });
            });
        });
        // No console lifetime (no Ctrl+C hooks, no startup messages): Program.cs handles signals itself.
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var app = builder.Build();
        var state = new SimulatorState(options);
        var host = new SimulatorHost(app, state);
        app.Run(host.DispatchAsync);
        await app.StartAsync(ct).ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        host.BaseUri = new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + (options.PathPrefix.Length > 0 ? options.PathPrefix + "/" : ""));
        return host;
    }

    /// <summary>Stops the server; pending delayed responses are cut short.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    // ---- dispatch -----------------------------------------------------------------------------------

    private Task DispatchAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        if (path.Length > 1 && path[^1] == '/')
        {
            path = path[..^1];
        }
        // --path-prefix: the API lives under the prefix only; the control endpoints (/__…) answer at the root too.
        var prefix = _state.Options.PathPrefix;
        if (prefix.Length > 0)
        {
            if (path.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase))
            {
                path = path[prefix.Length..];
            }
            else if (!path.StartsWith("/__", StringComparison.Ordinal))
            {
                ctx.Response.StatusCode = 404;
                return Task.CompletedTask;
            }
        }
        if (path.Equals(EnrichPath, StringComparison.OrdinalIgnoreCase))
        {
            return EnrichAsync(ctx);
        }
        if (path.Equals(OAuthPath, StringComparison.OrdinalIgnoreCase))
        {
            return OAuthAsync(ctx);
        }
        if (path.Equals("/__stats", StringComparison.OrdinalIgnoreCase))
        {
            return HttpMethods.IsGet(ctx.Request.Method)
                ? WriteJsonAsync(ctx, 200, w => _state.Snapshot().WriteJson(w))
                : MethodNotAllowed(ctx, "GET");
        }
        if (path.Equals("/__reset", StringComparison.OrdinalIgnoreCase))
        {
            if (!HttpMethods.IsPost(ctx.Request.Method))
            {
                return MethodNotAllowed(ctx, "POST");
            }
            _state.Reset();
            return WriteJsonAsync(ctx, 200, w => _state.Snapshot().WriteJson(w));
        }
        if (path.Equals("/__requests", StringComparison.OrdinalIgnoreCase))
        {
            return HttpMethods.IsGet(ctx.Request.Method)
                ? WriteJsonAsync(ctx, 200, w =>
                {
                    w.WriteStartArray();
                    foreach (var body in _state.RecordedBodies()) w.WriteRawValue(body, skipInputValidation: true);
                    w.WriteEndArray();
                })
                : MethodNotAllowed(ctx, "GET");
        }
        if (path.Equals("/__release", StringComparison.OrdinalIgnoreCase))
        {
            if (!HttpMethods.IsPost(ctx.Request.Method))
            {
                return MethodNotAllowed(ctx, "POST");
            }
            _state.ReleaseHeldAnswers();
            return WriteJsonAsync(ctx, 200, w => _state.Snapshot().WriteJson(w));
        }
        if (path.Equals("/__config", StringComparison.OrdinalIgnoreCase))
        {
            return ConfigAsync(ctx);
        }
        ctx.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    private static Task MethodNotAllowed(HttpContext ctx, string allow)
    {
        ctx.Response.StatusCode = 405;
        ctx.Response.Headers.Allow = allow;
        return Task.CompletedTask;
    }

    private async Task EnrichAsync(HttpContext ctx)
    {
        var s = _state;
        var o = s.Options;
        s.CountCall();
        s.Enter();
        try
        {
            if (!HttpMethods.IsPost(ctx.Request.Method))
            {
                s.CountStatus(405);
                await MethodNotAllowed(ctx, "POST").ConfigureAwait(false);
                return;
            }
            if (!IsJsonContentType(ctx.Request.ContentType))
            {
                s.CountStatus(415);
                ctx.Response.StatusCode = 415;
                return;
            }
            var programId = Authenticate(ctx);
            if (programId is null)
            {
                s.CountStatus(401);
                await WriteErrorAsync(ctx, 401, UnauthorizedMessage).ConfigureAwait(false);
                return;
            }

            var admission = s.Gate.TryAdmit(o.Rate, o.RateWindow, o.RateWindowMs, o.MaxConcurrency,
                SimulatorState.NowTicks(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            if (admission != Admission.Accepted)
            {
                s.CountStatus(429);
                ctx.Response.StatusCode = 429;
                if (o.RetryAfter is { } ra)
                {
                    ctx.Response.Headers.RetryAfter = ra.ToString(CultureInfo.InvariantCulture);
                }
                return;
            }
            try
            {
                await AdmittedAsync(ctx, programId).ConfigureAwait(false);
            }
            finally
            {
                s.Gate.Release();
            }
        }
        finally
        {
            s.Exit();
        }
    }

    private async Task AdmittedAsync(HttpContext ctx, string programId)
    {
        var s = _state;
        var o = s.Options;
        if (!string.Equals(programId, o.ProgramId, StringComparison.Ordinal) || o.InvalidProgramIds.Contains(programId))
        {
            s.CountStatus(427);
            await WriteErrorAsync(ctx, 427, CreditsMessage).ConfigureAwait(false);
            return;
        }
        if (!s.TryReserveCredit(out var reserved))
        {
            s.CountStatus(427);
            await WriteErrorAsync(ctx, 427, CreditsMessage).ConfigureAwait(false);
            return;
        }
        var charge = false;
        string? externalId = null;
        try
        {
            EnrichmentInput? input;
            try
            {
                using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted).ConfigureAwait(false);
                s.RecordBody(doc.RootElement.GetRawText());
                input = EnrichmentInput.TryParse(doc.RootElement, out _);
            }
            catch (JsonException)
            {
                input = null;
            }
            if (input is null)
            {
                s.CountStatus(400);
                await WriteErrorAsync(ctx, 400, EnrichmentInput.MinimumInputMessage).ConfigureAwait(false);
                return;
            }
            externalId = input.ExternalId;

            var plan = s.DrawFaults();
            if (plan.Slow)
            {
                s.CountSlow();
            }
            if (plan.DelayMs > 0)
            {
                // Not tied to RequestAborted: like the real service, work finishes (and is charged) even if the client gave up.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, s.ReleaseToken);
                try
                {
                    await Task.Delay(plan.DelayMs, wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    ctx.Abort();
                    return;
                }
                catch (OperationCanceledException)
                {
                    // POST /__release: answered now.
                }
            }
            if (plan.Drop)
            {
                s.CountDropped();
                charge = o.DropCharges;
                ctx.Abort();
                return;
            }
            if (plan.Error)
            {
                s.CountStatus(plan.ErrorStatus);
                await WriteServerErrorAsync(ctx, plan.ErrorStatus, plan.ErrorBody).ConfigureAwait(false);
                return;
            }

            var hash = input.StableHash();
            var noMatch = ResponseGenerator.IsNoMatch(hash, o.NoMatchRate);
            ReadOnlyMemory<byte> body;
            if (plan.Unusable >= 0)
            {
                body = ResponseGenerator.Unusable(plan.Unusable, input.ExternalId);
            }
            else
            {
                var buffer = new ArrayBufferWriter<byte>(noMatch ? 256 : 8192);
                ResponseGenerator.Write(buffer, input, hash, noMatch, o.ResponseShapes == ResponseShapes.Varied);
                body = plan.OddShapes ? ResponseGenerator.BendShapes(buffer.WrittenMemory) : buffer.WrittenMemory;
                if (o.FormulaValues) body = ResponseGenerator.FormulaValues(body);
            }
            if (plan.Malformed)
            {
                s.CountMalformed();
                body = body[..(body.Length / 2)];
            }
            charge = true;
            s.CountStatus(200);
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json; charset=utf-8";
            ctx.Response.ContentLength = body.Length;
            await WriteBodyAsync(ctx, body).ConfigureAwait(false);
        }
        finally
        {
            s.CompleteCredit(reserved, charge, externalId);
        }
    }

    private string? Authenticate(HttpContext ctx)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (header.Length <= bearer.Length || !header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = header[bearer.Length..].Trim();
        return token.Length == 0 ? null : _state.ProgramIdOf(token);
    }

    internal static bool IsJsonContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var mt))
        {
            return false;
        }
        if (!mt.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var charset = mt.Charset;
        return !charset.HasValue || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }

    private Task WriteErrorAsync(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        switch (_state.Options.ErrorBodyFormat)
        {
            case ErrorBodyFormat.Json:
                return WriteJsonAsync(ctx, status, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("status", "failure");
                    w.WriteString("message", message);
                    w.WriteEndObject();
                });
            case ErrorBodyFormat.Empty:
                return Task.CompletedTask;
            default:
                return WriteTextAsync(ctx, status, "text/plain; charset=utf-8", message);
        }
    }

    /// <summary>A 5xx answer in the configured body shape; every shape but <c>empty</c> carries a tracking id.</summary>
    private static Task WriteServerErrorAsync(HttpContext ctx, int status, ServerErrorBody shape)
    {
        var (error, reason, details) = status switch
        {
            502 => ("BAD_GATEWAY", "Bad Gateway", "The upstream enrichment service returned an invalid response."),
            503 => ("SERVICE_UNAVAILABLE", "Service Unavailable", "The enrichment service is temporarily unavailable. Please retry later."),
            504 => ("GATEWAY_TIMEOUT", "Gateway Timeout", "The upstream enrichment service did not respond in time."),
            _ => ("INTERNAL_SERVER_ERROR", "Internal Server Error", "An unexpected error occurred while processing the request."),
        };
        var trackingId = Guid.NewGuid().ToString();
        var timestamp = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        switch (shape)
        {
            case ServerErrorBody.Renamed:
                return WriteJsonAsync(ctx, status, w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("code", status);
                    w.WriteString("message", details);
                    w.WriteString("trackingId", trackingId);
                    w.WriteString("timestamp", timestamp);
                    w.WriteEndObject();
                });
            case ServerErrorBody.Text:
                return WriteTextAsync(ctx, status, "text/plain; charset=utf-8",
                    $"{status} {reason}: {details} Tracking ID: {trackingId} ({timestamp})\n");
            case ServerErrorBody.Html:
                return WriteTextAsync(ctx, status, "text/html; charset=utf-8",
                    $"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title><style>body {{ font-family: sans-serif; }}</style></head>\n" +
                    $"<body><h1>{status} {reason}</h1><p>{WebUtility.HtmlEncode(details)}</p><p>Tracking ID: <code>{trackingId}</code></p><hr><address>apigw</address></body></html>\n");
            case ServerErrorBody.Empty:
                ctx.Response.StatusCode = status;
                ctx.Response.ContentLength = 0;
                return Task.CompletedTask;
            default:
                return WriteJsonAsync(ctx, status, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("error", error);
                    w.WriteString("tracking_id", trackingId);
                    w.WriteString("request_timestamp", timestamp);
                    w.WriteString("details", details);
                    w.WriteEndObject();
                });
        }
    }

    private static Task WriteTextAsync(HttpContext ctx, int status, string contentType, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = bytes.Length;
        return WriteBodyAsync(ctx, bytes);
    }

    private static Task WriteJsonAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = ResponseGenerator.WriterOptions.Encoder }))
        {
            write(w);
        }
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = buffer.WrittenCount;
        return WriteBodyAsync(ctx, buffer.WrittenMemory);
    }

    private static async Task WriteBodyAsync(HttpContext ctx, ReadOnlyMemory<byte> body)
    {
        try
        {
            await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away; the answer (and any charge) stands.
        }
    }

    // ---- OAuth --------------------------------------------------------------------------------------

    private async Task OAuthAsync(HttpContext ctx)
    {
        var s = _state;
        var o = s.Options;
        s.CountOAuth();
        var isPost = HttpMethods.IsPost(ctx.Request.Method);
        if (!isPost && !HttpMethods.IsPut(ctx.Request.Method))
        {
            await MethodNotAllowed(ctx, "POST, PUT").ConfigureAwait(false);
            return;
        }
        if (!IsJsonContentType(ctx.Request.ContentType))
        {
            ctx.Response.StatusCode = 415;
            return;
        }
        JsonElement root;
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted).ConfigureAwait(false);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            await WriteOAuthErrorAsync(ctx, 400, "The request body must be a JSON object.").ConfigureAwait(false);
            return;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            await WriteOAuthErrorAsync(ctx, 400, "The request body must be a JSON object.").ConfigureAwait(false);
            return;
        }
        var user = Str(root, "user");
        if (isPost)
        {
            var audience = Str(root, "audience");
            if (!string.Equals(audience, "API_GATEWAY", StringComparison.Ordinal))
            {
                await WriteOAuthErrorAsync(ctx, 400, "audience must be \"API_GATEWAY\".").ConfigureAwait(false);
                return;
            }
            var pass = Str(root, "pass");
            if (!string.Equals(user, o.ProgramId, StringComparison.Ordinal) || !string.Equals(pass, o.OAuthSecret, StringComparison.Ordinal))
            {
                await WriteErrorAsync(ctx, 401, UnauthorizedMessage).ConfigureAwait(false);
                return;
            }
        }
        else
        {
            var refresh = Str(root, "refreshToken");
            if (user is null || refresh is null || !s.TryRedeemRefresh(user, refresh))
            {
                await WriteErrorAsync(ctx, 401, UnauthorizedMessage).ConfigureAwait(false);
                return;
            }
        }
        var (token, refreshToken, expiration) = s.Issue(user!);
        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("token", token);
            w.WriteString("refreshToken", refreshToken);
            w.WriteNumber("expiration", expiration);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static string? Str(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static Task WriteOAuthErrorAsync(HttpContext ctx, int status, string message) => WriteJsonAsync(ctx, status, w =>
    {
        w.WriteStartObject();
        w.WriteString("error", message);
        w.WriteEndObject();
    });

    // ---- config -------------------------------------------------------------------------------------

    private async Task ConfigAsync(HttpContext ctx)
    {
        if (HttpMethods.IsGet(ctx.Request.Method))
        {
            await WriteJsonAsync(ctx, 200, w => OptionTable.WriteJson(w, _state.Options)).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            await MethodNotAllowed(ctx, "GET, POST").ConfigureAwait(false);
            return;
        }
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted).ConfigureAwait(false);
            OptionTable.ApplyJson(_state.Options, doc.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            await WriteOAuthErrorAsync(ctx, 400, ex.Message).ConfigureAwait(false);
            return;
        }
        await WriteJsonAsync(ctx, 200, w => OptionTable.WriteJson(w, _state.Options)).ConfigureAwait(false);
    }

    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
