using System.Text;

namespace MLNetExt.Serialization;

/// <summary>
/// Writes a component's learned state (little-endian, UTF-8 strings). What a component writes, in order, is its
/// format; a change in order or meaning is a new format version (<see cref="ComponentFormat"/>).
/// </summary>
internal sealed class ModelStateWriter
{
    private readonly BinaryWriter _writer;

    internal ModelStateWriter(Stream stream) => _writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);

    public void Write(bool value) => _writer.Write(value);

    public void Write(int value) => _writer.Write(value);

    public void Write(long value) => _writer.Write(value);

    public void Write(float value) => _writer.Write(value);

    public void Write(double value) => _writer.Write(value);

    /// <summary>A non-null string.</summary>
    public void Write(string value) => _writer.Write(Guard.NotNull(value, nameof(value)));

    /// <summary>An enum, as its underlying int value.</summary>
    public void WriteEnum<TEnum>(TEnum value) where TEnum : struct, Enum => _writer.Write(Convert.ToInt32(value));

    /// <summary>A length-prefixed array of doubles.</summary>
    public void Write(ReadOnlySpan<double> values)
    {
        _writer.Write(values.Length);
        foreach (double v in values)
            _writer.Write(v);
    }

    /// <summary>A length-prefixed array of floats.</summary>
    public void Write(ReadOnlySpan<float> values)
    {
        _writer.Write(values.Length);
        foreach (float v in values)
            _writer.Write(v);
    }

    /// <summary>A length-prefixed array of ints.</summary>
    public void Write(ReadOnlySpan<int> values)
    {
        _writer.Write(values.Length);
        foreach (int v in values)
            _writer.Write(v);
    }

    internal void Flush() => _writer.Flush();
}
