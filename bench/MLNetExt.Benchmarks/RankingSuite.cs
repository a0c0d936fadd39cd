using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
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

    /// <summary>The trainers, by name, each given the seed of the run.</summary>
    internal static readonly Dictionary<string, Func<MLContext, int, IEstimator<ITransformer>>> Trainers = new()
    {
        ["LambdaMART (ours)"] = (ml, seed) => ml.Ranking.Trainers.LambdaMart(Equal(new LambdaMartRankingTrainer.Options(), seed)),
        ["YetiRank"] = (ml, seed) => ml.Ranking.Trainers.YetiRank(Equal(new YetiRankRankingTrainer.Options(), seed)),
        ["YetiRank NDCG@10 all"] = (ml, seed) => ml.Ranking.Trainers.YetiRank(Equal(new YetiRankRankingTrainer.Options
        {
            Mode = YetiRankMode.Ndcg, Top = 10, NumberOfNeighbors = -1,
        }, seed)),
        ["YetiRankPairwise"] = (ml, seed) => ml.Ranking.Trainers.YetiRankPairwise(Equal(new YetiRankPairwiseRankingTrainer.Options(), seed)),
        ["RCR"] = (ml, seed) => ml.Ranking.Trainers.RegressionCompatibleRanking(Equal(new RegressionCompatibleRankingTrainer.Options
        {
            // MLNETEXT_RCR_RANKING_WEIGHT: RCR's alpha for an experiment (the trainer's default otherwise).
            RankingWeight = double.TryParse(Environment.GetEnvironmentVariable("MLNETEXT_RCR_RANKING_WEIGHT"), CultureInfo.InvariantCulture, out double alpha)
                ? alpha : new RegressionCompatibleRankingTrainer.Options().RankingWeight,
        }, seed)),
        ["ML.NET LightGbm"] = (ml, seed) => ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            NumberOfIterations = Trees, NumberOfLeaves = 31, LearningRate = 0.1, MinimumExampleCountPerLeaf = 20, MaximumBinCountPerFeature = 255,
            CustomGains = [0, 1, 3, 7, 15], Sigmoid = 1, UseCategoricalSplit = false, Seed = seed,
        }),
        ["ML.NET FastTree"] = (ml, seed) => ml.Ranking.Trainers.FastTree(new FastTreeRankingTrainer.Options
        {
            NumberOfTrees = Trees, NumberOfLeaves = 31, LearningRate = 0.1, MinimumExampleCountPerLeaf = 20, MaximumBinCountPerFeature = 255,
            CustomGains = [0, 1, 3, 7, 15], Seed = seed,
        }),
    };

    private static T Equal<T>(T options, int seed) where T : BoostedRankingOptions
    {
        options.NumberOfTrees = Trees;
        options.NumberOfLeaves = 31;
        options.LearningRate = 0.1;
        options.MinimumExampleCountPerLeaf = 20;
        options.MaximumBinCountPerFeature = 255;
        options.Seed = seed;
        return options;
    }

    private static readonly int[] Cutoffs = [1, 3, 5, 10];

    public static void Run()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) is { } child)
        {
            RunChild(child);
            return;
        }
        var sets = (Environment.GetEnvironmentVariable("MLNETEXT_RANKING_SETS") ?? "ltr,synth1k,synth10k").Split(',');
        int ltrSeeds = int.Parse(Environment.GetEnvironmentVariable("MLNETEXT_RANKING_LTR_SEEDS") ?? "5", CultureInfo.InvariantCulture);
        var trainers = Environment.GetEnvironmentVariable("MLNETEXT_RANKING_TRAINERS")?.Split(',') ?? Trainers.Keys.ToArray();
        Console.WriteLine();
        Console.WriteLine($"== ranking: {Trees} trees, 31 leaves, lr 0.1, 255 bins, min 20 docs/leaf; each fit in a fresh process, median of {Harness.Runs} ==");
        var results = new Dictionary<(string Set, string Trainer), Dictionary<string, double>>();
        foreach (string set in sets)
        {
            int seeds = set == "ltr" ? ltrSeeds : 1;
            Console.WriteLine();
            Console.WriteLine($"-- {Describe(set)}{(seeds > 1 ? $"; NDCG mean ± sd over seeds 1-{seeds}" : "")} --");
            Console.WriteLine($"{"trainer",-22} {"NDCG@1",13} {"@3",13} {"@5",13} {"@10",13} {"fit s",7} {"s/tree",7} {"cpu/tree",8} {"peak MiB",8} {"ECE rel",8} {"ECE bin",8}  vs LightGbm: s/tree, cpu/tree, peak");
            foreach (string trainer in trainers)
            {
                var bySeed = Enumerable.Range(1, seeds).Select(seed => Median(Enumerable.Range(0, Harness.Runs)
                    .Select(_ => ChildProcess.Run("ranking", new Dictionary<string, string>
                    {
                        [ChildVariable] = $"{set}|{trainer}|{seed}",
                        // Every child, ML.NET's LightGbm included, gets the OpenMP wait policy our trainer sets for itself:
                        // otherwise LightGBM's idle threads spin while .NET code runs, which costs ML.NET's trainer up to
                        // 100x on a loaded machine and would make the comparison say nothing about the engines.
                        ["OMP_WAIT_POLICY"] = "passive",
                    })).ToList())).ToList();
                results[(set, trainer)] = bySeed[0].Keys.ToDictionary(k => k, k => bySeed.Average(r => r[k]));
                foreach (int k in Cutoffs)
                    results[(set, trainer)][$"sd{k}"] = StandardDeviation(bySeed.Select(r => r[$"ndcg{k}"]));
            }
            var baseline = results.GetValueOrDefault((set, "ML.NET LightGbm"));
            foreach (string trainer in trainers)
            {
                var r = results[(set, trainer)];
                string ratio = baseline is null ? "" : string.Create(CultureInfo.InvariantCulture,
                    $"{r["fit"] / baseline["fit"],6:0.00}x, {r["cpu"] / baseline["cpu"],5:0.00}x, {r["peak"] / baseline["peak"],5:0.00}x");
                string Ndcg(int k) => seeds > 1
                    ? string.Create(CultureInfo.InvariantCulture, $"{r[$"ndcg{k}"]:0.0000}±{r[$"sd{k}"]:0.0000}")
                    : string.Create(CultureInfo.InvariantCulture, $"{r[$"ndcg{k}"]:0.0000}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{trainer,-22} {Ndcg(1),13} {Ndcg(3),13} {Ndcg(5),13} {Ndcg(10),13} {r["fit"],7:0.00} {r["fit"] / r["trees"],7:0.000} {r["cpu"] / r["trees"],8:0.000} {r["peak"] / 1048576,8:N0} {r["eceScaled"],8:0.0000} {r["eceBinary"],8:0.0000}  {ratio}"));
            }
            Console.WriteLine("(ECE rel: ECE-15 of Probability (RCR) or sigmoid(Score) against the scaled relevance label/4; ECE bin: against label >= 1)");
        }
        if (sets.Contains("synth1k") && sets.Contains("synth10k"))
        {
            Console.WriteLine();
            Console.WriteLine("-- growth from 1,000 to 10,000 queries (fit seconds and CPU seconds 10k / 1k; rows grow 10x) --");
            foreach (string trainer in trainers)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{trainer,-24} {results[("synth10k", trainer)]["fit"] / results[("synth1k", trainer)]["fit"],6:0.00}x wall, {results[("synth10k", trainer)]["cpu"] / results[("synth1k", trainer)]["cpu"],6:0.00}x CPU"));
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

    private static double StandardDeviation(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length < 2)
            return 0;
        double mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
    }

    private static Dictionary<string, double> Median(List<Dictionary<string, double>> runs)
        => runs[0].Keys.ToDictionary(k => k, k => runs.Select(r => r[k]).OrderBy(v => v).ElementAt(runs.Count / 2));

    private static void RunChild(string what)
    {
        var parts = what.Split('|');
        string set = parts[0], trainer = parts[1];
        int seed = int.Parse(parts[2], CultureInfo.InvariantCulture);
        var ml = new MLContext(seed: seed);
        var (train, test) = Load(ml, set);
        var estimator = Trainers[trainer](ml, seed);
        GC.Collect();
        ChildProcess.ResetPeakMemory();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var model = estimator.Fit(train);
        watch.Stop();
        ChildProcess.Report("fit", watch.Elapsed.TotalSeconds);
        ChildProcess.Report("cpu", (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
        ChildProcess.ReportPeakMemory();
        ChildProcess.Report("trees", Trees);
        var scored = model.Transform(test);
        var metrics = ml.Ranking.EvaluateRanking(scored);
        foreach (int k in Cutoffs)
            ChildProcess.Report($"ndcg{k}", metrics.GetNdcg(k));
        var (scaled, binary) = CalibrationErrors(scored);
        ChildProcess.Report("eceScaled", scaled);
        ChildProcess.Report("eceBinary", binary);
    }

    /// <summary>
    /// ECE-15 of the model's probability (the Probability column when it has one, else sigmoid(Score)) against RCR's
    /// target, the relevance scaled to [0, 1] (grades 0-4 divided by 4), and against binary relevance (grade at least 1).
    /// The scaled target is measured exactly with the binary ECE: a row of grade l counts as l relevant and 4 - l
    /// irrelevant copies with the same probability, which gives every bin the same mean target and weight.
    /// </summary>
    private static (double Scaled, double Binary) CalibrationErrors(IDataView scored)
    {
        var labels = scored.GetColumn<float>("Label").ToArray();
        var probabilities = scored.Schema.GetColumnOrNull("Probability") is not null
            ? scored.GetColumn<float>("Probability").Select(p => (double)p).ToArray()
            : scored.GetColumn<float>("Score").Select(s => 1 / (1 + Math.Exp(-(double)s))).ToArray();
        const int MaximumGrade = 4;
        var expanded = new double[labels.Length * MaximumGrade];
        var outcomes = new bool[expanded.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            for (int c = 0; c < MaximumGrade; c++)
            {
                expanded[i * MaximumGrade + c] = probabilities[i];
                outcomes[i * MaximumGrade + c] = c < labels[i];
            }
        }
        double scaled = Calibration.CalibrationMetrics.ExpectedCalibrationError(expanded, outcomes, 15);
        double binary = Calibration.CalibrationMetrics.ExpectedCalibrationError(probabilities, labels.Select(l => l >= 1).ToArray(), 15);
        return (scaled, binary);
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
