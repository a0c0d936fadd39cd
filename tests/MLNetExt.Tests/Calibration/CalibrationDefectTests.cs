using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Calibration;

/// <summary>
/// The bad-input defects of issue 21, each reproduced from the description (the battery's code is not ours)
/// and each with its behaviour now.
/// </summary>
[TestClass]
public sealed class CalibrationDefectTests
{
    // ---- a vector row of another length than its type declares ----

    [TestMethod]
    [DataRow(2)]
    [DataRow(4)]
    public void TemperatureScaling_ScoreRowOfWrongLength_IsAnErrorNamingColumnRowAndSizes_InTransformAndPredictionEngine(int length)
    {
        // Before: a shorter row left the previous row's values in the missing slots; a longer one threw "Destination
        // is too short".
        var mlContext = new MLContext(seed: 1);
        var fit = mlContext.Data.LoadFromEnumerable(new[]
        {
            new Row3 { Label = 0, Score = [0.7f, 0.2f, 0.1f] },
            new Row3 { Label = 1, Score = [0.2f, 0.6f, 0.2f] },
            new Row3 { Label = 2, Score = [0.1f, 0.3f, 0.6f] },
            new Row3 { Label = 0, Score = [0.5f, 0.4f, 0.1f] },
        });
        var transformer = mlContext.MulticlassClassification.TemperatureScaling().Fit(fit);
        var bad = new VectorLengthDataView(3, [[0.7f, 0.2f, 0.1f], Enumerable.Repeat(0.25f, length).ToArray()]);
        var ex = Assert.Throws<InvalidOperationException>(() => transformer.Transform(bad).GetColumn<float[]>("Score").ToArray());
        StringAssert.Contains(ex.Message, "Score column 'Score'");
        StringAssert.Contains(ex.Message, $"holds {length} values at row 1");
        StringAssert.Contains(ex.Message, "declares 3");

        var engine = mlContext.Model.CreatePredictionEngine<Row3, ScoreOutput>(transformer);
        engine.Predict(new Row3 { Score = [0.7f, 0.2f, 0.1f] });
        var single = Assert.Throws<InvalidOperationException>(() => engine.Predict(new Row3 { Score = Enumerable.Repeat(0.25f, length).ToArray() }));
        StringAssert.Contains(single.Message, $"holds {length} values");
        StringAssert.Contains(single.Message, "declares 3");

        // Reading for a fit or an evaluation refuses the row too.
        var readEx = Assert.Throws<InvalidOperationException>(() => mlContext.MulticlassClassification.TemperatureScaling().Fit(bad));
        StringAssert.Contains(readEx.Message, $"holds {length} values at row 1");
        var evalEx = Assert.Throws<InvalidOperationException>(() => mlContext.MulticlassClassification.EvaluateCalibration(bad));
        StringAssert.Contains(evalEx.Message, $"holds {length} values at row 1");
    }

    // ---- options changed after the estimator was created ----

    [TestMethod]
    public void OptionsChangedAfterCreation_DoNotReachTheEstimator()
    {
        // Before: the estimator kept the caller's object and validated it once, so a later NumberOfBins = 0 divided by
        // zero, ProbabilityFloor = 0 fitted T = 9999.99 and an undefined ScoreKind fitted. Now the options are copied
        // (and checked) when the estimator is created.
        var mlContext = new MLContext(seed: 1);
        var data = BinaryData(mlContext);
        var cal = mlContext.BinaryClassification.Calibrators;

        var histogramOptions = new HistogramBinningEstimator.Options { NumberOfBins = 4 };
        var histogram = cal.HistogramBinning(histogramOptions);
        histogramOptions.NumberOfBins = 0;
        Assert.AreEqual(4, histogram.Fit(data).Probabilities.Count);

        var temperatureOptions = new BinaryTemperatureScalingEstimator.Options { ScoreColumnName = "Probability", ScoreKind = ScoreKind.Probability };
        var temperature = cal.TemperatureScaling(temperatureOptions);
        double expected = cal.TemperatureScaling(new BinaryTemperatureScalingEstimator.Options { ScoreColumnName = "Probability", ScoreKind = ScoreKind.Probability })
            .Fit(data).Temperature;
        temperatureOptions.ProbabilityFloor = 0;
        temperatureOptions.ScoreKind = (ScoreKind)7;
        Assert.AreEqual(expected, temperature.Fit(data).Temperature, 0);

        var multiclassOptions = new TemperatureScalingEstimator.Options();
        var multiclass = mlContext.MulticlassClassification.TemperatureScaling(multiclassOptions);
        multiclassOptions.ScoreKind = (ScoreKind)7;
        multiclassOptions.Method = (TemperatureScalingMethod)9;
        Assert.IsTrue(multiclass.Fit(TestData.LoadCifar(mlContext, TestData.LeNet)).Temperature > 1);

        // Creating one from bad options is refused, naming the option.
        histogramOptions.NumberOfBins = 0;
        Assert.AreEqual("NumberOfBins", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cal.HistogramBinning(histogramOptions)).ParamName);
        Assert.AreEqual("ScoreKind", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cal.TemperatureScaling(temperatureOptions)).ParamName);
    }

    // ---- infinite scores at transform time ----

    [TestMethod]
    public void InfiniteLogits_GiveSoftmaxLimit_ForTemperatureAndVectorScaling()
    {
        // Before: softmax of a +infinity logit was NaN (infinity - infinity). Now the limit: the classes at +infinity
        // share the probability, the others get 0; -infinity gets 0.
        var mlContext = new MLContext(seed: 1);
        var fit = mlContext.Data.LoadFromEnumerable(new[]
        {
            new Row3 { Label = 0, Score = [2f, 0.5f, -1f] },
            new Row3 { Label = 1, Score = [1.5f, 1.4f, 0f] },
            new Row3 { Label = 1, Score = [-0.3f, 0.8f, 0.1f] },
            new Row3 { Label = 2, Score = [0.2f, -2f, 3f] },
            new Row3 { Label = 0, Score = [1f, 0.9f, 0.2f] },
        });
        var temperature = mlContext.MulticlassClassification.TemperatureScaling(scoreKind: ScoreKind.Logit).Fit(fit);
        var output = new float[3];
        temperature.Calibrate([float.PositiveInfinity, 0, 0], output);
        CollectionAssert.AreEqual(new[] { 1f, 0f, 0f }, output);
        temperature.Calibrate([float.PositiveInfinity, 1, float.PositiveInfinity], output);
        CollectionAssert.AreEqual(new[] { 0.5f, 0f, 0.5f }, output);
        temperature.Calibrate([float.NegativeInfinity, 1, 1], output);
        CollectionAssert.AreEqual(new[] { 0f, 0.5f, 0.5f }, output);
        temperature.Calibrate([float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], output);
        CollectionAssert.AreEqual(new[] { 1f / 3, 1f / 3, 1f / 3 }, output);

        var vector = mlContext.MulticlassClassification.TemperatureScaling(new TemperatureScalingEstimator.Options
        {
            ScoreKind = ScoreKind.Logit,
            Method = TemperatureScalingMethod.VectorScaling,
        }).Fit(fit);
        vector.Calibrate([0, float.PositiveInfinity, 0], output);
        Assert.IsTrue(output.All(float.IsFinite), string.Join(", ", output));
        Assert.AreEqual(1f, output.Sum(), 1e-6f);
    }

    [TestMethod]
    public void InfiniteRawScores_GiveTheMapsLimit_ForEveryBinaryCalibrator()
    {
        // Before: beta calibration with a dropped slope gave NaN at +-infinity (0 * infinity). Now every binary
        // calibrator gives its limit.
        var beta = new BetaCalibrationTransformer("Score", "Probability", ScoreKind.Logit, 1e-12, DataKind.Single, a: 1.3, b: 0, c: 0.4);
        Assert.AreEqual(1 / (1 + Math.Exp(-0.4)), beta.Calibrate(double.PositiveInfinity), 1e-15, "b = 0: ln(1 - s) is ignored; ln s -> 0");
        Assert.AreEqual(0, beta.Calibrate(double.NegativeInfinity));
        var betaB = new BetaCalibrationTransformer("Score", "Probability", ScoreKind.Logit, 1e-12, DataKind.Single, a: 0, b: 0.7, c: -0.2);
        Assert.AreEqual(1, betaB.Calibrate(double.PositiveInfinity));
        Assert.AreEqual(1 / (1 + Math.Exp(0.2)), betaB.Calibrate(double.NegativeInfinity), 1e-15);
        var full = new BetaCalibrationTransformer("Score", "Probability", ScoreKind.Logit, 1e-12, DataKind.Single, a: 1.1, b: 0.9, c: 0.1);
        Assert.AreEqual(1, full.Calibrate(double.PositiveInfinity));
        Assert.AreEqual(0, full.Calibrate(double.NegativeInfinity));

        var mlContext = new MLContext(seed: 1);
        var data = BinaryData(mlContext);
        var temperature = mlContext.BinaryClassification.Calibrators.TemperatureScaling().Fit(data);
        Assert.AreEqual(1, temperature.Calibrate(double.PositiveInfinity));
        Assert.AreEqual(0, temperature.Calibrate(double.NegativeInfinity));
        var histogram = mlContext.BinaryClassification.Calibrators.HistogramBinning(numberOfBins: 3).Fit(data);
        Assert.AreEqual(histogram.Probabilities[^1], histogram.Calibrate(double.PositiveInfinity));
        Assert.AreEqual(histogram.Probabilities[0], histogram.Calibrate(double.NegativeInfinity));
    }

    // ---- the temperature search ----

    [TestMethod]
    [DataRow(1e5)]
    [DataRow(1e-5)]
    public void Temperature_ScoresScaledFarOutOfTheOldBounds_AreFittedAtTheScaledTemperature(double scale)
    {
        // Before: T was searched in [1e-4, 1e4], so informative scores x 1e5 were refused "as carrying no information"
        // and x 1e-5 were clamped at T = 1e-4 with a warning. Now T is unbounded: scaling the scores scales T.
        var mlContext = new MLContext(seed: 1);
        var rows = NoisyLogits(400);
        var plain = mlContext.BinaryClassification.Calibrators.TemperatureScaling().Fit(mlContext.Data.LoadFromEnumerable(rows));
        var messages = new List<string>();
        mlContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var scaled = mlContext.BinaryClassification.Calibrators.TemperatureScaling()
            .Fit(mlContext.Data.LoadFromEnumerable(rows.Select(r => new ScoreRow { Label = r.Label, Score = (float)(r.Score * scale) })));
        // The float scores carry 24 bits, so scaled and unscaled inputs agree to about 1e-7.
        Assert.AreEqual(plain.Temperature * scale, scaled.Temperature, plain.Temperature * scale * 1e-6);
        Assert.IsFalse(messages.Any(m => m.Contains("bound", StringComparison.OrdinalIgnoreCase) || m.Contains("separate", StringComparison.Ordinal)),
            string.Join("\n", messages));

        var multiclass = TemperatureScalingTestsData.Logits3(mlContext, 1);
        var multiclassScaled = TemperatureScalingTestsData.Logits3(mlContext, scale);
        var t1 = mlContext.MulticlassClassification.TemperatureScaling(scoreKind: ScoreKind.Logit).Fit(multiclass).Temperature;
        var t2 = mlContext.MulticlassClassification.TemperatureScaling(scoreKind: ScoreKind.Logit).Fit(multiclassScaled).Temperature;
        Assert.AreEqual(t1 * scale, t2, t1 * scale * 1e-6);
    }

    [TestMethod]
    public void Temperature_SeparatedOrUninformativeScores_SayWhatHappened()
    {
        var mlContext = new MLContext(seed: 1);
        var messages = new List<string>();
        mlContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        // Every positive scores above every negative: the likelihood improves as T -> 0; a warning says so.
        var separated = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 20).Select(i => new ScoreRow { Label = i >= 10, Score = i - 9.5f }));
        var t = mlContext.BinaryClassification.Calibrators.TemperatureScaling().Fit(separated);
        Assert.IsTrue(t.Temperature > 0 && t.Temperature < 0.1, $"T = {t.Temperature}");
        Assert.IsTrue(messages.Any(m => m.Contains("separate the labels") && m.Contains("falls to 0")), string.Join("\n", messages));
        // Scores that rank the labels backwards: no finite temperature; the message says the optimum is at infinity.
        var backwards = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 20).Select(i => new ScoreRow { Label = i % 4 == 0 ? i < 10 : i >= 10, Score = 9.5f - i }));
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.BinaryClassification.Calibrators.TemperatureScaling().Fit(backwards));
        StringAssert.Contains(ex.Message, "best at an infinite temperature");
        StringAssert.Contains(ex.Message, "'Score'");
    }

    // ---- histogram binning near the double range ----

    [TestMethod]
    public void HistogramBinning_ScoresNearDoubleMaximum_KeepTheClassesApart()
    {
        // Before: the midpoint (a + b) / 2 of -1.7e308 and 1.7e308 overflowed, and both classes shared one bin.
        var mlContext = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 6).Select(i => new DoubleScoreRow { Label = i >= 3, Score = i >= 3 ? 1.7e308 : -1.7e308 });
        var histogram = mlContext.BinaryClassification.Calibrators.HistogramBinning(numberOfBins: 2).Fit(mlContext.Data.LoadFromEnumerable(rows));
        CollectionAssert.AreEqual(new[] { 0.0, 1.0 }, histogram.Probabilities.ToArray());
        Assert.AreEqual(0, histogram.Thresholds[0], "halfway between -1.7e308 and 1.7e308");
        Assert.AreEqual(0, histogram.Calibrate(-1.7e308));
        Assert.AreEqual(1, histogram.Calibrate(1.7e308));
        // Adjacent doubles: the threshold is the lower one, so the upper is in the upper bin.
        Assert.AreEqual(1.0, MLNetExt.Calibration.Fitting.HistogramBinningFitter.Midpoint(1.0, Math.BitIncrement(1.0)));
    }

    // ---- smooth ECE at a tiny bandwidth ----

    [TestMethod]
    public void SmoothEce_FixedBandwidth1e5_FinishesInSeconds_AndSmallerIsRefusedNamingIt()
    {
        // Before: bandwidth 1e-5 built a 1,000,001-point grid and convolved it in full: minutes. Now the kernel is cut at
        // 10 sigma (200 grid points each way here), and bandwidths below 1e-5 are refused.
        var random = new Random(4);
        var p = Enumerable.Range(0, 20_000).Select(_ => random.NextDouble()).ToArray();
        var y = p.Select(v => random.NextDouble() < v).ToArray();
        var watch = Stopwatch.StartNew();
        var s = CalibrationMetrics.SmoothExpectedCalibrationError(p, y, bandwidth: 1e-5);
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(60), $"{watch.Elapsed}");
        Assert.IsTrue(s.Value > 0 && s.Value < 1, $"{s.Value}");
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CalibrationMetrics.SmoothExpectedCalibrationError(p, y, bandwidth: 9e-6));
        Assert.AreEqual("bandwidth", ex.ParamName);
        StringAssert.Contains(ex.Message, "9E-06");
    }

    // ---- span functions: one policy for empty input, limits on sizes ----

    [TestMethod]
    public void SpanFunctions_EmptyInput_AreRefusedAlike()
    {
        // Before: ECE returned 0, Brier NaN, equal-mass threw. Now every metric refuses empty input the same way.
        double[] none = [];
        bool[] noLabels = [];
        var calls = new (string Name, Action Call)[]
        {
            ("ExpectedCalibrationError", () => CalibrationMetrics.ExpectedCalibrationError(none, noLabels)),
            ("Reliability", () => CalibrationMetrics.Reliability(none, noLabels, CalibrationBinning.EqualWidth(10))),
            ("BrierScore", () => CalibrationMetrics.BrierScore(none, noLabels)),
            ("DecomposeBrierScore", () => CalibrationMetrics.DecomposeBrierScore(none, noLabels, CalibrationBinning.EqualWidth(10))),
            ("BalanceScore", () => CalibrationMetrics.BalanceScore(none, noLabels)),
            ("LogLoss", () => CalibrationMetrics.LogLoss(none, noLabels)),
            ("SmoothExpectedCalibrationError", () => CalibrationMetrics.SmoothExpectedCalibrationError(none, noLabels)),
            ("EqualMass", () => CalibrationBinning.EqualMass(none, 10)),
            ("MulticlassBrierScore", () => CalibrationMetrics.MulticlassBrierScore(Array.Empty<float>(), 3, [])),
            ("MulticlassLogLoss", () => CalibrationMetrics.MulticlassLogLoss(Array.Empty<double>(), 3, [])),
            ("ClasswiseReliability", () => CalibrationMetrics.ClasswiseReliability(Array.Empty<float>(), 3, [], CalibrationBinning.EqualWidth(5))),
        };
        foreach (var (name, call) in calls)
        {
            var ex = Assert.ThrowsExactly<ArgumentException>(call, name);
            StringAssert.Contains(ex.Message, "empty", name);
        }
    }

    [TestMethod]
    public void SpanFunctions_HugeBinOrClassCounts_AreRefusedNamingTheArgument()
    {
        // Before: OverflowException or OutOfMemoryException.
        double[] p = [0.2, 0.7];
        bool[] y = [false, true];
        var bins = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CalibrationMetrics.ExpectedCalibrationError(p, y, binCount: int.MaxValue));
        Assert.AreEqual("binCount", bins.ParamName);
        StringAssert.Contains(bins.Message, "2147483647");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CalibrationBinning.EqualMass(p, int.MaxValue));
        var classes = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => CalibrationMetrics.ClasswiseReliability(new float[5_000_000], 5_000_000, [0], CalibrationBinning.EqualWidth(15)));
        Assert.AreEqual("classCount", classes.ParamName);
        StringAssert.Contains(classes.Message, "5000000 classes x 15 bins");
    }

    // ---- cursors of the calibrators' output ----

    [TestMethod]
    public void Cursor_ColumnOfAnotherSchema_AndGetterOfTheWrongType_HaveMessagesThatSayWhich()
    {
        // Before: IndexOutOfRangeException, and "holds VBuffer`1 values, not VBuffer`1".
        var mlContext = new MLContext(seed: 1);
        var data = TestData.LoadCifar(mlContext, TestData.LeNet);
        var output = mlContext.MulticlassClassification.TemperatureScaling(outputColumnName: "Calibrated").Fit(data).Transform(data);
        var calibrated = output.Schema["Calibrated"];
        var wider = new DataViewSchema.Builder();
        wider.AddColumns(output.Schema);
        wider.AddColumn("Extra", NumberDataViewType.Single);
        var foreign = wider.ToSchema()["Extra"];

        var planEx = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => output.GetRowCursor([foreign]));
        StringAssert.Contains(planEx.Message, "index 3");
        StringAssert.Contains(planEx.Message, "3 columns");
        using var cursor = output.GetRowCursor([calibrated]);
        var activeEx = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cursor.IsColumnActive(foreign));
        StringAssert.Contains(activeEx.Message, "'Extra'");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cursor.GetGetter<float>(foreign));
        var typeEx = Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<VBuffer<double>>(calibrated));
        StringAssert.Contains(typeEx.Message, "Vector<Single, 10>");
        StringAssert.Contains(typeEx.Message, "VBuffer<Single>");
        StringAssert.Contains(typeEx.Message, "VBuffer<Double>");
    }

    // ---- vector scaling with many classes ----

    [TestMethod]
    public void VectorScaling_1000Classes_2000Rows_FinishesWithLbfgs()
    {
        // Before: Newton's (2K - 1)^2 Hessian, O(n K^2) a pass: 1,000 classes did not finish in 25 minutes. Now L-BFGS
        // above 16 classes, O(n K) a pass.
        var mlContext = new MLContext(seed: 1);
        var random = new Random(9);
        const int k = 1000, n = 2000;
        var rows = Enumerable.Range(0, n).Select(i =>
        {
            int label = random.Next(k);
            var score = new float[k];
            for (int c = 0; c < k; c++)
                score[c] = (float)(random.NextDouble() * 2 + (c == label ? 2 : 0));
            return new WideRow { Label = label, Score = score };
        });
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var watch = Stopwatch.StartNew();
        var fit = mlContext.MulticlassClassification.TemperatureScaling(new TemperatureScalingEstimator.Options
        {
            ScoreKind = ScoreKind.Logit,
            Method = TemperatureScalingMethod.VectorScaling,
        }).Fit(data);
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromMinutes(3), $"{watch.Elapsed}");
        Assert.AreEqual(k, fit.Weights.Count);
        Assert.IsTrue(fit.Weights.All(double.IsFinite) && fit.Biases.All(double.IsFinite));
        Console.WriteLine($"vector scaling, {k} classes x {n} rows: {watch.Elapsed.TotalSeconds:0.0} s");
    }

    // ---- cancellation during the optimisation ----

    [TestMethod]
    public void Cancel_DuringTheOptimisation_ThrowsOperationCanceled()
    {
        // Before: cancellation was checked only while reading; a fit canceled after that returned normally, seconds
        // later. Now every pass over the fit data checks it. The context is canceled when the first optimisation pass
        // is traced (after the data has been read).
        foreach (var create in new Func<MLContext, IEstimator<ITransformer>>[]
        {
            ml => ml.BinaryClassification.Calibrators.Beta(),
            ml => ml.BinaryClassification.Calibrators.HistogramBinning(),
            ml => ml.BinaryClassification.Calibrators.TemperatureScaling(),
            ml => ml.MulticlassClassification.TemperatureScaling(),
            ml => ml.MulticlassClassification.TemperatureScaling(new TemperatureScalingEstimator.Options { Method = TemperatureScalingMethod.VectorScaling }),
        })
        {
            var mlContext = new MLContext(seed: 1);
            bool multiclass = create(mlContext) is TemperatureScalingEstimator;
            var data = multiclass ? mlContext.Data.TakeRows(TestData.LoadCifar(mlContext, TestData.LeNet), 2000) : BinaryData(mlContext);
            mlContext.Log += (_, e) =>
            {
                if (e.Message.Contains("pass", StringComparison.Ordinal))
                    Cancellation.Cancel(mlContext);
            };
            var estimator = create(mlContext);
            Assert.ThrowsExactly<OperationCanceledException>(() => estimator.Fit(data), estimator.GetType().Name);
        }
    }

    // ---- helpers ----

    internal static IDataView BinaryData(MLContext mlContext)
    {
        var random = new Random(3);
        return mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 300).Select(_ =>
        {
            double x = random.NextDouble() * 6 - 3;
            return new BinaryRow { Label = random.NextDouble() < 1 / (1 + Math.Exp(-x / 2)), Score = (float)x, Probability = (float)(1 / (1 + Math.Exp(-x))) };
        }).ToArray());
    }

    private static ScoreRow[] NoisyLogits(int n)
    {
        var random = new Random(8);
        return Enumerable.Range(0, n).Select(_ =>
        {
            double x = random.NextDouble() * 8 - 4;
            return new ScoreRow { Label = random.NextDouble() < 1 / (1 + Math.Exp(-x / 2.5)), Score = (float)x };
        }).ToArray();
    }

    internal sealed class BinaryRow
    {
        public bool Label { get; set; }

        public float Score { get; set; }

        public float Probability { get; set; }
    }

    private sealed class ScoreRow
    {
        public bool Label { get; set; }

        public float Score { get; set; }
    }

    private sealed class DoubleScoreRow
    {
        public bool Label { get; set; }

        public double Score { get; set; }
    }

    internal sealed class Row3
    {
        public float Label { get; set; }

        [VectorType(3)]
        public float[] Score { get; set; } = [];
    }

    private sealed class ScoreOutput
    {
        [VectorType(3)]
        public float[] Score { get; set; } = [];
    }

    private sealed class WideRow
    {
        public float Label { get; set; }

        [VectorType(1000)]
        public float[] Score { get; set; } = [];
    }

    /// <summary>Label and a Score declared Vector&lt;Single, size&gt; whose rows carry whatever lengths are given.</summary>
    private sealed class VectorLengthDataView(int size, float[][] rows) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema { get; } = Build(size);

        public long? GetRowCount() => rows.Length;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this, rows);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded, rand)];

        private static DataViewSchema Build(int size)
        {
            var builder = new DataViewSchema.Builder();
            builder.AddColumn("Label", NumberDataViewType.Single);
            builder.AddColumn("Score", new VectorDataViewType(NumberDataViewType.Single, size));
            return builder.ToSchema();
        }

        private sealed class Cursor(VectorLengthDataView view, float[][] rows) : DataViewRowCursor
        {
            private long _position = -1;

            public override DataViewSchema Schema => view.Schema;

            public override long Position => _position;

            public override long Batch => 0;

            public override bool MoveNext() => ++_position < rows.Length;

            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

            public override bool IsColumnActive(DataViewSchema.Column column) => true;

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                Delegate getter = column.Index == 0
                    ? (ValueGetter<float>)((ref float v) => v = _position % 3)
                    : (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => v = new VBuffer<float>(rows[_position].Length, rows[_position]));
                return (ValueGetter<TValue>)getter;
            }
        }
    }
}

/// <summary>Three-class logits with noisy labels (a fixed generator), scaled by a factor.</summary>
internal static class TemperatureScalingTestsData
{
    public static IDataView Logits3(MLContext mlContext, double scale)
    {
        var random = new Random(6);
        var rows = Enumerable.Range(0, 300).Select(_ =>
        {
            int label = random.Next(3);
            var z = new float[3];
            for (int c = 0; c < 3; c++)
                z[c] = (float)((random.NextDouble() * 2 + (c == label ? 1.2 : 0) + (random.NextDouble() < 0.2 ? 1.5 : 0)) * scale);
            return new CalibrationDefectTests.Row3 { Label = label, Score = z };
        }).ToArray();
        return mlContext.Data.LoadFromEnumerable(rows);
    }
}
