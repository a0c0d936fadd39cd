using System.Diagnostics;
using Google.OrTools.LinearSolver;

namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// The reference engine for RiskSLIM (spec §2.10, option A): Kelley's cutting-plane method over the master MIP of
/// §2.2, solved to optimality by SCIP in every round. Round r solves min theta + C0 sum alpha subject to the r cuts
/// so far; its optimum is a lower bound (cuts underestimate the convex loss); the true objective at its solution,
/// polished, is an upper bound; the cut at that solution joins the master. Stops when the bounds meet. (No MIP start
/// is given: with SCIP 10 in OR-Tools 9.15 a hinted solution made later rounds end ABNORMAL.) Simple and
/// independent of <see cref="LcpaBranchAndBound"/> except for the loss and heuristics, so tests compare the two.
/// </summary>
internal static class ScipOuterLoop
{
    public static CertifiedResult Run(RiskSlimProblem p, IEnumerable<Incumbent> warmStarts, SearchControl control)
    {
        var clock = Stopwatch.StartNew();
        var heuristics = new Heuristics(p);
        Incumbent? best = null;
        foreach (var start in warmStarts)
        {
            if (!p.IsFeasible(start.Rho))
                continue;
            var polished = heuristics.Polish(start);
            if (best is null || polished.Objective < best.Objective)
                best = polished;
        }
        using var solver = Solver.CreateSolver("SCIP") ?? throw new InvalidOperationException("OR-Tools' SCIP solver is not available.");
        solver.SetSolverSpecificParametersAsString("limits/gap = 0\nlimits/absgap = 0\n");
        var rho = new Variable[p.P];
        var alpha = new Variable[p.P];
        for (int j = 0; j < p.P; j++)
        {
            rho[j] = solver.MakeIntVar(p.Lower[j], p.Upper[j], $"rho{j}");
            if (j == 0)
                continue;
            alpha[j] = solver.MakeBoolVar($"alpha{j}");
            if (p.Upper[j] > 0)
                solver.Add(rho[j] <= p.Upper[j] * alpha[j]);
            if (p.Lower[j] < 0)
                solver.Add(rho[j] >= p.Lower[j] * alpha[j]);
            if (!p.Constraints.Allowed[j - 1])
                alpha[j].SetBounds(0, 0);
            if (p.Constraints.Required[j - 1])
            {
                alpha[j].SetBounds(1, 1);
                var positive = solver.MakeBoolVar($"positive{j}");
                double m = Math.Max(Math.Abs(p.Lower[j]), Math.Abs(p.Upper[j])) + 1;
                solver.Add(rho[j] >= 1 - m * (1 - positive));
                solver.Add(rho[j] <= -1 + m * positive);
            }
        }
        var size = new LinearExpr();
        for (int j = 1; j < p.P; j++)
            size += alpha[j];
        solver.Add(size <= p.Constraints.MaximumFeatureCount);
        if (p.Constraints.MinimumFeatureCount > 0)
            solver.Add(size >= p.Constraints.MinimumFeatureCount);
        foreach (var (features, max, _) in p.Constraints.Groups)
        {
            var sum = new LinearExpr();
            foreach (int f in features)
                sum += alpha[f + 1];
            solver.Add(sum <= max);
        }
        foreach (var (features, _) in p.Constraints.Chains)
        {
            for (int t = 1; t < features.Length; t++)
                solver.Add(rho[features[t] + 1] >= rho[features[t - 1] + 1]);
        }
        var theta = solver.MakeNumVar(0, double.PositiveInfinity, "theta");
        var objective = solver.Objective();
        objective.SetCoefficient(theta, 1);
        for (int j = 1; j < p.P; j++)
            objective.SetCoefficient(alpha[j], p.Penalties[j]);
        objective.SetMinimization();

        var gradient = new double[p.P];
        void AddCut(double[] point)
        {
            double loss = p.Loss.ValueAndGradient(point, gradient);
            var cut = new LinearExpr() + theta;
            double constant = loss;
            for (int j = 0; j < p.P; j++)
            {
                cut -= gradient[j] * rho[j];
                constant -= gradient[j] * point[j];
            }
            solver.Add(cut >= constant);
        }
        if (best is not null)
            AddCut(best.Rho);
        var history = new List<BoundPoint>();
        double lower = 0;
        long rounds = 0;
        var status = CertificateStatus.Optimal;
        while (true)
        {
            if (control.Cancel.IsCancellationRequested)
            {
                status = CertificateStatus.Canceled;
                break;
            }
            double left = control.TimeLimitSeconds - clock.Elapsed.TotalSeconds;
            if (left <= 0)
            {
                status = CertificateStatus.TimeLimit;
                break;
            }
            solver.SetTimeLimit((long)(left * 1000));
            Solver.ResultStatus result;
            using (control.Cancel.Register(() => solver.InterruptSolve()))
                result = solver.Solve();
            rounds++;
            if (result == Solver.ResultStatus.OPTIMAL)
                lower = Math.Max(lower, objective.Value());
            else if (result == Solver.ResultStatus.FEASIBLE)
                lower = Math.Max(lower, objective.BestBound());
            else if (result == Solver.ResultStatus.INFEASIBLE)
                throw new InvalidOperationException("The RiskSLIM master problem is infeasible although the constraints were checked satisfiable.");
            else
            {
                status = control.Cancel.IsCancellationRequested ? CertificateStatus.Canceled : CertificateStatus.TimeLimit;
                break;
            }
            var point = rho.Select(v => Math.Round(v.SolutionValue()) + 0.0).ToArray();
            if (p.IsFeasible(point))
            {
                var candidate = heuristics.Polish(new Incumbent(point, p.Objective(point)));
                if (best is null || candidate.Objective < best.Objective)
                    best = candidate;
            }
            history.Add(new BoundPoint(clock.Elapsed.TotalSeconds, lower, best?.Objective ?? double.PositiveInfinity));
            control.Progress?.Invoke(clock.Elapsed.TotalSeconds, lower, best?.Objective ?? double.PositiveInfinity, rounds, (int)rounds);
            if (result == Solver.ResultStatus.FEASIBLE)
            {
                status = CertificateStatus.TimeLimit;
                break;
            }
            if (best is not null && best.Objective - lower <= Math.Max(1e-10, control.RelativeGap * best.Objective))
            {
                lower = Math.Min(lower, best.Objective);
                break;
            }
            AddCut(point);
        }
        if (best is null)
            throw new InvalidOperationException($"The SCIP outer loop found no model within {control.TimeLimitSeconds} s; raise the time limit.");
        return new CertifiedResult(best, Math.Min(lower, best.Objective), status, clock.Elapsed.TotalSeconds, rounds, (int)rounds, history);
    }
}
