using System.Numerics;
using System.Runtime.CompilerServices;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Numerics;

namespace MLNetExt.Calibration.Fitting;

/// <summary>A fitted vector scaling: calibrated logits are <c>Weights[k] * z_k + Biases[k]</c>.</summary>
internal sealed record VectorScalingFit(double[] Weights, double[] Biases, int Iterations, bool Converged,
    double LogLossBefore, double LogLossAfter, bool UsedNewton);

/// <summary>
/// Vector scaling (Guo, Pleiss, Sun and Weinberger, ICML 2017, section 4.2): one weight and one bias per class,
/// <c>softmax(w ⊙ z + b)</c>, fitted by minimizing the (weighted) mean negative log-likelihood, which is convex in
/// (w, b). Softmax is unchanged when every bias moves by the same amount, so b_0 is held at 0 (2K - 1 free
/// parameters). It starts from temperature scaling's solution (all weights 1/T, biases 0), which it can only improve on.
/// </summary>
/// <remarks>
/// The solver fits K. Up to <see cref="NewtonLimit"/> classes: Newton's method (<see cref="NewtonMinimizer"/>) on the
/// exact gradient and Hessian (softmax cross-entropy: <c>diag(q) - q q^T</c> in the logits, times their Jacobian),
/// O(n K^2) a pass and a few passes. Above: L-BFGS (<see cref="LbfgsMinimizer"/>) on the gradient alone, O(n K) a pass,
/// at most <see cref="MaximumLbfgsIterations"/> iterations; with K in the hundreds on a few thousand rows the problem is
/// usually separable (2K - 1 parameters), and the fit stops there with a warning. Each pass is parallel over segments,
/// summed in segment order, and checks for cancellation.
/// </remarks>
internal static class VectorScalingFitter
{
    /// <summary>The most classes fitted with Newton's method (a (2K - 1)^2 Hessian per pass).</summary>
    public const int NewtonLimit = 16;

    /// <summary>The most L-BFGS iterations.</summary>
    public const int MaximumLbfgsIterations = 500;

    public static VectorScalingFit Fit<T, TW>(ClassRows<T, TW> rows, ScoreKind kind, double floor, double inverseTemperature,
        Action<string>? onPass = null, int maximumIterations = 100, double tolerance = 1e-10, bool? newton = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        int k = rows.ClassCount, p = 2 * k - 1;
        var theta = new double[p]; // w_0..w_{K-1}, then b_1..b_{K-1}
        for (int j = 0; j < k; j++)
            theta[j] = inverseTemperature;
        var identity = new double[p];
        for (int j = 0; j < k; j++)
            identity[j] = 1;
        double total = rows.TotalWeight;
        int passes = 0;
        double Pass(double[] t, double[]? gradient, double[]? hessian)
        {
            onPass?.Invoke($"pass {++passes}");
            return Evaluate(rows, kind, floor, t, gradient, hessian) / total;
        }
        double before = Pass(identity, null, null);
        bool useNewton = newton ?? k <= NewtonLimit;
        if (useNewton)
        {
            var result = NewtonMinimizer.Minimize((t, g, h) => Pass(t, g, h), theta, maximumIterations, tolerance);
            return Build(result.Theta, k, result.Iterations, result.Converged, before, result.Objective, true);
        }
        var lbfgs = LbfgsMinimizer.Minimize((t, g) => Pass(t, g, null), theta, MaximumLbfgsIterations, 1e-9);
        return Build(lbfgs.Theta, k, lbfgs.Iterations, lbfgs.Converged, before, lbfgs.Objective, false);
    }

    /// <summary>Arrays as fit rows (logits, K, labels).</summary>
    public static VectorScalingFit Fit(double[] logits, int classCount, int[] labels, double inverseTemperature,
        int maximumIterations = 100, double tolerance = 1e-10, bool? newton = null)
        => Fit(TemperatureFitter.ClassRowsOf(logits, classCount, labels), ScoreKind.Logit, ScoreMath.DefaultProbabilityFloor, inverseTemperature,
            null, maximumIterations, tolerance, newton);

    private static VectorScalingFit Build(double[] theta, int k, int iterations, bool converged, double before, double after, bool newton)
    {
        var weights = theta[..k];
        var biases = new double[k];
        Array.Copy(theta, k, biases, 1, k - 1);
        return new VectorScalingFit(weights, biases, iterations, converged, before, after, newton);
    }

    // Total weighted NLL at theta; with gradient (and hessian) non-null, also their values, in the same pass.
    private static double Evaluate<T, TW>(ClassRows<T, TW> rows, ScoreKind kind, double floor, double[] theta, double[]? gradient, double[]? hessian)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        int k = rows.ClassCount, p = 2 * k - 1;
        int width = 1 + (gradient is null ? 0 : p) + (hessian is null ? 0 : p * p);
        if (gradient is not null)
            Array.Clear(gradient);
        if (hessian is not null)
            Array.Clear(hessian);
        double objective = 0;
        Segments.Reduce(rows.SegmentCount, Segments.SegmentsPerChunk(width), width, (first, count, partial) =>
        {
            for (int s = first; s < first + count; s++)
            {
                if (rows.ByteLabels)
                    Segment(rows.Scores(s), rows.LabelBytes(s), rows.Weights(s), k, kind, floor, theta, gradient is not null, hessian is not null, partial);
                else
                    Segment(rows.Scores(s), rows.LabelInts(s), rows.Weights(s), k, kind, floor, theta, gradient is not null, hessian is not null, partial);
            }
        }, partial =>
        {
            objective += partial[0];
            if (gradient is not null)
            {
                for (int j = 0; j < p; j++)
                    gradient[j] += partial[1 + j];
            }
            if (hessian is not null)
            {
                for (int j = 0; j < p * p; j++)
                    hessian[j] += partial[1 + p + j];
            }
        });
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls, each a full pass over the data
    private static void Segment<T, TL, TW>(ReadOnlySpan<T> scores, ReadOnlySpan<TL> labels, ReadOnlySpan<TW> weights, int k, ScoreKind kind,
        double floor, double[] theta, bool withGradient, bool withHessian, double[] partial)
        where T : unmanaged, INumber<T>
        where TL : unmanaged, IBinaryInteger<TL>
        where TW : unmanaged, INumberBase<TW>
    {
        int p = 2 * k - 1;
        Span<double> z = k <= 256 ? stackalloc double[k] : new double[k];
        Span<double> q = k <= 256 ? stackalloc double[k] : new double[k];
        var gradient = withGradient ? partial.AsSpan(1, p) : default;
        var hessian = withHessian ? partial.AsSpan(1 + p, p * p) : default;
        double objective = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double w = weights.IsEmpty ? 1 : double.CreateTruncating(weights[i]);
            if (!(w > 0))
                continue;
            var row = scores.Slice(i * k, k);
            ScoreMath.ToLogits(row, kind, floor, z);
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                q[c] = theta[c] * z[c] + (c > 0 ? theta[k + c - 1] : 0);
                max = Math.Max(max, q[c]);
            }
            int y = int.CreateTruncating(labels[i]);
            double labelLogit = q[y], s = 0;
            for (int c = 0; c < k; c++)
            {
                q[c] = Math.Exp(q[c] - max);
                s += q[c];
            }
            objective += w * (max + Math.Log(s) - labelLogit);
            if (!withGradient)
                continue;
            for (int c = 0; c < k; c++)
                q[c] /= s;
            // Parameter j's derivative of logit c: w_c -> z_c (j = c), b_c -> 1 (j = K + c - 1, c >= 1).
            for (int c = 0; c < k; c++)
            {
                double residual = w * (q[c] - (c == y ? 1 : 0));
                gradient[c] += residual * z[c];
                if (c > 0)
                    gradient[k + c - 1] += residual;
                if (!withHessian)
                    continue;
                for (int d = 0; d <= c; d++)
                {
                    double h = w * ((c == d ? q[c] : 0) - q[c] * q[d]);
                    hessian[c * p + d] += h * z[c] * z[d];
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
        partial[0] += objective;
    }
}
