using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Data;
using MLNetExt.Diagnostics;

namespace MLNetExt.Calibration.Reading;

/// <summary>How the label column is read.</summary>
internal enum LabelKind
{
    /// <summary>A Boolean label, kept as bits.</summary>
    Boolean,

    /// <summary>A class label (key or whole number), kept raw (key value or number) for the processor to check.</summary>
    Class,
}

/// <summary>What a <see cref="SegmentReader{T, TW}"/> reads.</summary>
internal sealed record ReadSpec(string Component, string ValueColumn, string ValueRole, int? VectorSize, string LabelColumn, LabelKind LabelKind,
    string? WeightColumn);

/// <summary>Up to <see cref="Segments.Rows"/> consecutive rows, as read: the values, the labels and the weights.</summary>
internal sealed class RowSegment<T, TW>
{
    /// <summary>The segment's position: rows <c>Index * 65,536</c> onward.</summary>
    public int Index;

    /// <summary>Rows held.</summary>
    public int Length;

    /// <summary>The scalar per row, or the vector of each row (row-major, dense).</summary>
    public T[] Values = [];

    /// <summary>Boolean labels: bit i of word i / 64.</summary>
    public ulong[]? Bits;

    /// <summary>Class labels as read (a key's raw value, or the number).</summary>
    public double[]? ClassLabels;

    /// <summary>Example weights as read (unchecked).</summary>
    public TW[]? Weights;

    /// <summary>The number of the segment's first row.</summary>
    public long FirstRow => (long)Index << Segments.Shift;

    /// <summary>Whether row <paramref name="i"/>'s Boolean label is true.</summary>
    public bool Label(int i) => ((Bits![i >> 6] >> (i & 63)) & 1) != 0;
}

/// <summary>
/// The calibration family's reader: one cursor pass with typed getters (no conversion per value), rows gathered into
/// segments of 65,536 and handed, in order, to a processor that runs on a second core while the cursor reads the next
/// segment (<see cref="OrderedWorker{T}"/>). The processor checks the values (so the first bad row in row order is the
/// one reported, naming the column, the row and the value) and keeps what its component needs in the narrowest exact
/// form, or reduces it on the fly. Messages use <see cref="DataViewColumnReader"/>'s wording; this reader exists beside
/// it because the evaluators must cost little more than a bare cursor pass and hold no more than the columns they need.
/// Values of <typeparamref name="T"/> are the value column's own type (Single or Double); weights of
/// <typeparamref name="TW"/> are Single for a Single weight column, else Double.
/// </summary>
internal static class SegmentReader<T, TW>
    where T : unmanaged, INumber<T>
    where TW : unmanaged, INumberBase<TW>
{
    /// <summary>Segments that may wait for the processor.</summary>
    private const int QueueCapacity = 3;

    /// <summary>
    /// Reads every row; returns the row count. <paramref name="process"/> sees each segment once, in order, and returns
    /// true when it kept nothing of the segment's arrays: the reader then refills them instead of allocating new ones.
    /// </summary>
    public static long Read(IDataView data, ReadSpec spec, ComponentChannel channel, Func<RowSegment<T, TW>, bool> process)
    {
        var schema = data.Schema;
        var valueColumn = SchemaChecks.Find(schema, spec.ValueColumn, spec.ValueRole);
        var labelColumn = SchemaChecks.Find(schema, spec.LabelColumn, "label");
        var weightColumn = spec.WeightColumn is null ? (DataViewSchema.Column?)null : SchemaChecks.Find(schema, spec.WeightColumn, "example weight");
        var columns = new List<DataViewSchema.Column> { valueColumn, labelColumn };
        if (weightColumn is { } w)
            columns.Add(w);
        int width = spec.VectorSize ?? 1;
        long? count = data.GetRowCount();
        var pool = new ConcurrentQueue<RowSegment<T, TW>>();
        bool inline = Environment.ProcessorCount == 1 || count is <= Segments.Rows;
        using var worker = new OrderedWorker<RowSegment<T, TW>>(segment =>
        {
            if (process(segment))
                pool.Enqueue(segment);
        }, QueueCapacity, inline);

        channel.StartProgress(count ?? double.NaN, "rows read");
        long rows = 0;
        using (var cursor = data.GetRowCursor(columns.Distinct()))
        {
            ValueGetter<T>? scalar = spec.VectorSize is null ? cursor.GetGetter<T>(valueColumn) : null;
            ValueGetter<VBuffer<T>>? vector = spec.VectorSize is null ? null : cursor.GetGetter<VBuffer<T>>(valueColumn);
            ValueGetter<bool>? boolean = spec.LabelKind == LabelKind.Boolean ? cursor.GetGetter<bool>(labelColumn) : null;
            Func<double>? classLabel = spec.LabelKind == LabelKind.Class ? NumericGetters.Create(cursor, labelColumn) : null;
            ValueGetter<TW>? typedWeight = null;
            Func<double>? numericWeight = null;
            if (weightColumn is { } wc)
            {
                if (wc.Type.RawType == typeof(TW))
                    typedWeight = cursor.GetGetter<TW>(wc);
                else
                    numericWeight = NumericGetters.Create(cursor, wc);
            }
            bool weighted = weightColumn is not null;
            var rowGetters = new RowGetters(scalar, vector, boolean, classLabel, typedWeight, numericWeight);
            var staging = new T[StagingRows];
            int index = 0;
            while (true)
            {
                int limit = (int)Math.Min(Segments.Rows, int.MaxValue - rows);
                if (limit == 0)
                {
                    if (cursor.MoveNext())
                        throw new InvalidOperationException($"{spec.Component} reads at most {int.MaxValue} rows.");
                    break;
                }
                var segment = Rent(pool, index, width, spec, weighted);
                int filled = scalar is not null && boolean is not null && !weighted
                    ? FillScalarBoolean(cursor, scalar, boolean, segment.Values, segment.Bits!, limit, staging)
                    : Fill(cursor, rowGetters, segment, width, limit, rows, spec, worker);
                if (filled == 0)
                    break;
                segment.Length = filled;
                rows += filled;
                index++;
                worker.Post(segment);
                channel.ReportProgress(rows);
                if (filled < limit)
                    break;
            }
        }
        worker.Complete();
        channel.ThrowIfCanceled();
        if (rows == 0)
            throw new InvalidOperationException($"The data has no rows; {spec.Component} needs at least 1.");
        return rows;
    }

    /// <summary>The getters of one cursor.</summary>
    private sealed record RowGetters(ValueGetter<T>? Scalar, ValueGetter<VBuffer<T>>? Vector, ValueGetter<bool>? Boolean, Func<double>? ClassLabel,
        ValueGetter<TW>? TypedWeight, Func<double>? NumericWeight);

    /// <summary>Rows the usual-case loop gathers in a small buffer before copying them into the segment.</summary>
    private const int StagingRows = 1024;

    // The usual case (a scalar and a Boolean label, no weights): a tight loop over locals. Returns the rows read. The
    // getter writes each value into a 4 KB staging buffer that stays in this core's L1 cache, copied into the segment
    // 1,024 rows at a time. Writing the segment row by row instead left the cursor loop waiting on every cache line of
    // it (the segment's lines were last read by the processor on the other core); a block copy asks for the lines
    // together. On 10M rows with the processor running, the read took 0.065-0.07 s staged against 0.085-0.10 s direct.
    // Not AggressiveOptimization: that skips tiered profile-guided optimisation, which inlines the view's getter
    // delegates (reading 10M rows took 0.064 s with it, 0.037-0.044 s without).
    private static int FillScalarBoolean(DataViewRowCursor cursor, ValueGetter<T> scalar, ValueGetter<bool> boolean, T[] values, ulong[] bits, int limit,
        T[] staging)
    {
        int j = 0;
        bool y = false;
        ulong word = 0; // the labels of the current 64 rows, kept in a register (no store-to-load chain through memory)
        while (j < limit && cursor.MoveNext())
        {
            scalar(ref staging[j & (StagingRows - 1)]);
            boolean(ref y);
            word |= (y ? 1UL : 0UL) << j; // the shift count is taken mod 64
            j++;
            if ((j & 63) == 0)
            {
                bits[(j >> 6) - 1] = word;
                word = 0;
                if ((j & (StagingRows - 1)) == 0)
                    staging.AsSpan().CopyTo(values.AsSpan(j - StagingRows));
            }
        }
        int staged = j & (StagingRows - 1);
        staging.AsSpan(0, staged).CopyTo(values.AsSpan(j - staged));
        if ((j & 63) != 0)
            bits[j >> 6] = word;
        return j;
    }

    // Any combination of columns. Returns the rows read; a vector row of the wrong length is an error (after the rows
    // before it are checked, so that the first bad row in row order is the one reported).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Fill(DataViewRowCursor cursor, RowGetters getters, RowSegment<T, TW> segment, int width, int limit, long rowsBefore, ReadSpec spec,
        OrderedWorker<RowSegment<T, TW>> worker)
    {
        var values = segment.Values;
        var bits = segment.Bits;
        var classLabels = segment.ClassLabels;
        var weights = segment.Weights;
        VBuffer<T> buffer = default;
        bool y = false;
        int j = 0;
        while (j < limit && cursor.MoveNext())
        {
            if (getters.Scalar is not null)
            {
                getters.Scalar(ref values[j]);
            }
            else
            {
                getters.Vector!(ref buffer);
                if (buffer.Length != width)
                {
                    if (j > 0)
                    {
                        segment.Length = j;
                        worker.Post(segment);
                    }
                    worker.Complete();
                    throw new InvalidOperationException(
                        $"{Capitalize(spec.ValueRole)} column '{spec.ValueColumn}' holds {buffer.Length} values at row {rowsBefore + j}, but its type declares " +
                        $"{width}; {spec.Component} needs every row to have the declared size.");
                }
                CopyDense(buffer, values.AsSpan(j * width, width));
            }
            if (getters.Boolean is not null)
            {
                getters.Boolean(ref y);
                bits![j >> 6] |= (y ? 1UL : 0UL) << j;
            }
            else
            {
                classLabels![j] = getters.ClassLabel!();
            }
            if (getters.TypedWeight is not null)
                getters.TypedWeight(ref weights![j]);
            else if (getters.NumericWeight is not null)
                weights![j] = TW.CreateTruncating(getters.NumericWeight());
            j++;
        }
        return j;
    }

    /// <summary>The message for a value that breaks a rule, as <see cref="DataViewColumnReader"/> words it.</summary>
    public static InvalidOperationException BadValue(string component, string role, string column, long row, string value, string expected)
        => new($"{Capitalize(role)} column '{column}' has {value} at row {row}; {component} expects {expected}.");

    // The segment processed longest ago, else a new one. Refilling at once keeps the working set small: waiting for
    // several processed segments to pile up first (which helped while the cursor loop wrote the segment row by row) made
    // the staged read slower (10M rows: 0.044-0.046 s at once, 0.049 s after 4 others).
    private static RowSegment<T, TW> Rent(ConcurrentQueue<RowSegment<T, TW>> pool, int index, int width, ReadSpec spec, bool weighted)
    {
        if (pool.TryDequeue(out var segment))
        {
            segment.Index = index;
            segment.Length = 0;
            if (segment.Bits is not null)
                Array.Clear(segment.Bits);
            return segment;
        }
        return new RowSegment<T, TW>
        {
            Index = index,
            Values = GC.AllocateUninitializedArray<T>(Segments.Rows * width),
            Bits = spec.LabelKind == LabelKind.Boolean ? PredictionStore<T, TW>.NewBits() : null,
            ClassLabels = spec.LabelKind == LabelKind.Class ? new double[Segments.Rows] : null,
            Weights = weighted ? new TW[Segments.Rows] : null,
        };
    }

    private static void CopyDense(in VBuffer<T> source, Span<T> destination)
    {
        var values = source.GetValues();
        if (source.IsDense)
        {
            values.CopyTo(destination);
            return;
        }
        destination.Clear();
        var indices = source.GetIndices();
        for (int k = 0; k < indices.Length; k++)
            destination[indices[k]] = values[k];
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
