using MLNetExt.Numerics;

namespace MLNetExt.RiskScores.Engine;

/// <summary>What every trainer computes for its model: the risk table, the training loss, the SLIM multiplier.</summary>
internal static class ScoreCards
{
    private const int MaximumTableSize = 4096;

    /// <summary>
    /// Every reachable total of the used features' points: each feature takes the values it took in training (for
    /// binary features 0 and 1, so the totals are the subset sums FasterRisk lists); when that would make more than
    /// 4096 totals, the distinct training totals (at most 100, evenly spaced by rank) instead.
    /// </summary>
    public static ScoreRisk[] RiskTable(RiskData data, int[] points, int intercept, double multiplier)
    {
        var used = Enumerable.Range(0, points.Length).Where(j => points[j] != 0).ToArray();
        var totals = new HashSet<double> { 0 };
        bool exact = true;
        foreach (int j in used)
        {
            var values = new HashSet<double>();
            for (int i = 0; i < data.RowCount && values.Count <= 64; i++)
                values.Add(data[i, j]);
            var next = new HashSet<double>();
            foreach (double t in totals)
            {
                foreach (double v in values)
                    next.Add(t + points[j] * v);
            }
            if (values.Count > 64 || next.Count > MaximumTableSize)
            {
                exact = false;
                break;
            }
            totals = next;
        }
        if (!exact)
        {
            var observed = new SortedSet<double>();
            for (int i = 0; i < data.RowCount; i++)
            {
                double t = 0;
                foreach (int j in used)
                    t += points[j] * data[i, j];
                observed.Add(t);
            }
            var sorted = observed.ToArray();
            int count = Math.Min(100, sorted.Length);
            totals = Enumerable.Range(0, count).Select(q => sorted[(int)Math.Round((double)q * (sorted.Length - 1) / Math.Max(1, count - 1))]).ToHashSet();
        }
        return totals.OrderBy(t => t).Select(t => new ScoreRisk(t + 0.0, StableMath.Sigmoid((intercept + t) / multiplier))).ToArray();
    }

    /// <summary>The weighted mean logistic loss of (intercept + points . x) / multiplier.</summary>
    public static double MeanLoss(RiskData data, int[] points, int intercept, double multiplier)
    {
        double sum = 0;
        for (int i = 0; i < data.RowCount; i++)
            sum += data.Weights[i] * LogisticLoss.Loss(data.Y[i] * Total(data, i, points, intercept) / multiplier);
        return sum / data.TotalWeight;
    }

    /// <summary>intercept + points . x_i.</summary>
    public static double Total(RiskData data, int i, int[] points, int intercept)
    {
        double s = intercept;
        for (int j = 0; j < points.Length; j++)
        {
            if (points[j] != 0)
                s += points[j] * data[i, j];
        }
        return s;
    }

    /// <summary>
    /// The multiplier m &gt; 0 that minimises the logistic loss of the integer scores s_i / m (a scale fit, like Platt
    /// scaling without an offset, so Score &gt; 0 keeps meaning s &gt; 0); searched in [1e-3, 1e4].
    /// </summary>
    public static double FitMultiplier(RiskData data, int[] points, int intercept)
    {
        var s = new double[data.RowCount];
        for (int i = 0; i < s.Length; i++)
            s[i] = data.Y[i] * Total(data, i, points, intercept);
        // Minimise over a = 1/m >= 0: f(a) = sum w log(1 + exp(-a s)).
        var result = ScalarConvexMinimizer.Minimize(a =>
        {
            double g = 0, h = 0;
            for (int i = 0; i < s.Length; i++)
            {
                double p = StableMath.Sigmoid(-a * s[i]);
                g -= data.Weights[i] * s[i] * p;
                h += data.Weights[i] * s[i] * s[i] * p * (1 - p);
            }
            return (g, h);
        }, 1, 1e-4, 1e3);
        return 1 / result.X;
    }
}
