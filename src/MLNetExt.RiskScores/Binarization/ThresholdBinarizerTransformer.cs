using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.RiskScores.ThresholdBinarizerTransformer))]

namespace MLNetExt.RiskScores;

/// <summary>
/// Fitted threshold indicators (made by <see cref="ThresholdBinarizerEstimator"/>): each output slot is 1 when its
/// source slot is at least its threshold (or, for a kept binary slot, the slot's own value; for a missing indicator, 1
/// when the slot is NaN), else 0. Lazy, row by row; saved with the pipeline.
/// </summary>
public sealed class ThresholdBinarizerTransformer : RowToRowTransformer, IPersistentComponent<ThresholdBinarizerTransformer>
{
    internal enum IndicatorKind : byte
    {
        Copy,
        AtLeast,
        Missing,
    }

    internal readonly record struct Indicator(int Source, IndicatorKind Kind, float Threshold, string Name);

    private readonly Indicator[] _indicators;
    private readonly string[] _names;

    internal ThresholdBinarizerTransformer(string inputColumnName, string outputColumnName, int inputSize, Indicator[] indicators)
    {
        InputColumnName = inputColumnName;
        OutputColumnName = outputColumnName;
        InputSize = inputSize;
        _indicators = indicators;
        _names = indicators.Select(i => i.Name).ToArray();
    }

    /// <summary>The input column.</summary>
    public string InputColumnName { get; }

    /// <summary>The output column.</summary>
    public string OutputColumnName { get; }

    /// <summary>The input vector's size.</summary>
    public int InputSize { get; }

    /// <summary>The output slot names ("Age &gt;= 60", a kept binary slot's own name, "Age is missing").</summary>
    public IReadOnlyList<string> SlotNames => _names;

    /// <summary>For each output slot, the input slot it reads.</summary>
    public IReadOnlyList<int> SourceSlots => _indicators.Select(i => i.Source).ToArray();

    /// <summary>For each output slot, its threshold (NaN for kept binary slots and missing indicators).</summary>
    public IReadOnlyList<float> Thresholds => _indicators.Select(i => i.Kind == IndicatorKind.AtLeast ? i.Threshold : float.NaN).ToArray();

    /// <summary>The indicators of one input vector (length <see cref="InputSize"/>) into <paramref name="output"/>.</summary>
    public void Transform(ReadOnlySpan<float> input, Span<float> output)
    {
        Guard.Argument(input.Length == InputSize && output.Length == _indicators.Length, nameof(input),
            $"Expected {InputSize} input and {_indicators.Length} output values; got {input.Length} and {output.Length}.");
        Map(input, output);
    }

    private void Map(ReadOnlySpan<float> input, Span<float> output)
    {
        for (int k = 0; k < _indicators.Length; k++)
        {
            var indicator = _indicators[k];
            float v = input[indicator.Source];
            output[k] = indicator.Kind switch
            {
                IndicatorKind.Copy => float.IsNaN(v) ? 0 : v,
                IndicatorKind.AtLeast => v >= indicator.Threshold ? 1 : 0,
                _ => float.IsNaN(v) ? 1 : 0,
            };
        }
    }

    private protected override RowMapper CreateMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    private sealed class Mapper : RowMapper
    {
        private readonly ThresholdBinarizerTransformer _parent;
        private readonly DataViewSchema.Column _input;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public Mapper(ThresholdBinarizerTransformer parent, DataViewSchema inputSchema) : base(inputSchema)
        {
            _parent = parent;
            _input = SchemaChecks.Find(inputSchema, parent.InputColumnName, "input");
            if (_input.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Size != parent.InputSize)
                throw SchemaChecks.Mismatch("input", parent.InputColumnName, $"Vector<Single, {parent.InputSize}> (the size seen in fit)", _input.Type);
            var builder = new DataViewSchema.Annotations.Builder();
            var names = parent._names;
            ValueGetter<VBuffer<ReadOnlyMemory<char>>> slotNames = (ref VBuffer<ReadOnlyMemory<char>> value) =>
            {
                var editor = VBufferEditor.Create(ref value, names.Length);
                for (int k = 0; k < names.Length; k++)
                    editor.Values[k] = names[k].AsMemory();
                value = editor.Commit();
            };
            builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, names.Length), slotNames);
            _outputs = [new DataViewSchema.DetachedColumn(parent.OutputColumnName,
                new VectorDataViewType(NumberDataViewType.Single, names.Length), builder.ToAnnotations())];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
            => isOutputActive(0) ? [_input] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            if (!isOutputActive(0))
                return [null];
            var parent = _parent;
            var getter = input.GetGetter<VBuffer<float>>(_input);
            var buffer = default(VBuffer<float>);
            var dense = new float[parent.InputSize];
            int size = parent._indicators.Length;
            return [(ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                getter(ref buffer);
                if (buffer.Length != parent.InputSize)
                    throw new InvalidOperationException($"Input column '{parent.InputColumnName}' holds {buffer.Length} values at row {input.Position}; the transformer was fitted on {parent.InputSize}.");
                buffer.CopyTo(dense);
                var editor = VBufferEditor.Create(ref value, size);
                parent.Map(dense, editor.Values);
                value = editor.Commit();
            })];
        }
    }

    // Version 1: input and output names, input size, indicators (source, kind, threshold, name).
    private static readonly ComponentFormat Format = new("MLNetExt.RiskScores.ThresholdBinarizer", 1);

    static ComponentFormat IPersistentComponent<ThresholdBinarizerTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        writer.Write(InputColumnName);
        writer.Write(OutputColumnName);
        writer.Write(InputSize);
        writer.Write(_indicators.Select(i => i.Source).ToArray());
        writer.Write(_indicators.Select(i => (byte)i.Kind).ToArray());
        writer.Write(_indicators.Select(i => i.Threshold).ToArray());
        writer.Write(_names);
    }

    static ThresholdBinarizerTransformer IPersistentComponent<ThresholdBinarizerTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        string input = reader.ReadNonEmptyString("the input column name");
        string output = reader.ReadNonEmptyString("the output column name");
        int size = reader.ReadInt32("the input size", 1, int.MaxValue);
        var sources = reader.ReadInt32Array("the source slots");
        var kinds = reader.ReadByteArray("the indicator kinds");
        var thresholds = reader.ReadSingleArray("the thresholds");
        var names = reader.ReadStringArray("the slot names");
        reader.Check(sources.Length > 0 && kinds.Length == sources.Length && thresholds.Length == sources.Length && names.Length == sources.Length,
            $"the indicator arrays have lengths {sources.Length}, {kinds.Length}, {thresholds.Length}, {names.Length}");
        var indicators = new Indicator[sources.Length];
        for (int k = 0; k < indicators.Length; k++)
        {
            reader.Check(sources[k] >= 0 && sources[k] < size, $"indicator {k} reads slot {sources[k]} of {size}");
            reader.Check(kinds[k] <= (byte)IndicatorKind.Missing, $"indicator {k} has kind {kinds[k]}");
            indicators[k] = new Indicator(sources[k], (IndicatorKind)kinds[k], thresholds[k], names[k]);
        }
        return new ThresholdBinarizerTransformer(input, output, size, indicators);
    }
}
