using System.Runtime.CompilerServices;
using MLNetExt.Numerics;

namespace MLNetExt.Calibration.Fitting;

/// <summary>A fitted vector scaling: calibrated logits are <c>Weights[k] * z_k + Biases[k]</c>.</summary>
internal sealed record VectorScalingFit(double[] Weights, double[] Biases, int Iterations, bool Converged,
    double LogLossBefore, double LogLossAfter);

/// <summary>
/// Vector scaling (Guo, Pleiss, Sun and Weinberger, ICML 2017, section 4.2): one weight and one bias per class,
/// <c>softmax(w ⊙ z + b)</c>, fitted by minimizing the mean negative log-likelihood, which is convex in (w, b).
/// Softmax is unchanged when every bias moves by the same amount, so b_0 is held at 0 (2K - 1 free parameters).
/// Newton's method (<see cref="NewtonMinimizer"/>) on the exact gradient and Hessian (softmax cross-entropy: <c>diag(q) - q q^T</c> in the logits,
/// times the logits' Jacobian), started from temperature scaling's solution
/// (all weights 1/T, biases 0), which it can only improve on.
/// </summary>
internal static class VectorScalingFitter
{
    public static VectorScalingFit Fit(double[] logits, int classCount, int[] labels, double inverseTemperature,
        int maximumIterations = 100, double tolerance = 1e-10)
    {
        int k = classCount, p = 2 * k - 1;
        var theta = new double[p]; // w_0..w_{K-1}, then b_1..b_{K-1}
        for (int j = 0; j < k; j++)
            theta[j] = inverseTemperature;
        var identity = new double[p];
        for (int j = 0; j < k; j++)
            identity[j] = 1;
        double before = Evaluate(logits, k, labels, identity, null, null) / labels.Length;
        var result = NewtonMinimizer.Minimize((t, g, h) => Evaluate(logits, k, labels, t, g, h), theta, maximumIterations, tolerance);
        var weights = result.Theta[..k];
        var biases = new double[k];
        Array.Copy(result.Theta, k, biases, 1, k - 1);
        return new VectorScalingFit(weights, biases, result.Iterations, result.Converged, before, result.Objective / labels.Length);
    }

    // Total NLL at theta; with gradient and hessian non-null, also their values, in the same pass.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls, each a full pass over the data
    private static double Evaluate(double[] logits, int k, int[] labels, double[] theta, double[]? gradient, double[]? hessian)
    {
        int p = 2 * k - 1;
        if (gradient is not null)
        {
            Array.Clear(gradient);
            Array.Clear(hessian!);
        }
        Span<double> q = k <= 256 ? stackalloc double[k] : new double[k];
        double objective = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var z = logits.AsSpan(i * k, k);
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                q[c] = theta[c] * z[c] + (c > 0 ? theta[k + c - 1] : 0);
                max = Math.Max(max, q[c]);
            }
            int y = labels[i];
            double labelLogit = q[y], s = 0;
            for (int c = 0; c < k; c++)
            {
                q[c] = Math.Exp(q[c] - max);
                s += q[c];
            }
            objective += max + Math.Log(s) - labelLogit;
            if (gradient is null)
                continue;
            for (int c = 0; c < k; c++)
                q[c] /= s;
            // Parameter j's derivative of logit c: w_c -> z_c (j = c), b_c -> 1 (j = K + c - 1, c >= 1).
            for (int c = 0; c < k; c++)
            {
                double residual = q[c] - (c == y ? 1 : 0);
                gradient[c] += residual * z[c];
                if (c > 0)
                    gradient[k + c - 1] += residual;
                for (int d = 0; d <= c; d++)
                {
                    double h = (c == d ? q[c] : 0) - q[c] * q[d];
                    hessian![c * p + d] += h * z[c] * z[d];
                    if (d > 0)
                        hessian[c * p + (k + d - 1)] += h * z[c];
                    if (c > 0)
                    {
                        hessian[(k + c - 1) * p + d] += h * z[d];
                        if (d > 0)
                            hessian[(k + c - 1) * p + (k + d - 1)] += h;
                    }
                    if (c != d)
                    {
                        // the mirrored (d, c) entries of the w-b blocks
                        if (c > 0)
                            hessian[d * p + (k + c - 1)] += h * z[d];
                        if (d > 0)
                            hessian[(k + d - 1) * p + c] += h * z[c];
                    }
                }
            }
        }
        if (hessian is not null)
        {
            // Fill the upper triangles of the w-w and b-b blocks from the lower ones.
            for (int c = 0; c < k; c++)
            {
                for (int d = 0; d < c; d++)
                {
                    hessian[d * p + c] = hessian[c * p + d];
                    if (d > 0)
                        hessian[(k + d - 1) * p + (k + c - 1)] = hessian[(k + c - 1) * p + (k + d - 1)];
                }
            }
        }
        return objective;
    }
}
