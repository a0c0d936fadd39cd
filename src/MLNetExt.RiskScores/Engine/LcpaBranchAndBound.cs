using System.Diagnostics;
using Google.OrTools.LinearSolver;

namespace MLNetExt.RiskScores.Engine;

/// <summary>What a certified search reports.</summary>
internal sealed record CertifiedResult(Incumbent Best, double LowerBound, CertificateStatus Status, double Seconds, long Nodes, int Cuts,
    List<BoundPoint> History);

/// <summary>Limits and reporting of a certified search.</summary>
internal sealed class SearchControl
{
    public double TimeLimitSeconds { get; init; } = 60;

    /// <summary>Stop when (UB - LB) / UB is at most this.</summary>
    public double RelativeGap { get; init; }

    public CancellationToken Cancel { get; init; }

    /// <summary>Called now and then with (seconds, lower bound, upper bound, nodes, cuts).</summary>
    public Action<double, double, double, long, int>? Progress { get; init; }
}

/// <summary>
/// RiskSLIM's lattice cutting-plane algorithm (spec §2.4) realised without MIP callbacks (§2.10, option B): one
/// branch-and-bound tree of our own over a GLOP linear program that holds the master problem's relaxation
/// (§2.2: theta &gt;= cuts, rho_j in its box, lb_j alpha_j &lt;= rho_j &lt;= ub_j alpha_j, sum alpha &lt;= k, the group
/// and monotone constraints), with every cut kept for every node. A node is a set of bounds on rho and alpha.
/// <list type="bullet">
/// <item>At an integral LP point (LCPA's lazy-constraint callback): evaluate V, update the incumbent, and either
/// fathom (the cut there is not violated: the LP optimum is exact) or add the cut and solve the node again.</item>
/// <item>At a fractional point the node's LP is tightened first by cuts at the LP point itself (Kelley's method inside
/// the node, which LCPA leaves to the tree); the loss is convex, so every cut is valid everywhere. Then sequential
/// rounding and polishing (§2.5) look for incumbents, and the node branches: on the most fractional alpha_j first (a
/// sparsity decision), then the most fractional point, the intercept last; a required feature with |rho_j| &lt; 1
/// branches into rho_j &lt;= -1 and rho_j &gt;= 1.</item>
/// <item>Nodes are taken best bound first, diving into the last child made; a node whose bound reaches the incumbent
/// is fathomed. The lower bound is the least bound of the open nodes; an empty tree proves the incumbent optimal.</item>
/// <item>Chained bound updates (§2.6): theta &lt;= UB - C0 * (least model size) tightens with every incumbent.</item>
/// <item>Cuts that have not been binding for a long time leave the LP when it grows (they stay valid; the pool
/// only shrinks to keep each LP solve cheap).</item>
/// </list>
/// Deterministic: one thread, a fixed node order; only the time limit or cancellation can change where it stops.
/// </summary>
internal sealed class LcpaBranchAndBound
{
    private const double IntegralityTolerance = 1e-6;
    private const double FathomTolerance = 1e-10;
    private const int MaximumLpRows = 400;

    private readonly RiskSlimProblem _p;
    private readonly SearchControl _control;
    private readonly Heuristics _heuristics;
    private readonly List<Cut> _cuts = [];
    private readonly double[] _rho;
    private readonly double[] _gradient;
    private readonly double[] _alpha;
    private Solver _lp = null!;
    private Variable[] _rhoVars = [];
    private Variable[] _alphaVars = [];
    private Variable _theta = null!;
    private readonly List<(Constraint Row, Cut Cut)> _cutRows = [];
    private Incumbent? _best;
    private long _solves;
    private readonly Stopwatch _clock = new();
    private readonly List<BoundPoint> _history = [];

    public LcpaBranchAndBound(RiskSlimProblem problem, SearchControl control)
    {
        _p = problem;
        _control = control;
        _heuristics = new Heuristics(problem);
        _rho = new double[problem.P];
        _gradient = new double[problem.P];
        _alpha = new double[problem.P];
    }

    /// <summary>A node: bounds on rho (per coefficient) and alpha (per feature), and the bound it inherited.</summary>
    private sealed class Node
    {
        public required int[] RhoLower;
        public required int[] RhoUpper;
        public required byte[] AlphaLower;
        public required byte[] AlphaUpper;
        public double Bound;
        public int Depth;
        public long Order;
    }

    /// <summary>A cut theta &gt;= Constant + Gradient . rho, taken at some point.</summary>
    private sealed class Cut
    {
        public required double[] Gradient;
        public required double Constant;
        public long LastBinding;
    }

    public CertifiedResult Run(IEnumerable<Incumbent> warmStarts)
    {
        _clock.Start();
        foreach (var start in warmStarts)
            Offer(start, polish: true);
        BuildLp();
        // Cuts at the warm starts.
        if (_best is not null)
            AddCut(_best.Rho);

        var root = new Node
        {
            RhoLower = (int[])_p.Lower.Clone(),
            RhoUpper = (int[])_p.Upper.Clone(),
            AlphaLower = new byte[_p.P],
            AlphaUpper = Enumerable.Range(0, _p.P).Select(j => (byte)(j > 0 && _p.Constraints.Allowed[j - 1] ? 1 : 0)).ToArray(),
            Bound = double.NegativeInfinity,
        };
        for (int j = 1; j < _p.P; j++)
        {
            if (_p.Constraints.Required[j - 1])
                root.AlphaLower[j] = 1;
        }

        var open = new PriorityQueue<Node, (double, long)>();
        long order = 0;
        long nodes = 0;
        Node? next = root;
        var status = CertificateStatus.Optimal;
        double lastReport = 0;
        while (true)
        {
            if (next is null)
            {
                if (open.Count == 0)
                    break;
                next = open.Dequeue();
            }
            var node = next;
            next = null;
            if (_best is not null && node.Bound >= _best.Objective - FathomTolerance)
                continue;
            if (GapClosed(node, open))
            {
                open.Enqueue(node, (node.Bound, node.Order));
                break;
            }
            if (_control.Cancel.IsCancellationRequested)
            {
                open.Enqueue(node, (node.Bound, node.Order));
                status = CertificateStatus.Canceled;
                break;
            }
            // The time limit stops the search only once it has a model to return.
            if (_best is not null && _clock.Elapsed.TotalSeconds > _control.TimeLimitSeconds)
            {
                open.Enqueue(node, (node.Bound, node.Order));
                status = CertificateStatus.TimeLimit;
                break;
            }
            nodes++;
            var children = Process(node);
            foreach (var child in children)
                child.Order = ++order;
            if (children.Count > 0)
            {
                // Dive into the last child; the others wait by bound.
                next = children[^1];
                for (int c = 0; c < children.Count - 1; c++)
                    open.Enqueue(children[c], (children[c].Bound, children[c].Order));
                if (open.Count > 0 && open.Peek().Bound < next.Bound - 1e-3 * Math.Abs(next.Bound))
                {
                    open.Enqueue(next, (next.Bound, next.Order));
                    next = null;
                }
            }
            // The search uses the global lower bound every 16 nodes (not on a clock, so runs are reproducible); the log
            // hears about it every second.
            if (nodes % 16 == 0)
                RaiseLowerBound(LowerBound(open, next));
            if (_clock.Elapsed.TotalSeconds - lastReport >= 1)
            {
                lastReport = _clock.Elapsed.TotalSeconds;
                Report(LowerBound(open, next), nodes);
            }
            if (_lp.NumConstraints() > MaximumLpRows + _structuralRows)
                ShrinkLp();
        }
        if (_best is null)
        {
            _lp.Dispose();
            _control.Cancel.ThrowIfCancellationRequested();
            throw new InvalidOperationException("The constraints admit no model with the intercept in its box.");
        }
        double lower = status == CertificateStatus.Optimal && open.Count == 0 ? _best.Objective : LowerBound(open, null);
        if (status == CertificateStatus.Optimal && open.Count > 0)
            lower = Math.Min(_best!.Objective, LowerBound(open, null));
        Report(lower, nodes, force: true);
        _lp.Dispose();
        return new CertifiedResult(_best!, Math.Min(lower, _best!.Objective), status, _clock.Elapsed.TotalSeconds, nodes, _cuts.Count, _history);
    }

    private bool GapClosed(Node node, PriorityQueue<Node, (double, long)> open)
    {
        if (_best is null || _control.RelativeGap <= 0)
            return false;
        double lower = Math.Min(node.Bound, open.Count > 0 ? open.Peek().Bound : double.PositiveInfinity);
        return (_best.Objective - lower) <= _control.RelativeGap * _best.Objective;
    }

    private double LowerBound(PriorityQueue<Node, (double, long)> open, Node? pending)
    {
        double lower = _best?.Objective ?? double.PositiveInfinity;
        if (open.Count > 0)
            lower = Math.Min(lower, open.Peek().Bound);
        if (pending is not null)
            lower = Math.Min(lower, pending.Bound);
        return Math.Max(lower, 0);
    }

    private void Report(double lower, long nodes, bool force = false)
    {
        double upper = _best?.Objective ?? double.PositiveInfinity;
        double t = _clock.Elapsed.TotalSeconds;
        if (force || _history.Count == 0 || _history[^1].LowerBound != lower || _history[^1].UpperBound != upper)
            _history.Add(new BoundPoint(t, lower, upper));
        _control.Progress?.Invoke(t, lower, upper, nodes, (int)_solves);
    }

    // ------------------------------------------------------------------ incumbents

    private void Offer(Incumbent candidate, bool polish)
    {
        if (!_p.IsFeasible(candidate.Rho))
            return;
        if (polish)
            candidate = _heuristics.Polish(candidate);
        if (_best is null || candidate.Objective < _best.Objective - 1e-15)
        {
            _best = candidate;
            UpdateThetaBound();
        }
    }

    private double _globalLower;
    private ChainedBounds _chained;

    /// <summary>
    /// Chained bound updates (§2.6) from the global lower bound and the incumbent: the loss and the model size of any
    /// better model, as the bounds of theta and of the size row. Small slacks keep LP round-off from cutting a model off.
    /// </summary>
    private void UpdateThetaBound()
    {
        if (_theta is null || _best is null)
            return;
        var penalties = Enumerable.Range(1, _p.P - 1).Where(j => _p.Constraints.Allowed[j - 1]).Select(j => _p.Penalties[j]).ToArray();
        _chained = new ChainedBounds(_globalLower, _best.Objective, 0, double.PositiveInfinity,
            _p.Constraints.MinimumFeatureCount, _p.Constraints.MaximumFeatureCount).Update(penalties);
        _theta.SetBounds(Math.Max(0, _chained.LossMin - 1e-9), _chained.LossMax + 1e-9);
        _size.SetBounds(_chained.SizeMin, Math.Max(_chained.SizeMin, _chained.SizeMax));
    }

    /// <summary>Raises the global lower bound (the least open bound) and tightens the chained bounds with it.</summary>
    private void RaiseLowerBound(double lower)
    {
        if (lower > _globalLower + 1e-6 * Math.Abs(lower))
        {
            _globalLower = lower;
            UpdateThetaBound();
        }
    }

    // ------------------------------------------------------------------ the LP

    private int _structuralRows;
    private Constraint _size = null!;

    private void BuildLp()
    {
        _lp?.Dispose();
        _lp = Solver.CreateSolver("GLOP") ?? throw new InvalidOperationException("OR-Tools' GLOP solver is not available.");
        _lp.SetSolverSpecificParametersAsString("use_preprocessing: false use_dual_simplex: true");
        int p = _p.P;
        _rhoVars = new Variable[p];
        _alphaVars = new Variable[p];
        for (int j = 0; j < p; j++)
        {
            _rhoVars[j] = _lp.MakeNumVar(_p.Lower[j], _p.Upper[j], $"rho{j}");
            if (j > 0)
                _alphaVars[j] = _lp.MakeNumVar(0, 1, $"alpha{j}");
        }
        // Loss bounds: 0 below (the loss is positive); above, L(0) when rho = 0 is a model, else the incumbent.
        _theta = _lp.MakeNumVar(0, double.PositiveInfinity, "theta");
        var objective = _lp.Objective();
        objective.SetCoefficient(_theta, 1);
        for (int j = 1; j < p; j++)
            objective.SetCoefficient(_alphaVars[j], _p.Penalties[j]);
        objective.SetMinimization();
        for (int j = 1; j < p; j++)
        {
            if (_p.Upper[j] > 0)
            {
                var row = _lp.MakeConstraint(double.NegativeInfinity, 0);
                row.SetCoefficient(_rhoVars[j], 1);
                row.SetCoefficient(_alphaVars[j], -_p.Upper[j]);
            }
            if (_p.Lower[j] < 0)
            {
                var row = _lp.MakeConstraint(0, double.PositiveInfinity);
                row.SetCoefficient(_rhoVars[j], 1);
                row.SetCoefficient(_alphaVars[j], -_p.Lower[j]);
            }
        }
        _size = _lp.MakeConstraint(_p.Constraints.MinimumFeatureCount, _p.Constraints.MaximumFeatureCount);
        for (int j = 1; j < p; j++)
            _size.SetCoefficient(_alphaVars[j], 1);
        foreach (var (features, max, _) in _p.Constraints.Groups)
        {
            var row = _lp.MakeConstraint(double.NegativeInfinity, max);
            foreach (int f in features)
                row.SetCoefficient(_alphaVars[f + 1], 1);
        }
        foreach (var (features, _) in _p.Constraints.Chains)
        {
            for (int t = 1; t < features.Length; t++)
            {
                var row = _lp.MakeConstraint(0, double.PositiveInfinity);
                row.SetCoefficient(_rhoVars[features[t] + 1], 1);
                row.SetCoefficient(_rhoVars[features[t - 1] + 1], -1);
            }
        }
        _structuralRows = _lp.NumConstraints();
        _cutRows.Clear();
        foreach (var cut in _cuts)
            AddRow(cut);
        UpdateThetaBound();
    }

    private void AddRow(Cut cut)
    {
        // theta - g . rho >= constant
        var row = _lp.MakeConstraint(cut.Constant, double.PositiveInfinity);
        row.SetCoefficient(_theta, 1);
        for (int j = 0; j < _p.P; j++)
        {
            if (cut.Gradient[j] != 0)
                row.SetCoefficient(_rhoVars[j], -cut.Gradient[j]);
        }
        _cutRows.Add((row, cut));
    }

    /// <summary>Adds the cut at <paramref name="rho"/>; returns the loss there.</summary>
    private double AddCut(ReadOnlySpan<double> rho)
    {
        double loss = _p.Loss.ValueAndGradient(rho, _gradient);
        double constant = loss;
        for (int j = 0; j < _p.P; j++)
            constant -= _gradient[j] * rho[j];
        var cut = new Cut { Gradient = (double[])_gradient.Clone(), Constant = constant, LastBinding = _solves };
        _cuts.Add(cut);
        AddRow(cut);
        return loss;
    }

    /// <summary>Rebuilds the LP with the cuts that were binding lately (all cuts stay valid; fewer rows solve faster).</summary>
    private void ShrinkLp()
    {
        var keep = _cutRows.Select(r => r.Cut).OrderByDescending(c => c.LastBinding).Take(MaximumLpRows / 2).ToHashSet();
        _cuts.RemoveAll(c => !keep.Contains(c));
        BuildLp();
    }

    private void ApplyBounds(Node node)
    {
        for (int j = 0; j < _p.P; j++)
        {
            _rhoVars[j].SetBounds(node.RhoLower[j], node.RhoUpper[j]);
            if (j > 0)
                _alphaVars[j].SetBounds(node.AlphaLower[j], node.AlphaUpper[j]);
        }
    }

    private bool SolveLp(out double value)
    {
        var status = _lp.Solve();
        _solves++;
        if (status != Solver.ResultStatus.OPTIMAL)
        {
            value = double.PositiveInfinity;
            return false;
        }
        value = _lp.Objective().Value();
        foreach (var (row, cut) in _cutRows)
        {
            if (row.DualValue() > 1e-12)
                cut.LastBinding = _solves;
        }
        return true;
    }

    // ------------------------------------------------------------------ one node

    private List<Node> Process(Node node)
    {
        ApplyBounds(node);
        int rounds = 0;
        double value;
        while (true)
        {
            if (!SolveLp(out value))
                return [];
            // A cut's rounding errors aside, the LP value bounds every model of the node.
            value = Math.Max(value, node.Bound);
            if (_best is not null && value >= _best.Objective - FathomTolerance)
                return [];
            for (int j = 0; j < _p.P; j++)
            {
                _rho[j] = _rhoVars[j].SolutionValue() + 0.0;
                _alpha[j] = j > 0 ? _alphaVars[j].SolutionValue() : 0;
            }
            double theta = _theta.SolutionValue();
            bool integral = true;
            for (int j = 0; j < _p.P; j++)
            {
                if (Math.Abs(_rho[j] - Math.Round(_rho[j])) > IntegralityTolerance)
                {
                    integral = false;
                    break;
                }
            }
            if (integral)
            {
                var rounded = _rho.Select(r => Math.Round(r) + 0.0).ToArray();
                double loss = _p.Loss.Value(rounded);
                if (_p.IsFeasible(rounded))
                    Offer(new Incumbent(rounded, loss + _p.Loss.Penalty(rounded)), polish: _best is null || loss + _p.Loss.Penalty(rounded) < _best.Objective);
                if (theta >= loss - 1e-9 && AlphaConsistent(rounded))
                    return []; // the LP optimum is this integral point: the node holds nothing better
                if (theta < loss - 1e-9)
                {
                    AddCut(rounded);
                    rounds++;
                    if (rounds < 200)
                        continue;
                }
            }
            else
            {
                double loss = _p.Loss.Value(_rho);
                double gap = _best is null ? double.PositiveInfinity : _best.Objective - value;
                if (theta < loss - Math.Max(1e-9, 0.02 * gap) && rounds < 30)
                {
                    AddCut(_rho);
                    rounds++;
                    continue;
                }
            }
            break;
        }
        if (!_rho.All(r => Math.Abs(r - Math.Round(r)) <= IntegralityTolerance))
            TryHeuristics();
        return Branch(node, value);
    }

    private int _heuristicCalls;

    private void TryHeuristics()
    {
        // Sequential rounding at fractional points, less often as the search goes on.
        _heuristicCalls++;
        if (_heuristicCalls > 50 && _heuristicCalls % 10 != 0)
            return;
        var rounded = _heuristics.SequentialRounding(_rho);
        if (rounded is not null && (_best is null || rounded.Objective < _best.Objective * 1.1))
            Offer(rounded, polish: true);
    }

    private bool AlphaConsistent(double[] rounded)
    {
        for (int j = 1; j < _p.P; j++)
        {
            double alpha = _alpha[j];
            bool used = rounded[j] != 0;
            if (used && alpha < 1 - IntegralityTolerance)
                return false;
            if (!used && alpha > IntegralityTolerance)
                return false;
        }
        return true;
    }

    private List<Node> Branch(Node node, double bound)
    {
        // 1. The most fractional alpha (or an alpha whose point is nonzero but is below 1).
        int bestAlpha = -1;
        double bestScore = 0;
        for (int j = 1; j < _p.P; j++)
        {
            if (node.AlphaLower[j] == node.AlphaUpper[j])
                continue;
            double a = _alpha[j];
            double score = Math.Min(a, 1 - a);
            if (Math.Abs(_rho[j]) > IntegralityTolerance && a < 1 - IntegralityTolerance)
                score = Math.Max(score, 1e-3);
            if (score > IntegralityTolerance && score > bestScore)
            {
                bestScore = score;
                bestAlpha = j;
            }
        }
        if (bestAlpha > 0)
        {
            var (off, on) = SplitOnUse(node, bound, bestAlpha);
            // Dive into the side the LP leans to.
            return _alpha[bestAlpha] >= 0.5 ? [off, on] : [on, off];
        }
        // 2. A required (alpha = 1) feature whose point lies strictly between -1 and 1.
        for (int j = 1; j < _p.P; j++)
        {
            if (node.AlphaLower[j] == 1 && node.RhoLower[j] < 1 && node.RhoUpper[j] > -1 && Math.Abs(_rho[j]) < 1 - IntegralityTolerance)
            {
                var negative = Copy(node, bound);
                negative.RhoUpper[j] = Math.Min(negative.RhoUpper[j], -1);
                var positive = Copy(node, bound);
                positive.RhoLower[j] = Math.Max(positive.RhoLower[j], 1);
                var children = new List<Node>();
                if (negative.RhoLower[j] <= negative.RhoUpper[j])
                    children.Add(negative);
                if (positive.RhoLower[j] <= positive.RhoUpper[j])
                    children.Add(positive);
                return _rho[j] >= 0 ? children : children.AsEnumerable().Reverse().ToList();
            }
        }
        // 3. The most fractional point, the intercept last.
        int bestRho = -1;
        bestScore = 0;
        for (int j = 1; j < _p.P; j++)
        {
            double f = _rho[j] - Math.Floor(_rho[j]);
            double score = Math.Min(f, 1 - f);
            if (score > IntegralityTolerance && score > bestScore)
            {
                bestScore = score;
                bestRho = j;
            }
        }
        if (bestRho < 0)
        {
            double f = _rho[0] - Math.Floor(_rho[0]);
            if (Math.Min(f, 1 - f) > IntegralityTolerance)
                bestRho = 0;
        }
        if (bestRho < 0)
        {
            // Integral point whose cut budget ran out or whose alpha disagrees: split on the largest |alpha - 1[rho != 0]|.
            for (int j = 1; j < _p.P; j++)
            {
                if (node.AlphaLower[j] != node.AlphaUpper[j])
                {
                    var (off, on) = SplitOnUse(node, bound, j);
                    return [off, on];
                }
            }
            // Everything is fixed: the node is solved by its cuts alone once it reaches an exact point; re-solve it.
            var again = Copy(node, bound);
            return [again];
        }
        double v = _rho[bestRho];
        var down = Copy(node, bound);
        down.RhoUpper[bestRho] = (int)Math.Floor(v);
        var up = Copy(node, bound);
        up.RhoLower[bestRho] = (int)Math.Ceiling(v);
        return v - Math.Floor(v) >= 0.5 ? [down, up] : [up, down];
    }

    /// <summary>The two children of a split on whether feature <paramref name="j"/> is used: off (alpha = 0, point 0) and on (alpha = 1).</summary>
    private static (Node Off, Node On) SplitOnUse(Node node, double bound, int j)
    {
        var off = Copy(node, bound);
        off.AlphaUpper[j] = 0;
        off.RhoLower[j] = Math.Max(off.RhoLower[j], 0);
        off.RhoUpper[j] = Math.Min(off.RhoUpper[j], 0);
        var on = Copy(node, bound);
        on.AlphaLower[j] = 1;
        return (off, on);
    }

    private static Node Copy(Node node, double bound) => new()
    {
        RhoLower = (int[])node.RhoLower.Clone(),
        RhoUpper = (int[])node.RhoUpper.Clone(),
        AlphaLower = (byte[])node.AlphaLower.Clone(),
        AlphaUpper = (byte[])node.AlphaUpper.Clone(),
        Bound = bound,
        Depth = node.Depth + 1,
    };
}
