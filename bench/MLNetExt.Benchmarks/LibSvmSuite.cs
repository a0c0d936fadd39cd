using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;

namespace MLNetExt.Benchmarks;

/// <summary>
/// LoadFromLibSvm's throughput on an MSLR-like learning-to-rank file (136 features, every feature written as MSLR
/// does, qid tokens, fixed seed, about 200 MB), and ML.NET's LoadFromSvmLightFile where it works. ML.NET's loader fails
/// on dense files above 128 rows (dotnet/machinelearning#5566): each ML.NET attempt runs in a child process with a
/// time limit, so a failure or a hang is reported and the run goes on; a file it reads is compared value by value with
/// ours, and only files it reads correctly are timed against ours.
/// Sizes: MLNETEXT_LIBSVM_MB (default 200) sets the large file's size.
/// </summary>
internal static class LibSvmSuite
{
    private const string ProbeVariable = "MLNETEXT_LIBSVM_PROBE";
    private static readonly TimeSpan ProbeTimeLimit = TimeSpan.FromSeconds(120);

    public static void Run()
    {
        if (Environment.GetEnvironmentVariable(ProbeVariable) is { Length: > 0 } probePath)
        {
            Probe(probePath);
            return;
        }
        long megabytes = long.TryParse(Environment.GetEnvironmentVariable("MLNETEXT_LIBSVM_MB"), CultureInfo.InvariantCulture, out long mb) ? mb : 200;
        string directory = Directory.CreateTempSubdirectory("mlnetext-libsvm-bench-").FullName;
        try
        {
            Large(directory, megabytes);
            Baselines(directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Large(string directory, long megabytes)
    {
        string path = Path.Combine(directory, "mslr-like.txt");
        var generated = Generate(path, megabytes * 1_000_000, denseMslr: true, featureCount: 136, seed: 2024);
        double mbytes = new FileInfo(path).Length / 1e6;
        Console.WriteLine();
        Console.WriteLine($"== libsvm: MSLR-like file, {generated.Rows:N0} rows in {generated.Queries:N0} queries, 136 features " +
            $"(all written, {generated.ZeroTokens:P0} of them zero), {mbytes:N1} MB ==");
        var mlContext = new MLContext(seed: 1);
        LibSvmDataView? view = null;
        var timings = Harness.Measure(
            ("LoadFromLibSvm: first pass (validate, count, qid runs)", () => view = mlContext.Data.LoadFromLibSvm(path)),
            ("cursor pass: Label, GroupId, Features", () => CursorPass(view!, features: true)),
            ("cursor pass: Label, GroupId (features not parsed)", () => CursorPass(view!, features: false)));
        Harness.Print(timings, "LoadFromLibSvm: first pass (validate, count, qid runs)", (long)mbytes, "MB");
        var check = CursorPass(view!, features: true);
        Console.WriteLine($"rows {view!.RowCount:N0} (generated {generated.Rows:N0}), groups {view.GroupCount:N0} (generated {generated.Queries:N0}), " +
            $"stored non-zero values {check.NonZeros:N0} (generated {generated.NonZeroTokens:N0}), feature count {view.FeatureCount}");
    }

    private static void Baselines(string directory)
    {
        Console.WriteLine();
        Console.WriteLine($"== libsvm: ML.NET LoadFromSvmLightFile, each attempt in a child process limited to {ProbeTimeLimit.TotalSeconds:0} s ==");
        string? largestReadable = null;
        bool reliable = true;
        foreach (int rows in new[] { 100, 128, 129, 1_000, 20_000 })
        {
            string path = Path.Combine(directory, $"mslr-like-{rows}.txt");
            Generate(path, long.MaxValue, denseMslr: true, featureCount: 136, seed: 2024, maximumRows: rows);
            string verdict = RunProbe(path);
            // The timed file: the largest of at most 128 rows (the size up to which #5566 reports the loader works) on
            // which every read was right. Larger files are not timed even when the three reads happened to be right:
            // ML.NET's mapper shares one buffer between the threads of its parallel cursor, so the outcome varies from
            // run to run.
            reliable &= verdict.StartsWith("ok", StringComparison.Ordinal);
            if (reliable && rows <= 128)
                largestReadable = path;
            Console.WriteLine($"MSLR-like, first {rows,6:N0} rows ({new FileInfo(path).Length / 1e6,6:N2} MB): {verdict}");
        }
        foreach (long bytes in new[] { 300_000L, 20_000_000L })
        {
            string sparse = Path.Combine(directory, $"sparse-{bytes}.txt");
            var generated = Generate(sparse, bytes, denseMslr: false, featureCount: 2_000, seed: 7);
            Console.WriteLine($"sparse (2,000 features, ~1% non-zero), {generated.Rows,6:N0} rows ({new FileInfo(sparse).Length / 1e6,6:N2} MB): {RunProbe(sparse)}");
        }
        if (largestReadable is null)
        {
            Console.WriteLine("ML.NET read none of the files correctly; nothing to time it on.");
            return;
        }

        // Timed where ML.NET reads correctly, loaded and read 20 times per run.
        const int repeats = 20;
        double mbytes = new FileInfo(largestReadable).Length / 1e6;
        Console.WriteLine();
        Console.WriteLine($"== libsvm: load + one cursor pass (Label, GroupId, Features) of the largest file ML.NET reads correctly " +
            $"({Path.GetFileName(largestReadable)}, {mbytes:0.000} MB), {repeats} times per run ==");
        var mlContext = new MLContext(seed: 1);
        Harness.Timing[] timings;
        try
        {
            timings = Harness.Measure(
                ("ML.NET LoadFromSvmLightFile + cursor pass", () => Repeat(repeats, () => CursorPass(mlContext.Data.LoadFromSvmLightFile(largestReadable), features: true))),
                ("MLNetExt LoadFromLibSvm + cursor pass", () => Repeat(repeats, () => CursorPass(mlContext.Data.LoadFromLibSvm(largestReadable), features: true))));
        }
        catch (InvalidOperationException ex)
        {
            Console.WriteLine($"ML.NET's loader failed while being timed: {ex.GetBaseException().Message}");
            return;
        }
        Harness.Print(timings, "ML.NET LoadFromSvmLightFile + cursor pass", (long)Math.Round(repeats * mbytes * 1000), "kB");
    }

    private static void Repeat(int times, Action action)
    {
        for (int i = 0; i < times; i++)
            action();
    }

    /// <summary>Reads every row; returns the row count and the number of stored feature values (so nothing is optimized away).</summary>
    private static (long Rows, long NonZeros, double LabelSum) CursorPass(IDataView view, bool features)
    {
        var label = view.Schema["Label"];
        var group = view.Schema["GroupId"];
        var feature = view.Schema["Features"];
        var columns = features ? new[] { label, group, feature } : new[] { label, group };
        using var cursor = view.GetRowCursor(columns);
        var getLabel = cursor.GetGetter<float>(label);
        var getFeatures = features ? cursor.GetGetter<VBuffer<float>>(feature) : null;
        // ML.NET's loader types the group as a key over UInt64, ours over UInt32.
        ValueGetter<uint>? getGroup32 = group.Type.RawType == typeof(uint) ? cursor.GetGetter<uint>(group) : null;
        ValueGetter<ulong>? getGroup64 = group.Type.RawType == typeof(ulong) ? cursor.GetGetter<ulong>(group) : null;
        float l = 0;
        uint g32 = 0;
        ulong g64 = 0;
        var buffer = default(VBuffer<float>);
        long rows = 0, nonZeros = 0;
        double labelSum = 0;
        while (cursor.MoveNext())
        {
            getLabel(ref l);
            getGroup32?.Invoke(ref g32);
            getGroup64?.Invoke(ref g64);
            if (getFeatures is not null)
            {
                getFeatures(ref buffer);
                nonZeros += buffer.GetValues().Length;
            }
            labelSum += l;
            rows++;
        }
        return (rows, nonZeros, labelSum);
    }

    /// <summary>
    /// Writes a learning-to-rank file with qid tokens. MSLR-like: every feature 1..featureCount written on every row
    /// (as MSLR-WEB10K does), a mix of small integers, ratios with 6 decimals, scores with 6 decimals, negative
    /// log-likelihoods and large counts. Sparse: about 1% of the features, ratios with 6 decimals.
    /// </summary>
    private static (long Rows, long Queries, long NonZeroTokens, double ZeroTokens) Generate(string path, long targetBytes, bool denseMslr,
        int featureCount, int seed, long maximumRows = long.MaxValue)
    {
        var random = new Random(seed);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var line = new byte[1 << 16];
        long rows = 0, queries = 0, nonZero = 0, tokens = 0;
        while (stream.Length < targetBytes && rows < maximumRows)
        {
            int size = random.Next(20, 220);
            queries++;
            for (int d = 0; d < size && stream.Length < targetBytes && rows < maximumRows; d++)
            {
                int n = 0;
                double u = random.NextDouble();
                int label = u < 0.5 ? 0 : u < 0.82 ? 1 : u < 0.95 ? 2 : u < 0.985 ? 3 : 4;
                n += Write(line.AsSpan(n), label);
                n += Copy(line.AsSpan(n), " qid:"u8);
                n += Write(line.AsSpan(n), queries);
                for (int j = 1; j <= featureCount; j++)
                {
                    if (!denseMslr && random.NextDouble() >= 0.01)
                        continue;
                    line[n++] = (byte)' ';
                    n += Write(line.AsSpan(n), j);
                    line[n++] = (byte)':';
                    int before = n;
                    n += denseMslr ? WriteMslrValue(line.AsSpan(n), j, random) : WriteDecimal(line.AsSpan(n), random.NextDouble(), 6);
                    tokens++;
                    // "-0.000" and "0.000000" are zeros too: count what the text means, not what it looks like.
                    if (!Utf8Parser.TryParse(line.AsSpan(before, n - before), out double written, out _) || written != 0)
                        nonZero++;
                }
                line[n++] = (byte)'\n';
                stream.Write(line, 0, n);
                rows++;
            }
        }
        return (rows, queries, nonZero, tokens == 0 ? 0 : 1 - (double)nonZero / tokens);
    }

    private static int WriteMslrValue(Span<byte> destination, int feature, Random random)
    {
        double u = random.NextDouble();
        switch (feature % 4)
        {
            case 0: // term counts: small integers, often 0
                return Write(destination, u < 0.35 ? 0 : random.Next(1, 12));
            case 1: // ratios in [0, 1]
                return u < 0.3 ? Write(destination, 0) : WriteDecimal(destination, random.NextDouble(), 6);
            case 2: // scores such as BM25 or IDF
                return u < 0.2 ? Write(destination, 0) : WriteDecimal(destination, random.NextDouble() * 200, 6);
            default: // language-model scores (negative) and large counts (PageRank, lengths)
                return u < 0.2 ? Write(destination, 0) : u < 0.6 ? WriteDecimal(destination, -random.NextDouble() * 600, 3) : Write(destination, random.Next(1, 70_000));
        }
    }

    private static int Write(Span<byte> destination, long value)
        => Utf8Formatter.TryFormat(value, destination, out int written) ? written : throw new InvalidOperationException("line buffer too small");

    private static int WriteDecimal(Span<byte> destination, double value, byte decimals)
        => Utf8Formatter.TryFormat(value, destination, out int written, new System.Buffers.StandardFormat('F', decimals)) ? written
            : throw new InvalidOperationException("line buffer too small");

    private static int Copy(Span<byte> destination, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination);
        return text.Length;
    }

    /// <summary>Runs <see cref="Probe"/> in a child process (this program, this suite) and returns its one-line verdict.</summary>
    private static string RunProbe(string path)
    {
        string executable = Environment.ProcessPath!;
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(executable) == "dotnet")
            start.ArgumentList.Add(typeof(LibSvmSuite).Assembly.Location);
        start.ArgumentList.Add("libsvm");
        start.Environment[ProbeVariable] = path;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var watch = Stopwatch.StartNew();
        if (!process.WaitForExit(ProbeTimeLimit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return $"HUNG: no result after {ProbeTimeLimit.TotalSeconds:0} s (child process killed)";
        }
        string verdict = output.Result.Split('\n').LastOrDefault(l => l.StartsWith("probe:", StringComparison.Ordinal)) ?? "";
        return verdict.Length > 0 ? verdict["probe:".Length..].Trim()
            : $"CRASHED: exit code {process.ExitCode} after {watch.Elapsed.TotalSeconds:0.0} s; {error.Result.Split('\n').FirstOrDefault()}";
    }

    /// <summary>
    /// In the child process: read the file with ML.NET's loader three times (its failures depend on thread timing) and
    /// compare every label and value with ours.
    /// </summary>
    private static void Probe(string path)
    {
        const int attempts = 3;
        var mlContext = new MLContext(seed: 1);
        var ours = Read(mlContext.Data.LoadFromLibSvm(path));
        var outcomes = new List<string>();
        double seconds = 0;
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            try
            {
                var watch = Stopwatch.StartNew();
                var ml = Read(mlContext.Data.LoadFromSvmLightFile(path));
                seconds += watch.Elapsed.TotalSeconds;
                outcomes.Add(Compare(ml, ours) is string difference ? $"WRONG VALUES ({difference})" : "ok");
            }
            catch (Exception ex)
            {
                var root = ex.GetBaseException();
                outcomes.Add($"FAILED ({root.GetType().Name}: {root.Message.Split('\n')[0]})");
            }
        }
        int correct = outcomes.Count(o => o == "ok");
        string verdict = correct == attempts
            ? $"ok: {attempts} of {attempts} reads equal to LoadFromLibSvm's in every label and value ({ours.Labels.Count:N0} rows, {seconds / attempts:0.00} s per read)"
            : $"{correct} of {attempts} reads correct; " + string.Join("; ", outcomes.Where(o => o != "ok").Distinct());
        Console.WriteLine("probe: " + verdict);
    }

    private sealed record Rows(List<float> Labels, List<float[]> Features, int Size);

    private static Rows Read(IDataView view)
    {
        var label = view.Schema["Label"];
        var feature = view.Schema["Features"];
        using var cursor = view.GetRowCursor([label, feature]);
        var getLabel = cursor.GetGetter<float>(label);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(feature);
        var rows = new Rows([], [], ((VectorDataViewType)feature.Type).Size);
        float l = 0;
        var buffer = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getLabel(ref l);
            getFeatures(ref buffer);
            rows.Labels.Add(l);
            rows.Features.Add(buffer.DenseValues().ToArray());
        }
        return rows;
    }

    private static string? Compare(Rows ml, Rows ours)
    {
        if (ml.Size != ours.Size)
            return $"feature vector size {ml.Size}, ours {ours.Size}";
        if (ml.Labels.Count != ours.Labels.Count)
            return $"{ml.Labels.Count} rows, ours {ours.Labels.Count}";
        for (int r = 0; r < ml.Labels.Count; r++)
        {
            if (ml.Labels[r] != ours.Labels[r])
                return $"row {r}: label {ml.Labels[r]}, ours {ours.Labels[r]}";
            for (int j = 0; j < ml.Size; j++)
            {
                if (!ml.Features[r][j].Equals(ours.Features[r][j]))
                    return $"row {r}, slot {j}: {ml.Features[r][j]:R}, ours {ours.Features[r][j]:R}";
            }
        }
        return null;
    }
}
