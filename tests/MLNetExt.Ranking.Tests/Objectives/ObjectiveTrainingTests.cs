using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;
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
