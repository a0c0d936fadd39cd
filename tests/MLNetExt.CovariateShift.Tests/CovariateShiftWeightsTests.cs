using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.CovariateShift.Experiments;
using MLNetExt.CovariateShift.Tests.Support;
using MLNetExt.CovariateShift.Weights;
using MLNetExt.Tests.Support;

namespace MLNetExt.CovariateShift.Tests;

/// <summary>The weights estimator and transformer through ML.NET.</summary>
[TestClass]
public sealed class CovariateShiftWeightsTests
{
    [TestMethod]
    public void KernelMeanMatching_WritesEachTrainingRowsWeight_WhichAnMLNetTrainerReads()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, split) = ShiftData.Diabetes(ml);
        var weights = ml.Transforms.CovariateShiftWeights(target, method: CovariateShiftWeightingMethod.KernelMeanMatching).Fit(train);
        var weighted = weights.Transform(train);
        var column = weighted.GetColumn<float>("Weight").ToArray();
        Assert.AreEqual(split.TrainRows, column.Length);
        for (int i = 0; i < column.Length; i++)
            Assert.AreEqual((float)weights.TrainingWeights[i], column[i], $"row {i}");
        // KMM: alpha fixed at 1, 0 <= beta <= B, |mean(beta) - 1| <= 1 - 1/sqrt(n).
        Assert.IsTrue(weights.TargetWeights.All(a => a == 1));
        Assert.AreEqual(1.0, weights.D);
        Assert.IsTrue(weights.TrainingWeights.All(b => b >= 0 && b <= 1000));
        Assert.IsTrue(Math.Abs(weights.TrainingWeights.Average() - 1) <= 1 - 1 / Math.Sqrt(split.TrainRows) + 1e-12);
        Assert.IsTrue(weights.EffectiveSampleSize < split.TrainRows && weights.EffectiveSampleSize > 1, $"ESS {weights.EffectiveSampleSize}");
        // Under the PCA shift the weights favour training rows on the target's side of the first principal axis.
        var pc = CovariateShiftProtocol.FirstRightSingularVector(ShiftDataSet.Load(TestData.Path("tabular/diabetes.csv"), "diabetes").Features, 768, 8);
        double Projection(int i) => Enumerable.Range(0, 8).Sum(j => split.TrainFeatures[i * 8 + j] * pc[j]);
        double correlation = Correlation(Enumerable.Range(0, split.TrainRows).Select(Projection).ToArray(), weights.TrainingWeights.ToArray());
        Assert.IsTrue(correlation < -0.3, $"target rows are those with low projections; correlation {correlation}");

        var model = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(exampleWeightColumnName: "Weight").Fit(weighted);
        Assert.IsTrue(ml.BinaryClassification.Evaluate(model.Transform(target)).Accuracy > 0.6);
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
        return cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
    }

    [TestMethod]
    public void IdenticalSamples_GiveWeightOne_ForEveryMethod()
    {
        var ml = new MLContext(seed: 1);
        var (train, _, _) = ShiftData.Diabetes(ml);
        foreach (var method in Enum.GetValues<CovariateShiftWeightingMethod>())
        {
            var weights = ml.Transforms.CovariateShiftWeights(train, method: method).Fit(train);
            foreach (double w in weights.TrainingWeights)
                Assert.AreEqual(1.0, w, method == CovariateShiftWeightingMethod.DomainClassifier ? 1e-6 : 1e-12, $"{method}");
        }
    }

    [TestMethod]
    public void NewRows_AreRefusedOrMissing_NeverGivenAWeight_AndAFittedPipelineScoresThem()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, _) = ShiftData.Diabetes(ml);
        var weights = ml.Transforms.CovariateShiftWeights(target).Fit(train);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => weights.Transform(target).GetColumn<float>("Weight").ToArray());
        StringAssert.Contains(e.Message, "Row 0: its features in column 'Features' are not those of any of the");
        var missing = ml.Transforms.CovariateShiftWeights(target, new CovariateShiftWeightsEstimator.Options { UnseenRows = UnseenRowPolicy.Missing }).Fit(train);
        Assert.IsTrue(missing.Transform(target).GetColumn<float>("Weight").All(float.IsNaN));

        // The usual pipeline: weights, then a trainer that reads them. Scoring new data never reads the weight column.
        var pipeline = ml.Transforms.CovariateShiftWeights(target)
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(exampleWeightColumnName: "Weight")).Fit(train);
        var metrics = ml.BinaryClassification.Evaluate(pipeline.Transform(target));
        Assert.IsTrue(metrics.Accuracy > 0.6);
        var engine = ml.Model.CreatePredictionEngine<FeaturesRow, ScoreRow>(pipeline);
        Assert.IsTrue(engine.Predict(new FeaturesRow { Features = new float[8] }).Probability is >= 0 and <= 1);
    }

    private sealed class FeaturesRow
    {
        [Microsoft.ML.Data.VectorType(8)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class ScoreRow
    {
        public float Probability { get; set; }
    }

    [TestMethod]
    public void DomainClassifier_WeightsEveryRow_WithMeanOneOverTheTrainingRows()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, split) = ShiftData.Diabetes(ml);
        var weights = ml.Transforms.CovariateShiftWeights(target, method: CovariateShiftWeightingMethod.DomainClassifier).Fit(train);
        Assert.AreEqual(1.0, weights.TrainingWeights.Average(), 1e-12);
        var onTarget = weights.Transform(target).GetColumn<float>("Weight").ToArray();
        var onTrain = weights.Transform(train).GetColumn<float>("Weight").ToArray();
        Assert.AreEqual(split.TargetRows, onTarget.Length);
        // Target rows look more like the target than training rows do.
        Assert.IsTrue(onTarget.Average() > onTrain.Average(), $"{onTarget.Average()} vs {onTrain.Average()}");
        Assert.IsTrue(double.IsNaN(weights.D) && weights.KernelRank == 0);
    }

    [TestMethod]
    public void DoubleWeighting_WithCandidatesAndALabel_ChoosesDByTheBound()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, _) = ShiftData.Diabetes(ml);
        var weights = ml.Transforms.CovariateShiftWeights(target, new CovariateShiftWeightsEstimator.Options
        {
            DCandidates = [1, 4, 25],
            LabelColumnName = "Label",
        }).Fit(train);
        var model = ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target,
            new DoubleWeightingMinimaxRiskBinaryTrainer.Options { DCandidates = [1, 4, 25] }).Fit(train).Model;
        Assert.AreEqual(model.ChosenD, weights.D, "the trainer's choice, with the same kernel and classifier settings");
        CollectionAssert.AreEqual(model.TrainingWeights.ToArray(), weights.TrainingWeights.ToArray());
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.CovariateShiftWeights(target,
            new CovariateShiftWeightsEstimator.Options { DCandidates = [1, 4] }));
        StringAssert.Contains(e.Message, "LabelColumnName");
    }

    [TestMethod]
    public void Collapse_IsReportedOnTheModel_AndWarnedOnTheLog()
    {
        // Target rows far outside the training cloud: kernel mean matching piles weight on the nearest few rows.
        var ml = new MLContext(seed: 1);
        var split = ShiftData.Split("diabetes", CovariateShiftProtocol.Pca, 0);
        var far = split.TargetFeatures.Select((v, i) => i % 8 == 1 ? v + 3f : v).ToArray();
        var train = ShiftData.View(ml, split.TrainFeatures, split.TrainLabels, 8);
        var target = ShiftData.View(ml, far, split.TargetLabels, 8);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Warning) messages.Add(e.Message); };
        var weights = ml.Transforms.CovariateShiftWeights(target, method: CovariateShiftWeightingMethod.KernelMeanMatching).Fit(train);
        Assert.IsTrue(weights.HasCollapsed, $"ESS {weights.EffectiveSampleSize} of {split.TrainRows}");
        Assert.IsTrue(messages.Any(m => m.Contains("The weights have collapsed")), string.Join("\n", messages));
    }

    [TestMethod]
    public void BadInput_FailsWithMessagesNamingTheProblem()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, split) = ShiftData.Diabetes(ml);
        var narrow = ShiftData.View(ml, split.TargetFeatures.Where((_, i) => i % 8 != 7).ToArray(), split.TargetLabels, 7);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.CovariateShiftWeights(narrow).Fit(train));
        StringAssert.Contains(e.Message, "expected Vector<Single, 8> (the training data's feature count)");
        var f = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.CovariateShiftWeights(new MLNetExt.Data.RowSelectionDataView(target, new System.Collections.BitArray(split.TargetRows))).Fit(train));
        StringAssert.Contains(f.Message, "The target data has no rows");
        var g = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.CovariateShiftWeights(target, d: 0.5));
        StringAssert.Contains(g.Message, "Option 'D'");
        var h = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.CovariateShiftWeights(target).Fit(train).Transform(narrow));
        StringAssert.Contains(h.Message, "expected Vector<Single, 8> (the size the weights were fitted on)");
    }

    [TestMethod]
    public void EveryMethod_PassesTheConformanceChecks()
    {
        foreach (var method in Enum.GetValues<CovariateShiftWeightingMethod>())
        {
            Conformance.Check(new ConformanceCase
            {
                Name = $"CovariateShiftWeights {method}",
                Estimator = ml => ml.Transforms.CovariateShiftWeights(ShiftData.Diabetes(ml).Target, method: method),
                EstimatorWithOptions = ml =>
                {
                    var o = new CovariateShiftWeightsEstimator.Options { Method = method };
                    return (ml.Transforms.CovariateShiftWeights(ShiftData.Diabetes(ml).Target, o), o);
                },
                FitData = ml => ShiftData.Diabetes(ml).Train,
                OutputColumns = ["Weight"],
                InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
                Skip = new Dictionary<string, string>
                {
                    ["UnitWeights"] = "The estimator computes weights; it reads none.",
                    ["ZeroWeights"] = "The estimator computes weights; it reads none.",
                },
            });
        }
    }

    [TestMethod]
    public void SaveLoad_InAFreshProcess_GivesBitIdenticalWeights()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, _) = ShiftData.Diabetes(ml);
        foreach (var method in Enum.GetValues<CovariateShiftWeightingMethod>())
        {
            var weights = ml.Transforms.CovariateShiftWeights(target, method: method).Fit(train);
            var states = FreshProcess.AssertSameOutputs(ml, weights, train, "Weight");
            // The reloaded transformer's whole saved state equals this one's (the probe prints its CRC-32).
            uint crc = System.IO.Hashing.Crc32.HashToUInt32(MLNetExt.Serialization.ModelPersistence.ToBytes(weights));
            CollectionAssert.AreEqual(new[] { $"CovariateShiftWeightsTransformer state-crc32={crc:x8}" }, states, method.ToString());
        }
    }
}
