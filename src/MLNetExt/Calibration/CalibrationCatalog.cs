using Microsoft.ML;
using MLNetExt.Interop;

namespace MLNetExt.Calibration;

/// <summary>
/// Catalog methods of the calibration family: evaluators on <c>mlContext.BinaryClassification</c> and
/// <c>mlContext.MulticlassClassification</c>, and calibrators.
/// </summary>
public static class CalibrationCatalog
{
    /// <summary>
    /// Measures how well the predicted probabilities of a binary classifier are calibrated: equal-width, equal-mass
    /// and debiased ECE, MCE, RMSCE, Brier score and its decomposition, Balance score, log-loss and the reliability
    /// tables. Rows are read once; every row must have a label and a probability in [0, 1] (an invalid row is an
    /// error naming the column and row, not a skipped row). The pass keeps the probability column (4 bytes a row for
    /// Single) and one bit a row for the label, plus the weights, for the equal-mass and smooth metrics; with
    /// <see cref="CalibrationEvaluatorOptions.Metrics"/> = <see cref="CalibrationMetricGroups.Streaming"/> it keeps nothing
    /// per row and those metrics are NaN.
    /// </summary>
    /// <param name="catalog">The binary classification catalog.</param>
    /// <param name="data">Scored data, for example the output of a trained model's <c>Transform</c>.</param>
    /// <param name="labelColumnName">The label column, of type Boolean.</param>
    /// <param name="probabilityColumnName">The predicted probability of the positive class, Single or Double in [0, 1].</param>
    /// <param name="options">Bin count and conventions; null for the defaults (15 bins, left-closed edges m / M).</param>
    /// <param name="exampleWeightColumnName">Example weights (numeric, finite, &gt;= 0, not all 0), as ML.NET's
    /// <c>ExampleWeightColumnName</c>; null (default) weighs every row 1. Every sum is weighted (ECE, MCE, Brier score and
    /// its decomposition, log-loss, Balance score, smooth ECE); equal-mass bins count the rows of weight above 0; a
    /// row of weight 0 is as if it were not there.</param>
    /// <returns>The metrics.</returns>
    /// <example><code>
    /// var scored = model.Transform(testData);
    /// var metrics = mlContext.BinaryClassification.EvaluateCalibration(scored);
    /// Console.WriteLine(metrics.ExpectedCalibrationError);
    /// </code>See samples/CalibrationSample.</example>
    public static BinaryCalibrationMetrics EvaluateCalibration(this BinaryClassificationCatalog catalog, IDataView data,
        string labelColumnName = ColumnNames.Label, string probabilityColumnName = ColumnNames.Probability,
        CalibrationEvaluatorOptions? options = null, string? exampleWeightColumnName = null)
        => CalibrationEvaluator.EvaluateBinary(MLNetBridge.GetEnvironment(catalog), data, labelColumnName, probabilityColumnName,
            exampleWeightColumnName, options);

    /// <summary>
    /// Measures how well the probability vectors of a multiclass classifier are calibrated: top-label ECE
    /// (equal-width, equal-mass, debiased), MCE, RMSCE, classwise ECE, multiclass Brier score, log-loss, accuracy and
    /// mean confidence, and the reliability tables.
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="data">Scored data.</param>
    /// <param name="labelColumnName">The label: a key column with one value per class (ML.NET's multiclass label), or
    /// a numeric column holding class indices 0..K-1.</param>
    /// <param name="scoreColumnName">The class probabilities: a known-size vector of Single (or Double) with K &gt;= 2
    /// values in [0, 1]; ML.NET's multiclass trainers write it as <c>Score</c>.</param>
    /// <param name="options">Bin count and conventions; null for the defaults.</param>
    /// <param name="exampleWeightColumnName">Example weights (numeric, finite, &gt;= 0, not all 0); null (default) weighs
    /// every row 1 (see the binary overload).</param>
    /// <returns>The metrics.</returns>
    /// <remarks>The pass keeps one value (the top-label confidence) and one bit per row, never the score vectors;
    /// nothing per row with <see cref="CalibrationEvaluatorOptions.Metrics"/> = <see cref="CalibrationMetricGroups.Streaming"/>.</remarks>
    public static MulticlassCalibrationMetrics EvaluateCalibration(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = ColumnNames.Label, string scoreColumnName = ColumnNames.Score,
        CalibrationEvaluatorOptions? options = null, string? exampleWeightColumnName = null)
        => CalibrationEvaluator.EvaluateMulticlass(MLNetBridge.GetEnvironment(catalog), data, labelColumnName, scoreColumnName,
            exampleWeightColumnName, options);

    /// <summary>
    /// Temperature scaling for a multiclass classifier: learns one temperature T so that softmax(z / T) of the score
    /// vector's logits maximizes the likelihood of the labels, and writes the calibrated probability vector. The
    /// predicted class never changes. Fit it on data the classifier was not trained on.
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="labelColumnName">The label: a key column with one value per class, or numeric class indices 0..K-1.</param>
    /// <param name="scoreColumnName">The score: a known-size vector of Single (ML.NET's multiclass <c>Score</c>).</param>
    /// <param name="outputColumnName">Where the calibrated vector goes; null (default) replaces the score column.</param>
    /// <param name="scoreKind">Whether the score holds probabilities (default) or logits.</param>
    /// <param name="exampleWeightColumnName">Optional example weights (finite, &gt;= 0, not all 0); null weighs every row 1.</param>
    /// <example><code>
    /// var calibrator = mlContext.MulticlassClassification.TemperatureScaling().Fit(model.Transform(calibrationData));
    /// var calibrated = calibrator.Transform(model.Transform(testData));
    /// </code>See samples/CalibrationSample.</example>
    public static TemperatureScalingEstimator TemperatureScaling(this MulticlassClassificationCatalog catalog,
        string labelColumnName = ColumnNames.Label, string scoreColumnName = ColumnNames.Score, string? outputColumnName = null,
        ScoreKind scoreKind = ScoreKind.Probability, string? exampleWeightColumnName = null)
        => TemperatureScaling(catalog, new TemperatureScalingEstimator.Options
        {
            LabelColumnName = labelColumnName,
            ScoreColumnName = scoreColumnName,
            OutputColumnName = outputColumnName,
            ScoreKind = scoreKind,
            ExampleWeightColumnName = exampleWeightColumnName,
        });

    /// <summary>Temperature scaling for a multiclass classifier, with all options.</summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="options">The options; copied and validated here (later changes to the object do not affect the estimator).</param>
    public static TemperatureScalingEstimator TemperatureScaling(this MulticlassClassificationCatalog catalog,
        TemperatureScalingEstimator.Options options)
        => new(MLNetBridge.GetEnvironment(catalog), Guard.NotNull(options, nameof(options)));

    /// <summary>
    /// Beta calibration (Kull et al. 2017): <c>P = sigmoid(a ln s - b ln(1 - s) + c)</c>, a, b &gt;= 0, with
    /// s = sigmoid(score) for raw scores. Writes a Probability column that <c>BinaryClassification.Evaluate</c> and
    /// <c>EvaluateCalibration</c> read unchanged.
    /// </summary>
    /// <param name="catalog">The binary calibrators catalog.</param>
    /// <param name="labelColumnName">The label, Boolean.</param>
    /// <param name="scoreColumnName">The score to calibrate, Single or Double.</param>
    /// <param name="exampleWeightColumnName">Optional example weights (finite, &gt;= 0, not all 0); null weighs every row 1.</param>
    /// <param name="scoreKind">Raw scores (default) or probabilities.</param>
    /// <example><code>
    /// var calibrator = mlContext.BinaryClassification.Calibrators.Beta().Fit(model.Transform(calibrationData));
    /// </code>See samples/CalibrationSample.</example>
    public static BetaCalibrationEstimator Beta(this BinaryClassificationCatalog.CalibratorsCatalog catalog,
        string labelColumnName = ColumnNames.Label, string scoreColumnName = ColumnNames.Score, string? exampleWeightColumnName = null,
        ScoreKind scoreKind = ScoreKind.Logit)
        => Beta(catalog, new BetaCalibrationEstimator.Options
        {
            LabelColumnName = labelColumnName,
            ScoreColumnName = scoreColumnName,
            ExampleWeightColumnName = exampleWeightColumnName,
            ScoreKind = scoreKind,
        });

    /// <summary>Beta calibration with all options.</summary>
    /// <param name="catalog">The binary calibrators catalog.</param>
    /// <param name="options">The options; copied and validated here (later changes to the object do not affect the estimator).</param>
    public static BetaCalibrationEstimator Beta(this BinaryClassificationCatalog.CalibratorsCatalog catalog, BetaCalibrationEstimator.Options options)
        => new(MLNetBridge.GetEnvironment(catalog), Guard.NotNull(options, nameof(options)));

    /// <summary>
    /// Histogram binning (Zadrozny and Elkan 2001) with equal-mass bins: each bin of fit scores predicts its
    /// fraction of positive labels.
    /// </summary>
    /// <param name="catalog">The binary calibrators catalog.</param>
    /// <param name="labelColumnName">The label, Boolean.</param>
    /// <param name="scoreColumnName">The score to calibrate, Single or Double (raw score or probability: only the order matters).</param>
    /// <param name="exampleWeightColumnName">Optional example weights (finite, &gt;= 0, not all 0); null weighs every row 1.</param>
    /// <param name="numberOfBins">The number of equal-mass bins, 10 by default.</param>
    public static HistogramBinningEstimator HistogramBinning(this BinaryClassificationCatalog.CalibratorsCatalog catalog,
        string labelColumnName = ColumnNames.Label, string scoreColumnName = ColumnNames.Score, string? exampleWeightColumnName = null,
        int numberOfBins = HistogramBinningEstimator.Options.Defaults.NumberOfBins)
        => HistogramBinning(catalog, new HistogramBinningEstimator.Options
        {
            LabelColumnName = labelColumnName,
            ScoreColumnName = scoreColumnName,
            ExampleWeightColumnName = exampleWeightColumnName,
            NumberOfBins = numberOfBins,
        });

    /// <summary>Histogram binning with all options.</summary>
    /// <param name="catalog">The binary calibrators catalog.</param>
    /// <param name="options">The options; copied and validated here (later changes to the object do not affect the estimator).</param>
    public static HistogramBinningEstimator HistogramBinning(this BinaryClassificationCatalog.CalibratorsCatalog catalog,
        HistogramBinningEstimator.Options options)
        => new(MLNetBridge.GetEnvironment(catalog), Guard.NotNull(options, nameof(options)));

    /// <summary>
    /// Binary temperature scaling: <c>P = sigmoid(score / T)</c> with T fitted by maximum likelihood (Platt scaling
    /// without the intercept, so the decision threshold stays at score 0).
    /// </summary>
    /// <param name="catalog">The binary calibrators catalog.</param>
    /// <param name="labelColumnName">The label, Boolean.</param>
    /// <param name="scoreColumnName">The raw score (logit) to calibrate, Single or Double.</param>
    /// <param name="exampleWeightColumnName">Optional example weights (finite, &gt;= 0, not all 0); null weighs every row 1.</param>
    /// <param name="scoreKind">Raw scores (default) or probabilities (then logit(p) is scaled).</param>
    public static BinaryTemperatureScalingEstimator TemperatureScaling(this BinaryClassificationCatalog.CalibratorsCatalog catalog,
        string labelColumnName = ColumnNames.Label, string scoreColumnName = ColumnNames.Score, string? exampleWeightColumnName = null,
        ScoreKind scoreKind = ScoreKind.Logit)
        => TemperatureScaling(catalog, new BinaryTemperatureScalingEstimator.Options
        {
            LabelColumnName = labelColumnName,
            ScoreColumnName = scoreColumnName,
            ExampleWeightColumnName = exampleWeightColumnName,
            ScoreKind = scoreKind,
        });

    /// <summary>Binary temperature scaling with all options.</summary>
    /// <param name="catalog">The binary calibrators catalog.</param>
    /// <param name="options">The options; copied and validated here (later changes to the object do not affect the estimator).</param>
    public static BinaryTemperatureScalingEstimator TemperatureScaling(this BinaryClassificationCatalog.CalibratorsCatalog catalog,
        BinaryTemperatureScalingEstimator.Options options)
        => new(MLNetBridge.GetEnvironment(catalog), Guard.NotNull(options, nameof(options)));
}
