using MLNetExt.Calibration;

namespace MLNetExt.Tests.Calibration;

/// <summary>
/// The metric math against the hand-checkable oracles of docs/specs (shift_llp_pruning_calibration.md, "Test
/// oracles" O1-O8). Oracle values are given to 6 decimals in the spec, so the tolerance is 1e-6 unless stated.
/// </summary>
[TestClass]
public sealed class CalibrationMetricsTests
{
    private const double Tol = 1e-6;

    // O1 data: p and y.
    private static readonly double[] P = [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0, 1.0];
    private static readonly bool[] Y = [false, false, true, false, true, true, false, true, true, false];

    [TestMethod]
    public void Ece_O1_LeftClosedNetcal_Is030()
    {
        // Bins {0,.1} | {.25,.4} | {.5,.6} | {.75,.9,1,1}: conf .05/.325/.55/.9125, acc 0/.5/1/.5.
        // ECE = .2*.05 + .2*.175 + .2*.45 + .4*.4125 = 0.30.
        var d = CalibrationMetrics.Reliability(P, Y, CalibrationBinning.EqualWidth(4, BinEdgeRule.LeftClosed));
        Assert.AreEqual(0.30, d.ExpectedCalibrationError, Tol);
        Assert.AreEqual(0.339393, d.RootMeanSquaredCalibrationError, Tol);
        Assert.AreEqual(0.45, d.MaximumCalibrationError, Tol);
        CollectionAssert.AreEqual(new long[] { 2, 2, 2, 4 }, d.Bins.Select(b => b.Count).ToArray());
        Assert.AreEqual(0.9125, d.Bins[3].MeanConfidence, Tol);
        Assert.AreEqual(0.5, d.Bins[3].ObservedFrequency, Tol);
        Assert.IsTrue(d.Bins[3].IncludesUpper, "the last left-closed bin holds 1.0");
        Assert.IsFalse(d.Bins[2].IncludesUpper);
    }

    [TestMethod]
    public void Ece_O1_RightClosedSklearn_Is020_AndCalibrationCurveMatches()
    {
        // Bins {0,.1,.25} | {.4,.5} | {.6,.75} | {.9,1,1}.
        var d = CalibrationMetrics.Reliability(P, Y, CalibrationBinning.EqualWidth(4, BinEdgeRule.RightClosed));
        Assert.AreEqual(0.20, d.ExpectedCalibrationError, Tol);
        Assert.AreEqual(0.218422, d.RootMeanSquaredCalibrationError, Tol);
        Assert.AreEqual(0.30, d.MaximumCalibrationError, Tol);
        var (probTrue, probPred) = d.GetCalibrationCurve();
        AssertClose([0.333333, 0.5, 0.5, 0.666667], probTrue);
        AssertClose([0.116667, 0.45, 0.675, 0.966667], probPred);
    }

    [TestMethod]
    public void Ece_O1_TorchmetricsSeparateOneBin_Is030()
    {
        // {0,.1} | {.25,.4} | {.5,.6} | {.75,.9} | {1,1}: five bins, the last holding exactly 1.0.
        var binning = CalibrationBinning.EqualWidth(4, BinEdgeRule.LeftClosedSeparateOne);
        Assert.AreEqual(5, binning.Count);
        var d = CalibrationMetrics.Reliability(P, Y, binning);
        Assert.AreEqual(0.30, d.ExpectedCalibrationError, Tol);
        Assert.AreEqual(0.343875, d.RootMeanSquaredCalibrationError, Tol);
        Assert.AreEqual(0.50, d.MaximumCalibrationError, Tol);
        Assert.AreEqual(2, d.Bins[4].Count);
        Assert.AreEqual((1.0, 1.0), (d.Bins[4].Lower, d.Bins[4].Upper));
    }

    [TestMethod]
    public void ExpectedCalibrationError_ConvenienceOverload_MatchesReliability()
    {
        float[] pf = P.Select(v => (float)v).ToArray();
        Assert.AreEqual(0.30, CalibrationMetrics.ExpectedCalibrationError(pf, Y, 4), Tol);
        Assert.AreEqual(0.20, CalibrationMetrics.ExpectedCalibrationError(P, Y, 4, BinEdgeRule.RightClosed), Tol);
    }

    [TestMethod]
    public void Brier_O1_DecompositionIsExact()
    {
        // REL .115187, RES .1, UNC .25, WBV .006313, WBC 0: REL - RES + UNC + WBV - WBC = .2715 = BS.
        Assert.AreEqual(0.2715, CalibrationMetrics.BrierScore(P, Y), 1e-12);
        var b = CalibrationMetrics.DecomposeBrierScore(P, Y, CalibrationBinning.EqualWidth(4));
        Assert.AreEqual(0.115187, b.Reliability, Tol);
        Assert.AreEqual(0.100000, b.Resolution, Tol);
        Assert.AreEqual(0.25, b.Uncertainty, 1e-12);
        Assert.AreEqual(0.006313, b.WithinBinVariance, Tol);
        Assert.AreEqual(0.0, b.WithinBinCovariance, 1e-12);
        Assert.AreEqual(b.BrierScore, b.Reliability - b.Resolution + b.Uncertainty + b.WithinBinVariance - b.WithinBinCovariance, 1e-12);
    }

    [TestMethod]
    public void Brier_O8_DiscreteForecasts_MurphyTerms()
    {
        // f = .2 (5 rows, 1 positive), .5 (4 rows, 3 positives), .8 (5 rows, 3 positives); one bin per value.
        var p = Enumerable.Repeat(0.2, 5).Concat(Enumerable.Repeat(0.5, 4)).Concat(Enumerable.Repeat(0.8, 5)).ToArray();
        bool[] y = [true, false, false, false, false, true, true, true, false, true, true, true, false, false];
        var b = CalibrationMetrics.DecomposeBrierScore(p, y, CalibrationBinning.EqualWidth(10));
        Assert.AreEqual(0.45 / 14, b.Reliability, 1e-12);
        Assert.AreEqual(0.75 / 14, b.Resolution, 1e-12);
        Assert.AreEqual(0.25, b.Uncertainty, 1e-12);
        Assert.AreEqual(0.0, b.WithinBinVariance, 1e-12);
        Assert.AreEqual(0.228571, b.BrierScore, Tol);
        Assert.AreEqual(b.BrierScore, b.Reliability - b.Resolution + b.Uncertainty, 1e-12);
    }

    [TestMethod]
    public void EqualMass_O2_MidpointEdgesAndErrors()
    {
        // uncertainty-calibration, 5 bins: edges [0.175, 0.45, 0.675, 0.95, 1.0], two values a bin.
        var binning = CalibrationBinning.EqualMass(P, 5, EqualMassBinning.Midpoint);
        AssertClose([0, 0.175, 0.45, 0.675, 0.95, 1.0], binning.Edges.ToArray());
        var d = CalibrationMetrics.Reliability(P, Y, binning);
        Assert.IsTrue(d.Bins.All(b => b.Count == 2));
        Assert.AreEqual(0.30, d.ExpectedCalibrationError, Tol);
        Assert.AreEqual(0.343875, d.RootMeanSquaredCalibrationError, Tol);
        Assert.AreEqual(0.0, d.DebiasedRootMeanSquaredCalibrationError, 0, "clamped at 0");
    }

    [TestMethod]
    public void EqualMass_O2_QuantileEdges_NetcalAndSklearn()
    {
        // Linear quantiles at .25/.5/.75 of the sorted p: .2875, .55, .8625; ECE 0.20 both ways.
        foreach (var method in new[] { EqualMassBinning.QuantileLeftClosed, EqualMassBinning.QuantileRightClosed })
        {
            var binning = CalibrationBinning.EqualMass(P, 4, method);
            AssertClose([0, 0.2875, 0.55, 0.8625, 1], binning.Edges.ToArray());
            Assert.AreEqual(0.20, CalibrationMetrics.Reliability(P, Y, binning).ExpectedCalibrationError, Tol, method.ToString());
        }
    }

    [TestMethod]
    public void Debiased_O3_RemovesBinomialNoise()
    {
        // 10 rows at .2 with 5 positives, 10 at .9 with 9: plug-in L2 sqrt(.045) = .212132;
        // debiased .5(.09 - .25/9) + .5(0 - .09/9) = .0261111 -> sqrt = .161589; L1 ECE .15.
        var p = Enumerable.Repeat(0.2, 10).Concat(Enumerable.Repeat(0.9, 10)).ToArray();
        var y = Enumerable.Range(0, 20).Select(i => i < 10 ? i < 5 : i < 19).ToArray();
        var d = CalibrationMetrics.Reliability(p, y, CalibrationBinning.EqualMass(p, 2));
        Assert.AreEqual(0.212132, d.RootMeanSquaredCalibrationError, Tol);
        Assert.AreEqual(0.161589, d.DebiasedRootMeanSquaredCalibrationError, Tol);
        Assert.AreEqual(0.15, d.ExpectedCalibrationError, 1e-12);
        // Kumar's default of 15 equal-mass bins merges the tied midpoints into the same two groups.
        var d15 = CalibrationMetrics.Reliability(p, y, CalibrationBinning.EqualMass(p, 15));
        Assert.AreEqual(0.161589, d15.DebiasedRootMeanSquaredCalibrationError, Tol);
    }

    [TestMethod]
    public void Ece_O4_TorchmetricsPr1648Case_Is06()
    {
        // preds [1,1,1,1,0], target [0,0,1,1,1], 2 bins: the zero-confidence and one-confidence corners.
        double[] p = [1, 1, 1, 1, 0];
        bool[] y = [false, false, true, true, true];
        Assert.AreEqual(0.6, CalibrationMetrics.ExpectedCalibrationError(p, y, 2, BinEdgeRule.LeftClosedSeparateOne), Tol);
        Assert.AreEqual(0.6, CalibrationMetrics.ExpectedCalibrationError(p, y, 2, BinEdgeRule.LeftClosed), Tol);
    }

    [TestMethod]
    public void TopLabel_O5_ArgmaxTieGoesToNegativeClass()
    {
        // conf = max(p, 1-p); p = .5 predicts class 0, so (p=.5, y=1) is wrong. Accuracy .6, mean confidence .8.
        var conf = new double[P.Length];
        var correct = new bool[P.Length];
        CalibrationMetrics.BinaryTopLabel(P, Y, conf, correct);
        Assert.AreEqual(0.6, correct.Count(c => c) / (double)correct.Length, 1e-12);
        Assert.AreEqual(0.8, conf.Average(), 1e-12);
        Assert.AreEqual(0.26, CalibrationMetrics.ExpectedCalibrationError(conf, correct, 4, BinEdgeRule.LeftClosed), Tol);
        Assert.AreEqual(0.20, CalibrationMetrics.ExpectedCalibrationError(conf, correct, 4, BinEdgeRule.RightClosed), Tol);
        Assert.AreEqual(0.26, CalibrationMetrics.ExpectedCalibrationError(conf, correct, 4, BinEdgeRule.LeftClosedSeparateOne), Tol);

        CalibrationMetrics.BinaryTopLabel(P, Y, conf, correct, BinaryTieRule.PositiveClass);
        Assert.AreEqual(0.7, correct.Count(c => c) / (double)correct.Length, 1e-12);
    }

    [TestMethod]
    public void Balance_O6_IsAccuracyMinusConfidence_UnderTheTopLabelTieRule()
    {
        // One tie rule for the top-label metrics and the Balance score (issue 21): by default p = .5 predicts class 0,
        // so (p = .5, y = 1) is wrong: accuracy .6 - mean confidence .8 = -0.2 (O5's accuracy). The paper's p >= .5
        // rule gives the spec's O6: terms [0,.1,-.75,.4,.5,.4,-.75,.1,0,-1] -> -0.1 = accuracy .7 - .8.
        Assert.AreEqual(-0.2, CalibrationMetrics.BalanceScore(P, Y), 1e-12);
        Assert.AreEqual(-0.1, CalibrationMetrics.BalanceScore(P, Y, BinaryTieRule.PositiveClass), 1e-12);
    }

    [TestMethod]
    public void Multiclass_O7_TopLabelClasswiseBrierNll()
    {
        float[] probs =
        [
            .65f, .25f, .10f,
            .45f, .37f, .18f,
            .15f, .75f, .10f,
            .30f, .32f, .38f,
            .22f, .13f, .65f,
            .55f, .35f, .10f,
        ];
        int[] labels = [0, 1, 1, 0, 2, 0];
        var conf = new double[6];
        var correct = new bool[6];
        CalibrationMetrics.TopLabel(probs, 3, labels, conf, correct);
        CollectionAssert.AreEqual(new[] { true, false, true, false, true, true }, correct);
        var five = CalibrationBinning.EqualWidth(5);
        // Inputs are float32, so oracle agreement is to float precision (about 1e-7 relative).
        Assert.AreEqual(0.221667, CalibrationMetrics.Reliability(conf, correct, five).ExpectedCalibrationError, 2e-6);
        var classwise = CalibrationMetrics.ClasswiseExpectedCalibrationErrors(probs, 3, labels, five);
        AssertClose([0.163333, 0.111667, 0.201667], classwise, 2e-6);
        Assert.AreEqual(0.158889, classwise.Average(), 2e-6);
        // Class 0: P_0 = .65,.45,.15,.30,.22,.55, label 0 at rows 0, 3, 5. Bins of width .2: [0,.2) {.15} gap .15;
        // [.2,.4) {.30 yes, .22 no} gap |.5 - .26| = .24; [.4,.6) {.45 no, .55 yes} gap 0; [.6,.8) {.65 yes} gap .35.
        // ECE (.15 + 2(.24) + .35) / 6 = .163333 as above; MCE .35.
        var perClass = CalibrationMetrics.ClasswiseReliability(probs, 3, labels, five);
        Assert.AreEqual(0.35, perClass[0].MaximumCalibrationError, 2e-6);
        Assert.AreEqual(0.363567, CalibrationMetrics.MulticlassBrierScore(probs, 3, labels), 2e-6);
        Assert.AreEqual(0.657552, CalibrationMetrics.MulticlassLogLoss(probs, 3, labels), 2e-6);
        Assert.AreEqual(0.095, correct.Count(c => c) / 6.0 - conf.Average(), 2e-6);
    }

    [TestMethod]
    public void SmoothEce_O9_ConstantForecast_IsTheMeanResidual()
    {
        // f = .7 for 10 rows, 8 positives: the smoothed residual is (.7 - .8) times a kernel that integrates to 1,
        // so smECE = 0.1 at every bandwidth (relplot-algorithm port: 0.0999990, sigma* about 0.1006).
        var p = Enumerable.Repeat(0.7, 10).ToArray();
        var y = Enumerable.Range(0, 10).Select(i => i < 8).ToArray();
        var s = CalibrationMetrics.SmoothExpectedCalibrationError(p, y);
        Assert.AreEqual(0.1, s.Value, 2e-4);
        Assert.AreEqual(0.1006, s.Bandwidth, 2e-3);
        Assert.AreEqual(0.1, CalibrationMetrics.SmoothExpectedCalibrationError(p, y, bandwidth: 0.3).Value, 2e-4);
    }

    [TestMethod]
    public void SmoothEce_O9_O1Data_MatchesRelplotPort()
    {
        // Spec O9: O1 data ~0.1674 (sigma* ~0.168); fixed sigma = 0.1: ~0.2083; tolerance 2e-3.
        var s = CalibrationMetrics.SmoothExpectedCalibrationError(P, Y);
        Assert.AreEqual(0.1674, s.Value, 2e-3);
        Assert.AreEqual(0.168, s.Bandwidth, 2e-3);
        Assert.AreEqual(0.2083, CalibrationMetrics.SmoothExpectedCalibrationError(P, Y, bandwidth: 0.1).Value, 2e-3);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CalibrationMetrics.SmoothExpectedCalibrationError(P, Y, bandwidth: 0));
    }

    [TestMethod]
    public void Binning_ValuesOnEdges_FollowTheRule()
    {
        // M = 8 gives exact binary fractions: 0.25 is edge 2.
        var left = CalibrationBinning.EqualWidth(8, BinEdgeRule.LeftClosed);
        var right = CalibrationBinning.EqualWidth(8, BinEdgeRule.RightClosed);
        Assert.AreEqual(2, left.FindBin(0.25));
        Assert.AreEqual(1, right.FindBin(0.25));
        Assert.AreEqual(0, left.FindBin(0.0));
        Assert.AreEqual(0, right.FindBin(0.0));
        Assert.AreEqual(7, left.FindBin(1.0));
        Assert.AreEqual(7, right.FindBin(1.0));
        // M = 5: numpy's linspace gives 0.6000000000000001 for edge 3, m / M gives 0.6; 0.6 is on edge 3 either way.
        var five = CalibrationBinning.EqualWidth(5);
        Assert.AreEqual(3, five.FindBin(0.6));
        Assert.AreEqual(2, five.FindBin(Math.BitDecrement(0.6)));
        // The O(1) path agrees with binary search over the same edges for every value near every edge.
        foreach (int m in new[] { 3, 5, 7, 10, 15, 100 })
        {
            foreach (var rule in new[] { BinEdgeRule.LeftClosed, BinEdgeRule.RightClosed })
            {
                var fast = CalibrationBinning.EqualWidth(m, rule);
                var search = CalibrationBinning.FromEdges(fast.Edges, rule);
                for (int e = 0; e <= m; e++)
                {
                    double edge = fast.Edges[e];
                    foreach (double c in new[] { Math.BitDecrement(edge), edge, Math.BitIncrement(edge), (double)(float)edge })
                    {
                        if (c < 0 || c > 1)
                            continue;
                        Assert.AreEqual(search.FindBin(c), fast.FindBin(c), $"M={m} {rule} c={c:R}");
                    }
                }
            }
        }
    }

    [TestMethod]
    public void EqualMass_MidpointWithZeroUpperEdge_KeepsZeroBin()
    {
        // Four zeros then four .5 in 4 chunks of 2: midpoints 0, .25, .5, then 1. Kumar's upper edge 0 is the bin [0, 0].
        double[] p = [0, 0, 0, 0, .5, .5, .5, .5];
        var binning = CalibrationBinning.EqualMass(p, 4);
        AssertClose([0, 0, 0.25, 0.5, 1.0], binning.Edges.ToArray());
        var d = CalibrationMetrics.Reliability(p, new bool[8], binning);
        CollectionAssert.AreEqual(new long[] { 4, 0, 4, 0 }, d.Bins.Select(b => b.Count).ToArray());
    }

    [TestMethod]
    public void Metrics_BadInput_NameTheProblem()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => CalibrationMetrics.ExpectedCalibrationError([0.2, 1.5], [true, false]));
        StringAssert.Contains(ex.Message, "confidences[1] is 1.5");
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => CalibrationMetrics.BrierScore([double.NaN], [true]));
        StringAssert.Contains(ex.Message, "NaN");
        var lengths = Assert.ThrowsExactly<ArgumentException>(
            () => CalibrationMetrics.BalanceScore([0.2, 0.3], [true]));
        StringAssert.Contains(lengths.Message, "expected 2");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CalibrationBinning.EqualWidth(0));
        var label = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => CalibrationMetrics.MulticlassBrierScore([0.5f, 0.5f], 2, [2]));
        StringAssert.Contains(label.Message, "labels[0] is 2");
        Assert.ThrowsExactly<ArgumentException>(() => CalibrationBinning.EqualMass(ReadOnlySpan<double>.Empty, 10));
    }

    internal static void AssertClose(double[] expected, IReadOnlyList<double> actual, double tolerance = Tol)
    {
        Assert.AreEqual(expected.Length, actual.Count, "length");
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], tolerance, $"element {i}");
    }
}

/// <summary>The selection behind equal-mass edges agrees with a full sort on the requested ranks.</summary>
[TestClass]
public sealed class RankSelectorTests
{
    [TestMethod]
    public void Select_RequestedRanks_EqualSortedValues_WithBelowAndEqualCounts()
    {
        // Sizes on both sides of 65,536 (below it the selector sorts a copy; above it counts digits), with and without
        // ties, Single and Double, and negative values (histogram binning selects raw scores).
        var random = new Random(3);
        foreach (int n in new[] { 1, 2, 5, 1000, 70_000, 200_001 })
        {
            foreach (bool ties in new[] { false, true })
            {
                var doubles = Enumerable.Range(0, n).Select(_ => ties ? Math.Round(random.NextDouble() * 7) / 7 - 0.5 : random.NextDouble() * 4 - 2).ToArray();
                doubles[0] = -0.0; // read as +0
                var floats = doubles.Select(v => (float)v).ToArray();
                var ranks = Enumerable.Range(0, 12).Select(_ => (long)random.Next(n)).Append(0).Append(n - 1).Distinct().Order().ToArray();
                Check(doubles, ranks, $"double n={n} ties={ties}");
                Check(floats, ranks, $"float n={n} ties={ties}");
            }
        }
    }

    [TestMethod]
    public void Select_WithWeights_CountsOnlyRowsOfPositiveWeight()
    {
        // Weight 0 on every third row: the ranks are among the other rows.
        var random = new Random(5);
        int n = 150_000;
        var values = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        var weights = Enumerable.Range(0, n).Select(i => i % 3 == 1 ? 0f : 0.5f).ToArray();
        var kept = values.Where((_, i) => weights[i] > 0).Order().ToArray();
        long[] ranks = [0, 17, kept.Length / 2, kept.Length - 1];
        var selected = MLNetExt.Calibration.Kernels.RankSelector.Select<double, float>(
            s => values.AsSpan(s << 16, Math.Min(1 << 16, n - (s << 16))), s => weights.AsSpan(s << 16, Math.Min(1 << 16, n - (s << 16))),
            (n + 65535) >> 16, kept.Length, ranks);
        for (int j = 0; j < ranks.Length; j++)
            Assert.AreEqual(kept[ranks[j]], selected[j].Value, $"rank {ranks[j]}");
    }

    private static void Check<T>(T[] values, long[] ranks, string what) where T : unmanaged, System.Numerics.INumber<T>
    {
        var sorted = values.Select(v => double.CreateTruncating(v) + 0.0).Order().ToArray();
        int n = values.Length;
        var selected = MLNetExt.Calibration.Kernels.RankSelector.Select<T, float>(
            s => values.AsSpan(s << 16, Math.Min(1 << 16, n - (s << 16))), null, (n + 65535) >> 16, n, ranks);
        for (int j = 0; j < ranks.Length; j++)
        {
            double expected = sorted[ranks[j]];
            Assert.AreEqual(expected, selected[j].Value, $"{what} rank {ranks[j]}");
            Assert.AreEqual(sorted.Count(v => v < expected), selected[j].Below, $"{what} rank {ranks[j]}: below");
            Assert.AreEqual(sorted.Count(v => v == expected), selected[j].Equal, $"{what} rank {ranks[j]}: equal");
        }
    }
}
