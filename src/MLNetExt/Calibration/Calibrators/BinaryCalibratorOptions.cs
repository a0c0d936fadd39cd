using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;

namespace MLNetExt.Calibration;

/// <summary>
/// Options shared by the binary calibrators (<c>Beta</c>, <c>HistogramBinning</c>, <c>TemperatureScaling</c> on
/// <c>mlContext.BinaryClassification.Calibrators</c>): which columns they read and write.
/// </summary>
public abstract class BinaryCalibratorOptions
{
    private protected BinaryCalibratorOptions()
    {
    }

    /// <summary>The label column, of type Boolean.</summary>
    /// <value>Default "Label".</value>
    public string LabelColumnName = ColumnNames.Label;

    /// <summary>The score column to calibrate: Single or Double, one value per row.</summary>
    /// <value>Default "Score", the raw score of ML.NET's binary trainers.</value>
    public string ScoreColumnName = ColumnNames.Score;

    /// <summary>The column the calibrated probability is written to (Single); an input column of that name is hidden.</summary>
    /// <value>Default "Probability", so <c>BinaryClassification.Evaluate</c> and <c>EvaluateCalibration</c> read it.</value>
    public string OutputColumnName = ColumnNames.Probability;

    /// <summary>Whether the score column holds raw scores (logits) or probabilities.</summary>
    /// <value>Default <see cref="ScoreKind.Logit"/>, matching <see cref="ScoreColumnName"/> = "Score".</value>
    public ScoreKind ScoreKind = ScoreKind.Logit;

    /// <summary>For <see cref="ScoreKind.Probability"/> input: probabilities are clamped to [floor, 1 - floor] before
    /// logarithms are taken.</summary>
    /// <value>Range (0, 0.01]. Default 1e-12 (our choice: it keeps logits within +-27.6, beyond what a float
    /// probability can distinguish from 0 or 1 near 1).</value>
    public double ProbabilityFloor = ScoreMath.DefaultProbabilityFloor;

    internal virtual void Validate()
    {
        Guard.ColumnName(LabelColumnName, nameof(LabelColumnName));
        Guard.ColumnName(ScoreColumnName, nameof(ScoreColumnName));
        Guard.ColumnName(OutputColumnName, nameof(OutputColumnName));
        Guard.Option(Enum.IsDefined(ScoreKind), nameof(ScoreKind), $"has the unknown value {(int)ScoreKind}.");
        Guard.Option(ProbabilityFloor > 0 && ProbabilityFloor <= 0.01, nameof(ProbabilityFloor), $"must be in (0, 0.01]; got {ProbabilityFloor}.");
    }
}

/// <summary>What every binary calibrator's estimator does the same way: schema checks and reading the fit data.</summary>
internal static class BinaryCalibratorSupport
{
    /// <summary>The estimator's output shape: the input plus the Single probability column.</summary>
    public static SchemaShape GetOutputSchema(SchemaShape inputSchema, BinaryCalibratorOptions options)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        var label = SchemaChecks.Find(inputSchema, options.LabelColumnName, "label");
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || label.ItemType is not BooleanDataViewType)
            throw SchemaChecks.Mismatch("label", options.LabelColumnName, "Boolean", SchemaChecks.Describe(label));
        CheckScore(SchemaChecks.Find(inputSchema, options.ScoreColumnName, "score"), options.ScoreColumnName);
        var columns = inputSchema.Where(c => c.Name != options.OutputColumnName).ToList();
        columns.Add(MLNetBridge.MakeColumn(options.OutputColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false));
        return new SchemaShape(columns);
    }

    /// <summary>Checks that an input schema has a usable score column; returns the column.</summary>
    public static DataViewSchema.Column CheckScore(DataViewSchema schema, string scoreColumnName)
    {
        var column = SchemaChecks.Find(schema, scoreColumnName, "score");
        if (column.Type != NumberDataViewType.Single && column.Type != NumberDataViewType.Double)
            throw SchemaChecks.Mismatch("score", scoreColumnName, "Single or Double", column.Type);
        return column;
    }

    /// <summary>Reads the fit data: finite scores (in [0, 1] for probabilities), Boolean labels with both classes.</summary>
    public static (double[] Scores, bool[] Labels) Read(ComponentChannel channel, IDataView data, BinaryCalibratorOptions options, string component)
    {
        var reader = new DataViewColumnReader(data, component);
        var label = reader.AddBoolean(options.LabelColumnName, "label");
        var score = reader.AddScalar(options.ScoreColumnName, "score",
            options.ScoreKind == ScoreKind.Probability ? ValueRule.Probability : ValueRule.Finite);
        reader.Read(channel);
        int positives = label.Values.Count(y => y);
        if (positives == 0 || positives == label.Values.Length)
        {
            throw new InvalidOperationException(
                $"Label column '{options.LabelColumnName}' is {(positives == 0 ? "false" : "true")} in all {label.Values.Length} " +
                $"rows of the fit data; {component} needs examples of both classes.");
        }
        return (score.Values, label.Values);
    }

    private static void CheckScore(SchemaShape.Column column, string name)
    {
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.IsKey
            || (column.ItemType != NumberDataViewType.Single && column.ItemType != NumberDataViewType.Double))
            throw SchemaChecks.Mismatch("score", name, "Single or Double", SchemaChecks.Describe(column));
    }
}
