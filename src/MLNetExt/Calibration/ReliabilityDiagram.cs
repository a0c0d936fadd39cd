using System.Globalization;
using System.Text;

namespace MLNetExt.Calibration;

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Index">The bin's position, 0-based.</param>
/// <param name="Lower">The lower edge.</param>
/// <param name="Upper">The upper edge.</param>
/// <param name="IncludesLower">Whether a confidence equal to <paramref name="Lower"/> belongs to this bin.</param>
/// <param name="IncludesUpper">Whether a confidence equal to <paramref name="Upper"/> belongs to this bin.</param>
/// <param name="Count">How many predictions fell in the bin.</param>
/// <param name="MeanConfidence">Their mean confidence; NaN for an empty bin.</param>
/// <param name="ObservedFrequency">The fraction of them whose outcome was positive (correct); NaN for an empty bin.</param>
public readonly record struct ReliabilityBin(int Index, double Lower, double Upper, bool IncludesLower, bool IncludesUpper,
    long Count, double MeanConfidence, double ObservedFrequency)
{
    /// <summary><see cref="ObservedFrequency"/> - <see cref="MeanConfidence"/>: negative when over-confident.</summary>
    public double Gap => ObservedFrequency - MeanConfidence;

    /// <summary>The bin as interval notation, e.g. "[0.2, 0.4)".</summary>
    public string Interval => string.Create(CultureInfo.InvariantCulture,
        $"{(IncludesLower ? '[' : '(')}{Lower:0.####}, {Upper:0.####}{(IncludesUpper ? ']' : ')')}");
}

/// <summary>
/// The per-bin table behind a reliability diagram, with the binned calibration errors it implies. For non-empty bin
/// b with <c>n_b</c> predictions, mean confidence <c>conf_b</c> and observed frequency <c>acc_b</c>, N = sum of n_b:
/// <list type="bullet">
/// <item><description>ECE = sum_b (n_b / N) |acc_b - conf_b|</description></item>
/// <item><description>MCE = max_b |acc_b - conf_b| over non-empty bins (empty bins count as 0, as in netcal and torchmetrics)</description></item>
/// <item><description>RMSCE = sqrt(sum_b (n_b / N) (acc_b - conf_b)^2)</description></item>
/// <item><description>debiased RMSCE (Kumar et al. 2019) = sqrt(max(sum_{b: n_b &gt;= 2} (n_b / N) [(acc_b - conf_b)^2 - acc_b (1 - acc_b) / (n_b - 1)], 0))</description></item>
/// </list>
/// </summary>
public sealed class ReliabilityDiagram
{
    private readonly ReliabilityBin[] _bins;

    internal ReliabilityDiagram(CalibrationBinning binning, BinStatistics stats)
    {
        Binning = binning;
        _bins = new ReliabilityBin[stats.BinCount];
        long total = 0;
        for (int b = 0; b < _bins.Length; b++)
        {
            var (lower, upper, includesLower, includesUpper) = binning.GetBounds(b);
            long n = stats.Count[b];
            total += n;
            _bins[b] = new ReliabilityBin(b, lower, upper, includesLower, includesUpper, n,
                n > 0 ? stats.SumConfidence[b] / n : double.NaN,
                n > 0 ? stats.SumOutcome[b] / n : double.NaN);
        }
        Count = total;

        double ece = 0, mce = 0, squared = 0, debiased = 0;
        foreach (var bin in _bins)
        {
            if (bin.Count == 0)
                continue;
            double weight = (double)bin.Count / total;
            double gap = Math.Abs(bin.Gap);
            ece += weight * gap;
            mce = Math.Max(mce, gap);
            squared += weight * gap * gap;
            if (bin.Count >= 2)
            {
                double acc = bin.ObservedFrequency;
                debiased += weight * (gap * gap - acc * (1 - acc) / (bin.Count - 1));
            }
        }
        ExpectedCalibrationError = ece;
        MaximumCalibrationError = mce;
        RootMeanSquaredCalibrationError = Math.Sqrt(squared);
        DebiasedRootMeanSquaredCalibrationError = Math.Sqrt(Math.Max(debiased, 0));
    }

    /// <summary>The bins the table was computed with.</summary>
    public CalibrationBinning Binning { get; }

    /// <summary>Every bin, empty ones included (their means are NaN).</summary>
    public IReadOnlyList<ReliabilityBin> Bins => _bins;

    /// <summary>The number of predictions.</summary>
    public long Count { get; }

    /// <summary>Expected calibration error (L1): the count-weighted mean of |gap|.</summary>
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
/// <param name="WithinBinCovariance">(2/N) sum_b sum_{i in b} (o_i - obar_b)(f_i - fbar_b).</param>
public sealed record BrierDecomposition(double BrierScore, double Reliability, double Resolution, double Uncertainty,
    double WithinBinVariance, double WithinBinCovariance);

/// <summary>Per-bin sums from one pass over the predictions.</summary>
internal sealed class BinStatistics
{
    public BinStatistics(int binCount)
    {
        Count = new long[binCount];
        SumConfidence = new double[binCount];
        SumOutcome = new double[binCount];
        SumConfidenceSquared = new double[binCount];
        SumConfidenceOutcome = new double[binCount];
    }

    public int BinCount => Count.Length;

    public long[] Count { get; }

    public double[] SumConfidence { get; }

    public double[] SumOutcome { get; }

    public double[] SumConfidenceSquared { get; }

    public double[] SumConfidenceOutcome { get; }

    public BrierDecomposition Decompose()
    {
        long n = 0;
        double positives = 0, brier = 0, reliability = 0, resolution = 0, variance = 0, covariance = 0;
        for (int b = 0; b < BinCount; b++)
        {
            n += Count[b];
            positives += SumOutcome[b];
            // sum (f - o)^2 = sum f^2 - 2 sum f o + sum o (o is 0 or 1).
            brier += SumConfidenceSquared[b] - 2 * SumConfidenceOutcome[b] + SumOutcome[b];
        }
        if (n == 0)
            return new BrierDecomposition(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        double baseRate = positives / n;
        for (int b = 0; b < BinCount; b++)
        {
            long nb = Count[b];
            if (nb == 0)
                continue;
            double f = SumConfidence[b] / nb, o = SumOutcome[b] / nb;
            reliability += nb * (f - o) * (f - o);
            resolution += nb * (o - baseRate) * (o - baseRate);
            variance += SumConfidenceSquared[b] - nb * f * f;
            covariance += SumConfidenceOutcome[b] - nb * o * f;
        }
        return new BrierDecomposition(brier / n, reliability / n, resolution / n, baseRate * (1 - baseRate),
            Math.Max(variance, 0) / n, 2 * covariance / n);
    }
}
