using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;

namespace MLNetExt.Tests.Ranking;

/// <summary><c>DataViewColumnReader.AddRelevanceLabel</c> and <c>RankingGroupStatistics</c>, which trainers use too.</summary>
[TestClass]
public sealed class RelevanceLabelAndGroupTests
{
    private sealed class Row
    {
        public float Grade { get; set; }

        public double DoubleGrade { get; set; }

        public int IntGrade { get; set; }

        public string Text { get; set; } = "";
    }

    private static IDataView View(MLContext mlContext, params Row[] rows) => mlContext.Data.LoadFromEnumerable(rows);

    [TestMethod]
    public void RelevanceLabel_ReadsSingleDoubleIntegerAndKeyGrades()
    {
        var mlContext = new MLContext(seed: 1);
        var data = View(mlContext,
            new Row { Grade = 0.5f, DoubleGrade = 2.25, IntGrade = 3 },
            new Row { Grade = 4, DoubleGrade = 0, IntGrade = 0 },
            new Row { Grade = 0, DoubleGrade = 1, IntGrade = 1 });
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Key", "IntGrade",
            keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(data).Transform(data);
        var reader = new DataViewColumnReader(keyed, "Test");
        var single = reader.AddRelevanceLabel("Grade", "label");
        var dbl = reader.AddRelevanceLabel("DoubleGrade", "label");
        var integer = reader.AddRelevanceLabel("IntGrade", "label");
        var key = reader.AddRelevanceLabel("Key", "label");
        reader.Read();
        CollectionAssert.AreEqual(new[] { 0.5f, 4, 0 }, single.Values);
        CollectionAssert.AreEqual(new[] { 2.25f, 0, 1 }, dbl.Values);
        CollectionAssert.AreEqual(new[] { 3f, 0, 1 }, integer.Values);
        // Key values by value order: 0 -> key 1, 1 -> key 2, 3 -> key 3; grade = key value - 1.
        CollectionAssert.AreEqual(new[] { 2f, 0, 1 }, key.Values);
        Assert.IsTrue(key.IsKey);
        Assert.AreEqual(4, single.MaximumGrade);
    }

    [TestMethod]
    public void RelevanceLabel_BadValuesAndTypes_NameColumnRowAndValue()
    {
        var mlContext = new MLContext(seed: 1);
        foreach (var (bad, shown) in new[] { (double.NaN, "NaN"), (-1.0, "-1"), (double.PositiveInfinity, "∞"), (1e300, "1E+300") })
        {
            var reader = new DataViewColumnReader(View(mlContext, new Row { DoubleGrade = 1 }, new Row { DoubleGrade = bad }), "Trainer");
            reader.AddRelevanceLabel("DoubleGrade", "label");
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => reader.Read());
            StringAssert.Contains(e.Message, "Label column 'DoubleGrade' has ");
            StringAssert.Contains(e.Message, " at row 1; Trainer expects a relevance grade: a finite number >= 0.");
            if (bad != double.PositiveInfinity)
                StringAssert.Contains(e.Message, shown);
        }
        var t = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DataViewColumnReader(View(mlContext, new Row()), "Trainer").AddRelevanceLabel("Text", "label"));
        StringAssert.Contains(t.Message, "Schema mismatch for label column 'Text': expected Single, Double or a key type (relevance grades), got ");
    }

    [TestMethod]
    public void GroupStatistics_CountOneDocumentAndAllEqualGroups_WithFirstIds()
    {
        // Groups: [1 doc], [2, 2], [0, 1], [3 docs of 0], [1 doc], [4, 4, 4, 4], [1 doc].
        float[] labels = [1, 2, 2, 0, 1, 0, 0, 0, 0, 4, 4, 4, 4, 3];
        int[] offsets = [0, 1, 3, 5, 8, 9, 13, 14];
        long[] ids = [10, 11, 12, 13, 14, 15, 16];
        var stats = RankingGroupStatistics.Compute(labels, offsets, ids, exampleCount: 2);
        Assert.AreEqual(7, stats.GroupCount);
        Assert.AreEqual(1, stats.MinimumSize);
        Assert.AreEqual(4, stats.MaximumSize);
        Assert.AreEqual(3, stats.SingleDocumentGroupCount);
        CollectionAssert.AreEqual(new long[] { 10, 14 }, stats.SingleDocumentExamples.ToArray());
        Assert.AreEqual(3, stats.AllEqualLabelGroupCount);
        CollectionAssert.AreEqual(new long[] { 11, 13 }, stats.AllEqualLabelExamples.ToArray());
        Assert.AreEqual("3 of 7 groups have one document (groups 10, 14, ...)", stats.DescribeSingleDocumentGroups());
        Assert.AreEqual("3 of 7 groups of two or more documents have all labels equal (groups 11, 13, ...)", stats.DescribeAllEqualLabelGroups());
        var byIndex = RankingGroupStatistics.Compute(labels, offsets);
        CollectionAssert.AreEqual(new long[] { 0, 4, 6 }, byIndex.SingleDocumentExamples.ToArray());

        // Logged as one information line and one warning per non-zero count, through ML.NET's log.
        var mlContext = new MLContext(seed: 1);
        var lines = new List<string>();
        mlContext.Log += (_, e) => { lock (lines) lines.Add(e.Message); };
        using (var channel = new ComponentChannel(MLNetBridge.GetEnvironment(mlContext.Ranking), "Trainer", "Fit"))
            stats.Log(channel, "they contribute no gradient");
        Assert.IsTrue(lines.Any(l => l.Contains("7 groups of 1 to 4 documents.")), string.Join("\n", lines));
        Assert.IsTrue(lines.Any(l => l.Contains("3 of 7 groups have one document (groups 10, 14, ...): no pair of documents to order; they contribute no gradient.")));
        Assert.IsTrue(lines.Any(l => l.Contains("all labels equal (groups 11, 13, ...): no pair of documents to order")));
        Assert.IsNull(RankingGroupStatistics.Compute([1f, 2f], [0, 2]).DescribeSingleDocumentGroups());
    }
}
