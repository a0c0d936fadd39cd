using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Numerics;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.Calibration.BetaCalibrationTransformer))]

namespace MLNetExt.Calibration;

/// <summary>
/// A fitted beta calibration map: <c>P = sigmoid(A ln s - B ln(1 - s) + C)</c>, s the score (or sigmoid of a raw
/// score). Created by <see cref="BetaCalibrationEstimator"/>.
/// </summary>
public sealed class BetaCalibrationTransformer : BinaryCalibratorTransformer, IPersistentComponent<BetaCalibrationTransformer>
{
    internal BetaCalibrationTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind,
        double probabilityFloor, DataKind outputKind, double a, double b, double c)
        : base(scoreColumnName, outputColumnName, scoreKind, probabilityFloor, outputKind)
    {
        A = a;
        B = b;
        C = c;
    }

    /// <summary>The weight of ln s, &gt;= 0.</summary>
    public double A { get; }

    /// <summary>The weight of -ln(1 - s), &gt;= 0.</summary>
    public double B { get; }

    /// <summary>The intercept.</summary>
    public double C { get; }

    static ComponentFormat IPersistentComponent<BetaCalibrationTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    // Version 1: the binding, then a, b, c. Version 2 (issue 21): the binding, the output kind, then a, b, c.
    private static readonly ComponentFormat Format = new("MLNetExt.Calibration.BetaCalibration", 2, OldestReadableVersion: 1);

    // A slope of 0 (dropped) contributes nothing, also where its logarithm is infinite (a raw score of +-infinity):
    // 0 * infinity would be NaN, and the map's limit there is the other terms'.
    private protected override double CalibrateCore(double score)
    {
        var (logS, logOneMinusS) = ScoreMath.ToLogProbabilities(score, ScoreKind, ProbabilityFloor);
        double a = A == 0 ? 0 : A * logS;
        double b = B == 0 ? 0 : B * logOneMinusS;
        return StableMath.Sigmoid(a - b + C);
    }

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        SaveBinding(writer);
        SaveOutputKind(writer);
        writer.Write(A);
        writer.Write(B);
        writer.Write(C);
    }

    static BetaCalibrationTransformer IPersistentComponent<BetaCalibrationTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        var (score, output, kind, floor) = LoadBinding(reader);
        var outputKind = LoadOutputKind(reader);
        double a = reader.ReadFiniteDouble("a");
        double b = reader.ReadFiniteDouble("b");
        double c = reader.ReadFiniteDouble("c");
        reader.Check(a >= 0 && b >= 0, $"the slopes a = {a}, b = {b} must be non-negative");
        return new BetaCalibrationTransformer(score, output, kind, floor, outputKind, a, b, c);
    }
}
