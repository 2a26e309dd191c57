using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Xunit;

namespace Leadspace.Simulator.Tests;

public class ConnectDelayTests
{
    private static async Task<TimeSpan> TimedPost(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/enrichment/enrich/single")
        {
            Content = new StringContent(Sim.Account("Acme"), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Sim.Token);
        var watch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        return watch.Elapsed;
    }

    [Fact]
    public async Task ANewConnectionIsServedOnlyAfterTheHandshakeDelayAndAWarmOneAtOnce()
    {
        await using var host = await Sim.StartAsync(o => o.ConnectDelayMs = 400);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = host.BaseUri };
        var cold = await TimedPost(http);
        var warm = await TimedPost(http);
        Assert.True(cold >= TimeSpan.FromMilliseconds(380), $"first call on a new connection took {cold}");
        Assert.True(warm < TimeSpan.FromMilliseconds(300), $"second call on the same connection took {warm}");
    }

    [Fact]
    public void TheOptionIsOnTheCommandLine()
    {
        var o = OptionTable.Parse(new[] { "--connect-delay-ms", "120" }, out var help);
        Assert.False(help);
        Assert.Equal(120, o.ConnectDelayMs);
    }
}
