using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Session;

namespace Leadspace.RateLimiting
{
    /// <summary>
    /// One rate gate per program per process: every runspace (ForEach-Object -Parallel, thread jobs, several
    /// pipelines) that connects to the same program shares it, whether it connects with a perpetual token, a
    /// credential or OAuth, so the process never exceeds the program's limit. A gate is found by any of the
    /// program's keys (its id, its token's hash); a connection that names both links them for later connections.
    /// The lock guards only the table: a gate that needs a store connection is created outside it, on the thread pool,
    /// and every connect of the program waits for that one creation (so there are never two gates for one program)
    /// with its own cancellation token, so Ctrl+C ends the wait and other programs' connects never wait at all.
    /// </summary>
    internal static class RateGateRegistry
    {
        private sealed class Entry
        {
            public Entry(string? store) { Store = store; }
            /// <summary>The store configuration the gate was asked to use (null: the local gate).</summary>
            public string? Store { get; }
            /// <summary>The gate, or its creation while the store connects.</summary>
            public Task<IRateGate> Gate = null!;
            public int Refs;
            public readonly HashSet<string> Keys = new HashSet<string>(StringComparer.Ordinal);
        }

        private static readonly object Lock = new object();
        private static readonly Dictionary<string, Entry> ByKey = new Dictionary<string, Entry>(StringComparer.Ordinal);

        /// <summary>
        /// The program's gate, created at <paramref name="requestsPerSecond"/> if it has none (shared through
        /// <paramref name="rateLimitStore"/> when one is given). An existing gate keeps its live rate here: the caller
        /// applies a new rate with <see cref="Commit"/> only once the connection is known to be good, so that a failed
        /// connect never changes the limit of runs in flight. A connect that names another store than the program's
        /// gate uses is refused before anything changes.
        /// </summary>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended the wait for the
        /// program's store connection (which goes on for other connects of the program, or is closed when none is left).</exception>
        /// <exception cref="Shared.RateLimitStoreException">The store cannot be used (every connect waiting for it gets this).</exception>
        public static IRateGate Acquire(ProgramIdentity identity, double requestsPerSecond, string? rateLimitStore, CancellationToken cancellationToken, out bool created,
            string? storeUser = null, System.Security.SecureString? storePassword = null)
        {
            // The store as it tells stores apart: the configuration and the credential given apart (a hash of it).
            var storeIdentity = RateGateFactory.StoreIdentity(rateLimitStore, storeUser, storePassword);
            Entry entry;
            Task<IRateGate>? create = null;
            lock (Lock)
            {
                var found = Find(identity);
                created = found == null;
                if (found != null)
                {
                    RateGateFactory.EnsureSameStore(found.Store, storeIdentity, "This program");
                    entry = found;
                }
                else
                {
                    entry = new Entry(storeIdentity);
                    // The store's keys come from the program's first key (its id when known): the same in every process.
                    var gateKey = identity.Keys[0];
                    if (rateLimitStore == null) entry.Gate = Task.FromResult(RateGateFactory.Create(gateKey, requestsPerSecond, null)); // no I/O
                    else entry.Gate = create = new Task<IRateGate>(() => RateGateFactory.Create(gateKey, requestsPerSecond, rateLimitStore, null, storeUser, storePassword));
                }
                entry.Refs++;
                foreach (var key in identity.Keys)
                {
                    // A key already bound to another gate stays there (two gates created before they were known to
                    // be one program cannot be merged while runs use them); the first key found wins.
                    if (!ByKey.ContainsKey(key)) { ByKey[key] = entry; entry.Keys.Add(key); }
                }
            }
            if (create != null)
            {
                var pending = entry;
                create.ContinueWith(_ => Settle(pending), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                create.Start(TaskScheduler.Default);
            }
            try
            {
                entry.Gate.Wait(cancellationToken);
                return entry.Gate.Result;
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
            {
                Leave(entry);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException!).Throw();
                throw;
            }
            catch
            {
                Leave(entry);
                throw;
            }
        }

        /// <summary>A creation has ended: a failed one is forgotten (the next connect tries again), and a gate that every
        /// waiter gave up on (Ctrl+C) is closed.</summary>
        private static void Settle(Entry entry)
        {
            IRateGate? close = null;
            lock (Lock)
            {
                if (entry.Gate.Status == TaskStatus.RanToCompletion && entry.Refs > 0) return;
                Forget(entry);
                if (entry.Gate.Status == TaskStatus.RanToCompletion) close = entry.Gate.Result;
            }
            close?.Dispose();
        }

        /// <summary>Removes the entry's keys that still point at it; call under <see cref="Lock"/>.</summary>
        private static void Forget(Entry entry)
        {
            foreach (var key in entry.Keys)
            {
                if (ByKey.TryGetValue(key, out var bound) && ReferenceEquals(bound, entry)) ByKey.Remove(key);
            }
        }

        /// <summary>The most recent successful connect sets the program's limit. Returns the rate it replaced.</summary>
        public static double Commit(IRateGate gate, double requestsPerSecond)
        {
            lock (Lock)
            {
                var before = gate.RequestsPerSecond;
                if (before != requestsPerSecond) gate.SetRate(requestsPerSecond);
                return before;
            }
        }

        /// <summary>The gate entry of the program's first known key; call under <see cref="Lock"/>.</summary>
        private static Entry? Find(ProgramIdentity identity)
        {
            foreach (var key in identity.Keys) if (ByKey.TryGetValue(key, out var entry)) return entry;
            return null;
        }

        public static void Release(ProgramIdentity identity)
        {
            Entry? entry;
            lock (Lock) entry = Find(identity);
            if (entry != null) Leave(entry);
        }

        /// <summary>One user of the entry fewer: the last one closes its gate. A gate still being created is closed by
        /// <see cref="Settle"/> when its creation ends (unless a later connect joined it meanwhile).</summary>
        private static void Leave(Entry entry)
        {
            IRateGate? close = null;
            lock (Lock)
            {
                if (--entry.Refs > 0) return;
                if (!entry.Gate.IsCompleted) return;
                Forget(entry);
                if (entry.Gate.Status == TaskStatus.RanToCompletion) close = entry.Gate.Result;
            }
            close?.Dispose();
        }

        /// <summary>Connections using the program's gate or waiting for its creation (for tests).</summary>
        internal static int Users(ProgramIdentity identity) { lock (Lock) return Find(identity)?.Refs ?? 0; }

        /// <summary>Gates alive in this process.</summary>
        public static int Count { get { lock (Lock) return ByKey.Values.Distinct().Count(); } }
    }
}
