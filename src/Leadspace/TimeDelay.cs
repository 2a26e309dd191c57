using System;
using System.Threading;
using System.Threading.Tasks;

namespace Leadspace
{
    /// <summary>
    /// Waits on a <see cref="TimeProvider"/>, the module's one time source. The system's provider waits with
    /// <see cref="Task.Delay(TimeSpan, CancellationToken)"/>; any other provider (a test's fake) gets a timer with the
    /// delay's full precision (the library's own <c>Delay</c> rounds to whole milliseconds, so a sub-millisecond wait of
    /// a rate gate would never move a fake clock).
    /// </summary>
    internal static class TimeDelay
    {
        /// <summary>Completes after <paramref name="delay"/> on <paramref name="time"/>'s clock (at once when it is not
        /// positive); cancelled when <paramref name="cancellationToken"/> is.</summary>
        public static Task Delay(this TimeProvider time, TimeSpan delay, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
            if (ReferenceEquals(time, TimeProvider.System)) return delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, cancellationToken);
            var wait = new Wait(cancellationToken);
            wait.Timer = time.CreateTimer(state => ((Wait)state!).Elapsed(), wait, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan);
            if (cancellationToken.CanBeCanceled) wait.Registration = cancellationToken.Register(state => ((Wait)state!).Cancel(), wait);
            if (wait.Task.IsCompleted) wait.Release();
            return wait.Task;
        }

        private sealed class Wait : TaskCompletionSource<bool>
        {
            private readonly CancellationToken _token;
            public Wait(CancellationToken token) : base(TaskCreationOptions.RunContinuationsAsynchronously) { _token = token; }
            public ITimer? Timer;
            public CancellationTokenRegistration Registration;
            public void Elapsed() { if (TrySetResult(true)) Release(); }
            public void Cancel() { if (TrySetCanceled(_token)) Release(); }
            public void Release() { Timer?.Dispose(); Registration.Dispose(); }
        }
    }
}
