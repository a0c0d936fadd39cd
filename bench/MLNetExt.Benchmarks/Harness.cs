using System.Diagnostics;
using System.Globalization;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Times an action: one warm-up, then <see cref="Runs"/> timed runs; reports the median (quoted) and the minimum,
/// and the bytes allocated per run. Machines here are shared and noisy, so suites print ratios of medians measured
/// in the same process, A and B interleaved.
/// </summary>
internal static class Harness
{
    public static int Runs { get; set; } = 5;

    public readonly record struct Timing(string Name, double MedianSeconds, double MinSeconds, long BytesPerRun);

    /// <summary>Times each action in turn, interleaved run by run, so machine drift hits all of them alike.</summary>
    public static Timing[] Measure(params (string Name, Action Action)[] actions)
    {
        foreach (var (_, action) in actions)
            action();
        var seconds = actions.Select(_ => new List<double>()).ToArray();
        var bytes = new long[actions.Length];
        for (int run = 0; run < Runs; run++)
        {
            for (int i = 0; i < actions.Length; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long before = GC.GetAllocatedBytesForCurrentThread();
                var watch = Stopwatch.StartNew();
                actions[i].Action();
                watch.Stop();
                bytes[i] += GC.GetAllocatedBytesForCurrentThread() - before;
                seconds[i].Add(watch.Elapsed.TotalSeconds);
            }
        }
        return actions.Select((a, i) =>
        {
            var sorted = seconds[i].OrderBy(s => s).ToArray();
            return new Timing(a.Name, sorted[sorted.Length / 2], sorted[0], bytes[i] / Runs);
        }).ToArray();
    }

    /// <summary>Prints one row per timing: median, min, throughput for <paramref name="items"/>, ratio to the baseline.</summary>
    public static void Print(IEnumerable<Timing> timings, string baselineName, long items, string unit)
    {
        var all = timings.ToArray();
        var baseline = all.Single(t => t.Name == baselineName);
        Console.WriteLine($"{"",-52} {"median s",9} {"min s",8} {unit + "/s",14} {"vs baseline",12} {"MB alloc",9}");
        foreach (var t in all)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{t.Name,-52} {t.MedianSeconds,9:0.0000} {t.MinSeconds,8:0.0000} {items / t.MedianSeconds,14:N0} {baseline.MedianSeconds / t.MedianSeconds,11:0.00}x {t.BytesPerRun / 1e6,9:0.0}"));
        }
        Console.WriteLine($"(vs baseline = baseline median / this median: above 1 is faster than '{baselineName}'; {Runs} runs after a warm-up)");
    }
}
