using System.Globalization;
using System.Text;

namespace MLNetExt.Ranking;

/// <summary>
/// Ranking quality of scored data, as returned by <c>mlContext.Ranking.EvaluateRanking</c>: NDCG@k and DCG@k at each
/// cut-off, MAP, MRR and ERR, the per-query values, counts of the queries and rows that needed special handling, and
/// the options used. Means are over evaluated queries, weighted by query weight when a weight column was given.
/// </summary>
/// <remarks>Named differently from ML.NET's <c>Microsoft.ML.Data.RankingMetrics</c> so that both namespaces can be imported
/// in one file. <c>RankingMetricOptions.MLNet</c> makes <see cref="NormalizedDiscountedCumulativeGains"/> and
/// <see cref="DiscountedCumulativeGains"/> equal to ML.NET's (which reports NDCG in [0, 1], not scaled by 100).</remarks>
public sealed class RankingEvaluationMetrics
{
    internal RankingEvaluationMetrics(RankingEvaluationOptions options, double[] ndcg, double[] dcg, double map, double mrr, double err,
        double errMaximumLabel, int queryCount, Func<RankingQueryMetrics[]> perQuery, Counts counts)
    {
        Options = options;
        NormalizedDiscountedCumulativeGains = Array.AsReadOnly(ndcg);
        DiscountedCumulativeGains = Array.AsReadOnly(dcg);
        MeanAveragePrecision = map;
        MeanReciprocalRank = mrr;
        ExpectedReciprocalRank = err;
        ErrMaximumLabel = errMaximumLabel;
        _perQuery = new Lazy<IReadOnlyList<RankingQueryMetrics>>(() => Array.AsReadOnly(perQuery()), LazyThreadSafetyMode.ExecutionAndPublication);
        QueryCount = queryCount;
        RowCount = counts.Rows;
        SkippedRowCount = counts.SkippedRows;
        SkippedQueryCount = counts.SkippedQueries;
        SingleDocumentQueryCount = counts.SingleDocument;
        AllEqualLabelQueryCount = counts.AllEqualLabel;
        IdcgZeroQueryCount = counts.IdcgZero;
        NoRelevantDocumentQueryCount = counts.NoRelevant;
        IsWeighted = options.QueryWeightColumnName is not null;
    }

    private readonly Lazy<IReadOnlyList<RankingQueryMetrics>> _perQuery;

    internal readonly record struct Counts(long Rows, long SkippedRows, int SkippedQueries, int SingleDocument, int AllEqualLabel, int IdcgZero, int NoRelevant);

    /// <summary>The options used (conventions, cut-offs, weight column).</summary>
    public RankingEvaluationOptions Options { get; }

    /// <summary>The cut-offs of <see cref="NormalizedDiscountedCumulativeGains"/> and <see cref="DiscountedCumulativeGains"/>.</summary>
    public IReadOnlyList<int> TruncationLevels => Options.TruncationLevels;

    /// <summary>Mean NDCG@k, one per entry of <see cref="TruncationLevels"/> (by default k = 1..10, so entry k - 1 is NDCG@k,
    /// as in ML.NET's <c>RankingMetrics</c>). Queries whose ideal DCG is 0 count as the IDCG = 0 policy says.</summary>
    public IReadOnlyList<double> NormalizedDiscountedCumulativeGains { get; }

    /// <summary>Mean DCG@k, one per entry of <see cref="TruncationLevels"/>, over every evaluated query.</summary>
    public IReadOnlyList<double> DiscountedCumulativeGains { get; }

    /// <summary>Mean average precision (at the MAP/MRR/ERR cut-off); queries without relevant documents as the policy says.</summary>
    public double MeanAveragePrecision { get; }

    /// <summary>Mean reciprocal rank of the first relevant document (0 for queries without one).</summary>
    public double MeanReciprocalRank { get; }

    /// <summary>Mean expected reciprocal rank, with largest grade <see cref="ErrMaximumLabel"/>.</summary>
    public double ExpectedReciprocalRank { get; }

    /// <summary>The largest grade L used by ERR: the stated one, or the largest label of the evaluated rows.</summary>
    public double ErrMaximumLabel { get; }

    /// <summary>Each evaluated query's values, in data order (built when first read).</summary>
    public IReadOnlyList<RankingQueryMetrics> PerQuery => _perQuery.Value;

    /// <summary>Queries evaluated (those with at least one row whose score is not NaN).</summary>
    public int QueryCount { get; }

    /// <summary>Rows evaluated.</summary>
    public long RowCount { get; }

    /// <summary>Rows skipped because their score is NaN (as ML.NET's evaluator skips and counts them).</summary>
    public long SkippedRowCount { get; }

    /// <summary>Queries all of whose rows were skipped; they are in no mean.</summary>
    public int SkippedQueryCount { get; }

    /// <summary>Evaluated queries with one document: every order gives them the same value.</summary>
    public int SingleDocumentQueryCount { get; }

    /// <summary>Evaluated queries of two or more documents whose labels are all equal: every order gives them the same value.</summary>
    public int AllEqualLabelQueryCount { get; }

    /// <summary>Evaluated queries whose ideal DCG is 0 (every gain 0); their NDCG follows <see cref="RankingMetricOptions.IdcgZeroPolicy"/>.</summary>
    public int IdcgZeroQueryCount { get; }

    /// <summary>Evaluated queries without a relevant document; their average precision follows the IDCG = 0 policy, their reciprocal rank is 0.</summary>
    public int NoRelevantDocumentQueryCount { get; }

    /// <summary>Whether means are weighted by a query weight column.</summary>
    public bool IsWeighted { get; }

    /// <summary>Mean NDCG at cut-off <paramref name="k"/>, which must be one of <see cref="TruncationLevels"/>.</summary>
    public double GetNdcg(int k) => NormalizedDiscountedCumulativeGains[IndexOf(k)];

    /// <summary>Mean DCG at cut-off <paramref name="k"/>, which must be one of <see cref="TruncationLevels"/>.</summary>
    public double GetDcg(int k) => DiscountedCumulativeGains[IndexOf(k)];

    private int IndexOf(int k)
    {
        int index = Options.Levels.IndexOf(k);
        if (index < 0)
            throw new ArgumentOutOfRangeException(nameof(k), $"Cut-off {k} was not evaluated; the truncation levels are {string.Join(", ", TruncationLevels)}.");
        return index;
    }

    /// <summary>The metrics, one per line, then the counts and the conventions.</summary>
    public override string ToString()
    {
        var rows = new List<(string, double)>();
        for (int i = 0; i < TruncationLevels.Count; i++)
            rows.Add(($"NDCG@{TruncationLevels[i]}", NormalizedDiscountedCumulativeGains[i]));
        for (int i = 0; i < TruncationLevels.Count; i++)
            rows.Add(($"DCG@{TruncationLevels[i]}", DiscountedCumulativeGains[i]));
        rows.Add(("MAP", MeanAveragePrecision));
        rows.Add(("MRR", MeanReciprocalRank));
        rows.Add(("ERR", ExpectedReciprocalRank));
        var text = new StringBuilder(Calibration.MetricsText.Format(rows.ToArray()));
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{QueryCount} queries, {RowCount} rows; skipped: {SkippedRowCount} rows with NaN score, {SkippedQueryCount} queries; " +
            $"{SingleDocumentQueryCount} one-document, {AllEqualLabelQueryCount} all-equal-label, {IdcgZeroQueryCount} IDCG = 0, " +
            $"{NoRelevantDocumentQueryCount} without a relevant document");
        text.AppendLine(Options.ToString());
        return text.ToString();
    }
}

/// <summary>One query's values in <see cref="RankingEvaluationMetrics.PerQuery"/>.</summary>
public sealed class RankingQueryMetrics
{
    internal RankingQueryMetrics(long groupId, int firstRow, int documentCount, int skippedRowCount, double weight, double[] ndcg, double[] dcg,
        double averagePrecision, double reciprocalRank, double expectedReciprocalRank, bool idealDcgIsZero)
    {
        GroupId = groupId;
        FirstRow = firstRow;
        DocumentCount = documentCount;
        SkippedRowCount = skippedRowCount;
        Weight = weight;
        NormalizedDiscountedCumulativeGains = Array.AsReadOnly(ndcg);
        DiscountedCumulativeGains = Array.AsReadOnly(dcg);
        AveragePrecision = averagePrecision;
        ReciprocalRank = reciprocalRank;
        ExpectedReciprocalRank = expectedReciprocalRank;
        IdealDcgIsZero = idealDcgIsZero;
    }

    /// <summary>The group column's value (the raw key value, 1-based, for a key column).</summary>
    public long GroupId { get; }

    /// <summary>The 0-based index, in the data, of the query's first row.</summary>
    public int FirstRow { get; }

    /// <summary>Documents evaluated (rows with a NaN score are not counted).</summary>
    public int DocumentCount { get; }

    /// <summary>The query's rows skipped for a NaN score.</summary>
    public int SkippedRowCount { get; }

    /// <summary>The query weight (1 without a weight column).</summary>
    public double Weight { get; }

    /// <summary>NDCG at each of the evaluation's truncation levels (NaN when excluded by the IDCG = 0 policy).</summary>
    public IReadOnlyList<double> NormalizedDiscountedCumulativeGains { get; }

    /// <summary>DCG at each of the evaluation's truncation levels.</summary>
    public IReadOnlyList<double> DiscountedCumulativeGains { get; }

    /// <summary>Average precision (NaN when excluded by the policy).</summary>
    public double AveragePrecision { get; }

    /// <summary>Reciprocal rank.</summary>
    public double ReciprocalRank { get; }

    /// <summary>Expected reciprocal rank.</summary>
    public double ExpectedReciprocalRank { get; }

    /// <summary>Whether the ideal DCG is 0 (every gain 0).</summary>
    public bool IdealDcgIsZero { get; }
}
