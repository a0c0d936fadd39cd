using System.Runtime.CompilerServices;
using MLNetExt.Numerics;
using MLNetExt.Ranking.Engine;

namespace MLNetExt.Ranking.Objectives;

/// <summary>
/// Supplies the uniforms of the logistic noise instead of the objective's own random stream: for tests that feed the
/// fixed draws of an oracle (spec ranking.md §8.3).
/// </summary>
internal interface IYetiRankUniformSource
{
    /// <summary>Fills one uniform in (0, 1) per document of <paramref name="query"/> for permutation
    /// <paramref name="permutation"/> of <paramref name="iteration"/>.</summary>
    void Fill(int iteration, int query, int permutation, Span<double> uniforms);
}

/// <summary>
/// YetiRank as CatBoost (CPU) computes it (<c>catboost/private/libs/algo/yetirank_helpers.cpp</c> @e377cfa, PairLogit
/// derivatives of <c>error_functions.h</c>; Gulin, Kuralenok and Pavlov 2011; the metric modes of Lyzhin, Ustimenko,
/// Gulin and Prokhorenkova, "Which Tricks are Important for Learning to Rank?", ICML 2023; spec ranking.md §1).
/// </summary>
/// <remarks>
/// <para>Per query and iteration: <see cref="YetiRankSettings.Permutations"/> times, add noise to the scores
/// (logistic by default: exp(s) U / (1.000001 - U), U uniform), sort the documents by the noisy value (descending,
/// stable), and weigh pairs of the permutation by the <see cref="YetiRankSettings.Mode"/> (Classic: adjacent pairs,
/// 0.15 decay^t |l_a - l_b|; metric modes: |Δ metric| of swapping the pair). A pair's weight goes to
/// (winner = larger label, loser) and is divided by the number of permutations. The gradients are PairLogit's on the
/// weighted pairs: with p = sigmoid(s_loser - s_winner), g_winner -= W p, g_loser += W p, and both hessians
/// += W p (1 - p); the loss is sum W log(1 + exp(s_loser - s_winner)).</para>
/// <para>Randomness: query q of iteration t draws from <see cref="CounterRandomStream"/>(seed, stream (t, q)), so the
/// gradients depend only on the seed, never on the thread count or the schedule. Each 64-bit draw gives the uniforms
/// of two documents (<see cref="CounterRandom.ToSingle"/> of its high and of its low 32 bits, (2k + 1) / 2^24: float
/// precision, as CatBoost's U is a float, but never exactly 0 or 1). No allocation per query or iteration: every buffer
/// is per thread, sized for the largest query in <see cref="IRankingObjective.Initialize"/>.</para>
/// <para>Weights: the engine multiplies each row's gradient and hessian by its example weight; with one weight per
/// query (the usual case) that is CatBoost's group weight multiplying every pair weight of the query.</para>
/// <para>Deliberate differences from CatBoost: our own random stream (CatBoost's TFastRng64 sequence is not
/// reproduced); pair weights accumulated in double (CatBoost: float); exp(s - max s) instead of exp(s), and noisy
/// values in log space when the query's scores span more than 500, so that nothing overflows or underflows (same
/// order up to rounding); the constant 1.000001 in double (CatBoost's float literal is 1.00000095). A query whose labels
/// are all equal, or that has one document, gets zero gradients.</para>
/// </remarks>
internal class YetiRankObjective : QueryObjective
{
    /// <summary>CatBoost's Classic pair weight factor ("Like in GPU").</summary>
    private const double ClassicWeight = 0.15;

    /// <summary>Queries whose scores span more than this are handled in log space (exp(-500) is still a normal double).</summary>
    private const double LogSpaceSpan = 500;

    private readonly IYetiRankUniformSource? _uniformSource;
    private readonly YetiRankMode _mode;
    private readonly YetiRankNoise _noise;
    private readonly int _permutations;
    private readonly double _decay;
    private readonly int _top;
    private readonly int _neighbors;
    private readonly double _noisePower;
    private double[] _gains = [];
    private double[] _discount = [];
    private double[] _inverseIdealDcg = [];
    private bool[] _hasPairs = [];
    private ulong _seedKey;

    /// <summary>Creates the objective; <paramref name="settings"/> null means CatBoost's defaults.</summary>
    public YetiRankObjective(YetiRankSettings? settings = null)
        : this(settings, null)
    {
    }

    /// <summary>Creates the objective with the logistic noise's uniforms taken from <paramref name="uniformSource"/>
    /// (tests); null = the objective's own random stream.</summary>
    internal YetiRankObjective(YetiRankSettings? settings, IYetiRankUniformSource? uniformSource)
    {
        Settings = settings ?? new YetiRankSettings();
        Settings.Validate();
        _uniformSource = uniformSource;
        _mode = Settings.Mode;
        _noise = Settings.Noise;
        _permutations = _noise == YetiRankNoise.None ? 1 : Settings.Permutations;
        _decay = Settings.Decay;
        _top = Settings.Top ?? int.MaxValue;
        _neighbors = Settings.NumberOfNeighbors;
        _noisePower = Settings.NoisePower;
    }

    /// <summary>The settings (validated).</summary>
    public YetiRankSettings Settings { get; }

    /// <inheritdoc/>
    public override string Name => "yetirank";

    /// <inheritdoc/>
    protected override void OnInitialize(RankingObjectiveData data)
    {
        var groups = data.Groups;
        float[] labels = groups.Labels;
        int[] offsets = groups.GroupOffsets;
        _seedKey = CounterRandom.SeedKey(data.Seed);
        if (_mode == YetiRankMode.Err)
        {
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] > 1)
                {
                    throw new InvalidOperationException(
                        $"Label at row {i} is {labels[i]}; YetiRank Mode {YetiRankMode.Err} reads labels as probabilities of relevance and needs them in [0, 1].");
                }
            }
        }

        _hasPairs = new bool[groups.GroupCount];
        for (int q = 0; q < _hasPairs.Length; q++)
        {
            float first = labels[offsets[q]];
            for (int i = offsets[q] + 1; i < offsets[q + 1] && !_hasPairs[q]; i++)
                _hasPairs[q] = labels[i] != first;
        }

        if (_mode is YetiRankMode.Dcg or YetiRankMode.Ndcg)
        {
            _gains = new double[labels.Length];
            for (int i = 0; i < labels.Length; i++)
            {
                double gain = Settings.DcgGain == YetiRankDcgGain.Linear ? labels[i] : Math.Pow(2.0, labels[i]) - 1.0;
                if (!double.IsFinite(gain))
                    throw new InvalidOperationException($"Label at row {i} is {labels[i]}; its gain 2^label - 1 overflows (labels must be below 1024).");
                _gains[i] = gain;
            }
            _discount = new double[groups.MaxGroupSize];
            for (int p = 0; p < _discount.Length && p < _top; p++)
                _discount[p] = Settings.DcgDenominator == YetiRankDcgDenominator.Position ? 1.0 / (p + 1) : 1.0 / Math.Log2(p + 2);
            _inverseIdealDcg = new double[groups.GroupCount];
            if (_mode == YetiRankMode.Ndcg)
            {
                var sorted = new double[groups.MaxGroupSize];
                for (int q = 0; q < groups.GroupCount; q++)
                {
                    int start = offsets[q], n = offsets[q + 1] - start;
                    var g = sorted.AsSpan(0, n);
                    _gains.AsSpan(start, n).CopyTo(g);
                    g.Sort();
                    g.Reverse();
                    double ideal = 0;
                    for (int p = 0; p < n; p++)
                        ideal += g[p] * _discount[p];
                    _inverseIdealDcg[q] = ideal > 0 ? 1.0 / ideal : 0.0;
                }
            }
            else
            {
                _inverseIdealDcg.AsSpan().Fill(1.0);
            }
        }
    }

    /// <inheritdoc/>
    protected override QueryScratch CreateScratch(int maxGroupSize) => new YetiRankScratch(maxGroupSize);

    /// <inheritdoc/>
    protected override void ComputeQuery(int iteration, int query, ReadOnlySpan<float> labels, ReadOnlySpan<double> scores,
        Span<float> gradients, Span<float> hessians, QueryScratch scratch)
    {
        int n = labels.Length;
        if (!_hasPairs[query])
        {
            gradients.Clear();
            hessians.Clear();
            return;
        }
        var s = (YetiRankScratch)scratch;
        var sink = new GradientSink(s);
        ComputeQueryCore(iteration, query, labels, scores, s, ref sink);
        double[] g = s.Gradient, h = s.Hessian;
        for (int i = 0; i < n; i++)
        {
            gradients[i] = (float)g[i];
            hessians[i] = (float)h[i];
        }
    }

    /// <summary>The gradients and hessians of every query in double, one query after another, without example weights:
    /// for checking the formulas against float64 oracles (training uses <see cref="IRankingObjective.GetGradients"/>).</summary>
    internal void ComputeInDouble(int iteration, ReadOnlySpan<double> scores, Span<double> gradients, Span<double> hessians)
    {
        var s = new YetiRankScratch(Data.Groups.MaxGroupSize);
        int[] offsets = Data.GroupOffsets;
        for (int q = 0; q + 1 < offsets.Length; q++)
        {
            int start = offsets[q], n = offsets[q + 1] - start;
            gradients.Slice(start, n).Clear();
            hessians.Slice(start, n).Clear();
            if (!_hasPairs[q])
                continue;
            var sink = new GradientSink(s);
            ComputeQueryCore(iteration, q, Data.Labels.AsSpan(start, n), scores.Slice(start, n), s, ref sink);
            s.Gradient.AsSpan(0, n).CopyTo(gradients.Slice(start, n));
            s.Hessian.AsSpan(0, n).CopyTo(hessians.Slice(start, n));
        }
    }

    /// <summary>
    /// The averaged pair weights of one query in iteration <paramref name="iteration"/>, added into the dense
    /// n x n matrix <paramref name="weights"/> (row = winner, column = loser; no example weights): for tests.
    /// </summary>
    internal void AddPairWeights(int iteration, int query, ReadOnlySpan<double> queryScores, Span<double> weights)
    {
        int start = Data.GroupOffsets[query], n = Data.GroupOffsets[query + 1] - start;
        Guard.Argument(queryScores.Length == n && weights.Length == n * n, nameof(weights), $"Query {query} has {n} documents.");
        if (!_hasPairs[query])
            return;
        var s = new YetiRankScratch(n);
        var sink = new MatrixSink(new double[n * n], n);
        ComputeQueryCore(iteration, query, Data.Labels.AsSpan(start, n), queryScores, s, ref sink);
        for (int k = 0; k < n * n; k++)
            weights[k] += sink.Weights[k];
    }

    /// <summary>True when query <paramref name="query"/> can form a pair (two documents with different labels).</summary>
    private protected bool HasPairs(int query) => _hasPairs[query];

    /// <summary>
    /// Prepares the query's exponentials in <paramref name="s"/> and sends every weighted pair of every sampled
    /// permutation to <paramref name="sink"/>, in a fixed order. Called for gradients and, by the pairwise variant,
    /// again for the leaf system with the same scores: the draws depend only on (seed, iteration, query), so both
    /// see the same pairs.
    /// </summary>
    private protected void ComputeQueryCore<TSink>(int iteration, int query, ReadOnlySpan<float> labels, ReadOnlySpan<double> scores,
        YetiRankScratch s, ref TSink sink) where TSink : struct, IPairSink
    {
        int n = labels.Length;
        Prepare(scores, s, n);
        sink.BeginQuery(n);
        double scale = 1.0 / _permutations;
        var stream = new CounterRandomStream(_seedKey, CounterRandom.Stream(iteration, query));
        int start = Data.GroupOffsets[query];
        var order = s.Order.AsSpan(0, n);
        for (int p = 0; p < _permutations; p++)
        {
            FillNoisyValues(iteration, query, p, s, n, ref stream);
            SortDescendingStable(s.Noisy.AsSpan(0, n), s.Sort, order);
            switch (_mode)
            {
                case YetiRankMode.Classic:
                    WeighClassic(order, labels, scale, ref sink);
                    break;
                case YetiRankMode.Dcg:
                case YetiRankMode.Ndcg:
                    WeighDcg(order, labels, _gains.AsSpan(start, n), scale * _inverseIdealDcg[query], ref sink);
                    break;
                case YetiRankMode.Mrr:
                    WeighMrr(order, labels, scale, ref sink);
                    break;
                case YetiRankMode.Err:
                    WeighErr(order, labels, scale, ref sink);
                    break;
                default:
                    WeighMap(order, labels, scale, ref sink);
                    break;
            }
        }
    }

    /// <summary>Scores relative to the query's best, their exponentials, and whether to work in log space.</summary>
    private static void Prepare(ReadOnlySpan<double> scores, YetiRankScratch s, int n)
    {
        double max = double.NegativeInfinity, min = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            max = Math.Max(max, scores[i]);
            min = Math.Min(min, scores[i]);
        }
        double[] shifted = s.Shifted, exp = s.Exp;
        for (int i = 0; i < n; i++)
        {
            double d = scores[i] - max;
            shifted[i] = d;
            exp[i] = Math.Exp(d);
        }
        s.LogSpace = min - max < -LogSpaceSpan;
    }

    /// <summary>Fills <see cref="YetiRankScratch.Noisy"/> with the noisy value of each document (or its logarithm:
    /// only the order matters).</summary>
    private void FillNoisyValues(int iteration, int query, int permutation, YetiRankScratch s, int n, ref CounterRandomStream stream)
    {
        double[] noisy = s.Noisy, exp = s.Exp, shifted = s.Shifted;
        switch (_noise)
        {
            case YetiRankNoise.Logistic:
                double[] u = s.Uniforms;
                if (_uniformSource is not null)
                {
                    _uniformSource.Fill(iteration, query, permutation, u.AsSpan(0, n));
                }
                else
                {
                    for (int i = 0; i < n; i += 2)
                    {
                        ulong bits = stream.NextBits();
                        u[i] = CounterRandom.ToSingle(bits);
                        if (i + 1 < n)
                            u[i + 1] = CounterRandom.ToSingle(bits << 32);
                    }
                }
                if (!s.LogSpace)
                {
                    for (int i = 0; i < n; i++)
                        noisy[i] = exp[i] * (u[i] / (1.000001 - u[i]));
                }
                else
                {
                    for (int i = 0; i < n; i++)
                        noisy[i] = shifted[i] + Math.Log(u[i] / (1.000001 - u[i]));
                }
                break;
            case YetiRankNoise.Gauss:
                for (int i = 0; i < n; i++)
                    noisy[i] = shifted[i] + _noisePower * stream.NextNormal();
                break;
            default:
                shifted.AsSpan(0, n).CopyTo(noisy);
                break;
        }
    }

    /// <summary>Lists shorter than this are sorted by insertion directly.</summary>
    private const int InsertionSortLength = 24;

    /// <summary>
    /// Fills <paramref name="order"/> with the documents by descending <paramref name="values"/>, equal values in
    /// ascending document order (CatBoost's StableSort by descending noisy value), exactly. Values must not be NaN.
    /// </summary>
    /// <remarks>
    /// The pair loop's hot spot, so no comparison sort: each value's order-preserving 64-bit pattern (reversed, so
    /// that larger values come first) is reduced to a 24-bit key, (pattern - smallest pattern) shifted right until the
    /// spread fits in 24 bits, which keeps the order except that close values may share a key. Three stable 8-bit
    /// radix passes order the keys; a run of equal keys (values within about 2^-24 of the spread of the bit patterns,
    /// in practice a relative gap below 1e-5 between two noisy values) is then put in exact order by an insertion sort
    /// on the values themselves, which keeps equal values in document order. Short lists are insertion-sorted.
    /// </remarks>
    internal static void SortDescendingStable(ReadOnlySpan<double> values, SortBuffers buffers, Span<int> order)
    {
        int n = values.Length;
        if (n < InsertionSortLength)
        {
            for (int i = 0; i < n; i++)
                order[i] = i;
            InsertionSortRun(values, order, 0, n);
            return;
        }
        const ulong signBit = 1UL << 63;
        ulong[] patterns = buffers.Patterns;
        ulong smallest = ulong.MaxValue, largest = 0;
        for (int i = 0; i < n; i++)
        {
            // + 0.0 turns -0.0 into +0.0, which compare equal as doubles.
            ulong bits = (ulong)BitConverter.DoubleToInt64Bits(values[i] + 0.0);
            ulong descending = (bits & signBit) == 0 ? ~(bits | signBit) : bits;
            patterns[i] = descending;
            smallest = Math.Min(smallest, descending);
            largest = Math.Max(largest, descending);
        }
        ulong spread = largest - smallest;
        int shift = Math.Max(0, 64 - System.Numerics.BitOperations.LeadingZeroCount(spread) - 24);

        uint[] keys = buffers.Keys, otherKeys = buffers.OtherKeys;
        int[] docs = buffers.Documents, otherDocs = buffers.OtherDocuments;
        int[] counts = buffers.Counts;
        Array.Clear(counts);
        for (int i = 0; i < n; i++)
        {
            uint key = (uint)((patterns[i] - smallest) >> shift);
            keys[i] = key;
            docs[i] = i;
            counts[key & 0xFF]++;
            counts[256 + ((key >> 8) & 0xFF)]++;
            counts[512 + (key >> 16)]++;
        }
        for (int pass = 0; pass < 3; pass++)
        {
            int offset = pass * 256, digitShift = pass * 8;
            if (counts[offset + (int)((keys[0] >> digitShift) & 0xFF)] == n)
                continue; // every key has the same digit: the pass would not move anything
            int sum = 0;
            for (int d = 0; d < 256; d++)
            {
                int c = counts[offset + d];
                counts[offset + d] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++)
            {
                uint key = keys[i];
                int slot = counts[offset + (int)((key >> digitShift) & 0xFF)]++;
                otherKeys[slot] = key;
                otherDocs[slot] = docs[i];
            }
            (keys, otherKeys) = (otherKeys, keys);
            (docs, otherDocs) = (otherDocs, docs);
        }

        for (int i = 0; i < n;)
        {
            uint key = keys[i];
            order[i] = docs[i];
            int j = i + 1;
            for (; j < n && keys[j] == key; j++)
                order[j] = docs[j];
            if (j - i > 1)
                InsertionSortRun(values, order, i, j);
            i = j;
        }
    }

    /// <summary>Sorts order[start..end) by descending value; equal values keep their relative order.</summary>
    private static void InsertionSortRun(ReadOnlySpan<double> values, Span<int> order, int start, int end)
    {
        for (int k = start + 1; k < end; k++)
        {
            int doc = order[k];
            double v = values[doc] + 0.0;
            int p = k - 1;
            while (p >= start && values[order[p]] < v)
            {
                order[p + 1] = order[p];
                p--;
            }
            order[p + 1] = doc;
        }
    }

    /// <summary>Per-thread buffers of <see cref="SortDescendingStable"/>.</summary>
    internal sealed class SortBuffers(int capacity)
    {
        /// <summary>Order-preserving bit patterns.</summary>
        public ulong[] Patterns { get; } = new ulong[capacity];

        /// <summary>24-bit keys.</summary>
        public uint[] Keys { get; } = new uint[capacity];

        /// <summary>Keys after a radix pass.</summary>
        public uint[] OtherKeys { get; } = new uint[capacity];

        /// <summary>Documents in key order.</summary>
        public int[] Documents { get; } = new int[capacity];

        /// <summary>Documents after a radix pass.</summary>
        public int[] OtherDocuments { get; } = new int[capacity];

        /// <summary>Digit counts of the three passes.</summary>
        public int[] Counts { get; } = new int[3 * 256];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddPair<TSink>(int a, float la, int b, float lb, double weight, ref TSink sink) where TSink : struct, IPairSink
    {
        if (la > lb)
            sink.Add(a, b, weight);
        else if (la < lb)
            sink.Add(b, a, weight);
    }

    /// <summary>CatBoost's CalcWeightsClassic: adjacent pairs, 0.15 decay^t |l_a - l_b|.</summary>
    private void WeighClassic<TSink>(ReadOnlySpan<int> order, ReadOnlySpan<float> labels, double scale, ref TSink sink) where TSink : struct, IPairSink
    {
        double coefficient = ClassicWeight * scale;
        double decay = _decay;
        int previous = order[0];
        float previousLabel = labels[previous];
        for (int t = 1; t < order.Length; t++)
        {
            int current = order[t];
            float label = labels[current];
            if (label != previousLabel)
                AddPair(previous, previousLabel, current, label, coefficient * Math.Abs((double)previousLabel - label), ref sink);
            coefficient *= decay;
            previous = current;
            previousLabel = label;
        }
    }

    /// <summary>Last 1-based neighbour position of position <paramref name="t"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Bound(int t, int n) => _neighbors == -1 ? n : (int)Math.Min(n, (long)t + _neighbors);

    /// <summary>CatBoost's CalcWeightsDCG: |ΔDCG| of swapping positions t and u, times coef (1 or 1/IDCG).</summary>
    private void WeighDcg<TSink>(ReadOnlySpan<int> order, ReadOnlySpan<float> labels, ReadOnlySpan<double> gains, double coefficient,
        ref TSink sink) where TSink : struct, IPairSink
    {
        int n = order.Length;
        int top = Math.Min(_top, n);
        double[] discount = _discount;
        for (int t = 1; t <= top; t++)
        {
            int a = order[t - 1];
            float la = labels[a];
            double ga = gains[a];
            double da = discount[t - 1];
            int bound = Bound(t, n);
            for (int u = t + 1; u <= bound; u++)
            {
                int b = order[u - 1];
                float lb = labels[b];
                if (la == lb)
                    continue;
                AddPair(a, la, b, lb, coefficient * Math.Abs(ga - gains[b]) * Math.Abs(da - discount[u - 1]), ref sink);
            }
        }
    }

    /// <summary>CatBoost's CalcWeightsMRR: pairs with exactly one relevant (label &gt; 0) document, weight 1/t - 1/u,
    /// from the top down to the first relevant document.</summary>
    private void WeighMrr<TSink>(ReadOnlySpan<int> order, ReadOnlySpan<float> labels, double scale, ref TSink sink) where TSink : struct, IPairSink
    {
        int n = order.Length;
        int top = Math.Min(_top, n);
        bool wasRelevant = false;
        for (int t = 1; t <= top && !wasRelevant; t++)
        {
            int a = order[t - 1];
            float la = labels[a];
            bool relevantA = la > 0;
            int bound = Bound(t, n);
            for (int u = t + 1; u <= bound; u++)
            {
                int b = order[u - 1];
                float lb = labels[b];
                if (relevantA != lb > 0)
                    AddPair(a, la, b, lb, scale * (1.0 / t - 1.0 / u), ref sink);
            }
            wasRelevant |= relevantA;
        }
    }

    /// <summary>CatBoost's CalcWeightsERR: |ΔERR| of swapping positions t and u, labels read as probabilities.</summary>
    private void WeighErr<TSink>(ReadOnlySpan<int> order, ReadOnlySpan<float> labels, double scale, ref TSink sink) where TSink : struct, IPairSink
    {
        int n = order.Length;
        int top = Math.Min(_top, n);
        double firstLook = 1.0;
        for (int t = 1; t <= top; t++)
        {
            int a = order[t - 1];
            float la = labels[a];
            double middleLook = 1.0;
            double middleRr = 0.0;
            int bound = Bound(t, n);
            for (int u = t + 1; u <= bound; u++)
            {
                int b = order[u - 1];
                float lb = labels[b];
                double firstDelta = ((double)la - lb) / t;
                double middleDelta = middleRr * ((double)lb - la);
                double secondDelta = middleLook * ((double)lb - la) / u;
                if (la != lb)
                    AddPair(a, la, b, lb, scale * Math.Abs(firstLook * (firstDelta + middleDelta + secondDelta)), ref sink);
                middleRr += middleLook * lb / u;
                middleLook *= 1 - (double)lb;
            }
            firstLook *= 1 - (double)la;
        }
    }

    /// <summary>CatBoost's CalcWeightsMAP: pairs with exactly one relevant document get the running sum of 1/position.</summary>
    private void WeighMap<TSink>(ReadOnlySpan<int> order, ReadOnlySpan<float> labels, double scale, ref TSink sink) where TSink : struct, IPairSink
    {
        int n = order.Length;
        int top = Math.Min(_top, n);
        for (int t = 1; t <= top; t++)
        {
            int a = order[t - 1];
            float la = labels[a];
            bool relevantA = la > 0;
            double sumRr = 1.0 / t;
            int bound = Bound(t, n);
            for (int u = t + 1; u <= bound; u++)
            {
                int b = order[u - 1];
                float lb = labels[b];
                bool relevantB = lb > 0;
                if (relevantA != relevantB)
                    AddPair(a, la, b, lb, scale * sumRr, ref sink);
                if (relevantB)
                    sumRr += 1.0 / u;
            }
        }
    }

    /// <summary>Receives the weighted pairs of one query (document indices within the query).</summary>
    private protected interface IPairSink
    {
        /// <summary>Called before the first pair of a query of <paramref name="n"/> documents.</summary>
        void BeginQuery(int n);

        /// <summary>One pair contribution: <paramref name="winner"/> has the larger label.</summary>
        void Add(int winner, int loser, double weight);
    }

    /// <summary>The probability PairLogit gives the loser: sigmoid(s_loser - s_winner).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected static double LoserProbability(YetiRankScratch s, int winner, int loser)
    {
        if (!s.LogSpace)
        {
            double el = s.Exp[loser];
            return el / (s.Exp[winner] + el);
        }
        return StableMath.Sigmoid(s.Shifted[loser] - s.Shifted[winner]);
    }

    /// <summary>PairLogit gradients and hessians into the scratch's double buffers.</summary>
    private readonly struct GradientSink(YetiRankScratch scratch) : IPairSink
    {
        private readonly YetiRankScratch _s = scratch;

        public void BeginQuery(int n)
        {
            _s.Gradient.AsSpan(0, n).Clear();
            _s.Hessian.AsSpan(0, n).Clear();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(int winner, int loser, double weight)
        {
            double p = LoserProbability(_s, winner, loser);
            double wp = weight * p;
            double[] g = _s.Gradient, h = _s.Hessian;
            g[winner] -= wp;
            g[loser] += wp;
            double hessian = wp * (1 - p);
            h[winner] += hessian;
            h[loser] += hessian;
        }
    }

    /// <summary>Dense n x n pair weights (tests).</summary>
    private readonly struct MatrixSink(double[] weights, int n) : IPairSink
    {
        public double[] Weights { get; } = weights;

        public void BeginQuery(int count)
        {
        }

        public void Add(int winner, int loser, double weight) => Weights[winner * n + loser] += weight;
    }

    /// <summary>Per-thread buffers of the YetiRank objectives.</summary>
    private protected sealed class YetiRankScratch(int capacity) : QueryScratch(capacity)
    {
        /// <summary>The noisy values of one permutation (or their logarithms).</summary>
        public double[] Noisy { get; } = new double[capacity];

        /// <summary>Buffers of the permutation sort.</summary>
        public SortBuffers Sort { get; } = new SortBuffers(capacity);

        /// <summary>Scores minus the query's largest score.</summary>
        public double[] Shifted { get; } = new double[capacity];

        /// <summary>exp of <see cref="Shifted"/>.</summary>
        public double[] Exp { get; } = new double[capacity];

        /// <summary>The uniforms of one permutation.</summary>
        public double[] Uniforms { get; } = new double[capacity];

        /// <summary>Gradient accumulators.</summary>
        public double[] Gradient { get; } = new double[capacity];

        /// <summary>Hessian accumulators.</summary>
        public double[] Hessian { get; } = new double[capacity];

        /// <summary>Each document's leaf (pairwise variant).</summary>
        public int[] Leaves { get; } = new int[capacity];

        /// <summary>True when the query's scores span more than 500: keys and probabilities in log space.</summary>
        public bool LogSpace { get; set; }
    }
}
