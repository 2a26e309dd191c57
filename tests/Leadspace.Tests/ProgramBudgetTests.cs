using Leadspace.Budget;
using Leadspace.Http;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;
using Leadspace.Run;
using Leadspace.Session;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The program's credit budget (Connect-Leadspace -CreditBudget): one per program and period per process, the
/// lowest wins, the environment form, and the budget kept in the rate limit store (against a fake store): settlements,
/// the wait for this process's calls, an unreachable store refused fast and resumed.</summary>
[Collection("Connections")] // the gate and budget registries are process-wide
public class ProgramBudgetTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    private static string NewProgram() => "budget-" + Guid.NewGuid().ToString("N")[..8];

    private static ConnectionRequest Request(string program, long? budget, string? period = null, string token = "tok-budget-0123456789")
        => new()
        {
            Token = ClientTests.Secure(token + program), ProgramId = program, BaseUri = new Uri("https://apigw.example.test"),
            CreditBudget = budget, BudgetPeriod = period, Settings = new ConnectionSettings { RequestsPerSecond = 30 },
        };

    /// <summary>The store's budget record, in memory: the same rules as Scripts/budget*.lua (one period).</summary>
    internal sealed class BudgetStore : IRateLimitStore
    {
        private readonly object _lock = new();
        private readonly Dictionary<string, bool> _open = new();
        public long Limit = -1, Spent, Reserved;
        public volatile bool Down;
        public volatile bool Hang;
        public int Reserves, Settlements;

        public string Description => "fake-store:6379";

        private Task<StoreStatus> Answer(Func<StoreStatus> answer)
        {
            if (Hang) return new TaskCompletionSource<StoreStatus>().Task;
            if (Down) return Task.FromException<StoreStatus>(new RateLimitStoreException(RateLimitStoreFailure.Unreachable, "RedisConnectionException: No connection is active"));
            lock (_lock) return Task.FromResult(answer());
        }

        private StoreStatus Status(bool flag, long before = 0) => new()
        {
            BudgetGranted = flag, BudgetSettled = flag, BudgetLimit = Limit, BudgetSpent = Spent, BudgetReserved = Reserved, BudgetPreviousLimit = before,
            BudgetPeriodStart = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(),
            BudgetPeriodEnd = new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(),
        };

        private long Ask(long limit)
        {
            long before = Limit;
            if (limit >= 0 && (Limit < 0 || limit < Limit)) Limit = limit;
            return before;
        }

        public Task<StoreStatus> ReserveCreditAsync(string programKey, string period, long limit, string reservation) => Answer(() =>
        {
            Reserves++;
            Ask(limit);
            if (Spent + Reserved >= Limit) return Status(false);
            Reserved++;
            _open[reservation] = true;
            return Status(true);
        });

        public Task<StoreStatus> SettleCreditAsync(string programKey, string period, string reservation, bool charged) => Answer(() =>
        {
            Settlements++;
            if (!_open.Remove(reservation)) return Status(false);
            Reserved--;
            if (charged) Spent++;
            return Status(true);
        });

        public Task<StoreStatus> GetBudgetAsync(string programKey, string period, long limit) => Answer(() => { var before = Ask(limit); return Status(true, before); });

        public Task<StoreReservation> ReserveAsync(StoreReservationRequest request) => throw new NotSupportedException();
        public Task<StorePenalty> PenalizeAsync(string programKey, TimeSpan? retryAfter, TimeSpan maxPause) => throw new NotSupportedException();
        public Task<StoreStatus> GetStatusAsync(string programKey, TimeSpan window) => Task.FromResult(new StoreStatus { Processes = 1 });
        public Task ReleaseAsync(string programKey, string member) => Task.CompletedTask;
        public Task PingAsync() => Down ? Task.FromException(new RateLimitStoreException(RateLimitStoreFailure.Unreachable, "down")) : Task.CompletedTask;
        public void Dispose() { }
    }

    private static SharedCreditBudgetOptions Fast => new() { StoreTimeout = TimeSpan.FromMilliseconds(300), RetryInterval = TimeSpan.FromMilliseconds(400) };

    private static async Task<bool> Until(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(10);
        return condition();
    }

    [Fact]
    public async Task ASharedBudgetSettlesInTheStore_ChargedSpendsNotChargedGivesBack()
    {
        var store = new BudgetStore();
        var notices = new List<string>();
        var budget = new SharedCreditBudget(store, "p", 3, BudgetPeriod.Day, Fast, (_, m) => notices.Add(m));
        Assert.Equal(3, budget.Register().BudgetLimit);
        var a = (await budget.ReserveAsync(default)).Reservation!;
        var b = (await budget.ReserveAsync(default)).Reservation!;
        var c = (await budget.ReserveAsync(default)).Reservation!;
        a.Settle(CreditSettlement.Charged);
        b.Settle(CreditSettlement.Ambiguous);
        c.Settle(CreditSettlement.NotCharged);
        c.Settle(CreditSettlement.Charged); // once only
        Assert.True(await Until(() => store.Reserved == 0));
        Assert.Equal(2, store.Spent);
        var d = await budget.ReserveAsync(default);
        Assert.True(d.Granted); // c's credit came back
        d.Reservation!.Settle(CreditSettlement.Charged);
        Assert.True(await Until(() => store.Spent == 3));
        var refused = await budget.ReserveAsync(default);
        Assert.Equal(BudgetRefusal.Spent, refused.Refusal);
        Assert.Contains("3 of 3 credit(s) used this day (since 2026-12-02 00:00 UTC)", refused.Message);
        Assert.Equal(refused.Message, budget.RefusalMessage());
        Assert.True(budget.IsSpent);
        var s = budget.Snapshot();
        Assert.Equal(("Store", 3L, 3L, 0L, 0L, 4L, 1L), (s.KeptIn, s.Limit, s.Spent, s.Reserved, s.Left, s.Reservations, s.Released));
        Assert.Empty(notices);
    }

    [Fact]
    public async Task AtTheLimitASharedBudgetWaitsForThisProcesssCallsButNotForOtherProcesses()
    {
        var store = new BudgetStore();
        var budget = new SharedCreditBudget(store, "p", 2, BudgetPeriod.Day, Fast);
        budget.Register();
        var mine = (await budget.ReserveAsync(default)).Reservation!;
        lock (store) { store.Reserved++; } // another process's call in flight (or a process that died calling)
        var waiting = budget.ReserveAsync(default).AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted); // one of ours may give its credit back
        mine.Settle(CreditSettlement.NotCharged); // a 429
        var answer = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(answer.Granted);
        answer.Reservation!.Settle(CreditSettlement.Charged);
        Assert.True(await Until(() => store.Spent == 1));
        // Only the other process's reservation is left in flight: refused at once, no wait on it.
        var started = DateTime.UtcNow;
        var refused = await budget.ReserveAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(BudgetRefusal.Spent, refused.Refusal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1));
        Assert.Contains("1 reserved by calls of other processes", refused.Message);
    }

    [Fact]
    public async Task AnUnreachableStoreSpendsNothing_WarnsOnce_RefusesFastAndResumes()
    {
        var store = new BudgetStore();
        var notices = new List<(bool Warning, string Message)>();
        var budget = new SharedCreditBudget(store, "p", 100, BudgetPeriod.Day, Fast, (w, m) => { lock (notices) notices.Add((w, m)); });
        budget.Register();
        var inFlight = (await budget.ReserveAsync(default)).Reservation!;
        store.Down = true;
        var first = await budget.ReserveAsync(default);
        Assert.Equal(BudgetRefusal.Unavailable, first.Refusal);
        Assert.Contains("fake-store:6379 is unreachable", first.Message);
        Assert.Equal(first.Message, budget.RefusalMessage()); // what the run's terminating error says too
        Assert.Contains("nothing more is spent", first.Message);
        int asked = store.Reserves;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 50; i++) Assert.Equal(BudgetRefusal.Unavailable, (await budget.ReserveAsync(default)).Refusal);
        Assert.True(clock.ElapsedMilliseconds < 300, "refused at once while the store is down");
        Assert.Equal(asked, store.Reserves); // not asked again before the retry interval
        inFlight.Settle(CreditSettlement.Charged); // the store cannot take it now: kept and sent again
        Assert.True(await Until(() => budget.UnsentSettlements == 1));
        Assert.Single(notices, n => n.Warning);
        Assert.Contains("spends no more credits", notices[0].Message);

        store.Down = false;
        await Task.Delay(450);
        var resumed = await budget.ReserveAsync(default);
        Assert.True(resumed.Granted);
        Assert.True(await Until(() => store.Spent == 1)); // the kept settlement reached the store
        Assert.Equal(1, store.Reserved);
        Assert.Single(notices, n => n.Warning); // warned once
        Assert.Contains(notices, n => !n.Warning && n.Message.Contains("answers again"));
        resumed.Reservation!.Settle(CreditSettlement.NotCharged);
    }

    [Fact]
    public async Task AStoreThatDoesNotAnswerIsUnavailableAfterTheTimeout_AndALateGrantIsGivenBack()
    {
        var store = new BudgetStore();
        var budget = new SharedCreditBudget(store, "p", 10, BudgetPeriod.Day, Fast);
        budget.Register();
        store.Hang = true;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answer = await budget.ReserveAsync(default);
        Assert.Equal(BudgetRefusal.Unavailable, answer.Refusal);
        Assert.InRange(clock.ElapsedMilliseconds, 250, 3000);
        Assert.Contains("no answer within 300 ms", answer.Message);
    }

    [Fact]
    public void InOneProcessTheLowestBudgetOfAProgramWins_AndEveryConnectionSharesOneBudget()
    {
        var program = NewProgram();
        var first = ConnectionFactory.Open(Request(program, 100), NoEnvironment, default);
        Assert.Null(first.BudgetWarning);
        var second = ConnectionFactory.Open(Request(program, 40), NoEnvironment, default);
        Assert.Contains("lowers the program's daily credit budget in this process from 100 to 40", second.BudgetWarning);
        var third = ConnectionFactory.Open(Request(program, 500), NoEnvironment, default);
        Assert.Contains("is 40 credit(s), not the 500", third.BudgetWarning);
        Assert.Same(first.Connection.Budget, second.Connection.Budget);
        Assert.Same(first.Connection.Budget, third.Connection.Budget);
        Assert.Same(first.Connection.Budget, RunConnection.From(third.Connection).Budget);
        var snapshot = first.Connection.Budget!.Snapshot();
        Assert.Equal(("Process", 40L, BudgetPeriod.Day), (snapshot.KeptIn, snapshot.Limit, snapshot.Period));
        Assert.Equal((100L, "Day"), (first.Connection.CreditBudget!.Value, first.Connection.BudgetPeriod));
        var status = new Model.RateStatus();
        status.SetBudget(third.Connection.Budget!.Snapshot());
        Assert.Equal(("Day", 40L, 0L, 40L, "Process"), (status.BudgetPeriod, status.BudgetLimit!.Value, status.BudgetSpent!.Value, status.BudgetLeft!.Value, status.BudgetKeptIn));

        // The lowest connection goes: the lowest of those left applies.
        second.Connection.Dispose();
        Assert.Equal(100, first.Connection.Budget!.Snapshot().Limit);
        first.Connection.Dispose();
        third.Connection.Dispose();
    }

    [Fact]
    public async Task AProcessBudgetKeepsItsSpendingAcrossReconnects_AndPeriodsAreSeparateBudgets()
    {
        var program = NewProgram();
        using (var c = ConnectionFactory.Open(Request(program, 2), NoEnvironment, default).Connection)
        {
            for (int i = 0; i < 2; i++) (await c.Budget!.ReserveAsync(default)).Reservation!.Settle(CreditSettlement.Charged);
        }
        using var again = ConnectionFactory.Open(Request(program, 5), NoEnvironment, default).Connection;
        var s = again.Budget!.Snapshot();
        Assert.Equal((5L, 2L), (s.Limit, s.Spent)); // the day's spending stays with the process
        using var weekly = ConnectionFactory.Open(Request(program, 1, "week"), NoEnvironment, default).Connection;
        Assert.Equal((BudgetPeriod.Week, 1L, 0L), (weekly.Budget!.Snapshot().Period, weekly.Budget.Snapshot().Limit, weekly.Budget.Snapshot().Spent));
        Assert.Null(RunConnection.From(ConnectionFactory.Open(Request(NewProgram(), null), NoEnvironment, default).Connection).Budget);
    }

    [Fact]
    public void TheEnvironmentGivesTheBudgetForRunbooks_AndParametersWin()
    {
        var env = new Dictionary<string, string> { ["LEADSPACE_CREDIT_BUDGET"] = "5000", ["LEADSPACE_BUDGET_PERIOD"] = "month" };
        Func<string, string?> environment = n => env.TryGetValue(n, out var v) ? v : null;
        Assert.Equal((5000L, BudgetPeriod.Month), ConnectionFactory.ResolveBudget(new ConnectionRequest(), environment));
        Assert.Equal((70L, BudgetPeriod.Week), ConnectionFactory.ResolveBudget(new ConnectionRequest { CreditBudget = 70, BudgetPeriod = "Week" }, environment));
        Assert.Equal((70L, BudgetPeriod.Day), ConnectionFactory.ResolveBudget(new ConnectionRequest { CreditBudget = 70 }, NoEnvironment));
        Assert.Equal(((long?)null, BudgetPeriod.Day), ConnectionFactory.ResolveBudget(new ConnectionRequest(), NoEnvironment));
        env["LEADSPACE_CREDIT_BUDGET"] = "lots";
        var bad = Assert.Throws<LeadspaceConnectException>(() => ConnectionFactory.ResolveBudget(new ConnectionRequest(), environment));
        Assert.Contains("LEADSPACE_CREDIT_BUDGET is 'lots'", bad.Message);
        env["LEADSPACE_CREDIT_BUDGET"] = "10";
        env["LEADSPACE_BUDGET_PERIOD"] = "fortnight";
        Assert.Contains("Day, Week or Month", Assert.Throws<LeadspaceConnectException>(() => ConnectionFactory.ResolveBudget(new ConnectionRequest(), environment)).Message);
        Assert.Contains("needs a budget", Assert.Throws<LeadspaceConnectException>(() => ConnectionFactory.ResolveBudget(new ConnectionRequest { BudgetPeriod = "Week" }, NoEnvironment)).Message);
    }
}
