using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MLNetExt.Ranking.Engine;

namespace MLNetExt.Ranking.Objectives;

/// <summary>How <see cref="LambdaMartObjective"/> evaluates the logistic function of a score difference.</summary>
internal enum SigmoidEvaluation
{
    /// <summary>
    /// LightGBM's lookup table (2^20 entries over [-25/sigma, 25/sigma], clamped outside). Default: with it, training
    /// through our loop reproduces native <c>objective=lambdarank</c> bit for bit.
    /// </summary>
    LookupTable,

    /// <summary>1 / (1 + exp(sigma * d)) computed exactly (the spec's §8.2 oracles use it; differs from the table
    /// by up to ~1e-5 relative).</summary>
    Exact,
}

/// <summary>Settings of <see cref="LambdaMartObjective"/>; defaults are LightGBM's lambdarank defaults (config.h 4.6.0).</summary>
internal sealed record LambdaMartSettings
{
    /// <summary>Steepness of the pairwise logistic [sigmoid]. Range (0, inf). Default 1.</summary>
    public double Sigma { get; init; } = 1.0;

    /// <summary>Pairs are formed only with a document in the first this-many positions of the current ranking, and the
    /// ideal DCG is taken at this depth [lambdarank_truncation_level]. Range [1, inf). Default 30.</summary>
    public int TruncationLevel { get; init; } = 30;

    /// <summary>Divide |ΔNDCG| by (0.01 + |Δscore|) and rescale each query's lambdas by log2(1 + S)/S
    /// [lambdarank_norm]. Default true.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>
    /// Gain of each integer label (index = label) [label_gain]. Null (default): gain = 2^label - 1 evaluated on the
    /// label itself, which equals LightGBM's default table for integer labels and extends it to fractional grades
    /// (2^2.5 - 1 for a grade of 2.5). With a table, labels must be integers in [0, table length).
    /// </summary>
    public IReadOnlyList<double>? LabelGains { get; init; }

    /// <summary>Sigmoid evaluation. Default <see cref="SigmoidEvaluation.LookupTable"/> (LightGBM's).</summary>
    public SigmoidEvaluation Sigmoid { get; init; } = SigmoidEvaluation.LookupTable;

    /// <summary>Checks every setting; throws <see cref="ArgumentOutOfRangeException"/> naming it.</summary>
    public void Validate()
    {
        Guard.Option(Sigma > 0 && double.IsFinite(Sigma), nameof(Sigma), $"must be positive and finite; got {Sigma}.");
        Guard.Option(TruncationLevel >= 1, nameof(TruncationLevel), $"must be at least 1; got {TruncationLevel}.");
        if (LabelGains is { } gains)
        {
            Guard.Option(gains.Count >= 1, nameof(LabelGains), "must have at least one entry when set.");
            for (int i = 0; i < gains.Count; i++)
                Guard.Option(double.IsFinite(gains[i]), nameof(LabelGains), $"must be finite; entry {i} is {gains[i]}.");
        }
    }
}

/// <summary>
/// LambdaMART for NDCG, computed as LightGBM's <c>lambdarank</c> objective computes it
/// (<c>src/objective/rank_objective.hpp</c>, <c>LambdarankNDCG</c>, LightGBM 4.6.0; spec ranking.md §3.1).
/// </summary>
/// <remarks>
/// <para>Per query, documents are ordered by score (stable: ties keep row order). Every pair (i, j) with i among the
/// first <see cref="LambdaMartSettings.TruncationLevel"/> positions and j after it, with different labels, adds
/// lambda = -sigma |ΔNDCG| p and hessian sigma² |ΔNDCG| p (1 - p), p = 1/(1 + exp(sigma (s_high - s_low))), to
/// both documents (with opposite signs for lambda), where |ΔNDCG| = (gain_high - gain_low) |D(r_high) - D(r_low)| /
/// IDCG@truncation, D(r) = 1/log2(2 + r). With normalisation, |ΔNDCG| is divided by (0.01 + |s_high - s_low|) unless
/// all scores of the query are equal, and the query's lambdas and hessians are scaled by log2(1 + S)/S, S the sum
/// of |2 lambda|. A query whose ideal DCG is 0 (all gains 0) or that has one document gets zero gradients.</para>
/// <para>For bit parity with LightGBM the arithmetic follows the C++ exactly: the same float literal 0.01f, gradients
/// accumulated in float, the same sigmoid table (<see cref="SigmoidEvaluation.LookupTable"/>).</para>
/// <para>Labels: finite, non-negative relevance grades; see <see cref="LambdaMartSettings.LabelGains"/> for the gain
/// of fractional grades.</para>
/// </remarks>
internal sealed class LambdaMartObjective : QueryObjective
{
    private const int SigmoidBins = 1024 * 1024;

    private readonly LambdaMartSettings _settings;
    private readonly double _sigma;
    private readonly int _truncation;
    private readonly bool _normalize;
    private double[] _gains = [];
    private double[] _inverseMaxDcg = [];
    private double[] _discount = [];
    private double[] _sigmoidTable = [];
    private double _minSigmoidInput;
    private double _maxSigmoidInput;
    private double _sigmoidIndexFactor;

    /// <summary>Creates the objective; <paramref name="settings"/> null means LightGBM's defaults.</summary>
    public LambdaMartObjective(LambdaMartSettings? settings = null)
    {
        _settings = settings ?? new LambdaMartSettings();
        _settings.Validate();
        _sigma = _settings.Sigma;
        _truncation = _settings.TruncationLevel;
        _normalize = _settings.Normalize;
    }

    /// <inheritdoc/>
    public override string Name => "lambdarank";

    /// <inheritdoc/>
    protected override void OnInitialize(RankingObjectiveData data)
    {
        var groups = data.Groups;
        _gains = new double[groups.RowCount];
        var table = _settings.LabelGains;
        for (int i = 0; i < _gains.Length; i++)
        {
            float label = groups.Labels[i];
            if (table is null)
            {
                double gain = Math.Pow(2.0, label) - 1.0;
                if (!double.IsFinite(gain))
                    throw new InvalidOperationException($"Label at row {i} is {label}; its gain 2^label - 1 overflows (labels must be below 1024).");
                _gains[i] = gain;
            }
            else
            {
                if (label != MathF.Floor(label) || label >= table.Count)
                {
                    throw new InvalidOperationException(
                        $"Label at row {i} is {label}; with {nameof(LambdaMartSettings.LabelGains)} of {table.Count} entries labels must be integers in [0, {table.Count}).");
                }
                _gains[i] = table[(int)label];
            }
        }

        _discount = new double[Math.Max(groups.MaxGroupSize, 1)];
        for (int i = 0; i < _discount.Length; i++)
            _discount[i] = 1.0 / Math.Log2(2.0 + i);

        _inverseMaxDcg = new double[groups.GroupCount];
        var sorted = new double[groups.MaxGroupSize];
        for (int q = 0; q < groups.GroupCount; q++)
        {
            int start = groups.GroupOffsets[q];
            int n = groups.GroupOffsets[q + 1] - start;
            var g = sorted.AsSpan(0, n);
            _gains.AsSpan(start, n).CopyTo(g);
            g.Sort();
            g.Reverse();
            // LightGBM's CalMaxDCGAtK: the k largest gains in order, each times its discount, summed in double.
            double max = 0.0;
            int k = Math.Min(_truncation, n);
            for (int j = 0; j < k; j++)
                max += _discount[j] * g[j];
            _inverseMaxDcg[q] = max > 0.0 ? 1.0 / max : 0.0;
        }

        if (_settings.Sigmoid == SigmoidEvaluation.LookupTable)
            BuildSigmoidTable();
    }

    /// <summary>LightGBM's <c>ConstructSigmoidTable</c>.</summary>
    private void BuildSigmoidTable()
    {
        _minSigmoidInput = -50.0 / _sigma / 2;
        _maxSigmoidInput = -_minSigmoidInput;
        _sigmoidIndexFactor = SigmoidBins / (_maxSigmoidInput - _minSigmoidInput);
        _sigmoidTable = new double[SigmoidBins];
        for (int i = 0; i < SigmoidBins; i++)
        {
            double score = i / _sigmoidIndexFactor + _minSigmoidInput;
            _sigmoidTable[i] = 1.0f / (1.0f + Math.Exp(score * _sigma));
        }
    }

    /// <inheritdoc/>
    protected override void ComputeQuery(int iteration, int query, ReadOnlySpan<float> labels, ReadOnlySpan<double> score,
        Span<float> lambdas, Span<float> hessians, QueryScratch scratch)
    {
        var s = (LambdaScratch)scratch;
        int n = labels.Length;
        ComputeQueryCore(query, labels, score, lambdas, hessians, s, s.LambdaByRank.AsSpan(0, n), s.HessianByRank.AsSpan(0, n));
    }

    /// <inheritdoc/>
    protected override QueryScratch CreateScratch(int maxGroupSize) => new LambdaScratch(maxGroupSize);

    /// <summary>
    /// The same gradients accumulated in double instead of float, one query after another (no weights applied):
    /// for checking the formulas against float64 oracles. Training uses the float path, as LightGBM does.
    /// </summary>
    internal void ComputeInDouble(ReadOnlySpan<double> scores, Span<double> gradients, Span<double> hessians)
    {
        var scratch = new LambdaScratch(Data.Groups.MaxGroupSize);
        var lambdaByRank = new double[Data.Groups.MaxGroupSize];
        var hessianByRank = new double[Data.Groups.MaxGroupSize];
        var offsets = Data.GroupOffsets;
        for (int q = 0; q + 1 < offsets.Length; q++)
        {
            int start = offsets[q], n = offsets[q + 1] - start;
            ComputeQueryCore(q, Data.Labels.AsSpan(start, n), scores.Slice(start, n), gradients.Slice(start, n), hessians.Slice(start, n),
                scratch, lambdaByRank.AsSpan(0, n), hessianByRank.AsSpan(0, n));
        }
    }

    /// <summary>
    /// LightGBM's <c>LambdarankNDCG::GetGradientsForOneQuery</c>, accumulating in <typeparamref name="T"/>. The documents
    /// are first gathered in rank order (score, gain, label) so the pair loop reads contiguous memory; each document's
    /// lambda and hessian receive the same additions in the same order as in LightGBM, so the float sums are the same.
    /// </summary>
    private void ComputeQueryCore<T>(int query, ReadOnlySpan<float> labels, ReadOnlySpan<double> score, Span<T> lambdas, Span<T> hessians,
        LambdaScratch scratch, Span<T> lambdaByRank, Span<T> hessianByRank) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int cnt = labels.Length;
        lambdas.Clear();
        hessians.Clear();
        double inverseMaxDcg = _inverseMaxDcg[query];
        if (cnt <= 1 || inverseMaxDcg == 0.0)
            return; // every pair would add exactly zero (LightGBM computes the zeros)

        // Stable order by score, descending: sort (score, index) pairs with index as the tie-break.
        var keys = scratch.Keys.AsSpan(0, cnt);
        for (int i = 0; i < cnt; i++)
            keys[i] = new ScoreIndex(score[i], i);
        keys.Sort();
        var gains = _gains.AsSpan(Data.GroupOffsets[query], cnt);
        var sScore = scratch.Doubles.AsSpan(0, cnt);
        var sGain = scratch.Doubles2.AsSpan(0, cnt);
        var sLabel = scratch.Labels.AsSpan(0, cnt);
        var order = scratch.Order.AsSpan(0, cnt);
        for (int r = 0; r < cnt; r++)
        {
            int doc = keys[r].Index;
            order[r] = doc;
            sScore[r] = score[doc];
            sGain[r] = gains[doc];
            sLabel[r] = labels[doc];
        }
        lambdaByRank.Clear();
        hessianByRank.Clear();

        double bestScore = sScore[0];
        int worstIdx = cnt - 1;
        if (worstIdx > 0 && sScore[worstIdx] == double.NegativeInfinity)
            worstIdx--;
        double worstScore = sScore[worstIdx];
        bool scaleByScoreGap = _normalize && bestScore != worstScore;
        double sigma = _sigma;
        double minusSigma = -sigma;
        double sigmaSquared = sigma * sigma;
        double sumLambdas = 0.0;
        bool table = _sigmoidTable.Length > 0;
        double minInput = _minSigmoidInput, maxInput = _maxSigmoidInput, indexFactor = _sigmoidIndexFactor;

        // The pair loop reads through refs: every index is below cnt, the length of every buffer used here.
        ref double scoreRef = ref MemoryMarshal.GetReference(sScore);
        ref double gainRef = ref MemoryMarshal.GetReference(sGain);
        ref float labelRef = ref MemoryMarshal.GetReference(sLabel);
        ref double discountRef = ref MemoryMarshal.GetArrayDataReference(_discount);
        ref double tableRef = ref MemoryMarshal.GetArrayDataReference(_sigmoidTable);
        ref T lambdaRef = ref MemoryMarshal.GetReference(lambdaByRank);
        ref T hessianRef = ref MemoryMarshal.GetReference(hessianByRank);
        int last = Math.Min(cnt - 1, _truncation);
        for (int i = 0; i < last; i++)
        {
            double scoreI = Unsafe.Add(ref scoreRef, i);
            if (scoreI == double.NegativeInfinity)
                continue;
            float labelI = Unsafe.Add(ref labelRef, i);
            double gainI = Unsafe.Add(ref gainRef, i);
            double discountI = Unsafe.Add(ref discountRef, i);
            for (int j = i + 1; j < cnt; j++)
            {
                float labelJ = Unsafe.Add(ref labelRef, j);
                if (labelI == labelJ)
                    continue;
                double scoreJ = Unsafe.Add(ref scoreRef, j);
                if (scoreJ == double.NegativeInfinity)
                    continue;
                int highRank, lowRank;
                double deltaScore, dcgGap;
                if (labelI > labelJ)
                {
                    highRank = i; lowRank = j;
                    deltaScore = scoreI - scoreJ;
                    dcgGap = gainI - Unsafe.Add(ref gainRef, j);
                }
                else
                {
                    highRank = j; lowRank = i;
                    deltaScore = scoreJ - scoreI;
                    dcgGap = Unsafe.Add(ref gainRef, j) - gainI;
                }
                double pairedDiscount = Math.Abs(discountI - Unsafe.Add(ref discountRef, j));
                double deltaPairNdcg = dcgGap * pairedDiscount * inverseMaxDcg;
                if (scaleByScoreGap)
                    deltaPairNdcg /= 0.01f + Math.Abs(deltaScore);
                double pLambda;
                if (!table)
                    pLambda = 1.0 / (1.0 + Math.Exp(sigma * deltaScore));
                else if (deltaScore <= minInput)
                    pLambda = tableRef;
                else if (deltaScore >= maxInput)
                    pLambda = Unsafe.Add(ref tableRef, SigmoidBins - 1);
                else
                    pLambda = Unsafe.Add(ref tableRef, Math.Min((int)((deltaScore - minInput) * indexFactor), SigmoidBins - 1));
                double pHessian = pLambda * (1.0f - pLambda);
                pLambda *= minusSigma * deltaPairNdcg;
                pHessian *= sigmaSquared * deltaPairNdcg;
                T lambda = T.CreateTruncating(pLambda);
                T hessian = T.CreateTruncating(pHessian);
                Unsafe.Add(ref lambdaRef, lowRank) -= lambda;
                Unsafe.Add(ref hessianRef, lowRank) += hessian;
                Unsafe.Add(ref lambdaRef, highRank) += lambda;
                Unsafe.Add(ref hessianRef, highRank) += hessian;
                sumLambdas -= 2 * pLambda;
            }
        }
        if (_normalize && sumLambdas > 0)
        {
            double normFactor = Math.Log2(1 + sumLambdas) / sumLambdas;
            for (int r = 0; r < cnt; r++)
            {
                lambdas[order[r]] = T.CreateTruncating(double.CreateTruncating(lambdaByRank[r]) * normFactor);
                hessians[order[r]] = T.CreateTruncating(double.CreateTruncating(hessianByRank[r]) * normFactor);
            }
        }
        else
        {
            for (int r = 0; r < cnt; r++)
            {
                lambdas[order[r]] = lambdaByRank[r];
                hessians[order[r]] = hessianByRank[r];
            }
        }
    }

    /// <summary>A sort key: score descending, then position ascending (the order <c>std::stable_sort</c> gives with
    /// <c>score[a] &gt; score[b]</c>).</summary>
    private readonly struct ScoreIndex(double score, int index) : IComparable<ScoreIndex>
    {
        public readonly double Score = score;
        public readonly int Index = index;

        public int CompareTo(ScoreIndex other)
        {
            if (Score > other.Score)
                return -1;
            if (Score < other.Score)
                return 1;
            return Index.CompareTo(other.Index);
        }
    }

    /// <summary>Per-thread buffers of the objective.</summary>
    private sealed class LambdaScratch(int capacity) : QueryScratch(capacity)
    {
        public ScoreIndex[] Keys { get; } = new ScoreIndex[capacity];
        public float[] Labels { get; } = new float[capacity];
        public float[] LambdaByRank { get; } = new float[capacity];
        public float[] HessianByRank { get; } = new float[capacity];
    }
}
