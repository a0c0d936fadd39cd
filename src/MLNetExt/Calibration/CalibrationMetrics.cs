using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace MLNetExt.Calibration;

/// <summary>How a binary probability of exactly 0.5 is turned into a predicted class for top-label metrics.</summary>
public enum BinaryTieRule
{
    /// <summary>p = 0.5 predicts the negative class, as <c>argmax</c> over [1 - p, p] does in numpy and torch.</summary>
    NegativeClass,

    /// <summary>p = 0.5 predicts the positive class (the threshold rule p &gt;= 0.5, as the Balance score uses).</summary>
    PositiveClass,
}

/// <summary>
/// Calibration metrics as plain functions over spans, usable without ML.NET. Binary inputs are the predicted
/// probabilities of the positive class and the outcomes; multiclass inputs are row-major probability matrices
/// (row i is <c>probabilities[i * classCount .. (i + 1) * classCount]</c>) and zero-based labels. Every function checks
/// that lengths agree and that probabilities are in [0, 1] (NaN is rejected), and names the offending index.
/// Binned metrics take one pass: O(n) for equal-width bins, O(n log M) with arbitrary edges.
/// </summary>
public static class CalibrationMetrics
{
    /// <summary>The probability floor of <see cref="LogLoss(ReadOnlySpan{double}, ReadOnlySpan{bool})"/>: ln(1e-15) bounds each term.</summary>
    public const double LogLossEpsilon = 1e-15;

    /// <summary>The reliability table of confidences against outcomes under <paramref name="binning"/>.</summary>
    /// <param name="confidences">Predicted probabilities (positive-class) or top-label confidences, in [0, 1].</param>
    /// <param name="outcomes">Whether each prediction's event happened (label positive, or prediction correct).</param>
    /// <param name="binning">The bins, e.g. <see cref="CalibrationBinning.EqualWidth"/>(15).</param>
    public static ReliabilityDiagram Reliability(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning)
        => new(Guard.NotNull(binning, nameof(binning)), Accumulate(confidences, outcomes, binning));

    /// <inheritdoc cref="Reliability(ReadOnlySpan{double}, ReadOnlySpan{bool}, CalibrationBinning)"/>
    public static ReliabilityDiagram Reliability(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning)
        => new(Guard.NotNull(binning, nameof(binning)), Accumulate(confidences, outcomes, binning));

    /// <summary>
    /// Equal-width expected calibration error: <c>sum_b (n_b / N) |acc_b - conf_b|</c> over
    /// <paramref name="binCount"/> bins of width 1 / <paramref name="binCount"/>.
    /// </summary>
    /// <param name="confidences">Confidences in [0, 1].</param>
    /// <param name="outcomes">Outcomes, as long as <paramref name="confidences"/>.</param>
    /// <param name="binCount">M; 15 by default (torchmetrics, uncertainty-calibration; netcal uses 10).</param>
    /// <param name="rule">The edge rule; <see cref="BinEdgeRule.LeftClosed"/> (netcal) by default.</param>
    public static double ExpectedCalibrationError(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> outcomes,
        int binCount = 15, BinEdgeRule rule = BinEdgeRule.LeftClosed)
        => Reliability(confidences, outcomes, CalibrationBinning.EqualWidth(binCount, rule)).ExpectedCalibrationError;

    /// <inheritdoc cref="ExpectedCalibrationError(ReadOnlySpan{double}, ReadOnlySpan{bool}, int, BinEdgeRule)"/>
    public static double ExpectedCalibrationError(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> outcomes,
        int binCount = 15, BinEdgeRule rule = BinEdgeRule.LeftClosed)
        => Reliability(confidences, outcomes, CalibrationBinning.EqualWidth(binCount, rule)).ExpectedCalibrationError;

    /// <summary>
    /// Smooth ECE (Błasiok and Nakkiran, ICLR 2024): the L1 norm of the kernel-smoothed residual f - y, with a
    /// reflected Gaussian kernel, computed as relplot's <c>smECE</c> (grid discretisation, bandwidth as the fixed point
    /// sigma = smECE(sigma)). A binning-free, consistent calibration measure; expect differences of about 1e-3 from
    /// continuous formulations.
    /// </summary>
    /// <param name="confidences">Confidences in [0, 1].</param>
    /// <param name="outcomes">Outcomes.</param>
    /// <param name="bandwidth">A fixed kernel sigma in (0, 1]; null (default) finds relplot's fixed point.</param>
    public static SmoothCalibrationError SmoothExpectedCalibrationError(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> outcomes,
        double? bandwidth = null)
        => SmoothCalibrationErrorCore.Compute(confidences, outcomes, bandwidth);

    /// <inheritdoc cref="SmoothExpectedCalibrationError(ReadOnlySpan{double}, ReadOnlySpan{bool}, double?)"/>
    public static SmoothCalibrationError SmoothExpectedCalibrationError(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> outcomes,
        double? bandwidth = null)
        => SmoothCalibrationErrorCore.Compute(confidences, outcomes, bandwidth);

    /// <summary>The Brier score <c>(1/N) sum (p_i - y_i)^2</c> of binary forecasts (scikit-learn's <c>brier_score_loss</c>).</summary>
    public static double BrierScore(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
        => BrierScoreCore(probabilities, labels);

    /// <inheritdoc cref="BrierScore(ReadOnlySpan{double}, ReadOnlySpan{bool})"/>
    public static double BrierScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
        => BrierScoreCore(probabilities, labels);

    /// <summary>The Brier score's reliability / resolution / uncertainty decomposition over <paramref name="binning"/>.</summary>
    public static BrierDecomposition DecomposeBrierScore(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, CalibrationBinning binning)
        => Accumulate(probabilities, labels, Guard.NotNull(binning, nameof(binning))).Decompose();

    /// <inheritdoc cref="DecomposeBrierScore(ReadOnlySpan{double}, ReadOnlySpan{bool}, CalibrationBinning)"/>
    public static BrierDecomposition DecomposeBrierScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels, CalibrationBinning binning)
        => Accumulate(probabilities, labels, Guard.NotNull(binning, nameof(binning))).Decompose();

    /// <summary>
    /// The Balance score (Choi, Kim and Lee 2023): the mean of <c>1[yhat_i = y_i] - max(p_i, 1 - p_i)</c> with
    /// <c>yhat_i = 1[p_i &gt;= 0.5]</c>, that is accuracy minus mean confidence. 0 when calibrated on average; negative
    /// when over-confident, positive when under-confident; per-prediction range [-1, 0.5]. Its absolute value is at
    /// most the top-label ECE of any binning. It is a diagnostic, not a proper scoring rule.
    /// </summary>
    public static double BalanceScore(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
        => BalanceScoreCore(probabilities, labels);

    /// <inheritdoc cref="BalanceScore(ReadOnlySpan{double}, ReadOnlySpan{bool})"/>
    public static double BalanceScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
        => BalanceScoreCore(probabilities, labels);

    /// <summary>
    /// Mean negative log-likelihood <c>-(1/N) sum [y ln p + (1 - y) ln(1 - p)]</c>, with each probability of the
    /// observed outcome floored at <see cref="LogLossEpsilon"/>.
    /// </summary>
    public static double LogLoss(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
        => LogLossCore(probabilities, labels);

    /// <inheritdoc cref="LogLoss(ReadOnlySpan{double}, ReadOnlySpan{bool})"/>
    public static double LogLoss(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
        => LogLossCore(probabilities, labels);

    /// <summary>
    /// Top-label view of binary forecasts: confidence <c>max(p, 1 - p)</c>, outcome "the predicted class is right".
    /// </summary>
    /// <param name="probabilities">Positive-class probabilities.</param>
    /// <param name="labels">The labels.</param>
    /// <param name="confidences">Receives the confidences (same length).</param>
    /// <param name="correct">Receives whether each prediction is right (same length).</param>
    /// <param name="tieRule">Which class p = 0.5 predicts; numpy's argmax by default.</param>
    public static void BinaryTopLabel(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, Span<double> confidences,
        Span<bool> correct, BinaryTieRule tieRule = BinaryTieRule.NegativeClass)
    {
        CheckLengths(probabilities.Length, labels.Length, nameof(labels));
        CheckLengths(probabilities.Length, confidences.Length, nameof(confidences));
        CheckLengths(probabilities.Length, correct.Length, nameof(correct));
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = probabilities[i];
            CheckConfidence(p, i, nameof(probabilities));
            bool positive = tieRule == BinaryTieRule.PositiveClass ? p >= 0.5 : p > 0.5;
            confidences[i] = Math.Max(p, 1 - p);
            correct[i] = positive == labels[i];
        }
    }

    /// <summary>
    /// Top-label view of multiclass forecasts: confidence <c>max_k P_ik</c>, outcome <c>argmax_k P_ik = y_i</c>, with
    /// ties going to the lowest class index (numpy and torch argmax, and ML.NET's <c>PredictedLabel</c>).
    /// </summary>
    /// <param name="probabilities">Row-major n x K probabilities.</param>
    /// <param name="classCount">K.</param>
    /// <param name="labels">Zero-based labels, n of them.</param>
    /// <param name="confidences">Receives n confidences.</param>
    /// <param name="correct">Receives n outcomes.</param>
    public static void TopLabel(ReadOnlySpan<float> probabilities, int classCount, ReadOnlySpan<int> labels,
        Span<double> confidences, Span<bool> correct)
    {
        int n = CheckMatrix(probabilities, classCount, labels);
        CheckLengths(n, confidences.Length, nameof(confidences));
        CheckLengths(n, correct.Length, nameof(correct));
        for (int i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * classCount, classCount);
            for (int k = 0; k < row.Length; k++)
                CheckConfidence(row[k], i * classCount + k, nameof(probabilities));
            int best = 0;
            float max = row[0];
            for (int k = 1; k < row.Length; k++)
            {
                if (row[k] > max)
                {
                    max = row[k];
                    best = k;
                }
            }
            confidences[i] = max;
            correct[i] = best == labels[i];
        }
    }

    /// <summary>
    /// Classwise ECE terms (Kull et al. 2019; uncertainty-calibration's marginal mode): for each class k, the ECE of
    /// <c>P_ik</c> against <c>1[y_i = k]</c> under <paramref name="binning"/>. Their mean is the classwise ECE.
    /// </summary>
    public static double[] ClasswiseExpectedCalibrationErrors(ReadOnlySpan<float> probabilities, int classCount,
        ReadOnlySpan<int> labels, CalibrationBinning binning)
        => ClasswiseReliability(probabilities, classCount, labels, binning).Select(d => d.ExpectedCalibrationError).ToArray();

    /// <summary>
    /// One reliability table per class k: <c>P_ik</c> against <c>1[y_i = k]</c> under <paramref name="binning"/>, in one
    /// pass over the matrix. Each table gives that class's ECE, MCE and RMSCE.
    /// </summary>
    public static ReliabilityDiagram[] ClasswiseReliability(ReadOnlySpan<float> probabilities, int classCount,
        ReadOnlySpan<int> labels, CalibrationBinning binning)
    {
        Guard.NotNull(binning, nameof(binning));
        int n = CheckMatrix(probabilities, classCount, labels);
        var stats = new BinStatistics[classCount];
        for (int k = 0; k < classCount; k++)
            stats[k] = new BinStatistics(binning.Count);
        for (int i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * classCount, classCount);
            int label = labels[i];
            for (int k = 0; k < classCount; k++)
            {
                double p = row[k];
                CheckConfidence(p, i * classCount + k, nameof(probabilities));
                Add(stats[k], binning.FindBin(p), p, k == label);
            }
        }
        var diagrams = new ReliabilityDiagram[classCount];
        for (int k = 0; k < classCount; k++)
            diagrams[k] = new ReliabilityDiagram(binning, stats[k]);
        return diagrams;
    }

    /// <summary>
    /// The multiclass Brier score of Brier (1950): <c>(1/N) sum_i sum_k (P_ik - 1[y_i = k])^2</c>, in [0, 2]. For two
    /// classes it is twice the binary <see cref="BrierScore(ReadOnlySpan{double}, ReadOnlySpan{bool})"/>.
    /// </summary>
    public static double MulticlassBrierScore(ReadOnlySpan<float> probabilities, int classCount, ReadOnlySpan<int> labels)
    {
        int n = CheckMatrix(probabilities, classCount, labels);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * classCount, classCount);
            for (int k = 0; k < classCount; k++)
            {
                double p = row[k];
                CheckConfidence(p, i * classCount + k, nameof(probabilities));
                double d = k == labels[i] ? p - 1 : p;
                sum += d * d;
            }
        }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>Mean negative log-likelihood <c>-(1/N) sum ln max(P_{i, y_i}, 1e-15)</c>.</summary>
    public static double MulticlassLogLoss(ReadOnlySpan<float> probabilities, int classCount, ReadOnlySpan<int> labels)
    {
        int n = CheckMatrix(probabilities, classCount, labels);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double p = probabilities[i * classCount + labels[i]];
            CheckConfidence(p, i * classCount + labels[i], nameof(probabilities));
            sum -= Math.Log(Math.Max(p, LogLossEpsilon));
        }
        return n == 0 ? double.NaN : sum / n;
    }

    // Called a few times with millions of rows: compiled fully optimized at once instead of starting at tier 0
    // with on-stack replacement, which left this loop about 4x slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static BinStatistics Accumulate<T>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning)
        where T : unmanaged, INumberBase<T>
    {
        CheckLengths(confidences.Length, outcomes.Length, nameof(outcomes));
        int bins = binning.Count;
        // One interleaved accumulator row per bin (sum c, sum o, sum c^2, sum c o) keeps a bin's sums on one cache
        // line; the outcome enters as 0 or 1 without a branch.
        var counts = new long[bins];
        var sums = new double[4 * bins];
        for (int i = 0; i < confidences.Length; i++)
        {
            double c = double.CreateTruncating(confidences[i]);
            if (!(c >= 0 && c <= 1))
                ThrowConfidence(c, i, nameof(confidences));
            int b = binning.FindBin(c);
            double o = outcomes[i] ? 1.0 : 0.0;
            counts[b]++;
            ref double row = ref sums[4 * b];
            row += c;
            Unsafe.Add(ref row, 1) += o;
            Unsafe.Add(ref row, 2) += c * c;
            Unsafe.Add(ref row, 3) += c * o;
        }
        var stats = new BinStatistics(bins);
        for (int b = 0; b < bins; b++)
        {
            stats.Count[b] = counts[b];
            stats.SumConfidence[b] = sums[4 * b];
            stats.SumOutcome[b] = sums[4 * b + 1];
            stats.SumConfidenceSquared[b] = sums[4 * b + 2];
            stats.SumConfidenceOutcome[b] = sums[4 * b + 3];
        }
        return stats;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowConfidence(double value, int index, string parameterName) => CheckConfidence(value, index, parameterName);

    private static void Add(BinStatistics stats, int bin, double c, bool outcome)
    {
        stats.Count[bin]++;
        stats.SumConfidence[bin] += c;
        stats.SumConfidenceSquared[bin] += c * c;
        if (outcome)
        {
            stats.SumOutcome[bin] += 1;
            stats.SumConfidenceOutcome[bin] += c;
        }
    }

    private static double BrierScoreCore<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<bool> labels) where T : unmanaged, INumberBase<T>
    {
        CheckLengths(probabilities.Length, labels.Length, nameof(labels));
        double sum = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = double.CreateTruncating(probabilities[i]);
            CheckConfidence(p, i, nameof(probabilities));
            double d = labels[i] ? p - 1 : p;
            sum += d * d;
        }
        return probabilities.Length == 0 ? double.NaN : sum / probabilities.Length;
    }

    private static double BalanceScoreCore<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<bool> labels) where T : unmanaged, INumberBase<T>
    {
        CheckLengths(probabilities.Length, labels.Length, nameof(labels));
        double sum = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = double.CreateTruncating(probabilities[i]);
            CheckConfidence(p, i, nameof(probabilities));
            bool predicted = p >= 0.5;
            sum += (predicted == labels[i] ? 1.0 : 0.0) - Math.Max(p, 1 - p);
        }
        return probabilities.Length == 0 ? double.NaN : sum / probabilities.Length;
    }

    private static double LogLossCore<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<bool> labels) where T : unmanaged, INumberBase<T>
    {
        CheckLengths(probabilities.Length, labels.Length, nameof(labels));
        double sum = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = double.CreateTruncating(probabilities[i]);
            CheckConfidence(p, i, nameof(probabilities));
            sum -= Math.Log(Math.Max(labels[i] ? p : 1 - p, LogLossEpsilon));
        }
        return probabilities.Length == 0 ? double.NaN : sum / probabilities.Length;
    }

    internal static void CheckConfidence(double value, int index, string parameterName)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(parameterName,
                $"{parameterName}[{index}] is {value.ToString("R", CultureInfo.InvariantCulture)}; probabilities must be in [0, 1].");
        }
    }

    private static void CheckLengths(int expected, int actual, string parameterName)
    {
        if (expected != actual)
            throw new ArgumentException($"'{parameterName}' has {actual} elements; expected {expected}, one per prediction.", parameterName);
    }

    private static int CheckMatrix(ReadOnlySpan<float> probabilities, int classCount, ReadOnlySpan<int> labels)
    {
        if (classCount < 2)
            throw new ArgumentOutOfRangeException(nameof(classCount), $"Multiclass metrics need at least 2 classes; got {classCount}.");
        if (probabilities.Length != (long)labels.Length * classCount)
        {
            throw new ArgumentException(
                $"'probabilities' has {probabilities.Length} elements; expected {labels.Length} rows x {classCount} classes.", nameof(probabilities));
        }
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), $"labels[{i}] is {labels[i]}; expected a class in 0..{classCount - 1}.");
        }
        return labels.Length;
    }
}
