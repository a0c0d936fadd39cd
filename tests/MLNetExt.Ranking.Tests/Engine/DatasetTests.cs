using MLNetExt.Data;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Tests.Support;

namespace MLNetExt.Ranking.Tests.Engine;

/// <summary>
/// Datasets built from row blocks (sampling pass + pushed rows) against LightGBM's own CreateFromMat / CreateFromCSR on
/// the same data and parameters: same bins per feature, and the same trees when LightGBM trains on them.
/// </summary>
[TestClass]
public sealed class DatasetTests
{
    private static void AssertSameBinsAndTrees(LtrData data, BoosterSettings settings, Func<LtrData, string, LightGbmDataset> reference,
        IRowBlockSource ours, int iterations = 15)
    {
        string parameters = settings.DatasetParameters();
        using var theirs = reference(data, parameters);
        using var mine = LightGbmDataset.Create(ours, data.Groups(), parameters);
        int differentBins = Enumerable.Range(0, data.FeatureCount).Count(f => theirs.BinCount(f) != mine.BinCount(f));
        Assert.AreEqual(0, differentBins, "features whose bin count differs");
        string a = RankingTestHelpers.TrainNative(theirs, settings, iterations);
        string b = RankingTestHelpers.TrainNative(mine, settings, iterations);
        Assert.AreEqual(RankingTestHelpers.TreeSection(a), RankingTestHelpers.TreeSection(b));
        // The model header's feature_infos (per-feature [min:max] from the bins) must agree as well.
        string Infos(string text) => text.Split('\n').First(l => l.StartsWith("feature_infos=", StringComparison.Ordinal));
        Assert.AreEqual(Infos(a), Infos(b));
    }

    [TestMethod]
    public void LtrSample_DenseBlocks_SameBinsAndTreesAsCreateFromMat()
    {
        var data = LtrData.LoadLtr("rank.train");
        AssertSameBinsAndTrees(data, new BoosterSettings { NumberOfThreads = 2 }, RankingTestHelpers.FromMat, data.DenseSource(blockRows: 97));
    }

    [TestMethod]
    public void LtrSample_SparseBlocks_SameBinsAndTreesAsCreateFromCsr()
    {
        var data = LtrData.LoadLtr("rank.train");
        AssertSameBinsAndTrees(data, new BoosterSettings { NumberOfThreads = 2 }, RankingTestHelpers.FromCsr, data.CsrSource(blockRows: 101));
    }

    [TestMethod]
    public void Sampled_WithMissingValuesAndZeros_SameBinsAndTreesAsCreateFromMat()
    {
        // 1,000 of ~6,000 rows sampled for the bin boundaries (LightGBM's sampler, seeded), NaN and exact zeros present,
        // 63 bins: exercises the sampling pass and the zero/NaN filtering of the sample.
        var data = Synthetic.Make(200, 10, 50, 8, seed: 21, missingRate: 0.1, zeroRate: 0.2);
        var settings = new BoosterSettings { NumberOfThreads = 2, BinConstructionSampleCount = 1000, MaximumBinCountPerFeature = 63, Seed = 9 };
        AssertSameBinsAndTrees(data, settings, RankingTestHelpers.FromMat, data.DenseSource(blockRows: 333));
        AssertSameBinsAndTrees(data, settings, RankingTestHelpers.FromMat, data.CsrSource(blockRows: 333));
    }

    [TestMethod]
    public void Validation_ReusesTrainingBins_ScoresEqualPrediction()
    {
        var train = LtrData.LoadLtr("rank.train");
        var test = LtrData.LoadLtr("rank.test");
        var settings = new BoosterSettings { NumberOfThreads = 2 };
        var validationScores = new List<double[]>();
        var result = RankingBoostingLoop.Train(train.DenseSet(), test.DenseSet(), new MLNetExt.Ranking.Objectives.LambdaMartObjective(), settings, new BoostingOptions
        {
            NumberOfIterations = 10,
            Metric = s => { validationScores.Add(s.ToArray()); return 0; },
        });
        // LightGBM's stored validation scores (binned with the training bins) equal predicting the raw rows.
        var expected = new double[test.RowCount];
        result.Model.ScoreAll(test.DenseSource(), expected);
        CollectionAssert.AreEqual(expected, validationScores[^1]);
    }

    [TestMethod]
    public void SourceWithWrongRowCount_ThrowsWithClearMessage()
    {
        var data = Synthetic.Make(5, 3, 3, 4, seed: 1);
        var groups = new QueryGroups(data.Labels[..12], [0, 3, 6, 9, 12]);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            LightGbmDataset.Create(data.DenseSource(), groups, new BoosterSettings().DatasetParameters()));
        StringAssert.Contains(e.Message, "15 rows");
        StringAssert.Contains(e.Message, "12 labels");
    }
}
