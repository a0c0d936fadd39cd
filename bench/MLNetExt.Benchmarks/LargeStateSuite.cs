using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.Benchmarks.LargeStateTransformer))]

namespace MLNetExt.Benchmarks;

/// <summary>
/// Persistence of a large model: a component whose state is one float array (by default 268,435,456 floats, 1 GiB,
/// the size of a large network's weights) is saved with <c>mlContext.Model.Save</c> to a file in one fresh process
/// and loaded with <c>mlContext.Model.Load</c> in another. Each child process reports its peak resident set size
/// (VmHWM, reset before each phase through /proc/self/clear_refs) against the state size, and the throughput; the
/// same is measured for the MLNetExt envelope alone (no ML.NET, no zip) to show what ML.NET's zip handling adds.
/// Settings: MLNETEXT_LARGESTATE_FLOATS (count), MLNETEXT_LARGESTATE_DIR (where the files go; default the temp dir).
/// </summary>
internal static class LargeStateSuite
{
    private const string ChildVariable = "MLNETEXT_LARGESTATE_CHILD";

    public static void Run()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) is { } child)
        {
            RunChild(child);
            return;
        }
        long count = long.Parse(Environment.GetEnvironmentVariable("MLNETEXT_LARGESTATE_FLOATS") ?? "268435456", CultureInfo.InvariantCulture);
        string root = Environment.GetEnvironmentVariable("MLNETEXT_LARGESTATE_DIR") ?? Path.GetTempPath();
        string directory = Directory.CreateDirectory(Path.Combine(root, $"mlnetext-largestate-{Guid.NewGuid():N}")).FullName;
        long state = 4 * count;
        Console.WriteLine();
        Console.WriteLine($"== largestate: one float array of {count:N0} values ({state / 1048576.0:N0} MiB), saved and loaded in fresh processes ==");
        try
        {
            var save = RunChildProcess("save", directory, count);
            var load = RunChildProcess("load", directory, count);
            Console.WriteLine($"{"",-46} {"seconds",8} {"MB/s",8} {"peak RSS MiB",13} {"peak/state",11} {"(peak-base)/state",18}");
            double baseSave = Value(save, "baseline");
            double baseLoad = Value(load, "baseline");
            Row("save: mlContext.Model.Save (file)", save, "save", state, baseSave);
            Row("save: MLNetExt envelope alone (file)", save, "envelope", state, baseSave);
            Row("load: mlContext.Model.Load (file)", load, "load", state, baseLoad);
            Row("load: MLNetExt envelope alone (file)", load, "envelope", state, baseLoad);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"baseline RSS (runtime + ML.NET, before the state exists): save process {baseSave / 1048576:N0} MiB, load process {baseLoad / 1048576:N0} MiB"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model file {Value(save, "file") / 1048576:N1} MiB (state {state / 1048576.0:N1} MiB: ML.NET deflates the entry); envelope file {Value(save, "envelopefile") / 1048576:N1} MiB"));
            Console.WriteLine($"values after load equal to the saved ones: Model.Load {Value(load, "loadok") == 1}, envelope {Value(load, "envelopeok") == 1}");
            if (save.TryGetValue("maxrss", out double saveMax) && load.TryGetValue("maxrss", out double loadMax))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"/usr/bin/time -v, whole child process: save {saveMax / 1048576:N0} MiB ({saveMax / state:0.00}x state), load {loadMax / 1048576:N0} MiB ({loadMax / state:0.00}x state)"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Row(string name, Dictionary<string, double> figures, string phase, long state, double baseline)
    {
        double seconds = Value(figures, phase + "s");
        double peak = Value(figures, phase + "peak");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-46} {seconds,8:0.00} {state / 1e6 / seconds,8:N0} {peak / 1048576,13:N0} {peak / state,10:0.00}x {(peak - baseline) / state,17:0.00}x"));
    }

    private static double Value(Dictionary<string, double> figures, string key)
        => figures.TryGetValue(key, out double value) ? value : throw new InvalidOperationException($"The child process did not report '{key}'.");

    // Runs this program again with the child variable set; under /usr/bin/time -v when it exists (an outside check).
    private static Dictionary<string, double> RunChildProcess(string mode, string directory, long count)
        => ChildProcess.Run("largestate", new Dictionary<string, string>
        {
            [ChildVariable] = mode,
            ["MLNETEXT_LARGESTATE_PATH"] = directory,
            ["MLNETEXT_LARGESTATE_FLOATS"] = count.ToString(CultureInfo.InvariantCulture),
        });

    private static void RunChild(string mode)
    {
        string directory = Environment.GetEnvironmentVariable("MLNETEXT_LARGESTATE_PATH")!;
        int count = int.Parse(Environment.GetEnvironmentVariable("MLNETEXT_LARGESTATE_FLOATS")!, CultureInfo.InvariantCulture);
        string modelPath = Path.Combine(directory, "model.zip"), envelopePath = Path.Combine(directory, "envelope.bin");
        var mlContext = new MLContext(seed: 1);

        // Warm up every code path on a tiny state, so that the baseline holds the JIT-compiled code too.
        string tiny = Path.Combine(directory, $"tiny-{mode}.zip");
        mlContext.Model.Save(new LargeStateTransformer(Generate(1000)), null!, tiny);
        mlContext.Model.Load(tiny, out _);
        using (var file = File.Create(tiny + ".bin"))
            ModelPersistence.ToStream(file, new LargeStateTransformer(Generate(1000)));
        using (var file = File.OpenRead(tiny + ".bin"))
            ModelPersistence.FromStream(mlContext, file);
        GC.Collect();
        Report("baseline", ChildProcess.CurrentMemory());

        if (mode == "save")
        {
            var component = new LargeStateTransformer(Generate(count));
            Measure("save", () => mlContext.Model.Save(component, null!, modelPath));
            Measure("envelope", () =>
            {
                using var file = File.Create(envelopePath);
                ModelPersistence.ToStream(file, component);
            });
            Report("file", new FileInfo(modelPath).Length);
            Report("envelopefile", new FileInfo(envelopePath).Length);
            GC.KeepAlive(component);
            return;
        }

        LargeStateTransformer? loaded = null;
        Measure("load", () => loaded = (LargeStateTransformer)mlContext.Model.Load(modelPath, out _));
        Report("loadok", Matches(loaded!.Values) ? 1 : 0);
        loaded = null;
        GC.Collect();
        Measure("envelope", () =>
        {
            using var file = File.OpenRead(envelopePath);
            loaded = (LargeStateTransformer)ModelPersistence.FromStream(mlContext, file);
        });
        Report("envelopeok", Matches(loaded!.Values) ? 1 : 0);
    }

    // Times one phase and reports its peak RSS: the kernel's high-water mark is reset to the current RSS first.
    private static void Measure(string phase, Action action)
    {
        GC.Collect();
        ChildProcess.ResetPeakMemory();
        var watch = Stopwatch.StartNew();
        action();
        watch.Stop();
        Report(phase + "s", watch.Elapsed.TotalSeconds);
        Report(phase + "peak", ChildProcess.PeakMemory());
    }

    private static void Report(string key, double value) => ChildProcess.Report(key, value);

    // Weights-like values: 24 random bits each (xorshift32), uniform in [-1, 1): as incompressible as trained weights.
    private static float[] Generate(int count)
    {
        var values = GC.AllocateUninitializedArray<float>(count);
        uint x = 2463534242;
        for (int i = 0; i < values.Length; i++)
            values[i] = Next(ref x);
        return values;
    }

    private static bool Matches(float[] values)
    {
        uint x = 2463534242;
        for (int i = 0; i < values.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(values[i]) != BitConverter.SingleToInt32Bits(Next(ref x)))
                return false;
        }
        return true;
    }

    private static float Next(ref uint x)
    {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return (x >> 8) * (1f / (1 << 23)) - 1f;
    }
}

/// <summary>A bench-only component: a large float state and nothing else (an identity transformer).</summary>
internal sealed class LargeStateTransformer : ITransformer, IPersistentComponent<LargeStateTransformer>
{
    private static readonly ComponentFormat Format = new("MLNetExt.Benchmarks.LargeState", 1);

    public LargeStateTransformer(float[] values) => Values = values;

    public float[] Values { get; }

    public bool IsRowToRowMapper => false;

    static ComponentFormat IPersistentComponent<LargeStateTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();

    public IDataView Transform(IDataView input) => input;

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, this);

    void IPersistentComponent.SaveState(ModelStateWriter writer) => writer.Write(Values);

    static LargeStateTransformer IPersistentComponent<LargeStateTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
        => new(reader.ReadSingleArray("the values"));
}
