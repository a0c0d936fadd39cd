using Google.OrTools.LinearSolver;

namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// The operational constraints resolved against the feature names: an integer box per feature, required features,
/// group limits and monotone chains, plus the model-size limits. <see cref="IsFeasible"/> checks a model;
/// <see cref="EnsureSatisfiable"/> proves with SCIP that some model satisfies them all, or names a smallest set that
/// conflicts (a deletion filter over the constraints).
/// </summary>
internal sealed class ConstraintSet
{
    private readonly List<Item> _items = [];

    private ConstraintSet(string[] names) => Names = names;

    /// <summary>Feature names (slot names).</summary>
    public string[] Names { get; }

    public int D => Names.Length;

    /// <summary>Smallest points per feature.</summary>
    public int[] Lower { get; private set; } = [];

    /// <summary>Largest points per feature.</summary>
    public int[] Upper { get; private set; } = [];

    /// <summary>Features that must be used (explicitly, or because their box excludes 0).</summary>
    public bool[] Required { get; private set; } = [];

    /// <summary>Features that may be used.</summary>
    public bool[] Allowed { get; private set; } = [];

    /// <summary>At most Max of Features.</summary>
    public List<(int[] Features, int Max, string Text)> Groups { get; } = [];

    /// <summary>Points non-decreasing along Features (non-increasing chains are stored reversed).</summary>
    public List<(int[] Features, string Text)> Chains { get; } = [];

    public int MaximumFeatureCount { get; private set; }

    public int MinimumFeatureCount { get; private set; }

    /// <summary>Whether any constraint beyond the box and the model size is present.</summary>
    public bool HasStructure => Groups.Count > 0 || Chains.Count > 0 || Required.Any(r => r);

    /// <summary>Resolves <paramref name="constraints"/> against <paramref name="names"/>.</summary>
    public static ConstraintSet Resolve(string[] names, int defaultMinimum, int defaultMaximum, int maximumFeatures,
        int minimumFeatures, IEnumerable<RiskScoreConstraint> constraints, string trainer)
    {
        var set = new ConstraintSet(names);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int j = 0; j < names.Length; j++)
            index.TryAdd(names[j], j);
        int Find(string feature, RiskScoreConstraint c)
        {
            if (index.TryGetValue(feature, out int j))
                return j;
            string known = string.Join(", ", names.Take(12)) + (names.Length > 12 ? ", ..." : "");
            throw new ArgumentException(
                $"Constraint {c} names feature '{feature}', which is not a slot name of the feature column ({known}); {trainer} matches slot names exactly.",
                nameof(constraints));
        }

        set._items.Add(new Item($"MaximumFeatureCount = {maximumFeatures}", ItemKind.MaximumCount, [], maximumFeatures, 0));
        if (minimumFeatures > 0)
            set._items.Add(new Item($"MinimumFeatureCount = {minimumFeatures}", ItemKind.MinimumCount, [], minimumFeatures, 0));
        var explicitBounds = new bool[names.Length];
        var items = new List<Item>();
        foreach (var c in constraints)
        {
            switch (c)
            {
                case RequireConstraint r:
                    items.Add(new Item(c.ToString(), ItemKind.Require, [Find(r.Feature, c)], 0, 0));
                    break;
                case ForbidConstraint f:
                    items.Add(new Item(c.ToString(), ItemKind.Bounds, [Find(f.Feature, c)], 0, 0));
                    break;
                case SignConstraint s:
                    items.Add(s.Direction == PointsSign.NonNegative
                        ? new Item(c.ToString(), ItemKind.Bounds, [Find(s.Feature, c)], 0, int.MaxValue)
                        : new Item(c.ToString(), ItemKind.Bounds, [Find(s.Feature, c)], int.MinValue, 0));
                    break;
                case BoundsConstraint b:
                {
                    int j = Find(b.Feature, c);
                    explicitBounds[j] = true;
                    items.Add(new Item(c.ToString(), ItemKind.Bounds, [j], b.Minimum, b.Maximum));
                    break;
                }
                case AtMostConstraint a:
                    items.Add(new Item(c.ToString(), ItemKind.Group, a.Features.Select(f => Find(f, c)).ToArray(), a.Count, 0));
                    break;
                case MonotoneConstraint m:
                {
                    var chain = m.Features.Select(f => Find(f, c)).ToArray();
                    if (m.Direction == MonotoneDirection.NonIncreasing)
                        Array.Reverse(chain);
                    items.Add(new Item(c.ToString(), ItemKind.Chain, chain, 0, 0));
                    break;
                }
                default:
                    throw new ArgumentException($"Unknown constraint type {c.GetType().Name}.", nameof(constraints));
            }
        }
        // The trainer's default box, for the features no Bounds constraint covers.
        var defaulted = Enumerable.Range(0, names.Length).Where(j => !explicitBounds[j]).ToArray();
        if (defaulted.Length > 0)
            set._items.Add(new Item($"coefficient bounds [{defaultMinimum}, {defaultMaximum}]", ItemKind.Bounds, defaulted, defaultMinimum, defaultMaximum));
        set._items.AddRange(items);
        set.Apply(set._items);
        return set;
    }

    private void Apply(IReadOnlyList<Item> items)
    {
        var lower = Enumerable.Repeat(int.MinValue, D).ToArray();
        var upper = Enumerable.Repeat(int.MaxValue, D).ToArray();
        var required = new bool[D];
        Groups.Clear();
        Chains.Clear();
        MaximumFeatureCount = D;
        MinimumFeatureCount = 0;
        foreach (var item in items)
        {
            switch (item.Kind)
            {
                case ItemKind.MaximumCount:
                    MaximumFeatureCount = Math.Min(MaximumFeatureCount, item.A);
                    break;
                case ItemKind.MinimumCount:
                    MinimumFeatureCount = Math.Max(MinimumFeatureCount, item.A);
                    break;
                case ItemKind.Require:
                    required[item.Features[0]] = true;
                    break;
                case ItemKind.Bounds:
                    foreach (int j in item.Features)
                    {
                        lower[j] = Math.Max(lower[j], item.A);
                        upper[j] = Math.Min(upper[j], item.B);
                    }
                    break;
                case ItemKind.Group:
                    Groups.Add((item.Features, item.A, item.Text));
                    break;
                case ItemKind.Chain:
                    Chains.Add((item.Features, item.Text));
                    break;
            }
        }
        for (int j = 0; j < D; j++)
        {
            // Features with neither a default box nor a Bounds constraint keep a wide box (the feasibility model only).
            if (lower[j] == int.MinValue)
                lower[j] = -1000;
            if (upper[j] == int.MaxValue)
                upper[j] = 1000;
            if (lower[j] > 0 || upper[j] < 0)
                required[j] = true;
        }
        Lower = lower;
        Upper = upper;
        Required = required;
        Allowed = Enumerable.Range(0, D).Select(j => lower[j] < 0 || upper[j] > 0).ToArray();
    }

    /// <summary>Whether integer <paramref name="points"/> (one per feature) satisfy every constraint.</summary>
    public bool IsFeasible(ReadOnlySpan<int> points) => FirstViolation(points) is null;

    /// <summary>The first constraint that <paramref name="points"/> violate, or null.</summary>
    public string? FirstViolation(ReadOnlySpan<int> points)
    {
        int used = 0;
        for (int j = 0; j < D; j++)
        {
            if (points[j] < Lower[j] || points[j] > Upper[j])
                return $"the bounds of {Names[j]} [{Lower[j]}, {Upper[j]}] (points {points[j]})";
            if (points[j] != 0)
                used++;
            else if (Required[j])
                return $"{Names[j]} is required";
        }
        if (used > MaximumFeatureCount)
            return $"at most {MaximumFeatureCount} features (uses {used})";
        if (used < MinimumFeatureCount)
            return $"at least {MinimumFeatureCount} features (uses {used})";
        foreach (var (features, max, text) in Groups)
        {
            int count = 0;
            foreach (int j in features)
            {
                if (points[j] != 0)
                    count++;
            }
            if (count > max)
                return text;
        }
        foreach (var (features, text) in Chains)
        {
            for (int t = 1; t < features.Length; t++)
            {
                if (points[features[t]] < points[features[t - 1]])
                    return text;
            }
        }
        return null;
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> naming a smallest conflicting set of constraints when no integer
    /// model satisfies them all (proved with SCIP).
    /// </summary>
    public void EnsureSatisfiable(string trainer)
    {
        // Without required features, groups, chains or a least size, the model with no points is feasible whenever
        // every box holds 0 (a box without 0 makes its feature required).
        if (!HasStructure && MinimumFeatureCount == 0 && Enumerable.Range(0, D).All(j => Lower[j] <= Upper[j]))
            return;
        if (Satisfiable(_items))
            return;
        var kept = new List<Item>(_items);
        for (int t = 0; t < kept.Count;)
        {
            var without = kept.Where((_, u) => u != t).ToList();
            if (!Satisfiable(without))
                kept = without;
            else
                t++;
        }
        throw new InvalidOperationException(
            $"No score card satisfies the constraints given to {trainer}: {string.Join("; ", kept.Select(i => i.Text))} cannot all hold " +
            "(a smallest conflicting set; removing any one of them makes the rest satisfiable).");
    }

    private bool Satisfiable(IReadOnlyList<Item> items)
    {
        var probe = new ConstraintSet(Names);
        probe.Apply(items);
        using var solver = Solver.CreateSolver("SCIP") ?? throw new InvalidOperationException("OR-Tools' SCIP solver is not available.");
        var rho = new Variable[D];
        var used = new Variable[D];
        for (int j = 0; j < D; j++)
        {
            int lo = probe.Lower[j], hi = probe.Upper[j];
            if (lo > hi)
                return false;
            rho[j] = solver.MakeIntVar(lo, hi, $"rho{j}");
            // used_j = pos_j + neg_j is 1 exactly when rho_j != 0.
            var pos = solver.MakeBoolVar($"pos{j}");
            var neg = solver.MakeBoolVar($"neg{j}");
            used[j] = solver.MakeBoolVar($"used{j}");
            solver.Add(pos + neg == used[j]);
            double m = Math.Max(Math.Abs(lo), Math.Abs(hi)) + 1;
            solver.Add(rho[j] >= 1 - m * (1 - pos));
            solver.Add(rho[j] <= -1 + m * (1 - neg));
            solver.Add(rho[j] <= hi * pos);
            solver.Add(rho[j] >= lo * neg);
            if (probe.Required[j])
                solver.Add(used[j] == 1);
        }
        var total = new LinearExpr();
        foreach (var u in used)
            total += u;
        solver.Add(total <= probe.MaximumFeatureCount);
        solver.Add(total >= probe.MinimumFeatureCount);
        foreach (var (features, max, _) in probe.Groups)
        {
            var sum = new LinearExpr();
            foreach (int j in features)
                sum += used[j];
            solver.Add(sum <= max);
        }
        foreach (var (features, _) in probe.Chains)
        {
            for (int t = 1; t < features.Length; t++)
                solver.Add(rho[features[t]] >= rho[features[t - 1]]);
        }
        var status = solver.Solve();
        return status is Solver.ResultStatus.OPTIMAL or Solver.ResultStatus.FEASIBLE;
    }

    private enum ItemKind
    {
        MaximumCount,
        MinimumCount,
        Require,
        Bounds,
        Group,
        Chain,
    }

    private sealed record Item(string Text, ItemKind Kind, int[] Features, int A, int B);
}
