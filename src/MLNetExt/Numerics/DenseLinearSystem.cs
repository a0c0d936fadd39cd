namespace MLNetExt.Numerics;

/// <summary>Small dense linear systems, for the Newton steps of <see cref="NewtonMinimizer"/>.</summary>
internal static class DenseLinearSystem
{
    /// <summary>
    /// Solves <c>a x = b</c> for <paramref name="p"/> unknowns (row-major <paramref name="a"/>, not modified) by
    /// Gaussian elimination with partial pivoting. Returns false for a numerically singular matrix.
    /// </summary>
    public static bool Solve(double[] a, double[] b, double[] x, int p)
    {
        var m = (double[])a.Clone();
        var r = (double[])b.Clone();
        for (int col = 0; col < p; col++)
        {
            int pivot = col;
            for (int row = col + 1; row < p; row++)
            {
                if (Math.Abs(m[row * p + col]) > Math.Abs(m[pivot * p + col]))
                    pivot = row;
            }
            if (!(Math.Abs(m[pivot * p + col]) > 1e-300))
                return false;
            if (pivot != col)
            {
                for (int k = 0; k < p; k++)
                    (m[col * p + k], m[pivot * p + k]) = (m[pivot * p + k], m[col * p + k]);
                (r[col], r[pivot]) = (r[pivot], r[col]);
            }
            for (int row = col + 1; row < p; row++)
            {
                double f = m[row * p + col] / m[col * p + col];
                if (f == 0)
                    continue;
                for (int k = col; k < p; k++)
                    m[row * p + k] -= f * m[col * p + k];
                r[row] -= f * r[col];
            }
        }
        for (int row = p - 1; row >= 0; row--)
        {
            double s = r[row];
            for (int k = row + 1; k < p; k++)
                s -= m[row * p + k] * x[k];
            x[row] = s / m[row * p + row];
        }
        return true;
    }
}
