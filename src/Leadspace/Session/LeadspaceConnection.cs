using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Http;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;

namespace Leadspace.Session
{
    /// <summary>
    /// A connection to one Leadspace program: the settings, the HTTP client and the rate gate shared by every
    /// connection of the same program in this process. Never shows the token.
    /// A connection that is disconnected while runs use it stays alive until the last of them ends: a
    /// Disconnect-Leadspace elsewhere never breaks a run in flight.
    /// </summary>
    public sealed class LeadspaceConnection : IDisposable
    {
        private static int _counter;
        private readonly ProgramIdentity _identity;
        private readonly object _lock = new object();
        private int _runs;
        private bool _closed, _released;

        private readonly Leadspace.Budget.BudgetLease? _budget;

        internal LeadspaceConnection(LeadspaceClient client, string authMethod, ProgramIdentity identity, Leadspace.Budget.BudgetLease? budget = null)
        {
            _budget = budget;
            Id = Interlocked.Increment(ref _counter);
            Client = client;
            AuthMethod = authMethod;
            _identity = identity;
            ConnectedAt = client.Time.GetLocalNow();
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
        public string? RateLimitStore => Client.Settings.RateLimitStore == null ? null : RateLimitStoreOption.Redact(Client.Settings.RateLimitStore)
            + (Client.Settings.RateLimitStoreUser != null ? ",user=" + Client.Settings.RateLimitStoreUser : string.Empty)
            + (Client.Settings.RateLimitStorePassword != null ? ",password=" + RateLimitStoreOption.Redacted : string.Empty);
        /// <summary>The proxy every call goes through (-Proxy, user information never shown); null = the environment's
        /// proxy settings, or none with -NoProxy.</summary>
        public string? Proxy => Client.Settings.Proxy == null ? null : ConnectionSettings.Redact(Client.Settings.Proxy);
        /// <summary>True with -NoProxy: the environment's and system's proxy settings are ignored.</summary>
        public bool NoProxy => Client.Settings.NoProxy;
        /// <summary>The largest answer read, in MB.</summary>
        public double MaxResponseSizeMB => Client.Settings.MaxResponseBytes / (1024.0 * 1024);
        /// <summary>The program's credit budget this connection asked for (Connect-Leadspace -CreditBudget); null = none.
        /// The lowest budget asked for applies (see Get-LeadspaceRateStatus).</summary>
        public long? CreditBudget => _budget?.Asked;
        /// <summary>The budget's period: Day, Week or Month (UTC calendar periods); null without a budget.</summary>
        public string? BudgetPeriod => _budget?.Period.ToString();
        /// <summary>True once disconnected: no new run may use it (runs already going finish).</summary>
        public bool IsDisposed { get { lock (_lock) return _closed; } }
        /// <summary>Runs using the connection right now.</summary>
        public int ActiveRuns { get { lock (_lock) return _runs; } }

        /// <summary>The runspace that made the connection.</summary>
        internal Guid RunspaceId { get; set; }

        internal LeadspaceClient Client { get; }
        internal IRateGate Gate => Client.Gate;

        /// <summary>The program's credit budget (kept in the process or the store); null = none.</summary>
        internal Leadspace.Budget.CreditBudget? Budget => _budget?.Budget;

        /// <summary>The one normalised identity of the program: the key of its rate gate.</summary>
        internal ProgramIdentity Identity => _identity;

        /// <summary>Marks a run as using the connection; dispose the lease when the run ends.</summary>
        internal IDisposable BeginRun()
        {
            lock (_lock)
            {
                if (_closed) throw new ObjectDisposedException(nameof(LeadspaceConnection), $"Leadspace connection {Id} was disconnected.");
                _runs++;
            }
            return new RunLease(this);
        }

        private void EndRun()
        {
            bool release;
            lock (_lock)
            {
                _runs--;
                release = _closed && _runs == 0 && !_released;
                if (release) _released = true;
            }
            if (release) ReleaseResources();
        }

        /// <summary>Disconnects: no new run may start; the HTTP client and the gate are released as soon as no run
        /// uses the connection (at once when none does).</summary>
        public void Dispose()
        {
            bool release;
            lock (_lock)
            {
                if (_closed) return;
                _closed = true;
                release = _runs == 0 && !_released;
                if (release) _released = true;
            }
            if (release) ReleaseResources();
        }

        private void ReleaseResources()
        {
            Client.Dispose();
            _budget?.Dispose();
            RateGateRegistry.Release(_identity);
        }

        public override string ToString()
            => $"Leadspace connection {Id}: {BaseUri} program '{ProgramId ?? "(not given)"}' ({AuthMethod}, {RequestsPerSecond}/s)";

        private sealed class RunLease : IDisposable
        {
            private LeadspaceConnection? _owner;
            public RunLease(LeadspaceConnection owner) { _owner = owner; }
            public void Dispose() => Interlocked.Exchange(ref _owner, null)?.EndRun();
        }
    }

    /// <summary>
    /// The connections of this process. Each runspace has its own default (the last connection it made);
    /// a runspace that made none (ForEach-Object -Parallel, thread jobs) uses the last one made in the process.
    /// </summary>
    internal static class ConnectionRegistry
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

        /// <summary>The connection a command in this runspace uses without -Connection.</summary>
        public static LeadspaceConnection? DefaultFor(Guid runspaceId)
        {
            lock (Lock)
            {
                if (Defaults.ContainsKey(runspaceId)) return OwnDefaultLocked(runspaceId);
                return Connections.LastOrDefault(); // never connected here (-Parallel, thread jobs): the process's last
            }
        }

        /// <summary>This runspace's own default: one of the connections it made, never another runspace's.</summary>
        public static LeadspaceConnection? OwnDefaultFor(Guid runspaceId)
        {
            lock (Lock) return OwnDefaultLocked(runspaceId);
        }

        private static LeadspaceConnection? OwnDefaultLocked(Guid runspaceId)
        {
            if (Defaults.TryGetValue(runspaceId, out var c) && c != null && !c.IsDisposed) return c;
            // Its own default was disconnected: fall back only to connections this runspace made.
            return Connections.LastOrDefault(x => x.RunspaceId == runspaceId);
        }

        public static IReadOnlyList<LeadspaceConnection> All
        {
            get { lock (Lock) return Connections.ToList(); }
        }

        /// <summary>Forgets the connection and disconnects it (its resources go when its last run ends).</summary>
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
