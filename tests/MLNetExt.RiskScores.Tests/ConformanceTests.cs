using Microsoft.ML;
using MLNetExt.Tests.Support;

namespace MLNetExt.RiskScores.Tests;

/// <summary>The shared conformance checks of docs/style.md §13 for both trainers (every mode) and the binariser.</summary>
[TestClass]
public sealed class ConformanceTests
{
    private static readonly string[] BinaryOutputs = ["Score", "Probability", "PredictedLabel"];

    private static IDataView Mammo(MLContext ml, int rows) => ml.Data.TakeRows(RiskScoreTestData.Load(ml, "mammo"), rows);

    [TestMethod]
    public void RiskScore_Fast_PassesTheConformanceChecks()
    {
        Conformance.Check(new ConformanceCase
        {
            Name = "RiskScore (Fast)",
            Estimator = ml => ml.BinaryClassification.Trainers.RiskScore(),
            WeightedEstimator = (ml, weight) => ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options { ExampleWeightColumnName = weight }),
            EstimatorWithOptions = ml =>
            {
                var options = new RiskScoreTrainer.Options { Constraints = [RiskScoreConstraint.Forbid("Density")] };
                return (ml.BinaryClassification.Trainers.RiskScore(options), options);
            },
            FitData = ml => Mammo(ml, 961),
            OutputColumns = BinaryOutputs,
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
        });
    }

    [TestMethod]
    public void RiskScore_Certified_PassesTheConformanceChecks()
    {
        static RiskScoreTrainer.Options Options(string? weight = null) => new()
        {
            Mode = RiskScoreMode.Certified,
            MaximumFeatureCount = 2,
            TimeLimitSeconds = 60,
            ExampleWeightColumnName = weight,
        };
        Conformance.Check(new ConformanceCase
        {
            Name = "RiskScore (Certified)",
            Estimator = ml => ml.BinaryClassification.Trainers.RiskScore(Options()),
            WeightedEstimator = (ml, weight) => ml.BinaryClassification.Trainers.RiskScore(Options(weight)),
            EstimatorWithOptions = ml =>
            {
                var options = Options();
                return (ml.BinaryClassification.Trainers.RiskScore(options), options);
            },
            FitData = ml => Mammo(ml, 120),
            OutputColumns = BinaryOutputs,
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
        });
    }

    [TestMethod]
    public void Slim_PassesTheConformanceChecks()
    {
        static SlimTrainer.Options Options(string? weight = null) => new() { MaximumFeatureCount = 2, ExampleWeightColumnName = weight };
        Conformance.Check(new ConformanceCase
        {
            Name = "Slim",
            Estimator = ml => ml.BinaryClassification.Trainers.Slim(Options()),
            WeightedEstimator = (ml, weight) => ml.BinaryClassification.Trainers.Slim(Options(weight)),
            EstimatorWithOptions = ml =>
            {
                var options = Options();
                return (ml.BinaryClassification.Trainers.Slim(options), options);
            },
            FitData = ml => Mammo(ml, 90),
            OutputColumns = BinaryOutputs,
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
        });
    }

    [TestMethod]
    public void ThresholdBinarizer_PassesTheConformanceChecks()
    {
        Conformance.Check(new ConformanceCase
        {
            Name = "ThresholdBinarizer",
            Estimator = ml => ml.Transforms.BinarizeByThresholds("Binary", "Features"),
            EstimatorWithOptions = ml =>
            {
                var options = new ThresholdBinarizerEstimator.Options { OutputColumnName = "Binary", InputColumnName = "Features", MaximumThresholdsPerFeature = 4 };
                return (ml.Transforms.BinarizeByThresholds(options), options);
            },
            FitData = ml => RiskScoreTestData.Load(ml, "breastcancer"),
            OutputColumns = ["Binary"],
            Skip = new Dictionary<string, string>
            {
                ["InvalidValues"] = "NaN is a missing value (an indicator) while infinity is refused; BinarizerTests checks both",
                ["UnitWeights"] = "the binariser takes no example weights",
                ["ZeroWeights"] = "the binariser takes no example weights",
            },
        });
    }
}
