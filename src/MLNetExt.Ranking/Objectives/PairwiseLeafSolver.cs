namespace MLNetExt.Ranking.Objectives;

/// <summary>
/// The per-tree pairwise leaf system of YetiRankPairwise, solved as CatBoost's <c>CalculatePairwiseLeafValues</c>
/// (<c>catboost/private/libs/algo_helpers/pairwise_leaves_calculation.cpp</c> @0df44f4; spec ranking.md §2.2).
/// </summary>
/// <remarks>
/// For M leaves, A is the M x M Laplacian of the pair weights between leaves and b the sums of der1 (= -gradient) per
/// leaf. The system (A + bayes (I - J/M) + l2 I) x = b, where J is all ones, is singular along x = constant, so the
/// last leaf is fixed to 0, the leading (M - 1) x (M - 1) system is solved by Cholesky, and the M values are then
/// shifted to mean 0. (CatBoost's 2 x 2 special case, x = (b_0 / (A_00 + diagReg), 0), is what the general path
/// computes for M = 2.) All arithmetic in double; CatBoost passes the two regularisers as float.
/// </remarks>
internal static class PairwiseLeafSolver
{
    /// <summary>A pivot at or below this fraction of the largest diagonal entry means "not positive definite".</summary>
    public const double RelativePivotTolerance = 1e-12;

    /// <summary>
    /// Solves the system. Returns false, leaving <paramref name="values"/> unspecified, when the regularised leading
    /// system is not numerically positive definite (a Cholesky pivot not above <see cref="RelativePivotTolerance"/>
    /// times the largest diagonal entry, or not finite): for example bayes = 0 and a leaf no pair connects to the others.
    /// </summary>
    /// <param name="laplacian">A, row-major M x M (only the leading (M - 1) x (M - 1) block is read).</param>
    /// <param name="derivativeSums">b, length M (only the first M - 1 entries are read).</param>
    /// <param name="leafCount">M, at least 2.</param>
    /// <param name="l2">Added to the diagonal.</param>
    /// <param name="bayes">The Bayesian matrix regulariser.</param>
    /// <param name="values">The M leaf values (mean 0).</param>
    /// <param name="work">At least (M - 1)² doubles of scratch.</param>
    public static bool Solve(ReadOnlySpan<double> laplacian, ReadOnlySpan<double> derivativeSums, int leafCount, double l2, double bayes,
        Span<double> values, Span<double> work)
    {
        int m = leafCount;
        int k = m - 1;
        if (m < 2 || laplacian.Length < m * m || derivativeSums.Length < m || values.Length < m || work.Length < k * k)
            throw new ArgumentException($"The pairwise leaf system needs at least 2 leaves and buffers for them; got {m} leaves.", nameof(leafCount));
        double cellPrior = 1.0 / m;
        double nonDiagonal = -bayes * cellPrior;
        double diagonal = bayes * (1 - cellPrior) + l2;

        // Lower-triangular Cholesky factor L of the regularised leading block, in place (row-major, k x k).
        var chol = work[..(k * k)];
        double largestDiagonal = 0;
        for (int i = 0; i < k; i++)
            largestDiagonal = Math.Max(largestDiagonal, Math.Abs(laplacian[i * m + i] + diagonal));
        double tolerance = RelativePivotTolerance * largestDiagonal;
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double sum = laplacian[i * m + j] + (i == j ? diagonal : nonDiagonal);
                for (int p = 0; p < j; p++)
                    sum -= chol[i * k + p] * chol[j * k + p];
                if (i == j)
                {
                    if (!(sum > tolerance) || !double.IsFinite(sum))
                        return false;
                    chol[i * k + i] = Math.Sqrt(sum);
                }
                else
                {
                    chol[i * k + j] = sum / chol[j * k + j];
                }
            }
        }

        // L y = b, then L^T x = y.
        for (int i = 0; i < k; i++)
        {
            double sum = derivativeSums[i];
            for (int p = 0; p < i; p++)
                sum -= chol[i * k + p] * values[p];
            values[i] = sum / chol[i * k + i];
        }
        for (int i = k - 1; i >= 0; i--)
        {
            double sum = values[i];
            for (int p = i + 1; p < k; p++)
                sum -= chol[p * k + i] * values[p];
            values[i] = sum / chol[i * k + i];
        }
        values[k] = 0.0;

        double mean = 0;
        for (int i = 0; i < m; i++)
            mean += values[i];
        mean /= m;
        for (int i = 0; i < m; i++)
            values[i] -= mean;
        for (int i = 0; i < m; i++)
        {
            if (!double.IsFinite(values[i]))
                return false;
        }
        return true;
    }
}
