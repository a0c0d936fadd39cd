using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;

namespace MLNetExt.Benchmarks;

/// <summary>Fit and transform time of the calibrators against ML.NET's own calibrators.</summary>
internal static class CalibratorSuite
{
    public static void Run()
    {
        const int n = 1_000_000;
        Console.WriteLine();
        Console.WriteLine($"== calibrators: fit on {n:N0} scored rows (raw Score, Boolean Label) ==");
        var (labels, scores, probabilities) = Synthetic.BinaryPredictions(n, seed: 7);
        var mlContext = new MLContext(seed: 1);
        var view = new ArrayDataView(labels, scores, probabilities);
        var cal = mlContext.BinaryClassification.Calibrators;
        var fits = Harness.Measure(
            ("ML.NET Platt fit", () => cal.Platt().Fit(view)),
            ("ML.NET isotonic fit", () => cal.Isotonic().Fit(view)),
            ("MLNetExt beta calibration fit", () => cal.Beta().Fit(view)),
            ("MLNetExt histogram binning fit (10 bins)", () => cal.HistogramBinning().Fit(view)),
            ("MLNetExt binary temperature scaling fit", () => cal.TemperatureScaling().Fit(view)));
        Harness.Print(fits, "ML.NET Platt fit", n, "rows");

        Console.WriteLine();
        Console.WriteLine($"== calibrators: transform {n:N0} rows (read every Probability through a cursor) ==");
        var platt = cal.Platt().Fit(view);
        var beta = cal.Beta().Fit(view);
        var histogram = cal.HistogramBinning().Fit(view);
        var temperature = cal.TemperatureScaling().Fit(view);
        var transforms = Harness.Measure(
            ("ML.NET Platt transform", () => ReadAll(platt.Transform(view), "Probability")),
            ("MLNetExt beta transform", () => ReadAll(beta.Transform(view), "Probability")),
            ("MLNetExt histogram binning transform", () => ReadAll(histogram.Transform(view), "Probability")),
            ("MLNetExt binary temperature transform", () => ReadAll(temperature.Transform(view), "Probability")));
        Harness.Print(transforms, "ML.NET Platt transform", n, "rows");

        // Calibration quality on held-out synthetic rows, for context (the scores are 2x the true logit).
        var (testLabels, testScores, testProbabilities) = Synthetic.BinaryPredictions(200_000, seed: 8);
        var test = new ArrayDataView(testLabels, testScores, testProbabilities);
        foreach (var (name, transformer) in new (string, ITransformer)[] { ("Platt", platt), ("beta", beta), ("histogram", histogram), ("temperature", temperature) })
            Console.WriteLine($"  held-out ECE-15 after {name,-11}: {mlContext.BinaryClassification.EvaluateCalibration(transformer.Transform(test)).ExpectedCalibrationError:0.00000}");
        Console.WriteLine($"  held-out ECE-15 uncalibrated     : {mlContext.BinaryClassification.EvaluateCalibration(test).ExpectedCalibrationError:0.00000}; fitted T = {temperature.Temperature:0.0000} (expected about 2)");

        Console.WriteLine();
        Console.WriteLine("== calibrators: multiclass temperature scaling on CIFAR-10 softmax outputs (10,000 x 10) ==");
        var cifar = mlContext.Data.CreateTextLoader(
            [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Score", DataKind.Single, 1, 10)],
            separatorChar: ',', hasHeader: true).Load(Path.Combine(AppContext.BaseDirectory, "data", "calibration", "wideresnet-16-4-cifar-10.csv"));
        var cached = mlContext.Data.Cache(cifar);
        ReadAll(cached, "Score");
        var multiclass = Harness.Measure(
            ("one cursor pass over Label and Score (ML.NET)", () => ReadAll(cached, "Score")),
            ("MLNetExt TemperatureScaling fit", () => mlContext.MulticlassClassification.TemperatureScaling().Fit(cached)),
            ("MLNetExt EvaluateCalibration (multiclass)", () => mlContext.MulticlassClassification.EvaluateCalibration(cached)));
        // ML.NET has no multiclass calibrator: the baseline is the cost of reading the data once.
        Harness.Print(multiclass, "one cursor pass over Label and Score (ML.NET)", 10_000, "rows");
        CifarBar(mlContext);
    }

    /// <summary>The issue's measured bar: fit on rows 0-4999, top-label ECE-15 ([k/15, (k+1)/15) bins) on rows 5000-9999.</summary>
    private static void CifarBar(MLContext mlContext)
    {
        Console.WriteLine();
        Console.WriteLine("== calibrators: temperature scaling on CIFAR-10 (fit rows 0-4999, ECE-15 on rows 5000-9999) ==");
        foreach (string file in new[] { "wideresnet-16-4-cifar-10.csv", "lenet-5-cifar-10.csv" })
        {
            var data = mlContext.Data.CreateTextLoader(
                [new TextLoader.Column("Label", DataKind.Single, 0), new TextLoader.Column("Score", DataKind.Single, 1, 10)],
                separatorChar: ',', hasHeader: true).Load(Path.Combine(AppContext.BaseDirectory, "data", "calibration", file));
            var fit = mlContext.Data.TakeRows(data, 5000);
            var test = mlContext.Data.SkipRows(data, 5000);
            var t = mlContext.MulticlassClassification.TemperatureScaling().Fit(fit);
            var before = mlContext.MulticlassClassification.EvaluateCalibration(test);
            var after = mlContext.MulticlassClassification.EvaluateCalibration(t.Transform(test));
            Console.WriteLine($"  {file,-30} T = {t.Temperature:0.000000}  ECE-15 {before.ExpectedCalibrationError:0.000000} -> {after.ExpectedCalibrationError:0.000000}  " +
                $"NLL {before.LogLoss:0.0000} -> {after.LogLoss:0.0000}  accuracy {before.Accuracy:0.0000} -> {after.Accuracy:0.0000}");
            var vector = mlContext.MulticlassClassification.TemperatureScaling(new TemperatureScalingEstimator.Options { Method = TemperatureScalingMethod.VectorScaling }).Fit(fit);
            var vectorAfter = mlContext.MulticlassClassification.EvaluateCalibration(vector.Transform(test));
            Console.WriteLine($"  {"  vector scaling",-30}                 ECE-15 {before.ExpectedCalibrationError:0.000000} -> {vectorAfter.ExpectedCalibrationError:0.000000}  " +
                $"NLL {before.LogLoss:0.0000} -> {vectorAfter.LogLoss:0.0000}  accuracy {before.Accuracy:0.0000} -> {vectorAfter.Accuracy:0.0000}");
        }
    }

    private static void ReadAll(IDataView data, string column)
    {
        var col = data.Schema[column];
        using var cursor = data.GetRowCursor([col]);
        if (col.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(col);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
                getter(ref value);
            return;
        }
        var scalar = cursor.GetGetter<float>(col);
        float v = 0;
        while (cursor.MoveNext())
            scalar(ref v);
    }
}
