using System.Runtime.InteropServices;

namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// Training rows as the engines see them: features in their original units, labels as +1/-1 and a weight per row.
/// Identical (x, y) rows are merged into one row whose weight is the sum of theirs (spec §0: exact for every loss
/// here, since each loss is a weighted sum over rows); rows of weight 0 are dropped. Rows keep the order of their
/// first occurrence, so the engines see the same data whatever the thread count.
/// </summary>
internal sealed class RiskData
{
    private RiskData(int rowCount, int featureCount, double[] x, sbyte[] y, double[] weights, int originalRowCount)
    {
        RowCount = rowCount;
        FeatureCount = featureCount;
        X = x;
        Y = y;
        Weights = weights;
        OriginalRowCount = originalRowCount;
        double total = 0, positive = 0;
        for (int i = 0; i < rowCount; i++)
        {
            total += weights[i];
            if (y[i] > 0)
                positive += weights[i];
        }
        TotalWeight = total;
        PositiveWeight = positive;
        IntegerFeatures = true;
        foreach (double v in x)
        {
            if (v != Math.Floor(v) || Math.Abs(v) > 1e6)
            {
                IntegerFeatures = false;
                break;
            }
        }
        Minimum = new double[featureCount];
        Maximum = new double[featureCount];
        Array.Fill(Minimum, double.PositiveInfinity);
        Array.Fill(Maximum, double.NegativeInfinity);
        for (int i = 0; i < rowCount; i++)
        {
            for (int j = 0; j < featureCount; j++)
            {
                double v = x[i * featureCount + j];
                Minimum[j] = Math.Min(Minimum[j], v);
                Maximum[j] = Math.Max(Maximum[j], v);
            }
        }
    }

    /// <summary>Rows after merging.</summary>
    public int RowCount { get; }

    /// <summary>Features (d), not counting the intercept.</summary>
    public int FeatureCount { get; }

    /// <summary>Row-major RowCount x FeatureCount feature values.</summary>
    public double[] X { get; }

    /// <summary>Labels, +1 or -1.</summary>
    public sbyte[] Y { get; }

    /// <summary>Row weights (&gt; 0): how many training rows, times their example weights, each row stands for.</summary>
    public double[] Weights { get; }

    /// <summary>The sum of the weights.</summary>
    public double TotalWeight { get; }

    /// <summary>The weight of the positive rows.</summary>
    public double PositiveWeight { get; }

    /// <summary>The weight of the negative rows.</summary>
    public double NegativeWeight => TotalWeight - PositiveWeight;

    /// <summary>Rows read before merging (rows of weight 0 included).</summary>
    public int OriginalRowCount { get; }

    /// <summary>Whether every feature value is a whole number (scores of integer points are then whole numbers).</summary>
    public bool IntegerFeatures { get; }

    /// <summary>Smallest value of each feature.</summary>
    public double[] Minimum { get; }

    /// <summary>Largest value of each feature.</summary>
    public double[] Maximum { get; }

    /// <summary>The value of feature <paramref name="j"/> in row <paramref name="i"/>.</summary>
    public double this[int i, int j] => X[i * FeatureCount + j];

    /// <summary>
    /// Builds the rows from dense features (row-major <paramref name="n"/> x <paramref name="d"/>), labels and optional
    /// weights; merges identical rows when <paramref name="compress"/>.
    /// </summary>
    public static RiskData Create(ReadOnlySpan<float> features, ReadOnlySpan<bool> labels, ReadOnlySpan<double> weights, int n, int d, bool compress)
    {
        var x = new double[n * d];
        var y = new List<sbyte>(n);
        var w = new List<double>(n);
        var index = compress ? new Dictionary<RowKey, int>(n) : null;
        for (int i = 0; i < n; i++)
        {
            double weight = weights.IsEmpty ? 1 : weights[i];
            if (weight == 0)
                continue;
            sbyte label = labels[i] ? (sbyte)1 : (sbyte)-1;
            int row = y.Count;
            var values = x.AsSpan(row * d, d);
            for (int j = 0; j < d; j++)
                values[j] = features[i * d + j] + 0.0; // -0 becomes +0, so equal rows hash alike
            if (index is not null)
            {
                var key = new RowKey(x, row * d, d, label);
                if (index.TryGetValue(key, out int existing))
                {
                    w[existing] += weight;
                    continue;
                }
                index.Add(key, row);
            }
            y.Add(label);
            w.Add(weight);
        }
        return new RiskData(y.Count, d, x.AsSpan(0, y.Count * d).ToArray(), y.ToArray(), w.ToArray(), n);
    }

    /// <summary>Rows from double features and ±1 labels, as given (no merging): for tests and oracles.</summary>
    public static RiskData FromRows(double[,] x, int[] y, double[]? weights = null)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var flat = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                flat[i * d + j] = x[i, j];
        return new RiskData(n, d, flat, y.Select(v => v > 0 ? (sbyte)1 : (sbyte)-1).ToArray(), weights ?? Enumerable.Repeat(1.0, n).ToArray(), n);
    }

    /// <summary>A row of the growing value array (its values never move once written).</summary>
    private readonly struct RowKey : IEquatable<RowKey>
    {
        private readonly double[] _values;
        private readonly int _start;
        private readonly int _length;
        private readonly sbyte _label;
        private readonly int _hash;

        public RowKey(double[] values, int start, int length, sbyte label)
        {
            _values = values;
            _start = start;
            _length = length;
            _label = label;
            var hash = new HashCode();
            hash.Add(label);
            hash.AddBytes(MemoryMarshal.AsBytes(values.AsSpan(start, length)));
            _hash = hash.ToHashCode();
        }

        public bool Equals(RowKey other)
            => _label == other._label && _values.AsSpan(_start, _length).SequenceEqual(other._values.AsSpan(other._start, other._length));

        public override bool Equals(object? obj) => obj is RowKey other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}
