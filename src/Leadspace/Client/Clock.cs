using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Leadspace.Client
{
    /// <summary>
    /// Time as the client sees it: a monotonic timestamp, the wall clock and delays. The default is the system's;
    /// tests pass a fake one so that backoff, Retry-After and retry budgets are checked without waiting.
    /// </summary>
    public class Clock
    {
        public static readonly Clock System = new Clock();

        /// <summary>Ticks of <see cref="Stopwatch.Frequency"/> per second.</summary>
        public static readonly double TicksPerSecond = Stopwatch.Frequency;

        public virtual long Timestamp => Stopwatch.GetTimestamp();

        public virtual DateTimeOffset UtcNow => DateTimeOffset.UtcNow;

        public virtual Task Delay(TimeSpan delay, CancellationToken cancellationToken)
            => delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, cancellationToken);

        public TimeSpan Since(long timestamp) => TimeSpan.FromSeconds((Timestamp - timestamp) / TicksPerSecond);
    }
}
