using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Calibration;

/// <summary>Beta calibration, histogram binning and binary temperature scaling: math, pipelines, bad input.</summary>
[TestClass]
public sealed class BinaryCalibratorTests
{
    // Twelve probabilities and labels: informative (a, b > 0 in the unconstrained fit).
    private static readonly float[] S = [0.05f, 0.1f, 0.2f, 0.3f, 0.35f, 0.4f, 0.55f, 0.6f, 0.7f, 0.8f, 0.9f, 0.97f];
    private static readonly bool[] Y = [false, false, true, false, false, true, false, true, true, false, true, true];

    [TestMethod]
    public void Beta_SmallCase_EqualsLogisticRegressionOnLogFeatures()
    {
        // The stated form: logistic regression of y on [ln s, -ln(1 - s)], solved here independently by MathNet's
        // BFGS on the same penalized objective (betacal's C = 99999999999).
        var (a, b, c) = IndependentLogisticRegression(S.Select(s => new[] { Math.Log(s), -Math.Log(1 - s) }).ToArray(), Y);
        Assert.IsTrue(a > 0 && b > 0, $"the case must not trigger the drop rule: a={a} b={b}");

        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(S.Select((s, i) => new ProbabilityRow { Label = Y[i], Probability = s }));
        var transformer = mlContext.BinaryClassification.Calibrators.Beta(scoreColumnName: "Probability", scoreKind: ScoreKind.Probability).Fit(data);
        Assert.AreEqual(a, transformer.A, 1e-5);
        Assert.AreEqual(b, transformer.B, 1e-5);
        Assert.AreEqual(c, transformer.C, 1e-5);

        // The output column is sigmoid(a ln s - b ln(1 - s) + c) for every row.
        var probabilities = transformer.Transform(data).GetColumn<float>("Probability").ToArray();
        for (int i = 0; i < S.Length; i++)
        {
            double s = S[i];
            double expected = 1 / (1 + Math.Exp(-(transformer.A * Math.Log(s) - transformer.B * Math.Log(1 - s) + transformer.C)));
            Assert.AreEqual(expected, probabilities[i], 1e-6);
        }
    }

    [TestMethod]
    public void Beta_NegativeSlope_IsDroppedAndRefitted()
    {
        // High scores of both tails are positives: the unconstrained fit has a < 0; betacal's rule drops ln s and
        // refits on -ln(1 - s) alone.
        double[] s = [0.01, 0.02, 0.05, 0.3, 0.4, 0.5, 0.6, 0.7, 0.9, 0.95, 0.98, 0.99];
        bool[] y = [true, true, false, false, false, false, true, false, true, true, true, true];
        var (a, _, _) = IndependentLogisticRegression(s.Select(v => new[] { Math.Log(v), -Math.Log(1 - v) }).ToArray(), y);
        Assert.IsTrue(a < 0, $"the case must trigger the drop rule: a = {a}");
        var (b1, c1) = IndependentLogisticRegression(s.Select(v => new[] { -Math.Log(1 - v) }).ToArray(), y) switch { var r => (r.A, r.C) };

        var fit = BetaCalibrationFitter.Fit(s.Select(v => Math.Log(v)).ToArray(), s.Select(v => Math.Log(1 - v)).ToArray(), y);
        Assert.IsTrue(fit.DroppedA);
        Assert.AreEqual(0, fit.A);
        Assert.AreEqual(b1, fit.B, 1e-5);
        Assert.AreEqual(c1, fit.C, 1e-5);
    }

    [TestMethod]
    public void Beta_RawScores_UseSigmoidExactly()
    {
        // For a raw score x, ln s = -softplus(-x) and ln(1 - s) = -softplus(x): equal to the probability path on
        // s = sigmoid(x), without clamping.
        double[] x = [-3, -1.5, -0.2, 0.4, 1.1, 2.0, -2.5, 0.9, 3.3, -0.7];
        bool[] y = [false, false, true, false, true, true, false, false, true, true];
        var mlContext = new MLContext(seed: 1);
        var raw = mlContext.Data.LoadFromEnumerable(x.Select((v, i) => new ScoreRow { Label = y[i], Score = (float)v }));
        var viaRaw = mlContext.BinaryClassification.Calibrators.Beta().Fit(raw);
        var prob = mlContext.Data.LoadFromEnumerable(x.Select((v, i) => new ProbabilityRow { Label = y[i], Probability = (float)(1 / (1 + Math.Exp(-(float)v))) }));
        var viaProbability = mlContext.BinaryClassification.Calibrators.Beta(scoreColumnName: "Probability", scoreKind: ScoreKind.Probability).Fit(prob);
        Assert.AreEqual(viaRaw.A, viaProbability.A, 1e-5);
        Assert.AreEqual(viaRaw.B, viaProbability.B, 1e-5);
        Assert.AreEqual(viaRaw.C, viaProbability.C, 1e-5);
        Assert.AreEqual(viaRaw.Calibrate(0.4), viaProbability.Calibrate(1 / (1 + Math.Exp(-0.4))), 1e-6);
    }

    [TestMethod]
    public void HistogramBinning_HandCase_EqualMassBinsAndFrequencies()
    {
        // Ten scores in 5 bins of 2: thresholds halfway between chunks (.25, .45, .65, .85);
        // positives per bin 0/2, 1/2, 1/2, 2/2, 1/2.
        double[] s = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
        bool[] y = [false, false, true, false, false, true, true, true, true, false];
        var fit = HistogramBinningFitter.Fit(s, y, 5);
        CalibrationMetricsTests.AssertClose([0.25, 0.45, 0.65, 0.85], fit.Thresholds, 1e-12);
        CalibrationMetricsTests.AssertClose([0, 0.5, 0.5, 1, 0.5], fit.Probabilities, 0);
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 2, 2 }, fit.Counts);
        Assert.AreEqual(1, HistogramBinningFitter.FindBin(fit.Thresholds, fit.Thresholds[1]), "right-closed: an edge belongs to the lower bin");
    }

    [TestMethod]
    public void HistogramBinning_TiedScores_NeverStraddleBins()
    {
        // Five tied scores then one larger, 3 bins asked: the ties are one bin, the last score another.
        double[] s = [1, 1, 1, 1, 1, 2];
        bool[] y = [true, false, true, false, true, true];
        var fit = HistogramBinningFitter.Fit(s, y, 3);
        CollectionAssert.AreEqual(new[] { 5, 1 }, fit.Counts);
        CalibrationMetricsTests.AssertClose([0.6, 1.0], fit.Probabilities, 1e-12);
        Assert.IsTrue(fit.Thresholds[0] >= 1 && fit.Thresholds[0] < 2);
    }

    [TestMethod]
    public void Calibrators_AfterFastTree_ImproveHeldOutCalibration_AndEvaluateWorks()
    {
        // diabetes.csv: train FastTree on half, fit each calibrator on a quarter, evaluate on the last quarter.
        var mlContext = new MLContext(seed: 1);
        var (train, calibration, test) = Diabetes.Split(mlContext);
        var model = Diabetes.FastTree(mlContext).Fit(train);
        var scoredCalibration = model.Transform(calibration);
        var scoredTest = model.Transform(test);
        var rawSigmoid = mlContext.Transforms.Expression("Probability", "s => 1 / (1 + exp(-s))", "Score");
        var before = mlContext.BinaryClassification.EvaluateCalibration(rawSigmoid.Fit(scoredTest).Transform(scoredTest));

        var calibrators = new IEstimator<ITransformer>[]
        {
            mlContext.BinaryClassification.Calibrators.Beta(),
            mlContext.BinaryClassification.Calibrators.HistogramBinning(numberOfBins: 5),
            mlContext.BinaryClassification.Calibrators.TemperatureScaling(),
        };
        foreach (var estimator in calibrators)
        {
            var calibrator = estimator.Fit(scoredCalibration);
            var calibrated = calibrator.Transform(scoredTest);
            var metrics = mlContext.BinaryClassification.EvaluateCalibration(calibrated);
            Assert.IsTrue(metrics.ExpectedCalibrationError < before.ExpectedCalibrationError,
                $"{estimator.GetType().Name}: ECE {metrics.ExpectedCalibrationError} vs raw sigmoid {before.ExpectedCalibrationError}");
            // ML.NET's own evaluator reads the Probability column unchanged. Its log-loss is finite unless a test row
            // gets probability exactly 0 or 1 for the other class, which only histogram binning can give (a bin whose
            // fit rows were all one class): the test rows say which case this is.
            var ml = mlContext.BinaryClassification.Evaluate(calibrated);
            var labels = calibrated.GetColumn<bool>("Label").ToArray();
            var probabilities = calibrated.GetColumn<float>("Probability").ToArray();
            bool certainAndWrong = labels.Zip(probabilities).Any(p => p.First ? p.Second == 0 : p.Second == 1);
            Assert.IsTrue(ml.LogLoss > 0, $"{estimator.GetType().Name}: log-loss {ml.LogLoss}");
            Assert.AreEqual(certainAndWrong, double.IsPositiveInfinity(ml.LogLoss), $"{estimator.GetType().Name}: log-loss {ml.LogLoss}");
            if (calibrator is not HistogramBinningTransformer)
                Assert.IsFalse(certainAndWrong, $"{estimator.GetType().Name} gave a certain wrong probability");
            Assert.IsTrue(ml.AreaUnderRocCurve > 0.7, estimator.GetType().Name);
        }
    }

    [TestMethod]
    public void Calibrators_PredictionEngine_EqualsTransform_AndGetOutputSchemaMatches()
    {
        var mlContext = new MLContext(seed: 1);
        var (train, calibration, test) = Diabetes.Split(mlContext);
        var model = Diabetes.FastTree(mlContext).Fit(train);
        var scored = model.Transform(calibration);
        foreach (var estimator in new IEstimator<ITransformer>[]
        {
            mlContext.BinaryClassification.Calibrators.Beta(),
            mlContext.BinaryClassification.Calibrators.HistogramBinning(),
            mlContext.BinaryClassification.Calibrators.TemperatureScaling(),
        })
        {
            var chain = model.Append(estimator.Fit(scored));
            var batch = chain.Transform(test).GetColumn<float>("Probability").ToArray();
            var engine = mlContext.Model.CreatePredictionEngine<Diabetes.Row, Diabetes.Prediction>(chain);
            var rows = mlContext.Data.CreateEnumerable<Diabetes.Row>(test, reuseRowObject: false).ToArray();
            for (int i = 0; i < rows.Length; i++)
                Assert.AreEqual(batch[i], engine.Predict(rows[i]).Probability, 0, $"{estimator.GetType().Name} row {i}");

            var shape = estimator.GetOutputSchema(Shapes.From(scored.Schema));
            var actual = chain.Transform(test).Schema;
            Assert.AreEqual(actual["Probability"].Type, shape.Single(c => c.Name == "Probability").ItemType);
        }
    }

    [TestMethod]
    public void BadInput_ClearErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var cal = mlContext.BinaryClassification.Calibrators;

        var oneClass = mlContext.Data.LoadFromEnumerable(new[] { new ScoreRow { Label = true, Score = 1 }, new ScoreRow { Label = true, Score = 2 } });
        foreach (var estimator in new IEstimator<ITransformer>[] { cal.Beta(), cal.HistogramBinning(), cal.TemperatureScaling() })
        {
            var ex = Assert.ThrowsExactly<InvalidOperationException>(() => estimator.Fit(oneClass));
            StringAssert.Contains(ex.Message, "is true in all 2 rows");
            StringAssert.Contains(ex.Message, "both classes");
        }

        var nan = mlContext.Data.LoadFromEnumerable(new[] { new ScoreRow { Label = true, Score = float.NaN }, new ScoreRow { Label = false, Score = 0 } });
        var nanEx = Assert.ThrowsExactly<InvalidOperationException>(() => cal.Beta().Fit(nan));
        StringAssert.Contains(nanEx.Message, "Score column 'Score' has NaN at row 0");

        var outside = mlContext.Data.LoadFromEnumerable(new[] { new ProbabilityRow { Label = true, Probability = 1.5f }, new ProbabilityRow { Label = false, Probability = 0 } });
        var outEx = Assert.ThrowsExactly<InvalidOperationException>(
            () => cal.TemperatureScaling(scoreColumnName: "Probability", scoreKind: ScoreKind.Probability).Fit(outside));
        StringAssert.Contains(outEx.Message, "1.5 at row 0");

        var floatLabel = mlContext.Data.LoadFromEnumerable(new[] { new { Label = 1f, Score = 0.3f } });
        var schemaEx = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cal.Beta().Fit(floatLabel));
        StringAssert.Contains(schemaEx.Message, "Schema mismatch for label column 'Label': expected Boolean, got Single");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cal.Beta().GetOutputSchema(Shapes.From(floatLabel.Schema)));

        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<ScoreRow>());
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => cal.HistogramBinning().Fit(empty)).Message, "no rows");

        var bins = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cal.HistogramBinning(numberOfBins: 0));
        Assert.AreEqual("NumberOfBins", bins.ParamName);
        StringAssert.Contains(bins.Message, "got 0");

        var fitted = cal.Beta().Fit(mlContext.Data.LoadFromEnumerable(new[] { new ScoreRow { Label = true, Score = 1 }, new ScoreRow { Label = false, Score = -1 } }));
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => fitted.Transform(outside));
        StringAssert.Contains(missing.Message, "Could not find score column 'Score'");
        Assert.IsTrue(double.IsNaN(fitted.Calibrate(double.NaN)), "a missing score gives a missing probability");
    }

    private static (double A, double B, double C) IndependentLogisticRegression(double[][] x, bool[] y)
    {
        int d = x[0].Length;
        double l2 = 1.0 / 99999999999;
        var objective = ObjectiveFunction.Gradient(theta =>
        {
            double f = 0;
            var g = Vector<double>.Build.Dense(d + 1);
            for (int i = 0; i < y.Length; i++)
            {
                double t = theta[d];
                for (int j = 0; j < d; j++)
                    t += theta[j] * x[i][j];
                double p = 1 / (1 + Math.Exp(-t));
                f += Math.Log(1 + Math.Exp(-Math.Abs(t))) + Math.Max(t, 0) - (y[i] ? t : 0);
                for (int j = 0; j < d; j++)
                    g[j] += (p - (y[i] ? 1 : 0)) * x[i][j];
                g[d] += p - (y[i] ? 1 : 0);
            }
            for (int j = 0; j < d; j++)
            {
                f += 0.5 * l2 * theta[j] * theta[j];
                g[j] += l2 * theta[j];
            }
            return (f, g);
        });
        var result = new BfgsMinimizer(1e-12, 1e-14, 1e-16, 10_000).FindMinimum(objective, Vector<double>.Build.Dense(d + 1));
        var p = result.MinimizingPoint;
        return d == 2 ? (p[0], p[1], p[2]) : (p[0], 0, p[1]);
    }

    private sealed class ScoreRow
    {
        public bool Label { get; set; }

        public float Score { get; set; }
    }

    private sealed class ProbabilityRow
    {
        public bool Label { get; set; }

        public float Probability { get; set; }
    }
}
