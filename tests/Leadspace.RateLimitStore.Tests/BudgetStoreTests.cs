using Leadspace.Budget;
using Leadspace.RateLimiting.Shared;
using Xunit;

namespace Leadspace.RateLimitStore.Tests;

/// <summary>
/// The program's credit budget in the store (Scripts/budget*.lua) on real servers: atomic reservations, the lowest budget
/// wins, settlements once, the period computed from the store's clock and its rollover.
/// </summary>
[Collection("Store servers")]
public class BudgetStoreTests
{
    private readonly StoreServers _servers;

    public BudgetStoreTests(StoreServers servers) => _servers = servers;

    private static string NewProgram() => RateLimitStoreOption.ProgramKey("budget|" + Guid.NewGuid());

    private static RedisRateLimitStore Connect(StoreServer server) => RedisRateLimitStore.Connect(server.Configuration, server.Configuration);

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task ReservationsFromManyTasksAndConnectionsNeverExceedTheLimit(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        var stores = Enumerable.Range(0, 4).Select(_ => Connect(server)).ToList();
        try
        {
            var granted = new System.Collections.Concurrent.ConcurrentBag<string>();
            await Task.WhenAll(Enumerable.Range(0, 16).Select(t => Task.Run(async () =>
            {
                for (int i = 0; i < 12; i++)
                {
                    var id = $"t{t}-{i}";
                    var r = await stores[t % 4].ReserveCreditAsync(program, "Day", 50, id);
                    if (r.BudgetGranted) granted.Add(id);
                    Assert.True(r.BudgetSpent + r.BudgetReserved <= 50);
                }
            })));
            Assert.Equal(50, granted.Count); // 192 asked, exactly the limit granted
            var status = await stores[0].GetBudgetAsync(program, "Day", -1);
            Assert.Equal((50L, 0L, 50L), (status.BudgetLimit, status.BudgetSpent, status.BudgetReserved));

            // Ten given back (not charged), the rest charged: ten more can be reserved, then none.
            var all = granted.ToList();
            for (int i = 0; i < all.Count; i++) Assert.True((await stores[1].SettleCreditAsync(program, "Day", all[i], charged: i >= 10)).BudgetSettled);
            var again = await stores[2].SettleCreditAsync(program, "Day", all[0], charged: true);
            Assert.False(again.BudgetSettled); // settled once: a replayed settlement changes nothing
            Assert.Equal((40L, 0L), (again.BudgetSpent, again.BudgetReserved));
            int more = 0;
            for (int i = 0; i < 15; i++) if ((await stores[3].ReserveCreditAsync(program, "Day", 50, "more" + i)).BudgetGranted) more++;
            Assert.Equal(10, more);
        }
        finally { stores.ForEach(s => s.Dispose()); }
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task TheLowestBudgetWinsForEveryProcess(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        using var a = Connect(server);
        using var b = Connect(server);
        var first = await a.GetBudgetAsync(program, "Day", 100);
        Assert.Equal((100L, -1L), (first.BudgetLimit, first.BudgetPreviousLimit));
        for (int i = 0; i < 5; i++) Assert.True((await a.ReserveCreditAsync(program, "Day", 100, "a" + i)).BudgetGranted);
        var lowered = await b.GetBudgetAsync(program, "Day", 7);
        Assert.Equal((7L, 100L), (lowered.BudgetLimit, lowered.BudgetPreviousLimit));
        // a still asks for 100: the store applies 7 to it too.
        var granted = 0;
        for (int i = 5; i < 20; i++) if ((await a.ReserveCreditAsync(program, "Day", 100, "a" + i)).BudgetGranted) granted++;
        Assert.Equal(2, granted);
        var higher = await b.GetBudgetAsync(program, "Day", 500);
        Assert.Equal(7, higher.BudgetLimit); // a higher budget does not raise it
        Assert.Equal(-1, (await a.GetBudgetAsync(program, "Week", -1)).BudgetLimit); // another kind of period is another record
        // A budget of 0 is the lowest of all: nothing more for anyone.
        Assert.Equal(0, (await b.GetBudgetAsync(program, "Day", 0)).BudgetLimit);
        Assert.False((await a.ReserveCreditAsync(program, "Day", 100, "zero")).BudgetGranted);
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task ThePeriodRollsOverOnTheStoresClock_AndLateSettlementsCountInTheirOwnPeriod(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        using var store = Connect(server);
        const string period = "Seconds:2";
        // Start right after a period begins (on the store's clock), so the reservations below fall in one.
        var probe = await store.GetBudgetAsync(program, period, 3);
        while ((await store.GetBudgetAsync(program, period, -1)).BudgetPeriodStart == probe.BudgetPeriodStart) await Task.Delay(20);
        var first = await store.ReserveCreditAsync(program, period, 3, "r1");
        var start = first.BudgetPeriodStart;
        Assert.True(first.BudgetGranted);
        Assert.True((await store.ReserveCreditAsync(program, period, 3, "r2")).BudgetGranted);
        Assert.True((await store.ReserveCreditAsync(program, period, 3, "r3")).BudgetGranted);
        var refused = await store.ReserveCreditAsync(program, period, 3, "r4");
        Assert.Equal(start, refused.BudgetPeriodStart);
        Assert.False(refused.BudgetGranted);
        await store.SettleCreditAsync(program, period, "r1", charged: true);

        StoreStatus next;
        do
        {
            await Task.Delay(200);
            next = await store.ReserveCreditAsync(program, period, 3, "n1");
        } while (next.BudgetPeriodStart == start);
        Assert.True(next.BudgetGranted, "a new period starts from nothing spent");
        Assert.Equal(start + 2, next.BudgetPeriodStart);
        Assert.Equal(3, next.BudgetLimit); // the limit carried over
        // r2 and r3 were reserved in the last period: they settle there, not in this one.
        Assert.True((await store.SettleCreditAsync(program, period, "r2", charged: true)).BudgetSettled);
        var late = await store.SettleCreditAsync(program, period, "r3", charged: false);
        Assert.True(late.BudgetSettled);
        Assert.Equal((0L, 1L), (late.BudgetSpent, late.BudgetReserved));
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task AReservationOfAProcessThatStoppedStaysSpent_AndIsForgottenTwoPeriodsLater(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        using var store = Connect(server);
        long days(int n) => n * 86400L;
        Assert.True((await store.ReserveCreditAsync(program, "Day@0", 1, "lost")).BudgetGranted); // its process dies
        Assert.False((await store.ReserveCreditAsync(program, "Day@0", 1, "other")).BudgetGranted); // it stays spent
        var next = await store.ReserveCreditAsync(program, "Day@" + days(1), 1, "tomorrow");
        Assert.True(next.BudgetGranted); // a new day starts from nothing
        await store.SettleCreditAsync(program, "Day@" + days(1), "tomorrow", charged: true);
        await store.GetBudgetAsync(program, "Day@" + days(2), -1);
        Assert.False((await store.SettleCreditAsync(program, "Day@" + days(3), "lost", charged: true)).BudgetSettled); // forgotten
        var db = StackExchange.Redis.ConnectionMultiplexer.Connect(server.Configuration);
        try
        {
            var fields = (await db.GetDatabase().HashKeysAsync(program + ":budget:day")).Select(f => (string)f!).ToList();
            Assert.DoesNotContain(fields, f => f.StartsWith("r:"));
        }
        finally { db.Dispose(); }
    }

    [Theory]
    [MemberData(nameof(StoreServers.Kinds), MemberType = typeof(StoreServers))]
    public async Task CalendarPeriodsComputedInLuaMatchTheModulesUtcPeriods(string kind)
    {
        var server = _servers.Get(kind);
        var program = NewProgram();
        using var store = Connect(server);
        // Shift the store's clock to noon on a leap day (a Tuesday) and to the last day of a year.
        foreach (var target in new[] { new DateTimeOffset(2028, 2, 29, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 31, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 3, 12, 0, 0, TimeSpan.Zero) })
        {
            long offset = target.ToUnixTimeSeconds() - DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            foreach (var period in new[] { BudgetPeriod.Day, BudgetPeriod.Week, BudgetPeriod.Month })
            {
                var s = await store.GetBudgetAsync(program, period + "@" + offset, -1);
                Assert.Equal(BudgetPeriods.Start(period, target), DateTimeOffset.FromUnixTimeSeconds(s.BudgetPeriodStart));
                Assert.Equal(BudgetPeriods.End(period, target), DateTimeOffset.FromUnixTimeSeconds(s.BudgetPeriodEnd));
            }
        }
    }
}
