using System.Numerics;

namespace MLNetExt.Calibration.Kernels;

/// <summary>
/// Predictions kept by an evaluator in their narrowest exact form, one <see cref="Segments.Rows"/>-row segment per
/// array: confidences as the column's own type (4 bytes for Single), outcomes as bits (1/8 byte), weights as the
/// weight column's own type. Segments never move once stored, so memory grows by the data and nothing else (no
/// doubling buffer); the last segment is trimmed to its rows.
/// </summary>
internal sealed class PredictionStore<T, TW>
    where T : unmanaged, INumber<T>
    where TW : unmanaged, INumberBase<TW>
{
    private readonly List<T[]> _confidences = [];
    private readonly List<ulong[]> _outcomes = [];
    private readonly List<TW[]>? _weights;

    [ThreadStatic]
    private static bool[]? t_outcomes;

    public PredictionStore(bool weighted) => _weights = weighted ? [] : null;

    /// <summary>Whether rows carry weights.</summary>
    public bool Weighted => _weights is not null;

    /// <summary>All rows stored, weight 0 included.</summary>
    public long Count { get; private set; }

    /// <summary>Rows whose weight is above 0 (all rows when unweighted).</summary>
    public long PositiveRows { get; set; }

    /// <summary>The sum of the weights (the row count when unweighted).</summary>
    public double TotalWeight { get; set; }

    public int SegmentCount => _confidences.Count;

    /// <summary>Appends the next segment; every segment but the last must be full.</summary>
    public void Add(T[] confidences, ulong[] outcomes, TW[]? weights, int length)
    {
        if (length < confidences.Length)
        {
            Array.Resize(ref confidences, length);
            if (weights is not null)
                Array.Resize(ref weights, length);
        }
        _confidences.Add(confidences);
        _outcomes.Add(outcomes);
        _weights?.Add(weights!);
        Count += length;
    }

    public ReadOnlySpan<T> Confidences(int segment) => _confidences[segment];

    public ReadOnlySpan<TW> Weights(int segment) => _weights is null ? default : _weights[segment];

    /// <summary>The outcomes of a segment, unpacked into a per-thread buffer (valid until the thread's next call).</summary>
    public ReadOnlySpan<bool> Outcomes(int segment)
    {
        var buffer = t_outcomes ??= new bool[Segments.Rows];
        int length = _confidences[segment].Length;
        Unpack(_outcomes[segment], buffer.AsSpan(0, length));
        return buffer.AsSpan(0, length);
    }

    /// <summary>Bit i of <paramref name="bits"/> (word i / 64, bit i mod 64) into <paramref name="destination"/>[i].</summary>
    public static void Unpack(ulong[] bits, Span<bool> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = ((bits[i >> 6] >> (i & 63)) & 1) != 0;
    }

    /// <summary>The words needed for one segment's bits.</summary>
    public static ulong[] NewBits() => new ulong[Segments.Rows / 64];
}
