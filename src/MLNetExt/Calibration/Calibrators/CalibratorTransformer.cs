using MLNetExt.Serialization;

namespace MLNetExt.Calibration;

/// <summary>
/// What every MLNetExt calibrator has: the score column it reads, the column it writes, whether the scores are
/// logits or probabilities, and the floor under probabilities before logarithms. Not meant to be derived from
/// outside MLNetExt.
/// </summary>
public abstract class CalibratorTransformer : RowToRowTransformer
{
    private protected CalibratorTransformer(string scoreColumnName, string outputColumnName, ScoreKind scoreKind, double probabilityFloor)
    {
        ScoreColumnName = scoreColumnName;
        OutputColumnName = outputColumnName;
        ScoreKind = scoreKind;
        ProbabilityFloor = probabilityFloor;
    }

    /// <summary>The score column read.</summary>
    public string ScoreColumnName { get; }

    /// <summary>The calibrated column written (Single, or a vector of Single for multiclass).</summary>
    public string OutputColumnName { get; }

    /// <summary>Whether the score column holds logits (raw scores) or probabilities.</summary>
    public ScoreKind ScoreKind { get; }

    /// <summary>The floor applied to probability input before logarithms.</summary>
    public double ProbabilityFloor { get; }

    /// <summary>Writes the column binding; derived classes write their parameters after it.</summary>
    private protected void SaveBinding(ModelStateWriter writer)
    {
        writer.Write(ScoreColumnName);
        writer.Write(OutputColumnName);
        writer.WriteEnum(ScoreKind);
        writer.Write(ProbabilityFloor);
    }

    /// <summary>Reads what <see cref="SaveBinding"/> wrote, checking it.</summary>
    private protected static (string Score, string Output, ScoreKind Kind, double Floor) LoadBinding(ModelStateReader reader)
    {
        string score = reader.ReadNonEmptyString("the score column name");
        string output = reader.ReadNonEmptyString("the output column name");
        var kind = reader.ReadEnum<ScoreKind>("the score kind");
        double floor = reader.ReadFiniteDouble("the probability floor");
        reader.Check(floor > 0 && floor <= 0.01, $"the probability floor is {floor}");
        return (score, output, kind, floor);
    }
}
