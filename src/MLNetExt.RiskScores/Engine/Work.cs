namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// Runs independent items on a fixed number of threads, each thread with its own scratch: thread t takes items t,
/// t + threads, ... Every item writes only its own result, so the output never depends on the thread count.
/// </summary>
internal static class Work
{
    public static void For<TLocal>(int count, int threads, CancellationToken cancel, Func<TLocal> scratch, Action<int, TLocal> body)
    {
        threads = Math.Max(1, Math.Min(threads, count));
        if (threads == 1)
        {
            var local = scratch();
            for (int i = 0; i < count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                body(i, local);
            }
            return;
        }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var local = scratch();
            for (int i = t; i < count; i += threads)
            {
                cancel.ThrowIfCancellationRequested();
                body(i, local);
            }
        });
    }
}
