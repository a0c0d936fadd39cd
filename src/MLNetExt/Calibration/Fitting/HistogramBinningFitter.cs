using System.Numerics;
using MLNetExt.Calibration.Kernels;

namespace MLNetExt.Calibration.Fitting;

/// <summary>A fitted histogram-binning map.</summary>
/// <param name="Thresholds">Increasing upper edges of every bin but the last; bin j holds scores in (t_{j-1}, t_j].</param>
/// <param name="Probabilities">The (weighted) fraction of positives in each bin (one more than thresholds).</param>
/// <param name="Counts">The fit rows (of weight above 0) in each bin.</param>
internal sealed record HistogramFit(double[] Thresholds, double[] Probabilities, int[] Counts);

/// <summary>
/// Histogram binning (Zadrozny and Elkan, ICML 2001) with equal-mass bins: the fit scores are split, in sorted order,
/// into nearly equal chunks as <c>np.array_split</c> does; each threshold lies halfway between the last score of a
/// chunk and the first of the next, bins are closed on the right, and each bin predicts its observed (weighted)
/// positive rate. Chunks that share a score cannot be told apart, so equal thresholds merge and bins that end up empty
/// are merged into their neighbour: every bin holds at least one fit row. The chunk boundaries are exact order
/// statistics found by counting (<see cref="RankSelector"/>), not by sorting the column: the fit keeps the score column
/// and the label bits, and takes three or five counting passes and one binning pass. With example weights, the
/// chunks count the rows of weight above 0.
/// </summary>
internal static class HistogramBinningFitter
{
    /// <param name="rows">Finite scores (any monotone scale: only their order matters), labels, weights.</param>
    /// <param name="binCount">Bins wanted, at least 1; fewer result with ties or fewer rows.</param>
    /// <param name="onPass">Called before every pass over the data (cancellation, tracing).</param>
    public static HistogramFit Fit<T, TW>(PredictionStore<T, TW> rows, int binCount, Action<string>? onPass = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        long n = rows.PositiveRows;
        var starts = CalibrationBinning.ChunkStarts(n, binCount);
        int m = starts.Length - 1;
        var ranks = new List<long>(2 * m);
        for (int chunk = 1; chunk < m; chunk++)
        {
            ranks.Add(starts[chunk] - 1);
            ranks.Add(starts[chunk]);
        }
        int pass = 0;
        var selected = RankSelector.Select(new SegmentSource<T>(rows.Confidences), rows.Weighted ? new SegmentSource<TW>(rows.Weights) : null,
            rows.SegmentCount, n, ranks, onPass is null ? null : () => onPass($"counting pass {++pass}"));
        var thresholds = new List<double>(m - 1);
        for (int j = 0; j + 1 < selected.Length; j += 2)
        {
            double t = Midpoint(selected[j].Value, selected[j + 1].Value);
            if (thresholds.Count == 0 || t > thresholds[^1])
                thresholds.Add(t);
        }
        var edges = thresholds.ToArray();

        // Count per bin (rows of weight above 0, weight, weighted positives), then merge away empty bins.
        int bins = edges.Length + 1;
        var sums = new double[3 * bins];
        onPass?.Invoke("binning pass");
        Segments.Reduce(rows.SegmentCount, Segments.SegmentsPerChunk(3 * bins), 3 * bins, (first, count, partial) =>
        {
            for (int s = first; s < first + count; s++)
            {
                var scores = rows.Confidences(s);
                var labels = rows.Outcomes(s);
                var weights = rows.Weights(s);
                for (int i = 0; i < scores.Length; i++)
                {
                    double w = weights.IsEmpty ? 1 : double.CreateTruncating(weights[i]);
                    if (!(w > 0))
                        continue;
                    int bin = FindBin(edges, double.CreateTruncating(scores[i]));
                    partial[3 * bin] += 1;
                    partial[3 * bin + 1] += w;
                    partial[3 * bin + 2] += labels[i] ? w : 0;
                }
            }
        }, partial => Computations.Add(sums, partial));

        var keptThresholds = new List<double>();
        var keptCounts = new List<int>();
        var probabilities = new List<double>();
        for (int b = 0; b < bins; b++)
        {
            if (sums[3 * b] == 0)
                continue;
            if (keptCounts.Count > 0)
                keptThresholds.Add(edges[b - 1]);
            keptCounts.Add((int)sums[3 * b]);
            probabilities.Add(sums[3 * b + 2] / sums[3 * b + 1]);
        }
        // A dropped empty bin leaves the threshold below the next non-empty bin, which still separates the
        // neighbours correctly: no fit score lies strictly between two consecutive original thresholds of an empty bin.
        return new HistogramFit(keptThresholds.ToArray(), probabilities.ToArray(), keptCounts.ToArray());
    }

    /// <summary>Arrays as fit rows.</summary>
    public static HistogramFit Fit(double[] scores, bool[] labels, int binCount)
    {
        var store = new PredictionStore<double, float>(weighted: false);
        for (int s = 0; s < Segments.Count(scores.Length); s++)
        {
            var (start, length) = Segments.Range(s, scores.Length);
            var bits = PredictionStore<double, float>.NewBits();
            for (int i = 0; i < length; i++)
            {
                if (labels[start + i])
                    bits[i >> 6] |= 1UL << i;
            }
            store.Add(scores[start..(start + length)], bits, null, length);
        }
        store.PositiveRows = scores.Length;
        store.TotalWeight = scores.Length;
        return Fit(store, binCount);
    }

    /// <summary>
    /// The threshold between the last score of a chunk (<paramref name="a"/>) and the first of the next
    /// (<paramref name="b"/> &gt;= a): their midpoint, computed without overflow (scores near +-1.7e308 have a
    /// difference beyond the double range), and kept strictly below b so that b is in the upper bin (when a and b are
    /// adjacent doubles the midpoint rounds to one of them; then a is the threshold).
    /// </summary>
    public static double Midpoint(double a, double b)
    {
        double difference = b - a;
        double t = double.IsFinite(difference) ? a + difference / 2 : a / 2 + b / 2;
        return t < b ? t : a;
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
