using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;

namespace MLNetExt.Tests.Data;

[TestClass]
public sealed class ScorePruningTests
{
    private sealed class Row
    {
        public float Score { get; set; }

        [KeyType(3)]
        public uint Label { get; set; }                            // LoadFromEnumerable: 0-based class (key value Label + 1)

        public int Id { get; set; }
    }

    private static IDataView Data(MLContext mlContext, double[] scores, uint[]? labels = null)
        => mlContext.Data.LoadFromEnumerable(scores.Select((s, i) => new Row { Score = (float)s, Label = labels?[i] ?? 0, Id = i }).ToArray());

    private static int[] Ids(IDataView data) => data.GetColumn<int>("Id").ToArray();

    private static int[] Kept(BitArray mask) => Enumerable.Range(0, mask.Length).Where(i => mask[i]).ToArray();

    private static ScoreSelection.Settings Settings(double keep, double skip = 0, PruningStrategy strategy = PruningStrategy.Hardest, int strata = 50, int seed = 1)
        => new(keep, skip, strategy, strata, seed);

    // Spec oracle O15: scores [0.9, 0.1, 0.5, 0.7, 0.3, 0.8].
    private static readonly double[] O15 = [0.9, 0.1, 0.5, 0.7, 0.3, 0.8];

    [TestMethod]
    public void Hardest_SpecOracleO15_KeepsTheThreeHighest()
    {
        // Descending: rows 0 (0.9), 5 (0.8), 3 (0.7), 2 (0.5), 4 (0.3), 1 (0.1); keep 3 -> {0, 3, 5}.
        CollectionAssert.AreEqual(new[] { 0, 3, 5 }, Kept(ScoreSelection.Select(O15, null, Settings(0.5))));
    }

    [TestMethod]
    public void SkipHardest_SpecOracleO15_DropsTheHighestAndKeepsTheNextThree()
    {
        // The reference's ascending window offset = N - size - h = 6 - 3 - 1 = 2: rows {2, 3, 5}.
        CollectionAssert.AreEqual(new[] { 2, 3, 5 }, Kept(ScoreSelection.Select(O15, null, Settings(0.5, skip: 1.0 / 6))));
    }

    [TestMethod]
    public void Easiest_KeepsTheLowestScores()
        => CollectionAssert.AreEqual(new[] { 1, 2, 4 }, Kept(ScoreSelection.Select(O15, null, Settings(0.5, strategy: PruningStrategy.Easiest))));

    [TestMethod]
    public void Ties_AreBrokenByRowOrder_EarlierRowsFirst()
    {
        double[] scores = [1, 1, 1, 1, 0];
        CollectionAssert.AreEqual(new[] { 0, 1 }, Kept(ScoreSelection.Select(scores, null, Settings(0.4))));
        // Skipping the hardest also goes by row order: row 0 is skipped, rows 1 and 2 kept.
        CollectionAssert.AreEqual(new[] { 1, 2 }, Kept(ScoreSelection.Select(scores, null, Settings(0.4, skip: 0.2))));
        // Easiest among equal scores: row 4 (0), then the earliest of the ties, row 0.
        CollectionAssert.AreEqual(new[] { 0, 4 }, Kept(ScoreSelection.Select(scores, null, Settings(0.4, strategy: PruningStrategy.Easiest))));
    }

    [TestMethod]
    public void KeepFraction_ZeroKeepsNothing_OneKeepsEverything()
    {
        Assert.AreEqual(0, ScoreSelection.Count(ScoreSelection.Select(O15, null, Settings(0))));
        CollectionAssert.AreEqual(Enumerable.Range(0, 6).ToArray(), Kept(ScoreSelection.Select(O15, null, Settings(1))));
        var mlContext = new MLContext(seed: 1);
        Assert.AreEqual(0, Ids(mlContext.Data.PruneByScore(Data(mlContext, O15), "Score", keepFraction: 0)).Length);
        CollectionAssert.AreEqual(Enumerable.Range(0, 6).ToArray(), Ids(mlContext.Data.PruneByScore(Data(mlContext, O15), "Score", keepFraction: 1)));
    }

    [TestMethod]
    public void Counts_AreRoundedHalfAwayFromZero()
    {
        // 0.25 x 6 = 1.5 -> 2 rows; 0.75 x 6 = 4.5 -> 5 rows.
        Assert.AreEqual(2, ScoreSelection.Count(ScoreSelection.Select(O15, null, Settings(0.25))));
        Assert.AreEqual(5, ScoreSelection.Count(ScoreSelection.Select(O15, null, Settings(0.75))));
        // Skip 0.25 (2 rows: 0 and 5) and keep 0.75 (4.5 -> 5, but only 4 rows are left): the 4 that remain.
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, Kept(ScoreSelection.Select(O15, null, Settings(0.75, skip: 0.25))));
    }

    [TestMethod]
    public void SkipPlusKeepAboveOne_IsAnErrorNamingBothFractions()
    {
        var mlContext = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => mlContext.Data.PruneByScore(Data(mlContext, O15), "Score", keepFraction: 0.8, skipHardestFraction: 0.3));
        StringAssert.Contains(e.Message, "SkipHardestFraction");
        StringAssert.Contains(e.Message, "KeepFraction");
        StringAssert.Contains(e.Message, "0.3 + 0.8");
        var whole = Assert.Throws<ArgumentOutOfRangeException>(() => mlContext.Data.PruneByScore(Data(mlContext, O15), "Score", keepFraction: 0.5, skipHardestFraction: 1.5));
        StringAssert.Contains(whole.Message, "SkipHardestFraction");
        Assert.Throws<ArgumentOutOfRangeException>(() => mlContext.Data.PruneByScore(Data(mlContext, O15), "Score", keepFraction: -0.1));
    }

    [TestMethod]
    public void PruneByScore_KeepsRowsInTheirOrder_AndEveryColumn()
    {
        var mlContext = new MLContext(seed: 1);
        var pruned = mlContext.Data.PruneByScore(Data(mlContext, O15), "Score", keepFraction: 0.5, skipHardestFraction: 1.0 / 6);
        CollectionAssert.AreEqual(new[] { 2, 3, 5 }, Ids(pruned));
        CollectionAssert.AreEqual(new[] { 0.5f, 0.7f, 0.8f }, pruned.GetColumn<float>("Score").ToArray());
        Assert.AreEqual(3L, pruned.GetRowCount());
    }

    [TestMethod]
    public void ClassBalanced_KeepsEachClassItsShare_ByLargestRemainders()
    {
        // Class 0: rows 0-5 (6 rows), class 1: rows 6-9 (4 rows). Keep 0.5 of 10 = 5: quotas 3 and 2, each class's
        // hardest. Scores rise with the row index inside each class.
        double[] scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.91, 0.92, 0.93, 0.94];
        int[] classes = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
        CollectionAssert.AreEqual(new[] { 3, 4, 5, 8, 9 }, Kept(ScoreSelection.Select(scores, classes, Settings(0.5))));
        // Without balance the 5 highest are the 4 of class 1 and row 5.
        CollectionAssert.AreEqual(new[] { 5, 6, 7, 8, 9 }, Kept(ScoreSelection.Select(scores, null, Settings(0.5))));
        // Keep 0.3 of 10 = 3: quotas 1.8 and 1.2 -> floors 1 and 1, the remainder to class 0 (0.8 > 0.2): 2 and 1.
        CollectionAssert.AreEqual(new[] { 4, 5, 9 }, Kept(ScoreSelection.Select(scores, classes, Settings(0.3))));
        // Skip 0.2 (2 rows: quotas 1.2 and 0.8 -> 1 and 1), keep 0.3 (2 and 1): class 0 drops row 5, class 1 drops row 9.
        CollectionAssert.AreEqual(new[] { 3, 4, 8 }, Kept(ScoreSelection.Select(scores, classes, Settings(0.3, skip: 0.2))));
    }

    [TestMethod]
    public void ClassBalanced_ThroughTheCatalog_ReadsAKeyLabel()
    {
        var mlContext = new MLContext(seed: 1);
        double[] scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.91, 0.92, 0.93, 0.94];
        uint[] labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
        var pruned = mlContext.Data.PruneByScore(Data(mlContext, scores, labels), "Score", keepFraction: 0.5, classBalanced: true);
        CollectionAssert.AreEqual(new[] { 3, 4, 5, 8, 9 }, Ids(pruned));
    }

    [TestMethod]
    public void Random_IsDeterministicPerSeed_AndIgnoresTheScores()
    {
        var scores = Enumerable.Range(0, 100).Select(i => (double)(i % 7)).ToArray();
        var a = Kept(ScoreSelection.Select(scores, null, Settings(0.3, strategy: PruningStrategy.Random, seed: 5)));
        var b = Kept(ScoreSelection.Select(scores, null, Settings(0.3, strategy: PruningStrategy.Random, seed: 5)));
        var c = Kept(ScoreSelection.Select(scores, null, Settings(0.3, strategy: PruningStrategy.Random, seed: 6)));
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, c);
        Assert.AreEqual(30, a.Length);
        // Reversing the scores does not change a random draw.
        var reversed = scores.Select(s => 10 - s).ToArray();
        CollectionAssert.AreEqual(a, Kept(ScoreSelection.Select(reversed, null, Settings(0.3, strategy: PruningStrategy.Random, seed: 5))));
    }

    [TestMethod]
    public void Stratified_SharesTheBudgetFromTheSmallestStratum()
    {
        // Two strata over [0, 1]: [0, 0.5) holds rows 0-1 (2 rows), [0.5, 1] rows 2-9 (8 rows). Budget 6: the small
        // stratum takes min(2, 6 / 2) = 2, the large one the remaining 4 (drawn at random from its 8).
        double[] scores = [0.0, 0.1, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0];
        var kept = Kept(ScoreSelection.Select(scores, null, Settings(0.6, strategy: PruningStrategy.Stratified, strata: 2)));
        Assert.AreEqual(6, kept.Length);
        Assert.IsTrue(kept.Contains(0) && kept.Contains(1), string.Join(",", kept));
        // Budget 2: each stratum gets min(size, 2 / 2) = 1.
        var small = Kept(ScoreSelection.Select(scores, null, Settings(0.2, strategy: PruningStrategy.Stratified, strata: 2)));
        Assert.AreEqual(1, small.Count(r => r < 2), string.Join(",", small));
        Assert.AreEqual(1, small.Count(r => r >= 2), string.Join(",", small));
        // Hard-only selection with the same budget takes none of the low stratum.
        Assert.AreEqual(0, Kept(ScoreSelection.Select(scores, null, Settings(0.6))).Count(r => r < 2));
    }

    [TestMethod]
    public void Apportion_GivesTheRemainderToTheLargestFractions_WithinCapacity()
    {
        // 7 over sizes 5, 3, 2 (total 10): quotas 3.5, 2.1, 1.4 -> floors 3, 2, 1, the last unit to group 0 (0.5).
        CollectionAssert.AreEqual(new[] { 4, 2, 1 }, ScoreSelection.Apportion(7, [5, 3, 2], [5, 3, 2]));
        // Capacity 3 for group 0: it stays at 3 and the unit goes to the next largest remainder, group 2 (0.4).
        CollectionAssert.AreEqual(new[] { 3, 2, 2 }, ScoreSelection.Apportion(7, [5, 3, 2], [3, 3, 2]));
    }

    [TestMethod]
    public void NaNScore_IsAnErrorNamingTheColumnAndRow()
    {
        var mlContext = new MLContext(seed: 1);
        var e = Assert.Throws<InvalidOperationException>(() => mlContext.Data.PruneByScore(Data(mlContext, [0.1, double.NaN, 0.3]), "Score", keepFraction: 0.5));
        StringAssert.Contains(e.Message, "'Score'");
        StringAssert.Contains(e.Message, "row 1");
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => mlContext.Data.PruneByScore(Data(mlContext, O15), "EL2N", keepFraction: 0.5));
        StringAssert.Contains(missing.Message, "'EL2N'");
    }

    [TestMethod]
    public void EmptyData_GivesAnEmptySelection()
    {
        var mlContext = new MLContext(seed: 1);
        Assert.AreEqual(0, Ids(mlContext.Data.PruneByScore(Data(mlContext, []), "Score", keepFraction: 0.5)).Length);
    }
}
