using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.Calibration.HistogramBinningTransformer))]

namespace MLNetExt.Calibration;

/// <summary>
/// A fitted histogram-binning calibrator: bin j holds scores in (Thresholds[j-1], Thresholds[j]] (the first bin
/// everything up to Thresholds[0], the last everything above the last threshold) and predicts Probabilities[j].
/// Created by <see cref="HistogramBinningEstimator"/>.
/// </summary>
public sealed class HistogramBinningTransformer : BinaryCalibratorTransformer, IPersistentComponent<HistogramBinningTransformer>
{
    private readonly double[] _thresholds;
    private readonly double[] _probabilities;
    private readonly int[] _counts;

    internal HistogramBinningTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind,
        double probabilityFloor, DataKind outputKind, double[] thresholds, double[] probabilities, int[] counts)
        : base(scoreColumnName, outputColumnName, scoreKind, probabilityFloor, outputKind)
    {
        _thresholds = thresholds;
        _probabilities = probabilities;
        _counts = counts;
    }

    /// <summary>The upper edges of every bin but the last, increasing, in the score column's units.</summary>
    public IReadOnlyList<double> Thresholds => _thresholds;

    /// <summary>Each bin's calibrated probability: its (weighted) fraction of positive fit labels.</summary>
    public IReadOnlyList<double> Probabilities => _probabilities;

    /// <summary>The number of fit rows (of weight above 0) in each bin.</summary>
    public IReadOnlyList<int> Counts => _counts;

    static ComponentFormat IPersistentComponent<HistogramBinningTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    // Version 1: the binding, thresholds, probabilities, counts. Version 2 (issue 21): the binding, the output kind, then the same.
    private static readonly ComponentFormat Format = new("MLNetExt.Calibration.HistogramBinning", 2, OldestReadableVersion: 1);

    private protected override double CalibrateCore(double score)
        => _probabilities[HistogramBinningFitter.FindBin(_thresholds, score)];

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        SaveBinding(writer);
        SaveOutputKind(writer);
        writer.Write(_thresholds);
        writer.Write(_probabilities);
        writer.Write(_counts);
    }

    static HistogramBinningTransformer IPersistentComponent<HistogramBinningTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        var (score, output, kind, floor) = LoadBinding(reader);
        var outputKind = LoadOutputKind(reader);
        var thresholds = reader.ReadDoubleArray("the thresholds");
        var probabilities = reader.ReadDoubleArray("the bin probabilities");
        var counts = reader.ReadInt32Array("the bin counts");
        reader.Check(probabilities.Length == thresholds.Length + 1 && counts.Length == probabilities.Length,
            $"there are {thresholds.Length} thresholds, {probabilities.Length} probabilities and {counts.Length} counts");
        for (int j = 0; j < thresholds.Length; j++)
            reader.Check(double.IsFinite(thresholds[j]) && (j == 0 || thresholds[j] > thresholds[j - 1]), $"threshold {j} is out of order");
        foreach (double p in probabilities)
            reader.Check(p >= 0 && p <= 1, $"a bin probability is {p}");
        foreach (int c in counts)
            reader.Check(c > 0, $"a bin count is {c}");
        return new HistogramBinningTransformer(score, output, kind, floor, outputKind, thresholds, probabilities, counts);
    }
}
