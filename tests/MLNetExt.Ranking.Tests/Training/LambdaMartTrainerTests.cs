using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Model;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Ranking.Tests.Support;
using MLNetExt.Tests.Support;
using MLNetExt.Training;

namespace MLNetExt.Ranking.Tests.Training;

/// <summary>
/// <c>mlContext.Ranking.Trainers.LambdaMart</c> end to end on LightGBM's learning-to-rank sample: the IDataView data
/// path gives the engine the same data as arrays do (so the same trees as native lambdarank), ML.NET's evaluators,
/// early stopping on a validation set, permutation feature importance, save/load in a fresh process, the committed
/// model file, the shared conformance checks and bad input.
/// </summary>
[TestClass]
public sealed class LambdaMartTrainerTests
{
    private static IDataView Ltr(MLContext ml, string file) => ml.Data.LoadFromLibSvm(TestData.Path($"ltr/{file}"));

    private static LambdaMartRankingTrainer.Options Small() => new() { NumberOfTrees = 20, NumberOfThreads = 2, Seed = 3 };

    [TestMethod]
    public void Fit_OnTheLtrSample_GrowsTheTreesNativeLambdarankGrowsOnTheSameData()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options { NumberOfTrees = 30, NumberOfThreads = 2, Seed = 7 })
            .Fit(Ltr(ml, "rank.train"));

        // Native lambdarank on the arrays of the same file, same settings: the IDataView path must change nothing.
        var train = LtrData.LoadLtr("rank.train");
        var settings = new BoosterSettings { NumberOfThreads = 2, Seed = 7 };
        using var dataset = LightGbmDataset.Create(train.CsrSource(), train.Groups(), settings.DatasetParameters());
        string native = RankingTestHelpers.TrainNative(dataset, settings, 30);
        // Compare the trees as parsed numbers, written by one formatter (LightGBM's own text formats numbers its way).
        var nativeTrees = TreeEnsemble.ParseLightGbmText(native, model.Model.FeatureNames.ToArray());
        Assert.AreEqual(RankingTestHelpers.TreeSection(nativeTrees.ToLightGbmText()), RankingTestHelpers.TreeSection(model.Model.ToLightGbmModelText()));
        Assert.AreEqual("lambdarank", model.Model.Objective);
        Assert.AreEqual(30, model.Model.NumberOfTrees);
    }

    [TestMethod]
    public void Score_WorksWithMLNetsEvaluator_AndOurs()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Ranking.Trainers.LambdaMart(Small()).Fit(Ltr(ml, "rank.train"));
        var scored = model.Transform(Ltr(ml, "rank.test"));
        var mlnet = ml.Ranking.Evaluate(scored);
        var ours = ml.Ranking.EvaluateRanking(scored);
        Assert.IsTrue(ours.GetNdcg(10) > 0.65, $"NDCG@10 {ours.GetNdcg(10)}");
        // ML.NET's conventions (gains 0,3,7,15,31, pessimistic ties, IDCG 0 -> 0) through our evaluator give ML.NET's number.
        var asMLNet = ml.Ranking.EvaluateRanking(scored, options: new RankingEvaluationOptions { MetricOptions = RankingMetricOptions.MLNet });
        Assert.AreEqual(mlnet.NormalizedDiscountedCumulativeGains[9], asMLNet.GetNdcg(10), 1e-9);
    }

    [TestMethod]
    public void EarlyStopping_OnAValidationSet_KeepsTheBestTrees()
    {
        var ml = new MLContext(seed: 1);
        var options = new LambdaMartRankingTrainer.Options
        {
            NumberOfTrees = 200, LearningRate = 0.5, EarlyStoppingRounds = 5, NumberOfThreads = 2, Seed = 3,
        };
        var validation = Ltr(ml, "rank.test");
        var model = ml.Ranking.Trainers.LambdaMart(options).Fit(Ltr(ml, "rank.train"), validation);
        var history = model.Model.ValidationHistory;
        Assert.IsTrue(history.Count < 200, $"{history.Count} trees grown: early stopping did not stop");
        Assert.AreEqual(model.Model.BestIteration, model.Model.NumberOfTrees);
        int best = Enumerable.Range(0, history.Count).MaxBy(i => history[i]) + 1;
        Assert.AreEqual(best, model.Model.BestIteration);
        Assert.AreEqual(history.Count, best + 5, "stopped 5 trees after the best");
        // The kept model's validation NDCG@10 is the best one in the history, measured by the core evaluator.
        var metrics = ml.Ranking.EvaluateRanking(model.Transform(validation));
        Assert.AreEqual(history[best - 1], metrics.GetNdcg(10), 1e-12);
    }

    [TestMethod]
    public void FeatureNames_AndImportance_ComeFromSlotNames()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 400).Select(i => new
        {
            Relevance = (float)(i % 5 == 0 ? 2 : i % 3 == 0 ? 1 : 0),
            Query = (uint)(i / 20),
            Age = (float)(i % 5 == 0 ? 9 : i % 3),
            Noise = (float)((i * 7919) % 13),
        }));
        var pipeline = ml.Transforms.Concatenate("Features", "Age", "Noise")
            .Append(ml.Transforms.Conversion.MapValueToKey("GroupId", "Query"))
            .Append(ml.Ranking.Trainers.LambdaMart(labelColumnName: "Relevance", numberOfTrees: 10, minimumExampleCountPerLeaf: 5));
        var model = pipeline.Fit(data).LastTransformer.Model;
        CollectionAssert.AreEqual(new[] { "Age", "Noise" }, model.FeatureNames.ToArray());
        var gain = model.GetFeatureImportance(FeatureImportanceKind.Gain);
        Assert.IsTrue(gain[0] > gain[1], $"Age, which decides the relevance, has the larger gain: {gain[0]} vs {gain[1]}");
        Assert.IsTrue(model.GetFeatureImportance(FeatureImportanceKind.SplitCount)[0] >= 1);
        StringAssert.Contains(model.ToLightGbmModelText(), "feature_names=Age Noise");
    }

    [TestMethod]
    public void PermutationFeatureImportance_Works()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Ranking.Trainers.LambdaMart(Small()).Fit(Ltr(ml, "rank.train"));
        var importance = ml.Ranking.PermutationFeatureImportance(model, ml.Data.TakeRows(Ltr(ml, "rank.test"), 200), permutationCount: 1);
        Assert.AreEqual(300, importance.Length);
        Assert.IsTrue(importance.Any(m => m.NormalizedDiscountedCumulativeGains[9].Mean < -1e-3), "permuting some feature must cost NDCG");
    }

    [TestMethod]
    public void SaveLoad_InAFreshProcess_GivesBitIdenticalScores()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Ranking.Trainers.LambdaMart(Small()).Fit(Ltr(ml, "rank.train"));
        var states = FreshProcess.AssertSameOutputs(ml, model, Ltr(ml, "rank.test"), "Score");
        Assert.AreEqual(1, states.Length);
        StringAssert.StartsWith(states[0], "RankingModelTransformer`1 state-crc32=");
    }

    [TestMethod]
    public void CommittedModelFile_StillLoads_AndReproducesItsScores()
        // Models/lambdamart-v1.zip: 20 trees on rank.train, BoostedRankingModel format version 1.
        => CommittedModels.AssertReproduces("lambdamart-v1", ml => ml.Ranking.Trainers.LambdaMart(Small()).Fit(Ltr(ml, "rank.train")), "Score");

    [TestMethod]
    public void PassesTheConformanceChecks()
    {
        Conformance.Check(new ConformanceCase
        {
            Name = "LambdaMart",
            Estimator = ml => ml.Ranking.Trainers.LambdaMart(Small()),
            WeightedEstimator = (ml, w) =>
            {
                var o = Small();
                o.ExampleWeightColumnName = w;
                return ml.Ranking.Trainers.LambdaMart(o);
            },
            EstimatorWithOptions = ml => { var o = Small(); return (ml.Ranking.Trainers.LambdaMart(o), o); },
            FitData = ml => ml.Data.TakeRows(Ltr(ml, "rank.train"), 1200),
            ApplyData = ml => ml.Data.TakeRows(Ltr(ml, "rank.test"), 200),
            GroupColumn = "GroupId",
            OutputColumns = ["Score"],
            InputColumns = new Dictionary<string, InvalidValueBehavior>
            {
                ["Label"] = InvalidValueBehavior.Throws,
                ["Features"] = InvalidValueBehavior.Accepts,
            },
            Skip = new Dictionary<string, string>
            {
                ["ZeroWeights"] = "LightGBM finds bin boundaries from every row, weight 0 included (as native LightGBM does), so a " +
                    "zero-weight query changes the bins a dropped query would not; unit weights are checked exactly",
            },
        });
    }

    [TestMethod]
    public void BadInput_IsRefusedNamingTheColumnRowOrOption()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options { Sigma = -1 }));
        StringAssert.Contains(e.Message, "Sigma");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options { NumberOfLeaves = 1 }));
        StringAssert.Contains(e.Message, "NumberOfLeaves");

        // Interleaved queries.
        var interleaved = ml.Data.LoadFromEnumerable(new[] { (1u, 1f), (2u, 0f), (1u, 2f) }.Select(r => new Row { Query = r.Item1, Label = r.Item2, Features = [r.Item2, 1] }));
        var keyed = ml.Transforms.Conversion.MapValueToKey("GroupId", "Query").Fit(interleaved).Transform(interleaved);
        var data = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Ranking.Trainers.LambdaMart(Small()).Fit(keyed));
        StringAssert.Contains(data.Message, "not contiguous");

        // A fractional grade with a gain table.
        var fractional = ml.Data.LoadFromEnumerable(new[] { 0.5f, 1f, 0f, 2f }.Select((l, i) => new Row { Query = (uint)(i / 2), Label = l, Features = [l, i] }));
        var keyedFractional = ml.Transforms.Conversion.MapValueToKey("GroupId", "Query").Fit(fractional).Transform(fractional);
        var withTable = new LambdaMartRankingTrainer.Options { LabelGains = [0, 3, 7, 15, 31], MinimumExampleCountPerLeaf = 1 };
        data = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Ranking.Trainers.LambdaMart(withTable).Fit(keyedFractional));
        StringAssert.Contains(data.Message, "row 0");

        // A NaN label names the column and row.
        var nan = ml.Data.LoadFromEnumerable(new[] { 1f, float.NaN }.Select(l => new Row { Query = 1, Label = l, Features = [1, 2] }));
        var keyedNan = ml.Transforms.Conversion.MapValueToKey("GroupId", "Query").Fit(nan).Transform(nan);
        data = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Ranking.Trainers.LambdaMart(Small()).Fit(keyedNan));
        StringAssert.Contains(data.Message, "Label");
        StringAssert.Contains(data.Message, "row 1");
    }

    [TestMethod]
    public void Cancellation_StopsTraining()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options { NumberOfTrees = 10_000, ProgressInterval = 1 });
        ml.Log += (_, e) =>
        {
            if (e.Message.Contains("trees", StringComparison.Ordinal))
                Cancellation.Cancel(ml);
        };
        var data = Ltr(ml, "rank.train");
        var e = Assert.Throws<OperationCanceledException>(() => trainer.Fit(data));
        StringAssert.Contains(e.Message, "canceled");
    }

    private sealed class Row
    {
        public uint Query { get; set; }

        public float Label { get; set; }

        [VectorType(2)]
        public float[] Features { get; set; } = [];
    }
}
