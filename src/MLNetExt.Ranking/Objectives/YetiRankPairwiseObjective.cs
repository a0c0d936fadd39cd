using MLNetExt.Ranking.Engine;

namespace MLNetExt.Ranking.Objectives;

/// <summary>
/// YetiRankPairwise: YetiRank's pairs and gradients (<see cref="YetiRankObjective"/>), with the leaf values of each
/// tree set by CatBoost's pairwise leaf system (spec ranking.md §2.2) through the engine's leaf refinement hook
/// (§2.3).
/// </summary>
/// <remarks>
/// <para>LightGBM chooses the tree structure from the YetiRank gradients and hessians (Newton gain); then, for the
/// tree's M leaves: b_m = sum over the leaf's rows of -gradient, and the Laplacian A_mk = -sum of c over the pairs with
/// one document in leaf m and the other in leaf k (diagonal: the sum of c over the pairs leaving m), where a pair's c is
/// its hessian W p (1 - p) (<see cref="YetiRankPairwiseLeafMethod.Newton"/>, default) or its weight W
/// (<see cref="YetiRankPairwiseLeafMethod.Gradient"/>, CatBoost's CPU default). <see cref="PairwiseLeafSolver"/> solves
/// (A + bayes (I - J/M) + l2 I) x = b with the last leaf fixed at 0, mean-centres x, and the leaf values become learning
/// rate × x. If the system is not positive definite (possible only with
/// <see cref="PairwiseLeafSettings.BayesianMatrixRegularization"/> 0), the tree keeps LightGBM's Newton values and
/// <see cref="FallbackCount"/> counts it.</para>
/// <para>Why Newton by default: with c = W p (1 - p), A is the Hessian of the PairLogit loss as a function of the tree's
/// leaf values (pairs inside one leaf drop out, since moving their leaf does not change their score difference) and -b
/// its gradient, so x is that loss's joint Newton step: the scale of LightGBM's per-leaf Newton values (a little
/// smaller, as those overshoot for pairs across leaves), which the learning rate and tree count are chosen for. With
/// c = W the step is smaller by about the pairs' mean p (1 - p) (at least 4 times, 5 to 6 times on MSLR-shaped data),
/// and at the same learning rate and tree count the model stays far from fitted (bench synth1k NDCG@10 0.629 against
/// YetiRank's 0.799; 0.799 with the hessians).</para>
/// <para>Pairs: the leaf system uses the pairs of the same iteration as the gradients (it samples them again from the
/// same scores and the same (seed, iteration, query) streams, so they are identical and nothing is stored). CatBoost
/// resamples the pairs before estimating leaves; reusing them is deliberate (deterministic, cheaper; spec §10).</para>
/// <para>Other differences from CatBoost (deliberate): the tree structure is LightGBM's leaf-wise Newton choice, not
/// CatBoost's exact pairwise split scoring of oblivious trees (spec §2.3); under bagging every training row enters the
/// leaf system, not only the bag. Example weights: b uses each row's weight as the gradients do; a pair enters A with
/// its weight times the mean of its two rows' weights (the query weight when weights are constant per query).</para>
/// <para>The system is accumulated over fixed blocks of queries (independent of the thread count) and the blocks are
/// summed in order, so the leaf values do not depend on the number of threads.</para>
/// </remarks>
internal sealed unsafe class YetiRankPairwiseObjective : YetiRankObjective
{
    /// <summary>Most doubles the per-block leaf systems may hold together.</summary>
    private const int BlockMatrixBudget = 1 << 22;

    private const int MaxBlocks = 64;

    /// <summary>Most leaves per tree: the dense M x M Cholesky costs M³/3 operations per tree (0.4 G at 1024).</summary>
    public const int MaximumLeafCount = 1024;

    private readonly double _bayes;
    private readonly double _l2;
    private readonly bool _newton;
    private YetiRankScratch[] _hookScratch = [];
    private ParallelOptions? _options;
    private Action<int>? _worker;
    private int _leafCount;
    private int _blockCount;
    private int _nextBlock;
    private double[][] _blockLaplacian = [];
    private double[][] _blockDerivatives = [];
    private double[] _laplacian = [];
    private double[] _derivatives = [];
    private double[] _solution = [];
    private double[] _work = [];
    private int _iteration;
    private int* _leafOfRow;
    private double* _scores;

    /// <summary>Creates the objective; null settings mean CatBoost's defaults.</summary>
    public YetiRankPairwiseObjective(YetiRankSettings? settings = null, PairwiseLeafSettings? leafSettings = null)
        : this(settings, leafSettings, null)
    {
    }

    /// <summary>Creates the objective with the logistic noise's uniforms from <paramref name="uniformSource"/> (tests).</summary>
    internal YetiRankPairwiseObjective(YetiRankSettings? settings, PairwiseLeafSettings? leafSettings, IYetiRankUniformSource? uniformSource)
        : base(settings, uniformSource)
    {
        LeafSettings = leafSettings ?? new PairwiseLeafSettings();
        LeafSettings.Validate();
        _bayes = LeafSettings.BayesianMatrixRegularization;
        _l2 = LeafSettings.L2Regularization;
        _newton = LeafSettings.Method == YetiRankPairwiseLeafMethod.Newton;
    }

    /// <summary>The leaf-system settings (validated).</summary>
    public PairwiseLeafSettings LeafSettings { get; }

    /// <inheritdoc/>
    public override string Name => "yetirank_pairwise";

    /// <inheritdoc/>
    public override bool RefinesLeafValues => true;

    /// <summary>Trees whose leaf values came from the pairwise system.</summary>
    public int SolvedTrees { get; private set; }

    /// <summary>Trees whose system was not positive definite and that kept LightGBM's Newton values.</summary>
    public int FallbackCount { get; private set; }

    /// <inheritdoc/>
    protected override void OnInitialize(RankingObjectiveData data)
    {
        base.OnInitialize(data);
        int workers = Math.Max(1, Math.Min(data.NumberOfThreads, data.Groups.GroupCount));
        _hookScratch = new YetiRankScratch[workers];
        for (int w = 0; w < workers; w++)
            _hookScratch[w] = new YetiRankScratch(data.Groups.MaxGroupSize);
        _options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        _worker = RunWorker;
        _leafCount = 0;
        SolvedTrees = 0;
        FallbackCount = 0;
    }

    /// <inheritdoc/>
    public override void RefineLeafValues(int iteration, ReadOnlySpan<int> leafOfRow, ReadOnlySpan<double> scores, Span<double> leafValues)
    {
        int rows = Data.Groups.RowCount;
        if (leafOfRow.Length != rows || scores.Length != rows)
        {
            throw new ArgumentException(
                $"Leaves and scores must have one entry per training row ({rows}); got {leafOfRow.Length} and {scores.Length}.", nameof(leafOfRow));
        }
        int m = leafValues.Length;
        if (m < 2)
            return;
        if (m > MaximumLeafCount)
        {
            throw new InvalidOperationException(
                $"Tree {iteration} has {m} leaves; YetiRankPairwise solves a dense system over the leaves of each tree and takes at most {MaximumLeafCount}.");
        }
        for (int i = 0; i < rows; i++)
        {
            if ((uint)leafOfRow[i] >= (uint)m)
                throw new ArgumentException($"Row {i} is in leaf {leafOfRow[i]}, but the tree has {m} leaves.", nameof(leafOfRow));
        }
        EnsureBuffers(m);

        fixed (int* leaves = leafOfRow)
        fixed (double* s = scores)
        {
            _leafOfRow = leaves;
            _scores = s;
            _iteration = iteration;
            _nextBlock = 0;
            try
            {
                Workers.Run(_hookScratch.Length, _options!, _worker!);
            }
            finally
            {
                _leafOfRow = null;
                _scores = null;
            }
        }

        // Sum the blocks in block order: the same result for any thread count.
        Array.Clear(_laplacian, 0, m * m);
        Array.Clear(_derivatives, 0, m);
        for (int block = 0; block < _blockCount; block++)
        {
            double[] a = _blockLaplacian[block], b = _blockDerivatives[block];
            for (int k = 0; k < m * m; k++)
                _laplacian[k] += a[k];
            for (int k = 0; k < m; k++)
                _derivatives[k] += b[k];
        }
        if (!PairwiseLeafSolver.Solve(_laplacian, _derivatives, m, _l2, _bayes, _solution, _work))
        {
            FallbackCount++;
            return;
        }
        double learningRate = Data.LearningRate;
        for (int k = 0; k < m; k++)
            leafValues[k] = _solution[k] * learningRate;
        SolvedTrees++;
    }

    /// <summary>The summed Laplacian (M x M) and derivative sums (M) of the last <see cref="RefineLeafValues"/> call (tests).</summary>
    internal (double[] Laplacian, double[] DerivativeSums) LastSystem()
        => (_laplacian.AsSpan(0, _leafCount * _leafCount).ToArray(), _derivatives.AsSpan(0, _leafCount).ToArray());

    /// <summary>
    /// Sizes the buffers for an M-leaf system. The block count depends only on M and the query count (never on the
    /// threads or on earlier trees); buffers grow to the largest M seen and are reused for smaller trees.
    /// </summary>
    private void EnsureBuffers(int m)
    {
        int groups = Data.Groups.GroupCount;
        _blockCount = Math.Max(1, Math.Min(Math.Min(groups, MaxBlocks), BlockMatrixBudget / (m * m)));
        _leafCount = m;
        if (_blockLaplacian.Length < _blockCount)
        {
            Array.Resize(ref _blockLaplacian, _blockCount);
            Array.Resize(ref _blockDerivatives, _blockCount);
        }
        for (int b = 0; b < _blockCount; b++)
        {
            if (_blockLaplacian[b] is null || _blockLaplacian[b].Length < m * m)
            {
                _blockLaplacian[b] = new double[m * m];
                _blockDerivatives[b] = new double[m];
            }
        }
        if (_laplacian.Length < m * m)
        {
            _laplacian = new double[m * m];
            _derivatives = new double[m];
            _solution = new double[m];
            _work = new double[(m - 1) * (m - 1)];
        }
    }

    private void RunWorker(int worker)
    {
        var scratch = _hookScratch[worker];
        int[] offsets = Data.GroupOffsets;
        float[] labels = Data.Labels;
        float[]? weights = Data.Weights;
        int groups = offsets.Length - 1;
        int m = _leafCount;
        while (true)
        {
            int block = Interlocked.Increment(ref _nextBlock) - 1;
            if (block >= _blockCount)
                return;
            double[] a = _blockLaplacian[block], b = _blockDerivatives[block];
            Array.Clear(a, 0, m * m);
            Array.Clear(b, 0, m);
            int first = (int)((long)block * groups / _blockCount);
            int end = (int)((long)(block + 1) * groups / _blockCount);
            for (int q = first; q < end; q++)
            {
                if (!HasPairs(q))
                    continue;
                int start = offsets[q], n = offsets[q + 1] - start;
                new ReadOnlySpan<int>(_leafOfRow + start, n).CopyTo(scratch.Leaves);
                var sink = new LeafSystemSink(scratch, a, b, m, weights, start, _newton);
                ComputeQueryCore(_iteration, q, labels.AsSpan(start, n), new ReadOnlySpan<double>(_scores + start, n), scratch, ref sink);
            }
        }
    }

    /// <summary>
    /// Adds each pair to the leaf system: der1 sums per leaf and the Laplacian between leaves (of the pair hessians when
    /// <paramref name="newton"/>, else of the pair weights).
    /// </summary>
    private readonly struct LeafSystemSink(YetiRankScratch scratch, double[] laplacian, double[] derivatives, int leafCount, float[]? weights, int start,
        bool newton)
        : IPairSink
    {
        public void BeginQuery(int n)
        {
        }

        public void Add(int winner, int loser, double weight)
        {
            double p = LoserProbability(scratch, winner, loser);
            double wp = weight * p;
            int lw = scratch.Leaves[winner], ll = scratch.Leaves[loser];
            double weightW = 1, weightL = 1, pairWeight = weight;
            if (weights is not null)
            {
                weightW = weights[start + winner];
                weightL = weights[start + loser];
                pairWeight = weight * 0.5 * (weightW + weightL);
            }
            // der1 = -gradient: the winner's grows by W p, the loser's shrinks by W p (each times its row weight).
            derivatives[lw] += wp * weightW;
            derivatives[ll] -= wp * weightL;
            if (lw == ll)
                return;
            if (newton)
                pairWeight *= p * (1 - p);
            int m = leafCount;
            laplacian[lw * m + ll] -= pairWeight;
            laplacian[ll * m + lw] -= pairWeight;
            laplacian[lw * m + lw] += pairWeight;
            laplacian[ll * m + ll] += pairWeight;
        }
    }
}
