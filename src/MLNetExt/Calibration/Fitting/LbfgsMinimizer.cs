namespace MLNetExt.Calibration.Fitting;

/// <summary>The objective at theta; fills the gradient at theta in the same pass.</summary>
internal delegate double GradientObjective(double[] theta, double[] gradient);

/// <summary>Where <see cref="LbfgsMinimizer.Minimize"/> stopped.</summary>
internal readonly record struct LbfgsResult(double[] Theta, double Objective, int Iterations, int Evaluations, bool Converged);

/// <summary>
/// Limited-memory BFGS (Nocedal 1980; Nocedal and Wright, Numerical Optimization, algorithm 7.4) for smooth convex
/// problems with many parameters: each iteration costs one or a few objective-and-gradient evaluations and O(m p)
/// arithmetic (m = 10 stored pairs), never a p x p matrix. The step length is found by backtracking from 1 until the
/// Armijo condition holds (a pair is stored only when its curvature s'y is positive); it stops when the largest
/// gradient component falls below the tolerance (times 1 + |f|), or when a step no longer decreases f.
/// </summary>
internal static class LbfgsMinimizer
{
    private const int Memory = 10;

    public static LbfgsResult Minimize(GradientObjective evaluate, double[] start, int maximumIterations, double tolerance)
    {
        int p = start.Length;
        var theta = (double[])start.Clone();
        var gradient = new double[p];
        var trial = new double[p];
        var trialGradient = new double[p];
        var direction = new double[p];
        var s = new double[Memory][];
        var y = new double[Memory][];
        var rho = new double[Memory];
        var alpha = new double[Memory];
        int stored = 0, newest = -1, evaluations = 1;
        double f = evaluate(theta, gradient);
        for (int iteration = 1; iteration <= maximumIterations; iteration++)
        {
            if (MaxAbs(gradient) <= tolerance * (1 + Math.Abs(f)))
                return new LbfgsResult(theta, f, iteration - 1, evaluations, true);
            // Two-loop recursion: direction = -H gradient.
            Array.Copy(gradient, direction, p);
            for (int k = 0; k < stored; k++)
            {
                int j = (newest - k + Memory) % Memory;
                alpha[j] = rho[j] * Dot(s[j], direction);
                Axpy(-alpha[j], y[j], direction);
            }
            double gamma = stored > 0 ? Dot(s[newest], y[newest]) / Dot(y[newest], y[newest]) : 1 / Math.Max(1, Math.Sqrt(Dot(gradient, gradient)));
            for (int i = 0; i < p; i++)
                direction[i] *= gamma;
            for (int k = stored - 1; k >= 0; k--)
            {
                int j = (newest - k + Memory) % Memory;
                double beta = rho[j] * Dot(y[j], direction);
                Axpy(alpha[j] - beta, s[j], direction);
            }
            for (int i = 0; i < p; i++)
                direction[i] = -direction[i];
            double slope = Dot(gradient, direction);
            if (!(slope < 0))
            {
                // Not a descent direction (curvature information went stale): restart from the gradient.
                stored = 0;
                for (int i = 0; i < p; i++)
                    direction[i] = -gradient[i];
                slope = -Dot(gradient, gradient);
            }
            double step = 1, next = double.PositiveInfinity;
            for (int halving = 0; halving < 50; halving++)
            {
                for (int i = 0; i < p; i++)
                    trial[i] = theta[i] + step * direction[i];
                next = evaluate(trial, trialGradient);
                evaluations++;
                if (next <= f + 1e-4 * step * slope)
                    break;
                step *= 0.5;
            }
            if (!(next < f))
                return new LbfgsResult(theta, f, iteration, evaluations, true); // no decrease left: optimal to precision
            newest = (newest + 1) % Memory;
            s[newest] ??= new double[p];
            y[newest] ??= new double[p];
            for (int i = 0; i < p; i++)
            {
                s[newest][i] = trial[i] - theta[i];
                y[newest][i] = trialGradient[i] - gradient[i];
            }
            double curvature = Dot(s[newest], y[newest]);
            if (curvature > 1e-12 * Math.Sqrt(Dot(s[newest], s[newest]) * Dot(y[newest], y[newest])))
            {
                rho[newest] = 1 / curvature;
                stored = Math.Min(stored + 1, Memory);
            }
            else
            {
                newest = (newest - 1 + Memory) % Memory; // drop the pair
            }
            (theta, trial) = (trial, theta);
            (gradient, trialGradient) = (trialGradient, gradient);
            f = next;
        }
        return new LbfgsResult(theta, f, maximumIterations, evaluations, MaxAbs(gradient) <= tolerance * (1 + Math.Abs(f)));
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++)
            y[i] += a * x[i];
    }

    private static double MaxAbs(double[] v)
    {
        double max = 0;
        foreach (double x in v)
            max = Math.Max(max, Math.Abs(x));
        return max;
    }
}
