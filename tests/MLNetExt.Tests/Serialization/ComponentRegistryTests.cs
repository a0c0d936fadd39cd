using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using MLNetExt.Calibration;
using MLNetExt.Serialization;

using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Serialization;

/// <summary>
/// The registry that maps saved component ids to loaders: safe when a fresh process's first loads come from many
/// threads at once, all-or-nothing per assembly, and strict about ids (a duplicate names both types).
/// </summary>
[TestClass]
public sealed class ComponentRegistryTests
{
    private static readonly string[] CommittedModels = ["binary-calibrators-v1.zip", "temperature-v1.zip", "vector-scaling-v2.zip"];

    [TestMethod]
    public void FirstLoads_FromEightThreads_InTwelveFreshProcesses_AllSucceed()
    {
        // Each probe process starts 8 threads that wait at a barrier and then all call Model.Load at once, so they race
        // through ML.NET's loading of MLNetExt and our registration of its components (4 components in 3 files).
        // Before the registry published an assembly's entries together, 12 of 12 such processes failed with
        // "... does not know ... probably saved by a newer version".
        const int processes = 12, threads = 8, copies = 1;
        var models = CommittedModels.Select(f => Path.Combine(AppContext.BaseDirectory, "Models", f)).ToArray();
        var failures = new ConcurrentBag<string>();
        Parallel.For(0, processes, new ParallelOptions { MaxDegreeOfParallelism = 4 }, run =>
        {
            var (exitCode, lines, stderr) = FreshProcess.RunProbe(["--concurrent", $"{threads}", $"{copies}", .. models]);
            if (exitCode != 0 || lines.Count == 0 || lines[0] != "preloaded=False" || lines.Any(l => l.StartsWith("error=", StringComparison.Ordinal))
                || !lines.Contains($"loaded={threads * copies * models.Length}"))
            {
                failures.Add($"process {run}: exit {exitCode}\n{string.Join("\n", lines)}\n{stderr}");
            }
        });
        Assert.IsEmpty(failures, string.Join("\n\n", failures));
    }

    [TestMethod]
    public void ConcurrentFirstLookups_RegisterAnAssemblyOnce_AndAllSeeItsEntries()
    {
        int listed = 0;
        var table = new ComponentRegistry.Table(name =>
        {
            Interlocked.Increment(ref listed);
            Thread.Sleep(100); // widen the window in which other threads ask for the same assembly
            return ComponentRegistry.ListComponents(name);
        });
        const int threads = 8;
        using var barrier = new Barrier(threads);
        var found = new bool[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            barrier.SignalAndWait();
            found[t] = table.TryFind("MLNetExt.Calibration.BetaCalibration", "MLNetExt", out _, out _);
        })).ToArray();
        foreach (var worker in workers)
            worker.Start();
        foreach (var worker in workers)
            worker.Join();
        CollectionAssert.AreEqual(Enumerable.Repeat(true, threads).ToArray(), found);
        Assert.AreEqual(1, listed, "the assembly's attributes are read once");
    }

    [TestMethod]
    public void DuplicateId_AcrossAssemblies_IsAnErrorNamingBothTypes_AndPublishesNothing()
    {
        foreach (bool packageFirst in new[] { true, false })
        {
            var table = new ComponentRegistry.Table(name => name switch
            {
                "MLNetExt" => ComponentRegistry.ListComponents(name),
                "MLNetExt.Duplicate" => [typeof(FloatStateTransformer), typeof(DuplicateIdTransformer)],
                _ => [],
            });
            string first = packageFirst ? "MLNetExt" : "MLNetExt.Duplicate", second = packageFirst ? "MLNetExt.Duplicate" : "MLNetExt";
            Assert.IsTrue(table.TryFind("MLNetExt.Calibration.TemperatureScaling", first, out _, out _));
            var ex = Assert.ThrowsExactly<InvalidOperationException>(() => table.TryFind("MLNetExt.Calibration.TemperatureScaling", second, out _, out _));
            StringAssert.Contains(ex.Message, "Two MLNetExt components use the id 'MLNetExt.Calibration.TemperatureScaling'");
            StringAssert.Contains(ex.Message, typeof(TemperatureScalingTransformer).FullName!);
            StringAssert.Contains(ex.Message, typeof(DuplicateIdTransformer).FullName!);
            // Nothing of the refused assembly is published, and asking again gives the same answer.
            Assert.AreEqual(packageFirst, table.TryFind("MLNetExt.Calibration.BetaCalibration", first, out _, out _));
            Assert.AreEqual(!packageFirst, table.TryFind("MLNetExt.Tests.FloatState", first, out _, out _));
            Assert.ThrowsExactly<InvalidOperationException>(() => table.TryFind("MLNetExt.Tests.FloatState", second, out _, out _));
        }
    }

    [TestMethod]
    public void DuplicateId_InOneAssembly_AndAListedTypeThatIsNotAComponent_AreErrors()
    {
        var table = new ComponentRegistry.Table(name => name switch
        {
            "MLNetExt.Twice" => [typeof(TemperatureScalingTransformer), typeof(DuplicateIdTransformer)],
            "MLNetExt.NotAComponent" => [typeof(ToyEnsembleParameters)],
            _ => [],
        });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => table.TryFind("x", "MLNetExt.Twice", out _, out _));
        StringAssert.Contains(ex.Message, typeof(DuplicateIdTransformer).FullName!);
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => table.TryFind("x", "MLNetExt.NotAComponent", out _, out _));
        StringAssert.Contains(ex.Message, "lists MLNetExt.Tests.Serialization.ToyEnsembleParameters with [assembly: PersistentComponent], but it does not implement IPersistentComponent<ToyEnsembleParameters>");
    }

    [TestMethod]
    public void OnlyMLNetExtAssemblies_AreEverLoaded()
    {
        var asked = new List<string>();
        var table = new ComponentRegistry.Table(name =>
        {
            asked.Add(name);
            return [];
        });
        foreach (string name in new[] { "System.Private.CoreLib", "MLNetExtras", "Microsoft.ML.Data", "MLNetExt.Anything" })
            Assert.IsFalse(table.TryFind("MLNetExt.Calibration.BetaCalibration", name, out _, out _), name);
        CollectionAssert.AreEqual(new[] { "MLNetExt.Anything" }, asked);
    }
}
