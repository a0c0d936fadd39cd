using MLNetExt.Data;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Ranking.Tests.Support;

namespace MLNetExt.Ranking.Tests.Engine;

[TestClass]
public sealed class BadInputTests
{
    [TestMethod]
    public void EmptyGroup_IsRefusedNamingTheGroup()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new QueryGroups([1, 0, 2, 1, 0], [0, 2, 2, 5]));
        StringAssert.Contains(e.Message, "Group 1 is empty");
    }

    [TestMethod]
    public void NaNLabel_IsRefusedNamingTheRow()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new QueryGroups([1, 0, 2, float.NaN, 0], [0, 2, 5]));
        StringAssert.Contains(e.Message, "Label at row 3 is NaN");
    }

    [TestMethod]
    public void NegativeWeight_IsRefusedNamingTheRow()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new QueryGroups([1, 0, 2], [0, 3], [1, -1, 1]));
        StringAssert.Contains(e.Message, "Weight at row 1 is -1");
    }

    [TestMethod]
    public void GroupOffsetsNotCoveringRows_AreRefusedWithBothCounts()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new QueryGroups([1, 0, 2, 1, 0], [0, 2, 4]));
        StringAssert.Contains(e.Message, "end at row 4");
        StringAssert.Contains(e.Message, "5 rows");
        e = Assert.ThrowsExactly<InvalidOperationException>(() => new QueryGroups([1, 0, 2], [1, 3]));
        StringAssert.Contains(e.Message, "start at row 0");
    }

    [TestMethod]
    public void FeatureRowsDifferFromLabels_IsRefused()
    {
        var data = Synthetic.Make(4, 3, 3, 5, seed: 1);
        var set = new RankingDataSet(data.DenseSource(), new QueryGroups(data.Labels[..9], [0, 3, 6, 9]));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            RankingBoostingLoop.Train(set, null, new LambdaMartObjective(), new BoosterSettings(), new BoostingOptions()));
        StringAssert.Contains(e.Message, "12 rows");
        StringAssert.Contains(e.Message, "9 labels");
    }

    [TestMethod]
    public void BadOptions_AreRefusedNamingTheOption()
    {
        var data = Synthetic.Make(4, 3, 3, 5, seed: 1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RankingBoostingLoop.Train(data.DenseSet(), null, new LambdaMartObjective(),
            new BoosterSettings { NumberOfLeaves = 1 }, new BoostingOptions()));
        Assert.AreEqual(nameof(BoosterSettings.NumberOfLeaves), e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RankingBoostingLoop.Train(data.DenseSet(), null, new LambdaMartObjective(),
            new BoosterSettings(), new BoostingOptions { EarlyStoppingRounds = 5 }));
        Assert.AreEqual(nameof(BoostingOptions.EarlyStoppingRounds), e.ParamName);
    }

    [TestMethod]
    public void SparseSource_UnsortedIndices_AreRefusedNamingTheRow()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new CsrArrayRowSource([0, 2, 4], [0, 3, 2, 1], [1, 1, 1, 1], 4));
        StringAssert.Contains(e.Message, "Row 1");
    }
}
