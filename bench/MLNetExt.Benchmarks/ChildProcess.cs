using System.Diagnostics;
using System.Globalization;

namespace MLNetExt.Benchmarks;

/// <summary>
/// Runs a suite's measurement in a fresh process of this benchmark program, so that peak memory and start-up state
/// belong to that measurement alone. The child is this program with the suite name and an environment variable
/// saying what to do; it prints <c>key=value</c> lines, which come back as a dictionary. The child reports its own
/// peak resident set size with <see cref="ReportPeakMemory"/>; under Linux, /usr/bin/time -v adds the whole
/// process's maximum as <c>maxrss</c> (bytes).
/// </summary>
internal static class ChildProcess
{
    /// <summary>Starts the child for <paramref name="suite"/> with <paramref name="environment"/> and collects its figures.</summary>
    public static Dictionary<string, double> Run(string suite, IReadOnlyDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        string host = Environment.ProcessPath!;
        bool timed = File.Exists("/usr/bin/time");
        var start = new ProcessStartInfo(timed ? "/usr/bin/time" : host) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (timed)
        {
            start.ArgumentList.Add("-v");
            start.ArgumentList.Add(host);
        }
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        start.ArgumentList.Add(suite);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var figures = new Dictionary<string, double>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && double.TryParse(line[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                figures[line[..eq]] = value;
        }
        if (!process.WaitForExit(timeout ?? TimeSpan.FromHours(1)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The {suite} child process did not finish in {timeout}.");
        }
        string errors = stderr.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The {suite} child process failed (exit {process.ExitCode}):\n{errors}");
        foreach (string line in errors.Split('\n'))
        {
            const string MaxRss = "Maximum resident set size (kbytes):";
            if (line.Trim().StartsWith(MaxRss, StringComparison.Ordinal))
                figures["maxrss"] = 1024 * double.Parse(line.Trim()[MaxRss.Length..], CultureInfo.InvariantCulture);
        }
        return figures;
    }

    /// <summary>Prints one figure for the parent, in the child.</summary>
    public static void Report(string key, double value)
        => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}={value:R}"));

    /// <summary>The peak resident set size so far (VmHWM), in bytes; 0 where /proc is not available.</summary>
    public static double PeakMemory() => Status("VmHWM");

    /// <summary>The current resident set size (VmRSS), in bytes; 0 where /proc is not available.</summary>
    public static double CurrentMemory() => Status("VmRSS");

    /// <summary>Resets the peak (VmHWM) to the current size, so a phase's peak can be measured on its own.</summary>
    public static void ResetPeakMemory()
    {
        if (File.Exists("/proc/self/clear_refs"))
            File.WriteAllText("/proc/self/clear_refs", "5");
    }

    /// <summary>Reports the peak as <c>peak</c> (bytes).</summary>
    public static void ReportPeakMemory() => Report("peak", PeakMemory());

    private static double Status(string field)
    {
        if (!File.Exists("/proc/self/status"))
            return 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return 1024 * double.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
