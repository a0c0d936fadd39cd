using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Ranking;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Ranking evaluation over 1 million scored rows in 10,000 queries: EvaluateRanking against ML.NET's Ranking.Evaluate
/// on the same data view (and the NDCG both report, which must agree under ML.NET's conventions), and the span
/// function's queries per second on one thread and on all, with the bytes it allocates.
/// </summary>
internal static class RankingEvaluationSuite
{
    public static void Run()
    {
        const int queries = 10_000;
        Console.WriteLine();
        var (labels, scores, offsets) = Data(queries, seed: 42);
        int rows = labels.Length;
        Console.WriteLine($"== rankeval: {rows:N0} scored rows in {queries:N0} queries (50-150 documents, labels 0-4, scores with ties) ==");
        var mlContext = new MLContext(seed: 1);
        var view = ArrayDataView.Ranking(labels, scores, offsets);
        var mlnet = new RankingEvaluationOptions { MetricOptions = RankingMetricOptions.MLNet };
        var doubles = scores.Select(s => (double)s).ToArray();
        RankingMetrics? theirs = null;
        RankingEvaluationMetrics? ours = null;
        double mean = 0;
        // ML.NET's evaluator is followed by the allocation-free span rows: either of our evaluators measured right after
        // it ran ~40% slower (in either order of the two), while the span rows there are not affected.
        var timings = Harness.Measure(
            ("ML.NET Ranking.Evaluate (NDCG/DCG@1..10)", () => theirs = mlContext.Ranking.Evaluate(view)),
            ("RankingMeasures.Mean NDCG@10, all threads (span)", () => mean = RankingMeasures.Mean(RankingMeasure.Ndcg, labels, doubles, offsets, 10)),
            ("RankingMeasures.Mean NDCG@10, one thread (span)", () => RankingMeasures.Mean(RankingMeasure.Ndcg, labels, doubles, offsets, 10, maxDegreeOfParallelism: 1)),
            ("RankingMeasures.Ndcg@10 query by query, one thread", () => PerQuery(labels, doubles, offsets)),
            ("EvaluateRanking, ML.NET conventions (+ MAP/MRR/ERR)", () => ours = mlContext.Ranking.EvaluateRanking(view, options: mlnet)),
            ("EvaluateRanking, defaults (LightGBM conventions)", () => mlContext.Ranking.EvaluateRanking(view)),
            ("  of which: one cursor pass reading the three columns", () => ReadColumns(view)));
        Harness.Print(timings, "ML.NET Ranking.Evaluate (NDCG/DCG@1..10)", queries, "queries");

        double maxDifference = 0;
        for (int k = 0; k < 10; k++)
        {
            maxDifference = Math.Max(maxDifference, Math.Abs(theirs!.NormalizedDiscountedCumulativeGains[k] - ours!.NormalizedDiscountedCumulativeGains[k]));
            maxDifference = Math.Max(maxDifference, Math.Abs(theirs.DiscountedCumulativeGains[k] - ours.DiscountedCumulativeGains[k]) / theirs.DiscountedCumulativeGains[k]);
        }
        Console.WriteLine($"NDCG@10: ML.NET {theirs!.NormalizedDiscountedCumulativeGains[9]:0.000000}, EvaluateRanking (ML.NET conventions) " +
            $"{ours!.GetNdcg(10):0.000000}, largest NDCG difference or relative DCG difference over k = 1..10: {maxDifference:0.0e0}; " +
            $"LightGBM conventions {mean:0.000000}");

        // Bytes the span function allocates per query on the calling thread, after warm-up.
        PerQuery(labels, doubles, offsets);
        long before = GC.GetAllocatedBytesForCurrentThread();
        PerQuery(labels, doubles, offsets);
        long perCall = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"RankingMeasures.Ndcg allocates {perCall / (double)queries:0.##} bytes per query after warm-up");
    }

    private static double PerQuery(float[] labels, double[] scores, int[] offsets)
    {
        double sum = 0;
        for (int q = 0; q + 1 < offsets.Length; q++)
        {
            int start = offsets[q], n = offsets[q + 1] - start;
            sum += RankingMeasures.Ndcg(labels.AsSpan(start, n), scores.AsSpan(start, n), 10);
        }
        return sum;
    }

    /// <summary>The columns as EvaluateRanking reads them (typed Single score and UInt32 key group).</summary>
    private static void ReadColumns(IDataView view)
    {
        var reader = new MLNetExt.Data.DataViewColumnReader(view, "bench");
        reader.AddRelevanceLabel("Label", "label");
        reader.AddColumn<float>("Score", "score");
        reader.AddColumn<uint>("GroupId", "group");
        reader.Read();
    }

    /// <summary>Queries of 50-150 documents; the score is the label plus noise, rounded to 0.05 (so it ties).</summary>
    private static (float[] Labels, float[] Scores, int[] Offsets) Data(int queries, int seed)
    {
        var random = new Random(seed);
        var labels = new List<float>();
        var scores = new List<float>();
        var offsets = new List<int> { 0 };
        for (int q = 0; q < queries; q++)
        {
            int n = 50 + random.Next(101);
            for (int i = 0; i < n; i++)
            {
                int label = Math.Min(4, (int)(random.NextDouble() * random.NextDouble() * 6));
                labels.Add(label);
                scores.Add(MathF.Round((float)(0.3 * label + 2 * random.NextDouble()) * 20) / 20);
            }
            offsets.Add(labels.Count);
        }
        return (labels.ToArray(), scores.ToArray(), offsets.ToArray());
    }
}
