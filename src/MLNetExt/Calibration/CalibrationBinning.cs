using System.Globalization;
using System.Numerics;
using MLNetExt.Calibration.Kernels;

namespace MLNetExt.Calibration;

/// <summary>
/// Which side of a bin is closed: the rule that decides where a confidence exactly on an edge goes. Libraries that
/// report "ECE" disagree here (docs/specs, §4.2); on the same data they can differ by 0.1.
/// </summary>
public enum BinEdgeRule
{
    /// <summary>
    /// Bins are <c>[lo, hi)</c>; a confidence on an interior edge goes to the upper bin; 0 lands in the first bin and
    /// 1 in the last, which is closed on both sides. netcal's rule (<c>np.histogramdd</c>) and older scikit-learn's
    /// (<c>np.digitize</c>). netcal's edges are <c>np.linspace</c> values: for netcal's numbers use this rule with
    /// <see cref="EqualWidthEdges.NumpyLinspace"/>.
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

/// <summary>How the edges of equal-width bins are computed: they differ in the last bit, which moves values that lie on an edge.</summary>
public enum EqualWidthEdges
{
    /// <summary>
    /// <c>e_m = m / M</c>, the correctly rounded quotient: the double nearest to the true edge. With M = 10, edge 3 is
    /// 0.3 (the double nearest 3/10), so the double 0.3 lies on it.
    /// </summary>
    Quotient,

    /// <summary>
    /// <c>e_m = m * (1 / M)</c> and <c>e_M = 1</c>, the values of <c>np.linspace(0, 1, M + 1)</c> (checked for every
    /// M up to 2000 against numpy 1.24), which netcal uses. With M = 10, edge 3 is 0.30000000000000004, so the double
    /// 0.3 lies below it and lands one bin lower than with <see cref="Quotient"/>. Float confidences are never that
    /// close to an edge for M &lt;= 2000, so both give the same bins for Single columns.
    /// </summary>
    NumpyLinspace,
}

/// <summary>How equal-mass (adaptive) bin edges are chosen from the confidences.</summary>
public enum EqualMassBinning
{
    /// <summary>
    /// Sort the confidences, split them into bins chunks of nearly equal size (the first <c>n mod bins</c> chunks one
    /// larger, as <c>np.array_split</c>), put each edge halfway between the last value of a chunk and the first of the
    /// next, close bins on the right, and merge bins whose edges coincide: tied values stay in one bin. uncertainty-calibration's
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

    /// <summary>
    /// Exactly the chunks of <c>np.array_split</c> of the stably sorted confidences (<c>np.argsort(kind='stable')</c>):
    /// every bin holds n / bins rows (the first <c>n mod bins</c> one more), and a run of tied values that crosses a
    /// chunk boundary is split between the bins by row order. numpy's default sort is not stable, so code that
    /// splits with <c>np.argsort(c)</c> can put other rows of a tie in each bin; the bins' sizes and confidences agree,
    /// their outcomes can differ. A binning of this kind assigns tied values by their order in the confidences it was
    /// made from: use it with those confidences.
    /// </summary>
    ArraySplit,
}

/// <summary>
/// A partition of [0, 1] into bins for calibration metrics: edges <c>e_0 = 0 &lt;= e_1 &lt;= ... &lt;= e_M = 1</c> and
/// an edge rule. Equal-width bins are found by arithmetic (<c>floor(c M)</c>, corrected by one bin where the product
/// rounds across a stored edge), other edges by binary search.
/// </summary>
public sealed class CalibrationBinning
{
    /// <summary>The most bins a binning may have: 1,048,576.</summary>
    public const int MaximumBinCount = 1 << 20;

    private readonly double[] _edges;
    private readonly bool _equalWidth;
    // Equal width: -inf, the interior edges, +inf (for the one-step correction).
    private readonly double[]? _correctionEdges;
    // Equal width: whether floor(c M) (left) or ceil(c M) - 1 (right) is the bin of every float c, without correction.
    private readonly bool _computedExactForFloat;
    private int[]? _bucketTable;

    private CalibrationBinning(double[] edges, BinEdgeRule rule, bool equalWidth, TieSplit? ties = null)
    {
        _edges = edges;
        EdgeRule = rule;
        _equalWidth = equalWidth;
        Ties = ties;
        if (equalWidth)
        {
            int m = edges.Length - 1;
            _correctionEdges = new double[m + 1];
            _correctionEdges[0] = double.NegativeInfinity;
            _correctionEdges[m] = double.PositiveInfinity;
            Array.Copy(edges, 1, _correctionEdges, 1, m - 1);
            _computedExactForFloat = IsComputedExactForFloat(edges, rule == BinEdgeRule.RightClosed);
        }
    }

    /// <summary>The M + 1 edges, from 0 to 1.</summary>
    public IReadOnlyList<double> Edges => _edges;

    /// <summary>
    /// Which side of each bin is closed. For <see cref="EqualMassBinning.ArraySplit"/> bins,
    /// <see cref="BinEdgeRule.LeftClosed"/>: a value between two edges is in the bin between them, and a value on an
    /// edge is shared between the bins that meet there (see <see cref="SplitsTies"/>).
    /// </summary>
    public BinEdgeRule EdgeRule { get; }

    /// <summary>
    /// True for <see cref="EqualMassBinning.ArraySplit"/> bins: the metric functions split the rows that lie on an edge
    /// between the bins that meet there, by row order, and <see cref="FindBin"/> returns the lowest of them.
    /// </summary>
    public bool SplitsTies => Ties is not null;

    /// <summary>
    /// The number of bins: M, plus one for <see cref="BinEdgeRule.LeftClosedSeparateOne"/> (the bin that holds
    /// exactly 1).
    /// </summary>
    public int Count => _edges.Length - 1 + (EdgeRule == BinEdgeRule.LeftClosedSeparateOne ? 1 : 0);

    internal TieSplit? Ties { get; }

    /// <summary><paramref name="binCount"/> bins of width 1 / <paramref name="binCount"/>.</summary>
    /// <param name="binCount">M, in [1, <see cref="MaximumBinCount"/>].</param>
    /// <param name="rule">The edge rule; left-closed (netcal's) by default.</param>
    /// <param name="edges">How the edges are computed: <c>m / M</c> by default, or <c>np.linspace</c>'s values (netcal).</param>
    public static CalibrationBinning EqualWidth(int binCount, BinEdgeRule rule = BinEdgeRule.LeftClosed, EqualWidthEdges edges = EqualWidthEdges.Quotient)
    {
        CheckBinCount(binCount, nameof(binCount));
        CheckRule(rule, nameof(rule));
        if (!Enum.IsDefined(edges))
            throw new ArgumentOutOfRangeException(nameof(edges), $"Unknown equal-width edges {(int)edges}.");
        var values = new double[binCount + 1];
        double step = 1.0 / binCount;
        for (int m = 0; m < binCount; m++)
            values[m] = edges == EqualWidthEdges.NumpyLinspace ? m * step : (double)m / binCount;
        values[binCount] = 1.0;
        return new CalibrationBinning(values, rule, equalWidth: true);
    }

    /// <summary>Bins holding nearly equal numbers of the given confidences.</summary>
    /// <param name="confidences">The confidences, each in [0, 1]; at least one.</param>
    /// <param name="binCount">The number of bins wanted, in [1, <see cref="MaximumBinCount"/>]; fewer result when there are fewer
    /// confidences or (except for <see cref="EqualMassBinning.ArraySplit"/>) when values tie.</param>
    /// <param name="method">How edges are placed (see <see cref="EqualMassBinning"/>).</param>
    public static CalibrationBinning EqualMass(ReadOnlySpan<double> confidences, int binCount, EqualMassBinning method = EqualMassBinning.Midpoint)
        => EqualMassOfSpan(confidences, binCount, method);

    /// <inheritdoc cref="EqualMass(ReadOnlySpan{double}, int, EqualMassBinning)"/>
    public static CalibrationBinning EqualMass(ReadOnlySpan<float> confidences, int binCount, EqualMassBinning method = EqualMassBinning.Midpoint)
        => EqualMassOfSpan(confidences, binCount, method);

    /// <summary>Bins with the given edges (first 0, last 1, non-decreasing; at most <see cref="MaximumBinCount"/> bins).</summary>
    public static CalibrationBinning FromEdges(IEnumerable<double> edges, BinEdgeRule rule)
    {
        ArgumentNullException.ThrowIfNull(edges);
        CheckRule(rule, nameof(rule));
        var array = edges.ToArray();
        if (array.Length < 2 || array[0] != 0 || array[^1] != 1)
            throw new ArgumentException("Bin edges must start at 0, end at 1 and number at least two.", nameof(edges));
        if (array.Length - 1 > MaximumBinCount)
            throw new ArgumentOutOfRangeException(nameof(edges), $"{array.Length} edges make {array.Length - 1} bins; at most {MaximumBinCount} are allowed.");
        for (int i = 1; i < array.Length; i++)
        {
            if (!(array[i] >= array[i - 1]))
                throw new ArgumentException($"Bin edges must be non-decreasing; edge {i} ({array[i]}) is below edge {i - 1} ({array[i - 1]}).", nameof(edges));
        }
        return new CalibrationBinning(array, rule, equalWidth: false);
    }

    /// <summary>
    /// The bin of a confidence in [0, 1] (not checked here; the metric functions check their input). For bins that
    /// split ties (<see cref="SplitsTies"/>), the lowest bin that holds the value.
    /// </summary>
    public int FindBin(double confidence) => BinRules.Find(this, confidence);

    /// <summary>Bounds of a bin and whether each bound belongs to it.</summary>
    public (double Lower, double Upper, bool IncludesLower, bool IncludesUpper) GetBounds(int bin)
    {
        if ((uint)bin >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(bin), $"Bin {bin} is not in 0..{Count - 1}.");
        int m = _edges.Length - 1;
        if (bin == m)
            return (1.0, 1.0, true, true); // the torchmetrics bin of exactly 1
        if (Ties is { } ties)
            return (_edges[bin], _edges[bin + 1], true, bin == m - 1 || ties.HoldsUpperEdge(bin));
        return EdgeRule switch
        {
            BinEdgeRule.RightClosed => (_edges[bin], _edges[bin + 1], bin == 0, true),
            BinEdgeRule.LeftClosed => (_edges[bin], _edges[bin + 1], true, bin == m - 1),
            _ => (_edges[bin], _edges[bin + 1], true, false),
        };
    }

    /// <summary>Which <see cref="IBinRule"/> finds this binning's bins (the computed one for float input where it is exact).</summary>
    internal BinRuleKind RuleKind(bool floatInput)
    {
        if (Ties is not null)
            return BinRuleKind.RightSearch; // the lowest bin holding a value on an edge
        bool separate = EdgeRule == BinEdgeRule.LeftClosedSeparateOne;
        if (_equalWidth)
        {
            bool computed = floatInput && _computedExactForFloat;
            return EdgeRule == BinEdgeRule.RightClosed
                ? computed ? BinRuleKind.RightComputed : BinRuleKind.RightCorrected
                : computed ? (separate ? BinRuleKind.SeparateOneComputed : BinRuleKind.LeftComputed)
                : separate ? BinRuleKind.SeparateOneCorrected : BinRuleKind.LeftCorrected;
        }
        if (floatInput && !separate)
            return EdgeRule == BinEdgeRule.RightClosed ? BinRuleKind.BucketRight : BinRuleKind.BucketLeft;
        return EdgeRule == BinEdgeRule.RightClosed ? BinRuleKind.RightSearch
            : separate ? BinRuleKind.SeparateOneSearch : BinRuleKind.LeftSearch;
    }

    /// <summary>The 16-bit table of <see cref="Bucketed{TInner}"/> for this binning's search rule (made on first use).</summary>
    internal int[] BucketTable => _bucketTable ??= EdgeRule == BinEdgeRule.RightClosed
        ? Bucketed<RightSearch>.Build(new RightSearch(_edges))
        : Bucketed<LeftSearch>.Build(new LeftSearch(_edges));

    /// <summary>M, the number of bins between 0 and 1 (without torchmetrics' bin of exactly 1).</summary>
    internal int IntervalCount => _edges.Length - 1;

    /// <summary>The edges, 0 to 1.</summary>
    internal double[] EdgeArray => _edges;

    /// <summary>-inf, the interior edges, +inf (equal width only).</summary>
    internal double[] CorrectionEdges => _correctionEdges ?? throw new InvalidOperationException("Not an equal-width binning.");

    /// <summary>Equal-width, left-closed or torchmetrics, with bins found by arithmetic for every float: the vector kernel applies.</summary>
    internal bool IsVectorizableForFloat => _equalWidth && _computedExactForFloat && EdgeRule != BinEdgeRule.RightClosed;

    /// <summary>
    /// Equal-mass bins of the values held in segments (the evaluators' stored columns), over the rows whose weight is
    /// above 0 (all rows when <paramref name="weights"/> is null; <paramref name="count"/> is the number of such rows).
    /// </summary>
    internal static CalibrationBinning EqualMass<T, TW>(SegmentSource<T> values, SegmentSource<TW>? weights, int segmentCount, long count,
        int binCount, EqualMassBinning method, Action? checkCanceled, int[]? topCounts = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        CheckBinCount(binCount, nameof(binCount));
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), $"Unknown equal-mass binning {(int)method}.");
        if (count == 0)
            throw new ArgumentException("Equal-mass bins need at least one confidence.", "confidences");
        switch (method)
        {
            case EqualMassBinning.Midpoint:
            {
                // np.array_split: the first n % M chunks have n / M + 1 values, the rest n / M. With fewer values than
                // bins, numpy would produce empty chunks (and the reference code fails); one bin per value is the limit.
                var ends = ChunkStarts(count, binCount);
                var ranks = new List<long>();
                for (int c = 1; c < ends.Length - 1; c++)
                {
                    ranks.Add(ends[c] - 1);
                    ranks.Add(ends[c]);
                }
                var selected = RankSelector.Select(values, weights, segmentCount, count, ranks, checkCanceled, topCounts);
                // The reference keeps the sorted set of upper edges {midpoints} + {1.0}; ours is 0 followed by that set,
                // so an upper edge of exactly 0 becomes the bin [0, 0] as it is there.
                var upper = new List<double>();
                for (int c = 0; c + 1 < selected.Length; c += 2)
                {
                    double edge = (selected[c].Value + selected[c + 1].Value) / 2;
                    if (upper.Count == 0 || edge > upper[^1])
                        upper.Add(edge);
                }
                if (upper.Count == 0 || upper[^1] < 1.0)
                    upper.Add(1.0);
                var edges = new double[upper.Count + 1];
                upper.CopyTo(edges, 1);
                return new CalibrationBinning(edges, BinEdgeRule.RightClosed, false);
            }
            case EqualMassBinning.ArraySplit:
            {
                var starts = ChunkStarts(count, binCount);
                int m = starts.Length - 1;
                var ranks = new List<long>();
                for (int c = 1; c < m; c++)
                    ranks.Add(starts[c]);
                var selected = RankSelector.Select(values, weights, segmentCount, count, ranks, checkCanceled, topCounts);
                var edges = new double[m + 1];
                for (int c = 1; c < m; c++)
                    edges[c] = selected[c - 1].Value;
                edges[m] = 1.0;
                return new CalibrationBinning(edges, BinEdgeRule.LeftClosed, false, new TieSplit(count, starts, selected));
            }
            default:
            {
                // numpy's linear quantile: h = (n - 1) q, value = s[floor h] + (h - floor h)(s[floor h + 1] - s[floor h]).
                var ranks = new List<long>();
                for (int m = 1; m < binCount; m++)
                {
                    long lo = (long)Math.Floor((count - 1) * ((double)m / binCount));
                    ranks.Add(lo);
                    ranks.Add(Math.Min(lo + 1, count - 1));
                }
                var selected = RankSelector.Select(values, weights, segmentCount, count, ranks, checkCanceled, topCounts);
                var edges = new double[binCount + 1];
                for (int m = 1; m < binCount; m++)
                {
                    double h = (count - 1) * ((double)m / binCount);
                    double lo = selected[2 * (m - 1)].Value, hi = selected[2 * (m - 1) + 1].Value;
                    edges[m] = lo + (h - Math.Floor(h)) * (hi - lo);
                }
                edges[binCount] = 1.0;
                return new CalibrationBinning(edges, method == EqualMassBinning.QuantileLeftClosed ? BinEdgeRule.LeftClosed : BinEdgeRule.RightClosed, false);
            }
        }
    }

    /// <summary>The first rank of each of min(bins, n) chunks as <c>np.array_split</c> makes them, then n.</summary>
    internal static long[] ChunkStarts(long count, int binCount)
    {
        long m = Math.Min(binCount, count);
        long small = count / m, large = count % m;
        var starts = new long[m + 1];
        for (long c = 1; c <= m; c++)
            starts[c] = starts[c - 1] + (c - 1 < large ? small + 1 : small);
        return starts;
    }

    internal static void CheckBinCount(int binCount, string parameterName)
    {
        if (binCount < 1 || binCount > MaximumBinCount)
            throw new ArgumentOutOfRangeException(parameterName, $"The number of bins must be in [1, {MaximumBinCount}]; got {binCount}.");
    }

    private static CalibrationBinning EqualMassOfSpan<T>(ReadOnlySpan<T> confidences, int binCount, EqualMassBinning method)
        where T : unmanaged, INumber<T>
    {
        CheckBinCount(binCount, nameof(binCount));
        if (confidences.IsEmpty)
            throw new ArgumentException("Equal-mass bins need at least one confidence; 'confidences' is empty.", nameof(confidences));
        for (int i = 0; i < confidences.Length; i++)
        {
            double c = double.CreateTruncating(confidences[i]);
            if (!BinKernels.IsProbability(c))
                BinKernels.ThrowOutOfRange(nameof(confidences), i, c);
        }
        var copy = confidences.ToArray(); // the selector reads segments through a delegate, which cannot capture a span
        return EqualMass<T, float>(s => copy.AsSpan(Segments.Range(s, copy.Length).Start, Segments.Range(s, copy.Length).Length), null,
            Segments.Count(copy.Length), copy.Length, binCount, method, null);
    }

    private static void CheckRule(BinEdgeRule rule, string parameterName)
    {
        if (!Enum.IsDefined(rule))
            throw new ArgumentOutOfRangeException(parameterName, $"Unknown bin edge rule {(int)rule}.");
    }

    // For every interior edge: the smallest float placed above it by the rule equals the smallest float that the
    // arithmetic places above it (c M >= b, or > b for right-closed; exact in double for a float c and M < 2^29).
    private static bool IsComputedExactForFloat(double[] edges, bool rightClosed)
    {
        int m = edges.Length - 1;
        for (int b = 1; b < m; b++)
        {
            float byEdge = (float)edges[b];
            if (rightClosed ? byEdge <= edges[b] : byEdge < edges[b])
                byEdge = MathF.BitIncrement(byEdge);
            float byProduct = (float)((double)b / m);
            while (!Above(byProduct))
                byProduct = MathF.BitIncrement(byProduct);
            while (Above(MathF.BitDecrement(byProduct)))
                byProduct = MathF.BitDecrement(byProduct);
            if (byEdge != byProduct)
                return false;

            bool Above(float c) => rightClosed ? (double)c * m > b : (double)c * m >= b;
        }
        return true;
    }
}

/// <summary>
/// What <see cref="EqualMassBinning.ArraySplit"/> needs to split a run of tied values between bins: the rows the
/// binning was made from, each chunk's first rank, and for each edge value how many rows lie below it and on it.
/// The j-th row (in row order) whose value equals edge value v has rank below(v) + j, and goes to the chunk of that rank.
/// </summary>
internal sealed class TieSplit
{
    public TieSplit(long rowCount, long[] starts, RankValue[] edgeValues)
    {
        RowCount = rowCount;
        Starts = starts;
        var distinct = edgeValues.DistinctBy(v => v.Value).OrderBy(v => v.Value).ToArray();
        Values = distinct.Select(v => v.Value).ToArray();
        Below = distinct.Select(v => v.Below).ToArray();
        Equal = distinct.Select(v => v.Equal).ToArray();
    }

    public long RowCount { get; }

    public long[] Starts { get; }

    /// <summary>The distinct edge values, ascending.</summary>
    public double[] Values { get; }

    public long[] Below { get; }

    public long[] Equal { get; }

    /// <summary>Whether chunk <paramref name="bin"/> holds rows equal to its upper edge (a tie split across the boundary).</summary>
    public bool HoldsUpperEdge(int bin)
    {
        // The upper edge is the value at rank Starts[bin + 1]: the edge value whose run of ties covers that rank.
        long start = Starts[bin + 1];
        for (int d = 0; d < Values.Length; d++)
        {
            if (Below[d] <= start && start < Below[d] + Equal[d])
                return Below[d] < start;
        }
        return false;
    }

    /// <summary>How many rows of a segment equal each edge value (rows of weight 0 do not count).</summary>
    public long[] CountEdgeValues<T, TW>(ReadOnlySpan<T> values, ReadOnlySpan<TW> weights)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        var counts = new long[Values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (!weights.IsEmpty && !(double.CreateTruncating(weights[i]) > 0))
                continue;
            int d = Array.BinarySearch(Values, double.CreateTruncating(values[i]) + 0.0);
            if (d >= 0)
                counts[d]++;
        }
        return counts;
    }

    /// <summary>
    /// The bin of every row of a segment: by value, and for a value on an edge by its rank among the rows of that value
    /// (<paramref name="seen"/>: how many rows of each edge value came before the segment; advanced here).
    /// </summary>
    public void Assign<T, TW>(ReadOnlySpan<T> values, ReadOnlySpan<TW> weights, long[] seen, double[] edges, int[] bins)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        var rule = new RightSearch(edges);
        for (int i = 0; i < values.Length; i++)
        {
            double v = double.CreateTruncating(values[i]) + 0.0;
            int d = Array.BinarySearch(Values, v);
            if (d < 0 || (!weights.IsEmpty && !(double.CreateTruncating(weights[i]) > 0)))
            {
                bins[i] = rule.Find(v, i); // between edges; a row of weight 0 adds nothing wherever it goes
                continue;
            }
            long rank = Below[d] + seen[d]++;
            if (seen[d] > Equal[d])
                throw new ArgumentException("The confidences are not the ones this ArraySplit binning was made from (an edge value occurs more often).", "confidences");
            int lo = 0, hi = Starts.Length - 1; // the last chunk whose start is <= rank
            while (hi - lo > 1)
            {
                int mid = (lo + hi) >>> 1;
                if (Starts[mid] <= rank)
                    lo = mid;
                else
                    hi = mid;
            }
            bins[i] = lo;
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Starts.Length - 1} chunks of {RowCount} rows");
}
