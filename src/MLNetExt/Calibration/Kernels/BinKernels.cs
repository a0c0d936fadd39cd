using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetExt.Calibration.Kernels;

/// <summary>What a prediction contributes to a reliability table: its confidence and its outcome.</summary>
internal interface IOutcomeMap
{
    /// <summary>Turns (p, y) into (confidence, outcome) in place.</summary>
    bool Map(ref double c, bool y);
}

/// <summary>Positive-class reliability: confidence p, outcome y.</summary>
internal readonly struct PositiveClass : IOutcomeMap
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Map(ref double c, bool y) => y;
}

/// <summary>
/// Binary top-label: confidence max(p, 1 - p), outcome "the predicted class is the label"; p = 0.5 predicts the
/// positive class when <paramref name="positiveOnTie"/> (<see cref="BinaryTieRule"/>).
/// </summary>
internal readonly struct BinaryTopLabelMap(bool positiveOnTie) : IOutcomeMap
{
    public bool PositiveOnTie => positiveOnTie;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Map(ref double c, bool y)
    {
        double p = c;
        bool positive = positiveOnTie ? p >= 0.5 : p > 0.5;
        c = Math.Max(p, 1 - p);
        return positive == y;
    }
}

/// <summary>
/// The per-bin sums of one segment (docs: <see cref="Segments"/>). A partial holds <see cref="Fields"/> doubles per bin
/// (row count, weight, and the weighted sums of c, o and w^2) followed by <see cref="Totals"/> sums over all rows
/// (w, w c, w o, w c^2, w c o), which is all that ECE, MCE, RMSCE, the debiased error, the Brier score and its
/// decomposition, the base rate and the mean confidence need (the within-bin terms are sum c^2 - sum_b S_c^2 / n_b and
/// sum c o - sum_b S_c S_o / n_b); the totals do not depend on the bins, so the Brier score or mean confidence of one
/// table equals that of any other. Without weights, a row adds 1 + 2^32 o to one
/// 64-bit counter of its bin (count and positives, exact) and c to one double: two updates a row. Within a segment,
/// row i adds to one of four interleaved copies (i mod 4; one copy above 256 bins) and the all-row sums keep four
/// chains (i mod 4); copies and chains are added in order 0..3 at the end of the segment. Float confidences are
/// handled eight at a time in vector registers (range check, widening, the all-row sums, the bin where it is
/// computed), then the eight counter updates in row order; the arithmetic is the same as the one-row loop, so the
/// two give the same bits.
/// </summary>
internal static class BinKernels
{
    public const int Fields = 5;
    public const int Count = 0, Weight = 1, SumC = 2, SumO = 3, SumWW = 4;

    /// <summary>All-row sums after the bins: w, w c, w o, w c^2, w c o.</summary>
    public const int Totals = 5;
    public const int TotalW = 0, TotalC = 1, TotalO = 2, TotalCC = 3, TotalCO = 4;

    /// <summary>Doubles in a partial of <paramref name="bins"/> bins.</summary>
    public static int Width(int bins) => bins * Fields + Totals;

    /// <summary>The index of all-row sum <paramref name="total"/> in a partial of <paramref name="bins"/> bins.</summary>
    public static int Total(int bins, int total) => bins * Fields + total;

    /// <summary>Above this many bins one copy is kept instead of four (the copies would no longer fit a cache).</summary>
    private const int MaximumInterleavedBins = 256;

    [ThreadStatic]
    private static long[]? t_counters;

    [ThreadStatic]
    private static double[]? t_sums;

    /// <summary>Rows that are not NaN and within [0, 1] pass; the first other row is reported.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsProbability(double c) => c >= 0 && c <= 1;

    /// <summary>Throws the span functions' error for an out-of-range confidence.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowOutOfRange(string name, long index, double value)
        => throw new ArgumentOutOfRangeException(name,
            $"{name}[{index}] is {value.ToString("R", CultureInfo.InvariantCulture)}; probabilities must be in [0, 1].");

    /// <summary>Throws <paramref name="error"/>'s exception for row <paramref name="index"/>, or the span functions' one.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowOutOfRange(Func<long, double, Exception>? error, string name, long index, double value)
    {
        if (error is not null)
            throw error(index, value);
        ThrowOutOfRange(name, index, value);
    }

    /// <summary>
    /// Adds one segment to <paramref name="partial"/> (<see cref="Width"/> doubles). <paramref name="weights"/> is empty
    /// when unweighted. Confidences are checked: NaN or outside [0, 1] throws <paramref name="error"/>'s exception for
    /// the row (<paramref name="offset"/> + i), or names <paramref name="name"/>[row]; weights are not checked.
    /// </summary>
    public static void Accumulate<T, TW, TRule, TMap>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, ReadOnlySpan<TW> weights,
        TRule rule, TMap map, int bins, double[] partial, long offset, string name, Func<long, double, Exception>? error = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        where TRule : struct, IBinRule
        where TMap : struct, IOutcomeMap
    {
        if (!weights.IsEmpty)
            AccumulateWeighted(confidences, outcomes, weights, rule, map, bins, partial, offset, name, error);
        else
            AccumulateUnweighted(confidences, outcomes, rule, map, bins, partial, offset, name, error);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateUnweighted<T, TRule, TMap>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes,
        TRule rule, TMap map, int bins, double[] partial, long offset, string name, Func<long, double, Exception>? error)
        where T : unmanaged, INumber<T>
        where TRule : struct, IBinRule
        where TMap : struct, IOutcomeMap
    {
        int n = confidences.Length;
        int copies = bins <= MaximumInterleavedBins ? 4 : 1;
        int mask = copies - 1;
        var counters = t_counters is { } c1 && c1.Length >= copies * bins ? c1 : t_counters = new long[Math.Max(copies * bins, 4 * 64)];
        var sums = t_sums is { } s1 && s1.Length >= copies * bins ? s1 : t_sums = new double[Math.Max(copies * bins, 4 * 64)];
        Array.Clear(counters, 0, copies * bins);
        Array.Clear(sums, 0, copies * bins);
        ref long k0 = ref MemoryMarshal.GetArrayDataReference(counters);
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(sums);
        ref T c0 = ref MemoryMarshal.GetReference(confidences);
        ref byte o0 = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(outcomes));
        Span<double> values = stackalloc double[4];
        Span<double> squares = stackalloc double[4];
        Span<double> products = stackalloc double[4];
        values.Clear();
        squares.Clear();
        products.Clear();
        int i = 0;
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated && copies == 4)
            i = AccumulateVector(MemoryMarshal.Cast<T, float>(confidences), outcomes, rule, map, bins, counters, sums, values, squares, products);
        for (; i < n; i++)
        {
            double c = double.CreateTruncating(Unsafe.Add(ref c0, i));
            if (!IsProbability(c))
                ThrowOutOfRange(error, name, offset + i, c);
            bool y = map.Map(ref c, Unsafe.Add(ref o0, i) != 0);
            int cell = (i & mask) * bins + rule.Find(c, i);
            Unsafe.Add(ref k0, cell) += y ? (1L << 32) + 1 : 1;
            Unsafe.Add(ref s0, cell) += c;
            values[i & 3] += c;
            squares[i & 3] += c * c;
            products[i & 3] += y ? c : 0.0;
        }
        long allPositives = 0;
        for (int b = 0; b < bins; b++)
        {
            long counter = 0;
            double sum = 0;
            for (int k = 0; k < copies; k++)
            {
                counter += counters[k * bins + b];
                sum += sums[k * bins + b];
            }
            double count = (double)(counter & 0xFFFFFFFFL), positives = (double)(counter >> 32);
            allPositives += counter >> 32;
            ref double cell = ref partial[b * Fields];
            Unsafe.Add(ref cell, Count) += count;
            Unsafe.Add(ref cell, Weight) += count;
            Unsafe.Add(ref cell, SumC) += sum;
            Unsafe.Add(ref cell, SumO) += positives;
            Unsafe.Add(ref cell, SumWW) += count;
        }
        partial[Total(bins, TotalW)] += n;
        partial[Total(bins, TotalC)] += ((values[0] + values[1]) + values[2]) + values[3];
        partial[Total(bins, TotalO)] += allPositives;
        partial[Total(bins, TotalCC)] += ((squares[0] + squares[1]) + squares[2]) + squares[3];
        partial[Total(bins, TotalCO)] += ((products[0] + products[1]) + products[2]) + products[3];
    }

    // Eight float rows at a time: checked, widened, mapped and (for computed equal-width rules) binned in vector
    // registers; the eight counter updates in row order. Returns the first row not handled (the scalar loop reports a
    // bad value there). Copies are 4, so row i + u goes to copy u mod 4 as in the one-row loop, and the all-row sums
    // add lane j the rows i + j, then i + 4 + j: chain j in row order, as the one-row loop adds it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AccumulateVector<TRule, TMap>(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> outcomes, TRule rule, TMap map,
        int bins, long[] counters, double[] sums, Span<double> values, Span<double> squares, Span<double> products)
        where TRule : struct, IBinRule
        where TMap : struct, IOutcomeMap
    {
        bool computedBins = typeof(TMap) == typeof(PositiveClass)
            && (typeof(TRule) == typeof(LeftWidthComputed) || typeof(TRule) == typeof(SeparateOne<LeftWidthComputed>));
        bool separate = typeof(TRule) == typeof(SeparateOne<LeftWidthComputed>);
        bool topLabel = typeof(TMap) == typeof(BinaryTopLabelMap);
        // Where the bin of a float is not exact by arithmetic (top-label confidences are doubles, 1 - p), equal-width
        // bins take the guess min(floor(c M), M - 1) from the vector and a one-step correction against the stored edges.
        bool guessedBins = typeof(TRule) == typeof(LeftWidthCorrected) || typeof(TRule) == typeof(RightWidthCorrected)
            || typeof(TRule) == typeof(SeparateOne<LeftWidthCorrected>);
        bool separateGuess = typeof(TRule) == typeof(SeparateOne<LeftWidthCorrected>);
        bool positiveOnTie = topLabel && Unsafe.As<TMap, BinaryTopLabelMap>(ref map).PositiveOnTie;
        int m = separate || separateGuess ? bins - 1 : bins;
        int n = confidences.Length;
        ref float c0 = ref MemoryMarshal.GetReference(confidences);
        ref byte o0 = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(outcomes));
        ref long k0 = ref MemoryMarshal.GetArrayDataReference(counters);
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(sums);
        Span<double> value = stackalloc double[8];
        Span<int> outcome = stackalloc int[8];
        Span<int> bin = stackalloc int[8];
        ref double value0 = ref MemoryMarshal.GetReference(value);
        ref int outcome0 = ref MemoryMarshal.GetReference(outcome);
        ref int bin0 = ref MemoryMarshal.GetReference(bin);
        var scale = Vector256.Create((double)m);
        var magic = Vector256.Create(4503599627370496.0); // 2^52: adds an integer below 2^31 into the low mantissa bits
        var lastBin = Vector256.Create(m - 1);
        var separateBin = Vector256.Create(m);
        var oneFloat = Vector256<float>.One;
        var one = Vector256<double>.One;
        var half = Vector256.Create(0.5f);
        var total = Vector256.Create(values[0], values[1], values[2], values[3]);
        var square = Vector256.Create(squares[0], squares[1], squares[2], squares[3]);
        var product = Vector256.Create(products[0], products[1], products[2], products[3]);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var c = Vector256.LoadUnsafe(ref c0, (nuint)i);
            var inRange = Vector256.GreaterThanOrEqual(c, Vector256<float>.Zero) & Vector256.LessThanOrEqual(c, oneFloat);
            if (inRange.AsInt32() != Vector256<int>.AllBitsSet)
                break;
            var bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref o0, i))).AsByte();
            var words = Vector128.WidenLower(bytes);
            // 1 for a true label (a bool byte other than 0 or 1 still counts as true), else 0.
            var y = Vector256.Min(Vector256.Create(Vector128.WidenLower(words), Vector128.WidenUpper(words)).AsInt32(), Vector256<int>.One);
            if (topLabel)
            {
                // Predicted positive when p > 0.5 (p >= 0.5 with the positive tie rule); the outcome is whether that is y.
                var positive = (positiveOnTie ? Vector256.GreaterThanOrEqual(c, half) : Vector256.GreaterThan(c, half)).AsInt32();
                y = Vector256.Equals(positive, Vector256<int>.Zero - y) & Vector256<int>.One;
            }
            var (cLow, cHigh) = Vector256.Widen(c);
            if (topLabel)
            {
                cLow = Vector256.Max(cLow, one - cLow);
                cHigh = Vector256.Max(cHigh, one - cHigh);
            }
            var (oLow, oHigh) = Vector256.Widen(Vector256.ConvertToSingle(y));
            total += cLow;
            total += cHigh;
            square += cLow * cLow;
            square += cHigh * cHigh;
            product += cLow * oLow;
            product += cHigh * oHigh;
            cLow.StoreUnsafe(ref value0);
            cHigh.StoreUnsafe(ref value0, 4);
            y.StoreUnsafe(ref outcome0);
            if (computedBins || guessedBins)
            {
                var low = Vector256.Floor(cLow * scale) + magic;
                var high = Vector256.Floor(cHigh * scale) + magic;
                var b = Vector256.Min(Vector256.Narrow(low.AsInt64(), high.AsInt64()), lastBin);
                if (separate)
                    b = Vector256.ConditionalSelect(Vector256.Equals(c, oneFloat).AsInt32(), separateBin, b);
                b.StoreUnsafe(ref bin0);
            }
            for (int u = 0; u < 8; u++)
            {
                double v = Unsafe.Add(ref value0, u);
                int b;
                if (computedBins)
                    b = Unsafe.Add(ref bin0, u);
                else if (typeof(TRule) == typeof(LeftWidthCorrected))
                    b = Unsafe.As<TRule, LeftWidthCorrected>(ref rule).FromGuess(v, Unsafe.Add(ref bin0, u));
                else if (typeof(TRule) == typeof(RightWidthCorrected))
                    b = Unsafe.As<TRule, RightWidthCorrected>(ref rule).FromGuess(v, Unsafe.Add(ref bin0, u));
                else if (separateGuess)
                    b = v == 1.0 ? m : Unsafe.As<TRule, SeparateOne<LeftWidthCorrected>>(ref rule).Inner.FromGuess(v, Unsafe.Add(ref bin0, u));
                else
                    b = rule.Find(v, i + u);
                int cell = (u & 3) * bins + b;
                Unsafe.Add(ref k0, cell) += ((long)Unsafe.Add(ref outcome0, u) << 32) + 1;
                Unsafe.Add(ref s0, cell) += v;
            }
        }
        for (int j = 0; j < 4; j++)
        {
            values[j] = total[j];
            squares[j] = square[j];
            products[j] = product[j];
        }
        return i;
    }

    /// <summary>With weights: fields count (rows of weight &gt; 0), w, w c, w o, w^2; all-row w c^2, w c o.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateWeighted<T, TW, TRule, TMap>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, ReadOnlySpan<TW> weights,
        TRule rule, TMap map, int bins, double[] partial, long offset, string name, Func<long, double, Exception>? error)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        where TRule : struct, IBinRule
        where TMap : struct, IOutcomeMap
    {
        int n = confidences.Length;
        int copies = bins <= MaximumInterleavedBins ? 4 : 1;
        int mask = copies - 1;
        int stride = bins * Fields;
        var sums = t_sums is { } s1 && s1.Length >= copies * stride ? s1 : t_sums = new double[Math.Max(copies * stride, 4 * 64 * Fields)];
        Array.Clear(sums, 0, copies * stride);
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(sums);
        Span<double> chains = stackalloc double[4 * Totals];
        chains.Clear();
        for (int i = 0; i < n; i++)
        {
            double c = double.CreateTruncating(confidences[i]);
            if (!IsProbability(c))
                ThrowOutOfRange(error, name, offset + i, c);
            bool y = map.Map(ref c, outcomes[i]);
            double w = double.CreateTruncating(weights[i]);
            double wc = w * c;
            ref double cell = ref Unsafe.Add(ref s0, ((i & mask) * bins + rule.Find(c, i)) * Fields);
            Unsafe.Add(ref cell, Count) += w > 0 ? 1 : 0;
            Unsafe.Add(ref cell, Weight) += w;
            Unsafe.Add(ref cell, SumC) += wc;
            Unsafe.Add(ref cell, SumO) += y ? w : 0.0;
            Unsafe.Add(ref cell, SumWW) += w * w;
            var chain = chains.Slice((i & 3) * Totals, Totals);
            chain[TotalW] += w;
            chain[TotalC] += wc;
            chain[TotalO] += y ? w : 0.0;
            chain[TotalCC] += wc * c;
            chain[TotalCO] += y ? wc : 0.0;
        }
        for (int k = 0; k < stride; k++)
        {
            double sum = 0;
            for (int copy = 0; copy < copies; copy++)
                sum += sums[copy * stride + k];
            partial[k] += sum;
        }
        for (int t = 0; t < Totals; t++)
            partial[Total(bins, t)] += ((chains[t] + chains[Totals + t]) + chains[2 * Totals + t]) + chains[3 * Totals + t];
    }
}

/// <summary>Runs the bin kernels with the rule struct of a binning (one switch per segment, not per row).</summary>
internal static class BinDispatch
{
    /// <summary><see cref="BinKernels.Accumulate"/> with <paramref name="binning"/>'s rule, or the bins in <paramref name="assigned"/>.</summary>
    public static void Accumulate<T, TW, TMap>(CalibrationBinning binning, ReadOnlySpan<T> c, ReadOnlySpan<bool> o, ReadOnlySpan<TW> w,
        TMap map, double[] partial, long offset, string name, int[]? assigned = null, Func<long, double, Exception>? error = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        where TMap : struct, IOutcomeMap
    {
        int bins = binning.Count;
        if (assigned is not null)
        {
            BinKernels.Accumulate(c, o, w, new Assigned(assigned), map, bins, partial, offset, name, error);
            return;
        }
        bool floatInput = typeof(T) == typeof(float) && typeof(TMap) == typeof(PositiveClass);
        switch (binning.RuleKind(floatInput))
        {
            case BinRuleKind.BucketLeft:
                BinKernels.Accumulate(c, o, w, BinRules.BucketLeft(binning), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.BucketRight:
                BinKernels.Accumulate(c, o, w, BinRules.BucketRight(binning), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.LeftComputed:
                BinKernels.Accumulate(c, o, w, BinRules.LeftComputed(binning), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.RightComputed:
                BinKernels.Accumulate(c, o, w, BinRules.RightComputed(binning), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.SeparateOneComputed:
                BinKernels.Accumulate(c, o, w, BinRules.SeparateOne(binning, BinRules.LeftComputed(binning)), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.LeftCorrected:
                BinKernels.Accumulate(c, o, w, BinRules.LeftCorrected(binning), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.RightCorrected:
                BinKernels.Accumulate(c, o, w, BinRules.RightCorrected(binning), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.SeparateOneCorrected:
                BinKernels.Accumulate(c, o, w, BinRules.SeparateOne(binning, BinRules.LeftCorrected(binning)), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.LeftSearch:
                BinKernels.Accumulate(c, o, w, BinRules.LeftSearch(binning), map, bins, partial, offset, name, error);
                break;
            case BinRuleKind.RightSearch:
                BinKernels.Accumulate(c, o, w, BinRules.RightSearch(binning), map, bins, partial, offset, name, error);
                break;
            default:
                BinKernels.Accumulate(c, o, w, BinRules.SeparateOne(binning, BinRules.LeftSearch(binning)), map, bins, partial, offset, name, error);
                break;
        }
    }

    /// <summary><see cref="ScalarKernels.Classwise"/> with <paramref name="binning"/>'s rule.</summary>
    public static void Classwise<T, TW>(CalibrationBinning binning, ReadOnlySpan<T> probabilities, int classCount, ReadOnlySpan<int> labels,
        ReadOnlySpan<TW> weights, double[] partial)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        int bins = binning.Count;
        switch (binning.RuleKind(typeof(T) == typeof(float)))
        {
            case BinRuleKind.BucketLeft:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.BucketLeft(binning), bins, partial);
                break;
            case BinRuleKind.BucketRight:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.BucketRight(binning), bins, partial);
                break;
            case BinRuleKind.LeftComputed:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.LeftComputed(binning), bins, partial);
                break;
            case BinRuleKind.RightComputed:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.RightComputed(binning), bins, partial);
                break;
            case BinRuleKind.SeparateOneComputed:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.SeparateOne(binning, BinRules.LeftComputed(binning)), bins, partial);
                break;
            case BinRuleKind.LeftCorrected:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.LeftCorrected(binning), bins, partial);
                break;
            case BinRuleKind.RightCorrected:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.RightCorrected(binning), bins, partial);
                break;
            case BinRuleKind.SeparateOneCorrected:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.SeparateOne(binning, BinRules.LeftCorrected(binning)), bins, partial);
                break;
            case BinRuleKind.LeftSearch:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.LeftSearch(binning), bins, partial);
                break;
            case BinRuleKind.RightSearch:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.RightSearch(binning), bins, partial);
                break;
            default:
                ScalarKernels.Classwise(probabilities, classCount, labels, weights, BinRules.SeparateOne(binning, BinRules.LeftSearch(binning)), bins, partial);
                break;
        }
    }
}
