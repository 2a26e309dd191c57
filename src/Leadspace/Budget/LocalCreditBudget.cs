using System;
using System.Threading;
using System.Threading.Tasks;

namespace Leadspace.Budget
{
    /// <summary>
    /// A budget kept in this process: a run's -MaxCredits (no period), or a connection's -CreditBudget without a rate
    /// limit store (a UTC calendar period on the process's clock). Reservations of a previous period that settle after
    /// the rollover count in the new one (on the safe side).
    /// </summary>
    internal sealed class LocalCreditBudget : CreditBudget
    {
        private readonly object _lock = new object();
        private readonly TimeProvider _time;
        private readonly string _name;
        private readonly string _keptIn;
        private long _limit, _spent, _reserved, _reservations, _released;
        private DateTimeOffset? _periodStart;
        private TaskCompletionSource<bool> _settled = NewSignal();

        /// <param name="limit">Credits allowed (in the period).</param>
        /// <param name="period">None for a run's budget.</param>
        /// <param name="name">How messages name it, e.g. "-MaxCredits 50".</param>
        /// <param name="keptIn">"Run" or "Process".</param>
        /// <param name="time">The clock of the period (tests pass a fake one).</param>
        public LocalCreditBudget(long limit, BudgetPeriod period, string name, string keptIn, TimeProvider? time = null)
        {
            if (limit < 0) throw new ArgumentOutOfRangeException(nameof(limit), "A budget cannot be negative.");
            _limit = limit;
            Period = period;
            _name = name;
            _keptIn = keptIn;
            _time = time ?? TimeProvider.System;
            _periodStart = period == BudgetPeriod.None ? (DateTimeOffset?)null : BudgetPeriods.Start(period, _time.GetUtcNow());
        }

        public BudgetPeriod Period { get; }

        /// <summary>The limit; lowering it (the lowest of several connects wins) takes effect for the next reservation.</summary>
        public long Limit
        {
            get { lock (_lock) return _limit; }
            set { lock (_lock) _limit = value; }
        }

        public override bool IsSpent
        {
            get
            {
                lock (_lock)
                {
                    Roll();
                    return _spent + _reserved >= _limit && _reserved == 0;
                }
            }
        }

        public override async ValueTask<BudgetAnswer> ReserveAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                Task wait;
                lock (_lock)
                {
                    Roll();
                    if (_spent + _reserved < _limit)
                    {
                        _reserved++;
                        _reservations++;
                        return BudgetAnswer.Grant(new Reservation(this));
                    }
                    if (_reserved == 0)
                    {
                        return BudgetAnswer.Refuse(BudgetRefusal.Spent, $"the credit budget ({_name}) is spent: {_spent} of {_limit} credit(s) used" + PeriodText());
                    }
                    wait = _settled.Task; // a call of ours may give its credit back
                }
                cancellationToken.ThrowIfCancellationRequested();
                var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (cancellationToken.Register(() => cancelled.TrySetCanceled()))
                {
                    await Task.WhenAny(wait, cancelled.Task).ConfigureAwait(false);
                }
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        public override BudgetSnapshot Snapshot()
        {
            lock (_lock)
            {
                Roll();
                return new BudgetSnapshot
                {
                    Name = _name, Period = Period, PeriodStart = _periodStart, Limit = _limit, Spent = _spent, Reserved = _reserved,
                    KeptIn = _keptIn, Reservations = _reservations, Released = _released,
                };
            }
        }

        private void Settle(CreditSettlement settlement)
        {
            TaskCompletionSource<bool> signal;
            lock (_lock)
            {
                Roll();
                _reserved--;
                if (settlement == CreditSettlement.NotCharged) _released++;
                else _spent++;
                signal = _settled;
                _settled = NewSignal();
            }
            signal.TrySetResult(true);
        }

        /// <summary>A new period starts from nothing spent (under the lock).</summary>
        private void Roll()
        {
            if (_periodStart == null) return;
            var start = BudgetPeriods.Start(Period, _time.GetUtcNow());
            if (start != _periodStart.Value)
            {
                _periodStart = start;
                _spent = 0;
            }
        }

        private string PeriodText() => _periodStart == null ? string.Empty : $" this {BudgetPeriods.Noun(Period)} (since {_periodStart.Value:yyyy-MM-dd HH:mm} UTC)";

        private static TaskCompletionSource<bool> NewSignal() => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        private sealed class Reservation : CreditReservation
        {
            private readonly LocalCreditBudget _owner;
            public Reservation(LocalCreditBudget owner) { _owner = owner; }
            protected override void OnSettle(CreditSettlement settlement) => _owner.Settle(settlement);
        }
    }

    /// <summary>UTC calendar periods: the day from 00:00 UTC, the ISO week from Monday 00:00 UTC, the month from the 1st.</summary>
    internal static class BudgetPeriods
    {
        public static DateTimeOffset Start(BudgetPeriod period, DateTimeOffset now)
        {
            var utc = now.ToUniversalTime();
            var day = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
            switch (period)
            {
                case BudgetPeriod.Day: return day;
                case BudgetPeriod.Week: return day.AddDays(-(((int)day.DayOfWeek + 6) % 7)); // back to Monday
                case BudgetPeriod.Month: return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
                default: throw new ArgumentOutOfRangeException(nameof(period), period, "A run's budget has no period.");
            }
        }

        public static DateTimeOffset End(BudgetPeriod period, DateTimeOffset now)
        {
            var start = Start(period, now);
            return period == BudgetPeriod.Day ? start.AddDays(1) : period == BudgetPeriod.Week ? start.AddDays(7) : start.AddMonths(1);
        }

        /// <summary>"day", "week", "month".</summary>
        public static string Noun(BudgetPeriod period) => period.ToString().ToLowerInvariant();

        /// <summary>"daily", "weekly", "monthly".</summary>
        public static string Adjective(BudgetPeriod period) => period == BudgetPeriod.Day ? "daily" : period == BudgetPeriod.Week ? "weekly" : "monthly";
    }

    /// <summary>Several budgets at once (the run's -MaxCredits and the connection's budget): a credit is reserved from
    /// each, in order, or from none.</summary>
    internal sealed class CompositeCreditBudget : CreditBudget
    {
        private readonly CreditBudget[] _budgets;

        public CompositeCreditBudget(params CreditBudget[] budgets) { _budgets = budgets; }

        /// <summary>One budget, the composite of several, or null for none.</summary>
        public static CreditBudget? Of(params CreditBudget?[] budgets)
        {
            var present = Array.FindAll(budgets, b => b != null);
            return present.Length == 0 ? null : present.Length == 1 ? present[0] : new CompositeCreditBudget(present!);
        }

        public override bool IsSpent => Array.Exists(_budgets, b => b.IsSpent);

        public override async ValueTask<BudgetAnswer> ReserveAsync(CancellationToken cancellationToken)
        {
            var held = new CreditReservation[_budgets.Length];
            int n = 0;
            try
            {
                foreach (var budget in _budgets)
                {
                    var answer = await budget.ReserveAsync(cancellationToken).ConfigureAwait(false);
                    if (!answer.Granted)
                    {
                        for (int i = 0; i < n; i++) held[i].Settle(CreditSettlement.NotCharged);
                        n = 0;
                        return answer;
                    }
                    held[n++] = answer.Reservation!;
                }
                var all = new CreditReservation[n];
                Array.Copy(held, all, n);
                n = 0;
                return BudgetAnswer.Grant(new Reservations(all));
            }
            finally
            {
                for (int i = 0; i < n; i++) held[i].Settle(CreditSettlement.NotCharged); // cancelled or failed midway
            }
        }

        /// <summary>The first budget's snapshot (the composite is not shown as such).</summary>
        public override BudgetSnapshot Snapshot() => _budgets[0].Snapshot();

        /// <summary>The message of the first budget that is spent.</summary>
        public override string SpentMessage() => (Array.Find(_budgets, b => b.IsSpent) ?? _budgets[0]).SpentMessage();

        private sealed class Reservations : CreditReservation
        {
            private readonly CreditReservation[] _all;
            public Reservations(CreditReservation[] all) { _all = all; }
            protected override void OnSettle(CreditSettlement settlement) { foreach (var r in _all) r.Settle(settlement); }
        }
    }
}
