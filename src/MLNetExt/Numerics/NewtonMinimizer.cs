namespace MLNetExt.Numerics;

/// <summary>The objective at theta; fills the gradient and the row-major Hessian at theta in the same pass.</summary>
internal delegate double NewtonObjective(double[] theta, double[] gradient, double[] hessian);

/// <summary>Where <see cref="NewtonMinimizer.Minimize"/> stopped.</summary>
internal readonly record struct NewtonResult(double[] Theta, double Objective, int Iterations, bool Converged);

/// <summary>
/// Newton's method with a backtracking line search for small smooth convex problems (a few to a few dozen parameters:
/// <see cref="LogisticRegressionFitter"/>, the calibrators' vector scaling). Every evaluation computes objective, gradient and Hessian together, so an
/// accepted full step costs one pass over the data; a step that does not decrease the objective is halved (up to 60
/// times), and when no halving decreases it the current point is optimal to precision.
/// </summary>
internal static class NewtonMinimizer
{
    /// <param name="evaluate">The objective with its exact derivatives.</param>
    /// <param name="start">The starting point (not modified).</param>
    /// <param name="maximumIterations">The most Newton steps.</param>
    /// <param name="tolerance">Stop when no parameter moves by more than this (relative to 1 + |parameter|).</param>
    public static NewtonResult Minimize(NewtonObjective evaluate, double[] start, int maximumIterations, double tolerance)
    {
        int p = start.Length;
        var theta = (double[])start.Clone();
        var gradient = new double[p];
        var hessian = new double[p * p];
        var nextGradient = new double[p];
        var nextHessian = new double[p * p];
        var step = new double[p];
        var trial = new double[p];
        double objective = evaluate(theta, gradient, hessian);
        for (int iteration = 1; iteration <= maximumIterations; iteration++)
        {
            if (!DenseLinearSystem.Solve(hessian, gradient, step, p))
                return new NewtonResult(theta, objective, iteration, false);
            // Backtracking: a full Newton step can overshoot far from the optimum (nearly separable data).
            double scale = 1, next = double.PositiveInfinity;
            for (int halving = 0; halving < 60; halving++)
            {
                for (int j = 0; j < p; j++)
                    trial[j] = theta[j] - scale * step[j];
                next = evaluate(trial, nextGradient, nextHessian);
                if (next <= objective)
                    break;
                scale *= 0.5;
            }
            if (!(next <= objective))
                return new NewtonResult(theta, objective, iteration, true); // no descent left: optimal to precision
            double moved = 0;
            for (int j = 0; j < p; j++)
                moved = Math.Max(moved, Math.Abs(trial[j] - theta[j]) / (1 + Math.Abs(theta[j])));
            (theta, trial) = (trial, theta);
            (gradient, nextGradient) = (nextGradient, gradient);
            (hessian, nextHessian) = (nextHessian, hessian);
            objective = next;
            if (moved <= tolerance)
                return new NewtonResult(theta, objective, iteration, true);
        }
        return new NewtonResult(theta, objective, maximumIterations, false);
    }
}
