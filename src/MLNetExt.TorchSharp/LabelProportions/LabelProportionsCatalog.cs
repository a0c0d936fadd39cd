using Microsoft.ML;
using MLNetExt.Interop;

namespace MLNetExt.TorchSharp.LabelProportions;

/// <summary>Label-proportion trainers on <c>mlContext.BinaryClassification.Trainers</c> and <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class LabelProportionsCatalog
{
    /// <summary>
    /// A binary classifier learned from bag label proportions (each row's bag and the bag's fraction of positive
    /// rows; no instance labels), trained with TorchSharp. Needs a libtorch backend package in the application to
    /// train (for example libtorch-cpu-linux-x64); the trained model scores without it.
    /// </summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="bagIdColumnName">The bag id: a key, whole numbers or non-empty text. A bag's rows need not be contiguous.</param>
    /// <param name="bagProportionColumnName">The bag's fraction of positive rows: Single in [0, 1], the same on every row of the bag.</param>
    /// <param name="featureColumnName">A known-size vector of Single.</param>
    /// <param name="loss">The bag loss (DLLP by default).</param>
    /// <returns>The trainer; its model writes Score, Probability and PredictedLabel.</returns>
    /// <example><code>
    /// var bagged = mlContext.Data.MakeBags(labelledTrain, bagSize: 32, seed: 1);        // or your own bag id and proportion columns
    /// var model = mlContext.BinaryClassification.Trainers.LabelProportions(loss: LabelProportionsLoss.Dllp).Fit(bagged);
    /// var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(test));
    /// </code>See samples/LabelProportionsSample.</example>
    public static LabelProportionsBinaryTrainer LabelProportions(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string bagIdColumnName = LabelProportionsTrainerOptionsBase.Defaults.BagIdColumnName,
        string bagProportionColumnName = LabelProportionsTrainerOptionsBase.Defaults.BagProportionColumnName,
        string featureColumnName = "Features", LabelProportionsLoss loss = LabelProportionsTrainerOptionsBase.Defaults.Loss)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new LabelProportionsBinaryTrainer(MLNetBridge.GetEnvironment(catalog), new LabelProportionsBinaryTrainer.Options
        {
            BagIdColumnName = bagIdColumnName,
            BagProportionColumnName = bagProportionColumnName,
            FeatureColumnName = featureColumnName,
            Loss = loss,
        });
    }

    /// <summary>A binary label-proportion classifier with every option (loss settings, model, loop, early stopping, device, seed).</summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="options">The options; copied and validated here.</param>
    /// <returns>The trainer.</returns>
    public static LabelProportionsBinaryTrainer LabelProportions(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        LabelProportionsBinaryTrainer.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(options, nameof(options));
        return new LabelProportionsBinaryTrainer(MLNetBridge.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// A multiclass classifier learned from bag label proportions (each row's bag and the bag's vector of class
    /// fractions), trained with TorchSharp. Needs a libtorch backend package to train.
    /// </summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="bagIdColumnName">The bag id: a key, whole numbers or non-empty text.</param>
    /// <param name="bagProportionColumnName">The bag's class fractions: a known-size vector of Single in [0, 1] summing to 1, the
    /// same on every row of the bag; its slot names, when it has them, become the class names.</param>
    /// <param name="featureColumnName">A known-size vector of Single.</param>
    /// <param name="loss">The bag loss (DLLP by default).</param>
    /// <returns>The trainer; its model writes Score (class probabilities) and PredictedLabel (a key).</returns>
    /// <example><code>
    /// var bagged = mlContext.Data.MakeBags(keyedTrain, bagSize: 16, seed: 1);
    /// var model = mlContext.MulticlassClassification.Trainers.LabelProportions().Fit(bagged);
    /// </code>See samples/LabelProportionsSample.</example>
    public static LabelProportionsMulticlassTrainer LabelProportions(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string bagIdColumnName = LabelProportionsTrainerOptionsBase.Defaults.BagIdColumnName,
        string bagProportionColumnName = LabelProportionsTrainerOptionsBase.Defaults.BagProportionColumnName,
        string featureColumnName = "Features", LabelProportionsLoss loss = LabelProportionsTrainerOptionsBase.Defaults.Loss)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new LabelProportionsMulticlassTrainer(MLNetBridge.GetEnvironment(catalog), new LabelProportionsMulticlassTrainer.Options
        {
            BagIdColumnName = bagIdColumnName,
            BagProportionColumnName = bagProportionColumnName,
            FeatureColumnName = featureColumnName,
            Loss = loss,
        });
    }

    /// <summary>A multiclass label-proportion classifier with every option.</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="options">The options; copied and validated here.</param>
    /// <returns>The trainer.</returns>
    public static LabelProportionsMulticlassTrainer LabelProportions(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        LabelProportionsMulticlassTrainer.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(options, nameof(options));
        return new LabelProportionsMulticlassTrainer(MLNetBridge.GetEnvironment(catalog), options);
    }
}
