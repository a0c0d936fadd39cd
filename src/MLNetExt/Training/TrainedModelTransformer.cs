using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Serialization;

namespace MLNetExt.Training;

/// <summary>
/// The base of the transformers MLNetExt's trainers return: it applies a trained model (<see cref="Model"/>) to a
/// feature column and writes ML.NET's standard output columns, so that <c>mlContext.Ranking.Evaluate</c>,
/// <c>BinaryClassification.Evaluate</c>, <c>MulticlassClassification.Evaluate</c>, <c>PredictionEngine</c>,
/// <c>PermutationFeatureImportance</c> and the rest of a pipeline treat it as one of ML.NET's own.
/// </summary>
/// <remarks>
/// <c>Transform</c> is lazy and row by row; every output column of a row comes from one evaluation of the model. The
/// feature column must be a known-size vector of <see cref="float"/> with the length the model was trained on
/// (checked when the transformer is bound to a schema, with an error that names both sizes); dense and sparse rows
/// are both accepted. Not meant to be derived from outside MLNetExt.
/// </remarks>
/// <typeparam name="TModel">The model parameters: immutable, with what users inspect as read-only properties.</typeparam>
public abstract class TrainedModelTransformer<TModel> : RowToRowTransformer, ISingleFeaturePredictionTransformer<TModel>, IPersistentComponent
    where TModel : class
{
    private protected TrainedModelTransformer(TModel model, string featureColumnName)
    {
        Model = Guard.NotNull(model, nameof(model));
        Scorer = model as IVectorScorer
            ?? throw new ArgumentException($"{model.GetType().Name} does not score feature vectors.", nameof(model));
        if (model is not IPersistentSection)
            throw new ArgumentException($"{model.GetType().Name} cannot be saved with the model.", nameof(model));
        FeatureColumnName = Guard.ColumnName(featureColumnName, nameof(featureColumnName));
        FeatureColumnType = new VectorDataViewType(NumberDataViewType.Single, Scorer.FeatureCount);
    }

    /// <summary>The trained model's parameters.</summary>
    public TModel Model { get; }

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The feature column's type: a vector of <see cref="float"/> with the length seen in training.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>The number of features the model was trained on.</summary>
    public int FeatureCount => Scorer.FeatureCount;

    internal IVectorScorer Scorer { get; }

    /// <summary>The task, as ML.NET's <c>ScoreColumnKind</c> annotation names it.</summary>
    private protected abstract string Task { get; }

    /// <summary>The output columns (name, type, ML.NET's <c>ScoreValueKind</c>), in order.</summary>
    private protected abstract IReadOnlyList<OutputColumn> Outputs { get; }

    /// <summary>Adds task-specific annotations (class names) to output <paramref name="index"/>.</summary>
    private protected virtual void AddAnnotations(int index, DataViewSchema.Annotations.Builder builder)
    {
    }

    /// <summary>
    /// Returns the getter of output <paramref name="index"/>, given a function that evaluates the model on the
    /// current row (at most once per row) and returns the model's outputs (<see cref="IVectorScorer"/> layout).
    /// </summary>
    private protected abstract Delegate MakeGetter(int index, Func<double[]> evaluate);

    private protected override RowMapper CreateMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    /// <summary>The format of the task's transformers (one id per task, whatever the model type).</summary>
    private protected abstract ComponentFormat Format { get; }

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    /// <summary>
    /// Writes the feature column, which model type the state holds (its package and section id), the task's own
    /// binding (<see cref="SaveBinding"/>), then the model parameters as a section with their own format version.
    /// </summary>
    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        var section = (IPersistentSection)Model;
        writer.Write(FeatureColumnName);
        writer.Write(Model.GetType().Assembly.GetName().Name!);
        writer.Write(section.SectionFormat.Id);
        SaveBinding(writer);
        writer.WriteSection(section);
    }

    /// <summary>Writes what the task needs besides the model (class names); nothing by default.</summary>
    private protected virtual void SaveBinding(ModelStateWriter writer)
    {
    }

    /// <summary>A new output column.</summary>
    private protected readonly record struct OutputColumn(string Name, DataViewType Type, string ValueKind);

    private protected DataViewSchema.Column CheckFeatures(DataViewSchema schema)
    {
        var column = SchemaChecks.Find(schema, FeatureColumnName, "feature");
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Size != FeatureCount)
        {
            throw SchemaChecks.Mismatch("feature", FeatureColumnName,
                $"Vector<Single, {FeatureCount}> (the size the model was trained on)", column.Type);
        }
        return column;
    }

    private sealed class Mapper : RowMapper
    {
        private readonly TrainedModelTransformer<TModel> _parent;
        private readonly DataViewSchema.Column _features;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public Mapper(TrainedModelTransformer<TModel> parent, DataViewSchema inputSchema) : base(inputSchema)
        {
            _parent = parent;
            _features = parent.CheckFeatures(inputSchema);
            uint setId = ScoreAnnotations.NextSetId(inputSchema);
            var outputs = parent.Outputs;
            _outputs = new DataViewSchema.DetachedColumn[outputs.Count];
            for (int i = 0; i < outputs.Count; i++)
            {
                var builder = ScoreAnnotations.Builder(setId, parent.Task, outputs[i].ValueKind);
                parent.AddAnnotations(i, builder);
                _outputs[i] = new DataViewSchema.DetachedColumn(outputs[i].Name, outputs[i].Type, builder.ToAnnotations());
            }
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
        {
            for (int i = 0; i < _outputs.Length; i++)
            {
                if (isOutputActive(i))
                    return [_features];
            }
            return [];
        }

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            var getters = new Delegate?[_outputs.Length];
            bool any = false;
            for (int i = 0; i < getters.Length; i++)
                any |= isOutputActive(i);
            if (!any)
                return getters;

            // One model evaluation per row, shared by every output column of the row.
            var featureGetter = input.GetGetter<VBuffer<float>>(_features);
            var scorer = _parent.Scorer.CreateRowScorer();
            var outputs = new double[_parent.Scorer.OutputCount];
            var features = default(VBuffer<float>);
            long cachedPosition = -1;
            int featureCount = _parent.FeatureCount;
            string featureName = _parent.FeatureColumnName;
            Func<double[]> evaluate = () =>
            {
                if (input.Position != cachedPosition)
                {
                    featureGetter(ref features);
                    if (features.Length != featureCount)
                    {
                        throw new InvalidOperationException(
                            $"Feature column '{featureName}' holds {features.Length} values at row {input.Position}; the model " +
                            $"was trained on {featureCount}.");
                    }
                    scorer.Score(features, outputs);
                    cachedPosition = input.Position;
                }
                return outputs;
            };
            for (int i = 0; i < getters.Length; i++)
            {
                if (isOutputActive(i))
                    getters[i] = _parent.MakeGetter(i, evaluate);
            }
            return getters;
        }
    }
}
