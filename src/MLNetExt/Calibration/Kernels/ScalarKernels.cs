using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MLNetExt.Calibration.Kernels;

/// <summary>
/// The per-row sums of one segment that are not binned (Brier score, log-loss, accuracy and mean confidence for the
/// Balance score, base rate), in row order. The log-loss of unweighted rows is a sum of logarithms taken as the
/// logarithm of a product: the running product is renormalized by its binary
/// exponent every 16 rows (each factor is at least 1e-15 &gt; 2^-50, so 16 factors cannot underflow) and give one
/// logarithm per segment; this is as accurate as adding the logarithms (each product rounds at 2^-53 relative) and
/// several times faster.
/// </summary>
internal static class ScalarKernels
{
    /// <summary>Fields of a binary partial.</summary>
    public const int BinaryFields = 8;

    /// <summary>Binary fields: weight, w y, w p, w (p - y)^2, w [predicted = y], w max(p, 1 - p), -w ln q, rows of weight &gt; 0.</summary>
    public const int Weight = 0, SumY = 1, SumP = 2, Brier = 3, Correct = 4, Confidence = 5, LogLoss = 6, Rows = 7;

    /// <summary>Fields of a multiclass partial: weight, correct, confidence, Brier, log-loss, rows, rows off the simplex.</summary>
    public const int MulticlassFields = 7;

    /// <summary>Multiclass field: rows whose probabilities sum further than <see cref="CalibrationEvaluator.SumTolerance"/> from 1.</summary>
    public const int OffSimplex = 6;

    /// <summary>Multiclass fields: the binary layout's weight, correct, confidence, Brier, log-loss and rows, renumbered.</summary>
    public const int MWeight = 0, MCorrect = 1, MConfidence = 2, MBrier = 3, MLogLoss = 4, MRows = 5;

    private const double Ln2 = 0.69314718055994530942;

    /// <summary>Adds one segment of binary predictions (already checked) to <paramref name="partial"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Binary<T, TW>(ReadOnlySpan<T> probabilities, ReadOnlySpan<bool> labels, ReadOnlySpan<TW> weights,
        bool positiveOnTie, double[] partial)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        int n = probabilities.Length;
        ref T p0 = ref MemoryMarshal.GetReference(probabilities);
        ref byte y0 = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(labels));
        double weight = 0, sumY = 0, sumP = 0, brier = 0, correct = 0, confidence = 0, logLoss = 0, rows = 0;
        if (weights.IsEmpty)
        {
            var product = new LogProduct();
            for (int i = 0; i < n; i++)
            {
                double p = double.CreateTruncating(Unsafe.Add(ref p0, i));
                bool y = Unsafe.Add(ref y0, i) != 0;
                double o = y ? 1.0 : 0.0;
                double d = p - o;
                sumY += o;
                sumP += p;
                brier += d * d;
                bool positive = positiveOnTie ? p >= 0.5 : p > 0.5;
                correct += positive == y ? 1.0 : 0.0;
                confidence += Math.Max(p, 1 - p);
                product.Multiply(i, Math.Max(y ? p : 1 - p, CalibrationMetrics.LogLossEpsilon));
            }
            weight = rows = n;
            logLoss = -product.Logarithm();
        }
        else
        {
            ref TW w0 = ref MemoryMarshal.GetReference(weights);
            for (int i = 0; i < n; i++)
            {
                double w = double.CreateTruncating(Unsafe.Add(ref w0, i));
                double p = double.CreateTruncating(Unsafe.Add(ref p0, i));
                bool y = Unsafe.Add(ref y0, i) != 0;
                double o = y ? 1.0 : 0.0;
                double d = p - o;
                weight += w;
                rows += w > 0 ? 1 : 0;
                sumY += w * o;
                sumP += w * p;
                brier += w * (d * d);
                bool positive = positiveOnTie ? p >= 0.5 : p > 0.5;
                correct += positive == y ? w : 0.0;
                confidence += w * Math.Max(p, 1 - p);
                if (w > 0)
                    logLoss -= w * Math.Log(Math.Max(y ? p : 1 - p, CalibrationMetrics.LogLossEpsilon));
            }
        }
        partial[Weight] += weight;
        partial[SumY] += sumY;
        partial[SumP] += sumP;
        partial[Brier] += brier;
        partial[Correct] += correct;
        partial[Confidence] += confidence;
        partial[LogLoss] += logLoss;
        partial[Rows] += rows;
    }

    /// <summary>
    /// Adds one segment of multiclass rows (n x K, already checked) to <paramref name="partial"/>, and writes each row's
    /// top-label confidence (the largest probability; ties go to the lowest class, as numpy's argmax and ML.NET's
    /// PredictedLabel) and whether its class is the label.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiclass<T, TW>(ReadOnlySpan<T> probabilities, int classCount, ReadOnlySpan<int> labels, ReadOnlySpan<TW> weights,
        Span<T> topConfidence, Span<bool> topCorrect, double[] partial)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        int n = labels.Length;
        bool weighted = !weights.IsEmpty;
        double weight = 0, correct = 0, confidence = 0, brier = 0, logLoss = 0, rows = 0, offSimplex = 0;
        var product = new LogProduct();
        for (int i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * classCount, classCount);
            int label = labels[i];
            int best = 0;
            T max = row[0];
            double sum = 0, squares = 0;
            for (int k = 0; k < row.Length; k++)
            {
                T value = row[k];
                if (value > max)
                {
                    max = value;
                    best = k;
                }
                double p = double.CreateTruncating(value);
                double d = k == label ? p - 1 : p;
                squares += d * d;
                sum += p;
            }
            topConfidence[i] = max;
            topCorrect[i] = best == label;
            offSimplex += Math.Abs(sum - 1) > CalibrationEvaluator.SumTolerance ? 1 : 0;
            double q = Math.Max(double.CreateTruncating(row[label]), CalibrationMetrics.LogLossEpsilon);
            if (weighted)
            {
                double w = double.CreateTruncating(weights[i]);
                weight += w;
                rows += w > 0 ? 1 : 0;
                correct += best == label ? w : 0;
                confidence += w * double.CreateTruncating(max);
                brier += w * squares;
                if (w > 0)
                    logLoss -= w * Math.Log(q);
            }
            else
            {
                correct += best == label ? 1 : 0;
                confidence += double.CreateTruncating(max);
                brier += squares;
                product.Multiply(i, q);
            }
        }
        if (!weighted)
        {
            weight = rows = n;
            logLoss = -product.Logarithm();
        }
        partial[MWeight] += weight;
        partial[MCorrect] += correct;
        partial[MConfidence] += confidence;
        partial[MBrier] += brier;
        partial[MLogLoss] += logLoss;
        partial[MRows] += rows;
        partial[OffSimplex] += offSimplex;
    }

    /// <summary>
    /// Per-class reliability sums of one segment (<see cref="BinKernels"/>' fields, class k's bins at
    /// <c>k * bins</c>): P_ik against 1[y_i = k], in row order, class by class within a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Classwise<T, TW, TRule>(ReadOnlySpan<T> probabilities, int classCount, ReadOnlySpan<int> labels, ReadOnlySpan<TW> weights,
        TRule rule, int bins, double[] partial)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        where TRule : struct, IBinRule
    {
        int n = labels.Length;
        bool weighted = !weights.IsEmpty;
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(partial);
        ref T p0 = ref MemoryMarshal.GetReference(probabilities);
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            double w = weighted ? double.CreateTruncating(weights[i]) : 1;
            double counted = w > 0 ? 1 : 0;
            for (int k = 0; k < classCount; k++)
            {
                double c = double.CreateTruncating(Unsafe.Add(ref p0, i * classCount + k));
                double o = k == label ? 1.0 : 0.0;
                ref double cell = ref Unsafe.Add(ref s0, (k * bins + rule.Find(c, i)) * BinKernels.Fields);
                if (weighted)
                {
                    double wc = w * c;
                    Unsafe.Add(ref cell, BinKernels.Count) += counted;
                    Unsafe.Add(ref cell, BinKernels.Weight) += w;
                    Unsafe.Add(ref cell, BinKernels.SumC) += wc;
                    Unsafe.Add(ref cell, BinKernels.SumO) += w * o;
                    Unsafe.Add(ref cell, BinKernels.SumCC) += wc * c;
                    Unsafe.Add(ref cell, BinKernels.SumCO) += wc * o;
                    Unsafe.Add(ref cell, BinKernels.SumWW) += w * w;
                    Unsafe.Add(ref cell, BinKernels.Residual) += w * (o - c);
                }
                else
                {
                    Unsafe.Add(ref cell, BinKernels.Count) += 1;
                    Unsafe.Add(ref cell, BinKernels.Weight) += 1;
                    Unsafe.Add(ref cell, BinKernels.SumC) += c;
                    Unsafe.Add(ref cell, BinKernels.SumO) += o;
                    Unsafe.Add(ref cell, BinKernels.SumCC) += c * c;
                    Unsafe.Add(ref cell, BinKernels.SumCO) += c * o;
                    Unsafe.Add(ref cell, BinKernels.SumWW) += 1;
                    Unsafe.Add(ref cell, BinKernels.Residual) += o - c;
                }
            }
        }
    }

    /// <summary>A product of factors in [2^-50, 1] kept as a mantissa and an exponent (see the class remarks).</summary>
    private struct LogProduct
    {
        private double _mantissa;
        private long _exponent;
        private bool _started;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Multiply(int i, double factor)
        {
            if (!_started)
            {
                _mantissa = 1;
                _started = true;
            }
            _mantissa *= factor;
            if ((i & 15) == 15)
                Normalize();
        }

        public double Logarithm()
        {
            if (!_started)
                return 0;
            Normalize();
            return Math.Log(_mantissa) + _exponent * Ln2;
        }

        // _mantissa = m 2^e with m in [1, 2): keep m, add e. 16 factors of at least 2^-50 keep it a normal double.
        private void Normalize()
        {
            long bits = BitConverter.DoubleToInt64Bits(_mantissa);
            _exponent += ((bits >> 52) & 0x7FF) - 1023;
            _mantissa = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        }
    }
}
