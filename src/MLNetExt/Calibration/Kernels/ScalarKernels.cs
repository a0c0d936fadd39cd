using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetExt.Calibration.Kernels;

/// <summary>
/// The per-row sums of one segment that the bin tables do not give: log-loss, and for multiclass rows the top-label
/// view, Brier score and log-loss. The log-loss of unweighted rows is a sum of logarithms taken as the logarithm of a
/// product: four running products (row i in product i mod 4) are renormalized by their binary exponent every 16 rows
/// (each factor is at least 1e-15 &gt; 2^-50, so four factors cannot underflow) and give one logarithm per segment.
/// This is as accurate as adding the logarithms (each product rounds at 2^-53 relative) and several times faster;
/// float probabilities go eight at a time through vector registers, with the same arithmetic.
/// </summary>
internal static class ScalarKernels
{
    /// <summary>Fields of a multiclass partial: weight, correct, confidence, Brier, log-loss, rows, rows off the simplex.</summary>
    public const int MulticlassFields = 7;

    /// <summary>Multiclass field: rows whose probabilities sum further than <see cref="CalibrationEvaluator.SumTolerance"/> from 1.</summary>
    public const int OffSimplex = 6;

    /// <summary>Multiclass fields: weight, correct, confidence, Brier, log-loss, rows of weight &gt; 0.</summary>
    public const int MWeight = 0, MCorrect = 1, MConfidence = 2, MBrier = 3, MLogLoss = 4, MRows = 5;

    private const double Ln2 = 0.69314718055994530942;

    /// <summary>-sum w ln max(q, 1e-15) over a segment of binary predictions (already checked), q the probability of the label.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double BinaryLogLoss<T, TW>(ReadOnlySpan<T> probabilities, ReadOnlySpan<bool> labels, ReadOnlySpan<TW> weights)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        int n = probabilities.Length;
        if (!weights.IsEmpty)
        {
            Span<double> chains = stackalloc double[4];
            chains.Clear();
            for (int i = 0; i < n; i++)
            {
                double w = double.CreateTruncating(weights[i]);
                if (!(w > 0))
                    continue;
                double p = double.CreateTruncating(probabilities[i]);
                chains[i & 3] -= w * Math.Log(Math.Max(labels[i] ? p : 1 - p, CalibrationMetrics.LogLossEpsilon));
            }
            return ((chains[0] + chains[1]) + chains[2]) + chains[3];
        }
        var product = new LogProduct();
        int start = 0;
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
            start = product.MultiplyVector(MemoryMarshal.Cast<T, float>(probabilities), labels);
        for (int i = start; i < n; i++)
        {
            double p = double.CreateTruncating(probabilities[i]);
            product.Multiply(i, Math.Max(labels[i] ? p : 1 - p, CalibrationMetrics.LogLossEpsilon));
        }
        return -product.Logarithm();
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

    [ThreadStatic]
    private static long[]? t_counters;

    [ThreadStatic]
    private static double[]? t_sums;

    /// <summary>
    /// Per-class reliability sums of one segment (class k's bins at <c>k * BinKernels.Width(bins)</c>, in
    /// <see cref="BinKernels"/>' layout; the all-row totals of a class are not filled): P_ik against 1[y_i = k], in row
    /// order, class by class within a row. Without weights a cell is a 64-bit counter (count + 2^32 positives) and a sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Classwise<T, TW, TRule>(ReadOnlySpan<T> probabilities, int classCount, ReadOnlySpan<int> labels, ReadOnlySpan<TW> weights,
        TRule rule, int bins, double[] partial)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        where TRule : struct, IBinRule
    {
        int n = labels.Length;
        int stride = BinKernels.Width(bins);
        ref T p0 = ref MemoryMarshal.GetReference(probabilities);
        if (!weights.IsEmpty)
        {
            for (int i = 0; i < n; i++)
            {
                int label = labels[i];
                double w = double.CreateTruncating(weights[i]);
                double counted = w > 0 ? 1 : 0;
                for (int k = 0; k < classCount; k++)
                {
                    double c = double.CreateTruncating(Unsafe.Add(ref p0, i * classCount + k));
                    ref double cell = ref partial[k * stride + rule.Find(c, i) * BinKernels.Fields];
                    Unsafe.Add(ref cell, BinKernels.Count) += counted;
                    Unsafe.Add(ref cell, BinKernels.Weight) += w;
                    Unsafe.Add(ref cell, BinKernels.SumC) += w * c;
                    Unsafe.Add(ref cell, BinKernels.SumO) += k == label ? w : 0.0;
                    Unsafe.Add(ref cell, BinKernels.SumWW) += w * w;
                }
            }
            return;
        }
        int cells = classCount * bins;
        var counters = t_counters is { } c1 && c1.Length >= cells ? c1 : t_counters = new long[Math.Max(cells, 1024)];
        var sums = t_sums is { } s1 && s1.Length >= cells ? s1 : t_sums = new double[Math.Max(cells, 1024)];
        Array.Clear(counters, 0, cells);
        Array.Clear(sums, 0, cells);
        ref long k0 = ref MemoryMarshal.GetArrayDataReference(counters);
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(sums);
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            ref T row = ref Unsafe.Add(ref p0, i * classCount);
            for (int k = 0; k < classCount; k++)
            {
                double c = double.CreateTruncating(Unsafe.Add(ref row, k));
                int cell = k * bins + rule.Find(c, i);
                Unsafe.Add(ref k0, cell) += k == label ? (1L << 32) + 1 : 1;
                Unsafe.Add(ref s0, cell) += c;
            }
        }
        for (int k = 0; k < classCount; k++)
        {
            for (int b = 0; b < bins; b++)
            {
                long counter = counters[k * bins + b];
                double count = counter & 0xFFFFFFFFL;
                ref double cell = ref partial[k * stride + b * BinKernels.Fields];
                Unsafe.Add(ref cell, BinKernels.Count) += count;
                Unsafe.Add(ref cell, BinKernels.Weight) += count;
                Unsafe.Add(ref cell, BinKernels.SumC) += sums[k * bins + b];
                Unsafe.Add(ref cell, BinKernels.SumO) += counter >> 32;
                Unsafe.Add(ref cell, BinKernels.SumWW) += count;
            }
        }
    }

    /// <summary>Four products of factors in [2^-50, 1] (row i in product i mod 4), each kept as a mantissa and an exponent.</summary>
    private struct LogProduct
    {
        private Vector256<double> _mantissa;
        private Vector256<long> _exponent;
        private bool _started;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Multiply(int i, double factor)
        {
            Start();
            _mantissa = _mantissa.WithElement(i & 3, _mantissa.GetElement(i & 3) * factor);
            if ((i & 15) == 15)
                Normalize();
        }

        /// <summary>Multiplies in rows 0, 1, ... eight at a time while whole blocks remain; returns the first row left.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int MultiplyVector(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
        {
            Start();
            ref float p0 = ref MemoryMarshal.GetReference(probabilities);
            ref byte y0 = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(labels));
            var floor = Vector256.Create(CalibrationMetrics.LogLossEpsilon);
            var one = Vector256<double>.One;
            var mantissa = _mantissa;
            var exponent = _exponent;
            int i = 0;
            for (; i + 8 <= probabilities.Length; i += 8)
            {
                var (pLow, pHigh) = Vector256.Widen(Vector256.LoadUnsafe(ref p0, (nuint)i));
                var bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref y0, i))).AsByte();
                var words = Vector128.WidenLower(bytes);
                var yes = Vector256.GreaterThan(Vector256.Create(Vector128.WidenLower(words), Vector128.WidenUpper(words)).AsInt32(), Vector256<int>.Zero);
                var (yesLow, yesHigh) = Vector256.Widen(yes);
                mantissa *= Vector256.Max(Vector256.ConditionalSelect(yesLow.AsDouble(), pLow, one - pLow), floor);
                mantissa *= Vector256.Max(Vector256.ConditionalSelect(yesHigh.AsDouble(), pHigh, one - pHigh), floor);
                if ((i & 15) == 8)
                    Normalize(ref mantissa, ref exponent);
            }
            _mantissa = mantissa;
            _exponent = exponent;
            return i;
        }

        public double Logarithm()
        {
            if (!_started)
                return 0;
            Normalize();
            return Math.Log(((_mantissa[0] * _mantissa[1]) * _mantissa[2]) * _mantissa[3])
                + (((_exponent[0] + _exponent[1]) + _exponent[2]) + _exponent[3]) * Ln2;
        }

        private void Start()
        {
            if (_started)
                return;
            _mantissa = Vector256<double>.One;
            _exponent = Vector256<long>.Zero;
            _started = true;
        }

        private void Normalize() => Normalize(ref _mantissa, ref _exponent);

        // Each product = m 2^e with m in [1, 2): keep m, add e. Sixteen rows (four factors a product) stay normal.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Normalize(ref Vector256<double> mantissa, ref Vector256<long> exponent)
        {
            var bits = mantissa.AsInt64();
            exponent += ((bits >>> 52) & Vector256.Create(0x7FFL)) - Vector256.Create(1023L);
            mantissa = ((bits & Vector256.Create(0x000FFFFFFFFFFFFFL)) | Vector256.Create(0x3FF0000000000000L)).AsDouble();
        }
    }
}
