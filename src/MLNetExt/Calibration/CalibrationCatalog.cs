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
    /// error naming the column and row, not a skipped row).
    /// </summary>
    /// <param name="catalog">The binary classification catalog.</param>
    /// <param name="data">Scored data, for example the output of a trained model's <c>Transform</c>.</param>
    /// <param name="labelColumnName">The label column, of type Boolean.</param>
    /// <param name="probabilityColumnName">The predicted probability of the positive class, Single or Double in [0, 1].</param>
    /// <param name="options">Bin count and conventions; null for the defaults (15 bins, netcal's left-closed edges).</param>
    /// <returns>The metrics.</returns>
    /// <example><code>
    /// var scored = model.Transform(testData);
    /// var metrics = mlContext.BinaryClassification.EvaluateCalibration(scored);
    /// Console.WriteLine(metrics.ExpectedCalibrationError);
    /// </code>See samples/CalibrationSample.</example>
    public static BinaryCalibrationMetrics EvaluateCalibration(this BinaryClassificationCatalog catalog, IDataView data,
        string labelColumnName = ColumnNames.Label, string probabilityColumnName = ColumnNames.Probability,
        CalibrationEvaluatorOptions? options = null)
        => CalibrationEvaluator.EvaluateBinary(MLNetBridge.GetEnvironment(catalog), data, labelColumnName, probabilityColumnName, options);

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
    /// <returns>The metrics.</returns>
    public static MulticlassCalibrationMetrics EvaluateCalibration(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = ColumnNames.Label, string scoreColumnName = ColumnNames.Score,
        CalibrationEvaluatorOptions? options = null)
        => CalibrationEvaluator.EvaluateMulticlass(MLNetBridge.GetEnvironment(catalog), data, labelColumnName, scoreColumnName, options);
}
