using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Ranking.Tests.Support;

namespace MLNetExt.Ranking.Tests.Engine;

/// <summary>
/// Our loop with the C# LambdaMART objective against LightGBM's native <c>objective=lambdarank</c> on the same dataset
/// and booster settings: every tree's text must be equal (so the models, scores and NDCG are equal too).
/// </summary>
[TestClass]
public sealed class LambdaMartParityTests
{
    private static void AssertSameTrees(LtrData train, LtrData test, BoosterSettings settings, int iterations)
    {
        using (var dataset = LightGbmDataset.Create(train.DenseSource(), train.Groups(), settings.DatasetParameters()))
        {
            string native = RankingTestHelpers.TrainNative(dataset, settings, iterations);
            var ours = RankingBoostingLoop.Train(train.DenseSet(), null, new LambdaMartObjective(), settings,
                new BoostingOptions { NumberOfIterations = iterations });
            Assert.AreEqual(iterations, ours.TreesGrown);
            string nativeTrees = RankingTestHelpers.TreeSection(native);
            string ourTrees = RankingTestHelpers.TreeSection(ours.ModelText);
            if (nativeTrees != ourTrees)
            {
                int at = Enumerable.Range(0, Math.Min(nativeTrees.Length, ourTrees.Length)).First(i => nativeTrees[i] != ourTrees[i]);
                int tree = nativeTrees[..at].Split("Tree=").Length - 2;
                Assert.Fail($"Trees differ from tree {tree} on (character {at}).");
            }

            // Same trees, so the same test scores and NDCG@10 (checked through the managed scorer and LightGBM's predictor).
            using var booster = LightGbmBooster.LoadText(native);
            double[] nativeScores = booster.PredictDense(test.Dense, test.RowCount, test.FeatureCount);
            var ourScores = new double[test.RowCount];
            ours.Model.ScoreAll(test.DenseSource(), ourScores);
            CollectionAssert.AreEqual(nativeScores, ourScores);
            double ndcgNative = RankingTestHelpers.MeanNdcg(nativeScores, test.Labels, test.GroupOffsets, 10);
            double ndcgOurs = RankingTestHelpers.MeanNdcg(ourScores, test.Labels, test.GroupOffsets, 10);
            Assert.AreEqual(ndcgNative, ndcgOurs, 0.0);
            Console.WriteLine($"test NDCG@10 native {ndcgNative:F6} ours {ndcgOurs:F6}");
        }
    }

    [TestMethod]
    public void LtrSample_100Trees_TreesBitIdenticalToNativeLambdarank()
    {
        var train = LtrData.LoadLtr("rank.train");
        var test = LtrData.LoadLtr("rank.test");
        AssertSameTrees(train, test, new BoosterSettings { NumberOfThreads = 2, Seed = 1 }, 100);
    }

    [TestMethod]
    public void Synthetic_WeightsBaggingFeatureFraction_TreesBitIdenticalToNativeLambdarank()
    {
        var train = Synthetic.Make(300, 2, 60, 12, seed: 11, weights: true);
        var test = Synthetic.Make(60, 2, 60, 12, seed: 12);
        var settings = new BoosterSettings
        {
            NumberOfThreads = 2, Seed = 5, NumberOfLeaves = 15, LearningRate = 0.2, MinimumExampleCountPerLeaf = 10,
            FeatureFraction = 0.8, BaggingFraction = 0.7, BaggingFrequency = 1, L2Regularization = 0.5,
        };
        AssertSameTrees(train, test, settings, 40);
    }
}
