using System;
using System.Collections.Generic;
using Leadspace.Http;
using Leadspace.RateLimiting;
using Leadspace.Session;

namespace Leadspace.Run
{
    /// <summary>What a run needs from a connection: the caller, its settings, the journal's program identity, a lease
    /// that keeps it open for the run, and what its gate and statistics have to say. Tests build one around a fake
    /// caller; the cmdlet builds one from a <see cref="LeadspaceConnection"/>.</summary>
    internal sealed class RunConnection
    {
        public RunConnection(IEnrichmentCaller caller) { Caller = caller; }

        public IEnrichmentCaller Caller { get; }
        public int Id { get; set; }
        public string? ProgramId { get; set; }
        public Uri BaseUri { get; set; } = ConnectionSettings.DefaultBaseUri;
        public double RequestsPerSecond { get; set; }
        public int MaxConcurrency { get; set; } = 1;
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
        public int MaxAmbiguousRetries { get; set; } = 1;
        /// <summary>The journal header's service (scheme, host, port).</summary>
        public string Service { get; set; } = string.Empty;
        /// <summary>Every key a journal of the program may carry (the journal refuses another program's file).</summary>
        public IReadOnlyList<string> ProgramKeys { get; set; } = Array.Empty<string>();
        /// <summary>What a new journal's header names the program by (null: all of <see cref="ProgramKeys"/>).</summary>
        public IReadOnlyList<string>? JournalHeaderKeys { get; set; }
        /// <summary>Leases the connection for the run; throws ObjectDisposedException when it was disconnected.</summary>
        public Func<IDisposable>? BeginRun { get; set; }
        /// <summary>The rate gate, for its notices (a shared gate's fallback and rejoin); null for none.</summary>
        public IRateGate? Gate { get; set; }
        /// <summary>Calls per second and calls in flight, for progress; null for none.</summary>
        public ClientStatistics? Statistics { get; set; }
        /// <summary>The connection's credit budget (Connect-Leadspace -CreditBudget, kept in the process or the store);
        /// null for none. A run reserves from it and from its own -MaxCredits.</summary>
        public Budget.CreditBudget? Budget { get; set; }

        public static RunConnection From(LeadspaceConnection connection) => new RunConnection(connection.Client)
        {
            Id = connection.Id,
            ProgramId = connection.ProgramId,
            BaseUri = connection.BaseUri,
            RequestsPerSecond = connection.RequestsPerSecond,
            MaxConcurrency = connection.MaxConcurrency,
            Timeout = connection.Timeout,
            MaxAmbiguousRetries = connection.MaxAmbiguousRetries,
            Service = connection.Identity.Service,
            ProgramKeys = connection.Identity.JournalKeys,
            JournalHeaderKeys = connection.Identity.JournalHeaderKeys,
            BeginRun = connection.BeginRun,
            Gate = connection.Gate,
            Statistics = connection.Client.Statistics,
            Budget = connection.Budget,
        };
    }
}
