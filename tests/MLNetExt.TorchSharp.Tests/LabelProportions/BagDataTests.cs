using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;

namespace MLNetExt.TorchSharp.Tests.LabelProportions;

/// <summary><c>mlContext.Data.MakeBags</c>, <c>CheckBags</c> and the bag reader every label-proportion trainer uses.</summary>
[TestClass]
public sealed class BagDataTests
{
    internal sealed class LabelledRow
    {
        public bool Label { get; set; }

        public float X { get; set; }

        public string Group { get; set; } = "";
    }

    internal sealed class BagRow
    {
        public string BagId { get; set; } = "";

        public float BagProportion { get; set; }

        public bool Label { get; set; }
    }

    private static IDataView Labelled(MLContext mlContext, int n, int seed = 1)
    {
        var random = new Random(seed);
        return mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, n).Select(i =>
        {
            float x = (float)random.NextDouble();
            return new LabelledRow { X = x, Label = random.NextDouble() < x, Group = $"g{i % 3}" };
        }).ToList());
    }

    private static (uint[] Ids, float[] Proportions, bool[] Labels, float[] X) Read(IDataView bagged)
        => (bagged.GetColumn<uint>("BagId").ToArray(), bagged.GetColumn<float>("BagProportion").ToArray(),
            bagged.GetColumn<bool>("Label").ToArray(), bagged.GetColumn<float>("X").ToArray());

    [TestMethod]
    public void MakeBags_Random_CutsFloorNOverKBagsOfBalancedSizes_WithTheirLabelFractions()
    {
        var mlContext = new MLContext(seed: 1);
        var (ids, proportions, labels, _) = Read(mlContext.Data.MakeBags(Labelled(mlContext, 10), bagSize: 3, seed: 5));
        // 10 rows, bag size 3: floor(10 / 3) = 3 bags of 4, 3 and 3 rows (every bag has at least 3).
        var sizes = ids.GroupBy(id => id).Select(g => g.Count()).OrderByDescending(c => c).ToArray();
        CollectionAssert.AreEqual(new[] { 4, 3, 3 }, sizes);
        foreach (var bag in ids.Select((id, row) => (id, row)).GroupBy(x => x.id))
        {
            double fraction = bag.Average(x => labels[x.row] ? 1.0 : 0.0);
            foreach (var (_, row) in bag)
                Assert.AreEqual((float)fraction, proportions[row], $"bag {bag.Key}");
        }
        var schema = mlContext.Data.MakeBags(Labelled(mlContext, 10), bagSize: 3, seed: 5).Schema;
        Assert.AreEqual(3UL, ((KeyDataViewType)schema["BagId"].Type).Count);
        Assert.AreEqual(NumberDataViewType.Single, schema["BagProportion"].Type);
    }

    [TestMethod]
    public void MakeBags_SameSeed_SameBags_AnotherSeed_OtherBags()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Labelled(mlContext, 40);
        uint[] Ids(int seed) => mlContext.Data.MakeBags(data, 8, seed: seed).GetColumn<uint>("BagId").ToArray();
        CollectionAssert.AreEqual(Ids(3), Ids(3));
        CollectionAssert.AreNotEqual(Ids(3), Ids(4));
        // Bags of 1 and a bag as large as the data.
        Assert.AreEqual(40, Ids2(1).Distinct().Count());
        Assert.AreEqual(1, Ids2(100).Distinct().Count());
        uint[] Ids2(int size) => mlContext.Data.MakeBags(data, size, seed: 3).GetColumn<uint>("BagId").ToArray();
    }

    [TestMethod]
    public void MakeBags_SortedByColumn_BagsHoldConsecutiveValues()
    {
        var mlContext = new MLContext(seed: 1);
        var (ids, _, _, x) = Read(mlContext.Data.MakeBags(Labelled(mlContext, 30), 5, seed: 2, BagStrategy.SortedByColumn, "X"));
        // 6 bags of 5: every value of bag i is below every value of bag j > i (keys follow the sorted order).
        var ranges = ids.Select((id, row) => (id, x: x[row])).GroupBy(t => t.id).OrderBy(g => g.Key).Select(g => (Min: g.Min(t => t.x), Max: g.Max(t => t.x))).ToArray();
        Assert.AreEqual(6, ranges.Length);
        for (int b = 1; b < ranges.Length; b++)
            Assert.IsTrue(ranges[b - 1].Max < ranges[b].Min, $"bag {b} overlaps the previous one");
    }

    [TestMethod]
    public void MakeBags_ClusteredByColumn_NoBagMixesClusters_SmallClustersAreOneBag()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Labelled(mlContext, 31);
        var bagged = mlContext.Data.MakeBags(data, 4, seed: 2, BagStrategy.ClusteredByColumn, "Group");
        var ids = bagged.GetColumn<uint>("BagId").ToArray();
        var groups = bagged.GetColumn<string>("Group").ToArray();
        foreach (var bag in ids.Select((id, row) => (id, row)).GroupBy(t => t.id))
            Assert.AreEqual(1, bag.Select(t => groups[t.row]).Distinct().Count(), $"bag {bag.Key} mixes clusters");
        // Clusters g0 (11 rows), g1 (10), g2 (10): 2 + 2 + 2 bags of 5-6 rows.
        Assert.AreEqual(6, ids.Distinct().Count());
        var tiny = mlContext.Data.MakeBags(data, 20, seed: 2, BagStrategy.ClusteredByColumn, "Group").GetColumn<uint>("BagId").ToArray();
        Assert.AreEqual(3, tiny.Distinct().Count(), "a cluster smaller than the bag size is one bag");
    }

    internal sealed class KeyedRow
    {
        public string Label { get; set; } = "";

        public float X { get; set; }
    }

    [TestMethod]
    public void MakeBags_KeyLabel_WritesAVectorOfClassFractionsNamedByTheKeyValues()
    {
        var mlContext = new MLContext(seed: 1);
        string[] names = ["cat", "dog", "eel"];
        var rows = Enumerable.Range(0, 12).Select(i => new KeyedRow { Label = names[i % 3 == 2 && i > 6 ? 0 : i % 3], X = i }).ToList();
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(mlContext.Data.LoadFromEnumerable(rows)).Transform(mlContext.Data.LoadFromEnumerable(rows));
        var bagged = mlContext.Data.MakeBags(keyed, 4, seed: 1);
        var column = bagged.Schema["BagProportion"];
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3), column.Type);
        VBuffer<ReadOnlyMemory<char>> slots = default;
        column.Annotations.GetValue("SlotNames", ref slots);
        CollectionAssert.AreEqual(names, slots.DenseValues().Select(s => s.ToString()).ToArray());
        var proportions = bagged.GetColumn<float[]>("BagProportion").ToArray();
        foreach (var p in proportions)
            Assert.AreEqual(1f, p.Sum(), 1e-6f);
        // Over the whole data: 6 cats (rows 0, 3, 6, 8, 9, 11), 4 dogs, 2 eels; each bag has 4 rows, so the size-weighted mean is that.
        var mean = Enumerable.Range(0, 3).Select(c => proportions.Average(p => p[c])).ToArray();
        double[] expected = [0.5, 1.0 / 3, 1.0 / 6];
        for (int c = 0; c < 3; c++)
            Assert.AreEqual(expected[c], mean[c], 1e-6, $"class {c}'s fraction");
    }

    [TestMethod]
    public void MakeBags_BadArguments_NameTheProblem()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Labelled(mlContext, 10);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => mlContext.Data.MakeBags(data, 0)).Message, "at least 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => mlContext.Data.MakeBags(data, 2, strategy: BagStrategy.SortedByColumn)).Message, "strategyColumnName");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Data.MakeBags(data, 2, labelColumnName: "X")).Message,
            "Schema mismatch for label column 'X'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Data.MakeBags(data, 2, strategy: BagStrategy.SortedByColumn, strategyColumnName: "Group")).Message,
            "bag strategy column 'Group'");
    }

    [TestMethod]
    public void CheckBags_WarnsAboutTinyBagsAndProportionsThatDisagreeWithTheLabels()
    {
        var mlContext = new MLContext(seed: 1);
        var messages = new List<string>();
        mlContext.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) messages.Add(e.Message); };
        var rows = new List<BagRow>
        {
            new() { BagId = "a", BagProportion = 0.5f, Label = true },
            new() { BagId = "b", BagProportion = 1f, Label = true },      // a bag of one row
            new() { BagId = "a", BagProportion = 0.5f, Label = false },   // bag "a" is not contiguous
            new() { BagId = "c", BagProportion = 0.25f, Label = true },   // c: labels give 2/3
            new() { BagId = "c", BagProportion = 0.25f, Label = true },
            new() { BagId = "c", BagProportion = 0.25f, Label = false },
        };
        var report = mlContext.Data.CheckBags(mlContext.Data.LoadFromEnumerable(rows), labelColumnName: "Label");
        Assert.AreEqual(3, report.BagCount);
        Assert.AreEqual(6, report.RowCount);
        Assert.AreEqual(1, report.SmallestBagSize);
        Assert.AreEqual(3, report.LargestBagSize);
        Assert.AreEqual(1, report.SmallBagCount);
        Assert.AreEqual(1, report.DisagreeingBagCount);
        Assert.AreEqual(2.0 / 3 - 0.25, report.LargestDisagreement!.Value, 1e-7);
        Assert.HasCount(2, report.Warnings);
        StringAssert.Contains(report.Warnings[0], "bag 'b' (rows 1)");
        StringAssert.Contains(report.Warnings[1], "bag 'c' (rows 3, 4, 5)");
        Assert.HasCount(2, messages.Where(m => m.Contains("bags have", StringComparison.Ordinal)).ToList());

        var clean = mlContext.Data.CheckBags(mlContext.Data.MakeBags(Labelled(mlContext, 20), 5, seed: 1), labelColumnName: "Label");
        Assert.IsEmpty(clean.Warnings);
        Assert.AreEqual(0, clean.DisagreeingBagCount);
        Assert.IsNull(mlContext.Data.CheckBags(mlContext.Data.MakeBags(Labelled(mlContext, 20), 5, seed: 1)).DisagreeingBagCount, "no labels, no comparison");
    }

    [TestMethod]
    public void CheckBags_RowsOfOneBagWithTwoProportions_IsAnErrorNamingTheBagAndRows()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = new List<BagRow>
        {
            new() { BagId = "x", BagProportion = 0.5f },
            new() { BagId = "y", BagProportion = 0.1f },
            new() { BagId = "x", BagProportion = 0.75f },
        };
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Data.CheckBags(mlContext.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(e.Message, "Bag 'x' has two proportions: 0.5 at row 0 and 0.75 at row 2");
    }
}
