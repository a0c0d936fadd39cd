using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Training;

/// <summary>
/// The annotations ML.NET's own trainers put on their output columns (its <c>AnnotationUtils</c> is internal), so
/// code that looks for a trainer's score columns by annotation finds ours: <c>ScoreColumnSetId</c> (one id per
/// scoring step, increasing along a pipeline), <c>ScoreColumnKind</c> (the task), <c>ScoreValueKind</c> (Score,
/// Probability or PredictedLabel) and <c>IsNormalized</c> on probabilities.
/// </summary>
internal static class ScoreAnnotations
{
    public const string ScoreColumnSetId = "ScoreColumnSetId";
    public const string ScoreColumnKind = "ScoreColumnKind";
    public const string ScoreValueKind = "ScoreValueKind";
    public const string IsNormalized = "IsNormalized";
    public const string SlotNames = "SlotNames";
    public const string KeyValues = "KeyValues";
    public const string TrainingLabelValues = "TrainingLabelValues";

    /// <summary>ML.NET's <c>ScoreColumnKind</c> values.</summary>
    public const string Ranking = "Ranking";
    public const string BinaryClassification = "BinaryClassification";
    public const string MulticlassClassification = "MulticlassClassification";

    /// <summary>ML.NET's <c>ScoreValueKind</c> values.</summary>
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string PredictedLabel = "PredictedLabel";

    /// <summary>The type of <c>ScoreColumnSetId</c>, as ML.NET declares it.</summary>
    public static readonly KeyDataViewType SetIdType = new(typeof(uint), int.MaxValue);

    /// <summary>One more than the largest <c>ScoreColumnSetId</c> in <paramref name="schema"/> (1 when there is none).</summary>
    public static uint NextSetId(DataViewSchema schema)
    {
        uint max = 0;
        foreach (var column in schema)
        {
            var annotation = column.Annotations.Schema.GetColumnOrNull(ScoreColumnSetId);
            if (annotation?.Type is not KeyDataViewType { RawType: var raw } || raw != typeof(uint))
                continue;
            uint id = 0;
            column.Annotations.GetValue(ScoreColumnSetId, ref id);
            max = Math.Max(max, id);
        }
        return max + 1;
    }

    /// <summary>The annotations of one trainer output column.</summary>
    public static DataViewSchema.Annotations.Builder Builder(uint setId, string task, string valueKind)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(ScoreColumnSetId, SetIdType, (ref uint value) => value = setId);
        builder.Add(ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = task.AsMemory());
        builder.Add(ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = valueKind.AsMemory());
        if (valueKind == Probability)
            builder.Add(IsNormalized, BooleanDataViewType.Instance, (ref bool value) => value = true);
        return builder;
    }

    /// <summary>The estimator-time shape of the annotations <see cref="Builder"/> makes.</summary>
    public static SchemaShape Shape(string valueKind, params SchemaShape.Column[] more)
    {
        var columns = new List<SchemaShape.Column>
        {
            Interop.MLNetBridge.MakeColumn(ScoreColumnSetId, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true),
            Interop.MLNetBridge.MakeColumn(ScoreColumnKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
            Interop.MLNetBridge.MakeColumn(ScoreValueKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
        };
        if (valueKind == Probability)
            columns.Add(Interop.MLNetBridge.MakeColumn(IsNormalized, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false));
        columns.AddRange(more);
        return new SchemaShape(columns);
    }
}
