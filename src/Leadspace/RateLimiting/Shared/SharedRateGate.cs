using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Leadspace.RateLimiting.Shared
{
    /// <summary>Timings of a <see cref="SharedRateGate"/>; the defaults are the documented behaviour.</summary>
    internal sealed class SharedRateGateOptions
    {
        /// <summary>Added to the one-second window, as in the local gate; it also absorbs differences between the
        /// hosts' round trips to the store.</summary>
        public TimeSpan Guard { get; set; } = TimeSpan.FromMilliseconds(25);
        /// <summary>A cold call's grant is recorded this much later (see <see cref="RateGate.ColdStartGuard"/>).</summary>
        public TimeSpan ColdStartGuard { get; set; } = TimeSpan.FromMilliseconds(100);
        /// <summary>A grant is sent within this long after its reserved time (at least three store round trips), or
        /// given back and reserved again: the store records each grant at its latest possible send time.</summary>
        public TimeSpan SendWindow { get; set; } = TimeSpan.FromMilliseconds(15);
        /// <summary>A store that has not answered a grant within this long counts as down.</summary>
        public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(1);
        /// <summary>The store never reserves a grant further ahead than this.</summary>
        public TimeSpan MaxLead { get; set; } = TimeSpan.FromSeconds(1);
        /// <summary>While falling back, the store is tried again this often.</summary>
        public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);
        /// <summary>After the store answers again, grants pass both the store and the local fallback gate for this
        /// long, so processes that rejoin a little later never add their local grants to a full store window.</summary>
        public TimeSpan RejoinPeriod { get; set; } = TimeSpan.FromSeconds(5);
        /// <summary>A grant reserved further ahead than this is refused (the store never reserves beyond
        /// <see cref="MaxLead"/>): the gate gives it back and falls back to its local gate.</summary>
        public TimeSpan MaxGrantWait { get; set; } = TimeSpan.FromSeconds(3);
        /// <summary>A call the store keeps waiting longer than this (paused, or always full) falls back to the local
        /// gate. Longer than the longest pause a 429 can set (-RetryMaxDelaySec, 30 s by default; a longer one given
        /// to <see cref="SharedRateGate.Penalize"/> raises it).</summary>
        public TimeSpan MaxStoreWait { get; set; } = TimeSpan.FromSeconds(60);
        /// <summary>After the store misbehaved (a grant too far ahead, a wait beyond <see cref="MaxStoreWait"/>) it is
        /// tried again only after this long, so a broken store costs a run little.</summary>
        public TimeSpan MisbehaviourHoldOff { get; set; } = TimeSpan.FromMinutes(1);
    }

    /// <summary>
    /// The rate gate of a program shared by every process and host that points at the same rate limit store.
    /// Each grant is one atomic step on the store (<see cref="IRateLimitStore.ReserveAsync"/>): the store, on its own
    /// clock, reserves the earliest moment that keeps at most floor(limit) grants in any window of one second plus the
    /// guard and paces grants evenly; this process waits until then. One reservation per process is outstanding at a
    /// time (a turnstile), so the cold-start probe is asked right before the call leaves.
    /// <para>
    /// When the store does not answer (down, or slower than <see cref="SharedRateGateOptions.StoreTimeout"/>), the gate
    /// falls back to a local <see cref="RateGate"/> at the configured rate divided by the number of processes that took
    /// grants in the last minute (so the fleet stays within the limit when every process falls back), after a quiet
    /// period of one window plus the longest reservation lead (so no window mixes store grants with local ones). It
    /// warns once (no more than once a minute if the store keeps coming and going), tries the store again every <see cref="SharedRateGateOptions.ProbeInterval"/>, and rejoins it.
    /// </para>
    /// <para>
    /// The store is never trusted to keep this process's rate: every grant, in every mode, also passes a local
    /// <see cref="RateGate"/> at the connection's own configured rate (the ceiling), taken at the moment the call is
    /// released, so a broken or hostile store (or another process asking for more) can never make this process send
    /// faster than its -RequestsPerSecond. A grant reserved further ahead than <see cref="SharedRateGateOptions.MaxGrantWait"/>,
    /// or a call kept waiting longer than <see cref="SharedRateGateOptions.MaxStoreWait"/> (a "paused" or always-full
    /// store), falls back to the local gate: no answer of the store can hang a run.
    /// </para>
    /// </summary>
    internal sealed class SharedRateGate : IRateGate
    {
        private enum Mode { Shared, Fallback, Rejoining }

        private readonly double TicksPerSecond;
        private static long _memberCounter;
        private readonly IRateLimitStore _store;
        private readonly SharedRateGateOptions _options;
        private readonly TimeProvider _time;
        private readonly Action? _onDispose;
        private readonly SemaphoreSlim _turnstile = new SemaphoreSlim(1, 1);
        private readonly object _lock = new object();
        private readonly List<GateNotice> _notices = new List<GateNotice>();
        private readonly double[] _roundTrips = new double[256];
        private long _roundTripCount;
        private long _noticeSequence;
        private double _rate;
        private Mode _mode = Mode.Shared;
        private RateGate? _fallback;
        private readonly RateGate _ceiling;
        private TimeSpan _stallLimit;
        private double _storeLimit;
        private long _quietUntil, _rejoinUntil, _nextProbe, _lastWarning;
        private Task? _probe;
        private int _processes;
        private bool _reservedOnce;
        private double _factor = 1.0;
        private int _permits;
        private int _fallbacks;
        private string? _lastError;
        private long _granted;
        private long _lateGrants;
        private int _queued;
        private volatile bool _disposed;

        public SharedRateGate(IRateLimitStore store, string programKey, double requestsPerSecond, SharedRateGateOptions? options = null,
            int knownProcesses = 1, TimeProvider? time = null, Action? onDispose = null)
        {
            _store = store ?? throw new ArgumentNullException(nameof(store));
            ProgramKey = programKey;
            _options = options ?? new SharedRateGateOptions();
            _time = time ?? TimeProvider.System;
            TicksPerSecond = _time.TimestampFrequency;
            _onDispose = onDispose;
            _processes = Math.Max(1, knownProcesses);
            ProcessId = Environment.MachineName + ":" + Process.GetCurrentProcess().Id.ToString(CultureInfo.InvariantCulture) + ":" + Guid.NewGuid().ToString("N").Substring(0, 8);
            _ceiling = new RateGate(requestsPerSecond, _options.Guard, _time) { ColdStartGuard = _options.ColdStartGuard };
            _stallLimit = _options.MaxStoreWait;
            SetRate(requestsPerSecond);
            _permits = (int)Math.Max(1, Math.Floor(requestsPerSecond));
        }

        /// <summary>The store key prefix of the program.</summary>
        public string ProgramKey { get; }

        /// <summary>How this process appears among the store's "processes in the last minute".</summary>
        public string ProcessId { get; }

        /// <summary>The store connection (the program's credit budget kept in the store uses it too).</summary>
        internal IRateLimitStore Store => _store;

        /// <summary>A notice of the program's credit budget kept in the store, shown by runs like the gate's own.</summary>
        internal void Notify(bool warning, string message)
        {
            lock (_lock) AddNotice(warning, message);
        }

        /// <summary>The unredacted configuration it was created with (to tell two stores apart; never shown).</summary>
        internal string? StoreConfiguration { get; set; }

        public TimeSpan Window => TimeSpan.FromSeconds(1) + _options.Guard;

        public double RequestsPerSecond { get { lock (_lock) return _rate; } }

        public double EffectiveRequestsPerSecond
        {
            get
            {
                lock (_lock) return _mode == Mode.Fallback && _fallback != null ? _fallback.EffectiveRequestsPerSecond : SharedRate * _factor;
            }
        }

        public long TotalGranted => Interlocked.Read(ref _granted);
        public int Queued => Volatile.Read(ref _queued);

        /// <summary>Shared, Fallback or Rejoining.</summary>
        public string State { get { lock (_lock) return CurrentMode(_time.GetTimestamp()).ToString(); } }

        public void SetRate(double requestsPerSecond)
        {
            if (!(requestsPerSecond > 0) || double.IsInfinity(requestsPerSecond)) throw new ArgumentOutOfRangeException(nameof(requestsPerSecond), "The rate must be a positive number of calls per second.");
            lock (_lock)
            {
                _rate = requestsPerSecond;
                _ceiling.SetRate(requestsPerSecond);
                _fallback?.SetRate(FallbackRate);
            }
        }

        /// <summary>The program's rate through the store: the lower of this connection's and the store's (the lowest any
        /// process asked for). Must hold the lock.</summary>
        private double SharedRate => _storeLimit > 0 && _storeLimit < _rate ? _storeLimit : _rate;

        /// <summary>The local rate used while the store does not answer: the limit shared by the processes seen.</summary>
        private double FallbackRate => _rate / Math.Max(1, _processes);

        public async Task WaitAsync(CancellationToken cancellationToken, Func<bool>? coldProbe = null)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(SharedRateGate));
            Interlocked.Increment(ref _queued);
            try
            {
                await _turnstile.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    // The probe has side effects in the client: ask it once, whatever path the grant takes.
                    bool? cold = null;
                    bool Cold() => cold ??= coldProbe != null && coldProbe();
                    bool localBoundPassed = false;
                    long asked = _time.GetTimestamp();
                    while (true)
                    {
                        Mode mode;
                        RateGate? fallback;
                        long quietUntil;
                        lock (_lock)
                        {
                            mode = CurrentMode(_time.GetTimestamp());
                            fallback = _fallback;
                            quietUntil = _quietUntil;
                        }
                        if (mode == Mode.Fallback)
                        {
                            await DelayUntil(quietUntil, cancellationToken).ConfigureAwait(false);
                            await fallback!.WaitAsync(cancellationToken, () => Cold()).ConfigureAwait(false);
                            await _ceiling.WaitAsync(cancellationToken, () => Cold()).ConfigureAwait(false);
                            break;
                        }
                        if (mode == Mode.Rejoining && !localBoundPassed)
                        {
                            await fallback!.WaitAsync(cancellationToken).ConfigureAwait(false);
                            localBoundPassed = true;
                        }
                        // The ceiling first (without taking it), then the store's grant and its wait, then the ceiling's
                        // grant at the moment of release: it is free at once, since only this turnstile's holder takes it.
                        await _ceiling.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
                        if (await TryStoreGrantAsync(Cold(), cancellationToken).ConfigureAwait(false))
                        {
                            await _ceiling.WaitAsync(cancellationToken, () => Cold()).ConfigureAwait(false);
                            break;
                        }
                        TimeSpan stall;
                        lock (_lock) stall = _stallLimit;
                        if (_time.GetTimestamp() - asked > Ticks(stall))
                        {
                            EnterFallback(new RateLimitStoreException(RateLimitStoreFailure.Unsupported,
                                $"it kept this call waiting for more than {stall.TotalSeconds:0.#} s (paused or full)"), misbehaved: true);
                        }
                    }
                    Interlocked.Increment(ref _granted);
                }
                finally
                {
                    _turnstile.Release();
                }
            }
            finally
            {
                Interlocked.Decrement(ref _queued);
            }
        }

        /// <summary>One reservation on the store, then the wait until it. False: ask again (told to, or fell back).</summary>
        private async Task<bool> TryStoreGrantAsync(bool cold, CancellationToken cancellationToken)
        {
            var member = ProcessId + ":" + Interlocked.Increment(ref _memberCounter).ToString(CultureInfo.InvariantCulture);
            StoreReservationRequest request;
            lock (_lock)
            {
                request = new StoreReservationRequest
                {
                    ProgramKey = ProgramKey,
                    RequestsPerSecond = _rate,
                    Window = Window,
                    ColdDelay = cold ? _options.ColdStartGuard : TimeSpan.Zero,
                    Member = member,
                    ProcessId = ProcessId,
                    MaxLead = _options.MaxLead,
                    SendWindow = SendWindow(),
                };
            }
            long started = _time.GetTimestamp();
            StoreReservation reservation;
            try
            {
                reservation = await WithStoreTimeout(Call(() => _store.ReserveAsync(request)), cancellationToken,
                    late => { if (late.Granted) ReleaseQuietly(member); }).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                EnterFallback(ex);
                return false;
            }

            RecordRoundTrip(_time.GetTimestamp() - started);
            TimeSpan stallLimit;
            lock (_lock)
            {
                _processes = Math.Max(1, reservation.Processes);
                _factor = reservation.Factor;
                if (reservation.Limit > 0) _storeLimit = reservation.Limit;
                _reservedOnce = true;
                stallLimit = _stallLimit;
            }
            if (reservation.Granted && reservation.Wait > _options.MaxGrantWait)
            {
                ReleaseQuietly(member);
                EnterFallback(new RateLimitStoreException(RateLimitStoreFailure.Unsupported,
                    $"it reserved a grant {reservation.Wait.TotalSeconds:0.#} s ahead, beyond the {_options.MaxGrantWait.TotalSeconds:0.#} s allowed"), misbehaved: true);
                return false;
            }
            if (!reservation.Granted && reservation.Wait > stallLimit)
            {
                EnterFallback(new RateLimitStoreException(RateLimitStoreFailure.Unsupported,
                    $"it asked this call to wait {reservation.Wait.TotalSeconds:0.#} s, beyond the {stallLimit.TotalSeconds:0.#} s allowed"), misbehaved: true);
                return false;
            }
            if (!reservation.Granted)
            {
                var again = reservation.Wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : reservation.Wait > _options.MaxLead ? _options.MaxLead : reservation.Wait;
                await _time.Delay(again, cancellationToken).ConfigureAwait(false);
                return false;
            }
            if (reservation.Wait > TimeSpan.Zero)
            {
                try
                {
                    await _time.Delay(reservation.Wait, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    ReleaseQuietly(member); // a cancelled waiter leaves no reservation behind
                    throw;
                }
            }
            // The store recorded this grant at reserved + send window. The reserved time, on this host's clock, is no
            // earlier than when the request left plus the wait: past that plus the window, sending could put this call
            // within one window of a later grant of another process. Give it back and reserve again.
            if (_time.GetTimestamp() - started > Ticks(reservation.Wait + request.SendWindow))
            {
                Interlocked.Increment(ref _lateGrants);
                ReleaseQuietly(member);
                return false;
            }
            return true;
        }

        private async Task DelayUntil(long until, CancellationToken cancellationToken)
        {
            long now = _time.GetTimestamp();
            if (until > now) await _time.Delay(TimeSpan.FromSeconds((until - now) / TicksPerSecond), cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Must hold the lock. Ends the rejoin period; in fallback, starts a probe of the store when due.</summary>
        private Mode CurrentMode(long now)
        {
            if (_mode == Mode.Rejoining && now >= _rejoinUntil)
            {
                _mode = Mode.Shared;
                _fallback = null; // not disposed: a waiter may still be finishing its wait in it
            }
            if (_mode == Mode.Fallback && _probe == null && now >= _nextProbe && !_disposed)
            {
                var probe = ProbeAsync();
                if (!probe.IsCompleted) _probe = probe;
            }
            return _mode;
        }

        private async Task ProbeAsync()
        {
            bool answered;
            try
            {
                await WithStoreTimeout(PingAsBool(), CancellationToken.None).ConfigureAwait(false);
                answered = true;
            }
            catch (Exception)
            {
                answered = false;
            }
            lock (_lock)
            {
                _probe = null;
                long now = _time.GetTimestamp();
                if (_disposed || _mode != Mode.Fallback) return;
                if (!answered)
                {
                    _nextProbe = now + Ticks(_options.ProbeInterval);
                    return;
                }
                _mode = Mode.Rejoining;
                _rejoinUntil = now + Ticks(_options.RejoinPeriod);
                AddNotice(false, $"The rate limit store {_store.Description} answers again: this process shares the program's rate through it again (for the next {_options.RejoinPeriod.TotalSeconds:0.#} s also within its fallback rate of {FallbackRate:0.##} calls/s).");
            }
        }

        private async Task<bool> PingAsBool()
        {
            await Call(() => _store.PingAsync()).ConfigureAwait(false);
            return true;
        }

        private void EnterFallback(Exception ex, bool misbehaved = false)
        {
            lock (_lock)
            {
                if (_mode == Mode.Fallback) return;
                long now = _time.GetTimestamp();
                _fallback = new RateGate(FallbackRate, _options.Guard, _time) { ColdStartGuard = _options.ColdStartGuard };
                var quiet = Window + _options.MaxLead + SendWindow();
                _quietUntil = now + Ticks(quiet);
                _nextProbe = now + Ticks(misbehaved && _options.MisbehaviourHoldOff > _options.ProbeInterval ? _options.MisbehaviourHoldOff : _options.ProbeInterval);
                _mode = Mode.Fallback;
                _fallbacks++;
                _lastError = Reason(ex);
                // One warning per outage, and no more than one a minute if the store keeps coming and going.
                bool warn = _lastWarning == 0 || now - _lastWarning > Ticks(TimeSpan.FromMinutes(1));
                if (warn) _lastWarning = now;
                AddNotice(warn, $"The rate limit store {_store.Description} " + (misbehaved ? "misbehaved" : "did not answer") + $" ({_lastError}). This process goes on with its own rate gate at {FallbackRate:0.##} calls/s "
                    + $"(the program's {_rate:0.##}/s shared by the {Math.Max(1, _processes)} process(es) that used the store in the last minute) after a pause of {quiet.TotalSeconds:0.##} s, and rejoins the store when it answers again.");
            }
        }

        private string Reason(Exception ex)
        {
            if (ex is TimeoutException) return $"no answer within {_options.StoreTimeout.TotalMilliseconds:0} ms";
            if (ex is RateLimitStoreException) return ex.Message;
            return ex.GetType().Name; // the store wraps its failures; anything else is described by its type only
        }

        public void Penalize(TimeSpan? retryAfter, TimeSpan? maxPause = null)
        {
            var cap = maxPause ?? TimeSpan.FromSeconds(30);
            Mode mode;
            // A pause this process asks for must never count as a stalled store.
            lock (_lock) if (cap + TimeSpan.FromSeconds(5) > _stallLimit) _stallLimit = cap + TimeSpan.FromSeconds(5);
            RateGate? fallback;
            lock (_lock)
            {
                mode = CurrentMode(_time.GetTimestamp());
                fallback = _fallback;
            }
            fallback?.Penalize(retryAfter, cap);
            if (mode == Mode.Fallback) return;
            // Sent at once, before this process's next reservation (same connection, so the store sees it first).
            var penalty = Call(() => _store.PenalizeAsync(ProgramKey, retryAfter, cap));
            penalty.ContinueWith(t =>
            {
                if (t.Status == TaskStatus.RanToCompletion) { lock (_lock) _factor = t.Result.Factor; }
                else _ = t.Exception; // the next reservation finds out whether the store is down
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        public RateGateSnapshot Snapshot()
        {
            Mode mode;
            RateGate? fallback;
            lock (_lock)
            {
                mode = CurrentMode(_time.GetTimestamp());
                fallback = _fallback;
            }
            string? error = null;
            if (mode != Mode.Fallback)
            {
                try
                {
                    var status = WithStoreTimeout(Call(() => _store.GetStatusAsync(ProgramKey, Window)), CancellationToken.None).GetAwaiter().GetResult();
                    lock (_lock)
                    {
                        // The store counts processes that reserved in the last minute; until this one has, add it.
                        _processes = Math.Max(1, _reservedOnce ? status.Processes : status.Processes + 1);
                        _factor = status.Factor;
                        if (status.Limit > 0) _storeLimit = status.Limit;
                        _permits = Math.Max(0, (int)Math.Max(1, Math.Floor(_rate)) - status.GrantsInWindow);
                    }
                }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    error = Reason(ex);
                }
            }
            lock (_lock)
            {
                return new RateGateSnapshot
                {
                    Kind = RateGateSnapshot.SharedKind,
                    State = mode.ToString(),
                    Store = _store.Description,
                    EffectiveRate = mode == Mode.Fallback && fallback != null ? fallback.EffectiveRequestsPerSecond : SharedRate * _factor,
                    PermitsAvailable = mode == Mode.Fallback && fallback != null ? fallback.AvailablePermits : _permits,
                    Processes = _processes,
                    StoreRoundTripMs = MeanRoundTripMs(),
                    Fallbacks = _fallbacks,
                    FallbackRate = FallbackRate,
                    LastStoreError = error ?? _lastError,
                };
            }
        }

        public IReadOnlyList<GateNotice> NoticesAfter(ref long cursor)
        {
            lock (_lock)
            {
                long from = cursor;
                var list = _notices.Where(n => n.Sequence > from).ToList();
                if (list.Count > 0) cursor = list[list.Count - 1].Sequence;
                return list;
            }
        }

        public long LatestNotice { get { lock (_lock) return _noticeSequence; } }

        private void AddNotice(bool warning, string message)
        {
            _notices.Add(new GateNotice(++_noticeSequence, warning, message));
            if (_notices.Count > 16) _notices.RemoveAt(0);
        }

        private void RecordRoundTrip(long ticks)
        {
            long i = Interlocked.Increment(ref _roundTripCount) - 1;
            Volatile.Write(ref _roundTrips[i % _roundTrips.Length], ticks * 1000.0 / TicksPerSecond);
        }

        private double? MeanRoundTripMs()
        {
            long n = Math.Min(Interlocked.Read(ref _roundTripCount), _roundTrips.Length);
            if (n == 0) return null;
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Volatile.Read(ref _roundTrips[i]);
            return Math.Round(sum / n, 3);
        }

        private void ReleaseQuietly(string member)
        {
            try
            {
                Call(() => _store.ReleaseAsync(ProgramKey, member)).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            }
            catch (Exception) { }
        }

        private static Task<T> Call<T>(Func<Task<T>> call) => StoreCalls.Call(call);

        private static Task Call(Func<Task> call) => StoreCalls.Call(call);

        /// <summary>The store's answer, or a TimeoutException after <see cref="SharedRateGateOptions.StoreTimeout"/>
        /// (an answer arriving later is handed to <paramref name="whenLate"/>).</summary>
        private Task<T> WithStoreTimeout<T>(Task<T> operation, CancellationToken cancellationToken, Action<T>? whenLate = null)
            => StoreCalls.WithTimeout(operation, _options.StoreTimeout, _time, cancellationToken, whenLate);

        /// <summary>Grants given back because this process woke up after their send window (a loaded machine).</summary>
        public long LateGrants => Interlocked.Read(ref _lateGrants);

        /// <summary>The send window: the configured one, or three mean store round trips when that is longer (a
        /// grant's reply must arrive, and the wait end, within it).</summary>
        private TimeSpan SendWindow()
        {
            var mean = MeanRoundTripMs();
            var rtt = TimeSpan.FromMilliseconds(3 * (mean ?? 0));
            var window = rtt > _options.SendWindow ? rtt : _options.SendWindow;
            return window > TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : window;
        }

        private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * TicksPerSecond);

        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed) return;
                _disposed = true;
                _ceiling.Dispose();
                _fallback?.Dispose();
                _fallback = null;
            }
            _onDispose?.Invoke();
        }

        public override string ToString() => $"Shared rate gate through {_store.Description} ({State})";
    }
}
