using Google.OrTools.LinearSolver;
using MLNetExt.CovariateShift.Kernels;
using MLNetExt.CovariateShift.Mrc;
using MLNetExt.CovariateShift.Weights;

namespace MLNetExt.CovariateShift.Tests.Support;

/// <summary>
/// Independent exact solutions of the three optimization problems on tiny inputs, with OR-Tools' GLOP: the
/// confidence LP and the 0-1 minimax risk LP written out in full (spec §1.5-1.6, as MRCpy's cvxpy formulations), and
/// DW-KMM by Kelley's cutting-plane method, whose LP lower bound certifies the optimum to a tolerance.
/// </summary>
internal static class Oracles
{
    private static Solver NewSolver() => Solver.CreateSolver("GLOP") ?? throw new AssertFailedException("GLOP is not available.");

    /// <summary>min sum lambda s.t. |A p - tau| &lt;= lambda - delta, p_j in the simplex / t (MRCpy compute_lambda).</summary>
    public static double[] ConfidenceLp(TargetDesign design, double[] tau)
    {
        var solver = NewSolver();
        int d = tau.Length, t = design.Rows, k = design.Classes, m = design.Length;
        var lambda = new Variable[d];
        var upper = new Constraint[d];
        var lower = new Constraint[d];
        var objective = solver.Objective();
        for (int i = 0; i < d; i++)
        {
            lambda[i] = solver.MakeNumVar(0, double.PositiveInfinity, $"lambda{i}");
            objective.SetCoefficient(lambda[i], 1);
            upper[i] = solver.MakeConstraint(double.NegativeInfinity, tau[i] - MinimaxRiskSolver.Delta);
            upper[i].SetCoefficient(lambda[i], -1);
            lower[i] = solver.MakeConstraint(double.NegativeInfinity, -tau[i] - MinimaxRiskSolver.Delta);
            lower[i].SetCoefficient(lambda[i], -1);
        }
        objective.SetMinimization();
        for (int j = 0; j < t; j++)
        {
            var sum = solver.MakeConstraint(1.0 / t, 1.0 / t);
            var psi = design.Row(j);
            for (int y = 0; y < k; y++)
            {
                var p = solver.MakeNumVar(0, double.PositiveInfinity, $"p{j}_{y}");
                sum.SetCoefficient(p, 1);
                for (int c = 0; c < m; c++)
                {
                    double a = design.Alpha[j] * psi[c];
                    upper[y * m + c].SetCoefficient(p, a);
                    lower[y * m + c].SetCoefficient(p, -a);
                }
            }
        }
        Assert.AreEqual(Solver.ResultStatus.OPTIMAL, solver.Solve());
        return lambda.Select(v => Math.Max(v.SolutionValue(), 0)).ToArray();
    }

    /// <summary>R(U) of the 0-1 loss as an LP over every non-empty class subset (MRCpy's cvx formulation).</summary>
    public static double ZeroOneRisk(TargetDesign design, double[] tau, double[] lambda)
    {
        var solver = NewSolver();
        int d = tau.Length, t = design.Rows, k = design.Classes, m = design.Length;
        var plus = new Variable[d];
        var minus = new Variable[d];
        var objective = solver.Objective();
        for (int i = 0; i < d; i++)
        {
            plus[i] = solver.MakeNumVar(0, double.PositiveInfinity, $"p{i}");
            minus[i] = solver.MakeNumVar(0, double.PositiveInfinity, $"m{i}");
            objective.SetCoefficient(plus[i], -tau[i] + lambda[i]);
            objective.SetCoefficient(minus[i], tau[i] + lambda[i]);
        }
        for (int j = 0; j < t; j++)
        {
            var u = solver.MakeNumVar(double.NegativeInfinity, double.PositiveInfinity, $"u{j}");
            objective.SetCoefficient(u, 1.0 / t);
            var psi = design.Row(j);
            for (int subset = 1; subset < 1 << k; subset++)
            {
                int size = System.Numerics.BitOperations.PopCount((uint)subset);
                var constraint = solver.MakeConstraint(double.NegativeInfinity, 1.0 / size);
                constraint.SetCoefficient(u, -1);
                for (int y = 0; y < k; y++)
                {
                    if ((subset & (1 << y)) == 0)
                        continue;
                    for (int c = 0; c < m; c++)
                    {
                        double a = design.Alpha[j] * psi[c] / size;
                        constraint.SetCoefficient(plus[y * m + c], a);
                        constraint.SetCoefficient(minus[y * m + c], -a);
                    }
                }
            }
        }
        objective.SetMinimization();
        Assert.AreEqual(Solver.ResultStatus.OPTIMAL, solver.Solve());
        return 1 + objective.Value();
    }

    /// <summary>
    /// DW-KMM by Kelley's cutting planes: min s s.t. s &gt;= f(z_k) + g_k'(z - z_k) for every iterate, the box and slab
    /// constraints as they are, and the ball as tangent cuts at violating iterates. Returns the best feasible objective
    /// and the LP lower bound when they are within <paramref name="gap"/> (or when GLOP stops on nearly parallel cuts).
    /// </summary>
    public static (double Upper, double Lower) KmmCuttingPlane(DenseKernelOperator kernel, int n, int t, double dValue, double b, double gap)
    {
        var set = WeightSet.ForD(n, t, dValue, b);
        int size = n + t;
        var solver = NewSolver();
        var z = new Variable[size];
        for (int i = 0; i < size; i++)
        {
            bool isBeta = i < n;
            double lo = isBeta ? (set.BetaFixed ? 1 : 0) : (set.AlphaFixed ? 1 : 0);
            double hi = isBeta ? (set.BetaFixed ? 1 : set.BetaCap) : 1;
            z[i] = solver.MakeNumVar(lo, hi, $"z{i}");
        }
        var slabHigh = solver.MakeConstraint(double.NegativeInfinity, set.Epsilon);
        var slabLow = solver.MakeConstraint(-set.Epsilon, double.PositiveInfinity);
        for (int i = 0; i < size; i++)
        {
            double c = i < n ? 1.0 / n : -1.0 / t;
            slabHigh.SetCoefficient(z[i], c);
            slabLow.SetCoefficient(z[i], c);
        }
        var s = solver.MakeNumVar(0, double.PositiveInfinity, "s");
        solver.Objective().SetCoefficient(s, 1);
        solver.Objective().SetMinimization();
        var point = Enumerable.Repeat(1.0, size).ToArray();
        double best = double.PositiveInfinity, lower = 0;
        for (int iteration = 0; iteration < 5000; iteration++)
        {
            // Objective cut at the point (valid everywhere, f being convex), a ball cut when the point is outside the
            // ball, and an upper bound from the point's projection onto the set (WeightSet.Project, tested on its own).
            var (f, g) = Objective(kernel, n, t, point);
            var objectiveCut = solver.MakeConstraint(f - g.Zip(point, (gi, pi) => gi * pi).Sum(), double.PositiveInfinity);
            objectiveCut.SetCoefficient(s, 1);
            for (int i = 0; i < size; i++)
                objectiveCut.SetCoefficient(z[i], -g[i]);
            double ball = 0;
            for (int j = n; j < size; j++)
                ball += (point[j] - 1) * (point[j] - 1);
            ball = Math.Sqrt(ball);
            if (!set.AlphaFixed && ball > set.Radius + 1e-12)
            {
                // (a - 1)'(alpha - 1) <= R |a - 1|
                var cut = solver.MakeConstraint(double.NegativeInfinity, set.Radius * ball + point.Skip(n).Sum(a => a - 1));
                for (int j = n; j < size; j++)
                    cut.SetCoefficient(z[j], point[j] - 1);
            }
            var feasible = (double[])point.Clone();
            set.Project(feasible);
            best = Math.Min(best, Objective(kernel, n, t, feasible).Value);
            var status = solver.Solve();
            // Near the optimum the cuts become almost parallel and GLOP may give up (ABNORMAL): the bounds so far stand.
            if (status == Solver.ResultStatus.ABNORMAL && iteration > 0)
                return (best, lower);
            Assert.AreEqual(Solver.ResultStatus.OPTIMAL, status, $"D = {dValue}, cut {iteration}: GLOP {status}; best {best}, lower bound {lower}");
            lower = Math.Max(lower, s.SolutionValue());
            if (best - lower <= gap)
                return (best, lower);
            for (int i = 0; i < size; i++)
                point[i] = z[i].SolutionValue();
        }
        throw new AssertFailedException($"Kelley's method did not close the gap: best {best}, lower bound {lower}.");
    }

    /// <summary>f(z) = v'Kv and its gradient, v = S z.</summary>
    public static (double Value, double[] Gradient) Objective(DenseKernelOperator kernel, int n, int t, double[] z)
    {
        int size = n + t;
        var v = new double[size];
        for (int i = 0; i < size; i++)
            v[i] = z[i] * (i < n ? 1.0 / n : -1.0 / t);
        var kv = new double[size];
        kernel.Multiply(v, kv);
        double f = 0;
        var g = new double[size];
        for (int i = 0; i < size; i++)
        {
            f += v[i] * kv[i];
            g[i] = 2 * kv[i] * (i < n ? 1.0 / n : -1.0 / t);
        }
        return (f, g);
    }
}
