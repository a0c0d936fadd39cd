namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// RiskSLIM's problem (spec §2.1): minimise V(rho) = L(rho) + C0 sum_j 1[rho_j != 0] over integer rho = (intercept,
/// points) in a box, with the operational constraints. Index 0 is the intercept (unpenalised, never counted).
/// </summary>
internal sealed class RiskSlimProblem
{
    public RiskSlimProblem(RiskData data, ConstraintSet constraints, double c0, int? interceptMinimum, int? interceptMaximum)
    {
        Data = data;
        Constraints = constraints;
        D = data.FeatureCount;
        P = D + 1;
        C0 = c0;
        Lower = new int[P];
        Upper = new int[P];
        for (int j = 0; j < D; j++)
        {
            Lower[j + 1] = constraints.Lower[j];
            Upper[j + 1] = constraints.Upper[j];
        }
        // The intercept box of the riskslim rewrite (§2.1): the largest |score| of at most k used features, plus the
        // log class ratio, plus 1.
        var extremes = new double[D];
        for (int j = 0; j < D; j++)
        {
            double a = Math.Max(Math.Abs(Lower[j + 1]), Math.Abs(Upper[j + 1]));
            extremes[j] = a * Math.Max(Math.Abs(data.Minimum[j]), Math.Abs(data.Maximum[j]));
        }
        double largest = extremes.OrderByDescending(v => v).Take(constraints.MaximumFeatureCount).Sum();
        double ratio = Math.Log(data.PositiveWeight / data.NegativeWeight);
        Lower[0] = interceptMinimum ?? -(int)Math.Ceiling(largest + Math.Max(-ratio, 0) + 1);
        Upper[0] = interceptMaximum ?? (int)Math.Ceiling(largest + Math.Max(ratio, 0) + 1);
        LargestMargin = largest + Math.Max(Math.Abs(Lower[0]), Math.Abs(Upper[0]));
        Penalties = new double[P];
        for (int j = 1; j < P; j++)
            Penalties[j] = c0;
        Loss = new LogisticLoss(data, Penalties, LargestMargin);
    }

    public RiskData Data { get; }

    public ConstraintSet Constraints { get; }

    public LogisticLoss Loss { get; }

    public int D { get; }

    public int P { get; }

    public double C0 { get; }

    /// <summary>C0 per coefficient (0 for the intercept).</summary>
    public double[] Penalties { get; }

    /// <summary>Smallest value per coefficient (index 0 = intercept).</summary>
    public int[] Lower { get; }

    /// <summary>Largest value per coefficient.</summary>
    public int[] Upper { get; }

    /// <summary>A bound on |score| over the box.</summary>
    public double LargestMargin { get; }

    /// <summary>V(rho) for integral rho.</summary>
    public double Objective(ReadOnlySpan<double> rho) => Loss.Value(rho) + Loss.Penalty(rho);

    /// <summary>Whether integral rho satisfies the box and every constraint.</summary>
    public bool IsFeasible(ReadOnlySpan<double> rho)
    {
        if (rho[0] < Lower[0] || rho[0] > Upper[0])
            return false;
        Span<int> points = D <= 256 ? stackalloc int[D] : new int[D];
        for (int j = 0; j < D; j++)
            points[j] = (int)rho[j + 1];
        return Constraints.IsFeasible(points);
    }
}

/// <summary>A feasible integral solution and its objective.</summary>
internal sealed record Incumbent(double[] Rho, double Objective);
