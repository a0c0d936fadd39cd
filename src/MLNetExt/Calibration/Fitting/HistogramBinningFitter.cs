namespace MLNetExt.Calibration.Fitting;

/// <summary>A fitted histogram-binning map.</summary>
/// <param name="Thresholds">Increasing upper edges of every bin but the last; bin j holds scores in (t_{j-1}, t_j].</param>
/// <param name="Probabilities">The fraction of positives in each bin (one more than thresholds).</param>
/// <param name="Counts">The fit rows in each bin.</param>
internal sealed record HistogramFit(double[] Thresholds, double[] Probabilities, int[] Counts);

/// <summary>
/// Histogram binning (Zadrozny and Elkan, ICML 2001) with equal-mass bins: the fit scores are sorted and split into
/// nearly equal chunks as <c>np.array_split</c> does; each threshold lies halfway between the last score of a chunk
/// and the first of the next, bins are closed on the right, and each bin predicts its observed positive rate.
/// Chunks that share a score cannot be told apart, so equal thresholds merge and bins that end up empty are merged
/// into their neighbour: every bin holds at least one fit row.
/// </summary>
internal static class HistogramBinningFitter
{
    /// <param name="scores">Finite scores (any monotone scale: only their order matters).</param>
    /// <param name="labels">The labels.</param>
    /// <param name="binCount">Bins wanted, at least 1; fewer result with ties or fewer rows.</param>
    public static HistogramFit Fit(double[] scores, bool[] labels, int binCount)
    {
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++)
            order[i] = i;
        var sorted = (double[])scores.Clone();
        Array.Sort(sorted, order);

        int m = Math.Min(binCount, n);
        int small = n / m, large = n % m;
        var thresholds = new List<double>(m - 1);
        int end = 0;
        for (int chunk = 0; chunk < m - 1; chunk++)
        {
            end += chunk < large ? small + 1 : small;
            double t = sorted[end - 1] + (sorted[end] - sorted[end - 1]) / 2;
            if (thresholds.Count == 0 || t > thresholds[^1])
                thresholds.Add(t);
        }

        // Count per bin, then merge away empty bins (their threshold is dropped).
        var counts = new int[thresholds.Count + 1];
        var positives = new int[thresholds.Count + 1];
        var edges = thresholds.ToArray();
        for (int i = 0; i < n; i++)
        {
            int bin = FindBin(edges, sorted[i]);
            counts[bin]++;
            if (labels[order[i]])
                positives[bin]++;
        }
        var keptThresholds = new List<double>();
        var keptCounts = new List<int>();
        var keptPositives = new List<int>();
        for (int b = 0; b < counts.Length; b++)
        {
            if (counts[b] == 0)
                continue;
            if (keptCounts.Count > 0)
                keptThresholds.Add(edges[b - 1]);
            keptCounts.Add(counts[b]);
            keptPositives.Add(positives[b]);
        }
        // A dropped empty bin leaves the threshold below the next non-empty bin, which still separates the
        // neighbours correctly: no fit score lies strictly between two consecutive original thresholds of an empty bin.
        var probabilities = new double[keptCounts.Count];
        for (int b = 0; b < probabilities.Length; b++)
            probabilities[b] = (double)keptPositives[b] / keptCounts[b];
        return new HistogramFit(keptThresholds.ToArray(), probabilities, keptCounts.ToArray());
    }

    /// <summary>The bin of a score: the number of thresholds strictly below it.</summary>
    public static int FindBin(ReadOnlySpan<double> thresholds, double score)
    {
        int lo = 0, hi = thresholds.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (thresholds[mid] < score)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}
