using Microsoft.ML;
using MLNetExt.Calibration;
using MLNetExt.Calibration.Kernels;

namespace MLNetExt.Tests.Calibration;

/// <summary>
/// The kernels' contract (issue 21): results do not depend on the code path or the thread count. The evaluators read
/// an IDataView on two threads and sum in parallel; the span functions run on one thread, row at a time or eight rows
/// in vector registers. All of them add the same 65,536-row segment sums in the same order, so they agree to the bit,
/// which is what these tests check (tolerance 0), on data of several segments plus a partial one, with values on
/// bin edges, 0, 1 and 0.5.
/// </summary>
[TestClass]
public sealed class CalibrationKernelTests
{
    internal const int Rows = 3 * 65_536 + 13;

    /// <summary>Probabilities over several segments with 0, 1, 0.5 and edge values, and labels drawn from them.</summary>
    internal static (float[] P, bool[] Y) Data(int seed = 21)
    {
        var random = new Random(seed);
        var p = new float[Rows];
        var y = new bool[Rows];
        for (int i = 0; i < Rows; i++)
        {
            p[i] = (i % 97) switch
            {
                0 => 0f,
                1 => 1f,
                2 => 0.5f,
                3 => (float)(random.Next(16) / 15.0), // on (or next to) an edge of 15 bins
                _ => (float)random.NextDouble(),
            };
            y[i] = random.NextDouble() < p[i] * 0.8 + 0.1;
        }
        return (p, y);
    }

    [TestMethod]
    [DataRow(BinEdgeRule.LeftClosed, EqualWidthEdges.Quotient, BinaryTieRule.NegativeClass)]
    [DataRow(BinEdgeRule.LeftClosedSeparateOne, EqualWidthEdges.Quotient, BinaryTieRule.PositiveClass)]
    [DataRow(BinEdgeRule.RightClosed, EqualWidthEdges.NumpyLinspace, BinaryTieRule.NegativeClass)]
    [DataRow(BinEdgeRule.LeftClosed, EqualWidthEdges.NumpyLinspace, BinaryTieRule.PositiveClass)]
    public void BinaryEvaluator_EqualsSpanFunctions_ToTheBit(BinEdgeRule rule, EqualWidthEdges edges, BinaryTieRule tie)
    {
        var (p, y) = Data();
        var mlContext = new MLContext(seed: 1);
        var options = new CalibrationEvaluatorOptions { BinEdgeRule = rule, EqualWidthEdges = edges, TieRule = tie, NumberOfBins = 15 };
        var data = mlContext.Data.LoadFromEnumerable(p.Select((v, i) => new CalibrationEvaluatorTests.Row { Label = y[i], Probability = v }));
        var m = mlContext.BinaryClassification.EvaluateCalibration(data, options: options);

        var binning = CalibrationBinning.EqualWidth(15, rule, edges);
        var table = CalibrationMetrics.Reliability(p, y, binning);
        Assert.AreEqual(table.ExpectedCalibrationError, m.ExpectedCalibrationError, 0, "ECE");
        Assert.AreEqual(m.ExpectedCalibrationError, CalibrationMetrics.ExpectedCalibrationError(p, y, 15, rule, edges), 0, "ECE function");
        Assert.AreEqual(table.MaximumCalibrationError, m.MaximumCalibrationError, 0, "MCE");
        Assert.AreEqual(table.RootMeanSquaredCalibrationError, m.RootMeanSquaredCalibrationError, 0, "RMSCE");
        CollectionAssert.AreEqual(table.Bins.ToArray(), m.ReliabilityDiagram.Bins.ToArray(), "bins");
        Assert.AreEqual(CalibrationMetrics.BrierScore(p, y), m.BrierScore, 0, "Brier");
        Assert.AreEqual(CalibrationMetrics.DecomposeBrierScore(p, y, binning), m.BrierDecomposition, "decomposition");
        Assert.AreEqual(CalibrationMetrics.LogLoss(p, y), m.LogLoss, 0, "log-loss");
        Assert.AreEqual(CalibrationMetrics.BalanceScore(p, y, tie), m.BalanceScore, 0, "Balance");
        Assert.AreEqual(CalibrationMetrics.SmoothExpectedCalibrationError(p, y), m.SmoothExpectedCalibrationError, "smooth ECE");

        var doubles = p.Select(v => (double)v).ToArray();
        var confidence = new double[Rows];
        var correct = new bool[Rows];
        CalibrationMetrics.BinaryTopLabel(doubles, y, confidence, correct, tie);
        var top = CalibrationMetrics.Reliability(confidence, correct, binning);
        Assert.AreEqual(top.ExpectedCalibrationError, m.TopLabelExpectedCalibrationError, 0, "top-label ECE");
        Assert.AreEqual(top.MaximumCalibrationError, m.TopLabelMaximumCalibrationError, 0, "top-label MCE");

        var equalMass = CalibrationMetrics.Reliability(p, y, CalibrationBinning.EqualMass(p, 15));
        Assert.AreEqual(equalMass.ExpectedCalibrationError, m.EqualMassExpectedCalibrationError, 0, "equal-mass ECE");
        Assert.AreEqual(equalMass.DebiasedRootMeanSquaredCalibrationError, m.DebiasedCalibrationError, 0, "debiased");
    }

    [TestMethod]
    public void LargeSpans_SummedOnEveryCore_GiveTheOneThreadBits_AndReportTheFirstBadRow()
    {
        // From 4 segments on, the span functions sum segments on every core; the bits must be those of adding the
        // segment sums in order on one thread (here: one call per segment, each from zero, added in order).
        var (p, y) = Data(seed: 9);
        var binning = CalibrationBinning.EqualWidth(15);
        var totals = new double[BinKernels.Width(15)];
        for (int start = 0; start < Rows; start += 65_536)
        {
            int length = Math.Min(65_536, Rows - start);
            var partial = new double[totals.Length];
            BinDispatch.Accumulate<float, float, PositiveClass>(binning, p.AsSpan(start, length), y.AsSpan(start, length), default, new PositiveClass(),
                partial, start, "confidences");
            for (int k = 0; k < totals.Length; k++)
                totals[k] += partial[k];
        }
        var oneThread = new ReliabilityDiagram(binning, new BinStatistics(15, totals, weighted: false));
        for (int run = 0; run < 5; run++)
        {
            var whole = CalibrationMetrics.Reliability(p, y, binning);
            CollectionAssert.AreEqual(oneThread.Bins.ToArray(), whole.Bins.ToArray(), "bins");
            Assert.AreEqual(oneThread.ExpectedCalibrationError, whole.ExpectedCalibrationError, 0, "ECE");
            Assert.AreEqual(oneThread.ExpectedCalibrationError, CalibrationMetrics.ExpectedCalibrationError(p, y), 0, "ECE function");
        }

        // Bad values in the second and the last segment: the first in row order is the one named, whichever thread saw
        // which segment first.
        var bad = (float[])p.Clone();
        bad[70_000] = 1.5f;
        bad[Rows - 2] = float.NaN;
        for (int run = 0; run < 5; run++)
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CalibrationMetrics.ExpectedCalibrationError(bad, y));
            StringAssert.Contains(e.Message, "confidences[70000] is 1.5");
        }
    }

    [TestMethod]
    public void VectorAndRowAtATimePaths_GiveTheSameBits()
    {
        // Float confidences with left-closed bins go through the vector kernel; the same values as doubles through
        // the row-at-a-time loop (with the edge correction). Same bins, same sums, same order.
        var (p, y) = Data(seed: 5);
        var doubles = p.Select(v => (double)v).ToArray();
        foreach (var rule in new[] { BinEdgeRule.LeftClosed, BinEdgeRule.LeftClosedSeparateOne, BinEdgeRule.RightClosed })
        {
            foreach (int bins in new[] { 1, 10, 15, 300 })
            {
                var binning = CalibrationBinning.EqualWidth(bins, rule);
                var a = CalibrationMetrics.Reliability(p, y, binning);
                var b = CalibrationMetrics.Reliability(doubles, y, binning);
                Assert.AreEqual(a.ExpectedCalibrationError, b.ExpectedCalibrationError, 0, $"{rule} {bins}");
                Assert.AreEqual(a.RootMeanSquaredCalibrationError, b.RootMeanSquaredCalibrationError, 0, $"{rule} {bins}");
                CollectionAssert.AreEqual(a.Bins.ToArray(), b.Bins.ToArray(), $"{rule} {bins}");
                Assert.AreEqual(CalibrationMetrics.DecomposeBrierScore(p, y, binning), CalibrationMetrics.DecomposeBrierScore(doubles, y, binning));
            }
        }
        Assert.AreEqual(CalibrationMetrics.LogLoss(p, y), CalibrationMetrics.LogLoss(doubles, y), 0, "log-loss");
        Assert.AreEqual(CalibrationMetrics.BalanceScore(p, y), CalibrationMetrics.BalanceScore(doubles, y), 0, "Balance");
    }
}
