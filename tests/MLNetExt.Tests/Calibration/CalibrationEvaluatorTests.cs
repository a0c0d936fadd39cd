using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Calibration;

/// <summary>
/// The evaluators end to end through MLContext: the real CIFAR-10 records against the spec's anchor figures
/// (recomputed in pure Python from the same CSV; tolerance 1e-5 as the spec's O18 for float32 inputs), the O1 data
/// through an IDataView, and bad input.
/// </summary>
[TestClass]
public sealed class CalibrationEvaluatorTests
{
    private const double Tol = 1e-5;

    [TestMethod]
    public void Multiclass_WideResNetCifar10_MatchesAnchorFigures()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.LoadCifar(mlContext, TestData.WideResNet);
        var m = mlContext.MulticlassClassification.EvaluateCalibration(data);
        Assert.AreEqual(10_000, m.Count);
        Assert.AreEqual(10, m.ClassCount);
        Assert.AreEqual(0.9109, m.Accuracy, 1e-12);
        Assert.AreEqual(0.964616, m.MeanConfidence, Tol);
        Assert.AreEqual(0.053716, m.ExpectedCalibrationError, Tol);
        Assert.AreEqual(0.074901, m.RootMeanSquaredCalibrationError, Tol);
        Assert.AreEqual(0.262389, m.MaximumCalibrationError, Tol);
        Assert.AreEqual(0.143871, m.BrierScore, Tol);
        Assert.AreEqual(0.378170, m.LogLoss, Tol);
        Assert.AreEqual(0.012427, m.ClasswiseExpectedCalibrationError, Tol);
        Assert.AreEqual(m.Accuracy - m.MeanConfidence, m.BalanceScore, 1e-12);

        // torchmetrics puts the 2469 rows with confidence exactly 1.0f in a bin of their own: RMSCE changes, ECE not.
        var torch = mlContext.MulticlassClassification.EvaluateCalibration(data,
            options: new CalibrationEvaluatorOptions { BinEdgeRule = BinEdgeRule.LeftClosedSeparateOne });
        Assert.AreEqual(0.053716, torch.ExpectedCalibrationError, Tol);
        Assert.AreEqual(0.077783, torch.RootMeanSquaredCalibrationError, Tol);
        Assert.AreEqual(2469, torch.ReliabilityDiagram.Bins[^1].Count);
    }

    [TestMethod]
    public void Multiclass_LeNetCifar10_MatchesAnchorFigures()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.LoadCifar(mlContext, TestData.LeNet);
        var m15 = mlContext.MulticlassClassification.EvaluateCalibration(data);
        var m10 = mlContext.MulticlassClassification.EvaluateCalibration(data, options: new CalibrationEvaluatorOptions { NumberOfBins = 10 });
        Assert.AreEqual(0.5308, m15.Accuracy, 1e-12);
        Assert.AreEqual(0.638688, m15.MeanConfidence, Tol);
        Assert.AreEqual(0.107888, m15.ExpectedCalibrationError, Tol);
        Assert.AreEqual(0.107888, m10.ExpectedCalibrationError, Tol);
        Assert.AreEqual(0.185821, m15.MaximumCalibrationError, Tol);
        Assert.AreEqual(0.614152, m15.BrierScore, Tol);
        Assert.AreEqual(1.369868, m15.LogLoss, Tol);
    }

    [TestMethod]
    public void Multiclass_KeyLabel_EqualsNumericLabel_AndSpanFunctions()
    {
        var mlContext = new MLContext(seed: 1);
        var numeric = mlContext.MulticlassClassification.EvaluateCalibration(TestData.LoadCifar(mlContext, TestData.WideResNet));
        var key = mlContext.MulticlassClassification.EvaluateCalibration(TestData.LoadCifar(mlContext, TestData.WideResNet, labelAsKey: true));
        Assert.AreEqual(numeric.ExpectedCalibrationError, key.ExpectedCalibrationError, 0);
        Assert.AreEqual(numeric.LogLoss, key.LogLoss, 0);

        var (labels, probabilities) = TestData.ReadCifar(TestData.WideResNet);
        var conf = new double[labels.Length];
        var correct = new bool[labels.Length];
        CalibrationMetrics.TopLabel(probabilities, 10, labels, conf, correct);
        double spanEce = CalibrationMetrics.ExpectedCalibrationError(conf, correct);
        Assert.AreEqual(numeric.ExpectedCalibrationError, spanEce, 0);
    }

    [TestMethod]
    public void Binary_O1ThroughDataView_MatchesSpanFunctions()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = O1Rows();
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var m = mlContext.BinaryClassification.EvaluateCalibration(data, options: new CalibrationEvaluatorOptions { NumberOfBins = 4 });
        Assert.AreEqual(10, m.Count);
        Assert.AreEqual(0.30, m.ExpectedCalibrationError, 1e-6);
        Assert.AreEqual(0.45, m.MaximumCalibrationError, 1e-6);
        Assert.AreEqual(0.2715, m.BrierScore, 1e-6);
        Assert.AreEqual(0.115187, m.BrierDecomposition.Reliability, 1e-6);
        Assert.AreEqual(-0.2, m.BalanceScore, 1e-6); // p = .5 predicts class 0 (the top-label tie rule); -0.1 with p >= .5
        Assert.AreEqual(0.26, m.TopLabelExpectedCalibrationError, 1e-6);
        var paper = mlContext.BinaryClassification.EvaluateCalibration(data,
            options: new CalibrationEvaluatorOptions { NumberOfBins = 4, TieRule = BinaryTieRule.PositiveClass });
        Assert.AreEqual(-0.1, paper.BalanceScore, 1e-6);
        // Kumar's 4 equal-mass bins on O1 (chunks of 3, 3, 2, 2; edges .325, .675, .95): conf .1167/.5/.825/1,
        // acc .3333/.6667/.5/.5 -> ECE .3(.2167) + .3(.1667) + .2(.325) + .2(.5) = 0.28.
        Assert.AreEqual(0.28, m.EqualMassExpectedCalibrationError, 1e-6);
        Assert.AreEqual(0.5, m.PositiveRate, 1e-12); // 5 of 10 labels are true
        Assert.AreEqual(0.55, m.MeanProbability, 1e-6);

        var right = mlContext.BinaryClassification.EvaluateCalibration(data,
            options: new CalibrationEvaluatorOptions { NumberOfBins = 4, BinEdgeRule = BinEdgeRule.RightClosed });
        Assert.AreEqual(0.20, right.ExpectedCalibrationError, 1e-6);
        StringAssert.Contains(m.ToString(), "ECE");
        StringAssert.Contains(m.ReliabilityDiagram.ToString(), "[0.75, 1]");
    }

    [TestMethod]
    public void Binary_DoubleProbabilityColumn_IsAccepted()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(O1Rows().Select(r => new DoubleRow { Label = r.Label, Probability = r.Probability }));
        var m = mlContext.BinaryClassification.EvaluateCalibration(data, options: new CalibrationEvaluatorOptions { NumberOfBins = 4 });
        Assert.AreEqual(0.30, m.ExpectedCalibrationError, 1e-6);
    }

    [TestMethod]
    public void Binary_BadInput_ClearErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var bc = mlContext.BinaryClassification;

        var outside = mlContext.Data.LoadFromEnumerable(new[] { new Row { Label = true, Probability = 0.2f }, new Row { Label = false, Probability = 1.25f } });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => bc.EvaluateCalibration(outside));
        StringAssert.Contains(ex.Message, "'Probability'");
        StringAssert.Contains(ex.Message, "1.25 at row 1");
        StringAssert.Contains(ex.Message, "[0, 1]");

        var nan = mlContext.Data.LoadFromEnumerable(new[] { new Row { Label = true, Probability = float.NaN } });
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => bc.EvaluateCalibration(nan));
        StringAssert.Contains(ex.Message, "NaN at row 0");

        var floatLabel = mlContext.Data.LoadFromEnumerable(new[] { new FloatLabelRow { Label = 1, Probability = 0.5f } });
        var schema = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => bc.EvaluateCalibration(floatLabel));
        StringAssert.Contains(schema.Message, "Schema mismatch for label column 'Label': expected Boolean, got Single");

        var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<Row>());
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => bc.EvaluateCalibration(empty));
        StringAssert.Contains(ex.Message, "no rows");

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => bc.EvaluateCalibration(outside, probabilityColumnName: "P"));
        StringAssert.Contains(missing.Message, "Could not find probability column 'P'");

        var option = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => bc.EvaluateCalibration(outside, options: new CalibrationEvaluatorOptions { NumberOfBins = 0 }));
        Assert.AreEqual(nameof(CalibrationEvaluatorOptions.NumberOfBins), option.ParamName);
    }

    [TestMethod]
    public void Multiclass_BadInput_ClearErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var mc = mlContext.MulticlassClassification;
        var outOfRange = mlContext.Data.LoadFromEnumerable(new[]
        {
            new VectorRow { Label = 0, Score = [0.7f, 0.3f] },
            new VectorRow { Label = 2, Score = [0.7f, 0.3f] },
        });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => mc.EvaluateCalibration(outOfRange));
        StringAssert.Contains(ex.Message, "Label column 'Label' has 2 at row 1");
        StringAssert.Contains(ex.Message, "0..1");

        var negative = mlContext.Data.LoadFromEnumerable(new[] { new VectorRow { Label = 0, Score = [1.2f, -0.2f] } });
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => mc.EvaluateCalibration(negative));
        StringAssert.Contains(ex.Message, "slot 0");

        var scalar = mlContext.Data.LoadFromEnumerable(O1Rows());
        var schema = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mc.EvaluateCalibration(scalar, scoreColumnName: "Probability"));
        StringAssert.Contains(schema.Message, "Schema mismatch for score column 'Probability': expected a known-size vector of Single, got Single");
    }

    [TestMethod]
    public void Multiclass_RowsNotSummingToOne_WarnOnTheLog()
    {
        var mlContext = new MLContext(seed: 1);
        var messages = new List<string>();
        mlContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var data = mlContext.Data.LoadFromEnumerable(new[]
        {
            new VectorRow { Label = 0, Score = [0.7f, 0.3f] },
            new VectorRow { Label = 1, Score = [0.9f, 0.9f] },
        });
        mlContext.MulticlassClassification.EvaluateCalibration(data);
        Assert.IsTrue(messages.Any(m => m.Contains("1 of 2 rows of 'Score' do not sum to 1")), string.Join("\n", messages));
    }

    [TestMethod]
    public void Evaluate_ContextCanceledWhileReading_Throws()
    {
        // The context is canceled after 20,000 of 50,000 rows have been read, as AutoML cancels a running trial.
        var mlContext = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 50_000).Select(i => new Row { Label = i % 3 == 0, Probability = (i % 100) / 100f });
        var data = new CancelingDataView(mlContext.Data.LoadFromEnumerable(rows), 20_000, () => Cancellation.Cancel(mlContext));
        var ex = Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.BinaryClassification.EvaluateCalibration(data));
        StringAssert.Contains(ex.Message, "EvaluateCalibration");
    }

    internal static Row[] O1Rows()
    {
        float[] p = [0.0f, 0.1f, 0.25f, 0.4f, 0.5f, 0.6f, 0.75f, 0.9f, 1.0f, 1.0f];
        bool[] y = [false, false, true, false, true, true, false, true, true, false];
        return p.Select((v, i) => new Row { Label = y[i], Probability = v }).ToArray();
    }

    internal sealed class Row
    {
        public bool Label { get; set; }

        public float Probability { get; set; }
    }

    private sealed class DoubleRow
    {
        public bool Label { get; set; }

        public double Probability { get; set; }
    }

    private sealed class FloatLabelRow
    {
        public float Label { get; set; }

        public float Probability { get; set; }
    }

    private sealed class VectorRow
    {
        public float Label { get; set; }

        [VectorType(2)]
        public float[] Score { get; set; } = [];
    }
}
