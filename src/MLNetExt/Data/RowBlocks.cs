namespace MLNetExt.Data;

/// <summary>
/// A block of consecutive rows of a feature matrix, either dense (row-major floats) or sparse (CSR). The spans are
/// valid only during the <see cref="IRowBlockVisitor.Visit"/> call that receives the block.
/// </summary>
internal readonly ref struct RowBlock
{
    /// <summary>A dense block: <paramref name="values"/> holds <paramref name="rowCount"/> rows of
    /// <paramref name="featureCount"/> values each, row after row.</summary>
    public RowBlock(int startRow, int rowCount, int featureCount, ReadOnlySpan<float> values)
    {
        StartRow = startRow;
        RowCount = rowCount;
        FeatureCount = featureCount;
        IsSparse = false;
        Values = values;
        RowOffsets = default;
        Indices = default;
    }

    /// <summary>A sparse block: row r's entries are <c>indices/values[rowOffsets[r] .. rowOffsets[r + 1])</c>, with
    /// <c>rowOffsets[0] = 0</c>, <paramref name="rowOffsets"/> of length rowCount + 1, and feature indices strictly
    /// increasing within a row. Absent features are 0.</summary>
    public RowBlock(int startRow, int featureCount, ReadOnlySpan<int> rowOffsets, ReadOnlySpan<int> indices,
        ReadOnlySpan<float> values)
    {
        StartRow = startRow;
        RowCount = rowOffsets.Length - 1;
        FeatureCount = featureCount;
        IsSparse = true;
        RowOffsets = rowOffsets;
        Indices = indices;
        Values = values;
    }

    /// <summary>Index of the block's first row in the whole data set.</summary>
    public int StartRow { get; }

    /// <summary>Number of rows in the block.</summary>
    public int RowCount { get; }

    /// <summary>Number of features (columns) of every row.</summary>
    public int FeatureCount { get; }

    /// <summary>True for a CSR block, false for a dense one.</summary>
    public bool IsSparse { get; }

    /// <summary>Dense: the row-major values. Sparse: the non-zero values, aligned with <see cref="Indices"/>.</summary>
    public ReadOnlySpan<float> Values { get; }

    /// <summary>Sparse only: row offsets into <see cref="Indices"/> and <see cref="Values"/> (length RowCount + 1).</summary>
    public ReadOnlySpan<int> RowOffsets { get; }

    /// <summary>Sparse only: the feature index of each stored value.</summary>
    public ReadOnlySpan<int> Indices { get; }

    /// <summary>The number of stored values: RowCount x FeatureCount when dense.</summary>
    public long StoredValueCount => IsSparse ? Values.Length : (long)RowCount * FeatureCount;

    /// <summary>Writes row <paramref name="row"/> (0-based within the block) densely into <paramref name="destination"/>.</summary>
    public void CopyRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)RowCount)
            throw new ArgumentOutOfRangeException(nameof(row), $"Row {row} is not in this block of {RowCount} rows.");
        if (!IsSparse)
        {
            Values.Slice(row * FeatureCount, FeatureCount).CopyTo(destination);
            return;
        }
        destination[..FeatureCount].Clear();
        for (int k = RowOffsets[row]; k < RowOffsets[row + 1]; k++)
            destination[Indices[k]] = Values[k];
    }
}

/// <summary>Receives the blocks of an <see cref="IRowBlockSource"/> in row order.</summary>
internal interface IRowBlockVisitor
{
    /// <summary>Processes one block; returns false to stop the enumeration early.</summary>
    bool Visit(in RowBlock block);
}

/// <summary>
/// A feature matrix that can be read several times, in bounded blocks of rows, always with the same rows in the
/// same order (the dataset builder reads it twice: a sampling pass for bin boundaries, then a pass that pushes rows).
/// The ML.NET layer implements it over an <c>IDataView</c> cursor; <see cref="DenseArrayRowSource"/> and
/// <see cref="CsrArrayRowSource"/> implement it over arrays.
/// </summary>
internal interface IRowBlockSource
{
    /// <summary>Number of features of every row.</summary>
    int FeatureCount { get; }

    /// <summary>Number of rows.</summary>
    int RowCount { get; }

    /// <summary>Passes the rows to <paramref name="visitor"/> block by block, from row 0 on, until the visitor
    /// returns false or the rows end.</summary>
    void Read(IRowBlockVisitor visitor);
}

/// <summary>An <see cref="IRowBlockSource"/> over a row-major float array.</summary>
internal sealed class DenseArrayRowSource : IRowBlockSource
{
    private readonly float[] _values;
    private readonly int _blockRows;

    /// <param name="values">Row-major values, <c>rows * featureCount</c> of them.</param>
    /// <param name="featureCount">Number of features per row (at least 1).</param>
    /// <param name="blockRows">Rows per block (at least 1).</param>
    public DenseArrayRowSource(float[] values, int featureCount, int blockRows = 4096)
    {
        Guard.NotNull(values, nameof(values));
        Guard.Argument(featureCount >= 1, nameof(featureCount), $"The feature count must be at least 1; got {featureCount}.");
        Guard.Argument(blockRows >= 1, nameof(blockRows), $"The block size must be at least 1 row; got {blockRows}.");
        Guard.Argument(values.Length % featureCount == 0, nameof(values),
            $"The value count {values.Length} is not a multiple of the feature count {featureCount}.");
        _values = values;
        _blockRows = blockRows;
        FeatureCount = featureCount;
        RowCount = values.Length / featureCount;
    }

    /// <inheritdoc/>
    public int FeatureCount { get; }

    /// <inheritdoc/>
    public int RowCount { get; }

    /// <inheritdoc/>
    public void Read(IRowBlockVisitor visitor)
    {
        for (int start = 0; start < RowCount; start += _blockRows)
        {
            int n = Math.Min(_blockRows, RowCount - start);
            var block = new RowBlock(start, n, FeatureCount, _values.AsSpan(start * FeatureCount, n * FeatureCount));
            if (!visitor.Visit(block))
                return;
        }
    }
}

/// <summary>An <see cref="IRowBlockSource"/> over a CSR matrix held in arrays.</summary>
internal sealed class CsrArrayRowSource : IRowBlockSource
{
    private readonly int[] _rowOffsets;
    private readonly int[] _indices;
    private readonly float[] _values;
    private readonly int _blockRows;
    private readonly int[] _blockOffsets;

    /// <param name="rowOffsets">Row r is <c>[rowOffsets[r], rowOffsets[r + 1])</c>; length rows + 1, starting at 0.</param>
    /// <param name="indices">Feature index of each value, strictly increasing within a row, in [0, featureCount).</param>
    /// <param name="values">The stored values.</param>
    /// <param name="featureCount">Number of features per row.</param>
    /// <param name="blockRows">Rows per block.</param>
    public CsrArrayRowSource(int[] rowOffsets, int[] indices, float[] values, int featureCount, int blockRows = 4096)
    {
        Guard.NotNull(rowOffsets, nameof(rowOffsets));
        Guard.NotNull(indices, nameof(indices));
        Guard.NotNull(values, nameof(values));
        Guard.Argument(featureCount >= 1, nameof(featureCount), $"The feature count must be at least 1; got {featureCount}.");
        Guard.Argument(blockRows >= 1, nameof(blockRows), $"The block size must be at least 1 row; got {blockRows}.");
        Guard.Argument(rowOffsets.Length >= 1 && rowOffsets[0] == 0, nameof(rowOffsets), "Row offsets must start with 0.");
        Guard.Argument(indices.Length == values.Length, nameof(values),
            $"Indices ({indices.Length}) and values ({values.Length}) must have the same length.");
        Guard.Argument(rowOffsets[^1] == values.Length, nameof(rowOffsets),
            $"The last row offset {rowOffsets[^1]} must equal the number of values {values.Length}.");
        for (int r = 0; r + 1 < rowOffsets.Length; r++)
        {
            if (rowOffsets[r + 1] < rowOffsets[r])
                throw new ArgumentException($"Row offsets decrease at row {r}.", nameof(rowOffsets));
            for (int k = rowOffsets[r]; k < rowOffsets[r + 1]; k++)
            {
                int f = indices[k];
                if (f < 0 || f >= featureCount)
                    throw new ArgumentException($"Row {r} has feature index {f}, outside [0, {featureCount}).", nameof(indices));
                if (k > rowOffsets[r] && indices[k - 1] >= f)
                {
                    throw new ArgumentException(
                        $"Row {r}: feature indices must be strictly increasing; {indices[k - 1]} is followed by {f}.", nameof(indices));
                }
            }
        }
        _rowOffsets = rowOffsets;
        _indices = indices;
        _values = values;
        _blockRows = blockRows;
        FeatureCount = featureCount;
        RowCount = rowOffsets.Length - 1;
        _blockOffsets = new int[Math.Min(blockRows, Math.Max(rowOffsets.Length - 1, 1)) + 1];
    }

    /// <inheritdoc/>
    public int FeatureCount { get; }

    /// <inheritdoc/>
    public int RowCount { get; }

    /// <inheritdoc/>
    public void Read(IRowBlockVisitor visitor)
    {
        // One offsets buffer per source: a source is read by one caller at a time.
        lock (_blockOffsets)
        {
            for (int start = 0; start < RowCount; start += _blockRows)
            {
                int n = Math.Min(_blockRows, RowCount - start);
                int first = _rowOffsets[start];
                for (int r = 0; r <= n; r++)
                    _blockOffsets[r] = _rowOffsets[start + r] - first;
                int count = _rowOffsets[start + n] - first;
                var block = new RowBlock(start, FeatureCount, _blockOffsets.AsSpan(0, n + 1), _indices.AsSpan(first, count),
                    _values.AsSpan(first, count));
                if (!visitor.Visit(block))
                    return;
            }
        }
    }
}
