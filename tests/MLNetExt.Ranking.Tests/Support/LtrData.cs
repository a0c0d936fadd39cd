using System.Globalization;

namespace MLNetExt.Ranking.Tests.Support;

/// <summary>
/// A ranking data set held in test memory: dense row-major features, the same features as CSR, labels and query
/// offsets. Test-side only (the package reads data through IRowBlockSource).
/// </summary>
internal sealed class LtrData
{
    public required int FeatureCount { get; init; }
    public required float[] Dense { get; init; }
    public required int[] CsrOffsets { get; init; }
    public required int[] CsrIndices { get; init; }
    public required float[] CsrValues { get; init; }
    public required float[] Labels { get; init; }
    public required int[] GroupOffsets { get; init; }
    public float[]? Weights { get; init; }

    public int RowCount => Labels.Length;

    public int GroupCount => GroupOffsets.Length - 1;

    /// <summary>LightGBM's example: feature index k (1..300) is column k; 301 columns.</summary>
    public const int LtrFeatureCount = 301;

    /// <summary>Reads rank.train or rank.test (LibSVM lines) with its .query file.</summary>
    public static LtrData LoadLtr(string name, string? directory = null)
    {
        directory ??= Path.Combine(AppContext.BaseDirectory, "TestFiles", "ltr");
        var labels = new List<float>();
        var offsets = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        foreach (string line in File.ReadLines(Path.Combine(directory, name)))
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            labels.Add(float.Parse(parts[0], CultureInfo.InvariantCulture));
            foreach (string p in parts.Skip(1))
            {
                int colon = p.IndexOf(':');
                indices.Add(int.Parse(p[..colon], CultureInfo.InvariantCulture));
                values.Add(float.Parse(p[(colon + 1)..], CultureInfo.InvariantCulture));
            }
            offsets.Add(indices.Count);
        }
        var groups = new List<int> { 0 };
        foreach (string line in File.ReadLines(Path.Combine(directory, name + ".query")))
        {
            if (!string.IsNullOrWhiteSpace(line))
                groups.Add(groups[^1] + int.Parse(line, CultureInfo.InvariantCulture));
        }
        return FromCsr(LtrFeatureCount, [.. offsets], [.. indices], [.. values], [.. labels], [.. groups]);
    }

    public static LtrData FromCsr(int features, int[] offsets, int[] indices, float[] values, float[] labels, int[] groups, float[]? weights = null)
    {
        int rows = offsets.Length - 1;
        var dense = new float[rows * features];
        for (int r = 0; r < rows; r++)
        {
            for (int k = offsets[r]; k < offsets[r + 1]; k++)
                dense[r * features + indices[k]] = values[k];
        }
        return new LtrData
        {
            FeatureCount = features, Dense = dense, CsrOffsets = offsets, CsrIndices = indices, CsrValues = values,
            Labels = labels, GroupOffsets = groups, Weights = weights,
        };
    }

    public static LtrData FromDense(int features, float[] dense, float[] labels, int[] groups, float[]? weights = null)
    {
        int rows = dense.Length / features;
        var offsets = new int[rows + 1];
        var indices = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < features; f++)
            {
                float v = dense[r * features + f];
                if (v != 0)
                {
                    indices.Add(f);
                    values.Add(v);
                }
            }
            offsets[r + 1] = indices.Count;
        }
        return new LtrData
        {
            FeatureCount = features, Dense = dense, CsrOffsets = offsets, CsrIndices = [.. indices], CsrValues = [.. values],
            Labels = labels, GroupOffsets = groups, Weights = weights,
        };
    }

    public MLNetExt.Ranking.Engine.QueryGroups Groups() => new(Labels, GroupOffsets, Weights);

    public MLNetExt.Ranking.Engine.DenseArrayRowSource DenseSource(int blockRows = 512) => new(Dense, FeatureCount, blockRows);

    public MLNetExt.Ranking.Engine.CsrArrayRowSource CsrSource(int blockRows = 512) => new(CsrOffsets, CsrIndices, CsrValues, FeatureCount, blockRows);

    public MLNetExt.Ranking.Engine.RankingDataSet DenseSet(int blockRows = 512) => new(DenseSource(blockRows), Groups());

    public ReadOnlySpan<float> Row(int r) => Dense.AsSpan(r * FeatureCount, FeatureCount);

    /// <summary>Queries [first, first + count) as a data set of their own.</summary>
    public LtrData Queries(int first, int count)
    {
        int r0 = GroupOffsets[first], r1 = GroupOffsets[first + count];
        var groups = GroupOffsets[first..(first + count + 1)].Select(o => o - r0).ToArray();
        return FromDense(FeatureCount, Dense[(r0 * FeatureCount)..(r1 * FeatureCount)], Labels[r0..r1], groups, Weights?[r0..r1]);
    }
}
