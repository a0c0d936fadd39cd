using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Ranking.Model;
using MLNetExt.Ranking.Tests.Support;

namespace MLNetExt.Ranking.Tests.Objectives;

/// <summary>The objectives trained through <see cref="RankingBoostingLoop"/> on LightGBM's LTR sample (data/ltr).</summary>
[TestClass]
public sealed class ObjectiveTrainingTests
{
    private static readonly Lazy<(LtrData Train, LtrData Test)> Ltr = new(() => (LtrData.LoadLtr("rank.train"), LtrData.LoadLtr("rank.test")));

    // LightGBM's defaults (31 leaves, lr 0.1, min 20 rows per leaf), 100 trees, 2 threads, seed 1.
    private static readonly BoosterSettings Settings = new() { NumberOfThreads = 2, Seed = 1 };

    private static double TestNdcg10(BoostingResult result, LtrData test)
    {
        var scores = new double[test.RowCount];
        result.Model.ScoreAll(test.DenseSource(), scores);
        return RankingTestHelpers.MeanNdcg(scores, test.Labels, test.GroupOffsets, 10);
    }

    private static BoostingResult Train(IRankingObjective objective, int trees = 100)
        => RankingBoostingLoop.Train(Ltr.Value.Train.DenseSet(), null, objective, Settings, new BoostingOptions { NumberOfIterations = trees });

    private static IRankingObjective Make(string name) => name switch
    {
        "YetiRank" => new YetiRankObjective(),
        "YetiRank Ndcg@10" => new YetiRankObjective(new YetiRankSettings { Mode = YetiRankMode.Ndcg, Top = 10, NumberOfNeighbors = -1 }),
        "YetiRankPairwise" => new YetiRankPairwiseObjective(),
        "RCR" => new RcrObjective(),
        _ => new LambdaMartObjective(),
    };

    [TestMethod]
    [DataRow("YetiRank")]
    [DataRow("YetiRank Ndcg@10")]
    [DataRow("YetiRankPairwise")]
    [DataRow("RCR")]
    [DataRow("LambdaMART")]
    public void LtrSample_Learns_NdcgAt10WellAboveAConstantScore(string name)
    {
        var objective = Make(name);
        var test = Ltr.Value.Test;
        // A constant score ranks every test query in file order (stable ties).
        double constant = RankingTestHelpers.MeanNdcg(new double[test.RowCount], test.Labels, test.GroupOffsets, 10);
        var result = Train(objective);
        double ndcg = TestNdcg10(result, test);
        Console.WriteLine($"{name}: NDCG@10 {ndcg:F4} (constant score {constant:F4}), {result.TreesGrown} trees, objective {result.ObjectiveTime.TotalSeconds:F2} s");
        Assert.AreEqual(100, result.TreesGrown, name);
        Assert.IsTrue(ndcg > constant + 0.1, $"{name}: NDCG@10 {ndcg} vs constant {constant}");
    }

    [TestMethod]
    public void YetiRankPairwise_HookSetsEveryTree_LeafValuesMeanCentred()
    {
        var objective = new YetiRankPairwiseObjective();
        var result = Train(objective, trees: 30);
        Assert.AreEqual(30, result.TreesGrown);
        Assert.AreEqual(30, objective.SolvedTrees, "every tree's leaves came from the pairwise system");
        Assert.AreEqual(0, objective.FallbackCount);
        var model = result.Model;
        for (int t = 0; t < model.TreeCount; t++)
        {
            // The solver mean-centres its solution; LightGBM's Newton values are not centred.
            double sum = 0, largest = 0;
            for (int k = 0; k < model.LeafCountOf(t); k++)
            {
                sum += model.LeafValueOf(t, k);
                largest = Math.Max(largest, Math.Abs(model.LeafValueOf(t, k)));
            }
            Assert.IsTrue(largest > 0, $"tree {t}");
            Assert.AreEqual(0.0, sum, 1e-12 * largest * model.LeafCountOf(t), $"tree {t}: leaf values sum");
        }
    }

    [TestMethod]
    public void YetiRankPairwise_ManyDocumentsPerQuery_KeepsNewtonScaleAndLearnsAsYetiRank()
    {
        // Queries of 50-150 documents, as MSLR. With the Laplacian of the pair weights (CatBoost's Gradient method) the
        // leaf values came out 5-6 times smaller than LightGBM's Newton values, so at the same learning rate and tree
        // count YetiRankPairwise stayed far from fitted (bench synth1k NDCG@10 0.629 against YetiRank's 0.799).
        var data = Synthetic.Make(80, 50, 150, 10, seed: 41);
        const int trees = 30;
        (double Ndcg, TreeEnsemble Model) Fit(IRankingObjective objective)
        {
            var result = RankingBoostingLoop.Train(data.DenseSet(), null, objective, Settings, new BoostingOptions { NumberOfIterations = trees });
            var scores = new double[data.RowCount];
            result.Model.ScoreAll(data.DenseSource(), scores);
            return (RankingTestHelpers.MeanNdcg(scores, data.Labels, data.GroupOffsets, 10), result.Model);
        }
        var (yetiNdcg, yeti) = Fit(new YetiRankObjective());
        var (pairNdcg, pair) = Fit(new YetiRankPairwiseObjective());
        var (gradientNdcg, gradient) = Fit(new YetiRankPairwiseObjective(null, new PairwiseLeafSettings { Method = YetiRankPairwiseLeafMethod.Gradient }));
        double constant = RankingTestHelpers.MeanNdcg(new double[data.RowCount], data.Labels, data.GroupOffsets, 10);

        // Tree 0 has the same structure in all three (same gradients); compare the spread of its leaf values.
        static double CentredRms(TreeEnsemble model)
        {
            int m = model.LeafCountOf(0);
            double mean = 0, squares = 0;
            for (int k = 0; k < m; k++)
                mean += model.LeafValueOf(0, k) / m;
            for (int k = 0; k < m; k++)
                squares += (model.LeafValueOf(0, k) - mean) * (model.LeafValueOf(0, k) - mean);
            return Math.Sqrt(squares / m);
        }
        double newtonRatio = CentredRms(pair) / CentredRms(yeti), gradientRatio = CentredRms(gradient) / CentredRms(yeti);
        Console.WriteLine($"train NDCG@10 after {trees} trees: YetiRank {yetiNdcg:F4}, YetiRankPairwise {pairNdcg:F4} (Gradient {gradientNdcg:F4}), " +
            $"constant {constant:F4}; tree 0 leaf spread / LightGBM's: {newtonRatio:F3} (Gradient {gradientRatio:F3})");

        // Measured: spread ratio 0.610 (Gradient 0.163); NDCG@10 0.9961 / 0.9864 (Gradient 0.9499), constant 0.4106, so
        // YetiRankPairwise has 98.3% of YetiRank's gain over the constant score (Gradient 92.1%). The Newton system is
        // the joint Newton step, which LightGBM's per-leaf values overshoot for pairs across leaves (two leaves that
        // share one pair each take that pair's whole step): a ratio below 1 is expected, 1/6 is not.
        Assert.IsTrue(newtonRatio > 0.4 && newtonRatio < 1.5, $"tree 0 leaf spread / LightGBM's Newton values: {newtonRatio}");
        Assert.IsTrue(pairNdcg - constant >= 0.95 * (yetiNdcg - constant), $"YetiRankPairwise {pairNdcg} vs YetiRank {yetiNdcg} (constant {constant})");
        // The test tells the two apart: CatBoost's Gradient method fails both checks.
        Assert.IsTrue(gradientRatio < 0.4, $"Gradient: tree 0 leaf spread ratio {gradientRatio}");
        Assert.IsTrue(gradientNdcg - constant < 0.95 * (yetiNdcg - constant), $"Gradient: {gradientNdcg} vs YetiRank {yetiNdcg}");
    }

    [TestMethod]
    public void Training_OneOrTwoThreads_SameModel()
    {
        var train = Synthetic.Make(150, 2, 40, 6, seed: 31);
        foreach (Func<IRankingObjective> make in new Func<IRankingObjective>[]
        {
            () => new YetiRankObjective(),
            () => new YetiRankPairwiseObjective(new YetiRankSettings { Mode = YetiRankMode.Ndcg, Top = 5 }),
            () => new RcrObjective(),
        })
        {
            string Run(int threads) => RankingTestHelpers.TreeSection(RankingBoostingLoop.Train(train.DenseSet(), null, make(),
                new BoosterSettings { NumberOfThreads = threads, NumberOfLeaves = 7, MinimumExampleCountPerLeaf = 5, Seed = 4 },
                new BoostingOptions { NumberOfIterations = 12 }).ModelText);
            string one = Run(1);
            Assert.AreEqual(one, Run(2), make().Name);
        }
    }
}
