namespace MLNetExt.CovariateShift.Mrc;

/// <summary>
/// The per-row pieces of the 0-1 minimax risk classifier over K class scores v (spec §1.6-1.7):
/// <c>varphi(v) = max over non-empty S of (sum_{y in S} v_y - 1) / |S|</c>, which is the sparsemax threshold (the
/// maximum is reached by a top-k set, so sorting gives it in O(K log K)); the probabilistic rule
/// <c>h_y = max(v_y - varphi(v), 0)</c>, which sums to 1; Euclidean projections onto the simplex; and the smoothed
/// <c>varphi_eps(v) = max_{h in simplex} h'v - max_y h_y - (eps/2)|h|^2</c>, whose maximizer is
/// <see cref="CappedProx"/>(v / eps, 1 / eps) and which is within eps/2 below varphi.
/// </summary>
internal static class Simplex
{
    /// <summary>varphi(v); <paramref name="scratch"/> holds at least K values.</summary>
    public static double Threshold(ReadOnlySpan<double> v, Span<double> scratch)
    {
        var sorted = scratch[..v.Length];
        v.CopyTo(sorted);
        sorted.Sort();
        double best = double.NegativeInfinity, sum = 0;
        for (int k = 1; k <= sorted.Length; k++)
        {
            sum += sorted[^k];
            best = Math.Max(best, (sum - 1) / k);
        }
        return best;
    }

    /// <summary>h = max(v - varphi(v), 0), which sums to 1 (the sparsemax of v); uniform 1/K if the scores are not numbers.</summary>
    public static void Probabilities(ReadOnlySpan<double> v, Span<double> h, Span<double> scratch)
    {
        double threshold = Threshold(v, scratch);
        double sum = 0;
        for (int y = 0; y < v.Length; y++)
            sum += h[y] = Math.Max(v[y] - threshold, 0);
        if (!(sum > 0))
        {
            h[..v.Length].Fill(1.0 / v.Length);
            return;
        }
        // Exact up to rounding; renormalize so the outputs sum to 1 in double.
        for (int y = 0; y < v.Length; y++)
            h[y] /= sum;
    }

    /// <summary>Projects z onto the probability simplex, in place.</summary>
    public static void Project(Span<double> z, Span<double> scratch)
    {
        int k = z.Length;
        if (k == 2)
        {
            double a = Math.Clamp(0.5 * (1 + z[0] - z[1]), 0, 1);
            z[0] = a;
            z[1] = 1 - a;
            return;
        }
        var sorted = scratch[..k];
        z.CopyTo(sorted);
        sorted.Sort();
        double cumulative = 0, theta = 0;
        for (int j = 1; j <= k; j++)
        {
            cumulative += sorted[^j];
            double candidate = (cumulative - 1) / j;
            if (sorted[^j] > candidate)
                theta = candidate;
        }
        for (int y = 0; y < k; y++)
            z[y] = Math.Max(z[y] - theta, 0);
    }

    /// <summary>
    /// <c>h = argmin_{h in simplex} |h - z|^2 / 2 + c max_y h_y</c> (c &gt; 0). With r the level at which
    /// <c>sum_y max(z_y - r, 0) = c</c> and theta from <c>sum_y min(max(z_y - theta, 0), r - theta) = 1</c>:
    /// <c>h_y = min(max(z_y - theta, 0), r - theta)</c> (the KKT conditions of the problem with s = max h).
    /// </summary>
    public static void CappedProx(ReadOnlySpan<double> z, double c, Span<double> h, Span<double> scratch)
    {
        int k = z.Length;
        var sorted = scratch[..k];
        if (k == 2)
        {
            // The classifier's hot path for binary problems: two values need no sort.
            (sorted[0], sorted[1]) = z[0] >= z[1] ? (z[0], z[1]) : (z[1], z[0]);
        }
        else
        {
            z.CopyTo(sorted);
            sorted.Sort();
            sorted.Reverse(); // descending
        }
        // r: the threshold at level c over the top entries.
        double cumulative = 0, r = 0;
        int capped = 0;
        for (int j = 1; j <= k; j++)
        {
            cumulative += sorted[j - 1];
            double candidate = (cumulative - c) / j;
            if (sorted[j - 1] > candidate)
            {
                r = candidate;
                capped = j;
            }
        }
        // theta: capped entries give r - theta each; the next ones (descending) give z - theta while above theta.
        double theta = 0, partial = 0;
        for (int j = 0; j <= k - capped; j++)
        {
            theta = (capped * r + partial - 1) / (capped + j);
            if (j == k - capped || sorted[capped + j] <= theta)
                break;
            partial += sorted[capped + j];
        }
        double s = r - theta;
        for (int y = 0; y < k; y++)
            h[y] = Math.Min(Math.Max(z[y] - theta, 0), s);
    }
}
