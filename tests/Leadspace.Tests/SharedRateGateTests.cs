using System.Diagnostics;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;
using Xunit;

namespace Leadspace.Tests;

/// <summary>
/// The store-independent logic of the shared gate, against a fake store and a fake clock: what it sends to the store,
/// how it waits for a reservation, falls back when the store is down or slow, warns once, rejoins, and passes 429s on.
/// (The store's own algorithm — the Lua scripts — is tested against a real Garnet in Leadspace.RateLimitStore.Tests.)
/// </summary>
public class SharedRateGateTests
{
    private sealed class FakeStore : IRateLimitStore
    {
        public bool Down;
        public TaskCompletionSource<StoreReservation>? Hanging;
        public int Processes = 1;
        public Func<StoreReservationRequest, StoreReservation>? Answer;
        public readonly List<StoreReservationRequest> Requests = new();
        public readonly List<(TimeSpan? RetryAfter, TimeSpan Cap)> Penalties = new();
        public readonly List<string> Released = new();
        public int Pings;
        public string Description => "fake:6379,password=(redacted)";

        public Task<StoreReservation> ReserveAsync(StoreReservationRequest request)
        {
            Requests.Add(request);
            if (Down) throw new RateLimitStoreException(RateLimitStoreFailure.Unreachable, "RedisConnectionException: No connection is active");
            if (Hanging != null) return Hanging.Task;
            return Task.FromResult(Answer?.Invoke(request) ?? new StoreReservation { Granted = true, Processes = Processes, Factor = 1 });
        }

        public Task<StorePenalty> PenalizeAsync(string programKey, TimeSpan? retryAfter, TimeSpan maxPause)
        {
            Penalties.Add((retryAfter, maxPause));
            return Task.FromResult(new StorePenalty { Factor = 0.7 });
        }

        public Task<StoreStatus> GetStatusAsync(string programKey, TimeSpan window)
            => Down ? Task.FromException<StoreStatus>(new RateLimitStoreException(RateLimitStoreFailure.Unreachable, "down"))
                    : Task.FromResult(new StoreStatus { Processes = Processes, GrantsInWindow = 4, Factor = 1 });

        public Task ReleaseAsync(string programKey, string member) { Released.Add(member); return Task.CompletedTask; }

        public Task<StoreStatus> ReserveCreditAsync(string programKey, string period, long limit, string reservation) => throw new NotSupportedException("no budget here");
        public Task<StoreStatus> SettleCreditAsync(string programKey, string period, string reservation, bool charged) => throw new NotSupportedException("no budget here");
        public Task<StoreStatus> GetBudgetAsync(string programKey, string period, long limit) => throw new NotSupportedException("no budget here");
        public Task PingAsync()
        {
            Pings++;
            return Down ? Task.FromException(new RateLimitStoreException(RateLimitStoreFailure.Unreachable, "down")) : Task.CompletedTask;
        }

        public void Dispose() { }
    }

    private static (SharedRateGate Gate, FakeStore Store, TestClock Time) NewGate(double rate = 30)
    {
        var time = new TestClock();
        var store = new FakeStore();
        var gate = new SharedRateGate(store, "leadspace:rate:{test}", rate, time: time);
        return (gate, store, time);
    }

    [Fact]
    public async Task EachGrantIsOneReservationAndWaitsUntilTheReservedTime()
    {
        var (gate, store, time) = NewGate();
        store.Answer = _ => new StoreReservation { Granted = true, Wait = TimeSpan.FromMilliseconds(200), Processes = 2, Factor = 1 };
        long before = time.Now;
        await gate.WaitAsync(CancellationToken.None);
        Assert.Single(store.Requests);
        Assert.True(time.Seconds(time.Now - before) >= 0.2);
        var r = store.Requests[0];
        Assert.Equal("leadspace:rate:{test}", r.ProgramKey);
        Assert.Equal(30, r.RequestsPerSecond);
        Assert.Equal(TimeSpan.FromMilliseconds(1025), r.Window);
        Assert.Equal(TimeSpan.FromSeconds(1), r.MaxLead);
        Assert.Equal(TimeSpan.Zero, r.ColdDelay);
        Assert.StartsWith(gate.ProcessId + ":", r.Member);
        Assert.Equal(gate.ProcessId, r.ProcessId);
        Assert.Equal(1, gate.TotalGranted);
    }

    [Fact]
    public async Task AGrantWokenUpAfterItsSendWindowIsGivenBackAndReservedAgain()
    {
        var (gate, store, time) = NewGate();
        store.Answer = _ => new StoreReservation { Granted = true, Wait = TimeSpan.FromMilliseconds(100), Processes = 1, Factor = 1 };
        int sleeps = 0;
        time.Oversleep = d => d == TimeSpan.FromMilliseconds(100) && sleeps++ == 0 ? TimeSpan.FromMilliseconds(80) : TimeSpan.Zero; // a loaded machine, once
        await gate.WaitAsync(CancellationToken.None);
        Assert.Equal(2, store.Requests.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(15), store.Requests[0].SendWindow);
        Assert.Equal(store.Requests[0].Member, Assert.Single(store.Released)); // the late one was never used
        Assert.Equal(1, gate.LateGrants);
        Assert.Equal(1, gate.TotalGranted);
    }

    [Fact]
    public async Task TheColdProbeIsAskedOnceAndItsAnswerReachesTheStore()
    {
        var (gate, store, _) = NewGate();
        int asked = 0;
        int calls = 0;
        // The first answer says "too far ahead, ask again": the probe must not be asked twice (it counts the call as active).
        store.Answer = _ => ++calls == 1
            ? new StoreReservation { Granted = false, Wait = TimeSpan.FromMilliseconds(300), Processes = 1, Factor = 1 }
            : new StoreReservation { Granted = true, Processes = 1, Factor = 1 };
        await gate.WaitAsync(CancellationToken.None, () => { asked++; return true; });
        Assert.Equal(1, asked);
        Assert.Equal(2, store.Requests.Count);
        Assert.All(store.Requests, r => Assert.Equal(TimeSpan.FromMilliseconds(100), r.ColdDelay));
        Assert.NotEqual(store.Requests[0].Member, store.Requests[1].Member);
    }

    [Fact]
    public async Task AStoreThatIsDownMeansALocalGateAtTheLimitSharedByTheProcessesSeen_AfterAQuietPeriod()
    {
        var (gate, store, time) = NewGate();
        store.Processes = 3;
        await gate.WaitAsync(CancellationToken.None); // learns: 3 processes used the store in the last minute
        store.Down = true;
        long failedAt = time.Now;
        var grants = new List<long>();
        for (int i = 0; i < 60; i++) { await gate.WaitAsync(CancellationToken.None); grants.Add(time.Now); }

        var snapshot = gate.Snapshot();
        Assert.Equal("Fallback", snapshot.State);
        Assert.Equal(10, snapshot.FallbackRate);
        Assert.Equal(1, snapshot.Fallbacks);
        Assert.Contains("No connection is active", snapshot.LastStoreError);
        // No store grant and local grant share a window: one window plus the longest reservation lead of quiet.
        Assert.True(time.Seconds(grants[0] - failedAt) >= 2.025, $"first local grant after {time.Seconds(grants[0] - failedAt):0.000} s");
        // This process's share of the limit, never more, in any window of one second.
        Assert.True(RateGateTests.MaxInAnyWindow(grants, 1.0) <= 10);
        double rate = (grants.Count - 1) / time.Seconds(grants[^1] - grants[0]);
        Assert.True(rate >= 9.0, $"fallback reached {rate:0.0}/s of 10/s");
    }

    [Fact]
    public async Task AStoreThatDoesNotAnswerInTimeCountsAsDown_AndALateReservationIsGivenBack()
    {
        var (gate, store, _) = NewGate();
        store.Hanging = new TaskCompletionSource<StoreReservation>();
        await gate.WaitAsync(CancellationToken.None); // times out (fake clock), falls back, grants locally
        var snapshot = gate.Snapshot();
        Assert.Equal(1, snapshot.Fallbacks);
        Assert.Contains("no answer within 1000 ms", snapshot.LastStoreError);
        var member = store.Requests[0].Member;
        store.Hanging.SetResult(new StoreReservation { Granted = true, Processes = 1, Factor = 1 }); // the answer arrives late
        Assert.Contains(member, store.Released);
    }

    [Fact]
    public async Task WarnsOncePerOutage()
    {
        var (gate, store, _) = NewGate();
        long cursor = gate.LatestNotice;
        store.Down = true;
        for (int i = 0; i < 20; i++) await gate.WaitAsync(CancellationToken.None);
        var notices = gate.NoticesAfter(ref cursor);
        var warning = Assert.Single(notices);
        Assert.True(warning.IsWarning);
        Assert.Contains("did not answer", warning.Message);
        Assert.Contains("30 calls/s", warning.Message);
        Assert.Contains("fake:6379,password=(redacted)", warning.Message);
        Assert.Empty(gate.NoticesAfter(ref cursor)); // written once
    }

    [Fact]
    public async Task AStoreThatKeepsComingAndGoingWarnsOnceAMinute()
    {
        var (gate, store, _) = NewGate();
        long cursor = gate.LatestNotice;
        store.Down = true;
        for (int i = 0; i < 3; i++) await gate.WaitAsync(CancellationToken.None);
        store.Down = false;
        for (int i = 0; i < 40 && gate.State == "Fallback"; i++) await gate.WaitAsync(CancellationToken.None);
        Assert.Equal("Rejoining", gate.State);
        store.Down = true;
        for (int i = 0; i < 3; i++) await gate.WaitAsync(CancellationToken.None);
        Assert.Equal(2, gate.Snapshot().Fallbacks);
        var notices = gate.NoticesAfter(ref cursor);
        Assert.Equal(2, notices.Count(n => n.Message.Contains("did not answer")));
        Assert.Single(notices, n => n.IsWarning); // the second outage, seconds later, is told as verbose information
    }

    [Fact]
    public async Task RejoinsTheStoreWhenItAnswersAgain_WithinTheLocalBoundForTheRejoinPeriod()
    {
        var (gate, store, time) = NewGate();
        store.Processes = 3;
        await gate.WaitAsync(CancellationToken.None);
        long cursor = gate.LatestNotice;
        store.Down = true;
        for (int i = 0; i < 5; i++) await gate.WaitAsync(CancellationToken.None);
        Assert.Equal("Fallback", gate.State);
        Assert.True(store.Pings >= 1, "the store is tried again while falling back");

        store.Down = false;
        int requestsBefore = store.Requests.Count;
        for (int i = 0; i < 40 && gate.State == "Fallback"; i++) await gate.WaitAsync(CancellationToken.None);
        Assert.Equal("Rejoining", gate.State);
        var rejoined = gate.NoticesAfter(ref cursor).Last();
        Assert.False(rejoined.IsWarning);
        Assert.Contains("answers again", rejoined.Message);

        // While rejoining, every grant comes from the store and also stays within the local fallback rate (10/s here),
        // although this fake store grants at once.
        var grants = new List<long>();
        for (int i = 0; i < 30; i++) { await gate.WaitAsync(CancellationToken.None); grants.Add(time.Now); }
        Assert.True(store.Requests.Count - requestsBefore >= 30);
        Assert.True(RateGateTests.MaxInAnyWindow(grants, 1.0) <= 10);

        time.Now += 5 * Stopwatch.Frequency; // the rejoin period is over: the store decides, within this process's own
        Assert.Equal("Shared", gate.State);   // rate (the ceiling), no longer within the fallback rate
        var shared = new List<long>();
        for (int i = 0; i < 60; i++) { await gate.WaitAsync(CancellationToken.None); shared.Add(time.Now); }
        Assert.Equal("Shared", gate.State);
        Assert.True(RateGateTests.MaxInAnyWindow(shared, 1.0) <= 30);
        Assert.True(RateGateTests.MaxInAnyWindow(shared, 1.0) > 10, "faster than the fallback rate once rejoined");
    }

    [Fact]
    public async Task A429IsPassedToTheStoreSoEveryProcessSlowsDown()
    {
        var (gate, store, _) = NewGate();
        await gate.WaitAsync(CancellationToken.None);
        gate.Penalize(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        var penalty = Assert.Single(store.Penalties);
        Assert.Equal(TimeSpan.FromSeconds(2), penalty.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(30), penalty.Cap);
        Assert.Equal(21, gate.EffectiveRequestsPerSecond, 3); // the store's factor 0.7
    }

    [Fact]
    public async Task WhileFallingBackA429SlowsTheLocalGate()
    {
        var (gate, store, _) = NewGate();
        store.Down = true;
        await gate.WaitAsync(CancellationToken.None);
        gate.Penalize(null);
        Assert.Empty(store.Penalties);
        Assert.InRange(gate.EffectiveRequestsPerSecond, 28.4, 28.6);   // the local gate's step: a twentieth off
    }

    [Fact]
    public async Task ACancelledWaiterGivesItsReservationBack()
    {
        var (gate, store, time) = NewGate();
        store.Answer = _ => new StoreReservation { Granted = true, Wait = TimeSpan.FromMilliseconds(800), Processes = 1, Factor = 1 };
        using var cts = new CancellationTokenSource();
        time.CancelWhen = (d, _) => { if (d >= TimeSpan.FromMilliseconds(800)) { cts.Cancel(); return true; } return false; };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.WaitAsync(cts.Token));
        Assert.Equal(store.Requests.Single().Member, Assert.Single(store.Released));
        Assert.Equal(0, gate.TotalGranted);
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task SnapshotShowsTheSharedGate()
    {
        var (gate, store, _) = NewGate();
        store.Processes = 2;
        await gate.WaitAsync(CancellationToken.None);
        var s = gate.Snapshot();
        Assert.Equal("Shared", s.Kind);
        Assert.Equal("Shared", s.State);
        Assert.Equal("fake:6379,password=(redacted)", s.Store);
        Assert.Equal(2, s.Processes);
        Assert.Equal(26, s.PermitsAvailable); // 30 - the 4 grants the store counts in the window
        Assert.NotNull(s.StoreRoundTripMs);
        Assert.Equal(15, s.FallbackRate);
    }

    [Fact]
    public void TheLocalGateDescribesItselfAsLocal()
    {
        using var gate = new RateGate(30);
        var s = gate.Snapshot();
        Assert.Equal("Local", s.Kind);
        Assert.Null(s.Store);
        long cursor = 0;
        Assert.Empty(gate.NoticesAfter(ref cursor));
    }

    // A store that cannot raise the rate or hang a run.

    [Fact]
    public async Task AStoreThatGrantsEverythingAtOnceCannotRaiseTheProcesssRate()
    {
        var (gate, store, time) = NewGate(rate: 10);
        store.Answer = _ => new StoreReservation { Granted = true, Wait = TimeSpan.Zero, Processes = 1, Factor = 1, Limit = 1000 };
        var released = new List<long>();
        // Many callers at once, as a run's calls are: the turnstile orders them, the ceiling spaces them.
        await Task.WhenAll(Enumerable.Range(0, 60).Select(async _ => { await gate.WaitAsync(CancellationToken.None); lock (released) released.Add(time.Now); }));
        released.Sort();
        Assert.Equal(60, released.Count);
        Assert.True(RateGateTests.MaxInAnyWindow(released, 1.0) <= 10, $"{RateGateTests.MaxInAnyWindow(released, 1.0)} grants in one second at 10/s");
        Assert.True(time.Seconds(released[^1] - released[0]) >= 5, "60 grants at 10/s take at least 5 s on the fake clock");
        Assert.Equal("Shared", gate.State);          // the store answered: no fallback, just the ceiling
        Assert.Equal(10, gate.EffectiveRequestsPerSecond); // a store's higher limit is ignored
    }

    [Fact]
    public async Task TheStoresLowerLimitIsTheRateShown()
    {
        var (gate, store, _) = NewGate(rate: 30);
        store.Answer = _ => new StoreReservation { Granted = true, Processes = 2, Factor = 1, Limit = 12 };
        await gate.WaitAsync(CancellationToken.None);
        Assert.Equal(12, gate.EffectiveRequestsPerSecond);
    }

    [Fact]
    public async Task AGrantFarInTheFutureIsGivenBackAndTheRunFallsBackAndCompletes()
    {
        var (gate, store, time) = NewGate(rate: 10);
        store.Answer = _ => new StoreReservation { Granted = true, Wait = TimeSpan.FromHours(5), Processes = 1, Factor = 1 };
        long start = time.Now;
        for (int i = 0; i < 20; i++) await gate.WaitAsync(CancellationToken.None);
        Assert.Equal(20, gate.TotalGranted);
        Assert.Equal("Fallback", gate.State);
        Assert.Single(store.Released); // the one far grant it was offered, given back
        Assert.True(time.Seconds(time.Now - start) < 10, $"completed in {time.Seconds(time.Now - start):0.#} s of fake time");
        long cursor = 0;
        var notice = Assert.Single(gate.NoticesAfter(ref cursor), n => n.IsWarning);
        Assert.Contains("misbehaved", notice.Message);
        Assert.Contains("18000 s ahead", notice.Message);
        // It is not asked again for a while (a broken store costs little), then again.
        int asked = store.Requests.Count;
        time.Advance(30);
        await gate.WaitAsync(CancellationToken.None);
        Assert.Equal(asked, store.Requests.Count);
    }

    [Fact]
    public async Task AStoreThatStaysPausedForEverFallsBackWithinTheCapAndTheRunCompletes()
    {
        var (gate, store, time) = NewGate(rate: 10);
        // Always "not yet, ask again in a second": a pause that never ends.
        store.Answer = _ => new StoreReservation { Granted = false, Wait = TimeSpan.FromSeconds(1), Processes = 1, Factor = 1 };
        long start = time.Now;
        for (int i = 0; i < 20; i++) await gate.WaitAsync(CancellationToken.None);
        double elapsed = time.Seconds(time.Now - start);
        Assert.Equal("Fallback", gate.State);
        Assert.InRange(elapsed, 60, 60 + 10); // the cap (MaxStoreWait, 60 s), then 20 calls at the fallback rate
        long cursor = 0;
        Assert.Contains(gate.NoticesAfter(ref cursor), n => n.IsWarning && n.Message.Contains("kept this call waiting"));
    }

    [Fact]
    public async Task AStoreThatAsksForAnEndlessWaitFallsBackAtOnce()
    {
        var (gate, store, time) = NewGate(rate: 10);
        store.Answer = _ => new StoreReservation { Granted = false, Wait = TimeSpan.FromDays(3), Processes = 1, Factor = 1 };
        long start = time.Now;
        for (int i = 0; i < 5; i++) await gate.WaitAsync(CancellationToken.None);
        Assert.Equal("Fallback", gate.State);
        Assert.True(time.Seconds(time.Now - start) < 5);
        Assert.Single(store.Requests);
    }

    [Fact]
    public async Task AnOwnLongPauseIsNotTakenForAStalledStore()
    {
        var (gate, store, time) = NewGate(rate: 10);
        gate.Penalize(TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(90));
        long pausedUntil = time.Now + (long)(90 * Stopwatch.Frequency);
        store.Answer = _ => time.Now < pausedUntil
            ? new StoreReservation { Granted = false, Wait = TimeSpan.FromSeconds(1), Processes = 1, Factor = 1 }
            : new StoreReservation { Granted = true, Processes = 1, Factor = 1 };
        await gate.WaitAsync(CancellationToken.None);
        Assert.Equal("Shared", gate.State);
        Assert.True(time.Now >= pausedUntil);
    }
}
