using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.CovariateShift.Experiments;
using MLNetExt.CovariateShift.Tests.Support;
using MLNetExt.Tests.Support;

namespace MLNetExt.CovariateShift.Tests;

/// <summary>The DW-GCS trainers through ML.NET: outputs, the bound, the paper's rules, determinism, persistence and bad input.</summary>
[TestClass]
public sealed class DoubleWeightingTrainerTests
{
    private static DoubleWeightingMinimaxRiskBinaryTrainer.Options FastOptions(double? d = 4) => new() { D = d };

    [TestMethod]
    public void Binary_WritesWhatMLNetsEvaluatorReads_AndFollowsThePapersRules()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, split) = ShiftData.Diabetes(ml);
        var model = ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target,
            new DoubleWeightingMinimaxRiskBinaryTrainer.Options { DCandidates = [1, 2.7777778, 11.111111] }).Fit(train);
        var scored = model.Transform(target);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.IsTrue(metrics.Accuracy > 0.65, $"accuracy {metrics.Accuracy}");
        Assert.IsTrue(double.IsFinite(metrics.LogLoss) || double.IsPositiveInfinity(metrics.LogLoss));

        var p = model.Model;
        CollectionAssert.AreEqual(new[] { 1, 2.7777778, 11.111111 }, p.CandidateD.ToArray());
        Assert.AreEqual(p.CandidateBounds.Min(), p.UpperBound, "D is chosen by the smallest bound");
        Assert.AreEqual(p.CandidateD[p.CandidateBounds.ToList().IndexOf(p.UpperBound)], p.ChosenD);
        Assert.AreEqual(split.TrainRows, p.TrainingWeights.Count);
        Assert.AreEqual(split.TargetRows, p.TargetWeights.Count);
        Assert.IsTrue(p.TargetWeights.All(a => a >= -1e-12 && a <= 1 + 1e-12));

        // Score is the margin v1 - v0; PredictedLabel = Score > 0; Probability = clamp((1 + v1 - v0) / 2, 0, 1), the
        // 0-1 rule for two classes (sparsemax of (v0, v1)) with alpha = 1.
        var score = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int j = 0; j < score.Length; j++)
        {
            Assert.AreEqual(score[j] > 0, predicted[j], $"row {j}");
            Assert.AreEqual(Math.Clamp((1 + (double)score[j]) / 2, 0, 1), probability[j], 2e-6, $"row {j}");
        }
        // The transductive probabilities use alpha_j: h1 = clamp((1 + alpha_j (v1 - v0)) / 2, 0, 1).
        for (int j = 0; j < score.Length; j++)
            Assert.AreEqual(Math.Clamp((1 + p.TargetWeights[j] * score[j]) / 2, 0, 1), p.TargetProbabilities[2 * j + 1], 2e-6, $"target row {j}");
    }

    [TestMethod]
    public void Bound_IsAtLeastTheProbabilisticRulesError_OnTheShiftedSets_WithAConfidenceMargin()
    {
        // R(U) bounds the expected error of the probabilistic rule on the target rows when their labelling lies in U. With
        // lambda widened by 2 standard errors of tau (ConfidenceScale = 2) it does on these splits: diabetes and
        // haberman, PCA shift and feature 1 shift, repetitions 0-1.
        foreach (string set in new[] { "diabetes", "haberman" })
        {
            foreach (int shift in new[] { CovariateShiftProtocol.Pca, 0 })
            {
                for (int seed = 0; seed < 2; seed++)
                {
                    var ml = new MLContext(seed: 1);
                    var split = ShiftData.Split(set, shift, seed);
                    var train = ShiftData.View(ml, split.TrainFeatures, split.TrainLabels, split.Dimension);
                    var target = ShiftData.View(ml, split.TargetFeatures, split.TargetLabels, split.Dimension);
                    var model = ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target,
                        new DoubleWeightingMinimaxRiskBinaryTrainer.Options { ConfidenceScale = 2, D = 4 }).Fit(train);
                    double expected = 0;
                    for (int j = 0; j < split.TargetRows; j++)
                        expected += 1 - model.Model.TargetProbabilities[2 * j + (split.TargetLabels[j] ? 1 : 0)];
                    expected /= split.TargetRows;
                    Assert.IsTrue(model.Model.UpperBound >= expected,
                        $"{set}, shift {shift}, repetition {seed}: bound {model.Model.UpperBound} < expected error {expected}");
                }
            }
        }
    }

    [TestMethod]
    public void Multiclass_ScoresAreProbabilities_AndLogLossIsSoftmax()
    {
        var ml = new MLContext(seed: 1);
        var split = ShiftData.Split("diabetes", CovariateShiftProtocol.Pca, 0);
        var train = ShiftData.ThreeClassView(ml, split.TrainFeatures, split.TrainLabels, split.Dimension);
        var target = ShiftData.ThreeClassView(ml, split.TargetFeatures, split.TargetLabels, split.Dimension);
        foreach (var loss in new[] { MinimaxRiskLoss.ZeroOne, MinimaxRiskLoss.Log })
        {
            var model = ml.MulticlassClassification.Trainers.DoubleWeightingMinimaxRisk(target,
                new DoubleWeightingMinimaxRiskMulticlassTrainer.Options { D = 4, Loss = loss }).Fit(train);
            Assert.AreEqual(3, model.ClassCount);
            var scored = model.Transform(target);
            var metrics = ml.MulticlassClassification.Evaluate(scored);
            Assert.IsTrue(metrics.MicroAccuracy > 0.5, $"{loss}: accuracy {metrics.MicroAccuracy}");
            var scores = scored.GetColumn<float[]>("Score").ToArray();
            foreach (var s in scores)
            {
                Assert.AreEqual(1, s.Sum(), 1e-5);
                Assert.IsTrue(s.All(v => v >= 0));
            }
            if (loss == MinimaxRiskLoss.Log)
                Assert.IsTrue(scores.All(s => s.All(v => v > 0)), "softmax probabilities are positive");
        }
    }

    [TestMethod]
    public void RandomFourierFeatures_AreSeeded_AndGiveAUsefulClassifier()
    {
        var (train, target, _) = ShiftData.Diabetes(new MLContext(seed: 1));
        DoubleWeightingMinimaxRiskModelParameters Fit(int seed) => new MLContext(seed: 1).BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target,
            new DoubleWeightingMinimaxRiskBinaryTrainer.Options { D = 4, FeatureMap = FeatureMapKind.RandomFourier, RandomFourierComponents = 30, Loss = MinimaxRiskLoss.Log, Seed = seed })
            .Fit(train).Model;
        var a = Fit(7);
        var b = Fit(7);
        var c = Fit(8);
        Assert.AreEqual(31, a.FeatureMapLength, "intercept + 15 cosines + 15 sines");
        CollectionAssert.AreEqual(a.Parameters.ToArray(), b.Parameters.ToArray());
        CollectionAssert.AreNotEqual(a.Parameters.ToArray(), c.Parameters.ToArray());
        Assert.IsTrue(a.UpperBound < Math.Log(2), $"log-loss bound {a.UpperBound} below the uniform rule's ln 2");
    }

    [TestMethod]
    public void SameSeed_OnTheNystromPath_GivesBitIdenticalModels_AndAnotherSeedAnotherOne()
    {
        // The conformance checks cover the exact kernel; this covers seeded landmarks and the blocked parallel products.
        var (train, target, _) = ShiftData.Diabetes(new MLContext(seed: 1));
        byte[] Fit(int seed)
        {
            var options = FastOptions();
            options.ExactKernelMaximumRows = 100;
            options.NystromRank = 64;
            options.Seed = seed;
            var model = new MLContext(seed: 1).BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target, options).Fit(train).Model;
            Assert.AreEqual(64, model.KernelRank);
            return model.Parameters.Concat(model.TrainingWeights).Append(model.UpperBound).SelectMany(BitConverter.GetBytes).ToArray();
        }
        var first = Fit(5);
        CollectionAssert.AreEqual(first, Fit(5));
        CollectionAssert.AreNotEqual(first, Fit(6));
    }

    [TestMethod]
    public void BadInput_FailsWithMessagesNamingTheProblem()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, split) = ShiftData.Diabetes(ml);
        // Feature count differs between training and target data.
        var narrow = ShiftData.View(ml, split.TargetFeatures.Where((_, i) => i % 8 != 7).ToArray(), split.TargetLabels, 7);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(narrow, FastOptions()).Fit(train));
        StringAssert.Contains(e.Message, "target feature column 'Features': expected Vector<Single, 8>");
        // Empty target.
        var empty = new MLNetExt.Data.RowSelectionDataView(target, new System.Collections.BitArray(split.TargetRows));
        var f = Assert.ThrowsExactly<InvalidOperationException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(empty, FastOptions()).Fit(train));
        StringAssert.Contains(f.Message, "The target data has no rows");
        // NaN in the target features.
        var nan = new ValueInjectingDataView(target, "Features", row: 3, float.NaN);
        var g = Assert.ThrowsExactly<InvalidOperationException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(nan, FastOptions()).Fit(train));
        StringAssert.Contains(g.Message, "'Features' has NaN in slot 0 at row 3");
        // Every feature constant.
        var constantX = new float[split.TrainFeatures.Length];
        var constantTrain = ShiftData.View(ml, constantX, split.TrainLabels, 8);
        var constantTarget = ShiftData.View(ml, new float[split.TargetFeatures.Length], split.TargetLabels, 8);
        var h = Assert.ThrowsExactly<InvalidOperationException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(constantTarget, FastOptions()).Fit(constantTrain));
        StringAssert.Contains(h.Message, "Every one of the 8 features is constant");
        // A label with one class.
        var oneClass = ShiftData.View(ml, split.TrainFeatures, split.TrainLabels.Select(_ => true).ToArray(), 8);
        var i = Assert.ThrowsExactly<InvalidOperationException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target, FastOptions()).Fit(oneClass));
        StringAssert.Contains(i.Message, "Label column 'Label' has a single class in all");
        // Options.
        var j = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target,
            new DoubleWeightingMinimaxRiskBinaryTrainer.Options { D = 0.5 }));
        StringAssert.Contains(j.Message, "Option 'D' must be null or at least 1");
        var k = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target,
            new DoubleWeightingMinimaxRiskBinaryTrainer.Options { ExampleWeightColumnName = "Weight" }));
        StringAssert.Contains(k.Message, "ExampleWeightColumnName");
        var l = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target,
            new DoubleWeightingMinimaxRiskBinaryTrainer.Options { WeightBound = 5, D = 100 }));
        StringAssert.Contains(l.Message, "WeightBound");
        // A target without the feature column fails when the trainer is created.
        var m = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(
            ml.Transforms.DropColumns("Features").Fit(target).Transform(target)));
        StringAssert.Contains(m.Message, "Could not find target feature column 'Features'");
    }

    [TestMethod]
    public void Binary_PassesTheConformanceChecks()
    {
        Conformance.Check(new ConformanceCase
        {
            Name = "DoubleWeightingMinimaxRisk",
            Estimator = ml => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(ShiftData.Diabetes(ml).Target, FastOptions()),
            EstimatorWithOptions = ml => { var o = FastOptions(); return (ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(ShiftData.Diabetes(ml).Target, o), o); },
            FitData = ml => ShiftData.Diabetes(ml).Train,
            ApplyData = ml => ShiftData.Diabetes(ml).Target,
            OutputColumns = ["Score", "Probability", "PredictedLabel"],
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
            Skip = new Dictionary<string, string>
            {
                ["UnitWeights"] = "DW-GCS computes its own training weights and takes no example weight column (rejected by Validate).",
                ["ZeroWeights"] = "DW-GCS computes its own training weights and takes no example weight column (rejected by Validate).",
            },
        });
    }

    [TestMethod]
    public void SaveLoad_InAFreshProcess_GivesBitIdenticalOutputs_BinaryAndMulticlass()
    {
        var ml = new MLContext(seed: 1);
        var (train, target, split) = ShiftData.Diabetes(ml);
        var binary = ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target, FastOptions()).Fit(train);
        FreshProcess.AssertSameOutputs(ml, binary, target, "Score", "Probability", "PredictedLabel");
        var train3 = ShiftData.ThreeClassView(ml, split.TrainFeatures, split.TrainLabels, split.Dimension);
        var target3 = ShiftData.ThreeClassView(ml, split.TargetFeatures, split.TargetLabels, split.Dimension);
        var multiclass = ml.MulticlassClassification.Trainers.DoubleWeightingMinimaxRisk(target3,
            new DoubleWeightingMinimaxRiskMulticlassTrainer.Options { D = 4, FeatureMap = FeatureMapKind.RandomFourier, RandomFourierComponents = 40 }).Fit(train3);
        FreshProcess.AssertSameOutputs(ml, multiclass, target3, "Score", "PredictedLabel");
    }
}
