using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Leadspace.Simulator.Tests;

public sealed class ThroughputTests(ITestOutputHelper output)
{
    /// <summary>64 concurrent HttpClient loops against --rate 0 for ~2 s: every answer is a 200 and counted once. The
    /// calls/s figure is printed for information only: throughput is measured by the benchmark (build.ps1 -Task Bench,
    /// scenario B), never asserted in a test that a busy machine would fail.</summary>
    [Fact]
    public async Task SixtyFourConcurrentClientsAreAllAnsweredAndCountedOnce()
    {
        await using var host = await Sim.StartAsync(o => { o.Rate = 0; o.NoMatchRate = 0.15; });
        using var client = Sim.Client(host);
        var bodies = Enumerable.Range(0, 500).Select(i => Sim.Person("Ann" + i, "Lee", "Acme " + i, externalId: "t" + i)).ToArray();
        await Sim.WarmUpAsync(client, 64);

        var duration = TimeSpan.FromSeconds(2);
        var sw = Stopwatch.StartNew();
        long ok = 0;
        var workers = Enumerable.Range(0, 64).Select(async w =>
        {
            var i = w;
            while (sw.Elapsed < duration)
            {
                using var resp = await client.EnrichAsync(bodies[i++ % bodies.Length]);
                await resp.Content.ReadAsByteArrayAsync();
                if ((int)resp.StatusCode == 200)
                {
                    Interlocked.Increment(ref ok);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        sw.Stop();
        var rate = ok / sw.Elapsed.TotalSeconds;
        output.WriteLine($"{ok} calls in {sw.Elapsed.TotalSeconds:F2} s = {rate:F0} calls/s (client and server in one process)");
        Assert.True(ok > 0);
        Assert.Equal(ok, host.Stats.Status(200));
        Assert.Equal(ok, host.Stats.CreditsCharged);
    }
}
