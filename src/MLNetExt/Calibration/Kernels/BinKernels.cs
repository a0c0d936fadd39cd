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
/// The per-bin sums of one segment (docs: <see cref="Segments"/>). A partial holds <see cref="Fields"/> doubles per
/// bin: row count, weight, and the weighted sums of c, o, c^2, c o, w^2 and o - c (the residual, from which ECE,
/// MCE and RMSCE are taken so that they do not suffer the cancellation of sum o - sum c). Within a segment, row i
/// adds to one of four interleaved copies (i mod 4; one copy above 256 bins), which are added in order 0..3 at the
/// end: four independent chains hide the latency of repeated updates of one bin.
/// </summary>
internal static class BinKernels
{
    public const int Fields = 8;
    public const int Count = 0, Weight = 1, SumC = 2, SumO = 3, SumCC = 4, SumCO = 5, SumWW = 6, Residual = 7;

    /// <summary>Above this many bins one copy is kept instead of four (the copies would no longer fit a cache).</summary>
    private const int MaximumInterleavedBins = 256;

    [ThreadStatic]
    private static double[]? t_scratch;

    /// <summary>Rows that are not NaN and within [0, 1] pass; the first other row is reported.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsProbability(double c) => c >= 0 && c <= 1;

    /// <summary>Throws the span functions' error for an out-of-range confidence.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowOutOfRange(string name, long index, double value)
        => throw new ArgumentOutOfRangeException(name,
            $"{name}[{index}] is {value.ToString("R", CultureInfo.InvariantCulture)}; probabilities must be in [0, 1].");

    /// <summary>
    /// Adds one segment to <paramref name="partial"/> (bins x <see cref="Fields"/>, zeroed). <paramref name="weights"/>
    /// is empty when unweighted (each row weighs 1; the weight fields then equal the count). Confidences are checked
    /// (NaN or outside [0, 1] throws, naming <paramref name="name"/>[<paramref name="offset"/> + i]); weights are not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate<T, TW, TRule, TMap>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, ReadOnlySpan<TW> weights,
        TRule rule, TMap map, int bins, double[] partial, long offset, string name)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        where TRule : struct, IBinRule
        where TMap : struct, IOutcomeMap
    {
        int n = confidences.Length;
        int copies = bins <= MaximumInterleavedBins ? 4 : 1;
        int stride = bins * Fields;
        double[] sums;
        if (copies == 1)
        {
            sums = partial;
        }
        else
        {
            sums = t_scratch is { } cached && cached.Length >= copies * stride ? cached : t_scratch = new double[Math.Max(copies * stride, 4 * 64 * Fields)];
            Array.Clear(sums, 0, copies * stride);
        }
        ref T c0 = ref MemoryMarshal.GetReference(confidences);
        ref bool o0 = ref MemoryMarshal.GetReference(outcomes);
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(sums);
        bool weighted = !weights.IsEmpty;
        ref TW w0 = ref MemoryMarshal.GetReference(weights);
        for (int i = 0; i < n; i++)
        {
            double c = double.CreateTruncating(Unsafe.Add(ref c0, i));
            if (!IsProbability(c))
                ThrowOutOfRange(name, offset + i, c);
            bool y = map.Map(ref c, Unsafe.Add(ref o0, i));
            double o = y ? 1.0 : 0.0;
            int b = rule.Find(c, i);
            ref double cell = ref Unsafe.Add(ref s0, ((i & (copies - 1)) * bins + b) * Fields);
            if (weighted)
            {
                double w = double.CreateTruncating(Unsafe.Add(ref w0, i));
                double wc = w * c;
                Unsafe.Add(ref cell, Count) += 1;
                Unsafe.Add(ref cell, Weight) += w;
                Unsafe.Add(ref cell, SumC) += wc;
                Unsafe.Add(ref cell, SumO) += w * o;
                Unsafe.Add(ref cell, SumCC) += wc * c;
                Unsafe.Add(ref cell, SumCO) += wc * o;
                Unsafe.Add(ref cell, SumWW) += w * w;
                Unsafe.Add(ref cell, Residual) += w * (o - c);
            }
            else
            {
                Unsafe.Add(ref cell, Count) += 1;
                Unsafe.Add(ref cell, SumC) += c;
                Unsafe.Add(ref cell, SumO) += o;
                Unsafe.Add(ref cell, SumCC) += c * c;
                Unsafe.Add(ref cell, SumCO) += c * o;
                Unsafe.Add(ref cell, Residual) += o - c;
            }
        }
        if (copies > 1)
        {
            for (int k = 0; k < stride; k++)
                partial[k] += ((sums[k] + sums[stride + k]) + sums[2 * stride + k]) + sums[3 * stride + k];
        }
        if (!weighted)
        {
            for (int b = 0; b < bins; b++)
            {
                partial[b * Fields + Weight] = partial[b * Fields + Count];
                partial[b * Fields + SumWW] = partial[b * Fields + Count];
            }
        }
    }

    /// <summary>
    /// ECE's only sum: the residual sum_i (o_i - c_i) per bin (<paramref name="partial"/> holds bins doubles, zeroed), in
    /// the same order as <see cref="Accumulate"/> computes its residual field, so the two give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateResidual<T, TRule>(ReadOnlySpan<T> confidences, ReadOnlySpan<bool> outcomes, TRule rule, int bins,
        double[] partial, long offset, string name)
        where T : unmanaged, INumber<T>
        where TRule : struct, IBinRule
    {
        int n = confidences.Length;
        int copies = bins <= MaximumInterleavedBins ? 4 : 1;
        double[] sums;
        if (copies == 1)
        {
            sums = partial;
        }
        else
        {
            sums = t_scratch is { } cached && cached.Length >= copies * bins ? cached : t_scratch = new double[Math.Max(copies * bins, 4 * 64 * Fields)];
            Array.Clear(sums, 0, copies * bins);
        }
        ref T c0 = ref MemoryMarshal.GetReference(confidences);
        ref byte o0 = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(outcomes));
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(sums);
        for (int i = 0; i < n; i++)
        {
            double c = double.CreateTruncating(Unsafe.Add(ref c0, i));
            if (!IsProbability(c))
                ThrowOutOfRange(name, offset + i, c);
            double o = Unsafe.Add(ref o0, i) != 0 ? 1.0 : 0.0;
            Unsafe.Add(ref s0, (i & (copies - 1)) * bins + rule.Find(c, i)) += o - c;
        }
        if (copies > 1)
        {
            for (int b = 0; b < bins; b++)
                partial[b] += ((sums[b] + sums[bins + b]) + sums[2 * bins + b]) + sums[3 * bins + b];
        }
    }

    /// <summary>
    /// <see cref="AccumulateResidual"/> for float confidences and equal-width bins whose index is exact when computed
    /// (left-closed, or torchmetrics' separate bin of 1 when <paramref name="separateOne"/>): eight rows at a time, the
    /// range check, the index and o - c (in double) in vector registers, then the eight additions in row order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateResidualVector(ReadOnlySpan<float> confidences, ReadOnlySpan<bool> outcomes, int m, bool separateOne,
        double[] partial, long offset, string name)
    {
        int bins = separateOne ? m + 1 : m;
        if (!Vector256.IsHardwareAccelerated || bins > MaximumInterleavedBins)
        {
            if (separateOne)
                AccumulateResidual(confidences, outcomes, new SeparateOne<LeftWidthComputed>(new LeftWidthComputed(m, m - 1), m), bins, partial, offset, name);
            else
                AccumulateResidual(confidences, outcomes, new LeftWidthComputed(m, m - 1), bins, partial, offset, name);
            return;
        }
        int n = confidences.Length;
        var sums = t_scratch is { } cached && cached.Length >= 4 * bins ? cached : t_scratch = new double[Math.Max(4 * bins, 4 * 64 * Fields)];
        Array.Clear(sums, 0, 4 * bins);
        ref float c0 = ref MemoryMarshal.GetReference(confidences);
        ref byte o0 = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(outcomes));
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(sums);
        Span<int> index = stackalloc int[8];
        Span<double> residual = stackalloc double[8];
        ref int index0 = ref MemoryMarshal.GetReference(index);
        ref double residual0 = ref MemoryMarshal.GetReference(residual);
        var scale = Vector256.Create((double)m);
        var magic = Vector256.Create(4503599627370496.0); // 2^52
        var lastBin = Vector256.Create(m - 1);
        var separate = Vector256.Create(m);
        var one = Vector256<float>.One;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var c = Vector256.LoadUnsafe(ref c0, (nuint)i);
            var inRange = Vector256.GreaterThanOrEqual(c, Vector256<float>.Zero) & Vector256.LessThanOrEqual(c, one);
            if (inRange.AsInt32() != Vector256<int>.AllBitsSet)
                break; // the scalar loop below reports the row
            // The index from c * M in double (exact for a float c), floored, then moved into the low 32 bits by adding
            // 2^52 (the classic double-to-integer trick, exact for 0 <= x < 2^31).
            var (cLow, cHigh) = Vector256.Widen(c);
            var low = Vector256.Floor(cLow * scale) + magic;
            var high = Vector256.Floor(cHigh * scale) + magic;
            var bin = Vector256.Min(Vector256.Narrow(low.AsInt64(), high.AsInt64()), lastBin);
            if (separateOne)
                bin = Vector256.ConditionalSelect(Vector256.Equals(c, one).AsInt32(), separate, bin);
            bin.StoreUnsafe(ref index0);
            var bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref o0, i))).AsByte();
            var words = Vector128.WidenLower(bytes);
            var outcome = Vector256.Create(Vector128.ConvertToSingle(Vector128.WidenLower(words).AsInt32()),
                Vector128.ConvertToSingle(Vector128.WidenUpper(words).AsInt32()));
            outcome = Vector256.Min(outcome, one); // a bool byte other than 0 or 1 still counts as true
            var (oLow, oHigh) = Vector256.Widen(outcome);
            (oLow - cLow).StoreUnsafe(ref residual0);
            (oHigh - cHigh).StoreUnsafe(ref residual0, 4);
            for (int u = 0; u < 8; u++)
                Unsafe.Add(ref s0, (u & 3) * bins + Unsafe.Add(ref index0, u)) += Unsafe.Add(ref residual0, u);
        }
        for (; i < n; i++)
        {
            double c = Unsafe.Add(ref c0, i);
            if (!IsProbability(c))
                ThrowOutOfRange(name, offset + i, c);
            double o = Unsafe.Add(ref o0, i) != 0 ? 1.0 : 0.0;
            int b = separateOne && c == 1.0 ? m : Math.Min((int)(c * m), m - 1);
            Unsafe.Add(ref s0, (i & 3) * bins + b) += o - c;
        }
        for (int b = 0; b < bins; b++)
            partial[b] += ((sums[b] + sums[bins + b]) + sums[2 * bins + b]) + sums[3 * bins + b];
    }
}

/// <summary>Runs the bin kernels with the rule struct of a binning (one switch per segment, not per row).</summary>
internal static class BinDispatch
{
    /// <summary><see cref="BinKernels.Accumulate"/> with <paramref name="binning"/>'s rule, or the bins in <paramref name="assigned"/>.</summary>
    public static void Accumulate<T, TW, TMap>(CalibrationBinning binning, ReadOnlySpan<T> c, ReadOnlySpan<bool> o, ReadOnlySpan<TW> w,
        TMap map, double[] partial, long offset, string name, int[]? assigned = null)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        where TMap : struct, IOutcomeMap
    {
        int bins = binning.Count;
        if (assigned is not null)
        {
            BinKernels.Accumulate(c, o, w, new Assigned(assigned), map, bins, partial, offset, name);
            return;
        }
        bool floatInput = typeof(T) == typeof(float) && typeof(TMap) == typeof(PositiveClass);
        switch (binning.RuleKind(floatInput))
        {
            case BinRuleKind.LeftComputed:
                BinKernels.Accumulate(c, o, w, BinRules.LeftComputed(binning), map, bins, partial, offset, name);
                break;
            case BinRuleKind.RightComputed:
                BinKernels.Accumulate(c, o, w, BinRules.RightComputed(binning), map, bins, partial, offset, name);
                break;
            case BinRuleKind.SeparateOneComputed:
                BinKernels.Accumulate(c, o, w, BinRules.SeparateOne(binning, BinRules.LeftComputed(binning)), map, bins, partial, offset, name);
                break;
            case BinRuleKind.LeftCorrected:
                BinKernels.Accumulate(c, o, w, BinRules.LeftCorrected(binning), map, bins, partial, offset, name);
                break;
            case BinRuleKind.RightCorrected:
                BinKernels.Accumulate(c, o, w, BinRules.RightCorrected(binning), map, bins, partial, offset, name);
                break;
            case BinRuleKind.SeparateOneCorrected:
                BinKernels.Accumulate(c, o, w, BinRules.SeparateOne(binning, BinRules.LeftCorrected(binning)), map, bins, partial, offset, name);
                break;
            case BinRuleKind.LeftSearch:
                BinKernels.Accumulate(c, o, w, BinRules.LeftSearch(binning), map, bins, partial, offset, name);
                break;
            case BinRuleKind.RightSearch:
                BinKernels.Accumulate(c, o, w, BinRules.RightSearch(binning), map, bins, partial, offset, name);
                break;
            default:
                BinKernels.Accumulate(c, o, w, BinRules.SeparateOne(binning, BinRules.LeftSearch(binning)), map, bins, partial, offset, name);
                break;
        }
    }

    /// <summary><see cref="BinKernels.AccumulateResidual"/> with <paramref name="binning"/>'s rule (the vector kernel where it applies).</summary>
    public static void AccumulateResidual<T>(CalibrationBinning binning, ReadOnlySpan<T> c, ReadOnlySpan<bool> o, double[] partial, long offset, string name)
        where T : unmanaged, INumber<T>
    {
        int bins = binning.Count;
        if (typeof(T) == typeof(float) && binning.IsVectorizableForFloat)
        {
            BinKernels.AccumulateResidualVector(MemoryMarshal.Cast<T, float>(c), o, binning.IntervalCount,
                binning.EdgeRule == BinEdgeRule.LeftClosedSeparateOne, partial, offset, name);
            return;
        }
        switch (binning.RuleKind(typeof(T) == typeof(float)))
        {
            case BinRuleKind.LeftComputed:
                BinKernels.AccumulateResidual(c, o, BinRules.LeftComputed(binning), bins, partial, offset, name);
                break;
            case BinRuleKind.RightComputed:
                BinKernels.AccumulateResidual(c, o, BinRules.RightComputed(binning), bins, partial, offset, name);
                break;
            case BinRuleKind.SeparateOneComputed:
                BinKernels.AccumulateResidual(c, o, BinRules.SeparateOne(binning, BinRules.LeftComputed(binning)), bins, partial, offset, name);
                break;
            case BinRuleKind.LeftCorrected:
                BinKernels.AccumulateResidual(c, o, BinRules.LeftCorrected(binning), bins, partial, offset, name);
                break;
            case BinRuleKind.RightCorrected:
                BinKernels.AccumulateResidual(c, o, BinRules.RightCorrected(binning), bins, partial, offset, name);
                break;
            case BinRuleKind.SeparateOneCorrected:
                BinKernels.AccumulateResidual(c, o, BinRules.SeparateOne(binning, BinRules.LeftCorrected(binning)), bins, partial, offset, name);
                break;
            case BinRuleKind.LeftSearch:
                BinKernels.AccumulateResidual(c, o, BinRules.LeftSearch(binning), bins, partial, offset, name);
                break;
            case BinRuleKind.RightSearch:
                BinKernels.AccumulateResidual(c, o, BinRules.RightSearch(binning), bins, partial, offset, name);
                break;
            default:
                BinKernels.AccumulateResidual(c, o, BinRules.SeparateOne(binning, BinRules.LeftSearch(binning)), bins, partial, offset, name);
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
