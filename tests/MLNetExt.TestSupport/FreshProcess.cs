using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Tests.Support;

/// <summary>
/// Loads saved models in a new process (tests/MLNetExt.LoadProbe), as a user's fresh application does: MLNetExt and
/// its sibling packages are loaded there only when ML.NET's model loader asks for them. The probe references every
/// MLNetExt package, so a model of any of them loads. A test project that uses this references the probe project with
/// <c>ReferenceOutputAssembly="false"</c> so that it is built first.
/// </summary>
public static class FreshProcess
{
    /// <summary>The built probe, next to the test binaries' configuration (Debug or Release).</summary>
    public static string ProbePath
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                ? "Release" : "Debug";
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "MLNetExt.sln")))
                directory = directory.Parent;
            Assert.IsNotNull(directory, $"No MLNetExt.sln above {AppContext.BaseDirectory}.");
            return Path.Combine(directory.FullName, "tests", "MLNetExt.LoadProbe", "bin", configuration, "net10.0", "MLNetExt.LoadProbe.dll");
        }
    }

    /// <summary>Runs the probe with <paramref name="arguments"/>; its exit code, output lines and error output.</summary>
    public static (int ExitCode, List<string> Lines, string Stderr) RunProbe(IEnumerable<string> arguments, int timeoutSeconds = 120)
    {
        string probe = ProbePath;
        Assert.IsTrue(File.Exists(probe), $"The load probe is not built at {probe}.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(probe);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
            lines.Add(line);
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill();
            Assert.Fail($"the probe did not finish in {timeoutSeconds} s");
        }
        return (process.ExitCode, lines, stderr.Result);
    }

    /// <summary>
    /// Saves <paramref name="model"/>, loads it in a new process that has not loaded MLNetExt, applies it to
    /// <paramref name="input"/> there, and checks that every column of <paramref name="outputColumns"/> equals this
    /// process's output bit for bit. Returns the probe's "state=" lines (one per MLNetExt transformer in the model).
    /// </summary>
    public static string[] AssertSameOutputs(MLContext mlContext, ITransformer model, IDataView input, params string[] outputColumns)
    {
        var directory = Directory.CreateTempSubdirectory("mlnetext-fresh-");
        try
        {
            string modelPath = Path.Combine(directory.FullName, "model.zip");
            string inputPath = Path.Combine(directory.FullName, "in.idv");
            string outputPath = Path.Combine(directory.FullName, "out.idv");
            mlContext.Model.Save(model, input.Schema, modelPath);
            using (var stream = File.Create(inputPath))
                mlContext.Data.SaveAsBinary(input, stream, keepHidden: false);
            var (exitCode, lines, stderr) = RunProbe([modelPath, inputPath, outputPath]);
            Assert.AreEqual(0, exitCode, stderr);
            Assert.AreEqual("preloaded=False", lines[0], "MLNetExt must not be loaded before Model.Load");
            Assert.IsFalse(lines.Any(l => l.StartsWith("error=", StringComparison.Ordinal)), string.Join("\n", lines));
            var theirs = mlContext.Data.LoadFromBinary(outputPath);
            var ours = model.Transform(input);
            var expected = Conformance.Outputs(ours, outputColumns);
            var actual = Conformance.Outputs(theirs, outputColumns);
            Assert.AreEqual(expected.Count, actual.Count, "rows");
            for (int r = 0; r < expected.Count; r++)
            {
                for (int c = 0; c < outputColumns.Length; c++)
                {
                    CollectionAssert.AreEqual(expected[r][c].Select(BitConverter.DoubleToInt64Bits).ToArray(),
                        actual[r][c].Select(BitConverter.DoubleToInt64Bits).ToArray(), $"{outputColumns[c]}, row {r}");
                }
            }
            return lines.Where(l => l.StartsWith("state=", StringComparison.Ordinal)).Select(l => l["state=".Length..]).ToArray();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
