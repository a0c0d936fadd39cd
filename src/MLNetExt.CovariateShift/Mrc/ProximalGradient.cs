using MLNetExt.Diagnostics;

namespace MLNetExt.CovariateShift.Mrc;

/// <summary>A composite problem <c>min f(x) + g(x)</c>: f smooth, g with a cheap proximal map.</summary>
internal interface IProximalProblem
{
    /// <summary>The number of variables.</summary>
    int Dimension { get; }

    /// <summary>f(x); fills <paramref name="gradient"/> with its gradient when it is not null.</summary>
    double Smooth(double[] x, double[]? gradient);

    /// <summary>g(x) (0 for an indicator at a feasible point).</summary>
    double Nonsmooth(double[] x);

    /// <summary><c>result = argmin_u g(u) + |u - v|^2 / (2 step)</c>.</summary>
    void Prox(double[] v, double step, double[] result);
}

/// <summary>The end point of <see cref="ProximalGradient.Minimize"/>.</summary>
/// <param name="Value">f + g at the returned point.</param>
/// <param name="Iterations">Iterations used.</param>
/// <param name="Converged">Whether the relative tolerance was met before the limit.</param>
internal readonly record struct ProximalResult(double Value, int Iterations, bool Converged);

/// <summary>
/// Accelerated proximal gradient (FISTA, Beck and Teboulle 2009) with backtracking on the step size and a momentum
/// restart whenever f + g would rise (O'Donoghue and Candès 2015), so accepted values never increase. Stops when the
/// value fell by less than <c>tolerance</c> x max(|value|, <c>scale</c>) over each of 10 consecutive iterations.
/// Buffers are allocated once per call; the problem's evaluations allocate nothing.
/// </summary>
internal static class ProximalGradient
{
    private const int Patience = 10;

    /// <summary>Minimizes from <paramref name="x"/> (assumed in dom g), in place; returns the value at the end point.</summary>
    public static ProximalResult Minimize(IProximalProblem problem, double[] x, ref double lipschitz, double tolerance,
        double scale, int maximumIterations, ComponentChannel? channel)
    {
        int size = problem.Dimension;
        var xPrev = (double[])x.Clone();
        var y = new double[size];
        var gradient = new double[size];
        var step = new double[size];
        var xNew = new double[size];
        double value = problem.Smooth(x, null) + problem.Nonsmooth(x);
        double tk = 1;
        int small = 0, iteration = 0;
        bool converged = false;
        while (iteration < maximumIterations)
        {
            iteration++;
            if ((iteration & 31) == 0)
                channel?.ThrowIfCanceled();
            double tNext = (1 + Math.Sqrt(1 + 4 * tk * tk)) / 2;
            double momentum = (tk - 1) / tNext;
            for (int i = 0; i < size; i++)
                y[i] = x[i] + momentum * (x[i] - xPrev[i]);
            double fy = problem.Smooth(y, gradient);
            double fNew;
            int doublings = 0;
            while (true)
            {
                for (int i = 0; i < size; i++)
                    step[i] = y[i] - gradient[i] / lipschitz;
                problem.Prox(step, 1 / lipschitz, xNew);
                fNew = problem.Smooth(xNew, null);
                double linear = 0, quadratic = 0;
                for (int i = 0; i < size; i++)
                {
                    double diff = xNew[i] - y[i];
                    linear += gradient[i] * diff;
                    quadratic += diff * diff;
                }
                if (quadratic == 0 || fNew <= fy + linear + 0.5 * lipschitz * quadratic + 1e-12 * Math.Max(Math.Abs(fy), Math.Abs(fNew))
                    || ++doublings > 200)
                    break;
                lipschitz *= 2;
            }
            double valueNew = fNew + problem.Nonsmooth(xNew);
            if (!(valueNew <= value))
            {
                if (momentum == 0)
                {
                    converged = true;
                    break;
                }
                tk = 1;
                Array.Copy(x, xPrev, size);
                continue;
            }
            double decrease = value - valueNew;
            Array.Copy(x, xPrev, size);
            Array.Copy(xNew, x, size);
            double previous = value;
            value = valueNew;
            tk = tNext;
            small = decrease <= tolerance * Math.Max(Math.Abs(previous), scale) ? small + 1 : 0;
            // Let the step grow again slowly (backtracking only ever doubles it).
            lipschitz *= 0.98;
            if (small >= Patience)
            {
                converged = true;
                break;
            }
        }
        return new ProximalResult(value, iteration, converged);
    }
}
