using System.Globalization;
using Microsoft.ML;
using MLNetExt.Calibration;
using MLNetExt.Serialization;

namespace MLNetExt.Tests.LoadProbe;

/// <summary>
/// One line per MLNetExt transformer: its type and learned parameters, round-trip formatted. Shared by the probe
/// (after loading in a fresh process) and the tests (before saving), which compare the lines.
/// </summary>
internal static class StateDescriber
{
    public static string? Describe(ITransformer transformer) => transformer switch
    {
        TemperatureScalingTransformer t =>
            $"TemperatureScaling {t.Method} T={R(t.Temperature)} K={t.ClassCount} w=[{string.Join(";", t.Weights.Select(R))}] " +
            $"b=[{string.Join(";", t.Biases.Select(R))}] {t.ScoreColumnName}->{t.OutputColumnName} {t.ScoreKind} floor={R(t.ProbabilityFloor)}",
        BetaCalibrationTransformer b => $"Beta a={R(b.A)} b={R(b.B)} c={R(b.C)} {Binding(b)}",
        HistogramBinningTransformer h =>
            $"HistogramBinning t=[{string.Join(";", h.Thresholds.Select(R))}] p=[{string.Join(";", h.Probabilities.Select(R))}] n=[{string.Join(";", h.Counts)}] {Binding(h)}",
        BinaryTemperatureScalingTransformer bt => $"BinaryTemperatureScaling T={R(bt.Temperature)} {Binding(bt)}",
        // Any other MLNetExt component (every package's trainers): its type and the checksum of its saved state, so
        // both sides compare the whole learned state without this file knowing each type.
        IPersistentComponent component => $"{component.GetType().Name} state-crc32={System.IO.Hashing.Crc32.HashToUInt32(ModelPersistence.ToBytes(component)):x8}",
        _ => null,
    };

    private static string Binding(BinaryCalibratorTransformer t)
        => $"{t.ScoreColumnName}->{t.OutputColumnName} {t.ScoreKind} floor={R(t.ProbabilityFloor)}";

    internal static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
