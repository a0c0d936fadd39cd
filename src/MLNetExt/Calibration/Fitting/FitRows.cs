using System.Numerics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Calibration.Reading;
using MLNetExt.Diagnostics;

namespace MLNetExt.Calibration.Fitting;

/// <summary>
/// A multiclass calibrator's fit data in its narrowest exact form, segment by segment: the score vectors in the
/// column's own type (K x 4 bytes a row for Single), the labels as bytes while K &lt;= 256 (else 32-bit), the weights
/// in their column's type. Logits are computed from the scores in each pass (for probabilities, one logarithm a
/// value), never stored: the fit needs no more memory than the columns it reads.
/// </summary>
internal sealed class ClassRows<T, TW>
    where T : unmanaged, INumber<T>
    where TW : unmanaged, INumberBase<TW>
{
    private readonly List<T[]> _scores = [];
    private readonly List<byte[]> _byteLabels = [];
    private readonly List<int[]> _intLabels = [];
    private readonly List<TW[]>? _weights;
    private readonly List<int> _lengths = [];

    public ClassRows(int classCount, bool weighted)
    {
        ClassCount = classCount;
        _weights = weighted ? [] : null;
    }

    public int ClassCount { get; }

    /// <summary>Labels are kept as bytes (K &lt;= 256).</summary>
    public bool ByteLabels => ClassCount <= 256;

    public bool Weighted => _weights is not null;

    public long Count { get; private set; }

    /// <summary>Total weight (the row count without weights).</summary>
    public double TotalWeight { get; set; }

    public int SegmentCount => _scores.Count;

    public void Add(T[] scores, int[] labels, TW[]? weights, int length)
    {
        if (scores.Length > length * ClassCount)
            Array.Resize(ref scores, length * ClassCount);
        _scores.Add(scores);
        if (ByteLabels)
        {
            var narrow = new byte[length];
            for (int i = 0; i < length; i++)
                narrow[i] = (byte)labels[i];
            _byteLabels.Add(narrow);
        }
        else
        {
            _intLabels.Add(labels[..length]);
        }
        _weights?.Add(weights![..length]);
        _lengths.Add(length);
        Count += length;
    }

    public int Length(int segment) => _lengths[segment];

    public ReadOnlySpan<T> Scores(int segment) => _scores[segment];

    public ReadOnlySpan<byte> LabelBytes(int segment) => _byteLabels[segment];

    public ReadOnlySpan<int> LabelInts(int segment) => _intLabels[segment];

    public ReadOnlySpan<TW> Weights(int segment) => _weights is null ? default : _weights[segment];

    /// <summary>Rows held in memory for a fit of this many rows and classes, in bytes (for messages and docs).</summary>
    public static long Bytes(long rows, int classCount, bool weighted)
        => rows * (classCount * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() + (classCount <= 256 ? 1 : 4)
            + (weighted ? System.Runtime.CompilerServices.Unsafe.SizeOf<TW>() : 0));
}

/// <summary>Reads the calibrators' fit data (one pass, second core checking and storing; see <see cref="SegmentReader{T, TW}"/>).</summary>
internal static class FitReader
{
    /// <summary>
    /// A binary calibrator's fit data: scores (finite; in [0, 1] for probabilities) in their column's type, labels as
    /// bits, weights (finite, &gt;= 0, not all 0). Both classes must occur among the rows of weight above 0.
    /// </summary>
    public static PredictionStore<T, TW> ReadBinary<T, TW>(IDataView data, ReadSpec spec, ScoreKind kind, ComponentChannel channel)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        bool weighted = spec.WeightColumn is not null;
        var store = new PredictionStore<T, TW>(weighted);
        bool probability = kind == ScoreKind.Probability;
        long positives = 0, negatives = 0;
        double totalWeight = 0;
        SegmentReader<T, TW>.Read(data, spec, channel, segment =>
        {
            for (int i = 0; i < segment.Length; i++)
            {
                double s = double.CreateTruncating(segment.Values[i]);
                if (probability ? !(s >= 0 && s <= 1) : !double.IsFinite(s))
                {
                    throw SegmentReader<T, TW>.BadValue(spec.Component, spec.ValueRole, spec.ValueColumn, segment.FirstRow + i,
                        CalibrationMetrics.Format(s), probability ? "a finite number in [0, 1]" : "a finite number");
                }
                double w = 1;
                if (weighted)
                {
                    CalibrationEvaluator.CheckWeights(segment, spec, i);
                    w = double.CreateTruncating(segment.Weights![i]);
                    totalWeight += w;
                    if (!(w > 0))
                        continue;
                }
                else
                {
                    totalWeight += 1;
                }
                if (segment.Label(i))
                    positives++;
                else
                    negatives++;
            }
            store.Add(segment.Values, segment.Bits!, segment.Weights, segment.Length);
            return false;
        });
        CalibrationEvaluator.CheckAnyWeight(totalWeight, store.Count, spec);
        if (positives == 0 || negatives == 0)
        {
            string rows = weighted ? $"{positives + negatives} rows of weight above 0" : $"{store.Count} rows";
            throw new InvalidOperationException(
                $"Label column '{spec.LabelColumn}' is {(positives == 0 ? "false" : "true")} in all {rows} of the fit data; " +
                $"{spec.Component} needs examples of both classes.");
        }
        store.PositiveRows = positives + negatives;
        store.TotalWeight = totalWeight;
        return store;
    }

    /// <summary>
    /// A multiclass calibrator's fit data: score vectors of K values (finite; in [0, 1] for probabilities), class labels
    /// (key or whole numbers 0..K-1), weights. At least two classes must occur among the rows of weight above 0.
    /// </summary>
    public static ClassRows<T, TW> ReadMulticlass<T, TW>(IDataView data, ReadSpec spec, int classCount, ScoreKind kind, ComponentChannel channel)
        where T : unmanaged, INumber<T>
        where TW : unmanaged, INumberBase<TW>
    {
        bool weighted = spec.WeightColumn is not null;
        bool isKey = data.Schema[spec.LabelColumn].Type is KeyDataViewType;
        var rows = new ClassRows<T, TW>(classCount, weighted);
        bool probability = kind == ScoreKind.Probability;
        var classes = new int[Segments.Rows];
        int firstClass = -1;
        bool twoClasses = false;
        double totalWeight = 0;
        SegmentReader<T, TW>.Read(data, spec, channel, segment =>
        {
            CalibrationEvaluator.ClassIndices(segment, isKey, classCount, spec, classes);
            for (int i = 0; i < segment.Length; i++)
            {
                for (int k = 0; k < classCount; k++)
                {
                    double s = double.CreateTruncating(segment.Values[i * classCount + k]);
                    if (probability ? !(s >= 0 && s <= 1) : !double.IsFinite(s))
                    {
                        throw SegmentReader<T, TW>.BadValue(spec.Component, spec.ValueRole, spec.ValueColumn, segment.FirstRow + i,
                            $"{CalibrationMetrics.Format(s)} in slot {k}", probability ? "a finite number in [0, 1]" : "a finite number");
                    }
                }
                double w = 1;
                if (weighted)
                {
                    CalibrationEvaluator.CheckWeights(segment, spec, i);
                    w = double.CreateTruncating(segment.Weights![i]);
                }
                totalWeight += w;
                if (w > 0)
                {
                    if (firstClass < 0)
                        firstClass = classes[i];
                    else if (classes[i] != firstClass)
                        twoClasses = true;
                }
            }
            rows.Add(segment.Values, classes, segment.Weights, segment.Length);
            return false;
        });
        CalibrationEvaluator.CheckAnyWeight(totalWeight, rows.Count, spec);
        if (!twoClasses)
        {
            throw new InvalidOperationException(
                $"Label column '{spec.LabelColumn}' holds only class {firstClass} in all {rows.Count} rows of the fit data" +
                $"{(weighted ? " (rows of weight above 0)" : "")}; {spec.Component} needs examples of at least two classes.");
        }
        rows.TotalWeight = totalWeight;
        return rows;
    }
}
