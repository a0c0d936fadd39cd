namespace MLNetExt.Ranking.Engine;

/// <summary>
/// A ranking objective for the boosting loop (<see cref="RankingBoostingLoop"/>): it turns the current training
/// scores into per-row gradients and hessians, and may refine the leaf values of each new tree (spec ranking.md §2.3,
/// style.md §4.7).
/// </summary>
/// <remarks>
/// Gradients are of a loss to be minimised (LightGBM's sign). The loop calls <see cref="Initialize"/> once, then, per
/// iteration t = 0, 1, ...: <see cref="GetGradients"/> with the scores before tree t; LightGBM grows tree t from the
/// gradients; if <see cref="RefinesLeafValues"/>, <see cref="RefineLeafValues"/> with each training row's leaf in
/// tree t. Results must not depend on the number of threads, and randomness must come only from
/// <see cref="RankingObjectiveData.Seed"/> (seed per (iteration, query), style.md §4.9).
/// </remarks>
internal interface IRankingObjective
{
    /// <summary>The objective's name, for logs and the model ("lambdarank", "yetirank").</summary>
    string Name { get; }

    /// <summary>True when the objective sets the leaf values of each tree itself (<see cref="RefineLeafValues"/>).</summary>
    bool RefinesLeafValues { get; }

    /// <summary>Called once before the first iteration: checks the labels, precomputes per-query constants and
    /// allocates every buffer the iterations need.</summary>
    /// <exception cref="InvalidOperationException">The data does not suit the objective; the message names the row or query.</exception>
    void Initialize(RankingObjectiveData data);

    /// <summary>Fills one gradient and one hessian per training row from the current <paramref name="scores"/>
    /// (one per row). Must not allocate.</summary>
    void GetGradients(int iteration, ReadOnlySpan<double> scores, Span<float> gradients, Span<float> hessians);

    /// <summary>
    /// Sets the leaf values of the tree grown in <paramref name="iteration"/>. Called only when
    /// <see cref="RefinesLeafValues"/> is true.
    /// </summary>
    /// <param name="iteration">The iteration (= index of the new tree).</param>
    /// <param name="leafOfRow">Each training row's leaf in the new tree. Under bagging, rows outside the bag are
    /// included (they are routed through the tree like any row).</param>
    /// <param name="scores">The training scores the gradients of this iteration were computed from (before the new
    /// tree).</param>
    /// <param name="leafValues">In: LightGBM's values for the tree's leaves, as they would be added to the scores,
    /// i.e. the Newton step <b>with the learning rate already applied</b>
    /// (<see cref="RankingObjectiveData.LearningRate"/>). Out: the values to use instead, also with the learning rate
    /// applied (an objective that solves for unshrunk values multiplies them by the learning rate).</param>
    void RefineLeafValues(int iteration, ReadOnlySpan<int> leafOfRow, ReadOnlySpan<double> scores, Span<double> leafValues);
}

/// <summary>The training data an objective sees: labels, query boundaries, weights, and the loop's settings.</summary>
internal sealed class RankingObjectiveData
{
    /// <summary>Wraps checked query groups.</summary>
    public RankingObjectiveData(QueryGroups groups, int seed, int numberOfThreads, double learningRate)
    {
        Guard.NotNull(groups, nameof(groups));
        Guard.Argument(numberOfThreads >= 1, nameof(numberOfThreads), $"The thread count must be at least 1; got {numberOfThreads}.");
        Groups = groups;
        Seed = seed;
        NumberOfThreads = numberOfThreads;
        LearningRate = learningRate;
    }

    /// <summary>Labels, boundaries and weights.</summary>
    public QueryGroups Groups { get; }

    /// <summary>One relevance label per row.</summary>
    public float[] Labels => Groups.Labels;

    /// <summary>Example weights per row, or null.</summary>
    public float[]? Weights => Groups.Weights;

    /// <summary>Query boundaries (length queries + 1, half-open).</summary>
    public int[] GroupOffsets => Groups.GroupOffsets;

    /// <summary>Seed for any randomness of the objective.</summary>
    public int Seed { get; }

    /// <summary>Threads the objective may use.</summary>
    public int NumberOfThreads { get; }

    /// <summary>The booster's learning rate (for objectives that refine leaf values).</summary>
    public double LearningRate { get; }
}
