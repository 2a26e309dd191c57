using System.Diagnostics;
using System.Net;
using Xunit;

namespace Leadspace.Simulator.Tests;

public sealed class RateLimitTests
{
    private static readonly long F = Stopwatch.Frequency;

    private static long Ms(double ms) => (long)(ms * F / 1000);

    [Fact]
    public void SlidingWindowIsStrictOverAnyTrailingSecond()
    {
        var g = new AdmissionGate();
        var t0 = 1_000 * F;
        Admission At(double ms) => g.TryAdmit(5, RateWindowMode.Sliding, 1000, 0, t0 + Ms(ms), 0);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Admission.Accepted, At(0));
        }
        Assert.Equal(Admission.Accepted, At(600));
        Assert.Equal(Admission.Accepted, At(600));
        Assert.Equal(Admission.RateLimited, At(600));
        Assert.Equal(Admission.RateLimited, At(999.9)); // the first three are still inside (t-1s, t]
        // At exactly +1000 ms the first three leave the half-open window; the two from +600 ms stay.
        Assert.Equal(Admission.Accepted, At(1000));
        Assert.Equal(Admission.Accepted, At(1000));
        Assert.Equal(Admission.Accepted, At(1000));
        Assert.Equal(Admission.RateLimited, At(1000));
        Assert.Equal(Admission.RateLimited, At(1599));
        Assert.Equal(Admission.Accepted, At(1600));
        Assert.Equal(5, g.MaxAcceptedInAnyWindow);
        for (var i = 0; i < 200; i++)
        {
            g.Release();
        }
    }

    [Fact]
    public void RejectedCallsDoNotCountAsAccepted()
    {
        var g = new AdmissionGate();
        var t0 = 5 * F;
        Assert.Equal(Admission.Accepted, g.TryAdmit(1, RateWindowMode.Sliding, 1000, 0, t0, 0));
        for (var i = 1; i < 10; i++)
        {
            // Hammering with 429s every 100 ms does not extend the window.
            Assert.Equal(Admission.RateLimited, g.TryAdmit(1, RateWindowMode.Sliding, 1000, 0, t0 + Ms(i * 100), 0));
        }
        Assert.Equal(Admission.Accepted, g.TryAdmit(1, RateWindowMode.Sliding, 1000, 0, t0 + Ms(1000), 0));
        Assert.Equal(2, g.Accepted);
    }

    [Fact]
    public void FixedWindowResetsOnTheWallClockSecond()
    {
        var g = new AdmissionGate();
        var t = 10 * F;
        // 3 calls at wall-clock .900 and 3 more at .000 of the next second are all accepted (6 in 100 ms: fixed is looser).
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Admission.Accepted, g.TryAdmit(3, RateWindowMode.Fixed, 1000, 0, t, 41_900));
        }
        Assert.Equal(Admission.RateLimited, g.TryAdmit(3, RateWindowMode.Fixed, 1000, 0, t, 41_999));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Admission.Accepted, g.TryAdmit(3, RateWindowMode.Fixed, 1000, 0, t + Ms(100), 42_000));
        }
        Assert.Equal(Admission.RateLimited, g.TryAdmit(3, RateWindowMode.Fixed, 1000, 0, t + Ms(100), 42_500));
        Assert.Equal(6, g.MaxAcceptedInAnyWindow); // the statistic is always a true sliding 1 s computation
    }

    [Fact]
    public void LeakyBucketAllowsNoBurstOneCallPerEmissionIntervalInWholeMilliseconds()
    {
        // 30 per second without burst (nginx limit_req, no burst): ms * 30 >= 1000 between the last accepted call and
        // this one, in whole milliseconds of a millisecond clock, so 34 clock milliseconds.
        var g = new AdmissionGate();
        var t0 = 20 * F;   // on a whole millisecond: t0 + Ms(x) reads as floor(x) on the millisecond clock
        Admission At(double ms) => g.TryAdmit(30, RateWindowMode.Leaky, 1000, 0, t0 + Ms(ms), 0);

        Assert.Equal(Admission.Accepted, At(0.9));
        Assert.Equal(Admission.RateLimited, At(0.9));     // no burst at all, not even a second call at the start
        Assert.Equal(Admission.RateLimited, At(33.95));   // 33.05 ms later: 33 on the clock
        Assert.Equal(Admission.Accepted, At(34.0));       // 33.1 ms later, but 34 on the clock (as nginx counts)
        Assert.Equal(Admission.RateLimited, At(67.9));    // 33.9 ms later, 33 on the clock: refused
        Assert.Equal(Admission.RateLimited, At(50));      // refused calls leave no trace…
        Assert.Equal(Admission.Accepted, At(68.0));       // …so the next slot is still 34 clock ms after the last accepted one
        // Evenly paced 34.2 ms apart, a whole second passes: 30 calls, never a 429.
        for (var i = 1; i <= 30; i++)
        {
            Assert.Equal(Admission.Accepted, At(68.0 + i * 34.2));
        }
        Assert.Equal(33, g.Accepted);
        Assert.Equal(30, g.MaxAcceptedInAnyWindow);      // evenly spaced: never more than the rate in any second
        // 33.4 ms apart (over the 33.3 ms interval, but under 34 clock ms every few calls): some are refused.
        var refused = 0;
        var last = 68.0 + 30 * 34.2;
        for (var i = 1; i <= 30; i++)
        {
            if (At(last + i * 33.4) == Admission.RateLimited) refused++;
        }
        Assert.InRange(refused, 1, 29);
        for (var i = 0; i < 200; i++)
        {
            g.Release();
        }
    }

    [Fact]
    public void AcceptedSpanRunsFromTheFirstToTheLastAcceptedCallAndIsClearedByReset()
    {
        var g = new AdmissionGate();
        var t0 = 40 * F;
        Admission At(double ms) => g.TryAdmit(2, RateWindowMode.Sliding, 1000, 0, t0 + Ms(ms), 0);

        Assert.Equal(0, g.AcceptedSpanMs);
        Assert.Equal(Admission.Accepted, At(100));
        Assert.Equal(0, g.AcceptedSpanMs);                // one call: no span
        Assert.Equal(Admission.Accepted, At(300));
        Assert.Equal(Admission.RateLimited, At(900));     // refused calls do not extend it
        Assert.Equal(200, g.AcceptedSpanMs, 3);
        Assert.Equal(Admission.Accepted, At(1250));
        Assert.Equal(1150, g.AcceptedSpanMs, 3);
        g.Reset();
        Assert.Equal(0, g.AcceptedSpanMs);
        Assert.Equal(Admission.Accepted, At(2000));
        Assert.Equal(Admission.Accepted, At(2010));
        Assert.Equal(10, g.AcceptedSpanMs, 3);
        for (var i = 0; i < 10; i++)
        {
            g.Release();
        }
    }

    [Fact]
    public void TokenBucketAllowsABurstOfRateThenRefillsContinuously()
    {
        var g = new AdmissionGate();
        var t0 = 30 * F;
        Admission At(double ms) => g.TryAdmit(5, RateWindowMode.TokenBucket, 1000, 0, t0 + Ms(ms), 0);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Admission.Accepted, At(0));     // a full bucket: five at once
        }
        Assert.Equal(Admission.RateLimited, At(0));
        Assert.Equal(Admission.RateLimited, At(199));    // one token per 200 ms
        Assert.Equal(Admission.Accepted, At(200));
        Assert.Equal(Admission.RateLimited, At(300));
        Assert.Equal(Admission.Accepted, At(400));
        // After a long pause the bucket holds five again, never more.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Admission.Accepted, At(10_000));
        }
        Assert.Equal(Admission.RateLimited, At(10_000));
        for (var i = 0; i < 200; i++)
        {
            g.Release();
        }
    }

    [Fact]
    public void MaxAcceptedStatisticIsATrueSlidingComputation()
    {
        var g = new AdmissionGate();
        var t = 100 * F;
        // 4 at 0.0 s, 4 at 0.9 s, 4 at 1.8 s: any 1 s window holds at most 8.
        foreach (var ms in new[] { 0, 900, 1800 })
        {
            for (var i = 0; i < 4; i++)
            {
                g.TryAdmit(0, RateWindowMode.Sliding, 1000, 0, t + Ms(ms), 0);
            }
        }
        Assert.Equal(8, g.MaxAcceptedInAnyWindow);
        g.Reset();
        Assert.Equal(0, g.MaxAcceptedInAnyWindow);
    }

    [Fact]
    public void ConcurrencyCapCountsAdmittedInFlight()
    {
        var g = new AdmissionGate();
        Assert.Equal(Admission.Accepted, g.TryAdmit(0, RateWindowMode.Sliding, 1000, 2, 1, 0));
        Assert.Equal(Admission.Accepted, g.TryAdmit(0, RateWindowMode.Sliding, 1000, 2, 2, 0));
        Assert.Equal(Admission.ConcurrencyLimited, g.TryAdmit(0, RateWindowMode.Sliding, 1000, 2, 3, 0));
        g.Release();
        Assert.Equal(Admission.Accepted, g.TryAdmit(0, RateWindowMode.Sliding, 1000, 2, 4, 0));
        Assert.Equal(3, g.Accepted);
    }

    [Fact]
    public async Task BurstGetsExactlyRateAccepted()
    {
        // A 5 s window makes "the whole burst lands inside one window" certain even on a loaded machine.
        await using var host = await Sim.StartAsync(o => { o.Rate = 10; o.RateWindowMs = 5000; });
        using var client = Sim.Client(host);
        var codes = await Sim.BurstAsync(client, 40, i => Sim.Account("Burst " + i));
        Assert.Equal(10, codes.Count(c => c == 200));
        Assert.Equal(30, codes.Count(c => c == 429));
        var s = host.Stats;
        Assert.Equal(10, s.Accepted);
        Assert.Equal(30, s.Status(429));
        Assert.Equal(10, s.CreditsCharged); // a 429 costs nothing
    }

    [Fact]
    public async Task BurstAgainstTheDefaultOneSecondWindow()
    {
        await using var host = await Sim.StartAsync(o => o.Rate = 10);
        using var client = Sim.Client(host);
        var sw = Stopwatch.StartNew();
        var codes = await Sim.BurstAsync(client, 40, i => Sim.Account("Burst " + i));
        sw.Stop();
        var ok = codes.Count(c => c == 200);
        Assert.Equal(40, ok + codes.Count(c => c == 429));
        if (sw.Elapsed < TimeSpan.FromMilliseconds(900))
        {
            Assert.Equal(10, ok);
        }
        Assert.True(ok >= 10);
        Assert.True(host.Stats.MaxAcceptedInAnyWindow <= 10);

        // After the window has passed, the next burst again gets (at least) its full share.
        await Task.Delay(1100);
        var again = await Sim.BurstAsync(client, 15, i => Sim.Account("Again " + i));
        Assert.True(again.Count(c => c == 200) >= 10);
        Assert.True(host.Stats.MaxAcceptedInAnyWindow <= 10);
    }

    [Fact]
    public async Task SlidingWindowBoundaryEndToEnd()
    {
        // Window 2 s, rate 4: 2 calls, wait ~1 s, 2 calls, then the 5th is refused; after the first two
        // leave the window (2 s after them) exactly two more fit. Generous sleeps make this load-proof.
        await using var host = await Sim.StartAsync(o => { o.Rate = 4; o.RateWindowMs = 2000; });
        using var client = Sim.Client(host);
        async Task<int> Call() => (int)(await client.EnrichTextAsync(Sim.Account("W"))).Status;

        Assert.Equal(200, await Call());
        Assert.Equal(200, await Call());
        // Timed from the second answer, when both calls have surely arrived: a slow first call (JIT, a cold
        // connection) must not make the wait end before the second one leaves the window.
        var first = Stopwatch.StartNew();
        await Task.Delay(1000);
        var second = Stopwatch.StartNew();
        Assert.Equal(200, await Call());
        Assert.Equal(200, await Call());
        Assert.Equal(429, await Call());
        var waitFor = TimeSpan.FromMilliseconds(2150) - first.Elapsed;
        if (waitFor > TimeSpan.Zero)
        {
            await Task.Delay(waitFor);
        }
        if (second.Elapsed < TimeSpan.FromMilliseconds(1900))
        {
            Assert.Equal(200, await Call());
            Assert.Equal(200, await Call());
            Assert.Equal(429, await Call());
        }
    }

    [Fact]
    public async Task RetryAfterHeaderOnlyWhenConfigured()
    {
        await using var host = await Sim.StartAsync(o => { o.Rate = 1; o.RateWindowMs = 60_000; });
        using var client = Sim.Client(host);
        Assert.Equal(HttpStatusCode.OK, (await client.EnrichAsync(Sim.Account("A"))).StatusCode);
        using (var r = await client.EnrichAsync(Sim.Account("A")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.Null(r.Headers.RetryAfter);
        }
        host.Options.RetryAfter = 2;
        using (var r = await client.EnrichAsync(Sim.Account("A")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), r.Headers.RetryAfter?.Delta);
        }
    }

    [Fact]
    public async Task StatsAndControlEndpointsAreNeverRateLimited()
    {
        await using var host = await Sim.StartAsync(o => { o.Rate = 1; o.RateWindowMs = 60_000; });
        using var client = Sim.Client(host);
        for (var i = 0; i < 20; i++)
        {
            using var r = await client.GetAsync("/__stats");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
    }

    [Fact]
    public async Task MaxConcurrencyAnswers429()
    {
        await using var host = await Sim.StartAsync(o => { o.MaxConcurrency = 3; o.LatencyMs = 1500; });
        using var client = Sim.Client(host);
        var codes = await Sim.BurstAsync(client, 10, i => Sim.Account("C" + i));
        Assert.Equal(3, codes.Count(c => c == 200));
        Assert.Equal(7, codes.Count(c => c == 429));
        Assert.Equal(3, host.Stats.CreditsCharged);
    }

    [Fact]
    public async Task ThirtyPerSecondAtOneSecondLatencyHoldsThirtyInFlight()
    {
        await using var host = await Sim.StartAsync(o => { o.Rate = 30; o.LatencyMs = 1000; });
        using var client = Sim.Client(host);
        var codes = await Sim.BurstAsync(client, 30, i => Sim.Account("L" + i));
        Assert.All(codes, c => Assert.Equal(200, c));
        Assert.True(host.Stats.PeakConcurrency >= 20, $"peak {host.Stats.PeakConcurrency}");
    }
}
