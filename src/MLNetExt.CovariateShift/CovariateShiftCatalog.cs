using Microsoft.ML;
using MLNetExt.Interop;

namespace MLNetExt.CovariateShift;

/// <summary>
/// Covariate-shift adaptation on ML.NET's catalogs: <c>mlContext.Transforms.CovariateShiftWeights(targetData)</c>
/// (importance weights for any trainer) and <c>mlContext.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(targetData)</c>
/// / <c>mlContext.MulticlassClassification.Trainers.DoubleWeightingMinimaxRisk(targetData)</c> (DW-GCS).
/// </summary>
public static class CovariateShiftCatalog
{
    /// <summary>Importance weights that make the training rows resemble <paramref name="targetData"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="targetData">Unlabelled rows of the deployment distribution, with the same feature column (known-size vector of Single).</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single, in both data sets.</param>
    /// <param name="outputColumnName">The weight column written (Single).</param>
    /// <param name="method">How the weights are computed.</param>
    /// <param name="d">D of the double-weighting method.</param>
    /// <example><code>samples/CovariateShiftSample/Program.cs</code></example>
    public static CovariateShiftWeightsEstimator CovariateShiftWeights(this TransformsCatalog catalog, IDataView targetData,
        string featureColumnName = "Features", string outputColumnName = "Weight",
        CovariateShiftWeightingMethod method = CovariateShiftWeightsDefaults.Method, double d = CovariateShiftWeightsDefaults.D)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new CovariateShiftWeightsEstimator(MLNetBridge.GetEnvironment(catalog), targetData, new CovariateShiftWeightsEstimator.Options
        {
            FeatureColumnName = featureColumnName,
            OutputColumnName = outputColumnName,
            Method = method,
            D = d,
        });
    }

    /// <summary>Importance weights with every option.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="targetData">Unlabelled rows of the deployment distribution.</param>
    /// <param name="options">The options.</param>
    public static CovariateShiftWeightsEstimator CovariateShiftWeights(this TransformsCatalog catalog, IDataView targetData,
        CovariateShiftWeightsEstimator.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new CovariateShiftWeightsEstimator(MLNetBridge.GetEnvironment(catalog), targetData, Guard.NotNull(options, nameof(options)));
    }

    /// <summary>The DW-GCS binary classifier, trained on labelled rows and adapted to <paramref name="targetData"/>.</summary>
    /// <param name="catalog">The binary classification trainers.</param>
    /// <param name="targetData">Unlabelled rows of the deployment distribution, with the same feature column.</param>
    /// <param name="labelColumnName">The label column: Boolean.</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single, in both data sets.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="featureMap">The base features.</param>
    /// <param name="d">D; null to choose it from the paper's grid by the smallest bound.</param>
    /// <example><code>samples/CovariateShiftSample/Program.cs</code></example>
    public static DoubleWeightingMinimaxRiskBinaryTrainer DoubleWeightingMinimaxRisk(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        IDataView targetData, string labelColumnName = "Label", string featureColumnName = "Features",
        MinimaxRiskLoss loss = DoubleWeightingDefaults.Loss, FeatureMapKind featureMap = DoubleWeightingDefaults.FeatureMap, double? d = null)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new DoubleWeightingMinimaxRiskBinaryTrainer(MLNetBridge.GetEnvironment(catalog), targetData, new DoubleWeightingMinimaxRiskBinaryTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            Loss = loss,
            FeatureMap = featureMap,
            D = d,
        });
    }

    /// <summary>The DW-GCS binary classifier with every option.</summary>
    /// <param name="catalog">The binary classification trainers.</param>
    /// <param name="targetData">Unlabelled rows of the deployment distribution.</param>
    /// <param name="options">The options.</param>
    public static DoubleWeightingMinimaxRiskBinaryTrainer DoubleWeightingMinimaxRisk(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        IDataView targetData, DoubleWeightingMinimaxRiskBinaryTrainer.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new DoubleWeightingMinimaxRiskBinaryTrainer(MLNetBridge.GetEnvironment(catalog), targetData, Guard.NotNull(options, nameof(options)));
    }

    /// <summary>The DW-GCS multiclass classifier, trained on labelled rows and adapted to <paramref name="targetData"/>.</summary>
    /// <param name="catalog">The multiclass classification trainers.</param>
    /// <param name="targetData">Unlabelled rows of the deployment distribution, with the same feature column.</param>
    /// <param name="labelColumnName">The label column: a key type (use MapValueToKey).</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single, in both data sets.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="featureMap">The base features.</param>
    /// <param name="d">D; null to choose it from the paper's grid by the smallest bound.</param>
    public static DoubleWeightingMinimaxRiskMulticlassTrainer DoubleWeightingMinimaxRisk(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        IDataView targetData, string labelColumnName = "Label", string featureColumnName = "Features",
        MinimaxRiskLoss loss = DoubleWeightingDefaults.Loss, FeatureMapKind featureMap = DoubleWeightingDefaults.FeatureMap, double? d = null)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new DoubleWeightingMinimaxRiskMulticlassTrainer(MLNetBridge.GetEnvironment(catalog), targetData, new DoubleWeightingMinimaxRiskMulticlassTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            Loss = loss,
            FeatureMap = featureMap,
            D = d,
        });
    }

    /// <summary>The DW-GCS multiclass classifier with every option.</summary>
    /// <param name="catalog">The multiclass classification trainers.</param>
    /// <param name="targetData">Unlabelled rows of the deployment distribution.</param>
    /// <param name="options">The options.</param>
    public static DoubleWeightingMinimaxRiskMulticlassTrainer DoubleWeightingMinimaxRisk(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        IDataView targetData, DoubleWeightingMinimaxRiskMulticlassTrainer.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new DoubleWeightingMinimaxRiskMulticlassTrainer(MLNetBridge.GetEnvironment(catalog), targetData, Guard.NotNull(options, nameof(options)));
    }
}
