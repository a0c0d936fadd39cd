using System.Runtime.CompilerServices;

namespace MLNetExt.Calibration.Kernels;

/// <summary>Maps a confidence in [0, 1] (already checked) to its bin. Implemented by structs so kernels specialize.</summary>
internal interface IBinRule
{
    /// <summary>The bin of confidence <paramref name="c"/>, row <paramref name="i"/> of the segment (rules that split ties use it).</summary>
    int Find(double c, int i);
}

/// <summary>The rules a <see cref="CalibrationBinning"/> can have; kernels switch on it once per segment.</summary>
internal enum BinRuleKind
{
    BucketLeft,
    BucketRight,
    LeftComputed,
    RightComputed,
    SeparateOneComputed,
    LeftCorrected,
    RightCorrected,
    SeparateOneCorrected,
    LeftSearch,
    RightSearch,
    SeparateOneSearch,
}

/// <summary>Builds the rule structs of a binning.</summary>
internal static class BinRules
{
    public static LeftWidthComputed LeftComputed(CalibrationBinning b) => new(b.IntervalCount, b.IntervalCount - 1);

    public static RightWidthComputed RightComputed(CalibrationBinning b) => new(b.IntervalCount, b.IntervalCount - 1);

    public static LeftWidthCorrected LeftCorrected(CalibrationBinning b) => new(b.IntervalCount, b.IntervalCount - 1, b.CorrectionEdges);

    public static RightWidthCorrected RightCorrected(CalibrationBinning b) => new(b.IntervalCount, b.IntervalCount - 1, b.CorrectionEdges);

    public static LeftSearch LeftSearch(CalibrationBinning b) => new(b.EdgeArray);

    public static RightSearch RightSearch(CalibrationBinning b) => new(b.EdgeArray);

    public static SeparateOne<T> SeparateOne<T>(CalibrationBinning b, T inner) where T : struct, IBinRule => new(inner, b.IntervalCount);

    public static Bucketed<LeftSearch> BucketLeft(CalibrationBinning b) => new(b.BucketTable, LeftSearch(b));

    public static Bucketed<RightSearch> BucketRight(CalibrationBinning b) => new(b.BucketTable, RightSearch(b));

    /// <summary>The bin of one confidence under the binning's rule for double input.</summary>
    public static int Find(CalibrationBinning b, double c) => b.RuleKind(floatInput: false) switch
    {
        BinRuleKind.RightCorrected => RightCorrected(b).Find(c, 0),
        BinRuleKind.LeftCorrected => LeftCorrected(b).Find(c, 0),
        BinRuleKind.SeparateOneCorrected => SeparateOne(b, LeftCorrected(b)).Find(c, 0),
        BinRuleKind.RightSearch => RightSearch(b).Find(c, 0),
        BinRuleKind.LeftSearch => LeftSearch(b).Find(c, 0),
        _ => SeparateOne(b, LeftSearch(b)).Find(c, 0),
    };
}

/// <summary>
/// Equal-width, left-closed, computed only: <c>min(floor(c M), M - 1)</c>. Exact for float confidences when
/// <see cref="CalibrationBinning"/> has checked that no float lies between an edge and the product's threshold
/// (c M is exact in double for a float c and M below 2^29).
/// </summary>
internal readonly struct LeftWidthComputed(double m, int last) : IBinRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i)
    {
        int b = (int)(c * m);
        return b > last ? last : b;
    }
}

/// <summary>Equal-width, right-closed, computed only: <c>ceil(c M) - 1</c> clamped to [0, M - 1] (see <see cref="LeftWidthComputed"/>).</summary>
internal readonly struct RightWidthComputed(double m, int last) : IBinRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i)
    {
        double x = c * m;
        int b = (int)x;
        if (x == b && b > 0)
            b--;
        return b > last ? last : b;
    }
}

/// <summary>
/// Equal-width, left-closed, any input: the computed bin, then one step to the side of the stored edges where c
/// lies (the product can round across an edge for a double, and <c>np.linspace</c> edges are not m / M).
/// <paramref name="edges"/> holds -inf, the M - 1 interior edges, +inf.
/// </summary>
internal readonly struct LeftWidthCorrected(double m, int last, double[] edges) : IBinRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i)
    {
        int b = (int)(c * m);
        return FromGuess(c, b > last ? last : b);
    }

    /// <summary>The bin, from a guess within one of it (<c>min(floor(c M), M - 1)</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FromGuess(double c, int b)
    {
        if (c < edges[b])
            b--;
        else if (c >= edges[b + 1])
            b++;
        return b;
    }
}

/// <summary>Equal-width, right-closed, any input (see <see cref="LeftWidthCorrected"/>).</summary>
internal readonly struct RightWidthCorrected(double m, int last, double[] edges) : IBinRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i)
    {
        int b = (int)(c * m);
        return FromGuess(c, b > last ? last : b);
    }

    /// <summary>The bin, from a guess within one of it (<c>min(floor(c M), M - 1)</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FromGuess(double c, int b)
    {
        if (c <= edges[b])
            b--;
        else if (c > edges[b + 1])
            b++;
        return b < 0 ? 0 : b;
    }
}

/// <summary>
/// Arbitrary edges, left-closed: the number of interior edges &lt;= c. Up to 64 interior edges they are all compared
/// (no branch to mispredict: equal-mass edges of a calibration table are few); beyond that, binary search.
/// </summary>
internal readonly struct LeftSearch(double[] edges) : IBinRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i)
    {
        int last = edges.Length - 1; // interior edges: edges[1 .. last - 1]
        if (last <= 65)
        {
            int count = 0;
            for (int j = 1; j < last; j++)
                count += edges[j] <= c ? 1 : 0;
            return count;
        }
        int lo = 1, hi = last; // find the first interior edge > c
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (edges[mid] <= c)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo - 1;
    }
}

/// <summary>Arbitrary edges, right-closed: the number of interior edges &lt; c (see <see cref="LeftSearch"/>).</summary>
internal readonly struct RightSearch(double[] edges) : IBinRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i)
    {
        int last = edges.Length - 1;
        if (last <= 65)
        {
            int count = 0;
            for (int j = 1; j < last; j++)
                count += edges[j] < c ? 1 : 0;
            return count;
        }
        int lo = 1, hi = last; // first interior edge >= c
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (edges[mid] < c)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo - 1;
    }
}

/// <summary>torchmetrics' rule: exactly 1 goes to an extra bin M; everything else as <typeparamref name="TInner"/>.</summary>
internal readonly struct SeparateOne<TInner>(TInner inner, int m) : IBinRule where TInner : struct, IBinRule
{
    public TInner Inner => inner;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i) => c == 1.0 ? m : inner.Find(c, i);
}

/// <summary>Bins assigned beforehand, one per row of the segment (equal-mass bins that split ties by row order).</summary>
internal readonly struct Assigned(int[] bins) : IBinRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i) => bins[i];
}

/// <summary>
/// Arbitrary edges for float confidences: a table over the top 16 bits of the float (65,536 entries, 256 KB) gives the
/// bin of every float whose 65,536 neighbours sharing those bits are all in one bin; the few blocks that contain an
/// edge fall back to <typeparamref name="TInner"/>. Equal-mass tables read one entry a row instead of searching.
/// </summary>
internal readonly struct Bucketed<TInner>(int[] table, TInner inner) : IBinRule where TInner : struct, IBinRule
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double c, int i)
    {
        int b = table[(int)(BitConverter.SingleToUInt32Bits((float)c) >> 16)];
        return b >= 0 ? b : inner.Find(c, i);
    }

    /// <summary>The table for <paramref name="rule"/>: blocks of floats in [0, 1] (and -0) that lie in one bin, else -1.</summary>
    public static int[] Build(TInner rule)
    {
        var table = new int[1 << 16];
        Array.Fill(table, -1);
        uint top = BitConverter.SingleToUInt32Bits(1f) >> 16;
        for (uint k = 0; k <= top; k++)
        {
            float lo = BitConverter.UInt32BitsToSingle(k << 16), hi = Math.Min(BitConverter.UInt32BitsToSingle((k << 16) | 0xFFFF), 1f);
            int bin = rule.Find(lo, 0);
            if (rule.Find(hi, 0) == bin)
                table[k] = bin;
        }
        table[0x8000] = table[0]; // -0 lies where 0 does
        return table;
    }
}
