using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Leadspace.Client;

namespace Leadspace.Session
{
    /// <summary>
    /// A connection to one Leadspace program: the settings, the HTTP client and the rate gate shared by
    /// every connection of the same program in this process. Never shows the token.
    /// </summary>
    public sealed class LeadspaceConnection : IDisposable
    {
        private static int _counter;
        private readonly string _gateKey;

        internal LeadspaceConnection(ConnectionSettings settings, string authMethod, string gateKey, Func<IRateGate, LeadspaceClient> createClient)
        {
            Id = Interlocked.Increment(ref _counter);
            _gateKey = gateKey;
            Gate = RateGateRegistry.Acquire(gateKey, settings.RequestsPerSecond, settings.RateLimitStore);
            try { Client = createClient(Gate); }
            catch { RateGateRegistry.Release(gateKey); throw; }
            AuthMethod = authMethod;
            ConnectedAt = DateTimeOffset.Now;
        }

        public int Id { get; }
        public string? ProgramId => Client.Settings.ProgramId;
        public Uri BaseUri => Client.Settings.BaseUri;
        /// <summary><c>PerpetualToken</c> or <c>OAuth</c>.</summary>
        public string AuthMethod { get; }
        public double RequestsPerSecond => Client.Settings.RequestsPerSecond;
        public int MaxConcurrency => Client.Settings.MaxConcurrency;
        public TimeSpan Timeout => Client.Settings.Timeout;
        public int MaxAttempts => Client.Settings.Retry.MaxAttempts;
        public TimeSpan MaxRetryTime => Client.Settings.Retry.MaxElapsed;
        public int MaxAmbiguousRetries => Client.Settings.Retry.MaxAmbiguousRetries;
        public DateTimeOffset ConnectedAt { get; }
        public DateTimeOffset? TokenExpiresAt => Client.Tokens.ExpiresAt;
        public string Token => "(redacted)";
        /// <summary>The rate limit store shared with other processes (password redacted); null = this process only.</summary>
        public string? RateLimitStore => Client.Settings.RateLimitStore == null ? null : RateLimitStoreOption.Redact(Client.Settings.RateLimitStore);
        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;
        private int _disposed;

        /// <summary>The runspace that made the connection.</summary>
        internal Guid RunspaceId { get; set; }

        internal LeadspaceClient Client { get; }
        internal IRateGate Gate { get; }

        /// <summary>A key that identifies the program: the hash of its perpetual token (the same whether or not
        /// -ProgramId was given), or the program id for OAuth.</summary>
        internal static string GateKeyFor(Uri baseUri, string? programId, string? perpetualToken)
        {
            var who = perpetualToken != null
                ? "token:" + Hash(perpetualToken)
                : "program:" + (programId ?? string.Empty).Trim();
            return baseUri.GetLeftPart(UriPartial.Authority).ToLowerInvariant() + "|" + who;
        }

        private static string Hash(string s)
        {
            using var sha = SHA256.Create();
            return BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(s))).Replace("-", string.Empty).Substring(0, 16);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            Client.Dispose();
            RateGateRegistry.Release(_gateKey);
        }

        public override string ToString()
            => $"Leadspace connection {Id}: {BaseUri} program '{ProgramId ?? "(not given)"}' ({AuthMethod}, {RequestsPerSecond}/s)";
    }

    /// <summary>
    /// One rate gate per program per process: every runspace (ForEach-Object -Parallel, thread jobs, several
    /// pipelines) that connects to the same program shares it, so the process never exceeds the program's limit.
    /// </summary>
    internal static class RateGateRegistry
    {
        private static readonly object Lock = new object();
        private static readonly Dictionary<string, (IRateGate Gate, int Refs)> Gates = new Dictionary<string, (IRateGate, int)>(StringComparer.Ordinal);

        public static IRateGate Acquire(string key, double requestsPerSecond, string? rateLimitStore = null)
        {
            lock (Lock)
            {
                if (Gates.TryGetValue(key, out var e))
                {
                    RateGateFactory.EnsureSameStore(e.Gate, rateLimitStore, "This program");
                    // The most recent connect sets the program's limit.
                    e.Gate.SetRate(requestsPerSecond);
                    Gates[key] = (e.Gate, e.Refs + 1);
                    return e.Gate;
                }
                var gate = RateGateFactory.Create(key, requestsPerSecond, rateLimitStore);
                Gates[key] = (gate, 1);
                return gate;
            }
        }

        public static void Release(string key)
        {
            lock (Lock)
            {
                if (!Gates.TryGetValue(key, out var e)) return;
                if (e.Refs <= 1) { Gates.Remove(key); e.Gate.Dispose(); }
                else Gates[key] = (e.Gate, e.Refs - 1);
            }
        }

        public static int Count { get { lock (Lock) return Gates.Count; } }
    }

    /// <summary>
    /// The connections of this process. Each runspace has its own default (the last connection it made);
    /// a runspace that made none (ForEach-Object -Parallel, thread jobs) uses the last one made in the process.
    /// </summary>
    public static class ConnectionRegistry
    {
        private static readonly object Lock = new object();
        private static readonly List<LeadspaceConnection> Connections = new List<LeadspaceConnection>();
        // A runspace maps to its own default; null once it disconnected it (then it has none, rather than
        // silently using another runspace's connection and program).
        private static readonly Dictionary<Guid, LeadspaceConnection?> Defaults = new Dictionary<Guid, LeadspaceConnection?>();

        public static void Add(LeadspaceConnection connection, Guid runspaceId)
        {
            lock (Lock)
            {
                connection.RunspaceId = runspaceId;
                Connections.Add(connection);
                Defaults[runspaceId] = connection;
            }
        }

        public static LeadspaceConnection? DefaultFor(Guid runspaceId)
        {
            lock (Lock)
            {
                if (Defaults.TryGetValue(runspaceId, out var c))
                {
                    if (c != null && !c.IsDisposed) return c;
                    // Its own default was disconnected: fall back only to connections this runspace made.
                    return Connections.LastOrDefault(x => x.RunspaceId == runspaceId);
                }
                return Connections.LastOrDefault(); // never connected here (-Parallel, thread jobs): the process's last

            }
        }

        public static IReadOnlyList<LeadspaceConnection> All
        {
            get { lock (Lock) return Connections.ToList(); }
        }

        public static bool Remove(LeadspaceConnection connection)
        {
            bool removed;
            lock (Lock)
            {
                removed = Connections.Remove(connection);
                foreach (var key in Defaults.Where(kv => ReferenceEquals(kv.Value, connection)).Select(kv => kv.Key).ToList())
                {
                    Defaults[key] = null;
                }
            }
            connection.Dispose();
            return removed;
        }
    }
}
