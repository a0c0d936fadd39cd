namespace MLNetExt.Ranking.Engine;

/// <summary>
/// The per-row ranking metadata: relevance labels, query boundaries and optional example weights, checked once.
/// </summary>
/// <remarks>
/// Query q is rows <c>[GroupOffsets[q], GroupOffsets[q + 1])</c> (half-open, like LightGBM's
/// <c>query_boundaries</c>): the ML.NET layer builds the offsets from contiguous runs of the group column.
/// </remarks>
internal sealed class QueryGroups
{
    /// <summary>Checks and wraps the arrays (they are not copied).</summary>
    /// <param name="labels">Relevance grades: finite and non-negative; fractional grades are allowed.</param>
    /// <param name="groupOffsets">Length groups + 1; starts at 0, strictly increasing (no empty group), ends at the row count.</param>
    /// <param name="weights">Null, or one finite non-negative weight per row.</param>
    /// <exception cref="InvalidOperationException">The data breaks one of the rules; the message names the row or group.</exception>
    public QueryGroups(float[] labels, int[] groupOffsets, float[]? weights = null)
    {
        Guard.NotNull(labels, nameof(labels));
        Guard.NotNull(groupOffsets, nameof(groupOffsets));
        int rows = labels.Length;
        Guard.Data(rows > 0, "The ranking data has no rows.");
        Guard.Data(groupOffsets.Length >= 2, $"Group offsets must have at least 2 entries (one group); got {groupOffsets.Length}.");
        Guard.Data(groupOffsets[0] == 0, $"Group offsets must start at row 0; they start at {groupOffsets[0]}.");
        for (int q = 0; q + 1 < groupOffsets.Length; q++)
        {
            if (groupOffsets[q + 1] <= groupOffsets[q])
            {
                throw new InvalidOperationException(
                    $"Group {q} is empty or reversed (offsets {groupOffsets[q]} -> {groupOffsets[q + 1]}); every group needs at least one row.");
            }
        }
        Guard.Data(groupOffsets[^1] == rows,
            $"Group offsets end at row {groupOffsets[^1]} but there are {rows} rows (labels); the groups must cover every row exactly once.");
        for (int i = 0; i < rows; i++)
        {
            float l = labels[i];
            if (!(float.IsFinite(l) && l >= 0))
                throw new InvalidOperationException($"Label at row {i} is {l}; relevance labels must be finite and non-negative.");
        }
        if (weights is not null)
        {
            Guard.Data(weights.Length == rows, $"There are {weights.Length} weights for {rows} rows.");
            for (int i = 0; i < rows; i++)
            {
                float w = weights[i];
                if (!(float.IsFinite(w) && w >= 0))
                    throw new InvalidOperationException($"Weight at row {i} is {w}; example weights must be finite and non-negative.");
            }
        }
        Labels = labels;
        GroupOffsets = groupOffsets;
        Weights = weights;
        int max = 0;
        for (int q = 0; q + 1 < groupOffsets.Length; q++)
            max = Math.Max(max, groupOffsets[q + 1] - groupOffsets[q]);
        MaxGroupSize = max;
    }

    /// <summary>One relevance label per row.</summary>
    public float[] Labels { get; }

    /// <summary>Query boundaries, length <see cref="GroupCount"/> + 1.</summary>
    public int[] GroupOffsets { get; }

    /// <summary>One weight per row, or null.</summary>
    public float[]? Weights { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => Labels.Length;

    /// <summary>Number of queries.</summary>
    public int GroupCount => GroupOffsets.Length - 1;

    /// <summary>Rows in the largest query.</summary>
    public int MaxGroupSize { get; }

    /// <summary>The query sizes, as LightGBM's <c>group</c> field wants them.</summary>
    public int[] GroupSizes()
    {
        var sizes = new int[GroupCount];
        for (int q = 0; q < sizes.Length; q++)
            sizes[q] = GroupOffsets[q + 1] - GroupOffsets[q];
        return sizes;
    }
}
