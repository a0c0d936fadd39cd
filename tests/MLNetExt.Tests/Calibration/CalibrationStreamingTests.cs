using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;

namespace MLNetExt.Tests.Calibration;

/// <summary>
/// <see cref="CalibrationEvaluatorOptions.Metrics"/>: with <see cref="CalibrationMetricGroups.Streaming"/> the evaluator
/// reads once and keeps nothing per row. The streaming metrics are computed by the same kernels, on the same 65,536-row
/// segments, added in the same order, whether or not the column is also stored, so they must equal the full
/// evaluator's to the bit (tolerance 0) and the single-threaded span functions' too (the evaluator reads on one thread
/// and sums on another); the groups left out must be absent (NaN, null table); a request that contradicts the option
/// must fail naming it. The data spans three segments and a partial one, with values on edges, 0, 1 and 0.5.
/// </summary>
[TestClass]
public sealed class CalibrationStreamingTests
{
    private const int Rows = CalibrationKernelTests.Rows;

    private static readonly CalibrationEvaluatorOptions StreamingOnly = new() { Metrics = CalibrationMetricGroups.Streaming };

    /// <summary>The kernel tests' data, and weights 0, 2, 0.5 and 1 in turn.</summary>
    private static (float[] P, bool[] Y, float[] W) Data(int seed)
    {
        var (p, y) = CalibrationKernelTests.Data(seed);
        var w = Enumerable.Range(0, Rows).Select(i => (i % 7) switch { 0 => 0f, 1 => 2f, 2 => 0.5f, _ => 1f }).ToArray();
        return (p, y, w);
    }

    public enum BinaryCase
    {
        /// <summary>Single probabilities, no weights: the fused vector kernel.</summary>
        SingleUnweighted,

        /// <summary>Single probabilities, Single weights: the separate kernels.</summary>
        SingleWeighted,

        /// <summary>Double probabilities, Double weights.</summary>
        DoubleWeighted,
    }

    private static (IDataView Data, string? Weight) BinaryView(MLContext mlContext, BinaryCase kind, float[] p, bool[] y, float[] w) => kind switch
    {
        BinaryCase.SingleUnweighted => (mlContext.Data.LoadFromEnumerable(p.Select((v, i) => new SingleRow { Label = y[i], Probability = v })), null),
        BinaryCase.SingleWeighted => (mlContext.Data.LoadFromEnumerable(p.Select((v, i) => new SingleRow { Label = y[i], Probability = v, Weight = w[i] })), "Weight"),
        _ => (mlContext.Data.LoadFromEnumerable(p.Select((v, i) => new DoubleRow { Label = y[i], Probability = v, Weight = w[i] })), "Weight"),
    };

    [TestMethod]
    [DataRow(BinaryCase.SingleUnweighted, BinEdgeRule.LeftClosed, BinaryTieRule.NegativeClass)]
    [DataRow(BinaryCase.SingleUnweighted, BinEdgeRule.LeftClosedSeparateOne, BinaryTieRule.PositiveClass)]
    [DataRow(BinaryCase.SingleWeighted, BinEdgeRule.LeftClosed, BinaryTieRule.NegativeClass)]
    [DataRow(BinaryCase.DoubleWeighted, BinEdgeRule.RightClosed, BinaryTieRule.PositiveClass)]
    public void Binary_Streaming_EqualsFullEvaluator_ToTheBit_AndLeavesTheRestAbsent(BinaryCase kind, BinEdgeRule rule, BinaryTieRule tie)
    {
        var (p, y, w) = Data(seed: 3);
        var mlContext = new MLContext(seed: 1);
        var (data, weight) = BinaryView(mlContext, kind, p, y, w);
        var full = mlContext.BinaryClassification.EvaluateCalibration(data, exampleWeightColumnName: weight,
            options: new CalibrationEvaluatorOptions { BinEdgeRule = rule, TieRule = tie });
        var streaming = mlContext.BinaryClassification.EvaluateCalibration(data, exampleWeightColumnName: weight,
            options: new CalibrationEvaluatorOptions { BinEdgeRule = rule, TieRule = tie, Metrics = CalibrationMetricGroups.Streaming });

        AssertSameStreamingMetrics(full, streaming);
        Assert.IsNull(streaming.EqualMassReliabilityDiagram);
        Assert.IsTrue(double.IsNaN(streaming.EqualMassExpectedCalibrationError), "equal-mass ECE");
        Assert.IsTrue(double.IsNaN(streaming.EqualMassMaximumCalibrationError), "equal-mass MCE");
        Assert.IsTrue(double.IsNaN(streaming.DebiasedCalibrationError), "debiased");
        Assert.IsTrue(double.IsNaN(streaming.SmoothExpectedCalibrationError.Value), "smooth ECE");
        Assert.IsTrue(double.IsNaN(streaming.SmoothExpectedCalibrationError.Bandwidth), "smooth bandwidth");
        Assert.IsFalse(double.IsNaN(full.DebiasedCalibrationError), "the full evaluator computes them");
        string text = streaming.ToString();
        StringAssert.Contains(text, "ECE");
        Assert.IsFalse(text.Contains("Equal-mass", StringComparison.Ordinal) || text.Contains("Smooth", StringComparison.Ordinal), text);
        StringAssert.Contains(full.ToString(), "Equal-mass ECE");
    }

    [TestMethod]
    public void Binary_Streaming_EqualsSingleThreadedSpanFunctions_ToTheBit()
    {
        // The span functions sum the same segments on the calling thread alone; the streaming evaluator reads on one
        // thread and sums on a second. Equal bits: the result does not depend on the thread count.
        var (p, y, _) = Data(seed: 9);
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(p.Select((v, i) => new SingleRow { Label = y[i], Probability = v }));
        var m = mlContext.BinaryClassification.EvaluateCalibration(data, options: StreamingOnly);
        var binning = CalibrationBinning.EqualWidth(15);
        var table = CalibrationMetrics.Reliability(p, y, binning);
        Assert.AreEqual(table.ExpectedCalibrationError, m.ExpectedCalibrationError, 0, "ECE");
        Assert.AreEqual(table.MaximumCalibrationError, m.MaximumCalibrationError, 0, "MCE");
        CollectionAssert.AreEqual(table.Bins.ToArray(), m.ReliabilityDiagram.Bins.ToArray(), "bins");
        Assert.AreEqual(CalibrationMetrics.BrierScore(p, y), m.BrierScore, 0, "Brier");
        Assert.AreEqual(CalibrationMetrics.DecomposeBrierScore(p, y, binning), m.BrierDecomposition, "decomposition");
        Assert.AreEqual(CalibrationMetrics.LogLoss(p, y), m.LogLoss, 0, "log-loss");
        Assert.AreEqual(CalibrationMetrics.BalanceScore(p, y), m.BalanceScore, 0, "Balance");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Multiclass_Streaming_EqualsFullEvaluator_ToTheBit(bool weighted)
    {
        const int k = 4;
        var random = new Random(17);
        var rows = new VectorRow[Rows];
        for (int i = 0; i < Rows; i++)
        {
            var s = new double[k];
            double sum = 0;
            for (int j = 0; j < k; j++)
                sum += s[j] = i % 101 == 0 ? (j == 0 ? 1 : 0) : Math.Exp(3 * random.NextDouble());
            for (int j = 0; j < k; j++)
                s[j] /= sum;
            rows[i] = new VectorRow { Label = random.Next(k), Score = s, Weight = (i % 5) switch { 0 => 0, 1 => 3, _ => 1 } };
        }
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(rows);
        string? weight = weighted ? "Weight" : null;
        var full = mlContext.MulticlassClassification.EvaluateCalibration(data, exampleWeightColumnName: weight);
        var streaming = mlContext.MulticlassClassification.EvaluateCalibration(data, options: StreamingOnly, exampleWeightColumnName: weight);

        Assert.AreEqual(full.Count, streaming.Count);
        Assert.AreEqual(full.TotalWeight, streaming.TotalWeight, 0, "total weight");
        Assert.AreEqual(full.ExpectedCalibrationError, streaming.ExpectedCalibrationError, 0, "ECE");
        Assert.AreEqual(full.MaximumCalibrationError, streaming.MaximumCalibrationError, 0, "MCE");
        Assert.AreEqual(full.RootMeanSquaredCalibrationError, streaming.RootMeanSquaredCalibrationError, 0, "RMSCE");
        CollectionAssert.AreEqual(full.ReliabilityDiagram.Bins.ToArray(), streaming.ReliabilityDiagram.Bins.ToArray(), "top-label bins");
        Assert.AreEqual(full.ClasswiseExpectedCalibrationError, streaming.ClasswiseExpectedCalibrationError, 0, "classwise ECE");
        Assert.AreEqual(full.ClasswiseMaximumCalibrationError, streaming.ClasswiseMaximumCalibrationError, 0, "classwise MCE");
        for (int j = 0; j < k; j++)
            CollectionAssert.AreEqual(full.ClasswiseReliabilityDiagrams[j].Bins.ToArray(), streaming.ClasswiseReliabilityDiagrams[j].Bins.ToArray(), $"class {j}");
        Assert.AreEqual(full.BrierScore, streaming.BrierScore, 0, "Brier");
        Assert.AreEqual(full.LogLoss, streaming.LogLoss, 0, "log-loss");
        Assert.AreEqual(full.Accuracy, streaming.Accuracy, 0, "accuracy");
        Assert.AreEqual(full.MeanConfidence, streaming.MeanConfidence, 0, "mean confidence");
        Assert.AreEqual(full.BalanceScore, streaming.BalanceScore, 0, "Balance");

        Assert.IsNull(streaming.EqualMassReliabilityDiagram);
        Assert.IsTrue(double.IsNaN(streaming.EqualMassExpectedCalibrationError), "equal-mass ECE");
        Assert.IsTrue(double.IsNaN(streaming.EqualMassMaximumCalibrationError), "equal-mass MCE");
        Assert.IsTrue(double.IsNaN(streaming.DebiasedCalibrationError), "debiased");
        Assert.IsTrue(double.IsNaN(streaming.SmoothExpectedCalibrationError.Value), "smooth ECE");
        Assert.IsFalse(double.IsNaN(full.EqualMassExpectedCalibrationError), "the full evaluator computes them");
        Assert.IsFalse(streaming.ToString().Contains("Smooth", StringComparison.Ordinal), streaming.ToString());
    }

    [TestMethod]
    public void OneGroup_ComputesItAlone_AsTheFullEvaluatorDoes()
    {
        var (p, y, w) = Data(seed: 4);
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(p.Select((v, i) => new SingleRow { Label = y[i], Probability = v, Weight = w[i] }));
        var full = mlContext.BinaryClassification.EvaluateCalibration(data, exampleWeightColumnName: "Weight");
        var equalMass = mlContext.BinaryClassification.EvaluateCalibration(data, exampleWeightColumnName: "Weight",
            options: new CalibrationEvaluatorOptions { Metrics = CalibrationMetricGroups.EqualMass });
        var smooth = mlContext.BinaryClassification.EvaluateCalibration(data, exampleWeightColumnName: "Weight",
            options: new CalibrationEvaluatorOptions { Metrics = CalibrationMetricGroups.Smooth });

        AssertSameStreamingMetrics(full, equalMass);
        AssertSameStreamingMetrics(full, smooth);
        Assert.AreEqual(full.EqualMassExpectedCalibrationError, equalMass.EqualMassExpectedCalibrationError, 0, "equal-mass ECE");
        Assert.AreEqual(full.DebiasedCalibrationError, equalMass.DebiasedCalibrationError, 0, "debiased");
        CollectionAssert.AreEqual(full.EqualMassReliabilityDiagram!.Bins.ToArray(), equalMass.EqualMassReliabilityDiagram!.Bins.ToArray());
        Assert.IsTrue(double.IsNaN(equalMass.SmoothExpectedCalibrationError.Value), "smooth left out");
        Assert.AreEqual(full.SmoothExpectedCalibrationError, smooth.SmoothExpectedCalibrationError, "smooth ECE");
        Assert.IsNull(smooth.EqualMassReliabilityDiagram);
        Assert.IsTrue(double.IsNaN(smooth.DebiasedCalibrationError), "equal-mass left out");
    }

    [TestMethod]
    public void ContradictoryOrUnknownRequest_FailsNamingTheOption()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new SingleRow { Label = true, Probability = 0.7f }, new SingleRow { Label = false, Probability = 0.2f } });

        // An equal-mass convention asked for, but no equal-mass metric.
        var contradiction = new CalibrationEvaluatorOptions { Metrics = CalibrationMetricGroups.Streaming, EqualMassBinning = EqualMassBinning.ArraySplit };
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.BinaryClassification.EvaluateCalibration(data, options: contradiction));
        Assert.AreEqual(nameof(CalibrationEvaluatorOptions.EqualMassBinning), ex.ParamName);
        StringAssert.Contains(ex.Message, "Option 'EqualMassBinning' is ArraySplit, but Metrics is Streaming, which computes no equal-mass metric");
        StringAssert.Contains(ex.Message, "add CalibrationMetricGroups.EqualMass to Metrics");
        contradiction.Metrics = CalibrationMetricGroups.Smooth;
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.BinaryClassification.EvaluateCalibration(data, options: contradiction));
        StringAssert.Contains(ex.Message, "but Metrics is Smooth");
        contradiction.Metrics = CalibrationMetricGroups.EqualMass;
        Assert.IsTrue(mlContext.BinaryClassification.EvaluateCalibration(data, options: contradiction).EqualMassReliabilityDiagram is not null);

        var unknown = new CalibrationEvaluatorOptions { Metrics = (CalibrationMetricGroups)10 };
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.BinaryClassification.EvaluateCalibration(data, options: unknown));
        Assert.AreEqual(nameof(CalibrationEvaluatorOptions.Metrics), ex.ParamName);
        StringAssert.Contains(ex.Message, "Option 'Metrics' has the unknown flags 8");
    }

    private static void AssertSameStreamingMetrics(BinaryCalibrationMetrics expected, BinaryCalibrationMetrics actual)
    {
        Assert.AreEqual(expected.Count, actual.Count, "count");
        Assert.AreEqual(expected.TotalWeight, actual.TotalWeight, 0, "total weight");
        Assert.AreEqual(expected.ExpectedCalibrationError, actual.ExpectedCalibrationError, 0, "ECE");
        Assert.AreEqual(expected.MaximumCalibrationError, actual.MaximumCalibrationError, 0, "MCE");
        Assert.AreEqual(expected.RootMeanSquaredCalibrationError, actual.RootMeanSquaredCalibrationError, 0, "RMSCE");
        CollectionAssert.AreEqual(expected.ReliabilityDiagram.Bins.ToArray(), actual.ReliabilityDiagram.Bins.ToArray(), "bins");
        Assert.AreEqual(expected.TopLabelExpectedCalibrationError, actual.TopLabelExpectedCalibrationError, 0, "top-label ECE");
        Assert.AreEqual(expected.TopLabelMaximumCalibrationError, actual.TopLabelMaximumCalibrationError, 0, "top-label MCE");
        CollectionAssert.AreEqual(expected.TopLabelReliabilityDiagram.Bins.ToArray(), actual.TopLabelReliabilityDiagram.Bins.ToArray(), "top-label bins");
        Assert.AreEqual(expected.BrierScore, actual.BrierScore, 0, "Brier");
        Assert.AreEqual(expected.BrierDecomposition, actual.BrierDecomposition, "decomposition");
        Assert.AreEqual(expected.LogLoss, actual.LogLoss, 0, "log-loss");
        Assert.AreEqual(expected.BalanceScore, actual.BalanceScore, 0, "Balance");
        Assert.AreEqual(expected.PositiveRate, actual.PositiveRate, 0, "positive rate");
        Assert.AreEqual(expected.MeanProbability, actual.MeanProbability, 0, "mean probability");
    }

    private sealed class SingleRow
    {
        public bool Label { get; set; }

        public float Probability { get; set; }

        public float Weight { get; set; } = 1;
    }

    private sealed class DoubleRow
    {
        public bool Label { get; set; }

        public double Probability { get; set; }

        public double Weight { get; set; }
    }

    private sealed class VectorRow
    {
        public float Label { get; set; }

        [VectorType(4)]
        public double[] Score { get; set; } = [];

        public double Weight { get; set; }
    }
}
