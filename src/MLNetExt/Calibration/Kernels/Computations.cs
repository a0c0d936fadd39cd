using System.Numerics;

namespace MLNetExt.Calibration.Kernels;

/// <summary>
/// The metrics over whole inputs, segment by segment (<see cref="Segments"/>): over a span (the public functions; the
/// bin sums of a large span in parallel, through its pinned address) or over an evaluator's <see cref="PredictionStore{T, TW}"/>
/// (in parallel). Both add the same segment sums in the same order, so they agree to the bit.
/// </summary>
internal static class Computations
{
    [ThreadStatic]
    private static int[]? t_assigned;

    // ---- over spans ----

    /// <summary>Per-bin sums of confidences (after <paramref name="map"/>) and outcomes.</summary>
    public static BinStatistics Reliability<T, TMap>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, CalibrationBinning binning,
        TMap map, string name)
        where T : unmanaged, INumber<T>
        where TMap : struct, IOutcomeMap
    {
        int n = confidences.Length;
        int width = BinKernels.Width(binning.Count);
        int perChunk = Segments.SegmentsPerChunk(width);
        var totals = new double[width];
        var partial = new double[width];
        var ties = binning.Ties;
        long[]? seen = ties is null ? null : new long[ties.Values.Length];
        if (ties is not null && ties.RowCount != n)
            throw new ArgumentException($"This ArraySplit binning was made from {ties.RowCount} confidences; got {n}.", name);
        int segments = Segments.Count(n);
        if (ties is null && segments >= ParallelSpanSegments && Environment.ProcessorCount > 1)
            return ReliabilityInParallel(confidences, outcomes, binning, map, name, perChunk, totals);
        for (int first = 0; first < segments; first += perChunk)
        {
            Array.Clear(partial);
            for (int s = first; s < Math.Min(segments, first + perChunk); s++)
            {
                var (start, length) = Segments.Range(s, n);
                var c = confidences.Slice(start, length);
                int[]? assigned = null;
                if (ties is not null)
                {
                    assigned = t_assigned ??= new int[Segments.Rows];
                    ties.Assign<T, float>(c, default, seen!, binning.EdgeArray, assigned);
                }
                BinDispatch.Accumulate<T, float, TMap>(binning, c, outcomes.Slice(start, length), default, map, partial, start, name, assigned);
            }
            Add(totals, partial);
        }
        return new BinStatistics(binning.Count, totals, weighted: false);
    }

    /// <summary>
    /// From this many segments on (262,144 rows, about 0.5 ms of binning) a span's bins are summed on every core: the
    /// hand-over to the thread pool costs tens of microseconds, so smaller spans stay on the calling thread.
    /// </summary>
    private const int ParallelSpanSegments = 4;

    // The span is pinned for the call and the workers see it through its address: a span cannot be captured, and the
    // caller's memory stays valid because Segments.Reduce returns only when every segment is done. The partition and
    // the order of the additions are Segments.Reduce's, so the bits are those of the one-thread loop.
    private static unsafe BinStatistics ReliabilityInParallel<T, TMap>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes,
        CalibrationBinning binning, TMap map, string name, int perChunk, double[] totals)
        where T : unmanaged, INumber<T>
        where TMap : struct, IOutcomeMap
    {
        int n = confidences.Length;
        fixed (T* c0 = confidences)
        fixed (bool* o0 = outcomes)
        {
            nint cAddress = (nint)c0, oAddress = (nint)o0;
            Segments.Reduce(Segments.Count(n), perChunk, totals.Length, (first, count, partial) =>
            {
                for (int s = first; s < first + count; s++)
                {
                    var (start, length) = Segments.Range(s, n);
                    var c = new ReadOnlySpan<T>((T*)cAddress + start, length);
                    var o = new ReadOnlySpan<bool>((bool*)oAddress + start, length);
                    BinDispatch.Accumulate<T, float, TMap>(binning, c, o, default, map, partial, start, name);
                }
            }, partial => Add(totals, partial));
        }
        return new BinStatistics(binning.Count, totals, weighted: false);
    }

    /// <summary>Smooth ECE of a span (spread segment by segment, in order).</summary>
    public static SmoothCalibrationError Smooth<T>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, double? bandwidth)
        where T : unmanaged, INumber<T>
    {
        // The search asks for spreads through a callback, which cannot capture a span: it reads a copy.
        var copy = confidences.ToArray();
        var outcomeCopy = outcomes.ToArray();
        return SmoothCalibrationErrorCore.Compute(grid => SpreadSequential(copy, outcomeCopy, grid), bandwidth);
    }

    private static double[] SpreadSequential<T>(T[] confidences, bool[] outcomes, int grid)
        where T : unmanaged, INumber<T>
    {
        int n = confidences.Length;
        int perChunk = SmoothCalibrationErrorCore.SegmentsPerChunk(grid);
        var totals = new double[2 * grid];
        var partial = new double[2 * grid];
        int segments = Segments.Count(n);
        for (int first = 0; first < segments; first += perChunk)
        {
            Array.Clear(partial);
            for (int s = first; s < Math.Min(segments, first + perChunk); s++)
            {
                var (start, length) = Segments.Range(s, n);
                SmoothCalibrationErrorCore.Spread<T, float>(confidences.AsSpan(start, length), outcomes.AsSpan(start, length), default, grid, partial);
            }
            Add(totals, partial);
        }
        return totals;
    }

    // ---- over an evaluator's stored predictions ----

    /// <summary>Per-bin sums of the stored predictions, in parallel.</summary>
    public static BinStatistics Reliability<T, TW, TMap>(PredictionStore<T, TW> store, CalibrationBinning binning, TMap map, Action? checkCanceled,
        string name)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        where TMap : struct, IOutcomeMap
    {
        int width = BinKernels.Width(binning.Count);
        var totals = new double[width];
        var ties = binning.Ties;
        long[][]? seen = null;
        if (ties is not null)
        {
            // How many rows of each edge value precede each segment: the ranks of tied rows follow row order.
            var counts = new long[store.SegmentCount][];
            Segments.ForEach(store.SegmentCount, s => counts[s] = ties.CountEdgeValues(store.Confidences(s), store.Weights(s)));
            seen = new long[store.SegmentCount][];
            var running = new long[ties.Values.Length];
            for (int s = 0; s < store.SegmentCount; s++)
            {
                seen[s] = (long[])running.Clone();
                for (int d = 0; d < running.Length; d++)
                    running[d] += counts[s][d];
            }
        }
        Segments.Reduce(store.SegmentCount, Segments.SegmentsPerChunk(width), width, (first, count, partial) =>
        {
            checkCanceled?.Invoke();
            for (int s = first; s < first + count; s++)
            {
                var c = store.Confidences(s);
                var w = store.Weights(s);
                int[]? assigned = null;
                if (ties is not null)
                {
                    assigned = t_assigned ??= new int[Segments.Rows];
                    ties.Assign(c, w, seen![s], binning.EdgeArray, assigned);
                }
                BinDispatch.Accumulate(binning, c, store.Outcomes(s), w, map, partial, (long)s << Segments.Shift, name, assigned);
            }
        }, partial => Add(totals, partial));
        return new BinStatistics(binning.Count, totals, store.Weighted);
    }

    /// <summary>
    /// Equal-mass bins of the stored confidences (rows of weight 0 left out); <paramref name="topCounts"/> are the
    /// counts of the keys' top 16 bits if the reader kept them (<see cref="RankSelector.CountTopDigits"/>).
    /// </summary>
    public static CalibrationBinning EqualMass<T, TW>(PredictionStore<T, TW> store, int binCount, EqualMassBinning method, Action? checkCanceled,
        int[]? topCounts)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        => CalibrationBinning.EqualMass(new SegmentSource<T>(store.Confidences), store.Weighted ? new SegmentSource<TW>(store.Weights) : null,
            store.SegmentCount, store.PositiveRows, binCount, method, checkCanceled, topCounts);

    /// <summary>
    /// Smooth ECE of the stored predictions (spread in parallel, added in segment order); <paramref name="spread"/> is
    /// the spread onto the grid of <see cref="SmoothCalibrationErrorCore.DefaultGrid"/> points if the reader made it.
    /// </summary>
    public static SmoothCalibrationError Smooth<T, TW>(PredictionStore<T, TW> store, double? bandwidth, Action? checkCanceled, double[]? spread = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        => SmoothCalibrationErrorCore.Compute(grid =>
        {
            if (spread is not null && grid == SmoothCalibrationErrorCore.DefaultGrid)
                return spread;
            var totals = new double[2 * grid];
            Segments.Reduce(store.SegmentCount, SmoothCalibrationErrorCore.SegmentsPerChunk(grid), 2 * grid, (first, count, partial) =>
            {
                checkCanceled?.Invoke();
                for (int s = first; s < first + count; s++)
                    SmoothCalibrationErrorCore.Spread(store.Confidences(s), store.Outcomes(s), store.Weights(s), grid, partial);
            }, partial => Add(totals, partial));
            return totals;
        }, bandwidth, checkCanceled);

    /// <summary>totals += partial, element by element.</summary>
    public static void Add(double[] totals, double[] partial)
    {
        for (int k = 0; k < totals.Length; k++)
            totals[k] += partial[k];
    }
}
