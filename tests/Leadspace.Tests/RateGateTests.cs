using System.Diagnostics;
using Leadspace.RateLimiting;
using Xunit;

namespace Leadspace.Tests;

public class RateGateTests
{
    /// <summary>The most grants in any window of <paramref name="windowSeconds"/> (grants in Stopwatch ticks, sorted).</summary>
    internal static int MaxInAnyWindow(List<long> grants, double windowSeconds)
    {
        long window = (long)(windowSeconds * Stopwatch.Frequency);
        int max = 0, start = 0;
        for (int end = 0; end < grants.Count; end++)
        {
            while (grants[end] - grants[start] >= window) start++;
            max = Math.Max(max, end - start + 1);
        }
        return max;
    }

    [Theory]
    [InlineData(30)]
    [InlineData(7.5)]
    [InlineData(1)]
    [InlineData(5000)]
    public async Task NeverMoreThanTheLimitInAnyOneSecondWindow(double rate)
    {
        var time = new TestClock();
        var gate = new RateGate(rate, TimeSpan.FromMilliseconds(25), time);
        var grants = new List<long>();
        int n = (int)Math.Max(50, rate * 10); // ten seconds: the one-time cold-start guard is amortised as in a real run
        for (int i = 0; i < n; i++)
        {
            await gate.WaitAsync(CancellationToken.None);
            grants.Add(time.Now);
        }
        Assert.True(MaxInAnyWindow(grants, 1.0) <= Math.Max(1, Math.Floor(rate)));
        // And it is not needlessly slow: at least 95% of what a strict window allows (whole calls per second).
        double seconds = (grants[^1] - grants[0]) / (double)Stopwatch.Frequency;
        double allowed = Math.Min(rate, Math.Max(1, Math.Floor(rate)));
        Assert.True((n - 1) / seconds >= allowed * 0.95, $"reached {(n - 1) / seconds:0.0}/s of {allowed}/s");
    }

    [Fact]
    public async Task PacesCallsInsteadOfBursting()
    {
        var time = new TestClock();
        var gate = new RateGate(30, null, time);
        var grants = new List<long>();
        for (int i = 0; i < 60; i++) { await gate.WaitAsync(CancellationToken.None); grants.Add(time.Now); }
        Assert.True(MaxInAnyWindow(grants, 0.1) <= 4, "no more than ~3 calls in any 100 ms at 30/s");
    }

    [Fact]
    public async Task PenaltyLowersTheRateAndItRecovers()
    {
        var time = new TestClock();
        var gate = new RateGate(30, null, time);
        await gate.WaitAsync(CancellationToken.None);
        gate.Penalize(null);
        Assert.InRange(gate.EffectiveRequestsPerSecond, 20.9, 21.1);
        gate.Penalize(null); // within half a second: the same signal
        Assert.InRange(gate.EffectiveRequestsPerSecond, 20.9, 21.1);
        time.Advance(2.0);
        Assert.True(gate.EffectiveRequestsPerSecond > 21.5);
        time.Advance(10.0);
        Assert.Equal(30, gate.EffectiveRequestsPerSecond, 3);
    }

    [Fact]
    public async Task RetryAfterPausesEveryCaller()
    {
        var time = new TestClock();
        var gate = new RateGate(30, null, time);
        await gate.WaitAsync(CancellationToken.None);
        long before = time.Now;
        gate.Penalize(TimeSpan.FromSeconds(2));
        await gate.WaitAsync(CancellationToken.None);
        Assert.True(time.Now - before >= 2 * Stopwatch.Frequency);
    }

    [Fact]
    public async Task ARetryAfterPauseIsCapped()
    {
        var time = new TestClock();
        var gate = new RateGate(30, null, time);
        await gate.WaitAsync(CancellationToken.None);
        long before = time.Now;
        gate.Penalize(TimeSpan.FromHours(1), TimeSpan.FromSeconds(1));
        await gate.WaitAsync(CancellationToken.None);
        var waited = (time.Now - before) / (double)Stopwatch.Frequency;
        Assert.InRange(waited, 1.0, 1.1);
    }

    [Fact]
    public async Task ACancelledWaiterLeavesNoReservation()
    {
        var gate = new RateGate(2);
        await gate.WaitAsync(CancellationToken.None);
        await gate.WaitAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.WaitAsync(cts.Token));
        Assert.Equal(0, gate.Queued);
        Assert.Equal(2, gate.TotalGranted);
        var lease = await gate.AcquireAsync(1); // the RateLimiter API works too
        Assert.True(lease.IsAcquired);
    }

    [Fact]
    public async Task RealClockConcurrentWaitersRespectTheWindow()
    {
        // 20/s, 50 concurrent callers on the real clock: the moment of each grant is taken inside the gate (the
        // probe runs under its lock at the grant), so a caller resumed late by a busy machine cannot blur it.
        var gate = new RateGate(20);
        var stamps = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            gate.WaitAsync(CancellationToken.None, () => { stamps.Add(Stopwatch.GetTimestamp()); return false; })));
        var sorted = stamps.OrderBy(s => s).ToList();
        Assert.True(MaxInAnyWindow(sorted, 1.0) <= 20);
        Assert.Equal(50, gate.TotalGranted);
    }

    [Fact]
    public async Task ChangingTheRateKeepsTheWindowGuarantee()
    {
        var time = new TestClock();
        var gate = new RateGate(30, null, time);
        var grants = new List<long>();
        for (int i = 0; i < 40; i++) { await gate.WaitAsync(CancellationToken.None); grants.Add(time.Now); }
        gate.SetRate(10);
        for (int i = 0; i < 40; i++) { await gate.WaitAsync(CancellationToken.None); grants.Add(time.Now); }
        Assert.True(MaxInAnyWindow(grants.Skip(40).ToList(), 1.0) <= 10);
        Assert.True(MaxInAnyWindow(grants, 1.0) <= 30);
    }

    [Fact]
    public async Task ColdGrantsDelayTheirPartnerOneWindowLater()
    {
        var time = new TestClock();
        var gate = new RateGate(10, TimeSpan.FromMilliseconds(25), time);
        var grants = new List<long>();
        for (int i = 0; i < 20; i++) { bool isCold = i < 3; await gate.WaitAsync(default, () => isCold); grants.Add(time.Now); }
        var cold = (grants[10] - grants[0]) / (double)Stopwatch.Frequency;
        Assert.True(cold >= 1.0 + 0.025 + 0.1 - 0.001, $"11th grant {cold:0.000}s after the first (cold)");
        // The warm partners are only paced (0.1 s apart), not pushed back further.
        var warm = (grants[14] - grants[13]) / (double)Stopwatch.Frequency;
        Assert.True(warm < 0.11, $"15th grant {warm:0.000}s after the 14th");
    }
}
