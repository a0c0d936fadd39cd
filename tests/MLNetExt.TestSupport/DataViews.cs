using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Tests.Support;

/// <summary>
/// The input with one value replaced: at row <c>row</c>, a Single/Double scalar column reads <c>value</c>, and a
/// vector column reads it in its first slot. For the NaN and infinity conformance checks.
/// </summary>
public sealed class ValueInjectingDataView : IDataView
{
    private readonly IDataView _input;
    private readonly DataViewSchema.Column _column;
    private readonly long _row;
    private readonly float _value;

    public ValueInjectingDataView(IDataView input, string columnName, long row, float value)
    {
        _input = input;
        _column = input.Schema[columnName];
        var item = _column.Type is VectorDataViewType v ? v.ItemType : _column.Type;
        if (item != NumberDataViewType.Single && item != NumberDataViewType.Double)
            throw new ArgumentException($"Column '{columnName}' is {_column.Type}; values can be injected into Single or Double columns only.");
        _row = row;
        _value = value;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema => _input.Schema;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, _input.GetRowCursor(columnsNeeded));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded)];

    private sealed class Cursor(ValueInjectingDataView parent, DataViewRowCursor inner) : DataViewRowCursor
    {
        public override DataViewSchema Schema => inner.Schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override bool MoveNext() => inner.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var getter = inner.GetGetter<TValue>(column);
            if (column.Index != parent._column.Index)
                return getter;
            return (ref TValue value) =>
            {
                getter(ref value);
                if (inner.Position != parent._row)
                    return;
                object boxed = value!;
                value = (TValue)(boxed switch
                {
                    float => parent._value,
                    double => (double)parent._value,
                    VBuffer<float> v => Replace(v, parent._value),
                    VBuffer<double> v => Replace(v, (double)parent._value),
                    _ => boxed,
                });
            };
        }

        private static VBuffer<T> Replace<T>(VBuffer<T> vector, T value)
        {
            var dense = vector.DenseValues().ToArray();
            dense[0] = value;
            return new VBuffer<T>(dense.Length, dense);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>The input plus a Single column computed from the row index (weights for the conformance checks).</summary>
public sealed class ExtraColumnDataView : IDataView
{
    private readonly IDataView _input;
    private readonly Func<long, float> _valueOfRow;

    public ExtraColumnDataView(IDataView input, string name, Func<long, float> valueOfRow)
    {
        _input = input;
        _valueOfRow = valueOfRow;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema);
        builder.AddColumn(name, NumberDataViewType.Single);
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int count = _input.Schema.Count;
        var inner = _input.GetRowCursor(columnsNeeded.Where(c => c.Index < count).Select(c => _input.Schema[c.Index]));
        return new Cursor(this, inner, columnsNeeded.Any(c => c.Index == count));
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded)];

    private sealed class Cursor(ExtraColumnDataView parent, DataViewRowCursor inner, bool extraActive) : DataViewRowCursor
    {
        public override DataViewSchema Schema => parent.Schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override bool MoveNext() => inner.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
            => column.Index == parent._input.Schema.Count ? extraActive : inner.IsColumnActive(parent._input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < parent._input.Schema.Count)
                return inner.GetGetter<TValue>(parent._input.Schema[column.Index]);
            ValueGetter<float> getter = (ref float value) => value = parent._valueOfRow(inner.Position);
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
