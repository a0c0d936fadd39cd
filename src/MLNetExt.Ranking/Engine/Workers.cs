namespace MLNetExt.Ranking.Engine;

/// <summary>Runs an objective's fixed set of workers: inline for one, else in parallel with the first failure rethrown as itself.</summary>
internal static class Workers
{
    /// <summary>Runs <paramref name="worker"/>(0 .. <paramref name="count"/> - 1); the workers share the work by claiming chunks.</summary>
    public static void Run(int count, ParallelOptions options, Action<int> worker)
    {
        if (count == 1)
        {
            worker(0);
            return;
        }
        try
        {
            Parallel.For(0, count, options, worker);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            // The caller sees the objective's own exception (a bad label, a cancellation), not Parallel's wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
