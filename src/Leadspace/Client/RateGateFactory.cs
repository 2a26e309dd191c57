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
        public static IRateGate Create(string gateKey, double requestsPerSecond, string? storeConfiguration, SharedRateGateOptions? options = null,
            string? user = null, System.Security.SecureString? password = null)
        {
            if (storeConfiguration == null) return new RateGate(requestsPerSecond);

            var plainPassword = password == null || password.Length == 0 ? null : SecureText.ToPlain(password);
            var identity = StoreIdentity(storeConfiguration, user, plainPassword);
            var store = AcquireStore(identity, storeConfiguration, user, plainPassword);
            storeConfiguration = identity;
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
                    $"The rate limit store {store.Description} could not run the gate's check ({inner.GetType().Name}: {RateLimitStoreOption.Sanitize(inner.Message, storeConfiguration, plainPassword)}).");
            }
            catch
            {
                ReleaseStore(storeConfiguration);
                throw;
            }
        }

        /// <summary>A later connect of a program that already has a gate in this process must use the same store
        /// (or none): two gates for one program would let the process exceed its limit.</summary>
        public static void EnsureSameStore(IRateGate existing, string? storeConfiguration, string programDescription,
            string? user = null, System.Security.SecureString? password = null)
        {
            var current = (existing as SharedRateGate)?.StoreConfiguration;
            var asked = storeConfiguration == null ? null : StoreIdentity(storeConfiguration, user, password == null || password.Length == 0 ? null : SecureText.ToPlain(password));
            if (string.Equals(current, asked, StringComparison.Ordinal)) return;
            string Show(string? c) => c == null ? "no rate limit store (the local gate)" : "rate limit store " + RateLimitStoreOption.Redact(Describe(c));
            storeConfiguration = asked;
            throw new RateLimitStoreException(RateLimitStoreFailure.Conflict,
                $"{programDescription} is already connected in this process with {Show(current)}; this connection asks for {Show(storeConfiguration)}. " +
                "Disconnect its connections first (Disconnect-Leadspace), or connect with the same -RateLimitStore.");
        }

        /// <summary>What tells two stores apart: the configuration string, and the user and a hash of the password when
        /// they were given apart (never shown: <see cref="Describe"/> makes it presentable).</summary>
        private static string StoreIdentity(string configuration, string? user, string? password)
        {
            if (user == null && password == null) return configuration;
            string hash = string.Empty;
            if (password != null)
            {
                using var sha = System.Security.Cryptography.SHA256.Create();
                hash = BitConverter.ToString(sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(password))).Replace("-", string.Empty);
            }
            return configuration + CredentialMark + (user ?? string.Empty) + CredentialMark + hash;
        }

        private const string CredentialMark = "\u0001";

        /// <summary>A store identity as the user knows it: the configuration string, plus ",user=…,password=(redacted)"
        /// for a credential given apart.</summary>
        internal static string Describe(string identity)
        {
            int mark = identity.IndexOf(CredentialMark, StringComparison.Ordinal);
            if (mark < 0) return identity;
            var parts = identity.Split(new[] { CredentialMark }, StringSplitOptions.None);
            return parts[0] + (parts[1].Length > 0 ? ",user=" + parts[1] : string.Empty) + (parts[2].Length > 0 ? ",password=" + RateLimitStoreOption.Redacted : string.Empty);
        }

        private static IRateLimitStore AcquireStore(string identity, string configuration, string? user, string? password)
        {
            lock (Lock)
            {
                if (Stores.TryGetValue(identity, out var entry))
                {
                    Stores[identity] = (entry.Store, entry.Refs + 1);
                    return entry.Store;
                }
                var redacted = RateLimitStoreOption.Redact(Describe(identity));
                IRateLimitStore store;
                try
                {
                    store = StoreFactory().Connect(configuration, redacted, user, password);
                }
                catch (RateLimitStoreException) { throw; }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    throw new RateLimitStoreException(RateLimitStoreFailure.NotInstalled,
                        $"The rate limit store support could not be loaded ({ex.GetType().Name}: {RateLimitStoreOption.Sanitize(ex.Message, configuration, password)}).");
                }
                Stores[identity] = (store, 1);
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
