using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Numerics;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Calibration;

/// <summary>Multiclass temperature scaling: the issue's measured bar on CIFAR-10, the math, and bad input.</summary>
[TestClass]
public sealed class TemperatureScalingTests
{
    // The issue's independent computation: fit on rows 0-4999 with logits ln(max(p, 1e-12)), top-label ECE-15 with
    // [k/15, (k+1)/15) bins on rows 5000-9999. A pure-Python golden-section search on the same CSV (200 iterations)
    // gives WideResNet T = 2.057553, ECE 0.055173 -> 0.006731; LeNet-5 T = 1.373584, ECE 0.119264 -> 0.022431.
    [TestMethod]
    [DataRow(TestData.WideResNet, 2.058, 0.0552, 0.0067)]
    [DataRow(TestData.LeNet, 1.374, 0.1193, 0.0224)]
    public void TemperatureScaling_Cifar10_ReachesIssueBar(string file, double expectedTemperature, double expectedEceBefore, double expectedEceAfter)
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.LoadCifar(mlContext, file);
        var fitRows = mlContext.Data.TakeRows(data, 5000);
        var testRows = mlContext.Data.SkipRows(data, 5000);

        var transformer = mlContext.MulticlassClassification.TemperatureScaling().Fit(fitRows);
        Assert.AreEqual(expectedTemperature, transformer.Temperature, 1e-3);

        var before = mlContext.MulticlassClassification.EvaluateCalibration(testRows);
        var after = mlContext.MulticlassClassification.EvaluateCalibration(transformer.Transform(testRows));
        Assert.AreEqual(expectedEceBefore, before.ExpectedCalibrationError, 1e-3);
        Assert.AreEqual(expectedEceAfter, after.ExpectedCalibrationError, 1e-3);
        Assert.AreEqual(before.Accuracy, after.Accuracy, 0, "temperature scaling never changes the argmax");
        Assert.IsTrue(after.LogLoss < before.LogLoss);
    }

    [TestMethod]
    public void FittedTemperature_EqualsIndependentMinimisation_OnHandSizedCase()
    {
        // Four rows of three-class logits; the minimiser of the mean NLL over T is found independently by a
        // golden-section search on ln T in [ln 0.01, ln 100] using only function values.
        double[] logits = [2.0, 0.5, -1.0, 1.5, 1.4, 0.0, -0.3, 0.8, 0.1, 3.0, -2.0, 0.2];
        int[] labels = [0, 1, 1, 0];
        var fit = TemperatureFitter.FitMulticlass(logits, 3, labels);
        double independent = GoldenSection(t => TemperatureFitter.MulticlassLogLoss(logits, 3, labels, 1 / t));
        Assert.AreEqual(TemperatureFitKind.Interior, fit.Kind);
        Assert.AreEqual(independent, fit.Temperature, 1e-7);
        Assert.IsTrue(fit.LogLossAfter <= fit.LogLossBefore);

        // The same through MLContext with logits as input.
        var mlContext = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 4).Select(i => new LogitRow { Label = labels[i], Score = logits.Skip(3 * i).Take(3).Select(v => (float)v).ToArray() });
        var transformer = mlContext.MulticlassClassification.TemperatureScaling(scoreKind: ScoreKind.Logit).Fit(mlContext.Data.LoadFromEnumerable(rows));
        Assert.AreEqual(independent, transformer.Temperature, 1e-6, "float inputs");
    }

    [TestMethod]
    public void Fit_ReportsTheTemperatureOnMLContextLog()
    {
        var mlContext = new MLContext(seed: 1);
        var messages = new List<string>();
        mlContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var t = mlContext.MulticlassClassification.TemperatureScaling().Fit(mlContext.Data.TakeRows(TestData.LoadCifar(mlContext, TestData.LeNet), 1000));
        Assert.IsTrue(messages.Any(m => m.Contains("Temperature T = ") && m.Contains("on 1000 rows: log-loss")),
            string.Join("\n", messages.Where(m => m.Contains("Temperature"))));
        Assert.IsTrue(t.Temperature > 1);
    }

    [TestMethod]
    public void BinaryTemperature_EqualsIndependentMinimisation()
    {
        double[] x = [2.5, -1.0, 0.3, 1.7, -0.4, -2.2, 0.9, 0.1];
        bool[] y = [true, false, false, true, true, false, true, false];
        var fit = TemperatureFitter.FitBinary(x, y);
        double independent = GoldenSection(t => TemperatureFitter.BinaryLogLoss(x, y, 1 / t));
        Assert.AreEqual(independent, fit.Temperature, 1e-7);
    }

    [TestMethod]
    public void Output_IsSoftmaxOverTemperature_AndKeepsSlotNames()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.LoadCifar(mlContext, TestData.LeNet);
        var transformer = mlContext.MulticlassClassification.TemperatureScaling(outputColumnName: "Calibrated").Fit(data);
        var output = transformer.Transform(data);
        var input = mlContext.Data.CreateEnumerable<ScoreRow>(data, reuseRowObject: false).Take(50).ToArray();
        var calibrated = output.GetColumn<float[]>("Calibrated").Take(50).ToArray();
        for (int i = 0; i < input.Length; i++)
        {
            var z = input[i].Score.Select(p => Math.Log(Math.Max(p, 1e-12))).ToArray();
            double max = z.Max();
            var e = z.Select(v => Math.Exp((v - max) / transformer.Temperature)).ToArray();
            for (int k = 0; k < 10; k++)
                Assert.AreEqual(e[k] / e.Sum(), calibrated[i][k], 1e-7);
        }
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 10), output.Schema["Calibrated"].Type);
        Assert.IsTrue(output.Schema.GetColumnOrNull("Score").HasValue, "the input column is kept when the output has another name");
    }

    [TestMethod]
    public void BadInput_ClearErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var mc = mlContext.MulticlassClassification;
        var oneClass = mlContext.Data.LoadFromEnumerable(new[]
        {
            new LogitRow { Label = 1, Score = [0.2f, 0.7f, 0.1f] },
            new LogitRow { Label = 1, Score = [0.3f, 0.6f, 0.1f] },
        });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => mc.TemperatureScaling().Fit(oneClass));
        StringAssert.Contains(ex.Message, "only class 1");
        StringAssert.Contains(ex.Message, "'Label'");

        var outOfRange = mlContext.Data.LoadFromEnumerable(new[] { new LogitRow { Label = 3, Score = [0.2f, 0.7f, 0.1f] } });
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => mc.TemperatureScaling().Fit(outOfRange));
        StringAssert.Contains(ex.Message, "has 3 at row 0");

        var infinite = mlContext.Data.LoadFromEnumerable(new[]
        {
            new LogitRow { Label = 0, Score = [float.PositiveInfinity, 0, 0] },
            new LogitRow { Label = 1, Score = [0, 1, 0] },
        });
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => mc.TemperatureScaling(scoreKind: ScoreKind.Logit).Fit(infinite));
        StringAssert.Contains(ex.Message, "Infinity in slot 0");

        var notProbability = mlContext.Data.LoadFromEnumerable(new[] { new LogitRow { Label = 0, Score = [2f, 0, 0] } });
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => mc.TemperatureScaling().Fit(notProbability));
        StringAssert.Contains(ex.Message, "[0, 1]");

        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<LogitRow>());
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => mc.TemperatureScaling().Fit(empty));
        StringAssert.Contains(ex.Message, "no rows");

        var scalar = mlContext.Data.LoadFromEnumerable(new[] { new { Label = 0f, Score = 0.5f } });
        var schema = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mc.TemperatureScaling().Fit(scalar));
        StringAssert.Contains(schema.Message, "Schema mismatch for score column 'Score'");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mc.TemperatureScaling().GetOutputSchema(Shapes.From(scalar.Schema)));

        var variable = mlContext.Data.LoadFromEnumerable(new[] { new VariableRow { Label = 0, Score = [0.6f, 0.4f] } });
        schema = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mc.TemperatureScaling().Fit(variable));
        StringAssert.Contains(schema.Message, "expected a known-size vector of Single, got Vector<Single>");

        var option = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mc.TemperatureScaling(new TemperatureScalingEstimator.Options { ProbabilityFloor = 0 }));
        Assert.AreEqual("ProbabilityFloor", option.ParamName);

        // Scores that rank the labels backwards have no finite temperature: refused, not fitted to a bound.
        var backwards = mlContext.Data.LoadFromEnumerable(new[]
        {
            // d NLL / d(1/T) at 1/T = 0 is mean(z) - z_label = (ln .1 + 2 ln .45) / 3 - ln .1 = +1.0 per row.
            new LogitRow { Label = 0, Score = [0.1f, 0.45f, 0.45f] },
            new LogitRow { Label = 1, Score = [0.45f, 0.1f, 0.45f] },
        });
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => mc.TemperatureScaling().Fit(backwards));
        StringAssert.Contains(ex.Message, "carry no information");

        // Applying a transformer to vectors of another size.
        var fitted = mc.TemperatureScaling().Fit(TestData.LoadCifar(mlContext, TestData.LeNet));
        var three = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => fitted.Transform(oneClass));
        StringAssert.Contains(three.Message, "a vector of 10 Single values");
    }

    private static double GoldenSection(Func<double, double> f)
    {
        double lo = Math.Log(0.01), hi = Math.Log(100), g = (Math.Sqrt(5) - 1) / 2;
        for (int i = 0; i < 200; i++)
        {
            double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
            if (f(Math.Exp(a)) < f(Math.Exp(b)))
                hi = b;
            else
                lo = a;
        }
        return Math.Exp((lo + hi) / 2);
    }

    private sealed class LogitRow
    {
        public float Label { get; set; }

        [VectorType(3)]
        public float[] Score { get; set; } = [];
    }

    private sealed class VariableRow
    {
        public float Label { get; set; }

        public float[] Score { get; set; } = [];
    }

    private sealed class ScoreRow
    {
        public float Label { get; set; }

        [VectorType(10)]
        public float[] Score { get; set; } = [];
    }
}
