using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.Calibration.TemperatureScalingTransformer))]

namespace MLNetExt.Calibration;

/// <summary>
/// A fitted multiclass calibration map of <see cref="TemperatureScalingEstimator"/>: softmax(z / <see cref="Temperature"/>)
/// of the input's logits (or log-probabilities), or, for <see cref="TemperatureScalingMethod.VectorScaling"/>,
/// softmax(<see cref="Weights"/> ⊙ z + <see cref="Biases"/>). Transform is lazy, works through <c>PredictionEngine</c>,
/// and survives <c>mlContext.Model.Save</c> / <c>Load</c>. A row with a NaN score gives NaN probabilities; infinite
/// logits give softmax's limit (the classes at +infinity share the probability equally, classes at -infinity get 0;
/// a weight of 0 ignores its logit); a row whose vector holds more or fewer values than its declared size is an error
/// naming the column, the row and both sizes.
/// </summary>
public sealed class TemperatureScalingTransformer : CalibratorTransformer, IPersistentComponent<TemperatureScalingTransformer>
{
    private readonly double[] _weights;
    private readonly double[] _biases;

    internal TemperatureScalingTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind,
        double probabilityFloor, int classCount, double temperature)
        : base(scoreColumnName, outputColumnName, scoreKind, probabilityFloor)
    {
        ClassCount = classCount;
        Method = TemperatureScalingMethod.Temperature;
        Temperature = temperature;
        _weights = Enumerable.Repeat(1 / temperature, classCount).ToArray();
        _biases = new double[classCount];
    }

    internal TemperatureScalingTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind,
        double probabilityFloor, double[] weights, double[] biases)
        : base(scoreColumnName, outputColumnName, scoreKind, probabilityFloor)
    {
        ClassCount = weights.Length;
        Method = TemperatureScalingMethod.VectorScaling;
        Temperature = double.NaN;
        _weights = weights;
        _biases = biases;
    }

    /// <summary>Which map was fitted.</summary>
    public TemperatureScalingMethod Method { get; }

    /// <summary>The fitted temperature T &gt; 0 (T &gt; 1 softens an over-confident model); NaN for vector scaling.</summary>
    public double Temperature { get; }

    /// <summary>The per-class logit weights: all 1 / T for temperature scaling.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>The per-class logit biases (the first is 0: softmax ignores a common shift); all 0 for temperature scaling.</summary>
    public IReadOnlyList<double> Biases => _biases;

    /// <summary>K, the size of the score vector.</summary>
    public int ClassCount { get; }

    static ComponentFormat IPersistentComponent<TemperatureScalingTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    // Version 1: binding, K, T. Version 2 (vector scaling): binding, K, method, then T or (weights, biases).
    private static readonly ComponentFormat Format = new("MLNetExt.Calibration.TemperatureScaling", 2, OldestReadableVersion: 1);

    /// <summary>Calibrates one score vector of <see cref="ClassCount"/> values into <paramref name="probabilities"/>.</summary>
    public void Calibrate(ReadOnlySpan<float> scores, Span<float> probabilities)
    {
        if (scores.Length != ClassCount || probabilities.Length != ClassCount)
            throw new ArgumentException($"Both spans must have {ClassCount} elements; got {scores.Length} and {probabilities.Length}.");
        Span<double> logits = ClassCount <= 256 ? stackalloc double[ClassCount] : new double[ClassCount];
        Map(scores, logits, probabilities);
    }

    private protected override RowMapper CreateMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    private void Map(ReadOnlySpan<float> scores, Span<double> logits, Span<float> probabilities)
    {
        ScoreMath.ToLogits(scores, ScoreKind, ProbabilityFloor, logits);
        if (Method == TemperatureScalingMethod.Temperature)
        {
            ScoreMath.Softmax(logits, Temperature, probabilities);
            return;
        }
        for (int k = 0; k < logits.Length; k++)
            logits[k] = _weights[k] == 0 ? _biases[k] : _weights[k] * logits[k] + _biases[k]; // 0 * infinity is not NaN here
        ScoreMath.Softmax(logits, 1.0, probabilities);
    }

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        SaveBinding(writer);
        writer.Write(ClassCount);
        writer.WriteEnum(Method);
        if (Method == TemperatureScalingMethod.Temperature)
        {
            writer.Write(Temperature);
            return;
        }
        writer.Write(_weights);
        writer.Write(_biases);
    }

    static TemperatureScalingTransformer IPersistentComponent<TemperatureScalingTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        var (score, output, kind, floor) = LoadBinding(reader);
        int classCount = reader.ReadInt32("the class count", 2, int.MaxValue);
        var method = reader.FormatVersion >= 2 ? reader.ReadEnum<TemperatureScalingMethod>("the method") : TemperatureScalingMethod.Temperature;
        if (method == TemperatureScalingMethod.Temperature)
        {
            double temperature = reader.ReadFiniteDouble("the temperature");
            reader.Check(temperature > 0, $"the temperature is {temperature}");
            return new TemperatureScalingTransformer(score, output, kind, floor, classCount, temperature);
        }
        var weights = reader.ReadDoubleArray("the weights");
        var biases = reader.ReadDoubleArray("the biases");
        reader.Check(weights.Length == classCount && biases.Length == classCount,
            $"there are {weights.Length} weights and {biases.Length} biases for {classCount} classes");
        reader.Check(weights.All(double.IsFinite) && biases.All(double.IsFinite), "a weight or bias is not finite");
        return new TemperatureScalingTransformer(score, output, kind, floor, weights, biases);
    }

    private sealed class Mapper : RowMapper
    {
        private readonly TemperatureScalingTransformer _parent;
        private readonly DataViewSchema.Column _score;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public Mapper(TemperatureScalingTransformer parent, DataViewSchema inputSchema) : base(inputSchema)
        {
            _parent = parent;
            _score = SchemaChecks.Find(inputSchema, parent.ScoreColumnName, "score");
            if (_score.Type is not VectorDataViewType vector || vector.Size != parent.ClassCount
                || (vector.ItemType != NumberDataViewType.Single && vector.ItemType != NumberDataViewType.Double))
            {
                throw SchemaChecks.Mismatch("score", parent.ScoreColumnName,
                    $"a vector of {parent.ClassCount} Single values (the size the calibrator was fitted on)", _score.Type);
            }
            _outputs = [new DataViewSchema.DetachedColumn(parent.OutputColumnName,
                new VectorDataViewType(NumberDataViewType.Single, parent.ClassCount), _score.Annotations)];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
            => isOutputActive(0) ? [_score] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            if (!isOutputActive(0))
                return [null];
            var parent = _parent;
            int k = parent.ClassCount;
            var scores = new float[k];
            var logits = new double[k];
            var column = _score;
            if (((VectorDataViewType)_score.Type).ItemType == NumberDataViewType.Double)
            {
                var getter = input.GetGetter<VBuffer<double>>(_score);
                VBuffer<double> buffer = default;
                return [(ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    getter(ref buffer);
                    CheckLength(buffer.Length, k, column, input.Position);
                    buffer.CopyTo(logits);
                    for (int j = 0; j < k; j++)
                        scores[j] = (float)logits[j];
                    Write(parent, scores, logits, ref value);
                })];
            }
            var floatGetter = input.GetGetter<VBuffer<float>>(_score);
            VBuffer<float> floatBuffer = default;
            return [(ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                floatGetter(ref floatBuffer);
                CheckLength(floatBuffer.Length, k, column, input.Position);
                floatBuffer.CopyTo(scores);
                Write(parent, scores, logits, ref value);
            })];
        }

        // A row must hold the declared number of values: a shorter one would leave the previous row's values in the
        // missing slots, a longer one would not fit.
        private static void CheckLength(int length, int declared, DataViewSchema.Column column, long row)
        {
            if (length != declared)
            {
                throw new InvalidOperationException(
                    $"Score column '{column.Name}' holds {length} values at row {row}, but its type declares {declared}; " +
                    $"{TemperatureScalingEstimator.ComponentName} needs every row to have the declared size.");
            }
        }

        private static void Write(TemperatureScalingTransformer parent, float[] scores, double[] logits, ref VBuffer<float> value)
        {
            int k = parent.ClassCount;
            var editor = VBufferEditor.Create(ref value, k);
            parent.Map(scores, logits, editor.Values);
            value = editor.Commit();
        }
    }
}
