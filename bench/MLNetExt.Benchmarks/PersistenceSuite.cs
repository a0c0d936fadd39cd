using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;

namespace MLNetExt.Benchmarks;

/// <summary>
/// The measurement behind docs/architecture.md's persistence choice: a learned binary temperature saved through
/// MLNetExt's loader bridge, against the same map expressed as ML.NET's own Expression transform (a form ML.NET
/// already persists, the best alternative that needs no internals).
/// </summary>
internal static class PersistenceSuite
{
    public static void Run()
    {
        const int n = 1_000_000;
        Console.WriteLine();
        Console.WriteLine($"== persistence: binary temperature scaling, bridge vs ML.NET Expression transform, {n:N0} rows ==");
        var (labels, scores, probabilities) = Synthetic.BinaryPredictions(n, seed: 9);
        var mlContext = new MLContext(seed: 1);
        var view = new ArrayDataView(labels, scores, probabilities);
        var ours = mlContext.BinaryClassification.Calibrators.TemperatureScaling().Fit(view);
        string t = ours.Temperature.ToString("R", CultureInfo.InvariantCulture);
        var expression = mlContext.Transforms.Expression("Probability", $"s => 1 / (1 + exp(-s / {t}))", "Score").Fit(view);

        string directory = Directory.CreateTempSubdirectory("mlnetext-bench-").FullName;
        string oursPath = Path.Combine(directory, "bridge.zip"), expressionPath = Path.Combine(directory, "expression.zip");
        var save = Harness.Measure(
            ("save: ML.NET Expression", () => mlContext.Model.Save(expression, view.Schema, expressionPath)),
            ("save: MLNetExt bridge", () => mlContext.Model.Save(ours, view.Schema, oursPath)));
        Harness.Print(save, "save: ML.NET Expression", 1, "saves");
        var load = Harness.Measure(
            ("load in a fresh MLContext: ML.NET Expression", () => new MLContext().Model.Load(expressionPath, out _)),
            ("load in a fresh MLContext: MLNetExt bridge", () => new MLContext().Model.Load(oursPath, out _)));
        Harness.Print(load, "load in a fresh MLContext: ML.NET Expression", 1, "loads");

        var loadedOurs = new MLContext().Model.Load(oursPath, out _);
        var loadedExpression = new MLContext().Model.Load(expressionPath, out _);
        var transform = Harness.Measure(
            ("transform after reload: ML.NET Expression", () => _ = loadedExpression.Transform(view).GetColumn<float>("Probability").Count()),
            ("transform after reload: MLNetExt bridge", () => _ = loadedOurs.Transform(view).GetColumn<float>("Probability").Count()));
        Harness.Print(transform, "transform after reload: ML.NET Expression", n, "rows");

        var a = ours.Transform(view).GetColumn<float>("Probability").ToArray();
        var b = loadedOurs.Transform(view).GetColumn<float>("Probability").ToArray();
        var c = loadedExpression.Transform(view).GetColumn<float>("Probability").ToArray();
        int bridgeDiffer = a.Where((v, i) => v != b[i]).Count();
        int expressionDiffer = a.Where((v, i) => v != c[i]).Count();
        double maxDiff = a.Select((v, i) => Math.Abs(v - c[i])).Max();
        Console.WriteLine($"file size: bridge {new FileInfo(oursPath).Length:N0} bytes, Expression {new FileInfo(expressionPath).Length:N0} bytes");
        Console.WriteLine($"outputs that differ from the fitted transformer after reload: bridge {bridgeDiffer} of {n:N0}; " +
            $"Expression {expressionDiffer} of {n:N0} (max |diff| {maxDiff:G3}: float arithmetic instead of double)");
        Console.WriteLine($"typed state after reload: bridge {((BinaryTemperatureScalingTransformer)loadedOurs).Temperature:R} (a property); " +
            "Expression: only the formula text, no parameters, no checksum, no version check");
        Directory.Delete(directory, recursive: true);
    }
}
