using System.Diagnostics;
using System.Globalization;
using MLNetExt.TorchSharp.Ranking;

namespace MLNetExt.Benchmarks;

/// <summary>
/// allRank's training epoch beside ours, in the same run: writes a data set (standardised as our trainer does) to a
/// temporary folder and runs a driver script with allRank's own model (<c>make_model</c>: FCModel 128-64 ReLU +
/// OutputLayer, Xavier init) and losses (<c>neuralNDCG</c>, <c>listNet</c>), Adam lr 1e-3, shuffled batches of 64
/// lists padded to the longest list (allRank's FixLength with slate_length = the longest list), timing each epoch.
/// Needs <c>ALLRANK_DIR</c> (a checkout of allegro/allRank; the driver stubs torchvision and gcsfs, which allRank imports
/// but the losses and the model do not use) and a Python with torch (<c>ALLRANK_PYTHON</c>, default /usr/bin/python3).
/// </summary>
internal static class NeuralAllRank
{
    private const string Driver = """
import sys, time, types, json
import numpy as np
tv = types.ModuleType('torchvision'); tr = types.ModuleType('torchvision.transforms')
tr.Compose = object; tv.transforms = tr
sys.modules['torchvision'] = tv; sys.modules['torchvision.transforms'] = tr
sys.modules['gcsfs'] = types.ModuleType('gcsfs')
import torch
from allrank.models.losses import neuralNDCG, listNet
from allrank.models.model import make_model
folder, loss_name, epochs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(42)
meta = json.load(open(folder + '/meta.json'))
d = meta['features']
x = np.fromfile(folder + '/features.bin', dtype=np.float32).reshape(-1, d)
y = np.fromfile(folder + '/labels.bin', dtype=np.float32)
off = np.fromfile(folder + '/offsets.bin', dtype=np.int32)
q = len(off) - 1
slate = int(max(off[1:] - off[:-1]))
X = torch.zeros(q, slate, d); Y = torch.full((q, slate), -1.0)
for i in range(q):
    n = off[i + 1] - off[i]
    X[i, :n] = torch.from_numpy(x[off[i]:off[i + 1]]); Y[i, :n] = torch.from_numpy(y[off[i]:off[i + 1]])
model = make_model(fc_model={'sizes': [128, 64], 'input_norm': False, 'activation': 'ReLU', 'dropout': 0.0},
                   transformer=None, post_model={'d_output': 1}, n_features=d)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = neuralNDCG if loss_name == 'neuralNDCG' else listNet
times = []
for epoch in range(epochs):
    model.train()
    start = time.perf_counter()
    perm = torch.randperm(q)
    for b in range(0, q, 64):
        idx = perm[b:b + 64]
        xb, yb = X[idx], Y[idx]
        mask = yb == -1
        indices = torch.arange(slate).repeat(len(idx), 1)
        out = model(xb, mask, indices)
        loss = loss_fn(out, yb)
        opt.zero_grad(); loss.backward(); opt.step()
    times.append(time.perf_counter() - start)
print('EPOCHS', ' '.join('%.6f' % t for t in times))
""";

    public static void Compare(string ltrName, (float[] Features, float[] Labels, int[] Offsets, int FeatureCount) ltr, string synthName,
        NeuralSyntheticRanking.Set synthetic, Func<string, NeuralRankingLoss, int, double> oursNow, int threads)
    {
        Console.WriteLine();
        string? dir = Environment.GetEnvironmentVariable("ALLRANK_DIR");
        string python = Environment.GetEnvironmentVariable("ALLRANK_PYTHON") ?? "/usr/bin/python3";
        // The issue's figures, measured earlier with torch 1.13 CPU, OpenBLAS, 1 BLAS thread, the same MLP and batches.
        var quoted = new Dictionary<(string, string), double>
        {
            [(ltrName, "neuralNDCG")] = 0.047, [(synthName, "neuralNDCG")] = 5.0, [(ltrName, "listNet")] = 0.011, [(synthName, "listNet")] = 0.36,
        };
        var sets = new[]
        {
            (ltrName, ltr.Features, ltr.Labels, ltr.Offsets, ltr.FeatureCount, 12),
            (synthName, synthetic.Features, synthetic.Labels, synthetic.Offsets, NeuralSyntheticRanking.FeatureCount, 3),
        };
        Console.WriteLine($"-- epoch seconds, ours then allRank's right after it (same epochs, medians after a warm-up epoch) --");
        Console.WriteLine($"{"set / loss",-28} {"ours s",9} {"allRank s",10} {"ratio",7} {"issue's allRank s",18} {"ratio",7}");
        foreach (var (name, features, labels, offsets, d, epochs) in sets)
        {
            string? folder = dir is null ? null : Write(name, features, labels, offsets, d);
            foreach (var (loss, ourLoss) in new[] { ("neuralNDCG", NeuralRankingLoss.NeuralNdcg), ("listNet", NeuralRankingLoss.ListNet) })
            {
                double mine = oursNow(name, ourLoss, epochs);
                double theirs = folder is null ? double.NaN : RunDriver(python, dir!, folder, loss, epochs, threads);
                double q = quoted[(name, loss)];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name + " / " + loss,-28} {mine,9:0.0000} {theirs,10:0.0000} {mine / theirs,7:0.00} {q,18:0.000} {mine / q,7:0.00}"));
            }
        }
        if (dir is null)
            Console.WriteLine("(allRank not run: set ALLRANK_DIR to an allRank checkout for a same-run ratio; ratios above use the issue's figures)");
        else
            Console.WriteLine($"(allRank: {python}, torch.set_num_threads({threads}); ratio = ours / allRank's, below 1 is faster; medians over the epochs run)");
    }

    private static string Write(string name, float[] features, float[] labels, int[] offsets, int d)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"mlnetext-neural-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        // Standardised as our trainer does (population mean and standard deviation, 1 for a constant feature).
        var x = (float[])features.Clone();
        int n = labels.Length;
        for (int j = 0; j < d; j++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < n; i++)
                sum += x[i * d + j];
            double mean = sum / n;
            for (int i = 0; i < n; i++)
                squares += (x[i * d + j] - mean) * (x[i * d + j] - mean);
            double sd = Math.Sqrt(squares / n);
            if (!(sd > 1e-12))
                sd = 1;
            for (int i = 0; i < n; i++)
                x[i * d + j] = (float)((x[i * d + j] - mean) / sd);
        }
        File.WriteAllBytes(Path.Combine(folder, "features.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "labels.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "offsets.bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray());
        File.WriteAllText(Path.Combine(folder, "meta.json"), $"{{\"features\": {d}}}");
        File.WriteAllText(Path.Combine(folder, "driver.py"), Driver);
        return folder;
    }

    private static double RunDriver(string python, string allRankDir, string folder, string loss, int epochs, int threads)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = allRankDir,
        };
        foreach (var a in new[] { Path.Combine(folder, "driver.py"), folder, loss, epochs.ToString(CultureInfo.InvariantCulture), threads.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.Environment["PYTHONPATH"] = allRankDir;
        start.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("EPOCHS ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            Console.WriteLine($"allRank driver failed ({process.ExitCode}): {error.Trim().Split('\n').LastOrDefault()}");
            return double.NaN;
        }
        // The first epoch warms up (allocations); the median of the rest.
        var times = line[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).Skip(1).Order().ToArray();
        return times[times.Length / 2];
    }
}
