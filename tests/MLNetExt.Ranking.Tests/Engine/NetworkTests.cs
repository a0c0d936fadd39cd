using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.ML;
using MLNetExt.Data;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Ranking.Tests.Support;
using MLNetExt.Tests.Support;

namespace MLNetExt.Ranking.Tests.Engine;

/// <summary>Data-parallel training of two processes on 127.0.0.1 against single-process training.</summary>
[TestClass]
public sealed class NetworkTests
{
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string ProbePath => typeof(NetworkTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "NetworkProbePath").Value!;

    private static (int ExitCode, string Output) RunProbes(int minData, int iterations, string outDir, out string[] models)
    {
        int p0 = FreePort(), p1 = FreePort();
        while (p1 == p0)
            p1 = FreePort();
        string machines = $"127.0.0.1:{p0},127.0.0.1:{p1}";
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        string data = Path.Combine(AppContext.BaseDirectory, "data", "ltr");
        models = [Path.Combine(outDir, "model0.txt"), Path.Combine(outDir, "model1.txt")];
        var processes = new Process[2];
        var outputs = new Task<string>[2];
        var errors = new Task<string>[2];
        for (int part = 0; part < 2; part++)
        {
            var info = new ProcessStartInfo(dotnet)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (string a in new[] { ProbePath, "--data", data, "--machines", machines, "--port", (part == 0 ? p0 : p1).ToString(),
                         "--part", part.ToString(), "--parts", "2", "--out", models[part], "--min-data", minData.ToString(),
                         "--iterations", iterations.ToString(), "--threads", "1", "--timeout-seconds", "60" })
                info.ArgumentList.Add(a);
            processes[part] = Process.Start(info)!;
            outputs[part] = processes[part].StandardOutput.ReadToEndAsync();
            errors[part] = processes[part].StandardError.ReadToEndAsync();
        }
        int code = 0;
        var text = new System.Text.StringBuilder();
        for (int part = 0; part < 2; part++)
        {
            if (!processes[part].WaitForExit(TimeSpan.FromSeconds(150)))
            {
                foreach (var p in processes)
                {
                    if (!p.HasExited)
                        p.Kill(entireProcessTree: true);
                }
                Assert.Fail($"probe {part} did not finish within 150 s");
            }
            code |= processes[part].ExitCode;
            text.Append($"[probe {part} exit {processes[part].ExitCode}] {outputs[part].Result} {errors[part].Result.Split('\n').LastOrDefault(l => l.Length > 0)}\n");
            processes[part].Dispose();
        }
        return (code, text.ToString());
    }

    private static string WithoutCounts(string trees) => string.Join("\n", trees.Split('\n')
        .Where(l => !l.StartsWith("leaf_count=", StringComparison.Ordinal) && !l.StartsWith("internal_count=", StringComparison.Ordinal)));

    /// <summary>The same fit as the probes', in one process, through the same public API.</summary>
    private static string SingleProcess(int minData, int iterations)
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options
        {
            NumberOfTrees = iterations, MinimumExampleCountPerLeaf = minData, NumberOfThreads = 1, Seed = 7,
        });
        return trainer.Fit(ml.Data.LoadFromLibSvm(TestData.Path("ltr/rank.train"))).Model.ToLightGbmModelText();
    }

    [TestMethod]
    [Timeout(300_000)]
    public void TwoProcesses_HalfTheQueriesEach_MinDataOne_SameTreesAsOneProcess()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetext-network-").FullName;
        try
        {
            var (code, output) = RunProbes(minData: 1, iterations: 20, dir, out var models);
            Assert.AreEqual(0, code, output);
            string m0 = File.ReadAllText(models[0]), m1 = File.ReadAllText(models[1]);
            Assert.AreEqual(RankingTestHelpers.TreeSection(m0), RankingTestHelpers.TreeSection(m1), "both processes hold the same model");
            // The data-parallel learner does not count rows per leaf, it estimates the counts from hessian sums
            // (data_parallel_tree_learner.cpp), so leaf_count/internal_count differ; every split, threshold, gain,
            // leaf value and hessian sum must be the same as in one process.
            string serial = SingleProcess(1, 20);
            Assert.AreEqual(WithoutCounts(RankingTestHelpers.TreeSection(serial)), WithoutCounts(RankingTestHelpers.TreeSection(m0)), "data-parallel = serial");
            var test = LtrData.LoadLtr("rank.test");
            var a = MLNetExt.Ranking.Model.TreeEnsemble.ParseLightGbmText(serial);
            var b = MLNetExt.Ranking.Model.TreeEnsemble.ParseLightGbmText(m0);
            for (int r = 0; r < test.RowCount; r++)
                Assert.AreEqual(a.Score(test.Row(r)), b.Score(test.Row(r)), 0.0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    [Timeout(300_000)]
    public void TwoProcesses_MinDataTwenty_AgreeWithEachOther_AndDifferFromOneProcessWithinBound()
    {
        // With min_data_in_leaf 20 the data-parallel learner, which estimates leaf row counts from hessian sums, accepts or
        // refuses some splits differently from the serial learner (the spike measured NDCG@10 0.7262 vs 0.7193 after 100
        // trees). The processes must still agree exactly with each other, and the test NDCG@10 must stay close.
        string dir = Directory.CreateTempSubdirectory("mlnetext-network-").FullName;
        try
        {
            var (code, output) = RunProbes(minData: 20, iterations: 30, dir, out var models);
            Assert.AreEqual(0, code, output);
            string m0 = File.ReadAllText(models[0]), m1 = File.ReadAllText(models[1]);
            Assert.AreEqual(RankingTestHelpers.TreeSection(m0), RankingTestHelpers.TreeSection(m1), "both processes hold the same model");
            var test = LtrData.LoadLtr("rank.test");
            double Ndcg(string text)
            {
                var model = MLNetExt.Ranking.Model.TreeEnsemble.ParseLightGbmText(text);
                var scores = new double[test.RowCount];
                model.ScoreAll(test.DenseSource(), scores);
                return RankingTestHelpers.MeanNdcg(scores, test.Labels, test.GroupOffsets, 10);
            }
            double serial = Ndcg(SingleProcess(20, 30)), parallel = Ndcg(m0);
            Console.WriteLine($"test NDCG@10 after 30 trees, min_data_in_leaf 20: one process {serial:F4}, two processes {parallel:F4}");
            Assert.AreEqual(serial, parallel, 0.03, "seed-level noise on 50 test queries");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void AbsentPeer_TimesOutNamingIt_WithoutStartingLightGbmsNetwork()
    {
        int mine = FreePort(), absent = FreePort();
        var clock = Stopwatch.StartNew();
        var e = Assert.ThrowsExactly<TimeoutException>(() => LightGbmNetwork.Start(new NetworkSettings
        {
            Machines = [$"127.0.0.1:{mine}", $"127.0.0.1:{absent}"],
            LocalPort = mine,
            Timeout = TimeSpan.FromSeconds(2),
        }));
        StringAssert.Contains(e.Message, $"127.0.0.1:{absent}");
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        // The local port is free again at once (no lingering socket).
        var again = new TcpListener(IPAddress.Any, mine);
        again.Start();
        again.Stop();
    }

    [TestMethod]
    public void NetworkSettings_Invalid_AreRefusedNamingTheOption()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NetworkSettings { Machines = ["127.0.0.1:5000"], LocalPort = 5000 }.Validate());
        Assert.AreEqual(nameof(NetworkSettings.Machines), e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new NetworkSettings { Machines = ["127.0.0.1:5000", "127.0.0.1:5001"], LocalPort = 6000 }.Validate());
        Assert.AreEqual(nameof(NetworkSettings.LocalPort), e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new NetworkSettings { Machines = ["127.0.0.1:5000", "nohostport"], LocalPort = 5000 }.Validate());
        StringAssert.Contains(e.Message, "nohostport");
    }
}
