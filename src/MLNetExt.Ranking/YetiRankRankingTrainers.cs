using Microsoft.ML.Runtime;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Training;

namespace MLNetExt.Ranking;

/// <summary>
/// The options YetiRank and YetiRankPairwise share: how pairs are sampled and weighted (CatBoost's
/// <c>YetiRank:mode=...;permutations=...;decay=...</c>), with CatBoost's defaults.
/// </summary>
public abstract class YetiRankOptionsBase : BoostedRankingOptions
{
    private protected YetiRankOptionsBase()
    {
    }

    /// <summary>How pairs are weighted: CatBoost's Classic heuristic, or a metric's |Δ| (Lyzhin et al. 2023).</summary>
    /// <value>Default <see cref="YetiRankMode.Classic"/>, as CatBoost's <c>mode</c>.</value>
    public YetiRankMode Mode = YetiRankMode.Classic;

    /// <summary>Noisy permutations sampled per query and tree; pair weights are averaged over them.</summary>
    /// <value>Range [1, 1000]. Default 10, as CatBoost's <c>permutations</c>.</value>
    public int Permutations = YetiRankSettings.DefaultPermutations;

    /// <summary>Classic mode: the factor applied to the weight after each adjacent pair of a permutation.</summary>
    /// <value>Range [0, 1]. Default 0.85, as CatBoost's <c>decay</c> (CatBoost before 1.2: 0.99). Other modes do not read it.</value>
    public double Decay = YetiRankSettings.DefaultDecay;

    /// <summary>Metric modes: only the first this-many positions start pairs and count in the metric; null for all.</summary>
    /// <value>Null or [1, inf). Default null, as CatBoost's <c>top</c>. Classic mode does not read it.</value>
    public int? Top;

    /// <summary>Metric modes: each position is paired with this many following ones; -1 for all of them.</summary>
    /// <value>-1 or [1, inf). Default 1, as CatBoost's <c>num_neighbors</c>. Classic mode does not read it.</value>
    public int NumberOfNeighbors = 1;

    /// <summary>Dcg and Ndcg modes: the gain of a grade.</summary>
    /// <value>Default <see cref="YetiRankDcgGain.Linear"/>, as CatBoost's <c>dcg_type=Base</c>.</value>
    public YetiRankDcgGain DcgGain = YetiRankDcgGain.Linear;

    /// <summary>Dcg and Ndcg modes: the discount of a position.</summary>
    /// <value>Default <see cref="YetiRankDcgDenominator.LogPosition"/>, as CatBoost's <c>dcg_denominator</c>.</value>
    public YetiRankDcgDenominator DcgDenominator = YetiRankDcgDenominator.LogPosition;

    /// <summary>The noise added to the scores before each permutation is sorted.</summary>
    /// <value>Default <see cref="YetiRankNoise.Logistic"/> (CatBoost's default, which it calls "Gumbel").</value>
    public YetiRankNoise Noise = YetiRankNoise.Logistic;

    /// <summary>Gauss noise: its standard deviation on the log scale.</summary>
    /// <value>Range (0, inf). Default 1, as CatBoost's <c>noise_power</c>. Other noises do not read it.</value>
    public double NoisePower = YetiRankSettings.DefaultNoisePower;

    internal YetiRankSettings Settings() => new()
    {
        Mode = Mode,
        Permutations = Permutations,
        Decay = Decay,
        Top = Top,
        NumberOfNeighbors = NumberOfNeighbors,
        DcgGain = DcgGain,
        DcgDenominator = DcgDenominator,
        Noise = Noise,
        NoisePower = NoisePower,
    };

    internal override void Validate()
    {
        base.Validate();
        Settings().Validate();
    }
}

/// <summary>
/// YetiRank (Gulin, Kuralenok and Pavlov, 2011) as CatBoost computes it, on LightGBM's tree engine: each tree, every
/// query's documents are ranked by the current scores plus noise in several sampled permutations; pairs of each
/// permutation get weights (CatBoost's Classic heuristic, or the |Δ| of a metric: NDCG, DCG, MRR, ERR, MAP), averaged over
/// the permutations, and the pairwise logistic loss on those weighted pairs gives the gradients. Created by
/// <c>mlContext.Ranking.Trainers.YetiRank</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Task</term><description>ranking; label: relevance grades (Single, or a key; Err mode: in [0, 1]);
/// group: key or whole numbers, contiguous; optional example weights (each row's gradient is multiplied by its weight)</description></item>
/// <item><term>Output</term><description><c>Score</c> (Single)</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt.Ranking / LightGBM's native library</description></item>
/// <item><term>Deterministic</term><description>yes, given the seed: each (tree, query) draws from its own counter-based
/// stream, so the thread count never changes the model</description></item>
/// </list>
/// Deliberate differences from CatBoost (spec ranking.md §10): our random stream, not CatBoost's; pair weights in
/// double; trees are LightGBM's leaf-wise trees with Newton leaf values (CatBoost: oblivious trees). An option the
/// chosen mode or noise does not read is an error, never silently ignored (catboost#2712). References: Gulin et
/// al., JMLR W&amp;CP 14 (2011); Lyzhin et al., "Which Tricks are Important for Learning to Rank?", ICML 2023; CatBoost
/// <c>catboost/private/libs/algo/yetirank_helpers.cpp</c> @e377cfa.
/// </remarks>
public sealed class YetiRankRankingTrainer : BoostedRankingTrainerBase
{
    internal const string ComponentName = "YetiRank";

    /// <summary>Options of <see cref="YetiRankRankingTrainer"/>.</summary>
    public sealed class Options : YetiRankOptionsBase
    {
    }

    internal YetiRankRankingTrainer(IHostEnvironment env, Options options) : base(env, options, ComponentName)
    {
    }

    private protected override IRankingObjective CreateObjective() => new YetiRankObjective(((Options)BoostingOptions).Settings());
}

/// <summary>
/// YetiRankPairwise: YetiRank's pairs and gradients, with each tree's leaf values set by CatBoost's pairwise leaf
/// system (the pairs' Laplacian between leaves, Bayesian regularization, the last leaf fixed and the values centred)
/// instead of per-leaf Newton steps, so leaf values account for pairs split across leaves. By default the Laplacian
/// weighs each pair by its hessian, which makes the system the exact Newton step of the pair loss over the leaf values;
/// CatBoost's CPU default weighs it by the pair weight (a gradient step, see <see cref="Options.LeafMethod"/>). Created by
/// <c>mlContext.Ranking.Trainers.YetiRankPairwise</c>.
/// </summary>
/// <remarks>
/// The tree structure is chosen by LightGBM's histogram gain on YetiRank's gradients; CatBoost scores every candidate
/// split with the pairwise system instead, which cheap histograms cannot do (spec ranking.md §2.3). The pairs of the
/// iteration set the leaf values (CatBoost resamples before leaf estimation). A tree whose system is not positive
/// definite keeps LightGBM's Newton values. The system is dense: at most 1,024 leaves per tree.
/// Reference: CatBoost <c>pairwise_leaves_calculation.cpp</c> @0df44f4.
/// </remarks>
public sealed class YetiRankPairwiseRankingTrainer : BoostedRankingTrainerBase
{
    internal const string ComponentName = "YetiRankPairwise";

    /// <summary>Options of <see cref="YetiRankPairwiseRankingTrainer"/>.</summary>
    public sealed class Options : YetiRankOptionsBase
    {
        /// <summary>The prior that pulls leaf values towards their mean in the pairwise system.</summary>
        /// <value>Range [0, inf). Default 0.1, as CatBoost's <c>bayesian_matrix_reg</c>.</value>
        public double BayesianMatrixRegularization = PairwiseLeafSettings.DefaultBayesianMatrixRegularization;

        /// <summary>Added to the pairwise system's diagonal.</summary>
        /// <value>Range [0, inf). Default 0, as CatBoost's YetiRankPairwise <c>l2_leaf_reg</c>.</value>
        public double PairwiseL2Regularization;

        /// <summary>How a pair between two leaves weighs in the pairwise system.</summary>
        /// <value>Default <see cref="YetiRankPairwiseLeafMethod.Newton"/> (the pair's hessian, the scale of LightGBM's Newton
        /// leaves); <see cref="YetiRankPairwiseLeafMethod.Gradient"/> is CatBoost's CPU default (the pair's weight, steps
        /// several times smaller at the same learning rate).</value>
        public YetiRankPairwiseLeafMethod LeafMethod = YetiRankPairwiseLeafMethod.Newton;

        internal PairwiseLeafSettings LeafSettings() => new()
        {
            BayesianMatrixRegularization = BayesianMatrixRegularization,
            L2Regularization = PairwiseL2Regularization,
            Method = LeafMethod,
        };

        internal override void Validate()
        {
            base.Validate();
            Guard.Option(NumberOfLeaves <= YetiRankPairwiseObjective.MaximumLeafCount, nameof(NumberOfLeaves),
                $"must be at most {YetiRankPairwiseObjective.MaximumLeafCount} for YetiRankPairwise (its leaf system is dense); got {NumberOfLeaves}.");
            LeafSettings().Validate();
        }
    }

    internal YetiRankPairwiseRankingTrainer(IHostEnvironment env, Options options) : base(env, options, ComponentName)
    {
    }

    private protected override IRankingObjective CreateObjective()
    {
        var o = (Options)BoostingOptions;
        return new YetiRankPairwiseObjective(o.Settings(), o.LeafSettings());
    }
}

/// <summary>
/// RCR, regression-compatible ranking (Bai et al., CIKM 2023): sigmoid cross-entropy plus a listwise softmax
/// cross-entropy over the sigmoid outputs, so the scores rank well and sigmoid(score) is a calibrated estimate of the
/// scaled relevance (P(relevant) for binary labels). Writes <c>Score</c> and <c>Probability</c>. Created by
/// <c>mlContext.Ranking.Trainers.RegressionCompatibleRanking</c>.
/// </summary>
/// <remarks>
/// Targets: labels in [0, 1] as given; larger grades divided by <see cref="Options.MaximumLabel"/> or by the largest
/// training grade (<see cref="BoostedRankingModelParameters.ProbabilityLabelScale"/>). Per query the loss is
/// (1 - alpha) SigmoidCE + alpha ListCE with alpha = <see cref="Options.RankingWeight"/>; a query without a relevant
/// document contributes its SigmoidCE only. The diagonal hessian of ListCE can be negative; it is clamped at 0 before
/// mixing (spec ranking.md §4.2). No public implementation existed to compare with; the loss, gradient and hessian are
/// checked against the spec's oracles (float64, autograd).
/// </remarks>
public sealed class RegressionCompatibleRankingTrainer : BoostedRankingTrainerBase
{
    internal const string ComponentName = "RegressionCompatibleRanking";

    /// <summary>Options of <see cref="RegressionCompatibleRankingTrainer"/>.</summary>
    public sealed class Options : BoostedRankingOptions
    {
        /// <summary>alpha: the weight of the listwise term; 0 is sigmoid cross-entropy alone, 1 the listwise term alone.</summary>
        /// <value>Range [0, 1]. Default 0.5 (our choice: the paper's value could not be verified; spec ranking.md §4.1).</value>
        public double RankingWeight = RcrSettings.DefaultRankingWeight;

        /// <summary>The grade that means "relevant with probability 1"; null for the largest training grade (or 1 when all grades are in [0, 1]).</summary>
        /// <value>Null or (0, inf). Default null. A training grade above it is an error.</value>
        public double? MaximumLabel;

        /// <summary>Whether the listwise term's label distribution is y / sum y (true) or y itself.</summary>
        /// <value>Default true.</value>
        public bool NormalizeListLabels = true;

        internal RcrSettings Settings() => new() { RankingWeight = RankingWeight, MaximumLabel = MaximumLabel, NormalizeListLabels = NormalizeListLabels };

        internal override void Validate()
        {
            base.Validate();
            Settings().Validate();
        }
    }

    internal RegressionCompatibleRankingTrainer(IHostEnvironment env, Options options) : base(env, options, ComponentName)
    {
    }

    private protected override IRankingObjective CreateObjective() => new RcrObjective(((Options)BoostingOptions).Settings());

    private protected override bool WritesProbability => true;

    private protected override double? ProbabilityLabelScale(IRankingObjective objective) => ((RcrObjective)objective).LabelScale;
}
