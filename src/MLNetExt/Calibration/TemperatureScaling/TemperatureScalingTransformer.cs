using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.Calibration.TemperatureScalingTransformer))]

namespace MLNetExt.Calibration;

/// <summary>
/// A fitted multiclass temperature: the output vector is softmax(z / <see cref="Temperature"/>) of the input's
/// logits (or log-probabilities). Created by <see cref="TemperatureScalingEstimator"/>. Transform is lazy, works
/// through <c>PredictionEngine</c>, and survives <c>mlContext.Model.Save</c> / <c>Load</c>. A row with a NaN score
/// gives NaN probabilities.
/// </summary>
public sealed class TemperatureScalingTransformer : CalibratorTransformer, IPersistentComponent<TemperatureScalingTransformer>
{
    internal TemperatureScalingTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind,
        double probabilityFloor, int classCount, double temperature)
        : base(scoreColumnName, outputColumnName, scoreKind, probabilityFloor)
    {
        ClassCount = classCount;
        Temperature = temperature;
    }

    /// <summary>The fitted temperature T &gt; 0; T &gt; 1 softens an over-confident model.</summary>
    public double Temperature { get; }

    /// <summary>K, the size of the score vector.</summary>
    public int ClassCount { get; }

    static ComponentFormat IPersistentComponent<TemperatureScalingTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    // Version 1: columns, score kind, floor, K, T.
    private static readonly ComponentFormat Format = new("MLNetExt.Calibration.TemperatureScaling", 1);

    /// <summary>Calibrates one score vector of <see cref="ClassCount"/> values into <paramref name="probabilities"/>.</summary>
    public void Calibrate(ReadOnlySpan<float> scores, Span<float> probabilities)
    {
        if (scores.Length != ClassCount || probabilities.Length != ClassCount)
            throw new ArgumentException($"Both spans must have {ClassCount} elements; got {scores.Length} and {probabilities.Length}.");
        Span<double> logits = ClassCount <= 256 ? stackalloc double[ClassCount] : new double[ClassCount];
        ScoreMath.ToLogits(scores, ScoreKind, ProbabilityFloor, logits);
        ScoreMath.Softmax(logits, Temperature, probabilities);
    }

    private protected override RowMapper CreateMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        SaveBinding(writer);
        writer.Write(ClassCount);
        writer.Write(Temperature);
    }

    static TemperatureScalingTransformer IPersistentComponent<TemperatureScalingTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        var (score, output, kind, floor) = LoadBinding(reader);
        int classCount = reader.ReadInt32("the class count", 2, int.MaxValue);
        double temperature = reader.ReadFiniteDouble("the temperature");
        reader.Check(temperature > 0, $"the temperature is {temperature}");
        return new TemperatureScalingTransformer(score, output, kind, floor, classCount, temperature);
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
                    $"a vector of {parent.ClassCount} Single values (the size the temperature was fitted on)", _score.Type);
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
            if (((VectorDataViewType)_score.Type).ItemType == NumberDataViewType.Double)
            {
                var getter = input.GetGetter<VBuffer<double>>(_score);
                VBuffer<double> buffer = default;
                return [(ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    getter(ref buffer);
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
                floatBuffer.CopyTo(scores);
                Write(parent, scores, logits, ref value);
            })];
        }

        private static void Write(TemperatureScalingTransformer parent, float[] scores, double[] logits, ref VBuffer<float> value)
        {
            int k = parent.ClassCount;
            var editor = VBufferEditor.Create(ref value, k);
            ScoreMath.ToLogits(scores, parent.ScoreKind, parent.ProbabilityFloor, logits);
            ScoreMath.Softmax(logits, parent.Temperature, editor.Values);
            value = editor.Commit();
        }
    }
}
