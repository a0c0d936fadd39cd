using Microsoft.ML;
using MLNetExt.Interop;

namespace MLNetExt.RiskScores;

/// <summary>
/// Catalog methods of MLNetExt.RiskScores: <c>mlContext.BinaryClassification.Trainers.RiskScore(...)</c> and
/// <c>.Slim(...)</c>, and <c>mlContext.Transforms.BinarizeByThresholds(...)</c>.
/// </summary>
public static class RiskScoreCatalog
{
    /// <summary>An integer risk score (FasterRisk in Fast mode; RiskSLIM's certified optimum in Certified mode).</summary>
    /// <param name="catalog">The binary classification trainers.</param>
    /// <param name="labelColumnName">The label column: Boolean.</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single (binary indicators read best as
    /// a score card; see <see cref="BinarizeByThresholds(TransformsCatalog, string, string?, int)"/>).</param>
    /// <param name="maximumFeatureCount">The most features the model may use (k).</param>
    /// <example>samples/RiskScoreSample/Program.cs</example>
    public static RiskScoreTrainer RiskScore(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = ColumnNames.Label, string featureColumnName = ColumnNames.Features,
        int maximumFeatureCount = RiskScoreTrainer.Options.Defaults.MaximumFeatureCount)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new RiskScoreTrainer(MLNetBridge.GetEnvironment(catalog), new RiskScoreTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            MaximumFeatureCount = maximumFeatureCount,
        });
    }

    /// <summary>An integer risk score with every option.</summary>
    /// <param name="catalog">The binary classification trainers.</param>
    /// <param name="options">The options (copied and checked now).</param>
    public static RiskScoreTrainer RiskScore(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, RiskScoreTrainer.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(options, nameof(options));
        return new RiskScoreTrainer(MLNetBridge.GetEnvironment(catalog), options);
    }

    /// <summary>A SLIM scoring system: integer points that minimise training errors, with a proof of optimality.</summary>
    /// <param name="catalog">The binary classification trainers.</param>
    /// <param name="labelColumnName">The label column: Boolean.</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single.</param>
    /// <param name="sparsityPenalty">C0: the training error rate a feature must remove to be used.</param>
    public static SlimTrainer Slim(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = ColumnNames.Label, string featureColumnName = ColumnNames.Features,
        double sparsityPenalty = SlimTrainer.Options.Defaults.SparsityPenalty)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new SlimTrainer(MLNetBridge.GetEnvironment(catalog), new SlimTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            SparsityPenalty = sparsityPenalty,
        });
    }

    /// <summary>A SLIM scoring system with every option.</summary>
    /// <param name="catalog">The binary classification trainers.</param>
    /// <param name="options">The options (copied and checked now).</param>
    public static SlimTrainer Slim(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, SlimTrainer.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(options, nameof(options));
        return new SlimTrainer(MLNetBridge.GetEnvironment(catalog), options);
    }

    /// <summary>Threshold indicators (x &gt;= t) of every slot of a numeric vector, with readable slot names.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The output column: a vector of Single 0/1 values.</param>
    /// <param name="inputColumnName">The input column (a known-size vector of Single); null for the output name.</param>
    /// <param name="maximumThresholdsPerFeature">The most indicators per input slot.</param>
    public static ThresholdBinarizerEstimator BinarizeByThresholds(this TransformsCatalog catalog, string outputColumnName,
        string? inputColumnName = null, int maximumThresholdsPerFeature = ThresholdBinarizerEstimator.Options.Defaults.MaximumThresholdsPerFeature)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new ThresholdBinarizerEstimator(MLNetBridge.GetEnvironment(catalog), new ThresholdBinarizerEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            MaximumThresholdsPerFeature = maximumThresholdsPerFeature,
        });
    }

    /// <summary>Threshold indicators with every option.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options (copied and checked now).</param>
    public static ThresholdBinarizerEstimator BinarizeByThresholds(this TransformsCatalog catalog, ThresholdBinarizerEstimator.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(options, nameof(options));
        return new ThresholdBinarizerEstimator(MLNetBridge.GetEnvironment(catalog), options);
    }
}
