using System.Runtime.CompilerServices;
namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// RiskSLIM's heuristics (spec §2.5): sequential rounding of a fractional point and discrete coordinate descent
/// (polishing) of an integral one, both on V(rho) and both keeping the operational constraints (a move that breaks one
/// is not taken). They work on the margins z_i . rho, updated per move.
/// </summary>
internal sealed class Heuristics
{
    private readonly RiskSlimProblem _p;
    private readonly double[] _margins;
    private readonly double[] _trial;

    public Heuristics(RiskSlimProblem problem)
    {
        _p = problem;
        _margins = new double[problem.Loss.Rows];
        _trial = new double[problem.Loss.Rows];
    }

    private void SetMargins(ReadOnlySpan<double> rho)
    {
        for (int i = 0; i < _margins.Length; i++)
            _margins[i] = _p.Loss.Margin(i, rho);
    }

    /// <summary>The mean loss with coefficient j moved by delta (margins unchanged).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double LossAfterMove(int j, double delta)
    {
        var loss = _p.Loss;
        double sum = 0;
        for (int i = 0; i < _margins.Length; i++)
            sum += loss.Share(i) * LogisticLoss.Loss(_margins[i] + delta * loss.Z(i, j));
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private void Move(int j, double delta)
    {
        var loss = _p.Loss;
        for (int i = 0; i < _margins.Length; i++)
            _margins[i] += delta * loss.Z(i, j);
    }

    /// <summary>
    /// Sequential rounding: while some coordinate is fractional, move the single fractional coordinate to its floor or
    /// ceiling that gives the smallest V (others unchanged; ties prefer the ceiling, then the lowest index). Returns
    /// null when the result breaks a constraint.
    /// </summary>
    public Incumbent? SequentialRounding(ReadOnlySpan<double> fractional)
    {
        var rho = fractional.ToArray();
        for (int j = 0; j < rho.Length; j++)
        {
            rho[j] = Math.Clamp(rho[j], _p.Lower[j], _p.Upper[j]);
            if (Math.Abs(rho[j] - Math.Round(rho[j])) < 1e-9)
                rho[j] = Math.Round(rho[j]);
        }
        SetMargins(rho);
        var pending = Enumerable.Range(0, rho.Length).Where(j => rho[j] != Math.Floor(rho[j])).ToList();
        while (pending.Count > 0)
        {
            double best = double.PositiveInfinity;
            int bestJ = -1;
            double bestValue = 0;
            foreach (int j in pending)
            {
                foreach (double target in new[] { Math.Ceiling(rho[j]), Math.Floor(rho[j]) })
                {
                    double v = LossAfterMove(j, target - rho[j]) + PenaltyAfter(rho, j, target);
                    if (v < best)
                    {
                        best = v;
                        bestJ = j;
                        bestValue = target;
                    }
                }
            }
            Move(bestJ, bestValue - rho[bestJ]);
            rho[bestJ] = bestValue;
            pending.Remove(bestJ);
        }
        if (!_p.IsFeasible(rho))
            return null;
        return new Incumbent(rho, _p.Objective(rho));
    }

    private double PenaltyAfter(double[] rho, int changed, double value)
    {
        double pen = 0;
        for (int j = 1; j < rho.Length; j++)
        {
            double v = j == changed ? value : rho[j];
            if (v != 0)
                pen += _p.Penalties[j];
        }
        return pen;
    }

    /// <summary>
    /// Discrete coordinate descent from a feasible integral point: each round tries, for every coordinate, every value
    /// of its box (the intercept: steps of one from its current value while the objective falls) and takes the best
    /// single move that keeps every constraint; stops when no move improves V by 1e-12, after at most 500 rounds.
    /// The result is 1-opt. The coordinate just moved is skipped in the next round, as in the reference.
    /// </summary>
    public Incumbent Polish(Incumbent start)
    {
        var rho = (double[])start.Rho.Clone();
        SetMargins(rho);
        double current = start.Objective;
        int skip = -1;
        for (int round = 0; round < 500; round++)
        {
            double best = current;
            int bestJ = -1;
            double bestValue = 0;
            for (int j = 0; j < rho.Length; j++)
            {
                if (j == skip)
                    continue;
                double penaltyRest = PenaltyWithout(rho, j);
                if (j == 0)
                {
                    foreach (int dir in new[] { 1, -1 })
                    {
                        double value = rho[0];
                        while (value + dir >= _p.Lower[0] && value + dir <= _p.Upper[0])
                        {
                            double v = LossAfterMove(0, value + dir - rho[0]) + penaltyRest;
                            if (v < best - 1e-12)
                            {
                                best = v;
                                bestJ = 0;
                                bestValue = value + dir;
                                value += dir;
                            }
                            else
                            {
                                break;
                            }
                        }
                    }
                    continue;
                }
                for (int value = _p.Lower[j]; value <= _p.Upper[j]; value++)
                {
                    if (value == rho[j])
                        continue;
                    double v = LossAfterMove(j, value - rho[j]) + penaltyRest + (value != 0 ? _p.Penalties[j] : 0);
                    if (v < best - 1e-12)
                    {
                        double old = rho[j];
                        rho[j] = value;
                        bool ok = _p.IsFeasible(rho);
                        rho[j] = old;
                        if (ok)
                        {
                            best = v;
                            bestJ = j;
                            bestValue = value;
                        }
                    }
                }
            }
            if (bestJ < 0)
                break;
            Move(bestJ, bestValue - rho[bestJ]);
            rho[bestJ] = bestValue;
            current = _p.Objective(rho);
            skip = bestJ;
        }
        return new Incumbent(rho, current);
    }

    private double PenaltyWithout(double[] rho, int j)
    {
        double pen = 0;
        for (int t = 1; t < rho.Length; t++)
        {
            if (t != j && rho[t] != 0)
                pen += _p.Penalties[t];
        }
        return pen;
    }
}
