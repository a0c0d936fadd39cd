using MLNetExt.Data;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Model;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Ranking.Tests.Support;

namespace MLNetExt.Ranking.Tests.Engine;

[TestClass]
public sealed class BoostingLoopTests
{
    private static readonly BoosterSettings Settings = new() { NumberOfThreads = 2, NumberOfLeaves = 7, MinimumExampleCountPerLeaf = 5 };

    /// <summary>LambdaMART gradients, then every leaf of tree t set to (k + 1) / 1000 times (+1 for even t, -1 for odd t).</summary>
    private sealed class FixedLeafObjective : IRankingObjective
    {
        private readonly LambdaMartObjective _inner = new();

        public List<double[]> ScoresSeen { get; } = [];
        public List<int[]> LeavesSeen { get; } = [];
        public List<double[]> NewtonValuesSeen { get; } = [];

        public string Name => "fixed-leaves";
        public bool RefinesLeafValues => true;

        public static double Value(int tree, int leaf) => (leaf + 1) / 1000.0 * (tree % 2 == 0 ? 1 : -1);

        public void Initialize(RankingObjectiveData data) => _inner.Initialize(data);

        public void GetGradients(int iteration, ReadOnlySpan<double> scores, Span<float> gradients, Span<float> hessians)
        {
            ScoresSeen.Add(scores.ToArray());
            _inner.GetGradients(iteration, scores, gradients, hessians);
        }

        public void RefineLeafValues(int iteration, ReadOnlySpan<int> leafOfRow, ReadOnlySpan<double> scores, Span<double> leafValues)
        {
            Assert.AreEqual(ScoresSeen[iteration].Length, scores.Length);
            LeavesSeen.Add(leafOfRow.ToArray());
            NewtonValuesSeen.Add(leafValues.ToArray());
            for (int k = 0; k < leafValues.Length; k++)
                leafValues[k] = Value(iteration, k);
        }
    }

    [TestMethod]
    public void RefinedLeafValues_ReachModelAndPrediction_AndTrainingContinuesFromTheRefinedScores()
    {
        var train = Synthetic.Make(120, 5, 30, 6, seed: 41);
        var valid = Synthetic.Make(30, 5, 30, 6, seed: 42);
        var objective = new FixedLeafObjective();
        var validationSeen = new List<double[]>();
        var result = RankingBoostingLoop.Train(train.DenseSet(), valid.DenseSet(), objective, Settings, new BoostingOptions
        {
            NumberOfIterations = 8,
            Metric = s => { validationSeen.Add(s.ToArray()); return 0; },
        });
        var model = result.Model;
        Assert.AreEqual(8, model.TreeCount);
        for (int t = 0; t < model.TreeCount; t++)
        {
            Assert.IsTrue(model.LeafCountOf(t) > 1);
            for (int k = 0; k < model.LeafCountOf(t); k++)
                Assert.AreEqual(FixedLeafObjective.Value(t, k), model.LeafValueOf(t, k), 0.0, $"tree {t} leaf {k}");
            // The Newton values LightGBM proposed were not ours (the hook really replaced something).
            Assert.IsFalse(objective.NewtonValuesSeen[t].SequenceEqual(Enumerable.Range(0, model.LeafCountOf(t)).Select(k => FixedLeafObjective.Value(t, k))));
        }
        for (int i = 0; i < train.RowCount; i++)
        {
            for (int t = 0; t < model.TreeCount; t++)
            {
                Assert.AreEqual(model.GetLeaf(t, train.Row(i)), objective.LeavesSeen[t][i], $"row {i} tree {t}: leaf given to the hook");
                // The scores the objective saw before tree t are the sum of the refined values of trees 0..t-1.
                Assert.AreEqual(model.Score(train.Row(i), 0, t), objective.ScoresSeen[t][i], 0.0, $"row {i}: scores before tree {t}");
            }
        }
        for (int i = 0; i < valid.RowCount; i++)
        {
            for (int t = 0; t < model.TreeCount; t++)
                Assert.AreEqual(model.Score(valid.Row(i), 0, t + 1), validationSeen[t][i], 0.0, $"validation row {i} after tree {t}");
        }
        // LightGBM's own predictor uses the refined values too.
        using var booster = LightGbmBooster.LoadText(result.ModelText);
        double[] lightGbm = booster.PredictDense(valid.Dense, valid.RowCount, valid.FeatureCount);
        for (int i = 0; i < valid.RowCount; i++)
            Assert.AreEqual(lightGbm[i], model.Score(valid.Row(i)), 0.0);
    }

    [TestMethod]
    public void LocateLeaves_EqualLeafValues_ResolvedByRoutingRowsThroughTheTree()
    {
        // Node 0: x <= 0.5 -> node 1, else leaf 0. Node 1: x <= 0.25 -> leaf 1, else leaf 2. Leaves 0 and 1 share 0.1.
        const string text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=0\n"
            + "feature_names=x\nfeature_infos=[0:1]\n\nTree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 0\nsplit_gain=1 1\n"
            + "threshold=0.5 0.25\ndecision_type=2 2\nleft_child=1 -2\nright_child=-1 -3\nleaf_value=0.1 0.1 -0.2\n"
            + "leaf_weight=1 1 1\nleaf_count=1 1 1\ninternal_value=0 0\ninternal_weight=0 0\ninternal_count=3 2\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";
        var tree = TreeEnsemble.ParseLightGbmText(text);
        float[] x = [0.9f, 0.4f, 0.1f];
        double[] before = [1.5, -0.25, 0.75];
        double[] after = [before[0] + 0.1, before[1] - 0.2, before[2] + 0.1];
        var leaves = new int[3];
        RankingBoostingLoop.LeafRefinement.Locate(tree, [0.1, 0.1, -0.2], before, after, leaves, new DenseArrayRowSource(x, 1));
        CollectionAssert.AreEqual(new[] { 0, 2, 1 }, leaves);
    }

    [TestMethod]
    public void SameSeed_SameModel_AndOneOrTwoThreads_SameModel()
    {
        var train = Synthetic.Make(100, 5, 40, 8, seed: 51);
        var settings = Settings with { FeatureFraction = 0.7, BaggingFraction = 0.6, BaggingFrequency = 1, Seed = 13 };
        string Run(BoosterSettings s) => RankingBoostingLoop.Train(train.DenseSet(), null, new LambdaMartObjective(), s,
            new BoostingOptions { NumberOfIterations = 15 }).ModelText;
        string a = RankingTestHelpers.TreeSection(Run(settings));
        Assert.AreEqual(a, RankingTestHelpers.TreeSection(Run(settings)), "same seed twice");
        Assert.AreEqual(a, RankingTestHelpers.TreeSection(Run(settings with { NumberOfThreads = 1 })), "one thread");
        Assert.AreNotEqual(a, RankingTestHelpers.TreeSection(Run(settings with { Seed = 14 })), "another seed draws other bags");
    }

    [TestMethod]
    public void EarlyStopping_KeepsTheBestPrefix()
    {
        var train = Synthetic.Make(80, 5, 30, 6, seed: 61);
        var valid = Synthetic.Make(20, 5, 30, 6, seed: 62);
        // A metric that peaks after 4 trees: 4 - |trees - 4|.
        int calls = 0;
        var progress = new List<BoostingProgress>();
        var result = RankingBoostingLoop.Train(train.DenseSet(), valid.DenseSet(), new LambdaMartObjective(), Settings, new BoostingOptions
        {
            NumberOfIterations = 50,
            Metric = _ => { calls++; return 4 - Math.Abs(calls - 4); },
            EarlyStoppingRounds = 3,
            ProgressInterval = 2,
            Progress = progress.Add,
        });
        Assert.IsTrue(result.StoppedEarly);
        Assert.AreEqual(7, result.TreesGrown, "4 best, then 3 without improvement");
        Assert.AreEqual(4, result.BestTrees);
        Assert.AreEqual(4, result.Model.TreeCount);
        CollectionAssert.AreEqual(new double[] { 1, 2, 3, 4, 3, 2, 1 }, result.MetricHistory);
        CollectionAssert.AreEqual(new[] { 2, 4, 6, 7 }, progress.Select(p => p.Trees).ToArray());
        Assert.AreEqual(4, progress[^1].BestTrees);
    }

    [TestMethod]
    public void EarlyStopping_OnValidationNdcg_LtrSample()
    {
        var train = LtrData.LoadLtr("rank.train");
        var test = LtrData.LoadLtr("rank.test");
        var result = RankingBoostingLoop.Train(train.DenseSet(), test.DenseSet(), new LambdaMartObjective(),
            new BoosterSettings { NumberOfThreads = 2, LearningRate = 0.3 }, new BoostingOptions
            {
                NumberOfIterations = 300,
                Metric = s => RankingTestHelpers.MeanNdcg(s, test.Labels, test.GroupOffsets, 10),
                EarlyStoppingRounds = 10,
            });
        Assert.IsTrue(result.StoppedEarly, "a learning rate of 0.3 overfits 201 queries well before 300 trees");
        int best = Array.IndexOf(result.MetricHistory, result.MetricHistory.Max()) + 1;
        Assert.AreEqual(best, result.BestTrees);
        Assert.AreEqual(best + 10, result.TreesGrown);
        var scores = new double[test.RowCount];
        result.Model.ScoreAll(test.DenseSource(), scores);
        Assert.AreEqual(result.MetricHistory.Max(), RankingTestHelpers.MeanNdcg(scores, test.Labels, test.GroupOffsets, 10), 0.0);
    }

    [TestMethod]
    public void Cancellation_BetweenIterations_ThrowsOperationCanceled()
    {
        var train = Synthetic.Make(60, 5, 20, 5, seed: 71);
        using var cts = new CancellationTokenSource();
        int trees = 0;
        Assert.ThrowsExactly<OperationCanceledException>(() => RankingBoostingLoop.Train(train.DenseSet(), null, new LambdaMartObjective(), Settings,
            new BoostingOptions
            {
                NumberOfIterations = 100,
                ProgressInterval = 1,
                Progress = p => { trees = p.Trees; if (p.Trees == 3) cts.Cancel(); },
                Cancellation = cts.Token,
            }));
        Assert.AreEqual(3, trees);
        Assert.ThrowsExactly<OperationCanceledException>(() => RankingBoostingLoop.Train(train.DenseSet(), null, new LambdaMartObjective(), Settings,
            new BoostingOptions { Cancellation = cts.Token }));
    }

    [TestMethod]
    public void LogLines_ArriveWhole_ThroughTheSink()
    {
        var train = Synthetic.Make(30, 5, 20, 5, seed: 81);
        var lines = new List<string>();
        RankingBoostingLoop.Train(train.DenseSet(), null, new LambdaMartObjective(), Settings with { Verbosity = 1 },
            new BoostingOptions { NumberOfIterations = 2, Log = lines.Add });
        Assert.IsTrue(lines.Count > 0);
        Assert.IsTrue(lines.All(l => l.StartsWith("[LightGBM] [", StringComparison.Ordinal) && !l.Contains('\n')), string.Join(" | ", lines));
        Assert.IsTrue(lines.Any(l => l.Contains("Total Bins", StringComparison.Ordinal)), string.Join(" | ", lines));
    }

    [TestMethod]
    public void FractionalLabels_Train()
    {
        var data = Synthetic.Make(60, 5, 20, 5, seed: 91);
        var labels = data.Labels.Select(l => l * 0.75f).ToArray(); // grades 0, 0.75, 1.5, 2.25, 3
        var set = new RankingDataSet(data.DenseSource(), new QueryGroups(labels, data.GroupOffsets));
        var result = RankingBoostingLoop.Train(set, null, new LambdaMartObjective(), Settings, new BoostingOptions { NumberOfIterations = 5 });
        Assert.AreEqual(5, result.Model.TreeCount);
    }
}
