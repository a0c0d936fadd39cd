using System.Globalization;
using System.Text;

namespace MLNetExt.Calibration;

/// <summary>
/// Calibration of binary probabilities, as returned by <c>mlContext.BinaryClassification.EvaluateCalibration</c>.
/// Unless a name says "top-label", metrics are of positive-class reliability: confidence p = P(label = true),
/// outcome = label (netcal, torchmetrics <c>binary_calibration_error</c>, scikit-learn <c>calibration_curve</c>).
/// </summary>
public sealed class BinaryCalibrationMetrics
{
    internal BinaryCalibrationMetrics(CalibrationBinning equalWidth, BinStatistics equalWidthStatistics, BinStatistics topLabelStatistics,
        double logLossSum, ReliabilityDiagram? equalMass, SmoothCalibrationError? smooth)
    {
        ReliabilityDiagram = new ReliabilityDiagram(equalWidth, equalWidthStatistics);
        TopLabelReliabilityDiagram = new ReliabilityDiagram(equalWidth, topLabelStatistics);
        BrierDecomposition = equalWidthStatistics.Decompose();
        EqualMassReliabilityDiagram = equalMass;
        SmoothExpectedCalibrationError = smooth ?? NotComputed.Smooth;
        _smoothComputed = smooth is not null;
        double weight = equalWidthStatistics.TotalWeight;
        Count = ReliabilityDiagram.Count;
        TotalWeight = weight;
        BrierScore = BrierDecomposition.BrierScore;
        BalanceScore = (topLabelStatistics.TotalOutcome - topLabelStatistics.TotalConfidence) / weight;
        LogLoss = logLossSum / weight;
        PositiveRate = equalWidthStatistics.TotalOutcome / weight;
        MeanProbability = equalWidthStatistics.TotalConfidence / weight;
    }

    private readonly bool _smoothComputed;

    /// <summary>The number of predictions evaluated (rows of weight 0 are not counted).</summary>
    public long Count { get; }

    /// <summary>The sum of the example weights: <see cref="Count"/> without a weight column.</summary>
    public double TotalWeight { get; }

    /// <summary>Equal-width expected calibration error (L1) over <see cref="ReliabilityDiagram"/>'s bins.</summary>
    public double ExpectedCalibrationError => ReliabilityDiagram.ExpectedCalibrationError;

    /// <summary>Maximum calibration error over the non-empty equal-width bins.</summary>
    public double MaximumCalibrationError => ReliabilityDiagram.MaximumCalibrationError;

    /// <summary>Root-mean-square calibration error (L2) over the equal-width bins.</summary>
    public double RootMeanSquaredCalibrationError => ReliabilityDiagram.RootMeanSquaredCalibrationError;

    /// <summary>Expected calibration error over equal-mass bins (<see cref="EqualMassReliabilityDiagram"/>); NaN when not computed.</summary>
    public double EqualMassExpectedCalibrationError => EqualMassReliabilityDiagram?.ExpectedCalibrationError ?? double.NaN;

    /// <summary>Maximum calibration error over the non-empty equal-mass bins; NaN when not computed.</summary>
    public double EqualMassMaximumCalibrationError => EqualMassReliabilityDiagram?.MaximumCalibrationError ?? double.NaN;

    /// <summary>
    /// The debiased L2 calibration error of Kumar, Liang and Ma (2019) over the equal-mass bins: their estimator,
    /// which removes the bias that makes plug-in ECE overstate miscalibration on small samples. NaN when the equal-mass
    /// metrics were not computed.
    /// </summary>
    public double DebiasedCalibrationError => EqualMassReliabilityDiagram?.DebiasedRootMeanSquaredCalibrationError ?? double.NaN;

    /// <summary>
    /// Smooth ECE (Błasiok and Nakkiran 2024, relplot's algorithm) of the positive-class probabilities, and its bandwidth;
    /// both NaN when <see cref="CalibrationEvaluatorOptions.Metrics"/> left out <see cref="CalibrationMetricGroups.Smooth"/>.
    /// </summary>
    public SmoothCalibrationError SmoothExpectedCalibrationError { get; }

    /// <summary>
    /// Top-label ECE: confidence max(p, 1 - p) against "the predicted class is right", equal-width bins; p = 0.5
    /// predicts the class <see cref="CalibrationEvaluatorOptions.TieRule"/> says.
    /// </summary>
    public double TopLabelExpectedCalibrationError => TopLabelReliabilityDiagram.ExpectedCalibrationError;

    /// <summary>Top-label maximum calibration error over the non-empty equal-width bins.</summary>
    public double TopLabelMaximumCalibrationError => TopLabelReliabilityDiagram.MaximumCalibrationError;

    /// <summary>The Brier score (1/N) sum (p - y)^2.</summary>
    public double BrierScore { get; }

    /// <summary>The Brier score's reliability / resolution / uncertainty terms over the equal-width bins.</summary>
    public BrierDecomposition BrierDecomposition { get; }

    /// <summary>
    /// The Balance score: accuracy minus mean confidence max(p, 1 - p); negative = over-confident. p = 0.5 predicts the
    /// class <see cref="CalibrationEvaluatorOptions.TieRule"/> says, as in the top-label metrics.
    /// </summary>
    public double BalanceScore { get; }

    /// <summary>Mean negative log-likelihood (natural log, probabilities floored at 1e-15).</summary>
    public double LogLoss { get; }

    /// <summary>The fraction of positive labels.</summary>
    public double PositiveRate { get; }

    /// <summary>The mean predicted probability; equal to <see cref="PositiveRate"/> for forecasts calibrated in the large.</summary>
    public double MeanProbability { get; }

    /// <summary>Positive-class reliability over equal-width bins (the table behind a reliability diagram).</summary>
    public ReliabilityDiagram ReliabilityDiagram { get; }

    /// <summary>
    /// Positive-class reliability over equal-mass bins; null when <see cref="CalibrationEvaluatorOptions.Metrics"/> left
    /// out <see cref="CalibrationMetricGroups.EqualMass"/>.
    /// </summary>
    public ReliabilityDiagram? EqualMassReliabilityDiagram { get; }

    /// <summary>Top-label reliability over equal-width bins.</summary>
    public ReliabilityDiagram TopLabelReliabilityDiagram { get; }

    /// <summary>The metrics, one per line.</summary>
    public override string ToString() => MetricsText.Format(
        ("Count", Count),
        ("ECE", ExpectedCalibrationError),
        ("MCE", MaximumCalibrationError),
        ("RMSCE", RootMeanSquaredCalibrationError),
        ("Equal-mass ECE", EqualMassReliabilityDiagram is null ? null : EqualMassExpectedCalibrationError),
        ("Equal-mass MCE", EqualMassReliabilityDiagram is null ? null : EqualMassMaximumCalibrationError),
        ("Debiased CE (L2)", EqualMassReliabilityDiagram is null ? null : DebiasedCalibrationError),
        ("Smooth ECE", _smoothComputed ? SmoothExpectedCalibrationError.Value : null),
        ("Top-label ECE", TopLabelExpectedCalibrationError),
        ("Top-label MCE", TopLabelMaximumCalibrationError),
        ("Brier score", BrierScore),
        ("  reliability", BrierDecomposition.Reliability),
        ("  resolution", BrierDecomposition.Resolution),
        ("  uncertainty", BrierDecomposition.Uncertainty),
        ("Balance score", BalanceScore),
        ("Log-loss", LogLoss),
        ("Positive rate", PositiveRate),
        ("Mean probability", MeanProbability));
}

/// <summary>
/// Calibration of multiclass probability vectors, as returned by <c>mlContext.MulticlassClassification.EvaluateCalibration</c>.
/// Unless a name says "classwise", metrics are top-label: confidence <c>max_k P_k</c>, outcome "the argmax is the label"
/// (netcal's and torchmetrics' multiclass default, uncertainty-calibration's <c>get_ece</c>).
/// </summary>
public sealed class MulticlassCalibrationMetrics
{
    internal MulticlassCalibrationMetrics(double[] sums, int classCount, ReliabilityDiagram topLabel, ReliabilityDiagram? equalMass,
        SmoothCalibrationError? smooth, ReliabilityDiagram[] classwise)
    {
        double weight = sums[Kernels.ScalarKernels.MWeight];
        Count = (long)sums[Kernels.ScalarKernels.MRows];
        TotalWeight = weight;
        ClassCount = classCount;
        ReliabilityDiagram = topLabel;
        EqualMassReliabilityDiagram = equalMass;
        SmoothExpectedCalibrationError = smooth ?? NotComputed.Smooth;
        _smoothComputed = smooth is not null;
        ClasswiseReliabilityDiagrams = classwise;
        PerClassExpectedCalibrationError = classwise.Select(d => d.ExpectedCalibrationError).ToArray();
        PerClassMaximumCalibrationError = classwise.Select(d => d.MaximumCalibrationError).ToArray();
        ClasswiseExpectedCalibrationError = PerClassExpectedCalibrationError.Average();
        ClasswiseMaximumCalibrationError = PerClassMaximumCalibrationError.Max();
        BrierScore = sums[Kernels.ScalarKernels.MBrier] / weight;
        LogLoss = sums[Kernels.ScalarKernels.MLogLoss] / weight;
        Accuracy = sums[Kernels.ScalarKernels.MCorrect] / weight;
        MeanConfidence = sums[Kernels.ScalarKernels.MConfidence] / weight;
    }

    private readonly bool _smoothComputed;

    /// <summary>The number of predictions evaluated (rows of weight 0 are not counted).</summary>
    public long Count { get; }

    /// <summary>The sum of the example weights: <see cref="Count"/> without a weight column.</summary>
    public double TotalWeight { get; }

    /// <summary>The number of classes K (the size of the probability vector).</summary>
    public int ClassCount { get; }

    /// <summary>Top-label expected calibration error (L1) over equal-width bins.</summary>
    public double ExpectedCalibrationError => ReliabilityDiagram.ExpectedCalibrationError;

    /// <summary>Top-label maximum calibration error over the non-empty equal-width bins.</summary>
    public double MaximumCalibrationError => ReliabilityDiagram.MaximumCalibrationError;

    /// <summary>Top-label RMS calibration error over equal-width bins.</summary>
    public double RootMeanSquaredCalibrationError => ReliabilityDiagram.RootMeanSquaredCalibrationError;

    /// <summary>Top-label ECE over equal-mass bins; NaN when not computed.</summary>
    public double EqualMassExpectedCalibrationError => EqualMassReliabilityDiagram?.ExpectedCalibrationError ?? double.NaN;

    /// <summary>Top-label maximum calibration error over the non-empty equal-mass bins; NaN when not computed.</summary>
    public double EqualMassMaximumCalibrationError => EqualMassReliabilityDiagram?.MaximumCalibrationError ?? double.NaN;

    /// <summary>Top-label debiased L2 calibration error (Kumar et al. 2019) over the equal-mass bins; NaN when not computed.</summary>
    public double DebiasedCalibrationError => EqualMassReliabilityDiagram?.DebiasedRootMeanSquaredCalibrationError ?? double.NaN;

    /// <summary>
    /// Top-label smooth ECE (Błasiok and Nakkiran 2024, relplot's algorithm) and its bandwidth; both NaN when
    /// <see cref="CalibrationEvaluatorOptions.Metrics"/> left out <see cref="CalibrationMetricGroups.Smooth"/>.
    /// </summary>
    public SmoothCalibrationError SmoothExpectedCalibrationError { get; }

    /// <summary>Classwise ECE: the mean over classes k of the ECE of P_k against 1[label = k] (equal-width bins).</summary>
    public double ClasswiseExpectedCalibrationError { get; }

    /// <summary>Each class's term of <see cref="ClasswiseExpectedCalibrationError"/>, indexed by class.</summary>
    public IReadOnlyList<double> PerClassExpectedCalibrationError { get; }

    /// <summary>Classwise MCE: the largest gap of any non-empty bin of any class (the maximum of <see cref="PerClassMaximumCalibrationError"/>).</summary>
    public double ClasswiseMaximumCalibrationError { get; }

    /// <summary>Each class's MCE (P_k against 1[label = k], equal-width bins), indexed by class.</summary>
    public IReadOnlyList<double> PerClassMaximumCalibrationError { get; }

    /// <summary>Each class's reliability table (P_k against 1[label = k], equal-width bins), indexed by class.</summary>
    public IReadOnlyList<ReliabilityDiagram> ClasswiseReliabilityDiagrams { get; }

    /// <summary>The multiclass Brier score (Brier 1950), sum over classes, in [0, 2].</summary>
    public double BrierScore { get; }

    /// <summary>Mean negative log-likelihood of the label (natural log, floored at 1e-15).</summary>
    public double LogLoss { get; }

    /// <summary>The fraction of rows whose argmax is the label.</summary>
    public double Accuracy { get; }

    /// <summary>The mean top-label confidence.</summary>
    public double MeanConfidence { get; }

    /// <summary>
    /// <see cref="Accuracy"/> - <see cref="MeanConfidence"/>: the Balance score's top-label form. Negative when the model
    /// is over-confident on average.
    /// </summary>
    public double BalanceScore => Accuracy - MeanConfidence;

    /// <summary>Top-label reliability over equal-width bins.</summary>
    public ReliabilityDiagram ReliabilityDiagram { get; }

    /// <summary>
    /// Top-label reliability over equal-mass bins; null when <see cref="CalibrationEvaluatorOptions.Metrics"/> left out
    /// <see cref="CalibrationMetricGroups.EqualMass"/>.
    /// </summary>
    public ReliabilityDiagram? EqualMassReliabilityDiagram { get; }

    /// <summary>The metrics, one per line.</summary>
    public override string ToString() => MetricsText.Format(
        ("Count", Count),
        ("Classes", ClassCount),
        ("ECE (top-label)", ExpectedCalibrationError),
        ("MCE", MaximumCalibrationError),
        ("RMSCE", RootMeanSquaredCalibrationError),
        ("Equal-mass ECE", EqualMassReliabilityDiagram is null ? null : EqualMassExpectedCalibrationError),
        ("Equal-mass MCE", EqualMassReliabilityDiagram is null ? null : EqualMassMaximumCalibrationError),
        ("Debiased CE (L2)", EqualMassReliabilityDiagram is null ? null : DebiasedCalibrationError),
        ("Smooth ECE", _smoothComputed ? SmoothExpectedCalibrationError.Value : null),
        ("Classwise ECE", ClasswiseExpectedCalibrationError),
        ("Classwise MCE", ClasswiseMaximumCalibrationError),
        ("Brier score", BrierScore),
        ("Log-loss", LogLoss),
        ("Accuracy", Accuracy),
        ("Mean confidence", MeanConfidence),
        ("Balance score", BalanceScore));
}

/// <summary>How a metric of a group that was not computed reads.</summary>
internal static class NotComputed
{
    public static readonly SmoothCalibrationError Smooth = new(double.NaN, double.NaN);
}

internal static class MetricsText
{
    /// <summary>One line per metric.</summary>
    public static string Format(params (string Name, double Value)[] rows)
        => Format(rows.Select(r => (r.Name, (double?)r.Value)).ToArray());

    /// <summary>One line per metric; a null value (a metric whose group was not computed) is left out.</summary>
    public static string Format(params (string Name, double? Value)[] rows)
    {
        var text = new StringBuilder();
        foreach (var (name, computed) in rows)
        {
            if (computed is not double value)
                continue;
            string formatted = value == Math.Floor(value) && Math.Abs(value) >= 1
                ? value.ToString("0", CultureInfo.InvariantCulture)
                : value.ToString("0.000000", CultureInfo.InvariantCulture);
            text.AppendLine(CultureInfo.InvariantCulture, $"{name,-18} {formatted}");
        }
        return text.ToString();
    }
}
