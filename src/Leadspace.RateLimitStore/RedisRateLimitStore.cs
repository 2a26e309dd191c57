using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Leadspace.RateLimiting.Shared;
using StackExchange.Redis;

namespace Leadspace.RateLimitStore
{
    /// <summary>Opens <see cref="RedisRateLimitStore"/>s (created by reflection from Leadspace.dll).</summary>
    public sealed class RedisRateLimitStoreFactory : IRateLimitStoreFactory
    {
        public IRateLimitStore Connect(string configuration, string redacted, string? user, string? password) => RedisRateLimitStore.Connect(configuration, redacted, user, password);
    }

    /// <summary>
    /// The program's shared rate state in Redis (or Garnet): three keys per program, all under one Redis Cluster hash
    /// tag, each expiring by itself two minutes after its last use; and, with a credit budget, one record per program and
    /// kind of period (…:budget:day|week|month) that expires one period length after its current period ends. Every operation is one Lua script (Scripts/*.lua),
    /// run atomically and timed by the server's TIME. Commands used: EVAL/EVALSHA, TIME, HMGET, HSET (several fields),
    /// ZADD, ZCARD, ZCOUNT, ZRANGE … WITHSCORES, ZREMRANGEBYSCORE, ZREM, PEXPIRE, HGET, HDEL, PING — Redis 6.2+ and Garnet
    /// (--lua --lua-transaction-mode) both have them.
    /// </summary>
    public sealed class RedisRateLimitStore : IRateLimitStore
    {
        /// <summary>How long a program's keys live after their last use.</summary>
        public static readonly TimeSpan KeyLifetime = TimeSpan.FromMinutes(2);

        internal static readonly string ReserveScript = Script("state.lua") + "\n" + Script("reserve.lua");
        internal static readonly string PenalizeScript = Script("state.lua") + "\n" + Script("penalize.lua");
        internal static readonly string StatusScript = Script("state.lua") + "\n" + Script("status.lua");
        internal static readonly string BudgetReserveScript = Script("state.lua") + "\n" + Script("budget.lua") + "\n" + Script("budget_reserve.lua");
        internal static readonly string BudgetSettleScript = Script("state.lua") + "\n" + Script("budget.lua") + "\n" + Script("budget_settle.lua");
        internal static readonly string BudgetStatusScript = Script("state.lua") + "\n" + Script("budget.lua") + "\n" + Script("budget_status.lua");

        private readonly ConnectionMultiplexer _connection;
        private readonly IDatabase _db;
        private readonly string _configuration;
        private readonly string? _password;

        private RedisRateLimitStore(ConnectionMultiplexer connection, string configuration, string redacted, string? password)
        {
            _connection = connection;
            _db = connection.GetDatabase();
            _configuration = configuration;
            _password = password;
            Description = redacted;
        }

        public string Description { get; }

        /// <summary>Connects (failing at once on a wrong password or an unreachable store) and checks that the
        /// store runs Lua scripts with TIME.</summary>
        public static RedisRateLimitStore Connect(string configuration, string redacted, string? user = null, string? password = null)
        {
            string Brief(Exception ex) => RedisRateLimitStore.Brief(ex, configuration, password);
            ConfigurationOptions options;
            try
            {
                options = ConfigurationOptions.Parse(configuration);
            }
            catch (Exception ex) when (ex is ArgumentException || ex is FormatException)
            {
                throw new RateLimitStoreException(RateLimitStoreFailure.InvalidConfiguration,
                    $"'{redacted}' is not a valid StackExchange.Redis configuration string: {RateLimitStoreOption.Sanitize(ex.Message, configuration, password)}");
            }
            if (options.EndPoints.Count == 0)
            {
                throw new RateLimitStoreException(RateLimitStoreFailure.InvalidConfiguration, $"'{redacted}' names no host (expected e.g. 'redis01:6379,password=…').");
            }
            var given = configuration.Split(',').Select(p => p.Split('=')[0].Trim().ToLowerInvariant()).ToList();
            options.AbortOnConnectFail = true;                       // a clear error now rather than a silent retry loop
            options.BacklogPolicy = BacklogPolicy.FailFast;          // while disconnected, calls fail at once: the gate falls back
            options.ReconnectRetryPolicy = new LinearRetry(1000);    // and reconnects within about a second once the store is back
            if (!given.Contains("connectretry")) options.ConnectRetry = 1;
            if (!given.Contains("connecttimeout")) options.ConnectTimeout = 5000;
            if (!given.Contains("name")) options.ClientName = "Leadspace-PowerShell";
            if (!string.IsNullOrEmpty(user)) options.User = user;
            if (!string.IsNullOrEmpty(password)) options.Password = password;

            ConnectionMultiplexer connection;
            try
            {
                connection = ConnectionMultiplexer.Connect(options);
            }
            catch (RedisConnectionException ex)
            {
                var auth = ex.FailureType == ConnectionFailureType.AuthenticationFailure || LooksLikeAuth(ex);
                throw new RateLimitStoreException(auth ? RateLimitStoreFailure.AuthenticationFailed : RateLimitStoreFailure.Unreachable,
                    (auth ? $"The rate limit store {redacted} refused the password (or user)" : $"Could not connect to the rate limit store {redacted}")
                    + $": {Brief(ex)}");
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                throw new RateLimitStoreException(RateLimitStoreFailure.Unreachable, $"Could not connect to the rate limit store {redacted}: {Brief(ex)}");
            }

            try
            {
                // The gate needs Lua scripts that read the server's clock.
                var time = connection.GetDatabase().ScriptEvaluate("return redis.call('TIME')");
                if (time.IsNull || ((RedisResult[])time!).Length != 2) throw new InvalidDataException("TIME returned no seconds and microseconds.");
            }
            catch (RedisServerException ex) when (LooksLikeAuth(ex))
            {
                connection.Dispose();
                throw new RateLimitStoreException(RateLimitStoreFailure.AuthenticationFailed, $"The rate limit store {redacted} needs a password (or refused it): {Brief(ex)}");
            }
            catch (Exception ex) when (ex is RedisServerException || ex is InvalidDataException || ex is InvalidCastException)
            {
                connection.Dispose();
                throw new RateLimitStoreException(RateLimitStoreFailure.Unsupported,
                    $"The rate limit store {redacted} cannot run the gate's Lua scripts ({Brief(ex)}). It needs Redis 6.2 or newer, or Garnet started with --lua --lua-transaction-mode.");
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                connection.Dispose();
                throw new RateLimitStoreException(RateLimitStoreFailure.Unreachable, $"The rate limit store {redacted} did not answer: {Brief(ex)}");
            }
            return new RedisRateLimitStore(connection, configuration, redacted, password);
        }

        public async Task<StoreReservation> ReserveAsync(StoreReservationRequest request)
        {
            var result = await Run(ReserveScript, Keys(request.ProgramKey), new RedisValue[]
            {
                request.RequestsPerSecond.ToString("R", CultureInfo.InvariantCulture),
                Microseconds(request.Window),
                Microseconds(request.ColdDelay),
                request.Member,
                request.ProcessId,
                Microseconds(request.MaxLead),
                (long)KeyLifetime.TotalMilliseconds,
                Microseconds(request.SendWindow),
            }).ConfigureAwait(false);
            return new StoreReservation
            {
                Granted = (long)result[0] == 1,
                Wait = FromMicroseconds((long)result[1]),
                ReservedAtMicroseconds = (long)result[2],
                Processes = (int)(long)result[3],
                Factor = (long)result[4] / 1000.0,
                Limit = result.Length > 5 ? (long)result[5] / 1000.0 : 0,
            };
        }

        public async Task<StorePenalty> PenalizeAsync(string programKey, TimeSpan? retryAfter, TimeSpan maxPause)
        {
            var result = await Run(PenalizeScript, new RedisKey[] { programKey + ":state" }, new RedisValue[]
            {
                retryAfter.HasValue && retryAfter.Value > TimeSpan.Zero ? Microseconds(retryAfter.Value) : 0L,
                Microseconds(maxPause),
                (long)KeyLifetime.TotalMilliseconds,
            }).ConfigureAwait(false);
            return new StorePenalty
            {
                Factor = (long)result[0] / 1000.0,
                Paused = FromMicroseconds((long)result[1]),
                AtMicroseconds = (long)result[2],
            };
        }

        public async Task<StoreStatus> GetStatusAsync(string programKey, TimeSpan window)
        {
            var result = await Run(StatusScript, Keys(programKey), new RedisValue[] { Microseconds(window) }).ConfigureAwait(false);
            return new StoreStatus
            {
                GrantsInWindow = (int)(long)result[0],
                Processes = (int)(long)result[1],
                Factor = (long)result[2] / 1000.0,
                Paused = FromMicroseconds((long)result[3]),
                Limit = result.Length > 4 ? (long)result[4] / 1000.0 : 0,
            };
        }

        public async Task ReleaseAsync(string programKey, string member)
        {
            try
            {
                await _db.SortedSetRemoveAsync(programKey + ":grants", member).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException || ex is TimeoutException)
            {
                throw Failure(ex);
            }
        }

        public async Task PingAsync()
        {
            try
            {
                await _db.PingAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException || ex is TimeoutException)
            {
                throw Failure(ex);
            }
        }

        public async Task<StoreStatus> ReserveCreditAsync(string programKey, string period, long limit, string reservation)
            => Budget(await Run(BudgetReserveScript, BudgetKeys(programKey, period, out var kind, out var offset),
                new RedisValue[] { kind, offset, limit, reservation }).ConfigureAwait(false));

        public async Task<StoreStatus> SettleCreditAsync(string programKey, string period, string reservation, bool charged)
            => Budget(await Run(BudgetSettleScript, BudgetKeys(programKey, period, out var kind, out var offset),
                new RedisValue[] { kind, offset, reservation, charged ? 1 : 0 }).ConfigureAwait(false));

        public async Task<StoreStatus> GetBudgetAsync(string programKey, string period, long limit)
            => Budget(await Run(BudgetStatusScript, BudgetKeys(programKey, period, out var kind, out var offset),
                new RedisValue[] { kind, offset, limit }).ConfigureAwait(false));

        /// <summary>The budget record of a program for a kind of period, and the script's period arguments: "Day", "Week",
        /// "Month", or (tests) "Seconds:n", each optionally followed by "@s" (the store's clock shifted by s seconds).</summary>
        internal static RedisKey[] BudgetKeys(string programKey, string period, out string kind, out long offset)
        {
            var spec = period ?? string.Empty;
            offset = 0;
            int at = spec.IndexOf('@');
            if (at >= 0)
            {
                offset = long.Parse(spec.Substring(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                spec = spec.Substring(0, at);
            }
            if (spec.StartsWith("Seconds:", StringComparison.OrdinalIgnoreCase))
            {
                var seconds = long.Parse(spec.Substring("Seconds:".Length), NumberStyles.None, CultureInfo.InvariantCulture);
                if (seconds < 1) throw new ArgumentOutOfRangeException(nameof(period), "A budget period lasts at least a second.");
                kind = "s" + seconds.ToString(CultureInfo.InvariantCulture);
            }
            else if (spec.Equals("Day", StringComparison.OrdinalIgnoreCase) || spec.Equals("Week", StringComparison.OrdinalIgnoreCase) || spec.Equals("Month", StringComparison.OrdinalIgnoreCase))
            {
                kind = spec.ToLowerInvariant();
            }
            else
            {
                throw new ArgumentOutOfRangeException(nameof(period), $"'{period}' is not a budget period (Day, Week or Month).");
            }
            return new RedisKey[] { programKey + ":budget:" + kind };
        }

        private static StoreStatus Budget(RedisResult[] r) => new StoreStatus
        {
            BudgetGranted = (long)r[0] == 1,
            BudgetSettled = (long)r[0] == 1,
            BudgetPeriodStart = (long)r[1],
            BudgetPeriodEnd = (long)r[2],
            BudgetLimit = (long)r[3],
            BudgetSpent = (long)r[4],
            BudgetReserved = (long)r[5],
            BudgetPreviousLimit = (long)r[6],
        };

        private async Task<RedisResult[]> Run(string script, RedisKey[] keys, RedisValue[] values)
        {
            try
            {
                var result = await _db.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
                return (RedisResult[])result!;
            }
            catch (Exception ex) when (ex is RedisException || ex is TimeoutException)
            {
                throw Failure(ex);
            }
        }

        /// <summary>A failure during a run, for a one-line warning: the client library's first clause only
        /// (e.g. "RedisConnectionException: No connection is active/available to service this operation: EVAL").</summary>
        private RateLimitStoreException Failure(Exception ex)
        {
            var text = Brief(ex, _configuration, _password);
            var end = text.IndexOfAny(new[] { ';', '(' });
            if (end > 20) text = text.Substring(0, end).TrimEnd(' ', ',');
            if (text.Length > 160) text = text.Substring(0, 160) + "…";
            return new RateLimitStoreException(ex is RedisServerException ? RateLimitStoreFailure.Unsupported : RateLimitStoreFailure.Unreachable,
                $"{ex.GetType().Name}: {text}");
        }

        internal static RedisKey[] Keys(string programKey)
            => new RedisKey[] { programKey + ":grants", programKey + ":state", programKey + ":procs" };

        private static long Microseconds(TimeSpan span) => span.Ticks / 10;

        private static TimeSpan FromMicroseconds(long microseconds) => TimeSpan.FromTicks(Math.Max(0, microseconds) * 10);

        private static bool LooksLikeAuth(Exception ex)
        {
            var text = ex.Message ?? string.Empty;
            return text.IndexOf("NOAUTH", StringComparison.OrdinalIgnoreCase) >= 0
                || text.IndexOf("WRONGPASS", StringComparison.OrdinalIgnoreCase) >= 0
                || text.IndexOf("invalid password", StringComparison.OrdinalIgnoreCase) >= 0
                || text.IndexOf("AuthenticationFailure", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        /// <summary>The first line of a client library message, without any password, at most 300 characters.</summary>
        private static string Brief(Exception ex, string configuration, string? password)
        {
            var text = RateLimitStoreOption.Sanitize(ex.Message, configuration, password);
            var end = text.IndexOfAny(new[] { '\r', '\n' });
            if (end >= 0) text = text.Substring(0, end);
            return text.Length <= 300 ? text : text.Substring(0, 300) + "…";
        }

        private static string Script(string name)
        {
            using var stream = typeof(RedisRateLimitStore).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"The script {name} is missing from {typeof(RedisRateLimitStore).Assembly.GetName().Name}.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }

        public void Dispose() => _connection.Dispose();
    }
}
