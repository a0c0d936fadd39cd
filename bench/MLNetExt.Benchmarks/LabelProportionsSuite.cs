using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Data;
using MLNetExt.Numerics;
using MLNetExt.TorchSharp.LabelProportions;

namespace MLNetExt.Benchmarks;

/// <summary>
/// The label-proportion suite (`labelproportions`): binary classifiers learned from bag proportions only, on
/// data/riskscore/mushroom.csv (poisonous, 113 one-hot features; a fixed 75/25 split drawn from seed 2024) and
/// data/tabular/letter-recognition.csv as A-M vs N-Z (16 features; UCI's split, the first 16,000 rows to train and the
/// last 4,000 to test). Training bags come from <c>MakeBags</c>: random bags of 1, 8, 32 and 128 rows, and
/// feature-dependent bags of 32 (rows sorted by the training data's first principal component, so each bag holds
/// neighbours in feature space and EasyLLP's random-bag assumption is broken). For every loss (DLLP, EasyLLP with
/// log and with squared loss, bag-level squared, instance-level squared, interpolating with rho 0.5) and both models
/// (linear; MLP 64 ReLU), 3 seeds (bags and training): test AUC (ML.NET's evaluator) and ECE-15 (netcal bins) as
/// medians with the range, and the median fit seconds; next to the fully supervised model (BCE on instance labels:
/// DLLP on bags of one row is exactly that) and, for the linear model, ML.NET's L-BFGS logistic regression.
/// Training: the trainers' defaults (Adam, learning rate 1e-2, minibatches of at most 512 rows of whole bags, 50
/// epochs), with 10% of the training bags held out for early stopping (patience 10) and one libtorch thread.
/// Arguments: <c>labelproportions [seeds] [sets] [models]</c> (defaults 3, "mushroom,letter", "linear,mlp").
/// </summary>
internal static class LabelProportionsSuite
{
    private static (string Name, LabelProportionsLoss Loss, EasyLlpInstanceLoss Easy)[] Losses =
    [
        ("DLLP", LabelProportionsLoss.Dllp, EasyLlpInstanceLoss.Log),
        ("EasyLLP log", LabelProportionsLoss.EasyLlp, EasyLlpInstanceLoss.Log),
        ("EasyLLP square", LabelProportionsLoss.EasyLlp, EasyLlpInstanceLoss.Squared),
        ("bag squared", LabelProportionsLoss.BagSquared, EasyLlpInstanceLoss.Log),
        ("instance squared", LabelProportionsLoss.InstanceSquared, EasyLlpInstanceLoss.Log),
        ("interpolating 0.5", LabelProportionsLoss.Interpolating, EasyLlpInstanceLoss.Log),
    ];

    private static (string Name, int Size, BagStrategy Strategy)[] BagSettings =
    [
        ("R1", 1, BagStrategy.Random),
        ("R8", 8, BagStrategy.Random),
        ("R32", 32, BagStrategy.Random),
        ("R128", 128, BagStrategy.Random),
        ("FD32", 32, BagStrategy.SortedByColumn),
    ];

    public static int Seeds { get; set; } = 3;

    public static string[] Sets { get; set; } = ["mushroom", "letter"];

    public static string[] Models { get; set; } = ["linear", "mlp"];

    private sealed class Row
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = [];

        public float Component { get; set; }
    }

    private sealed record Result(double Auc, double Ece, double Seconds, int Epochs, string? Error);

    /// <summary>Reads <c>labelproportions [seeds] [sets] [models]</c>.</summary>
    public static void Configure(string[] args)
    {
        if (args.Length > 1)
            Seeds = int.Parse(args[1], CultureInfo.InvariantCulture);
        if (args.Length > 2)
            Sets = args[2].Split(',');
        if (args.Length > 3)
            Models = args[3].Split(',');
        // Experiments on part of the grid: LLP_BAGS=R1,R32 and LLP_LOSSES="DLLP,bag squared" (names as printed; the bar needs DLLP, R1 and R32).
        if (Environment.GetEnvironmentVariable("LLP_BAGS") is { Length: > 0 } bags)
            BagSettings = BagSettings.Where(b => bags.Split(',').Contains(b.Name)).ToArray();
        if (Environment.GetEnvironmentVariable("LLP_LOSSES") is { Length: > 0 } losses)
            Losses = Losses.Where(l => losses.Split(',').Contains(l.Name)).ToArray();
    }

    public static void Run()
    {
        Console.WriteLine($"== labelproportions: {Seeds} seeds, sets {string.Join(",", Sets)}, models {string.Join(",", Models)}, 1 libtorch thread, " +
            $"bags {string.Join(",", BagSettings.Select(b => b.Name))}, losses {string.Join(",", Losses.Select(l => l.Name))}, " +
            $"epochs {Environment.GetEnvironmentVariable("LLP_EPOCHS") ?? "50"} ==");
        var summary = new List<string>();
        foreach (string set in Sets)
        {
            var mlContext = new MLContext(seed: 1);
            var (train, test, featureCount) = Load(mlContext, set);
            Console.WriteLine();
            Console.WriteLine($"-- {set}: {train.GetRowCount()} training rows, {test.GetRowCount()} test rows, {featureCount} features, " +
                $"{Positives(train):P1} / {Positives(test):P1} positive --");
            var lbfgs = mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression();
            var clock = Stopwatch.StartNew();
            var reference = Evaluate(mlContext, lbfgs.Fit(train), test);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ML.NET L-BFGS logistic regression (supervised): AUC {reference.Auc:0.0000}, ECE {reference.Ece:0.0000}, {clock.Elapsed.TotalSeconds:0.0} s"));
            foreach (string modelName in Models)
            {
                var model = modelName == "mlp" ? LabelProportionsModel.Mlp : LabelProportionsModel.Linear;
                var results = new Dictionary<(string Loss, string Bags), List<Result>>();
                // The bar's columns (R1, R32) first, so a run cut short still answers it; every fit is printed as it ends.
                foreach (var bags in BagSettings.OrderBy(b => b.Name is "R1" or "R32" ? 0 : 1))
                {
                    foreach (var loss in Losses)
                    {
                        var list = results[(loss.Name, bags.Name)] = [];
                        for (int seed = 1; seed <= Seeds; seed++)
                        {
                            var result = FitOne(train, test, bags, loss, model, seed);
                            list.Add(result);
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"  {set} {modelName} {bags.Name} {loss.Name} seed {seed}: AUC {result.Auc:0.0000} ECE {result.Ece:0.0000} {result.Seconds:0.0} s, {result.Epochs} epochs{(result.Error is null ? "" : $" FAILED: {result.Error}")}"));
                        }
                    }
                }
                Print(set, modelName, results);
                summary.AddRange(Bars(set, modelName, results));
            }
        }
        Console.WriteLine();
        Console.WriteLine("-- bars --");
        foreach (string line in summary)
            Console.WriteLine(line);
    }

    private static Result FitOne(IDataView train, IDataView test, (string Name, int Size, BagStrategy Strategy) bags,
        (string Name, LabelProportionsLoss Loss, EasyLlpInstanceLoss Easy) loss, LabelProportionsModel model, int seed)
    {
        var mlContext = new MLContext(seed: seed);
        var bagged = mlContext.Data.MakeBags(train, bags.Size, seed: seed, strategy: bags.Strategy,
            strategyColumnName: bags.Strategy == BagStrategy.Random ? null : "Component");
        bagged = mlContext.Data.Cache(bagged);
        var options = new LabelProportionsBinaryTrainer.Options
        {
            Loss = loss.Loss,
            EasyLlpInstanceLoss = loss.Easy,
            Model = model,
            ValidationBagFraction = Environment.GetEnvironmentVariable("LLP_HOLDOUT") == "0" ? 0 : 0.1,
            ValidationMetric = Environment.GetEnvironmentVariable("LLP_METRIC") == "loss" ? LabelProportionsValidationMetric.TrainingLoss : LabelProportionsValidationMetric.ProportionDivergence,
            NumberOfEpochs = int.Parse(Environment.GetEnvironmentVariable("LLP_EPOCHS") ?? "50"),
            LearningRate = double.Parse(Environment.GetEnvironmentVariable("LLP_LR") ?? "0.01", CultureInfo.InvariantCulture),
            MaximumBatchRows = int.Parse(Environment.GetEnvironmentVariable("LLP_ROWS") ?? "512"),
            NumberOfThreads = 1,
            Seed = seed,
        };
        var clock = Stopwatch.StartNew();
        try
        {
            var fitted = mlContext.BinaryClassification.Trainers.LabelProportions(options).Fit(bagged);
            double seconds = clock.Elapsed.TotalSeconds;
            var metrics = Evaluate(mlContext, fitted, test);
            return metrics with { Seconds = seconds, Epochs = fitted.Model.TrainingHistory!.EpochsRun };
        }
        catch (InvalidOperationException e)
        {
            return new Result(double.NaN, double.NaN, clock.Elapsed.TotalSeconds, 0, e.Message);
        }
    }

    private static Result Evaluate(MLContext mlContext, ITransformer model, IDataView test)
    {
        var scored = model.Transform(test);
        var auc = mlContext.BinaryClassification.Evaluate(scored).AreaUnderRocCurve;
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var labels = scored.GetColumn<bool>("Label").ToArray();
        double ece = CalibrationMetrics.ExpectedCalibrationError(probabilities, labels, 15);
        return new Result(auc, ece, 0, 0, null);
    }

    private static void Print(string set, string model, Dictionary<(string Loss, string Bags), List<Result>> results)
    {
        Console.WriteLine();
        Console.WriteLine($"{set}, {model}: test AUC, median [min, max] over {Seeds} seeds (R1 = supervised: every loss is its instance loss on labels)");
        Console.WriteLine($"{"loss",-18}" + string.Concat(BagSettings.Select(b => $" {b.Name,22}")));
        foreach (var loss in Losses)
            Console.WriteLine($"{loss.Name,-18}" + string.Concat(BagSettings.Select(b => $" {Cell(results[(loss.Name, b.Name)], r => r.Auc),22}")));
        Console.WriteLine($"{set}, {model}: test ECE-15, median [min, max]");
        foreach (var loss in Losses)
            Console.WriteLine($"{loss.Name,-18}" + string.Concat(BagSettings.Select(b => $" {Cell(results[(loss.Name, b.Name)], r => r.Ece),22}")));
        Console.WriteLine($"{set}, {model}: median fit seconds (epochs run, median)");
        foreach (var loss in Losses)
        {
            Console.WriteLine($"{loss.Name,-18}" + string.Concat(BagSettings.Select(b =>
            {
                var list = results[(loss.Name, b.Name)];
                return string.Create(CultureInfo.InvariantCulture, $" {$"{Median(list.Select(r => r.Seconds)):0.0} ({Median(list.Select(r => (double)r.Epochs)):0})",22}");
            })));
        }
        foreach (var ((lossName, bagsName), list) in results)
        {
            foreach (var failed in list.Where(r => r.Error is not null))
                Console.WriteLine($"  {lossName} {bagsName}: training failed: {failed.Error}");
        }
    }

    private static IEnumerable<string> Bars(string set, string model, Dictionary<(string Loss, string Bags), List<Result>> results)
    {
        double supervised = Median(results[("DLLP", "R1")].Select(r => r.Auc));
        var best = Losses.Select(l => (l.Name, Auc: Median(results[(l.Name, "R32")].Select(r => r.Auc)))).OrderByDescending(x => x.Auc).First();
        double gap = supervised - best.Auc;
        yield return string.Create(CultureInfo.InvariantCulture,
            $"{set}, {model}: supervised (BCE) AUC {supervised:0.0000}; best at R32 {best.Name} {best.Auc:0.0000}; gap {gap:0.0000} -> bar (gap <= 0.03) {(gap <= 0.03 ? "met" : "NOT met")}");
        int failures = results.Values.Sum(l => l.Count(r => r.Error is not null));
        yield return $"{set}, {model}: {failures} fit(s) stopped on a non-finite loss (reported above, never silent)";
    }

    private static string Cell(List<Result> list, Func<Result, double> value)
    {
        if (list.Any(r => r.Error is not null))
            return $"failed {list.Count(r => r.Error is not null)}/{list.Count}";
        var values = list.Select(value).ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"{Median(values):0.0000} [{values.Min():0.000},{values.Max():0.000}]");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Positives(IDataView data) => data.GetColumn<bool>("Label").Average(b => b ? 1.0 : 0.0);

    /// <summary>The data folder of the repository (walking up from the binary; the suite copies nothing).</summary>
    internal static string DataPath(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "data", relative);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"Could not find data/{relative} above {AppContext.BaseDirectory}.");
    }

    private static (IDataView Train, IDataView Test, int FeatureCount) Load(MLContext mlContext, string set)
    {
        var lines = File.ReadAllLines(DataPath(set == "mushroom" ? "riskscore/mushroom.csv" : "tabular/letter-recognition.csv")).Skip(1).ToArray();
        var rows = new List<Row>();
        foreach (string line in lines)
        {
            var fields = line.Split(',');
            if (set == "mushroom")
            {
                rows.Add(new Row
                {
                    Label = fields[0] == "1",
                    Features = fields.Skip(1).Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray(),
                });
            }
            else
            {
                rows.Add(new Row
                {
                    Label = fields[^1][0] <= 'M',
                    Features = fields.Take(fields.Length - 1).Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray(),
                });
            }
        }
        List<Row> train, test;
        if (set == "mushroom")
        {
            var order = Permutation(rows.Count, 2024);
            int testCount = rows.Count / 4;
            test = order.Take(testCount).Order().Select(i => rows[i]).ToList();
            train = order.Skip(testCount).Order().Select(i => rows[i]).ToList();
        }
        else
        {
            train = rows.Take(16000).ToList();
            test = rows.Skip(16000).ToList();
        }
        int d = rows[0].Features.Length;
        var component = FirstPrincipalComponent(train, d);
        foreach (var row in train)
            row.Component = (float)component(row.Features);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        return (mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(train, schema)), mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(test, schema)), d);
    }

    private static int[] Permutation(int n, int seed) => new CounterRandomStream(CounterRandom.SeedKey(seed), 0).Permutation(n);

    /// <summary>The projection on the first principal component of the standardised training features (power iteration, 200 steps).</summary>
    private static Func<float[], double> FirstPrincipalComponent(List<Row> train, int d)
    {
        var mean = new double[d];
        var sd = new double[d];
        foreach (var row in train)
            for (int j = 0; j < d; j++)
                mean[j] += row.Features[j] / (double)train.Count;
        foreach (var row in train)
            for (int j = 0; j < d; j++)
                sd[j] += Math.Pow(row.Features[j] - mean[j], 2) / train.Count;
        for (int j = 0; j < d; j++)
            sd[j] = sd[j] > 1e-12 ? Math.Sqrt(sd[j]) : 1;
        var covariance = new double[d, d];
        var z = new double[d];
        foreach (var row in train)
        {
            for (int j = 0; j < d; j++)
                z[j] = (row.Features[j] - mean[j]) / sd[j];
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++)
                    covariance[a, b] += z[a] * z[b];
        }
        var v = Enumerable.Range(0, d).Select(j => 1.0 / Math.Sqrt(d + j)).ToArray();
        for (int step = 0; step < 200; step++)
        {
            var next = new double[d];
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++)
                    next[a] += covariance[a, b] * v[b];
            double norm = Math.Sqrt(next.Sum(x => x * x));
            v = next.Select(x => x / norm).ToArray();
        }
        return features =>
        {
            double projection = 0;
            for (int j = 0; j < d; j++)
                projection += (features[j] - mean[j]) / sd[j] * v[j];
            return projection;
        };
    }
}
