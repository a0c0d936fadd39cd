namespace MLNetExt.Data;

/// <summary>
/// Groups (ranking queries) or bags as contiguous runs of rows with the same identifier. Boundaries are half-open,
/// like LightGBM's <c>query_boundaries</c>: group g is rows <c>[Offsets[g], Offsets[g + 1])</c>.
/// </summary>
internal sealed class GroupBoundaries
{
    private GroupBoundaries(int[] offsets, long[] ids)
    {
        Offsets = offsets;
        Ids = ids;
    }

    /// <summary>Length <see cref="Count"/> + 1; the first entry is 0, the last is the row count.</summary>
    public int[] Offsets { get; }

    /// <summary>The identifier of each group, in order of appearance.</summary>
    public long[] Ids { get; }

    /// <summary>The number of groups.</summary>
    public int Count => Ids.Length;

    /// <summary>Rows in group <paramref name="group"/>.</summary>
    public int Size(int group) => Offsets[group + 1] - Offsets[group];

    /// <summary>The size of the largest group (0 when there are none).</summary>
    public int MaximumSize()
    {
        int max = 0;
        for (int g = 0; g < Count; g++)
            max = Math.Max(max, Size(g));
        return max;
    }

    /// <summary>
    /// Finds the runs of equal identifiers. Rows of one group must be contiguous: an identifier that reappears after
    /// another group started is an error naming both row ranges, never a silent split into two groups.
    /// </summary>
    /// <param name="ids">One identifier per row.</param>
    /// <param name="columnName">The identifier column, for messages.</param>
    /// <param name="role">"group" or "bag", for messages.</param>
    public static GroupBoundaries FromRuns(ReadOnlySpan<long> ids, string columnName, string role = "group")
    {
        var offsets = new ArrayBuilder<int>(16);
        var groupIds = new ArrayBuilder<long>(16);
        var firstRowOf = new Dictionary<long, (int Start, int End)>();
        int start = 0;
        for (int i = 1; i <= ids.Length; i++)
        {
            if (i < ids.Length && ids[i] == ids[start])
                continue;
            long id = ids[start];
            if (firstRowOf.TryGetValue(id, out var earlier))
            {
                throw new InvalidOperationException(
                    $"Rows of {role} {id} in column '{columnName}' are not contiguous: rows {earlier.Start}-{earlier.End} " +
                    $"and again from row {start}. Sort the data by '{columnName}' (or keep each {role}'s rows together) first.");
            }
            firstRowOf.Add(id, (start, i - 1));
            offsets.Add(start);
            groupIds.Add(id);
            start = i;
        }
        offsets.Add(ids.Length);
        return new GroupBoundaries(offsets.ToArray(), groupIds.ToArray());
    }
}
