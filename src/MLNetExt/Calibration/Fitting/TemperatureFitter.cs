using System.Runtime.CompilerServices;
using MLNetExt.Numerics;

namespace MLNetExt.Calibration.Fitting;

/// <summary>A fitted temperature and how the fit went.</summary>
/// <param name="Temperature">T &gt; 0; calibrated probabilities are softmax(z / T) (sigmoid(x / T) for binary).</param>
/// <param name="Kind">Whether the optimum was interior or T hit one of its bounds.</param>
/// <param name="LogLossBefore">Mean NLL of the fit data at T = 1.</param>
/// <param name="LogLossAfter">Mean NLL at the fitted T.</param>
/// <param name="Evaluations">Derivative evaluations (passes over the data).</param>
internal readonly record struct TemperatureFit(double Temperature, ScalarMinimumKind Kind, double LogLossBefore,
    double LogLossAfter, int Evaluations);

/// <summary>
/// Temperature scaling (Guo, Pleiss, Sun and Weinberger, ICML 2017): the T &gt; 0 that minimizes the mean negative
/// log-likelihood of the labels under softmax(z / T). In the inverse temperature b = 1 / T the objective
/// <c>f(b) = sum_i [logsumexp(b z_i) - b z_{i, y_i}]</c> is convex, with exact derivatives
/// <c>f'(b) = sum_i (E_{q_i}[z_i] - z_{i, y_i})</c> and <c>f''(b) = sum_i Var_{q_i}[z_i]</c>, q_i = softmax(b z_i);
/// <see cref="ScalarConvexMinimizer"/> solves it in double precision. The binary case is the same with two classes
/// and logits (0, x).
/// </summary>
internal static class TemperatureFitter
{
    /// <summary>The smallest temperature searched.</summary>
    public const double MinimumTemperature = 1e-4;

    /// <summary>The largest temperature searched; a larger optimum means the scores carry no information.</summary>
    public const double MaximumTemperature = 1e4;

    /// <param name="logits">Row-major n x K logits (or log-probabilities).</param>
    /// <param name="classCount">K.</param>
    /// <param name="labels">n zero-based labels.</param>
    public static TemperatureFit FitMulticlass(double[] logits, int classCount, int[] labels)
    {
        var minimum = ScalarConvexMinimizer.Minimize(
            b => MulticlassDerivatives(logits, classCount, labels, b), 1.0,
            1 / MaximumTemperature, 1 / MinimumTemperature);
        return Result(minimum, b => MulticlassLogLoss(logits, classCount, labels, b));
    }

    /// <param name="logits">n logits x_i, P(y = 1) = sigmoid(x_i).</param>
    /// <param name="labels">n labels.</param>
    public static TemperatureFit FitBinary(double[] logits, bool[] labels)
    {
        var minimum = ScalarConvexMinimizer.Minimize(
            b => BinaryDerivatives(logits, labels, b), 1.0, 1 / MaximumTemperature, 1 / MinimumTemperature);
        return Result(minimum, b => BinaryLogLoss(logits, labels, b));
    }

    /// <summary>Mean NLL of softmax(b z_i) at the labels.</summary>
    public static double MulticlassLogLoss(ReadOnlySpan<double> logits, int classCount, ReadOnlySpan<int> labels, double inverseTemperature)
    {
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var z = logits.Slice(i * classCount, classCount);
            sum += StableMath.LogSumExp(z, inverseTemperature) - inverseTemperature * z[labels[i]];
        }
        return sum / labels.Length;
    }

    /// <summary>Mean NLL of sigmoid(b x_i): mean of softplus(b x) - y b x.</summary>
    public static double BinaryLogLoss(ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels, double inverseTemperature)
    {
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double t = inverseTemperature * logits[i];
            sum += StableMath.Softplus(t) - (labels[i] ? t : 0);
        }
        return sum / logits.Length;
    }

    private static TemperatureFit Result(ScalarMinimum minimum, Func<double, double> logLoss)
        => new(1 / minimum.X, minimum.Kind switch
        {
            // Bounds are on b = 1 / T, so they swap.
            ScalarMinimumKind.AtLowerBound => ScalarMinimumKind.AtUpperBound,
            ScalarMinimumKind.AtUpperBound => ScalarMinimumKind.AtLowerBound,
            _ => ScalarMinimumKind.Interior,
        }, logLoss(1.0), logLoss(minimum.X), minimum.Evaluations);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls, each a full pass over the data
    private static (double, double) MulticlassDerivatives(double[] logits, int classCount, int[] labels, double b)
    {
        double gradient = 0, hessian = 0;
        Span<double> weights = classCount <= 512 ? stackalloc double[classCount] : new double[classCount];
        for (int i = 0; i < labels.Length; i++)
        {
            var z = logits.AsSpan(i * classCount, classCount);
            double max = double.NegativeInfinity;
            foreach (double v in z)
                max = Math.Max(max, b * v);
            double s = 0, mean = 0;
            for (int k = 0; k < z.Length; k++)
            {
                double w = Math.Exp(b * z[k] - max);
                weights[k] = w;
                s += w;
                mean += w * z[k];
            }
            mean /= s;
            double variance = 0;
            for (int k = 0; k < z.Length; k++)
            {
                double d = z[k] - mean;
                variance += weights[k] * d * d;
            }
            gradient += mean - z[labels[i]];
            hessian += variance / s;
        }
        return (gradient, hessian);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls, each a full pass over the data
    private static (double, double) BinaryDerivatives(double[] logits, bool[] labels, double b)
    {
        double gradient = 0, hessian = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i];
            double p = StableMath.Sigmoid(b * x);
            gradient += (p - (labels[i] ? 1 : 0)) * x;
            hessian += p * (1 - p) * x * x;
        }
        return (gradient, hessian);
    }
}
