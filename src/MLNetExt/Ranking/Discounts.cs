namespace MLNetExt.Ranking;

/// <summary>
/// Position discounts <c>1 / log2(p + 2)</c> and <c>1 / ln(p + 2)</c> for 0-based positions p, in tables that grow on
/// demand. A table is only ever replaced by a longer one with the same leading entries, so readers on other threads
/// always see valid values.
/// </summary>
internal static class Discounts
{
    private const int InitialSize = 1024;
    private static double[] s_log2 = Build(RankingDiscount.Log2, InitialSize);
    private static double[] s_naturalLog = Build(RankingDiscount.NaturalLog, InitialSize);

    /// <summary>A table with at least <paramref name="positions"/> entries.</summary>
    public static double[] Table(RankingDiscount discount, int positions)
    {
        var table = discount == RankingDiscount.Log2 ? Volatile.Read(ref s_log2) : Volatile.Read(ref s_naturalLog);
        if (table.Length >= positions)
            return table;
        int size = (int)Math.Min(Array.MaxLength, Math.Max(positions, 2L * table.Length));
        table = Build(discount, size);
        if (discount == RankingDiscount.Log2)
            Volatile.Write(ref s_log2, table);
        else
            Volatile.Write(ref s_naturalLog, table);
        return table;
    }

    private static double[] Build(RankingDiscount discount, int size)
    {
        var table = new double[size];
        for (int p = 0; p < size; p++)
            table[p] = discount == RankingDiscount.Log2 ? 1.0 / Math.Log2(p + 2.0) : 1.0 / Math.Log(p + 2.0);
        return table;
    }
}
