using Microsoft.ML;
using MLNetExt.Interop;

namespace MLNetExt.TorchSharp.Ranking;

/// <summary>Neural ranking trainers on <c>mlContext.Ranking.Trainers</c>.</summary>
public static class NeuralRankingCatalog
{
    /// <summary>
    /// A neural ranker trained with TorchSharp (an MLP scorer; NeuralNDCG by default). Needs a libtorch backend package
    /// in the application (for example libtorch-cpu-linux-x64).
    /// </summary>
    /// <param name="catalog">The ranking trainers catalog.</param>
    /// <param name="labelColumnName">Relevance grades: Single or Double &gt;= 0, or a key (grade = key value - 1).</param>
    /// <param name="featureColumnName">A known-size vector of Single.</param>
    /// <param name="rowGroupColumnName">The query: a key or whole numbers; a query's rows must be contiguous.</param>
    /// <param name="loss">The loss to minimise.</param>
    /// <param name="numberOfEpochs">Passes over the training queries.</param>
    /// <example><code>
    /// var trainer = mlContext.Ranking.Trainers.NeuralRanking(loss: NeuralRankingLoss.NeuralNdcg, numberOfEpochs: 50);
    /// var model = trainer.Fit(train);
    /// var metrics = mlContext.Ranking.Evaluate(model.Transform(test));
    /// </code>See samples/NeuralRankingSample.</example>
    public static NeuralRankingTrainer NeuralRanking(this RankingCatalog.RankingTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string rowGroupColumnName = "GroupId",
        NeuralRankingLoss loss = NeuralRankingTrainer.Defaults.Loss, int numberOfEpochs = NeuralRankingTrainer.Defaults.NumberOfEpochs)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return new NeuralRankingTrainer(MLNetBridge.GetEnvironment(catalog), new NeuralRankingTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            RowGroupColumnName = rowGroupColumnName,
            Loss = loss,
            NumberOfEpochs = numberOfEpochs,
        });
    }

    /// <summary>A neural ranker with every option (scorer, layers, batches, optimizer, validation, device, seed).</summary>
    /// <param name="catalog">The ranking trainers catalog.</param>
    /// <param name="options">The options; copied and validated here.</param>
    public static NeuralRankingTrainer NeuralRanking(this RankingCatalog.RankingTrainers catalog, NeuralRankingTrainer.Options options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(options, nameof(options));
        return new NeuralRankingTrainer(MLNetBridge.GetEnvironment(catalog), options);
    }
}
