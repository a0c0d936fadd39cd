using MLNetExt.Data;

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

    /// <summary>
    /// Reads rank.train or rank.test of LightGBM's learning-to-rank sample (data/ltr, copied next to the test binaries)
    /// with MLNetExt's LibSVM reader and its .query file: 300 features (index k is slot k - 1), graded labels 0-4.
    /// </summary>
    public static LtrData LoadLtr(string name, string? directory = null)
    {
        directory ??= Path.Combine(AppContext.BaseDirectory, "data", "ltr");
        var data = new Microsoft.ML.MLContext(seed: 1).Data.LoadFromLibSvm(Path.Combine(directory, name));
        var reader = new DataViewColumnReader(data, "LtrData");
        var labels = reader.AddRelevanceLabel("Label", "label");
        var groups = reader.AddId("GroupId", "group");
        var csr = new CsrCollector();
        var features = reader.AddFeatureBlocks("Features", "feature", ValueRule.Any, BlockLayout.Sparse, 4096, csr);
        reader.Read();
        var boundaries = GroupBoundaries.FromRuns(groups.Values, "GroupId");
        return FromCsr(features.Size, [.. csr.Offsets], [.. csr.Indices], [.. csr.Values], labels.Values, boundaries.Offsets);
    }

    /// <summary>Appends sparse blocks into whole-matrix CSR lists.</summary>
    private sealed class CsrCollector : IRowBlockVisitor
    {
        public List<int> Offsets { get; } = [0];
        public List<int> Indices { get; } = [];
        public List<float> Values { get; } = [];

        public bool Visit(in RowBlock block)
        {
            for (int r = 0; r < block.RowCount; r++)
            {
                for (int k = block.RowOffsets[r]; k < block.RowOffsets[r + 1]; k++)
                {
                    Indices.Add(block.Indices[k]);
                    Values.Add(block.Values[k]);
                }
                Offsets.Add(Indices.Count);
            }
            return true;
        }
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

    public DenseArrayRowSource DenseSource(int blockRows = 512) => new(Dense, FeatureCount, blockRows);

    public CsrArrayRowSource CsrSource(int blockRows = 512) => new(CsrOffsets, CsrIndices, CsrValues, FeatureCount, blockRows);

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
