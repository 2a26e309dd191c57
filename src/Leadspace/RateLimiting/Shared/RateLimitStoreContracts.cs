using System;
using System.Threading.Tasks;

namespace Leadspace.RateLimiting.Shared
{
    // The types both sides share: Leadspace.dll (which never references a Redis client) and
    // Leadspace.RateLimitStore.dll (StackExchange.Redis, loaded only for -RateLimitStore into its own load context).

    /// <summary>Opens a connection to a rate limit store. Implemented by Leadspace.RateLimitStore.dll.</summary>
    public interface IRateLimitStoreFactory
    {
        /// <summary>Connects and checks that the store can run the gate's scripts.</summary>
        /// <param name="configuration">A StackExchange.Redis configuration string (may hold a password).</param>
        /// <param name="redacted">The same string with its password redacted, for every message.</param>
        /// <param name="user">The Redis ACL user given apart (-RateLimitStoreCredential, a redis:// URI, the environment); null = none or the string's.</param>
        /// <param name="password">The password given apart; it overrides the string's. Never in a message.</param>
        /// <exception cref="RateLimitStoreException">Unreachable, wrong password, no Lua, invalid string.</exception>
        IRateLimitStore Connect(string configuration, string redacted, string? user, string? password);
    }

    /// <summary>
    /// A store holding the program's shared rate state. Every operation is one atomic step on the store, timed by the
    /// store's own clock: the hosts' clocks never enter the computation, only durations relative to the store's "now".
    /// </summary>
    public interface IRateLimitStore : IDisposable
    {
        /// <summary>The configuration with its password redacted.</summary>
        string Description { get; }

        /// <summary>Reserves the earliest grant that keeps the program's window and pacing (one atomic step).</summary>
        Task<StoreReservation> ReserveAsync(StoreReservationRequest request);

        /// <summary>A 429 was seen: every process slows down (×0.7, once per half second) and, with a Retry-After,
        /// pauses (at most <paramref name="maxPause"/>).</summary>
        Task<StorePenalty> PenalizeAsync(string programKey, TimeSpan? retryAfter, TimeSpan maxPause);

        /// <summary>The program's state, read only.</summary>
        Task<StoreStatus> GetStatusAsync(string programKey, TimeSpan window);

        /// <summary>Gives back a reservation that will not be used (the waiter was cancelled).</summary>
        Task ReleaseAsync(string programKey, string member);

        /// <summary>Answers when the store is reachable again (used to rejoin after a fallback).</summary>
        Task PingAsync();

        // The program's credit budget (Connect-Leadspace -CreditBudget): one record per program and kind of period,
        // holding the current period (computed on the store from its own clock) and the previous one. Every operation is
        // one atomic step. <c>period</c> is "Day", "Week" or "Month" (UTC calendar periods); tests may pass "Seconds:n"
        // (periods of n seconds) and append "@s" (the store's clock shifted by s seconds). The answer is a
        // <see cref="StoreStatus"/> whose Budget* members are filled.

        /// <summary>Reserves one credit of the current period for <paramref name="reservation"/> (a unique name) when
        /// spent + reserved is below the limit. <paramref name="limit"/> is this process's budget: the store keeps the
        /// lowest asked for (this period, or the last period used) and applies it to everyone.</summary>
        Task<StoreStatus> ReserveCreditAsync(string programKey, string period, long limit, string reservation);

        /// <summary>Ends a reservation (once: a repeated settlement does nothing): <paramref name="charged"/> spends the
        /// credit in the period it was reserved in, otherwise it is given back.</summary>
        Task<StoreStatus> SettleCreditAsync(string programKey, string period, string reservation, bool charged);

        /// <summary>The budget of the current period; a <paramref name="limit"/> of 0 or more is also recorded (the lowest
        /// wins), as a connect does; below 0 only reads.</summary>
        Task<StoreStatus> GetBudgetAsync(string programKey, string period, long limit);
    }

    public sealed class StoreReservationRequest
    {
        /// <summary>The key prefix of the program (a hash of its identity, never a secret).</summary>
        public string ProgramKey { get; set; } = string.Empty;
        /// <summary>This process's configured limit. The store keeps the lowest limit any process asks for and applies it:
        /// at most floor(limit) grants in any window, paced at the effective rate.</summary>
        public double RequestsPerSecond { get; set; }
        /// <summary>One second plus the guard.</summary>
        public TimeSpan Window { get; set; }
        /// <summary>How much later than granted a cold call's grant is recorded (zero for a warm call).</summary>
        public TimeSpan ColdDelay { get; set; }
        /// <summary>The caller sends within this long after the reserved time, or not at all: the grant is recorded at
        /// its latest possible send time (reserved + send window), so a process woken late by its timer or a slow
        /// reply never sends closer than a window to a later grant of another process.</summary>
        public TimeSpan SendWindow { get; set; }
        /// <summary>Unique name of this grant (process id and a counter).</summary>
        public string Member { get; set; } = string.Empty;
        /// <summary>Stable id of the calling process, counted in "processes in the last minute".</summary>
        public string ProcessId { get; set; } = string.Empty;
        /// <summary>A grant further ahead than this is not reserved: the caller is told to ask again later.</summary>
        public TimeSpan MaxLead { get; set; }
    }

    public sealed class StoreReservation
    {
        /// <summary>True: a grant is reserved <see cref="Wait"/> from now (store clock). False: ask again after <see cref="Wait"/>.</summary>
        public bool Granted { get; set; }
        public TimeSpan Wait { get; set; }
        /// <summary>The reserved time on the store's clock, in microseconds since the Unix epoch (0 when not granted).</summary>
        public long ReservedAtMicroseconds { get; set; }
        /// <summary>Processes that took grants in the last minute, this one included.</summary>
        public int Processes { get; set; }
        /// <summary>Share of the rate in force after 429s (1 = full rate).</summary>
        public double Factor { get; set; } = 1.0;
        /// <summary>The program's limit the store applies: the lowest any process asked for while its keys lived (0 = not told).</summary>
        public double Limit { get; set; }
    }

    public sealed class StorePenalty
    {
        public double Factor { get; set; }
        /// <summary>How long every process now pauses (zero when not paused).</summary>
        public TimeSpan Paused { get; set; }
        /// <summary>The store's clock when the penalty was applied, in microseconds since the Unix epoch.</summary>
        public long AtMicroseconds { get; set; }
    }

    public sealed class StoreStatus
    {
        public int GrantsInWindow { get; set; }
        public int Processes { get; set; }
        public double Factor { get; set; } = 1.0;
        public TimeSpan Paused { get; set; }
        /// <summary>The program's stored limit (0 = none stored yet).</summary>
        public double Limit { get; set; }

        /// <summary>A credit reservation was granted (budget operations only).</summary>
        public bool BudgetGranted { get; set; }
        /// <summary>A settlement found its reservation (false: settled before, or its record expired).</summary>
        public bool BudgetSettled { get; set; }
        /// <summary>Start and end of the current budget period, in seconds since the Unix epoch on the store's clock.</summary>
        public long BudgetPeriodStart { get; set; }
        public long BudgetPeriodEnd { get; set; }
        /// <summary>The program's budget for the period: the lowest any process asked for (-1 = none recorded).</summary>
        public long BudgetLimit { get; set; }
        /// <summary>The limit before this operation (a connect that lowered it; -1 = none).</summary>
        public long BudgetPreviousLimit { get; set; }
        /// <summary>Credits spent in the period (charged, or kept because the call may have been charged).</summary>
        public long BudgetSpent { get; set; }
        /// <summary>Credits reserved by calls on the wire in any process (and by processes that died while calling).</summary>
        public long BudgetReserved { get; set; }
    }

    public enum RateLimitStoreFailure
    {
        /// <summary>No connection could be made (host, port, TLS, timeout).</summary>
        Unreachable,
        /// <summary>The store refused the password or user.</summary>
        AuthenticationFailed,
        /// <summary>The store answers but cannot run the gate (no Lua scripting, missing commands).</summary>
        Unsupported,
        /// <summary>The configuration string is not valid.</summary>
        InvalidConfiguration,
        /// <summary>The program is already connected in this process with another store (or none).</summary>
        Conflict,
        /// <summary>The module's store assemblies are missing or could not be loaded.</summary>
        NotInstalled,
    }

    /// <summary>A rate limit store could not be used. The message never contains the password.</summary>
    public sealed class RateLimitStoreException : LeadspaceException
    {
        public RateLimitStoreException(RateLimitStoreFailure failure, string message, Exception? inner = null)
            : base(ErrorTable.For(failure), message, inner)
        {
            Failure = failure;
        }

        public RateLimitStoreFailure Failure { get; }
    }
}
