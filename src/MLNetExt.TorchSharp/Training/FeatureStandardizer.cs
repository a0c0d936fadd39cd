using MLNetExt.Serialization;

namespace MLNetExt.TorchSharp.Training;

/// <summary>
/// Per-feature standardisation learned at fit time: x' = (x - mean) / scale with the training rows' mean and
/// population standard deviation (computed in double); a constant feature gets scale 1 (it becomes 0). Saved with the
/// model and applied before the network at prediction time, so users need no normalizer in the pipeline.
/// </summary>
internal sealed class FeatureStandardizer
{
    public FeatureStandardizer(float[] means, float[] scales)
    {
        Guard.Argument(means.Length == scales.Length, nameof(scales), $"{means.Length} means and {scales.Length} scales were given.");
        Means = means;
        Scales = scales;
    }

    /// <summary>The features' training means.</summary>
    public float[] Means { get; }

    /// <summary>The features' training standard deviations (1 for a constant feature).</summary>
    public float[] Scales { get; }

    public int FeatureCount => Means.Length;

    /// <summary>No-op standardisation (mean 0, scale 1) for <paramref name="featureCount"/> features.</summary>
    public static FeatureStandardizer Identity(int featureCount)
        => new(new float[featureCount], Enumerable.Repeat(1f, featureCount).ToArray());

    /// <summary>Learns the means and scales of row-major <paramref name="rows"/> with <paramref name="featureCount"/> columns.</summary>
    public static FeatureStandardizer Fit(ReadOnlySpan<float> rows, int featureCount)
    {
        int n = featureCount == 0 ? 0 : rows.Length / featureCount;
        Guard.Argument(n > 0, nameof(rows), "Standardisation needs at least one row.");
        var sum = new double[featureCount];
        for (int r = 0; r < n; r++)
        {
            var row = rows.Slice(r * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++)
                sum[j] += row[j];
        }
        var mean = new double[featureCount];
        for (int j = 0; j < featureCount; j++)
            mean[j] = sum[j] / n;
        var squares = new double[featureCount];
        for (int r = 0; r < n; r++)
        {
            var row = rows.Slice(r * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++)
            {
                double d = row[j] - mean[j];
                squares[j] += d * d;
            }
        }
        var means = new float[featureCount];
        var scales = new float[featureCount];
        for (int j = 0; j < featureCount; j++)
        {
            means[j] = (float)mean[j];
            double sd = Math.Sqrt(squares[j] / n);
            scales[j] = sd > 1e-12 * Math.Max(1, Math.Abs(mean[j])) && float.IsFinite((float)sd) ? (float)sd : 1f;
        }
        return new FeatureStandardizer(means, scales);
    }

    /// <summary>Standardises row-major <paramref name="rows"/> in place.</summary>
    public void Apply(Span<float> rows)
    {
        int d = FeatureCount;
        for (int start = 0; start + d <= rows.Length; start += d)
            ApplyRow(rows.Slice(start, d));
    }

    /// <summary>Standardises one row in place.</summary>
    public void ApplyRow(Span<float> row)
    {
        for (int j = 0; j < row.Length; j++)
            row[j] = (row[j] - Means[j]) / Scales[j];
    }

    public void Save(ModelStateWriter writer)
    {
        writer.Write(Means);
        writer.Write(Scales);
    }

    public static FeatureStandardizer Load(ModelStateReader reader, int featureCount)
    {
        var means = reader.ReadSingleArray("the feature means");
        var scales = reader.ReadSingleArray("the feature scales");
        reader.Check(means.Length == featureCount && scales.Length == featureCount,
            $"the standardisation has {means.Length} means and {scales.Length} scales for {featureCount} features");
        reader.Check(means.All(float.IsFinite) && scales.All(s => float.IsFinite(s) && s > 0), "a feature mean or scale is not finite and positive");
        return new FeatureStandardizer(means, scales);
    }
}
