using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Numerics;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.Calibration.BinaryTemperatureScalingTransformer))]

namespace MLNetExt.Calibration;

/// <summary>
/// A fitted binary temperature: <c>P = sigmoid(x / Temperature)</c>. Created by <see cref="BinaryTemperatureScalingEstimator"/>.
/// </summary>
public sealed class BinaryTemperatureScalingTransformer : BinaryCalibratorTransformer, IPersistentComponent<BinaryTemperatureScalingTransformer>
{
    internal BinaryTemperatureScalingTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind,
        double probabilityFloor, DataKind outputKind, double temperature)
        : base(scoreColumnName, outputColumnName, scoreKind, probabilityFloor, outputKind)
    {
        Temperature = temperature;
    }

    /// <summary>The fitted temperature T &gt; 0; T &gt; 1 softens over-confident scores.</summary>
    public double Temperature { get; }

    static ComponentFormat IPersistentComponent<BinaryTemperatureScalingTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    // Version 1: the binding, then T. Version 2 (issue 21): the binding, the output kind (Single or Double), then T.
    private static readonly ComponentFormat Format = new("MLNetExt.Calibration.BinaryTemperatureScaling", 2, OldestReadableVersion: 1);

    private protected override double CalibrateCore(double score)
        => StableMath.Sigmoid(ScoreMath.ToLogit(score, ScoreKind, ProbabilityFloor) / Temperature);

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        SaveBinding(writer);
        SaveOutputKind(writer);
        writer.Write(Temperature);
    }

    static BinaryTemperatureScalingTransformer IPersistentComponent<BinaryTemperatureScalingTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        var (score, output, kind, floor) = LoadBinding(reader);
        var outputKind = LoadOutputKind(reader);
        double t = reader.ReadFiniteDouble("the temperature");
        reader.Check(t > 0, $"the temperature is {t}");
        return new BinaryTemperatureScalingTransformer(score, output, kind, floor, outputKind, t);
    }
}
