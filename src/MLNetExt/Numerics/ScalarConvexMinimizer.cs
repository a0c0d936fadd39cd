namespace MLNetExt.Numerics;

/// <summary>How a one-dimensional minimization ended.</summary>
internal enum ScalarMinimumKind
{
    /// <summary>The derivative changes sign inside the interval; the minimum is interior.</summary>
    Interior,

    /// <summary>The function still decreases at the lower bound: the minimum is at or below it.</summary>
    AtLowerBound,

    /// <summary>The function still decreases at the upper bound: the minimum is at or above it.</summary>
    AtUpperBound,
}

/// <summary>The minimizer found, its kind, and the work it took.</summary>
internal readonly record struct ScalarMinimum(double X, ScalarMinimumKind Kind, int Evaluations);

/// <summary>
/// Minimizes a smooth convex function of one variable on [lower, upper] from its exact first and second
/// derivatives: Newton steps, kept inside a bracket [lo, hi] with f'(lo) &lt; 0 &lt; f'(hi) that every evaluation
/// narrows; a step that leaves the bracket (or a non-positive curvature) is replaced by bisection, geometric when the
/// bracket spans more than a factor of 4 (the variable is a scale). Converges quadratically near the minimum and
/// never diverges.
/// </summary>
internal static class ScalarConvexMinimizer
{
    /// <param name="derivatives">f'(x) and f''(x) at x.</param>
    /// <param name="start">The first Newton point (clamped to the interval).</param>
    /// <param name="lower">The lower end of the interval, &gt; 0 when the variable is a scale.</param>
    /// <param name="upper">The upper end.</param>
    /// <param name="relativeTolerance">Stop when a step changes x by less than this fraction of x.</param>
    /// <param name="maximumEvaluations">Stop after this many derivative evaluations.</param>
    public static ScalarMinimum Minimize(Func<double, (double Gradient, double Hessian)> derivatives, double start,
        double lower, double upper, double relativeTolerance = 1e-12, int maximumEvaluations = 200)
    {
        int evaluations = 0;
        var (gLower, _) = Evaluate(lower);
        if (gLower >= 0)
            return new ScalarMinimum(lower, ScalarMinimumKind.AtLowerBound, evaluations);
        var (gUpper, _) = Evaluate(upper);
        if (gUpper <= 0)
            return new ScalarMinimum(upper, ScalarMinimumKind.AtUpperBound, evaluations);

        double lo = lower, hi = upper;
        double x = Math.Clamp(start, lower, upper);
        while (evaluations < maximumEvaluations)
        {
            var (g, h) = Evaluate(x);
            if (g == 0)
                break;
            if (g < 0)
                lo = x;
            else
                hi = x;
            double next = x - g / h;
            if (!(h > 0) || !(next > lo && next < hi))
                next = hi > 4 * lo && lo > 0 ? Math.Sqrt(lo * hi) : 0.5 * (lo + hi);
            bool done = Math.Abs(next - x) <= relativeTolerance * Math.Abs(x) || hi - lo <= relativeTolerance * Math.Abs(x);
            x = next;
            if (done)
                break;
        }
        return new ScalarMinimum(x, ScalarMinimumKind.Interior, evaluations);

        (double, double) Evaluate(double at)
        {
            evaluations++;
            return derivatives(at);
        }
    }
}
