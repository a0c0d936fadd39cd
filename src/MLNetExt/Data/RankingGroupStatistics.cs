using System.Globalization;
using MLNetExt.Diagnostics;

namespace MLNetExt.Data;

/// <summary>
/// Counts of the ranking groups (queries) that carry no ordering information: groups of one document, and groups of
/// two or more documents whose labels are all equal (no pair of documents to order). Trainers log them through
/// <see cref="Log"/>; the ranking evaluator reports them. Each count keeps the identifiers of its first few groups for
/// the message.
/// </summary>
internal sealed class RankingGroupStatistics
{
    /// <summary>How many group identifiers each count keeps for messages.</summary>
    public const int DefaultExampleCount = 5;

    private RankingGroupStatistics(int groupCount, int minimumSize, int maximumSize, int singleDocument, long[] singleExamples,
        int allEqual, long[] allEqualExamples)
    {
        GroupCount = groupCount;
        MinimumSize = minimumSize;
        MaximumSize = maximumSize;
        SingleDocumentGroupCount = singleDocument;
        SingleDocumentExamples = singleExamples;
        AllEqualLabelGroupCount = allEqual;
        AllEqualLabelExamples = allEqualExamples;
    }

    /// <summary>The number of groups.</summary>
    public int GroupCount { get; }

    /// <summary>The fewest documents in a group (0 when there are no groups).</summary>
    public int MinimumSize { get; }

    /// <summary>The most documents in a group (0 when there are no groups).</summary>
    public int MaximumSize { get; }

    /// <summary>Groups with exactly one document.</summary>
    public int SingleDocumentGroupCount { get; }

    /// <summary>The identifiers of the first few one-document groups, in data order.</summary>
    public IReadOnlyList<long> SingleDocumentExamples { get; }

    /// <summary>Groups of two or more documents whose labels are all equal.</summary>
    public int AllEqualLabelGroupCount { get; }

    /// <summary>The identifiers of the first few all-equal-label groups, in data order.</summary>
    public IReadOnlyList<long> AllEqualLabelExamples { get; }

    /// <summary>
    /// Counts over groups given by half-open <paramref name="offsets"/> (group g is rows <c>[offsets[g], offsets[g + 1])</c>).
    /// </summary>
    /// <param name="labels">One label per row.</param>
    /// <param name="offsets">Group boundaries, G + 1 non-decreasing values from 0 to the row count.</param>
    /// <param name="groupIds">One identifier per group for messages (the group column's values), or empty to use the
    /// 0-based group index.</param>
    /// <param name="exampleCount">How many identifiers each count keeps.</param>
    public static RankingGroupStatistics Compute(ReadOnlySpan<float> labels, ReadOnlySpan<int> offsets, ReadOnlySpan<long> groupIds = default,
        int exampleCount = DefaultExampleCount)
    {
        Guard.Argument(offsets.Length >= 1 && offsets[0] == 0 && offsets[^1] == labels.Length, nameof(offsets),
            $"offsets must run from 0 to the row count {labels.Length}.");
        int groups = offsets.Length - 1;
        Guard.Argument(groupIds.IsEmpty || groupIds.Length == groups, nameof(groupIds), $"groupIds has {groupIds.Length} values for {groups} groups.");
        var single = new List<long>();
        var allEqual = new List<long>();
        int singleCount = 0, allEqualCount = 0;
        int min = groups == 0 ? 0 : int.MaxValue, max = 0;
        for (int g = 0; g < groups; g++)
        {
            int start = offsets[g], end = offsets[g + 1];
            int size = end - start;
            min = Math.Min(min, size);
            max = Math.Max(max, size);
            long id = groupIds.IsEmpty ? g : groupIds[g];
            if (size == 1)
            {
                singleCount++;
                if (single.Count < exampleCount)
                    single.Add(id);
                continue;
            }
            if (size == 0)
                continue;
            float first = labels[start];
            bool equal = true;
            for (int i = start + 1; i < end && equal; i++)
                equal = labels[i] == first;
            if (equal)
            {
                allEqualCount++;
                if (allEqual.Count < exampleCount)
                    allEqual.Add(id);
            }
        }
        return new RankingGroupStatistics(groups, min, max, singleCount, single.ToArray(), allEqualCount, allEqual.ToArray());
    }

    /// <summary>"3 of 201 groups have one document (groups 4, 17, 20)", or null when there are none.</summary>
    public string? DescribeSingleDocumentGroups()
        => SingleDocumentGroupCount == 0 ? null
            : $"{SingleDocumentGroupCount} of {GroupCount} groups have one document ({List(SingleDocumentExamples, SingleDocumentGroupCount)})";

    /// <summary>"2 of 201 groups have all labels equal (groups 8, 9)", or null when there are none.</summary>
    public string? DescribeAllEqualLabelGroups()
        => AllEqualLabelGroupCount == 0 ? null
            : $"{AllEqualLabelGroupCount} of {GroupCount} groups of two or more documents have all labels equal ({List(AllEqualLabelExamples, AllEqualLabelGroupCount)})";

    /// <summary>
    /// Logs the group sizes as an information line and each non-zero count as a warning that says such groups have no
    /// pair of documents to order (<paramref name="consequence"/> adds what that means for the caller, for example
    /// "they contribute no gradient").
    /// </summary>
    public void Log(ComponentChannel channel, string? consequence = null)
    {
        Guard.NotNull(channel, nameof(channel));
        channel.Info($"{GroupCount} groups of {MinimumSize} to {MaximumSize} documents.");
        string suffix = consequence is null ? "." : $"; {consequence}.";
        if (DescribeSingleDocumentGroups() is { } single)
            channel.Warning($"{single}: no pair of documents to order{suffix}");
        if (DescribeAllEqualLabelGroups() is { } equal)
            channel.Warning($"{equal}: no pair of documents to order{suffix}");
    }

    private static string List(IReadOnlyList<long> ids, int total)
    {
        string list = string.Join(", ", ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        return (ids.Count == 1 ? "group " : "groups ") + list + (total > ids.Count ? ", ..." : "");
    }
}
