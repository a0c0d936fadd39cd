using System.Runtime.CompilerServices;

namespace MLNetExt.Calibration;

/// <summary>
/// Which side of a bin is closed: the rule that decides where a confidence exactly on an edge goes. Libraries that
/// report "ECE" disagree here (docs/specs, §4.2); on the same data they can differ by 0.1.
/// </summary>
public enum BinEdgeRule
{
    /// <summary>
    /// Bins are <c>[lo, hi)</c>; a confidence on an interior edge goes to the upper bin; 0 lands in the first bin and
    /// 1 in the last, which is closed on both sides. netcal's <c>ECE</c> and older scikit-learn (<c>np.digitize</c>).
    /// </summary>
    LeftClosed,

    /// <summary>
    /// Bins are <c>(lo, hi]</c>; a confidence on an interior edge goes to the lower bin; 0 lands in the first bin.
    /// Current scikit-learn <c>calibration_curve</c> (<c>searchsorted(edges[1:-1], p)</c>) and
    /// uncertainty-calibration (Kumar et al.).
    /// </summary>
    RightClosed,

    /// <summary>
    /// Bins are <c>[lo, hi)</c>, and a confidence of exactly 1 goes to an extra bin of its own, so there are
    /// bins + 1 bins. torchmetrics 0.11 and later (<c>bucketize(right=True) - 1</c>, PR #1648).
    /// </summary>
    LeftClosedSeparateOne,
}

/// <summary>How equal-mass (adaptive) bin edges are chosen from the confidences.</summary>
public enum EqualMassBinning
{
    /// <summary>
    /// Sort the confidences, split them into bins chunks of nearly equal size (the first <c>n mod bins</c> chunks one
    /// larger, as <c>np.array_split</c>), put each edge halfway between the last value of a chunk and the first of the
    /// next, close bins on the right, and merge bins whose edges coincide. uncertainty-calibration's
    /// <c>get_equal_bins</c> (Kumar, Liang and Ma, 2019); used for the debiased estimator.
    /// </summary>
    Midpoint,

    /// <summary>
    /// Edges at the linearly interpolated quantiles <c>m / bins</c> of the confidences (numpy's default quantile),
    /// first and last edges forced to 0 and 1, bins closed on the left. netcal with <c>equal_intervals=False</c>.
    /// Ties can leave bins empty.
    /// </summary>
    QuantileLeftClosed,

    /// <summary>The same quantile edges, closed on the right: scikit-learn <c>calibration_curve(strategy='quantile')</c>.</summary>
    QuantileRightClosed,
}

/// <summary>
/// A partition of [0, 1] into bins for calibration metrics: edges <c>e_0 = 0 &lt;= e_1 &lt;= ... &lt;= e_M = 1</c> and
/// an edge rule. Equal-width edges are <c>m / M</c> computed in double, as numpy's and torch's <c>linspace</c> give
/// them for the bin counts where they are exact (M = 4, 8, ...); a confidence is assigned in O(1) for equal-width
/// bins and by binary search otherwise.
/// </summary>
public sealed class CalibrationBinning
{
    private readonly double[] _edges;
    private readonly bool _equalWidth;

    private CalibrationBinning(double[] edges, BinEdgeRule rule, bool equalWidth)
    {
        _edges = edges;
        EdgeRule = rule;
        _equalWidth = equalWidth;
    }

    /// <summary>The M + 1 edges, from 0 to 1.</summary>
    public IReadOnlyList<double> Edges => _edges;

    /// <summary>Which side of each bin is closed.</summary>
    public BinEdgeRule EdgeRule { get; }

    /// <summary>
    /// The number of bins: M, plus one for <see cref="BinEdgeRule.LeftClosedSeparateOne"/> (the bin that holds
    /// exactly 1).
    /// </summary>
    public int Count => _edges.Length - 1 + (EdgeRule == BinEdgeRule.LeftClosedSeparateOne ? 1 : 0);

    /// <summary><paramref name="binCount"/> bins of width 1 / <paramref name="binCount"/>.</summary>
    /// <param name="binCount">M, at least 1.</param>
    /// <param name="rule">The edge rule; the default is netcal's.</param>
    public static CalibrationBinning EqualWidth(int binCount, BinEdgeRule rule = BinEdgeRule.LeftClosed)
    {
        if (binCount < 1)
            throw new ArgumentOutOfRangeException(nameof(binCount), $"The number of bins must be at least 1; got {binCount}.");
        CheckRule(rule, nameof(rule));
        var edges = new double[binCount + 1];
        for (int m = 0; m <= binCount; m++)
            edges[m] = (double)m / binCount;
        return new CalibrationBinning(edges, rule, equalWidth: true);
    }

    /// <summary>Bins holding nearly equal numbers of the given confidences.</summary>
    /// <param name="confidences">The confidences, each in [0, 1].</param>
    /// <param name="binCount">The number of bins wanted, at least 1; fewer result when values tie.</param>
    /// <param name="method">How edges are placed (see <see cref="EqualMassBinning"/>).</param>
    public static CalibrationBinning EqualMass(ReadOnlySpan<double> confidences, int binCount, EqualMassBinning method = EqualMassBinning.Midpoint)
    {
        var sorted = confidences.ToArray();
        return EqualMassFromUnsorted(sorted, binCount, method);
    }

    /// <inheritdoc cref="EqualMass(ReadOnlySpan{double}, int, EqualMassBinning)"/>
    public static CalibrationBinning EqualMass(ReadOnlySpan<float> confidences, int binCount, EqualMassBinning method = EqualMassBinning.Midpoint)
    {
        var sorted = new double[confidences.Length];
        for (int i = 0; i < sorted.Length; i++)
            sorted[i] = confidences[i];
        return EqualMassFromUnsorted(sorted, binCount, method);
    }

    /// <summary>Bins with the given edges (first 0, last 1, non-decreasing).</summary>
    public static CalibrationBinning FromEdges(IEnumerable<double> edges, BinEdgeRule rule)
    {
        ArgumentNullException.ThrowIfNull(edges);
        CheckRule(rule, nameof(rule));
        var array = edges.ToArray();
        if (array.Length < 2 || array[0] != 0 || array[^1] != 1)
            throw new ArgumentException("Bin edges must start at 0, end at 1 and number at least two.", nameof(edges));
        for (int i = 1; i < array.Length; i++)
        {
            if (!(array[i] >= array[i - 1]))
                throw new ArgumentException($"Bin edges must be non-decreasing; edge {i} ({array[i]}) is below edge {i - 1} ({array[i - 1]}).", nameof(edges));
        }
        return new CalibrationBinning(array, rule, equalWidth: false);
    }

    /// <summary>The bin of a confidence in [0, 1] (not checked here; the metric functions check their input).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindBin(double confidence)
    {
        int m = _edges.Length - 1;
        switch (EdgeRule)
        {
            case BinEdgeRule.LeftClosedSeparateOne:
                return confidence == 1.0 ? m : FindLeftClosed(confidence, m);
            case BinEdgeRule.RightClosed:
                return FindRightClosed(confidence, m);
            default:
                return FindLeftClosed(confidence, m);
        }
    }

    /// <summary>Bounds of a bin and whether each bound belongs to it.</summary>
    public (double Lower, double Upper, bool IncludesLower, bool IncludesUpper) GetBounds(int bin)
    {
        if ((uint)bin >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(bin), $"Bin {bin} is not in 0..{Count - 1}.");
        int m = _edges.Length - 1;
        if (bin == m)
            return (1.0, 1.0, true, true); // the torchmetrics bin of exactly 1
        return EdgeRule switch
        {
            BinEdgeRule.RightClosed => (_edges[bin], _edges[bin + 1], bin == 0, true),
            BinEdgeRule.LeftClosed => (_edges[bin], _edges[bin + 1], true, bin == m - 1),
            _ => (_edges[bin], _edges[bin + 1], true, false),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindLeftClosed(double c, int m)
    {
        // The number of interior edges <= c: the bin whose [lo, hi) holds c (1 lands in the last bin).
        if (_equalWidth)
        {
            int b = (int)Math.Clamp(Math.Floor(c * m), 0, m - 1);
            // c * m can round across an edge; m / M in double is the reference, so step to the right side of it.
            if (b > 0 && c < _edges[b])
                b--;
            else if (b < m - 1 && c >= _edges[b + 1])
                b++;
            return b;
        }
        int lo = 1, hi = m; // search interior edges _edges[1..m-1] for the first edge > c
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_edges[mid] <= c)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo - 1;
    }

    private int FindRightClosed(double c, int m)
    {
        // The number of interior edges < c: the bin whose (lo, hi] holds c (0 lands in the first bin).
        if (_equalWidth)
        {
            int b = (int)Math.Clamp(Math.Ceiling(c * m) - 1, 0, m - 1);
            if (b > 0 && c <= _edges[b])
                b--;
            else if (b < m - 1 && c > _edges[b + 1])
                b++;
            return b;
        }
        int lo = 1, hi = m; // first interior edge >= c
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_edges[mid] < c)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo - 1;
    }

    private static CalibrationBinning EqualMassFromUnsorted(double[] values, int binCount, EqualMassBinning method)
    {
        if (binCount < 1)
            throw new ArgumentOutOfRangeException(nameof(binCount), $"The number of bins must be at least 1; got {binCount}.");
        if (values.Length == 0)
            throw new ArgumentException("Equal-mass bins need at least one confidence.", "confidences");
        for (int i = 0; i < values.Length; i++)
            CalibrationMetrics.CheckConfidence(values[i], i, "confidences");
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), $"Unknown equal-mass binning {method}.");
        // Edges need only the order statistics next to each chunk or quantile boundary: select those (expected
        // O(n log M)) instead of sorting all n values.
        var ranks = method == EqualMassBinning.Midpoint ? MidpointRanks(values.Length, binCount) : QuantileRanks(values.Length, binCount);
        OrderStatistics.Select(values, ranks);
        return method switch
        {
            EqualMassBinning.Midpoint => MidpointEdges(values, binCount),
            EqualMassBinning.QuantileLeftClosed => new CalibrationBinning(QuantileEdges(values, binCount), BinEdgeRule.LeftClosed, false),
            _ => new CalibrationBinning(QuantileEdges(values, binCount), BinEdgeRule.RightClosed, false),
        };
    }

    private static int[] MidpointRanks(int n, int binCount)
    {
        int m = Math.Min(binCount, n);
        int small = n / m, large = n % m, end = 0;
        var ranks = new List<int>(2 * m);
        for (int chunk = 0; chunk < m - 1; chunk++)
        {
            end += chunk < large ? small + 1 : small;
            ranks.Add(end - 1);
            ranks.Add(end);
        }
        return ranks.ToArray();
    }

    private static int[] QuantileRanks(int n, int binCount)
    {
        var ranks = new List<int>(2 * binCount);
        for (int m = 1; m < binCount; m++)
        {
            int lo = (int)Math.Floor((n - 1) * ((double)m / binCount));
            ranks.Add(lo);
            ranks.Add(Math.Min(lo + 1, n - 1));
        }
        return ranks.ToArray();
    }

    // Both read only the ranks that OrderStatistics.Select put in place.
    private static CalibrationBinning MidpointEdges(double[] sorted, int binCount)
    {
        // np.array_split: the first n % M chunks have n / M + 1 values, the rest n / M. With fewer values than
        // bins, numpy would produce empty chunks (and the reference code fails); one bin per value is the limit.
        int n = sorted.Length;
        int m = Math.Min(binCount, n);
        int small = n / m, large = n % m;
        // The reference keeps the sorted set of upper edges {midpoints} + {1.0}; ours is 0 followed by that set, so
        // an upper edge of exactly 0 becomes the bin [0, 0] as it is there.
        var upper = new List<double>(m);
        int end = 0;
        for (int chunk = 0; chunk < m - 1; chunk++)
        {
            end += chunk < large ? small + 1 : small;
            double edge = (sorted[end - 1] + sorted[end]) / 2;
            if (upper.Count == 0 || edge > upper[^1])
                upper.Add(edge);
        }
        if (upper.Count == 0 || upper[^1] < 1.0)
            upper.Add(1.0);
        var edges = new double[upper.Count + 1];
        upper.CopyTo(edges, 1);
        return new CalibrationBinning(edges, BinEdgeRule.RightClosed, false);
    }

    private static double[] QuantileEdges(double[] sorted, int binCount)
    {
        var edges = new double[binCount + 1];
        int n = sorted.Length;
        for (int m = 1; m < binCount; m++)
        {
            double h = (n - 1) * ((double)m / binCount);
            int lo = (int)Math.Floor(h);
            int hi = Math.Min(lo + 1, n - 1);
            edges[m] = sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
        }
        edges[0] = 0.0;
        edges[binCount] = 1.0;
        return edges;
    }

    private static void CheckRule(BinEdgeRule rule, string parameterName)
    {
        if (!Enum.IsDefined(rule))
            throw new ArgumentOutOfRangeException(parameterName, $"Unknown bin edge rule {(int)rule}.");
    }
}
