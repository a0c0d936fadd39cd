using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>How <see cref="FeatureBlockColumn"/> lays out the rows of a block.</summary>
internal enum BlockLayout
{
    /// <summary>Row-major dense values (sparse rows are expanded).</summary>
    Dense,

    /// <summary>Compressed sparse rows: only non-zero values are kept (dense rows are compressed).</summary>
    Sparse,

    /// <summary>Sparse when fewer than half of a block's values are non-zero, dense otherwise.</summary>
    Auto,
}

/// <summary>
/// A feature column read in blocks (see <see cref="DataViewColumnReader.AddFeatureBlocks"/>): each full block, and
/// the last partial one, goes to the visitor as a <see cref="RowBlock"/> while the cursor moves on, so a native engine
/// can be fed without a managed copy of the whole column. The block's buffers are reused for the next block. When the
/// visitor returns false, reading stops after that block (the reader's other columns then hold the rows read so far).
/// </summary>
internal sealed class FeatureBlockColumn : ColumnBinding
{
    /// <summary>The most bytes a dense block may take; wide columns get fewer rows per block.</summary>
    internal const long MaximumDenseBlockBytes = 64L << 20;

    private readonly ValueRule _rule;
    private readonly BlockLayout _layout;
    private readonly IRowBlockVisitor _visitor;
    private readonly bool _isDouble;
    private readonly int _blockRows;
    private ValueGetter<VBuffer<float>>? _floatGetter;
    private ValueGetter<VBuffer<double>>? _doubleGetter;
    private VBuffer<float> _floatBuffer;
    private VBuffer<double> _doubleBuffer;
    private long _nonZero;

    // The block being filled: dense rows, or CSR offsets / indices / values.
    private float[] _dense = [];
    private int[] _rowOffsets = [];
    private int[] _indices = [];
    private float[] _values = [];
    private int _stored;
    private int _rows;
    private long _firstRow;

    internal FeatureBlockColumn(DataViewColumnReader reader, string columnName, string role, ValueRule rule, BlockLayout layout,
        int maximumBlockRows, IRowBlockVisitor visitor) : base(reader, columnName, role)
    {
        Guard.Argument(maximumBlockRows > 0, nameof(maximumBlockRows), $"A block must hold at least one row; got {maximumBlockRows}.");
        _rule = rule;
        _layout = layout;
        _visitor = Guard.NotNull(visitor, nameof(visitor));
        if (Column.Type is not VectorDataViewType { IsKnownSize: true } vector
            || (vector.ItemType != NumberDataViewType.Single && vector.ItemType != NumberDataViewType.Double))
            throw Mismatch("a known-size vector of Single");
        _isDouble = vector.ItemType == NumberDataViewType.Double;
        Size = vector.Size;
        SlotNames = Data.SlotNames.Read(Column);
        long denseRows = Math.Max(1, MaximumDenseBlockBytes / (4L * Size));
        _blockRows = layout == BlockLayout.Sparse ? maximumBlockRows : (int)Math.Min(maximumBlockRows, denseRows);
    }

    /// <summary>Values per row.</summary>
    public int Size { get; }

    /// <summary>The column's slot names when it has one per slot; null otherwise.</summary>
    public string[]? SlotNames { get; }

    /// <summary>The most rows a block holds (fewer than asked for when a dense block would exceed
    /// <see cref="MaximumDenseBlockBytes"/>).</summary>
    public int BlockRows => _blockRows;

    /// <summary>Rows read so far.</summary>
    public long RowCount { get; private set; }

    /// <summary>Non-zero values seen (NaN counts as non-zero).</summary>
    public long NonZeroCount => _nonZero;

    private bool Sparse => _layout != BlockLayout.Dense;

    internal override void Bind(DataViewRowCursor cursor, int capacity)
    {
        if (_isDouble)
            _doubleGetter = cursor.GetGetter<VBuffer<double>>(Column);
        else
            _floatGetter = cursor.GetGetter<VBuffer<float>>(Column);
        if (Sparse)
            _rowOffsets = new int[_blockRows + 1];
        else
            _dense = new float[_blockRows * Size];
        StartBlock(0);
        RowCount = 0;
        _nonZero = 0;
        Stopped = false;
    }

    internal override void ReadRow(int row)
    {
        if (_isDouble)
        {
            _doubleGetter!(ref _doubleBuffer);
            if (_doubleBuffer.Length != Size)
                throw WrongLength(row, _doubleBuffer.Length, Size);
            Append(row, _doubleBuffer.GetIndices(), _doubleBuffer.GetValues(), _doubleBuffer.IsDense);
        }
        else
        {
            _floatGetter!(ref _floatBuffer);
            if (_floatBuffer.Length != Size)
                throw WrongLength(row, _floatBuffer.Length, Size);
            Append(row, _floatBuffer.GetIndices(), _floatBuffer.GetValues(), _floatBuffer.IsDense);
        }
        RowCount++;
        if (_rows == _blockRows)
            Flush(row + 1L);
    }

    internal override void Complete()
    {
        if (_rows > 0 && !Stopped)
            Flush(RowCount);
    }

    private void StartBlock(long firstRow)
    {
        _firstRow = firstRow;
        _rows = 0;
        _stored = 0;
    }

    private void Append<T>(int row, ReadOnlySpan<int> indices, ReadOnlySpan<T> values, bool dense) where T : struct
    {
        if (Sparse)
        {
            for (int k = 0; k < values.Length; k++)
            {
                float v = ToSingle(values[k]);
                if (v == 0)
                    continue;
                int j = dense ? k : indices[k];
                Check(row, j, v);
                AppendSparse(j, v);
                _nonZero++;
            }
            _rowOffsets[++_rows] = _stored;
            return;
        }
        var destination = _dense.AsSpan(_rows++ * Size, Size);
        if (!dense)
            destination.Clear();
        for (int k = 0; k < values.Length; k++)
        {
            float v = ToSingle(values[k]);
            int j = dense ? k : indices[k];
            destination[j] = v;
            if (v != 0)
            {
                Check(row, j, v);
                _nonZero++;
            }
        }
    }

    private void AppendSparse(int index, float value)
    {
        if (_stored == _indices.Length)
        {
            int capacity = (int)Math.Min(Array.MaxLength, Math.Max(1024L, 2L * _indices.Length));
            if (capacity == _stored)
                throw new InvalidOperationException($"A block holds at most {Array.MaxLength} stored values.");
            Array.Resize(ref _indices, capacity);
            Array.Resize(ref _values, capacity);
        }
        _indices[_stored] = index;
        _values[_stored] = value;
        _stored++;
    }

    private static float ToSingle<T>(T value) where T : struct
        => typeof(T) == typeof(float) ? (float)(object)value : (float)(double)(object)value;

    private void Check(int row, int slot, float value)
    {
        if (_rule != ValueRule.Any && !DataViewColumnReader.Satisfies(value, _rule))
            throw BadValue(row, $"{DataViewColumnReader.Format(value)} in slot {slot}", DataViewColumnReader.Describe(_rule));
    }

    private void Flush(long nextRow)
    {
        bool keepGoing;
        if (!Sparse)
        {
            keepGoing = _visitor.Visit(new RowBlock(checked((int)_firstRow), _rows, Size, _dense.AsSpan(0, _rows * Size)));
        }
        else if (_layout == BlockLayout.Auto && (long)_stored * 2 >= (long)_rows * Size)
        {
            // At least half full: dense is smaller and faster to consume.
            if (_dense.Length < _rows * Size)
                _dense = new float[_blockRows * Size];
            var dense = _dense.AsSpan(0, _rows * Size);
            dense.Clear();
            for (int r = 0; r < _rows; r++)
            {
                for (int k = _rowOffsets[r]; k < _rowOffsets[r + 1]; k++)
                    dense[r * Size + _indices[k]] = _values[k];
            }
            keepGoing = _visitor.Visit(new RowBlock(checked((int)_firstRow), _rows, Size, dense));
        }
        else
        {
            keepGoing = _visitor.Visit(new RowBlock(checked((int)_firstRow), Size, _rowOffsets.AsSpan(0, _rows + 1),
                _indices.AsSpan(0, _stored), _values.AsSpan(0, _stored)));
        }
        Stopped = !keepGoing;
        StartBlock(nextRow);
    }
}

/// <summary>
/// A feature column of an <see cref="IDataView"/> as an <see cref="IRowBlockSource"/>: each <see cref="Read"/> opens a
/// new cursor and streams the column in bounded blocks, dense or CSR as the rows are stored, so engines that read
/// the data several times (a sampling pass, then a pass that pushes rows) never hold a managed copy of it. The view
/// must give every cursor the same rows in the same order, as ML.NET's loaders and transforms do without shuffling.
/// </summary>
internal sealed class DataViewRowBlockSource : IRowBlockSource
{
    private readonly IDataView _data;
    private readonly string _column;
    private readonly string _component;
    private readonly ValueRule _rule;
    private readonly BlockLayout _layout;
    private readonly int _blockRows;

    /// <param name="data">The data.</param>
    /// <param name="featureColumnName">A known-size vector of Single or Double.</param>
    /// <param name="component">Who reads, for messages.</param>
    /// <param name="rowCount">The number of rows (known from an earlier pass); every read must find exactly this many.</param>
    /// <param name="rule">What each feature value must satisfy (NaN is often allowed: missing values).</param>
    /// <param name="layout">Dense, sparse, or chosen per block.</param>
    /// <param name="blockRows">The most rows per block.</param>
    public DataViewRowBlockSource(IDataView data, string featureColumnName, string component, int rowCount,
        ValueRule rule = ValueRule.Any, BlockLayout layout = BlockLayout.Auto, int blockRows = 4096)
    {
        _data = Guard.NotNull(data, nameof(data));
        _column = featureColumnName;
        _component = component;
        _rule = rule;
        _layout = layout;
        _blockRows = blockRows;
        RowCount = rowCount;
        var column = SchemaChecks.Find(data.Schema, featureColumnName, "feature");
        if (column.Type is not VectorDataViewType { IsKnownSize: true } vector)
            throw SchemaChecks.Mismatch("feature", featureColumnName, "a known-size vector of Single", column.Type);
        FeatureCount = vector.Size;
    }

    /// <inheritdoc/>
    public int FeatureCount { get; }

    /// <inheritdoc/>
    public int RowCount { get; }

    /// <inheritdoc/>
    public void Read(IRowBlockVisitor visitor)
    {
        var reader = new DataViewColumnReader(_data, _component) { MinimumRowCount = 0 };
        var column = reader.AddFeatureBlocks(_column, "feature", _rule, _layout, _blockRows, visitor);
        reader.Read();
        if (!column.Stopped && column.RowCount != RowCount)
        {
            throw new InvalidOperationException(
                $"The data gave {column.RowCount} rows to a second read where the first read found {RowCount}; {_component} needs " +
                "data that gives every cursor the same rows (cache it with mlContext.Data.Cache if it does not).");
        }
    }
}
