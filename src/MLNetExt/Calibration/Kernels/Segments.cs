using System.Runtime.ExceptionServices;

namespace MLNetExt.Calibration.Kernels;

/// <summary>
/// The fixed partition behind every sum of the calibration family, and the one rule that makes results independent
/// of the thread count: rows are split into segments of <see cref="Rows"/> rows (row r is in segment r / 65,536); a
/// segment's sums start from zero and are computed by one thread, in row order; segment sums are added to the
/// totals in segment order. The evaluators (which read an <see cref="Microsoft.ML.IDataView"/> segment by segment)
/// and the span functions (which slice a span the same way) therefore produce the same bits, on one core or many.
/// </summary>
internal static class Segments
{
    /// <summary>log2 of <see cref="Rows"/>.</summary>
    public const int Shift = 16;

    /// <summary>Rows per segment: 65,536.</summary>
    public const int Rows = 1 << Shift;

    /// <summary>At most this many bytes of per-segment partial sums are held at once (they are reduced in waves).</summary>
    public const long PartialBudgetBytes = 32L << 20;

    /// <summary>The number of segments of <paramref name="rows"/> rows.</summary>
    public static int Count(long rows) => (int)((rows + Rows - 1) >> Shift);

    /// <summary>The first row and the row count of segment <paramref name="segment"/> of <paramref name="rows"/> rows.</summary>
    public static (int Start, int Length) Range(int segment, int rows)
    {
        int start = segment << Shift;
        return (start, Math.Min(Rows, rows - start));
    }

    /// <summary>
    /// Computes one partial array per chunk of <paramref name="segmentsPerChunk"/> segments, in parallel, and hands them
    /// to <paramref name="add"/> in chunk order. Partials are zeroed before <paramref name="compute"/> sees them. An
    /// exception in any chunk stops the run; the one of the lowest chunk is thrown (so the reported row does not depend
    /// on scheduling). Chunks are one segment unless a partial is so large that zeroing it per segment would cost more
    /// than the segment's rows (see <see cref="SegmentsPerChunk"/>); either way the partition depends only on the sizes.
    /// </summary>
    /// <param name="segmentCount">The number of segments.</param>
    /// <param name="segmentsPerChunk">Segments per chunk, from <see cref="SegmentsPerChunk"/>.</param>
    /// <param name="partialLength">Doubles per partial.</param>
    /// <param name="compute">Fills the partial of the chunk starting at a segment (called on any thread).</param>
    /// <param name="add">Adds a partial to the totals (called on the calling thread, in chunk order).</param>
    public static void Reduce(int segmentCount, int segmentsPerChunk, int partialLength, Action<int, int, double[]> compute, Action<double[]> add)
    {
        if (segmentCount == 0)
            return;
        int chunkCount = (segmentCount + segmentsPerChunk - 1) / segmentsPerChunk;
        void Compute(int chunk, double[] partial)
        {
            int first = chunk * segmentsPerChunk;
            compute(first, Math.Min(segmentsPerChunk, segmentCount - first), partial);
        }
        int threads = Environment.ProcessorCount;
        if (chunkCount == 1 || threads == 1)
        {
            var partial = new double[partialLength];
            for (int c = 0; c < chunkCount; c++)
            {
                if (c > 0)
                    Array.Clear(partial);
                Compute(c, partial);
                add(partial);
            }
            return;
        }
        int wave = (int)Math.Clamp(PartialBudgetBytes / (8L * Math.Max(1, partialLength)), 2, chunkCount);
        var partials = new double[Math.Min(wave, chunkCount)][];
        var errors = new Exception?[partials.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        for (int first = 0; first < chunkCount; first += wave)
        {
            int count = Math.Min(wave, chunkCount - first);
            int firstChunk = first;
            Parallel.For(0, count, options, j =>
            {
                try
                {
                    var partial = partials[j] ??= new double[partialLength];
                    Array.Clear(partial);
                    Compute(firstChunk + j, partial);
                }
                catch (Exception e)
                {
                    errors[j] = e;
                }
            });
            for (int j = 0; j < count; j++)
            {
                if (errors[j] is { } error)
                    ExceptionDispatchInfo.Capture(error).Throw();
                add(partials[j]);
            }
        }
    }

    /// <summary>
    /// Segments per chunk for partials of <paramref name="partialLength"/> doubles: 1 while a partial is at most
    /// 32,768 doubles, else enough segments that the chunk's rows outnumber the partial's doubles (a power of 2).
    /// </summary>
    public static int SegmentsPerChunk(int partialLength)
    {
        int segments = 1;
        while ((long)segments * Rows < 2L * partialLength)
            segments *= 2;
        return segments;
    }

    /// <summary>
    /// Runs <paramref name="body"/> for every segment in parallel where nothing is summed in floating point (integer
    /// counts, selections), so the order does not matter. The exception of the lowest segment is thrown.
    /// </summary>
    public static void ForEach(int segmentCount, Action<int> body)
    {
        if (segmentCount <= 1 || Environment.ProcessorCount == 1)
        {
            for (int s = 0; s < segmentCount; s++)
                body(s);
            return;
        }
        var errors = new Exception?[segmentCount];
        Parallel.For(0, segmentCount, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, s =>
        {
            try
            {
                body(s);
            }
            catch (Exception e)
            {
                errors[s] = e;
            }
        });
        foreach (var error in errors)
        {
            if (error is not null)
                ExceptionDispatchInfo.Capture(error).Throw();
        }
    }
}
