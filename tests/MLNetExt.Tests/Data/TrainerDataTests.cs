using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;

namespace MLNetExt.Tests.Data;

/// <summary>What trainers read beyond the calibrators' columns: weights, slot names, feature blocks, row selections.</summary>
[TestClass]
public sealed class TrainerDataTests
{
    private sealed class Row
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public float Weight { get; set; }
    }

    private static IDataView Rows(MLContext mlContext, int n, Func<int, float[]> features, Func<int, float>? weight = null)
        => mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, n).Select(i => new Row { Features = features(i), Weight = weight?.Invoke(i) ?? 1 }));

    [TestMethod]
    public void Weights_NegativeOrNaN_AreRefusedNamingColumnAndRow()
    {
        var mlContext = new MLContext(seed: 1);
        foreach (float bad in new[] { -1f, float.NaN, float.PositiveInfinity })
        {
            var reader = new DataViewColumnReader(Rows(mlContext, 5, i => new float[4], i => i == 3 ? bad : 1), "Trainer");
            reader.AddWeights("Weight");
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => reader.Read());
            StringAssert.Contains(e.Message, "Example weight column 'Weight'");
            StringAssert.Contains(e.Message, "at row 3");
            StringAssert.Contains(e.Message, "a finite number >= 0");
        }
    }

    [TestMethod]
    public void Weights_AllZero_AreRefused_AndNoColumnMeansNoWeights()
    {
        var mlContext = new MLContext(seed: 1);
        var reader = new DataViewColumnReader(Rows(mlContext, 4, i => new float[4], i => 0), "Trainer");
        reader.AddWeights("Weight");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => reader.Read());
        StringAssert.Contains(e.Message, "is 0 in all 4 rows");

        var none = new DataViewColumnReader(Rows(mlContext, 4, i => new float[4]), "Trainer");
        Assert.IsNull(none.AddWeights(null));
        Assert.IsNull(none.AddOptionalScalar(null, "offset", ValueRule.Finite));
        Assert.AreEqual(4, none.Read());
    }

    [TestMethod]
    public void OptionalColumn_NamedButMissing_IsAnError()
    {
        var reader = new DataViewColumnReader(Rows(new MLContext(seed: 1), 2, i => new float[4]), "Trainer");
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => reader.AddWeights("W"));
        StringAssert.Contains(e.Message, "Could not find example weight column 'W'");
    }

    [TestMethod]
    public void SlotNames_FromConcatenate_BecomeFeatureNames()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new { Age = 1f, Height = 2f } });
        var features = mlContext.Transforms.Concatenate("Features", "Age", "Height").Fit(data).Transform(data);
        var reader = new DataViewColumnReader(features, "Trainer");
        var column = reader.AddVector("Features", "feature", ValueRule.Any);
        CollectionAssert.AreEqual(new[] { "Age", "Height" }, column.SlotNames);
        CollectionAssert.AreEqual(new[] { "Age", "Height" }, SlotNames.ReadOrDefault(features.Schema["Features"], 2));

        var plain = Rows(mlContext, 1, i => new float[4]);
        Assert.IsNull(SlotNames.Read(plain.Schema["Features"]));
        CollectionAssert.AreEqual(new[] { "f0", "f1", "f2", "f3" }, SlotNames.ReadOrDefault(plain.Schema["Features"], 4));
    }

    [TestMethod]
    public void VectorRow_OfAnotherLength_IsAnError_NotTheLastRowsValues()
    {
        // A view that declares Vector<Single, 4> but hands out 3 values at row 1.
        var mlContext = new MLContext(seed: 1);
        var data = new ShortRowDataView(Rows(mlContext, 3, i => [i, i, i, i]), shortRow: 1);
        var reader = new DataViewColumnReader(data, "Trainer");
        reader.AddVector("Features", "feature", ValueRule.Any);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => reader.Read());
        StringAssert.Contains(e.Message, "Feature column 'Features' holds 3 values at row 1, but its type declares 4");

        var blocks = new DataViewColumnReader(data, "Trainer");
        blocks.AddFeatureBlocks("Features", "feature", ValueRule.Any, BlockLayout.Dense, 2, new RowCollector());
        e = Assert.ThrowsExactly<InvalidOperationException>(() => blocks.Read());
        StringAssert.Contains(e.Message, "holds 3 values at row 1");
    }

    [TestMethod]
    public void FeatureBlocks_DenseSparseAndAuto_ReproduceEveryRow()
    {
        var mlContext = new MLContext(seed: 1);
        // Rows alternate between dense and sparse storage; values include zeros, negatives and NaN.
        const int n = 23, f = 4;
        float Value(int i, int j) => (i + j) % 3 == 0 ? 0 : i == 7 && j == 2 ? float.NaN : (i - 10) * 0.5f + j;
        var dense = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, f).Select(j => Value(i, j)).ToArray()).ToArray();
        var data = new AlternatingSparseDataView(Rows(mlContext, n, i => dense[i]));
        foreach (var layout in new[] { BlockLayout.Dense, BlockLayout.Sparse, BlockLayout.Auto })
        {
            var collector = new RowCollector();
            var reader = new DataViewColumnReader(data, "Trainer");
            var column = reader.AddFeatureBlocks("Features", "feature", ValueRule.Any, layout, 5, collector);
            Assert.AreEqual(n, reader.Read());
            CollectionAssert.AreEqual(new[] { 0, 5, 10, 15, 20 }, collector.FirstRows, layout.ToString());
            Assert.IsTrue(collector.Sparse.All(sparse => sparse == (layout == BlockLayout.Sparse)), layout.ToString());
            Assert.AreEqual(n, collector.Rows.Count);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < f; j++)
                    Assert.AreEqual(BitConverter.SingleToInt32Bits(dense[i][j]), BitConverter.SingleToInt32Bits(collector.Rows[i][j]), $"{layout} row {i} slot {j}");
            }
            Assert.AreEqual(dense.Sum(r => r.Count(v => v != 0)), column.NonZeroCount, layout.ToString());
        }
    }

    [TestMethod]
    public void FeatureBlocks_Sparse_StoreOnlyNonZeros_AndAutoDensifiesFullBlocks()
    {
        var mlContext = new MLContext(seed: 1);
        var mostlyZero = Rows(mlContext, 6, i => [0, i == 2 ? 5 : 0, 0, 0]);
        var collector = new RowCollector();
        var reader = new DataViewColumnReader(mostlyZero, "Trainer");
        reader.AddFeatureBlocks("Features", "feature", ValueRule.Any, BlockLayout.Auto, 100, collector);
        reader.Read();
        Assert.IsTrue(collector.Sparse.Single(), "1 of 24 values is non-zero: the block stays sparse");
        Assert.AreEqual(1L, collector.Stored.Single());
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 1, 1, 1, 1 }, collector.Offsets.Single());

        var full = new RowCollector();
        var fullReader = new DataViewColumnReader(Rows(mlContext, 3, i => [1, 2, 3, 4]), "Trainer");
        fullReader.AddFeatureBlocks("Features", "feature", ValueRule.Any, BlockLayout.Auto, 100, full);
        fullReader.Read();
        Assert.IsFalse(full.Sparse.Single());
    }

    [TestMethod]
    public void FeatureBlocks_AVisitorThatReturnsFalse_StopsTheRead()
    {
        var collector = new RowCollector { StopAfterBlocks = 2 };
        var reader = new DataViewColumnReader(Rows(new MLContext(seed: 1), 20, i => [i, 0, 0, 0]), "Trainer") { MinimumRowCount = 0 };
        reader.AddFeatureBlocks("Features", "feature", ValueRule.Any, BlockLayout.Dense, 3, collector);
        Assert.AreEqual(6, reader.Read(), "two blocks of three rows, then stop");
        Assert.AreEqual(2, collector.FirstRows.Count);
    }

    [TestMethod]
    public void DataViewRowBlockSource_ReadsTheColumnAgainOnEveryPass()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Rows(mlContext, 10, i => [i, -i, 0, 1]);
        var source = new DataViewRowBlockSource(data, "Features", "Trainer", rowCount: 10, blockRows: 4);
        Assert.AreEqual(4, source.FeatureCount);
        for (int pass = 0; pass < 2; pass++)
        {
            var collector = new RowCollector();
            source.Read(collector);
            CollectionAssert.AreEqual(new[] { 0, 4, 8 }, collector.FirstRows);
            Assert.AreEqual(-9f, collector.Rows[9][1]);
        }
        var wrong = new DataViewRowBlockSource(data, "Features", "Trainer", rowCount: 11);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => wrong.Read(new RowCollector()));
        StringAssert.Contains(e.Message, "gave 10 rows to a second read where the first read found 11");
    }

    [TestMethod]
    public void FeatureBlocks_ValueRule_NamesRowAndSlot()
    {
        var reader = new DataViewColumnReader(Rows(new MLContext(seed: 1), 3, i => [0, i == 2 ? float.NaN : 1, 0, 0]), "Trainer");
        reader.AddFeatureBlocks("Features", "feature", ValueRule.Finite, BlockLayout.Sparse, 2, new RowCollector());
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => reader.Read());
        StringAssert.Contains(e.Message, "NaN in slot 1 at row 2");
    }

    [TestMethod]
    public void FeatureBlocks_WideDenseColumns_GetFewerRowsPerBlock()
    {
        // 64 MiB / (4 bytes x 20M features) < 1: one row per dense block, however many rows were asked for.
        var mlContext = new MLContext(seed: 1);
        var schemaOnly = new DataViewSchema.Builder();
        schemaOnly.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, 20_000_000));
        var column = new FeatureBlockColumn(new DataViewColumnReader(new EmptyDataView(schemaOnly.ToSchema()), "Trainer"),
            "Features", "feature", ValueRule.Any, BlockLayout.Dense, 4096, new RowCollector());
        Assert.AreEqual(20_000_000, column.Size);
        Assert.AreEqual(1, column.BlockRows);
        var sparse = new FeatureBlockColumn(new DataViewColumnReader(new EmptyDataView(schemaOnly.ToSchema()), "Trainer"),
            "Features", "feature", ValueRule.Any, BlockLayout.Sparse, 4096, new RowCollector());
        Assert.AreEqual(4096, sparse.BlockRows, "sparse blocks grow with the values they hold, not the width");
    }

    [TestMethod]
    public void RowSelection_KeepsMarkedRows_Lazily_AndChecksTheRowCount()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Rows(mlContext, 6, i => [i, 0, 0, 0]);
        var keep = new BitArray(new[] { true, false, false, true, true, false });
        var selected = new RowSelectionDataView(data, keep);
        Assert.AreEqual(3L, selected.GetRowCount());
        var firsts = selected.GetColumn<float[]>("Features").Select(v => v[0]).ToArray();
        CollectionAssert.AreEqual(new float[] { 0, 3, 4 }, firsts);
        CollectionAssert.AreEqual(firsts, selected.GetColumn<float[]>("Features").Select(v => v[0]).ToArray(), "a second cursor sees the same rows");

        var shorter = new RowSelectionDataView(data, new BitArray(5, true));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => shorter.GetColumn<float[]>("Features").ToArray());
        StringAssert.Contains(e.Message, "more rows than the 5");
        var longer = new RowSelectionDataView(data, new BitArray(7, true));
        e = Assert.ThrowsExactly<InvalidOperationException>(() => longer.GetColumn<float[]>("Features").ToArray());
        StringAssert.Contains(e.Message, "The data has 6 rows but the row selection was computed on 7");
        var counted = new CountedDataView(data, 6);
        var early = Assert.ThrowsExactly<ArgumentException>(() => new RowSelectionDataView(counted, new BitArray(5)));
        StringAssert.Contains(early.Message, "5 entries but the data has 6 rows");
    }

    // ---- test doubles ----

    /// <summary>Copies every block it is given: rows densely, and each block's layout, offsets and stored count.</summary>
    private sealed class RowCollector : IRowBlockVisitor
    {
        public List<float[]> Rows { get; } = [];
        public List<int> FirstRows { get; } = [];
        public List<bool> Sparse { get; } = [];
        public List<int[]> Offsets { get; } = [];
        public List<long> Stored { get; } = [];
        public int StopAfterBlocks { get; init; } = int.MaxValue;

        public bool Visit(in RowBlock block)
        {
            FirstRows.Add(block.StartRow);
            Sparse.Add(block.IsSparse);
            Offsets.Add(block.IsSparse ? block.RowOffsets.ToArray() : []);
            Stored.Add(block.StoredValueCount);
            Assert.IsTrue(block.RowCount >= 1);
            for (int r = 0; r < block.RowCount; r++)
            {
                var row = new float[block.FeatureCount];
                block.CopyRow(r, row);
                Rows.Add(row);
            }
            return FirstRows.Count < StopAfterBlocks;
        }
    }

    /// <summary>Declares the input's vector type but returns one value fewer at one row.</summary>
    private sealed class ShortRowDataView(IDataView input, long shortRow) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => input.Schema;

        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
            => new Cursor(input.GetRowCursor(columnsNeeded), shortRow);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded)];

        private sealed class Cursor(DataViewRowCursor inner, long shortRow) : DataViewRowCursor
        {
            public override DataViewSchema Schema => inner.Schema;
            public override long Position => inner.Position;
            public override long Batch => 0;
            public override bool MoveNext() => inner.MoveNext();
            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();
            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                var getter = inner.GetGetter<TValue>(column);
                if (typeof(TValue) != typeof(VBuffer<float>))
                    return getter;
                var vectorGetter = (ValueGetter<VBuffer<float>>)(Delegate)getter;
                ValueGetter<VBuffer<float>> shortened = (ref VBuffer<float> value) =>
                {
                    vectorGetter(ref value);
                    if (inner.Position == shortRow)
                        value = new VBuffer<float>(value.Length - 1, value.DenseValues().Take(value.Length - 1).ToArray());
                };
                return (ValueGetter<TValue>)(Delegate)shortened;
            }
        }
    }

    /// <summary>Hands out odd rows' feature vectors in sparse form (zeros dropped), even rows dense.</summary>
    private sealed class AlternatingSparseDataView(IDataView input) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => input.Schema;

        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
            => new Cursor(input.GetRowCursor(columnsNeeded));

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded)];

        private sealed class Cursor(DataViewRowCursor inner) : DataViewRowCursor
        {
            public override DataViewSchema Schema => inner.Schema;
            public override long Position => inner.Position;
            public override long Batch => 0;
            public override bool MoveNext() => inner.MoveNext();
            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();
            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                var getter = inner.GetGetter<TValue>(column);
                if (typeof(TValue) != typeof(VBuffer<float>))
                    return getter;
                var vectorGetter = (ValueGetter<VBuffer<float>>)(Delegate)getter;
                ValueGetter<VBuffer<float>> sparse = (ref VBuffer<float> value) =>
                {
                    vectorGetter(ref value);
                    if (inner.Position % 2 == 0)
                        return;
                    var dense = value.DenseValues().ToArray();
                    var indices = Enumerable.Range(0, dense.Length).Where(j => dense[j] != 0).ToArray();
                    value = new VBuffer<float>(dense.Length, indices.Length, indices.Select(j => dense[j]).ToArray(), indices);
                };
                return (ValueGetter<TValue>)(Delegate)sparse;
            }
        }
    }

    /// <summary>The input, with a row count known up front (as a cached or binary-file view has).</summary>
    private sealed class CountedDataView(IDataView input, long rows) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => input.Schema;

        public long? GetRowCount() => rows;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
            => input.GetRowCursor(columnsNeeded);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded)];
    }

    /// <summary>A view with a schema and no rows.</summary>
    private sealed class EmptyDataView(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => schema;

        public long? GetRowCount() => 0;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
            => throw new NotSupportedException("The test does not read this view.");

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => throw new NotSupportedException("The test does not read this view.");
    }
}
