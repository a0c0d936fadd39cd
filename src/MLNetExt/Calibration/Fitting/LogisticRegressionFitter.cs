namespace MLNetExt.Calibration.Fitting;

/// <summary>The result of <see cref="LogisticRegressionFitter.Fit"/>.</summary>
internal readonly record struct LogisticRegressionFit(double[] Weights, double Intercept, int Iterations, bool Converged);

/// <summary>
/// Binary logistic regression with a few features, fitted by Newton's method with a backtracking line search in
/// double precision: it minimizes <c>sum_i [softplus(w.x_i + c) - y_i (w.x_i + c)] + (l2 / 2) |w|^2</c> (the
/// intercept is not penalized, as in scikit-learn). Meant for calibration maps with two or three parameters, where an
/// exact solution in a handful of iterations matters more than scale.
/// </summary>
internal static class LogisticRegressionFitter
{
    /// <param name="features">Row-major n x d features.</param>
    /// <param name="featureCount">d, at least 0 (0 fits the intercept alone).</param>
    /// <param name="labels">n labels; both values must occur.</param>
    /// <param name="l2">The L2 penalty on the weights, &gt;= 0.</param>
    /// <param name="maximumIterations">The most Newton steps.</param>
    /// <param name="tolerance">Stop when no parameter moves by more than this (relative to 1 + |parameter|).</param>
    public static LogisticRegressionFit Fit(double[] features, int featureCount, bool[] labels, double l2,
        int maximumIterations = 100, double tolerance = 1e-12)
    {
        int n = labels.Length, p = featureCount + 1;
        var theta = new double[p]; // weights, then the intercept
        int positives = labels.Count(y => y);
        theta[featureCount] = Math.Log((double)positives / (n - positives));
        var gradient = new double[p];
        var hessian = new double[p * p];
        var step = new double[p];
        var trial = new double[p];
        double objective = Objective(features, featureCount, labels, l2, theta);
        for (int iteration = 1; iteration <= maximumIterations; iteration++)
        {
            Derivatives(features, featureCount, labels, l2, theta, gradient, hessian);
            if (!Solve(hessian, gradient, step, p))
                return new LogisticRegressionFit(theta[..featureCount], theta[featureCount], iteration, false);
            // Backtracking: Newton's full step can overshoot far from the optimum (nearly separable data).
            double scale = 1;
            double next = double.PositiveInfinity;
            for (int halving = 0; halving < 60; halving++)
            {
                for (int j = 0; j < p; j++)
                    trial[j] = theta[j] - scale * step[j];
                next = Objective(features, featureCount, labels, l2, trial);
                if (next <= objective)
                    break;
                scale *= 0.5;
            }
            if (!(next <= objective))
                return new LogisticRegressionFit(theta[..featureCount], theta[featureCount], iteration, true);
            double moved = 0;
            for (int j = 0; j < p; j++)
            {
                moved = Math.Max(moved, Math.Abs(trial[j] - theta[j]) / (1 + Math.Abs(theta[j])));
                theta[j] = trial[j];
            }
            objective = next;
            if (moved <= tolerance)
                return new LogisticRegressionFit(theta[..featureCount], theta[featureCount], iteration, true);
        }
        return new LogisticRegressionFit(theta[..featureCount], theta[featureCount], maximumIterations, false);
    }

    /// <summary>The penalized objective at <paramref name="theta"/> (weights, then intercept).</summary>
    public static double Objective(double[] features, int d, bool[] labels, double l2, ReadOnlySpan<double> theta)
    {
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double t = Linear(features, d, i, theta);
            sum += TemperatureFitter.Softplus(t) - (labels[i] ? t : 0);
        }
        for (int j = 0; j < d; j++)
            sum += 0.5 * l2 * theta[j] * theta[j];
        return sum;
    }

    private static void Derivatives(double[] features, int d, bool[] labels, double l2, double[] theta,
        double[] gradient, double[] hessian)
    {
        int p = d + 1;
        Array.Clear(gradient);
        Array.Clear(hessian);
        Span<double> x = stackalloc double[p];
        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < d; j++)
                x[j] = features[i * d + j];
            x[d] = 1;
            double prob = TemperatureFitter.Sigmoid(Linear(features, d, i, theta));
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
            gradient[j] += l2 * theta[j];
            hessian[j * p + j] += l2;
        }
    }

    private static double Linear(double[] features, int d, int row, ReadOnlySpan<double> theta)
    {
        double t = theta[d];
        for (int j = 0; j < d; j++)
            t += theta[j] * features[row * d + j];
        return t;
    }

    // Gaussian elimination with partial pivoting on a copy: solves a x = b for p of at most a few unknowns.
    private static bool Solve(double[] a, double[] b, double[] x, int p)
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
