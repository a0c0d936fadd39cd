using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Serialization;

namespace MLNetExt.Calibration;

/// <summary>
/// The common shape of MLNetExt's binary calibrators: a learned, non-decreasing map from one score column to a
/// probability column. Transform is lazy (nothing is computed until a cursor reads the probability), works through
/// <c>PredictionEngine</c>, and survives <c>mlContext.Model.Save</c> / <c>Load</c>. A missing (NaN) score gives a
/// NaN probability; probability input outside [0, 1] is clamped to [floor, 1 - floor].
/// </summary>
public abstract class BinaryCalibratorTransformer : CalibratorTransformer
{
    private protected BinaryCalibratorTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind, double probabilityFloor)
        : base(scoreColumnName, outputColumnName, scoreKind, probabilityFloor)
    {
    }

    /// <summary>The calibrated probability of one score, as the output column holds it (before rounding to Single).</summary>
    public double Calibrate(double score) => double.IsNaN(score) ? double.NaN : CalibrateCore(score);

    private protected override RowMapper CreateMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    private protected abstract double CalibrateCore(double score);

    private sealed class Mapper : RowMapper
    {
        private readonly BinaryCalibratorTransformer _parent;
        private readonly DataViewSchema.Column _score;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public Mapper(BinaryCalibratorTransformer parent, DataViewSchema inputSchema) : base(inputSchema)
        {
            _parent = parent;
            _score = BinaryCalibratorSupport.CheckScore(inputSchema, parent.ScoreColumnName);
            _outputs = [new DataViewSchema.DetachedColumn(parent.OutputColumnName, NumberDataViewType.Single)];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
            => isOutputActive(0) ? [_score] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            if (!isOutputActive(0))
                return [null];
            var parent = _parent;
            if (_score.Type == NumberDataViewType.Single)
            {
                var getter = input.GetGetter<float>(_score);
                float score = 0;
                return [(ValueGetter<float>)((ref float value) =>
                {
                    getter(ref score);
                    value = (float)parent.Calibrate(score);
                })];
            }
            var doubleGetter = input.GetGetter<double>(_score);
            double doubleScore = 0;
            return [(ValueGetter<float>)((ref float value) =>
            {
                doubleGetter(ref doubleScore);
                value = (float)parent.Calibrate(doubleScore);
            })];
        }
    }
}
