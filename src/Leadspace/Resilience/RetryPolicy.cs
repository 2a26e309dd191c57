using System;
using System.Globalization;

namespace Leadspace.Resilience
{
    /// <summary>
    /// How long to wait between attempts and when to stop: exponential backoff with full jitter, bounded by
    /// attempts and by total time; Retry-After (seconds, fractional seconds or an HTTP date) is honoured. Which
    /// failures are retried at all, and which are "ambiguous" (the call may have been processed and charged
    /// although no answer arrived, so a resend can be charged again), is <see cref="FailureTable"/>'s decision;
    /// an ambiguous failure is resent at most <see cref="MaxAmbiguousRetries"/> times.
    /// </summary>
    internal sealed class RetryPolicy
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

        /// <summary>Whether to retry after <paramref name="attempt"/> attempts, and after how long.</summary>
        /// <param name="kind">The failure of the last attempt.</param>
        /// <param name="attempt">Attempts made so far (a failed token fetch counts).</param>
        /// <param name="possibleCharges">Sends so far that may have been charged without an answer.</param>
        /// <param name="elapsed">Time spent on the row so far.</param>
        /// <param name="retryAfter">The server's Retry-After, if any.</param>
        /// <param name="random">The jitter source.</param>
        /// <param name="delay">The wait before the next attempt.</param>
        /// <param name="why">When not retrying a retryable failure: why, for the row's message.</param>
        public bool ShouldRetry(FailureKind kind, int attempt, int possibleCharges, TimeSpan elapsed, TimeSpan? retryAfter, Random random, out TimeSpan delay, out string? why)
        {
            delay = TimeSpan.Zero;
            why = null;
            if (!FailureTable.IsRetryable(kind)) return false;
            if (attempt >= MaxAttempts)
            {
                why = $"(gave up after {attempt} attempt(s), -MaxAttempts {MaxAttempts})";
                return false;
            }
            if (FailureTable.IsAmbiguous(kind) && possibleCharges > MaxAmbiguousRetries)
            {
                why = $"(not resent: {possibleCharges} send(s) may already have been charged, -MaxAmbiguousRetries {MaxAmbiguousRetries})";
                return false;
            }
            delay = ComputeDelay(attempt, retryAfter, random);
            if (elapsed + delay > MaxElapsed)
            {
                why = $"(gave up after {elapsed.TotalSeconds:0.#} s: the next retry would pass -MaxRetrySec {MaxElapsed.TotalSeconds:0.#})";
                return false;
            }
            return true;
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
