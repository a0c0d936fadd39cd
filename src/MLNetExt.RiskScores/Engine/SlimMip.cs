using System.Diagnostics;
using Google.OrTools.LinearSolver;

namespace MLNetExt.RiskScores.Engine;

/// <summary>What the SLIM MIP is given.</summary>
internal sealed class SlimSettings
{
    public required double C0 { get; init; }

    /// <summary>The L1 tie-breaker; NaN = the rule of spec §1.3 (0.975 min(w_min, C0) / L1max).</summary>
    public double C1 { get; init; } = double.NaN;

    public required int InterceptMinimum { get; init; }

    public required int InterceptMaximum { get; init; }

    public int Threads { get; init; } = 1;

    public int Seed { get; init; }
}

/// <summary>What the SLIM MIP returns.</summary>
internal sealed record SlimResult(int Intercept, int[] Points, double Objective, double LowerBound, double ErrorWeight, CertificateStatus Status,
    double Seconds, long Nodes, double C1);

/// <summary>
/// SLIM (Ustun and Rudin, 2016; slim-python @204c7db and slim-matlab read, not copied) as one SCIP MIP (spec §1.2-§1.5):
/// minimise (weighted error rate) + C0 * (used features) + C1 * (sum of |points|) over integer points in their boxes
/// and the operational constraints. Error rule (§1.3, recommended): a positive row is correct when its score is at
/// least gamma (1 when every feature is a whole number, so exactly when the score is &gt; 0; 1e-3 otherwise), a
/// negative row when its score is at most 0, which is the prediction rule Score &gt; 0. Big-M per row from the smallest
/// (positives) or largest (negatives) score the box allows with at most k used features. Rows are merged by (x, y)
/// first, and a pattern with both labels adds z+ + z- &gt;= 1 (§1.5). SCIP runs with gap 0 and absolute gap 0.
/// </summary>
internal static class SlimMip
{
    public static SlimResult Solve(RiskData data, ConstraintSet constraints, SlimSettings settings, double timeLimitSeconds, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        int d = data.FeatureCount, n = data.RowCount;
        double gamma = data.IntegerFeatures ? 1 : 1e-3;
        double wMin = data.Weights.Min() / data.TotalWeight;
        var lambdaMax = Enumerable.Range(0, d).Select(j => (double)Math.Max(Math.Abs(constraints.Lower[j]), Math.Abs(constraints.Upper[j]))).ToArray();
        double l1Max = lambdaMax.OrderByDescending(v => v).Take(constraints.MaximumFeatureCount).Sum();
        double c1 = double.IsNaN(settings.C1) ? 0.975 * Math.Min(wMin, settings.C0) / Math.Max(1, l1Max) : settings.C1;

        using var solver = Solver.CreateSolver("SCIP") ?? throw new InvalidOperationException("OR-Tools' SCIP solver is not available.");
        solver.SetSolverSpecificParametersAsString($"limits/gap = 0\nlimits/absgap = 0\nrandomization/randomseedshift = {Math.Abs(settings.Seed % 100000)}\n");
        solver.SetNumThreads(Math.Max(1, settings.Threads));
        solver.SetTimeLimit((long)Math.Min(timeLimitSeconds * 1000, int.MaxValue));
        var intercept = solver.MakeIntVar(settings.InterceptMinimum, settings.InterceptMaximum, "intercept");
        var lambda = new Variable[d];
        var alpha = new Variable[d];
        var beta = new Variable[d];
        var objective = solver.Objective();
        for (int j = 0; j < d; j++)
        {
            int lo = constraints.Lower[j], hi = constraints.Upper[j];
            lambda[j] = solver.MakeIntVar(lo, hi, $"lambda{j}");
            alpha[j] = solver.MakeBoolVar($"alpha{j}");
            beta[j] = solver.MakeNumVar(0, lambdaMax[j], $"beta{j}");
            solver.Add(lambda[j] <= hi * alpha[j]);
            solver.Add(lambda[j] >= lo * alpha[j]);
            solver.Add(beta[j] >= lambda[j]);
            solver.Add(beta[j] >= -1 * lambda[j]);
            objective.SetCoefficient(alpha[j], settings.C0);
            objective.SetCoefficient(beta[j], c1);
            if (!constraints.Allowed[j])
                alpha[j].SetBounds(0, 0);
            if (constraints.Required[j])
            {
                // Nonzero: lambda <= -1 or lambda >= 1.
                alpha[j].SetBounds(1, 1);
                var positive = solver.MakeBoolVar($"positive{j}");
                double m = lambdaMax[j] + 1;
                solver.Add(lambda[j] >= 1 - m * (1 - positive));
                solver.Add(lambda[j] <= -1 + m * positive);
            }
        }
        var size = new LinearExpr();
        foreach (var a in alpha)
            size += a;
        solver.Add(size <= constraints.MaximumFeatureCount);
        if (constraints.MinimumFeatureCount > 0)
            solver.Add(size >= constraints.MinimumFeatureCount);
        foreach (var (features, max, _) in constraints.Groups)
        {
            var sum = new LinearExpr();
            foreach (int j in features)
                sum += alpha[j];
            solver.Add(sum <= max);
        }
        foreach (var (features, _) in constraints.Chains)
        {
            for (int t = 1; t < features.Length; t++)
                solver.Add(lambda[features[t]] >= lambda[features[t - 1]]);
        }

        // Extreme scores per row with at most k used features.
        int k = constraints.MaximumFeatureCount;
        var errors = new Variable[n];
        var byPattern = new Dictionary<string, List<int>>();
        var terms = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
                terms[j] = Math.Min(constraints.Lower[j] * data[i, j], constraints.Upper[j] * data[i, j]);
            double smallest = settings.InterceptMinimum + terms.Where(v => v < 0).OrderBy(v => v).Take(k).Sum();
            for (int j = 0; j < d; j++)
                terms[j] = Math.Max(constraints.Lower[j] * data[i, j], constraints.Upper[j] * data[i, j]);
            double largest = settings.InterceptMaximum + terms.Where(v => v > 0).OrderByDescending(v => v).Take(k).Sum();
            var score = new LinearExpr() + intercept;
            for (int j = 0; j < d; j++)
            {
                if (data[i, j] != 0)
                    score += data[i, j] * lambda[j];
            }
            errors[i] = solver.MakeBoolVar($"error{i}");
            objective.SetCoefficient(errors[i], data.Weights[i] / data.TotalWeight);
            if (data.Y[i] > 0)
                solver.Add(score + Math.Max(0, gamma - smallest) * errors[i] >= gamma);
            else
                solver.Add(-1 * score + Math.Max(0, largest) * errors[i] >= 0);
            string key = string.Join(",", Enumerable.Range(0, d).Select(j => data[i, j].ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
            if (!byPattern.TryGetValue(key, out var rows))
                byPattern[key] = rows = [];
            rows.Add(i);
        }
        foreach (var rows in byPattern.Values)
        {
            if (rows.Count == 2 && data.Y[rows[0]] != data.Y[rows[1]])
                solver.Add(errors[rows[0]] + errors[rows[1]] >= 1);
        }
        objective.SetMinimization();

        Solver.ResultStatus status;
        using (cancel.Register(() => solver.InterruptSolve()))
            status = solver.Solve();
        cancel.ThrowIfCancellationRequested();
        if (status is not (Solver.ResultStatus.OPTIMAL or Solver.ResultStatus.FEASIBLE))
        {
            throw new InvalidOperationException(status == Solver.ResultStatus.INFEASIBLE
                ? "SCIP found the SLIM model infeasible, although the constraints were checked satisfiable; please report this data."
                : $"SCIP found no SLIM model within {timeLimitSeconds} s (status {status}); raise the time limit.");
        }
        var points = lambda.Select(v => (int)Math.Round(v.SolutionValue())).ToArray();
        int b0 = (int)Math.Round(intercept.SolutionValue());
        // The objective of the rounded solution, recomputed exactly (the error count by the prediction rule).
        double errorWeight = 0;
        double errorRate = 0;
        for (int i = 0; i < n; i++)
        {
            double s = ScoreCards.Total(data, i, points, b0);
            bool wrong = data.Y[i] > 0 ? s < gamma : s > 0;
            if (wrong)
            {
                errorWeight += data.Weights[i];
                errorRate += data.Weights[i] / data.TotalWeight;
            }
        }
        double value = errorRate + settings.C0 * points.Count(p => p != 0) + c1 * points.Sum(p => Math.Abs(p));
        double lower = Math.Min(value, solver.Objective().BestBound());
        var certificate = status == Solver.ResultStatus.OPTIMAL ? CertificateStatus.Optimal : CertificateStatus.TimeLimit;
        if (certificate == CertificateStatus.Optimal)
            lower = value;
        return new SlimResult(b0, points, value, lower, errorWeight, certificate, clock.Elapsed.TotalSeconds, solver.Nodes(), c1);
    }
}
