using Microsoft.ML;
using MLNetExt.Interop;

namespace MLNetExt.TorchSharp.Pruning;

/// <summary>Example-difficulty scoring (EL2N, GraNd) on <c>mlContext.Transforms</c>.</summary>
public static class ExampleDifficultyCatalog
{
    /// <summary>
    /// Scores each labelled row's difficulty with EL2N and GraNd, averaged over <paramref name="numberOfRuns"/> proxy
    /// classifiers (a 64-unit ReLU MLP) trained with TorchSharp for <paramref name="numberOfEpochs"/> epochs. Prune with
    /// <c>mlContext.Data.PruneByScore</c>; look for mislabelled rows with
    /// <see cref="ExampleDifficultyTransformer.FindLabelNoise"/>. Needs a libtorch backend package in the application
    /// (for example libtorch-cpu-linux-x64) to fit.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="labelColumnName">The label: Boolean, a key, or whole numbers 0..K-1.</param>
    /// <param name="featureColumnName">A known-size vector of Single.</param>
    /// <param name="numberOfRuns">Proxies whose scores are averaged.</param>
    /// <param name="numberOfEpochs">Epochs each proxy trains; EL2N is taken after the last.</param>
    /// <param name="graNdEpoch">The epoch GraNd is taken after (0 = at initialisation); null for <paramref name="numberOfEpochs"/>.</param>
    /// <returns>The estimator; its transformer appends <c>EL2N</c> and <c>GraNd</c> (Single).</returns>
    /// <example><code>
    /// var difficulty = mlContext.Transforms.ScoreExampleDifficulty().Fit(train);
    /// var pruned = mlContext.Data.PruneByScore(difficulty.Transform(train), "EL2N", keepFraction: 0.7);
    /// foreach (var row in difficulty.FindLabelNoise(train, 10))
    ///     Console.WriteLine($"row {row.Row}: labelled {row.LabelName}, looks like {row.PredictedLabelName} (EL2N {row.El2n:0.00})");
    /// </code>See samples/DataPruningSample.</example>
    public static ExampleDifficultyEstimator ScoreExampleDifficulty(this TransformsCatalog catalog,
        string labelColumnName = ColumnNames.Label, string featureColumnName = ColumnNames.Features,
        int numberOfRuns = ExampleDifficultyEstimator.Defaults.NumberOfRuns, int numberOfEpochs = ExampleDifficultyEstimator.Defaults.NumberOfEpochs,
        int? graNdEpoch = null)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new ExampleDifficultyEstimator(MLNetBridge.GetEnvironment(catalog), new ExampleDifficultyEstimator.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            NumberOfRuns = numberOfRuns,
            NumberOfEpochs = numberOfEpochs,
            GraNdEpoch = graNdEpoch,
        });
    }

    /// <summary>Example-difficulty scoring with every option (proxy architecture, training, output names, pruning of the training data, device, seed).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options; copied and validated here.</param>
    /// <returns>The estimator.</returns>
    public static ExampleDifficultyEstimator ScoreExampleDifficulty(this TransformsCatalog catalog, ExampleDifficultyEstimator.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(options, nameof(options));
        return new ExampleDifficultyEstimator(MLNetBridge.GetEnvironment(catalog), options);
    }
}
