using System.Numerics;
using System.Runtime.CompilerServices;

namespace MLNetExt.Calibration.Kernels;

/// <summary>Returns the values of one segment (the evaluators' stored columns, or a slice of a span).</summary>
internal delegate ReadOnlySpan<T> SegmentSource<T>(int segment);

/// <summary>An order statistic: its value, how many values are below it, and how many equal it.</summary>
internal readonly record struct RankValue(double Value, long Below, long Equal);

/// <summary>
/// Exact order statistics without sorting or copying the data: values are mapped to 64-bit keys that sort as the
/// values do (the sign-flip transform of the IEEE bits; -0 is read as +0), and the keys are resolved 16 bits at a
/// time, one counting pass over the data per 16 bits (two for float data, four for double); after the first, only the rows
/// whose resolved prefix is one of the ranks' are counted. Counting is in
/// integers, so the result does not depend on the order or the thread count. Small inputs are copied and sorted.
/// </summary>
internal static class RankSelector
{
        /// <summary>Inputs up to this size are copied and sorted instead.</summary>
    private const int SortBelow = Segments.Rows;

    /// <summary>
    /// The values of the given ranks (0-based, ascending order) among the rows of <paramref name="values"/> whose weight
    /// is above 0 (every row when <paramref name="weights"/> is null); <paramref name="count"/> is the number of such rows.
    /// <paramref name="topCounts"/>, when given, holds the counts of the keys' top 16 bits over those rows (an evaluator
    /// counts them while it reads), which saves the first pass. Counts are 32-bit: at most 2^31 - 1 rows.
    /// </summary>
    public static RankValue[] Select<T, TW>(SegmentSource<T> values, SegmentSource<TW>? weights, int segmentCount, long count,
        IReadOnlyList<long> ranks, Action? checkCanceled = null, int[]? topCounts = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        if (ranks.Count == 0)
            return [];
        foreach (long r in ranks)
        {
            if (r < 0 || r >= count)
                throw new ArgumentOutOfRangeException(nameof(ranks), $"Rank {r} is not in 0..{count - 1}.");
        }
        if (count <= SortBelow)
            return SelectBySorting(values, weights, segmentCount, count, ranks);

        // 16 bits a pass: the top digit over every row, then the next digits over the rows whose resolved prefix is one
        // of the ranks' (gathered per segment in parallel, then counted).
        int totalBits = typeof(T) == typeof(float) ? 32 : 64;
        var keys = new ulong[ranks.Count];       // the resolved high bits of each rank's key
        var below = new long[ranks.Count];       // values below the resolved prefix
        var remaining = new long[ranks.Count];   // the rank within the values that share the prefix
        for (int j = 0; j < ranks.Count; j++)
            remaining[j] = ranks[j];
        int[] counts = [];
        int[] target = new int[ranks.Count];
        for (int resolved = 0; resolved < totalBits; resolved += 16)
        {
            checkCanceled?.Invoke();
            int shift = 48 - resolved;
            var prefixes = resolved == 0 ? [0UL] : keys.Select(k => k >> (64 - resolved)).Distinct().Order().ToArray();
            for (int j = 0; j < ranks.Count; j++)
                target[j] = resolved == 0 ? 0 : Array.BinarySearch(prefixes, keys[j] >> (64 - resolved));
            counts = resolved == 0
                ? topCounts ?? TopCounts(values, weights, segmentCount)
                : DigitCounts(values, weights, segmentCount, resolved, prefixes);
            for (int j = 0; j < ranks.Count; j++)
            {
                long cumulative = 0;
                int offset = target[j] << 16;
                int digit = 0;
                while (cumulative + counts[offset + digit] <= remaining[j])
                {
                    cumulative += counts[offset + digit];
                    digit++;
                }
                keys[j] |= (ulong)digit << shift;
                below[j] += cumulative;
                remaining[j] -= cumulative;
            }
        }
        var result = new RankValue[ranks.Count];
        for (int j = 0; j < ranks.Count; j++)
        {
            int digit = (int)((keys[j] >> (64 - totalBits)) & 0xFFFF);
            result[j] = new RankValue(FromKey<T>(keys[j]), below[j], counts[(target[j] << 16) + digit]);
        }
        return result;
    }

    /// <summary>Adds the top 16 bits of the keys of one segment's rows of weight &gt; 0 to <paramref name="counts"/> (65,536 counters).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CountTopDigits<T, TW>(ReadOnlySpan<T> values, ReadOnlySpan<TW> weights, int[] counts)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!weights.IsEmpty && !(double.CreateTruncating(weights[i]) > 0))
                continue;
            counts[(int)(Key(values[i]) >> 48)]++;
        }
    }

    /// <summary>The sortable key of a value: the IEEE bits with the sign flipped (negatives: all bits flipped), top-aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Key<T>(T value) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            uint bits = BitConverter.SingleToUInt32Bits(Unsafe.As<T, float>(ref value) + 0f); // -0 + 0 = +0
            bits ^= (uint)((int)bits >> 31) | 0x80000000u;
            return (ulong)bits << 32;
        }
        ulong d = BitConverter.DoubleToUInt64Bits(double.CreateTruncating(value) + 0.0);
        return d ^ ((ulong)((long)d >> 63) | 0x8000000000000000UL);
    }

    private static double FromKey<T>(ulong key)
    {
        if (typeof(T) == typeof(float))
        {
            uint bits = (uint)(key >> 32);
            bits = (bits & 0x80000000u) != 0 ? bits ^ 0x80000000u : ~bits;
            return BitConverter.UInt32BitsToSingle(bits);
        }
        ulong d = (key & 0x8000000000000000UL) != 0 ? key ^ 0x8000000000000000UL : ~key;
        return BitConverter.UInt64BitsToDouble(d);
    }

    private static int[] TopCounts<T, TW>(SegmentSource<T> values, SegmentSource<TW>? weights, int segmentCount)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        var totals = new int[1 << 16];
        var gate = new object();
        Parallel.For(0, segmentCount, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => new int[1 << 16],
            (s, _, local) =>
            {
                CountTopDigits(values(s), weights is null ? default : weights(s), local);
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    for (int k = 0; k < local.Length; k++)
                        totals[k] += local[k];
                }
            });
        return totals;
    }

    // Counts, per prefix resolved so far, of the next 16-bit digit, over the rows whose prefix is one of them: each
    // segment gathers (prefix index, digit) of its matching rows in parallel; the counting is then sequential.
    private static int[] DigitCounts<T, TW>(SegmentSource<T> values, SegmentSource<TW>? weights, int segmentCount, int resolved, ulong[] prefixes)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        int shift = 48 - resolved;
        var topFilter = new bool[1 << 16];
        foreach (ulong prefix in prefixes)
            topFilter[(int)(prefix >> (resolved - 16))] = true;
        // With 16 bits resolved, the prefix is the top digit itself: one table lookup finds its index.
        var direct = resolved == 16 ? new int[1 << 16] : null;
        if (direct is not null)
        {
            Array.Fill(direct, -1);
            for (int t = 0; t < prefixes.Length; t++)
                direct[(int)prefixes[t]] = t;
        }
        var gathered = new int[segmentCount][];
        Segments.ForEach(segmentCount, s =>
        {
            var v = values(s);
            var w = weights is null ? default : weights(s);
            var found = new List<int>();
            for (int i = 0; i < v.Length; i++)
            {
                ulong key = Key(v[i]);
                if (!topFilter[(int)(key >> 48)] || (!w.IsEmpty && !(double.CreateTruncating(w[i]) > 0)))
                    continue;
                int t = direct is not null ? direct[(int)(key >> 48)] : Array.BinarySearch(prefixes, key >> (64 - resolved));
                if (t >= 0)
                    found.Add((t << 16) | (int)((key >> shift) & 0xFFFF));
            }
            gathered[s] = found.ToArray();
        });
        var counts = new int[prefixes.Length << 16];
        foreach (var list in gathered)
        {
            foreach (int entry in list)
                counts[entry]++;
        }
        return counts;
    }

    private static RankValue[] SelectBySorting<T, TW>(SegmentSource<T> values, SegmentSource<TW>? weights, int segmentCount, long count,
        IReadOnlyList<long> ranks)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        var keys = new ulong[count];
        int k = 0;
        for (int s = 0; s < segmentCount; s++)
        {
            var v = values(s);
            var w = weights is null ? default : weights(s);
            for (int i = 0; i < v.Length; i++)
            {
                if (w.IsEmpty || double.CreateTruncating(w[i]) > 0)
                    keys[k++] = Key(v[i]);
            }
        }
        Array.Sort(keys);
        var result = new RankValue[ranks.Count];
        for (int j = 0; j < ranks.Count; j++)
        {
            ulong key = keys[ranks[j]];
            int first = Bound(keys, key, upper: false), end = Bound(keys, key, upper: true);
            result[j] = new RankValue(FromKey<T>(key), first, end - first);
        }
        return result;
    }

    // The first index whose key is >= key (or > key when upper).
    private static int Bound(ulong[] sorted, ulong key, bool upper)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < key || (upper && sorted[mid] == key))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}
