using System.Diagnostics;
using System.Globalization;

namespace MLNetExt.Benchmarks;

/// <summary>
/// The memory suites' fresh processes: this program run again for one suite with settings in its environment, under
/// /usr/bin/time -v when it exists (an outside check of the peak). The child reports figures as <c>key=value</c> lines
/// (<see cref="Report"/>); its peak is read from /proc/self/status (<see cref="Status"/>).
/// </summary>
internal static class ChildProcess
{
    /// <summary>Runs the child and returns its figures, with <c>maxrss</c> (bytes) from /usr/bin/time -v when it ran under it.</summary>
    public static Dictionary<string, double> Run(string suite, string what, IReadOnlyDictionary<string, string> environment)
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
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var figures = new Dictionary<string, double>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && double.TryParse(line[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                figures[line[..eq]] = value;
        }
        process.WaitForExit();
        string errors = stderr.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The {what} child process failed (exit {process.ExitCode}):\n{errors}");
        foreach (string line in errors.Split('\n'))
        {
            const string MaxRss = "Maximum resident set size (kbytes):";
            if (line.Trim().StartsWith(MaxRss, StringComparison.Ordinal))
                figures["maxrss"] = 1024 * double.Parse(line.Trim()[MaxRss.Length..], CultureInfo.InvariantCulture);
        }
        return figures;
    }

    /// <summary>Writes one figure for the parent: <c>key=value</c>.</summary>
    public static void Report(string key, double value) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}={value:R}"));

    /// <summary>A field of /proc/self/status, in bytes.</summary>
    public static double Status(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return 1024 * double.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}.");
    }
}
