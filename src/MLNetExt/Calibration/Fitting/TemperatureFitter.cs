using System.Numerics;
using System.Runtime.CompilerServices;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Numerics;

namespace MLNetExt.Calibration.Fitting;

/// <summary>How a temperature fit ended.</summary>
internal enum TemperatureFitKind
{
    /// <summary>The log-likelihood has its maximum at a finite T &gt; 0.</summary>
    Interior,

    /// <summary>
    /// The scores separate the fit data: the log-likelihood keeps improving as T falls to 0. The T returned is the one
    /// where it stops changing in double precision (every probability 0 or 1 at the argmax).
    /// </summary>
    Separated,

    /// <summary>
    /// The log-likelihood is best at T = infinity (uniform probabilities): at 1/T = 0 its derivative is &gt;= 0, so the
    /// scores carry no information about the labels (or rank them backwards).
    /// </summary>
    NoInformation,
}

/// <summary>A fitted temperature and how the fit went.</summary>
/// <param name="Temperature">T &gt; 0; calibrated probabilities are softmax(z / T) (sigmoid(x / T) for binary).</param>
/// <param name="Kind">Whether the optimum was interior, at T -&gt; 0 or at T -&gt; infinity.</param>
/// <param name="LogLossBefore">Mean NLL of the fit data at T = 1.</param>
/// <param name="LogLossAfter">Mean NLL at the fitted T.</param>
/// <param name="Evaluations">Passes over the data.</param>
/// <param name="DerivativeAtInfinity">d NLL / d(1/T) at 1/T = 0, per unit weight (negative when the scores inform); NaN
/// when it was not needed (d NLL / d(1/T) &lt; 0 at T = 1 already implies it is negative).</param>
internal readonly record struct TemperatureFit(double Temperature, TemperatureFitKind Kind, double LogLossBefore,
    double LogLossAfter, int Evaluations, double DerivativeAtInfinity);

/// <summary>
/// Temperature scaling (Guo, Pleiss, Sun and Weinberger, ICML 2017): the T &gt; 0 that minimizes the mean negative
/// log-likelihood of the labels under softmax(z / T). In the inverse temperature b = 1 / T the objective
/// <c>f(b) = sum_i w_i [logsumexp(b z_i) - b z_{i, y_i}]</c> is convex on [0, infinity), with exact derivatives
/// <c>f'(b) = sum_i w_i (E_{q_i}[z_i] - z_{i, y_i})</c> and <c>f''(b) = sum_i w_i Var_{q_i}[z_i]</c>, q_i = softmax(b z_i).
/// The search has no bounds on T: f'(0) &lt; 0 is checked (else no finite T is best: the scores are refused; f'(1) &lt; 0
/// implies it),
/// then b is bracketed by factors of 16 from 1 (so a temperature of 1e-5 or 1e7 is found as easily as 2), and
/// safeguarded Newton steps, geometric bisection while the bracket spans more than a factor of 4, find the root of f'
/// to 1e-12 relative. Each evaluation is one parallel pass over the stored fit data (segment sums added in order:
/// the result does not depend on the thread count), and each checks for cancellation. The binary case is the same
/// with logits (0, x).
/// </summary>
internal static class TemperatureFitter
{
    private const double RelativeTolerance = 1e-12;
    private const int MaximumEvaluations = 200;

    /// <summary>Fits the temperature of multiclass rows; <paramref name="onPass"/> is called before every pass (cancellation, tracing).</summary>
    public static TemperatureFit FitMulticlass<T, TW>(ClassRows<T, TW> rows, ScoreKind kind, double floor, Action<string>? onPass = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        => Minimize(b => MulticlassPass(rows, kind, floor, b), rows.TotalWeight, onPass);

    /// <summary>Fits the temperature of binary rows (scores, label bits, weights).</summary>
    public static TemperatureFit FitBinary<T, TW>(PredictionStore<T, TW> rows, ScoreKind kind, double floor, Action<string>? onPass = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        => Minimize(b => BinaryPass(rows, kind, floor, b), rows.TotalWeight, onPass);

    /// <param name="logits">Row-major n x K logits (or log-probabilities).</param>
    /// <param name="classCount">K.</param>
    /// <param name="labels">n zero-based labels.</param>
    public static TemperatureFit FitMulticlass(double[] logits, int classCount, int[] labels)
        => FitMulticlass(ClassRowsOf(logits, classCount, labels), ScoreKind.Logit, ScoreMath.DefaultProbabilityFloor);

    /// <param name="logits">n logits x_i, P(y = 1) = sigmoid(x_i).</param>
    /// <param name="labels">n labels.</param>
    public static TemperatureFit FitBinary(double[] logits, bool[] labels)
    {
        var store = new PredictionStore<double, float>(weighted: false);
        for (int s = 0; s < Segments.Count(logits.Length); s++)
        {
            var (start, length) = Segments.Range(s, logits.Length);
            var bits = PredictionStore<double, float>.NewBits();
            for (int i = 0; i < length; i++)
            {
                if (labels[start + i])
                    bits[i >> 6] |= 1UL << i;
            }
            store.Add(logits[start..(start + length)], bits, null, length);
        }
        store.TotalWeight = store.PositiveRows = logits.Length;
        return FitBinary(store, ScoreKind.Logit, ScoreMath.DefaultProbabilityFloor);
    }

    /// <summary>Arrays as fit rows (tests and the span-level entry points).</summary>
    public static ClassRows<double, float> ClassRowsOf(double[] logits, int classCount, int[] labels)
    {
        var rows = new ClassRows<double, float>(classCount, weighted: false);
        for (int s = 0; s < Segments.Count(labels.Length); s++)
        {
            var (start, length) = Segments.Range(s, labels.Length);
            rows.Add(logits[(start * classCount)..((start + length) * classCount)], labels[start..(start + length)], null, length);
        }
        rows.TotalWeight = labels.Length;
        return rows;
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

    // The bracketed search in b = 1 / T described in the class remarks. `pass(b)` returns the total NLL and its first
    // two derivatives at b.
    private static TemperatureFit Minimize(Func<double, (double F, double G, double H)> pass, double totalWeight, Action<string>? onPass)
    {
        int evaluations = 0;
        (double F, double G, double H) Evaluate(double b)
        {
            onPass?.Invoke($"pass {evaluations + 1}: 1/T = {b:R}");
            evaluations++;
            return pass(b);
        }
        // f' is increasing (f is convex): f'(1) < 0 implies f'(0) < 0, so b = 0 is evaluated only when f'(1) >= 0.
        var atOne = Evaluate(1);
        double before = atOne.F / totalWeight;
        double slopeAtInfinity = double.NaN;
        if (!(atOne.G < 0))
        {
            var atZero = Evaluate(0);
            slopeAtInfinity = atZero.G / totalWeight;
            if (!(atZero.G < 0))
                return new TemperatureFit(double.PositiveInfinity, TemperatureFitKind.NoInformation, before, atZero.F / totalWeight, evaluations, slopeAtInfinity);
        }

        // Bracket: g(lo) < 0 < g(hi). b = 0 has g < 0; look up or down from b = 1 by factors of 16.
        double lo, hi, x = 1;
        var current = atOne;
        if (atOne.G < 0)
        {
            lo = 1;
            while (true)
            {
                double next = x * 16;
                var at = Evaluate(next);
                if (at.G == 0 || (at.G < 0 && next > 1e300))
                {
                    // The gradient vanished in double precision before turning positive: every row's probability of
                    // its label is 1 (or as close as a double holds). No finite T is optimal; this one is where the
                    // likelihood stops changing.
                    return Result(next, at, before, evaluations, slopeAtInfinity, totalWeight, separated: true);
                }
                x = next;
                current = at;
                if (at.G > 0)
                {
                    hi = next;
                    break;
                }
                lo = next;
            }
        }
        else if (atOne.G > 0)
        {
            hi = 1;
            while (true)
            {
                double next = x / 16;
                var at = Evaluate(next);
                x = next;
                current = at;
                if (at.G == 0)
                    return Result(next, at, before, evaluations, slopeAtInfinity, totalWeight, separated: false);
                if (at.G < 0 || next < 1e-300)
                {
                    lo = next;
                    break;
                }
                hi = next;
            }
        }
        else
        {
            return Result(1, atOne, before, evaluations, slopeAtInfinity, totalWeight, separated: false);
        }

        // Safeguarded Newton on g in [lo, hi], from the end just evaluated.
        while (evaluations < MaximumEvaluations)
        {
            double next = x - current.G / current.H;
            if (!(current.H > 0) || !(next > lo && next < hi))
                next = lo > 0 && hi > 4 * lo ? Math.Sqrt(lo * hi) : 0.5 * (lo + hi);
            bool converged = Math.Abs(next - x) <= RelativeTolerance * x || hi - lo <= RelativeTolerance * x;
            var at = Evaluate(next);
            x = next;
            current = at;
            if (at.G == 0 || converged)
                break;
            if (at.G < 0)
                lo = next;
            else
                hi = next;
        }
        return Result(x, current, before, evaluations, slopeAtInfinity, totalWeight, separated: false);
    }

    private static TemperatureFit Result(double b, (double F, double G, double H) at, double before, int evaluations, double slope,
        double totalWeight, bool separated)
        => new(1 / b, separated ? TemperatureFitKind.Separated : TemperatureFitKind.Interior, before, at.F / totalWeight, evaluations, slope);

    // Total NLL, gradient and Hessian in b over the multiclass rows, in parallel by segments (added in order).
    private static (double, double, double) MulticlassPass<T, TW>(ClassRows<T, TW> rows, ScoreKind kind, double floor, double b)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        double f = 0, g = 0, h = 0;
        Segments.Reduce(rows.SegmentCount, 1, 3, (first, count, partial) =>
        {
            for (int s = first; s < first + count; s++)
            {
                if (rows.ByteLabels)
                    MulticlassSegment(rows.Scores(s), rows.LabelBytes(s), rows.Weights(s), rows.ClassCount, kind, floor, b, partial);
                else
                    MulticlassSegment(rows.Scores(s), rows.LabelInts(s), rows.Weights(s), rows.ClassCount, kind, floor, b, partial);
            }
        }, partial =>
        {
            f += partial[0];
            g += partial[1];
            h += partial[2];
        });
        return (f, g, h);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls, each a full pass over the data
    private static void MulticlassSegment<T, TL, TW>(ReadOnlySpan<T> scores, ReadOnlySpan<TL> labels, ReadOnlySpan<TW> weights, int k,
        ScoreKind kind, double floor, double b, double[] partial)
        where T : unmanaged, INumber<T>
        where TL : unmanaged, IBinaryInteger<TL>
        where TW : unmanaged, INumberBase<TW>
    {
        Span<double> z = k <= 512 ? stackalloc double[k] : new double[k];
        Span<double> e = k <= 512 ? stackalloc double[k] : new double[k];
        double f = 0, g = 0, h = 0;
        bool logits = kind == ScoreKind.Logit;
        for (int i = 0; i < labels.Length; i++)
        {
            double w = weights.IsEmpty ? 1 : double.CreateTruncating(weights[i]);
            if (!(w > 0))
                continue;
            var row = scores.Slice(i * k, k);
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                double v = double.CreateTruncating(row[c]);
                z[c] = logits ? v : Math.Log(Math.Max(v, floor));
                max = Math.Max(max, b * z[c]);
            }
            double sum = 0, mean = 0;
            for (int c = 0; c < k; c++)
            {
                double ec = Math.Exp(b * z[c] - max);
                e[c] = ec;
                sum += ec;
                mean += ec * z[c];
            }
            mean /= sum;
            double variance = 0;
            for (int c = 0; c < k; c++)
            {
                double d = z[c] - mean;
                variance += e[c] * d * d;
            }
            double label = z[int.CreateTruncating(labels[i])];
            f += w * (max + Math.Log(sum) - b * label);
            g += w * (mean - label);
            h += w * (variance / sum);
        }
        partial[0] += f;
        partial[1] += g;
        partial[2] += h;
    }

    private static (double, double, double) BinaryPass<T, TW>(PredictionStore<T, TW> rows, ScoreKind kind, double floor, double b)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        double f = 0, g = 0, h = 0;
        Segments.Reduce(rows.SegmentCount, 1, 3, (first, count, partial) =>
        {
            for (int s = first; s < first + count; s++)
                BinarySegment(rows.Confidences(s), rows.Outcomes(s), rows.Weights(s), kind, floor, b, partial);
        }, partial =>
        {
            f += partial[0];
            g += partial[1];
            h += partial[2];
        });
        return (f, g, h);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BinarySegment<T, TW>(ReadOnlySpan<T> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<TW> weights, ScoreKind kind,
        double floor, double b, double[] partial)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        double f = 0, g = 0, h = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            double w = weights.IsEmpty ? 1 : double.CreateTruncating(weights[i]);
            if (!(w > 0))
                continue;
            double x = ScoreMath.ToLogit(double.CreateTruncating(scores[i]), kind, floor);
            double t = b * x;
            var (softplus, p) = StableMath.SoftplusAndSigmoid(t);
            double y = labels[i] ? 1 : 0;
            f += w * (softplus - y * t);
            g += w * ((p - y) * x);
            h += w * (p * (1 - p) * x * x);
        }
        partial[0] += f;
        partial[1] += g;
        partial[2] += h;
    }
}
