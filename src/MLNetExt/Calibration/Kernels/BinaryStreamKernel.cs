using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MLNetExt.Calibration.Kernels;

/// <summary>
/// Everything the binary evaluator computes while it reads, for its usual case (Single probabilities, no weights,
/// equal-width bins found by arithmetic), in one pass over a segment instead of five: the equal-width table, the
/// top-label table, the log-loss product, the spread for smooth ECE and the counts of the keys' top 16 bits. Each
/// result is computed with exactly the arithmetic of its own kernel (<see cref="BinKernels"/>,
/// <see cref="ScalarKernels.BinaryLogLoss"/>, <see cref="SmoothCalibrationErrorCore.Spread"/>,
/// <see cref="RankSelector.CountTopDigits"/>), so the metrics equal those of the span functions to the bit; only the
/// loads, the widening and the decoding of the labels (read straight from their bits) are shared.
/// </summary>
internal sealed class BinaryStreamKernel
{
    private readonly int _bins;
    private readonly int _m;
    private readonly bool _separateOne;
    private readonly bool _positiveOnTie;
    private readonly LeftWidthCorrected _topRule;
    private readonly bool _guessExactAwayFromEdges;
    // Per copy and bin, a pair: the sum of the values and a counter, count + 2^32 positives, held exactly in a double
    // (at most 2^16 + 2^48 in a segment). One 16-byte add updates both, where a long and a double array took two.
    private readonly double[] _cells;
    private readonly double[] _topCells;

    /// <param name="binning">Equal-width, left-closed or torchmetrics' rule, computed for floats (<see cref="Applies"/>).</param>
    /// <param name="positiveOnTie">The tie rule of the top-label table.</param>
    public BinaryStreamKernel(CalibrationBinning binning, bool positiveOnTie)
    {
        _bins = binning.Count;
        _separateOne = binning.EdgeRule == BinEdgeRule.LeftClosedSeparateOne;
        _m = binning.IntervalCount;
        _positiveOnTie = positiveOnTie;
        _topRule = BinRules.LeftCorrected(binning);
        // The top-label guess floor(t M) is the bin itself when t M is further than EdgeMargin from a whole number,
        // provided every edge lies within far less than that of m / M (true of both edge rules; checked, not assumed).
        var edges = binning.CorrectionEdges;
        _guessExactAwayFromEdges = true;
        for (int k = 1; k < _m; k++) // the outer two are -inf and +inf
        {
            if (!(Math.Abs(edges[k] * _m - k) < 1e-12))
                _guessExactAwayFromEdges = false;
        }
        _cells = new double[2 * 4 * _bins];
        _topCells = new double[2 * 4 * _bins];
    }

    /// <summary>How far from a whole number t M must be for its floor to be t's bin without the edge check.</summary>
    private const double EdgeMargin = 1e-9;

    /// <summary>Whether the kernel handles this binning (else the evaluator runs the separate kernels).</summary>
    public static bool Applies(CalibrationBinning binning)
        => binning.IsVectorizableForFloat && binning.Count <= 256 && Vector256.IsHardwareAccelerated && Avx.IsSupported;

    /// <summary>
    /// Adds one segment of checked-by-this-kernel probabilities: a value outside [0, 1] (or NaN) throws
    /// <paramref name="error"/>'s exception for its row (rows before it may have been added; the evaluation stops).
    /// <paramref name="spread"/> and <paramref name="topCounts"/> are null when the evaluator computes neither smooth ECE
    /// nor equal-mass bins (streaming metrics only); the other results are the same bits either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Process(ReadOnlySpan<float> probabilities, ulong[] labelBits, long firstRow, Func<long, double, Exception> error,
        double[] table, double[] topTable, ref double logLoss, double[]? spread, int[]? topCounts)
    {
        bool spreading = spread is not null, counting = topCounts is not null;
        int n = probabilities.Length;
        int bins = _bins;
        Array.Clear(_cells);
        Array.Clear(_topCells);
        const int Grid = SmoothCalibrationErrorCore.DefaultGrid;
        ref float p0 = ref MemoryMarshal.GetReference(probabilities);
        ref double e0 = ref MemoryMarshal.GetArrayDataReference(_cells);
        ref double t0 = ref MemoryMarshal.GetArrayDataReference(_topCells);
        ref double r0 = ref spreading ? ref MemoryMarshal.GetArrayDataReference(spread!) : ref Unsafe.NullRef<double>();
        ref double d0 = ref spreading ? ref Unsafe.Add(ref r0, Grid) : ref Unsafe.NullRef<double>();
        ref int h0 = ref counting ? ref MemoryMarshal.GetArrayDataReference(topCounts!) : ref Unsafe.NullRef<int>();

        // Eight rows' (value, counter increment) pairs, as two unpacks store them: row u's pair at Pair(u).
        Span<double> pairs = stackalloc double[16];
        Span<double> topPairs = stackalloc double[16];
        Span<int> bin = stackalloc int[8];
        Span<int> topGuess = stackalloc int[8];
        Span<int> grid = stackalloc int[8];
        Span<double> fraction = stackalloc double[8];
        Span<double> residual = stackalloc double[8];
        ref double pair0 = ref MemoryMarshal.GetReference(pairs);
        ref double topPair0 = ref MemoryMarshal.GetReference(topPairs);
        ref int bin0 = ref MemoryMarshal.GetReference(bin);
        ref int topGuess0 = ref MemoryMarshal.GetReference(topGuess);
        ref int grid0 = ref MemoryMarshal.GetReference(grid);
        ref double fraction0 = ref MemoryMarshal.GetReference(fraction);
        ref double residual0 = ref MemoryMarshal.GetReference(residual);

        var scale = Vector256.Create((double)_m);
        var gridScale = Vector256.Create((double)(Grid - 1));
        var magic = Vector256.Create(4503599627370496.0); // 2^52
        var lastBin = Vector256.Create(_m - 1);
        var separateBin = Vector256.Create(_m);
        var lastCell = Vector256.Create((double)(Grid - 2));
        var oneFloat = Vector256<float>.One;
        var one = Vector256<double>.One;
        var half = Vector256.Create(0.5f);
        var laneBits = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128);
        var positiveStep = Vector256.Create(4294967296.0); // 2^32: a positive's share of the counter
        var floor = Vector256.Create(CalibrationMetrics.LogLossEpsilon);
        var margin = Vector256.Create(EdgeMargin);
        var farMargin = Vector256.Create(1 - EdgeMargin);
        bool guessExact = _guessExactAwayFromEdges;
        var total = Vector256<double>.Zero;
        var square = Vector256<double>.Zero;
        var product = Vector256<double>.Zero;
        var topTotal = Vector256<double>.Zero;
        var topSquare = Vector256<double>.Zero;
        var topProduct = Vector256<double>.Zero;
        var mantissa = Vector256<double>.One;
        var exponent = Vector256<long>.Zero;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var c = Vector256.LoadUnsafe(ref p0, (nuint)i);
            var inRange = Vector256.GreaterThanOrEqual(c, Vector256<float>.Zero) & Vector256.LessThanOrEqual(c, oneFloat);
            if (inRange.AsInt32() != Vector256<int>.AllBitsSet)
                break; // the row-at-a-time loop below reports it
            int labelByte = (int)(labelBits[i >> 6] >> (i & 63)) & 0xFF;
            var y = Vector256.Min(Vector256.Create(labelByte) & laneBits, Vector256<int>.One);
            var (cLow, cHigh) = Vector256.Widen(c);
            var (oLow, oHigh) = Vector256.Widen(Vector256.ConvertToSingle(y));

            // Equal-width table: BinKernels' vector path (PositiveClass, computed bins).
            total += cLow;
            total += cHigh;
            square += cLow * cLow;
            square += cHigh * cHigh;
            product += cLow * oLow;
            product += cHigh * oHigh;
            var b = Vector256.Min(Vector256.Narrow((Vector256.Floor(cLow * scale) + magic).AsInt64(), (Vector256.Floor(cHigh * scale) + magic).AsInt64()), lastBin);
            if (_separateOne)
                b = Vector256.ConditionalSelect(Vector256.Equals(c, oneFloat).AsInt32(), separateBin, b);

            // Top-label table: BinKernels' vector path (BinaryTopLabelMap, guessed bins).
            var positive = (_positiveOnTie ? Vector256.GreaterThanOrEqual(c, half) : Vector256.GreaterThan(c, half)).AsInt32();
            var right = Vector256.Equals(positive, Vector256<int>.Zero - y) & Vector256<int>.One;
            var tLow = Vector256.Max(cLow, one - cLow);
            var tHigh = Vector256.Max(cHigh, one - cHigh);
            var (rLow, rHigh) = Vector256.Widen(Vector256.ConvertToSingle(right));
            topTotal += tLow;
            topTotal += tHigh;
            topSquare += tLow * tLow;
            topSquare += tHigh * tHigh;
            topProduct += tLow * rLow;
            topProduct += tHigh * rHigh;
            var tScaledLow = tLow * scale;
            var tScaledHigh = tHigh * scale;
            var tFloorLow = Vector256.Floor(tScaledLow);
            var tFloorHigh = Vector256.Floor(tScaledHigh);
            var guess = Vector256.Min(Vector256.Narrow((tFloorLow + magic).AsInt64(), (tFloorHigh + magic).AsInt64()), lastBin);
            // No lane near an edge (t = 1 is on one): the guesses are the bins, no per-row check.
            var fractionLow = tScaledLow - tFloorLow;
            var fractionHigh = tScaledHigh - tFloorHigh;
            bool topExact = guessExact
                && ((Vector256.LessThan(fractionLow, margin) | Vector256.GreaterThan(fractionLow, farMargin)
                    | Vector256.LessThan(fractionHigh, margin) | Vector256.GreaterThan(fractionHigh, farMargin)) == Vector256<double>.Zero);

            // Log-loss: ScalarKernels' product, four chains, normalized every 16 rows.
            mantissa *= Vector256.Max(Vector256.ConditionalSelect(Vector256.Equals(oLow, one), cLow, one - cLow), floor);
            mantissa *= Vector256.Max(Vector256.ConditionalSelect(Vector256.Equals(oHigh, one), cHigh, one - cHigh), floor);
            if ((i & 15) == 8)
            {
                var bits = mantissa.AsInt64();
                exponent += ((bits >>> 52) & Vector256.Create(0x7FFL)) - Vector256.Create(1023L);
                mantissa = ((bits & Vector256.Create(0x000FFFFFFFFFFFFFL)) | Vector256.Create(0x3FF0000000000000L)).AsDouble();
            }

            if (spreading)
            {
                // Spread: SmoothCalibrationErrorCore.Spread's position, cell (clamped to [0, G - 2]) and fraction.
                var positionLow = cLow * gridScale;
                var positionHigh = cHigh * gridScale;
                var cellLow = Vector256.Min(Vector256.Floor(positionLow), lastCell);
                var cellHigh = Vector256.Min(Vector256.Floor(positionHigh), lastCell);
                (positionLow - cellLow).StoreUnsafe(ref fraction0);
                (positionHigh - cellHigh).StoreUnsafe(ref fraction0, 4);
                Vector256.Narrow((cellLow + magic).AsInt64(), (cellHigh + magic).AsInt64()).StoreUnsafe(ref grid0);
                (cLow - oLow).StoreUnsafe(ref residual0);
                (cHigh - oHigh).StoreUnsafe(ref residual0, 4);
            }

            var incrementLow = oLow * positiveStep + one;
            var incrementHigh = oHigh * positiveStep + one;
            var topIncrementLow = rLow * positiveStep + one;
            var topIncrementHigh = rHigh * positiveStep + one;
            Avx.UnpackLow(cLow, incrementLow).StoreUnsafe(ref pair0);
            Avx.UnpackHigh(cLow, incrementLow).StoreUnsafe(ref pair0, 4);
            Avx.UnpackLow(cHigh, incrementHigh).StoreUnsafe(ref pair0, 8);
            Avx.UnpackHigh(cHigh, incrementHigh).StoreUnsafe(ref pair0, 12);
            Avx.UnpackLow(tLow, topIncrementLow).StoreUnsafe(ref topPair0);
            Avx.UnpackHigh(tLow, topIncrementLow).StoreUnsafe(ref topPair0, 4);
            Avx.UnpackLow(tHigh, topIncrementHigh).StoreUnsafe(ref topPair0, 8);
            Avx.UnpackHigh(tHigh, topIncrementHigh).StoreUnsafe(ref topPair0, 12);
            b.StoreUnsafe(ref bin0);
            guess.StoreUnsafe(ref topGuess0);

            for (int u = 0; u < 8; u++)
            {
                int at = Pair(u);
                int copy = (u & 3) * bins;
                Cell(ref e0, copy + Unsafe.Add(ref bin0, u)) += Vector128.LoadUnsafe(ref pair0, (nuint)at);

                int topBin = topExact ? Unsafe.Add(ref topGuess0, u) : TopBin(Unsafe.Add(ref topPair0, at), Unsafe.Add(ref topGuess0, u));
                Cell(ref t0, copy + topBin) += Vector128.LoadUnsafe(ref topPair0, (nuint)at);
            }
            if (spreading)
            {
                for (int u = 0; u < 8; u++)
                {
                    int g = Unsafe.Add(ref grid0, u);
                    double f = Unsafe.Add(ref fraction0, u), r = Unsafe.Add(ref residual0, u), lower = 1 - f;
                    Unsafe.Add(ref r0, g) += lower * r;
                    Unsafe.Add(ref r0, g + 1) += f * r;
                    Unsafe.Add(ref d0, g) += lower;
                    Unsafe.Add(ref d0, g + 1) += f;
                }
            }
            if (counting)
            {
                for (int u = 0; u < 8; u++)
                    Unsafe.Add(ref h0, (int)(RankSelector.Key((float)Unsafe.Add(ref pair0, Pair(u))) >> 48))++;
            }
        }
        if (i < n)
        {
            // The rest (and a bad row, which the table kernel reports): each kernel from row i on, continuing the chains.
            var rest = probabilities[i..];
            var outcomes = new bool[n - i];
            for (int j = 0; j < outcomes.Length; j++)
                outcomes[j] = ((labelBits[(i + j) >> 6] >> ((i + j) & 63)) & 1) != 0;
            Tail(rest, outcomes, i, firstRow, error, ref total, ref square, ref product, ref topTotal, ref topSquare, ref topProduct,
                ref mantissa, ref exponent, spread, topCounts);
        }
        Finish(_cells, total, square, product, table, n);
        Finish(_topCells, topTotal, topSquare, topProduct, topTable, n);
        // As ScalarKernels' product: one last normalization, then one logarithm.
        var last = mantissa.AsInt64();
        exponent += ((last >>> 52) & Vector256.Create(0x7FFL)) - Vector256.Create(1023L);
        mantissa = ((last & Vector256.Create(0x000FFFFFFFFFFFFFL)) | Vector256.Create(0x3FF0000000000000L)).AsDouble();
        logLoss -= Math.Log(((mantissa[0] * mantissa[1]) * mantissa[2]) * mantissa[3])
            + (((exponent[0] + exponent[1]) + exponent[2]) + exponent[3]) * 0.69314718055994530942;
    }

    /// <summary>Where row u of eight keeps its pair: unpacking rows 0-3 with their increments stores rows 0, 2, then 1, 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pair(int u) => ((u >> 2) << 3) | ((u & 1) << 2) | ((u >> 1 & 1) << 1);

    /// <summary>The (sum, counter) pair of a cell.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Vector128<double> Cell(ref double cells, int cell) => ref Unsafe.As<double, Vector128<double>>(ref Unsafe.Add(ref cells, 2 * cell));

    /// <summary>The top-label bin of t near an edge, from the guess floor(t M).</summary>
    private int TopBin(double t, int guess) => _separateOne && t == 1.0 ? _m : _topRule.FromGuess(t, guess);

    // Rows from `start` on, one at a time, with each kernel's scalar arithmetic (the chains continue at lane i mod 4).
    private void Tail(ReadOnlySpan<float> rest, bool[] outcomes, int start, long firstRow, Func<long, double, Exception> error,
        ref Vector256<double> total, ref Vector256<double> square, ref Vector256<double> product,
        ref Vector256<double> topTotal, ref Vector256<double> topSquare, ref Vector256<double> topProduct,
        ref Vector256<double> mantissa, ref Vector256<long> exponent, double[]? spread, int[]? topCounts)
    {
        int bins = _bins;
        var rule = new LeftWidthComputed(_m, _m - 1);
        for (int j = 0; j < rest.Length; j++)
        {
            int i = start + j;
            double c = rest[j];
            if (!BinKernels.IsProbability(c))
                throw error(firstRow + i, c);
            bool y = outcomes[j];
            double o = y ? 1.0 : 0.0;
            int lane = i & 3;
            int cell = lane * bins + (_separateOne && c == 1.0 ? _m : rule.Find(c, i));
            _cells[2 * cell] += c;
            _cells[2 * cell + 1] += y ? 4294967297.0 : 1.0;
            total = total.WithElement(lane, total[lane] + c);
            square = square.WithElement(lane, square[lane] + c * c);
            product = product.WithElement(lane, product[lane] + (y ? c : 0.0));

            bool positive = _positiveOnTie ? c >= 0.5 : c > 0.5;
            bool right = positive == y;
            double t = Math.Max(c, 1 - c);
            int topCell = lane * bins + (_separateOne && t == 1.0 ? _m : _topRule.Find(t, i));
            _topCells[2 * topCell] += t;
            _topCells[2 * topCell + 1] += right ? 4294967297.0 : 1.0;
            topTotal = topTotal.WithElement(lane, topTotal[lane] + t);
            topSquare = topSquare.WithElement(lane, topSquare[lane] + t * t);
            topProduct = topProduct.WithElement(lane, topProduct[lane] + (right ? t : 0.0));

            mantissa = mantissa.WithElement(lane, mantissa[lane] * Math.Max(y ? c : 1 - c, CalibrationMetrics.LogLossEpsilon));
            if ((i & 15) == 15)
            {
                var bits = mantissa.AsInt64();
                exponent += ((bits >>> 52) & Vector256.Create(0x7FFL)) - Vector256.Create(1023L);
                mantissa = ((bits & Vector256.Create(0x000FFFFFFFFFFFFFL)) | Vector256.Create(0x3FF0000000000000L)).AsDouble();
            }
        }
        if (spread is not null)
            SmoothCalibrationErrorCore.Spread(rest, outcomes, ReadOnlySpan<float>.Empty, SmoothCalibrationErrorCore.DefaultGrid, spread);
        if (topCounts is not null)
            RankSelector.CountTopDigits(rest, ReadOnlySpan<float>.Empty, topCounts);
    }

    // As BinKernels' unweighted ending: copies added in order, counters split into count and positives, then the totals.
    private void Finish(double[] cells, Vector256<double> total, Vector256<double> square, Vector256<double> product,
        double[] partial, int n)
    {
        int bins = _bins;
        long allPositives = 0;
        for (int b = 0; b < bins; b++)
        {
            long counter = 0;
            double sum = 0;
            for (int k = 0; k < 4; k++)
            {
                sum += cells[2 * (k * bins + b)];
                counter += (long)cells[2 * (k * bins + b) + 1];
            }
            double count = counter & 0xFFFFFFFFL, positives = counter >> 32;
            allPositives += counter >> 32;
            ref double cell = ref partial[b * BinKernels.Fields];
            Unsafe.Add(ref cell, BinKernels.Count) += count;
            Unsafe.Add(ref cell, BinKernels.Weight) += count;
            Unsafe.Add(ref cell, BinKernels.SumC) += sum;
            Unsafe.Add(ref cell, BinKernels.SumO) += positives;
            Unsafe.Add(ref cell, BinKernels.SumWW) += count;
        }
        partial[BinKernels.Total(bins, BinKernels.TotalW)] += n;
        partial[BinKernels.Total(bins, BinKernels.TotalC)] += ((total[0] + total[1]) + total[2]) + total[3];
        partial[BinKernels.Total(bins, BinKernels.TotalO)] += allPositives;
        partial[BinKernels.Total(bins, BinKernels.TotalCC)] += ((square[0] + square[1]) + square[2]) + square[3];
        partial[BinKernels.Total(bins, BinKernels.TotalCO)] += ((product[0] + product[1]) + product[2]) + product[3];
    }
}
