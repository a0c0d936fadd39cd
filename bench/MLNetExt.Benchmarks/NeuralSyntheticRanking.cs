using MLNetExt.Numerics;

namespace MLNetExt.Benchmarks;

/// <summary>
/// The synthetic MSLR-shaped ranking set of the neural bench, from a fixed seed: queries of 10 to 150 documents
/// (uniform), 136 dense features (a query-level shift plus standard normal noise per document), and grades 0-4 from
/// a hidden nonlinear function of the features plus Gaussian noise, cut at fixed thresholds so about 45 % of the
/// documents are 0 and 4 % are 4 (MSLR-like skew). Kept in its own file so the lead can unify it with the boosted
/// ranking bench's 10k-query generator.
/// </summary>
internal static class NeuralSyntheticRanking
{
    public const int FeatureCount = 136;
    public const int MinimumListLength = 10;
    public const int MaximumListLength = 150;

    /// <summary>A generated set: row-major features, grades, half-open query offsets.</summary>
    public sealed record Set(float[] Features, float[] Labels, int[] Offsets)
    {
        public int QueryCount => Offsets.Length - 1;

        public int RowCount => Labels.Length;
    }

    /// <summary>
    /// <paramref name="queries"/> queries from (seed, stream): training uses stream 0 and the test set stream 1 of the same
    /// hidden function (the function's weights come from stream 99 and do not depend on the split).
    /// </summary>
    public static Set Generate(int queries, int seed, int stream)
    {
        ulong key = CounterRandom.SeedKey(seed);
        var weights = new CounterRandomStream(key, CounterRandom.Stream(99, 0));
        var w1 = new double[FeatureCount];
        var w2 = new double[FeatureCount];
        for (int j = 0; j < FeatureCount; j++)
        {
            w1[j] = weights.NextNormal() / Math.Sqrt(FeatureCount) * (j < 40 ? 2.0 : 0.3);
            w2[j] = weights.NextNormal() / Math.Sqrt(FeatureCount);
        }
        var random = new CounterRandomStream(key, CounterRandom.Stream(stream, 1));
        var sizes = new int[queries];
        int rows = 0;
        for (int q = 0; q < queries; q++)
            rows += sizes[q] = MinimumListLength + random.NextInt32(MaximumListLength - MinimumListLength + 1);
        var features = new float[(long)rows * FeatureCount];
        var labels = new float[rows];
        var offsets = new int[queries + 1];
        var shift = new double[FeatureCount];
        int row = 0;
        for (int q = 0; q < queries; q++)
        {
            offsets[q] = row;
            for (int j = 0; j < FeatureCount; j++)
                shift[j] = 0.5 * random.NextNormal();
            double queryEffect = 0.4 * random.NextNormal();
            for (int i = 0; i < sizes[q]; i++, row++)
            {
                var x = features.AsSpan(row * FeatureCount, FeatureCount);
                double a = 0, b = 0;
                for (int j = 0; j < FeatureCount; j++)
                {
                    x[j] = (float)(shift[j] + random.NextNormal());
                    a += w1[j] * x[j];
                    b += w2[j] * x[j];
                }
                double hidden = Math.Tanh(a) + 0.6 * Math.Sin(2 * b) + 0.35 * x[3] * x[7] + 0.25 * Math.Abs(x[11]) - 0.3 * (x[20] > 0.5 ? 1 : 0)
                    + queryEffect + 0.45 * random.NextNormal();
                labels[row] = hidden < 0.15 ? 0 : hidden < 0.8 ? 1 : hidden < 1.35 ? 2 : hidden < 1.9 ? 3 : 4;
            }
        }
        offsets[queries] = row;
        return new Set(features, labels, offsets);
    }
}
