using System.Runtime.CompilerServices;

namespace MLNetExt.Numerics;

/// <summary>The result of <see cref="LogisticRegressionFitter.Fit"/>.</summary>
internal readonly record struct LogisticRegressionFit(double[] Weights, double Intercept, int Iterations, bool Converged);

/// <summary>
/// Binary logistic regression with a few features, fitted by Newton's method with a backtracking line search in
/// double precision: it minimizes <c>sum_i [softplus(w.x_i + c) - y_i (w.x_i + c)] + (l2 / 2) |w|^2</c> (the
/// intercept is not penalized, as in scikit-learn). Meant for models with a few parameters (calibration maps such as
/// beta calibration), where an exact solution in a handful of iterations matters more than scale; the iteration is
/// <see cref="NewtonMinimizer"/>, the loss terms <see cref="StableMath.SoftplusAndSigmoid"/>.
/// </summary>
internal static class LogisticRegressionFitter
{
    /// <param name="features">Row-major n x d features.</param>
    /// <param name="featureCount">d, at least 0 (0 fits the intercept alone).</param>
    /// <param name="labels">n labels; both values must occur.</param>
    /// <param name="l2">The L2 penalty on the weights, &gt;= 0.</param>
    /// <param name="start">Starting weights (d of them); null starts from 0. The intercept starts at the base rate's logit
    /// when <paramref name="start"/> is null, else at <paramref name="startIntercept"/>.</param>
    /// <param name="startIntercept">The starting intercept when <paramref name="start"/> is given.</param>
    /// <param name="maximumIterations">The most Newton steps.</param>
    /// <param name="tolerance">Stop when no parameter moves by more than this (relative to 1 + |parameter|).</param>
    public static LogisticRegressionFit Fit(double[] features, int featureCount, bool[] labels, double l2,
        double[]? start = null, double startIntercept = 0, int maximumIterations = 100, double tolerance = 1e-12)
    {
        int n = labels.Length, p = featureCount + 1;
        var theta = new double[p]; // weights, then the intercept
        if (start is null)
        {
            int positives = labels.Count(y => y);
            theta[featureCount] = Math.Log((double)positives / (n - positives));
        }
        else
        {
            start.CopyTo(theta, 0);
            theta[featureCount] = startIntercept;
        }
        var result = NewtonMinimizer.Minimize((t, g, h) => Evaluate(features, featureCount, labels, l2, t, g, h),
            theta, maximumIterations, tolerance);
        return new LogisticRegressionFit(result.Theta[..featureCount], result.Theta[featureCount], result.Iterations, result.Converged);
    }

    // Objective, gradient and Hessian at theta in one pass.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls, each a full pass over the data
    private static double Evaluate(double[] features, int d, bool[] labels, double l2, double[] theta,
        double[] gradient, double[] hessian)
    {
        int p = d + 1;
        Array.Clear(gradient);
        Array.Clear(hessian);
        Span<double> x = stackalloc double[p];
        double objective = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < d; j++)
                x[j] = features[i * d + j];
            x[d] = 1;
            double t = Linear(features, d, i, theta);
            var (softplus, prob) = StableMath.SoftplusAndSigmoid(t);
            objective += softplus - (labels[i] ? t : 0);
            double residual = prob - (labels[i] ? 1 : 0);
            double weight = prob * (1 - prob);
            for (int j = 0; j < p; j++)
            {
                gradient[j] += residual * x[j];
                for (int k = 0; k <= j; k++)
                    hessian[j * p + k] += weight * x[j] * x[k];
            }
        }
        for (int j = 0; j < p; j++)
        {
            for (int k = 0; k < j; k++)
                hessian[k * p + j] = hessian[j * p + k];
        }
        for (int j = 0; j < d; j++)
        {
            objective += 0.5 * l2 * theta[j] * theta[j];
            gradient[j] += l2 * theta[j];
            hessian[j * p + j] += l2;
        }
        return objective;
    }

    private static double Linear(double[] features, int d, int row, ReadOnlySpan<double> theta)
    {
        double t = theta[d];
        for (int j = 0; j < d; j++)
            t += theta[j] * features[row * d + j];
        return t;
    }
}
