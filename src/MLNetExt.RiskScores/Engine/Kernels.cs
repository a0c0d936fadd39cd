using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;

namespace MLNetExt.RiskScores.Engine;

/// <summary>The inner loops of the continuous search, over spans, vectorised where the hardware allows.</summary>
internal static class Kernels
{
    /// <summary>sum_i a_i / (1 + e_i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double RatioSum(ReadOnlySpan<double> a, ReadOnlySpan<double> e)
    {
        int n = a.Length, i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= 2 * Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var ve = MemoryMarshal.Cast<double, Vector<double>>(e[..n]);
            var acc = Vector<double>.Zero;
            var one = Vector<double>.One;
            for (int v = 0; v < va.Length; v++)
                acc += va[v] / (one + ve[v]);
            sum = Vector.Dot(acc, one);
            i = va.Length * Vector<double>.Count;
        }
        for (; i < n; i++)
            sum += a[i] / (1 + e[i]);
        return sum;
    }

    /// <summary>e_i *= factors[codes[i]].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleByCode(Span<double> e, ReadOnlySpan<byte> codes, ReadOnlySpan<double> factors)
    {
        for (int i = 0; i < e.Length; i++)
            e[i] *= factors[codes[i]];
    }

    /// <summary>sum_i w_i (d_i + s v_i)^2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double ShiftedSquares(ReadOnlySpan<double> w, ReadOnlySpan<double> d, ReadOnlySpan<double> v, double s)
    {
        int n = w.Length, i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= 2 * Vector<double>.Count)
        {
            var vw = MemoryMarshal.Cast<double, Vector<double>>(w);
            var vd = MemoryMarshal.Cast<double, Vector<double>>(d[..n]);
            var vv = MemoryMarshal.Cast<double, Vector<double>>(v[..n]);
            var acc = Vector<double>.Zero;
            var vs = new Vector<double>(s);
            for (int k = 0; k < vw.Length; k++)
            {
                var r = vd[k] + vs * vv[k];
                acc += vw[k] * r * r;
            }
            sum = Vector.Dot(acc, Vector<double>.One);
            i = vw.Length * Vector<double>.Count;
        }
        for (; i < n; i++)
        {
            double r = d[i] + s * v[i];
            sum += w[i] * r * r;
        }
        return sum;
    }
}
