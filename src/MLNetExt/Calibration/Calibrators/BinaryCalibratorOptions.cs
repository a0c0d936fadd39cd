using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
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

    /// <summary>The column the calibrated probability is written to; an input column of that name is hidden.</summary>
    /// <value>Default "Probability", so <c>BinaryClassification.Evaluate</c> and <c>EvaluateCalibration</c> read it.</value>
    public string OutputColumnName = ColumnNames.Probability;

    /// <summary>The type of the output column: Single, as ML.NET's calibrators write, or Double.</summary>
    /// <value><see cref="DataKind.Single"/> or <see cref="DataKind.Double"/>. Default Single (ML.NET's
    /// <c>Probability</c>). Single keeps 24 bits: near p = 1 it rounds 1 - p to a multiple of 6e-8, so a log-loss taken
    /// from it differs from the calibrator's own probability (<c>Calibrate</c>) for probabilities within about 1e-7 of 1;
    /// Double keeps the calibrator's value exactly.</value>
    public DataKind OutputKind = DataKind.Single;

    /// <summary>An optional column of example weights for the fit, as ML.NET's <c>ExampleWeightColumnName</c>.</summary>
    /// <value>Default null: every row weighs 1. Weights must be finite and &gt;= 0, and not all 0; each row's loss (or,
    /// for histogram binning, its count in its bin's positive rate) is multiplied by its weight. Equal-mass bins count
    /// the rows of weight above 0. A row of weight 0 is as if it were not there.</value>
    public string? ExampleWeightColumnName;

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
        Guard.Option(ExampleWeightColumnName is null || !string.IsNullOrWhiteSpace(ExampleWeightColumnName), nameof(ExampleWeightColumnName),
            "must be null or a non-empty column name.");
        Guard.Option(Enum.IsDefined(ScoreKind), nameof(ScoreKind), $"has the unknown value {(int)ScoreKind}.");
        Guard.Option(ProbabilityFloor > 0 && ProbabilityFloor <= 0.01, nameof(ProbabilityFloor), $"must be in (0, 0.01]; got {ProbabilityFloor}.");
        Guard.Option(OutputKind is DataKind.Single or DataKind.Double, nameof(OutputKind), $"must be Single or Double; got {OutputKind}.");
    }

    /// <summary>A copy: estimators keep one, so that later changes to the caller's object change nothing.</summary>
    internal BinaryCalibratorOptions Clone() => (BinaryCalibratorOptions)MemberwiseClone();
}

/// <summary>What every binary calibrator's estimator does the same way: schema checks and reading the fit data.</summary>
internal static class BinaryCalibratorSupport
{
    /// <summary>The estimator's output shape: the input plus the probability column (Single or Double).</summary>
    public static SchemaShape GetOutputSchema(SchemaShape inputSchema, BinaryCalibratorOptions options)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        var label = SchemaChecks.Find(inputSchema, options.LabelColumnName, "label");
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || label.ItemType is not BooleanDataViewType)
            throw SchemaChecks.Mismatch("label", options.LabelColumnName, "Boolean", SchemaChecks.Describe(label));
        CheckScore(SchemaChecks.Find(inputSchema, options.ScoreColumnName, "score"), options.ScoreColumnName);
        if (options.ExampleWeightColumnName is { } weightName)
        {
            var weight = SchemaChecks.Find(inputSchema, weightName, "example weight");
            if (weight.Kind != SchemaShape.Column.VectorKind.Scalar || weight.IsKey || weight.ItemType is not NumberDataViewType)
                throw SchemaChecks.Mismatch("example weight", weightName, "a numeric scalar (Single or Double)", SchemaChecks.Describe(weight));
        }
        var columns = inputSchema.Where(c => c.Name != options.OutputColumnName).ToList();
        columns.Add(MLNetBridge.MakeColumn(options.OutputColumnName, SchemaShape.Column.VectorKind.Scalar, OutputType(options.OutputKind), false));
        return new SchemaShape(columns);
    }

    /// <summary>The output column's type for an output kind.</summary>
    public static NumberDataViewType OutputType(DataKind kind) => kind == DataKind.Double ? NumberDataViewType.Double : NumberDataViewType.Single;

    /// <summary>Checks that an input schema has a usable score column; returns the column.</summary>
    public static DataViewSchema.Column CheckScore(DataViewSchema schema, string scoreColumnName)
    {
        var column = SchemaChecks.Find(schema, scoreColumnName, "score");
        if (column.Type != NumberDataViewType.Single && column.Type != NumberDataViewType.Double)
            throw SchemaChecks.Mismatch("score", scoreColumnName, "Single or Double", column.Type);
        return column;
    }

    private static void CheckScore(SchemaShape.Column column, string name)
    {
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.IsKey
            || (column.ItemType != NumberDataViewType.Single && column.ItemType != NumberDataViewType.Double))
            throw SchemaChecks.Mismatch("score", name, "Single or Double", SchemaChecks.Describe(column));
    }
}
