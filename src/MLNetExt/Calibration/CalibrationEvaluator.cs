using System.Numerics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Calibration.Reading;
using MLNetExt.Data;
using MLNetExt.Diagnostics;

namespace MLNetExt.Calibration;

/// <summary>
/// Reads predictions from an <see cref="IDataView"/> in one cursor pass and computes the calibration metrics. While
/// the cursor reads a segment of 65,536 rows, a second core checks the previous one, adds it to every streaming sum
/// (equal-width and top-label tables, classwise tables, Brier score, log-loss, Balance score) and stores what the
/// metrics that need the data again keep: the confidence column in its own type (binary: the probability; multiclass:
/// the top-label confidence), the outcomes as bits and the weights. After the pass, equal-mass edges (exact order
/// statistics by counting passes, no sort) and smooth ECE read the stored segments in parallel. Held in memory:
/// 4 bytes (Single) or 8 (Double) per row plus 1 bit, plus the weight column's width when weighted; a multiclass
/// score vector is never kept. With <see cref="CalibrationEvaluatorOptions.Metrics"/> =
/// <see cref="CalibrationMetricGroups.Streaming"/> nothing is stored, no spread or digit counts are made, and the
/// reader's segment arrays are reused: the cost is the cursor pass plus the streaming kernels on the second core.
/// </summary>
internal static class CalibrationEvaluator
{
    internal const string ComponentName = "EvaluateCalibration";

    /// <summary>A row whose probabilities sum further than this from 1 is counted in a warning.</summary>
    internal const double SumTolerance = 1e-3;

    public static BinaryCalibrationMetrics EvaluateBinary(IHostEnvironment env, IDataView data, string labelColumnName,
        string probabilityColumnName, string? weightColumnName, CalibrationEvaluatorOptions? options)
    {
        Guard.NotNull(data, nameof(data));
        Guard.ColumnName(labelColumnName, nameof(labelColumnName));
        Guard.ColumnName(probabilityColumnName, nameof(probabilityColumnName));
        if (weightColumnName is not null)
            Guard.ColumnName(weightColumnName, nameof(weightColumnName));
        options ??= new CalibrationEvaluatorOptions();
        options.Validate();

        var label = SchemaChecks.Find(data.Schema, labelColumnName, "label");
        if (label.Type is not BooleanDataViewType)
            throw SchemaChecks.Mismatch("label", labelColumnName, "Boolean", label.Type);
        var probability = SchemaChecks.Find(data.Schema, probabilityColumnName, "probability");
        if (probability.Type != NumberDataViewType.Single && probability.Type != NumberDataViewType.Double)
            throw SchemaChecks.Mismatch("probability", probabilityColumnName, "a numeric scalar (Single or Double)", probability.Type);
        bool singleWeights = CheckWeightColumn(data.Schema, weightColumnName);

        using var channel = new ComponentChannel(env, ComponentName, "Evaluate");
        var spec = new ReadSpec(ComponentName, probabilityColumnName, "probability", null, labelColumnName, LabelKind.Boolean, weightColumnName);
        var metrics = probability.Type == NumberDataViewType.Single
            ? singleWeights ? Binary<float, float>(data, spec, options, channel) : Binary<float, double>(data, spec, options, channel)
            : singleWeights ? Binary<double, float>(data, spec, options, channel) : Binary<double, double>(data, spec, options, channel);
        channel.Trace($"Binary calibration over {metrics.Count} rows: ECE {metrics.ExpectedCalibrationError:0.000000}.");
        return metrics;
    }

    public static MulticlassCalibrationMetrics EvaluateMulticlass(IHostEnvironment env, IDataView data, string labelColumnName,
        string scoreColumnName, string? weightColumnName, CalibrationEvaluatorOptions? options)
    {
        Guard.NotNull(data, nameof(data));
        Guard.ColumnName(labelColumnName, nameof(labelColumnName));
        Guard.ColumnName(scoreColumnName, nameof(scoreColumnName));
        if (weightColumnName is not null)
            Guard.ColumnName(weightColumnName, nameof(weightColumnName));
        options ??= new CalibrationEvaluatorOptions();
        options.Validate();

        var score = SchemaChecks.Find(data.Schema, scoreColumnName, "score");
        if (score.Type is not VectorDataViewType { IsKnownSize: true } vector
            || (vector.ItemType != NumberDataViewType.Single && vector.ItemType != NumberDataViewType.Double))
            throw SchemaChecks.Mismatch("score", scoreColumnName, "a known-size vector of Single", score.Type);
        int k = vector.Size;
        if (k < 2)
            throw SchemaChecks.Mismatch("score", scoreColumnName, "a vector of at least 2 class probabilities", score.Type);
        CheckClassLabel(data.Schema, labelColumnName, k);
        CalibrationMetrics.CheckClasswiseCells(k, options.NumberOfBins + 1);
        bool singleWeights = CheckWeightColumn(data.Schema, weightColumnName);

        using var channel = new ComponentChannel(env, ComponentName, "Evaluate");
        var spec = new ReadSpec(ComponentName, scoreColumnName, "score", k, labelColumnName, LabelKind.Class, weightColumnName);
        var metrics = vector.ItemType == NumberDataViewType.Single
            ? singleWeights ? Multiclass<float, float>(data, spec, k, options, channel) : Multiclass<float, double>(data, spec, k, options, channel)
            : singleWeights ? Multiclass<double, float>(data, spec, k, options, channel) : Multiclass<double, double>(data, spec, k, options, channel);
        channel.Trace($"Multiclass calibration over {metrics.Count} rows, {k} classes: top-label ECE {metrics.ExpectedCalibrationError:0.000000}.");
        return metrics;
    }

    /// <summary>Checks an optional weight column; true when it is Single (weights are then kept as float).</summary>
    internal static bool CheckWeightColumn(DataViewSchema schema, string? weightColumnName)
    {
        if (weightColumnName is null)
            return true;
        var weight = SchemaChecks.Find(schema, weightColumnName, "example weight");
        if (!SchemaChecks.IsNumericScalar(weight.Type))
            throw SchemaChecks.Mismatch("example weight", weightColumnName, "a numeric scalar (Single or Double)", weight.Type);
        return weight.Type == NumberDataViewType.Single;
    }

    /// <summary>Checks a class label column against K classes (a key's count must be K).</summary>
    internal static void CheckClassLabel(DataViewSchema schema, string labelColumnName, int classCount)
    {
        var label = SchemaChecks.Find(schema, labelColumnName, "label");
        if (label.Type is KeyDataViewType key)
        {
            if (key.Count != (ulong)classCount)
                throw SchemaChecks.Mismatch("label", labelColumnName, $"a key type with {classCount} values (one per score slot)", key);
        }
        else if (!SchemaChecks.IsNumericScalar(label.Type))
        {
            throw SchemaChecks.Mismatch("label", labelColumnName, "a key type or a numeric scalar holding class indices", label.Type);
        }
    }

    /// <summary>
    /// Converts a segment's raw class labels to class indices, checking them: a key's value 1..K is class 0..K-1 (0, a
    /// missing key, is an error); a number must be a whole number in 0..K-1.
    /// </summary>
    internal static void ClassIndices<T, TW>(RowSegment<T, TW> segment, bool isKey, int classCount, ReadSpec spec, Span<int> classes)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        var raw = segment.ClassLabels!;
        for (int i = 0; i < segment.Length; i++)
        {
            double v = raw[i];
            if (isKey)
            {
                if (v == 0)
                    throw LabelError(segment, i, spec, "a missing key value", classCount);
                classes[i] = (int)(v - 1);
            }
            else
            {
                if (!(v >= 0 && v < classCount && v == Math.Floor(v)))
                    throw LabelError(segment, i, spec, CalibrationMetrics.Format(v), classCount);
                classes[i] = (int)v;
            }
        }
    }

    private static InvalidOperationException LabelError<T, TW>(RowSegment<T, TW> segment, int i, ReadSpec spec, string value, int classCount)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
        => SegmentReader<T, TW>.BadValue(spec.Component, "label", spec.LabelColumn, segment.FirstRow + i, value,
            $"a whole-number class index in 0..{classCount - 1}");

    /// <summary>Checks a segment's weights (finite, &gt;= 0), naming the first bad row.</summary>
    internal static void CheckWeights<T, TW>(RowSegment<T, TW> segment, ReadSpec spec, int row)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        double w = double.CreateTruncating(segment.Weights![row]);
        if (!(w >= 0 && double.IsFinite(w)))
        {
            throw SegmentReader<T, TW>.BadValue(spec.Component, "example weight", spec.WeightColumn!, segment.FirstRow + row,
                CalibrationMetrics.Format(w), "a finite number >= 0");
        }
    }

    /// <summary>All weights 0 leaves nothing to measure: an error naming the column.</summary>
    internal static void CheckAnyWeight(double totalWeight, long rows, ReadSpec spec)
    {
        if (spec.WeightColumn is not null && !(totalWeight > 0))
            throw new InvalidOperationException($"Example weight column '{spec.WeightColumn}' is 0 in all {rows} rows; {spec.Component} needs some rows with weight above 0.");
    }

    private static BinaryCalibrationMetrics Binary<T, TW>(IDataView data, ReadSpec spec, CalibrationEvaluatorOptions options, ComponentChannel channel)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        var equalWidth = CalibrationBinning.EqualWidth(options.NumberOfBins, options.BinEdgeRule, options.EqualWidthEdges);
        bool weighted = spec.WeightColumn is not null;
        bool positiveOnTie = options.TieRule == BinaryTieRule.PositiveClass;
        var (equalMassWanted, smoothWanted) = Groups(options);
        var store = equalMassWanted || smoothWanted ? new PredictionStore<T, TW>(weighted) : null;
        var reliability = new ChunkedSums(BinKernels.Width(equalWidth.Count));
        var topLabel = new ChunkedSums(BinKernels.Width(equalWidth.Count));
        var logLoss = new ChunkedSums(1);
        var spread = smoothWanted ? new ChunkedSums(2 * SmoothCalibrationErrorCore.DefaultGrid) : null;
        var topCounts = equalMassWanted ? new int[1 << 16] : null;
        var outcomes = new bool[Segments.Rows];
        Func<long, double, Exception> outOfRange = (row, v) => SegmentReader<T, TW>.BadValue(spec.Component, spec.ValueRole, spec.ValueColumn, row,
            CalibrationMetrics.Format(v), "a finite number in [0, 1]");
        var fused = typeof(T) == typeof(float) && !weighted && BinaryStreamKernel.Applies(equalWidth)
            ? new BinaryStreamKernel(equalWidth, positiveOnTie) : null;
        long rows = SegmentReader<T, TW>.Read(data, spec, channel, segment =>
        {
            int n = segment.Length;
            var p = segment.Values.AsSpan(0, n);
            if (fused is not null)
            {
                fused.Process(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(p), segment.Bits!, segment.FirstRow, outOfRange,
                    reliability.Partial, topLabel.Partial, ref logLoss.Partial[0], spread?.Partial, topCounts);
                reliability.EndSegment();
                topLabel.EndSegment();
                logLoss.EndSegment();
                spread?.EndSegment();
                if (store is null)
                    return true; // streaming only: the reader refills the segment
                store.Add(segment.Values, segment.Bits!, null, n);
                return false;
            }
            if (weighted)
            {
                // Row order: the first bad probability or weight is the one reported.
                for (int i = 0; i < n; i++)
                {
                    double v = double.CreateTruncating(p[i]);
                    if (!BinKernels.IsProbability(v))
                        throw outOfRange(segment.FirstRow + i, v);
                    CheckWeights(segment, spec, i);
                }
            }
            var y = outcomes.AsSpan(0, n);
            PredictionStore<T, TW>.Unpack(segment.Bits!, y);
            ReadOnlySpan<TW> w = weighted ? segment.Weights.AsSpan(0, n) : default;
            // The first kernel checks the probabilities; the others read checked values.
            BinDispatch.Accumulate(equalWidth, (ReadOnlySpan<T>)p, y, w, new PositiveClass(), reliability.Partial, segment.FirstRow, spec.ValueColumn,
                error: outOfRange);
            BinDispatch.Accumulate(equalWidth, (ReadOnlySpan<T>)p, y, w, new BinaryTopLabelMap(positiveOnTie), topLabel.Partial, segment.FirstRow, spec.ValueColumn);
            logLoss.Partial[0] += ScalarKernels.BinaryLogLoss((ReadOnlySpan<T>)p, y, w);
            if (spread is not null)
                SmoothCalibrationErrorCore.Spread((ReadOnlySpan<T>)p, y, w, SmoothCalibrationErrorCore.DefaultGrid, spread.Partial);
            if (topCounts is not null)
                RankSelector.CountTopDigits((ReadOnlySpan<T>)p, w, topCounts);
            reliability.EndSegment();
            topLabel.EndSegment();
            logLoss.EndSegment();
            spread?.EndSegment();
            if (store is null)
                return true;
            store.Add(segment.Values, segment.Bits!, segment.Weights, n);
            return false; // the store keeps the arrays
        });
        var equalWidthStats = new BinStatistics(equalWidth.Count, reliability.Complete(), weighted);
        CheckAnyWeight(equalWidthStats.TotalWeight, rows, spec);
        var topLabelStats = new BinStatistics(equalWidth.Count, topLabel.Complete(), weighted);
        ReliabilityDiagram? equalMassDiagram = null;
        SmoothCalibrationError? smooth = null;
        if (store is not null)
        {
            store.PositiveRows = Enumerable.Range(0, equalWidth.Count).Sum(b => equalWidthStats.Count(b));
            store.TotalWeight = equalWidthStats.TotalWeight;
            (equalMassDiagram, smooth) = Stored(store, options, topCounts, spread, channel, spec);
        }
        return new BinaryCalibrationMetrics(equalWidth, equalWidthStats, topLabelStats, logLoss.Complete()[0], equalMassDiagram, smooth);
    }

    private static MulticlassCalibrationMetrics Multiclass<T, TW>(IDataView data, ReadSpec spec, int k, CalibrationEvaluatorOptions options,
        ComponentChannel channel)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        var equalWidth = CalibrationBinning.EqualWidth(options.NumberOfBins, options.BinEdgeRule, options.EqualWidthEdges);
        bool weighted = spec.WeightColumn is not null;
        bool isKey = data.Schema[spec.LabelColumn].Type is KeyDataViewType;
        var (equalMassWanted, smoothWanted) = Groups(options);
        var store = equalMassWanted || smoothWanted ? new PredictionStore<T, TW>(weighted) : null;
        var classwise = new ChunkedSums(k * BinKernels.Width(equalWidth.Count));
        var topLabel = new ChunkedSums(BinKernels.Width(equalWidth.Count));
        var scalars = new ChunkedSums(ScalarKernels.MulticlassFields);
        var spread = smoothWanted ? new ChunkedSums(2 * SmoothCalibrationErrorCore.DefaultGrid) : null;
        var topCounts = equalMassWanted ? new int[1 << 16] : null;
        var classes = new int[Segments.Rows];
        var correct = new bool[Segments.Rows];
        var reusedConfidence = store is null ? new T[Segments.Rows] : null;
        long rows = SegmentReader<T, TW>.Read(data, spec, channel, segment =>
        {
            int n = segment.Length;
            var values = segment.Values.AsSpan(0, n * k);
            ClassIndices(segment, isKey, k, spec, classes);
            for (int i = 0; i < n; i++)
            {
                var row = values.Slice(i * k, k);
                for (int j = 0; j < k; j++)
                {
                    double v = double.CreateTruncating(row[j]);
                    if (!BinKernels.IsProbability(v))
                    {
                        throw SegmentReader<T, TW>.BadValue(spec.Component, spec.ValueRole, spec.ValueColumn, segment.FirstRow + i,
                            $"{CalibrationMetrics.Format(v)} in slot {j}", "a finite number in [0, 1]");
                    }
                }
                if (weighted)
                    CheckWeights(segment, spec, i);
            }
            var labels = classes.AsSpan(0, n);
            ReadOnlySpan<TW> w = weighted ? segment.Weights.AsSpan(0, n) : default;
            // Kept by the store when it is there; otherwise one buffer serves every segment.
            var kept = reusedConfidence ?? new T[n];
            var confidence = kept.AsSpan(0, n);
            var right = correct.AsSpan(0, n);
            ScalarKernels.Multiclass(values, k, labels, w, confidence, right, scalars.Partial);
            BinDispatch.Classwise(equalWidth, (ReadOnlySpan<T>)values, k, labels, w, classwise.Partial);
            BinDispatch.Accumulate(equalWidth, (ReadOnlySpan<T>)confidence, right, w, new PositiveClass(), topLabel.Partial, segment.FirstRow, spec.ValueColumn);
            if (spread is not null)
                SmoothCalibrationErrorCore.Spread((ReadOnlySpan<T>)confidence, right, w, SmoothCalibrationErrorCore.DefaultGrid, spread.Partial);
            if (topCounts is not null)
                RankSelector.CountTopDigits((ReadOnlySpan<T>)confidence, w, topCounts);
            scalars.EndSegment();
            classwise.EndSegment();
            topLabel.EndSegment();
            spread?.EndSegment();
            if (store is null)
                return true;
            var bits = PredictionStore<T, TW>.NewBits();
            for (int i = 0; i < n; i++)
            {
                if (right[i])
                    bits[i >> 6] |= 1UL << (i & 63);
            }
            store.Add(kept, bits, weighted ? segment.Weights![..n] : null, n);
            return true; // the score vectors are not kept: the reader refills them
        });
        var sums = scalars.Complete();
        CheckAnyWeight(sums[ScalarKernels.MWeight], rows, spec);
        long offSimplex = (long)sums[ScalarKernels.OffSimplex];
        if (offSimplex > 0)
        {
            channel.Warning($"{offSimplex} of {rows} rows of '{spec.ValueColumn}' do not sum to 1 (tolerance {SumTolerance}); " +
                "top-label and classwise errors assume probability vectors, and Brier score and log-loss are not comparable across models for such rows.");
        }

        var topLabelDiagram = new ReliabilityDiagram(equalWidth, new BinStatistics(equalWidth.Count, topLabel.Complete(), weighted));
        var classwiseDiagrams = CalibrationMetrics.ClasswiseDiagrams(equalWidth, k, classwise.Complete(), weighted);
        ReliabilityDiagram? equalMassDiagram = null;
        SmoothCalibrationError? smooth = null;
        if (store is not null)
        {
            store.PositiveRows = (long)sums[ScalarKernels.MRows];
            store.TotalWeight = sums[ScalarKernels.MWeight];
            (equalMassDiagram, smooth) = Stored(store, options, topCounts, spread, channel, spec);
        }
        return new MulticlassCalibrationMetrics(sums, k, topLabelDiagram, equalMassDiagram, smooth, classwiseDiagrams);
    }

    /// <summary>Which groups beyond the streaming metrics the options ask for.</summary>
    private static (bool EqualMass, bool Smooth) Groups(CalibrationEvaluatorOptions options)
        => (options.Metrics.HasFlag(CalibrationMetricGroups.EqualMass), options.Metrics.HasFlag(CalibrationMetricGroups.Smooth));

    /// <summary>The metrics of the stored confidences, for the groups asked for (null for the others).</summary>
    private static (ReliabilityDiagram? EqualMass, SmoothCalibrationError? Smooth) Stored<T, TW>(PredictionStore<T, TW> store,
        CalibrationEvaluatorOptions options, int[]? topCounts, ChunkedSums? spread, ComponentChannel channel, ReadSpec spec)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        Action cancel = channel.ThrowIfCanceled;
        ReliabilityDiagram? equalMassDiagram = null;
        if (topCounts is not null)
        {
            var equalMass = Computations.EqualMass(store, options.NumberOfBins, options.EqualMassBinning, cancel, topCounts);
            equalMassDiagram = new ReliabilityDiagram(equalMass, Computations.Reliability(store, equalMass, new PositiveClass(), cancel, spec.ValueColumn));
        }
        SmoothCalibrationError? smooth = spread is null ? null : Computations.Smooth(store, null, cancel, spread.Complete());
        return (equalMassDiagram, smooth);
    }

    /// <summary>
    /// Totals built from per-chunk partials in chunk order, chunks of <see cref="Segments.SegmentsPerChunk"/> segments:
    /// the same partition the span functions use.
    /// </summary>
    private sealed class ChunkedSums(int length)
    {
        private readonly double[] _totals = new double[length];
        private readonly int _segmentsPerChunk = Segments.SegmentsPerChunk(length);
        private int _inChunk;

        /// <summary>The current chunk's partial; kernels add to it.</summary>
        public double[] Partial { get; } = new double[length];

        public void EndSegment()
        {
            if (++_inChunk == _segmentsPerChunk)
                Flush();
        }

        public double[] Complete()
        {
            if (_inChunk > 0)
                Flush();
            return _totals;
        }

        private void Flush()
        {
            Computations.Add(_totals, Partial);
            Array.Clear(Partial);
            _inChunk = 0;
        }
    }
}
