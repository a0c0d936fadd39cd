using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>Feature names from a vector column's <c>SlotNames</c> annotation (what <c>Concatenate</c> and loaders write).</summary>
internal static class SlotNames
{
    private const string Kind = "SlotNames";

    /// <summary>The slot names of a known-size vector column, or null when it has none (or not one per slot).</summary>
    public static string[]? Read(DataViewSchema.Column column)
    {
        if (column.Type is not VectorDataViewType { IsKnownSize: true } vector)
            return null;
        var annotation = column.Annotations.Schema.GetColumnOrNull(Kind);
        if (annotation?.Type is not VectorDataViewType { ItemType: TextDataViewType } names || names.Size != vector.Size)
            return null;
        VBuffer<ReadOnlyMemory<char>> buffer = default;
        column.Annotations.GetValue(Kind, ref buffer);
        var result = new string[vector.Size];
        int j = 0;
        foreach (var name in buffer.DenseValues())
            result[j++] = name.ToString();
        return result;
    }

    /// <summary>
    /// One name per slot: the slot name where there is a non-empty one, otherwise <c>f{index}</c> (LightGBM's
    /// <c>Column_{index}</c> style, 0-based), so reports and exported models always have a name for every feature.
    /// </summary>
    public static string[] ReadOrDefault(DataViewSchema.Column column, int size)
    {
        var names = Read(column);
        var result = new string[size];
        for (int j = 0; j < size; j++)
            result[j] = names is not null && names[j].Length > 0 ? names[j] : $"f{j}";
        return result;
    }
}
