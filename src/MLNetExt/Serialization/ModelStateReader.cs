using System.Text;

namespace MLNetExt.Serialization;

/// <summary>
/// Reads what <see cref="ModelStateWriter"/> wrote. Every read is bounded by the payload; anything that does not fit
/// (a length past the end, an enum value that is not defined, a non-finite parameter) is reported as an
/// <see cref="InvalidDataException"/> naming the component, never a silently different model.
/// </summary>
internal sealed class ModelStateReader
{
    private readonly BinaryReader _reader;
    private readonly long _length;

    internal ModelStateReader(Stream stream, string componentId, int formatVersion)
    {
        _reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        _length = stream.Length;
        ComponentId = componentId;
        FormatVersion = formatVersion;
    }

    /// <summary>The component whose state this is.</summary>
    public string ComponentId { get; }

    /// <summary>The format version the state was written in (for readers of older versions).</summary>
    public int FormatVersion { get; }

    internal bool AtEnd => _reader.BaseStream.Position == _length;

    public bool ReadBoolean() => Read(r => r.ReadBoolean());

    public int ReadInt32() => Read(r => r.ReadInt32());

    public long ReadInt64() => Read(r => r.ReadInt64());

    public float ReadSingle() => Read(r => r.ReadSingle());

    public double ReadDouble() => Read(r => r.ReadDouble());

    public string ReadString() => Read(r => r.ReadString());

    /// <summary>An int that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int ReadInt32(string what, int min, int max)
    {
        int value = ReadInt32();
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

    public double[] ReadDoubleArray(string what) => ReadArray(what, sizeof(double), r => r.ReadDouble());

    public float[] ReadSingleArray(string what) => ReadArray(what, sizeof(float), r => r.ReadSingle());

    public int[] ReadInt32Array(string what) => ReadArray(what, sizeof(int), r => r.ReadInt32());

    /// <summary>Throws an <see cref="InvalidDataException"/> for this component unless <paramref name="ok"/>.</summary>
    public void Check(bool ok, string problem)
    {
        if (!ok)
            throw Invalid(problem);
    }

    internal InvalidDataException Invalid(string problem)
        => new($"The saved state of MLNetExt component '{ComponentId}' (format {FormatVersion}) is invalid: {problem}. " +
               "The model file is corrupted or was not written by MLNetExt.");

    private T[] ReadArray<T>(string what, int itemSize, Func<BinaryReader, T> read)
    {
        int length = ReadInt32();
        long remaining = _length - _reader.BaseStream.Position;
        Check(length >= 0 && (long)length * itemSize <= remaining, $"{what} claims {length} values, more than the saved state holds");
        var values = new T[length];
        for (int i = 0; i < length; i++)
            values[i] = read(_reader);
        return values;
    }

    private T Read<T>(Func<BinaryReader, T> read)
    {
        try
        {
            return read(_reader);
        }
        catch (EndOfStreamException)
        {
            throw Invalid("it ends early");
        }
    }
}
