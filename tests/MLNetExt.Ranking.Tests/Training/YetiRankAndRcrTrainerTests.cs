using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Data;
using MLNetExt.Ranking.Tests.Support;
using MLNetExt.Tests.Support;
using MLNetExt.Training;

namespace MLNetExt.Ranking.Tests.Training;

/// <summary>
/// <c>YetiRank</c>, <c>YetiRankPairwise</c> and <c>RegressionCompatibleRanking</c> through ML.NET: they learn on the LTR
/// sample, are deterministic per seed whatever the thread count, refuse options their mode does not read, and RCR
/// writes a Probability column that is sigmoid(Score) and that the calibration evaluator reads.
/// </summary>
[TestClass]
public sealed class YetiRankAndRcrTrainerTests
{
    private static IDataView Ltr(MLContext ml, string file) => ml.Data.LoadFromLibSvm(TestData.Path($"ltr/{file}"));

    private static T Small<T>(T options) where T : BoostedRankingOptions
    {
        options.NumberOfTrees = 20;
        options.NumberOfThreads = 2;
        options.Seed = 3;
        return options;
    }

    // A constant score gives NDCG@10 0.5736 on rank.test (LightGBM's conventions).
    private const double ConstantNdcg10 = 0.5736;

    [TestMethod]
    public void EachTrainer_LearnsOnTheLtrSample()
    {
        var ml = new MLContext(seed: 1);
        var train = Ltr(ml, "rank.train");
        var test = Ltr(ml, "rank.test");
        var trainers = new (string Objective, IEstimator<ITransformer> Trainer)[]
        {
            ("yetirank", ml.Ranking.Trainers.YetiRank(Small(new YetiRankRankingTrainer.Options()))),
            ("yetirank", ml.Ranking.Trainers.YetiRank(Small(new YetiRankRankingTrainer.Options { Mode = YetiRankMode.Ndcg, Top = 10, NumberOfNeighbors = -1 }))),
            ("yetirank_pairwise", ml.Ranking.Trainers.YetiRankPairwise(Small(new YetiRankPairwiseRankingTrainer.Options()))),
            ("rcr", ml.Ranking.Trainers.RegressionCompatibleRanking(Small(new RegressionCompatibleRankingTrainer.Options()))),
        };
        foreach (var (objective, trainer) in trainers)
        {
            var model = (RankingModelTransformer<BoostedRankingModelParameters>)trainer.Fit(train);
            Assert.AreEqual(objective, model.Model.Objective);
            double ndcg = ml.Ranking.EvaluateRanking(model.Transform(test)).GetNdcg(10);
            Assert.IsTrue(ndcg > ConstantNdcg10 + 0.1, $"{objective}: NDCG@10 {ndcg}");
        }
    }

    [TestMethod]
    public void YetiRank_SameSeed_SameModel_WhateverTheThreadCount_OtherSeed_OtherModel()
    {
        string Text(int seed, int threads)
        {
            var ml = new MLContext(seed: 5);
            var options = Small(new YetiRankRankingTrainer.Options());
            options.Seed = seed;
            options.NumberOfThreads = threads;
            // The trees only: the text's parameters block records num_threads.
            return RankingTestHelpers.TreeSection(ml.Ranking.Trainers.YetiRank(options).Fit(Ltr(ml, "rank.train")).Model.ToLightGbmModelText());
        }
        string one = Text(11, 1);
        Assert.AreEqual(one, Text(11, 2), "1 and 2 threads");
        Assert.AreEqual(one, Text(11, 1), "same seed twice");
        Assert.AreNotEqual(one, Text(12, 1), "another seed draws other permutations");

        // Seed from the context: two contexts with the same seed give the same model.
        string FromContext() => new MLContext(seed: 9) is var ml
            ? ml.Ranking.Trainers.YetiRank(numberOfTrees: 5).Fit(Ltr(ml, "rank.train")).Model.ToLightGbmModelText() : "";
        Assert.AreEqual(FromContext(), FromContext());
    }

    [TestMethod]
    public void Rcr_WritesProbability_AsSigmoidOfScore_ReadByTheCalibrationEvaluator()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Ranking.Trainers.RegressionCompatibleRanking(Small(new RegressionCompatibleRankingTrainer.Options())).Fit(Ltr(ml, "rank.train"));
        Assert.IsTrue(model.HasProbability);
        Assert.AreEqual(4.0, model.Model.ProbabilityLabelScale, "grades 0-4: probability estimates label / 4");
        var scored = model.Transform(Ltr(ml, "rank.test"));
        var scores = scored.GetColumn<float>("Score").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        for (int i = 0; i < scores.Length; i++)
            Assert.AreEqual((float)(1 / (1 + Math.Exp(-(double)model.Model.Score(Row(scored, i))))), probabilities[i], 1e-6f, $"row {i}");

        // Binary relevance (grade >= 1) against the Probability column, through the calibration evaluator.
        var binary = ml.Transforms.CustomMapping((LabelRow r, BinaryRow b) => b.Relevant = r.Label >= 1, null).Fit(scored).Transform(scored);
        var calibration = ml.BinaryClassification.EvaluateCalibration(binary, labelColumnName: "Relevant");
        Assert.IsTrue(calibration.ExpectedCalibrationError < 0.5);
        Assert.AreEqual("Probability", Annotation(scored.Schema["Probability"], "ScoreValueKind"));

        // The other objectives write no Probability column.
        var yeti = ml.Ranking.Trainers.YetiRank(Small(new YetiRankRankingTrainer.Options())).Fit(Ltr(ml, "rank.train"));
        Assert.IsFalse(yeti.HasProbability);
        Assert.IsNull(yeti.Transform(Ltr(ml, "rank.test")).Schema.GetColumnOrNull("Probability"));
        Assert.IsTrue(double.IsNaN(yeti.Model.Probability(0)));
    }

    [TestMethod]
    public void Options_TheModeDoesNotRead_AreErrors_NotIgnored()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Ranking.Trainers.YetiRank(new YetiRankRankingTrainer.Options { Mode = YetiRankMode.Ndcg, Decay = 0.5 }));
        StringAssert.Contains(e.Message, "Decay");
        StringAssert.Contains(e.Message, "Classic only");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Ranking.Trainers.YetiRank(new YetiRankRankingTrainer.Options { Decay = -0.1 }));
        StringAssert.Contains(e.Message, "Decay");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Ranking.Trainers.YetiRank(new YetiRankRankingTrainer.Options { Top = 5 }));
        StringAssert.Contains(e.Message, "Top");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Ranking.Trainers.YetiRank(new YetiRankRankingTrainer.Options { Mode = (YetiRankMode)42 }));
        StringAssert.Contains(e.Message, "Mode");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Ranking.Trainers.YetiRankPairwise(new YetiRankPairwiseRankingTrainer.Options { NumberOfLeaves = 2048 }));
        StringAssert.Contains(e.Message, "NumberOfLeaves");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Ranking.Trainers.RegressionCompatibleRanking(new RegressionCompatibleRankingTrainer.Options { RankingWeight = 1.5 }));
        StringAssert.Contains(e.Message, "RankingWeight");

        // Err mode reads grades as probabilities: the LTR sample's grades 0-4 are refused, naming a row.
        var err = ml.Ranking.Trainers.YetiRank(Small(new YetiRankRankingTrainer.Options { Mode = YetiRankMode.Err }));
        var data = Assert.ThrowsExactly<InvalidOperationException>(() => err.Fit(Ltr(ml, "rank.train")));
        StringAssert.Contains(data.Message, "Err");
        StringAssert.Contains(data.Message, "[0, 1]");
    }

    [TestMethod]
    public void Rcr_SavedAndLoadedInAFreshProcess_KeepsScoreAndProbability()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Ranking.Trainers.RegressionCompatibleRanking(Small(new RegressionCompatibleRankingTrainer.Options())).Fit(Ltr(ml, "rank.train"));
        FreshProcess.AssertSameOutputs(ml, model, Ltr(ml, "rank.test"), "Score", "Probability");
    }

    [TestMethod]
    public void CommittedRcrModelFile_StillLoads_AndReproducesScoreAndProbability()
        // Models/rcr-v2.zip: 20 trees on rank.train, BoostedRankingModel format version 2 (with the probability scale).
        => CommittedModels.AssertReproduces("rcr-v2",
            ml => ml.Ranking.Trainers.RegressionCompatibleRanking(Small(new RegressionCompatibleRankingTrainer.Options())).Fit(Ltr(ml, "rank.train")),
            "Score", "Probability");

    [TestMethod]
    public void YetiRank_AndRcr_PassTheConformanceChecks()
    {
        Check("YetiRank", ml => ml.Ranking.Trainers.YetiRank(Small(new YetiRankRankingTrainer.Options())),
            (ml, w) => { var o = Small(new YetiRankRankingTrainer.Options()); o.ExampleWeightColumnName = w; return ml.Ranking.Trainers.YetiRank(o); },
            ml => { var o = Small(new YetiRankRankingTrainer.Options()); return (ml.Ranking.Trainers.YetiRank(o), o); }, ["Score"]);
        Check("RegressionCompatibleRanking", ml => ml.Ranking.Trainers.RegressionCompatibleRanking(Small(new RegressionCompatibleRankingTrainer.Options())),
            (ml, w) => { var o = Small(new RegressionCompatibleRankingTrainer.Options()); o.ExampleWeightColumnName = w; return ml.Ranking.Trainers.RegressionCompatibleRanking(o); },
            ml => { var o = Small(new RegressionCompatibleRankingTrainer.Options()); return (ml.Ranking.Trainers.RegressionCompatibleRanking(o), o); },
            ["Score", "Probability"]);
    }

    private static void Check(string name, Func<MLContext, IEstimator<ITransformer>> estimator, Func<MLContext, string, IEstimator<ITransformer>> weighted,
        Func<MLContext, (IEstimator<ITransformer>, object)> withOptions, string[] outputs)
        => Conformance.Check(new ConformanceCase
        {
            Name = name,
            Estimator = estimator,
            WeightedEstimator = weighted,
            EstimatorWithOptions = withOptions,
            FitData = ml => ml.Data.TakeRows(Ltr(ml, "rank.train"), 1200),
            ApplyData = ml => ml.Data.TakeRows(Ltr(ml, "rank.test"), 200),
            GroupColumn = "GroupId",
            OutputColumns = outputs,
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Label"] = InvalidValueBehavior.Throws, ["Features"] = InvalidValueBehavior.Accepts },
            Skip = new Dictionary<string, string>
            {
                ["ZeroWeights"] = "LightGBM finds bin boundaries from every row, weight 0 included, so a zero-weight query changes the bins a dropped query would not",
            },
        });

    private static float[] Row(IDataView data, int row)
        => data.GetColumn<float[]>("Features").ElementAt(row);

    private static string Annotation(DataViewSchema.Column column, string name)
    {
        ReadOnlyMemory<char> value = default;
        column.Annotations.GetValue(name, ref value);
        return value.ToString();
    }

    private sealed class LabelRow
    {
        public float Label { get; set; }
    }

    private sealed class BinaryRow
    {
        public bool Relevant { get; set; }
    }
}
