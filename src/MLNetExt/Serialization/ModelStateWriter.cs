using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace MLNetExt.Serialization;

/// <summary>
/// Writes a component's learned state (little-endian, UTF-8 strings). What a component writes, in order, is its
/// format; a change in order or meaning is a new format version (<see cref="ComponentFormat"/>).
/// <para>
/// The state streams to the model entry through one buffer of at most 1 MiB, cut into CRC-checked chunks
/// (<see cref="Envelope"/>): a component may write gigabytes without a second copy in memory. Arrays are written in
/// bulk as an int32 element count followed by the elements' memory; large spans go to the stream without a copy.
/// Byte positions and section lengths are 64-bit, so a state may exceed 2 GiB.
/// </para>
/// </summary>
internal sealed class ModelStateWriter
{
    private const int FrameHeaderSize = sizeof(int);
    private const int FrameCrcSize = sizeof(uint);

    private readonly Stream _stream;
    private readonly Crc32 _crc;
    private readonly List<(string Id, long Start)> _sections = [];
    private byte[]? _frame;
    private int _capacity;
    private int _count;
    private long _position;

    internal ModelStateWriter(Stream stream, Crc32 crc)
    {
        Envelope.RequireLittleEndian();
        _stream = stream;
        _crc = crc;
        _frame = ArrayPool<byte>.Shared.Rent(Envelope.ChunkSize);
        _capacity = Math.Min(Envelope.ChunkSize, _frame.Length) - FrameHeaderSize - FrameCrcSize;
    }

    /// <summary>The state bytes written so far (64-bit: a state may exceed 2 GiB).</summary>
    public long Position => _position;

    /// <summary>A boolean, as one byte (0 or 1).</summary>
    public void Write(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;

    /// <summary>One byte. (Named, not an overload of Write, so that a byte argument never silently changes an
    /// existing Write(int) call into a one-byte write.)</summary>
    public void WriteByte(byte value) => Reserve(1)[0] = value;

    /// <summary>A 32-bit integer.</summary>
    public void Write(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(sizeof(int)), value);

    /// <summary>A 64-bit integer.</summary>
    public void Write(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(sizeof(long)), value);

    /// <summary>A single-precision number, bit for bit.</summary>
    public void Write(float value) => BinaryPrimitives.WriteSingleLittleEndian(Reserve(sizeof(float)), value);

    /// <summary>A double-precision number, bit for bit.</summary>
    public void Write(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Reserve(sizeof(double)), value);

    /// <summary>A non-null string: its UTF-8 byte count (7-bit encoded) and bytes, as BinaryWriter writes it.</summary>
    public void Write(string value)
    {
        Guard.NotNull(value, nameof(value));
        int count = Encoding.UTF8.GetByteCount(value);
        Span<byte> prefix = stackalloc byte[5];
        WriteBytes(prefix[..Envelope.Write7BitEncoded(prefix, count)]);
        if (count <= _capacity - _count)
        {
            Encoding.UTF8.GetBytes(value, Frame.AsSpan(FrameHeaderSize + _count, count));
            _count += count;
            _position += count;
            return;
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            int written = Encoding.UTF8.GetBytes(value, rented);
            WriteBytes(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>An enum, as its underlying int value.</summary>
    public void WriteEnum<TEnum>(TEnum value) where TEnum : struct, Enum
        => Write(Convert.ToInt32(value, CultureInfo.InvariantCulture));

    /// <summary>A length-prefixed array of bytes (int32 count, then the bytes).</summary>
    public void Write(ReadOnlySpan<byte> values)
    {
        Write(values.Length);
        WriteBytes(values);
    }

    /// <summary>A length-prefixed array of ints (int32 count, then the values).</summary>
    public void Write(ReadOnlySpan<int> values)
    {
        Write(values.Length);
        WriteBytes(MemoryMarshal.AsBytes(values));
    }

    /// <summary>A length-prefixed array of longs (int32 count, then the values).</summary>
    public void Write(ReadOnlySpan<long> values)
    {
        Write(values.Length);
        WriteBytes(MemoryMarshal.AsBytes(values));
    }

    /// <summary>A length-prefixed array of floats (int32 count, then the values bit for bit).</summary>
    public void Write(ReadOnlySpan<float> values)
    {
        Write(values.Length);
        WriteBytes(MemoryMarshal.AsBytes(values));
    }

    /// <summary>A length-prefixed array of doubles (int32 count, then the values bit for bit).</summary>
    public void Write(ReadOnlySpan<double> values)
    {
        Write(values.Length);
        WriteBytes(MemoryMarshal.AsBytes(values));
    }

    /// <summary>A length-prefixed list of non-null strings (int32 count, then each as <see cref="Write(string)"/>).</summary>
    public void Write(IReadOnlyList<string> values)
    {
        Guard.NotNull(values, nameof(values));
        Write(values.Count);
        for (int i = 0; i < values.Count; i++)
        {
            string? value = values[i];
            Guard.Argument(value is not null, nameof(values), $"The string at index {i} of {values.Count} is null; saved strings must not be null.");
            Write(value);
        }
    }

    /// <summary>
    /// A nested section with its own id and format version: <paramref name="write"/> writes its content through this
    /// writer, and <see cref="ModelStateReader.ReadSection{T}(string, int, int, Func{ModelStateReader, T})"/> reads
    /// it back with <see cref="ModelStateReader.FormatVersion"/> set to <paramref name="version"/>. The section records
    /// its 64-bit length, which the reader checks. Sections nest.
    /// </summary>
    /// <param name="id">A stable, unique name ("MLNetExt.Ranking.TreeEnsemble"), at most 1,024 UTF-8 bytes.</param>
    /// <param name="version">The section's format version, at least 1; versioned independently of the component.</param>
    /// <param name="write">Writes the section's content.</param>
    public void WriteSection(string id, int version, Action<ModelStateWriter> write)
    {
        byte[] name = Envelope.EncodeName(id, "section id");
        Guard.Argument(version >= 1, nameof(version), $"A section's format version must be at least 1; got {version} for '{id}'.");
        Guard.NotNull(write, nameof(write));
        FlushChunk();
        var payload = new byte[name.Length + sizeof(int)];
        name.CopyTo(payload, 0);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(name.Length), version);
        WriteFrame(Envelope.SectionBeginMarker, payload);
        _sections.Add((id, _position));
        write(this);
        var (openId, start) = _sections[^1];
        if (!ReferenceEquals(openId, id))
            throw new InvalidOperationException($"Section '{openId}' was not closed inside section '{id}'.");
        _sections.RemoveAt(_sections.Count - 1);
        FlushChunk();
        Span<byte> length = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(length, _position - start);
        WriteFrame(Envelope.SectionEndMarker, length);
    }

    /// <summary>A model-parameters object as a nested section (its <see cref="IPersistentSection.SectionFormat"/>'s id and current version).</summary>
    public void WriteSection(IPersistentSection section)
    {
        Guard.NotNull(section, nameof(section));
        var format = section.SectionFormat;
        WriteSection(format.Id, format.CurrentVersion, section.Save);
    }

    /// <summary>Writes the rest of the buffer and the end frame; the envelope is then complete.</summary>
    internal void Finish()
    {
        if (_sections.Count > 0)
            throw new InvalidOperationException($"Section '{_sections[^1].Id}' is still open.");
        FlushChunk();
        Span<byte> length = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(length, _position);
        WriteFrame(Envelope.EndMarker, length);
        _stream.Flush();
    }

    /// <summary>Returns the buffer to the pool; the writer cannot be used afterwards.</summary>
    internal void Release()
    {
        if (_frame is { } frame)
        {
            _frame = null;
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private byte[] Frame => _frame ?? throw new ObjectDisposedException(nameof(ModelStateWriter), "The state has been written; this writer is closed.");

    private Span<byte> Reserve(int size)
    {
        if (_capacity - _count < size)
            FlushChunk();
        var span = Frame.AsSpan(FrameHeaderSize + _count, size);
        _count += size;
        _position += size;
        return span;
    }

    private void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_count == 0 && bytes.Length >= _capacity)
            {
                WriteChunkDirect(bytes[.._capacity]);
                bytes = bytes[_capacity..];
                continue;
            }
            int n = Math.Min(bytes.Length, _capacity - _count);
            bytes[..n].CopyTo(Frame.AsSpan(FrameHeaderSize + _count));
            _count += n;
            _position += n;
            bytes = bytes[n..];
            if (_count == _capacity)
                FlushChunk();
        }
    }

    // A whole chunk straight from the caller's memory: no copy through the buffer.
    private void WriteChunkDirect(ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[FrameHeaderSize];
        BinaryPrimitives.WriteInt32LittleEndian(header, data.Length);
        _crc.Append(header);
        _crc.Append(data);
        Span<byte> crc = stackalloc byte[FrameCrcSize];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, _crc.GetCurrentHashAsUInt32());
        _stream.Write(header);
        _stream.Write(data);
        _stream.Write(crc);
        _position += data.Length;
    }

    private void FlushChunk()
    {
        if (_count == 0)
            return;
        var frame = Frame;
        BinaryPrimitives.WriteInt32LittleEndian(frame, _count);
        int hashed = FrameHeaderSize + _count;
        _crc.Append(frame.AsSpan(0, hashed));
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(hashed), _crc.GetCurrentHashAsUInt32());
        _stream.Write(frame, 0, hashed + FrameCrcSize);
        _count = 0;
    }

    private void WriteFrame(int marker, ReadOnlySpan<byte> payload)
    {
        var frame = Frame;
        BinaryPrimitives.WriteInt32LittleEndian(frame, marker);
        payload.CopyTo(frame.AsSpan(FrameHeaderSize));
        int hashed = FrameHeaderSize + payload.Length;
        _crc.Append(frame.AsSpan(0, hashed));
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(hashed), _crc.GetCurrentHashAsUInt32());
        _stream.Write(frame, 0, hashed + FrameCrcSize);
    }
}
