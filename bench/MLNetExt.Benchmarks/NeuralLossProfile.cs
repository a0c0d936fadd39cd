using System.Diagnostics;
using System.Globalization;
using MLNetExt.TorchSharp.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.Benchmarks;

/// <summary>
/// `neural-loss`: forward + backward time of the NeuralNDCG loss on one minibatch of 64 lists of 150 documents (float32,
/// 1 libtorch thread), our closed-form Sinkhorn gradient against autograd through the unrolled loop, and the parts.
/// </summary>
internal static class NeuralLossProfile
{
    public static void Run()
    {
        set_num_threads(1);
        bool tuned = Environment.GetEnvironmentVariable("NEURAL_NO_MALLOPT") != "1" && MLNetExt.TorchSharp.Training.TorchRuntime.TuneNativeAllocator();
        Console.WriteLine($"glibc allocator tuned (TuneNativeAllocator): {tuned}");
        var random = new Random(1);
        const int lists = 64, n = 150;
        var s = new float[lists * n];
        var y = new float[lists * n];
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)(random.NextDouble() * 2 - 1);
            y[i] = random.Next(5);
        }
        var scores = tensor(s, [lists, n]);
        var labels = tensor(y, [lists, n]);
        var mask = labels.lt(MLNetExt.TorchSharp.Training.TorchScalars.Get(-1));
        double Time(string name, int repeats, Action action)
        {
            action();
            var times = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                var watch = Stopwatch.StartNew();
                using (NewDisposeScope())
                    action();
                times.Add(watch.Elapsed.TotalSeconds);
            }
            double median = times.Order().ElementAt(times.Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-60} {median * 1000,9:0.0} ms"));
            return median;
        }
        Console.WriteLine($"== neural-loss: one minibatch [{lists}, {n}], float32, 1 thread; medians of 5 ==");
        var m = rand(lists, n, n);
        var v = rand(lists, n, 1);
        var buffer = empty(lists, n, n);
        if (Environment.GetEnvironmentVariable("NEURAL_PROFILE_KERNELS") == "1")
        {
            Time("100 x bmm [B,n,n] x [B,n,1]", 5, () => { for (int i = 0; i < 100; i++) m.bmm(v).Dispose(); });
            Time("100 x bmm [B,1,n] x [B,n,n]", 5, () => { var vt = v.transpose(1, 2).contiguous(); for (int i = 0; i < 100; i++) vt.bmm(m).Dispose(); });
            Time("100 x mul + sum(2)", 5, () => { var vt = v.transpose(1, 2); for (int i = 0; i < 100; i++) { using var t = m * vt; t.sum(2).Dispose(); } });
            Time("100 x mul into a buffer + sum(2)", 5, () => { var vt = v.transpose(1, 2); for (int i = 0; i < 100; i++) { buffer.copy_(m).mul_(vt); buffer.sum(2).Dispose(); } });
            Time("100 x mul + sum(1) (column sums)", 5, () => { for (int i = 0; i < 100; i++) { using var t = m * v; t.sum(1).Dispose(); } });
            Time("100 x einsum bij,bj->bi", 5, () => { var vv = v.squeeze(2); for (int i = 0; i < 100; i++) einsum("bij,bj->bi", m, vv).Dispose(); });
            Time("100 x bmm in chunks of 8 lists", 5, () => { var ms = m.split(8); var vs = v.split(8); for (int i = 0; i < 100; i++) for (int c = 0; c < ms.Length; c++) ms[c].bmm(vs[c]).Dispose(); });
            var small = rand(lists, 1, n);
            Time("1000 x small vector mul [64, 1, 150]", 5, () => { for (int i = 0; i < 1000; i++) _ = small * small; });
            Time("100 x max().ToDouble() sync", 5, () => { for (int i = 0; i < 100; i++) _ = small.max().ToDouble(); });
            Time("100 x mul, disposed", 5, () => { for (int i = 0; i < 100; i++) (m * m).Dispose(); });
        }
        Time("NeuralNDCG forward + backward (closed-form Sinkhorn gradient)", 5, () =>
        {
            var leaf = scores.clone().requires_grad_();
            RankingLosses.NeuralNdcg(leaf, labels).backward();
        });
        Time("NeuralNDCG forward only", 5, () => RankingLosses.NeuralNdcg(scores, labels));
        Time("NeuralNDCG forward + backward (autograd through the unrolled loop)", 3, () =>
        {
            RankingLosses.UnrolledSinkhornGradient = true;
            try
            {
                var leaf = scores.clone().requires_grad_();
                RankingLosses.NeuralNdcg(leaf, labels).backward();
            }
            finally
            {
                RankingLosses.UnrolledSinkhornGradient = false;
            }
        });
        Time("NeuralSort forward + backward", 5, () =>
        {
            var leaf = scores.clone().requires_grad_();
            RankingLosses.NeuralSort(leaf, mask, 1.0).sum().backward();
        });
        Time("one [64, 150, 101] x [64, 101, 150] bmm", 5, () => _ = rand(lists, n, 101).bmm(rand(lists, 101, n)));
    }
}
