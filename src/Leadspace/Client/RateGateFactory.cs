using System;
using System.Collections.Generic;

namespace Leadspace.Client
{
    /// <summary>
    /// Makes a program's gate: the local <see cref="RateGate"/>, or, with a rate limit store, a
    /// <see cref="SharedRateGate"/>. One store connection per configuration string per process, shared by the
    /// programs that use it and closed with the last of their gates. The Redis client is loaded only here, and only
    /// for a store.
    /// </summary>
    public static class RateGateFactory
    {
        private static readonly object Lock = new object();
        private static readonly Dictionary<string, (IRateLimitStore Store, int Refs)> Stores = new Dictionary<string, (IRateLimitStore, int)>(StringComparer.Ordinal);

        /// <summary>Where store connections come from (the isolated Redis assembly; a fake in tests).</summary>
        internal static Func<IRateLimitStoreFactory> StoreFactory { get; set; } = RateLimitStoreLoader.LoadFactory;

        /// <summary>How long the connect-time check of the store may take.</summary>
        internal static TimeSpan ConnectCheckTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>The gate for a program (<paramref name="gateKey"/>) at <paramref name="requestsPerSecond"/>: local
        /// without a store, shared through <paramref name="storeConfiguration"/> otherwise.</summary>
        /// <exception cref="RateLimitStoreException">The store cannot be used (unreachable, wrong password, no Lua…).</exception>
        public static IRateGate Create(string gateKey, double requestsPerSecond, string? storeConfiguration, SharedRateGateOptions? options = null)
        {
            if (storeConfiguration == null) return new RateGate(requestsPerSecond);

            var store = AcquireStore(storeConfiguration);
            try
            {
                var programKey = RateLimitStoreOption.ProgramKey(gateKey);
                var window = TimeSpan.FromSeconds(1) + (options?.Guard ?? new SharedRateGateOptions().Guard);
                // The connect-time check: the store runs the gate's scripts on its clock, and tells how many processes
                // are using this program already (the fallback rate's divisor until the first grant).
                var check = store.GetStatusAsync(programKey, window);
                if (!check.Wait(ConnectCheckTimeout))
                {
                    throw new RateLimitStoreException(RateLimitStoreFailure.Unreachable,
                        $"The rate limit store {store.Description} did not answer within {ConnectCheckTimeout.TotalSeconds:0} s.");
                }
                var status = check.GetAwaiter().GetResult();
                return new SharedRateGate(store, programKey, requestsPerSecond, options, knownProcesses: status.Processes + 1,
                    onDispose: () => ReleaseStore(storeConfiguration))
                {
                    StoreConfiguration = storeConfiguration,
                };
            }
            catch (AggregateException ex)
            {
                ReleaseStore(storeConfiguration);
                var inner = ex.GetBaseException();
                throw inner as RateLimitStoreException ?? new RateLimitStoreException(RateLimitStoreFailure.Unsupported,
                    $"The rate limit store {RateLimitStoreOption.Redact(storeConfiguration)} could not run the gate's check ({inner.GetType().Name}: {RateLimitStoreOption.Sanitize(inner.Message, storeConfiguration)}).");
            }
            catch
            {
                ReleaseStore(storeConfiguration);
                throw;
            }
        }

        /// <summary>A later connect of a program that already has a gate in this process must use the same store
        /// (or none): two gates for one program would let the process exceed its limit.</summary>
        public static void EnsureSameStore(IRateGate existing, string? storeConfiguration, string programDescription)
        {
            var current = (existing as SharedRateGate)?.StoreConfiguration;
            if (string.Equals(current, storeConfiguration, StringComparison.Ordinal)) return;
            string Show(string? c) => c == null ? "no rate limit store (the local gate)" : "rate limit store " + RateLimitStoreOption.Redact(c);
            throw new RateLimitStoreException(RateLimitStoreFailure.Conflict,
                $"{programDescription} is already connected in this process with {Show(current)}; this connection asks for {Show(storeConfiguration)}. " +
                "Disconnect its connections first (Disconnect-Leadspace), or connect with the same -RateLimitStore.");
        }

        private static IRateLimitStore AcquireStore(string configuration)
        {
            lock (Lock)
            {
                if (Stores.TryGetValue(configuration, out var entry))
                {
                    Stores[configuration] = (entry.Store, entry.Refs + 1);
                    return entry.Store;
                }
                var redacted = RateLimitStoreOption.Redact(configuration);
                IRateLimitStore store;
                try
                {
                    store = StoreFactory().Connect(configuration, redacted);
                }
                catch (RateLimitStoreException) { throw; }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    throw new RateLimitStoreException(RateLimitStoreFailure.NotInstalled,
                        $"The rate limit store support could not be loaded ({ex.GetType().Name}: {RateLimitStoreOption.Sanitize(ex.Message, configuration)}).");
                }
                Stores[configuration] = (store, 1);
                return store;
            }
        }

        private static void ReleaseStore(string configuration)
        {
            IRateLimitStore? close = null;
            lock (Lock)
            {
                if (!Stores.TryGetValue(configuration, out var entry)) return;
                if (entry.Refs <= 1) { Stores.Remove(configuration); close = entry.Store; }
                else Stores[configuration] = (entry.Store, entry.Refs - 1);
            }
            try { close?.Dispose(); } catch (Exception) { }
        }

        /// <summary>Open store connections in this process (for tests).</summary>
        internal static int OpenStores { get { lock (Lock) return Stores.Count; } }
    }
}
