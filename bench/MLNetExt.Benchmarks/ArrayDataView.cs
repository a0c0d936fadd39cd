using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Columns held in arrays, as an <see cref="IDataView"/>. Getters read straight from the arrays, so a benchmark
/// measures the evaluator, not the data source. The constructor gives binary predictions with ML.NET's column names
/// (Label, Score, Probability, PredictedLabel); <see cref="Ranking"/> gives ranking scores (Label, Score, GroupId).
/// </summary>
internal sealed class ArrayDataView : IDataView
{
    private readonly long _rowCount;
    private readonly Func<Func<long>, Delegate>[] _getters;

    public ArrayDataView(bool[] labels, float[] scores, float[] probabilities)
        : this(labels.Length,
            ("Label", BooleanDataViewType.Instance, position => (ValueGetter<bool>)((ref bool v) => v = labels[position()])),
            ("Score", NumberDataViewType.Single, position => (ValueGetter<float>)((ref float v) => v = scores[position()])),
            ("Probability", NumberDataViewType.Single, position => (ValueGetter<float>)((ref float v) => v = probabilities[position()])),
            ("PredictedLabel", BooleanDataViewType.Instance, position => (ValueGetter<bool>)((ref bool v) => v = scores[position()] > 0)))
    {
    }

    private ArrayDataView(long rowCount, params (string Name, DataViewType Type, Func<Func<long>, Delegate> Getter)[] columns)
    {
        _rowCount = rowCount;
        _getters = columns.Select(c => c.Getter).ToArray();
        var builder = new DataViewSchema.Builder();
        foreach (var (name, type, _) in columns)
            builder.AddColumn(name, type);
        Schema = builder.ToSchema();
    }

    /// <summary>Label (Single), Score (Single) and GroupId (key, query q of <paramref name="offsets"/> as q + 1).</summary>
    public static ArrayDataView Ranking(float[] labels, float[] scores, int[] offsets)
    {
        var groups = new uint[labels.Length];
        for (int q = 0; q + 1 < offsets.Length; q++)
            groups.AsSpan(offsets[q], offsets[q + 1] - offsets[q]).Fill((uint)q + 1);
        return new ArrayDataView(labels.Length,
            ("Label", NumberDataViewType.Single, position => (ValueGetter<float>)((ref float v) => v = labels[position()])),
            ("Score", NumberDataViewType.Single, position => (ValueGetter<float>)((ref float v) => v = scores[position()])),
            ("GroupId", new KeyDataViewType(typeof(uint), offsets.Length), position => (ValueGetter<uint>)((ref uint v) => v = groups[position()])));
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(ArrayDataView view, HashSet<int> active) : DataViewRowCursor
    {
        private long _position = -1;

        public override DataViewSchema Schema => view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext() => ++_position < view._rowCount;

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            => (ValueGetter<TValue>)view._getters[column.Index](() => _position);
    }
}
