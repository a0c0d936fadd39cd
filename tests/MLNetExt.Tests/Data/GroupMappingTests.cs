using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;

namespace MLNetExt.Tests.Data;

/// <summary>The group-mapping transformer base: one contiguous group at a time, lazily, for listwise models.</summary>
[TestClass]
public sealed class GroupMappingTests
{
    private sealed class Row
    {
        public uint Group { get; set; }

        public float X { get; set; }
    }

    private static IDataView Data(MLContext mlContext, params (uint Group, float X)[] rows)
        => mlContext.Data.LoadFromEnumerable(rows.Select(r => new Row { Group = r.Group, X = r.X }));

    /// <summary>A listwise map: each row's X minus the mean X of its group, and the group's size.</summary>
    private sealed class CenteringTransformer : GroupMappingTransformer
    {
        public int GroupsScored { get; private set; }

        private protected override GroupMapper CreateMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

        private sealed class Mapper(CenteringTransformer parent, DataViewSchema schema) : GroupMapper(schema, "Group")
        {
            private readonly DataViewSchema.DetachedColumn[] _outputs =
            [
                new("Centered", NumberDataViewType.Single),
                new("GroupSize", NumberDataViewType.Single),
            ];

            public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

            public override IEnumerable<DataViewSchema.Column> GetDependencies() => [InputSchema["X"]];

            public override GroupScorer CreateScorer(DataViewRow input) => new Scorer(parent, input.GetGetter<float>(InputSchema["X"]));
        }

        private sealed class Scorer(CenteringTransformer parent, ValueGetter<float> x) : GroupScorer
        {
            private readonly List<float> _values = [];

            public override void AddRow(int indexInGroup)
            {
                if (indexInGroup == 0)
                    _values.Clear();
                float value = 0;
                x(ref value);
                _values.Add(value);
            }

            public override void ScoreGroup(int rowCount, float[][] outputs)
            {
                parent.GroupsScored++;
                Assert.AreEqual(_values.Count, rowCount);
                float mean = _values.Average();
                for (int i = 0; i < rowCount; i++)
                {
                    outputs[0][i] = _values[i] - mean;
                    outputs[1][i] = rowCount;
                }
            }
        }
    }

    [TestMethod]
    public void Transform_MapsEachGroupAsAWhole_AndKeepsTheInputColumnsInStep()
    {
        var mlContext = new MLContext(seed: 1);
        // Groups of 3, 1 and 20 rows (the last one past the initial buffer size).
        var rows = new List<(uint, float)> { (7, 1), (7, 2), (7, 6), (3, 10) };
        rows.AddRange(Enumerable.Range(0, 20).Select(i => (5u, (float)i)));
        var transformer = new CenteringTransformer();
        var output = transformer.Transform(Data(mlContext, rows.ToArray()));

        var centered = output.GetColumn<float>("Centered").ToArray();
        var sizes = output.GetColumn<float>("GroupSize").ToArray();
        var xs = output.GetColumn<float>("X").ToArray();
        CollectionAssert.AreEqual(new float[] { -2, -1, 3, 0 }, centered[..4]);   // mean of 1, 2, 6 is 3
        CollectionAssert.AreEqual(Enumerable.Range(0, 20).Select(i => i - 9.5f).ToArray(), centered[4..]);
        CollectionAssert.AreEqual(new float[] { 3, 3, 3, 1 }, sizes[..4]);
        CollectionAssert.AreEqual(rows.Select(r => r.Item2).ToArray(), xs);

        // Reading the input column together with the output: the trailing cursor serves the same rows.
        using var cursor = output.GetRowCursor(output.Schema);
        var x = cursor.GetGetter<float>(output.Schema["X"]);
        var c = cursor.GetGetter<float>(output.Schema["Centered"]);
        int row = 0;
        float xv = 0, cv = 0;
        while (cursor.MoveNext())
        {
            x(ref xv);
            c(ref cv);
            Assert.AreEqual(rows[row].Item2, xv, $"row {row}");
            Assert.AreEqual(centered[row], cv, $"row {row}");
            row++;
        }
        Assert.AreEqual(rows.Count, row);
    }

    [TestMethod]
    public void Transform_IsLazy_AndReadsOnlyInputsWhenNoOutputIsAsked()
    {
        var mlContext = new MLContext(seed: 1);
        var transformer = new CenteringTransformer();
        var output = transformer.Transform(Data(mlContext, (1, 1), (1, 2), (2, 3)));
        Assert.AreEqual(0, transformer.GroupsScored, "nothing is computed by Transform itself");
        _ = output.GetColumn<float>("X").ToArray();
        Assert.AreEqual(0, transformer.GroupsScored, "reading input columns only scores no group");
        _ = output.GetColumn<float>("Centered").ToArray();
        Assert.AreEqual(2, transformer.GroupsScored);
    }

    [TestMethod]
    public void Transform_InterleavedGroups_AreAnErrorNamingTheGroup()
    {
        var mlContext = new MLContext(seed: 1);
        var output = new CenteringTransformer().Transform(Data(mlContext, (1, 1), (2, 2), (1, 3)));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => output.GetColumn<float>("Centered").ToArray());
        StringAssert.Contains(e.Message, "Rows of group 1 in column 'Group' are not contiguous");
        StringAssert.Contains(e.Message, "at row 2");
    }

    [TestMethod]
    public void RowToRowMapping_IsRefusedWithAMessageSayingWhatToDo()
    {
        var mlContext = new MLContext(seed: 1);
        var transformer = new CenteringTransformer();
        var data = Data(mlContext, (1, 1));
        Assert.IsFalse(transformer.IsRowToRowMapper);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => transformer.GetRowToRowMapper(data.Schema));
        StringAssert.Contains(e.Message, "scores whole groups");
        StringAssert.Contains(e.Message, "PredictionEngine");
        Assert.AreEqual(4, transformer.GetOutputSchema(data.Schema).Count);
    }

    [TestMethod]
    public void GroupColumn_OfTheWrongType_IsASchemaError()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new { Group = "a", X = 1f } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CenteringTransformer().Transform(data));
        StringAssert.Contains(e.Message, "Schema mismatch for group column 'Group': expected a key type or whole numbers, got");
    }
}
