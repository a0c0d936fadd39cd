using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace MLNetExt.Serialization;

/// <summary>
/// Reads what <see cref="ModelStateWriter"/> wrote. Every read is bounded by the payload; anything that does not fit
/// (a length past the end, an enum value that is not defined, a non-finite parameter) is reported as an
/// <see cref="InvalidDataException"/> naming the component, never a silently different model.
/// <para>
/// The state streams from the model entry through one buffer of at most 1 MiB. Every chunk's CRC is checked before
/// any of its bytes are handed to the component, and bulk reads fill the caller's memory directly. Arrays are
/// allocated only when the bytes they claim can be there: against the bytes left in the stream when its length is
/// known (a model entry always), and otherwise grown as the bytes arrive, so a damaged length never allocates more
/// than about twice what the stream really holds and never waits for bytes that do not exist.
/// </para>
/// </summary>
internal sealed class ModelStateReader
{
    // Below this many bytes an array of unknown-length origin is allocated whole; above it, it grows as bytes arrive.
    private const int GrowthStart = 1 << 20;

    private readonly Stream _stream;
    private readonly Crc32 _crc;
    private readonly bool _framed;
    private readonly List<Scope> _scopes = [];
    private readonly byte[] _scratch = new byte[16];
    private byte[]? _buffer;
    private int _pos;
    private int _end;
    private long _legacyRemaining;
    private int? _pendingMarker;
    private long _consumed;

    private readonly record struct Scope(string Id, int Version, long Start, int EnclosingVersion);

    private ModelStateReader(Stream stream, Crc32 crc, bool framed, string componentId, string assemblyName, int formatVersion)
    {
        Envelope.RequireLittleEndian();
        _stream = stream;
        _crc = crc;
        _framed = framed;
        ComponentId = componentId;
        AssemblyName = assemblyName;
        FormatVersion = formatVersion;
        _buffer = ArrayPool<byte>.Shared.Rent(Envelope.ChunkSize);
    }

    /// <summary>A reader of a version-2 body: CRC-checked chunks and sections.</summary>
    internal static ModelStateReader Framed(Stream stream, Crc32 crc, string componentId, string assemblyName, int formatVersion)
        => new(stream, crc, framed: true, componentId, assemblyName, formatVersion);

    /// <summary>A reader of a version-1 body of <paramref name="length"/> bytes, whose CRC follows it.</summary>
    internal static ModelStateReader Legacy(Stream stream, Crc32 crc, long length)
        => new(stream, crc, framed: false, "(unknown)", "MLNetExt", 0) { _legacyRemaining = length };

    /// <summary>The component whose state this is.</summary>
    public string ComponentId { get; private set; }

    /// <summary>
    /// The format version the state was written in (for readers of older versions). Inside
    /// <see cref="ReadSection{T}(string, int, int, Func{ModelStateReader, T})"/> it is the section's version.
    /// </summary>
    public int FormatVersion { get; private set; }

    /// <summary>The id of the section being read, or null outside sections.</summary>
    public string? SectionId => _scopes.Count > 0 ? _scopes[^1].Id : null;

    /// <summary>The state bytes read so far (64-bit: a state may exceed 2 GiB).</summary>
    public long Position => _consumed;

    /// <summary>The package that saved the component (named in upgrade messages).</summary>
    internal string AssemblyName { get; private set; }

    /// <summary>Whether a check of the envelope itself (a CRC, a frame, the stream's end) failed.</summary>
    internal bool IntegrityFailed { get; private set; }

    /// <summary>Bytes of a version-1 body not yet read.</summary>
    internal long LegacyRemaining => _legacyRemaining + (_end - _pos);

    /// <summary>A boolean written by <see cref="ModelStateWriter.Write(bool)"/> (any non-zero byte is true, as BinaryReader reads it).</summary>
    public bool ReadBoolean() => Take(1)[0] != 0;

    /// <summary>A byte written by <see cref="ModelStateWriter.WriteByte"/>.</summary>
    public byte ReadByte() => Take(1)[0];

    /// <summary>A 32-bit integer.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(sizeof(int)));

    /// <summary>A 64-bit integer.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(sizeof(long)));

    /// <summary>A single-precision number, bit for bit.</summary>
    public float ReadSingle() => BinaryPrimitives.ReadSingleLittleEndian(Take(sizeof(float)));

    /// <summary>A double-precision number, bit for bit.</summary>
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(sizeof(double)));

    /// <summary>A string written by <see cref="ModelStateWriter.Write(string)"/>.</summary>
    public string ReadString()
    {
        int count = Read7BitEncodedInt();
        Check(count >= 0, $"a string claims {count} bytes");
        if (_end - _pos >= count)
        {
            string value = Encoding.UTF8.GetString(Buffer.AsSpan(_pos, count));
            _pos += count;
            _consumed += count;
            return value;
        }
        return Encoding.UTF8.GetString(ReadBulk<byte>(count, "a string"));
    }

    /// <summary>An int that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int ReadInt32(string what, int min, int max)
    {
        int value = ReadInt32();
        Check(value >= min && value <= max, $"{what} is {value}; expected {min}..{max}");
        return value;
    }

    /// <summary>A long that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long ReadInt64(string what, long min, long max)
    {
        long value = ReadInt64();
        Check(value >= min && value <= max, $"{what} is {value}; expected {min}..{max}");
        return value;
    }

    /// <summary>A double that must be finite.</summary>
    public double ReadFiniteDouble(string what)
    {
        double value = ReadDouble();
        Check(double.IsFinite(value), $"{what} is {value}; expected a finite number");
        return value;
    }

    /// <summary>A non-empty string (column names).</summary>
    public string ReadNonEmptyString(string what)
    {
        string value = ReadString();
        Check(value.Length > 0, $"{what} is empty");
        return value;
    }

    /// <summary>An enum written by <see cref="ModelStateWriter.WriteEnum{TEnum}"/>; undefined values are rejected.</summary>
    public TEnum ReadEnum<TEnum>(string what) where TEnum : struct, Enum
    {
        int raw = ReadInt32();
        var value = (TEnum)Enum.ToObject(typeof(TEnum), raw);
        Check(Enum.IsDefined(value), $"{what} has the unknown value {raw}");
        return value;
    }

    /// <summary>An array written by <see cref="ModelStateWriter.Write(ReadOnlySpan{byte})"/>.</summary>
    public byte[] ReadByteArray(string what) => ReadArray<byte>(what);

    /// <summary>An array written by <see cref="ModelStateWriter.Write(ReadOnlySpan{int})"/>.</summary>
    public int[] ReadInt32Array(string what) => ReadArray<int>(what);

    /// <summary>An array written by <see cref="ModelStateWriter.Write(ReadOnlySpan{long})"/>.</summary>
    public long[] ReadInt64Array(string what) => ReadArray<long>(what);

    /// <summary>An array written by <see cref="ModelStateWriter.Write(ReadOnlySpan{float})"/>.</summary>
    public float[] ReadSingleArray(string what) => ReadArray<float>(what);

    /// <summary>An array written by <see cref="ModelStateWriter.Write(ReadOnlySpan{double})"/>.</summary>
    public double[] ReadDoubleArray(string what) => ReadArray<double>(what);

    /// <summary>A list written by <see cref="ModelStateWriter.Write(IReadOnlyList{string})"/>.</summary>
    public string[] ReadStringArray(string what)
    {
        int count = ReadInt32();
        // Every string takes at least one byte, so the count is bounded by the bytes left.
        Check(count >= 0 && count <= AvailableBound, $"{what} claims {count} strings, more than the saved state holds");
        var values = new List<string>(Math.Min(count, 4096));
        for (int i = 0; i < count; i++)
            values.Add(ReadString());
        return [.. values];
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with an array written by <see cref="ModelStateWriter.Write(ReadOnlySpan{byte})"/>,
    /// whose saved length must equal the destination's (a loader that knows the size fills a preallocated buffer).
    /// </summary>
    public void ReadInto(Span<byte> destination, string what) => ReadIntoCore(destination, what);

    /// <summary>Fills <paramref name="destination"/> with an array of exactly its length (see <see cref="ReadInto(Span{byte}, string)"/>).</summary>
    public void ReadInto(Span<int> destination, string what) => ReadIntoCore(destination, what);

    /// <summary>Fills <paramref name="destination"/> with an array of exactly its length (see <see cref="ReadInto(Span{byte}, string)"/>).</summary>
    public void ReadInto(Span<long> destination, string what) => ReadIntoCore(destination, what);

    /// <summary>Fills <paramref name="destination"/> with an array of exactly its length (see <see cref="ReadInto(Span{byte}, string)"/>).</summary>
    public void ReadInto(Span<float> destination, string what) => ReadIntoCore(destination, what);

    /// <summary>Fills <paramref name="destination"/> with an array of exactly its length (see <see cref="ReadInto(Span{byte}, string)"/>).</summary>
    public void ReadInto(Span<double> destination, string what) => ReadIntoCore(destination, what);

    /// <summary>
    /// Throws an <see cref="InvalidDataException"/> when the saved state provably cannot hold
    /// <paramref name="byteCount"/> more bytes (known when the stream's length is known, as for every model entry).
    /// Call it before allocating a buffer whose size was read from the state, ahead of <c>ReadInto</c>.
    /// </summary>
    public void CheckAvailable(long byteCount, string what)
        => Check(byteCount >= 0 && byteCount <= AvailableBound, $"{what} needs {byteCount} bytes, more than the saved state holds");

    /// <summary>
    /// Reads a section written by <see cref="ModelStateWriter.WriteSection(string, int, Action{ModelStateWriter})"/>:
    /// checks its id and that its version is in [<paramref name="oldestReadableVersion"/>, <paramref name="currentVersion"/>],
    /// calls <paramref name="read"/> with <see cref="FormatVersion"/> set to the section's version, and checks that
    /// <paramref name="read"/> consumed exactly the section.
    /// </summary>
    public T ReadSection<T>(string id, int oldestReadableVersion, int currentVersion, Func<ModelStateReader, T> read)
    {
        Guard.Argument(!string.IsNullOrEmpty(id), nameof(id), "A section id must be a non-empty string.");
        Guard.Argument(oldestReadableVersion >= 1 && oldestReadableVersion <= currentVersion, nameof(oldestReadableVersion),
            $"The readable versions of section '{id}' must satisfy 1 <= oldest <= current; got {oldestReadableVersion} and {currentVersion}.");
        Guard.NotNull(read, nameof(read));
        Check(_framed, $"section '{id}' was expected, but envelope version 1 has no sections");
        Check(_end == _pos, $"section '{id}' was expected, but {_end - _pos} bytes of data come first");
        int marker = NextMarker();
        if (marker != Envelope.SectionBeginMarker)
        {
            _pendingMarker = marker;
            throw Invalid($"section '{id}' was expected, but {DescribeMarker(marker)} comes first");
        }
        var (foundId, version) = ReadSectionBegin();
        Check(foundId == id, $"section '{id}' was expected, but section '{foundId}' comes first");
        if (version > currentVersion)
        {
            throw new InvalidDataException(
                $"This model was saved by a newer version of {AssemblyName}: section '{id}' of its component '{ComponentId}' has format " +
                $"version {version}, and this version reads versions {oldestReadableVersion} to {currentVersion}. " +
                $"Upgrade the {AssemblyName} package to load it.");
        }
        if (version < oldestReadableVersion)
        {
            throw new InvalidDataException(
                $"This model's section '{id}' (component '{ComponentId}') has format version {version}, older than the oldest this version " +
                $"of {AssemblyName} reads ({oldestReadableVersion}). Load it with an older MLNetExt version and retrain or re-save.");
        }
        int saved = FormatVersion;
        _scopes.Add(new Scope(id, version, _consumed, saved));
        FormatVersion = version;
        T result;
        try
        {
            result = read(this);
            Check(_end == _pos, $"{_end - _pos} bytes are left over after reading it");
            marker = NextMarker();
            if (marker != Envelope.SectionEndMarker)
            {
                _pendingMarker = marker;
                throw Invalid($"{DescribeMarker(marker)} is left over after reading it");
            }
            long length = ReadLengthFrame("section end");
            long actual = _consumed - _scopes[^1].Start;
            Check(length == actual, $"it records {length} bytes but holds {actual}");
        }
        finally
        {
            _scopes.RemoveAt(_scopes.Count - 1);
            FormatVersion = saved;
        }
        return result;
    }

    /// <summary>Reads a model-parameters object written by <see cref="ModelStateWriter.WriteSection(IPersistentSection)"/>.</summary>
    public T ReadSection<T>() where T : IPersistentSection<T>
    {
        var format = T.Format;
        return ReadSection(format.Id, format.OldestReadableVersion, format.CurrentVersion, T.Load);
    }

    /// <summary>Throws an <see cref="InvalidDataException"/> for this component unless <paramref name="ok"/>.</summary>
    public void Check(bool ok, string problem)
    {
        if (!ok)
            throw Invalid(problem);
    }

    internal InvalidDataException Invalid(string problem)
    {
        string where = _scopes.Count == 0 ? "" : $", section '{_scopes[^1].Id}' (format {_scopes[^1].Version}),";
        int componentFormat = _scopes.Count == 0 ? FormatVersion : _scopes[0].EnclosingVersion;
        return new($"The saved state of MLNetExt component '{ComponentId}' (format {componentFormat}){where} is invalid: {problem}. " +
                   "The model file is corrupted or was not written by MLNetExt.");
    }

    /// <summary>Names the component once a version-1 header has been read.</summary>
    internal void Identify(string componentId, string assemblyName, int formatVersion)
    {
        ComponentId = componentId;
        AssemblyName = assemblyName;
        FormatVersion = formatVersion;
        _consumed = 0;
    }

    /// <summary>Checks that the component read its whole state and that the envelope's checksum matches.</summary>
    internal void Finish()
    {
        Check(_end == _pos, $"{_end - _pos} bytes are left over after reading it");
        if (!_framed)
        {
            Check(_legacyRemaining == 0, $"{_legacyRemaining} bytes are left over after reading it");
            VerifyLegacyChecksum();
            return;
        }
        int marker = NextMarker();
        if (marker != Envelope.EndMarker)
        {
            _pendingMarker = marker;
            throw Invalid($"{DescribeMarker(marker)} is left over after reading it");
        }
        long length = ReadLengthFrame("end");
        Check(length == _consumed, $"the envelope records {length} state bytes but holds {_consumed}");
    }

    /// <summary>
    /// After a failure that is not itself a failed envelope check: reads the rest of the envelope, checking every
    /// CRC, and returns the damage found (corruption or truncation), or null when the envelope is intact.
    /// </summary>
    internal InvalidDataException? Drain()
    {
        try
        {
            _pos = _end = 0;
            if (!_framed)
            {
                while (_legacyRemaining > 0)
                    ReadChunk(Buffer.AsSpan(0, NextChunkLength()));
                VerifyLegacyChecksum();
                return null;
            }
            while (true)
            {
                int marker = NextMarker();
                switch (marker)
                {
                    case > 0:
                        ReadChunk(Buffer.AsSpan(0, marker));
                        break;
                    case Envelope.SectionBeginMarker:
                        ReadSectionBegin();
                        break;
                    case Envelope.SectionEndMarker:
                        ReadLengthFrame("section end");
                        break;
                    default:
                        ReadLengthFrame("end");
                        return null;
                }
            }
        }
        catch (InvalidDataException e) when (IntegrityFailed)
        {
            return e;
        }
    }

    /// <summary>Returns the buffer to the pool; the reader cannot be used afterwards.</summary>
    internal void Release()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(ModelStateReader), "The state has been read; this reader is closed.");

    // An upper bound on the state bytes left: exact for a version-1 body, the stream's remaining length when known.
    private long AvailableBound
        => !_framed ? _legacyRemaining + (_end - _pos)
        : _stream.CanSeek ? Math.Max(0, _stream.Length - _stream.Position) + (_end - _pos)
        : long.MaxValue;

    private T[] ReadArray<T>(string what) where T : unmanaged
    {
        int count = ReadInt32();
        Check(count >= 0, $"{what} claims {count} values");
        return ReadBulk<T>(count, what);
    }

    private T[] ReadBulk<T>(int count, string what) where T : unmanaged
    {
        long bytes = (long)count * Unsafe.SizeOf<T>();
        Check(bytes <= AvailableBound, $"{what} claims {count} values, more than the saved state holds");
        if (count == 0)
            return [];
        if (bytes <= GrowthStart || AvailableBound != long.MaxValue)
        {
            // The bytes are known to be there (or the array is small): one allocation, filled in place.
            var values = GC.AllocateUninitializedArray<T>(count);
            ReadExact(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }
        // A stream of unknown length: grow as the bytes arrive, so a damaged count allocates at most about twice
        // what the stream really holds.
        var grown = new T[GrowthStart / Unsafe.SizeOf<T>()];
        int filled = 0;
        while (true)
        {
            ReadExact(MemoryMarshal.AsBytes(grown.AsSpan(filled)));
            filled = grown.Length;
            if (filled == count)
                return grown;
            Array.Resize(ref grown, (int)Math.Min(count, 2L * grown.Length));
        }
    }

    private void ReadIntoCore<T>(Span<T> destination, string what) where T : unmanaged
    {
        int count = ReadInt32();
        Check(count == destination.Length, $"{what} has {count} values; expected {destination.Length}");
        ReadExact(MemoryMarshal.AsBytes(destination));
    }

    private int Read7BitEncodedInt()
    {
        int result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = Take(1)[0];
            if (shift == 28 && b > 0x0F)
                break;
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
                return result;
        }
        throw Invalid("a string length is not a valid 7-bit encoded integer");
    }

    private ReadOnlySpan<byte> Take(int size)
    {
        if (_end - _pos >= size)
        {
            var span = Buffer.AsSpan(_pos, size);
            _pos += size;
            _consumed += size;
            return span;
        }
        var scratch = _scratch.AsSpan(0, size);
        ReadExact(scratch);
        return scratch;
    }

    // Copies the next destination.Length state bytes into destination, across chunks.
    private void ReadExact(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int available = _end - _pos;
            if (available > 0)
            {
                int n = Math.Min(available, destination.Length);
                Buffer.AsSpan(_pos, n).CopyTo(destination);
                _pos += n;
                _consumed += n;
                destination = destination[n..];
                continue;
            }
            int chunk = NextChunkLength();
            if (destination.Length >= chunk)
            {
                // The whole chunk goes straight into the caller's memory; it is checked before this method returns.
                ReadChunk(destination[..chunk]);
                _consumed += chunk;
                destination = destination[chunk..];
            }
            else
            {
                ReadChunk(Buffer.AsSpan(0, chunk));
                _pos = 0;
                _end = chunk;
            }
        }
    }

    // The length of the next data chunk; at any other frame, the state (or the section) ends here.
    private int NextChunkLength()
    {
        if (!_framed)
        {
            Check(_legacyRemaining > 0, "it ends early");
            int n = (int)Math.Min(_legacyRemaining, Buffer.Length);
            _legacyRemaining -= n;
            return n;
        }
        int marker = NextMarker();
        if (marker > 0)
            return marker;
        _pendingMarker = marker;
        throw Invalid(marker == Envelope.SectionBeginMarker ? "a section comes where data was expected" : "it ends early");
    }

    private int NextMarker()
    {
        if (_pendingMarker is { } pending)
        {
            _pendingMarker = null;
            return pending;
        }
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        ReadHashed(bytes);
        int marker = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (marker > Envelope.ChunkSize || marker < Envelope.SectionEndMarker)
            throw Fail(Envelope.Corrupt($"a frame of MLNetExt component '{ComponentId}' has the invalid marker {marker}"));
        return marker;
    }

    private void ReadChunk(Span<byte> destination)
    {
        ReadHashed(destination);
        if (_framed)
            VerifyCrc("a chunk of its saved state");
    }

    private (string Id, int Version) ReadSectionBegin()
    {
        int count = 0;
        Span<byte> one = stackalloc byte[1];
        for (int shift = 0; ; shift += 7)
        {
            ReadHashed(one);
            count |= (one[0] & 0x7F) << shift;
            if (one[0] < 0x80)
                break;
            if (shift >= 21)
                throw Fail(Envelope.Corrupt($"a section id in MLNetExt component '{ComponentId}' has a damaged length"));
        }
        if (count <= 0 || count > Envelope.MaxNameBytes)
            throw Fail(Envelope.Corrupt($"a section id in MLNetExt component '{ComponentId}' claims {count} bytes"));
        Span<byte> payload = stackalloc byte[count + sizeof(int)];
        ReadHashed(payload);
        VerifyCrc("a section header");
        return (Encoding.UTF8.GetString(payload[..count]), BinaryPrimitives.ReadInt32LittleEndian(payload[count..]));
    }

    private long ReadLengthFrame(string frame)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        ReadHashed(bytes);
        VerifyCrc($"the {frame} frame");
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    private void VerifyCrc(string what)
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        ReadRaw(bytes);
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != _crc.GetCurrentHashAsUInt32())
            throw Fail(Envelope.Corrupt($"the checksum of {what} (MLNetExt component '{ComponentId}') does not match its content"));
    }

    private void VerifyLegacyChecksum()
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        ReadRaw(bytes);
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != _crc.GetCurrentHashAsUInt32())
            throw Fail(Envelope.Corrupt("the checksum of an MLNetExt component's saved state does not match its content"));
    }

    private void ReadHashed(Span<byte> destination)
    {
        ReadRaw(destination);
        _crc.Append(destination);
    }

    private void ReadRaw(Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = _stream.Read(destination[total..]);
            if (n == 0)
                throw Fail(Envelope.Truncated());
            total += n;
        }
    }

    private InvalidDataException Fail(InvalidDataException e)
    {
        IntegrityFailed = true;
        return e;
    }

    private static string DescribeMarker(int marker) => marker switch
    {
        > 0 => "more data",
        Envelope.SectionBeginMarker => "a section",
        Envelope.SectionEndMarker => "the end of the enclosing section",
        _ => "the end of the state",
    };
}
