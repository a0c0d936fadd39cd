using MLNetExt.Numerics;

namespace MLNetExt.Calibration;

/// <summary>What a calibrator's input column holds.</summary>
public enum ScoreKind
{
    /// <summary>
    /// Unbounded scores read as logits: a binary classifier's raw <c>Score</c> (P = sigmoid(score)), or a vector of
    /// multiclass logits (P = softmax(z)).
    /// </summary>
    Logit,

    /// <summary>
    /// Probabilities in [0, 1]: a binary <c>Probability</c> column, or a multiclass probability vector (ML.NET's
    /// multiclass <c>Score</c>). Logarithms are taken after flooring at the calibrator's probability floor.
    /// </summary>
    Probability,
}

/// <summary>The conversions between scores, logits and log-probabilities shared by the calibrators.</summary>
internal static class ScoreMath
{
    /// <summary>The default probability floor: ln(1e-12) = -27.6 bounds the logits made from probabilities.</summary>
    public const double DefaultProbabilityFloor = 1e-12;

    /// <summary>A binary score as a logit: raw scores as they are, probabilities as ln(p / (1 - p)) after clamping to [floor, 1 - floor].</summary>
    public static double ToLogit(double score, ScoreKind kind, double floor)
    {
        if (kind == ScoreKind.Logit)
            return score;
        double p = Math.Clamp(score, floor, 1 - floor);
        return StableMath.Logit(p);
    }

    /// <summary>ln s and ln(1 - s) of a binary score, exactly for raw scores (s = sigmoid(x)) and clamped for probabilities.</summary>
    public static (double LogS, double LogOneMinusS) ToLogProbabilities(double score, ScoreKind kind, double floor)
    {
        if (kind == ScoreKind.Logit)
            return (-StableMath.Softplus(-score), -StableMath.Softplus(score));
        double p = Math.Clamp(score, floor, 1 - floor);
        return (Math.Log(p), StableMath.Log1P(-p));
    }

    /// <summary>A multiclass score vector as logits, into <paramref name="logits"/>.</summary>
    public static void ToLogits<T>(ReadOnlySpan<T> scores, ScoreKind kind, double floor, Span<double> logits)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        for (int k = 0; k < scores.Length; k++)
        {
            double v = double.CreateTruncating(scores[k]);
            logits[k] = kind == ScoreKind.Logit ? v : Math.Log(Math.Max(v, floor));
        }
    }

    /// <summary>
    /// softmax(z / T) into <paramref name="probabilities"/>, computed in double; overwrites <paramref name="logits"/>. With
    /// infinite logits, the limit: the classes at +infinity share the probability equally (a tie, as softmax gives for
    /// equal logits), the others get 0; if every logit is -infinity, all classes share it. NaN gives NaN.
    /// </summary>
    public static void Softmax(Span<double> logits, double temperature, Span<float> probabilities)
    {
        double max = double.NegativeInfinity;
        foreach (double z in logits)
            max = Math.Max(max, z);
        if (double.IsInfinity(max))
        {
            int tied = 0;
            foreach (double z in logits)
                tied += z == max ? 1 : 0;
            for (int k = 0; k < logits.Length; k++)
                probabilities[k] = logits[k] == max ? 1f / tied : double.IsNaN(logits[k]) ? float.NaN : 0f;
            return;
        }
        double sum = 0;
        for (int k = 0; k < logits.Length; k++)
        {
            logits[k] = Math.Exp((logits[k] - max) / temperature);
            sum += logits[k];
        }
        for (int k = 0; k < logits.Length; k++)
            probabilities[k] = (float)(logits[k] / sum);
    }
}
