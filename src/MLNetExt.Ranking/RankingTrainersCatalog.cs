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
        => LambdaMart(catalog, Simple(new LambdaMartRankingTrainer.Options(), labelColumnName, featureColumnName, rowGroupColumnName,
            exampleWeightColumnName, numberOfLeaves, numberOfTrees, minimumExampleCountPerLeaf, learningRate));

    /// <summary>LambdaMART with all options (tree settings, early stopping, threads, distributed training).</summary>
    /// <param name="catalog">The ranking trainers catalog.</param>
    /// <param name="options">The options; copied and validated here.</param>
    public static LambdaMartRankingTrainer LambdaMart(this RankingCatalog.RankingTrainers catalog, LambdaMartRankingTrainer.Options options)
        => new(MLNetBridge.GetEnvironment(Guard.NotNull(catalog, nameof(catalog))), Guard.NotNull(options, nameof(options)));

    /// <summary>
    /// YetiRank as CatBoost computes it (noisy sampled permutations, weighted pairs, pairwise logistic gradients), on
    /// LightGBM's tree engine. CatBoost's defaults: 10 permutations, decay 0.85, Classic pair weights.
    /// </summary>
    /// <inheritdoc cref="LambdaMart(RankingCatalog.RankingTrainers, string, string, string, string?, int, int, int, double)"/>
    public static YetiRankRankingTrainer YetiRank(this RankingCatalog.RankingTrainers catalog,
        string labelColumnName = ColumnNames.Label, string featureColumnName = ColumnNames.Features,
        string rowGroupColumnName = ColumnNames.GroupId, string? exampleWeightColumnName = null,
        int numberOfLeaves = BoostedRankingDefaults.NumberOfLeaves, int numberOfTrees = BoostedRankingDefaults.NumberOfTrees,
        int minimumExampleCountPerLeaf = BoostedRankingDefaults.MinimumExampleCountPerLeaf,
        double learningRate = BoostedRankingDefaults.LearningRate)
        => YetiRank(catalog, Simple(new YetiRankRankingTrainer.Options(), labelColumnName, featureColumnName, rowGroupColumnName,
            exampleWeightColumnName, numberOfLeaves, numberOfTrees, minimumExampleCountPerLeaf, learningRate));

    /// <summary>YetiRank with all options (pair weighting mode, permutations, noise, tree settings, early stopping).</summary>
    /// <param name="catalog">The ranking trainers catalog.</param>
    /// <param name="options">The options; copied and validated here (an option the mode does not read is an error).</param>
    public static YetiRankRankingTrainer YetiRank(this RankingCatalog.RankingTrainers catalog, YetiRankRankingTrainer.Options options)
        => new(MLNetBridge.GetEnvironment(Guard.NotNull(catalog, nameof(catalog))), Guard.NotNull(options, nameof(options)));

    /// <summary>
    /// YetiRankPairwise: YetiRank's pairs, with each tree's leaf values from CatBoost's pairwise leaf system.
    /// </summary>
    /// <inheritdoc cref="LambdaMart(RankingCatalog.RankingTrainers, string, string, string, string?, int, int, int, double)"/>
    public static YetiRankPairwiseRankingTrainer YetiRankPairwise(this RankingCatalog.RankingTrainers catalog,
        string labelColumnName = ColumnNames.Label, string featureColumnName = ColumnNames.Features,
        string rowGroupColumnName = ColumnNames.GroupId, string? exampleWeightColumnName = null,
        int numberOfLeaves = BoostedRankingDefaults.NumberOfLeaves, int numberOfTrees = BoostedRankingDefaults.NumberOfTrees,
        int minimumExampleCountPerLeaf = BoostedRankingDefaults.MinimumExampleCountPerLeaf,
        double learningRate = BoostedRankingDefaults.LearningRate)
        => YetiRankPairwise(catalog, Simple(new YetiRankPairwiseRankingTrainer.Options(), labelColumnName, featureColumnName, rowGroupColumnName,
            exampleWeightColumnName, numberOfLeaves, numberOfTrees, minimumExampleCountPerLeaf, learningRate));

    /// <summary>YetiRankPairwise with all options.</summary>
    /// <param name="catalog">The ranking trainers catalog.</param>
    /// <param name="options">The options; copied and validated here.</param>
    public static YetiRankPairwiseRankingTrainer YetiRankPairwise(this RankingCatalog.RankingTrainers catalog, YetiRankPairwiseRankingTrainer.Options options)
        => new(MLNetBridge.GetEnvironment(Guard.NotNull(catalog, nameof(catalog))), Guard.NotNull(options, nameof(options)));

    /// <summary>
    /// RCR (regression-compatible ranking): scores that rank well and whose sigmoid, written as <c>Probability</c>, is
    /// a calibrated estimate of the scaled relevance.
    /// </summary>
    /// <inheritdoc cref="LambdaMart(RankingCatalog.RankingTrainers, string, string, string, string?, int, int, int, double)"/>
    public static RegressionCompatibleRankingTrainer RegressionCompatibleRanking(this RankingCatalog.RankingTrainers catalog,
        string labelColumnName = ColumnNames.Label, string featureColumnName = ColumnNames.Features,
        string rowGroupColumnName = ColumnNames.GroupId, string? exampleWeightColumnName = null,
        int numberOfLeaves = BoostedRankingDefaults.NumberOfLeaves, int numberOfTrees = BoostedRankingDefaults.NumberOfTrees,
        int minimumExampleCountPerLeaf = BoostedRankingDefaults.MinimumExampleCountPerLeaf,
        double learningRate = BoostedRankingDefaults.LearningRate)
        => RegressionCompatibleRanking(catalog, Simple(new RegressionCompatibleRankingTrainer.Options(), labelColumnName, featureColumnName,
            rowGroupColumnName, exampleWeightColumnName, numberOfLeaves, numberOfTrees, minimumExampleCountPerLeaf, learningRate));

    /// <summary>RCR with all options (ranking weight alpha, maximum label, tree settings, early stopping).</summary>
    /// <param name="catalog">The ranking trainers catalog.</param>
    /// <param name="options">The options; copied and validated here.</param>
    public static RegressionCompatibleRankingTrainer RegressionCompatibleRanking(this RankingCatalog.RankingTrainers catalog,
        RegressionCompatibleRankingTrainer.Options options)
        => new(MLNetBridge.GetEnvironment(Guard.NotNull(catalog, nameof(catalog))), Guard.NotNull(options, nameof(options)));

    private static TOptions Simple<TOptions>(TOptions options, string labelColumnName, string featureColumnName, string rowGroupColumnName,
        string? exampleWeightColumnName, int numberOfLeaves, int numberOfTrees, int minimumExampleCountPerLeaf, double learningRate)
        where TOptions : BoostedRankingOptions
    {
        options.LabelColumnName = labelColumnName;
        options.FeatureColumnName = featureColumnName;
        options.RowGroupColumnName = rowGroupColumnName;
        options.ExampleWeightColumnName = exampleWeightColumnName;
        options.NumberOfLeaves = numberOfLeaves;
        options.NumberOfTrees = numberOfTrees;
        options.MinimumExampleCountPerLeaf = minimumExampleCountPerLeaf;
        options.LearningRate = learningRate;
        return options;
    }
}
