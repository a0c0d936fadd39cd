using Microsoft.ML;
using MLNetExt.Training;

namespace MLNetExt.Ranking;

/// <summary>
/// The options every boosted ranker of this package shares: LightGBM's tree settings (names as ML.NET's LightGbm and
/// FastTree trainers use them), early stopping on a validation set's NDCG@k, threads, progress and distributed
/// training. The objective's own options are on each trainer's <c>Options</c>.
/// </summary>
public abstract class BoostedRankingOptions : RankingTrainerOptionsBase
{
    private protected BoostedRankingOptions()
    {
    }

    /// <summary>The number of boosting iterations (trees).</summary>
    /// <value>Range [1, inf). Default 100, as LightGBM's <c>num_iterations</c>.</value>
    public int NumberOfTrees = BoostedRankingDefaults.NumberOfTrees;

    /// <summary>The most leaves a tree grows (leaf-wise growth).</summary>
    /// <value>Range [2, 131072]. Default 31, as LightGBM's <c>num_leaves</c>.</value>
    public int NumberOfLeaves = BoostedRankingDefaults.NumberOfLeaves;

    /// <summary>The shrinkage applied to every tree's leaf values.</summary>
    /// <value>Range (0, inf). Default 0.1, as LightGBM's <c>learning_rate</c>.</value>
    public double LearningRate = BoostedRankingDefaults.LearningRate;

    /// <summary>The fewest training rows a leaf may hold.</summary>
    /// <value>Range [1, inf). Default 20, as LightGBM's <c>min_data_in_leaf</c>.</value>
    public int MinimumExampleCountPerLeaf = BoostedRankingDefaults.MinimumExampleCountPerLeaf;

    /// <summary>The smallest sum of hessians a leaf may hold.</summary>
    /// <value>Range [0, inf). Default 1e-3, as LightGBM's <c>min_sum_hessian_in_leaf</c>.</value>
    public double MinimumHessianPerLeaf = 1e-3;

    /// <summary>L2 regularization of leaf values.</summary>
    /// <value>Range [0, inf). Default 0, as LightGBM's <c>lambda_l2</c>.</value>
    public double L2Regularization;

    /// <summary>L1 regularization of leaf values.</summary>
    /// <value>Range [0, inf). Default 0, as LightGBM's <c>lambda_l1</c>.</value>
    public double L1Regularization;

    /// <summary>The smallest gain a split must bring.</summary>
    /// <value>Range [0, inf). Default 0, as LightGBM's <c>min_gain_to_split</c>.</value>
    public double MinimumSplitGain;

    /// <summary>The deepest a tree may grow; -1 for no limit (leaves bound the size).</summary>
    /// <value>-1 or [1, inf). Default -1, as LightGBM's <c>max_depth</c>.</value>
    public int MaximumDepth = -1;

    /// <summary>The most bins a feature's values are sorted into before training.</summary>
    /// <value>Range [2, inf). Default 255, as LightGBM's <c>max_bin</c>.</value>
    public int MaximumBinCountPerFeature = 255;

    /// <summary>The fraction of features each tree may split on (chosen per tree from the seed).</summary>
    /// <value>Range (0, 1]. Default 1, as LightGBM's <c>feature_fraction</c>.</value>
    public double FeatureFraction = 1;

    /// <summary>The fraction of queries each bagging round trains on.</summary>
    /// <value>Range (0, 1]. Default 1 (no bagging), as LightGBM's <c>bagging_fraction</c>.</value>
    public double BaggingFraction = 1;

    /// <summary>Draw a new bag every this many trees; 0 turns bagging off.</summary>
    /// <value>Range [0, inf). Default 0, as LightGBM's <c>bagging_freq</c>.</value>
    public int BaggingFrequency;

    /// <summary>Stop when the validation set's NDCG has not improved for this many trees, and keep the best trees; 0 = never.</summary>
    /// <value>Range [0, inf). Default 0. Needs a validation set: <c>Fit(trainData, validationData)</c>.</value>
    public int EarlyStoppingRounds;

    /// <summary>The k of the validation NDCG@k reported with progress and used for early stopping.</summary>
    /// <value>Range [1, inf). Default 10. Conventions: gain 2^label - 1, log2 discount, stable ties, a query without
    /// relevant documents counts as 1 (LightGBM's <c>ndcg</c> metric; <see cref="RankingMetricOptions.Default"/>).</value>
    public int EarlyStoppingTruncation = 10;

    /// <summary>Threads LightGBM and the objective use; null for every core.</summary>
    /// <value>Null or [1, inf). Default null. The model does not depend on it.</value>
    public int? NumberOfThreads;

    /// <summary>Write progress (trees grown, elapsed time, validation NDCG) every this many trees.</summary>
    /// <value>Range [1, inf). Default 10.</value>
    public int ProgressInterval = 10;

    /// <summary>Trains data-parallel across processes through LightGBM's own network layer; null for one process.</summary>
    /// <value>Default null. Each process calls <c>Fit</c> with its own whole queries and the same options.</value>
    public LightGbmNetworkOptions? Network;

    internal override void Validate()
    {
        base.Validate();
        Guard.Option(NumberOfTrees >= 1, nameof(NumberOfTrees), $"must be at least 1; got {NumberOfTrees}.");
        Guard.Option(NumberOfLeaves is >= 2 and <= 131072, nameof(NumberOfLeaves), $"must be in [2, 131072]; got {NumberOfLeaves}.");
        Guard.Option(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), $"must be positive and finite; got {LearningRate}.");
        Guard.Option(MinimumExampleCountPerLeaf >= 1, nameof(MinimumExampleCountPerLeaf), $"must be at least 1; got {MinimumExampleCountPerLeaf}.");
        Guard.Option(MinimumHessianPerLeaf >= 0 && double.IsFinite(MinimumHessianPerLeaf), nameof(MinimumHessianPerLeaf), $"must be >= 0 and finite; got {MinimumHessianPerLeaf}.");
        Guard.Option(L2Regularization >= 0 && double.IsFinite(L2Regularization), nameof(L2Regularization), $"must be >= 0 and finite; got {L2Regularization}.");
        Guard.Option(L1Regularization >= 0 && double.IsFinite(L1Regularization), nameof(L1Regularization), $"must be >= 0 and finite; got {L1Regularization}.");
        Guard.Option(MinimumSplitGain >= 0 && double.IsFinite(MinimumSplitGain), nameof(MinimumSplitGain), $"must be >= 0 and finite; got {MinimumSplitGain}.");
        Guard.Option(MaximumDepth == -1 || MaximumDepth >= 1, nameof(MaximumDepth), $"must be -1 (no limit) or at least 1; got {MaximumDepth}.");
        Guard.Option(MaximumBinCountPerFeature >= 2, nameof(MaximumBinCountPerFeature), $"must be at least 2; got {MaximumBinCountPerFeature}.");
        Guard.Option(FeatureFraction > 0 && FeatureFraction <= 1, nameof(FeatureFraction), $"must be in (0, 1]; got {FeatureFraction}.");
        Guard.Option(BaggingFraction > 0 && BaggingFraction <= 1, nameof(BaggingFraction), $"must be in (0, 1]; got {BaggingFraction}.");
        Guard.Option(BaggingFrequency >= 0, nameof(BaggingFrequency), $"must be >= 0; got {BaggingFrequency}.");
        Guard.Option(EarlyStoppingRounds >= 0, nameof(EarlyStoppingRounds), $"must be >= 0; got {EarlyStoppingRounds}.");
        Guard.Option(EarlyStoppingTruncation >= 1, nameof(EarlyStoppingTruncation), $"must be at least 1; got {EarlyStoppingTruncation}.");
        Guard.Option(NumberOfThreads is null or >= 1, nameof(NumberOfThreads), $"must be null or at least 1; got {NumberOfThreads}.");
        Guard.Option(ProgressInterval >= 1, nameof(ProgressInterval), $"must be at least 1; got {ProgressInterval}.");
        Network?.Validate();
    }

    internal override TrainerOptionsBase Clone()
    {
        var copy = (BoostedRankingOptions)base.Clone();
        copy.Network = Network?.Clone();
        return copy;
    }
}

/// <summary>Defaults shared by the options and the simple catalog overloads (LightGBM's).</summary>
internal static class BoostedRankingDefaults
{
    public const int NumberOfTrees = 100;
    public const int NumberOfLeaves = 31;
    public const double LearningRate = 0.1;
    public const int MinimumExampleCountPerLeaf = 20;
}

/// <summary>
/// Data-parallel training across machines through LightGBM's network layer (<c>tree_learner=data</c>): every process
/// runs the same <c>Fit</c> call with the same options on its own share of the data, holding whole queries, and all of
/// them end with the same model. LightGBM grows each tree from histograms summed over the processes.
/// </summary>
/// <remarks>
/// Before LightGBM's network starts, the processes meet each other on their ports with a short handshake bounded by
/// <see cref="Timeout"/>, so a missing machine is an error naming it rather than a hang. With
/// <see cref="BinSampleData"/> every process finds the same bin boundaries from the same rows, and with
/// <c>MinimumExampleCountPerLeaf = 1</c> the trees then equal single-process training's; otherwise LightGBM's
/// data-parallel learner counts leaf rows from hessian sums, which can choose different splits (stated and tested).
/// </remarks>
public sealed class LightGbmNetworkOptions
{
    /// <summary>Every process as "host:port", the same list in the same order in every process (this one included).</summary>
    public IReadOnlyList<string> Machines { get; set; } = [];

    /// <summary>The port this process listens on: its own entry's port in <see cref="Machines"/>.</summary>
    public int LocalPort { get; set; }

    /// <summary>How long to wait for the other processes, and LightGBM's socket time-out.</summary>
    /// <value>Default 2 minutes.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Rows every process finds the bin boundaries from (the same view in every process, with the training data's
    /// feature column), so bins equal single-process training's; null lets LightGBM find them distributed.
    /// </summary>
    public IDataView? BinSampleData { get; set; }

    internal void Validate() => ToSettings(null).Validate();

    internal LightGbmNetworkOptions Clone() => (LightGbmNetworkOptions)MemberwiseClone();

    internal Engine.NetworkSettings ToSettings(Data.IRowBlockSource? binSample) => new()
    {
        Machines = Machines,
        LocalPort = LocalPort,
        Timeout = Timeout,
        BinSample = binSample,
    };
}
