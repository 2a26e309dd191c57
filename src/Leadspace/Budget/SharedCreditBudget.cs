using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.RateLimiting.Shared;

namespace Leadspace.Budget
{
    /// <summary>Timings of a <see cref="SharedCreditBudget"/>; the defaults are the documented behaviour.</summary>
    internal sealed class SharedCreditBudgetOptions
    {
        /// <summary>A store that has not answered a budget operation within this long counts as unreachable.</summary>
        public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(1);
        /// <summary>After the store failed, reservations are refused at once, and the store is tried again this often.</summary>
        public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);
        /// <summary>A store's "spent" answer is trusted by <see cref="CreditBudget.IsSpent"/> for this long.</summary>
        public TimeSpan SpentCacheTime { get; set; } = TimeSpan.FromSeconds(1);
        /// <summary>Tests only: the period as the store reads it ("Seconds:n", "Day@offset"); null = the budget's period.</summary>
        public string? StorePeriod { get; set; }
    }

    /// <summary>
    /// The program's credit budget kept in the rate limit store (Connect-Leadspace -CreditBudget with -RateLimitStore):
    /// shared by every process and machine of the program. Each reservation and each settlement is one atomic script on
    /// the store, on the store's clock (the period is computed there). The store keeps the lowest budget any process asked
    /// for and applies it to every process.
    /// <para>
    /// At the limit, a reservation waits for this process's own calls in flight (one may give its credit back), never for
    /// other processes' reservations (their process may have died: a reservation of a killed process stays spent).
    /// </para>
    /// <para>
    /// Store down: nothing more is spent. A reservation the store does not answer is refused
    /// (<see cref="BudgetRefusal.Unavailable"/>), the process warns once, and for <see cref="SharedCreditBudgetOptions.RetryInterval"/>
    /// every further reservation is refused at once without asking the store; then one reservation tries it again, and
    /// spending resumes when it answers. Settlements the store did not take are kept and sent again (they are idempotent):
    /// until then their credits count as reserved, so the budget is never exceeded because the store went away.
    /// </para>
    /// </summary>
    internal sealed class SharedCreditBudget : CreditBudget
    {
        private static long _counter;
        private readonly IRateLimitStore _store;
        private readonly string _programKey;
        private readonly string _storePeriod;
        private readonly SharedCreditBudgetOptions _options;
        private readonly TimeProvider _time;
        private readonly Action<bool, string>? _notify;
        private readonly string _id;
        private readonly object _lock = new object();
        private readonly List<(string Id, bool Charged)> _unsent = new List<(string, bool)>();
        private TaskCompletionSource<bool> _settled = NewSignal();
        private long _asked;
        private int _inFlight;
        private long _reservations, _released;
        private StoreStatus? _last;
        private long _spentAt = long.MinValue;
        private bool _down;
        private long _retryAt;
        private bool _probing;
        private string? _lastError;
        private bool _warned;

        /// <param name="store">The program's store connection (the shared rate gate's).</param>
        /// <param name="programKey">The program's key prefix in the store.</param>
        /// <param name="limit">This process's budget (the lowest of its connections').</param>
        /// <param name="period">Day, Week or Month (UTC calendar periods on the store's clock).</param>
        /// <param name="options">Timings (tests shorten them and the period).</param>
        /// <param name="time">The clock of the retry interval (tests pass a fake one).</param>
        /// <param name="notify">Tells the user (warning or verbose): the store stopped answering, answers again.</param>
        public SharedCreditBudget(IRateLimitStore store, string programKey, long limit, BudgetPeriod period, SharedCreditBudgetOptions? options = null,
            Action<bool, string>? notify = null, TimeProvider? time = null)
        {
            if (period == BudgetPeriod.None) throw new ArgumentOutOfRangeException(nameof(period), "A program's budget has a period.");
            _store = store ?? throw new ArgumentNullException(nameof(store));
            _programKey = programKey;
            Period = period;
            _options = options ?? new SharedCreditBudgetOptions();
            _storePeriod = _options.StorePeriod ?? period.ToString();
            _time = time ?? TimeProvider.System;
            _notify = notify;
            _asked = limit;
            _id = Guid.NewGuid().ToString("N").Substring(0, 12);
        }

        public BudgetPeriod Period { get; }

        /// <summary>This process's budget (the lowest its connections asked for); the store applies the lowest of all processes'.</summary>
        public long AskedLimit
        {
            get { lock (_lock) return _asked; }
            set { lock (_lock) _asked = value; }
        }

        /// <summary>The store's answer that the budget is spent, trusted briefly, with nothing of this process in flight.</summary>
        public override bool IsSpent
        {
            get
            {
                lock (_lock)
                {
                    return _inFlight == 0 && _spentAt != long.MinValue
                        && _time.GetElapsedTime(_spentAt) < _options.SpentCacheTime;
                }
            }
        }

        /// <summary>Records this process's budget in the store (a connect) and returns the store's answer: the limit in
        /// force (the lowest asked for) and the one before.</summary>
        /// <exception cref="RateLimitStoreException">The store did not answer.</exception>
        public StoreStatus Register()
        {
            long asked;
            lock (_lock) asked = _asked;
            try
            {
                var status = WithTimeout(Call(() => _store.GetBudgetAsync(_programKey, _storePeriod, asked)), null).GetAwaiter().GetResult();
                lock (_lock) _last = status;
                return status;
            }
            catch (Exception ex) when (!(ex is RateLimitStoreException) && !(ex is OutOfMemoryException))
            {
                throw new RateLimitStoreException(RateLimitStoreFailure.Unreachable, $"The rate limit store {_store.Description} did not record the credit budget: {Reason(ex)}.");
            }
        }

        public override async ValueTask<BudgetAnswer> ReserveAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Task settled;
                long asked;
                lock (_lock)
                {
                    if (_down && (_probing || _time.GetTimestamp() < _retryAt)) return Unavailable();
                    if (_down) _probing = true; // this reservation tries the store again; the others are refused meanwhile
                    settled = _settled.Task; // taken before asking: a settlement meanwhile is not missed
                    asked = _asked;
                }
                var reservation = _id + ":" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
                StoreStatus answer;
                try
                {
                    answer = await WithTimeout(Call(() => _store.ReserveCreditAsync(_programKey, _storePeriod, asked, reservation)),
                        late => { if (late.BudgetGranted) SendSettlement(reservation, charged: false); }).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    Failed(ex);
                    return Unavailable();
                }
                Answered();
                lock (_lock)
                {
                    _last = answer;
                    if (answer.BudgetGranted)
                    {
                        _inFlight++;
                        _reservations++;
                        _spentAt = long.MinValue;
                        return BudgetAnswer.Grant(new Reservation(this, reservation));
                    }
                    if (_inFlight == 0 && _unsent.Count == 0)
                    {
                        _spentAt = _time.GetTimestamp();
                        return BudgetAnswer.Refuse(BudgetRefusal.Spent, SpentMessage(answer));
                    }
                }
                // A call of this process may give its credit back: wait for one to settle, then ask again.
                var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (cancellationToken.Register(() => cancelled.TrySetCanceled()))
                {
                    var retry = _time.Delay(_options.RetryInterval, cancellationToken);
                    await Task.WhenAny(settled, cancelled.Task, retry).ConfigureAwait(false);
                    _ = retry.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                }
            }
        }

        public override BudgetSnapshot Snapshot()
        {
            StoreStatus? status = null;
            bool down;
            long asked;
            lock (_lock) { down = _down; asked = _asked; }
            if (!down)
            {
                try { status = WithTimeout(Call(() => _store.GetBudgetAsync(_programKey, _storePeriod, -1)), null).GetAwaiter().GetResult(); }
                catch (Exception ex) when (!(ex is OutOfMemoryException)) { lock (_lock) _lastError = Reason(ex); }
            }
            lock (_lock)
            {
                if (status != null) _last = status;
                var s = _last;
                return new BudgetSnapshot
                {
                    Name = Name(s?.BudgetLimit >= 0 ? s.BudgetLimit : asked),
                    Period = Period,
                    PeriodStart = s == null ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeSeconds(s.BudgetPeriodStart),
                    Limit = s?.BudgetLimit >= 0 ? s.BudgetLimit : asked,
                    Spent = s?.BudgetSpent ?? 0,
                    Reserved = s?.BudgetReserved ?? 0,
                    KeptIn = "Store",
                    Reservations = _reservations,
                    Released = _released,
                };
            }
        }

        /// <summary>Why rows are not sent now, in words for a row's message or the run's terminating error: the store is
        /// unreachable, or the budget is spent (the store's latest figures).</summary>
        public override string SpentMessage() => RefusalMessage();

        /// <summary>The same as <see cref="SpentMessage()"/>.</summary>
        public string RefusalMessage()
        {
            bool down;
            lock (_lock) down = _down;
            if (down) return Unavailable().Message!;
            Snapshot(); // the store's figures now
            lock (_lock) return _last == null ? $"the credit budget ({Name(_asked)}) is spent" : SpentMessage(_last);
        }

        /// <summary>Why the store was last unusable (null when it answers).</summary>
        public string? LastError { get { lock (_lock) return _down ? _lastError : null; } }

        /// <summary>Settlements the store has not taken yet (sent again when it answers).</summary>
        internal int UnsentSettlements { get { lock (_lock) return _unsent.Count; } }

        private void Settle(string reservation, CreditSettlement settlement)
        {
            bool charged = settlement != CreditSettlement.NotCharged;
            lock (_lock) if (!charged) _released++;
            // The process's own waiters are told only once the store has the settlement (or could not take it): a waiter
            // asking again before would find the credit still reserved.
            SendSettlement(reservation, charged).ContinueWith(_ =>
            {
                TaskCompletionSource<bool> signal;
                lock (_lock)
                {
                    _inFlight--;
                    signal = _settled;
                    _settled = NewSignal();
                }
                signal.TrySetResult(true);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        /// <summary>Sends a settlement; one the store does not take is kept for later (settlements are idempotent).</summary>
        private Task SendSettlement(string reservation, bool charged)
        {
            return WithTimeout(Call(() => _store.SettleCreditAsync(_programKey, _storePeriod, reservation, charged)), null).ContinueWith(t =>
            {
                if (t.Status == TaskStatus.RanToCompletion)
                {
                    lock (_lock) _last = t.Result; // the latest figures, should a snapshot not reach the store
                    return;
                }
                _ = t.Exception;
                lock (_lock) _unsent.Add((reservation, charged));
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        private void Failed(Exception ex)
        {
            bool warn;
            string reason = Reason(ex);
            lock (_lock)
            {
                _probing = false;
                _retryAt = _time.GetTimestamp() + (long)(_options.RetryInterval.TotalSeconds * _time.TimestampFrequency);
                _lastError = reason;
                warn = !_down && !_warned;
                if (!_down) _down = true;
                if (warn) _warned = true;
            }
            if (warn)
            {
                _notify?.Invoke(true, $"The rate limit store {_store.Description} did not answer ({reason}): the program's {BudgetPeriods.Adjective(Period)} credit budget "
                    + "kept there cannot be checked, so this process spends no more credits (rows that need a call come out NotSent) until the store answers again; "
                    + $"it tries again every {_options.RetryInterval.TotalSeconds:0.#} s.");
            }
        }

        private void Answered()
        {
            List<(string Id, bool Charged)>? replay = null;
            bool was;
            lock (_lock)
            {
                was = _down;
                _down = false;
                _probing = false;
                if (_unsent.Count > 0) { replay = new List<(string, bool)>(_unsent); _unsent.Clear(); }
            }
            if (was) _notify?.Invoke(false, $"The rate limit store {_store.Description} answers again: the program's {BudgetPeriods.Adjective(Period)} credit budget is checked there again.");
            if (replay != null) foreach (var (id, charged) in replay) _ = SendSettlement(id, charged);
        }

        private BudgetAnswer Unavailable()
        {
            string? reason;
            lock (_lock) reason = _lastError;
            return BudgetAnswer.Refuse(BudgetRefusal.Unavailable,
                $"the rate limit store {_store.Description} is unreachable ({reason}), so the program's {BudgetPeriods.Adjective(Period)} credit budget cannot be checked and nothing more is spent");
        }

        private string SpentMessage(StoreStatus s)
            => $"the credit budget ({Name(s.BudgetLimit)}) is spent: {s.BudgetSpent} of {s.BudgetLimit} credit(s) used"
                + (s.BudgetReserved > 0 ? $" and {s.BudgetReserved} reserved by calls of other processes (or processes that stopped while calling)" : string.Empty)
                + $" this {BudgetPeriods.Noun(Period)} (since {DateTimeOffset.FromUnixTimeSeconds(s.BudgetPeriodStart):yyyy-MM-dd HH:mm} UTC), kept in the rate limit store";

        private string Name(long limit) => $"the program's {BudgetPeriods.Adjective(Period)} budget of {limit} credit(s)";

        private string Reason(Exception ex)
        {
            if (ex is TimeoutException) return $"no answer within {_options.StoreTimeout.TotalMilliseconds:0} ms";
            if (ex is RateLimitStoreException) return ex.Message;
            return ex.GetType().Name;
        }

        private static Task<T> Call<T>(Func<Task<T>> call) => StoreCalls.Call(call);

        /// <summary>The store's answer, or a TimeoutException after <see cref="SharedCreditBudgetOptions.StoreTimeout"/>
        /// (an answer arriving later is handed to <paramref name="whenLate"/>).</summary>
        private Task<StoreStatus> WithTimeout(Task<StoreStatus> operation, Action<StoreStatus>? whenLate)
            => StoreCalls.WithTimeout(operation, _options.StoreTimeout, _time, CancellationToken.None, whenLate);

        private static TaskCompletionSource<bool> NewSignal() => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        public override string ToString() => $"{Name(AskedLimit)} in the rate limit store {_store.Description}";

        private sealed class Reservation : CreditReservation
        {
            private readonly SharedCreditBudget _owner;
            private readonly string _id;
            public Reservation(SharedCreditBudget owner, string id) { _owner = owner; _id = id; }
            protected override void OnSettle(CreditSettlement settlement) => _owner.Settle(_id, settlement);
        }
    }
}
