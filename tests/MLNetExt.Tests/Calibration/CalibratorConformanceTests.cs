using Microsoft.ML;
using MLNetExt.Calibration;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Calibration;

/// <summary>The shared conformance checks (docs/style.md §13) on every calibrator.</summary>
[TestClass]
public sealed class CalibratorConformanceTests
{
    [TestMethod]
    public void BinaryCalibrators_PassConformanceChecks()
    {
        var mlContext = new MLContext(seed: 1);
        var (train, calibration, test) = Diabetes.Split(mlContext);
        var model = Diabetes.FastTree(mlContext).Fit(train);
        var fit = model.Transform(calibration);
        var apply = model.Transform(test);
        var cal = mlContext.BinaryClassification.Calibrators;
        Conformance.Check(cal.Beta(), fit, apply, "Probability");
        Conformance.Check(cal.HistogramBinning(), fit, apply, "Probability");
        Conformance.Check(cal.TemperatureScaling(), fit, apply, "Probability");
        // Skipped by name: "unit weights equal no weights" and "weight 0 equals removing the row": the calibrators
        // take no weight column.
    }

    [TestMethod]
    public void MulticlassTemperatureScaling_PassesConformanceChecks()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.LoadCifar(mlContext, TestData.WideResNet);
        Conformance.Check(mlContext.MulticlassClassification.TemperatureScaling(),
            mlContext.Data.TakeRows(data, 3000), mlContext.Data.SkipRows(data, 9000), "Score");
    }
}
