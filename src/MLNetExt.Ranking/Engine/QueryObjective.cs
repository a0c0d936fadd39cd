namespace MLNetExt.Ranking.Engine;

/// <summary>
/// Base of ranking objectives that work one query at a time (LightGBM's <c>RankingObjective</c> shape): it owns the
/// parallel loop over queries, the per-thread scratch buffers and the example weights; a subclass implements
/// <see cref="ComputeQuery"/> on one query's slices.
/// </summary>
/// <remarks>
/// <para>Parallelism: the queries are cut into chunks that the workers take in turn; every query is computed by one
/// worker into its own rows, so the result is the same for any number of threads and any schedule.</para>
/// <para>Allocation: everything is sized in <see cref="Initialize"/>; <see cref="GetGradients"/> allocates nothing
/// of its own beyond what <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> needs to start its
/// workers (a few hundred bytes per iteration, none on one thread).</para>
/// <para>Weights: after <see cref="ComputeQuery"/>, each row's gradient and hessian are multiplied by its weight in
/// float, as LightGBM does (<c>rank_objective.hpp</c>).</para>
/// </remarks>
internal abstract unsafe class QueryObjective : IRankingObjective
{
    private QueryScratch[] _scratch = [];
    private ParallelOptions? _options;
    private Action<int>? _worker;
    private int _chunkSize;
    private int _chunkCount;
    private int _nextChunk;
    private int _iteration;
    private double* _scores;
    private float* _gradients;
    private float* _hessians;

    /// <summary>The data given to <see cref="Initialize"/>.</summary>
    protected RankingObjectiveData Data { get; private set; } = null!;

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public virtual bool RefinesLeafValues => false;

    /// <inheritdoc/>
    public void Initialize(RankingObjectiveData data)
    {
        Data = Guard.NotNull(data, nameof(data));
        int workers = Math.Max(1, Math.Min(data.NumberOfThreads, data.Groups.GroupCount));
        _scratch = new QueryScratch[workers];
        for (int w = 0; w < workers; w++)
            _scratch[w] = CreateScratch(data.Groups.MaxGroupSize);
        _options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        _worker = RunWorker;
        // About 16 chunks per worker: small enough to balance uneven queries, large enough to keep the counter cold.
        _chunkSize = Math.Max(1, data.Groups.GroupCount / (16 * workers));
        _chunkCount = (data.Groups.GroupCount + _chunkSize - 1) / _chunkSize;
        OnInitialize(data);
    }

    /// <inheritdoc/>
    public void GetGradients(int iteration, ReadOnlySpan<double> scores, Span<float> gradients, Span<float> hessians)
    {
        int rows = Data.Groups.RowCount;
        if (scores.Length != rows || gradients.Length != rows || hessians.Length != rows)
        {
            throw new ArgumentException(
                $"Scores, gradients and hessians must have one entry per training row ({rows}); got {scores.Length}, {gradients.Length}, {hessians.Length}.",
                nameof(scores));
        }
        BeforeIteration(iteration, scores);
        fixed (double* s = scores)
        fixed (float* g = gradients)
        fixed (float* h = hessians)
        {
            _scores = s;
            _gradients = g;
            _hessians = h;
            _iteration = iteration;
            _nextChunk = 0;
            try
            {
                Workers.Run(_scratch.Length, _options!, _worker!);
            }
            finally
            {
                _scores = null;
                _gradients = null;
                _hessians = null;
            }
        }
    }

    /// <inheritdoc/>
    public virtual void RefineLeafValues(int iteration, ReadOnlySpan<int> leafOfRow, ReadOnlySpan<double> scores, Span<double> leafValues)
    {
    }

    /// <summary>
    /// Fills <paramref name="gradients"/> and <paramref name="hessians"/> (one per document of query
    /// <paramref name="query"/>, to be overwritten) from the query's labels and scores. Runs on several threads at
    /// once, each with its own <paramref name="scratch"/>; must not allocate or touch shared mutable state.
    /// </summary>
    protected abstract void ComputeQuery(int iteration, int query, ReadOnlySpan<float> labels, ReadOnlySpan<double> scores,
        Span<float> gradients, Span<float> hessians, QueryScratch scratch);

    /// <summary>Per-thread buffers for queries of up to <paramref name="maxGroupSize"/> rows; override to add more.</summary>
    protected virtual QueryScratch CreateScratch(int maxGroupSize) => new(maxGroupSize);

    /// <summary>Precomputes per-query constants; called at the end of <see cref="Initialize"/>.</summary>
    protected virtual void OnInitialize(RankingObjectiveData data)
    {
    }

    /// <summary>Called once per iteration, before the parallel loop, on the calling thread.</summary>
    protected virtual void BeforeIteration(int iteration, ReadOnlySpan<double> scores)
    {
    }

    private void RunWorker(int worker)
    {
        var scratch = _scratch[worker];
        int[] offsets = Data.GroupOffsets;
        float[] labels = Data.Labels;
        float[]? weights = Data.Weights;
        int groups = offsets.Length - 1;
        while (true)
        {
            int chunk = Interlocked.Increment(ref _nextChunk) - 1;
            if (chunk >= _chunkCount)
                return;
            int firstQuery = chunk * _chunkSize;
            int endQuery = Math.Min(groups, firstQuery + _chunkSize);
            for (int q = firstQuery; q < endQuery; q++)
            {
                int start = offsets[q];
                int n = offsets[q + 1] - start;
                var g = new Span<float>(_gradients + start, n);
                var h = new Span<float>(_hessians + start, n);
                ComputeQuery(_iteration, q, labels.AsSpan(start, n), new ReadOnlySpan<double>(_scores + start, n), g, h, scratch);
                if (weights is not null)
                {
                    for (int i = 0; i < n; i++)
                    {
                        float w = weights[start + i];
                        g[i] = g[i] * w;
                        h[i] = h[i] * w;
                    }
                }
            }
        }
    }
}

/// <summary>Per-thread buffers of a <see cref="QueryObjective"/>, each sized for the largest query.</summary>
internal class QueryScratch
{
    /// <summary>Allocates buffers for queries of up to <paramref name="capacity"/> documents.</summary>
    public QueryScratch(int capacity)
    {
        Capacity = capacity;
        Order = new int[capacity];
        Doubles = new double[capacity];
        Doubles2 = new double[capacity];
    }

    /// <summary>Largest query the buffers hold.</summary>
    public int Capacity { get; }

    /// <summary>A permutation buffer (document order by score, for example).</summary>
    public int[] Order { get; }

    /// <summary>A double buffer (sort keys, for example).</summary>
    public double[] Doubles { get; }

    /// <summary>A second double buffer.</summary>
    public double[] Doubles2 { get; }
}
