using Leadspace.Resilience;
using Xunit;

namespace Leadspace.Tests;

public class RetryPolicyTests
{
    [Fact]
    public void BackoffIsExponentialWithFullJitterAndCapped()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        var random = new Random(1);
        for (int attempt = 1; attempt <= 10; attempt++)
        {
            var cap = Math.Min(1000, 100 * Math.Pow(2, attempt - 1));
            var delays = Enumerable.Range(0, 200).Select(_ => policy.ComputeDelay(attempt, null, random).TotalMilliseconds).ToList();
            Assert.All(delays, d => Assert.InRange(d, 0, cap));
            Assert.True(delays.Max() > cap * 0.8, "full jitter reaches near the cap");
            Assert.True(delays.Min() < cap * 0.2, "full jitter reaches near zero");
        }
    }

    [Fact]
    public void RetryAfterIsAFloor()
    {
        var policy = new RetryPolicy();
        var d = policy.ComputeDelay(1, TimeSpan.FromSeconds(2.5), new Random(2));
        Assert.InRange(d.TotalSeconds, 2.5, 2.75);
    }

    [Fact]
    public void StopsAtMaxAttemptsTotalTimeAndAmbiguousLimit()
    {
        var policy = new RetryPolicy { MaxAttempts = 3, MaxElapsed = TimeSpan.FromSeconds(10), MaxAmbiguousRetries = 1 };
        var r = new Random(3);
        Assert.True(policy.ShouldRetry(FailureKind.ServerError, 1, 0, TimeSpan.Zero, null, r, out _, out _));
        Assert.True(policy.ShouldRetry(FailureKind.ServerError, 2, 0, TimeSpan.Zero, null, r, out _, out _));
        Assert.False(policy.ShouldRetry(FailureKind.ServerError, 3, 0, TimeSpan.Zero, null, r, out _, out var why));
        Assert.Contains("-MaxAttempts 3", why);
        Assert.False(policy.ShouldRetry(FailureKind.RateLimited, 1, 0, TimeSpan.FromSeconds(9.9), TimeSpan.FromSeconds(5), r, out _, out why));
        Assert.Contains("-MaxRetrySec", why);
        // possibleCharges counts the failure just seen: one timeout may be resent once, a second may not.
        Assert.True(policy.ShouldRetry(FailureKind.Timeout, 1, 1, TimeSpan.Zero, null, r, out _, out _));
        Assert.False(policy.ShouldRetry(FailureKind.Timeout, 2, 2, TimeSpan.Zero, null, r, out _, out why));
        Assert.Contains("-MaxAmbiguousRetries 1", why);
        Assert.False(policy.ShouldRetry(FailureKind.BadGateway, 2, 2, TimeSpan.Zero, null, r, out _, out _));
        // A failure that cannot have been charged is retried whatever the earlier possible charges.
        Assert.True(policy.ShouldRetry(FailureKind.ConnectFailed, 2, 1, TimeSpan.Zero, null, r, out _, out _));
        Assert.True(policy.ShouldRetry(FailureKind.ServerError, 2, 5, TimeSpan.Zero, null, r, out _, out _));
        Assert.False(policy.ShouldRetry(FailureKind.BadRequest, 1, 0, TimeSpan.Zero, null, r, out _, out why));
        Assert.Null(why);
        Assert.False(policy.ShouldRetry(FailureKind.CreditsExhausted, 1, 0, TimeSpan.Zero, null, r, out _, out _));
    }

    [Theory]
    [InlineData("3", 3.0)]
    [InlineData("0.25", 0.25)]
    [InlineData(" 1.5 ", 1.5)]
    public void ParsesRetryAfterSeconds(string value, double seconds)
        => Assert.Equal(TimeSpan.FromSeconds(seconds), RetryPolicy.ParseRetryAfter(value, DateTimeOffset.UtcNow));

    [Fact]
    public void ParsesRetryAfterHttpDates()
    {
        var now = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(30), RetryPolicy.ParseRetryAfter("Fri, 27 Nov 2026 10:00:30 GMT", now));
        Assert.Equal(TimeSpan.Zero, RetryPolicy.ParseRetryAfter("Fri, 27 Nov 2026 09:00:00 GMT", now));
        Assert.Null(RetryPolicy.ParseRetryAfter("soon", now));
        Assert.Null(RetryPolicy.ParseRetryAfter("-1", now));
        Assert.Null(RetryPolicy.ParseRetryAfter(null, now));
    }
}
