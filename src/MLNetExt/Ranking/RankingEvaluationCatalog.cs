using Microsoft.ML;
using MLNetExt.Interop;

namespace MLNetExt.Ranking;

/// <summary>The ranking evaluator on <c>mlContext.Ranking</c>.</summary>
public static class RankingEvaluationCatalog
{
    /// <summary>
    /// Evaluates scored ranking data: NDCG@k and DCG@k at k = 1..10 (or the given cut-offs), MAP, MRR and ERR, with every
    /// convention stated in <see cref="RankingMetricOptions"/> (defaults: gain 2^l - 1, discount 1/log2(rank + 1), stable
    /// ties, IDCG = 0 counted as 1, as LightGBM's <c>ndcg</c>), per-query values, and counts of one-document,
    /// all-equal-label and IDCG = 0 queries. Rows whose score is NaN are skipped and counted, as ML.NET does; any other
    /// bad value is an error naming the column and row. Rows of a query must be contiguous.
    /// </summary>
    /// <param name="catalog">The ranking catalog.</param>
    /// <param name="data">Scored data, for example the output of a ranking model's <c>Transform</c>.</param>
    /// <param name="labelColumnName">Relevance grades: Single or Double (fractional grades allowed, finite and &gt;= 0), an
    /// integer type, or a key type (grade = key value - 1, as ML.NET reads key labels).</param>
    /// <param name="scoreColumnName">The score, Single or Double; higher ranks first.</param>
    /// <param name="rowGroupColumnName">The query: a key type or whole numbers; each query's rows contiguous.</param>
    /// <param name="options">Cut-offs, conventions and an optional query weight column; null for the defaults.
    /// <c>new RankingEvaluationOptions { MetricOptions = RankingMetricOptions.MLNet }</c> reproduces
    /// <c>mlContext.Ranking.Evaluate</c>'s NDCG and DCG.</param>
    /// <returns>The metrics.</returns>
    /// <example><code>
    /// var scored = model.Transform(testData);
    /// RankingEvaluationMetrics m = mlContext.Ranking.EvaluateRanking(scored);
    /// Console.WriteLine($"NDCG@10 {m.GetNdcg(10):0.0000}, MAP {m.MeanAveragePrecision:0.0000}");
    /// </code></example>
    public static RankingEvaluationMetrics EvaluateRanking(this RankingCatalog catalog, IDataView data,
        string labelColumnName = ColumnNames.Label, string scoreColumnName = ColumnNames.Score, string rowGroupColumnName = ColumnNames.GroupId,
        RankingEvaluationOptions? options = null)
        => RankingEvaluator.Evaluate(MLNetBridge.GetEnvironment(catalog), data, labelColumnName, scoreColumnName, rowGroupColumnName, options);
}
