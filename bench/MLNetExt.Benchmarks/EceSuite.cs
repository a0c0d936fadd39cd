using Microsoft.ML;
using MLNetExt.Calibration;

namespace MLNetExt.Benchmarks;

/// <summary>Binned ECE over 10 million predictions.</summary>
internal static class EceSuite
{
    public static void Run()
    {
        const int n = 10_000_000;
        Console.WriteLine();
        Console.WriteLine($"== ece: {n:N0} synthetic binary predictions (over-confident model), 15 equal-width bins ==");
        var (labels, scores, probabilities) = Synthetic.BinaryPredictions(n);
        var mlContext = new MLContext(seed: 1);
        var view = new ArrayDataView(labels, scores, probabilities);
        double ece = 0;
        BinaryCalibrationMetrics? metrics = null;
        Microsoft.ML.Data.CalibratedBinaryClassificationMetrics? ml = null;
        var timings = Harness.Measure(
            ("ML.NET BinaryClassification.Evaluate (IDataView)", () => ml = mlContext.BinaryClassification.Evaluate(view)),
            ("CalibrationMetrics.ExpectedCalibrationError (span)", () => ece = CalibrationMetrics.ExpectedCalibrationError(probabilities, labels)),
            ("CalibrationMetrics.Reliability, equal width (span)", () => CalibrationMetrics.Reliability(probabilities, labels, CalibrationBinning.EqualWidth(15))),
            ("  of which: one cursor pass reading both columns", () => ReadColumns(view)),
            ("  of which: equal-mass bin edges (selection)", () => CalibrationBinning.EqualMass(probabilities, 15)),
            ("EvaluateCalibration, every metric (IDataView)", () => metrics = mlContext.BinaryClassification.EvaluateCalibration(view)));
        Harness.Print(timings, "ML.NET BinaryClassification.Evaluate (IDataView)", n, "predictions");
        Console.WriteLine($"ECE-15 {ece:0.000000} (evaluator {metrics!.ExpectedCalibrationError:0.000000}, equal-mass {metrics.EqualMassExpectedCalibrationError:0.000000}, " +
            $"debiased {metrics.DebiasedCalibrationError:0.000000}); ML.NET AUC {ml!.AreaUnderRocCurve:0.0000}, log-loss {ml.LogLoss:0.0000} bits");
    }

    private static void ReadColumns(IDataView view)
    {
        var reader = new MLNetExt.Data.DataViewColumnReader(view, "bench");
        reader.AddBoolean("Label", "label");
        reader.AddScalar("Probability", "probability", MLNetExt.Data.ValueRule.Probability);
        reader.Read();
    }
}
