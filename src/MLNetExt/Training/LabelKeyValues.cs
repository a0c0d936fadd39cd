using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Serialization;

namespace MLNetExt.Training;

/// <summary>
/// The class names of a multiclass model: the <c>KeyValues</c> annotation of the label column it was trained on
/// (text, as <c>MapValueToKey</c> makes from strings, or numbers), kept with the model so that its
/// <c>PredictedLabel</c> key column maps back to the same values with <c>MapKeyToValue</c>, and so that its
/// <c>Score</c> vector carries the class names as slot names, as ML.NET's multiclass trainers do.
/// </summary>
internal sealed class LabelKeyValues
{
    // The item kinds that are kept; anything else is kept as its text (ToString).
    private enum Kind
    {
        Text = 0,
        Single = 1,
        Double = 2,
        UInt32 = 3,
        Int32 = 4,
        UInt64 = 5,
        Int64 = 6,
        Boolean = 7,
    }

    private readonly Kind _kind;
    private readonly Array _values;

    private LabelKeyValues(Kind kind, Array values)
    {
        _kind = kind;
        _values = values;
    }

    /// <summary>The number of classes.</summary>
    public int Count => _values.Length;

    /// <summary>The class names as text, for messages and slot names.</summary>
    public string[] Names
    {
        get
        {
            var names = new string[_values.Length];
            for (int i = 0; i < names.Length; i++)
                names[i] = _values.GetValue(i) is ReadOnlyMemory<char> text ? text.ToString() : Convert.ToString(_values.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            return names;
        }
    }

    /// <summary>The key values of a key-typed label column, or null when it has none of a supported size.</summary>
    public static LabelKeyValues? FromColumn(DataViewSchema.Column label)
    {
        if (label.Type is not KeyDataViewType key)
            return null;
        var annotation = label.Annotations.Schema.GetColumnOrNull(ScoreAnnotations.KeyValues);
        if (annotation?.Type is not VectorDataViewType { Size: var size } vector || size != (long)key.Count)
            return null;
        var item = vector.ItemType;
        if (item is TextDataViewType)
            return Read<ReadOnlyMemory<char>>(label, Kind.Text);
        if (item == NumberDataViewType.Single) return Read<float>(label, Kind.Single);
        if (item == NumberDataViewType.Double) return Read<double>(label, Kind.Double);
        if (item == NumberDataViewType.UInt32) return Read<uint>(label, Kind.UInt32);
        if (item == NumberDataViewType.Int32) return Read<int>(label, Kind.Int32);
        if (item == NumberDataViewType.UInt64) return Read<ulong>(label, Kind.UInt64);
        if (item == NumberDataViewType.Int64) return Read<long>(label, Kind.Int64);
        if (item is BooleanDataViewType) return Read<bool>(label, Kind.Boolean);
        return null;
    }

    /// <summary>
    /// Text class names given by the caller (a model trained without a key-typed label: the slot names of a vector of
    /// class proportions), kept and annotated exactly as text key values of a label column would be.
    /// </summary>
    public static LabelKeyValues FromNames(IReadOnlyList<string> names)
    {
        var values = new ReadOnlyMemory<char>[Guard.NotNull(names, nameof(names)).Count];
        for (int i = 0; i < values.Length; i++)
            values[i] = names[i].AsMemory();
        return new LabelKeyValues(Kind.Text, values);
    }

    private static LabelKeyValues Read<T>(DataViewSchema.Column label, Kind kind)
    {
        VBuffer<T> buffer = default;
        label.Annotations.GetValue(ScoreAnnotations.KeyValues, ref buffer);
        var values = buffer.DenseValues().ToArray();
        if (kind == Kind.Text)
        {
            // Copy the text out of the loader's buffers.
            var texts = (ReadOnlyMemory<char>[])(object)values;
            for (int i = 0; i < texts.Length; i++)
                texts[i] = texts[i].ToString().AsMemory();
        }
        return new LabelKeyValues(kind, values);
    }

    /// <summary>Adds <c>KeyValues</c> (to a PredictedLabel column).</summary>
    public void AddKeyValues(DataViewSchema.Annotations.Builder builder) => Add(builder, ScoreAnnotations.KeyValues);

    /// <summary>Adds <c>TrainingLabelValues</c> and, for text class names, <c>SlotNames</c> (to a Score column).</summary>
    public void AddScoreAnnotations(DataViewSchema.Annotations.Builder builder)
    {
        if (_kind == Kind.Text)
            Add(builder, ScoreAnnotations.SlotNames);
        Add(builder, ScoreAnnotations.TrainingLabelValues);
    }

    /// <summary>The estimator-time shape of the Score annotations, from a label column shape.</summary>
    public static SchemaShape.Column[] ScoreAnnotationShape(SchemaShape.Column label)
    {
        if (!label.IsKey || !Data.SchemaChecks.TryFind(label.Annotations, ScoreAnnotations.KeyValues, out var values)
            || values.Kind != SchemaShape.Column.VectorKind.Vector)
            return [];
        var trainingValues = Interop.MLNetBridge.MakeColumn(ScoreAnnotations.TrainingLabelValues, SchemaShape.Column.VectorKind.Vector, values.ItemType, false);
        return values.ItemType is TextDataViewType
            ? [Interop.MLNetBridge.MakeColumn(ScoreAnnotations.SlotNames, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false), trainingValues]
            : [trainingValues];
    }

    private void Add(DataViewSchema.Annotations.Builder builder, string name)
    {
        switch (_kind)
        {
            case Kind.Text: AddVector<ReadOnlyMemory<char>>(builder, name, TextDataViewType.Instance); break;
            case Kind.Single: AddVector<float>(builder, name, NumberDataViewType.Single); break;
            case Kind.Double: AddVector<double>(builder, name, NumberDataViewType.Double); break;
            case Kind.UInt32: AddVector<uint>(builder, name, NumberDataViewType.UInt32); break;
            case Kind.Int32: AddVector<int>(builder, name, NumberDataViewType.Int32); break;
            case Kind.UInt64: AddVector<ulong>(builder, name, NumberDataViewType.UInt64); break;
            case Kind.Int64: AddVector<long>(builder, name, NumberDataViewType.Int64); break;
            case Kind.Boolean: AddVector<bool>(builder, name, BooleanDataViewType.Instance); break;
        }
    }

    private void AddVector<T>(DataViewSchema.Annotations.Builder builder, string name, PrimitiveDataViewType itemType)
    {
        var values = (T[])_values;
        builder.Add(name, new VectorDataViewType(itemType, values.Length),
            (ref VBuffer<T> value) => value = new VBuffer<T>(values.Length, (T[])values.Clone()));
    }

    /// <summary>Writes the kind and the values.</summary>
    public void Save(ModelStateWriter writer)
    {
        writer.WriteEnum(_kind);
        writer.Write(_values.Length);
        for (int i = 0; i < _values.Length; i++)
        {
            switch (_values.GetValue(i))
            {
                case ReadOnlyMemory<char> text: writer.Write(text.ToString()); break;
                case float f: writer.Write(f); break;
                case double d: writer.Write(d); break;
                case uint u: writer.Write(unchecked((int)u)); break;
                case int n: writer.Write(n); break;
                case ulong ul: writer.Write(unchecked((long)ul)); break;
                case long l: writer.Write(l); break;
                case bool b: writer.Write(b); break;
            }
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote; <paramref name="classCount"/> must match.</summary>
    public static LabelKeyValues Load(ModelStateReader reader, int classCount)
    {
        var kind = reader.ReadEnum<Kind>("the class-name type");
        int count = reader.ReadInt32("the number of class names", classCount, classCount);
        Array values = kind switch
        {
            Kind.Text => ReadAll(count, () => reader.ReadString().AsMemory()),
            Kind.Single => ReadAll(count, reader.ReadSingle),
            Kind.Double => ReadAll(count, reader.ReadDouble),
            Kind.UInt32 => ReadAll(count, () => unchecked((uint)reader.ReadInt32())),
            Kind.Int32 => ReadAll(count, reader.ReadInt32),
            Kind.UInt64 => ReadAll(count, () => unchecked((ulong)reader.ReadInt64())),
            Kind.Int64 => ReadAll(count, reader.ReadInt64),
            _ => ReadAll(count, reader.ReadBoolean),
        };
        return new LabelKeyValues(kind, values);
    }

    private static T[] ReadAll<T>(int count, Func<T> read)
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
            values[i] = read();
        return values;
    }
}
