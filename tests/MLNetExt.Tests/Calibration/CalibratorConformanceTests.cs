using Microsoft.ML;
using MLNetExt.Calibration;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Calibration;

/// <summary>The shared conformance checks (docs/style.md §13) on every calibrator.</summary>
[TestClass]
public sealed class CalibratorConformanceTests
{
    /// <summary>FastTree's scores on the diabetes calibration and test parts, built in the given context.</summary>
    private static (IDataView Fit, IDataView Apply) Scored(MLContext mlContext)
    {
        var (train, calibration, test) = Diabetes.Split(mlContext);
        var model = Diabetes.FastTree(mlContext).Fit(train);
        return (model.Transform(calibration), model.Transform(test));
    }

    [TestMethod]
    public void Beta_PassesConformanceChecks()
        => CheckBinary("Beta", (ml, o) => ml.BinaryClassification.Calibrators.Beta(o), () => new BetaCalibrationEstimator.Options());

    [TestMethod]
    public void HistogramBinning_PassesConformanceChecks()
        => CheckBinary("HistogramBinning", (ml, o) => ml.BinaryClassification.Calibrators.HistogramBinning(o), () => new HistogramBinningEstimator.Options());

    [TestMethod]
    public void BinaryTemperatureScaling_PassesConformanceChecks()
        => CheckBinary("BinaryTemperatureScaling", (ml, o) => ml.BinaryClassification.Calibrators.TemperatureScaling(o),
            () => new BinaryTemperatureScalingEstimator.Options());

    // Weights: the fits skip rows of weight 0 in every sum and multiply each row's term by its weight, in row order
    // within a 65,536-row segment; these fit sets are one segment, so both weight checks hold to the bit (tolerance 0).
    private static void CheckBinary<TOptions>(string name, Func<MLContext, TOptions, IEstimator<ITransformer>> create, Func<TOptions> newOptions)
        where TOptions : BinaryCalibratorOptions
    {
        var options = newOptions();
        Conformance.Check(new ConformanceCase
        {
            Name = name,
            Estimator = ml => create(ml, options),
            FitData = ml => Scored(ml).Fit,
            ApplyData = ml => Scored(ml).Apply,
            OutputColumns = ["Probability"],
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Score"] = InvalidValueBehavior.Throws },
            WeightedEstimator = (ml, weightColumn) =>
            {
                var weighted = newOptions();
                weighted.ExampleWeightColumnName = weightColumn;
                return create(ml, weighted);
            },
            EstimatorWithOptions = ml => (create(ml, options), options),
            Skip = new Dictionary<string, string>
            {
                ["OneRow"] = "one row has one class; the calibrators refuse it naming the label column (BinaryCalibratorTests)",
            },
        });
    }

    [TestMethod]
    public void MulticlassTemperatureScaling_PassesConformanceChecks()
    {
        var options = new TemperatureScalingEstimator.Options();
        Conformance.Check(new ConformanceCase
        {
            Name = "TemperatureScaling",
            Estimator = ml => ml.MulticlassClassification.TemperatureScaling(options),
            FitData = ml => ml.Data.TakeRows(TestData.LoadCifar(ml, TestData.WideResNet), 3000),
            ApplyData = ml => ml.Data.SkipRows(TestData.LoadCifar(ml, TestData.WideResNet), 9000),
            OutputColumns = ["Score"],
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Score"] = InvalidValueBehavior.Throws, ["Label"] = InvalidValueBehavior.Throws },
            WeightedEstimator = (ml, weightColumn) => ml.MulticlassClassification.TemperatureScaling(
                new TemperatureScalingEstimator.Options { ExampleWeightColumnName = weightColumn }),
            EstimatorWithOptions = ml => (ml.MulticlassClassification.TemperatureScaling(options), options),
            Skip = new Dictionary<string, string>
            {
                ["OneRow"] = "one row has one class; temperature scaling refuses it naming the label column (TemperatureScalingTests)",
            },
        });
    }
}
