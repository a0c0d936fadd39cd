namespace MLNetExt.Numerics;

/// <summary>
/// The elementary functions that losses and probability maps are built from, each in one formulation that neither
/// overflows nor loses the small terms that matter: ln(1 + x), softplus, the logistic sigmoid, its inverse (logit)
/// and log-sum-exp. Every MLNetExt component uses these rather than writing its own; their results are part of
/// saved models' outputs, so a formula here changes only with a new format version of every component that uses it.
/// </summary>
/// <remarks>
/// .NET 8 has no accurate log1p: <c>double.LogP1(x)</c> (generic math) is defined as <c>Math.Log(x + 1)</c>, which
/// returns 0 for |x| below 1.1e-16 and a relative error of 8e-8 at x = 1e-10 (dotnet/runtime's <c>Double.cs</c>);
/// <see cref="Log1P"/> is the accurate one.
/// </remarks>
internal static class StableMath
{
    /// <summary>
    /// ln(1 + x) for every x &gt; -1, with a relative error below 4e-16 (Goldberg, "What every computer scientist should
    /// know about floating-point arithmetic", 1991, theorem 4: <c>ln(u) * x / (u - 1)</c> with u = fl(1 + x) cancels
    /// the rounding of u). Returns x when 1 + x rounds to 1; -infinity at x = -1; NaN below -1 and for NaN.
    /// </summary>
    public static double Log1P(double x)
    {
        if (x > 1e300)
            return Math.Log(x); // 1 + x rounds to x, and ln(u) * x would overflow
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    /// <summary>
    /// softplus(t) = ln(1 + e^t), as max(t, 0) + ln(1 + e^-|t|): no overflow for any t (softplus(1000) = 1000,
    /// softplus(-1000) = 0), absolute error below 2.4e-16 max(1, |t|). That is the accuracy a loss, or a
    /// log-probability (ln sigmoid(t) = -softplus(-t)), needs: an absolute error in a logarithm is a relative error in
    /// the probability. Below t = -36.7 the result is 0 where the exact value is e^t &lt; 1.2e-16.
    /// </summary>
    public static double Softplus(double t) => Math.Max(t, 0) + Math.Log(1 + Math.Exp(-Math.Abs(t)));

    /// <summary>
    /// The logistic function 1 / (1 + e^-t), from e^-|t| so the exponential never overflows: 1 / (1 + e^-t) for t &gt;= 0,
    /// e^t / (1 + e^t) below; relative error below 3e-16. Exactly 1 from t = 53 ln 2 = 36.74 on (where 1 - sigmoid(t)
    /// &lt;= 2^-53), exactly 0 below t = -745.14 (where e^t underflows); NaN for NaN.
    /// </summary>
    public static double Sigmoid(double t)
    {
        double e = Math.Exp(-Math.Abs(t));
        return t >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    /// <summary>
    /// <see cref="Softplus"/> and <see cref="Sigmoid"/> of the same t from one exponential (the loss and the
    /// derivative of a logistic loss term), bit for bit equal to calling the two.
    /// </summary>
    public static (double Softplus, double Sigmoid) SoftplusAndSigmoid(double t)
    {
        double e = Math.Exp(-Math.Abs(t));
        return (Math.Max(t, 0) + Math.Log(1 + e), t >= 0 ? 1 / (1 + e) : e / (1 + e));
    }

    /// <summary>
    /// ln(p / (1 - p)) as ln p - ln(1 + (-p)), accurate near both ends (p close to 1 keeps the digits of 1 - p that
    /// p itself carries). p must be in (0, 1): -infinity at 0, +infinity at 1.
    /// </summary>
    public static double Logit(double p) => Math.Log(p) - Log1P(-p);

    /// <summary>
    /// ln sum_k e^(scale * z_k), shifted by the largest term so that no exponential overflows and the largest is
    /// exactly 1 (the result is at least max_k scale * z_k and at most that plus ln K). For finite inputs; an empty
    /// span gives -infinity.
    /// </summary>
    /// <param name="z">The terms.</param>
    /// <param name="scale">A factor applied to every term first (the inverse temperature of a softmax); 1 by default.</param>
    public static double LogSumExp(ReadOnlySpan<double> z, double scale = 1)
    {
        double max = double.NegativeInfinity;
        foreach (double v in z)
            max = Math.Max(max, scale * v);
        if (z.IsEmpty)
            return max;
        double s = 0;
        foreach (double v in z)
            s += Math.Exp(scale * v - max);
        return max + Math.Log(s);
    }
}
