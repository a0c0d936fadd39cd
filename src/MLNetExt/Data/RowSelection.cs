using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>
/// The rows of an input whose positions are marked in a mask, lazily: a cursor skips unmarked rows of the input's
/// cursor, nothing is copied. For row selections computed from the data first (pruning keeps the rows a score ranks
/// highest, with ties broken by row order and classes balanced), which ML.NET's range filter
/// (<c>FilterRowsByColumn</c>) cannot express. The input must give every cursor the same rows in the same order, and
/// exactly as many rows as the mask has entries; a difference is an error when a cursor meets it.
/// </summary>
internal sealed class RowSelectionDataView : IDataView
{
    private readonly IDataView _input;
    private readonly BitArray _keep;
    private readonly long _keptCount;

    /// <param name="input">The data the mask was computed on.</param>
    /// <param name="keep">One entry per input row: true keeps the row.</param>
    public RowSelectionDataView(IDataView input, BitArray keep)
    {
        _input = Guard.NotNull(input, nameof(input));
        _keep = new BitArray(Guard.NotNull(keep, nameof(keep)));
        long count = 0;
        for (int i = 0; i < _keep.Length; i++)
            count += _keep[i] ? 1 : 0;
        _keptCount = count;
        if (input.GetRowCount() is { } rows && rows != keep.Length)
            throw new ArgumentException($"The selection has {keep.Length} entries but the data has {rows} rows.", nameof(keep));
    }

    /// <summary>False: the selection follows the input's row order.</summary>
    public bool CanShuffle => false;

    public DataViewSchema Schema => _input.Schema;

    public long? GetRowCount() => _keptCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(_input.GetRowCursor(columnsNeeded), _keep);

    /// <summary>One cursor: row positions must be counted in order.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor input, BitArray keep) : DataViewRowCursor
    {
        private long _inputRow = -1;
        private long _position = -1;

        public override DataViewSchema Schema => input.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool MoveNext()
        {
            while (input.MoveNext())
            {
                _inputRow++;
                if (_inputRow >= keep.Length)
                    throw new InvalidOperationException($"The data has more rows than the {keep.Length} the row selection was computed on.");
                if (keep[(int)_inputRow])
                {
                    _position++;
                    return true;
                }
            }
            if (_inputRow + 1 != keep.Length)
                throw new InvalidOperationException($"The data has {_inputRow + 1} rows but the row selection was computed on {keep.Length}.");
            return false;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => input.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => input.GetGetter<TValue>(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                input.Dispose();
            base.Dispose(disposing);
        }
    }
}
