using System.Diagnostics.CodeAnalysis;
using System.Buffers;

namespace MLNetExt.Ranking;

/// <summary>A ranking measure that <see cref="RankingMeasures.Mean(RankingMeasure, ReadOnlyMemory{float}, ReadOnlyMemory{double}, ReadOnlyMemory{int}, int, RankingMetricOptions?, ReadOnlyMemory{double}, Span{double}, int)"/> averages over queries.</summary>
public enum RankingMeasure
{
    /// <summary>DCG@k.</summary>
    Dcg,

    /// <summary>NDCG@k (DCG@k / ideal DCG@k).</summary>
    Ndcg,

    /// <summary>Average precision at k; its mean is MAP@k.</summary>
    AveragePrecision,

    /// <summary>Reciprocal rank of the first relevant document within the top k; its mean is MRR@k.</summary>
    ReciprocalRank,

    /// <summary>Expected reciprocal rank at k (Chapelle et al. 2009).</summary>
    ExpectedReciprocalRank,
}

/// <summary>
/// Ranking measures of one query (a list of documents with relevance labels and model scores) as plain functions over
/// spans, and their mean over many queries. They are the arithmetic of <c>EvaluateRanking</c> and are meant for training
/// loops too (early stopping): after the first call on a thread they allocate nothing, and the mean over queries is
/// the same whatever the number of threads.
/// </summary>
/// <remarks>
/// <para>Conventions (each one a property of <see cref="RankingMetricOptions"/>; defaults first):</para>
/// <list type="bullet">
/// <item>Ranks are 1-based: rank 1 is the highest score. Documents are ordered by score, highest first, with a stable
/// index sort; equal scores follow <see cref="RankingMetricOptions.TieRule"/>: input order (stable, LightGBM), lowest
/// label first (pessimistic, ML.NET), highest label first (optimistic), or the expectation over random orders within
/// each tie group (averaged, McSherry and Najork 2008; scikit-learn's <c>ndcg_score</c>).</item>
/// <item><c>DCG@k = sum over ranks r &lt;= min(k, n) of G(l_r) D(r)</c> with gain <c>G(l) = 2^l - 1</c> (or <c>l</c>, or a
/// table indexed by label) and discount <c>D(r) = 1 / log2(r + 1)</c> (or <c>1 / ln(r + 1)</c> as ML.NET). k is capped at
/// the list length n.</item>
/// <item><c>NDCG@k = DCG@k / IDCG@k</c>, where IDCG@k is the DCG@k of the documents in decreasing gain. When IDCG@k is
/// 0 (every gain is 0) NDCG is 1 (LightGBM), 0 (ML.NET, scikit-learn) or NaN and left out of means
/// (<see cref="RankingMetricOptions.IdcgZeroPolicy"/>).</item>
/// <item>Average precision at k: <c>sum over relevant documents at rank r &lt;= k of (relevant in the top r) / r</c>,
/// divided by <c>min(R, min(k, n))</c> with R the relevant documents in the whole list (LightGBM's <c>map</c>). A list
/// without relevant documents follows the IDCG = 0 policy. Relevant means label &gt; 0, or label &gt;= t with
/// <see cref="RankingMetricOptions.RelevanceThreshold"/> = t.</item>
/// <item>Reciprocal rank at k: 1 / (rank of the first relevant document) if that rank is &lt;= k, else 0; 0 for a list
/// without relevant documents (allRank's <c>mrr</c>).</item>
/// <item>ERR at k (Chapelle et al. 2009): <c>sum over r &lt;= k of (1/r) R_r prod_{j&lt;r} (1 - R_j)</c> with
/// <c>R = (2^l - 1) / 2^L</c>; L is <see cref="RankingMetricOptions.ErrMaximumLabel"/>, or the largest label (of the
/// query for a one-query call, of all queries for <c>Mean</c>). ERR uses this gain whatever
/// <see cref="RankingMetricOptions.Gain"/> says.</item>
/// <item>Labels must be finite and &gt;= 0 (fractional labels are allowed except with a gain table); scores must not be
/// NaN (infinities are ordered as usual). Violations throw <see cref="ArgumentException"/> naming the index and value.
/// <c>EvaluateRanking</c>, unlike these functions, skips rows whose score is NaN and counts them, as ML.NET does.</item>
/// <item><c>Mean</c> weights each query by its query weight (1 when none are given) and leaves out queries whose value
/// is NaN under <see cref="IdcgZeroPolicy.Exclude"/>.</item>
/// </list>
/// <para>Cost: one O(n log n) sort by score (and one of the gains for NDCG). The averaged rule adds, per tie group of m
/// documents with d distinct labels, O(m) for DCG and average precision and O(d m min(m, k)) for reciprocal rank and ERR.</para>
/// <para>A hand-checkable example: labels [3, 2, 0] with scores [0.1, 0.9, 0.5] rank the documents 2, 3, 1 (labels 2, 0, 3).
/// With gains 7, 3, 0 for labels 3, 2, 0, <c>DCG@3 = 3/log2(2) + 0/log2(3) + 7/log2(4) = 3 + 3.5 = 6.5</c>,
/// <c>IDCG@3 = 7 + 3/log2(3) = 8.8928</c>, so <c>NDCG@3 = 0.7309</c> and <c>NDCG@1 = 3/7 = 0.4286</c>. Both documents with
/// label &gt; 0 are relevant: average precision = (1/1 + 2/3) / 2 = 0.8333, reciprocal rank = 1.</para>
/// <code>
/// double ndcg3 = RankingMeasures.Ndcg([3f, 2f, 0f], [0.1, 0.9, 0.5], k: 3);                  // 0.7309
/// double mlnet = RankingMeasures.Ndcg(labels, scores, 10, RankingMetricOptions.MLNet);      // ML.NET's conventions
/// double map = RankingMeasures.Mean(RankingMeasure.AveragePrecision, labels, scores, offsets, k: 10);
/// </code>
/// </remarks>
public static class RankingMeasures
{
    /// <summary>DCG@k of one query.</summary>
    /// <param name="labels">Relevance label of each document: finite, &gt;= 0.</param>
    /// <param name="scores">Model score of each document (not NaN), as long as <paramref name="labels"/>.</param>
    /// <param name="k">The cut-off, &gt;= 1; capped at the list length.</param>
    /// <param name="options">Conventions; null for <see cref="RankingMetricOptions.Default"/>.</param>
    public static double Dcg(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, int k, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return DcgAt(labels, s, options, k);
    }

    /// <inheritdoc cref="Dcg(ReadOnlySpan{float}, ReadOnlySpan{double}, int, RankingMetricOptions?)"/>
    public static double Dcg(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, int k, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return DcgAt(labels, s, options, k);
    }

    /// <summary>
    /// NDCG@k of one query: DCG@k / ideal DCG@k; when the ideal DCG is 0, 1, 0 or NaN by
    /// <see cref="RankingMetricOptions.IdcgZeroPolicy"/>.
    /// </summary>
    /// <inheritdoc cref="Dcg(ReadOnlySpan{float}, ReadOnlySpan{double}, int, RankingMetricOptions?)"/>
    public static double Ndcg(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, int k, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return NdcgAt(labels, s, options, k);
    }

    /// <inheritdoc cref="Ndcg(ReadOnlySpan{float}, ReadOnlySpan{double}, int, RankingMetricOptions?)"/>
    public static double Ndcg(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, int k, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return NdcgAt(labels, s, options, k);
    }

    /// <summary>
    /// Average precision at k of one query (LightGBM's <c>map</c> normalisation: divided by min(relevant documents,
    /// min(k, n))). A query without relevant documents gives 1, 0 or NaN by <see cref="RankingMetricOptions.IdcgZeroPolicy"/>.
    /// </summary>
    /// <param name="labels">Relevance label of each document: finite, &gt;= 0.</param>
    /// <param name="scores">Model score of each document (not NaN).</param>
    /// <param name="k">The cut-off, &gt;= 1; the whole list by default.</param>
    /// <param name="options">Conventions; null for <see cref="RankingMetricOptions.Default"/>.</param>
    public static double AveragePrecision(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, int k = int.MaxValue, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return ApAt(labels, s, options, k);
    }

    /// <inheritdoc cref="AveragePrecision(ReadOnlySpan{float}, ReadOnlySpan{double}, int, RankingMetricOptions?)"/>
    public static double AveragePrecision(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, int k = int.MaxValue, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return ApAt(labels, s, options, k);
    }

    /// <summary>
    /// Reciprocal rank at k of one query: 1 / rank of the first relevant document if it is in the top k, else 0 (also 0
    /// without relevant documents). Under averaged ties, its expectation.
    /// </summary>
    /// <inheritdoc cref="AveragePrecision(ReadOnlySpan{float}, ReadOnlySpan{double}, int, RankingMetricOptions?)"/>
    public static double ReciprocalRank(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, int k = int.MaxValue, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return RrAt(labels, s, options, k);
    }

    /// <inheritdoc cref="ReciprocalRank(ReadOnlySpan{float}, ReadOnlySpan{double}, int, RankingMetricOptions?)"/>
    public static double ReciprocalRank(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, int k = int.MaxValue, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return RrAt(labels, s, options, k);
    }

    /// <summary>
    /// Expected reciprocal rank at k of one query (Chapelle et al. 2009), <c>R(l) = (2^l - 1) / 2^L</c> with L =
    /// <see cref="RankingMetricOptions.ErrMaximumLabel"/> or, when that is null, this query's largest label.
    /// </summary>
    /// <inheritdoc cref="AveragePrecision(ReadOnlySpan{float}, ReadOnlySpan{double}, int, RankingMetricOptions?)"/>
    public static double ExpectedReciprocalRank(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, int k = int.MaxValue, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return ErrAt(labels, s, options, k, RankingKernels.ErrMaximum(labels, options));
    }

    /// <inheritdoc cref="ExpectedReciprocalRank(ReadOnlySpan{float}, ReadOnlySpan{double}, int, RankingMetricOptions?)"/>
    public static double ExpectedReciprocalRank(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, int k = int.MaxValue, RankingMetricOptions? options = null)
    {
        var s = Ranked(labels, scores, k, ref options);
        return ErrAt(labels, s, options, k, RankingKernels.ErrMaximum(labels, options));
    }

    /// <summary>
    /// DCG of one query at every cut-off 1..K in one sort: <c>destination[k - 1] = DCG@k</c> for k = 1..destination.Length
    /// (cut-offs beyond the list length repeat the DCG of the whole list).
    /// </summary>
    /// <param name="labels">Relevance label of each document: finite, &gt;= 0.</param>
    /// <param name="scores">Model score of each document (not NaN).</param>
    /// <param name="destination">Receives DCG@1..DCG@K; at least one element.</param>
    /// <param name="options">Conventions; null for <see cref="RankingMetricOptions.Default"/>.</param>
    public static void DcgAtEachCutoff(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, Span<double> destination, RankingMetricOptions? options = null)
    {
        options = Prepare(labels, scores.Length, destination.Length, options, nameof(destination));
        RankingKernels.CheckScores(scores);
        var s = RankingScratch.ForCurrentThread(labels.Length);
        RankingKernels.Rank(labels, scores, options.TieRule, s.Keys.AsSpan(0, labels.Length), s.Order.AsSpan(0, labels.Length));
        RankingKernels.DcgCurve(labels, s.Order.AsSpan(0, labels.Length), s.Keys.AsSpan(0, labels.Length), options, destination);
    }

    /// <inheritdoc cref="DcgAtEachCutoff(ReadOnlySpan{float}, ReadOnlySpan{double}, Span{double}, RankingMetricOptions?)"/>
    public static void DcgAtEachCutoff(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, Span<double> destination, RankingMetricOptions? options = null)
    {
        options = Prepare(labels, scores.Length, destination.Length, options, nameof(destination));
        RankingKernels.CheckScores(scores);
        var s = RankingScratch.ForCurrentThread(labels.Length);
        RankingKernels.Rank(labels, scores, options.TieRule, s.Keys.AsSpan(0, labels.Length), s.Order.AsSpan(0, labels.Length));
        RankingKernels.DcgCurve(labels, s.Order.AsSpan(0, labels.Length), s.Keys.AsSpan(0, labels.Length), options, destination);
    }

    /// <summary>
    /// NDCG of one query at every cut-off 1..K in one sort: <c>destination[k - 1] = NDCG@k</c> for k = 1..destination.Length.
    /// When the ideal DCG is 0 every entry is 1, 0 or NaN by <see cref="RankingMetricOptions.IdcgZeroPolicy"/>.
    /// </summary>
    /// <param name="labels">Relevance label of each document: finite, &gt;= 0.</param>
    /// <param name="scores">Model score of each document (not NaN).</param>
    /// <param name="destination">Receives NDCG@1..NDCG@K; at least one element.</param>
    /// <param name="options">Conventions; null for <see cref="RankingMetricOptions.Default"/>.</param>
    public static void NdcgAtEachCutoff(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, Span<double> destination, RankingMetricOptions? options = null)
    {
        options = Prepare(labels, scores.Length, destination.Length, options, nameof(destination));
        RankingKernels.CheckScores(scores);
        var s = RankingScratch.ForCurrentThread(labels.Length);
        RankingKernels.Rank(labels, scores, options.TieRule, s.Keys.AsSpan(0, labels.Length), s.Order.AsSpan(0, labels.Length));
        NdcgCurve(labels, s, options, destination);
    }

    /// <inheritdoc cref="NdcgAtEachCutoff(ReadOnlySpan{float}, ReadOnlySpan{double}, Span{double}, RankingMetricOptions?)"/>
    public static void NdcgAtEachCutoff(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, Span<double> destination, RankingMetricOptions? options = null)
    {
        options = Prepare(labels, scores.Length, destination.Length, options, nameof(destination));
        RankingKernels.CheckScores(scores);
        var s = RankingScratch.ForCurrentThread(labels.Length);
        RankingKernels.Rank(labels, scores, options.TieRule, s.Keys.AsSpan(0, labels.Length), s.Order.AsSpan(0, labels.Length));
        NdcgCurve(labels, s, options, destination);
    }

    /// <summary>
    /// The weighted mean of a measure over many queries: query q is rows <c>[offsets[q], offsets[q + 1])</c> (half-open,
    /// like LightGBM's <c>query_boundaries</c>). Queries are scored in parallel when that pays; each query's value is
    /// computed the same way on any thread and the values are summed in query order, so the result does not depend on
    /// the number of threads.
    /// </summary>
    /// <param name="measure">What to average.</param>
    /// <param name="labels">Relevance labels of all rows: finite, &gt;= 0.</param>
    /// <param name="scores">Scores of all rows (not NaN), as long as <paramref name="labels"/>.</param>
    /// <param name="offsets">Query boundaries: Q + 1 strictly increasing values from 0 to the row count (every query non-empty).</param>
    /// <param name="k">The cut-off, &gt;= 1 (<c>int.MaxValue</c>: the whole list); capped at each list's length.</param>
    /// <param name="options">Conventions; null for <see cref="RankingMetricOptions.Default"/>. With ERR and no
    /// <see cref="RankingMetricOptions.ErrMaximumLabel"/>, L is the largest label over all queries.</param>
    /// <param name="queryWeights">One weight per query (finite, &gt;= 0), or empty for weight 1 each.</param>
    /// <param name="perQuery">Empty, or one slot per query to receive each query's value (NaN for an excluded query).</param>
    /// <param name="maxDegreeOfParallelism">-1 (default) for as many threads as pay, 1 for the calling thread only.</param>
    /// <returns><c>sum w_q m_q / sum w_q</c> over the queries whose value is not NaN; NaN when there are none or their
    /// weights sum to 0.</returns>
    public static double Mean(RankingMeasure measure, ReadOnlyMemory<float> labels, ReadOnlyMemory<double> scores, ReadOnlyMemory<int> offsets,
        int k, RankingMetricOptions? options = null, ReadOnlyMemory<double> queryWeights = default, Span<double> perQuery = default,
        int maxDegreeOfParallelism = -1)
    {
        var run = MeanRun.Create(measure, labels, scores.Length, offsets, k, options, queryWeights, perQuery, maxDegreeOfParallelism);
        RankingKernels.CheckScores(scores.Span);
        return run.Execute(perQuery, (q, range, o, s) =>
        {
            var l = labels.Span[range];
            var sc = scores.Span[range];
            RankingKernels.Rank(l, sc, o.TieRule, s.Keys.AsSpan(0, l.Length), s.Order.AsSpan(0, l.Length));
        });
    }

    /// <inheritdoc cref="Mean(RankingMeasure, ReadOnlyMemory{float}, ReadOnlyMemory{double}, ReadOnlyMemory{int}, int, RankingMetricOptions?, ReadOnlyMemory{double}, Span{double}, int)"/>
    public static double Mean(RankingMeasure measure, ReadOnlyMemory<float> labels, ReadOnlyMemory<float> scores, ReadOnlyMemory<int> offsets,
        int k, RankingMetricOptions? options = null, ReadOnlyMemory<double> queryWeights = default, Span<double> perQuery = default,
        int maxDegreeOfParallelism = -1)
    {
        var run = MeanRun.Create(measure, labels, scores.Length, offsets, k, options, queryWeights, perQuery, maxDegreeOfParallelism);
        RankingKernels.CheckScores(scores.Span);
        return run.Execute(perQuery, (q, range, o, s) =>
        {
            var l = labels.Span[range];
            var sc = scores.Span[range];
            RankingKernels.Rank(l, sc, o.TieRule, s.Keys.AsSpan(0, l.Length), s.Order.AsSpan(0, l.Length));
        });
    }

    // ---- shared steps -------------------------------------------------------------------------------------------

    /// <summary>Checks the inputs, resolves <paramref name="options"/> and sorts the query into this thread's scratch.</summary>
    private static RankingScratch Ranked(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, int k, [NotNull] ref RankingMetricOptions? options)
    {
        options = Prepare(labels, scores.Length, k, options);
        RankingKernels.CheckScores(scores);
        var s = RankingScratch.ForCurrentThread(labels.Length);
        RankingKernels.Rank(labels, scores, options.TieRule, s.Keys.AsSpan(0, labels.Length), s.Order.AsSpan(0, labels.Length));
        return s;
    }

    /// <inheritdoc cref="Ranked(ReadOnlySpan{float}, ReadOnlySpan{double}, int, ref RankingMetricOptions?)"/>
    private static RankingScratch Ranked(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, int k, [NotNull] ref RankingMetricOptions? options)
    {
        options = Prepare(labels, scores.Length, k, options);
        RankingKernels.CheckScores(scores);
        var s = RankingScratch.ForCurrentThread(labels.Length);
        RankingKernels.Rank(labels, scores, options.TieRule, s.Keys.AsSpan(0, labels.Length), s.Order.AsSpan(0, labels.Length));
        return s;
    }

    private static RankingMetricOptions Prepare(ReadOnlySpan<float> labels, int scoreCount, int k, RankingMetricOptions? options,
        string cutoffName = "k")
    {
        options ??= RankingMetricOptions.Default;
        if (k < 1)
        {
            throw cutoffName == "k"
                ? new ArgumentOutOfRangeException(cutoffName, $"The cut-off k must be at least 1; got {k}.")
                : new ArgumentException("The destination must have at least one element (it receives the measure at cut-offs 1..destination.Length).", cutoffName);
        }
        RankingKernels.Validate(labels, scoreCount, options);
        return options;
    }

    internal static double DcgAt(ReadOnlySpan<float> labels, RankingScratch s, RankingMetricOptions options, int k)
    {
        int n = labels.Length;
        if (n == 0)
            return 0;
        int limit = Math.Min(k, n);
        if (options.TieRule != RankingTieRule.Averaged)
        {
            var discount = Discounts.Table(options.Discount, limit);
            var gain = options.Gain;
            var order = s.Order;
            double sum = 0;
            for (int p = 0; p < limit; p++)
                sum += gain.Of(labels[order[p]]) * discount[p];
            return sum;
        }
        var curve = s.Work.AsSpan(0, limit);
        RankingKernels.DcgCurve(labels, s.Order.AsSpan(0, n), s.Keys.AsSpan(0, n), options, curve);
        return curve[limit - 1];
    }

    internal static double NdcgAt(ReadOnlySpan<float> labels, RankingScratch s, RankingMetricOptions options, int k)
    {
        double idcg = RankingKernels.IdealDcg(labels, options, k, s.Values);
        if (!(idcg > 0))
            return RankingKernels.Undefined(options.IdcgZeroPolicy);
        return DcgAt(labels, s, options, k) / idcg;
    }

    private static void NdcgCurve(ReadOnlySpan<float> labels, RankingScratch s, RankingMetricOptions options, Span<double> destination)
    {
        int n = labels.Length;
        RankingKernels.DcgCurve(labels, s.Order.AsSpan(0, n), s.Keys.AsSpan(0, n), options, destination);
        // The ideal curve is flat beyond the list length: compute it up to min(K, n) only.
        int limit = Math.Min(destination.Length, n);
        var idcg = s.Work.AsSpan(0, limit);
        RankingKernels.IdealDcgCurve(labels, options, s.Values, idcg);
        for (int p = 0; p < destination.Length; p++)
            destination[p] = RankingKernels.Normalize(destination[p], limit == 0 ? 0 : idcg[Math.Min(p, limit - 1)], options.IdcgZeroPolicy);
    }

    internal static double ApAt(ReadOnlySpan<float> labels, RankingScratch s, RankingMetricOptions options, int k)
    {
        int n = labels.Length;
        double ap = RankingKernels.AveragePrecision(labels, s.Order.AsSpan(0, n), s.Keys.AsSpan(0, n), options, k);
        return double.IsNaN(ap) ? RankingKernels.Undefined(options.IdcgZeroPolicy) : ap;
    }

    internal static double RrAt(ReadOnlySpan<float> labels, RankingScratch s, RankingMetricOptions options, int k)
    {
        int n = labels.Length;
        var stop = s.Values.AsSpan(0, n);
        RankingKernels.RelevanceStopProbabilities(labels, options, stop);
        return RankingKernels.Cascade(stop, s.Order.AsSpan(0, n), s.Keys.AsSpan(0, n), options.TieRule == RankingTieRule.Averaged, k, s.Work);
    }

    internal static double ErrAt(ReadOnlySpan<float> labels, RankingScratch s, RankingMetricOptions options, int k, double maximumLabel)
    {
        int n = labels.Length;
        var stop = s.Values.AsSpan(0, n);
        RankingKernels.ErrStopProbabilities(labels, maximumLabel, stop);
        return RankingKernels.Cascade(stop, s.Order.AsSpan(0, n), s.Keys.AsSpan(0, n), options.TieRule == RankingTieRule.Averaged, k, s.Work);
    }

    /// <summary>One call of <c>Mean</c>: validated inputs, the per-query loop (parallel in chunks) and the ordered sum.</summary>
    private sealed class MeanRun
    {
        /// <summary>Rows per parallel work item, roughly; below twice this the loop runs on the calling thread.</summary>
        private const int RowsPerChunk = 16_384;

        private RankingMeasure _measure;
        private ReadOnlyMemory<float> _labels;
        private ReadOnlyMemory<int> _offsets;
        private ReadOnlyMemory<double> _weights;
        private int _k;
        private RankingMetricOptions _options = RankingMetricOptions.Default;
        private double _errMaximum;
        private int _maxDegree;

        public delegate void RankQuery(int query, Range rows, RankingMetricOptions options, RankingScratch scratch);

        public static MeanRun Create(RankingMeasure measure, ReadOnlyMemory<float> labels, int scoreCount, ReadOnlyMemory<int> offsets, int k,
            RankingMetricOptions? options, ReadOnlyMemory<double> queryWeights, Span<double> perQuery, int maxDegreeOfParallelism)
        {
            Guard.Argument(Enum.IsDefined(measure), nameof(measure), $"Unknown ranking measure {(int)measure}.");
            if (k < 1)
                throw new ArgumentOutOfRangeException(nameof(k), $"The cut-off k must be at least 1; got {k}.");
            Guard.Argument(maxDegreeOfParallelism == -1 || maxDegreeOfParallelism >= 1, nameof(maxDegreeOfParallelism),
                $"maxDegreeOfParallelism must be -1 (automatic) or at least 1; got {maxDegreeOfParallelism}.");
            options ??= RankingMetricOptions.Default;
            var l = labels.Span;
            if (l.Length != scoreCount)
                throw new ArgumentException($"labels has {l.Length} values and scores has {scoreCount}; they must have one per row.", "scores");
            var o = offsets.Span;
            Guard.Argument(o.Length >= 2, nameof(offsets), $"offsets must hold at least two values (0 and the row count); got {o.Length}.");
            Guard.Argument(o[0] == 0, nameof(offsets), $"offsets[0] must be 0; got {o[0]}.");
            Guard.Argument(o[^1] == l.Length, nameof(offsets), $"The last offset must be the row count {l.Length}; got {o[^1]}.");
            int queries = o.Length - 1;
            for (int q = 0; q < queries; q++)
            {
                if (o[q + 1] <= o[q])
                    throw new ArgumentException($"offsets must increase strictly (every query non-empty); query {q} is rows [{o[q]}, {o[q + 1]}).", nameof(offsets));
            }
            var w = queryWeights.Span;
            if (!w.IsEmpty)
            {
                Guard.Argument(w.Length == queries, nameof(queryWeights), $"queryWeights has {w.Length} values for {queries} queries.");
                for (int q = 0; q < queries; q++)
                {
                    if (!(w[q] >= 0 && double.IsFinite(w[q])))
                        throw new ArgumentException($"queryWeights[{q}] is {RankingKernels.Format(w[q])}; query weights must be finite and >= 0.", nameof(queryWeights));
                }
            }
            Guard.Argument(perQuery.IsEmpty || perQuery.Length == queries, nameof(perQuery),
                $"perQuery must be empty or have one slot per query ({queries}); got {perQuery.Length}.");
            for (int q = 0; q < queries; q++)
                RankingKernels.Validate(l[o[q]..o[q + 1]], o[q + 1] - o[q], options, o[q], q);
            return new MeanRun
            {
                _measure = measure,
                _labels = labels,
                _offsets = offsets,
                _weights = queryWeights,
                _k = k,
                _options = options,
                _errMaximum = measure == RankingMeasure.ExpectedReciprocalRank ? RankingKernels.ErrMaximum(l, options) : 0,
                _maxDegree = maxDegreeOfParallelism,
            };
        }

        public double Execute(Span<double> perQuery, RankQuery rank)
        {
            var o = _offsets.Span;
            int queries = o.Length - 1;
            int rows = o[^1];
            double[] values = ArrayPool<double>.Shared.Rent(queries);
            try
            {
                int threads = _maxDegree == -1 ? Environment.ProcessorCount : _maxDegree;
                int chunks = Math.Min(queries, Math.Max(1, rows / RowsPerChunk));
                if (threads <= 1 || chunks <= 1)
                {
                    Score(0, queries, values, rank);
                }
                else
                {
                    // Chunk c is queries [c Q / C, (c + 1) Q / C): each value lands in its own slot, whoever computes it.
                    var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
                    Parallel.For(0, chunks, parallel, c =>
                        Score((int)((long)c * queries / chunks), (int)((long)(c + 1) * queries / chunks), values, rank));
                }
                var w = _weights.Span;
                double sum = 0;
                double weightSum = 0;
                for (int q = 0; q < queries; q++)
                {
                    double v = values[q];
                    if (double.IsNaN(v))
                        continue;
                    double weight = w.IsEmpty ? 1 : w[q];
                    sum += weight * v;
                    weightSum += weight;
                }
                if (!perQuery.IsEmpty)
                    values.AsSpan(0, queries).CopyTo(perQuery);
                return weightSum > 0 ? sum / weightSum : double.NaN;
            }
            finally
            {
                ArrayPool<double>.Shared.Return(values);
            }
        }

        private void Score(int first, int end, double[] values, RankQuery rank)
        {
            var o = _offsets.Span;
            var labels = _labels.Span;
            for (int q = first; q < end; q++)
            {
                var range = o[q]..o[q + 1];
                var l = labels[range];
                var s = RankingScratch.ForCurrentThread(l.Length);
                rank(q, range, _options, s);
                values[q] = _measure switch
                {
                    RankingMeasure.Dcg => DcgAt(l, s, _options, _k),
                    RankingMeasure.Ndcg => NdcgAt(l, s, _options, _k),
                    RankingMeasure.AveragePrecision => ApAt(l, s, _options, _k),
                    RankingMeasure.ReciprocalRank => RrAt(l, s, _options, _k),
                    _ => ErrAt(l, s, _options, _k, _errMaximum),
                };
            }
        }
    }
}
