namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// RiskSLIM's chained bound updates (spec §2.6, the paper's form): bounds on the objective V, the loss L and the model
/// size R of any model better than the incumbent tighten each other, using
/// pen_min(R) = sum of the R smallest C0_j, pen_max(R) = the R largest, c = min C0_j; repeated until nothing changes
/// (at most 20 rounds).
/// </summary>
internal readonly record struct ChainedBounds(double ObjectiveMin, double ObjectiveMax, double LossMin, double LossMax, int SizeMin, int SizeMax)
{
    private const double Slack = 1e-9;

    /// <summary>Tightens the bounds given the penalties of the features that can be used.</summary>
    public ChainedBounds Update(double[] penalties)
    {
        var sorted = penalties.Order().ToArray();
        double c = sorted.Length > 0 ? sorted[0] : 0;
        double PenMin(int r) => sorted.Take(Math.Max(0, r)).Sum();
        double PenMax(int r) => sorted.AsEnumerable().Reverse().Take(Math.Max(0, r)).Sum();
        var b = this;
        for (int round = 0; round < 20; round++)
        {
            var before = b;
            double vMin = b.ObjectiveMin, vMax = b.ObjectiveMax, lMin = b.LossMin, lMax = b.LossMax;
            int rMin = b.SizeMin, rMax = b.SizeMax;
            if (vMin > PenMax(rMax))
                lMin = Math.Max(lMin, vMin - PenMax(rMax));
            if (c > 0 && vMin > lMax)
                rMin = Math.Max(rMin, (int)Math.Ceiling((vMin - lMax) / c - Slack));
            vMin = Math.Max(vMin, lMin + PenMin(rMin));
            lMax = Math.Min(lMax, vMax - PenMin(rMin));
            if (c > 0)
                rMax = Math.Min(rMax, (int)Math.Floor((vMax - lMin) / c + Slack));
            vMax = Math.Min(vMax, lMax + PenMax(rMax));
            b = new ChainedBounds(vMin, vMax, lMin, lMax, rMin, rMax);
            if (b == before)
                break;
        }
        return b;
    }
}
