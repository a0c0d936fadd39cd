namespace MLNetExt.Ranking;

/// <summary>
/// Per-thread work buffers of the ranking kernels, grown to the longest query seen and then reused, so that scoring a
/// query allocates nothing after the first call on a thread (the pattern of ML.NET's per-thread permutation buffers in
/// <c>LambdaRankObjectiveFunction</c>). Nothing here outlives a call's use: no kernel calls back into user code.
/// </summary>
internal sealed class RankingScratch
{
    [ThreadStatic]
    private static RankingScratch? t_current;

    /// <summary>Negated scores, sorted with <see cref="Order"/> (one per document).</summary>
    public double[] Keys = [];

    /// <summary>Document index at each rank position (one per document).</summary>
    public int[] Order = [];

    /// <summary>Gains for the ideal DCG (one per document).</summary>
    public double[] Values = [];

    /// <summary>Work space: curves and the averaged-tie expectations (four values per document).</summary>
    public double[] Work = [];

    /// <summary>The calling thread's buffers, large enough for <paramref name="documents"/> documents.</summary>
    public static RankingScratch ForCurrentThread(int documents)
    {
        var scratch = t_current ??= new RankingScratch();
        scratch.Ensure(documents);
        return scratch;
    }

    private void Ensure(int documents)
    {
        if (Order.Length >= documents)
            return;
        int size = (int)Math.Min(Array.MaxLength / 4, Math.Max(documents, 2L * Order.Length));
        Keys = new double[size];
        Order = new int[size];
        Values = new double[size];
        Work = new double[4 * size];
    }
}
