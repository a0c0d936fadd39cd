using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MLNetExt.Data;
using MLNetExt.Ranking;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Boosted ranking, equal settings (spec ranking.md §9.2): 100 trees, 31 leaves, learning rate 0.1, 255 bins, at least
/// 20 documents per leaf, gain 2^label - 1 (ML.NET's trainers given the same gains; LightGbm's sigmoid set to 1, as
/// ours). Each fit runs in a fresh process that reports the fit's wall time (all in: reading the IDataView, binning,
/// training), its peak resident set size, and the test NDCG@1/3/5/10 (LightGBM's conventions: stable ties, a query
/// without relevant documents counts 1). Data: LightGBM's LTR sample (data/ltr), and a generated MSLR-shaped set of
/// 10,000 queries (50-150 documents, 136 dense features; about 1M rows) and its first 1,000 queries, tested on 1,000
/// other queries. Settings: MLNETEXT_RANKING_SETS (comma list of ltr, synth1k, synth10k), MLNETEXT_RANKING_TRAINERS,
/// the run count argument (repeats per fit; the median is quoted).
/// </summary>
internal static class RankingSuite
{
    private const string ChildVariable = "MLNETEXT_RANKING_CHILD";
    private const int Trees = 100;

    /// <summary>The trainers, by name; more objectives of this package are added here.</summary>
    internal static readonly Dictionary<string, Func<MLContext, IEstimator<ITransformer>>> Trainers = new()
    {
        ["LambdaMART (ours)"] = ml => ml.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options
        {
            NumberOfTrees = Trees, NumberOfLeaves = 31, LearningRate = 0.1, MinimumExampleCountPerLeaf = 20, MaximumBinCountPerFeature = 255,
            Seed = 1,
        }),
        ["ML.NET LightGbm"] = ml => ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            NumberOfIterations = Trees, NumberOfLeaves = 31, LearningRate = 0.1, MinimumExampleCountPerLeaf = 20, MaximumBinCountPerFeature = 255,
            CustomGains = [0, 1, 3, 7, 15], Sigmoid = 1, UseCategoricalSplit = false, Seed = 1,
        }),
        ["ML.NET FastTree"] = ml => ml.Ranking.Trainers.FastTree(new FastTreeRankingTrainer.Options
        {
            NumberOfTrees = Trees, NumberOfLeaves = 31, LearningRate = 0.1, MinimumExampleCountPerLeaf = 20, MaximumBinCountPerFeature = 255,
            CustomGains = [0, 1, 3, 7, 15],
        }),
    };

    private static readonly int[] Cutoffs = [1, 3, 5, 10];

    public static void Run()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) is { } child)
        {
            RunChild(child);
            return;
        }
        var sets = (Environment.GetEnvironmentVariable("MLNETEXT_RANKING_SETS") ?? "ltr,synth1k,synth10k").Split(',');
        var trainers = Environment.GetEnvironmentVariable("MLNETEXT_RANKING_TRAINERS")?.Split(',') ?? Trainers.Keys.ToArray();
        Console.WriteLine();
        Console.WriteLine($"== ranking: {Trees} trees, 31 leaves, lr 0.1, 255 bins, min 20 docs/leaf; each fit in a fresh process, median of {Harness.Runs} ==");
        var results = new Dictionary<(string Set, string Trainer), Dictionary<string, double>>();
        foreach (string set in sets)
        {
            Console.WriteLine();
            Console.WriteLine($"-- {Describe(set)} --");
            Console.WriteLine($"{"trainer",-24} {"NDCG@1",8} {"@3",8} {"@5",8} {"@10",8} {"fit s",8} {"s/tree",8} {"peak MiB",9}  vs ML.NET LightGbm: s/tree, peak");
            foreach (string trainer in trainers)
                results[(set, trainer)] = Median(Enumerable.Range(0, Harness.Runs).Select(_ => ChildProcess.Run("ranking", new Dictionary<string, string>
                {
                    [ChildVariable] = $"{set}|{trainer}",
                })).ToList());
            var baseline = results.GetValueOrDefault((set, "ML.NET LightGbm"));
            foreach (string trainer in trainers)
            {
                var r = results[(set, trainer)];
                string ratio = baseline is null ? "" : string.Create(CultureInfo.InvariantCulture,
                    $"{r["fit"] / baseline["fit"],6:0.00}x, {r["peak"] / baseline["peak"],5:0.00}x");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{trainer,-24} {r["ndcg1"],8:0.0000} {r["ndcg3"],8:0.0000} {r["ndcg5"],8:0.0000} {r["ndcg10"],8:0.0000} {r["fit"],8:0.00} {r["fit"] / r["trees"],8:0.000} {r["peak"] / 1048576,9:N0}  {ratio}"));
            }
        }
        if (sets.Contains("synth1k") && sets.Contains("synth10k"))
        {
            Console.WriteLine();
            Console.WriteLine("-- growth from 1,000 to 10,000 queries (fit seconds 10k / 1k; rows grow 10x) --");
            foreach (string trainer in trainers)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{trainer,-24} {results[("synth10k", trainer)]["fit"] / results[("synth1k", trainer)]["fit"],6:0.00}x"));
            }
        }
    }

    private static string Describe(string set) => set switch
    {
        "ltr" => "LightGBM's LTR sample: train 3,005 docs / 201 queries, test 768 / 50, 300 sparse features",
        "synth1k" => "synthetic MSLR-shaped, first 1,000 queries (test: 1,000 other queries)",
        "synth10k" => "synthetic MSLR-shaped, 10,000 queries (test: 1,000 other queries)",
        _ => throw new ArgumentException($"Unknown ranking set '{set}' (ltr, synth1k, synth10k)."),
    };

    private static Dictionary<string, double> Median(List<Dictionary<string, double>> runs)
        => runs[0].Keys.ToDictionary(k => k, k => runs.Select(r => r[k]).OrderBy(v => v).ElementAt(runs.Count / 2));

    private static void RunChild(string what)
    {
        var parts = what.Split('|');
        string set = parts[0], trainer = parts[1];
        var ml = new MLContext(seed: 1);
        var (train, test) = Load(ml, set);
        var estimator = Trainers[trainer](ml);
        GC.Collect();
        ChildProcess.ResetPeakMemory();
        var watch = Stopwatch.StartNew();
        var model = estimator.Fit(train);
        watch.Stop();
        ChildProcess.Report("fit", watch.Elapsed.TotalSeconds);
        ChildProcess.ReportPeakMemory();
        ChildProcess.Report("trees", Trees);
        var metrics = ml.Ranking.EvaluateRanking(model.Transform(test));
        foreach (int k in Cutoffs)
            ChildProcess.Report($"ndcg{k}", metrics.GetNdcg(k));
    }

    internal static (IDataView Train, IDataView Test) Load(MLContext ml, string set) => set switch
    {
        "ltr" => (ml.Data.LoadFromLibSvm(Path.Combine(AppContext.BaseDirectory, "data", "ltr", "rank.train")),
                  ml.Data.LoadFromLibSvm(Path.Combine(AppContext.BaseDirectory, "data", "ltr", "rank.test"))),
        "synth1k" => (new SyntheticRanking(1_000, seed: 1), new SyntheticRanking(1_000, seed: 2)),
        "synth10k" => (new SyntheticRanking(10_000, seed: 1), new SyntheticRanking(1_000, seed: 2)),
        _ => throw new ArgumentException($"Unknown ranking set '{set}'."),
    };
}
