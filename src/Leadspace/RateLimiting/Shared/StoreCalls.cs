using System;
using System.Threading;
using System.Threading.Tasks;

namespace Leadspace.RateLimiting.Shared
{
    /// <summary>How the shared gate and the shared credit budget call the store: a synchronous throw becomes a faulted
    /// task, and no call waits longer than the store timeout.</summary>
    internal static class StoreCalls
    {
        /// <summary>A store call whose synchronous throw becomes a faulted task.</summary>
        public static Task<T> Call<T>(Func<Task<T>> call)
        {
            try { return call(); }
            catch (Exception ex) { return Task.FromException<T>(ex); }
        }

        public static Task Call(Func<Task> call)
        {
            try { return call(); }
            catch (Exception ex) { return Task.FromException(ex); }
        }

        /// <summary>The store's answer, or a TimeoutException after <paramref name="timeout"/> on <paramref name="time"/>
        /// (an answer arriving later is handed to <paramref name="whenLate"/>, a late failure is observed).</summary>
        public static async Task<T> WithTimeout<T>(Task<T> operation, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken, Action<T>? whenLate = null)
        {
            if (!operation.IsCompleted)
            {
                using var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var timer = time.Delay(timeout, stopTimer.Token);
                var first = await Task.WhenAny(operation, timer).ConfigureAwait(false);
                if (first != operation)
                {
                    _ = operation.ContinueWith(t =>
                    {
                        if (t.Status == TaskStatus.RanToCompletion) whenLate?.Invoke(t.Result);
                        else _ = t.Exception;
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    cancellationToken.ThrowIfCancellationRequested();
                    throw new TimeoutException($"The rate limit store did not answer within {timeout.TotalMilliseconds:0} ms.");
                }
                stopTimer.Cancel();
                _ = timer.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            }
            return await operation.ConfigureAwait(false);
        }
    }
}
