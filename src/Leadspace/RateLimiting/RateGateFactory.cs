using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Leadspace.Auth;
using Leadspace.RateLimiting.Shared;

namespace Leadspace.RateLimiting
{
    /// <summary>
    /// Makes a program's gate: the local <see cref="RateGate"/>, or, with a rate limit store, a
    /// <see cref="SharedRateGate"/>. One store connection per configuration string per process, shared by the
    /// programs that use it and closed with the last of their gates. The Redis client is loaded only here, and only
    /// for a store. A store connection is opened outside the factory's lock: connecting to one store never delays a
    /// connect that uses another store or none, and callers asking for the same store wait for the one connect.
    /// </summary>
    internal static class RateGateFactory
    {
        private static readonly object Lock = new object();
        private static readonly Dictionary<string, StoreEntry> Stores = new Dictionary<string, StoreEntry>(StringComparer.Ordinal);

        /// <summary>One store connection (being opened, or open) and the gates that use it.</summary>
        private sealed class StoreEntry
        {
            public StoreEntry(Task<IRateLimitStore> store) { Store = store; }
            public Task<IRateLimitStore> Store { get; }
            public int Refs = 1;
        }

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
            var configuration = storeConfiguration;
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
                    $"The rate limit store {store.Description} could not run the gate's check ({inner.GetType().Name}: {RateLimitStoreOption.Sanitize(inner.Message, configuration, plainPassword)}).");
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
            => EnsureSameStore((existing as SharedRateGate)?.StoreConfiguration, StoreIdentity(storeConfiguration, user, password), programDescription);

        /// <summary>As <see cref="EnsureSameStore(IRateGate, string, string, string, System.Security.SecureString)"/>, for a
        /// gate known by the store identity it was asked to use (it may still be connecting; see <see cref="StoreIdentity(string?, string?, System.Security.SecureString?)"/>).</summary>
        public static void EnsureSameStore(string? current, string? storeConfiguration, string programDescription)
        {
            if (string.Equals(current, storeConfiguration, StringComparison.Ordinal)) return;
            string Show(string? c) => c == null ? "no rate limit store (the local gate)" : "rate limit store " + RateLimitStoreOption.Redact(Describe(c));
            throw new RateLimitStoreException(RateLimitStoreFailure.Conflict,
                $"{programDescription} is already connected in this process with {Show(current)}; this connection asks for {Show(storeConfiguration)}. " +
                "Disconnect its connections first (Disconnect-Leadspace), or connect with the same -RateLimitStore.");
        }

        /// <summary>The store identity of a configuration and a credential given apart (null without a store).</summary>
        internal static string? StoreIdentity(string? configuration, string? user, System.Security.SecureString? password)
            => configuration == null ? null : StoreIdentity(configuration, user, password == null || password.Length == 0 ? null : SecureText.ToPlain(password));

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

        /// <summary>The store connection for <paramref name="identity"/>: joined when one is open or being opened,
        /// else opened here, outside the lock. A connect that fails is forgotten, so the next caller tries again.</summary>
        private static IRateLimitStore AcquireStore(string identity, string configuration, string? user, string? password)
        {
            StoreEntry entry;
            Task<IRateLimitStore>? open = null;
            lock (Lock)
            {
                if (Stores.TryGetValue(identity, out var existing) && !existing.Store.IsFaulted)
                {
                    existing.Refs++;
                    entry = existing;
                }
                else
                {
                    open = new Task<IRateLimitStore>(() => ConnectStore(identity, configuration, user, password));
                    entry = new StoreEntry(open);
                    Stores[identity] = entry;
                }
            }
            open?.RunSynchronously(TaskScheduler.Default);
            try
            {
                return entry.Store.GetAwaiter().GetResult();
            }
            catch
            {
                Leave(identity, entry);
                throw;
            }
        }

        private static IRateLimitStore ConnectStore(string identity, string configuration, string? user, string? password)
        {
            try
            {
                return StoreFactory().Connect(configuration, RateLimitStoreOption.Redact(Describe(identity)), user, password);
            }
            catch (RateLimitStoreException) { throw; }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                throw new RateLimitStoreException(RateLimitStoreFailure.NotInstalled,
                    $"The rate limit store support could not be loaded ({ex.GetType().Name}: {RateLimitStoreOption.Sanitize(ex.Message, configuration, password)}).");
            }
        }

        private static void ReleaseStore(string configuration)
        {
            StoreEntry? entry;
            lock (Lock) Stores.TryGetValue(configuration, out entry);
            if (entry != null) Leave(configuration, entry);
        }

        /// <summary>One user of <paramref name="entry"/> fewer: the last one closes the connection (a failed connect
        /// has none) and forgets the entry, unless a newer entry already took its place.</summary>
        private static void Leave(string configuration, StoreEntry entry)
        {
            IRateLimitStore? close = null;
            lock (Lock)
            {
                if (--entry.Refs > 0) return;
                if (Stores.TryGetValue(configuration, out var current) && ReferenceEquals(current, entry)) Stores.Remove(configuration);
                if (entry.Store.Status == TaskStatus.RanToCompletion) close = entry.Store.Result;
            }
            try { close?.Dispose(); } catch (Exception) { }
        }

        /// <summary>Store connections in this process, open or being opened (for tests).</summary>
        internal static int OpenStores { get { lock (Lock) return Stores.Count; } }
    }
}
