namespace MLNetExt.Ranking.Tests.Support;

/// <summary>Seeded synthetic ranking sets: labels 0-4 from a hidden nonlinear function of the features plus noise.</summary>
internal static class Synthetic
{
    /// <param name="queries">Number of queries.</param>
    /// <param name="minDocs">Fewest documents per query.</param>
    /// <param name="maxDocs">Most documents per query.</param>
    /// <param name="features">Features per document.</param>
    /// <param name="seed">Seed of everything.</param>
    /// <param name="missingRate">Fraction of values set to NaN.</param>
    /// <param name="zeroRate">Fraction of values set to exactly 0.</param>
    /// <param name="weights">Give each query a weight in [0.5, 1.5] (same for its rows).</param>
    public static LtrData Make(int queries, int minDocs, int maxDocs, int features, int seed, double missingRate = 0, double zeroRate = 0,
        bool weights = false)
    {
        var rng = new Random(seed);
        var sizes = new int[queries];
        for (int q = 0; q < queries; q++)
            sizes[q] = rng.Next(minDocs, maxDocs + 1);
        int rows = sizes.Sum();
        var dense = new float[rows * features];
        var labels = new float[rows];
        var groups = new int[queries + 1];
        float[]? w = weights ? new float[rows] : null;
        int r = 0;
        for (int q = 0; q < queries; q++)
        {
            groups[q + 1] = groups[q] + sizes[q];
            double queryShift = rng.NextDouble() - 0.5;
            float qw = (float)(0.5 + rng.NextDouble());
            for (int d = 0; d < sizes[q]; d++, r++)
            {
                var row = dense.AsSpan(r * features, features);
                for (int f = 0; f < features; f++)
                    row[f] = (float)(rng.NextDouble() * 2 - 1 + (f % 3 == 0 ? queryShift : 0));
                double z = 1.5 * row[0] + Math.Sin(3 * row[1]) + row[2] * row[3] + 0.5 * Math.Abs(row[Math.Min(4, features - 1)])
                    + 0.4 * (rng.NextDouble() * 2 - 1);
                labels[r] = (float)Math.Clamp(Math.Floor((z + 2) * 1.25), 0, 4);
                for (int f = 0; f < features; f++)
                {
                    double u = rng.NextDouble();
                    if (u < missingRate)
                        row[f] = float.NaN;
                    else if (u < missingRate + zeroRate)
                        row[f] = 0f;
                }
                if (w is not null)
                    w[r] = qw;
            }
        }
        return LtrData.FromDense(features, dense, labels, groups, w);
    }
}
