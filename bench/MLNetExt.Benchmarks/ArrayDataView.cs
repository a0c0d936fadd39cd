using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Binary predictions held in arrays, as an <see cref="IDataView"/> with ML.NET's column names (Label, Score,
/// Probability, PredictedLabel). Getters read straight from the arrays, so a benchmark measures the evaluator, not
/// the data source.
/// </summary>
internal sealed class ArrayDataView : IDataView
{
    private readonly bool[] _labels;
    private readonly float[] _scores;
    private readonly float[] _probabilities;

    public ArrayDataView(bool[] labels, float[] scores, float[] probabilities)
    {
        _labels = labels;
        _scores = scores;
        _probabilities = probabilities;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Label", BooleanDataViewType.Instance);
        builder.AddColumn("Score", NumberDataViewType.Single);
        builder.AddColumn("Probability", NumberDataViewType.Single);
        builder.AddColumn("PredictedLabel", BooleanDataViewType.Instance);
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _labels.Length;

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

        public override bool MoveNext() => ++_position < view._labels.Length;

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<bool>)((ref bool v) => v = view._labels[_position]),
                1 => (ValueGetter<float>)((ref float v) => v = view._scores[_position]),
                2 => (ValueGetter<float>)((ref float v) => v = view._probabilities[_position]),
                _ => (ValueGetter<bool>)((ref bool v) => v = view._scores[_position] > 0),
            };
            return (ValueGetter<TValue>)getter;
        }
    }
}
