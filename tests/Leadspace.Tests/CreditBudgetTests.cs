using Leadspace.Budget;
using Leadspace.Http;
using Leadspace.Resilience;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The budget core: reservations, settlements per outcome, the wait for a credit that may come back, the UTC
/// calendar periods, and the client's reservation around each attempt.</summary>
public class CreditBudgetTests
{
    [Fact]
    public async Task ALocalBudgetGrantsUpToItsLimitThenRefusesWithItsName()
    {
        var budget = new LocalCreditBudget(3, BudgetPeriod.None, "-MaxCredits 3", "Run");
        for (int i = 0; i < 3; i++) (await budget.ReserveAsync(default)).Reservation!.Settle(CreditSettlement.Charged);
        var refused = await budget.ReserveAsync(default);
        Assert.False(refused.Granted);
        Assert.Equal(BudgetRefusal.Spent, refused.Refusal);
        Assert.Contains("-MaxCredits 3", refused.Message);
        Assert.True(budget.IsSpent);
        var s = budget.Snapshot();
        Assert.Equal((3L, 0L, 0L, 3L), (s.Spent, s.Reserved, s.Left, s.Reservations));
    }

    [Theory]
    [InlineData((int)CreditSettlement.NotCharged, 0)]
    [InlineData((int)CreditSettlement.Charged, 1)]
    [InlineData((int)CreditSettlement.Ambiguous, 1)]
    public async Task EachSettlementEitherSpendsOrGivesBackTheCredit(int how, long spent)
    {
        var settlement = (CreditSettlement)how;
        var budget = new LocalCreditBudget(1, BudgetPeriod.None, "-MaxCredits 1", "Run");
        var r = (await budget.ReserveAsync(default)).Reservation!;
        Assert.Equal(1, budget.Snapshot().Reserved);
        r.Settle(settlement);
        r.Settle(CreditSettlement.NotCharged); // settled once only
        Assert.Equal(spent, budget.Snapshot().Spent);
        Assert.Equal(0, budget.Snapshot().Reserved);
        Assert.Equal(spent == 1, budget.IsSpent);
    }

    [Fact]
    public async Task AtTheLimitAReservationWaitsForACallInFlightAndTakesTheCreditItGivesBack()
    {
        var budget = new LocalCreditBudget(1, BudgetPeriod.None, "-MaxCredits 1", "Run");
        var first = (await budget.ReserveAsync(default)).Reservation!;
        Assert.False(budget.IsSpent); // the call in flight may give it back
        var second = budget.ReserveAsync(default).AsTask();
        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        first.Settle(CreditSettlement.NotCharged); // a 429: not charged
        var answer = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(answer.Granted);
        answer.Reservation!.Settle(CreditSettlement.Charged);
        Assert.True(budget.IsSpent);
    }

    [Fact]
    public async Task AWaitForACreditEndsAtCancellation()
    {
        var budget = new LocalCreditBudget(1, BudgetPeriod.None, "-MaxCredits 1", "Run");
        var held = (await budget.ReserveAsync(default)).Reservation!;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => budget.ReserveAsync(cts.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        held.Settle(CreditSettlement.Ambiguous);
        Assert.Equal(1, budget.Snapshot().Spent);
    }

    [Fact]
    public async Task ADailyBudgetStartsAfreshAtMidnightUtc()
    {
        var clock = new TestClock(); // 2026-11-27 10:00 UTC
        var budget = new LocalCreditBudget(2, BudgetPeriod.Day, "the daily budget", "Process", clock);
        for (int i = 0; i < 2; i++) (await budget.ReserveAsync(default)).Reservation!.Settle(CreditSettlement.Charged);
        Assert.True(budget.IsSpent);
        var refused = await budget.ReserveAsync(default);
        Assert.Contains("since 2026-11-27 00:00 UTC", refused.Message);
        clock.Advance(TimeSpan.FromHours(13)); // 23:00
        Assert.True(budget.IsSpent);
        clock.Advance(TimeSpan.FromHours(1)); // 00:00 the next day
        Assert.False(budget.IsSpent);
        Assert.True((await budget.ReserveAsync(default)).Granted);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero), budget.Snapshot().PeriodStart);
    }

    [Theory]
    [InlineData("2026-12-02T15:00:00Z", (int)BudgetPeriod.Day, "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z")]
    [InlineData("2026-12-02T15:00:00Z", (int)BudgetPeriod.Week, "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z")] // a Wednesday: back to Monday
    [InlineData("2026-11-30T00:00:00Z", (int)BudgetPeriod.Week, "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z")] // Monday itself
    [InlineData("2026-12-06T23:59:59Z", (int)BudgetPeriod.Week, "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z")] // Sunday night
    [InlineData("2026-12-31T23:59:59Z", (int)BudgetPeriod.Month, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("2026-12-02T01:00:00+05:00", (int)BudgetPeriod.Day, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")] // UTC, not local
    public void PeriodsAreUtcCalendarPeriods(string now, int kind, string start, string end)
    {
        var period = (BudgetPeriod)kind;
        var at = DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), BudgetPeriods.Start(period, at));
        Assert.Equal(DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture), BudgetPeriods.End(period, at));
    }

    [Fact]
    public async Task ACompositeReservesFromEveryBudgetOrFromNone()
    {
        var run = new LocalCreditBudget(5, BudgetPeriod.None, "-MaxCredits 5", "Run");
        var day = new LocalCreditBudget(1, BudgetPeriod.Day, "the daily budget", "Process");
        var both = CompositeCreditBudget.Of(run, null, day)!;
        var r = (await both.ReserveAsync(default)).Reservation!;
        r.Settle(CreditSettlement.Charged);
        var refused = await both.ReserveAsync(default);
        Assert.False(refused.Granted);
        Assert.Contains("daily budget", refused.Message);
        Assert.Equal((1L, 0L), (run.Snapshot().Spent, run.Snapshot().Reserved)); // the run's credit went back
        Assert.True(both.IsSpent);
        Assert.Null(CompositeCreditBudget.Of(null, null));
    }

    [Theory]
    [InlineData(200, 1, 0)]  // charged
    [InlineData(400, 0, 1)]  // proves no charge
    [InlineData(401, 0, 1)]
    [InlineData(415, 0, 1)]
    [InlineData(427, 0, 1)]
    [InlineData(502, 1, 0)]  // ambiguous: kept
    [InlineData(504, 1, 0)]
    public async Task TheClientSettlesEachAttemptByItsOutcome(int status, long spent, long released)
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(status, status == 200 ? StubHandler.Enriched : "{}")));
        using var client = ClientTests.Client(handler, s => s.Retry = new RetryPolicy { MaxAttempts = 1, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(1) });
        var budget = new LocalCreditBudget(10, BudgetPeriod.None, "-MaxCredits 10", "Run");
        await client.EnrichAsync(ClientTests.Request(), new CallContext { Budget = budget });
        var s = budget.Snapshot();
        Assert.Equal((spent, released, 0L), (s.Spent, s.Released, s.Reserved));
    }

    [Fact]
    public async Task RetriesReserveAgainAndOnlyTheChargedAttemptSpends()
    {
        // 503, 429, then 200: three attempts, one credit spent, two given back.
        var handler = new StubHandler((_, n) => Task.FromResult(n == 1 ? StubHandler.Json(503, "{}") : n == 2 ? StubHandler.Json(429, "{}") : StubHandler.Json(200, StubHandler.Enriched)));
        using var client = ClientTests.Client(handler);
        var budget = new LocalCreditBudget(10, BudgetPeriod.None, "-MaxCredits 10", "Run");
        var result = await client.EnrichAsync(ClientTests.Request(), new CallContext { Budget = budget });
        Assert.Equal(FailureKind.None, result.Failure);
        var s = budget.Snapshot();
        Assert.Equal((1L, 2L, 3L, 0L), (s.Spent, s.Released, s.Reservations, s.Reserved));
    }

    [Fact]
    public async Task ASpentBudgetSendsNothingAndSaysWhich()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(200, StubHandler.Enriched)));
        using var client = ClientTests.Client(handler);
        var budget = new LocalCreditBudget(0, BudgetPeriod.None, "-MaxCredits 0", "Run");
        var result = await client.EnrichAsync(ClientTests.Request(), new CallContext { Budget = budget });
        Assert.Equal(FailureKind.BudgetExhausted, result.Failure);
        Assert.False(result.Sent);
        Assert.Equal(0, handler.Calls);
        Assert.Contains("-MaxCredits 0", result.Message);
        Assert.Equal("LeadspaceBudgetExhausted", FailureTable.For(FailureKind.BudgetExhausted).ErrorId);
    }

    [Fact]
    public async Task ARowSentOnceWhoseResendTheBudgetRefusesKeepsItsFailureAndSaysWhy()
    {
        // A 504 keeps its credit (it may have been charged); the retry finds the budget spent: nothing more is sent, and
        // the row stays a 504 failure (Failed, perhaps charged), not a row that cost nothing.
        var handler = new StubHandler((_, _) => Task.FromResult(StubHandler.Json(504, "{}")));
        using var client = ClientTests.Client(handler, s => s.Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(1) });
        var budget = new LocalCreditBudget(1, BudgetPeriod.None, "-MaxCredits 1", "Run");
        var result = await client.EnrichAsync(ClientTests.Request(), new CallContext { Budget = budget });
        Assert.Equal(1, handler.Calls);
        Assert.True(result.Sent);
        Assert.Equal(FailureKind.GatewayTimeout, result.Failure);
        Assert.Contains("Not resent: the credit budget (-MaxCredits 1) is spent", result.Message);
        var row = Leadspace.Engine.EnrichmentEngine.Shape(1, ClientTests.Request(), result);
        Assert.Equal(Leadspace.Model.EnrichmentOutcome.Failed, row.Status);
        Assert.Equal((1L, 0L), (budget.Snapshot().Spent, budget.Snapshot().Released));
    }

    [Fact]
    public void ACompositeNamesTheBudgetThatIsSpent()
    {
        var run = new LocalCreditBudget(10, BudgetPeriod.None, "-MaxCredits 10", "Run");
        var day = new LocalCreditBudget(0, BudgetPeriod.Day, "the program's daily budget", "Process");
        var both = CompositeCreditBudget.Of(run, day)!;
        Assert.True(both.IsSpent);
        Assert.StartsWith("the credit budget (the program's daily budget) is spent: 0 of 0 credit(s) used this day (since ", both.SpentMessage());
        Assert.Equal("the credit budget (-MaxCredits 10) is spent: 0 of 10 credit(s) used", run.SpentMessage());
    }

    [Fact]
    public async Task ATimeoutKeepsItsCreditAndARefusedConnectionGivesItBack()
    {
        var stall = new StubHandler(async (_, _) => { await Task.Delay(Timeout.Infinite); return null!; });
        using (var client = ClientTests.Client(stall, s => { s.Timeout = TimeSpan.FromMilliseconds(100); s.Retry = new RetryPolicy { MaxAttempts = 1 }; }))
        {
            var budget = new LocalCreditBudget(10, BudgetPeriod.None, "b", "Run");
            var r = await client.EnrichAsync(ClientTests.Request(), new CallContext { Budget = budget });
            Assert.Equal(FailureKind.Timeout, r.Failure);
            Assert.Equal((1L, 0L), (budget.Snapshot().Spent, budget.Snapshot().Released));
        }
        var refused = new StubHandler((_, _) => throw new HttpRequestException("refused", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)));
        using (var client = ClientTests.Client(refused, s => s.Retry = new RetryPolicy { MaxAttempts = 1 }))
        {
            var budget = new LocalCreditBudget(10, BudgetPeriod.None, "b", "Run");
            var r = await client.EnrichAsync(ClientTests.Request(), new CallContext { Budget = budget });
            Assert.Equal(FailureKind.ConnectFailed, r.Failure);
            Assert.Equal((0L, 1L), (budget.Snapshot().Spent, budget.Snapshot().Released));
        }
    }
}
