using System.Buffers;
using System.Runtime.CompilerServices;

namespace MLNetExt.Data;

/// <summary>
/// Reads a file line by line as UTF-8 bytes from one pooled buffer: no string per line, no whole-file copy. A line is
/// the bytes before a '\n' (a '\r' before it stays in the line; the parser drops it), and the last line needs no
/// '\n'. A UTF-8 byte-order mark at the start of the file is skipped. The span a read returns is valid until the
/// next read.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    /// <summary>Bytes asked of the file per read: large enough that system calls cost nothing next to parsing.</summary>
    internal const int DefaultBufferSize = 1 << 20;

    private readonly FileStream _stream;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _endOfFile;
    private bool _atFileStart = true;

    public Utf8LineReader(string path, int bufferSize = DefaultBufferSize)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferSize, 16));
    }

    /// <summary>The 1-based number of the line last returned (0 before the first).</summary>
    public long LineNumber { get; private set; }

    /// <summary>Returns the next line without its '\n', or false at the end of the file.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = _buffer.AsSpan(_start, newline);
                _start += newline + 1;
                LineNumber++;
                return true;
            }
            if (_endOfFile)
            {
                if (_start < _end)
                {
                    line = _buffer.AsSpan(_start, _end - _start);
                    _start = _end;
                    LineNumber++;
                    return true;
                }
                line = default;
                return false;
            }
            Fill();
        }
    }

    private void Fill()
    {
        int pending = _end - _start;
        if (pending == _buffer.Length)
        {
            // One line longer than the buffer: double it (the line must be in one piece).
            byte[] larger = ArrayPool<byte>.Shared.Rent(checked(_buffer.Length * 2));
            _buffer.AsSpan(_start, pending).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
        }
        _start = 0;
        _end = pending;
        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _endOfFile = true;
            return;
        }
        _end += read;
        if (_atFileStart)
        {
            _atFileStart = false;
            if (_buffer.AsSpan(0, _end).StartsWith("\uFEFF"u8))
                _start = 3;
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
        _start = _end = 0;
        _endOfFile = true;
    }
}
