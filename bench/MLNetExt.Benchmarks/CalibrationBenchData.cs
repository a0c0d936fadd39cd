using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Benchmarks;

/// <summary>Multiclass predictions held in arrays: labels 0..K-1 and row-major softmax probabilities.</summary>
internal sealed record MulticlassPredictions(int ClassCount, uint[] Labels, float[] Probabilities);

/// <summary>Deterministic synthetic multiclass predictions: softmax of random logits, an over-confident model.</summary>
internal static class SyntheticMulticlass
{
    public static MulticlassPredictions Generate(int n, int k, int seed = 11)
    {
        var random = new Random(seed);
        var labels = new uint[n];
        var probabilities = new float[(long)n * k];
        var logits = new double[k];
        for (int i = 0; i < n; i++)
        {
            int truth = random.Next(k);
            double max = double.NegativeInfinity;
            for (int j = 0; j < k; j++)
            {
                logits[j] = 3 * random.NextDouble() + (j == truth ? 2.5 : 0);
                max = Math.Max(max, logits[j]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++)
                sum += logits[j] = Math.Exp(logits[j] - max);
            for (int j = 0; j < k; j++)
                probabilities[(long)i * k + j] = (float)(logits[j] / sum);
            // The label follows the predicted probabilities softened: the model is over-confident.
            labels[i] = random.NextDouble() < 0.7 ? (uint)truth : (uint)random.Next(k);
        }
        return new MulticlassPredictions(k, labels, probabilities);
    }
}

/// <summary>
/// Multiclass predictions as an <see cref="IDataView"/> with ML.NET's columns: Label (key 1..K), Score (vector of K
/// Single), PredictedLabel (key, the argmax). Getters read the arrays directly.
/// </summary>
internal sealed class MulticlassArrayDataView : IDataView
{
    private readonly MulticlassPredictions _data;

    public MulticlassArrayDataView(MulticlassPredictions data)
    {
        _data = data;
        var builder = new DataViewSchema.Builder();
        var key = new KeyDataViewType(typeof(uint), data.ClassCount);
        builder.AddColumn("Label", key);
        builder.AddColumn("Score", new VectorDataViewType(NumberDataViewType.Single, data.ClassCount));
        builder.AddColumn("PredictedLabel", key);
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _data.Labels.Length;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(MulticlassArrayDataView view, HashSet<int> active) : DataViewRowCursor
    {
        private long _position = -1;

        public override DataViewSchema Schema => view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext() => ++_position < view._data.Labels.Length;

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int k = view._data.ClassCount;
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<uint>)((ref uint v) => v = view._data.Labels[_position] + 1),
                1 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) =>
                {
                    var editor = VBufferEditor.Create(ref v, k);
                    view._data.Probabilities.AsSpan((int)(_position * k), k).CopyTo(editor.Values);
                    v = editor.Commit();
                }),
                _ => (ValueGetter<uint>)((ref uint v) =>
                {
                    var row = view._data.Probabilities.AsSpan((int)(_position * k), k);
                    int best = 0;
                    for (int j = 1; j < k; j++)
                    {
                        if (row[j] > row[best])
                            best = j;
                    }
                    v = (uint)best + 1;
                }),
            };
            return (ValueGetter<TValue>)getter;
        }
    }
}
