using MLNetExt.CovariateShift.Kernels;
using MLNetExt.Diagnostics;
using MLNetExt.Numerics;

namespace MLNetExt.CovariateShift.Mrc;

/// <summary>
/// The target rows as the classifier's optimization sees them: psi(x_j) (t x m, row-major), the target weights
/// alpha_j, and K. <c>Phi_a(x_j, y) = alpha_j e_y ⊗ psi(x_j)</c>, so the class scores of row j under mu (K blocks of m)
/// are <c>v_jy = alpha_j mu_y . psi_j</c>.
/// </summary>
internal sealed class TargetDesign
{
    public const int BlockRows = 2048;

    public TargetDesign(double[] psi, int rows, int length, double[] alpha, int classes)
    {
        Psi = psi;
        Rows = rows;
        Length = length;
        Alpha = alpha;
        Classes = classes;
        double sum = 0;
        for (int j = 0; j < rows; j++)
        {
            double norm = 0;
            var row = Row(j);
            foreach (double v in row)
                norm += v * v;
            sum += alpha[j] * alpha[j] * norm;
        }
        MeanSquaredNorm = sum / rows;
    }

    public double[] Psi { get; }

    public int Rows { get; }

    /// <summary>m.</summary>
    public int Length { get; }

    public double[] Alpha { get; }

    public int Classes { get; }

    /// <summary>mean_j alpha_j^2 |psi_j|^2: the operator norm of each row's K x Km block, squared, averaged.</summary>
    public double MeanSquaredNorm { get; }

    public int Dimension => Classes * Length;

    public int BlockCount => (Rows + BlockRows - 1) / BlockRows;

    public ReadOnlySpan<double> Row(int j) => Psi.AsSpan(j * Length, Length);

    /// <summary>v_y = alpha_j mu_y . psi_j for every class.</summary>
    public void Scores(int j, ReadOnlySpan<double> mu, Span<double> v)
    {
        var psi = Row(j);
        double a = Alpha[j];
        for (int y = 0; y < Classes; y++)
        {
            var block = mu.Slice(y * Length, Length);
            double s = 0;
            for (int c = 0; c < psi.Length; c++)
                s += block[c] * psi[c];
            v[y] = a * s;
        }
    }

    /// <summary>gradient_y += weight_y alpha_j psi_j for every class.</summary>
    public void AddGradient(int j, ReadOnlySpan<double> weights, Span<double> gradient)
    {
        var psi = Row(j);
        double a = Alpha[j];
        for (int y = 0; y < Classes; y++)
        {
            double w = weights[y] * a;
            if (w == 0)
                continue;
            var block = gradient.Slice(y * Length, Length);
            for (int c = 0; c < psi.Length; c++)
                block[c] += w * psi[c];
        }
    }
}

/// <summary>
/// <c>min_mu -tau'mu + lambda'|mu| + (1/t) sum_j varphi_eps(V_j mu)</c> (0-1 loss, smoothed; the constant 1 of R(U) is
/// left out) or <c>... + (1/t) sum_j logsumexp(V_j mu)</c> (log loss). Row sums go through fixed blocks added in block
/// order, so the value does not depend on the thread count.
/// </summary>
internal sealed class MinimaxRiskProblem : IProximalProblem
{
    private readonly TargetDesign _design;
    private readonly double[] _tau;
    private readonly double[] _lambda;
    private readonly MinimaxRiskLoss _loss;
    private readonly double[] _blockValues;
    private readonly double[] _blockGradients;
    private readonly double[][] _scratch;

    public MinimaxRiskProblem(TargetDesign design, double[] tau, double[] lambda, MinimaxRiskLoss loss)
    {
        _design = design;
        _tau = tau;
        _lambda = lambda;
        _loss = loss;
        _blockValues = new double[design.BlockCount];
        _blockGradients = new double[design.BlockCount * design.Dimension];
        _scratch = new double[design.BlockCount][];
        for (int b = 0; b < _scratch.Length; b++)
            _scratch[b] = new double[4 * design.Classes];
    }

    /// <summary>The smoothing of varphi (0-1 loss only).</summary>
    public double Epsilon { get; set; } = 0.1;

    public int Dimension => _design.Dimension;

    public double Smooth(double[] mu, double[]? gradient)
    {
        var design = _design;
        int k = design.Classes, dimension = design.Dimension;
        bool withGradient = gradient is not null;
        if (withGradient)
            Array.Clear(_blockGradients);
        Blocks.For(design.BlockCount, block =>
        {
            var scratch = _scratch[block];
            var v = scratch.AsSpan(0, k);
            var h = scratch.AsSpan(k, k);
            var z = scratch.AsSpan(2 * k, k);
            var sort = scratch.AsSpan(3 * k, k);
            var blockGradient = _blockGradients.AsSpan(block * dimension, dimension);
            double sum = 0;
            int end = Math.Min(design.Rows, (block + 1) * TargetDesign.BlockRows);
            for (int j = block * TargetDesign.BlockRows; j < end; j++)
            {
                design.Scores(j, mu, v);
                if (_loss == MinimaxRiskLoss.ZeroOne)
                {
                    double eps = Epsilon;
                    for (int y = 0; y < k; y++)
                        z[y] = v[y] / eps;
                    Simplex.CappedProx(z, 1 / eps, h, sort);
                    double dot = 0, max = 0, squares = 0;
                    for (int y = 0; y < k; y++)
                    {
                        dot += h[y] * v[y];
                        max = Math.Max(max, h[y]);
                        squares += h[y] * h[y];
                    }
                    sum += dot - max - 0.5 * eps * squares;
                }
                else
                {
                    double lse = StableMath.LogSumExp(v);
                    sum += lse;
                    for (int y = 0; y < k; y++)
                        h[y] = Math.Exp(v[y] - lse);
                }
                if (withGradient)
                    design.AddGradient(j, h, blockGradient);
            }
            _blockValues[block] = sum;
        });
        double total = 0;
        foreach (double value in _blockValues)
            total += value;
        double result = total / design.Rows;
        for (int i = 0; i < dimension; i++)
            result -= _tau[i] * mu[i];
        if (gradient is not null)
        {
            for (int i = 0; i < dimension; i++)
                gradient[i] = -_tau[i];
            double inverse = 1.0 / design.Rows;
            for (int b = 0; b < design.BlockCount; b++)
            {
                for (int i = 0; i < dimension; i++)
                    gradient[i] += _blockGradients[b * dimension + i] * inverse;
            }
        }
        return result;
    }

    public double Nonsmooth(double[] mu)
    {
        double sum = 0;
        for (int i = 0; i < mu.Length; i++)
            sum += _lambda[i] * Math.Abs(mu[i]);
        return sum;
    }

    public void Prox(double[] v, double step, double[] result)
    {
        for (int i = 0; i < v.Length; i++)
        {
            double threshold = step * _lambda[i];
            result[i] = v[i] > threshold ? v[i] - threshold : v[i] < -threshold ? v[i] + threshold : 0;
        }
    }

    /// <summary>
    /// The exact objective R at mu: <c>1 - tau'mu + lambda'|mu| + mean varphi</c> (0-1) or
    /// <c>-tau'mu + lambda'|mu| + mean logsumexp</c> (log). For any mu it bounds the worst-case loss over the
    /// uncertainty set of the rule mu defines, so it is a valid bound even when mu is not the exact minimizer.
    /// </summary>
    public double Bound(double[] mu)
    {
        var design = _design;
        int k = design.Classes;
        Blocks.For(design.BlockCount, block =>
        {
            var scratch = _scratch[block];
            var v = scratch.AsSpan(0, k);
            var sort = scratch.AsSpan(3 * k, k);
            double sum = 0;
            int end = Math.Min(design.Rows, (block + 1) * TargetDesign.BlockRows);
            for (int j = block * TargetDesign.BlockRows; j < end; j++)
            {
                design.Scores(j, mu, v);
                sum += _loss == MinimaxRiskLoss.ZeroOne ? Simplex.Threshold(v, sort) : StableMath.LogSumExp(v);
            }
            _blockValues[block] = sum;
        });
        double total = 0;
        foreach (double value in _blockValues)
            total += value;
        double result = total / design.Rows + Nonsmooth(mu);
        for (int i = 0; i < mu.Length; i++)
            result -= _tau[i] * mu[i];
        return _loss == MinimaxRiskLoss.ZeroOne ? 1 + result : result;
    }
}

/// <summary>
/// The confidence vector lambda (spec §1.5): the smallest (in L1) lambda that keeps the uncertainty set non-empty is
/// <c>|E_q - tau| + delta</c> at the q minimizing <c>|E_q - tau|_1</c>, where q_j (one distribution over the K classes
/// per target row) gives <c>E_q = (1/t) sum_j sum_y q_jy alpha_j Phi(x_j, y)</c>. This solves that L1 problem with the
/// absolute values Huber-smoothed, by accelerated projected gradient over the product of simplices, with the
/// smoothing width reduced 10-fold per stage; lambda is then computed exactly from the q found, so the uncertainty set
/// is non-empty by construction (q is a witness) whatever the accuracy reached.
/// </summary>
internal sealed class ConfidenceProblem : IProximalProblem
{
    private readonly TargetDesign _design;
    private readonly double[] _tau;
    private readonly double[] _blockSums;
    private readonly double[] _expectation;
    private readonly double[] _derivative;
    private readonly double[][] _scratch;

    public ConfidenceProblem(TargetDesign design, double[] tau)
    {
        _design = design;
        _tau = tau;
        _blockSums = new double[design.BlockCount * design.Dimension];
        _expectation = new double[design.Dimension];
        _derivative = new double[design.Dimension];
        _scratch = new double[design.BlockCount][];
        for (int b = 0; b < _scratch.Length; b++)
            _scratch[b] = new double[design.Classes];
    }

    public double Epsilon { get; set; }

    public int Dimension => _design.Rows * _design.Classes;

    /// <summary>E_q (length K m) into <paramref name="expectation"/>.</summary>
    public void Expectation(double[] q, double[] expectation)
    {
        var design = _design;
        int k = design.Classes, dimension = design.Dimension;
        Array.Clear(_blockSums);
        Blocks.For(design.BlockCount, block =>
        {
            var sums = _blockSums.AsSpan(block * dimension, dimension);
            int end = Math.Min(design.Rows, (block + 1) * TargetDesign.BlockRows);
            for (int j = block * TargetDesign.BlockRows; j < end; j++)
                design.AddGradient(j, q.AsSpan(j * k, k), sums);
        });
        Array.Clear(expectation);
        double inverse = 1.0 / design.Rows;
        for (int b = 0; b < design.BlockCount; b++)
        {
            for (int i = 0; i < dimension; i++)
                expectation[i] += _blockSums[b * dimension + i] * inverse;
        }
    }

    public double Smooth(double[] q, double[]? gradient)
    {
        Expectation(q, _expectation);
        double eps = Epsilon, value = 0;
        for (int i = 0; i < _expectation.Length; i++)
        {
            double r = _expectation[i] - _tau[i];
            double a = Math.Abs(r);
            value += a <= eps ? r * r / (2 * eps) : a - eps / 2;
            _derivative[i] = Math.Clamp(r / eps, -1, 1);
        }
        if (gradient is not null)
        {
            var design = _design;
            int k = design.Classes, m = design.Length;
            double inverse = 1.0 / design.Rows;
            Blocks.For(design.BlockCount, block =>
            {
                int end = Math.Min(design.Rows, (block + 1) * TargetDesign.BlockRows);
                for (int j = block * TargetDesign.BlockRows; j < end; j++)
                {
                    var psi = design.Row(j);
                    double a = design.Alpha[j] * inverse;
                    for (int y = 0; y < k; y++)
                    {
                        double s = 0;
                        for (int c = 0; c < m; c++)
                            s += psi[c] * _derivative[y * m + c];
                        gradient[j * k + y] = a * s;
                    }
                }
            });
        }
        return value;
    }

    public double Nonsmooth(double[] q) => 0;

    public void Prox(double[] v, double step, double[] result)
    {
        var design = _design;
        int k = design.Classes;
        Array.Copy(v, result, v.Length);
        Blocks.For(design.BlockCount, block =>
        {
            var scratch = _scratch[block];
            int end = Math.Min(design.Rows, (block + 1) * TargetDesign.BlockRows);
            for (int j = block * TargetDesign.BlockRows; j < end; j++)
                Simplex.Project(result.AsSpan(j * k, k), scratch);
        });
    }
}

/// <summary>The solved expectation estimate, confidence vector and classifier for one D.</summary>
internal sealed record MinimaxRiskFit(double[] Tau, double[] Lambda, double[] Mu, double Bound, int Iterations);

/// <summary>tau, lambda and mu for given weights (spec §1.5-1.6).</summary>
internal static class MinimaxRiskSolver
{
    /// <summary>The delta added to every lambda (MRCpy's 1e-6).</summary>
    public const double Delta = 1e-6;

    /// <summary>tau = (1/n) sum_i beta_i Phi(x_i, y_i), with psi rows of the training data.</summary>
    public static double[] Tau(double[] psi, int n, int m, int[] labels, int classes, double[] beta)
    {
        var tau = new double[classes * m];
        for (int i = 0; i < n; i++)
        {
            double b = beta[i] / n;
            if (b == 0)
                continue;
            int offset = labels[i] * m;
            for (int c = 0; c < m; c++)
                tau[offset + c] += b * psi[i * m + c];
        }
        return tau;
    }

    /// <summary>The smallest-L1 confidence vector (plus delta).</summary>
    public static double[] Lambda(TargetDesign design, double[] tau, double tolerance, int maximumIterations, ComponentChannel? channel)
    {
        var problem = new ConfidenceProblem(design, tau);
        int k = design.Classes;
        var q = new double[design.Rows * k];
        Array.Fill(q, 1.0 / k);
        double scale = 0;
        foreach (double v in tau)
            scale = Math.Max(scale, Math.Abs(v));
        scale = Math.Max(scale, 1e-12);
        double lipschitzPerEpsilon = design.MeanSquaredNorm / design.Rows; // |A_y|^2 <= sum_j alpha^2 |psi|^2 / t^2
        var expectation = new double[design.Dimension];
        for (double eps = 1e-2 * scale; eps >= 1e-8 * scale; eps *= 0.1)
        {
            problem.Epsilon = eps;
            double lipschitz = lipschitzPerEpsilon / eps;
            var stage = ProximalGradient.Minimize(problem, q, ref lipschitz, tolerance, eps, maximumIterations, channel);
            channel?.Trace($"lambda stage eps {eps:G3}: {stage.Iterations} iterations{(stage.Converged ? "" : " (limit)")}, value {stage.Value:G6}.");
            // Stop refining once the residual is already below the smoothing width everywhere.
            problem.Expectation(q, expectation);
            double worst = 0;
            for (int i = 0; i < tau.Length; i++)
                worst = Math.Max(worst, Math.Abs(expectation[i] - tau[i]));
            if (worst <= 1e-12 * scale)
                break;
        }
        problem.Expectation(q, expectation);
        var lambda = new double[tau.Length];
        for (int i = 0; i < tau.Length; i++)
            lambda[i] = Math.Abs(expectation[i] - tau[i]) + Delta;
        return lambda;
    }

    /// <summary>Minimizes the MRC objective from mu = 0 (or <paramref name="start"/>) and returns mu and its exact bound.</summary>
    public static (double[] Mu, double Bound, int Iterations) Classifier(TargetDesign design, double[] tau, double[] lambda,
        MinimaxRiskLoss loss, double tolerance, int maximumIterations, double[]? start, ComponentChannel? channel)
    {
        var problem = new MinimaxRiskProblem(design, tau, lambda, loss);
        var mu = start is null ? new double[design.Dimension] : (double[])start.Clone();
        int iterations = 0;
        if (loss == MinimaxRiskLoss.Log)
        {
            double lipschitz = Math.Max(0.5 * design.MeanSquaredNorm, 1e-12);
            iterations += ProximalGradient.Minimize(problem, mu, ref lipschitz, tolerance, 1, maximumIterations, channel).Iterations;
        }
        else
        {
            // Continuation on the smoothing width: each stage starts from the previous one's end point.
            for (double eps = 1e-1; eps >= 1e-5; eps *= 0.1)
            {
                problem.Epsilon = eps;
                double lipschitz = Math.Max(design.MeanSquaredNorm / eps, 1e-12);
                iterations += ProximalGradient.Minimize(problem, mu, ref lipschitz, tolerance, 1, maximumIterations, channel).Iterations;
            }
        }
        return (mu, problem.Bound(mu), iterations);
    }
}
