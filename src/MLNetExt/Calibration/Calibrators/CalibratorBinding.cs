using MLNetExt.Serialization;

namespace MLNetExt.Calibration;

/// <summary>The saved form of a calibrator's columns and input kind, shared by every calibrator's format.</summary>
internal static class CalibratorBinding
{
    public static void Write(ModelStateWriter writer, string scoreColumnName, string outputColumnName, ScoreKind kind, double probabilityFloor)
    {
        writer.Write(scoreColumnName);
        writer.Write(outputColumnName);
        writer.WriteEnum(kind);
        writer.Write(probabilityFloor);
    }

    public static (string Score, string Output, ScoreKind Kind, double Floor) Read(ModelStateReader reader)
    {
        string score = reader.ReadNonEmptyString("the score column name");
        string output = reader.ReadNonEmptyString("the output column name");
        var kind = reader.ReadEnum<ScoreKind>("the score kind");
        double floor = reader.ReadFiniteDouble("the probability floor");
        reader.Check(floor > 0 && floor <= 0.01, $"the probability floor is {floor}");
        return (score, output, kind, floor);
    }
}
