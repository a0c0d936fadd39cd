using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>
/// Streams a <see cref="LibSvmDataView"/>'s file: one pooled byte buffer, one line parsed per <see cref="MoveNext"/>,
/// features only when the feature column is active. The group of each row comes from the offsets found by the
/// first pass, the weight from the array read then.
/// </summary>
internal sealed class LibSvmRowCursor : DataViewRowCursor
{
    private readonly LibSvmDataView _view;
    private readonly bool[] _active;
    private readonly bool _parseFeatures;
    private readonly LibSvmLineParser _parser;
    private readonly long[]? _groupOffsets;
    private Utf8LineReader? _reader;
    private long _position = -1;
    private int _group = -1;
    private long _groupEnd;

    public LibSvmRowCursor(LibSvmDataView view, bool[] active)
    {
        _view = view;
        _active = active;
        _parseFeatures = active[view.FeatureColumn];
        int offset = view.IndexBase == LibSvmIndexBase.One ? 1 : 0;
        _parser = new LibSvmLineParser(view.Path, offset, (uint)view.FeatureCount, countStated: false);
        _groupOffsets = view.GroupOffsets;
        _reader = new Utf8LineReader(view.Path);
    }

    public override DataViewSchema Schema => _view.Schema;

    public override long Position => _position;

    public override long Batch => 0;

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        CheckColumn(column);
        return _active[column.Index];
    }

    public override bool MoveNext()
    {
        if (_reader is null)
            return false;
        while (_reader.TryReadLine(out var line))
        {
            if (!_parser.Parse(line, _reader.LineNumber, _parseFeatures))
                continue;
            _position++;
            if (_position >= _view.RowCount)
                throw Changed();
            if (_groupOffsets is not null)
            {
                while (_position >= _groupEnd)
                {
                    _group++;
                    _groupEnd = _groupOffsets[_group + 1];
                }
            }
            return true;
        }
        long read = _position + 1;
        Finish();
        if (read != _view.RowCount)
            throw Changed();
        return false;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter()
        => (ref DataViewRowId value) =>
        {
            CheckOnRow();
            value = new DataViewRowId((ulong)_position, 0);
        };

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        CheckColumn(column);
        if (!_active[column.Index])
        {
            throw new InvalidOperationException(
                $"Column '{column.Name}' is not active in this cursor; include it in the columns passed to GetRowCursor.");
        }
        Delegate getter;
        Type expected;
        if (column.Index == _view.LabelColumn)
        {
            expected = typeof(float);
            getter = (ValueGetter<float>)GetLabel;
        }
        else if (column.Index == _view.FeatureColumn)
        {
            expected = typeof(VBuffer<float>);
            getter = (ValueGetter<VBuffer<float>>)GetFeatures;
        }
        else if (column.Index == _view.GroupColumn)
        {
            expected = typeof(uint);
            getter = (ValueGetter<uint>)GetGroup;
        }
        else
        {
            expected = typeof(float);
            getter = (ValueGetter<float>)GetWeight;
        }
        if (typeof(TValue) != expected)
        {
            throw new InvalidOperationException(
                $"Column '{column.Name}' is {column.Type}; read it as {expected.Name}, not {typeof(TValue).Name}.");
        }
        return (ValueGetter<TValue>)getter;
    }

    private void GetLabel(ref float value)
    {
        CheckOnRow();
        value = _parser.Label;
    }

    private void GetGroup(ref uint value)
    {
        CheckOnRow();
        value = (uint)(_group + 1);
    }

    private void GetWeight(ref float value)
    {
        CheckOnRow();
        value = _view.Weights![_position];
    }

    private void GetFeatures(ref VBuffer<float> value)
    {
        CheckOnRow();
        int count = _parser.Count;
        int length = _view.FeatureCount;
        var editor = VBufferEditor.Create(ref value, length, count);
        _parser.Values.AsSpan(0, count).CopyTo(editor.Values);
        if (count < length)
            _parser.Indices.AsSpan(0, count).CopyTo(editor.Indices);
        value = editor.Commit();
    }

    private void CheckOnRow()
    {
        if (_position < 0)
            throw new InvalidOperationException("The cursor is not on a row: call MoveNext first, and read only while it returns true.");
    }

    private void CheckColumn(DataViewSchema.Column column)
    {
        if (column.Index < 0 || column.Index >= _view.Schema.Count || _view.Schema[column.Index].Name != column.Name)
            throw new ArgumentException($"Column '{column.Name}' is not a column of this LibSVM view.", nameof(column));
    }

    private FormatException Changed()
        => LibSvmErrors.InFile(_view.Path, $"the file changed while it was read: the first pass found {_view.RowCount} data rows. Load it again with LoadFromLibSvm.");

    private void Finish()
    {
        _reader?.Dispose();
        _reader = null;
        _position = -1;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Finish();
        base.Dispose(disposing);
    }
}
