using System;
using System.Globalization;

namespace Leadspace.Client
{
    /// <summary>How a failed attempt is classified.</summary>
    public enum FailureKind
    {
        None,
        /// <summary>429: over the rate limit (or the concurrent-request limit).</summary>
        RateLimited,
        /// <summary>500-504.</summary>
        ServerError,
        /// <summary>No answer within the timeout: the call may have been processed (and charged).</summary>
        Timeout,
        /// <summary>The connection could not be made: the call was certainly not processed.</summary>
        ConnectFailed,
        /// <summary>The connection broke after the request was sent: the call may have been processed.</summary>
        ConnectionLost,
        /// <summary>401 (after any token refresh).</summary>
        Unauthorized,
        /// <summary>427: out of credits, or an invalid program id.</summary>
        CreditsExhausted,
        /// <summary>400: insufficient input or invalid JSON.</summary>
        BadRequest,
        /// <summary>Any other status: 405, 415, other 4xx, unexpected codes.</summary>
        ClientError,
        /// <summary>A 200 whose body could not be read. Not retried: the credit is already spent.</summary>
        InvalidResponse,
    }

    /// <summary>
    /// Which failures are retried and how long to wait: exponential backoff with full jitter, bounded by
    /// attempts and by total time; Retry-After (seconds, fractional seconds or an HTTP date) is honoured.
    /// 400, 401, 405, 415 and 427 are never retried. A failure after which the call may have been processed
    /// (timeout, connection lost) is "ambiguous": retrying it can spend a second credit, so it is retried at
    /// most <see cref="MaxAmbiguousRetries"/> times.
    /// </summary>
    public sealed class RetryPolicy
    {
        public int MaxAttempts { get; set; } = 6;
        public TimeSpan MaxElapsed { get; set; } = TimeSpan.FromMinutes(2);
        public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);
        public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);
        public int MaxAmbiguousRetries { get; set; } = 1;

        public void Validate()
        {
            if (MaxAttempts < 1 || MaxAttempts > 100) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), "MaxAttempts must be between 1 and 100.");
            if (MaxElapsed < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxElapsed), "MaxElapsed must not be negative.");
            if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay) throw new ArgumentOutOfRangeException(nameof(BaseDelay), "Retry delays must satisfy 0 <= BaseDelay <= MaxDelay.");
            if (MaxAmbiguousRetries < 0) throw new ArgumentOutOfRangeException(nameof(MaxAmbiguousRetries), "MaxAmbiguousRetries must not be negative.");
        }

        public static FailureKind Classify(int status)
        {
            if (status >= 200 && status < 300) return FailureKind.None;
            switch (status)
            {
                case 400: return FailureKind.BadRequest;
                case 401: return FailureKind.Unauthorized;
                case 427: return FailureKind.CreditsExhausted;
                case 429: return FailureKind.RateLimited;
                case 408: return FailureKind.Timeout;
            }
            if (status == 504) return FailureKind.Timeout; // the gateway gave up waiting: the call may have been processed
            if (status >= 500 && status <= 503) return FailureKind.ServerError;
            return FailureKind.ClientError;
        }

        public static bool IsRetryable(FailureKind kind)
            => kind == FailureKind.RateLimited || kind == FailureKind.ServerError || kind == FailureKind.Timeout
               || kind == FailureKind.ConnectFailed || kind == FailureKind.ConnectionLost;

        public static bool IsAmbiguous(FailureKind kind) => kind == FailureKind.Timeout || kind == FailureKind.ConnectionLost;

        /// <summary>Failures that end the whole run: no later call can succeed.</summary>
        public static bool IsFatal(FailureKind kind) => kind == FailureKind.Unauthorized || kind == FailureKind.CreditsExhausted;

        /// <summary>Whether to retry after <paramref name="attempt"/> attempts, and after how long.</summary>
        public bool ShouldRetry(FailureKind kind, int attempt, int ambiguousRetries, TimeSpan elapsed, TimeSpan? retryAfter, Random random, out TimeSpan delay)
        {
            delay = TimeSpan.Zero;
            if (!IsRetryable(kind) || attempt >= MaxAttempts) return false;
            if (IsAmbiguous(kind) && ambiguousRetries >= MaxAmbiguousRetries) return false;
            delay = ComputeDelay(attempt, retryAfter, random);
            return elapsed + delay <= MaxElapsed;
        }

        /// <summary>Full jitter: uniform in [0, min(MaxDelay, BaseDelay·2^(attempt-1))]; a Retry-After is a floor.</summary>
        public TimeSpan ComputeDelay(int attempt, TimeSpan? retryAfter, Random random)
        {
            double cap = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1)));
            double jitter;
            lock (random) jitter = random.NextDouble() * cap;
            if (retryAfter.HasValue && retryAfter.Value > TimeSpan.Zero)
            {
                // Honour the server's word, spread a little so waiting callers do not return together.
                double ra = Math.Min(retryAfter.Value.TotalMilliseconds, MaxElapsed.TotalMilliseconds);
                double spread;
                lock (random) spread = random.NextDouble() * Math.Min(ra * 0.1, 1000);
                return TimeSpan.FromMilliseconds(ra + spread);
            }
            return TimeSpan.FromMilliseconds(jitter);
        }

        /// <summary>Parses a Retry-After value: delta seconds (fractions accepted) or an HTTP date.</summary>
        public static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
        {
            if (string.IsNullOrWhiteSpace(value)) return null;
            var v = value!.Trim();
            if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                if (double.IsNaN(seconds) || seconds < 0) return null;
                return TimeSpan.FromSeconds(Math.Min(seconds, 86400));
            }
            if (DateTimeOffset.TryParseExact(v, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
                || DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
            {
                var d = date - now;
                return d > TimeSpan.Zero ? d : TimeSpan.Zero;
            }
            return null;
        }
    }
}
