using System.Numerics;
using System.Runtime.InteropServices;
using MLNetExt.Numerics;

namespace MLNetExt.CovariateShift.Kernels;

/// <summary>
/// A symmetric positive semi-definite kernel matrix over N points, used only through products <c>y = K x</c>. The
/// products are deterministic: the work is split into blocks whose boundaries do not depend on the thread count, and
/// partial sums are added in block order.
/// </summary>
internal interface IKernelOperator
{
    /// <summary>N, the number of points.</summary>
    int Size { get; }

    /// <summary>The rank of the factorization (N for the exact matrix).</summary>
    int Rank { get; }

    /// <summary>Computes <paramref name="result"/> = K <paramref name="x"/> (both of length <see cref="Size"/>; not the same array).
    /// Not thread-safe: the operator owns its scratch buffers.</summary>
    void Multiply(double[] x, double[] result);

    /// <summary>The product with the leading <paramref name="count"/> x <paramref name="count"/> block of K: the first
    /// <paramref name="count"/> entries of <paramref name="result"/> become <c>K[0..count, 0..count] x[0..count]</c>; the
    /// other entries of both arrays are neither read nor written.</summary>
    void MultiplyLeading(int count, double[] x, double[] result);
}

/// <summary>The radial basis function kernel <c>k(x, x') = exp(-|x - x'|^2 / (2 sigma^2))</c> on dense float rows.</summary>
internal static class RbfKernel
{
    /// <summary>Rows processed per parallel block (fixed, so results never depend on the thread count).</summary>
    internal const int BlockRows = 256;

    /// <summary>The squared Euclidean distance between two rows, accumulated in double.</summary>
    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int j = 0; j < a.Length; j++)
        {
            double d = (double)a[j] - b[j];
            sum += d * d;
        }
        return sum;
    }

    /// <summary>The exact Gram matrix of the points (row-major, double), for N up to a few thousand.</summary>
    public static DenseKernelOperator Dense(PointSet points, double sigma)
    {
        int n = points.Count;
        var k = new double[(long)n * n];
        double scale = -1 / (2 * sigma * sigma);
        Blocks.For((n + BlockRows - 1) / BlockRows, block =>
        {
            int end = Math.Min(n, (block + 1) * BlockRows);
            for (int i = block * BlockRows; i < end; i++)
            {
                var xi = points.Row(i);
                k[(long)i * n + i] = 1;
                for (int j = 0; j < i; j++)
                    k[(long)i * n + j] = Math.Exp(scale * SquaredDistance(xi, points.Row(j)));
            }
        });
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
                k[(long)i * n + j] = k[(long)j * n + i];
        }
        return new DenseKernelOperator(k, n);
    }
}

/// <summary>Dense rows of points, row-major float, with the pooled training and target rows.</summary>
/// <param name="Values">Row-major values: row i is <c>Values[i * Dimension .. (i + 1) * Dimension]</c>.</param>
/// <param name="Count">The number of rows.</param>
/// <param name="Dimension">Values per row.</param>
internal readonly record struct PointSet(float[] Values, int Count, int Dimension)
{
    /// <summary>Row <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> Row(int i) => Values.AsSpan((int)((long)i * Dimension), Dimension);
}

/// <summary>The exact kernel matrix, stored dense in double.</summary>
internal sealed class DenseKernelOperator : IKernelOperator
{
    private readonly double[] _k;

    public DenseKernelOperator(double[] k, int size)
    {
        _k = k;
        Size = size;
    }

    public int Size { get; }

    public int Rank => Size;

    /// <summary>Entry (i, j).</summary>
    public double this[int i, int j] => _k[(long)i * Size + j];

    public void Multiply(double[] x, double[] result) => MultiplyLeading(Size, x, result);

    public void MultiplyLeading(int count, double[] x, double[] result)
    {
        int n = Size;
        var k = _k;
        Blocks.For((count + RbfKernel.BlockRows - 1) / RbfKernel.BlockRows, block =>
        {
            int end = Math.Min(count, (block + 1) * RbfKernel.BlockRows);
            for (int i = block * RbfKernel.BlockRows; i < end; i++)
                result[i] = VectorMath.Dot(k.AsSpan((int)((long)i * n), count), x.AsSpan(0, count));
        });
    }
}

/// <summary>
/// A Nystrom low-rank kernel <c>K ~ Z Z'</c>: <c>m</c> landmarks drawn uniformly without replacement from the points
/// (seeded), a pivoted Cholesky factorization <c>K_mm = L L'</c> that drops directions below a relative 1e-10 of the
/// largest diagonal (duplicate landmarks), and <c>Z = K_Nm L^-T</c> (N x r, r &lt;= m, stored in float). A product
/// costs 2 N r multiply-adds instead of N^2; memory is 4 N r bytes.
/// </summary>
internal sealed class NystromKernelOperator : IKernelOperator
{
    private const int ReduceBlockRows = 4096;
    private readonly float[] _z;
    private readonly double[] _partial;
    private readonly double[] _w;

    private NystromKernelOperator(float[] z, int size, int rank)
    {
        _z = z;
        Size = size;
        Rank = rank;
        int blocks = (size + ReduceBlockRows - 1) / ReduceBlockRows;
        _partial = new double[blocks * rank];
        _w = new double[rank];
    }

    public int Size { get; }

    public int Rank { get; }

    /// <summary>Row i of Z.</summary>
    public ReadOnlySpan<float> Row(int i) => _z.AsSpan((int)((long)i * Rank), Rank);

    /// <summary>Builds the factorization with at most <paramref name="landmarks"/> landmarks.</summary>
    public static NystromKernelOperator Create(PointSet points, double sigma, int landmarks, int seed, Diagnostics.ComponentChannel? channel)
    {
        int n = points.Count, m = Math.Min(landmarks, n);
        // Landmarks: a partial Fisher-Yates shuffle from one counter-based stream.
        var order = new int[n];
        for (int i = 0; i < n; i++)
            order[i] = i;
        new CounterRandomStream(CounterRandom.SeedKey(seed), CounterRandom.Stream(0x4E59, 0)).ShuffleFront(order, m);
        var chosen = order.AsSpan(0, m).ToArray();
        Array.Sort(chosen);
        double scale = -1 / (2 * sigma * sigma);

        var kmm = new double[m * m];
        for (int a = 0; a < m; a++)
        {
            for (int b = 0; b <= a; b++)
                kmm[a * m + b] = kmm[b * m + a] = a == b ? 1 : Math.Exp(scale * RbfKernel.SquaredDistance(points.Row(chosen[a]), points.Row(chosen[b])));
        }
        var (l, pivots, rank) = PivotedCholesky(kmm, m, 1e-10);
        channel?.Trace($"Nystrom kernel: {m} landmarks, rank {rank} after pivoted Cholesky.");

        var z = new float[(long)n * rank];
        var landmarkRows = pivots.AsSpan(0, rank).ToArray();
        Blocks.For((n + RbfKernel.BlockRows - 1) / RbfKernel.BlockRows, block =>
        {
            var kRow = new double[rank];
            int end = Math.Min(n, (block + 1) * RbfKernel.BlockRows);
            for (int i = block * RbfKernel.BlockRows; i < end; i++)
            {
                var xi = points.Row(i);
                for (int a = 0; a < rank; a++)
                    kRow[a] = Math.Exp(scale * RbfKernel.SquaredDistance(xi, points.Row(chosen[landmarkRows[a]])));
                // Forward substitution L w = k (L is rank x rank lower triangular in pivot order).
                for (int a = 0; a < rank; a++)
                    kRow[a] = (kRow[a] - VectorMath.Dot(l.AsSpan(a * rank, a), kRow.AsSpan(0, a))) / l[a * rank + a];
                var row = z.AsSpan((int)((long)i * rank), rank);
                for (int a = 0; a < rank; a++)
                    row[a] = (float)kRow[a];
            }
        });
        return new NystromKernelOperator(z, n, rank);
    }

    /// <summary>
    /// Pivoted Cholesky of a symmetric PSD m x m matrix: returns L (rank x rank, lower, in pivot order), the pivot order
    /// and the rank at which the largest remaining diagonal fell below <paramref name="relativeTolerance"/> x the first.
    /// </summary>
    internal static (double[] L, int[] Pivots, int Rank) PivotedCholesky(double[] a, int m, double relativeTolerance)
    {
        var pivots = new int[m];
        for (int i = 0; i < m; i++)
            pivots[i] = i;
        var diag = new double[m];
        for (int i = 0; i < m; i++)
            diag[i] = a[i * m + i];
        var columns = new double[m * m]; // columns[k * m + row]: column k of L over original indices
        double first = diag.Max();
        int rank = 0;
        for (int k = 0; k < m; k++)
        {
            int best = k;
            for (int i = k + 1; i < m; i++)
            {
                if (diag[pivots[i]] > diag[pivots[best]])
                    best = i;
            }
            (pivots[k], pivots[best]) = (pivots[best], pivots[k]);
            int p = pivots[k];
            double d = diag[p];
            if (!(d > relativeTolerance * first))
                break;
            double root = Math.Sqrt(d);
            columns[k * m + p] = root;
            for (int i = k + 1; i < m; i++)
            {
                int q = pivots[i];
                double s = a[q * m + p];
                for (int j = 0; j < k; j++)
                    s -= columns[j * m + q] * columns[j * m + p];
                double value = s / root;
                columns[k * m + q] = value;
                diag[q] -= value * value;
            }
            rank = k + 1;
        }
        var l = new double[rank * rank];
        for (int r = 0; r < rank; r++)
        {
            for (int c = 0; c <= r; c++)
                l[r * rank + c] = columns[c * m + pivots[r]];
        }
        return (l, pivots, rank);
    }

    public void Multiply(double[] x, double[] result) => MultiplyLeading(Size, x, result);

    public void MultiplyLeading(int count, double[] x, double[] result)
    {
        int n = count, r = Rank;
        var z = _z;
        var input = x;
        int blocks = (n + ReduceBlockRows - 1) / ReduceBlockRows;
        var partial = _partial;
        Array.Clear(partial);
        // w = Z' x in double: one partial sum per fixed block of rows, added in block order.
        Blocks.For(blocks, block =>
        {
            var sum = partial.AsSpan(block * r, r);
            int end = Math.Min(n, (block + 1) * ReduceBlockRows);
            for (int i = block * ReduceBlockRows; i < end; i++)
            {
                if (input[i] != 0)
                    Axpy(input[i], z.AsSpan((int)((long)i * r), r), sum);
            }
        });
        var w = _w;
        Array.Clear(w);
        for (int b = 0; b < blocks; b++)
        {
            for (int a = 0; a < r; a++)
                w[a] += partial[b * r + a];
        }
        // y = Z w.
        Blocks.For((n + RbfKernel.BlockRows - 1) / RbfKernel.BlockRows, block =>
        {
            int end = Math.Min(n, (block + 1) * RbfKernel.BlockRows);
            for (int i = block * RbfKernel.BlockRows; i < end; i++)
                result[i] = Dot(z.AsSpan((int)((long)i * r), r), w);
        });
    }

    /// <summary>y += a x, x widened from float to double.</summary>
    private static void Axpy(double a, ReadOnlySpan<float> x, Span<double> y)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var va = new Vector<double>(a);
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            for (int v = 0; v < vx.Length; v++)
            {
                Vector.Widen(vx[v], out var low, out var high);
                vy[2 * v] += va * low;
                vy[2 * v + 1] += va * high;
            }
            j = vx.Length * Vector<float>.Count;
        }
        for (; j < x.Length; j++)
            y[j] += a * x[j];
    }

    /// <summary>a . b with a widened from float to double.</summary>
    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        int j = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var acc = Vector<double>.Zero;
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b);
            for (int v = 0; v < va.Length; v++)
            {
                Vector.Widen(va[v], out var low, out var high);
                acc += low * vb[2 * v] + high * vb[2 * v + 1];
            }
            sum = Vector.Sum(acc);
            j = va.Length * Vector<float>.Count;
        }
        for (; j < a.Length; j++)
            sum += a[j] * b[j];
        return sum;
    }
}
