using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNetExt.RiskScores;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Integer risk scores (issue "Integer risk scores and scoring systems"): 5-fold stratified cross-validation (seed 42)
/// on data/riskscore/*.csv for k = 5 and 10: test AUC, train logistic loss, model size and fit seconds per fold of
/// Fast mode, Certified mode (time-limited per fold) and a rounded L1-logistic baseline (ML.NET's
/// LbfgsLogisticRegression); FasterRisk itself on the same folds in the same run when its source is given; then the
/// proofs of the golden optima and SLIM's mammo optimum on all rows.
/// Environment: MLNETEXT_FASTERRISK=&lt;FasterRisk's src folder&gt; (python3 with numpy and scikit-learn);
/// MLNETEXT_RISKSCORE_CERTIFIED=&lt;seconds per fold, 0 = skip&gt; (default 20); MLNETEXT_RISKSCORE_PROOFS=&lt;runs, 0 = skip&gt; (default 3);
/// MLNETEXT_RISKSCORE_SETS=&lt;comma-separated subset of breastcancer,mammo,mushroom; empty = proofs only&gt;.
/// The proofs run with a 600 s limit so a loaded machine still finishes them; the table gives wall and CPU seconds, and
/// the bar (gap 0 within 60 s) is judged on both.
/// </summary>
internal static class RiskScoreSuite
{
    private const int Folds = 5;
    private const int FoldSeed = 42;
    private const double ProofLimitSeconds = 600;
    private static readonly string[] Sets = ["breastcancer", "mammo", "mushroom"];

    private sealed record Data(string Name, float[][] X, bool[] Y, string[] Names, int[] Fold);

    private sealed record FoldResult(double Auc, double TrainLoss, int Size, double Seconds, double CpuSeconds, double Gap = double.NaN);

    public static void Run()
    {
        string? fasterRisk = Environment.GetEnvironmentVariable("MLNETEXT_FASTERRISK");
        double certifiedSeconds = double.Parse(Environment.GetEnvironmentVariable("MLNETEXT_RISKSCORE_CERTIFIED") ?? "20", CultureInfo.InvariantCulture);
        int proofRuns = int.Parse(Environment.GetEnvironmentVariable("MLNETEXT_RISKSCORE_PROOFS") ?? "3", CultureInfo.InvariantCulture);
        Console.WriteLine();
        Console.WriteLine($"== riskscores: 5-fold stratified CV (seed {FoldSeed}), k = 5 and 10; FasterRisk {(fasterRisk is null ? "not run (set MLNETEXT_FASTERRISK)" : "run beside, same folds")} ==");
        var summary = new List<string>();
        var sets = Environment.GetEnvironmentVariable("MLNETEXT_RISKSCORE_SETS")?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? Sets;
        foreach (string set in sets)
        {
            var data = Load(set);
            foreach (int k in new[] { 5, 10 })
            {
                Console.WriteLine();
                Console.WriteLine($"-- {set} ({data.Y.Length} rows, {data.Names.Length} features), k = {k} --");
                var results = new List<(string Method, FoldResult[] Folds)>();
                var fast = CrossValidate(data, (ml, train) => Fast(ml, train, k));
                results.Add(("MLNetExt Fast", fast));
                FoldResult[]? reference = null;
                if (fasterRisk is not null)
                {
                    reference = FasterRisk(fasterRisk, data, k);
                    results.Add(("FasterRisk (python, same folds)", reference));
                }
                if (certifiedSeconds > 0 && !(set == "mushroom" && k == 10))
                    results.Add(($"MLNetExt Certified ({certifiedSeconds:0} s limit)", CrossValidate(data, (ml, train) => Certified(ml, train, k, certifiedSeconds))));
                results.Add(("rounded L1 logistic (ML.NET L-BFGS)", CrossValidate(data, (ml, train) => RoundedLogistic(ml, train, k))));
                Print(results);
                if (reference is not null)
                {
                    double aucFast = fast.Average(f => f.Auc), aucReference = reference.Average(f => f.Auc);
                    double ratio = Mean(fast.Select(f => f.Seconds)) / Mean(reference.Select(f => f.Seconds));
                    double medianRatio = Median(fast.Select((f, i) => f.Seconds / reference[i].Seconds));
                    double cpuRatio = Mean(fast.Select(f => f.CpuSeconds)) / Mean(reference.Select(f => f.CpuSeconds));
                    string line = string.Create(CultureInfo.InvariantCulture,
                        $"{set,-13} k={k,-2}: AUC Fast {aucFast:0.000000} vs FasterRisk {aucReference:0.000000} ({(aucFast >= aucReference ? "met" : "NOT met")}); time per fold {Mean(fast.Select(f => f.Seconds)):0.000} s vs {Mean(reference.Select(f => f.Seconds)):0.000} s = {ratio:0.000}x (median of per-fold ratios {medianRatio:0.000}x; bar 0.2x: {(ratio <= 0.2 ? "met" : "NOT met")}); CPU seconds {cpuRatio:0.000}x");
                    summary.Add(line);
                }
            }
        }
        if (summary.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("== riskscores: Fast mode bars (mean test AUC >= FasterRisk's, mean time per fold <= 0.2x its) ==");
            foreach (var line in summary)
                Console.WriteLine(line);
        }
        if (proofRuns > 0)
            Proofs(proofRuns);
    }

    // ------------------------------------------------------------------ methods

    private static (RiskScoreModelParameters Model, double Seconds) Time(Func<RiskScoreModelParameters> fit)
    {
        var clock = Stopwatch.StartNew();
        var model = fit();
        return (model, clock.Elapsed.TotalSeconds);
    }

    private static (Func<float[], double> Score, int Size, double Seconds, double Gap) Fast(MLContext ml, IDataView train, int k)
    {
        var (model, seconds) = Time(() => ml.BinaryClassification.Trainers.RiskScore(maximumFeatureCount: k).Fit(train).Model);
        return (x => model.Score(x), model.Points.Count, seconds, double.NaN);
    }

    private static (Func<float[], double> Score, int Size, double Seconds, double Gap) Certified(MLContext ml, IDataView train, int k, double limit)
    {
        var (model, seconds) = Time(() => ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
        {
            Mode = RiskScoreMode.Certified,
            MaximumFeatureCount = k,
            TimeLimitSeconds = limit,
        }).Fit(train).Model);
        return (x => model.Score(x), model.Points.Count, seconds, model.Certificate!.Gap);
    }

    /// <summary>
    /// ML.NET's L1-regularised logistic regression, its k largest |weights| kept, scaled so the largest is 5 and rounded
    /// (intercept too); score = rounded total / scale.
    /// </summary>
    private static (Func<float[], double> Score, int Size, double Seconds, double Gap) RoundedLogistic(MLContext ml, IDataView train, int k)
    {
        var clock = Stopwatch.StartNew();
        var fitted = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            L1Regularization = 1,
            L2Regularization = 0,
        }).Fit(train);
        var weights = fitted.Model.SubModel.Weights.ToArray();
        double bias = fitted.Model.SubModel.Bias;
        var keep = Enumerable.Range(0, weights.Length).OrderByDescending(j => Math.Abs(weights[j])).Take(k).Where(j => weights[j] != 0).ToHashSet();
        double largest = keep.Count == 0 ? 1 : keep.Max(j => Math.Abs(weights[j]));
        double scale = 5 / largest;
        var points = weights.Select((w, j) => keep.Contains(j) ? Math.Round(w * scale) : 0).ToArray();
        double intercept = Math.Round(bias * scale);
        double seconds = clock.Elapsed.TotalSeconds;
        return (x =>
        {
            double s = intercept;
            for (int j = 0; j < x.Length; j++)
                s += points[j] * x[j];
            return s / scale;
        }, points.Count(p => p != 0), seconds, double.NaN);
    }

    private static FoldResult[] CrossValidate(Data data, Func<MLContext, IDataView, (Func<float[], double> Score, int Size, double Seconds, double Gap)> fit)
    {
        // A warm-up fit (not counted) so the first fold does not pay for JIT compilation.
        fit(new MLContext(seed: 1), View(new MLContext(seed: 1), data, i => data.Fold[i] != 0));
        var results = new FoldResult[Folds];
        for (int f = 0; f < Folds; f++)
        {
            var ml = new MLContext(seed: 1);
            int fold = f;
            var train = View(ml, data, i => data.Fold[i] != fold);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var (score, size, seconds, gap) = fit(ml, train);
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var testScores = new List<double>();
            var testLabels = new List<bool>();
            double loss = 0;
            int trainCount = 0;
            for (int i = 0; i < data.Y.Length; i++)
            {
                double s = score(data.X[i]);
                if (data.Fold[i] == fold)
                {
                    testScores.Add(s);
                    testLabels.Add(data.Y[i]);
                }
                else
                {
                    double m = data.Y[i] ? s : -s;
                    loss += m > 0 ? Math.Log(1 + Math.Exp(-m)) : -m + Math.Log(1 + Math.Exp(m));
                    trainCount++;
                }
            }
            results[f] = new FoldResult(Auc(testScores, testLabels), loss / trainCount, size, seconds, cpuSeconds, gap);
        }
        return results;
    }

    /// <summary>Area under the ROC curve with ties counted as one half (scikit-learn's roc_auc_score).</summary>
    private static double Auc(List<double> scores, List<bool> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        int positives = 0;
        for (int a = 0; a < order.Length;)
        {
            int b = a;
            while (b + 1 < order.Length && scores[order[b + 1]] == scores[order[a]])
                b++;
            double rank = (a + b) / 2.0 + 1;
            for (int t = a; t <= b; t++)
            {
                if (labels[order[t]])
                {
                    rankSum += rank;
                    positives++;
                }
            }
            a = b + 1;
        }
        int negatives = order.Length - positives;
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    // ------------------------------------------------------------------ FasterRisk beside

    private const string Driver = """
        import sys, time, types, os
        import numpy as np
        from sklearn.metrics import roc_auc_score
        src, data_path, fold_path, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        pkg = types.ModuleType('fasterrisk'); pkg.__path__ = [os.path.join(src, 'fasterrisk')]; sys.modules['fasterrisk'] = pkg
        from fasterrisk.fasterrisk import RiskScoreOptimizer, RiskScoreClassifier
        data = np.loadtxt(data_path, delimiter=',', skiprows=1)
        y = np.where(data[:, 0] > 0.5, 1.0, -1.0); X = data[:, 1:]
        folds = np.loadtxt(fold_path, dtype=int)
        for f in range(5):
            tr, te = folds != f, folds == f
            t0 = time.perf_counter(); c0 = time.process_time()
            opt = RiskScoreOptimizer(X=X[tr], y=y[tr], k=k)
            opt.optimize()
            m, b0, b = opt.get_models()
            t1 = time.perf_counter(); c1 = time.process_time()
            clf = RiskScoreClassifier(m[0], b0[0], b[0])
            auc = roc_auc_score(y[te], clf.predict_prob(X[te]))
            loss = clf.compute_logisticLoss(X[tr], y[tr]) / tr.sum()
            print(f"fold {f} {auc!r} {loss!r} {np.count_nonzero(b[0])} {t1 - t0!r} {c1 - c0!r}", flush=True)
        """;

    private static FoldResult[] FasterRisk(string source, Data data, int k)
    {
        string dir = Directory.CreateTempSubdirectory("riskscores-bench-").FullName;
        try
        {
            string driver = Path.Combine(dir, "driver.py");
            string folds = Path.Combine(dir, "folds.txt");
            File.WriteAllText(driver, Driver);
            File.WriteAllLines(folds, data.Fold.Select(f => f.ToString(CultureInfo.InvariantCulture)));
            var start = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { driver, source, DataPath(data.Name), folds, k.ToString(CultureInfo.InvariantCulture) })
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var results = new List<FoldResult>();
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (!line.StartsWith("fold ", StringComparison.Ordinal))
                    continue;
                var p = line.Split(' ');
                results.Add(new FoldResult(Parse(p[2]), Parse(p[3]), int.Parse(p[4], CultureInfo.InvariantCulture), Parse(p[5]), Parse(p[6])));
            }
            process.WaitForExit();
            if (results.Count != Folds)
                throw new InvalidOperationException($"FasterRisk did not finish: {error.Result}");
            return results.ToArray();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ proofs on all rows

    private static void Proofs(int runs)
    {
        Console.WriteLine();
        Console.WriteLine($"== riskscores: proofs on all rows ({runs} runs each, limit {ProofLimitSeconds} s; bar: gap 0 within 60 s on 2 cores) ==");
        var cases = new (string Name, double Golden, Func<MLContext, RiskScoreModelParameters> Fit)[]
        {
            ("RiskSLIM breastcancer k<=5 (Certified)", 0.11336464701598783, ml => ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
                { Mode = RiskScoreMode.Certified, TimeLimitSeconds = ProofLimitSeconds }).Fit(Full(ml, "breastcancer")).Model),
            ("RiskSLIM mammo k<=5 (Certified)", 0.4685592313167107, ml => ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
                { Mode = RiskScoreMode.Certified, TimeLimitSeconds = ProofLimitSeconds }).Fit(Full(ml, "mammo")).Model),
            ("SLIM mammo (C0 0.01, [-10, 10])", 0.228131, ml => ml.BinaryClassification.Trainers.Slim(new SlimTrainer.Options
                { TimeLimitSeconds = ProofLimitSeconds }).Fit(Full(ml, "mammo")).Model),
        };
        Console.WriteLine($"{"",-40} {"median s",9} {"min s",8} {"max s",8} {"CPU s",8} {"objective",20} {"golden",20} {"gap",10} {"status",-10} {"nodes",8}");
        foreach (var (name, golden, fit) in cases)
        {
            var seconds = new List<double>();
            var cpuSeconds = new List<double>();
            RiskScoreModelParameters? last = null;
            for (int r = 0; r < runs; r++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                last = fit(new MLContext(seed: 1));
                seconds.Add(clock.Elapsed.TotalSeconds);
                cpuSeconds.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
            }
            var c = last!.Certificate!;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-40} {Median(seconds),9:0.00} {seconds.Min(),8:0.00} {seconds.Max(),8:0.00} {Median(cpuSeconds),8:0.00} {c.UpperBound,20:R} {golden,20:R} {c.Gap,10:0.0E+0} {c.Status,-10} {c.Nodes,8}"));
        }
        Console.WriteLine("(seconds are the whole Fit: reading the data, the FasterRisk warm start and the proof; CPU s is the median process CPU time of a fit)");
    }

    // ------------------------------------------------------------------ data

    private static string DataPath(string name) => Path.Combine(AppContext.BaseDirectory, "data", "riskscore", $"{name}.csv");

    private static IDataView Full(MLContext ml, string name)
    {
        string path = DataPath(name);
        int d = File.ReadLines(path).First().Split(',').Length - 1;
        return ml.Data.CreateTextLoader(
            [new TextLoader.Column("Label", DataKind.Boolean, 0), new TextLoader.Column("Features", DataKind.Single, 1, d)],
            separatorChar: ',', hasHeader: true, dataSample: new MultiFileSource(path)).Load(path);
    }

    private static Data Load(string name)
    {
        var lines = File.ReadAllLines(DataPath(name));
        var names = lines[0].Split(',').Skip(1).ToArray();
        var x = new float[lines.Length - 1][];
        var y = new bool[lines.Length - 1];
        for (int i = 0; i < x.Length; i++)
        {
            var parts = lines[i + 1].Split(',');
            y[i] = parts[0] == "1";
            x[i] = parts.Skip(1).Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        }
        // Stratified folds: each class shuffled with a fixed seed, dealt round-robin.
        var fold = new int[y.Length];
        var random = new Random(FoldSeed);
        foreach (bool label in new[] { false, true })
        {
            var members = Enumerable.Range(0, y.Length).Where(i => y[i] == label).ToArray();
            random.Shuffle(members);
            for (int t = 0; t < members.Length; t++)
                fold[members[t]] = t % Folds;
        }
        return new Data(name, x, y, names, fold);
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private static IDataView View(MLContext ml, Data data, Func<int, bool> include)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Names.Length);
        var rows = Enumerable.Range(0, data.Y.Length).Where(include).Select(i => new Row { Features = data.X[i], Label = data.Y[i] }).ToList();
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    // ------------------------------------------------------------------ printing

    private static double Mean(IEnumerable<double> values) => values.Average();

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void Print(List<(string Method, FoldResult[] Folds)> results)
    {
        Console.WriteLine($"{"method",-40} {"test AUC",9} {"(min-max)",17} {"train loss",11} {"size",5} {"s/fold mean",12} {"median",8} {"CPU s",7} {"gap",9}");
        foreach (var (method, folds) in results)
        {
            double gap = folds.All(f => double.IsNaN(f.Gap)) ? double.NaN : folds.Max(f => f.Gap);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{method,-40} {folds.Average(f => f.Auc),9:0.0000} {$"({folds.Min(f => f.Auc):0.0000}-{folds.Max(f => f.Auc):0.0000})",17} {folds.Average(f => f.TrainLoss),11:0.00000} {folds.Average(f => f.Size),5:0.0} {Mean(folds.Select(f => f.Seconds)),12:0.000} {Median(folds.Select(f => f.Seconds)),8:0.000} {Mean(folds.Select(f => f.CpuSeconds)),7:0.000} {(double.IsNaN(gap) ? "" : gap.ToString("0.0%", CultureInfo.InvariantCulture)),9}"));
        }
    }
}
