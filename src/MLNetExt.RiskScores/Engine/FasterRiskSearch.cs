using System.Runtime.CompilerServices;
namespace MLNetExt.RiskScores.Engine;

/// <summary>What <see cref="FasterRiskSearch"/> searches (defaults of spec §3.8).</summary>
internal sealed class FasterRiskSettings
{
    /// <summary>The largest number of nonzero points (k).</summary>
    public required int MaximumFeatureCount { get; init; }

    /// <summary>Smallest points per feature (integer, &lt;= 0 unless the feature must be used).</summary>
    public required double[] Lower { get; init; }

    /// <summary>Largest points per feature.</summary>
    public required double[] Upper { get; init; }

    /// <summary>Features that may be used.</summary>
    public required bool[] Allowed { get; init; }

    /// <summary>Features every model uses (the search starts from them).</summary>
    public int[] Required { get; init; } = [];

    /// <summary>At most Max features from each group.</summary>
    public (int[] Features, int Max)[] Groups { get; init; } = [];

    public int BeamWidth { get; init; } = 10;
    public int ChildWidth { get; init; } = 10;
    public int SwapCandidates { get; init; } = 50;
    public double PoolGapTolerance { get; init; } = 0.05;
    public int PoolSize { get; init; } = 50;
    public int MultiplierCount { get; init; } = 20;
    public double LineSearchTolerance { get; init; } = 1e-3;
    public double Ridge { get; init; } = 1e-8;
    public double InterceptBound { get; init; } = 100;
    public int Threads { get; init; } = 1;
}

/// <summary>An integer risk score found by the search: score = (intercept + points . x) / multiplier.</summary>
internal sealed record RiskCandidate(int Intercept, int[] Points, double Multiplier, double SumLoss);

/// <summary>
/// FasterRisk (Liu et al., NeurIPS 2022; reference code interpretml/FasterRisk @29e6288, read, not copied): a beam
/// search for a k-sparse continuous logistic model ("OMP by one feature", §3.4), a diverse pool of near-optimal
/// supports by single swaps (§3.5), then for every pool member a star-ray search over multipliers with sequential
/// auxiliary rounding (§3.6), sorted by the logistic loss of the rounded, scaled model. The reference's behaviour is
/// kept (coordinate steps, step sizes, stopping rules, which unaccepted swaps stay in the pool); two things differ,
/// neither changing a result beyond rounding: every fine-tuning and rounding works on the rows grouped by their values
/// on the support (<see cref="SupportGroups"/>), and ties sort by first position instead of numpy's unstable sort.
/// Deterministic; the thread count changes nothing.
/// </summary>
internal sealed class FasterRiskSearch
{
    private const double SupportTolerance = 1e-9;
    private readonly FeatureColumns _c;
    private readonly FasterRiskSettings _s;

    internal FasterRiskSettings Settings => _s;
    private readonly double _lipschitz;
    private readonly double[] _lower;
    private readonly double[] _upper;
    private readonly int _threads;
    private readonly CancellationToken _cancel;

    public FasterRiskSearch(FeatureColumns columns, FasterRiskSettings settings, CancellationToken cancel = default)
    {
        _c = columns;
        _s = settings;
        _cancel = cancel;
        _lipschitz = 0.25 + 2 * settings.Ridge;
        _lower = new double[columns.D];
        _upper = new double[columns.D];
        for (int j = 0; j < columns.D; j++)
        {
            double scale = columns.Scaled[j] ? columns.Norm[j] : 1;
            _lower[j] = settings.Lower[j] * scale;
            _upper[j] = settings.Upper[j] * scale;
        }
        _threads = Math.Max(1, settings.Threads);
    }

    /// <summary>Continuous solutions (normalised space) and how many fine-tunings ran, for tests.</summary>
    public int FineTuneCount => _fineTunes;

    private int _fineTunes;

    /// <summary>Runs the three stages; returns the rounded pool sorted by loss (best first), duplicates removed.</summary>
    public List<RiskCandidate> Run()
    {
        var beam = BeamSearch();
        var pool = DiversePool(beam);
        var rounded = new RiskCandidate[pool.Count];
        Work.For(pool.Count, _threads, _cancel, () => new SupportGroups(_c), (m, groups) =>
        {
            var (b0, b) = ToOriginal(pool[m]);
            rounded[m] = StarRay(b0, b, groups);
        });
        var order = Enumerable.Range(0, rounded.Length).OrderBy(m => rounded[m].SumLoss).ThenBy(m => m);
        var result = new List<RiskCandidate>();
        var seen = new HashSet<string>();
        foreach (int m in order)
        {
            var r = rounded[m];
            if (seen.Add($"{r.Intercept};{string.Join(",", r.Points)};{r.Multiplier:R}"))
                result.Add(r);
        }
        return result;
    }

    // ---------------------------------------------------------------- continuous stages

    /// <summary>A continuous solution in the normalised space and its cached e_i = exp(y_i (b0 + x~_i . b)).</summary>
    internal sealed class Solution
    {
        public double B0;
        public double[] B = [];
        public double[] E = [];
        public double Loss = double.PositiveInfinity;

        public Solution Copy() => new() { B0 = B0, B = (double[])B.Clone(), E = (double[])E.Clone(), Loss = Loss };

        public int[] Support()
        {
            var s = new List<int>();
            for (int j = 0; j < B.Length; j++)
            {
                if (Math.Abs(B[j]) > SupportTolerance)
                    s.Add(j);
            }
            return s.ToArray();
        }
    }

    internal Solution BeamSearch()
    {
        var start = new Solution { B = new double[_c.D], E = new double[_c.N] };
        double positive = _c.Data.PositiveWeight, negative = _c.Data.NegativeWeight;
        start.B0 = Math.Log(positive / negative);
        for (int i = 0; i < _c.N; i++)
            start.E[i] = Math.Exp(_c.Y[i] * start.B0);
        var groups = new SupportGroups(_c);
        var factors = new double[256];
        if (_s.Required.Length > 0)
        {
            foreach (int j in _s.Required)
            {
                double bj = 0;
                for (int step = 0; step < 10; step++)
                {
                    double next = Step(j, bj, start.E, factors);
                    double moved = Math.Abs(next - bj);
                    bj = next;
                    if (moved < 1e-3)
                        break;
                }
                start.B[j] = bj;
            }
            FineTune(start, groups);
        }
        else
        {
            start.Loss = _c.SumLoss(start.E);
        }

        int allowedCount = _s.Allowed.Count(a => a);
        int target = Math.Min(_s.MaximumFeatureCount, allowedCount);
        var parents = new List<Solution> { start };
        var seen = new HashSet<string>();
        int size = start.Support().Length;
        while (size < target)
        {
            _cancel.ThrowIfCancellationRequested();
            size++;
            var expansions = new List<Solution>[parents.Count];
            Work.For(parents.Count, _threads, _cancel, () => 0, (p, _) => expansions[p] = Expand(parents[p]));
            var fresh = new List<Solution>();
            foreach (var children in expansions)
            {
                foreach (var child in children)
                {
                    if (seen.Add(string.Join(",", child.Support())))
                        fresh.Add(child);
                }
            }
            if (fresh.Count == 0)
                break;
            Work.For(fresh.Count, _threads, _cancel, () => new SupportGroups(_c), (m, g) => FineTune(fresh[m], g));
            parents = Enumerable.Range(0, fresh.Count).OrderBy(m => fresh[m].Loss).ThenBy(m => m)
                .Take(_s.BeamWidth).Select(m => fresh[m]).ToList();
        }
        return parents[0];
    }

    /// <summary>The children of one parent: the top non-support features by |gradient|, each after up to 10 steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private List<Solution> Expand(Solution parent)
    {
        var support = parent.Support();
        var r = new double[_c.N];
        for (int i = 0; i < r.Length; i++)
            r[i] = 1 / (1 + parent.E[i]);
        var candidates = new List<(int J, double Score)>();
        for (int j = 0; j < _c.D; j++)
        {
            if (Math.Abs(parent.B[j]) > SupportTolerance || !CanAdd(support, j, -1))
                continue;
            candidates.Add((j, Math.Abs(_c.Dot(j, r))));
        }
        var chosen = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.J).Take(_s.ChildWidth).Select(c => c.J).ToArray();
        var children = new Solution[chosen.Length];
        for (int l = 0; l < chosen.Length; l++)
            children[l] = parent.Copy();
        var values = new double[chosen.Length];
        var factors = new double[256];
        // The children step together and stop together, when no new coefficient moved by 1e-3 (as the reference does).
        for (int step = 0; step < 10; step++)
        {
            double moved = 0;
            for (int l = 0; l < chosen.Length; l++)
            {
                double next = Step(chosen[l], values[l], children[l].E, factors);
                moved = Math.Max(moved, Math.Abs(next - values[l]));
                values[l] = next;
            }
            if (moved <= 1e-3)
                break;
        }
        for (int l = 0; l < chosen.Length; l++)
            children[l].B[chosen[l]] = values[l];
        return children.ToList();
    }

    /// <summary>Whether feature j may join <paramref name="support"/> (after removing <paramref name="leaving"/>, or -1).</summary>
    private bool CanAdd(int[] support, int j, int leaving)
    {
        if (!_s.Allowed[j])
            return false;
        foreach (var (features, max) in _s.Groups)
        {
            if (Array.IndexOf(features, j) < 0)
                continue;
            int used = 0;
            foreach (int s in support)
            {
                if (s != leaving && Array.IndexOf(features, s) >= 0)
                    used++;
            }
            if (used + 1 > max)
                return false;
        }
        return true;
    }

    /// <summary>One projected coordinate step on feature j over all rows; updates e; returns the new coefficient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Step(int j, double bj, Span<double> e, Span<double> factors)
    {
        double g = -_c.Correlation(j, e) + 2 * _s.Ridge * bj;
        double next = Math.Clamp(bj - g / _lipschitz, _lower[j], _upper[j]);
        _c.Scale(j, next - bj, e, factors);
        return next;
    }

    /// <summary>
    /// Coordinate descent on the intercept and the support (ordered by |gradient|, largest first): up to 100 sweeps,
    /// stopping at every tenth when the relative change of the loss is below 1e-8 (§3.3); on the support's row groups.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void FineTune(Solution s, SupportGroups groups)
    {
        Interlocked.Increment(ref _fineTunes);
        var support = s.Support();
        groups.Build(support);
        int count = groups.Count, k = support.Length;
        var e = new double[count];
        var w = new double[count];
        var wy = new double[count];
        var y = new double[count];
        var wz = new double[k][];
        var codes = new byte[k][];
        var z = new double[k][];
        for (int g = 0; g < count; g++)
        {
            int rep = groups.Representative[g];
            e[g] = s.E[rep];
            w[g] = groups.Weight[g];
            y[g] = groups.Y[g];
            wy[g] = w[g] * y[g];
        }
        for (int t = 0; t < k; t++)
        {
            int j = support[t];
            wz[t] = new double[count];
            z[t] = new double[count];
            var column = _c.Columns[j];
            var code = _c.Codes[j];
            if (code is not null)
                codes[t] = new byte[count];
            for (int g = 0; g < count; g++)
            {
                int rep = groups.Representative[g];
                z[t][g] = column[rep];
                wz[t][g] = w[g] * column[rep];
                if (code is not null)
                    codes[t][g] = code[rep];
            }
        }
        // Order the support by |gradient|, largest first.
        var gradient = new double[k];
        for (int t = 0; t < k; t++)
            gradient[t] = Math.Abs(-Kernels.RatioSum(wz[t], e) + 2 * _s.Ridge * s.B[support[t]]);
        var order = Enumerable.Range(0, k).OrderByDescending(t => gradient[t]).ThenBy(t => t).ToArray();

        double before = GroupLoss(e, w) + _s.Ridge * SquaredNorm(s.B, support);
        var factors = new double[256];
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double g0 = -Kernels.RatioSum(wy, e);
            double step0 = g0 / (_c.TotalWeight * 0.25);
            s.B0 -= step0;
            if (step0 != 0)
            {
                double up = Math.Exp(-step0), down = Math.Exp(step0);
                for (int g = 0; g < count; g++)
                    e[g] *= y[g] > 0 ? up : down;
            }
            foreach (int t in order)
            {
                int j = support[t];
                double bj = s.B[j];
                double next = Math.Clamp(bj - (-Kernels.RatioSum(wz[t], e) + 2 * _s.Ridge * bj) / _lipschitz, _lower[j], _upper[j]);
                double delta = next - bj;
                s.B[j] = next;
                if (delta == 0)
                    continue;
                if (codes[t] is { } ct)
                {
                    var table = _c.CodeValues[j]!;
                    for (int c = 0; c < table.Length; c++)
                        factors[c] = Math.Exp(table[c] * delta);
                    Kernels.ScaleByCode(e, ct, factors);
                }
                else
                {
                    var zt = z[t];
                    for (int g = 0; g < count; g++)
                        e[g] *= Math.Exp(zt[g] * delta);
                }
            }
            if (sweep % 10 == 0)
            {
                double after = GroupLoss(e, w) + _s.Ridge * SquaredNorm(s.B, support);
                if (Math.Abs(before - after) / after < 1e-8)
                    break;
                before = after;
            }
        }
        for (int i = 0; i < _c.N; i++)
            s.E[i] = e[groups.GroupOf[i]];
        s.Loss = GroupLoss(e, w) + _s.Ridge * SquaredNorm(s.B, support);
    }

    private static double SquaredNorm(double[] b, int[] support)
    {
        double sum = 0;
        foreach (int j in support)
            sum += b[j] * b[j];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private static double GroupLoss(ReadOnlySpan<double> e, ReadOnlySpan<double> w)
    {
        double sum = 0;
        for (int g = 0; g < e.Length; g++)
            sum += w[g] * Math.Log(1 + 1 / e[g]);
        return sum;
    }

    /// <summary>
    /// The beam solution and its single swaps: each support feature is replaced by each of the top candidates by
    /// |gradient| (after 10 steps on the newcomer alone); a swap within the gap tolerance of the beam loss is fine-tuned.
    /// As in the reference, swaps outside the tolerance keep their unfinished coefficients and fill the pool after the
    /// accepted ones when there are fewer than the pool size.
    /// </summary>
    internal List<Solution> DiversePool(Solution beam)
    {
        var support = beam.Support();
        var outside = new List<int>();
        for (int j = 0; j < _c.D; j++)
        {
            if (Math.Abs(beam.B[j]) <= SupportTolerance && _s.Allowed[j])
                outside.Add(j);
        }
        int attempts = Math.Min(_s.SwapCandidates, outside.Count);
        double ridgeAll = 0;
        foreach (int j in support)
            ridgeAll += beam.B[j] * beam.B[j];
        double best = beam.Loss;
        var swaps = new List<(int Old, int New)>();
        var factors = new double[256];
        foreach (int old in support)
        {
            if (_s.Required.Contains(old))
                continue;
            var e = (double[])beam.E.Clone();
            _c.Scale(old, -beam.B[old], e, factors);
            var r = new double[_c.N];
            for (int i = 0; i < r.Length; i++)
                r[i] = 1 / (1 + e[i]);
            var best50 = outside.Where(j => CanAdd(support, j, old)).Select(j => (J: j, Score: Math.Abs(_c.Dot(j, r))))
                .OrderByDescending(c => c.Score).ThenBy(c => c.J).Take(attempts);
            foreach (var (j, _) in best50)
                swaps.Add((old, j));
        }
        var candidates = new Solution[swaps.Count];
        var accepted = new bool[swaps.Count];
        Work.For(swaps.Count, _threads, _cancel, () => (new SupportGroups(_c), new double[256]), (m, ws) =>
        {
            var (old, j) = swaps[m];
            var s = beam.Copy();
            _c.Scale(old, -s.B[old], s.E, ws.Item2);
            s.B[old] = 0;
            double bj = 0;
            for (int step = 0; step < 10; step++)
                bj = Step(j, bj, s.E, ws.Item2);
            s.B[j] = bj;
            s.Loss = _c.SumLoss(s.E) + _s.Ridge * (ridgeAll - beam.B[old] * beam.B[old] + bj * bj);
            if ((s.Loss - best) / best < _s.PoolGapTolerance)
            {
                FineTune(s, ws.Item1);
                accepted[m] = true;
            }
            candidates[m] = s;
        });
        // The beam solution and the accepted swaps by loss (the beam solution first among equals), then the rest.
        var ranked = new List<Solution> { beam };
        ranked.AddRange(Enumerable.Range(0, swaps.Count).Where(m => accepted[m]).Select(m => candidates[m]));
        var pool = Enumerable.Range(0, ranked.Count).OrderBy(m => ranked[m].Loss).ThenBy(m => m).Select(m => ranked[m]).ToList();
        pool.AddRange(Enumerable.Range(0, swaps.Count).Where(m => !accepted[m]).Select(m => candidates[m]));
        return pool.Take(_s.PoolSize).ToList();
    }

    /// <summary>A normalised-space solution in original units: (intercept, coefficients).</summary>
    internal (double B0, double[] B) ToOriginal(Solution s)
    {
        var b = new double[_c.D];
        double b0 = s.B0;
        for (int j = 0; j < _c.D; j++)
        {
            b[j] = _c.Scaled[j] ? s.B[j] / _c.Norm[j] : s.B[j];
            b0 -= _c.Mean[j] * b[j];
        }
        return (b0, b);
    }

    // ---------------------------------------------------------------- rounding

    /// <summary>
    /// Star-ray search (§3.6): multipliers from 1 to the largest that keeps every scaled coefficient in its box (or 1
    /// down to 0.5), each scaled solution rounded by <see cref="AuxiliaryRounding"/>, the best loss kept; stops early
    /// once the rounded loss is within the line-search tolerance of the continuous one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal RiskCandidate StarRay(double b0, double[] b, SupportGroups groups)
    {
        // Coefficients on the nonzero coordinates: index 0 is the intercept when nonzero.
        var coordinates = new List<int>();
        if (Math.Abs(b0) > SupportTolerance)
            coordinates.Add(-1);
        for (int j = 0; j < b.Length; j++)
        {
            if (Math.Abs(b[j]) > SupportTolerance)
                coordinates.Add(j);
        }
        var features = coordinates.Where(j => j >= 0).ToArray();
        groups.Build(features);
        int count = groups.Count, k = coordinates.Count;
        var z = new double[count * k];
        var w = new double[count];
        for (int g = 0; g < count; g++)
        {
            int rep = groups.Representative[g];
            w[g] = groups.Weight[g];
            for (int t = 0; t < k; t++)
                z[g * k + t] = coordinates[t] < 0 ? _c.Y[rep] : _c.Y[rep] * _c.Raw[coordinates[t]][rep];
        }
        var coef = coordinates.Select(j => j < 0 ? b0 : b[j]).ToArray();
        var lower = coordinates.Select(j => j < 0 ? -_s.InterceptBound : _s.Lower[j]).ToArray();
        var upper = coordinates.Select(j => j < 0 ? _s.InterceptBound : _s.Upper[j]).ToArray();
        if (k == 0)
            return new RiskCandidate(0, new int[_c.D], 1, GroupSumLoss(z, w, coef, k, 1));

        double largest = 1e8;
        for (int t = 0; t < k; t++)
        {
            if (coef[t] > 1e-8)
                largest = Math.Min(largest, upper[t] / coef[t]);
            else if (coef[t] < -1e-8)
                largest = Math.Min(largest, lower[t] / coef[t]);
        }
        int count0 = _s.MultiplierCount;
        var multipliers = new double[count0];
        for (int m = 0; m < count0; m++)
        {
            double end = largest > 1 ? largest : 0.5;
            multipliers[m] = count0 == 1 ? 1 : 1 + (end - 1) * m / (count0 - 1);
        }
        double continuous = GroupSumLoss(z, w, coef, k, 1);
        double bestLoss = double.PositiveInfinity, bestMultiplier = 1;
        var best = new double[k];
        var scaled = new double[k];
        var scratch = new RoundingScratch(count, k);
        foreach (double m in multipliers)
        {
            for (int t = 0; t < k; t++)
                scaled[t] = coef[t] * m;
            AuxiliaryRounding(scaled, z, w, count, k, m, scratch);
            double loss = GroupSumLoss(z, w, scaled, k, m);
            if (loss < bestLoss)
            {
                bestLoss = loss;
                bestMultiplier = m;
                scaled.CopyTo(best, 0);
            }
            if ((loss - continuous) / continuous < _s.LineSearchTolerance)
                break;
        }
        int intercept = 0;
        var points = new int[_c.D];
        for (int t = 0; t < k; t++)
        {
            int value = (int)Math.Round(best[t]);
            if (coordinates[t] < 0)
                intercept = value;
            else
                points[coordinates[t]] = value;
        }
        return new RiskCandidate(intercept, points, bestMultiplier, bestLoss);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private static double GroupSumLoss(double[] z, double[] w, double[] coef, int k, double multiplier)
    {
        double sum = 0;
        for (int g = 0; g < w.Length; g++)
        {
            double m = 0;
            for (int t = 0; t < k; t++)
                m += z[g * k + t] * coef[t];
            sum += w[g] * LogisticLoss.Loss(m / multiplier);
        }
        return sum;
    }

    internal sealed class RoundingScratch(int count, int k)
    {
        public readonly double[] L = new double[count];
        public readonly double[] Diff = new double[count];
        public readonly double[][] V = Enumerable.Range(0, k).Select(_ => new double[count]).ToArray();
        public readonly double[] Floor = new double[k];
        public readonly double[] Ceil = new double[k];
        public readonly bool[] Pending = new bool[k];
    }

    /// <summary>
    /// Sequential rounding of <paramref name="c"/> (in place) against the auxiliary loss of the FasterRisk paper: with
    /// worst-case margins u_g = sum_t (z_gt / m) (floor(c_t) + 1[z_gt &lt;= 0]) and weights l_g = 1 / (1 + exp(u_g)), round
    /// one coordinate at a time, choosing the coordinate and direction that keep ||sum_t l (z_t / m) (round_t - c_t)||^2
    /// (weighted by the group weights) smallest. Both directions are evaluated; the reference skips the floor when the
    /// ceiling is already below the two options' weighted mean, which gives the same choice except on exact ties.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AuxiliaryRounding(double[] c, double[] z, double[] w, int count, int k, double m, RoundingScratch s)
    {
        int pending = 0;
        for (int t = 0; t < k; t++)
        {
            s.Floor[t] = Math.Floor(c[t]) - c[t];
            s.Ceil[t] = Math.Ceiling(c[t]) - c[t];
            s.Pending[t] = s.Floor[t] != s.Ceil[t];
            if (s.Pending[t])
                pending++;
        }
        for (int g = 0; g < count; g++)
        {
            double u = 0;
            for (int t = 0; t < k; t++)
            {
                double zt = z[g * k + t] / m;
                u += zt * (Math.Floor(c[t]) + (zt <= 0 ? 1 : 0));
            }
            s.L[g] = 1 / (1 + Math.Exp(u));
            s.Diff[g] = 0;
            for (int t = 0; t < k; t++)
                s.V[t][g] = s.L[g] * z[g * k + t] / m;
        }
        var diff = s.Diff.AsSpan(0, count);
        var weights = w.AsSpan(0, count);
        while (pending > 0)
        {
            double bestValue = double.PositiveInfinity;
            int bestT = -1;
            bool bestCeil = false;
            for (int t = 0; t < k; t++)
            {
                if (!s.Pending[t])
                    continue;
                // Floor first, then ceiling: on a tie the floor and the lower coordinate win, as in the reference's argmin.
                for (int dir = 0; dir < 2; dir++)
                {
                    double value = Kernels.ShiftedSquares(weights, diff, s.V[t].AsSpan(0, count), dir == 0 ? s.Floor[t] : s.Ceil[t]);
                    if (value < bestValue)
                    {
                        bestValue = value;
                        bestT = t;
                        bestCeil = dir == 1;
                    }
                }
            }
            double step = bestCeil ? s.Ceil[bestT] : s.Floor[bestT];
            c[bestT] = Math.Round(c[bestT] + step);
            var v = s.V[bestT];
            for (int g = 0; g < count; g++)
                diff[g] += step * v[g];
            s.Pending[bestT] = false;
            pending--;
        }
        for (int t = 0; t < k; t++)
            c[t] = Math.Round(c[t]);
    }
}
