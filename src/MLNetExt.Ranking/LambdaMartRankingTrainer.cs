using Microsoft.ML.Runtime;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;

namespace MLNetExt.Ranking;

/// <summary>
/// LambdaMART (Burges 2010) as LightGBM's <c>lambdarank</c> computes it, with the objective in C# on LightGBM's tree
/// engine: trained through this package's loop it grows the same trees as LightGBM's native objective (tested tree
/// for tree on LightGBM's learning-to-rank sample). Created by <c>mlContext.Ranking.Trainers.LambdaMart</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Task</term><description>ranking; label: relevance grades (Single, fractional allowed, or a key);
/// group: key or whole numbers, each query's rows contiguous; optional example weights</description></item>
/// <item><term>Output</term><description><c>Score</c> (Single), read by <c>mlContext.Ranking.Evaluate</c> and <c>EvaluateRanking</c></description></item>
/// <item><term>Normalization / caching</term><description>not needed (features are binned) / not needed: the features
/// are read twice in blocks (bin boundaries, then rows), never copied whole into managed memory</description></item>
/// <item><term>Missing values</term><description>NaN features go to LightGBM's missing bin and take the learned default direction</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt.Ranking / LightGBM's native library (NuGet <c>LightGBM</c>)</description></item>
/// <item><term>Deterministic</term><description>yes, given the seed, whatever the thread count</description></item>
/// </list>
/// Per query: documents are sorted by score; every pair with different labels, one of them in the first
/// <see cref="Options.TruncationLevel"/> positions, pushes the better document up with weight |ΔNDCG| (ideal DCG at
/// the truncation level), divided by 0.01 + |Δscore| and rescaled per query when <see cref="Options.Normalize"/> is
/// set; the pairwise logistic has steepness <see cref="Options.Sigma"/>. Defaults are LightGBM's (sigmoid 1,
/// truncation 30, normalization on, gain 2^label - 1); ML.NET's FastTree conventions are one option set away
/// (LabelGains 0, 3, 7, 15, 31; TruncationLevel 100). References: Burges, "From RankNet to LambdaRank to LambdaMART"
/// (MSR-TR-2010-82); LightGBM 4.6.0 <c>src/objective/rank_objective.hpp</c>.
/// </remarks>
public sealed class LambdaMartRankingTrainer : BoostedRankingTrainerBase
{
    internal const string ComponentName = "LambdaMart";

    /// <summary>Options of <see cref="LambdaMartRankingTrainer"/>.</summary>
    public sealed class Options : BoostedRankingOptions
    {
        /// <summary>The steepness of the pairwise logistic.</summary>
        /// <value>Range (0, inf). Default 1, as LightGBM's <c>sigmoid</c>.</value>
        public double Sigma = 1;

        /// <summary>Pairs need one document in the first this-many positions; the ideal DCG is taken at this depth.</summary>
        /// <value>Range [1, inf). Default 30, as LightGBM's <c>lambdarank_truncation_level</c> (ML.NET FastTree: 100).</value>
        public int TruncationLevel = 30;

        /// <summary>Divide each pair's |ΔNDCG| by 0.01 + |Δscore| and rescale each query's gradients.</summary>
        /// <value>Default true, as LightGBM's <c>lambdarank_norm</c>.</value>
        public bool Normalize = true;

        /// <summary>The gain of each integer grade (index = grade); null for 2^grade - 1 on the grade itself.</summary>
        /// <value>Default null: LightGBM's default table for integer grades, extended to fractional grades (2^2.5 - 1 for
        /// 2.5). With a table, every label must be a whole number below its length (ML.NET FastTree: 0, 3, 7, 15, 31).</value>
        public double[]? LabelGains;

        internal override void Validate()
        {
            base.Validate();
            Settings().Validate();
        }

        internal override Training.TrainerOptionsBase Clone()
        {
            var copy = (Options)base.Clone();
            copy.LabelGains = (double[]?)LabelGains?.Clone();
            return copy;
        }

        internal LambdaMartSettings Settings() => new()
        {
            Sigma = Sigma,
            TruncationLevel = TruncationLevel,
            Normalize = Normalize,
            LabelGains = LabelGains,
        };
    }

    internal LambdaMartRankingTrainer(IHostEnvironment env, Options options) : base(env, options, ComponentName)
    {
    }

    private protected override IRankingObjective CreateObjective() => new LambdaMartObjective(((Options)BoostingOptions).Settings());
}
