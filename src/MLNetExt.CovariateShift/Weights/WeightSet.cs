namespace MLNetExt.CovariateShift.Weights;

/// <summary>
/// The feasible set of the DW-KMM problem (spec §1.4) and its exact Euclidean projection:
/// <code>
/// 0 &lt;= beta_i &lt;= BetaCap                    (i = 1..n)     BetaCap = B / sqrt(D)
/// 0 &lt;= alpha_j &lt;= 1,  |alpha - 1|_2 &lt;= Radius (j = 1..t)     Radius  = (1 - 1/sqrt(D)) sqrt(t)
/// |mean(beta) - mean(alpha)| &lt;= Epsilon                       Epsilon = 1 - 1/sqrt(n)
/// </code>
/// with beta fixed at 1 (<see cref="BetaFixed"/>, D = infinity) or alpha fixed at 1 (<see cref="AlphaFixed"/>, D = 1).
/// The projection introduces a multiplier nu for the slab: beta(nu) = clamp(b - nu/n, 0, cap), alpha(nu) = the
/// projection of a + nu/t onto box ∩ ball, and mean(beta(nu)) - mean(alpha(nu)) is non-increasing in nu, so nu is
/// found by bisection when the slab is violated at nu = 0. The box ∩ ball projection is exact too: with multiplier
/// theta for the ball, alpha_i = clamp(1 + (a_i - 1) s, 0, 1), s = 1/(1 + theta), and |alpha - 1|^2 = sum min(d_i s, 1)^2
/// (d_i = 1 - a_i &gt; 0) is piecewise quadratic in s, solved after sorting the d_i once per projection.
/// <para>The set records, over its projections, the largest training weight before its
/// cap was applied and the largest squared box distance compared with the ball (<see cref="Path"/>). Only the cap and
/// the radius depend on D (the bisection bracket uses the D-independent <c>B</c>), so a solve whose path never reached
/// them computes the same bits for every D whose cap and radius are not reached either.</para>
/// </summary>
internal sealed class WeightSet
{
    private readonly int _n;
    private readonly int _t;
    // The ball projection's scratch, made the first time the ball is active: a set whose ball never binds, or one made
    // only to read its cap and radius, needs none.
    private BallScratch? _ball;
    private readonly double _bracketCap;
    private bool _sorted;
    private double _maxB0;
    private double _pathMaxBeta = double.NegativeInfinity;
    private double _pathMaxBoxDistance = double.NegativeInfinity;

    public WeightSet(int n, int t, double betaCap, double radius, double epsilon, bool betaFixed, bool alphaFixed, double bracketCap)
    {
        _bracketCap = Math.Max(bracketCap, betaCap);
        _n = n;
        _t = t;
        BetaCap = betaCap;
        Radius = radius;
        Epsilon = epsilon;
        BetaFixed = betaFixed;
        AlphaFixed = alphaFixed;
    }

    /// <summary>The set for a given D and B (the spec's special cases at D = 1 and D = infinity).</summary>
    public static WeightSet ForD(int n, int t, double d, double b)
    {
        if (double.IsPositiveInfinity(d))
            return new WeightSet(n, t, 1, Math.Sqrt(t), 1 - 1 / Math.Sqrt(t), betaFixed: true, alphaFixed: false, b);
        double rootD = Math.Sqrt(d);
        bool alphaFixed = d == 1;
        return new WeightSet(n, t, b / rootD, (1 - 1 / rootD) * Math.Sqrt(t), 1 - 1 / Math.Sqrt(n), betaFixed: false, alphaFixed, b);
    }

    /// <summary>What the projections since the set was made met of the D-dependent constraints.</summary>
    public WeightPath Path => new(BetaFixed, AlphaFixed, BetaCap, Radius, _pathMaxBeta, _pathMaxBoxDistance);

    public double BetaCap { get; }

    public double Radius { get; }

    public double Epsilon { get; }

    public bool BetaFixed { get; }

    public bool AlphaFixed { get; }

    /// <summary>Projects z = (beta, alpha) (length n + t) onto the set, in place.</summary>
    public void Project(double[] z)
    {
        var b0 = z.AsSpan(0, _n);
        var a0 = z.AsSpan(_n, _t);
        // The target part is sorted only if the ball constraint turns out to be active (the order of a0 + nu/t does not
        // depend on nu, so once per projection).
        _sorted = false;
        _maxB0 = BetaFixed ? double.NegativeInfinity : MaxOf(b0);
        double g0 = Gap(b0, a0, 0);
        if (Math.Abs(g0) <= Epsilon)
        {
            Commit(z, 0);
            return;
        }
        double target = g0 > Epsilon ? Epsilon : -Epsilon;
        double lo, hi;
        if (g0 > Epsilon)
        {
            lo = 0;
            hi = _n * Math.Max(MaxOf(b0), 0) + _t * Math.Max(MaxOf(a0, negate: true) + 1, 0) + 1;
        }
        else
        {
            hi = 0;
            // B (the cap at D = 1) rather than this D's cap: the bracket, hence every bisection step, is the same for every D.
            lo = -(_n * Math.Max(_bracketCap - MinOf(b0), 0) + _t * Math.Max(MaxOf(a0), 0) + 1);
        }
        for (int iteration = 0; iteration < 200; iteration++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid == lo || mid == hi)
                break;
            if (Gap(b0, a0, mid) > target)
                lo = mid;
            else
                hi = mid;
        }
        // The gap is non-increasing in nu: hi satisfies gap <= target; lo satisfies gap >= target. Take the side that
        // keeps the point inside the slab.
        Commit(z, g0 > Epsilon ? hi : lo);
    }

    /// <summary>Whether (beta, alpha) satisfies every constraint within <paramref name="tolerance"/>.</summary>
    public bool Contains(ReadOnlySpan<double> z, double tolerance)
    {
        var beta = z[.._n];
        var alpha = z[_n..];
        double sumB = 0, sumA = 0, ball = 0;
        foreach (double b in beta)
        {
            if (b < -tolerance || b > BetaCap + tolerance || (BetaFixed && Math.Abs(b - 1) > tolerance))
                return false;
            sumB += b;
        }
        foreach (double a in alpha)
        {
            if (a < -tolerance || a > 1 + tolerance || (AlphaFixed && Math.Abs(a - 1) > tolerance))
                return false;
            sumA += a;
            ball += (a - 1) * (a - 1);
        }
        return Math.Abs(sumB / _n - sumA / _t) <= Epsilon + tolerance && Math.Sqrt(ball) <= Radius + tolerance;
    }

    private static double MaxOf(ReadOnlySpan<double> v, bool negate = false)
    {
        double m = double.NegativeInfinity;
        foreach (double x in v)
            m = Math.Max(m, negate ? -x : x);
        return m;
    }

    private static double MinOf(ReadOnlySpan<double> v)
    {
        double m = double.PositiveInfinity;
        foreach (double x in v)
            m = Math.Min(m, x);
        return m;
    }

    private double Gap(ReadOnlySpan<double> b0, ReadOnlySpan<double> a0, double nu)
    {
        double sumB = 0;
        if (BetaFixed)
        {
            sumB = _n;
        }
        else
        {
            double shift = nu / _n;
            _pathMaxBeta = Math.Max(_pathMaxBeta, _maxB0 - shift);
            foreach (double b in b0)
                sumB += Math.Clamp(b - shift, 0, BetaCap);
        }
        double sumA = AlphaFixed ? _t : AlphaSum(a0, nu / _t);
        return sumB / _n - sumA / _t;
    }

    private void Commit(double[] z, double nu)
    {
        var b = z.AsSpan(0, _n);
        if (BetaFixed)
        {
            b.Fill(1);
        }
        else
        {
            double shift = nu / _n;
            _pathMaxBeta = Math.Max(_pathMaxBeta, _maxB0 - shift);
            for (int i = 0; i < _n; i++)
                b[i] = Math.Clamp(b[i] - shift, 0, BetaCap);
        }
        var a = z.AsSpan(_n, _t);
        if (AlphaFixed)
        {
            a.Fill(1);
            return;
        }
        double s = BallScale(a, nu / _t);
        double shiftA = nu / _t;
        for (int j = 0; j < _t; j++)
        {
            double value = a[j] + shiftA;
            a[j] = value >= 1 ? 1 : 1 - Math.Min((1 - value) * s, 1);
        }
    }

    /// <summary>Sum of the box ∩ ball projection of a + shift.</summary>
    private double AlphaSum(ReadOnlySpan<double> a0, double shift)
    {
        double s = BallScale(a0, shift);
        double sum = 0;
        foreach (double a in a0)
        {
            double value = a + shift;
            sum += value >= 1 ? 1 : 1 - Math.Min((1 - value) * s, 1);
        }
        return sum;
    }

    /// <summary>
    /// The scale s in (0, 1] of the box ∩ ball projection of a + shift: 1 when the box projection is inside the ball,
    /// else the s with sum_i min(d_i s, 1)^2 = Radius^2 (d_i = 1 - a_i - shift over d_i &gt; 0).
    /// </summary>
    private double BallScale(ReadOnlySpan<double> a0, double shift)
    {
        double r2 = Radius * Radius;
        double boxDistance = 0;
        foreach (double a in a0)
        {
            double c = Math.Clamp(1 - a - shift, 0, 1);
            boxDistance += c * c;
        }
        _pathMaxBoxDistance = Math.Max(_pathMaxBoxDistance, boxDistance);
        if (boxDistance <= r2)
            return 1;
        if (Radius <= 0)
            return 0;
        var ball = _ball ??= new BallScratch(_t);
        var order = ball.Order;
        var sortedD = ball.SortedD;
        var suffix = ball.Suffix;
        if (!_sorted)
        {
            for (int j = 0; j < _t; j++)
                order[j] = j;
            a0.CopyTo(ball.Keys);
            Array.Sort(ball.Keys, order);
            _sorted = true;
        }
        // d in descending order = a0 in ascending order.
        int m = 0;
        for (int k = 0; k < _t; k++)
        {
            double d = 1 - a0[order[k]] - shift;
            if (d <= 0)
                break;
            sortedD[m++] = d;
        }
        suffix[m] = 0;
        for (int k = m - 1; k >= 0; k--)
            suffix[k] = suffix[k + 1] + sortedD[k] * sortedD[k];
        // k entries saturated (the k largest d): k + s^2 * suffix[k] = r2, with d_k s < 1 for the first unsaturated one.
        for (int k = 0; k < m; k++)
        {
            if (r2 < k)
                break;
            double s = Math.Sqrt((r2 - k) / suffix[k]);
            if (sortedD[k] * s <= 1)
                return s;
        }
        // Every entry saturated would give m > r2 (box distance), which was excluded above.
        return Math.Sqrt(Math.Max(0, r2 - (m - 1)) / suffix[m - 1]);
    }

    /// <summary>Target indices by a0 ascending (d descending), reused within a projection; the sorted distances d and
    /// their suffix sums of squares; the sort keys.</summary>
    private sealed class BallScratch(int t)
    {
        public int[] Order { get; } = new int[t];

        public double[] SortedD { get; } = new double[t];

        public double[] Suffix { get; } = new double[t + 1];

        public double[] Keys { get; } = new double[t];
    }
}

/// <summary>
/// What one solve's projections met of the constraints that depend on D: the largest training weight before the cap
/// (<paramref name="MaxBeta"/>) and the largest squared distance to 1 of the box-projected target weights compared with
/// the ball (<paramref name="MaxBoxDistance"/>), with the cap and radius of the set solved.
/// </summary>
internal readonly record struct WeightPath(bool BetaFixed, bool AlphaFixed, double BetaCap, double Radius, double MaxBeta, double MaxBoxDistance)
{
    /// <summary>
    /// Whether a solve over <paramref name="other"/> from the same start takes the same path bit for bit: the same fixed
    /// parts, and neither set's cap nor ball was ever reached, so every clamp and every ball test gives the same result.
    /// </summary>
    public bool Holds(WeightSet other) =>
        other.BetaFixed == BetaFixed && other.AlphaFixed == AlphaFixed
        && (BetaFixed || (MaxBeta <= BetaCap && MaxBeta <= other.BetaCap))
        && (AlphaFixed || (MaxBoxDistance <= Radius * Radius && MaxBoxDistance <= other.Radius * other.Radius));
}

