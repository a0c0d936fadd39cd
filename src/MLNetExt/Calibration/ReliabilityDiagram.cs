using System.Globalization;
using System.Text;

namespace MLNetExt.Calibration;

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Index">The bin's position, 0-based.</param>
/// <param name="Lower">The lower edge.</param>
/// <param name="Upper">The upper edge.</param>
/// <param name="IncludesLower">Whether a confidence equal to <paramref name="Lower"/> belongs to this bin.</param>
/// <param name="IncludesUpper">Whether a confidence equal to <paramref name="Upper"/> belongs to this bin.</param>
/// <param name="Count">How many predictions fell in the bin (rows of weight 0 are not counted).</param>
/// <param name="MeanConfidence">Their (weighted) mean confidence; NaN for an empty bin.</param>
/// <param name="ObservedFrequency">The (weighted) fraction of them whose outcome was positive (correct); NaN for an empty bin.</param>
/// <param name="Weight">Their total weight: <paramref name="Count"/> without example weights.</param>
public readonly record struct ReliabilityBin(int Index, double Lower, double Upper, bool IncludesLower, bool IncludesUpper,
    long Count, double MeanConfidence, double ObservedFrequency, double Weight)
{
    /// <summary><see cref="ObservedFrequency"/> - <see cref="MeanConfidence"/>: negative when over-confident.</summary>
    public double Gap => ObservedFrequency - MeanConfidence;

    /// <summary>The bin as interval notation, e.g. "[0.2, 0.4)".</summary>
    public string Interval => string.Create(CultureInfo.InvariantCulture,
        $"{(IncludesLower ? '[' : '(')}{Lower:0.####}, {Upper:0.####}{(IncludesUpper ? ']' : ')')}");
}

/// <summary>
/// The per-bin table behind a reliability diagram, with the binned calibration errors it implies. For non-empty bin
/// b with weight <c>W_b</c> (its row count without example weights), mean confidence <c>conf_b</c>, observed
/// frequency <c>acc_b</c> and <c>R_b = sum_{i in b} w_i o_i - sum_{i in b} w_i c_i = W_b (acc_b - conf_b)</c>, W = sum of W_b:
/// <list type="bullet">
/// <item><description>ECE = sum_b (W_b / W) |acc_b - conf_b| = sum_b |R_b| / W</description></item>
/// <item><description>MCE = max_b |R_b| / W_b over non-empty bins (empty bins count as 0, as in netcal and torchmetrics)</description></item>
/// <item><description>RMSCE = sqrt(sum_b (W_b / W) (R_b / W_b)^2)</description></item>
/// <item><description>debiased RMSCE (Kumar et al. 2019) = sqrt(max(sum_{b: n_b &gt;= 2} (W_b / W) [(acc_b - conf_b)^2 - acc_b (1 - acc_b) / (n_b - 1)], 0)),
/// with n_b the bin's effective size W_b^2 / sum w^2 (its row count without weights)</description></item>
/// </list>
/// Without weights, sum o is an exact count, so R_b carries only the rounding of sum c.
/// </summary>
public sealed class ReliabilityDiagram
{
    private readonly ReliabilityBin[] _bins;

    internal ReliabilityDiagram(CalibrationBinning binning, BinStatistics stats)
    {
        Binning = binning;
        _bins = new ReliabilityBin[stats.BinCount];
        long total = 0;
        double weight = 0;
        for (int b = 0; b < _bins.Length; b++)
        {
            var (lower, upper, includesLower, includesUpper) = binning.GetBounds(b);
            long n = stats.Count(b);
            double w = stats.Weight(b);
            total += n;
            weight += w;
            _bins[b] = new ReliabilityBin(b, lower, upper, includesLower, includesUpper, n,
                w > 0 ? stats.SumConfidence(b) / w : double.NaN,
                w > 0 ? stats.SumOutcome(b) / w : double.NaN, w);
        }
        Count = total;
        Weight = weight;

        double absolute = 0, mce = 0, squared = 0, debiased = 0;
        for (int b = 0; b < _bins.Length; b++)
        {
            double w = _bins[b].Weight;
            if (!(w > 0))
                continue;
            double residual = stats.SumOutcome(b) - stats.SumConfidence(b);
            double gap = Math.Abs(residual) / w;
            absolute += Math.Abs(residual);
            mce = Math.Max(mce, gap);
            squared += w * gap * gap;
            double effective = stats.EffectiveCount(b);
            if (effective >= 2)
            {
                double acc = _bins[b].ObservedFrequency;
                debiased += w * (gap * gap - acc * (1 - acc) / (effective - 1));
            }
        }
        ExpectedCalibrationError = absolute / weight;
        MaximumCalibrationError = mce;
        RootMeanSquaredCalibrationError = Math.Sqrt(squared / weight);
        DebiasedRootMeanSquaredCalibrationError = Math.Sqrt(Math.Max(debiased / weight, 0));
    }

    /// <summary>The bins the table was computed with.</summary>
    public CalibrationBinning Binning { get; }

    /// <summary>Every bin, empty ones included (their means are NaN).</summary>
    public IReadOnlyList<ReliabilityBin> Bins => _bins;

    /// <summary>The number of predictions (rows of weight 0 are not counted).</summary>
    public long Count { get; }

    /// <summary>The total weight of the predictions: <see cref="Count"/> without example weights.</summary>
    public double Weight { get; }

    /// <summary>Expected calibration error (L1): the weight-weighted mean of |gap|.</summary>
    public double ExpectedCalibrationError { get; }

    /// <summary>Maximum calibration error: the largest |gap| of a non-empty bin.</summary>
    public double MaximumCalibrationError { get; }

    /// <summary>Root-mean-square calibration error (L2).</summary>
    public double RootMeanSquaredCalibrationError { get; }

    /// <summary>
    /// The L2 calibration error with the binomial noise of each bin's frequency removed (Kumar, Liang and Ma, NeurIPS
    /// 2019, uncertainty-calibration's <c>unbiased_l2_ce</c>); bins of fewer than two predictions contribute 0, and a
    /// negative estimate is clamped to 0.
    /// </summary>
    public double DebiasedRootMeanSquaredCalibrationError { get; }

    /// <summary>
    /// The non-empty bins as scikit-learn's <c>calibration_curve</c> returns them: observed frequencies
    /// (<c>prob_true</c>) and mean confidences (<c>prob_pred</c>).
    /// </summary>
    public (double[] ProbabilityTrue, double[] ProbabilityPredicted) GetCalibrationCurve()
    {
        var nonEmpty = _bins.Where(b => b.Count > 0).ToArray();
        return (nonEmpty.Select(b => b.ObservedFrequency).ToArray(), nonEmpty.Select(b => b.MeanConfidence).ToArray());
    }

    /// <summary>A fixed-width text table of the bins.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"bin",-18} {"count",9} {"confidence",11} {"observed",9} {"gap",8}");
        foreach (var bin in _bins)
        {
            text.AppendLine(bin.Count == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{bin.Interval,-18} {0,9}")
                : string.Create(CultureInfo.InvariantCulture,
                    $"{bin.Interval,-18} {bin.Count,9} {bin.MeanConfidence,11:0.0000} {bin.ObservedFrequency,9:0.0000} {bin.Gap,8:+0.0000;-0.0000}"));
        }
        return text.ToString();
    }
}

/// <summary>
/// The Brier score of binary forecasts split into Murphy's terms over a binning, with the two within-bin terms of
/// Stephenson, Coelho and Jolliffe (2008) that make it exact for continuous forecasts:
/// <c>BrierScore = Reliability - Resolution + Uncertainty + WithinBinVariance - WithinBinCovariance</c>.
/// When every bin holds a single forecast value, both within-bin terms are 0 and this is Murphy's decomposition.
/// </summary>
/// <param name="BrierScore">(1/N) sum (p_i - y_i)^2.</param>
/// <param name="Reliability">(1/N) sum_b n_b (fbar_b - obar_b)^2: lower is better calibrated.</param>
/// <param name="Resolution">(1/N) sum_b n_b (obar_b - obar)^2: higher means the forecasts separate outcomes.</param>
/// <param name="Uncertainty">obar (1 - obar): the Brier score of always forecasting the base rate.</param>
/// <param name="WithinBinVariance">(1/N) sum_b sum_{i in b} (f_i - fbar_b)^2.</param>
/// <param name="WithinBinCovariance">(2/N) sum_b sum_{i in b} (o_i - obar_b)(f_i - fbar_b).
/// With example weights every sum is weighted (N the total weight, n_b a bin's weight).</param>
public sealed record BrierDecomposition(double BrierScore, double Reliability, double Resolution, double Uncertainty,
    double WithinBinVariance, double WithinBinCovariance);

/// <summary>Per-bin sums (<see cref="Kernels.BinKernels"/>' layout) from one pass over the predictions.</summary>
internal sealed class BinStatistics
{
    private readonly double[] _sums;

    public BinStatistics(int binCount, double[] sums, bool weighted)
    {
        BinCount = binCount;
        _sums = sums;
        Weighted = weighted;
    }

    public int BinCount { get; }

    public bool Weighted { get; }

    public long Count(int b) => (long)Field(b, Kernels.BinKernels.Count);

    public double Weight(int b) => Field(b, Kernels.BinKernels.Weight);

    public double SumConfidence(int b) => Field(b, Kernels.BinKernels.SumC);

    public double SumOutcome(int b) => Field(b, Kernels.BinKernels.SumO);

    /// <summary>sum w over all rows (the row count without weights).</summary>
    public double TotalWeight => Total(Kernels.BinKernels.TotalW);

    /// <summary>sum w c over all rows.</summary>
    public double TotalConfidence => Total(Kernels.BinKernels.TotalC);

    /// <summary>sum w o over all rows.</summary>
    public double TotalOutcome => Total(Kernels.BinKernels.TotalO);

    /// <summary>sum w c^2 over all rows.</summary>
    public double SumConfidenceSquared => Total(Kernels.BinKernels.TotalCC);

    /// <summary>sum w c o over all rows.</summary>
    public double SumConfidenceOutcome => Total(Kernels.BinKernels.TotalCO);

    /// <summary>The row count without weights; Kish's effective size W^2 / sum w^2 with them.</summary>
    public double EffectiveCount(int b)
    {
        if (!Weighted)
            return Count(b);
        double w = Weight(b), ww = Field(b, Kernels.BinKernels.SumWW);
        return ww > 0 ? w * w / ww : 0;
    }

    /// <summary>
    /// Murphy's terms with Stephenson's within-bin terms, from the per-bin sums and the two all-row sums:
    /// BS = (sum c^2 - 2 sum c o + sum o) / W, WBV = (sum c^2 - sum_b S_c^2 / W_b) / W, WBC = 2 (sum c o - sum_b S_c S_o / W_b) / W.
    /// </summary>
    public BrierDecomposition Decompose()
    {
        double total = TotalWeight, positives = TotalOutcome, reliability = 0, resolution = 0, betweenSquares = 0, betweenProducts = 0;
        if (!(total > 0))
            return new BrierDecomposition(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        double baseRate = positives / total;
        for (int b = 0; b < BinCount; b++)
        {
            double wb = Weight(b);
            if (!(wb > 0))
                continue;
            double f = SumConfidence(b) / wb, o = SumOutcome(b) / wb;
            reliability += wb * (f - o) * (f - o);
            resolution += wb * (o - baseRate) * (o - baseRate);
            betweenSquares += SumConfidence(b) * f;
            betweenProducts += SumConfidence(b) * o;
        }
        double brier = SumConfidenceSquared - 2 * SumConfidenceOutcome + positives;
        return new BrierDecomposition(brier / total, reliability / total, resolution / total, baseRate * (1 - baseRate),
            Math.Max(SumConfidenceSquared - betweenSquares, 0) / total, 2 * (SumConfidenceOutcome - betweenProducts) / total);
    }

    private double Field(int b, int field) => _sums[b * Kernels.BinKernels.Fields + field];

    private double Total(int total) => _sums[Kernels.BinKernels.Total(BinCount, total)];
}
