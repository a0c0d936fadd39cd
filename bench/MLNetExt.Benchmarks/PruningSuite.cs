using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MLNetExt.Data;
using MLNetExt.TorchSharp.Pruning;
using MLNetExt.TorchSharp.Training;

namespace MLNetExt.Benchmarks;

/// <summary>
/// The data-pruning suite (`pruning`) on UCI letter-recognition (data/tabular/letter-recognition.csv: 20,000 rows, 16
/// integer features, 26 classes; the UCI split: rows 0-15,999 train, 16,000-19,999 test). For each seed: EL2N (after
/// the proxies' last epoch), GraNd at that epoch and at initialisation from <c>ScoreExampleDifficulty</c>, and random
/// pruning; test accuracy of ML.NET's LightGbm and of an MLP trained with MLNetExt's TorchSharp loop on the kept rows
/// at each pruning level, against the full data. Then label noise: 10 % of the training labels moved to another class
/// at random; the share of flipped rows among the top EL2N decile, and the accuracy of both learners on the noisy data,
/// on the noisy data without its top-EL2N decile, and on the clean data. Scoring seconds per 10,000 rows.
/// Arguments: <c>pruning [seeds] [fractions|none] [nonoise]</c> (default 3 seeds; fractions pruned, comma-separated, default
/// 0.1,...,0.7, or none; nonoise skips the label-noise part).
/// </summary>
internal static class PruningSuite
{
    private const int FeatureCount = 16;
    private const int ClassCount = 26;
    private const int TrainRows = 16_000;

    public static int Seeds { get; set; } = 3;

    public static double[] PruneFractions { get; set; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];

    /// <summary>Whether the label-noise part runs (after the pruning table).</summary>
    public static bool LabelNoiseEnabled { get; set; } = true;

    /// <summary>The MLP learner's epochs on the full training data; on fewer rows it trains as many minibatch steps (more epochs).</summary>
    private const int MlpEpochs = 40;

    /// <summary>libtorch and LightGBM threads (1: figures that do not depend on how busy the shared cores are).</summary>
    public static int Threads { get; set; } = 1;

    private static readonly string[] Methods = ["EL2N", "GraNd", "GraNd@0", "Random"];

    private sealed class Row
    {
        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        [KeyType(ClassCount)]
        public uint Label { get; set; }                      // LoadFromEnumerable: the 0-based class

        public int Id { get; set; }
    }

    private sealed record Split(float[] Features, int[] Labels)
    {
        public int Count => Labels.Length;
    }

    public static void Run()
    {
        Console.WriteLine($"== pruning: letter-recognition, {Seeds} seed(s), {Threads} thread(s) for libtorch and LightGBM ==");
        var (train, test) = Load();
        Console.WriteLine($"train {train.Count} rows, test {test.Count} rows, {FeatureCount} features, {ClassCount} classes");
        var mlContext = new MLContext(seed: 1);
        var testView = View(mlContext, test, null);
        var accuracy = new Dictionary<(string Learner, string Method, double Fraction), List<double>>();
        var scoringSeconds = new List<double>();
        var transformSeconds = new List<double>();
        for (int seed = 1; seed <= Seeds && PruneFractions.Length > 0; seed++)
        {
            var trainView = View(mlContext, train, null);
            var watch = Stopwatch.StartNew();
            var el2nModel = Score(mlContext, trainView, seed, graNdEpoch: 0);
            scoringSeconds.Add(watch.Elapsed.TotalSeconds);
            var graNdModel = Score(mlContext, trainView, seed, graNdEpoch: null);
            watch.Restart();
            var scored = mlContext.Data.Cache(el2nModel.Transform(trainView));
            _ = scored.GetColumn<float>("GraNd").Count();
            transformSeconds.Add(watch.Elapsed.TotalSeconds);
            var scores = new Dictionary<string, float[]>
            {
                ["EL2N"] = el2nModel.TrainingEl2n!.ToArray(),
                ["GraNd"] = graNdModel.TrainingGraNd!.ToArray(),
                ["GraNd@0"] = el2nModel.TrainingGraNd!.ToArray(),
            };
            Record(accuracy, "full", 0, FullAccuracy[seed] = Evaluate(mlContext, train, test, testView, seed));
            foreach (double fraction in PruneFractions)
            {
                foreach (string method in Methods)
                {
                    var kept = Prune(mlContext, train, scores.GetValueOrDefault(method), method == "Random" ? PruningStrategy.Random : PruningStrategy.Hardest, 1 - fraction, 0, seed);
                    Record(accuracy, method, fraction, Evaluate(mlContext, kept, test, testView, seed));
                }
                Console.Error.WriteLine($"seed {seed}: {fraction:P0} pruned done");
            }
        }
        if (PruneFractions.Length > 0)
        {
            PrintAccuracy(accuracy, train.Count);
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Scoring (fit: 5 proxies x 10 epochs of a 64-unit MLP, then every training row): median {Median(scoringSeconds):0.00} s for {train.Count} rows = " +
            $"{Median(scoringSeconds) / train.Count * 10_000:0.00} s per 10,000 rows; scoring alone with the fitted proxies (Transform): " +
            $"{Median(transformSeconds) / train.Count * 10_000:0.000} s per 10,000 rows"));
        }
        if (LabelNoiseEnabled)
            LabelNoise(mlContext, train, test, testView);
    }

    /// <summary>Full-data accuracy per seed, measured once and reused by the label-noise part.</summary>
    private static readonly Dictionary<int, (double LightGbm, double Mlp)> FullAccuracy = [];

    private static ExampleDifficultyTransformer Score(MLContext mlContext, IDataView train, int seed, int? graNdEpoch)
        => mlContext.Transforms.ScoreExampleDifficulty(new ExampleDifficultyEstimator.Options
        {
            GraNdEpoch = graNdEpoch,
            NumberOfThreads = Threads,
            Seed = seed,
        }).Fit(train);

    /// <summary>The kept rows of <paramref name="train"/>, by PruneByScore on the given scores (null: random).</summary>
    private static Split Prune(MLContext mlContext, Split train, float[]? scores, PruningStrategy strategy, double keep, double skip, int seed)
    {
        var view = View(mlContext, train, scores ?? new float[train.Count]);
        var pruned = mlContext.Data.PruneByScore(view, new PruneByScoreOptions
        {
            ScoreColumnName = "Score",
            KeepFraction = keep,
            SkipHardestFraction = skip,
            Strategy = strategy,
            Seed = seed,
        });
        var ids = pruned.GetColumn<int>("Id").ToArray();
        var features = new float[ids.Length * FeatureCount];
        var labels = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            Array.Copy(train.Features, ids[i] * FeatureCount, features, i * FeatureCount, FeatureCount);
            labels[i] = train.Labels[ids[i]];
        }
        return new Split(features, labels);
    }

    /// <summary>Test accuracy (percent) of LightGbm and of the MLP trained on <paramref name="train"/>.</summary>
    private static (double LightGbm, double Mlp) Evaluate(MLContext mlContext, Split train, Split test, IDataView testView, int seed)
    {
        var watch = Stopwatch.StartNew();
        var lightGbm = mlContext.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            NumberOfThreads = Threads,
            Seed = seed,
        }).Fit(View(mlContext, train, null));
        var predicted = lightGbm.Transform(testView).GetColumn<uint>("PredictedLabel").ToArray();
        double gbm = 100.0 * predicted.Where((p, i) => p - 1 == test.Labels[i]).Count() / test.Count;
        double gbmSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        double mlp = Mlp(train, test, seed);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {train.Count} rows: LightGbm {gbm:0.00} % ({gbmSeconds:0.0} s), MLP {mlp:0.00} % ({watch.Elapsed.TotalSeconds:0.0} s)"));
        return (gbm, mlp);
    }

    /// <summary>
    /// The MLP learner: 16-128-26 ReLU, Adam 1e-3, batches of 128, standardised features, MLNetExt's TorchSharp loop;
    /// 40 epochs on the full 16,000 rows and the same number of minibatch steps on fewer rows (40 x 16,000 / rows
    /// epochs), so a pruned set is not also trained less.
    /// </summary>
    private static double Mlp(Split train, Split test, int seed)
    {
        using var channel = new MLNetExt.Diagnostics.ComponentChannel(new MLContext(seed: 1), "PruningBenchMlp", "Fit");
        var standardizer = FeatureStandardizer.Fit(train.Features, FeatureCount);
        var rows = (float[])train.Features.Clone();
        standardizer.Apply(rows);
        int epochs = Math.Max(1, (int)Math.Round((double)MlpEpochs * TrainRows / train.Count));
        var settings = new ProxySettings([128], "cpu", new TorchLoopSettings { NumberOfEpochs = epochs, BatchSize = 128, LearningRate = 1e-3, Seed = seed });
        ModuleWeights weights;
        using (TorchRuntime.ThreadScope(Threads))
            weights = ProxyTraining.Train(rows, FeatureCount, train.Labels, ClassCount, settings, [epochs], channel)[epochs];
        var network = ProxyNetwork.FromModuleWeights(weights, [FeatureCount, 128, ClassCount]);
        var ws = new DifficultyWorkspace(network.Sizes);
        var x = new float[FeatureCount];
        int correct = 0;
        for (int i = 0; i < test.Count; i++)
        {
            test.Features.AsSpan(i * FeatureCount, FeatureCount).CopyTo(x);
            standardizer.ApplyRow(x);
            network.Forward(x, ws);
            correct += ProxyNetwork.ArgMax(ws.Probabilities) == test.Labels[i] ? 1 : 0;
        }
        return 100.0 * correct / test.Count;
    }

    private static void LabelNoise(MLContext mlContext, Split train, Split test, IDataView testView)
    {
        Console.WriteLine();
        Console.WriteLine("-- label noise: 10 % of the training labels moved to another class (uniformly), per seed --");
        Console.WriteLine($"{"seed",4} {"flipped in top EL2N decile",27} {"GraNd decile",13} {"learner",9} {"noisy",7} {"drop top 10%",13} {"clean",7} {"recovered",10}");
        var shares = new List<double>();
        var recovered = new Dictionary<string, List<double>> { ["LightGbm"] = [], ["MLP"] = [] };
        for (int seed = 1; seed <= Seeds; seed++)
        {
            var labels = (int[])train.Labels.Clone();
            var random = new Random(1000 + seed);
            var flipped = new bool[train.Count];
            foreach (int row in Enumerable.Range(0, train.Count).OrderBy(_ => random.Next()).Take(train.Count / 10))
            {
                labels[row] = (labels[row] + 1 + random.Next(ClassCount - 1)) % ClassCount;
                flipped[row] = true;
            }
            var noisy = new Split(train.Features, labels);
            var model = Score(mlContext, View(mlContext, noisy, null), seed, graNdEpoch: null);
            double share = ShareInTopDecile(model.TrainingEl2n!, flipped);
            double graNdShare = ShareInTopDecile(model.TrainingGraNd!, flipped);
            shares.Add(share);
            var dropped = Prune(mlContext, noisy, model.TrainingEl2n!.ToArray(), PruningStrategy.Hardest, keep: 0.9, skip: 0.1, seed);
            var noisyAccuracy = Evaluate(mlContext, noisy, test, testView, seed);
            var droppedAccuracy = Evaluate(mlContext, dropped, test, testView, seed);
            if (!FullAccuracy.TryGetValue(seed, out var cleanAccuracy))
                FullAccuracy[seed] = cleanAccuracy = Evaluate(mlContext, train, test, testView, seed);
            foreach (var (learner, n, d, c) in new[] { ("LightGbm", noisyAccuracy.LightGbm, droppedAccuracy.LightGbm, cleanAccuracy.LightGbm), ("MLP", noisyAccuracy.Mlp, droppedAccuracy.Mlp, cleanAccuracy.Mlp) })
            {
                double share01 = (d - n) / (c - n);
                recovered[learner].Add(share01);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{seed,4} {share,26:P1} {graNdShare,13:P1} {learner,9} {n,7:0.00} {d,13:0.00} {c,7:0.00} {share01,10:P0}"));
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median share of flipped rows in the top EL2N decile: {Median(shares):P1} (bar: >= 60 %) -> {(Median(shares) >= 0.6 ? "met" : "NOT met")}; " +
            $"median accuracy recovered by dropping the top decile: LightGbm {Median(recovered["LightGbm"]):P0}, MLP {Median(recovered["MLP"]):P0} of the noisy-to-clean gap"));
    }

    /// <summary>The share of the flipped rows that are among the 10 % highest scores (ties by row order).</summary>
    private static double ShareInTopDecile(IReadOnlyList<float> scores, bool[] flipped)
    {
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(scores.Count / 10);
        return (double)order.Count(i => flipped[i]) / flipped.Count(f => f);
    }

    private static void Record(Dictionary<(string, string, double), List<double>> accuracy, string method, double fraction, (double LightGbm, double Mlp) result)
    {
        Add(accuracy, ("LightGbm", method, fraction), result.LightGbm);
        Add(accuracy, ("MLP", method, fraction), result.Mlp);
    }

    private static void Add(Dictionary<(string, string, double), List<double>> d, (string, string, double) key, double value)
    {
        if (!d.TryGetValue(key, out var list))
            d[key] = list = [];
        list.Add(value);
    }

    private static void PrintAccuracy(Dictionary<(string Learner, string Method, double Fraction), List<double>> accuracy, int rows)
    {
        foreach (string learner in new[] { "LightGbm", "MLP" })
        {
            double full = Median(accuracy[(learner, "full", 0)]);
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"-- {learner}: test accuracy (%), median of {Seeds} seed(s); full data ({rows} rows): {full:0.00} --"));
            Console.WriteLine($"{"pruned",7} {"kept",6} " + string.Join(" ", Methods.Select(m => $"{m,9}")) + $" {"EL2N-full",10} {"EL2N-Random",12}");
            foreach (double fraction in PruneFractions)
            {
                var medians = Methods.Select(m => Median(accuracy[(learner, m, fraction)])).ToArray();
                string cells = string.Join(" ", medians.Select(a => a.ToString("0.00", CultureInfo.InvariantCulture).PadLeft(9)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{fraction,7:P0} {(int)Math.Round((1 - fraction) * rows),6} {cells} {medians[0] - full,10:+0.00;-0.00} {medians[0] - medians[3],12:+0.00;-0.00}"));
            }
            if (!accuracy.ContainsKey((learner, "EL2N", 0.3)))
                continue;
            double el2n30 = Median(accuracy[(learner, "EL2N", 0.3)]), random30 = Median(accuracy[(learner, "Random", 0.3)]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bar at 30 % pruned: EL2N {el2n30:0.00} vs full {full:0.00} ({el2n30 - full:+0.00;-0.00} points, bar >= -0.50: {(el2n30 - full >= -0.5 ? "met" : "NOT met")}); " +
                $"vs random {random30:0.00} ({(el2n30 > random30 ? "beats random" : "does NOT beat random")})"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>letter-recognition as (train, test): the first 16,000 rows and the last 4,000, classes A-Z as 0-25.</summary>
    private static (Split Train, Split Test) Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data/tabular/letter-recognition.csv");
        var lines = File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).ToArray();
        var features = new float[lines.Length * FeatureCount];
        var labels = new int[lines.Length];
        for (int i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split(',');
            for (int j = 0; j < FeatureCount; j++)
                features[i * FeatureCount + j] = float.Parse(fields[j], CultureInfo.InvariantCulture);
            labels[i] = fields[FeatureCount][0] - 'A';
        }
        return (new Split(features[..(TrainRows * FeatureCount)], labels[..TrainRows]),
                new Split(features[(TrainRows * FeatureCount)..], labels[TrainRows..]));
    }

    /// <summary>A split as an IDataView (Features, Label key, Id, and Score when given).</summary>
    private static IDataView View(MLContext mlContext, Split split, float[]? scores)
    {
        var rows = new Row[split.Count];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new Row { Features = split.Features[(i * FeatureCount)..((i + 1) * FeatureCount)], Label = (uint)split.Labels[i], Id = i };
        var view = mlContext.Data.LoadFromEnumerable(rows);
        if (scores is null)
            return view;
        return mlContext.Transforms.CustomMapping<IdInput, ScoreOutput>((input, output) => output.Score = scores[input.Id], contractName: null).Fit(view).Transform(view);
    }

    private sealed class IdInput
    {
        public int Id { get; set; }
    }

    private sealed class ScoreOutput
    {
        public float Score { get; set; }
    }
}
