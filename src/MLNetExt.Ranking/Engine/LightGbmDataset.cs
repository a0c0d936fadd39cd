using MLNetExt.Data;
using System.Runtime.InteropServices;
using MLNetExt.Ranking.Native;

namespace MLNetExt.Ranking.Engine;

/// <summary>
/// A LightGBM dataset (binned features plus label, group and weight fields) built from an
/// <see cref="IRowBlockSource"/> in bounded blocks, never through a dense managed copy of the whole matrix.
/// </summary>
/// <remarks>
/// <para>Training data: one pass over the source collects the rows LightGBM's own sampler picks
/// (<c>LGBM_SampleIndices</c>: <c>bin_construct_sample_cnt</c> rows, chosen from the seed, the same rows
/// <c>LGBM_DatasetCreateFromMat</c> would sample), keeping per feature only the values LightGBM keeps (non-zero or
/// NaN), and hands them to <c>LGBM_DatasetCreateFromSampledColumn</c> for the bin boundaries; a second pass pushes
/// the rows block by block (<c>LGBM_DatasetPushRows</c> for dense blocks, <c>LGBM_DatasetPushRowsByCSR</c> for
/// sparse ones). So the bins, and the trees, equal those of LightGBM's <c>CreateFromMat</c>/<c>CreateFromCSR</c> on
/// the same data and parameters.</para>
/// <para>Validation data (and, in distributed training, each process's own rows) reuse another dataset's bins
/// (<c>LGBM_DatasetCreateByReference</c>) and need one pass.</para>
/// <para>Memory: the sample (at most <c>bin_construct_sample_cnt</c> rows, as doubles, only non-zero entries) lives
/// until the bins are found; then only one block of the source at a time.</para>
/// </remarks>
internal sealed class LightGbmDataset : IDisposable
{
    /// <summary>LightGBM's <c>kZeroThreshold</c> (meta.h): values with |v| at most this count as zero.</summary>
    internal const double ZeroThreshold = 1e-35f;

    private LightGbmDataset(DatasetHandle handle, int rowCount, int featureCount)
    {
        Handle = handle;
        RowCount = rowCount;
        FeatureCount = featureCount;
    }

    /// <summary>The native handle.</summary>
    public DatasetHandle Handle { get; }

    /// <summary>Rows in the dataset.</summary>
    public int RowCount { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Builds a training dataset: bins from a sample of <paramref name="source"/>, then all its rows.</summary>
    /// <param name="source">The features.</param>
    /// <param name="groups">Labels, query boundaries and weights for the rows (null: no fields are set).</param>
    /// <param name="datasetParameters">LightGBM parameters (<see cref="BoosterSettings.DatasetParameters"/>).</param>
    public static LightGbmDataset Create(IRowBlockSource source, QueryGroups? groups, string datasetParameters)
    {
        Guard.NotNull(source, nameof(source));
        CheckShape(source, groups);
        using var reference = CreateBinReference(source, datasetParameters, localRowCount: source.RowCount);
        // CreateBinReference made a dataset sized for all rows; fill it instead of copying the bins.
        var dataset = reference.Detach();
        dataset.PushAll(source);
        dataset.SetFields(groups);
        return dataset;
    }

    /// <summary>
    /// Builds a dataset that uses the bins of <paramref name="reference"/> (a training dataset, or a bin reference
    /// from <see cref="CreateBinReference"/>) and holds the rows of <paramref name="source"/>.
    /// </summary>
    public static LightGbmDataset CreateWithBinsOf(LightGbmDataset reference, IRowBlockSource source, QueryGroups? groups)
    {
        Guard.NotNull(reference, nameof(reference));
        Guard.NotNull(source, nameof(source));
        CheckShape(source, groups);
        Guard.Data(source.FeatureCount == reference.FeatureCount,
            $"The data has {source.FeatureCount} features but the dataset whose bins it reuses has {reference.FeatureCount}.");
        LightGbmApi.Check(LightGbmNative.LGBM_DatasetCreateByReference(reference.Handle, source.RowCount, out DatasetHandle handle));
        var dataset = new LightGbmDataset(handle, source.RowCount, source.FeatureCount);
        try
        {
            dataset.PushAll(source);
            dataset.SetFields(groups);
            return dataset;
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Finds bin boundaries from a sample of <paramref name="source"/> and returns a dataset that holds them, with room
    /// for <paramref name="localRowCount"/> rows that are never pushed (pass 1 when it serves only as a bin reference
    /// for <see cref="CreateWithBinsOf"/>). In distributed training every process builds this from the same sample
    /// before the network starts, so all processes bin alike.
    /// </summary>
    public static BinReference CreateBinReference(IRowBlockSource source, string datasetParameters, int localRowCount = 1)
    {
        Guard.NotNull(source, nameof(source));
        Guard.Data(source.RowCount > 0, "The feature data has no rows.");
        int rows = source.RowCount;
        int features = source.FeatureCount;
        LightGbmApi.Check(LightGbmNative.LGBM_GetSampleCount(rows, datasetParameters, out int sampleCount));
        var sampleRows = new int[Math.Max(sampleCount, 1)];
        int got;
        unsafe
        {
            fixed (int* p = sampleRows)
                LightGbmApi.Check(LightGbmNative.LGBM_SampleIndices(rows, datasetParameters, p, out got));
        }
        using var collector = new SampleCollector(sampleRows.AsSpan(0, got).ToArray(), features);
        source.Read(collector);
        Guard.Data(collector.Next == got,
            $"The feature source returned fewer rows than its RowCount {rows} while sampling (reached sample {collector.Next} of {got}).");
        // LightGBM may overwrite entries of the pointer arrays it is given (FastFeatureBundling points sample_indices[f]
        // at its own temporary vectors), so it gets copies and the collector frees the pointers it allocated.
        IntPtr[] valuePointers = (IntPtr[])collector.Values.Clone();
        IntPtr[] indexPointers = (IntPtr[])collector.Rows.Clone();
        DatasetHandle handle;
        unsafe
        {
            fixed (IntPtr* pv = valuePointers)
            fixed (IntPtr* pi = indexPointers)
            fixed (int* counts = collector.Counts)
            {
                LightGbmApi.Check(LightGbmNative.LGBM_DatasetCreateFromSampledColumn((double**)pv, (int**)pi, features, counts,
                    got, localRowCount, rows, datasetParameters, out handle));
            }
        }
        return new BinReference(new LightGbmDataset(handle, localRowCount, features));
    }

    /// <summary>Takes ownership of a dataset LightGBM built another way (tests compare with <c>CreateFromMat</c>).</summary>
    internal static LightGbmDataset Wrap(DatasetHandle handle, int rowCount, int featureCount) => new(handle, rowCount, featureCount);

    /// <summary>Number of bins LightGBM made for <paramref name="feature"/> (1 for a feature it dropped as unsplittable).</summary>
    public int BinCount(int feature)
    {
        LightGbmApi.Check(LightGbmNative.LGBM_DatasetGetFeatureNumBin(Handle, feature, out int bins));
        return bins;
    }

    /// <inheritdoc/>
    public void Dispose() => Handle.Dispose();

    private static void CheckShape(IRowBlockSource source, QueryGroups? groups)
    {
        Guard.Data(source.RowCount > 0, "The feature data has no rows.");
        Guard.Data(source.FeatureCount > 0, "The feature data has no features.");
        if (groups is not null)
        {
            Guard.Data(groups.RowCount == source.RowCount,
                $"The feature data has {source.RowCount} rows but there are {groups.RowCount} labels.");
        }
    }

    private void PushAll(IRowBlockSource source)
    {
        var pusher = new Pusher(this);
        source.Read(pusher);
        Guard.Data(pusher.NextRow == RowCount,
            $"The feature source returned {pusher.NextRow} rows but its RowCount is {RowCount}.");
    }

    /// <summary>Sets the label, group and (if any) weight fields.</summary>
    internal unsafe void SetFields(QueryGroups? groups)
    {
        if (groups is null)
            return;
        fixed (float* labels = groups.Labels)
            LightGbmApi.Check(LightGbmNative.LGBM_DatasetSetField(Handle, "label", labels, groups.RowCount, LightGbmNative.DTypeFloat32));
        int[] sizes = groups.GroupSizes();
        fixed (int* s = sizes)
            LightGbmApi.Check(LightGbmNative.LGBM_DatasetSetField(Handle, "group", s, sizes.Length, LightGbmNative.DTypeInt32));
        if (groups.Weights is { } weights)
        {
            fixed (float* w = weights)
                LightGbmApi.Check(LightGbmNative.LGBM_DatasetSetField(Handle, "weight", w, weights.Length, LightGbmNative.DTypeFloat32));
        }
    }

    /// <summary>A dataset that holds bin boundaries; disposing it frees it unless <see cref="Detach"/> took it over.</summary>
    internal sealed class BinReference : IDisposable
    {
        private LightGbmDataset? _dataset;

        internal BinReference(LightGbmDataset dataset) => _dataset = dataset;

        /// <summary>The dataset (still owned by this object).</summary>
        public LightGbmDataset Dataset => _dataset ?? throw new ObjectDisposedException(nameof(BinReference));

        /// <summary>Hands the dataset over to the caller.</summary>
        public LightGbmDataset Detach()
        {
            var d = Dataset;
            _dataset = null;
            return d;
        }

        /// <inheritdoc/>
        public void Dispose() => _dataset?.Dispose();
    }

    /// <summary>
    /// Collects the sampled rows' non-zero values per feature, as LightGBM's own samplers do, in native memory that is
    /// freed as soon as the bins are found (it can be hundreds of MB: 200,000 rows x 136 features x 12 bytes).
    /// </summary>
    private sealed unsafe class SampleCollector : IRowBlockVisitor, IDisposable
    {
        private readonly int[] _sampleRows;
        private readonly int[] _capacity;

        public SampleCollector(int[] sampleRows, int features)
        {
            _sampleRows = sampleRows;
            Values = new IntPtr[features];
            Rows = new IntPtr[features];
            Counts = new int[features];
            _capacity = new int[features];
            int initial = Math.Clamp(sampleRows.Length / 8, 16, 1 << 16);
            for (int f = 0; f < features; f++)
            {
                Values[f] = (IntPtr)NativeMemory.Alloc((nuint)initial, sizeof(double));
                Rows[f] = (IntPtr)NativeMemory.Alloc((nuint)initial, sizeof(int));
                _capacity[f] = initial;
            }
        }

        /// <summary>Per feature: the sampled non-zero values (double*).</summary>
        public IntPtr[] Values { get; }

        /// <summary>Per feature: the position in the sample of each value (int*).</summary>
        public IntPtr[] Rows { get; }

        /// <summary>Per feature: how many values were kept.</summary>
        public int[] Counts { get; }

        /// <summary>Position in the sample of the next row to collect.</summary>
        public int Next { get; private set; }

        public bool Visit(in RowBlock block)
        {
            int end = block.StartRow + block.RowCount;
            while (Next < _sampleRows.Length && _sampleRows[Next] < end)
            {
                int r = _sampleRows[Next] - block.StartRow;
                if (block.IsSparse)
                {
                    int from = block.RowOffsets[r], to = block.RowOffsets[r + 1];
                    for (int k = from; k < to; k++)
                    {
                        int f = block.Indices[k];
                        if ((uint)f >= (uint)Counts.Length)
                            throw new InvalidOperationException($"Row {block.StartRow + r} has feature index {f}, outside [0, {Counts.Length}).");
                        Add(f, block.Values[k]);
                    }
                }
                else
                {
                    var row = block.Values.Slice(r * block.FeatureCount, block.FeatureCount);
                    for (int f = 0; f < row.Length; f++)
                        Add(f, row[f]);
                }
                Next++;
            }
            return Next < _sampleRows.Length;
        }

        private void Add(int feature, float value)
        {
            double v = value;
            if (!(Math.Abs(v) > ZeroThreshold || double.IsNaN(v)))
                return;
            int n = Counts[feature];
            if (n == _capacity[feature])
            {
                int grown = Math.Min(Math.Max(2 * n, 16), Math.Max(_sampleRows.Length, 16));
                Values[feature] = (IntPtr)NativeMemory.Realloc((void*)Values[feature], (nuint)grown * sizeof(double));
                Rows[feature] = (IntPtr)NativeMemory.Realloc((void*)Rows[feature], (nuint)grown * sizeof(int));
                _capacity[feature] = grown;
            }
            ((double*)Values[feature])[n] = v;
            ((int*)Rows[feature])[n] = Next;
            Counts[feature] = n + 1;
        }

        public void Dispose()
        {
            for (int f = 0; f < Values.Length; f++)
            {
                NativeMemory.Free((void*)Values[f]);
                NativeMemory.Free((void*)Rows[f]);
                Values[f] = IntPtr.Zero;
                Rows[f] = IntPtr.Zero;
            }
        }
    }

    /// <summary>Pushes each block into the dataset.</summary>
    private sealed class Pusher(LightGbmDataset dataset) : IRowBlockVisitor
    {
        public int NextRow { get; private set; }

        public unsafe bool Visit(in RowBlock block)
        {
            if (block.StartRow != NextRow)
                throw new InvalidOperationException($"The feature source skipped rows: expected a block at row {NextRow}, got {block.StartRow}.");
            if (block.StartRow + block.RowCount > dataset.RowCount)
                throw new InvalidOperationException($"The feature source returned more rows than its RowCount {dataset.RowCount}.");
            if (block.FeatureCount != dataset.FeatureCount)
                throw new InvalidOperationException($"A block has {block.FeatureCount} features; the data set has {dataset.FeatureCount}.");
            if (block.RowCount == 0)
                return true;
            if (block.IsSparse)
            {
                ValidateSparse(block);
                fixed (int* offsets = block.RowOffsets)
                fixed (int* indices = block.Indices)
                fixed (float* values = block.Values)
                {
                    LightGbmApi.Check(LightGbmNative.LGBM_DatasetPushRowsByCSR(dataset.Handle, offsets, LightGbmNative.DTypeInt32, indices,
                        values, LightGbmNative.DTypeFloat32, block.RowCount + 1, block.Values.Length, block.FeatureCount, block.StartRow));
                }
            }
            else
            {
                if (block.Values.Length != block.RowCount * block.FeatureCount)
                {
                    throw new InvalidOperationException(
                        $"A dense block at row {block.StartRow} has {block.Values.Length} values for {block.RowCount} rows of {block.FeatureCount} features.");
                }
                fixed (float* values = block.Values)
                {
                    LightGbmApi.Check(LightGbmNative.LGBM_DatasetPushRows(dataset.Handle, values, LightGbmNative.DTypeFloat32,
                        block.RowCount, block.FeatureCount, block.StartRow));
                }
            }
            NextRow += block.RowCount;
            return true;
        }

        private static void ValidateSparse(in RowBlock block)
        {
            var offsets = block.RowOffsets;
            if (offsets[0] != 0 || offsets[^1] != block.Values.Length || block.Indices.Length != block.Values.Length)
                throw new InvalidOperationException($"A sparse block at row {block.StartRow} has inconsistent offsets, indices and values.");
            for (int r = 0; r < block.RowCount; r++)
            {
                int previous = -1;
                for (int k = offsets[r]; k < offsets[r + 1]; k++)
                {
                    int f = block.Indices[k];
                    if (f <= previous || f >= block.FeatureCount)
                    {
                        throw new InvalidOperationException(
                            $"Row {block.StartRow + r}: feature index {f} is out of range [0, {block.FeatureCount}) or not increasing.");
                    }
                    previous = f;
                }
            }
        }
    }
}
