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
/// A block of consecutive rows of a feature column, dense (row-major) or compressed sparse rows (CSR: row r holds
/// <c>Indices[RowOffsets[r]..RowOffsets[r+1]]</c> with the matching <c>Values</c>; absent entries are 0). The
/// buffers belong to the reader and are reused for the next block.
/// </summary>
internal sealed class FeatureBlock
{
    private float[] _dense = [];
    private int[] _rowOffsets = [];
    private int[] _indices = [];
    private float[] _values = [];
    private int _stored;

    internal FeatureBlock(int featureCount) => FeatureCount = featureCount;

    /// <summary>Values per row.</summary>
    public int FeatureCount { get; }

    /// <summary>The index of the block's first row in the data.</summary>
    public long FirstRow { get; private set; }

    /// <summary>Rows in the block.</summary>
    public int RowCount { get; private set; }

    /// <summary>Whether the block is in CSR form (<see cref="RowOffsets"/>, <see cref="Indices"/>, <see cref="Values"/>)
    /// rather than dense (<see cref="Dense"/>).</summary>
    public bool IsSparse { get; private set; }

    /// <summary>Dense form: RowCount x FeatureCount values, row-major.</summary>
    public ReadOnlySpan<float> Dense => IsSparse ? throw new InvalidOperationException("The block is sparse.") : _dense.AsSpan(0, RowCount * FeatureCount);

    /// <summary>CSR form: RowCount + 1 offsets into <see cref="Indices"/> and <see cref="Values"/>, starting at 0.</summary>
    public ReadOnlySpan<int> RowOffsets => IsSparse ? _rowOffsets.AsSpan(0, RowCount + 1) : throw new InvalidOperationException("The block is dense.");

    /// <summary>CSR form: the feature index of each stored value, increasing within a row.</summary>
    public ReadOnlySpan<int> Indices => IsSparse ? _indices.AsSpan(0, _stored) : throw new InvalidOperationException("The block is dense.");

    /// <summary>CSR form: the stored values.</summary>
    public ReadOnlySpan<float> Values => IsSparse ? _values.AsSpan(0, _stored) : throw new InvalidOperationException("The block is dense.");

    /// <summary>The number of stored values: RowCount x FeatureCount when dense.</summary>
    public long StoredValueCount => IsSparse ? _stored : (long)RowCount * FeatureCount;

    /// <summary>Writes row <paramref name="row"/> (0-based within the block) densely into <paramref name="destination"/>.</summary>
    public void CopyRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)RowCount)
            throw new ArgumentOutOfRangeException(nameof(row), $"Row {row} is not in this block of {RowCount} rows.");
        if (!IsSparse)
        {
            _dense.AsSpan(row * FeatureCount, FeatureCount).CopyTo(destination);
            return;
        }
        destination[..FeatureCount].Clear();
        for (int k = _rowOffsets[row]; k < _rowOffsets[row + 1]; k++)
            destination[_indices[k]] = _values[k];
    }

    // ---- filled by FeatureBlockColumn ----

    internal void Start(long firstRow, bool sparse, int capacityRows)
    {
        FirstRow = firstRow;
        RowCount = 0;
        _stored = 0;
        IsSparse = sparse;
        if (sparse)
        {
            if (_rowOffsets.Length < capacityRows + 1)
                _rowOffsets = new int[capacityRows + 1];
            _rowOffsets[0] = 0;
        }
        else if (_dense.Length < capacityRows * FeatureCount)
        {
            _dense = new float[capacityRows * FeatureCount];
        }
    }

    internal Span<float> AppendDenseRow() => _dense.AsSpan(RowCount++ * FeatureCount, FeatureCount);

    internal void AppendSparseValue(int index, float value)
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

    internal void EndSparseRow() => _rowOffsets[++RowCount] = _stored;

    /// <summary>Turns a CSR block into a dense one when it is at least half full (Auto layout).</summary>
    internal void DensifyIfFull()
    {
        if (!IsSparse || (long)_stored * 2 < (long)RowCount * FeatureCount)
            return;
        if (_dense.Length < RowCount * FeatureCount)
            _dense = new float[Math.Max(_dense.Length, RowCount * FeatureCount)];
        var dense = _dense.AsSpan(0, RowCount * FeatureCount);
        dense.Clear();
        for (int r = 0; r < RowCount; r++)
        {
            var row = dense.Slice(r * FeatureCount, FeatureCount);
            for (int k = _rowOffsets[r]; k < _rowOffsets[r + 1]; k++)
                row[_indices[k]] = _values[k];
        }
        IsSparse = false;
    }
}

/// <summary>
/// A feature column read in blocks (see <see cref="DataViewColumnReader.AddFeatureBlocks"/>): each full block, and
/// the last partial one, goes to the callback while the cursor moves on, so a native engine can be fed without a
/// managed copy of the whole column.
/// </summary>
internal sealed class FeatureBlockColumn : ColumnBinding
{
    /// <summary>The most bytes a dense block may take; wide columns get fewer rows per block.</summary>
    internal const long MaximumDenseBlockBytes = 64L << 20;

    private readonly ValueRule _rule;
    private readonly BlockLayout _layout;
    private readonly Action<FeatureBlock> _onBlock;
    private readonly bool _isDouble;
    private readonly int _blockRows;
    private readonly FeatureBlock _block;
    private ValueGetter<VBuffer<float>>? _floatGetter;
    private ValueGetter<VBuffer<double>>? _doubleGetter;
    private VBuffer<float> _floatBuffer;
    private VBuffer<double> _doubleBuffer;
    private long _nonZero;

    internal FeatureBlockColumn(DataViewColumnReader reader, string columnName, string role, ValueRule rule, BlockLayout layout,
        int maximumBlockRows, Action<FeatureBlock> onBlock) : base(reader, columnName, role)
    {
        Guard.Argument(maximumBlockRows > 0, nameof(maximumBlockRows), $"A block must hold at least one row; got {maximumBlockRows}.");
        _rule = rule;
        _layout = layout;
        _onBlock = Guard.NotNull(onBlock, nameof(onBlock));
        if (Column.Type is not VectorDataViewType { IsKnownSize: true } vector
            || (vector.ItemType != NumberDataViewType.Single && vector.ItemType != NumberDataViewType.Double))
            throw Mismatch("a known-size vector of Single");
        _isDouble = vector.ItemType == NumberDataViewType.Double;
        Size = vector.Size;
        SlotNames = Data.SlotNames.Read(Column);
        long denseRows = Math.Max(1, MaximumDenseBlockBytes / (4L * Size));
        _blockRows = layout == BlockLayout.Sparse ? maximumBlockRows : (int)Math.Min(maximumBlockRows, denseRows);
        _block = new FeatureBlock(Size);
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
        _block.Start(0, Sparse, _blockRows);
        RowCount = 0;
        _nonZero = 0;
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
        if (_block.RowCount == _blockRows)
            Flush(row + 1L);
    }

    internal override void Complete()
    {
        if (_block.RowCount > 0)
            Flush(RowCount);
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
                Check(row, dense ? k : indices[k], v);
                _block.AppendSparseValue(dense ? k : indices[k], v);
                _nonZero++;
            }
            _block.EndSparseRow();
            return;
        }
        var destination = _block.AppendDenseRow();
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

    private static float ToSingle<T>(T value) where T : struct
        => typeof(T) == typeof(float) ? (float)(object)value : (float)(double)(object)value;

    private void Check(int row, int slot, float value)
    {
        if (_rule != ValueRule.Any && !DataViewColumnReader.Satisfies(value, _rule))
            throw BadValue(row, $"{DataViewColumnReader.Format(value)} in slot {slot}", DataViewColumnReader.Describe(_rule));
    }

    private void Flush(long nextRow)
    {
        if (_layout == BlockLayout.Auto)
            _block.DensifyIfFull();
        _onBlock(_block);
        _block.Start(nextRow, Sparse, _blockRows);
    }
}
