using System.Globalization;
using System.Numerics;
using MLNetExt.Calibration.Kernels;

namespace MLNetExt.Calibration;

/// <summary>
/// How a binary probability of exactly 0.5 is turned into a predicted class. One rule for every metric that needs a
/// predicted class from a binary probability: the top-label metrics and the Balance score.
/// </summary>
public enum BinaryTieRule
{
    /// <summary>
    /// p = 0.5 predicts the negative class: <c>argmax</c> over [1 - p, p] in numpy and torch (the first maximum), the
    /// multiclass top-label rule for two classes, and ML.NET's binary <c>PredictedLabel</c> (Score &gt; 0).
    /// </summary>
    NegativeClass,

    /// <summary>p = 0.5 predicts the positive class: the threshold rule p &gt;= 0.5 of the Balance score's paper (Choi, Kim and Lee 2023).</summary>
    PositiveClass,
}

/// <summary>
/// Calibration metrics as plain functions over spans, usable without ML.NET. Binary inputs are the predicted
/// probabilities of the positive class and the outcomes; multiclass inputs are row-major probability matrices
/// (row i is <c>probabilities[i * classCount .. (i + 1) * classCount]</c>) and zero-based labels, as Single or Double.
/// </summary>
/// <remarks>
/// Every function checks that lengths agree and that probabilities are in [0, 1] (NaN is rejected), naming the
/// offending index, and refuses empty input (<see cref="ArgumentException"/>: a metric of no predictions is
/// undefined). Equal-width bins are found by arithmetic, one pass; other bins by binary search. Sums are taken in
/// segments of 65,536 rows (each from zero, in row order, four interleaved partial sums for binned sums) added in
/// segment order, exactly as the evaluators take them, so a span function and <c>EvaluateCalibration</c> on the same
/// data give the same bits. These functions run on the calling thread; the evaluators use every core.
/// </remarks>
public static class CalibrationMetrics
{
    /// <summary>The probability floor of the log-losses: ln(1e-15) bounds each term.</summary>
    public const double LogLossEpsilon = 1e-15;

    /// <summary>The most cells (classes x bins) a classwise table may have: 4,194,304.</summary>
    public const int MaximumClasswiseCells = 1 << 22;

    /// <summary>The reliability table of confidences against outcomes under <paramref name="binning"/>.</summary>
    /// <param name="confidences">Predicted probabilities (positive-class) or top-label confidences, in [0, 1].</param>
    /// <param name="outcomes">Whether each prediction's event happened (label positive, or prediction correct).</param>
    /// <param name="binning">The bins, e.g. <see cref="CalibrationBinning.EqualWidth"/>(15).</param>
    public static ReliabilityDiagram Reliability(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning)
        => ReliabilityCore(confidences, outcomes, binning);

    /// <inheritdoc cref="Reliability(ReadOnlySpan{double}, ReadOnlySpan{bool}, CalibrationBinning)"/>
    public static ReliabilityDiagram Reliability(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning)
        => ReliabilityCore(confidences, outcomes, binning);

    /// <summary>
    /// Equal-width expected calibration error: <c>sum_b (n_b / N) |acc_b - conf_b|</c> over
    /// <paramref name="binCount"/> bins of width 1 / <paramref name="binCount"/>, the same number as
    /// <see cref="Reliability(ReadOnlySpan{double}, ReadOnlySpan{bool}, CalibrationBinning)"/>'s. For float confidences
    /// and left-closed edges, bins are computed eight rows at a time in vector registers.
    /// </summary>
    /// <param name="confidences">Confidences in [0, 1].</param>
    /// <param name="outcomes">Outcomes, as long as <paramref name="confidences"/>.</param>
    /// <param name="binCount">M; 15 by default (torchmetrics, uncertainty-calibration; netcal uses 10).</param>
    /// <param name="rule">The edge rule; left-closed (netcal's rule) by default.</param>
    /// <param name="edges">How the edges are computed; <c>m / M</c> by default, netcal's <c>np.linspace</c> values as an option.</param>
    public static double ExpectedCalibrationError(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> outcomes,
        int binCount = 15, BinEdgeRule rule = BinEdgeRule.LeftClosed, EqualWidthEdges edges = EqualWidthEdges.Quotient)
        => EceCore(confidences, outcomes, CalibrationBinning.EqualWidth(binCount, rule, edges));

    /// <inheritdoc cref="ExpectedCalibrationError(ReadOnlySpan{double}, ReadOnlySpan{bool}, int, BinEdgeRule, EqualWidthEdges)"/>
    public static double ExpectedCalibrationError(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> outcomes,
        int binCount = 15, BinEdgeRule rule = BinEdgeRule.LeftClosed, EqualWidthEdges edges = EqualWidthEdges.Quotient)
        => EceCore(confidences, outcomes, CalibrationBinning.EqualWidth(binCount, rule, edges));

    /// <summary>
    /// Smooth ECE (Błasiok and Nakkiran, ICLR 2024): the L1 norm of the kernel-smoothed residual f - y, with a
    /// reflected Gaussian kernel, computed as relplot's <c>smECE</c> (grid discretisation, bandwidth as the fixed point
    /// sigma = smECE(sigma)). A binning-free, consistent calibration measure; expect differences of about 1e-3 from
    /// continuous formulations.
    /// </summary>
    /// <param name="confidences">Confidences in [0, 1].</param>
    /// <param name="outcomes">Outcomes.</param>
    /// <param name="bandwidth">A fixed kernel sigma in [1e-5, 1] (a smaller one would need a grid of more than a million
    /// points); null (default) finds relplot's fixed point.</param>
    public static SmoothCalibrationError SmoothExpectedCalibrationError(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> outcomes,
        double? bandwidth = null)
        => SmoothCore(confidences, outcomes, bandwidth);

    /// <inheritdoc cref="SmoothExpectedCalibrationError(ReadOnlySpan{double}, ReadOnlySpan{bool}, double?)"/>
    public static SmoothCalibrationError SmoothExpectedCalibrationError(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> outcomes,
        double? bandwidth = null)
        => SmoothCore(confidences, outcomes, bandwidth);

    /// <summary>The Brier score <c>(1/N) sum (p_i - y_i)^2</c> of binary forecasts (scikit-learn's <c>brier_score_loss</c>).</summary>
    public static double BrierScore(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
        => ReliabilityStatistics(probabilities, labels, CalibrationBinning.EqualWidth(1), nameof(probabilities)).Decompose().BrierScore;

    /// <inheritdoc cref="BrierScore(ReadOnlySpan{double}, ReadOnlySpan{bool})"/>
    public static double BrierScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
        => ReliabilityStatistics(probabilities, labels, CalibrationBinning.EqualWidth(1), nameof(probabilities)).Decompose().BrierScore;

    /// <summary>The Brier score's reliability / resolution / uncertainty decomposition over <paramref name="binning"/>.</summary>
    public static BrierDecomposition DecomposeBrierScore(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, CalibrationBinning binning)
        => ReliabilityStatistics(probabilities, labels, binning, nameof(probabilities)).Decompose();

    /// <inheritdoc cref="DecomposeBrierScore(ReadOnlySpan{double}, ReadOnlySpan{bool}, CalibrationBinning)"/>
    public static BrierDecomposition DecomposeBrierScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels, CalibrationBinning binning)
        => ReliabilityStatistics(probabilities, labels, binning, nameof(probabilities)).Decompose();

    /// <summary>
    /// The Balance score (Choi, Kim and Lee 2023): the mean of <c>1[yhat_i = y_i] - max(p_i, 1 - p_i)</c>, that is
    /// accuracy minus mean confidence. 0 when calibrated on average; negative when over-confident, positive when
    /// under-confident; per-prediction range [-1, 0.5]. Its absolute value is at most the top-label ECE of any binning.
    /// It is a diagnostic, not a proper scoring rule.
    /// </summary>
    /// <param name="probabilities">Positive-class probabilities.</param>
    /// <param name="labels">The labels.</param>
    /// <param name="tieRule">Which class p = 0.5 predicts: the negative class by default, the rule of every top-label
    /// metric here (numpy's argmax); <see cref="BinaryTieRule.PositiveClass"/> is the paper's p &gt;= 0.5.</param>
    public static double BalanceScore(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, BinaryTieRule tieRule = BinaryTieRule.NegativeClass)
        => BalanceCore(probabilities, labels, tieRule);

    /// <inheritdoc cref="BalanceScore(ReadOnlySpan{double}, ReadOnlySpan{bool}, BinaryTieRule)"/>
    public static double BalanceScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels, BinaryTieRule tieRule = BinaryTieRule.NegativeClass)
        => BalanceCore(probabilities, labels, tieRule);

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
    /// <param name="tieRule">Which class p = 0.5 predicts; numpy's argmax (the negative class) by default.</param>
    public static void BinaryTopLabel(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, Span<double> confidences,
        Span<bool> correct, BinaryTieRule tieRule = BinaryTieRule.NegativeClass)
    {
        CheckLengths(probabilities.Length, labels.Length, nameof(labels));
        CheckLengths(probabilities.Length, confidences.Length, nameof(confidences));
        CheckLengths(probabilities.Length, correct.Length, nameof(correct));
        CheckTieRule(tieRule);
        var map = new BinaryTopLabelMap(tieRule == BinaryTieRule.PositiveClass);
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = probabilities[i];
            if (!BinKernels.IsProbability(p))
                BinKernels.ThrowOutOfRange(nameof(probabilities), i, p);
            correct[i] = map.Map(ref p, labels[i]);
            confidences[i] = p;
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
        => TopLabelCore(probabilities, classCount, labels, confidences, correct);

    /// <inheritdoc cref="TopLabel(ReadOnlySpan{float}, int, ReadOnlySpan{int}, Span{double}, Span{bool})"/>
    public static void TopLabel(ReadOnlySpan<double> probabilities, int classCount, ReadOnlySpan<int> labels,
        Span<double> confidences, Span<bool> correct)
        => TopLabelCore(probabilities, classCount, labels, confidences, correct);

    /// <summary>
    /// Classwise ECE terms (Kull et al. 2019; uncertainty-calibration's marginal mode): for each class k, the ECE of
    /// <c>P_ik</c> against <c>1[y_i = k]</c> under <paramref name="binning"/>. Their mean is the classwise ECE.
    /// </summary>
    public static double[] ClasswiseExpectedCalibrationErrors(ReadOnlySpan<float> probabilities, int classCount,
        ReadOnlySpan<int> labels, CalibrationBinning binning)
        => ClasswiseCore(probabilities, classCount, labels, binning).Select(d => d.ExpectedCalibrationError).ToArray();

    /// <inheritdoc cref="ClasswiseExpectedCalibrationErrors(ReadOnlySpan{float}, int, ReadOnlySpan{int}, CalibrationBinning)"/>
    public static double[] ClasswiseExpectedCalibrationErrors(ReadOnlySpan<double> probabilities, int classCount,
        ReadOnlySpan<int> labels, CalibrationBinning binning)
        => ClasswiseCore(probabilities, classCount, labels, binning).Select(d => d.ExpectedCalibrationError).ToArray();

    /// <summary>
    /// One reliability table per class k: <c>P_ik</c> against <c>1[y_i = k]</c> under <paramref name="binning"/>, in one
    /// pass over the matrix. Each table gives that class's ECE, MCE and RMSCE. Classes x bins is at most
    /// <see cref="MaximumClasswiseCells"/>.
    /// </summary>
    public static ReliabilityDiagram[] ClasswiseReliability(ReadOnlySpan<float> probabilities, int classCount,
        ReadOnlySpan<int> labels, CalibrationBinning binning)
        => ClasswiseCore(probabilities, classCount, labels, binning);

    /// <inheritdoc cref="ClasswiseReliability(ReadOnlySpan{float}, int, ReadOnlySpan{int}, CalibrationBinning)"/>
    public static ReliabilityDiagram[] ClasswiseReliability(ReadOnlySpan<double> probabilities, int classCount,
        ReadOnlySpan<int> labels, CalibrationBinning binning)
        => ClasswiseCore(probabilities, classCount, labels, binning);

    /// <summary>
    /// The multiclass Brier score of Brier (1950): <c>(1/N) sum_i sum_k (P_ik - 1[y_i = k])^2</c>, in [0, 2]. For two
    /// classes it is twice the binary <see cref="BrierScore(ReadOnlySpan{double}, ReadOnlySpan{bool})"/>.
    /// </summary>
    public static double MulticlassBrierScore(ReadOnlySpan<float> probabilities, int classCount, ReadOnlySpan<int> labels)
        => MulticlassScalar(probabilities, classCount, labels, ScalarKernels.MBrier);

    /// <inheritdoc cref="MulticlassBrierScore(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>
    public static double MulticlassBrierScore(ReadOnlySpan<double> probabilities, int classCount, ReadOnlySpan<int> labels)
        => MulticlassScalar(probabilities, classCount, labels, ScalarKernels.MBrier);

    /// <summary>Mean negative log-likelihood <c>-(1/N) sum ln max(P_{i, y_i}, 1e-15)</c>.</summary>
    public static double MulticlassLogLoss(ReadOnlySpan<float> probabilities, int classCount, ReadOnlySpan<int> labels)
        => MulticlassScalar(probabilities, classCount, labels, ScalarKernels.MLogLoss);

    /// <inheritdoc cref="MulticlassLogLoss(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>
    public static double MulticlassLogLoss(ReadOnlySpan<double> probabilities, int classCount, ReadOnlySpan<int> labels)
        => MulticlassScalar(probabilities, classCount, labels, ScalarKernels.MLogLoss);

    // ---- cores ----

    private static ReliabilityDiagram ReliabilityCore<T>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning)
        where T : unmanaged, INumber<T>
        => new(binning, ReliabilityStatistics(confidences, outcomes, binning, nameof(confidences)));

    private static BinStatistics ReliabilityStatistics<T>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning, string name)
        where T : unmanaged, INumber<T>
    {
        Guard.NotNull(binning, nameof(binning));
        CheckLengths(confidences.Length, outcomes.Length, nameof(outcomes));
        CheckNotEmpty(confidences.Length, name);
        return Computations.Reliability(confidences, outcomes, binning, new PositiveClass(), name);
    }

    private static double EceCore<T>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning)
        where T : unmanaged, INumber<T>
    {
        var stats = ReliabilityStatistics(confidences, outcomes, binning, nameof(confidences));
        double absolute = 0, total = 0;
        for (int b = 0; b < stats.BinCount; b++)
        {
            absolute += Math.Abs(stats.SumOutcome(b) - stats.SumConfidence(b));
            total += stats.Weight(b);
        }
        return absolute / total;
    }

    private static SmoothCalibrationError SmoothCore<T>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, double? bandwidth)
        where T : unmanaged, INumber<T>
    {
        CheckLengths(confidences.Length, outcomes.Length, nameof(outcomes));
        CheckNotEmpty(confidences.Length, nameof(confidences));
        if (bandwidth is { } sigma)
            SmoothCalibrationErrorCore.CheckBandwidth(sigma, nameof(bandwidth));
        for (int i = 0; i < confidences.Length; i++)
        {
            double c = double.CreateTruncating(confidences[i]);
            if (!BinKernels.IsProbability(c))
                BinKernels.ThrowOutOfRange(nameof(confidences), i, c);
        }
        return Computations.Smooth(confidences, outcomes, bandwidth);
    }

    private static double LogLossCore<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<bool> labels)
        where T : unmanaged, INumber<T>
    {
        CheckLengths(probabilities.Length, labels.Length, nameof(labels));
        CheckNotEmpty(probabilities.Length, nameof(probabilities));
        int n = probabilities.Length;
        for (int i = 0; i < n; i++)
        {
            double p = double.CreateTruncating(probabilities[i]);
            if (!BinKernels.IsProbability(p))
                BinKernels.ThrowOutOfRange(nameof(probabilities), i, p);
        }
        double sum = 0;
        for (int s = 0; s < Segments.Count(n); s++)
        {
            var (start, length) = Segments.Range(s, n);
            sum += ScalarKernels.BinaryLogLoss<T, float>(probabilities.Slice(start, length), labels.Slice(start, length), default);
        }
        return sum / n;
    }

    private static double BalanceCore<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<bool> labels, BinaryTieRule tieRule)
        where T : unmanaged, INumber<T>
    {
        CheckTieRule(tieRule);
        CheckLengths(probabilities.Length, labels.Length, nameof(labels));
        CheckNotEmpty(probabilities.Length, nameof(probabilities));
        var stats = Computations.Reliability(probabilities, labels, CalibrationBinning.EqualWidth(1),
            new BinaryTopLabelMap(tieRule == BinaryTieRule.PositiveClass), nameof(probabilities));
        return (stats.TotalOutcome - stats.TotalConfidence) / stats.TotalWeight;
    }

    private static void TopLabelCore<T>(ReadOnlySpan<T> probabilities, int classCount, ReadOnlySpan<int> labels,
        Span<double> confidences, Span<bool> correct)
        where T : unmanaged, INumber<T>
    {
        int n = CheckMatrix(probabilities, classCount, labels, allowEmpty: true);
        CheckLengths(n, confidences.Length, nameof(confidences));
        CheckLengths(n, correct.Length, nameof(correct));
        for (int i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * classCount, classCount);
            int best = 0;
            T max = row[0];
            for (int k = 1; k < row.Length; k++)
            {
                if (row[k] > max)
                {
                    max = row[k];
                    best = k;
                }
            }
            confidences[i] = double.CreateTruncating(max);
            correct[i] = best == labels[i];
        }
    }

    private static ReliabilityDiagram[] ClasswiseCore<T>(ReadOnlySpan<T> probabilities, int classCount, ReadOnlySpan<int> labels, CalibrationBinning binning)
        where T : unmanaged, INumber<T>
    {
        Guard.NotNull(binning, nameof(binning));
        int n = CheckMatrix(probabilities, classCount, labels, allowEmpty: false);
        if (binning.SplitsTies)
            throw new ArgumentException("Classwise tables need bins that do not depend on the rows (ArraySplit bins are made from one column of confidences).", nameof(binning));
        CheckClasswiseCells(classCount, binning.Count);
        int bins = binning.Count;
        int width = classCount * BinKernels.Width(bins);
        int perChunk = Segments.SegmentsPerChunk(width);
        var totals = new double[width];
        var partial = new double[width];
        int segments = Segments.Count(n);
        for (int first = 0; first < segments; first += perChunk)
        {
            Array.Clear(partial);
            for (int s = first; s < Math.Min(segments, first + perChunk); s++)
            {
                var (start, length) = Segments.Range(s, n);
                BinDispatch.Classwise<T, float>(binning, probabilities.Slice(start * classCount, length * classCount), classCount,
                    labels.Slice(start, length), default, partial);
            }
            Computations.Add(totals, partial);
        }
        return ClasswiseDiagrams(binning, classCount, totals, weighted: false);
    }

    /// <summary>Splits classwise totals (class k's bins at k * bins) into one diagram per class.</summary>
    internal static ReliabilityDiagram[] ClasswiseDiagrams(CalibrationBinning binning, int classCount, double[] totals, bool weighted)
    {
        int stride = BinKernels.Width(binning.Count);
        var diagrams = new ReliabilityDiagram[classCount];
        for (int k = 0; k < classCount; k++)
            diagrams[k] = new ReliabilityDiagram(binning, new BinStatistics(binning.Count, totals.AsSpan(k * stride, stride).ToArray(), weighted));
        return diagrams;
    }

    private static double MulticlassScalar<T>(ReadOnlySpan<T> probabilities, int classCount, ReadOnlySpan<int> labels, int field)
        where T : unmanaged, INumber<T>
    {
        int n = CheckMatrix(probabilities, classCount, labels, allowEmpty: false);
        var totals = new double[ScalarKernels.MulticlassFields];
        var partial = new double[ScalarKernels.MulticlassFields];
        var confidence = new T[Math.Min(n, Segments.Rows)];
        var correct = new bool[confidence.Length];
        for (int s = 0; s < Segments.Count(n); s++)
        {
            var (start, length) = Segments.Range(s, n);
            Array.Clear(partial);
            ScalarKernels.Multiclass<T, float>(probabilities.Slice(start * classCount, length * classCount), classCount, labels.Slice(start, length),
                default, confidence.AsSpan(0, length), correct.AsSpan(0, length), partial);
            Computations.Add(totals, partial);
        }
        return totals[field] / totals[ScalarKernels.MWeight];
    }

    private static void CheckLengths(int expected, int actual, string parameterName)
    {
        if (expected != actual)
            throw new ArgumentException($"'{parameterName}' has {actual} elements; expected {expected}, one per prediction.", parameterName);
    }

    private static void CheckNotEmpty(int length, string parameterName)
    {
        if (length == 0)
            throw new ArgumentException($"'{parameterName}' is empty; a calibration metric needs at least one prediction.", parameterName);
    }

    private static void CheckTieRule(BinaryTieRule tieRule)
    {
        if (!Enum.IsDefined(tieRule))
            throw new ArgumentOutOfRangeException(nameof(tieRule), $"Unknown tie rule {(int)tieRule}.");
    }

    internal static void CheckClasswiseCells(int classCount, int binCount)
    {
        if ((long)classCount * binCount > MaximumClasswiseCells)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount),
                $"Classwise tables of {classCount} classes x {binCount} bins need {(long)classCount * binCount:N0} cells; at most {MaximumClasswiseCells:N0} are allowed.");
        }
    }

    // Checks shape, labels and every probability (in [0, 1]); returns the row count.
    private static int CheckMatrix<T>(ReadOnlySpan<T> probabilities, int classCount, ReadOnlySpan<int> labels, bool allowEmpty)
        where T : unmanaged, INumber<T>
    {
        if (classCount < 2)
            throw new ArgumentOutOfRangeException(nameof(classCount), $"Multiclass metrics need at least 2 classes; got {classCount}.");
        if (probabilities.Length != (long)labels.Length * classCount)
        {
            throw new ArgumentException(
                $"'probabilities' has {probabilities.Length} elements; expected {labels.Length} rows x {classCount} classes.", nameof(probabilities));
        }
        if (!allowEmpty)
            CheckNotEmpty(labels.Length, nameof(labels));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), $"labels[{i}] is {labels[i]}; expected a class in 0..{classCount - 1}.");
        }
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = double.CreateTruncating(probabilities[i]);
            if (!BinKernels.IsProbability(p))
                BinKernels.ThrowOutOfRange(nameof(probabilities), i, p);
        }
        return labels.Length;
    }

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
