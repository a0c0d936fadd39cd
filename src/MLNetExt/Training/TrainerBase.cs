using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;

namespace MLNetExt.Training;

/// <summary>The tasks MLNetExt's trainers learn; each has ML.NET's label type and output columns.</summary>
internal enum PredictionTask
{
    /// <summary>Label: Single grades or a key; group column; output Score.</summary>
    Ranking,

    /// <summary>Label: Boolean; output Score, Probability, PredictedLabel.</summary>
    BinaryClassification,

    /// <summary>Label: a key; output Score (vector), PredictedLabel (key).</summary>
    MulticlassClassification,
}

/// <summary>What a trainer's <c>FitCore</c> gets: the validated options' data, the channel and the resolved seed.</summary>
/// <param name="Channel">Logging, progress and cancellation through the MLContext.</param>
/// <param name="Seed">The seed resolved when the trainer was created.</param>
/// <param name="TrainData">The training data (schema checked).</param>
/// <param name="ValidationData">Optional validation data (schema checked), for early stopping.</param>
internal sealed record TrainingContext(ComponentChannel Channel, int Seed, IDataView TrainData, IDataView? ValidationData);

/// <summary>
/// The base of MLNetExt's trainers: takes a copy of the options and validates it when the trainer is created,
/// resolves the seed then (so every fit of one trainer, and every trainer made in the same order from an
/// <c>MLContext</c> with the same seed, gives the same model), checks the input columns in
/// <see cref="GetOutputSchema"/> and in <c>Fit</c> with ML.NET's wording, and offers ML.NET's
/// <c>Fit(trainData, validationData)</c> form. Not meant to be derived from outside MLNetExt.
/// </summary>
/// <typeparam name="TTransformer">The transformer the trainer returns: a <see cref="TrainedModelTransformer{TModel}"/>
/// (row to row), or a transformer of the trainer's own package that maps whole groups (listwise neural rankers).</typeparam>
/// <typeparam name="TModel">The model parameters in it.</typeparam>
public abstract class TrainerBase<TTransformer, TModel> : IEstimator<TTransformer>
    where TTransformer : class, ITransformer
    where TModel : class
{
    private readonly IHostEnvironment _env;
    private readonly TrainerOptionsBase _options;
    private readonly string _component;
    private readonly PredictionTask _task;
    private readonly int _seed;

    private protected TrainerBase(IHostEnvironment env, TrainerOptionsBase options, string component, PredictionTask task)
    {
        _env = Guard.NotNull(env, nameof(env));
        Guard.NotNull(options, nameof(options));
        _options = options.Clone();
        _options.Validate();
        _component = component;
        _task = task;
        if (task == PredictionTask.Ranking && options is not RankingTrainerOptionsBase)
            throw new ArgumentException($"The options of a ranking trainer derive from {nameof(RankingTrainerOptionsBase)}.", nameof(options));
        _seed = Numerics.SeedResolver.Resolve(env, _options.Seed, component);
    }

    /// <summary>The seed this trainer uses: Options.Seed, or the one drawn from the MLContext when it was created.</summary>
    public int Seed => _seed;

    /// <summary>The trainer's copy of its options (taken and validated when it was created).</summary>
    private protected TrainerOptionsBase TrainerOptions => _options;

    /// <summary>Trains a model on <paramref name="input"/>.</summary>
    public TTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>
    /// Trains a model on <paramref name="trainData"/>; <paramref name="validationData"/>, when given, must have the same
    /// columns and is used as the trainer's options say (early stopping, progress).
    /// </summary>
    public TTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        Guard.NotNull(trainData, nameof(trainData));
        CheckColumns(trainData.Schema, "training");
        if (validationData is not null)
        {
            CheckColumns(validationData.Schema, "validation");
            int trainSize = ((VectorDataViewType)trainData.Schema[_options.FeatureColumnName].Type).Size;
            int validationSize = ((VectorDataViewType)validationData.Schema[_options.FeatureColumnName].Type).Size;
            if (trainSize != validationSize)
            {
                throw SchemaChecks.Mismatch("feature", _options.FeatureColumnName,
                    $"Vector<Single, {trainSize}> in the validation data (the training data's size)",
                    validationData.Schema[_options.FeatureColumnName].Type);
            }
        }
        using var channel = new ComponentChannel(_env, _component, "Fit");
        return FitCore(new TrainingContext(channel, _seed, trainData, validationData));
    }

    /// <summary>Trains on checked columns.</summary>
    private protected abstract TTransformer FitCore(TrainingContext context);

    /// <summary>The input columns plus the trainer's output columns; checks the input columns first.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        var features = SchemaChecks.Find(inputSchema, _options.FeatureColumnName, "feature");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single || features.IsKey)
            throw SchemaChecks.Mismatch("feature", _options.FeatureColumnName, "a known-size vector of Single", SchemaChecks.Describe(features));
        SchemaShape.Column label = default;
        if (ReadsLabel)
        {
            label = SchemaChecks.Find(inputSchema, _options.LabelColumnName, "label");
            if (label.Kind != SchemaShape.Column.VectorKind.Scalar || !LabelTypeOk(label.IsKey, label.ItemType))
                throw SchemaChecks.Mismatch("label", _options.LabelColumnName, ExpectedLabel, SchemaChecks.Describe(label));
        }
        if (_options.ExampleWeightColumnName is { } weight)
        {
            var column = SchemaChecks.Find(inputSchema, weight, "example weight");
            if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.IsKey || column.ItemType is not NumberDataViewType)
                throw SchemaChecks.Mismatch("example weight", weight, "Single or Double", SchemaChecks.Describe(column));
        }
        if (_task == PredictionTask.Ranking && _options is RankingTrainerOptionsBase ranking)
        {
            var group = SchemaChecks.Find(inputSchema, ranking.RowGroupColumnName, "group");
            if (group.Kind != SchemaShape.Column.VectorKind.Scalar || !(group.IsKey || group.ItemType is NumberDataViewType))
                throw SchemaChecks.Mismatch("group", ranking.RowGroupColumnName, "a key type or whole numbers", SchemaChecks.Describe(group));
        }

        CheckOtherColumns(inputSchema);

        var outputs = OutputShape(inputSchema, label).ToArray();
        return new SchemaShape(inputSchema.Where(c => !outputs.Any(o => o.Name == c.Name)).Concat(outputs));
    }

    /// <summary>
    /// Whether the trainer reads <c>LabelColumnName</c>: true for supervised trainers; a trainer that learns from other
    /// columns (label proportions of bags) returns false and checks its columns in <c>CheckOtherColumns</c>. Without a
    /// label, <c>OutputShape</c> gets a default label shape.
    /// </summary>
    private protected virtual bool ReadsLabel => true;

    /// <summary>Checks the input columns the task does not cover (bag ids, proportions) in an estimator-time shape.</summary>
    private protected virtual void CheckOtherColumns(SchemaShape inputSchema)
    {
    }

    /// <summary>Checks the input columns the task does not cover in the <paramref name="which"/> ("training", "validation") data.</summary>
    private protected virtual void CheckOtherColumns(DataViewSchema schema, string which)
    {
    }

    /// <summary>The output columns, given the whole input shape (a trainer whose class names come from another column than the label reads it here).</summary>
    private protected virtual IEnumerable<SchemaShape.Column> OutputShape(SchemaShape inputSchema, SchemaShape.Column label) => OutputShape(label);

    /// <summary>The output columns the task writes (a trainer with more outputs, such as a ranker's Probability, adds them).</summary>
    private protected virtual IEnumerable<SchemaShape.Column> OutputShape(SchemaShape.Column label)
    {
        var scalar = SchemaShape.Column.VectorKind.Scalar;
        switch (_task)
        {
            case PredictionTask.Ranking:
                yield return MLNetBridge.MakeColumn(ColumnNames.Score, scalar, NumberDataViewType.Single, false,
                    ScoreAnnotations.Shape(ScoreAnnotations.Score));
                break;
            case PredictionTask.BinaryClassification:
                yield return MLNetBridge.MakeColumn(ColumnNames.Score, scalar, NumberDataViewType.Single, false,
                    ScoreAnnotations.Shape(ScoreAnnotations.Score));
                yield return MLNetBridge.MakeColumn(ColumnNames.Probability, scalar, NumberDataViewType.Single, false,
                    ScoreAnnotations.Shape(ScoreAnnotations.Probability));
                yield return MLNetBridge.MakeColumn(ColumnNames.PredictedLabel, scalar, BooleanDataViewType.Instance, false,
                    ScoreAnnotations.Shape(ScoreAnnotations.PredictedLabel));
                break;
            default:
                yield return MLNetBridge.MakeColumn(ColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
                    ScoreAnnotations.Shape(ScoreAnnotations.Score, LabelKeyValues.ScoreAnnotationShape(label)));
                var keyValues = Data.SchemaChecks.TryFind(label.Annotations, ScoreAnnotations.KeyValues, out var values) ? [values] : Array.Empty<SchemaShape.Column>();
                yield return MLNetBridge.MakeColumn(ColumnNames.PredictedLabel, scalar, NumberDataViewType.UInt32, true,
                    ScoreAnnotations.Shape(ScoreAnnotations.PredictedLabel, keyValues));
                break;
        }
    }

    private string ExpectedLabel => _task switch
    {
        PredictionTask.Ranking => "Single (relevance grades) or a key type",
        PredictionTask.BinaryClassification => "Boolean",
        _ => "a key type (use MapValueToKey)",
    };

    private bool LabelTypeOk(bool isKey, DataViewType itemType) => _task switch
    {
        PredictionTask.Ranking => isKey || itemType == NumberDataViewType.Single || itemType == NumberDataViewType.Double,
        PredictionTask.BinaryClassification => !isKey && itemType is BooleanDataViewType,
        _ => isKey,
    };

    private void CheckColumns(DataViewSchema schema, string which)
    {
        var features = SchemaChecks.Find(schema, _options.FeatureColumnName, "feature");
        if (features.Type is not VectorDataViewType { IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Single)
            throw SchemaChecks.Mismatch("feature", _options.FeatureColumnName, $"a known-size vector of Single in the {which} data", features.Type);
        if (ReadsLabel)
        {
            var label = SchemaChecks.Find(schema, _options.LabelColumnName, "label");
            bool isKey = label.Type is KeyDataViewType;
            if (!LabelTypeOk(isKey, isKey ? NumberDataViewType.UInt32 : label.Type))
                throw SchemaChecks.Mismatch("label", _options.LabelColumnName, $"{ExpectedLabel} in the {which} data", label.Type);
        }
        if (_options.ExampleWeightColumnName is { } weight)
        {
            var column = SchemaChecks.Find(schema, weight, "example weight");
            if (!SchemaChecks.IsNumericScalar(column.Type))
                throw SchemaChecks.Mismatch("example weight", weight, $"Single or Double in the {which} data", column.Type);
        }
        if (_task == PredictionTask.Ranking && _options is RankingTrainerOptionsBase ranking)
        {
            var group = SchemaChecks.Find(schema, ranking.RowGroupColumnName, "group");
            if (group.Type is not KeyDataViewType && !SchemaChecks.IsNumericScalar(group.Type))
                throw SchemaChecks.Mismatch("group", ranking.RowGroupColumnName, $"a key type or whole numbers in the {which} data", group.Type);
        }
        CheckOtherColumns(schema, which);
    }
}
