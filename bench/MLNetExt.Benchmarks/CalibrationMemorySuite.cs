using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using static MLNetExt.Benchmarks.ChildProcess;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Peak memory of the calibration evaluators and calibrators on 20 million rows, each in a fresh child process: the
/// data comes from a generated IDataView (each row computed from its index, nothing held), so the process's peak
/// resident set (VmHWM, reset to the current RSS just before the call through /proc/self/clear_refs) is the
/// component's own memory plus the runtime's baseline. The table sets it against the bytes of the columns the
/// component reads (ML.NET's representation: Boolean 1 byte, Single 4, a key 4). Settings: MLNETEXT_CALIBMEMORY_ROWS
/// (default 20,000,000), MLNETEXT_CALIBMEMORY_CASES (comma-separated case names; default all).
/// </summary>
internal static class CalibrationMemorySuite
{
    private const string ChildVariable = "MLNETEXT_CALIBMEMORY_CHILD";
    private const int Classes = 10;

    // Case, what it needs: bytes per row of the columns it reads.
    private static readonly (string Name, string Description, int BytesPerRow)[] Cases =
    [
        ("binary-evaluate", "BinaryClassification.EvaluateCalibration (Label, Probability)", 1 + 4),
        ("multiclass-evaluate", "MulticlassClassification.EvaluateCalibration (Label key, Score x10)", 4 + 4 * Classes),
        ("beta", "Calibrators.Beta fit (Label, Score)", 1 + 4),
        ("histogram", "Calibrators.HistogramBinning fit (Label, Score)", 1 + 4),
        ("binary-temperature", "Calibrators.TemperatureScaling fit (Label, Score)", 1 + 4),
        ("multiclass-temperature", "MulticlassClassification.TemperatureScaling fit (Label key, Score x10)", 4 + 4 * Classes),
    ];

    public static void Run()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) is { } child)
        {
            RunChild(child);
            return;
        }
        long rows = long.Parse(Environment.GetEnvironmentVariable("MLNETEXT_CALIBMEMORY_ROWS") ?? "20000000", CultureInfo.InvariantCulture);
        var selected = (Environment.GetEnvironmentVariable("MLNETEXT_CALIBMEMORY_CASES") ?? string.Join(",", Cases.Select(c => c.Name))).Split(',');
        Console.WriteLine();
        Console.WriteLine($"== calibmemory: peak RSS of each component on {rows:N0} generated rows, each in a fresh process ==");
        Console.WriteLine($"{"",-72} {"needed MB",9} {"peak MB",8} {"base MB",8} {"peak/needed",12} {"(peak-base)/needed",19} {"seconds",8} {"bar 1.5x: peak / (peak-base)",29}");
        foreach (var (name, description, bytesPerRow) in Cases.Where(c => selected.Contains(c.Name)))
        {
            var figures = RunChildProcess(name, rows);
            double needed = rows * (double)bytesPerRow;
            double peak = figures["peak"], baseline = figures["baseline"];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{description,-72} {needed / 1e6,9:N0} {peak / 1e6,8:N0} {baseline / 1e6,8:N0} {peak / needed,11:0.00}x {(peak - baseline) / needed,18:0.00}x {figures["seconds"],8:0.0} {Verdict(peak / needed),14} / {Verdict((peak - baseline) / needed)}"));
            if (figures.TryGetValue("maxrss", out double whole))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"  /usr/bin/time -v, whole process (warm-up included)",-72} {"",9} {whole / 1e6,8:N0}"));
        }
        Console.WriteLine("needed = rows x bytes of the columns read; peak = VmHWM from just before the call to its end; base = RSS just before the call");
        Console.WriteLine("(runtime, ML.NET and the JIT-compiled code, after a warm-up on 100,000 rows).");
        Console.WriteLine("bar (issue 21): peak working set at most 1.5x the bytes of the columns read, judged on the whole peak and on the");
        Console.WriteLine("component's own part (peak - base).");
    }

    private static string Verdict(double ratio) => ratio <= 1.5 ? "met" : "NOT met";

    private static Dictionary<string, double> RunChildProcess(string mode, long rows)
        => ChildProcess.Run("calibmemory", new Dictionary<string, string>
        {
            [ChildVariable] = mode,
            ["MLNETEXT_CALIBMEMORY_ROWS"] = rows.ToString(CultureInfo.InvariantCulture),
        });

    private static void RunChild(string mode)
    {
        long rows = long.Parse(Environment.GetEnvironmentVariable("MLNETEXT_CALIBMEMORY_ROWS")!, CultureInfo.InvariantCulture);
        var mlContext = new MLContext(seed: 1);
        Func<IDataView, object> run = mode switch
        {
            "binary-evaluate" => data => mlContext.BinaryClassification.EvaluateCalibration(data).ExpectedCalibrationError,
            "multiclass-evaluate" => data => mlContext.MulticlassClassification.EvaluateCalibration(data).ExpectedCalibrationError,
            "beta" => data => mlContext.BinaryClassification.Calibrators.Beta().Fit(data).A,
            "histogram" => data => mlContext.BinaryClassification.Calibrators.HistogramBinning().Fit(data).Probabilities[0],
            "binary-temperature" => data => mlContext.BinaryClassification.Calibrators.TemperatureScaling().Fit(data).Temperature,
            "multiclass-temperature" => data => mlContext.MulticlassClassification.TemperatureScaling().Fit(data).Temperature,
            _ => throw new ArgumentException($"Unknown case '{mode}'."),
        };
        bool multiclass = mode.StartsWith("multiclass", StringComparison.Ordinal);
        IDataView Data(long n) => multiclass ? new GeneratedMulticlassView(n, Classes) : new GeneratedBinaryView(n);

        run(Data(100_000)); // JIT and first allocations, so that the baseline holds them
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Report("baseline", CurrentMemory());
        ResetPeakMemory();
        var watch = Stopwatch.StartNew();
        object result = run(Data(rows));
        watch.Stop();
        ReportPeakMemory();
        Report("seconds", watch.Elapsed.TotalSeconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result {result}"));
    }
}

/// <summary>Deterministic pseudo-random numbers of a row index (SplitMix64): no state, so views can be re-read.</summary>
internal static class RowHash
{
    public static ulong Next(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>A uniform double in [0, 1) from 53 bits of the hash of (row, stream).</summary>
    public static double Uniform(long row, int stream) => (Next((ulong)row * 64 + (ulong)stream) >> 11) * (1.0 / (1UL << 53));
}

/// <summary>
/// Binary predictions computed from the row index: Label, Score (twice the true logit: over-confident) and Probability
/// = sigmoid(Score). Nothing is held in memory.
/// </summary>
internal sealed class GeneratedBinaryView(long rows) : IDataView
{
    public bool CanShuffle => false;

    public DataViewSchema Schema { get; } = Build();

    public long? GetRowCount() => rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this, rows);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

    private static DataViewSchema Build()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Label", BooleanDataViewType.Instance);
        builder.AddColumn("Score", NumberDataViewType.Single);
        builder.AddColumn("Probability", NumberDataViewType.Single);
        return builder.ToSchema();
    }

    private sealed class Cursor(GeneratedBinaryView view, long rows) : DataViewRowCursor
    {
        private long _position = -1;
        private double _logit;
        private bool _label;

        public override DataViewSchema Schema => view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (++_position >= rows)
                return false;
            double q = 0.0001 + 0.9998 * RowHash.Uniform(_position, 0);
            _label = RowHash.Uniform(_position, 1) < q;
            _logit = 2 * Math.Log(q / (1 - q));
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<bool>)((ref bool v) => v = _label),
                1 => (ValueGetter<float>)((ref float v) => v = (float)_logit),
                _ => (ValueGetter<float>)((ref float v) => v = (float)(1 / (1 + Math.Exp(-_logit)))),
            };
            return (ValueGetter<TValue>)getter;
        }
    }
}

/// <summary>Multiclass predictions computed from the row index: Label (key 1..K) and Score (softmax of random logits).</summary>
internal sealed class GeneratedMulticlassView(long rows, int classes) : IDataView
{
    public bool CanShuffle => false;

    public DataViewSchema Schema { get; } = Build(classes);

    public long? GetRowCount() => rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this, rows, classes);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

    private static DataViewSchema Build(int classes)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Label", new KeyDataViewType(typeof(uint), classes));
        builder.AddColumn("Score", new VectorDataViewType(NumberDataViewType.Single, classes));
        return builder.ToSchema();
    }

    private sealed class Cursor(GeneratedMulticlassView view, long rows, int classes) : DataViewRowCursor
    {
        private readonly float[] _score = new float[classes];
        private readonly double[] _logits = new double[classes];
        private long _position = -1;
        private uint _label;

        public override DataViewSchema Schema => view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (++_position >= rows)
                return false;
            int truth = (int)(RowHash.Uniform(_position, 0) * classes);
            double max = double.NegativeInfinity;
            for (int k = 0; k < classes; k++)
            {
                _logits[k] = 3 * RowHash.Uniform(_position, 2 + k) + (k == truth ? 2.5 : 0);
                max = Math.Max(max, _logits[k]);
            }
            double sum = 0;
            for (int k = 0; k < classes; k++)
                sum += _logits[k] = Math.Exp(_logits[k] - max);
            for (int k = 0; k < classes; k++)
                _score[k] = (float)(_logits[k] / sum);
            _label = (uint)(RowHash.Uniform(_position, 1) < 0.7 ? truth : (int)(RowHash.Uniform(_position, 40) * classes)) + 1;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index == 0
                ? (ValueGetter<uint>)((ref uint v) => v = _label)
                : (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) =>
                {
                    var editor = VBufferEditor.Create(ref v, classes);
                    _score.CopyTo(editor.Values);
                    v = editor.Commit();
                });
            return (ValueGetter<TValue>)getter;
        }
    }
}
