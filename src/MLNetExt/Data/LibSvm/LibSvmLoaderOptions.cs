namespace MLNetExt.Data;

/// <summary>How the feature indices of a LibSVM / SVMlight file map to slots of the <c>Features</c> vector.</summary>
public enum LibSvmIndexBase
{
    /// <summary>
    /// One-based unless an index 0 appears: if any data line of any file loaded in the same call has the index 0,
    /// every file of that call is read as zero-based; otherwise as one-based. The decision is made once, after the
    /// first pass over all files, so train, validation and test files loaded together always agree.
    /// </summary>
    Auto = 0,

    /// <summary>Index i is slot i; the vector has (largest index + 1) slots. LightGBM's convention.</summary>
    Zero = 1,

    /// <summary>Index i is slot i - 1; the vector has (largest index) slots; an index 0 is an error. SVMlight's, LIBSVM's
    /// and ML.NET's <c>LoadFromSvmLightFile</c> default.</summary>
    One = 2,
}

/// <summary>Options of <c>LoadFromLibSvm</c>.</summary>
/// <remarks>
/// <para>Index base. <see cref="LibSvmIndexBase.Auto"/> (the default) reads one-based indices unless an index 0 appears.
/// SVMlight and LIBSVM define indices to start at 1, and ML.NET's <c>LoadFromSvmLightFile</c> reads them as one-based
/// by default (an index 0 is an error there). LightGBM does no detection: it takes every index as a zero-based column
/// number, so on a one-based file its column 0 is always empty and its feature k is our slot k - 1. Set
/// <see cref="IndexBase"/> to <see cref="LibSvmIndexBase.Zero"/> to number the slots exactly as LightGBM numbers its
/// columns.</para>
/// <para>Sidecar files follow LightGBM: <c>&lt;file&gt;.query</c> holds one positive integer per line, the number of
/// consecutive rows of each query, and <c>&lt;file&gt;.weight</c> one weight per data row.</para>
/// </remarks>
public sealed class LibSvmLoaderOptions
{
    internal static class Defaults
    {
        public const LibSvmIndexBase IndexBase = LibSvmIndexBase.Auto;
        public const bool ReadQueryFile = true;
        public const bool ReadWeightFile = true;
    }

    /// <summary>How feature indices map to vector slots.</summary>
    /// <value>Default <see cref="LibSvmIndexBase.Auto"/>: one-based unless an index 0 appears in any file of the call
    /// (our rule; see the class remarks for what SVMlight, ML.NET and LightGBM do).</value>
    public LibSvmIndexBase IndexBase = Defaults.IndexBase;

    /// <summary>The size of the <c>Features</c> vector; null to use the largest index found in the files.</summary>
    /// <value>Range [1, 2147483647] or null. Default null: the size is the largest over all files of the call (largest
    /// index, plus one when zero-based). When stated, an index beyond it is an error naming file, line and token.</value>
    public int? FeatureCount;

    /// <summary>Whether a LightGBM query file <c>&lt;file&gt;.query</c> next to a data file gives its groups.</summary>
    /// <value>Default true: used when present. Its sizes must add up to the file's row count; when the file also has
    /// <c>qid:</c> tokens, both must describe the same groups.</value>
    public bool ReadQueryFile = Defaults.ReadQueryFile;

    /// <summary>Whether a LightGBM weight file <c>&lt;file&gt;.weight</c> next to a data file gives a weight column.</summary>
    /// <value>Default true: used when present. It must hold one finite, non-negative number per data row.</value>
    public bool ReadWeightFile = Defaults.ReadWeightFile;

    /// <summary>The name of the label column (Single).</summary>
    /// <value>Default "Label".</value>
    public string LabelColumnName = ColumnNames.Label;

    /// <summary>The name of the feature column (known-size sparse vector of Single).</summary>
    /// <value>Default "Features".</value>
    public string FeatureColumnName = ColumnNames.Features;

    /// <summary>The name of the group column (key type over UInt32), present when the data has groups.</summary>
    /// <value>Default "GroupId", ML.NET's default row-group column of its ranking trainers.</value>
    public string RowGroupColumnName = ColumnNames.GroupId;

    /// <summary>The name of the weight column (Single), present when a weight file was read.</summary>
    /// <value>Default "Weight".</value>
    public string ExampleWeightColumnName = ColumnNames.Weight;

    internal void Validate()
    {
        Guard.Option(Enum.IsDefined(IndexBase), nameof(IndexBase), $"has the unknown value {(int)IndexBase}.");
        Guard.Option(FeatureCount is null or >= 1, nameof(FeatureCount), $"must be at least 1 or null; got {FeatureCount}.");
        Guard.Option(!string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), "must be a non-empty name.");
        Guard.Option(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), "must be a non-empty name.");
        Guard.Option(!string.IsNullOrWhiteSpace(RowGroupColumnName), nameof(RowGroupColumnName), "must be a non-empty name.");
        Guard.Option(!string.IsNullOrWhiteSpace(ExampleWeightColumnName), nameof(ExampleWeightColumnName), "must be a non-empty name.");
        string[] names = [LabelColumnName, FeatureColumnName, RowGroupColumnName, ExampleWeightColumnName];
        string[] options = [nameof(LabelColumnName), nameof(FeatureColumnName), nameof(RowGroupColumnName), nameof(ExampleWeightColumnName)];
        for (int i = 0; i < names.Length; i++)
        {
            for (int j = i + 1; j < names.Length; j++)
                Guard.Option(names[i] != names[j], options[j], $"must differ from {options[i]}; both are '{names[i]}'.");
        }
    }
}
