using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;

namespace MLNetExt.Tests.Data;

/// <summary>The one-pass column reader and group boundaries: values, types, and the messages for bad input.</summary>
[TestClass]
public sealed class DataViewColumnReaderTests
{
    private sealed class Row
    {
        public float Label { get; set; }

        public bool Flag { get; set; }

        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public uint GroupId { get; set; }

        public float Weight { get; set; }

        public string Name { get; set; } = "";
    }

    private static IDataView Data(MLContext mlContext, params Row[] rows) => mlContext.Data.LoadFromEnumerable(rows);

    private static Row R(float label, uint group, float weight = 1, float[]? features = null, string name = "x")
        => new() { Label = label, Flag = label > 0, Features = features ?? [label, 2 * label, 3], GroupId = group, Weight = weight, Name = name };

    [TestMethod]
    public void Read_AllKindsOfColumn_InOnePass()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Data(mlContext, R(0, 5, 0.5f, name: "a"), R(1, 5, 2, name: "b"), R(2, 7, 0, name: "c"));
        var reader = new DataViewColumnReader(data, "Test");
        var label = reader.AddClassLabel("Label", "label", 3);
        var flag = reader.AddBoolean("Flag", "flag");
        var features = reader.AddVector("Features", "feature", ValueRule.Finite);
        var group = reader.AddId("GroupId", "group");
        var weight = reader.AddScalar("Weight", "weight", ValueRule.NonNegative);
        var name = reader.AddColumn<ReadOnlyMemory<char>>("Name", "name");
        Assert.AreEqual(3, reader.Read());
        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, label.Values);
        CollectionAssert.AreEqual(new[] { false, true, true }, flag.Values);
        Assert.AreEqual(3, features.Size);
        CollectionAssert.AreEqual(new float[] { 0, 0, 3, 1, 2, 3, 2, 4, 3 }, features.Values);
        CollectionAssert.AreEqual(new long[] { 5, 5, 7 }, group.Values);
        CollectionAssert.AreEqual(new[] { 0.5, 2, 0 }, weight.Values);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, name.Values.Select(v => v.ToString()).ToArray());
    }

    [TestMethod]
    public void Read_SparseVectorsAndKeyLabels()
    {
        var mlContext = new MLContext(seed: 1);
        // A key label through MapValueToKey (values ordered by value: 0 -> key 1 -> class 0) and a sparse vector.
        var data = Data(mlContext, R(2, 1), R(0, 1), R(1, 1));
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Key", "Label",
            keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(data).Transform(data);
        var sparse = new SparseView(keyed);
        var reader = new DataViewColumnReader(sparse, "Test");
        var label = reader.AddClassLabel("Key", "label", null);
        var vector = reader.AddVector("Sparse", "feature", ValueRule.Any);
        reader.Read();
        Assert.AreEqual(3, label.ClassCount);
        CollectionAssert.AreEqual(new[] { 2, 0, 1 }, label.Values);
        CollectionAssert.AreEqual(new float[] { 7, 0, 0, 0, 0, 0, 7, 0, 7, 0, 0, 0 }, vector.Values);
    }

    [TestMethod]
    public void Read_BadValues_NameColumnRowAndValue()
    {
        var mlContext = new MLContext(seed: 1);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => ReadWeights(Data(mlContext, R(0, 1), R(1, 1, weight: -1))));
        StringAssert.Contains(ex.Message, "Weight column 'Weight' has -1 at row 1; Test expects a finite number >= 0.");
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => ReadWeights(Data(mlContext, R(0, 1, weight: float.PositiveInfinity))));
        StringAssert.Contains(ex.Message, "Infinity at row 0");

        var reader = new DataViewColumnReader(Data(mlContext, R(0, 1, features: [1, float.NaN, 2])), "Test");
        reader.AddVector("Features", "feature", ValueRule.Finite);
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => reader.Read());
        StringAssert.Contains(ex.Message, "NaN in slot 1 at row 0");

        reader = new DataViewColumnReader(Data(mlContext, R(1.5f, 1)), "Test");
        reader.AddClassLabel("Label", "label", 3);
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => reader.Read());
        StringAssert.Contains(ex.Message, "has 1.5 at row 0; Test expects a whole-number class index in 0..2");

        reader = new DataViewColumnReader(Data(mlContext), "Test");
        reader.AddScalar("Weight", "weight", ValueRule.Any);
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => reader.Read());
        StringAssert.Contains(ex.Message, "The data has no rows; Test needs at least 1.");
    }

    [TestMethod]
    public void Add_WrongTypesAndMissingColumns_SchemaErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var reader = new DataViewColumnReader(Data(mlContext, R(0, 1)), "Test");
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => reader.AddBoolean("Label", "label"));
        StringAssert.Contains(ex.Message, "Schema mismatch for label column 'Label': expected Boolean, got Single.");
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => reader.AddVector("Label", "feature", ValueRule.Finite));
        StringAssert.Contains(ex.Message, "expected a known-size vector of Single, got Single");
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => reader.AddVector("Features", "feature", ValueRule.Finite, expectedSize: 4));
        StringAssert.Contains(ex.Message, "expected a vector of 4 values, got Vector<Single, 3>");
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => reader.AddScalar("Name", "weight", ValueRule.Finite));
        StringAssert.Contains(ex.Message, "got ReadOnlyMemory`1");
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => reader.AddId("Missing", "group"));
        StringAssert.Contains(ex.Message, "Could not find group column 'Missing'.");
        Assert.ThrowsExactly<ArgumentException>(() => reader.AddScalar(" ", "weight", ValueRule.Finite));
    }

    [TestMethod]
    public void GroupBoundaries_ContiguousRuns_HalfOpenOffsets()
    {
        var groups = GroupBoundaries.FromRuns([4, 4, 4, 9, 2, 2], "GroupId");
        CollectionAssert.AreEqual(new[] { 0, 3, 4, 6 }, groups.Offsets);
        CollectionAssert.AreEqual(new long[] { 4, 9, 2 }, groups.Ids);
        Assert.AreEqual(3, groups.MaximumSize());
        Assert.AreEqual(1, groups.Size(1));
        Assert.AreEqual(0, GroupBoundaries.FromRuns([], "GroupId").Count);
    }

    [TestMethod]
    public void GroupBoundaries_InterleavedGroup_IsAnErrorNamingBothRanges()
    {
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => GroupBoundaries.FromRuns([1, 1, 2, 2, 1], "QueryId"));
        StringAssert.Contains(ex.Message, "Rows of group 1 in column 'QueryId' are not contiguous: rows 0-1 and again from row 4.");
        StringAssert.Contains(ex.Message, "Sort the data by 'QueryId'");
    }

    private static void ReadWeights(IDataView data)
    {
        var reader = new DataViewColumnReader(data, "Test");
        reader.AddScalar("Weight", "weight", ValueRule.NonNegative);
        reader.Read();
    }

    /// <summary>Adds a sparse Vector&lt;Single, 4&gt; column "Sparse": one stored value, 7, in slot (2 row) mod 4.</summary>
    private sealed class SparseView(IDataView input) : IDataView
    {
        private static readonly VectorDataViewType Type = new(NumberDataViewType.Single, 4);

        public bool CanShuffle => false;

        public DataViewSchema Schema { get; } = Build(input.Schema);

        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
            => new Cursor(this, input.GetRowCursor(input.Schema));

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded, rand)];

        private static DataViewSchema Build(DataViewSchema schema)
        {
            var builder = new DataViewSchema.Builder();
            builder.AddColumns(schema);
            builder.AddColumn("Sparse", Type);
            return builder.ToSchema();
        }

        private sealed class Cursor(SparseView view, DataViewRowCursor inner) : DataViewRowCursor
        {
            public override DataViewSchema Schema => view.Schema;

            public override long Position => inner.Position;

            public override long Batch => 0;

            public override bool MoveNext() => inner.MoveNext();

            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

            public override bool IsColumnActive(DataViewSchema.Column column) => true;

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (column.Index < inner.Schema.Count)
                    return inner.GetGetter<TValue>(inner.Schema[column.Index]);
                // Row r holds 7 in slot (r * 2) mod 4: rows 0, 1, 2 -> slots 0, 2, 0.
                ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
                    value = new VBuffer<float>(4, 1, [7f], [(int)(Position * 2 % 4)]);
                return (ValueGetter<TValue>)(Delegate)getter;
            }
        }
    }
}
