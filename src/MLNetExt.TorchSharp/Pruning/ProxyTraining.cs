using System.IO.Hashing;
using System.Runtime.InteropServices;
using MLNetExt.Diagnostics;
using MLNetExt.Numerics;
using MLNetExt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Pruning;

/// <summary>A proxy classifier's architecture and where it trains; the loop's settings (epochs, batches, optimizer, seed) are the shared <see cref="TorchLoopSettings"/>.</summary>
internal sealed record ProxySettings(int[] HiddenLayerSizes, string Device, TorchLoopSettings Loop);

/// <summary>
/// Training of softmax classifiers on rows with MLNetExt's TorchSharp loop (rows are the loop's units, cross-entropy
/// of a minibatch is its loss), with weights captured at chosen epochs. The rows are put in a canonical order of
/// their contents before training, so the model a seed gives does not depend on the order of the input rows.
/// </summary>
internal static class ProxyTraining
{
    /// <summary>Layer widths of a proxy: features, hidden layers, classes.</summary>
    public static int[] Sizes(int featureCount, int[] hidden, int classCount) => [featureCount, .. hidden, classCount];

    /// <summary>
    /// The rows in an order that depends only on their contents (features and label): by a 64-bit hash of their bits,
    /// ties by the bits themselves. Identical rows are interchangeable, so any permutation of the same rows gives the
    /// same sequence of rows.
    /// </summary>
    public static int[] CanonicalOrder(ReadOnlySpan<float> features, int featureCount, ReadOnlySpan<int> labels)
    {
        int n = labels.Length;
        var keys = new ulong[n];
        var featureArray = features.ToArray();
        var labelArray = labels.ToArray();
        for (int i = 0; i < n; i++)
        {
            var bytes = MemoryMarshal.AsBytes(features.Slice(i * featureCount, featureCount));
            keys[i] = XxHash64.HashToUInt64(bytes, labels[i]);
        }
        var order = new int[n];
        for (int i = 0; i < n; i++)
            order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            int c = keys[a].CompareTo(keys[b]);
            if (c != 0)
                return c;
            c = labelArray[a].CompareTo(labelArray[b]);
            if (c != 0)
                return c;
            var x = MemoryMarshal.Cast<float, int>(featureArray.AsSpan(a * featureCount, featureCount));
            var y = MemoryMarshal.Cast<float, int>(featureArray.AsSpan(b * featureCount, featureCount));
            return x.SequenceCompareTo(y);
        });
        return order;
    }

    /// <summary>The seed of run <paramref name="run"/> of an ensemble whose seed is <paramref name="seed"/>.</summary>
    public static int RunSeed(int seed, int run)
        => (int)(CounterRandom.Bits(CounterRandom.SeedKey(seed), CounterRandom.Stream(0x0E12_0000, run), 0) & int.MaxValue);

    /// <summary>
    /// Trains one proxy on row-major, standardised <paramref name="features"/> (in the order given) from the seed of
    /// <paramref name="s"/>'s loop settings (initial weights and minibatch order) and returns the weights after each
    /// epoch count listed in <paramref name="checkpoints"/> (0 = the initial weights).
    /// </summary>
    public static Dictionary<int, ModuleWeights> Train(float[] features, int featureCount, int[] labels, int classCount, ProxySettings s,
        IReadOnlyCollection<int> checkpoints, ComponentChannel channel)
    {
        int seed = s.Loop.Seed;
        int n = labels.Length;
        var sizes = Sizes(featureCount, s.HiddenLayerSizes, classCount);
        var device = TorchRuntime.ResolveDevice(s.Device, "Device");
        var captured = new Dictionary<int, ModuleWeights>();
        using var module = new MultilayerPerceptron(sizes);
        ModuleWeights.Initialize(module, seed, module.BiasBounds);
        module.to(device);
        if (checkpoints.Contains(0))
            captured[0] = ModuleWeights.Capture(module);
        using var x = tensor(features, [n, featureCount]).to(device);
        using var y = tensor(Array.ConvertAll(labels, c => (long)c)).to(device);
        Tensor BatchLoss(int[] rows)
        {
            var index = tensor(Array.ConvertAll(rows, r => (long)r)).to(device);
            return nn.functional.cross_entropy(module.call(x.index_select(0, index)), y.index_select(0, index));
        }
        new TorchTrainingLoop(s.Loop, channel).Run(module, n, BatchLoss, validation: null,
            onEpochEnd: epoch =>
            {
                if (checkpoints.Contains(epoch))
                    captured[epoch] = ModuleWeights.Capture(module);
            });
        return captured;
    }
}
