using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNetExt.CovariateShift;
using MLNetExt.CovariateShift.Experiments;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Suite 'covariateshift-reference': our DW-GCS against a port of the authors' reference on the same splits.
/// <para>The splits are the 'covariateshift' suite's (<see cref="CovariateShiftProtocol"/>: diabetes, haberman,
/// mammographic, indianLiverPatient; shifts on features 1-3 and PCA; COVSHIFT_REPS repetitions, default 10;
/// COVSHIFT_SHIFTS=pca for the PCA shift alone). They are written as CSV to a temporary folder
/// (MLNETEXT_COVSHIFT_REF_DIR to choose where), and <c>reference/dwgcs_reference.py</c> (copied next to this program;
/// a cvxopt + HiGHS port of DWGCS/DWGCS.py with the paper's settings: linear features, no intercept, 0-1 loss,
/// deterministic rule, the D grid, sigma = mean distance to the 49th other neighbour over the whole z-scored set) runs
/// once over all of them with /usr/bin/python3 on one thread, beside the C# fits. Ours is fitted through the public
/// trainer twice: with the paper's settings (FitIntercept = false, StandardizeKernelFeatures = false, KernelBandwidth =
/// the same whole-set sigma, computed here) and with its defaults; ML.NET's LbfgsLogisticRegression (defaults) and the
/// script's sklearn LogisticRegression(C=1) are the unweighted baselines.</para>
/// </summary>
internal static class CovariateShiftReferenceSuite
{
    private const string AptLine = "apt-get install python3-numpy python3-scipy python3-sklearn python3-cvxopt";

    private sealed record Fit(double Error, double ExpectedError, double Bound, double D, double Seconds);

    private sealed record Ours(string Set, string Shift, int Rep, int N, int T, double LrError, Fit Paper, Fit Default);

    private sealed record Reference(double D, double Error, double ExpectedError, double Bound, double SklearnLrError, double Seconds);

    public static void Run()
    {
        var total = Stopwatch.StartNew();
        Console.WriteLine("== covariateshift-reference: DW-GCS (ours) against a port of the authors' DWGCS.py on the protocol's splits ==");
        string[] sets = ["diabetes", "haberman", "mammographic", "indianLiverPatient"];
        int repetitions = Environment.GetEnvironmentVariable("COVSHIFT_REPS") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 10;
        int[] shifts = Environment.GetEnvironmentVariable("COVSHIFT_SHIFTS") == "pca" ? [CovariateShiftProtocol.Pca] : [0, 1, 2, CovariateShiftProtocol.Pca];
        string root = Environment.GetEnvironmentVariable("MLNETEXT_COVSHIFT_REF_DIR") ?? Path.GetTempPath();
        string directory = Directory.CreateDirectory(Path.Combine(root, $"mlnetext-dwgcs-{Guid.NewGuid():N}")).FullName;
        try
        {
            var splits = new List<(string Set, string Shift, int Rep, ShiftSplit Split, double Sigma)>();
            var sigmas = new Dictionary<string, double>();
            using (var manifest = new StreamWriter(Path.Combine(directory, "manifest.csv")))
            {
                foreach (string set in sets)
                {
                    var data = ShiftDataSet.Load(Path.Combine(AppContext.BaseDirectory, "data", "tabular", set + ".csv"), set);
                    sigmas[set] = WholeSetSigma(data.Features, data.Rows, data.Dimension);
                    WriteCsv(Path.Combine(directory, set + "_whole.csv"), data.Features, data.Labels, data.Dimension);
                    foreach (int shift in shifts)
                    {
                        string name = shift == CovariateShiftProtocol.Pca ? "PCA" : $"f{shift + 1}";
                        for (int rep = 0; rep < repetitions; rep++)
                        {
                            var split = CovariateShiftProtocol.Split(data, shift, seed: rep);
                            string key = Path.Combine(directory, $"{set}_{name}_{rep}");
                            WriteCsv(key + ".train.csv", Array.ConvertAll(split.TrainFeatures, v => (double)v), split.TrainLabels, split.Dimension);
                            WriteCsv(key + ".test.csv", Array.ConvertAll(split.TargetFeatures, v => (double)v), split.TargetLabels, split.Dimension);
                            manifest.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{set},{name},{rep}"));
                            splits.Add((set, name, rep, split, sigmas[set]));
                        }
                    }
                }
            }

            var python = StartReference(directory);
            var ours = splits.Select(s => FitOurs(s.Set, s.Shift, s.Rep, s.Split, s.Sigma)).ToList();
            var (reference, referenceSigmas, pythonSeconds) = python is null ? (new(), new(), 0) : Collect(python);
            Report(ours, reference, sigmas, referenceSigmas, repetitions);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wall time {total.Elapsed.TotalSeconds:0} s (the reference's own seconds, summed over repetitions: {pythonSeconds:0}; " +
                $"ours paper {ours.Sum(o => o.Paper.Seconds):0}, ours default {ours.Sum(o => o.Default.Seconds):0})"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The paper's sigma: the mean over rows of the distance to the 49th other row of the whole set.</summary>
    private static double WholeSetSigma(double[] x, int rows, int d)
    {
        var distances = new double[rows];
        double sum = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < rows; j++)
            {
                double s = 0;
                for (int c = 0; c < d; c++)
                {
                    double z = x[i * d + c] - x[j * d + c];
                    s += z * z;
                }
                distances[j] = s;
            }
            Array.Sort(distances);
            sum += Math.Sqrt(distances[49]); // distances[0] is the row itself
        }
        return sum / rows;
    }

    private static void WriteCsv(string path, double[] x, bool[] labels, int d)
    {
        using var writer = new StreamWriter(path);
        for (int i = 0; i < labels.Length; i++)
        {
            for (int c = 0; c < d; c++)
            {
                writer.Write(x[i * d + c].ToString("R", CultureInfo.InvariantCulture));
                writer.Write(',');
            }
            writer.WriteLine(labels[i] ? '1' : '0');
        }
    }

    private sealed record Python(Process Process, Task<List<string>> Output, Task<string> Errors);

    /// <summary>Starts the script on one thread; null (and one line saying why) when it cannot run.</summary>
    private static Python? StartReference(string directory)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "reference", "dwgcs_reference.py");
        if (!File.Exists(script))
        {
            Console.WriteLine($"reference skipped: {script} is missing (it is copied there by the build)");
            return null;
        }
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(directory);
        foreach (string variable in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" })
            start.Environment[variable] = "1";
        try
        {
            var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
            var output = Task.Run(() =>
            {
                var lines = new List<string>();
                while (process.StandardOutput.ReadLine() is { } line)
                    lines.Add(line);
                return lines;
            });
            return new Python(process, output, process.StandardError.ReadToEndAsync());
        }
        catch (Win32Exception)
        {
            Console.WriteLine($"reference skipped: /usr/bin/python3 was not found ({AptLine})");
            return null;
        }
    }

    private static (Dictionary<string, Reference> Fits, Dictionary<string, double> Sigmas, double Seconds) Collect(Python python)
    {
        var lines = python.Output.Result;
        string errors = python.Errors.Result;
        python.Process.WaitForExit();
        int exitCode = python.Process.ExitCode;
        python.Process.Dispose();
        var fits = new Dictionary<string, Reference>();
        var sigmas = new Dictionary<string, double>();
        double seconds = 0;
        static double P(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        foreach (string line in lines)
        {
            var f = line.Split(' ');
            if (f[0] == "ready")
                Console.WriteLine("reference: " + line["ready ".Length..]);
            else if (f[0] == "sigma")
                sigmas[f[1]] = P(f[2]);
            else if (f[0] == "rep")
            {
                fits[$"{f[1]} {f[2]} {f[3]}"] = new Reference(P(f[6]), P(f[7]), P(f[8]), P(f[9]), P(f[10]), P(f[11]));
                seconds += P(f[11]);
            }
            else if (f[0] == "missing")
                Console.WriteLine($"reference skipped: python3 lacks the module '{f[1]}'; {AptLine}");
        }
        if (exitCode != 0 && exitCode != 3)
            Console.WriteLine($"reference failed (exit {exitCode}) after {fits.Count} repetitions: {errors.Trim()}");
        return (fits, sigmas, seconds);
    }

    private static Ours FitOurs(string set, string shift, int rep, ShiftSplit split, double sigma)
    {
        var ml = new MLContext(seed: rep);
        var train = CovariateShiftSuite.View(ml, split.TrainFeatures, split.TrainLabels, split.Dimension);
        var target = CovariateShiftSuite.View(ml, split.TargetFeatures, split.TargetLabels, split.Dimension);
        double lrError = CovariateShiftSuite.Error(ml.BinaryClassification.Trainers.LbfgsLogisticRegression().Fit(train).Transform(target), split.TargetLabels);
        Fit Dw(DoubleWeightingMinimaxRiskBinaryTrainer.Options options)
        {
            var watch = Stopwatch.StartNew();
            var model = ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target, options).Fit(train);
            double seconds = watch.Elapsed.TotalSeconds;
            var h = model.Model.TargetProbabilities;
            double expected = Enumerable.Range(0, split.TargetRows).Average(j => 1 - h[2 * j + (split.TargetLabels[j] ? 1 : 0)]);
            return new Fit(CovariateShiftSuite.Error(model.Transform(target), split.TargetLabels), expected, model.Model.UpperBound, model.Model.ChosenD, seconds);
        }
        var paper = Dw(new DoubleWeightingMinimaxRiskBinaryTrainer.Options { FitIntercept = false, StandardizeKernelFeatures = false, KernelBandwidth = sigma });
        var defaults = Dw(new DoubleWeightingMinimaxRiskBinaryTrainer.Options());
        return new Ours(set, shift, rep, split.TrainRows, split.TargetRows, lrError, paper, defaults);
    }

    private static void Report(List<Ours> ours, Dictionary<string, Reference> reference, Dictionary<string, double> sigmas,
        Dictionary<string, double> referenceSigmas, int repetitions)
    {
        foreach (var (set, sigma) in sigmas)
        {
            string theirs = referenceSigmas.TryGetValue(set, out double s) ? s.ToString("R", CultureInfo.InvariantCulture) : "-";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sigma {set}: ours {sigma:R}, reference {theirs}"));
        }
        bool haveReference = reference.Count > 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"set",-19} {"shift",-5} {"n",4} {"t",4} {"LR",6} {"skLR",6} {"REF",6} {"OURp",6} {"OURd",6} {"REF P",6} {"OURp P",6} {"R REF",6} {"R OURp",6} " +
            $"{"REF holds",9} {"OURp holds",10} {"OURd holds",10} {"|OURp-REF|",10} {"same D",6}"));
        var all = new List<(Ours O, Reference? R)>();
        var bars = new Dictionary<string, int[]> { ["REF"] = new int[4], ["OURS-paper"] = new int[4], ["OURS-default"] = new int[4] };
        foreach (var group in ours.GroupBy(o => (o.Set, o.Shift)))
        {
            var rows = group.Select(o => (O: o, R: reference.TryGetValue($"{o.Set} {o.Shift} {o.Rep}", out var x) ? x : null)).ToList();
            all.AddRange(rows);
            var paired = rows.Where(p => p.R is not null).Select(p => (p.O, R: p.R!)).ToList();
            string M(Func<Reference, double> f) => paired.Count == rows.Count && paired.Average(p => f(p.R)) is var v && !double.IsNaN(v)
                ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "-"; // NaN: the script's sklearn line is missing
            string Holds(Func<(Ours O, Reference R), bool> det, Func<(Ours O, Reference R), bool> prob) =>
                paired.Count == rows.Count ? $"{paired.Count(det)}/{paired.Count(prob)}" : "-";
            double lr = group.Average(o => o.LrError);
            string oursHolds = $"{group.Count(o => o.Paper.Bound >= o.Paper.Error)}/{group.Count(o => o.Paper.Bound >= o.Paper.ExpectedError)}";
            string defaultHolds = $"{group.Count(o => o.Default.Bound >= o.Default.Error)}/{group.Count(o => o.Default.Bound >= o.Default.ExpectedError)}";
            string difference = paired.Count == rows.Count ? paired.Average(p => Math.Abs(p.O.Paper.Error - p.R.Error)).ToString("0.0000", CultureInfo.InvariantCulture) : "-";
            string sameD = paired.Count == rows.Count ? $"{paired.Count(p => SameD(p.O.Paper.D, p.R.D))}/{rows.Count}" : "-";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{group.Key.Set,-19} {group.Key.Shift,-5} {group.Average(o => o.N),4:0} {group.Average(o => o.T),4:0} {lr,6:0.0000} {M(x => x.SklearnLrError),6} " +
                $"{M(x => x.Error),6} {group.Average(o => o.Paper.Error),6:0.0000} {group.Average(o => o.Default.Error),6:0.0000} {M(x => x.ExpectedError),6} " +
                $"{group.Average(o => o.Paper.ExpectedError),6:0.0000} {M(x => x.Bound),6} {group.Average(o => o.Paper.Bound),6:0.0000} " +
                $"{Holds(p => p.R.Bound >= p.R.Error, p => p.R.Bound >= p.R.ExpectedError),9} {oursHolds,10} {defaultHolds,10} {difference,10} {sameD,6}"));
            int column = group.Key.Shift == "PCA" ? 0 : 2;
            void Bar(string name, double error)
            {
                bars[name][column + 1]++;
                if (error <= lr)
                    bars[name][column]++;
            }
            if (paired.Count == rows.Count)
                Bar("REF", paired.Average(p => p.R.Error));
            Bar("OURS-paper", group.Average(o => o.Paper.Error));
            Bar("OURS-default", group.Average(o => o.Default.Error));
        }
        var full = all.Where(p => p.R is not null).Select(p => (p.O, R: p.R!)).ToList();
        int n = all.Count;
        string refTotals = haveReference && full.Count == n
            ? string.Create(CultureInfo.InvariantCulture,
                $"skLR {(full.Average(p => p.R.SklearnLrError) is var sk && !double.IsNaN(sk) ? sk.ToString("0.0000", CultureInfo.InvariantCulture) : "-")}, REF {full.Average(p => p.R.Error):0.0000} (P {full.Average(p => p.R.ExpectedError):0.0000}), " +
                $"REF holds {full.Count(p => p.R.Bound >= p.R.Error)}/{full.Count(p => p.R.Bound >= p.R.ExpectedError)}, " +
                $"|OURp-REF| {full.Average(p => Math.Abs(p.O.Paper.Error - p.R.Error)):0.0000}, same D {full.Count(p => SameD(p.O.Paper.D, p.R.D))}/{n}, ")
            : "reference missing, ";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"totals over {n} repetitions: LR {all.Average(p => p.O.LrError):0.0000}, {refTotals}" +
            $"OURp {all.Average(p => p.O.Paper.Error):0.0000} (P {all.Average(p => p.O.Paper.ExpectedError):0.0000}), OURd {all.Average(p => p.O.Default.Error):0.0000}, " +
            $"OURp holds {all.Count(p => p.O.Paper.Bound >= p.O.Paper.Error)}/{all.Count(p => p.O.Paper.Bound >= p.O.Paper.ExpectedError)}, " +
            $"OURd holds {all.Count(p => p.O.Default.Bound >= p.O.Default.Error)}/{all.Count(p => p.O.Default.Bound >= p.O.Default.ExpectedError)}"));
        foreach (var (name, b) in bars)
        {
            if (b[1] + b[3] > 0)
                Console.WriteLine($"mean error <= LR: {name,-12} PCA {b[0]}/{b[1]}" + (b[3] > 0 ? $", feature shifts {b[2]}/{b[3]}" : ""));
        }
        Console.WriteLine("(errors: mean over " + repetitions + " repetitions on the target rows; LR = ML.NET LbfgsLogisticRegression with defaults, skLR = sklearn " +
            "LogisticRegression(C=1), both unweighted; REF = the port of the authors' DWGCS.py (paper settings, D by the smallest R(U)); OURp = our " +
            "DoubleWeightingMinimaxRisk with the paper's settings (no intercept, kernel on the z-scored features with the same whole-set sigma), " +
            "OURd = the same with its defaults; deterministic rule; P = the probabilistic rule's expected error; R = mean R(U); holds = repetitions " +
            "with R(U) >= the deterministic / probabilistic error; |OURp-REF| = mean absolute difference of the two errors per repetition; " +
            "same D = repetitions in which both chose the same D)");
    }

    private static bool SameD(double a, double b) => Math.Abs(a - b) <= 1e-6 * Math.Max(a, b);
}
