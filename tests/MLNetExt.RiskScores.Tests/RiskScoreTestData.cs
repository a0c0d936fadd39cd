using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.RiskScores.Engine;
using MLNetExt.Tests.Support;

namespace MLNetExt.RiskScores.Tests;

/// <summary>The bundled risk-slim data sets and the spec's toy data, for the tests.</summary>
internal static class RiskScoreTestData
{
    /// <summary>
    /// data/riskscore/&lt;name&gt;.csv: Label (Boolean, from the 0/1 first column), Features (the rest, with the header as
    /// slot names: ML.NET's text loader reads them from the data sample given when the loader is created).
    /// </summary>
    public static IDataView Load(MLContext ml, string name)
    {
        string path = TestData.Path($"riskscore/{name}.csv");
        int d = File.ReadLines(path).First().Split(',').Length - 1;
        var loader = ml.Data.CreateTextLoader(
            [new TextLoader.Column("Label", DataKind.Boolean, 0), new TextLoader.Column("Features", DataKind.Single, 1, d)],
            separatorChar: ',', hasHeader: true, dataSample: new MultiFileSource(path));
        return loader.Load(path);
    }

    /// <summary>The feature names (header) of a bundled set.</summary>
    public static string[] Names(string name) => File.ReadLines(TestData.Path($"riskscore/{name}.csv")).First().Split(',').Skip(1).ToArray();

    /// <summary>A bundled set read without ML.NET: features row-major and labels.</summary>
    public static (float[] X, bool[] Y, int N, int D) Arrays(string name)
    {
        var lines = File.ReadAllLines(TestData.Path($"riskscore/{name}.csv"));
        int d = lines[0].Split(',').Length - 1, n = lines.Length - 1;
        var x = new float[n * d];
        var y = new bool[n];
        for (int i = 0; i < n; i++)
        {
            var parts = lines[i + 1].Split(',');
            y[i] = parts[0] == "1";
            for (int j = 0; j < d; j++)
                x[i * d + j] = float.Parse(parts[j + 1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return (x, y, n, d);
    }

    /// <summary>
    /// The toy data T6 of spec §6: x = (A, B); rows (1,0,+), (1,1,+), (1,0,+), (0,1,-), (0,0,-), (1,1,-). Rows 2 and 6
    /// share x = (1,1) with opposite labels, so every model makes at least one error.
    /// </summary>
    public static readonly double[,] ToyX = { { 1, 0 }, { 1, 1 }, { 1, 0 }, { 0, 1 }, { 0, 0 }, { 1, 1 } };

    public static readonly int[] ToyY = [1, 1, 1, -1, -1, -1];

    public static RiskData ToyData() => RiskData.FromRows(ToyX, ToyY);

    public sealed class Row
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    /// <summary>T6 as an IDataView with slot names A and B.</summary>
    public static IDataView Toy(MLContext ml)
    {
        var rows = Enumerable.Range(0, 6).Select(i => new Row { Features = [(float)ToyX[i, 0], (float)ToyX[i, 1]], Label = ToyY[i] > 0 });
        var data = ml.Data.LoadFromEnumerable(rows);
        return WithSlotNames(ml, data, ["A", "B"]);
    }

    /// <summary>Gives the Features column slot names (through Concatenate of named scalar columns).</summary>
    public static IDataView WithSlotNames(MLContext ml, IDataView data, string[] names)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = (ref VBuffer<ReadOnlyMemory<char>> v) =>
            v = new VBuffer<ReadOnlyMemory<char>>(names.Length, names.Select(s => s.AsMemory()).ToArray());
        builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, names.Length), getter);
        return new AnnotatedDataView(data, "Features", builder.ToAnnotations());
    }

    /// <summary>The input with other annotations on one column (a test double).</summary>
    private sealed class AnnotatedDataView(IDataView input, string name, DataViewSchema.Annotations annotations) : IDataView
    {
        private readonly DataViewSchema _schema = Build(input.Schema, name, annotations);

        private static DataViewSchema Build(DataViewSchema schema, string name, DataViewSchema.Annotations annotations)
        {
            var builder = new DataViewSchema.Builder();
            foreach (var column in schema)
                builder.AddColumn(column.Name, column.Type, column.Name == name ? annotations : column.Annotations);
            return builder.ToSchema();
        }

        public bool CanShuffle => false;

        public DataViewSchema Schema => _schema;

        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
            => new Cursor(input.GetRowCursor(columnsNeeded.Select(c => input.Schema[c.Index])), _schema);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(DataViewRowCursor inner, DataViewSchema schema) : DataViewRowCursor
        {
            public override DataViewSchema Schema => schema;

            public override long Position => inner.Position;

            public override long Batch => inner.Batch;

            public override bool MoveNext() => inner.MoveNext();

            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(inner.Schema[column.Index]);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(inner.Schema[column.Index]);

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                    inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
