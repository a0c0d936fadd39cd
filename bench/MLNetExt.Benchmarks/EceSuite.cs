using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Binned ECE over 10 million binary predictions: the span kernel against numpy's bincount ECE on the same data
/// (bench/ece_numpy.py, run beside this process and timed run for run, interleaved), and the IDataView evaluator against
/// ML.NET's evaluator and against a bare cursor pass over the same two columns. The predictions are written once to a
/// temporary directory (MLNETEXT_ECE_DIR to choose it). Quote the medians and the medians of the paired ratios.
/// </summary>
internal static class EceSuite
{
    private const int Rows = 10_000_000;
    private const int Bins = 15;

    public static void Run()
    {
        Console.WriteLine();
        Console.WriteLine($"== ece: {Rows:N0} synthetic binary predictions (over-confident model), {Bins} equal-width bins ==");
        var (labels, scores, probabilities) = Synthetic.BinaryPredictions(Rows);
        SpanAgainstNumpy(labels, probabilities);
        EvaluatorAgainstCursorPass(labels, scores, probabilities);
        MulticlassEvaluator();
    }

    private static void SpanAgainstNumpy(bool[] labels, float[] probabilities)
    {
        string root = Environment.GetEnvironmentVariable("MLNETEXT_ECE_DIR") ?? Path.GetTempPath();
        string directory = Directory.CreateDirectory(Path.Combine(root, $"mlnetext-ece-{Guid.NewGuid():N}")).FullName;
        try
        {
            using (var p = File.Create(Path.Combine(directory, "p.f32")))
                p.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(probabilities.AsSpan()));
            using (var y = File.Create(Path.Combine(directory, "y.u8")))
                y.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()));
            string script = FindScript();
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(directory);
            start.ArgumentList.Add(Bins.ToString(CultureInfo.InvariantCulture));
            using var python = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
            string ready = python.StandardOutput.ReadLine() ?? throw new InvalidOperationException("python3: " + python.StandardError.ReadToEnd());
            Console.WriteLine($"numpy process: {ready}");

            double ece = 0, table = 0;
            var ours = new List<double>();
            var reliability = new List<double>();
            var typical = new List<double>();
            var minimal = new List<double>();
            double numpyEce = 0;
            // One warm-up round (JIT, page faults, numpy's first allocations), then interleaved timed rounds.
            for (int round = -1; round < Harness.Runs; round++)
            {
                var watch = Stopwatch.StartNew();
                ece = CalibrationMetrics.ExpectedCalibrationError(probabilities, labels, Bins);
                double seconds = watch.Elapsed.TotalSeconds;
                watch.Restart();
                table = CalibrationMetrics.Reliability(probabilities, labels, CalibrationBinning.EqualWidth(Bins)).ExpectedCalibrationError;
                double tableSeconds = watch.Elapsed.TotalSeconds;
                python.StandardInput.WriteLine("run");
                python.StandardInput.Flush();
                var a = python.StandardOutput.ReadLine()!.Split(' ');
                var b = python.StandardOutput.ReadLine()!.Split(' ');
                if (round < 0)
                    continue;
                ours.Add(seconds);
                reliability.Add(tableSeconds);
                typical.Add(double.Parse(a[1], CultureInfo.InvariantCulture));
                minimal.Add(double.Parse(b[1], CultureInfo.InvariantCulture));
                numpyEce = double.Parse(b[2], CultureInfo.InvariantCulture);
            }
            python.StandardInput.WriteLine("quit");
            python.WaitForExit();

            Console.WriteLine($"{"",-58} {"median s",9} {"min s",8} {"M pred/s",9} {"numpy(minimal)/this, paired median",36}");
            Row("CalibrationMetrics.ExpectedCalibrationError (span, float)", ours, minimal);
            Row("CalibrationMetrics.Reliability, whole table (span, float)", reliability, minimal);
            Row("numpy bincount ECE, typical (3 bincounts)", typical, minimal);
            Row("numpy bincount ECE, minimal (1 bincount of y - p)", minimal, minimal);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ECE-{Bins}: ours {ece:R}, table {table:R}, numpy {numpyEce:R} (|difference| {Math.Abs(ece - numpyEce):0.0e0}); {Harness.Runs} interleaved rounds after a warm-up"));
            double againstMinimal = PairedMedianRatio(minimal, ours), againstTypical = PairedMedianRatio(typical, ours);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bar (issue 21): span ECE >= 5x numpy's bincount ECE. numpy minimal / ours = {againstMinimal:0.00}x ({(againstMinimal >= 5 ? "met" : "NOT met")}), " +
                $"numpy typical / ours = {againstTypical:0.00}x ({(againstTypical >= 5 ? "met" : "NOT met")})"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Row(string name, List<double> seconds, List<double> baseline)
    {
        var ratios = seconds.Select((s, i) => baseline[i] / s).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-58} {Median(seconds),9:0.0000} {seconds.Min(),8:0.0000} {Rows / Median(seconds) / 1e6,9:0.0} {Median(ratios),35:0.00}x"));
    }

    private static double PairedMedianRatio(List<double> baseline, List<double> seconds) => Median(seconds.Select((s, i) => baseline[i] / s).ToList());

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "bench", "ece_numpy.py");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException("bench/ece_numpy.py was not found above " + AppContext.BaseDirectory);
    }

    private static void EvaluatorAgainstCursorPass(bool[] labels, float[] scores, float[] probabilities)
    {
        Console.WriteLine();
        Console.WriteLine($"== ece: EvaluateCalibration over an IDataView of {Rows:N0} rows (Label, Probability) ==");
        var mlContext = new MLContext(seed: 1);
        var view = new ArrayDataView(labels, scores, probabilities);
        BinaryCalibrationMetrics? metrics = null, streaming = null;
        CalibratedBinaryClassificationMetrics? ml = null;
        var streamingOnly = new CalibrationEvaluatorOptions { Metrics = CalibrationMetricGroups.Streaming };
        // Two groups: ML.NET's evaluator allocates about 260 MB a call, which slowed whatever ran next in an interleaved
        // round (the streaming evaluator by up to 2x), so it is paired only with the full evaluator.
        var timings = Harness.Measure(
            ("bare cursor pass: Label and Probability getters", () => CursorPass(view)),
            ("cursor pass summing Label and Probability", () => SummingPass(view)),
            ("MLNetExt EvaluateCalibration, Metrics = Streaming", () => streaming = mlContext.BinaryClassification.EvaluateCalibration(view, options: streamingOnly)),
            ("MLNetExt EvaluateCalibration, every metric", () => metrics = mlContext.BinaryClassification.EvaluateCalibration(view)));
        Harness.Print(timings, "bare cursor pass: Label and Probability getters", Rows, "rows");
        var pass = timings[0].MedianSeconds;
        double summing = timings[1].MedianSeconds;
        double streamingRatio = timings[2].MedianSeconds / pass, fullRatio = timings[3].MedianSeconds / pass;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bar (issue 21): EvaluateCalibration / bare cursor pass <= 1.5x: Metrics = Streaming {streamingRatio:0.00}x ({(streamingRatio <= 1.5 ? "met" : "NOT met")}), " +
            $"every metric {fullRatio:0.00}x ({(fullRatio <= 1.5 ? "met" : "NOT met")}); against the summing pass: Streaming {timings[2].MedianSeconds / summing:0.00}x, " +
            $"every metric {timings[3].MedianSeconds / summing:0.00}x"));
        var versusMlNet = Harness.Measure(
            ("MLNetExt EvaluateCalibration, every metric", () => metrics = mlContext.BinaryClassification.EvaluateCalibration(view)),
            ("ML.NET BinaryClassification.Evaluate", () => ml = mlContext.BinaryClassification.Evaluate(view)));
        Harness.Print(versusMlNet, "MLNetExt EvaluateCalibration, every metric", Rows, "rows");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ML.NET's evaluator / EvaluateCalibration every metric = {versusMlNet[1].MedianSeconds / versusMlNet[0].MedianSeconds:0.0}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"streaming ECE-15 {streaming!.ExpectedCalibrationError:R}, every-metric ECE-15 {metrics!.ExpectedCalibrationError:R} (same bits: {streaming.ExpectedCalibrationError == metrics.ExpectedCalibrationError})"));
        Console.WriteLine($"ECE-15 {metrics!.ExpectedCalibrationError:0.000000}, equal-mass {metrics.EqualMassExpectedCalibrationError:0.000000}, " +
            $"debiased {metrics.DebiasedCalibrationError:0.000000}, smooth {metrics.SmoothExpectedCalibrationError.Value:0.000000}; ML.NET AUC {ml!.AreaUnderRocCurve:0.0000}");
    }

    private static void MulticlassEvaluator()
    {
        const int n = 2_000_000, k = 10;
        Console.WriteLine();
        Console.WriteLine($"== ece: multiclass EvaluateCalibration over {n:N0} rows x {k} classes (Label key, Score vector) ==");
        var mlContext = new MLContext(seed: 1);
        var view = new MulticlassArrayDataView(SyntheticMulticlass.Generate(n, k));
        var streamingOnly = new CalibrationEvaluatorOptions { Metrics = CalibrationMetricGroups.Streaming };
        var timings = Harness.Measure(
            ("bare cursor pass: Label and Score getters", () => CursorPass(view, "Score")),
            ("MLNetExt EvaluateCalibration, Metrics = Streaming", () => mlContext.MulticlassClassification.EvaluateCalibration(view, options: streamingOnly)),
            ("MLNetExt EvaluateCalibration (multiclass)", () => mlContext.MulticlassClassification.EvaluateCalibration(view)),
            ("ML.NET MulticlassClassification.Evaluate", () => mlContext.MulticlassClassification.Evaluate(view)));
        Harness.Print(timings, "bare cursor pass: Label and Score getters", n, "rows");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"EvaluateCalibration / bare cursor pass: Metrics = Streaming {timings[1].MedianSeconds / timings[0].MedianSeconds:0.00}x, " +
            $"every metric {timings[2].MedianSeconds / timings[0].MedianSeconds:0.00}x"));
    }

    /// <summary>One cursor whose values are used: the positive count and the probability sum (a pass that discards the values
    /// lets the JIT drop the getters' stores once profile-guided optimisation has inlined them).</summary>
    internal static double SummingPass(IDataView view)
    {
        var label = view.Schema["Label"];
        var column = view.Schema["Probability"];
        using var cursor = view.GetRowCursor([label, column]);
        var labelGetter = cursor.GetGetter<bool>(label);
        var scoreGetter = cursor.GetGetter<float>(column);
        bool y = false;
        float p = 0;
        long positives = 0;
        double sum = 0;
        while (cursor.MoveNext())
        {
            labelGetter(ref y);
            scoreGetter(ref p);
            positives += y ? 1 : 0;
            sum += p;
        }
        return sum + positives;
    }

    /// <summary>What any evaluator must do at least: one cursor, the label and score getters called once per row.</summary>
    internal static void CursorPass(IDataView view, string score = "Probability")
    {
        var label = view.Schema["Label"];
        var column = view.Schema[score];
        using var cursor = view.GetRowCursor([label, column]);
        if (column.Type is VectorDataViewType)
        {
            var keyGetter = cursor.GetGetter<uint>(label);
            var vectorGetter = cursor.GetGetter<VBuffer<float>>(column);
            uint key = 0;
            VBuffer<float> vector = default;
            while (cursor.MoveNext())
            {
                keyGetter(ref key);
                vectorGetter(ref vector);
            }
            return;
        }
        var labelGetter = cursor.GetGetter<bool>(label);
        var scoreGetter = cursor.GetGetter<float>(column);
        bool y = false;
        float p = 0;
        while (cursor.MoveNext())
        {
            labelGetter(ref y);
            scoreGetter(ref p);
        }
    }
}
