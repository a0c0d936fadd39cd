using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Serialization;
using MLNetExt.Training;

[assembly: PersistentComponent(typeof(MLNetExt.TorchSharp.Ranking.NeuralRankingTransformer))]

namespace MLNetExt.TorchSharp.Ranking;

/// <summary>
/// A trained neural ranker applied to data: writes <c>Score</c> (Single; larger ranks higher), and <c>Probability</c>
/// (Single, sigmoid(Score)) when the model was trained with the RCR loss. <c>mlContext.Ranking.Evaluate</c> and
/// <c>mlContext.Ranking.EvaluateRanking</c> read them with the label and group columns.
/// </summary>
/// <remarks>
/// With the MLP scorer each row is scored on its own: the transformer is row to row, and <c>PredictionEngine</c> works.
/// With the transformer (self-attention) scorer a document's score depends on the rest of its query, so
/// <c>Transform</c> reads one whole group at a time (the group column's rows must be contiguous, as for training) and
/// <c>PredictionEngine</c> is refused with a message saying to transform a view holding the group's rows. Scoring is
/// lazy, runs on the CPU in inference mode and is thread-safe.
/// </remarks>
public sealed class NeuralRankingTransformer : ISingleFeaturePredictionTransformer<NeuralRankingModelParameters>,
    IPersistentComponent<NeuralRankingTransformer>
{
    internal NeuralRankingTransformer(NeuralRankingModelParameters model, string featureColumnName, string groupColumnName)
    {
        Model = Guard.NotNull(model, nameof(model));
        FeatureColumnName = Guard.ColumnName(featureColumnName, nameof(featureColumnName));
        GroupColumnName = Guard.ColumnName(groupColumnName, nameof(groupColumnName));
        FeatureColumnType = new VectorDataViewType(NumberDataViewType.Single, model.FeatureCount);
    }

    /// <summary>The trained model.</summary>
    public NeuralRankingModelParameters Model { get; }

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The feature column's type: a vector of Single with the training length.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>The group column a listwise scorer reads groups from (unused by the MLP scorer).</summary>
    public string GroupColumnName { get; }

    /// <summary>True for the MLP scorer; false for the transformer scorer, which scores whole groups.</summary>
    public bool IsRowToRowMapper => !Model.IsListwise;

    /// <summary>The output schema; checks the input columns.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        return IsRowToRowMapper ? new RowScorerMapper(this, inputSchema).OutputSchema : new ListScorerMapper(this, inputSchema).OutputSchema;
    }

    /// <summary>The row-to-row mapper (MLP scorer only).</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        if (!IsRowToRowMapper)
        {
            throw new InvalidOperationException(
                "This neural ranker uses the transformer scorer, which scores whole groups (every row of a query together), so it " +
                "cannot score one row at a time and does not work with PredictionEngine. Put the rows of a group in an IDataView " +
                "(for example mlContext.Data.LoadFromEnumerable) and call Transform.");
        }
        return new MappedRowToRowMapper(new RowScorerMapper(this, inputSchema));
    }

    /// <summary>The input with the outputs added, computed lazily.</summary>
    public IDataView Transform(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        return IsRowToRowMapper
            ? new MappedDataView(input, new RowScorerMapper(this, input.Schema))
            : new GroupMappedDataView(input, new ListScorerMapper(this, input.Schema));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, this);

    // Version 1: feature column, group column, model section.
    private static readonly ComponentFormat Format = new("MLNetExt.TorchSharp.NeuralRankingTransformer", 1);

    static ComponentFormat IPersistentComponent<NeuralRankingTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        writer.Write(FeatureColumnName);
        writer.Write(GroupColumnName);
        writer.WriteSection(Model);
    }

    static NeuralRankingTransformer IPersistentComponent<NeuralRankingTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        string features = reader.ReadNonEmptyString("the feature column name");
        string group = reader.ReadNonEmptyString("the group column name");
        var model = reader.ReadSection<NeuralRankingModelParameters>();
        return new NeuralRankingTransformer(model, features, group);
    }

    private DataViewSchema.Column CheckFeatures(DataViewSchema schema)
    {
        var column = SchemaChecks.Find(schema, FeatureColumnName, "feature");
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Size != Model.FeatureCount)
            throw SchemaChecks.Mismatch("feature", FeatureColumnName, $"Vector<Single, {Model.FeatureCount}> (the size the model was trained on)", column.Type);
        return column;
    }

    private DataViewSchema.DetachedColumn[] OutputColumns(DataViewSchema inputSchema)
    {
        uint setId = ScoreAnnotations.NextSetId(inputSchema);
        var score = new DataViewSchema.DetachedColumn(ColumnNames.Score, NumberDataViewType.Single,
            ScoreAnnotations.Builder(setId, ScoreAnnotations.Ranking, ScoreAnnotations.Score).ToAnnotations());
        if (!Model.HasProbability)
            return [score];
        return [score, new DataViewSchema.DetachedColumn(ColumnNames.Probability, NumberDataViewType.Single,
            ScoreAnnotations.Builder(setId, ScoreAnnotations.Ranking, ScoreAnnotations.Probability).ToAnnotations())];
    }

    private static void ReadFeatures(ValueGetter<VBuffer<float>> getter, ref VBuffer<float> buffer, Span<float> destination, string column, long row)
    {
        getter(ref buffer);
        if (buffer.Length != destination.Length)
            throw new InvalidOperationException($"Feature column '{column}' holds {buffer.Length} values at row {row}; the model was trained on {destination.Length}.");
        buffer.CopyTo(destination);
    }

    /// <summary>Row-to-row scoring (MLP scorer).</summary>
    private sealed class RowScorerMapper : RowMapper
    {
        private readonly NeuralRankingTransformer _parent;
        private readonly DataViewSchema.Column _features;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public RowScorerMapper(NeuralRankingTransformer parent, DataViewSchema inputSchema) : base(inputSchema)
        {
            _parent = parent;
            _features = parent.CheckFeatures(inputSchema);
            _outputs = parent.OutputColumns(inputSchema);
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
            => Enumerable.Range(0, _outputs.Length).Any(isOutputActive) ? [_features] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            var getters = new Delegate?[_outputs.Length];
            if (!Enumerable.Range(0, _outputs.Length).Any(isOutputActive))
                return getters;
            var featureGetter = input.GetGetter<VBuffer<float>>(_features);
            var buffer = default(VBuffer<float>);
            var dense = new float[_parent.Model.FeatureCount];
            var score = new float[1];
            long cached = -1;
            var model = _parent.Model;
            string name = _parent.FeatureColumnName;
            float Evaluate()
            {
                if (input.Position != cached)
                {
                    ReadFeatures(featureGetter, ref buffer, dense, name, input.Position);
                    model.ScoreList(dense, 1, score);
                    cached = input.Position;
                }
                return score[0];
            }
            if (isOutputActive(0))
                getters[0] = (ValueGetter<float>)((ref float value) => value = Evaluate());
            if (_outputs.Length > 1 && isOutputActive(1))
                getters[1] = (ValueGetter<float>)((ref float value) => value = Sigmoid(Evaluate()));
            return getters;
        }
    }

    internal static float Sigmoid(float score) => (float)Numerics.StableMath.Sigmoid(score);

    /// <summary>Whole-group scoring (transformer scorer).</summary>
    private sealed class ListScorerMapper : GroupMapper
    {
        private readonly NeuralRankingTransformer _parent;
        private readonly DataViewSchema.Column _features;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public ListScorerMapper(NeuralRankingTransformer parent, DataViewSchema inputSchema) : base(inputSchema, parent.GroupColumnName)
        {
            _parent = parent;
            _features = parent.CheckFeatures(inputSchema);
            _outputs = parent.OutputColumns(inputSchema);
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies() => [_features];

        public override GroupScorer CreateScorer(DataViewRow input) => new ListScorer(_parent, input, input.GetGetter<VBuffer<float>>(_features));
    }

    private sealed class ListScorer(NeuralRankingTransformer parent, DataViewRow input, ValueGetter<VBuffer<float>> getter) : GroupScorer
    {
        private readonly int _d = parent.Model.FeatureCount;
        private float[] _features = new float[16 * parent.Model.FeatureCount];
        private float[] _scores = new float[16];
        private VBuffer<float> _buffer;

        public override void AddRow(int indexInGroup)
        {
            if ((indexInGroup + 1) * _d > _features.Length)
                Array.Resize(ref _features, 2 * (indexInGroup + 1) * _d);
            ReadFeatures(getter, ref _buffer, _features.AsSpan(indexInGroup * _d, _d), parent.FeatureColumnName, input.Position);
        }

        public override void ScoreGroup(int rowCount, float[][] outputs)
        {
            if (_scores.Length < rowCount)
                _scores = new float[Math.Max(rowCount, 2 * _scores.Length)];
            parent.Model.ScoreList(_features, rowCount, _scores);
            for (int i = 0; i < rowCount; i++)
            {
                outputs[0][i] = _scores[i];
                if (outputs.Length > 1)
                    outputs[1][i] = Sigmoid(_scores[i]);
            }
        }
    }
}
