using Microsoft.ML;

namespace MLNetExt.Data;

/// <summary>Loading LibSVM / SVMlight text files (LightGBM's and SVMlight's learning-to-rank format) into ML.NET.</summary>
public static class LibSvmCatalog
{
    /// <summary>
    /// Loads a LibSVM / SVMlight file as a lazy, streaming <see cref="IDataView"/>:
    /// <c>label [qid:q] index:value index:value ... [# comment]</c> per line. The file is read once here, to check
    /// every line and to learn the row count, feature count and groups; each cursor then streams it again.
    /// </summary>
    /// <remarks>
    /// <para>Lines: fields separated by spaces or tabs; '\n' or "\r\n" line ends; blank lines and everything after
    /// '#' are skipped. The label must be a finite number (fractions allowed). Indices must increase strictly within a
    /// line. Feature values are Single: "nan", "na" and "null" (any case) read as NaN and are stored, "inf" / "infinity"
    /// with a sign as infinities (LightGBM's parser accepts the same words), values beyond the Single range become
    /// infinities, and zero values are not stored.</para>
    /// <para>Index base: see <see cref="LibSvmLoaderOptions.IndexBase"/>; by default one-based unless an index 0 appears.</para>
    /// <para>Groups: <c>qid:</c> tokens (right after the label, on every row or none; each query's rows consecutive),
    /// or LightGBM's sidecar <c>&lt;file&gt;.query</c> (one row count per query, adding up to the row count); when both
    /// exist they must agree. They give a <c>GroupId</c> column of key type, numbered 1, 2, ... in file order, as
    /// ML.NET's ranking trainers need. A sidecar <c>&lt;file&gt;.weight</c> (one number per row) gives a <c>Weight</c>
    /// column.</para>
    /// <para>Errors in the data are <see cref="FormatException"/>s naming the file, the line and the token.</para>
    /// </remarks>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="path">The file.</param>
    /// <param name="options">Index base, feature count, sidecar files and column names; null for the defaults.</param>
    /// <returns>The data view (with the resolved <see cref="LibSvmDataView.FeatureCount"/> and <see cref="LibSvmDataView.IndexBase"/>).</returns>
    /// <example><code>
    /// var train = mlContext.Data.LoadFromLibSvm("rank.train");   // Label, GroupId (from rank.train.query), Features
    /// var model = mlContext.Ranking.Trainers.FastTree().Fit(train);
    /// </code></example>
    public static LibSvmDataView LoadFromLibSvm(this DataOperationsCatalog catalog, string path, LibSvmLoaderOptions? options = null)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.Argument(!string.IsNullOrWhiteSpace(path), nameof(path), "The path must be a non-empty string.");
        options ??= new LibSvmLoaderOptions();
        options.Validate();
        return LibSvmScanner.Load([path], options)[0];
    }

    /// <summary>
    /// Loads several LibSVM / SVMlight files that share one feature space (train, validation, test): every view gets
    /// the same feature vector size (the stated <see cref="LibSvmLoaderOptions.FeatureCount"/>, or the largest over
    /// all files) and the same index base (with <see cref="LibSvmIndexBase.Auto"/>, zero-based if any file has an
    /// index 0). Each file has its own groups and sidecar files. Otherwise as the single-file form.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="paths">The files, at least one.</param>
    /// <param name="options">Index base, feature count, sidecar files and column names; null for the defaults.</param>
    /// <returns>One view per file, in the order of <paramref name="paths"/>.</returns>
    /// <example><code>
    /// var views = mlContext.Data.LoadFromLibSvm(["rank.train", "rank.test"]);
    /// var (train, test) = (views[0], views[1]);
    /// </code></example>
    public static LibSvmDataView[] LoadFromLibSvm(this DataOperationsCatalog catalog, IReadOnlyList<string> paths, LibSvmLoaderOptions? options = null)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(paths, nameof(paths));
        Guard.Argument(paths.Count > 0, nameof(paths), "At least one file is needed.");
        for (int i = 0; i < paths.Count; i++)
            Guard.Argument(!string.IsNullOrWhiteSpace(paths[i]), nameof(paths), $"Path {i} must be a non-empty string.");
        options ??= new LibSvmLoaderOptions();
        options.Validate();
        return LibSvmScanner.Load(paths, options);
    }
}
