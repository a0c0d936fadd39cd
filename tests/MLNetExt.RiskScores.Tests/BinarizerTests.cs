using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.RiskScores.Tests;

/// <summary>The threshold binariser: thresholds, slot names, kept binary slots, missing values, and a score card on its output.</summary>
[TestClass]
public sealed class BinarizerTests
{
    private sealed class Raw
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private static IDataView Data(MLContext ml, float? replaceRow3 = null)
    {
        // Slot 0: ages 20..65 in steps of 5; slot 1: binary; slot 2: constant 4.
        var rows = Enumerable.Range(0, 10).Select(i => new Raw
        {
            Features = [i == 3 && replaceRow3 is { } v ? v : 20 + 5 * i, i % 2, 4],
            Label = i >= 5,
        });
        return RiskScoreTestData.WithSlotNames(ml, ml.Data.LoadFromEnumerable(rows), ["Age", "Smoker", "Constant"]);
    }

    [TestMethod]
    public void Thresholds_AreTheDistinctValuesAboveTheSmallest_WithReadableNames()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        var transformer = ml.Transforms.BinarizeByThresholds("Binary", "Features").Fit(data);
        // Age: 25, 30, ..., 65 (nine thresholds; 20 is always reached); Smoker kept; Constant has no indicator.
        var expected = Enumerable.Range(1, 9).Select(i => $"Age >= {20 + 5 * i}").Append("Smoker").ToArray();
        CollectionAssert.AreEqual(expected, transformer.SlotNames.ToArray());
        var output = transformer.Transform(data);
        var column = output.Schema["Binary"];
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.Annotations.GetValue("SlotNames", ref names);
        CollectionAssert.AreEqual(expected, names.DenseValues().Select(n => n.ToString()).ToArray());
        var rows = output.GetColumn<float[]>("Binary").ToArray();
        // Row 2 is age 30, not a smoker: Age >= 25 and >= 30 are 1, the rest 0.
        CollectionAssert.AreEqual(new float[] { 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, rows[2]);
        CollectionAssert.AreEqual(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, rows[9]);
    }

    [TestMethod]
    public void MaximumThresholds_PicksEvenlyByRank()
    {
        var ml = new MLContext(seed: 1);
        var transformer = ml.Transforms.BinarizeByThresholds("Binary", "Features", maximumThresholdsPerFeature: 3).Fit(Data(ml));
        // Nine candidates 25..65; three evenly by rank: ranks round(q * 9 / 4) for q = 1..3 (halves up) = 2, 5, 7 (1-based): 30, 45, 55.
        CollectionAssert.AreEqual(new[] { "Age >= 30", "Age >= 45", "Age >= 55", "Smoker" }, transformer.SlotNames.ToArray());
    }

    [TestMethod]
    public void Missing_AddsAnIndicator_AndInfinityIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var transformer = ml.Transforms.BinarizeByThresholds("Binary", "Features").Fit(Data(ml, float.NaN));
        // Age 35 (row 3) is missing: eight thresholds 25, 30, 40, ..., 65, then the missing indicator, then Smoker.
        Assert.AreEqual("Age >= 40", transformer.SlotNames[2]);
        Assert.AreEqual("Age is missing", transformer.SlotNames[8]);
        Assert.AreEqual("Smoker", transformer.SlotNames[9]);
        var rows = transformer.Transform(Data(ml, float.NaN)).GetColumn<float[]>("Binary").ToArray();
        Assert.AreEqual(1, rows[3][8]);
        Assert.AreEqual(0, rows[3].Take(8).Sum(), "a missing age reaches no threshold");
        Assert.AreEqual(0, rows[4][8]);
        var e = Assert.Throws<InvalidOperationException>(() => ml.Transforms.BinarizeByThresholds("Binary", "Features").Fit(Data(ml, float.PositiveInfinity)));
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "row 3");
    }

    [TestMethod]
    public void ScoreCard_OnBinarisedBreastcancer_NamesThresholds()
    {
        var ml = new MLContext(seed: 1);
        var data = RiskScoreTestData.Load(ml, "breastcancer");
        var pipeline = ml.Transforms.BinarizeByThresholds("Features").Append(ml.BinaryClassification.Trainers.RiskScore());
        var model = pipeline.Fit(data);
        var card = model.LastTransformer.Model.ToScoreCard();
        StringAssert.Contains(card, " >= ");
        Assert.IsTrue(model.LastTransformer.Model.Points.All(p => p.Feature.Contains(" >= ", StringComparison.Ordinal)), card);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(data));
        Assert.IsTrue(metrics.AreaUnderRocCurve > 0.98, $"AUC {metrics.AreaUnderRocCurve}\n{card}");
    }
}
