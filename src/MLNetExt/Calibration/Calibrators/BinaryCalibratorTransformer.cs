using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Serialization;

namespace MLNetExt.Calibration;

/// <summary>
/// The common shape of MLNetExt's binary calibrators: a learned, non-decreasing map from one score column to a
/// probability column (Single by default, Double as an option). Transform is lazy (nothing is computed until a cursor
/// reads the probability), works through <c>PredictionEngine</c>, and survives <c>mlContext.Model.Save</c> / <c>Load</c>.
/// A missing (NaN) score gives a NaN probability; an infinite raw score gives the map's limit (0 or 1, or the
/// probability of the bin or side it falls in); probability input outside [0, 1] is clamped to [floor, 1 - floor].
/// </summary>
public abstract class BinaryCalibratorTransformer : CalibratorTransformer
{
    private protected BinaryCalibratorTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind, double probabilityFloor,
        DataKind outputKind)
        : base(scoreColumnName, outputColumnName, scoreKind, probabilityFloor)
    {
        OutputKind = outputKind;
    }

    /// <summary>The output column's type: Single (ML.NET's <c>Probability</c>) or Double.</summary>
    public DataKind OutputKind { get; }

    /// <summary>The calibrated probability of one score, in double (the Single output column holds it rounded).</summary>
    public double Calibrate(double score) => double.IsNaN(score) ? double.NaN : CalibrateCore(score);

    private protected override RowMapper CreateMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    private protected abstract double CalibrateCore(double score);

    /// <summary>Writes the output kind (format version 2 of every binary calibrator, after the binding).</summary>
    private protected void SaveOutputKind(ModelStateWriter writer) => writer.WriteEnum(OutputKind);

    /// <summary>Reads what <see cref="SaveOutputKind"/> wrote; Single for format version 1, which had no choice.</summary>
    private protected static DataKind LoadOutputKind(ModelStateReader reader)
    {
        if (reader.FormatVersion < 2)
            return DataKind.Single;
        var kind = reader.ReadEnum<DataKind>("the output kind");
        reader.Check(kind is DataKind.Single or DataKind.Double, $"the output kind is {kind}");
        return kind;
    }

    private sealed class Mapper : RowMapper
    {
        private readonly BinaryCalibratorTransformer _parent;
        private readonly DataViewSchema.Column _score;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public Mapper(BinaryCalibratorTransformer parent, DataViewSchema inputSchema) : base(inputSchema)
        {
            _parent = parent;
            _score = BinaryCalibratorSupport.CheckScore(inputSchema, parent.ScoreColumnName);
            _outputs = [new DataViewSchema.DetachedColumn(parent.OutputColumnName, BinaryCalibratorSupport.OutputType(parent.OutputKind))];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
            => isOutputActive(0) ? [_score] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            if (!isOutputActive(0))
                return [null];
            var parent = _parent;
            Func<double> read;
            if (_score.Type == NumberDataViewType.Single)
            {
                var getter = input.GetGetter<float>(_score);
                float score = 0;
                read = () =>
                {
                    getter(ref score);
                    return score;
                };
            }
            else
            {
                var getter = input.GetGetter<double>(_score);
                double score = 0;
                read = () =>
                {
                    getter(ref score);
                    return score;
                };
            }
            if (parent.OutputKind == DataKind.Double)
                return [(ValueGetter<double>)((ref double value) => value = parent.Calibrate(read()))];
            return [(ValueGetter<float>)((ref float value) => value = (float)parent.Calibrate(read()))];
        }
    }
}
