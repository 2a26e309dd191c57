using System;
using System.Collections.Generic;
using System.Linq;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;
using Leadspace.Session;

namespace Leadspace.Budget
{
    /// <summary>A connection's hold on its program's credit budget: the budget, what the user is told at connect, and the
    /// release when the connection goes.</summary>
    internal sealed class BudgetLease : IDisposable
    {
        private Action? _release;

        internal BudgetLease(CreditBudget budget, BudgetPeriod period, long asked, long limit, string? warning, Action release)
        {
            Budget = budget; Period = period; Asked = asked; Limit = limit; Warning = warning; _release = release;
        }

        public BudgetPeriod Period { get; }
        public CreditBudget Budget { get; }
        /// <summary>What this connection asked for.</summary>
        public long Asked { get; }
        /// <summary>The budget in force at connect (the lowest asked for).</summary>
        public long Limit { get; }
        /// <summary>Why another budget than the one asked for applies, or that this one lowered it (null: neither).</summary>
        public string? Warning { get; }

        public void Dispose() => System.Threading.Interlocked.Exchange(ref _release, null)?.Invoke();
    }

    /// <summary>
    /// One credit budget per program and period per process, as <see cref="RateGateRegistry"/> keeps one gate: every
    /// connection of the program in the process (any runspace) draws on it. Without a rate limit store it is a
    /// <see cref="LocalCreditBudget"/> (kept in the process); with one, a <see cref="SharedCreditBudget"/> kept in the
    /// store. The lowest budget asked for wins: in the process among its open connections, and in the store among every
    /// process's. A process budget's spending is kept for the life of the process (a new connect after the last
    /// disconnect starts from what was spent, with its own limit); a store budget's is kept in the store.
    /// </summary>
    internal static class BudgetRegistry
    {
        private sealed class Entry
        {
            public Entry(BudgetPeriod period) { Period = period; }
            public BudgetPeriod Period { get; }
            public readonly HashSet<string> Keys = new HashSet<string>(StringComparer.Ordinal);
            /// <summary>The budgets asked for by the open connections.</summary>
            public readonly List<long> Asks = new List<long>();
            public LocalCreditBudget? Local;
            public SharedCreditBudget? Shared;
            /// <summary>The store gate the shared budget belongs to.</summary>
            public IRateGate? Gate;
        }

        private static readonly object Lock = new object();
        private static readonly Dictionary<string, Entry> ByKey = new Dictionary<string, Entry>(StringComparer.Ordinal);

        /// <summary>Options of shared budgets made from now on (tests shorten the period).</summary>
        internal static SharedCreditBudgetOptions? SharedOptions { get; set; }

        /// <summary>The program's budget for <paramref name="period"/>, with <paramref name="limit"/> recorded as this
        /// connection's ask (the lowest wins). <paramref name="gate"/> is the program's gate: a shared gate's store keeps
        /// the budget.</summary>
        /// <exception cref="RateLimitStoreException">The store did not record the budget.</exception>
        public static BudgetLease Acquire(ProgramIdentity identity, IRateGate gate, long limit, BudgetPeriod period)
        {
            if (limit < 0) throw new ArgumentOutOfRangeException(nameof(limit), "A credit budget cannot be negative.");
            if (period == BudgetPeriod.None) throw new ArgumentOutOfRangeException(nameof(period), "A program's budget has a period.");
            var shared = gate as SharedRateGate;
            Entry entry;
            long processLowest, before;
            lock (Lock)
            {
                entry = Find(identity, period) ?? new Entry(period);
                foreach (var key in identity.Keys) if (!ByKey.ContainsKey(Key(key, period))) { ByKey[Key(key, period)] = entry; entry.Keys.Add(Key(key, period)); }
                before = entry.Asks.Count == 0 ? -1 : entry.Asks.Min();
                entry.Asks.Add(limit);
                processLowest = entry.Asks.Min();
                if (shared != null)
                {
                    if (entry.Shared == null || !ReferenceEquals(entry.Gate, gate))
                    {
                        entry.Gate = gate;
                        entry.Shared = new SharedCreditBudget(shared.Store, shared.ProgramKey, processLowest, period, SharedOptions, shared.Notify);
                    }
                    else entry.Shared.AskedLimit = processLowest;
                }
                else
                {
                    if (entry.Local == null) entry.Local = new LocalCreditBudget(processLowest, period, $"the program's {BudgetPeriods.Adjective(period)} credit budget", "Process");
                    else entry.Local.Limit = processLowest;
                }
            }
            void Release() => Leave(entry, limit);
            string noun = BudgetPeriods.Adjective(period);
            if (shared != null)
            {
                StoreStatus status;
                try { status = entry.Shared!.Register(); }
                catch { Release(); throw; }
                string? warning = null;
                if (status.BudgetLimit < limit)
                {
                    warning = $"The program's {noun} credit budget is {status.BudgetLimit} credit(s), not the {limit} this connection asks for: the rate limit store "
                        + $"{shared.Store.Description} keeps the lowest budget any connection of the program asked for (in any process, this {BudgetPeriods.Noun(period)} or the last one used) and applies it to every process. "
                        + $"{status.BudgetSpent} credit(s) spent so far this {BudgetPeriods.Noun(period)}.";
                }
                else if (status.BudgetPreviousLimit > limit)
                {
                    warning = $"This connection lowers the program's {noun} credit budget from {status.BudgetPreviousLimit} to {limit} credit(s) for every process that uses the rate limit store "
                        + $"{shared.Store.Description}: the lowest budget asked for wins. {status.BudgetSpent} credit(s) spent so far this {BudgetPeriods.Noun(period)}.";
                }
                return new BudgetLease(entry.Shared!, period, limit, status.BudgetLimit, warning, Release);
            }
            else
            {
                string? warning = null;
                if (processLowest < limit)
                {
                    warning = $"The program's {noun} credit budget in this process is {processLowest} credit(s), not the {limit} this connection asks for: "
                        + "another connection of the program in this process asked for less, and the lowest budget wins.";
                }
                else if (before > limit)
                {
                    warning = $"This connection lowers the program's {noun} credit budget in this process from {before} to {limit} credit(s), for every connection of the program: the lowest budget wins.";
                }
                return new BudgetLease(entry.Local!, period, limit, processLowest, warning, Release);
            }
        }

        private static string Key(string programKey, BudgetPeriod period) => programKey + "|budget:" + period;

        private static Entry? Find(ProgramIdentity identity, BudgetPeriod period)
        {
            foreach (var key in identity.Keys) if (ByKey.TryGetValue(Key(key, period), out var entry)) return entry;
            return null;
        }

        /// <summary>A connection went: its ask no longer counts; with none left, a store budget is dropped (its spending is
        /// in the store) and a process budget keeps its spending for the next connect.</summary>
        private static void Leave(Entry entry, long limit)
        {
            lock (Lock)
            {
                entry.Asks.Remove(limit);
                if (entry.Asks.Count > 0)
                {
                    var lowest = entry.Asks.Min();
                    if (entry.Local != null) entry.Local.Limit = lowest;
                    if (entry.Shared != null) entry.Shared.AskedLimit = lowest;
                    return;
                }
                entry.Shared = null;
                entry.Gate = null;
            }
        }

        /// <summary>The budgets of the program in this process (for tests).</summary>
        internal static CreditBudget? Find(ProgramIdentity identity, BudgetPeriod period, bool shared)
        {
            lock (Lock)
            {
                var entry = Find(identity, period);
                return shared ? entry?.Shared : (CreditBudget?)entry?.Local;
            }
        }
    }
}
