using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace Leadspace.Simulator.Tests;

/// <summary>Helpers shared by the simulator tests.</summary>
internal static class Sim
{
    public const string Token = "sim-token";

    /// <summary>Starts a simulator with <c>--rate 0</c> and <c>--no-match-rate 0</c> unless the callback sets them.</summary>
    public static Task<SimulatorHost> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var o = new SimulatorOptions { Rate = 0, NoMatchRate = 0 };
        configure?.Invoke(o);
        return SimulatorHost.StartAsync(o);
    }

    public static HttpClient Client(SimulatorHost host) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 512,
    })
    {
        BaseAddress = host.BaseUri,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static string Person(string first, string last, string? company = "Acme Corp", string? email = null, string? website = null, string? externalId = null)
    {
        var root = new JsonObject();
        var person = new JsonObject { ["first_name"] = first, ["last_name"] = last };
        if (email is not null)
        {
            person["email"] = email;
        }
        root["person"] = person;
        var c = new JsonObject();
        if (company is not null)
        {
            c["name"] = company;
        }
        if (website is not null)
        {
            c["website"] = website;
        }
        root["company"] = c;
        if (externalId is not null)
        {
            root["external_id"] = externalId;
        }
        return root.ToJsonString();
    }

    public static string Account(string company, string? externalId = null) =>
        new JsonObject { ["company"] = new JsonObject { ["name"] = company }, ["external_id"] = externalId }.ToJsonString();

    public static HttpRequestMessage EnrichRequest(string body, string? token = Token, string? contentType = "application/json", HttpMethod? method = null)
    {
        var req = new HttpRequestMessage(method ?? HttpMethod.Post, SimulatorHost.EnrichPath);
        if (body is not null && (method ?? HttpMethod.Post) != HttpMethod.Get)
        {
            req.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }
        if (token is not null)
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return req;
    }

    public static async Task<HttpResponseMessage> EnrichAsync(this HttpClient client, string body, string? token = Token, string? contentType = "application/json")
    {
        using var req = EnrichRequest(body, token, contentType);
        return await client.SendAsync(req);
    }

    public static async Task<(HttpStatusCode Status, string Body)> EnrichTextAsync(this HttpClient client, string body, string? token = Token)
    {
        using var resp = await client.EnrichAsync(body, token);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    public static async Task<JsonElement> EnrichJsonAsync(this HttpClient client, string body)
    {
        using var resp = await client.EnrichAsync(body);
        var text = await resp.Content.ReadAsStringAsync();
        Xunit.Assert.True(resp.StatusCode == HttpStatusCode.OK, $"{(int)resp.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        var text = await client.GetStringAsync(path);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(this HttpClient client, string path, string json, HttpMethod? method = null)
    {
        using var req = new HttpRequestMessage(method ?? HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        using var resp = await client.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonElement body = default;
        if (resp.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0)
        {
            body = JsonDocument.Parse(text).RootElement.Clone();
        }
        return (resp.StatusCode, body);
    }

    /// <summary>Fires <paramref name="n"/> requests at once (after opening connections) and returns the status codes.</summary>
    public static async Task<int[]> BurstAsync(HttpClient client, int n, Func<int, string> body)
    {
        await WarmUpAsync(client, n);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, n).Select(async i =>
        {
            await start.Task;
            using var resp = await client.EnrichAsync(body(i));
            return (int)resp.StatusCode;
        }).ToArray();
        start.SetResult();
        return await Task.WhenAll(tasks);
    }

    /// <summary>Opens about <paramref name="n"/> pooled connections so a burst is not slowed by connection setup.</summary>
    public static async Task WarmUpAsync(HttpClient client, int n)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, n).Select(async _ =>
        {
            await start.Task;
            (await client.GetAsync("/__stats")).Dispose();
        }).ToArray();
        start.SetResult();
        await Task.WhenAll(tasks);
    }

    public static long Status(this SimulatorStats s, int code) => s.Count(code);

    /// <summary>
    /// The counters once <paramref name="settled"/> holds, or after 5 s, whichever comes first. A dropped connection
    /// reaches the client before the server has recorded what the call cost (that happens as its handler ends),
    /// so a test that drops connections reads the counters through this.
    /// </summary>
    public static async Task<SimulatorStats> SettledStatsAsync(SimulatorHost host, Func<SimulatorStats, bool> settled)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var s = host.Stats;
        while (!settled(s) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            s = host.Stats;
        }
        return s;
    }
}
