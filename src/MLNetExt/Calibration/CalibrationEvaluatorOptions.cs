namespace MLNetExt.Calibration;

/// <summary>
/// Which groups of metrics <c>EvaluateCalibration</c> computes beyond the streaming ones, which it always computes.
/// The streaming metrics come from per-bin and per-row sums made while the cursor reads, with nothing kept per row:
/// the equal-width tables and their ECE, MCE and RMSCE (positive-class and top-label for binary; top-label and
/// classwise for multiclass), the Brier score (and, binary, its decomposition over the equal-width bins), log-loss,
/// the Balance score, the positive rate / accuracy and the mean probability / confidence. The other groups need the
/// confidence column held in memory and read again after the pass.
/// </summary>
[Flags]
public enum CalibrationMetricGroups
{
    /// <summary>Only the streaming metrics: one cursor pass, no per-row storage.</summary>
    Streaming = 0,

    /// <summary>
    /// Equal-mass ECE and MCE, the equal-mass reliability table and the debiased L2 error: the edges are order
    /// statistics of the whole column, so the confidences (4 bytes a row for Single, 8 for Double), one bit a row for
    /// the outcome and the weights are kept.
    /// </summary>
    EqualMass = 1,

    /// <summary>
    /// Smooth ECE: its bandwidth search may need a finer grid than the one spread while reading, so the same data as
    /// <see cref="EqualMass"/> is kept.
    /// </summary>
    Smooth = 2,

    /// <summary>Every metric (the default).</summary>
    All = EqualMass | Smooth,
}

/// <summary>Options of <c>EvaluateCalibration</c> for binary and multiclass predictions.</summary>
public sealed class CalibrationEvaluatorOptions
{
    internal static class Defaults
    {
        public const CalibrationMetricGroups Metrics = CalibrationMetricGroups.All;
        public const int NumberOfBins = 15;
        public const BinEdgeRule EdgeRule = BinEdgeRule.LeftClosed;
        public const EqualWidthEdges Edges = EqualWidthEdges.Quotient;
        public const EqualMassBinning EqualMass = EqualMassBinning.Midpoint;
        public const BinaryTieRule TieRule = BinaryTieRule.NegativeClass;
    }

    /// <summary>The number of bins M of every binned metric.</summary>
    /// <value>Range [1, 100000]. Default 15, as torchmetrics and uncertainty-calibration (netcal's default is 10).</value>
    public int NumberOfBins = Defaults.NumberOfBins;

    /// <summary>Which side of an equal-width bin is closed (where a confidence on an edge goes).</summary>
    /// <value>Default <see cref="BinEdgeRule.LeftClosed"/>: bins [k/M, (k+1)/M), 1 in the last bin (netcal's rule). Use
    /// <see cref="BinEdgeRule.RightClosed"/> for scikit-learn and <see cref="BinEdgeRule.LeftClosedSeparateOne"/> for
    /// torchmetrics parity.</value>
    public BinEdgeRule BinEdgeRule = Defaults.EdgeRule;

    /// <summary>How the equal-width edges are computed.</summary>
    /// <value>Default <see cref="EqualWidthEdges.Quotient"/> (m / M). netcal's numbers need
    /// <see cref="EqualWidthEdges.NumpyLinspace"/> with <see cref="BinEdgeRule.LeftClosed"/>: its edges are
    /// <c>np.linspace</c> values, and Double confidences that lie on an edge land one bin lower there. (netcal also clips
    /// confidences to [eps, 1 - eps], eps = 2.2e-16, which moves bin means by at most that much; that is not done here.)</value>
    public EqualWidthEdges EqualWidthEdges = Defaults.Edges;

    /// <summary>How the equal-mass bins (equal-mass ECE and MCE, debiased ECE) are placed.</summary>
    /// <value>Default <see cref="EqualMassBinning.Midpoint"/>, the estimator of Kumar, Liang and Ma (2019) whose
    /// debiased L2 error this evaluator reports (tied values stay in one bin); <see cref="EqualMassBinning.ArraySplit"/>
    /// splits ties as <c>np.array_split</c> does. With example weights, the bins are placed by counting the rows whose
    /// weight is above 0. Another value than the default needs <see cref="CalibrationMetricGroups.EqualMass"/> in
    /// <see cref="Metrics"/> (else an error names both options).</value>
    public EqualMassBinning EqualMassBinning = Defaults.EqualMass;

    /// <summary>
    /// For binary predictions: which class a probability of exactly 0.5 predicts, in the top-label metrics and the
    /// Balance score alike.
    /// </summary>
    /// <value>Default <see cref="BinaryTieRule.NegativeClass"/>, as numpy's and torch's argmax, the multiclass top-label
    /// rule and ML.NET's PredictedLabel (Score &gt; 0). <see cref="BinaryTieRule.PositiveClass"/> is the Balance score
    /// paper's p &gt;= 0.5.</value>
    public BinaryTieRule TieRule = Defaults.TieRule;

    /// <summary>Which metrics to compute beyond the streaming ones (see <see cref="CalibrationMetricGroups"/>).</summary>
    /// <value>Default <see cref="CalibrationMetricGroups.All"/>. <see cref="CalibrationMetricGroups.Streaming"/> reads the
    /// data once and keeps nothing per row (the cost of about one cursor pass over the columns); the metrics of a group
    /// left out are NaN in the result (<c>SmoothExpectedCalibrationError</c>: NaN value and bandwidth) and its reliability
    /// table is null. The streaming metrics are the same bits whichever groups are asked for.</value>
    public CalibrationMetricGroups Metrics = Defaults.Metrics;

    internal void Validate()
    {
        Guard.Option((Metrics & ~CalibrationMetricGroups.All) == 0, nameof(Metrics), $"has the unknown flags {(int)(Metrics & ~CalibrationMetricGroups.All)}.");
        Guard.Option(NumberOfBins >= 1 && NumberOfBins <= 100_000, nameof(NumberOfBins), $"must be in [1, 100000]; got {NumberOfBins}.");
        Guard.Option(Enum.IsDefined(BinEdgeRule), nameof(BinEdgeRule), $"has the unknown value {(int)BinEdgeRule}.");
        Guard.Option(Enum.IsDefined(EqualWidthEdges), nameof(EqualWidthEdges), $"has the unknown value {(int)EqualWidthEdges}.");
        Guard.Option(Enum.IsDefined(EqualMassBinning), nameof(EqualMassBinning), $"has the unknown value {(int)EqualMassBinning}.");
        Guard.Option(Enum.IsDefined(TieRule), nameof(TieRule), $"has the unknown value {(int)TieRule}.");
        Guard.Option(EqualMassBinning == Defaults.EqualMass || Metrics.HasFlag(CalibrationMetricGroups.EqualMass), nameof(EqualMassBinning),
            $"is {EqualMassBinning}, but {nameof(Metrics)} is {Metrics}, which computes no equal-mass metric; add " +
            $"{nameof(CalibrationMetricGroups)}.{nameof(CalibrationMetricGroups.EqualMass)} to {nameof(Metrics)} or leave {nameof(EqualMassBinning)} at {Defaults.EqualMass}.");
    }
}
