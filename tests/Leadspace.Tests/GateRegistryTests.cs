using System.Diagnostics;
using Leadspace.Http;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;
using Leadspace.Session;
using Xunit;

namespace Leadspace.Tests;

/// <summary>
/// The process-wide gate registry creates a program's shared gate (a store connect, up to its timeout) outside its
/// lock: other programs' connects never wait behind it, a cancelled connect (Ctrl+C) stops waiting at once, and the
/// connects of one program still share one creation, so there are never two gates for one program.
/// </summary>
[Collection("Connections")] // RateGateFactory.StoreFactory and the gate registry are process-wide
public class GateRegistryTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    /// <summary>Connects to "slow…" stores only when released (a store that does not answer until its connect
    /// timeout); other stores answer at once.</summary>
    private sealed class SlowStoreFactory : IRateLimitStoreFactory
    {
        public readonly ManualResetEventSlim Entered = new(false);
        public readonly ManualResetEventSlim Released = new(false);
        public readonly List<RateLimitStoreOptionTests.StaticStore> Opened = new();
        public int Connects;
        public Exception? Fail;

        public IRateLimitStore Connect(string configuration, string redacted, string? user, string? password)
        {
            Interlocked.Increment(ref Connects);
            if (configuration.StartsWith("slow", StringComparison.Ordinal))
            {
                Entered.Set();
                Assert.True(Released.Wait(TimeSpan.FromSeconds(30)));
            }
            if (Fail != null) throw Fail;
            var store = new RateLimitStoreOptionTests.StaticStore(redacted);
            lock (Opened) Opened.Add(store);
            return store;
        }
    }

    private static ConnectionRequest Request(string program, string? store)
        => new()
        {
            Token = ClientTests.Secure("tok-" + program), ProgramId = program, BaseUri = new Uri("https://apigw.example.test"),
            Settings = new ConnectionSettings { RequestsPerSecond = 30, RateLimitStore = store },
        };

    private static string NewProgram() => "registry-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Waits until <paramref name="count"/> connects of the program use or wait for its gate.</summary>
    private static void Joined(string program, int count)
        => Eventually(() => RateGateRegistry.Users(new ProgramIdentity(new Uri("https://apigw.example.test"), program, "tok-" + program)) == count,
            $"{count} connects of the program did not join its gate");

    private static T WithFactory<T>(SlowStoreFactory factory, Func<T> test)
    {
        var saved = RateGateFactory.StoreFactory;
        RateGateFactory.StoreFactory = () => factory;
        try { return test(); }
        finally { factory.Released.Set(); RateGateFactory.StoreFactory = saved; }
    }

    private static void Eventually(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), what);
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void AnotherRunspacesConnectDoesNotWaitWhileAProgramConnectsToAnUnreachableStore()
    {
        var factory = new SlowStoreFactory();
        WithFactory(factory, () =>
        {
            var slow = Task.Run(() => ConnectionFactory.Open(Request(NewProgram(), "slow-store:6379,password=p"), NoEnvironment, default));
            Assert.True(factory.Entered.Wait(TimeSpan.FromSeconds(10)));

            // Another program without a store, and another with another store: both connect at once.
            var watch = Stopwatch.StartNew();
            using (var local = ConnectionFactory.Open(Request(NewProgram(), null), NoEnvironment, default).Connection)
            using (var other = ConnectionFactory.Open(Request(NewProgram(), "fast-store:6379"), NoEnvironment, default).Connection)
            {
                Assert.InRange(watch.Elapsed.TotalSeconds, 0, 1.0);
                Assert.IsType<RateGate>(local.Gate);
                Assert.IsType<SharedRateGate>(other.Gate);
            }
            Assert.False(slow.IsCompleted); // the first connect was still waiting for its store all along

            factory.Released.Set();
            using var connection = slow.GetAwaiter().GetResult().Connection;
            Assert.IsType<SharedRateGate>(connection.Gate);
            return 0;
        });
    }

    [Fact]
    public void CtrlCEndsTheWaitForAStoreWithinASecondAndTheLateConnectionIsClosed()
    {
        var factory = new SlowStoreFactory();
        WithFactory(factory, () =>
        {
            var program = NewProgram();
            int gatesBefore = RateGateRegistry.Count;
            using var stop = new CancellationTokenSource();
            var connect = Task.Run(() => ConnectionFactory.Open(Request(program, "slow-store:6379"), NoEnvironment, stop.Token));
            Assert.True(factory.Entered.Wait(TimeSpan.FromSeconds(10)));

            var watch = Stopwatch.StartNew();
            stop.Cancel();
            Assert.True(((IAsyncResult)connect).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(1)), "the connect still waits after Ctrl+C");
            Assert.InRange(watch.Elapsed.TotalSeconds, 0, 1.0);
            Assert.IsAssignableFrom<OperationCanceledException>(connect.Exception?.GetBaseException());

            // The store answers later: nobody waits for the gate any more, so it and its store connection are closed.
            factory.Released.Set();
            Eventually(() => RateGateRegistry.Count == gatesBefore, "the abandoned gate was not forgotten");
            Eventually(() => factory.Opened.Count == 1 && factory.Opened[0].Disposed, "the abandoned store connection was not closed");
            return 0;
        });
    }

    [Fact]
    public void ConnectsOfOneProgramWaitingForItsStoreShareOneCreationAndOneGate()
    {
        var factory = new SlowStoreFactory();
        WithFactory(factory, () =>
        {
            var program = NewProgram();
            var first = Task.Run(() => ConnectionFactory.Open(Request(program, "slow-store:6379"), NoEnvironment, default));
            Assert.True(factory.Entered.Wait(TimeSpan.FromSeconds(10)));
            var second = Task.Run(() => ConnectionFactory.Open(Request(program, "slow-store:6379"), NoEnvironment, default));
            // The second connect waits for the first one's store connection (it does not open its own).
            Joined(program, 2);
            Assert.False(second.IsCompleted);
            factory.Released.Set();
            using var a = first.GetAwaiter().GetResult().Connection;
            using var b = second.GetAwaiter().GetResult().Connection;
            Assert.Same(a.Gate, b.Gate);
            Assert.Equal(1, factory.Connects);
            return 0;
        });
    }

    [Fact]
    public void AStoreThatFailsFailsEveryConnectWaitingForItAndTheNextConnectTriesAgain()
    {
        var factory = new SlowStoreFactory { Fail = new RateLimitStoreException(RateLimitStoreFailure.Unreachable, "no answer") };
        WithFactory(factory, () =>
        {
            var program = NewProgram();
            int gatesBefore = RateGateRegistry.Count;
            var first = Task.Run(() => ConnectionFactory.Open(Request(program, "slow-store:6379"), NoEnvironment, default));
            Assert.True(factory.Entered.Wait(TimeSpan.FromSeconds(10)));
            var second = Task.Run(() => ConnectionFactory.Open(Request(program, "slow-store:6379"), NoEnvironment, default));
            Joined(program, 2);
            factory.Released.Set();
            foreach (var connect in new[] { first, second })
            {
                var ex = Assert.Throws<RateLimitStoreException>(() => connect.GetAwaiter().GetResult());
                Assert.Equal(RateLimitStoreFailure.Unreachable, ex.Failure);
            }
            Assert.Equal(gatesBefore, RateGateRegistry.Count);
            Assert.Equal(0, RateGateFactory.OpenStores);

            factory.Fail = null;
            using var again = ConnectionFactory.Open(Request(program, "slow-store:6379"), NoEnvironment, default).Connection;
            Assert.IsType<SharedRateGate>(again.Gate);
            Assert.Equal(2, factory.Connects);
            return 0;
        });
    }
}
