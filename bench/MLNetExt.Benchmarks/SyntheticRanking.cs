using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Numerics;

namespace MLNetExt.Benchmarks;

/// <summary>
/// An MSLR-WEB-shaped learning-to-rank set generated on the fly, never held in memory: queries of 50 to 150
/// documents, 136 dense features, relevance grades 0-4 from a hidden nonlinear function of the features plus noise
/// (about half the documents 0, few 4, as in MSLR). Every value is a pure function of (seed, query, document, feature)
/// through Philox, so any subset of queries (the first 1,000 of a 10,000-query set) is the same data, and every
/// trainer reads exactly the same rows. Columns: Label (Single), GroupId (key, one value per query), Features
/// (Vector&lt;Single, 136&gt;, dense).
/// </summary>
internal sealed class SyntheticRanking : IDataView
{
    public const int FeatureCount = 136;
    private readonly ulong _seed;
    private readonly int _firstQuery;
    private readonly int[] _offsets;

    /// <param name="queries">The number of queries.</param>
    /// <param name="seed">The data set's seed (the training and test sets use different seeds).</param>
    /// <param name="firstQuery">The index of the first query (to take a later slice of the same stream).</param>
    public SyntheticRanking(int queries, ulong seed, int firstQuery = 0)
    {
        _seed = seed;
        _firstQuery = firstQuery;
        _offsets = new int[queries + 1];
        for (int q = 0; q < queries; q++)
            _offsets[q + 1] = _offsets[q] + DocumentCount(firstQuery + q);
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Label", NumberDataViewType.Single);
        builder.AddColumn("GroupId", new KeyDataViewType(typeof(uint), queries));
        builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, FeatureCount));
        Schema = builder.ToSchema();
    }

    public int Queries => _offsets.Length - 1;

    public int Rows => _offsets[^1];

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => Rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private int DocumentCount(int query) => 50 + (int)(CounterRandom.Bits(_seed ^ 0xD0C5, (ulong)query, 0) % 101);

    /// <summary>The features of one document: mostly uniform and normal noise, a few informative, some correlated.</summary>
    private void Features(int query, int document, Span<float> x)
    {
        var random = new CounterRandomStream(_seed, CounterRandom.Stream(query, document));
        float queryShift = (float)new CounterRandomStream(_seed ^ 0x51F7, (ulong)query).NextNormal();
        for (int j = 0; j < FeatureCount; j++)
        {
            x[j] = (j % 4) switch
            {
                0 => (float)random.NextDouble(),
                1 => (float)random.NextNormal(),
                2 => MathF.Round((float)(random.NextDouble() * 10)),           // small integer counts, as MSLR has
                _ => (float)(random.NextNormal() * 0.5) + queryShift,          // query-level context
            };
        }
        // Correlated features, as MSLR's BM25/TF-IDF variants of one signal.
        for (int j = 100; j < 110; j++)
            x[j] = x[j - 100] + 0.1f * x[j + 10];
    }

    /// <summary>Grade 0-4 from a hidden function (interactions, thresholds, a smooth part) plus logistic noise.</summary>
    private float Label(int query, int document, ReadOnlySpan<float> x)
    {
        double f = 1.6 * x[0] + Math.Sin(2 * x[1]) + 0.8 * x[5] * x[9] + (x[2] > 6 ? 0.9 : 0) - 0.5 * Math.Abs(x[13])
                   + 0.7 * x[100] * (x[3] > x[7] ? 1 : -1) + 0.3 * x[21];
        double noise = new CounterRandomStream(_seed ^ 0x1AB1, CounterRandom.Stream(query, document)).NextLogistic() * 0.45;
        double z = f + noise;
        return z < 1.2 ? 0 : z < 2.0 ? 1 : z < 2.7 ? 2 : z < 3.3 ? 3 : 4;
    }

    private sealed class Cursor(SyntheticRanking parent, HashSet<int> active) : DataViewRowCursor
    {
        private readonly float[] _features = new float[FeatureCount];
        private long _row = -1;
        private int _query = -1;
        private long _featureRow = -2;

        public override DataViewSchema Schema => parent.Schema;

        public override long Position => _row;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_row + 1 >= parent.Rows)
                return false;
            _row++;
            while (_row >= parent._offsets[_query + 1])
                _query++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_row, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        private ReadOnlySpan<float> Current()
        {
            if (_featureRow != _row)
            {
                parent.Features(parent._firstQuery + _query, (int)(_row - parent._offsets[_query]), _features);
                _featureRow = _row;
            }
            return _features;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<float>)((ref float value) =>
                    value = parent.Label(parent._firstQuery + _query, (int)(_row - parent._offsets[_query]), Current())),
                1 => (ValueGetter<uint>)((ref uint value) => value = (uint)_query + 1),
                _ => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    var editor = VBufferEditor.Create(ref value, FeatureCount);
                    Current().CopyTo(editor.Values);
                    value = editor.Commit();
                }),
            };
            return (ValueGetter<TValue>)getter;
        }
    }
}
