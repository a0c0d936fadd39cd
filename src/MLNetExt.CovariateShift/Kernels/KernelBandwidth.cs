using MLNetExt.Numerics;

namespace MLNetExt.CovariateShift.Kernels;

/// <summary>
/// The kernel width rule of MRCpy's DWGCS (<c>RandomFourierPhi.rff_sigma</c>, after Yu et al. 2015, "Compact
/// nonlinear maps and circulant extensions"): the mean, over query rows, of the Euclidean distance to the 50th nearest
/// other row of the pooled training and target rows (the farthest other row when there are 51 rows or fewer).
/// Every row is a query when there are at most <see cref="ExactQueryRows"/> rows; above that, a seeded sample of
/// <see cref="SampledQueryRows"/> query rows is measured against all rows (as MRCpy's docstring describes: 1,000
/// sampled rows; its code uses all rows).
/// </summary>
internal static class KernelBandwidth
{
    /// <summary>The neighbour whose distance is averaged.</summary>
    public const int Neighbour = 50;

    /// <summary>Up to this many rows, every row is a query.</summary>
    public const int ExactQueryRows = 5000;

    /// <summary>Query rows sampled above <see cref="ExactQueryRows"/>.</summary>
    public const int SampledQueryRows = 1000;

    /// <summary>The rule's width; 0 when the neighbour of every query row is at distance 0.</summary>
    public static double MeanNeighbourDistance(PointSet points, int seed)
    {
        int n = points.Count;
        if (n < 2)
            return 0;
        int k = Math.Min(Neighbour, n - 1); // k-th nearest other row, 1-based
        int[] queries;
        if (n <= ExactQueryRows)
        {
            queries = new int[n];
            for (int i = 0; i < n; i++)
                queries[i] = i;
        }
        else
        {
            var order = new int[n];
            for (int i = 0; i < n; i++)
                order[i] = i;
            new CounterRandomStream(CounterRandom.SeedKey(seed), CounterRandom.Stream(0x5167, 0)).ShuffleFront(order, SampledQueryRows);
            queries = order.AsSpan(0, SampledQueryRows).ToArray();
            Array.Sort(queries);
        }

        var distances = new double[queries.Length];
        Blocks.For((queries.Length + 63) / 64, block =>
        {
            var buffer = new double[n - 1];
            int end = Math.Min(queries.Length, (block + 1) * 64);
            for (int q = block * 64; q < end; q++)
            {
                int i = queries[q];
                var xi = points.Row(i);
                int c = 0;
                for (int j = 0; j < n; j++)
                {
                    if (j != i)
                        buffer[c++] = RbfKernel.SquaredDistance(xi, points.Row(j));
                }
                distances[q] = Math.Sqrt(Select(buffer, k - 1));
            }
        });
        double sum = 0;
        foreach (double d in distances)
            sum += d;
        return sum / distances.Length;
    }

    /// <summary>The <paramref name="index"/>-th smallest value (0-based) of <paramref name="values"/>, which it reorders.</summary>
    internal static double Select(double[] values, int index)
    {
        int left = 0, right = values.Length - 1;
        while (left < right)
        {
            double pivot = values[left + (right - left) / 2];
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot)
                    i++;
                while (values[j] > pivot)
                    j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (index <= j)
                right = j;
            else if (index >= i)
                left = i;
            else
                return values[index];
        }
        return values[index];
    }
}

/// <summary>
/// Per-feature centring and scaling with the mean and standard deviation of the pooled training and target rows, so
/// that the kernel sees every feature on one scale (the paper's protocol z-scores the data first). A feature that is
/// constant over the pooled rows is left at 0.
/// </summary>
internal sealed record FeatureScaling(double[] Mean, double[] Scale)
{
    /// <summary>The pooled statistics of two row-major blocks with <paramref name="dimension"/> columns.</summary>
    public static FeatureScaling FromPooled(float[] a, int aRows, float[] b, int bRows, int dimension)
    {
        var mean = new double[dimension];
        var m2 = new double[dimension];
        long count = 0;
        void Add(float[] rows, int rowCount)
        {
            for (int i = 0; i < rowCount; i++)
            {
                count++;
                for (int j = 0; j < dimension; j++)
                {
                    double x = rows[(long)i * dimension + j];
                    double delta = x - mean[j];
                    mean[j] += delta / count;
                    m2[j] += delta * (x - mean[j]);
                }
            }
        }
        Add(a, aRows);
        Add(b, bRows);
        var scale = new double[dimension];
        for (int j = 0; j < dimension; j++)
        {
            double sd = Math.Sqrt(m2[j] / Math.Max(1, count));
            scale[j] = sd > 1e-12 * Math.Max(1, Math.Abs(mean[j])) ? 1 / sd : 0;
        }
        return new FeatureScaling(mean, scale);
    }

    /// <summary>The number of features that vary.</summary>
    public int VaryingCount => Scale.Count(s => s > 0);

    /// <summary>The identity scaling (features used as they are).</summary>
    public static FeatureScaling Identity(int dimension)
        => new(new double[dimension], Enumerable.Repeat(1.0, dimension).ToArray());

    /// <summary>Writes the scaled rows of <paramref name="rows"/> into <paramref name="destination"/>.</summary>
    public void Apply(ReadOnlySpan<float> rows, int rowCount, Span<float> destination)
    {
        int d = Mean.Length;
        for (int i = 0; i < rowCount; i++)
        {
            for (int j = 0; j < d; j++)
                destination[i * d + j] = (float)((rows[i * d + j] - Mean[j]) * Scale[j]);
        }
    }

    /// <summary>The pooled rows, scaled: training rows first, then target rows.</summary>
    public PointSet Pool(float[] train, int n, float[] target, int t)
    {
        int d = Mean.Length;
        var values = new float[(long)(n + t) * d];
        Apply(train, n, values.AsSpan(0, n * d));
        Apply(target, t, values.AsSpan(n * d, t * d));
        return new PointSet(values, n + t, d);
    }
}
