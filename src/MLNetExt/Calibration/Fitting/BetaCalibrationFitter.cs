using System.Numerics;
using System.Runtime.CompilerServices;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Numerics;

namespace MLNetExt.Calibration.Fitting;

/// <summary>Parameters of a beta calibration map and which features were dropped.</summary>
internal readonly record struct BetaFit(double A, double B, double C, bool DroppedA, bool DroppedB, bool Converged);

/// <summary>
/// Beta calibration (Kull, Silva Filho and Flach, AISTATS 2017): <c>logit(p) = a ln s - b ln(1 - s) + c</c> with
/// a, b &gt;= 0, fitted as a (weighted) logistic regression on the features <c>[ln s, -ln(1 - s)]</c>. As in the authors'
/// <c>betacal</c> package (<c>_BetaCal.fit</c>): if the fitted a is negative the first feature is dropped (a = 0) and
/// the model refitted; otherwise if b is negative the second is dropped (b = 0) and refitted. betacal stops there;
/// here a slope that is still negative after the refit is dropped too (leaving the base rate), so the map is always
/// non-decreasing in s. The penalty is betacal's: scikit-learn's <c>LogisticRegression(C=99999999999)</c>, that is
/// an L2 term of |w|^2 / (2C) on the slopes. Newton's method as <see cref="LogisticRegressionFitter"/> does it, but
/// the features are computed from the stored scores in each pass (one parallel pass per evaluation, summed in segment
/// order), so the fit holds the score column (4 bytes a row) and the label bits, not two columns of doubles.
/// </summary>
internal static class BetaCalibrationFitter
{
    /// <summary>1 / C with betacal's C = 99999999999.</summary>
    public const double L2 = 1.0 / 99999999999;

    /// <summary>Computes a segment's features (ln s, ln(1 - s)) into the spans; returns its labels and weights.</summary>
    internal delegate void FeatureSource(int segment, Span<double> logS, Span<double> logOneMinusS, out ReadOnlySpan<bool> labels,
        out ReadOnlySpan<float> weightsSingle, out ReadOnlySpan<double> weightsDouble);

    [ThreadStatic]
    private static double[]? t_features;

    /// <summary>Fits beta calibration to stored scores (raw scores or probabilities, as <paramref name="kind"/> says).</summary>
    public static BetaFit Fit<T, TW>(PredictionStore<T, TW> rows, ScoreKind kind, double floor, Action<string>? onPass = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        FeatureSource source = (int segment, Span<double> logS, Span<double> logOneMinusS, out ReadOnlySpan<bool> labels,
            out ReadOnlySpan<float> single, out ReadOnlySpan<double> @double) =>
        {
            var scores = rows.Confidences(segment);
            for (int i = 0; i < scores.Length; i++)
                (logS[i], logOneMinusS[i]) = ScoreMath.ToLogProbabilities(double.CreateTruncating(scores[i]), kind, floor);
            labels = rows.Outcomes(segment);
            var w = rows.Weights(segment);
            single = typeof(TW) == typeof(float) ? System.Runtime.InteropServices.MemoryMarshal.Cast<TW, float>(w) : default;
            @double = typeof(TW) == typeof(double) ? System.Runtime.InteropServices.MemoryMarshal.Cast<TW, double>(w) : default;
        };
        return Fit(source, rows.SegmentCount, rows.TotalWeight, WeightedPositives(rows), onPass);
    }

    /// <param name="logS">ln s_i.</param>
    /// <param name="logOneMinusS">ln(1 - s_i).</param>
    /// <param name="labels">The labels; both classes must occur.</param>
    public static BetaFit Fit(double[] logS, double[] logOneMinusS, bool[] labels)
    {
        int n = labels.Length;
        FeatureSource source = (int segment, Span<double> a, Span<double> b, out ReadOnlySpan<bool> y, out ReadOnlySpan<float> single,
            out ReadOnlySpan<double> @double) =>
        {
            var (start, length) = Segments.Range(segment, n);
            logS.AsSpan(start, length).CopyTo(a);
            logOneMinusS.AsSpan(start, length).CopyTo(b);
            y = labels.AsSpan(start, length);
            single = default;
            @double = default;
        };
        return Fit(source, Segments.Count(n), n, labels.Count(v => v), null);
    }

    private static double WeightedPositives<T, TW>(PredictionStore<T, TW> rows)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        double positives = 0;
        for (int s = 0; s < rows.SegmentCount; s++)
        {
            var y = rows.Outcomes(s);
            var w = rows.Weights(s);
            for (int i = 0; i < y.Length; i++)
            {
                if (y[i])
                    positives += w.IsEmpty ? 1 : double.CreateTruncating(w[i]);
            }
        }
        return positives;
    }

    private static BetaFit Fit(FeatureSource source, int segments, double totalWeight, double positives, Action<string>? onPass)
    {
        // Start at the identity map (a = b = 1, c = 0: p = s), which is near the optimum for scores that are
        // roughly calibrated already, so Newton needs few steps.
        var both = Logistic(source, segments, Features.Both, L2, [1.0, 1.0, 0.0], onPass);
        if (both.Theta[0] >= 0 && both.Theta[1] >= 0)
            return new BetaFit(both.Theta[0], both.Theta[1], both.Theta[2], false, false, both.Converged);

        bool dropA = both.Theta[0] < 0; // betacal checks a first
        double baseRate = Math.Log(positives / (totalWeight - positives));
        var refit = Logistic(source, segments, dropA ? Features.OneMinus : Features.LogS, L2, [0.0, baseRate], onPass);
        if (refit.Theta[0] < 0)
        {
            var constant = Logistic(source, segments, Features.None, 0, [baseRate], onPass);
            return new BetaFit(0, 0, constant.Theta[0], true, true, constant.Converged);
        }
        return dropA
            ? new BetaFit(0, refit.Theta[0], refit.Theta[1], true, false, refit.Converged)
            : new BetaFit(refit.Theta[0], 0, refit.Theta[1], false, true, refit.Converged);
    }

    private enum Features
    {
        None,
        LogS,
        OneMinus,
        Both,
    }

    private static NewtonResult Logistic(FeatureSource source, int segments, Features features, double l2, double[] start, Action<string>? onPass)
        => NewtonMinimizer.Minimize((theta, gradient, hessian) =>
        {
            onPass?.Invoke("Newton pass");
            return Evaluate(source, segments, features, l2, theta, gradient, hessian);
        }, start, 100, 1e-12);

    // sum_i w_i [softplus(t_i) - y_i t_i] + (l2 / 2) |slopes|^2, t_i = theta . [features_i, 1], with gradient and
    // Hessian, over every segment in parallel (sums added in segment order).
    private static double Evaluate(FeatureSource source, int segments, Features features, double l2, double[] theta, double[] gradient, double[] hessian)
    {
        int d = theta.Length - 1, p = theta.Length;
        int width = 1 + p + p * p;
        Array.Clear(gradient);
        Array.Clear(hessian);
        double objective = 0;
        Segments.Reduce(segments, 1, width, (first, count, partial) =>
        {
            var scratch = t_features ??= new double[2 * Segments.Rows];
            for (int s = first; s < first + count; s++)
            {
                source(s, scratch.AsSpan(0, Segments.Rows), scratch.AsSpan(Segments.Rows, Segments.Rows), out var labels, out var single, out var @double);
                Segment(scratch.AsSpan(0, labels.Length), scratch.AsSpan(Segments.Rows, labels.Length), labels, single, @double, features, theta, partial);
            }
        }, partial =>
        {
            objective += partial[0];
            for (int j = 0; j < p; j++)
                gradient[j] += partial[1 + j];
            for (int j = 0; j < p * p; j++)
                hessian[j] += partial[1 + p + j];
        });
        for (int j = 0; j < d; j++)
        {
            objective += 0.5 * l2 * theta[j] * theta[j];
            gradient[j] += l2 * theta[j];
            hessian[j * p + j] += l2;
        }
        return objective;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Segment(ReadOnlySpan<double> logS, ReadOnlySpan<double> logOneMinusS, ReadOnlySpan<bool> labels,
        ReadOnlySpan<float> single, ReadOnlySpan<double> @double, Features features, double[] theta, double[] partial)
    {
        int p = theta.Length, d = p - 1;
        Span<double> x = stackalloc double[3];
        double objective = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double w = !single.IsEmpty ? single[i] : !@double.IsEmpty ? @double[i] : 1;
            if (!(w > 0))
                continue;
            switch (features)
            {
                case Features.Both:
                    x[0] = logS[i];
                    x[1] = -logOneMinusS[i];
                    break;
                case Features.LogS:
                    x[0] = logS[i];
                    break;
                case Features.OneMinus:
                    x[0] = -logOneMinusS[i];
                    break;
            }
            x[d] = 1;
            double t = 0;
            for (int j = 0; j < p; j++)
                t += theta[j] * x[j];
            var (softplus, probability) = StableMath.SoftplusAndSigmoid(t);
            objective += w * (softplus - (labels[i] ? t : 0));
            double residual = w * (probability - (labels[i] ? 1 : 0));
            double curvature = w * probability * (1 - probability);
            for (int j = 0; j < p; j++)
            {
                partial[1 + j] += residual * x[j];
                for (int k = 0; k <= j; k++)
                    partial[1 + p + j * p + k] += curvature * x[j] * x[k];
            }
        }
        partial[0] += objective;
        // The upper triangle from the lower one (each segment's partial is symmetric on its own).
        for (int j = 0; j < p; j++)
        {
            for (int k = 0; k < j; k++)
                partial[1 + p + k * p + j] = partial[1 + p + j * p + k];
        }
    }
}
