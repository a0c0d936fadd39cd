using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>
/// A LibSVM / SVMlight file as a lazy <see cref="IDataView"/>: the file was read once to validate it and to learn the
/// row count, the feature count and the groups; every cursor streams it again from disk. Created by
/// <c>mlContext.Data.LoadFromLibSvm</c>.
/// </summary>
/// <remarks>
/// <para>Columns, in this order: the label (Single); the group id (key type over UInt32 with one value per query,
/// numbered 1, 2, ... in order of appearance) when the file has <c>qid:</c> tokens or a <c>.query</c> file; the weight
/// (Single) when a <c>.weight</c> file was read; the features (a known-size vector of Single, sparse: only the
/// non-zero values written in the file are stored).</para>
/// <para>Not shuffleable (<see cref="CanShuffle"/> is false), and one cursor per request from
/// <see cref="GetRowCursorSet"/>. The view is not saved inside a model: <c>mlContext.Model.Save(model, view.Schema, path)</c>
/// saves the schema only, like any <see cref="IDataView"/>; load the data again with <c>LoadFromLibSvm</c>.
/// A cursor fails with a <see cref="FormatException"/> if the file's size or time stamp changed after loading.</para>
/// </remarks>
public sealed class LibSvmDataView : IDataView
{
    private readonly long _length;
    private readonly DateTime _lastWriteTimeUtc;

    internal LibSvmDataView(string path, long length, DateTime lastWriteTimeUtc, long rowCount, int featureCount,
        LibSvmIndexBase indexBase, long[]? groupOffsets, float[]? weights, LibSvmLoaderOptions options)
    {
        Path = path;
        _length = length;
        _lastWriteTimeUtc = lastWriteTimeUtc;
        RowCount = rowCount;
        FeatureCount = featureCount;
        IndexBase = indexBase;
        GroupOffsets = groupOffsets;
        Weights = weights;

        var builder = new DataViewSchema.Builder();
        builder.AddColumn(options.LabelColumnName, NumberDataViewType.Single);
        if (groupOffsets is not null)
            builder.AddColumn(options.RowGroupColumnName, new KeyDataViewType(typeof(uint), (ulong)(groupOffsets.Length - 1)));
        if (weights is not null)
            builder.AddColumn(options.ExampleWeightColumnName, NumberDataViewType.Single);
        builder.AddColumn(options.FeatureColumnName, new VectorDataViewType(NumberDataViewType.Single, featureCount));
        Schema = builder.ToSchema();
        LabelColumn = Schema[options.LabelColumnName].Index;
        FeatureColumn = Schema[options.FeatureColumnName].Index;
        GroupColumn = groupOffsets is null ? -1 : Schema[options.RowGroupColumnName].Index;
        WeightColumn = weights is null ? -1 : Schema[options.ExampleWeightColumnName].Index;
    }

    /// <summary>The file this view reads.</summary>
    public string Path { get; }

    /// <summary>The number of data rows (blank and comment-only lines are not rows).</summary>
    public long RowCount { get; }

    /// <summary>The size of the feature vector: the stated <c>FeatureCount</c>, or the largest over the files loaded together.</summary>
    public int FeatureCount { get; }

    /// <summary>How indices were read: <see cref="LibSvmIndexBase.Zero"/> or <see cref="LibSvmIndexBase.One"/> (never Auto).</summary>
    public LibSvmIndexBase IndexBase { get; }

    /// <summary>The number of groups (queries); 0 when the view has no group column.</summary>
    public int GroupCount => GroupOffsets is null ? 0 : GroupOffsets.Length - 1;

    /// <inheritdoc/>
    public DataViewSchema Schema { get; }

    /// <summary>False: rows come in file order.</summary>
    public bool CanShuffle => false;

    /// <summary>Group g is rows [GroupOffsets[g], GroupOffsets[g + 1]); null without groups.</summary>
    internal long[]? GroupOffsets { get; }

    /// <summary>One weight per row, or null.</summary>
    internal float[]? Weights { get; }

    internal int LabelColumn { get; }

    internal int FeatureColumn { get; }

    internal int GroupColumn { get; }

    internal int WeightColumn { get; }

    /// <summary>The row count, known from the first pass.</summary>
    public long? GetRowCount() => RowCount;

    /// <summary>A cursor over the rows in file order; only the requested columns are parsed.</summary>
    /// <param name="columnsNeeded">Columns of this view's schema to read.</param>
    /// <param name="rand">Ignored: the view does not shuffle.</param>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        Guard.NotNull(columnsNeeded, nameof(columnsNeeded));
        var active = new bool[Schema.Count];
        foreach (var column in columnsNeeded)
        {
            Guard.Argument(column.Index >= 0 && column.Index < Schema.Count && Schema[column.Index].Name == column.Name,
                nameof(columnsNeeded), $"Column '{column.Name}' is not a column of this LibSVM view (columns: {string.Join(", ", Schema.Select(c => c.Name))}).");
            active[column.Index] = true;
        }
        var info = new FileInfo(Path);
        if (!info.Exists || info.Length != _length || info.LastWriteTimeUtc != _lastWriteTimeUtc)
        {
            throw LibSvmErrors.InFile(Path, $"the file changed after it was loaded (it had {_length} bytes, last written " +
                $"{_lastWriteTimeUtc:O}). Load it again with LoadFromLibSvm.");
        }
        return new LibSvmRowCursor(this, active);
    }

    /// <summary>One cursor (the file is read sequentially); see <see cref="GetRowCursor"/>.</summary>
    /// <param name="columnsNeeded">Columns of this view's schema to read.</param>
    /// <param name="n">The number of cursors asked for; one is returned.</param>
    /// <param name="rand">Ignored: the view does not shuffle.</param>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];
}
