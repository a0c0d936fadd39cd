namespace MLNetExt.Calibration;

/// <summary>Options of <c>EvaluateCalibration</c> for binary and multiclass predictions.</summary>
public sealed class CalibrationEvaluatorOptions
{
    internal static class Defaults
    {
        public const int NumberOfBins = 15;
        public const BinEdgeRule EdgeRule = BinEdgeRule.LeftClosed;
        public const EqualMassBinning EqualMass = EqualMassBinning.Midpoint;
        public const BinaryTieRule TieRule = BinaryTieRule.NegativeClass;
    }

    /// <summary>The number of bins M of every binned metric.</summary>
    /// <value>Range [1, 100000]. Default 15, as torchmetrics and uncertainty-calibration (netcal's default is 10).</value>
    public int NumberOfBins = Defaults.NumberOfBins;

    /// <summary>Which side of an equal-width bin is closed (where a confidence on an edge goes).</summary>
    /// <value>Default <see cref="BinEdgeRule.LeftClosed"/>, netcal's convention: bins [k/M, (k+1)/M), 1 in the last
    /// bin. Use <see cref="BinEdgeRule.RightClosed"/> for scikit-learn and <see cref="BinEdgeRule.LeftClosedSeparateOne"/>
    /// for torchmetrics parity.</value>
    public BinEdgeRule BinEdgeRule = Defaults.EdgeRule;

    /// <summary>How the equal-mass bins (equal-mass ECE, debiased ECE) are placed.</summary>
    /// <value>Default <see cref="EqualMassBinning.Midpoint"/>, the estimator of Kumar, Liang and Ma (2019) whose
    /// debiased L2 error this evaluator reports.</value>
    public EqualMassBinning EqualMassBinning = Defaults.EqualMass;

    /// <summary>For binary top-label metrics: which class a probability of exactly 0.5 predicts.</summary>
    /// <value>Default <see cref="BinaryTieRule.NegativeClass"/>, as numpy's and torch's argmax. The Balance score always
    /// uses p &gt;= 0.5, by its definition.</value>
    public BinaryTieRule TieRule = Defaults.TieRule;

    internal void Validate()
    {
        Guard.Option(NumberOfBins >= 1 && NumberOfBins <= 100_000, nameof(NumberOfBins), $"must be in [1, 100000]; got {NumberOfBins}.");
        Guard.Option(Enum.IsDefined(BinEdgeRule), nameof(BinEdgeRule), $"has the unknown value {(int)BinEdgeRule}.");
        Guard.Option(Enum.IsDefined(EqualMassBinning), nameof(EqualMassBinning), $"has the unknown value {(int)EqualMassBinning}.");
        Guard.Option(Enum.IsDefined(TieRule), nameof(TieRule), $"has the unknown value {(int)TieRule}.");
    }
}
