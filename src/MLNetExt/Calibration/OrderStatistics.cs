namespace MLNetExt.Calibration;

/// <summary>
/// Puts chosen order statistics in place: after <see cref="Select(double[], int[])"/>, <c>values[r]</c> holds the value of rank r
/// (0-based, ascending) for every requested r, as it would after a full sort. Quickselect on several ranks at once
/// (median-of-three pivot, three-way partition so ties cost nothing), falling back to a sort of a segment when the
/// recursion gets deeper than 2 log2 n. Expected O(n log k) for k ranks.
/// </summary>
internal static class OrderStatistics
{
    public static void Select(double[] values, int[] ranks)
    {
        if (values.Length == 0 || ranks.Length == 0)
            return;
        var sorted = ranks.Distinct().OrderBy(r => r).ToArray();
        int depthLimit = 2 * (int)Math.Ceiling(Math.Log2(values.Length + 1));
        Select(values, 0, values.Length, sorted, 0, sorted.Length, depthLimit);
    }

    private static void Select(double[] a, int lo, int hi, int[] ranks, int first, int last, int depth)
    {
        // [lo, hi) holds exactly the values of ranks lo..hi-1; ranks[first..last) fall in it.
        while (first < last)
        {
            if (hi - lo <= 32 || depth-- <= 0)
            {
                Array.Sort(a, lo, hi - lo);
                return;
            }
            double pivot = MedianOfThree(a[lo], a[lo + (hi - lo) / 2], a[hi - 1]);
            // Three-way partition: [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi) > pivot.
            int lt = lo, i = lo, gt = hi;
            while (i < gt)
            {
                double v = a[i];
                if (v < pivot)
                {
                    a[i] = a[lt];
                    a[lt] = v;
                    lt++;
                    i++;
                }
                else if (v > pivot)
                {
                    gt--;
                    a[i] = a[gt];
                    a[gt] = v;
                }
                else
                {
                    i++;
                }
            }
            int split = first;
            while (split < last && ranks[split] < lt)
                split++;
            int right = split;
            while (right < last && ranks[right] < gt)
                right++;
            // Ranks in [lt, gt) are in place. Recurse into the smaller side, loop on the larger.
            if (lt - lo < hi - gt)
            {
                Select(a, lo, lt, ranks, first, split, depth);
                lo = gt;
                first = right;
            }
            else
            {
                Select(a, gt, hi, ranks, right, last, depth);
                hi = lt;
                last = split;
            }
        }
    }

    private static double MedianOfThree(double a, double b, double c)
        => a < b ? (b < c ? b : Math.Max(a, c)) : (a < c ? a : Math.Max(b, c));
}
