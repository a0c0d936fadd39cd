using System.Numerics;
using System.Runtime.InteropServices;

namespace MLNetExt.Numerics;

/// <summary>Vectorised span arithmetic shared by the packages' solvers.</summary>
internal static class VectorMath
{
    /// <summary>
    /// sum_i a_i b_i over the length of <paramref name="a"/> (<paramref name="b"/> may be longer): one vector
    /// accumulator over whole vectors, its lanes summed, then the scalar tail. The order depends only on the length and
    /// the vector width, so repeated calls on one machine give the same bits.
    /// </summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length, i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= 2 * Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b[..n]);
            var acc = Vector<double>.Zero;
            for (int v = 0; v < va.Length; v++)
                acc += va[v] * vb[v];
            sum = Vector.Sum(acc);
            i = va.Length * Vector<double>.Count;
        }
        for (; i < n; i++)
            sum += a[i] * b[i];
        return sum;
    }
}
