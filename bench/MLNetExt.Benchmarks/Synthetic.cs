namespace MLNetExt.Benchmarks;

/// <summary>Deterministic synthetic binary predictions: an over-confident model of a known true probability.</summary>
internal static class Synthetic
{
    public static (bool[] Labels, float[] Scores, float[] Probabilities) BinaryPredictions(int n, int seed = 42)
    {
        var random = new Random(seed);
        var labels = new bool[n];
        var scores = new float[n];
        var probabilities = new float[n];
        for (int i = 0; i < n; i++)
        {
            double logit = 3 * (random.NextDouble() * 2 - 1);
            double truth = 1 / (1 + Math.Exp(-logit));
            labels[i] = random.NextDouble() < truth;
            scores[i] = (float)(2 * logit); // twice the true logit: over-confident
            probabilities[i] = (float)(1 / (1 + Math.Exp(-scores[i])));
        }
        return (labels, scores, probabilities);
    }
}
