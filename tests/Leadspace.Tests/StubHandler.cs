using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Leadspace.Tests;

/// <summary>An HTTP handler that answers from a script, for client tests that need exact sequences.</summary>
internal sealed class StubHandler : HttpMessageHandler
{
    private readonly Func<HttpRequestMessage, int, Task<HttpResponseMessage>> _answer;
    private int _calls;
    public ConcurrentQueue<(HttpMethod Method, string Path, string? Auth, string Body)> Requests { get; } = new();

    public StubHandler(Func<HttpRequestMessage, int, Task<HttpResponseMessage>> answer) { _answer = answer; }

    public int Calls => Volatile.Read(ref _calls);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content == null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Enqueue((request.Method, request.RequestUri!.AbsolutePath, request.Headers.Authorization?.ToString(), body));
        int n = Interlocked.Increment(ref _calls);
        return await _answer(request, n).WaitAsync(cancellationToken); // like a real handler, give up on cancellation
    }

    public static HttpResponseMessage Json(int status, string json, Action<HttpResponseMessage>? configure = null)
    {
        var r = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        configure?.Invoke(r);
        return r;
    }

    public const string Enriched = """{"status":"success","external_id":"e1","data":{"enrichment_status":"Company Enriched","company":{"name":"Acme"}}}""";
}
