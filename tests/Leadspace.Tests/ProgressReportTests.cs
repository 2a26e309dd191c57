using Leadspace.Engine;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Leadspace.Tests;

/// <summary>Progress throttling on an injected clock: the first row reports at once, then once per interval, and the end always.</summary>
public class ProgressReportTests
{
    [Fact]
    public void ReportsTheFirstRowAtOnceThenAtMostOncePerInterval()
    {
        var time = new FakeTimeProvider();
        var report = new ProgressReport(1000, TimeSpan.FromMilliseconds(500), time);
        Assert.NotNull(report.Next(1, 0, 0));
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Null(report.Next(2, 0, 0));
        time.Advance(TimeSpan.FromMilliseconds(1));
        var update = report.Next(3, 30, 5);
        Assert.NotNull(update);
        Assert.Equal("3 rows done, 30 calls/s, 5 in flight", update!.Status);
        Assert.Null(report.Next(4, 0, 0));
    }

    [Fact]
    public void TheFinalUpdateIsAlwaysGivenWithThePercentage()
    {
        var time = new FakeTimeProvider();
        var report = new ProgressReport(150, TimeSpan.FromMinutes(1), time);
        Assert.NotNull(report.Next(0, 0, 0));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(report.Next(100, 0, 0)); // throttled: a fast run would report nothing more…
        var last = report.Final(150, 0, 0);  // …but the end is always reported
        Assert.Equal(100, last.PercentComplete);
        Assert.Equal(0, last.SecondsRemaining);
    }

    [Fact]
    public void PercentageAndTimeLeftComeFromTheTotalAndTheRate()
    {
        var time = new FakeTimeProvider();
        var report = new ProgressReport(400, null, time);
        time.Advance(TimeSpan.FromSeconds(10));
        var update = report.Next(100, 0, 0)!;
        Assert.Equal(25, update.PercentComplete);
        Assert.Equal(30, update.SecondsRemaining); // 10 rows/s, 300 left
        var unknown = new ProgressReport(0, null, time).Next(100, 0, 0)!;
        Assert.Equal(-1, unknown.PercentComplete);
        Assert.Equal(-1, unknown.SecondsRemaining);
    }
}
