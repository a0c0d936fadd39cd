using Microsoft.ML;
using MLNetExt.Interop;

namespace MLNetExt.Ranking;

/// <summary>The boosted rankers of MLNetExt.Ranking on <c>mlContext.Ranking.Trainers</c>.</summary>
public static class RankingTrainersCatalog
{
    /// <summary>
    /// LambdaMART as LightGBM's <c>lambdarank</c> computes it, on LightGBM's tree engine with the objective in C#.
    /// </summary>
    /// <param name="catalog">The ranking trainers catalog.</param>
    /// <param name="labelColumnName">Relevance grades: Single (fractional allowed) or a key.</param>
    /// <param name="featureColumnName">A known-size vector of Single (dense or sparse).</param>
    /// <param name="rowGroupColumnName">The query: a key or whole numbers; each query's rows contiguous.</param>
    /// <param name="exampleWeightColumnName">Optional example weights (Single, &gt;= 0); null for none.</param>
    /// <param name="numberOfLeaves">The most leaves per tree (LightGBM default 31).</param>
    /// <param name="numberOfTrees">The number of trees (default 100).</param>
    /// <param name="minimumExampleCountPerLeaf">The fewest rows per leaf (default 20).</param>
    /// <param name="learningRate">The shrinkage per tree (default 0.1).</param>
    /// <example><code>
    /// var data = mlContext.Data.LoadFromLibSvm("rank.train");
    /// var model = mlContext.Ranking.Trainers.LambdaMart().Fit(data);
    /// var metrics = mlContext.Ranking.Evaluate(model.Transform(mlContext.Data.LoadFromLibSvm("rank.test")));
    /// </code>See samples/RankingSample.</example>
    public static LambdaMartRankingTrainer LambdaMart(this RankingCatalog.RankingTrainers catalog,
        string labelColumnName = ColumnNames.Label, string featureColumnName = ColumnNames.Features,
        string rowGroupColumnName = ColumnNames.GroupId, string? exampleWeightColumnName = null,
        int numberOfLeaves = BoostedRankingDefaults.NumberOfLeaves, int numberOfTrees = BoostedRankingDefaults.NumberOfTrees,
        int minimumExampleCountPerLeaf = BoostedRankingDefaults.MinimumExampleCountPerLeaf,
        double learningRate = BoostedRankingDefaults.LearningRate)
        => LambdaMart(catalog, new LambdaMartRankingTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            RowGroupColumnName = rowGroupColumnName,
            ExampleWeightColumnName = exampleWeightColumnName,
            NumberOfLeaves = numberOfLeaves,
            NumberOfTrees = numberOfTrees,
            MinimumExampleCountPerLeaf = minimumExampleCountPerLeaf,
            LearningRate = learningRate,
        });

    /// <summary>LambdaMART with all options (tree settings, early stopping, threads, distributed training).</summary>
    /// <param name="catalog">The ranking trainers catalog.</param>
    /// <param name="options">The options; copied and validated here.</param>
    public static LambdaMartRankingTrainer LambdaMart(this RankingCatalog.RankingTrainers catalog, LambdaMartRankingTrainer.Options options)
        => new(MLNetBridge.GetEnvironment(Guard.NotNull(catalog, nameof(catalog))), Guard.NotNull(options, nameof(options)));
}
