using Microsoft.ML;
using MLNetExt.Data;
using MLNetExt.Numerics;
using MLNetExt.TorchSharp.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Ranking;

/// <summary>
/// A ranking data set in memory for the neural ranker: dense row-major features, relevance grades (or RCR targets),
/// contiguous groups as half-open offsets; builds padded minibatches of whole lists (allRank's layout: real documents
/// first, then padding with label -1 and zero features) and scores every list with a network.
/// </summary>
internal sealed class RankingLists
{
    private RankingLists(float[] features, int featureCount, float[] labels, int[] offsets, long[] groupIds)
    {
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        Offsets = offsets;
        GroupIds = groupIds;
    }

    public float[] Features { get; }

    public int FeatureCount { get; }

    /// <summary>Relevance grades; RCR targets in [0, 1] after <see cref="ToRcrTargets"/>.</summary>
    public float[] Labels { get; private set; }

    public int[] Offsets { get; }

    public long[] GroupIds { get; }

    public int GroupCount => Offsets.Length - 1;

    /// <summary>Reads and checks the columns the options name (errors name the column, the row and the value).</summary>
    public static RankingLists Read(IDataView data, NeuralRankingTrainer.Options o, string which)
    {
        var reader = new DataViewColumnReader(data, NeuralRankingTrainer.ComponentName);
        var features = reader.AddVector(o.FeatureColumnName, "feature", ValueRule.Finite);
        var labels = reader.AddRelevanceLabel(o.LabelColumnName, "label");
        var groups = reader.AddId(o.RowGroupColumnName, "group");
        reader.Read();
        var boundaries = GroupBoundaries.FromRuns(groups.Values, o.RowGroupColumnName);
        _ = which;
        return new RankingLists(features.Values, features.Size, labels.Values, boundaries.Offsets, boundaries.Ids);
    }

    /// <summary>
    /// RCR's targets: grades used as given when every grade is in [0, 1], otherwise divided by the largest grade (as the
    /// boosted RCR objective does).
    /// </summary>
    public void ToRcrTargets()
    {
        float max = 0;
        foreach (float l in Labels)
            max = Math.Max(max, l);
        if (max <= 1)
            return;
        var targets = new float[Labels.Length];
        for (int i = 0; i < targets.Length; i++)
            targets[i] = Labels[i] / max;
        Labels = targets;
    }

    /// <summary>
    /// The minibatch of <paramref name="groups"/>: features [lists, slate, features], labels [lists, slate] (-1 at
    /// padding), mask [lists, slate], slate = the longest list after truncation. A list longer than
    /// <paramref name="maximumLength"/> is subsampled without replacement from (seed, epoch, group), keeping one
    /// relevant document when the list has one.
    /// </summary>
    public (Tensor Features, Tensor Labels, Tensor Mask) Pad(int[] groups, int? maximumLength, int seed, int epoch, Device device)
    {
        int d = FeatureCount;
        int slate = 1;
        foreach (int g in groups)
            slate = Math.Max(slate, Math.Min(Offsets[g + 1] - Offsets[g], maximumLength ?? int.MaxValue));
        var x = new float[(long)groups.Length * slate * d];
        var y = new float[groups.Length * slate];
        Array.Fill(y, RankingLosses.PaddedLabel);
        var picked = new List<int>();
        for (int b = 0; b < groups.Length; b++)
        {
            int g = groups[b], start = Offsets[g], size = Offsets[g + 1] - start;
            if (maximumLength is { } max && size > max)
            {
                Sample(start, size, max, seed, epoch, g, picked);
            }
            else
            {
                picked.Clear();
                for (int i = 0; i < size; i++)
                    picked.Add(start + i);
            }
            for (int i = 0; i < picked.Count; i++)
            {
                int row = picked[i];
                Array.Copy(Features, (long)row * d, x, ((long)b * slate + i) * d, d);
                y[b * slate + i] = Labels[row];
            }
        }
        // Copied into libtorch's aligned memory: the network's first matrix product reads the features, and a pinned
        // managed array's alignment (which varies with the heap) changes the BLAS rounding (see TorchArrays).
        var features = Training.TorchArrays.ToTensor(x, [groups.Length, slate, d], device);
        var labels = Training.TorchArrays.ToTensor(y, [groups.Length, slate], device);
        return (features, labels, labels.eq(Training.TorchScalars.Get(RankingLosses.PaddedLabel)));
    }

    private void Sample(int start, int size, int count, int seed, int epoch, int group, List<int> picked)
    {
        var indices = new int[size];
        for (int i = 0; i < size; i++)
            indices[i] = start + i;
        var random = new CounterRandomStream(CounterRandom.SeedKey(seed), CounterRandom.Stream(epoch, group));
        random.ShuffleFront(indices, count);
        bool anyRelevant = false;
        for (int i = 0; i < count && !anyRelevant; i++)
            anyRelevant = Labels[indices[i]] > 0;
        if (!anyRelevant)
        {
            for (int i = count; i < size; i++)
            {
                if (Labels[indices[i]] > 0)
                {
                    indices[random.NextInt32(count)] = indices[i];
                    break;
                }
            }
        }
        picked.Clear();
        Array.Sort(indices, 0, count);
        for (int i = 0; i < count; i++)
            picked.Add(indices[i]);
    }

    /// <summary>Scores every document with <paramref name="network"/> (evaluation mode is the caller's), whole lists at a time.</summary>
    public double[] Score(RankingNetwork network, Device device, int batchSize)
    {
        var scores = new double[Labels.Length];
        var batch = new List<int>();
        for (int start = 0; start < GroupCount; start += batchSize)
        {
            batch.Clear();
            for (int g = start; g < Math.Min(GroupCount, start + batchSize); g++)
                batch.Add(g);
            using var scope = NewDisposeScope();
            var (features, _, mask) = Pad(batch.ToArray(), null, 0, 0, device);
            var output = network.call(features, mask).to(ScalarType.Float64, CPU).data<double>().ToArray();
            int slate = (int)features.shape[1];
            for (int b = 0; b < batch.Count; b++)
            {
                int g = batch[b];
                for (int i = Offsets[g]; i < Offsets[g + 1]; i++)
                    scores[i] = output[b * slate + (i - Offsets[g])];
            }
        }
        return scores;
    }
}
