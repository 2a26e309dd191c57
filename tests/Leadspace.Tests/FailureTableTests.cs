using System.Reflection;
using Leadspace.Engine;
using Leadspace.Resilience;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The one table of failure semantics: per-status decisions and the invariants the rest of the module relies on.</summary>
public class FailureTableTests
{
    [Theory]
    [InlineData(200, FailureKind.None)]
    [InlineData(204, FailureKind.None)]
    [InlineData(301, FailureKind.ClientError)]
    [InlineData(400, FailureKind.BadRequest)]
    [InlineData(401, FailureKind.Unauthorized)]
    [InlineData(403, FailureKind.ClientError)]
    [InlineData(404, FailureKind.ClientError)]
    [InlineData(405, FailureKind.ClientError)]
    [InlineData(407, FailureKind.ProxyAuthenticationRequired)]
    [InlineData(408, FailureKind.RequestTimeout)]
    [InlineData(415, FailureKind.ClientError)]
    [InlineData(427, FailureKind.CreditsExhausted)]
    [InlineData(429, FailureKind.RateLimited)]
    [InlineData(500, FailureKind.ServerError)]
    [InlineData(501, FailureKind.ClientError)]
    [InlineData(502, FailureKind.BadGateway)]
    [InlineData(503, FailureKind.ServerError)]
    [InlineData(504, FailureKind.GatewayTimeout)]
    [InlineData(505, FailureKind.ClientError)]
    [InlineData(507, FailureKind.ServerError)]
    [InlineData(520, FailureKind.BadGateway)]
    [InlineData(521, FailureKind.ServerError)]
    [InlineData(523, FailureKind.ServerError)]
    [InlineData(524, FailureKind.GatewayTimeout)]
    [InlineData(599, FailureKind.GatewayTimeout)]
    [InlineData(600, FailureKind.ClientError)]
    [InlineData(102, FailureKind.ClientError)]
    public void ClassifiesEveryStatus(int status, FailureKind kind) => Assert.Equal(kind, FailureTable.Classify(status));

    [Theory]
    // Answers that may hide a processed, charged call: a gateway lost or waited out the service's answer.
    [InlineData(502, true)]
    [InlineData(504, true)]
    [InlineData(520, true)]
    [InlineData(524, true)]
    // The service said it failed, was unavailable, or never got the whole request: not charged, freely retried.
    [InlineData(500, false)]
    [InlineData(503, false)]
    [InlineData(408, false)]
    [InlineData(429, false)]
    public void OnlyAnswersThatMayHideAProcessedCallAreAmbiguous(int status, bool ambiguous)
    {
        var kind = FailureTable.Classify(status);
        Assert.True(FailureTable.IsRetryable(kind));
        Assert.Equal(ambiguous, FailureTable.IsAmbiguous(kind));
    }

    [Fact]
    public void TransportFailuresAreClassifiedByWhetherTheRequestLeft()
    {
        Assert.False(FailureTable.IsAmbiguous(FailureKind.ConnectFailed));
        Assert.True(FailureTable.IsAmbiguous(FailureKind.ConnectionLost));
        Assert.True(FailureTable.IsAmbiguous(FailureKind.Timeout));
        Assert.False(FailureTable.IsAmbiguous(FailureKind.TokenUnavailable));
    }

    [Fact]
    public void EveryKindHasSemanticsAndEveryAmbiguousKindIsRetryable()
    {
        foreach (FailureKind kind in Enum.GetValues(typeof(FailureKind)))
        {
            if (kind == FailureKind.None) { Assert.Throws<ArgumentOutOfRangeException>(() => FailureTable.For(kind)); continue; }
            var s = FailureTable.For(kind);
            Assert.Equal(kind, s.Kind);
            Assert.False(string.IsNullOrWhiteSpace(s.Cause));
            Assert.False(string.IsNullOrWhiteSpace(s.RecommendedAction));
            Assert.NotEqual(0, s.Error.CategoryCode); // 0 is ErrorCategory.NotSpecified
            if (s.Ambiguous) Assert.True(s.Retryable, $"{kind} is ambiguous but not retryable");
            Assert.False(s.Fatal && s.Retryable, $"{kind} cannot both end the run and be retried");
        }
    }

    [Fact]
    public void ExactlyTheRunEndingFailuresAreFatal()
    {
        var fatal = Enum.GetValues(typeof(FailureKind)).Cast<FailureKind>().Where(FailureTable.IsFatal).OrderBy(k => k).ToArray();
        Assert.Equal(new[] { FailureKind.Unreachable, FailureKind.TokenOutage, FailureKind.Unauthorized, FailureKind.ProxyAuthenticationRequired, FailureKind.CreditsExhausted, FailureKind.CheckpointFailed }.OrderBy(k => k), fatal);
    }

    [Fact]
    public void TheTableAndTheErrorIdConstantsNameTheSameIds()
    {
        var constants = typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetValue(null)!).ToHashSet();
        var fromTable = FailureTable.All.Select(s => s.ErrorId).ToHashSet();
        Assert.Subset(constants, fromTable);
        Assert.Equal(new[] { ErrorIds.Declined, ErrorIds.InvalidInput, ErrorIds.NotSent }.OrderBy(x => x), constants.Except(fromTable).OrderBy(x => x));
        Assert.All(fromTable, id => Assert.Matches("^Leadspace[A-Za-z]+$", id));
    }
}
