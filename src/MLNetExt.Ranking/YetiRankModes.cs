namespace MLNetExt.Ranking;

/// <summary>
/// How YetiRank weighs the pairs of each sampled permutation (CatBoost's <c>mode</c> of <c>YetiRank</c> and
/// <c>YetiRankPairwise</c>; spec ranking.md §1.3-1.4).
/// </summary>
public enum YetiRankMode
{
    /// <summary>Adjacent pairs of the permutation, weight 0.15 decay^t |l_a - l_b| (CatBoost's default, "Classic").</summary>
    Classic,

    /// <summary>|ΔDCG| of swapping the two documents in the permutation ("DCG"; Lyzhin et al. 2023's YetiLoss).</summary>
    Dcg,

    /// <summary>|ΔDCG| / IDCG ("NDCG").</summary>
    Ndcg,

    /// <summary>|ΔRR| of binary relevance (label &gt; 0), up to the first relevant document ("MRR").</summary>
    Mrr,

    /// <summary>|ΔERR| with the labels read as probabilities, which must lie in [0, 1] ("ERR").</summary>
    Err,

    /// <summary>CatBoost's average-precision weight for pairs with exactly one relevant document ("MAP").</summary>
    Map,
}

/// <summary>The noise YetiRank adds to the scores before sorting each permutation (CatBoost's <c>noise</c>).</summary>
public enum YetiRankNoise
{
    /// <summary>
    /// exp(s) multiplied by U / (1.000001 - U), U uniform in (0, 1): standard logistic noise on the score.
    /// CatBoost calls it "Gumbel" (its default); it is not Gumbel noise (spec §1.2).
    /// </summary>
    Logistic,

    /// <summary>exp(s) multiplied by exp(N(0, the noise power²)) ("Gauss").</summary>
    Gauss,

    /// <summary>No noise: every permutation is the current ranking (stable for ties) ("No").</summary>
    None,
}

/// <summary>Numerator of the DCG used by the <see cref="YetiRankMode.Dcg"/> and <see cref="YetiRankMode.Ndcg"/> modes
/// (CatBoost's <c>dcg_type</c>).</summary>
public enum YetiRankDcgGain
{
    /// <summary>The label itself ("Base", CatBoost's default).</summary>
    Linear,

    /// <summary>2^label - 1 ("Exp").</summary>
    Exponential,
}

/// <summary>Denominator of the DCG of the metric modes, at 0-based position p (CatBoost's <c>dcg_denominator</c>).</summary>
public enum YetiRankDcgDenominator
{
    /// <summary>log2(p + 2) ("LogPosition", CatBoost's default).</summary>
    LogPosition,

    /// <summary>p + 1 ("Position").</summary>
    Position,
}

/// <summary>
/// The matrix of <see cref="YetiRankPairwiseRankingTrainer"/>'s per-tree leaf system: how much a pair of documents in
/// two different leaves couples those leaves' values.
/// </summary>
public enum YetiRankPairwiseLeafMethod
{
    /// <summary>
    /// Each pair counts with its PairLogit hessian W p (1 - p): the system is the exact Newton step of the pair loss over
    /// the tree's leaf values, on the scale of LightGBM's Newton leaves that the learning rate is tuned for (default).
    /// </summary>
    Newton,

    /// <summary>
    /// Each pair counts with its weight W (CatBoost's CPU default, <c>leaf_estimation_method=Gradient</c>): a gradient
    /// step, smaller than the Newton step by about the pairs' mean p (1 - p) (4 to 6 times on MSLR-shaped data), so it
    /// needs a larger learning rate or more trees.
    /// </summary>
    Gradient,
}
