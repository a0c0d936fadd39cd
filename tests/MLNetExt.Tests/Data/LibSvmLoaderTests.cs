using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using MLNetExt.Data;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Data;

/// <summary>
/// LoadFromLibSvm on the LightGBM learning-to-rank sample (data/ltr, compared with an independent string.Split parser)
/// and on small files written here: groups from qid tokens and .query files, weights, comments, CRLF, index bases,
/// NaN and infinities, schema, streaming cursors, and ML.NET pipelines consuming the view.
/// </summary>
[TestClass]
public sealed class LibSvmLoaderTests
{
    private static string Train => TestData.Path("ltr/rank.train");

    private static string Test => TestData.Path("ltr/rank.test");

    [TestMethod]
    public void LtrSample_EveryLabelValueAndGroup_MatchesIndependentParse()
    {
        var mlContext = new MLContext(seed: 1);
        var views = mlContext.Data.LoadFromLibSvm([Train, Test]);
        (string Path, LibSvmDataView View, int Rows, int Queries)[] cases = [(Train, views[0], 3005, 201), (Test, views[1], 768, 50)];
        foreach (var (path, view, rows, queries) in cases)
        {
            // data/README.md: 3,005 rows in 201 queries and 768 rows in 50 queries, 300 features, indices 1..300.
            Assert.AreEqual(rows, view.GetRowCount());
            Assert.AreEqual(queries, view.GroupCount);
            Assert.AreEqual(300, view.FeatureCount);
            Assert.AreEqual(LibSvmIndexBase.One, view.IndexBase);

            var (labels, features) = LibSvmOracle.Parse(path);
            var read = LibSvmRows.Read(view);
            Assert.AreEqual(rows, labels.Length, "the oracle sees the same row count");
            CollectionAssert.AreEqual(labels, read.Labels);
            int values = 0;
            for (int r = 0; r < rows; r++)
            {
                var expected = new float[300];
                foreach (var (index, value) in features[r])
                    expected[index - 1] = value;
                CollectionAssert.AreEqual(expected, read.Features[r], $"{path} row {r}");
                // Stored slots are exactly the non-zero tokens (the sample has no zero values).
                CollectionAssert.AreEqual(features[r].Select(f => f.Index - 1).ToArray(), read.StoredSlots[r]);
                values += features[r].Length;
            }
            Assert.AreEqual(path == Train ? 284_736 : 74_663, values, "feature tokens counted by a Python reading of the file");
            CollectionAssert.AreEqual(LibSvmOracle.QuerySizes(path + ".query"), read.GroupSizes());
            // Keys are 1..queries in file order.
            CollectionAssert.AreEqual(Enumerable.Range(1, queries).Select(k => (uint)k).ToArray(), read.Groups!.Distinct().ToArray());
        }
    }

    [TestMethod]
    public void Schema_HasLabelGroupKeyAndKnownSizeSparseFeatures()
    {
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(Train);
        Assert.AreEqual(3, view.Schema.Count);
        Assert.AreEqual("Label", view.Schema[0].Name);
        Assert.AreEqual(NumberDataViewType.Single, view.Schema[0].Type);
        Assert.AreEqual("GroupId", view.Schema[1].Name);
        var key = (KeyDataViewType)view.Schema[1].Type;
        Assert.AreEqual(typeof(uint), key.RawType);
        Assert.AreEqual(201UL, key.Count);
        Assert.AreEqual("Features", view.Schema[2].Name);
        var vector = (VectorDataViewType)view.Schema[2].Type;
        Assert.AreEqual(NumberDataViewType.Single, vector.ItemType);
        Assert.AreEqual(300, vector.Size);
        Assert.IsFalse(view.CanShuffle);
    }

    [TestMethod]
    public void QidTokens_GiveKeysInOrderOfFirstAppearance()
    {
        using var files = new LibSvmTempFiles();
        // Queries 30, 7, 12: keys 1, 2, 3 by first appearance, not by qid value.
        string path = files.Write("q.txt", "2 qid:30 1:1\n0 qid:30 2:1\n1 qid:7 1:0.5\n0 qid:12 3:2\n3 qid:12 1:1\n");
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path);
        var rows = LibSvmRows.Read(view);
        CollectionAssert.AreEqual(new uint[] { 1, 1, 2, 3, 3 }, rows.Groups);
        Assert.AreEqual(3UL, ((KeyDataViewType)view.Schema["GroupId"].Type).Count);
        CollectionAssert.AreEqual(new float[] { 2, 0, 1, 0, 3 }, rows.Labels);
        CollectionAssert.AreEqual(new float[] { 0.5f, 0, 0 }, rows.Features[2]);
    }

    [TestMethod]
    public void QueryFile_GivesGroups_AndCanBeIgnored()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("d.txt", "1 1:1\n0 2:1\n0 1:2\n1 3:1\n2 2:2\n");
        files.Write("d.txt.query", "2\n3\n");
        var mlContext = new MLContext(seed: 1);
        var rows = LibSvmRows.Read(mlContext.Data.LoadFromLibSvm(path));
        CollectionAssert.AreEqual(new uint[] { 1, 1, 2, 2, 2 }, rows.Groups);

        var ignored = mlContext.Data.LoadFromLibSvm(path, new LibSvmLoaderOptions { ReadQueryFile = false });
        Assert.IsNull(ignored.Schema.GetColumnOrNull("GroupId"));
        Assert.AreEqual(0, ignored.GroupCount);
    }

    [TestMethod]
    public void QidAndAgreeingQueryFile_AreAccepted()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("d.txt", "1 qid:4 1:1\n0 qid:4 2:1\n0 qid:9 1:2\n");
        files.Write("d.txt.query", "2\n1\n");
        var rows = LibSvmRows.Read(new MLContext(seed: 1).Data.LoadFromLibSvm(path));
        CollectionAssert.AreEqual(new uint[] { 1, 1, 2 }, rows.Groups);
    }

    [TestMethod]
    public void WeightFile_GivesWeightColumn_AndCanBeIgnored()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("d.txt", "1 1:1\n0 2:1\n1 1:3\n");
        files.Write("d.txt.weight", "0.5\r\n2\r\n0\r\n");
        var mlContext = new MLContext(seed: 1);
        var view = mlContext.Data.LoadFromLibSvm(path);
        CollectionAssert.AreEqual(new[] { "Label", "Weight", "Features" }, view.Schema.Select(c => c.Name).ToArray());
        CollectionAssert.AreEqual(new float[] { 0.5f, 2, 0 }, LibSvmRows.Read(view).Weights);

        var ignored = mlContext.Data.LoadFromLibSvm(path, new LibSvmLoaderOptions { ReadWeightFile = false });
        Assert.IsNull(ignored.Schema.GetColumnOrNull("Weight"));
    }

    [TestMethod]
    public void CommentsBlankLinesTabsAndCrlf_AreHandled()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("c.txt",
            "# header comment\r\n" +
            "\r\n" +
            "1\t1:0.5  3:2 # trailing comment 9:9\r\n" +
            "   \t\r\n" +
            "0 2:-1.25#no space before the comment\r\n" +
            "#\r\n" +
            "-0.5 1:3"); // last line without a newline; fractional negative label
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path);
        Assert.AreEqual(3L, view.GetRowCount());
        Assert.AreEqual(3, view.FeatureCount);
        var rows = LibSvmRows.Read(view);
        CollectionAssert.AreEqual(new[] { 1f, 0f, -0.5f }, rows.Labels);
        CollectionAssert.AreEqual(new[] { 0.5f, 0f, 2f }, rows.Features[0]);
        CollectionAssert.AreEqual(new[] { 0f, -1.25f, 0f }, rows.Features[1]);
        CollectionAssert.AreEqual(new[] { 3f, 0f, 0f }, rows.Features[2]);
    }

    [TestMethod]
    public void ByteOrderMark_IsSkipped()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("bom.txt", "\uFEFF2 1:1\n");
        var rows = LibSvmRows.Read(new MLContext(seed: 1).Data.LoadFromLibSvm(path));
        CollectionAssert.AreEqual(new[] { 2f }, rows.Labels);
    }

    [TestMethod]
    public void IndexBase_AutoIsOneBasedWithoutIndexZero()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("one.txt", "1 1:1 4:4\n");
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path);
        Assert.AreEqual(LibSvmIndexBase.One, view.IndexBase);
        Assert.AreEqual(4, view.FeatureCount);
        CollectionAssert.AreEqual(new[] { 1f, 0, 0, 4 }, LibSvmRows.Read(view).Features[0]);
    }

    [TestMethod]
    public void IndexBase_AutoIsZeroBasedWhenIndexZeroAppears()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("zero.txt", "1 1:1 4:4\n0 0:7\n");
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path);
        Assert.AreEqual(LibSvmIndexBase.Zero, view.IndexBase);
        Assert.AreEqual(5, view.FeatureCount);
        var rows = LibSvmRows.Read(view);
        CollectionAssert.AreEqual(new[] { 0f, 1, 0, 0, 4 }, rows.Features[0]);
        CollectionAssert.AreEqual(new[] { 7f, 0, 0, 0, 0 }, rows.Features[1]);
    }

    [TestMethod]
    public void IndexBase_ZeroOnAOneBasedFile_NumbersSlotsAsLightGbmColumns()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("one.txt", "1 1:1 4:4\n");
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path, new LibSvmLoaderOptions { IndexBase = LibSvmIndexBase.Zero });
        Assert.AreEqual(5, view.FeatureCount); // LightGBM: columns 0..4, column 0 empty
        CollectionAssert.AreEqual(new[] { 0f, 1, 0, 0, 4 }, LibSvmRows.Read(view).Features[0]);
    }

    [TestMethod]
    public void SeveralFiles_ShareFeatureCountAndIndexBase()
    {
        using var files = new LibSvmTempFiles();
        string a = files.Write("a.txt", "1 1:1 5:5\n");
        string b = files.Write("b.txt", "0 2:2 8:8\n");
        var mlContext = new MLContext(seed: 1);
        var views = mlContext.Data.LoadFromLibSvm([a, b]);
        Assert.AreEqual(8, views[0].FeatureCount);
        Assert.AreEqual(8, views[1].FeatureCount);
        CollectionAssert.AreEqual(new[] { 1f, 0, 0, 0, 5, 0, 0, 0 }, LibSvmRows.Read(views[0]).Features[0]);

        // An index 0 in the second file makes both zero-based: 9 slots, the first file's index 1 in slot 1.
        string c = files.Write("c.txt", "0 0:3 8:8\n");
        var zero = mlContext.Data.LoadFromLibSvm([a, c]);
        Assert.IsTrue(zero.All(v => v.IndexBase == LibSvmIndexBase.Zero && v.FeatureCount == 9));
        CollectionAssert.AreEqual(new[] { 0f, 1, 0, 0, 0, 5, 0, 0, 0 }, LibSvmRows.Read(zero[0]).Features[0]);

        // A stated count wins over the largest index.
        var stated = mlContext.Data.LoadFromLibSvm([a, b], new LibSvmLoaderOptions { FeatureCount = 20 });
        Assert.AreEqual(20, ((VectorDataViewType)stated[0].Schema["Features"].Type).Size);
    }

    [TestMethod]
    public void NanAndInfinityValues_AreReadLikeLightGbm_AndZerosAreNotStored()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("n.txt", "1 1:nan 2:-inf 3:Infinity 4:NA 5:null 6:1e39 7:0 8:-0.0 9:+INF 10:2.5e-3\n");
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path);
        var rows = LibSvmRows.Read(view);
        var f = rows.Features[0];
        Assert.IsTrue(float.IsNaN(f[0]) && float.IsNaN(f[3]) && float.IsNaN(f[4]));
        Assert.AreEqual(float.NegativeInfinity, f[1]);
        Assert.AreEqual(float.PositiveInfinity, f[2]);
        Assert.AreEqual(float.PositiveInfinity, f[5], "1e39 is beyond Single's range");
        Assert.AreEqual(float.PositiveInfinity, f[8]);
        Assert.AreEqual(0.0025f, f[9]);
        // Slots 6 and 7 (the "7:0" and "8:-0.0" tokens) are not stored; NaN is.
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4, 5, 8, 9 }, rows.StoredSlots[0]);
    }

    [TestMethod]
    public void ColumnNames_FollowOptions()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("d.txt", "1 qid:1 1:1\n");
        files.Write("d.txt.weight", "1\n");
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path, new LibSvmLoaderOptions
        {
            LabelColumnName = "Relevance", RowGroupColumnName = "Query", ExampleWeightColumnName = "W", FeatureColumnName = "X",
        });
        CollectionAssert.AreEqual(new[] { "Relevance", "Query", "W", "X" }, view.Schema.Select(c => c.Name).ToArray());
    }

    [TestMethod]
    public void Cursor_CreatedTwice_GivesTheSameRows_AndTwoCanBeOpenAtOnce()
    {
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(Train);
        var first = LibSvmRows.Read(view);
        var second = LibSvmRows.Read(view);
        CollectionAssert.AreEqual(first.Labels, second.Labels);
        CollectionAssert.AreEqual(first.Groups, second.Groups);
        for (int r = 0; r < first.Features.Length; r++)
            CollectionAssert.AreEqual(first.Features[r], second.Features[r]);

        // Two open cursors, advanced in lock step (the second one starts 10 rows later), each sees its own rows.
        using var a = view.GetRowCursor(view.Schema);
        using var b = view.GetRowCursor(view.Schema);
        var labelA = a.GetGetter<float>(view.Schema["Label"]);
        var labelB = b.GetGetter<float>(view.Schema["Label"]);
        var featuresB = b.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        var idB = b.GetIdGetter();
        for (int i = 0; i < 10; i++)
            Assert.IsTrue(a.MoveNext());
        var buffer = default(VBuffer<float>);
        var id = default(DataViewRowId);
        float x = 0, y = 0;
        for (int row = 0; b.MoveNext(); row++)
        {
            featuresB(ref buffer);
            labelB(ref y);
            idB(ref id);
            Assert.AreEqual((ulong)row, id.Low);
            Assert.AreEqual(row, b.Position);
            Assert.AreEqual(first.Labels[row], y);
            CollectionAssert.AreEqual(first.Features[row], buffer.DenseValues().ToArray());
            if (a.MoveNext())
            {
                labelA(ref x);
                Assert.AreEqual(first.Labels[row + 10], x);
            }
        }
        Assert.AreEqual(-1, b.Position);
    }

    [TestMethod]
    public void Cursor_WithLabelOnly_ReadsLabels_AndRefusesInactiveColumns()
    {
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(Train);
        var expected = LibSvmOracle.Parse(Train).Labels;
        using var cursor = view.GetRowCursor([view.Schema["Label"]]);
        Assert.IsTrue(cursor.IsColumnActive(view.Schema["Label"]));
        Assert.IsFalse(cursor.IsColumnActive(view.Schema["Features"]));
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]));
        StringAssert.Contains(ex.Message, "Column 'Features' is not active");
        var wrongType = Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<double>(view.Schema["Label"]));
        StringAssert.Contains(wrongType.Message, "read it as Single");
        var getLabel = cursor.GetGetter<float>(view.Schema["Label"]);
        var labels = new List<float>();
        float label = 0;
        while (cursor.MoveNext())
        {
            getLabel(ref label);
            labels.Add(label);
        }
        CollectionAssert.AreEqual(expected, labels);
    }

    [TestMethod]
    public void CursorSet_IsOneCursor_AndGettersNeedARow()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("d.txt", "1 1:1\n0 2:1\n");
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path);
        var set = view.GetRowCursorSet(view.Schema, n: 4);
        Assert.AreEqual(1, set.Length);
        using var cursor = set[0];
        var getLabel = cursor.GetGetter<float>(view.Schema["Label"]);
        float label = 0;
        var before = Assert.ThrowsExactly<InvalidOperationException>(() => getLabel(ref label));
        StringAssert.Contains(before.Message, "call MoveNext first");
        Assert.AreEqual(-1L, cursor.Position);
        Assert.IsTrue(cursor.MoveNext());
        Assert.IsTrue(cursor.MoveNext());
        getLabel(ref label);
        Assert.AreEqual(0f, label);
        Assert.IsFalse(cursor.MoveNext());
        Assert.IsFalse(cursor.MoveNext());
        Assert.ThrowsExactly<InvalidOperationException>(() => getLabel(ref label));
    }

    [TestMethod]
    public void CursorLoop_DoesNotAllocatePerRow()
    {
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(Train);
        using var cursor = view.GetRowCursor(view.Schema);
        var getLabel = cursor.GetGetter<float>(view.Schema["Label"]);
        var getGroup = cursor.GetGetter<uint>(view.Schema["GroupId"]);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        float label = 0;
        uint group = 0;
        var features = default(VBuffer<float>);
        void Row()
        {
            getLabel(ref label);
            getGroup(ref group);
            getFeatures(ref features);
        }
        // The first rows size the buffers; the other 2,905 may only grow them (a few arrays), never allocate per row:
        // 8 bytes a row would already be 23 kB.
        for (int i = 0; i < 100 && cursor.MoveNext(); i++)
            Row();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int rows = 0;
        while (cursor.MoveNext())
        {
            Row();
            rows++;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(2905, rows);
        Assert.IsTrue(allocated < 8 * 1024, $"{allocated} bytes allocated over {rows} rows");
    }

    [TestMethod]
    public void View_ReadsTheFileAtCursorTime_AndRefusesAChangedFile()
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("d.txt", "1 1:1\n0 2:1\n");
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path);
        Assert.AreEqual(2, LibSvmRows.Read(view).Labels.Length);
        File.AppendAllText(path, "1 1:5\n");
        var ex = Assert.ThrowsExactly<FormatException>(() => view.GetRowCursor(view.Schema));
        StringAssert.Contains(ex.Message, "the file changed after it was loaded");
        StringAssert.Contains(ex.Message, "d.txt");
    }

    [TestMethod]
    public void LongLine_LongerThanTheReadBuffer_IsRead()
    {
        using var files = new LibSvmTempFiles();
        // One line of 300,000 features (about 3.6 MB, more than the 1 MB read buffer), then a short line.
        var text = new System.Text.StringBuilder("3");
        for (int i = 1; i <= 300_000; i++)
            text.Append(' ').Append(i).Append(":0.5");
        text.Append("\n1 2:1\n");
        string path = files.Write("long.txt", text.ToString());
        var view = new MLContext(seed: 1).Data.LoadFromLibSvm(path);
        Assert.AreEqual(300_000, view.FeatureCount);
        var rows = LibSvmRows.Read(view);
        CollectionAssert.AreEqual(new[] { 3f, 1f }, rows.Labels);
        Assert.IsTrue(rows.Features[0].All(v => v == 0.5f));
        Assert.AreEqual(1f, rows.Features[1][1]);
    }

    [TestMethod]
    public void CreateEnumerable_ReadsTheView()
    {
        var mlContext = new MLContext(seed: 1);
        var view = mlContext.Data.LoadFromLibSvm(Test);
        var rows = mlContext.Data.CreateEnumerable<LtrRow>(view, reuseRowObject: false).ToArray();
        var (labels, features) = LibSvmOracle.Parse(Test);
        Assert.AreEqual(768, rows.Length);
        CollectionAssert.AreEqual(labels, rows.Select(r => r.Label).ToArray());
        Assert.AreEqual(features[5].First().Value, rows[5].Features[features[5].First().Index - 1]);
        CollectionAssert.AreEqual(LibSvmOracle.QuerySizes(Test + ".query"),
            rows.GroupBy(r => r.GroupId).Select(g => g.Count()).ToArray());
    }

    [TestMethod]
    public void FastTreeRanking_FitsOnTheView_AndBeatsAConstantScoreOnTheTestFile()
    {
        var mlContext = new MLContext(seed: 1);
        var views = mlContext.Data.LoadFromLibSvm([Train, Test]);
        var trainer = mlContext.Ranking.Trainers.FastTree(new FastTreeRankingTrainer.Options
        {
            NumberOfTrees = 20, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 10, NumberOfThreads = 1,
        });
        var model = trainer.Fit(views[0]);
        var scored = model.Transform(views[1]);
        var ndcg = mlContext.Ranking.Evaluate(scored).NormalizedDiscountedCumulativeGains;

        // The baseline: every document scored 0 (ties). Measured here: NDCG@10 0.742 for the model, 0.305 for the baseline.
        var constant = mlContext.Transforms.Expression("Score", "x => 0 * x", "Label").Fit(views[1]).Transform(views[1]);
        var baseline = mlContext.Ranking.Evaluate(constant).NormalizedDiscountedCumulativeGains;
        Assert.IsTrue(ndcg[9] > baseline[9] + 0.2, $"NDCG@10 {ndcg[9]:0.0000} against a constant score {baseline[9]:0.0000}");
    }

    private sealed class LtrRow
    {
        public float Label { get; set; }

        [KeyType(50)]
        public uint GroupId { get; set; }

        [VectorType(300)]
        public float[] Features { get; set; } = [];
    }
}
