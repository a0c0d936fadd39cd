namespace MLNetExt.CovariateShift.Kernels;

/// <summary>Runs fixed blocks of work: in parallel when there are several, inline when there is one (small inputs,
/// where the thread pool's overhead would dominate). Block boundaries never depend on the thread count.</summary>
internal static class Blocks
{
    public static void For(int count, Action<int> body)
    {
        if (count == 1)
            body(0);
        else if (count > 1)
            Parallel.For(0, count, body);
    }
}
