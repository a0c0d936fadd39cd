using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.Training.RankingModelLoader))]
[assembly: PersistentComponent(typeof(MLNetExt.Training.BinaryClassificationModelLoader))]
[assembly: PersistentComponent(typeof(MLNetExt.Training.MulticlassClassificationModelLoader))]

namespace MLNetExt.Training;

/// <summary>
/// A trained ranking model applied to a feature column: writes <c>Score</c> (Single; larger ranks higher), which
/// <c>mlContext.Ranking.Evaluate</c> and <c>mlContext.Ranking.EvaluateRanking</c> read with the label and group
/// columns, and, for models trained to give calibrated scores (RCR), <c>Probability</c> (Single: the estimated
/// relevance in [0, 1]), which <c>EvaluateCalibration</c> reads. Returned by MLNetExt's ranking trainers.
/// </summary>
/// <typeparam name="TModel">The model parameters.</typeparam>
public sealed class RankingModelTransformer<TModel> : TrainedModelTransformer<TModel> where TModel : class
{
    private static readonly OutputColumn[] _score = [new(ColumnNames.Score, NumberDataViewType.Single, ScoreAnnotations.Score)];

    private static readonly OutputColumn[] _scoreAndProbability =
    [
        .. _score,
        new(ColumnNames.Probability, NumberDataViewType.Single, ScoreAnnotations.Probability),
    ];

    internal RankingModelTransformer(TModel model, string featureColumnName) : base(model, featureColumnName)
    {
        if (Scorer.OutputCount is not (1 or 2))
            throw new ArgumentException($"A ranking model writes a score (and optionally a probability) per row, not {Scorer.OutputCount} values.", nameof(model));
    }

    /// <summary>Whether the model writes a <c>Probability</c> column besides <c>Score</c>.</summary>
    public bool HasProbability => Scorer.OutputCount == 2;

    private protected override string Task => ScoreAnnotations.Ranking;

    private protected override ComponentFormat Format => RankingModelLoader.Format;

    private protected override IReadOnlyList<OutputColumn> Outputs => HasProbability ? _scoreAndProbability : _score;

    private protected override Delegate MakeGetter(int index, Func<double[]> evaluate)
        => (ValueGetter<float>)((ref float value) => value = (float)evaluate()[index]);
}

/// <summary>
/// A trained binary classifier applied to a feature column: writes <c>Score</c> (Single, on the logit scale),
/// <c>Probability</c> (Single, of the positive class) and <c>PredictedLabel</c> (Boolean: true when Score &gt; 0, as
/// ML.NET's binary trainers decide, on the Single value written), which <c>mlContext.BinaryClassification.Evaluate</c> and
/// <c>EvaluateCalibration</c> read. A NaN score gives a NaN probability and a false prediction.
/// </summary>
/// <typeparam name="TModel">The model parameters.</typeparam>
public sealed class BinaryClassificationModelTransformer<TModel> : TrainedModelTransformer<TModel> where TModel : class
{
    private static readonly OutputColumn[] _outputs =
    [
        new(ColumnNames.Score, NumberDataViewType.Single, ScoreAnnotations.Score),
        new(ColumnNames.Probability, NumberDataViewType.Single, ScoreAnnotations.Probability),
        new(ColumnNames.PredictedLabel, BooleanDataViewType.Instance, ScoreAnnotations.PredictedLabel),
    ];

    internal BinaryClassificationModelTransformer(TModel model, string featureColumnName) : base(model, featureColumnName)
    {
        if (Scorer.OutputCount != 2)
            throw new ArgumentException($"A binary model writes a score and a probability per row, not {Scorer.OutputCount} values.", nameof(model));
    }

    private protected override string Task => ScoreAnnotations.BinaryClassification;

    private protected override ComponentFormat Format => BinaryClassificationModelLoader.Format;

    private protected override IReadOnlyList<OutputColumn> Outputs => _outputs;

    private protected override Delegate MakeGetter(int index, Func<double[]> evaluate) => index switch
    {
        0 => (ValueGetter<float>)((ref float value) => value = (float)evaluate()[0]),
        1 => (ValueGetter<float>)((ref float value) => value = (float)evaluate()[1]),
        _ => (ValueGetter<bool>)((ref bool value) => value = (float)evaluate()[0] > 0),
    };
}

/// <summary>
/// A trained multiclass classifier applied to a feature column: writes <c>Score</c> (a vector of K Single class
/// probabilities, with the class names as slot names when the training label had text key values) and
/// <c>PredictedLabel</c> (a key with K values: the class of the largest probability, the first on ties, missing when
/// the probabilities are NaN), carrying the training label's key values so <c>MapKeyToValue</c> turns it back into
/// the original class names. <c>mlContext.MulticlassClassification.Evaluate</c> and <c>EvaluateCalibration</c> read them.
/// </summary>
/// <typeparam name="TModel">The model parameters.</typeparam>
public sealed class MulticlassClassificationModelTransformer<TModel> : TrainedModelTransformer<TModel> where TModel : class
{
    private readonly OutputColumn[] _outputs;

    internal MulticlassClassificationModelTransformer(TModel model, string featureColumnName, LabelKeyValues? classNames)
        : base(model, featureColumnName)
    {
        int k = Scorer.OutputCount;
        if (k < 2)
            throw new ArgumentException($"A multiclass model writes at least two class probabilities, not {k}.", nameof(model));
        if (classNames is not null && classNames.Count != k)
            throw new ArgumentException($"{classNames.Count} class names were given for {k} classes.", nameof(classNames));
        ClassNames = classNames;
        _outputs =
        [
            new(ColumnNames.Score, new VectorDataViewType(NumberDataViewType.Single, k), ScoreAnnotations.Score),
            new(ColumnNames.PredictedLabel, new KeyDataViewType(typeof(uint), k), ScoreAnnotations.PredictedLabel),
        ];
    }

    /// <summary>The number of classes.</summary>
    public int ClassCount => Scorer.OutputCount;

    internal LabelKeyValues? ClassNames { get; }

    private protected override string Task => ScoreAnnotations.MulticlassClassification;

    private protected override ComponentFormat Format => MulticlassClassificationModelLoader.Format;

    private protected override void SaveBinding(ModelStateWriter writer)
    {
        writer.Write(ClassCount);
        writer.Write(ClassNames is not null);
        ClassNames?.Save(writer);
    }

    private protected override IReadOnlyList<OutputColumn> Outputs => _outputs;

    private protected override void AddAnnotations(int index, DataViewSchema.Annotations.Builder builder)
    {
        if (ClassNames is null)
            return;
        if (index == 0)
            ClassNames.AddScoreAnnotations(builder);
        else
            ClassNames.AddKeyValues(builder);
    }

    private protected override Delegate MakeGetter(int index, Func<double[]> evaluate)
    {
        int k = ClassCount;
        if (index == 0)
        {
            return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                var probabilities = evaluate();
                var editor = VBufferEditor.Create(ref value, k);
                for (int j = 0; j < k; j++)
                    editor.Values[j] = (float)probabilities[j];
                value = editor.Commit();
            });
        }
        return (ValueGetter<uint>)((ref uint value) => value = ArgMaxKey(evaluate()));
    }

    /// <summary>The key (1-based) of the largest value, the first on ties; 0 (missing) when none is a number.</summary>
    internal static uint ArgMaxKey(ReadOnlySpan<double> values)
    {
        int best = -1;
        for (int j = 0; j < values.Length; j++)
        {
            if (!double.IsNaN(values[j]) && (best < 0 || values[j] > values[best]))
                best = j;
        }
        return (uint)(best + 1);
    }
}

/// <summary>Reads what <see cref="TrainedModelTransformer{TModel}"/> saves and builds the transformer for the model's type.</summary>
internal static class ModelTransformerLoading
{
    /// <summary>The feature column, then the model's package and section id; the model itself comes after the task's binding.</summary>
    public static (string FeatureColumn, string Assembly, string ModelId) ReadHeader(ModelStateReader reader)
        => (reader.ReadNonEmptyString("the feature column name"), reader.ReadNonEmptyString("the model's package"),
            reader.ReadNonEmptyString("the model's section id"));

    /// <summary>Reads the model section named by the header.</summary>
    public static object ReadModel(ModelStateReader reader, string assembly, string modelId)
    {
        if (!ComponentRegistry.TryFindSection(modelId, assembly, out _, out var load))
        {
            throw new InvalidDataException(
                $"This model contains the MLNetExt model parameters '{modelId}' (package {assembly}), which this version of {assembly} " +
                $"does not know. It was probably saved by a newer version: upgrade the MLNetExt packages.");
        }
        return load(reader);
    }

    /// <summary>Creates <paramref name="generic"/> closed over the model's type with the given constructor arguments.</summary>
    public static ITransformer Create(Type generic, object model, params object?[] arguments)
    {
        var type = generic.MakeGenericType(model.GetType());
        return (ITransformer)Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.NonPublic, null, [model, .. arguments], null)!;
    }
}

/// <summary>Loads every <see cref="RankingModelTransformer{TModel}"/>.</summary>
internal sealed class RankingModelLoader : IComponentLoader
{
    // Version 1: feature column, model package and id, model section.
    public static ComponentFormat Format { get; } = new("MLNetExt.Training.RankingModel", 1);

    public static ITransformer Load(IHostEnvironment env, ModelStateReader reader)
    {
        var (features, assembly, id) = ModelTransformerLoading.ReadHeader(reader);
        var model = ModelTransformerLoading.ReadModel(reader, assembly, id);
        return ModelTransformerLoading.Create(typeof(RankingModelTransformer<>), model, features);
    }
}

/// <summary>Loads every <see cref="BinaryClassificationModelTransformer{TModel}"/>.</summary>
internal sealed class BinaryClassificationModelLoader : IComponentLoader
{
    // Version 1: feature column, model package and id, model section.
    public static ComponentFormat Format { get; } = new("MLNetExt.Training.BinaryClassificationModel", 1);

    public static ITransformer Load(IHostEnvironment env, ModelStateReader reader)
    {
        var (features, assembly, id) = ModelTransformerLoading.ReadHeader(reader);
        var model = ModelTransformerLoading.ReadModel(reader, assembly, id);
        return ModelTransformerLoading.Create(typeof(BinaryClassificationModelTransformer<>), model, features);
    }
}

/// <summary>Loads every <see cref="MulticlassClassificationModelTransformer{TModel}"/>.</summary>
internal sealed class MulticlassClassificationModelLoader : IComponentLoader
{
    // Version 1: feature column, model package and id, class count, class names (flag + values), model section.
    public static ComponentFormat Format { get; } = new("MLNetExt.Training.MulticlassClassificationModel", 1);

    public static ITransformer Load(IHostEnvironment env, ModelStateReader reader)
    {
        var (features, assembly, id) = ModelTransformerLoading.ReadHeader(reader);
        int classCount = reader.ReadInt32("the class count", 2, int.MaxValue);
        var names = reader.ReadBoolean() ? LabelKeyValues.Load(reader, classCount) : null;
        var model = ModelTransformerLoading.ReadModel(reader, assembly, id);
        var transformer = ModelTransformerLoading.Create(typeof(MulticlassClassificationModelTransformer<>), model, features, names);
        reader.Check(((IVectorScorer)model).OutputCount == classCount, $"the model scores {((IVectorScorer)model).OutputCount} classes, not {classCount}");
        return transformer;
    }
}
