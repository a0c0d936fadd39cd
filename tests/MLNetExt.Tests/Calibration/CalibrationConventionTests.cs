using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;

namespace MLNetExt.Tests.Calibration;

/// <summary>
/// The conventions issue 21 adds: netcal's np.linspace edges, equal-mass bins that split ties as np.array_split, one
/// tie rule, the MCE properties, Double overloads, the Double probability output, and example weights.
/// </summary>
[TestClass]
public sealed class CalibrationConventionTests
{
    // Double confidences, several exactly on edges of 10 bins (0.3, 0.6, 0.7 differ from np.linspace's edges).
    private static readonly double[] P = [0.3, 0.3, 0.7, 0.1, 0.95, 0.5, 0.6, 0.2, 0.8, 0.4, 0.6, 0.0, 1.0];
    private static readonly bool[] Y = [true, false, true, false, true, false, true, false, true, true, false, false, true];

    [TestMethod]
    public void NumpyLinspaceEdges_PutValuesOnAnEdgeOneBinLower_AsNetcal()
    {
        // Oracle (numpy 1.24, as netcal bins: np.histogram over np.linspace(0, 1, 11)): counts
        // [1 1 3 0 1 3 1 0 1 2], ECE 0.1653846153846154; with edges m / M: counts [1 1 1 2 1 1 2 1 1 2], ECE 0.19615384615384615.
        var linspace = CalibrationBinning.EqualWidth(10, BinEdgeRule.LeftClosed, EqualWidthEdges.NumpyLinspace);
        Assert.AreEqual(0.30000000000000004, linspace.Edges[3]);
        var d = CalibrationMetrics.Reliability(P, Y, linspace);
        CollectionAssert.AreEqual(new long[] { 1, 1, 3, 0, 1, 3, 1, 0, 1, 2 }, d.Bins.Select(b => b.Count).ToArray());
        Assert.AreEqual(0.1653846153846154, d.ExpectedCalibrationError, 1e-15);
        var quotient = CalibrationMetrics.Reliability(P, Y, CalibrationBinning.EqualWidth(10));
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 2, 1, 1, 2, 1, 1, 2 }, quotient.Bins.Select(b => b.Count).ToArray());
        Assert.AreEqual(0.19615384615384615, quotient.ExpectedCalibrationError, 1e-15);

        // The evaluator offers it as an option.
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(P.Select((p, i) => new DoubleRow { Label = Y[i], Probability = p }));
        var m = mlContext.BinaryClassification.EvaluateCalibration(data,
            options: new CalibrationEvaluatorOptions { NumberOfBins = 10, EqualWidthEdges = EqualWidthEdges.NumpyLinspace });
        Assert.AreEqual(d.ExpectedCalibrationError, m.ExpectedCalibrationError, 0);
    }

    [TestMethod]
    public void ArraySplitEqualMass_SplitsTiesByRowOrder_AsNumpy()
    {
        // Oracle (numpy): np.array_split(np.argsort(p, kind='stable'), 3) = rows [0,1] [2,3] [4,5]; gaps .15, 0, .2;
        // ECE = (2/6)(.15 + 0 + .2) = 0.11666666666666665. Kumar's midpoint bins keep the four 0.5s together instead.
        double[] p = [0.2, 0.5, 0.5, 0.5, 0.5, 0.9];
        bool[] y = [false, true, false, true, true, false];
        var split = CalibrationBinning.EqualMass(p, 3, EqualMassBinning.ArraySplit);
        Assert.IsTrue(split.SplitsTies);
        var d = CalibrationMetrics.Reliability(p, y, split);
        CollectionAssert.AreEqual(new long[] { 2, 2, 2 }, d.Bins.Select(b => b.Count).ToArray());
        Assert.AreEqual(0.11666666666666665, d.ExpectedCalibrationError, 1e-15);
        Assert.IsTrue(d.Bins[0].IncludesUpper && d.Bins[1].IncludesUpper, "the 0.5s are shared across both boundaries");
        var kumar = CalibrationMetrics.Reliability(p, y, CalibrationBinning.EqualMass(p, 3));
        Assert.IsTrue(kumar.Bins.Any(b => b.Count >= 4), "the midpoint bins keep ties together");

        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(p.Select((v, i) => new DoubleRow { Label = y[i], Probability = v }));
        var m = mlContext.BinaryClassification.EvaluateCalibration(data,
            options: new CalibrationEvaluatorOptions { NumberOfBins = 3, EqualMassBinning = EqualMassBinning.ArraySplit });
        Assert.AreEqual(0.11666666666666665, m.EqualMassExpectedCalibrationError, 1e-15);
        Assert.AreEqual(0.2, m.EqualMassMaximumCalibrationError, 1e-15);

        // Made from other confidences: refused.
        Assert.ThrowsExactly<ArgumentException>(() => CalibrationMetrics.Reliability([0.2, 0.5], [true, false], split));
    }

    [TestMethod]
    public void MulticlassSpanFunctions_AcceptDoubles_AndAgreeWithSingle()
    {
        float[] single = [.65f, .25f, .10f, .45f, .37f, .18f, .15f, .75f, .10f, .30f, .32f, .38f, .22f, .13f, .65f, .55f, .35f, .10f];
        double[] doubles = single.Select(v => (double)v).ToArray();
        int[] labels = [0, 1, 1, 0, 2, 0];
        var five = CalibrationBinning.EqualWidth(5);
        Assert.AreEqual(CalibrationMetrics.MulticlassBrierScore(single, 3, labels), CalibrationMetrics.MulticlassBrierScore(doubles, 3, labels), 0);
        Assert.AreEqual(CalibrationMetrics.MulticlassLogLoss(single, 3, labels), CalibrationMetrics.MulticlassLogLoss(doubles, 3, labels), 0);
        CollectionAssert.AreEqual(CalibrationMetrics.ClasswiseExpectedCalibrationErrors(single, 3, labels, five),
            CalibrationMetrics.ClasswiseExpectedCalibrationErrors(doubles, 3, labels, five));
        var c1 = new double[6];
        var c2 = new double[6];
        var r1 = new bool[6];
        var r2 = new bool[6];
        CalibrationMetrics.TopLabel(single, 3, labels, c1, r1);
        CalibrationMetrics.TopLabel(doubles, 3, labels, c2, r2);
        CollectionAssert.AreEqual(c1, c2);
        CollectionAssert.AreEqual(r1, r2);
    }

    [TestMethod]
    public void DoubleProbabilityOutput_KeepsTheCalibratorsValue_NearOne()
    {
        // A Single column rounds 1 - p to multiples of 6e-8 near 1; the Double output holds Calibrate(score) exactly.
        var mlContext = new MLContext(seed: 1);
        var data = CalibrationDefectTests.BinaryData(mlContext);
        var cal = mlContext.BinaryClassification.Calibrators;
        var single = cal.TemperatureScaling().Fit(data);
        var twin = cal.TemperatureScaling(new BinaryTemperatureScalingEstimator.Options { OutputKind = DataKind.Double }).Fit(data);
        Assert.AreEqual(single.Temperature, twin.Temperature, 0);
        var output = twin.Transform(data);
        Assert.AreEqual(NumberDataViewType.Double, output.Schema["Probability"].Type);
        var scores = data.GetColumn<float>("Score").ToArray();
        var probabilities = output.GetColumn<double>("Probability").ToArray();
        for (int i = 0; i < scores.Length; i++)
            Assert.AreEqual(twin.Calibrate(scores[i]), probabilities[i], 0);
        // Near 1: score 30 / T.
        double p = twin.Calibrate(30 * twin.Temperature / 2);
        Assert.AreNotEqual(-Math.Log((double)(float)p), -Math.Log(p), "Single rounds the log-loss of p near 1");
        var engine = mlContext.Model.CreatePredictionEngine<CalibrationDefectTests.BinaryRow, DoubleProbability>(twin);
        Assert.AreEqual(twin.Calibrate(1.5), engine.Predict(new CalibrationDefectTests.BinaryRow { Score = 1.5f }).Probability, 0);
        Assert.AreEqual(NumberDataViewType.Double,
            cal.Beta(new BetaCalibrationEstimator.Options { OutputKind = DataKind.Double }).GetOutputSchema(Support.Shapes.From(data.Schema))
                .Single(c => c.Name == "Probability").ItemType);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cal.Beta(new BetaCalibrationEstimator.Options { OutputKind = DataKind.Int32 }));
    }

    [TestMethod]
    public void Evaluator_Weights_UnitEqualsNone_ZeroEqualsRemoved_TwoEqualsDuplicated()
    {
        var random = new Random(12);
        var p = Enumerable.Range(0, 500).Select(_ => (float)random.NextDouble()).ToArray();
        var y = p.Select(v => random.NextDouble() < v * 0.9).ToArray();
        var weights = Enumerable.Range(0, 500).Select(i => i % 5 == 0 ? 0f : i % 7 == 0 ? 2f : 1f).ToArray();
        var mlContext = new MLContext(seed: 1);
        var options = new CalibrationEvaluatorOptions { NumberOfBins = 10 };
        BinaryCalibrationMetrics Evaluate(IEnumerable<(float P, bool Y, float W)> rows, bool weighted)
        {
            var data = mlContext.Data.LoadFromEnumerable(rows.Select(r => new WeightedRow { Label = r.Y, Probability = r.P, Weight = r.W }));
            return mlContext.BinaryClassification.EvaluateCalibration(data, options: options, exampleWeightColumnName: weighted ? "Weight" : null);
        }
        var all = p.Select((v, i) => (v, y[i], 1f)).ToArray();
        var none = Evaluate(all, weighted: false);
        var ones = Evaluate(all, weighted: true);
        AssertSame(none, ones, 1e-15, includeEqualMass: true);

        var weighted = Evaluate(p.Select((v, i) => (v, y[i], weights[i])), weighted: true);
        // Weight 0 = the row removed, weight 2 = the row twice (equal-mass bins count rows, so they are left out here).
        var expanded = p.SelectMany((v, i) => Enumerable.Repeat((v, y[i], 1f), (int)weights[i]));
        var duplicated = Evaluate(expanded, weighted: false);
        AssertSame(duplicated, weighted, 1e-12, includeEqualMass: false);
        Assert.AreEqual(p.Length - weights.Count(w => w == 0), weighted.Count, "rows of weight 0 are not counted");
        Assert.AreEqual(weights.Sum(), weighted.TotalWeight, 1e-9);
    }

    [TestMethod]
    public void Evaluator_AllWeightsZero_OrNegative_AreErrorsNamingTheColumn()
    {
        var mlContext = new MLContext(seed: 1);
        var zero = mlContext.Data.LoadFromEnumerable(new[] { new WeightedRow { Label = true, Probability = 0.4f, Weight = 0 } });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.BinaryClassification.EvaluateCalibration(zero, exampleWeightColumnName: "Weight"));
        StringAssert.Contains(ex.Message, "Example weight column 'Weight' is 0 in all 1 rows");
        var negative = mlContext.Data.LoadFromEnumerable(new[] { new WeightedRow { Label = true, Probability = 0.4f, Weight = -1 } });
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.BinaryClassification.EvaluateCalibration(negative, exampleWeightColumnName: "Weight"));
        StringAssert.Contains(ex.Message, "Example weight column 'Weight' has -1 at row 0");
    }

    [TestMethod]
    public void MulticlassEvaluator_WeightTwo_EqualsDuplicatedRow()
    {
        var random = new Random(2);
        var rows = Enumerable.Range(0, 300).Select(i =>
        {
            var s = new float[3];
            double a = random.NextDouble(), b = random.NextDouble() * (1 - a);
            s[0] = (float)a;
            s[1] = (float)b;
            s[2] = 1 - s[0] - s[1];
            return new WeightedVectorRow { Label = random.Next(3), Score = s, Weight = i % 4 == 0 ? 2 : 1 };
        }).ToArray();
        var mlContext = new MLContext(seed: 1);
        var weighted = mlContext.MulticlassClassification.EvaluateCalibration(mlContext.Data.LoadFromEnumerable(rows), exampleWeightColumnName: "Weight");
        var duplicated = mlContext.MulticlassClassification.EvaluateCalibration(mlContext.Data.LoadFromEnumerable(
            rows.SelectMany(r => Enumerable.Repeat(new WeightedVectorRow { Label = r.Label, Score = r.Score, Weight = 1 }, (int)r.Weight))));
        Assert.AreEqual(duplicated.ExpectedCalibrationError, weighted.ExpectedCalibrationError, 1e-12);
        Assert.AreEqual(duplicated.MaximumCalibrationError, weighted.MaximumCalibrationError, 1e-12);
        Assert.AreEqual(duplicated.ClasswiseExpectedCalibrationError, weighted.ClasswiseExpectedCalibrationError, 1e-12);
        Assert.AreEqual(duplicated.BrierScore, weighted.BrierScore, 1e-12);
        Assert.AreEqual(duplicated.LogLoss, weighted.LogLoss, 1e-12);
        Assert.AreEqual(duplicated.Accuracy, weighted.Accuracy, 1e-12);
        Assert.AreEqual(duplicated.SmoothExpectedCalibrationError.Value, weighted.SmoothExpectedCalibrationError.Value, 1e-9);
    }

    [TestMethod]
    public void Calibrators_WeightTwo_EqualsDuplicatedRow()
    {
        var mlContext = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 200).Select(i =>
        {
            double x = random.NextDouble() * 6 - 3;
            return new WeightedScoreRow { Label = random.NextDouble() < 1 / (1 + Math.Exp(-x / 2)), Score = (float)x, Weight = i % 3 == 0 ? 2 : 1 };
        }).ToArray();
        var weighted = mlContext.Data.LoadFromEnumerable(rows);
        var duplicated = mlContext.Data.LoadFromEnumerable(rows.SelectMany(r => Enumerable.Repeat(new WeightedScoreRow { Label = r.Label, Score = r.Score, Weight = 1 }, (int)r.Weight)));
        var cal = mlContext.BinaryClassification.Calibrators;
        Assert.AreEqual(cal.TemperatureScaling().Fit(duplicated).Temperature, cal.TemperatureScaling(exampleWeightColumnName: "Weight").Fit(weighted).Temperature, 1e-9);
        var a = cal.Beta().Fit(duplicated);
        var b = cal.Beta(exampleWeightColumnName: "Weight").Fit(weighted);
        Assert.AreEqual(a.A, b.A, 1e-7);
        Assert.AreEqual(a.B, b.B, 1e-7);
        Assert.AreEqual(a.C, b.C, 1e-7);
    }

    private static void AssertSame(BinaryCalibrationMetrics expected, BinaryCalibrationMetrics actual, double tolerance, bool includeEqualMass)
    {
        Assert.AreEqual(expected.ExpectedCalibrationError, actual.ExpectedCalibrationError, tolerance, "ECE");
        Assert.AreEqual(expected.MaximumCalibrationError, actual.MaximumCalibrationError, tolerance, "MCE");
        Assert.AreEqual(expected.RootMeanSquaredCalibrationError, actual.RootMeanSquaredCalibrationError, tolerance, "RMSCE");
        Assert.AreEqual(expected.TopLabelExpectedCalibrationError, actual.TopLabelExpectedCalibrationError, tolerance, "top-label ECE");
        Assert.AreEqual(expected.BrierScore, actual.BrierScore, tolerance, "Brier");
        Assert.AreEqual(expected.BrierDecomposition.Reliability, actual.BrierDecomposition.Reliability, tolerance, "REL");
        Assert.AreEqual(expected.BrierDecomposition.Resolution, actual.BrierDecomposition.Resolution, tolerance, "RES");
        Assert.AreEqual(expected.BrierDecomposition.WithinBinVariance, actual.BrierDecomposition.WithinBinVariance, tolerance, "WBV");
        Assert.AreEqual(expected.LogLoss, actual.LogLoss, tolerance, "log-loss");
        Assert.AreEqual(expected.BalanceScore, actual.BalanceScore, tolerance, "Balance");
        Assert.AreEqual(expected.PositiveRate, actual.PositiveRate, tolerance, "positive rate");
        Assert.AreEqual(expected.SmoothExpectedCalibrationError.Value, actual.SmoothExpectedCalibrationError.Value, Math.Max(tolerance, 1e-12), "smooth ECE");
        if (includeEqualMass)
        {
            Assert.AreEqual(expected.EqualMassExpectedCalibrationError, actual.EqualMassExpectedCalibrationError, tolerance, "equal-mass ECE");
            Assert.AreEqual(expected.DebiasedCalibrationError, actual.DebiasedCalibrationError, tolerance, "debiased");
        }
    }

    private sealed class DoubleRow
    {
        public bool Label { get; set; }

        public double Probability { get; set; }
    }

    private sealed class DoubleProbability
    {
        public double Probability { get; set; }
    }

    private sealed class WeightedRow
    {
        public bool Label { get; set; }

        public float Probability { get; set; }

        public float Weight { get; set; }
    }

    private sealed class WeightedScoreRow
    {
        public bool Label { get; set; }

        public float Score { get; set; }

        public float Weight { get; set; }
    }

    private sealed class WeightedVectorRow
    {
        public float Label { get; set; }

        [VectorType(3)]
        public float[] Score { get; set; } = [];

        public float Weight { get; set; }
    }
}
