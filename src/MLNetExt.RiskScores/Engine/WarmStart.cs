namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// Feasible starting points for the certified search, from FasterRisk's stages (spec §2.10: "seed with FasterRisk's
/// pool, drop its multiplier"): each continuous pool solution (intercept included, original units, multiplier 1) is
/// rounded by sequential rounding on V and polished by coordinate descent; FasterRisk's rounded models, whose points
/// are scaled for their multiplier, are offered too after polishing.
/// </summary>
internal static class WarmStart
{
    public static List<Incumbent> FromFasterRisk(RiskSlimProblem problem, FeatureColumns columns, FasterRiskSettings settings, CancellationToken cancel)
    {
        var search = new FasterRiskSearch(columns, settings, cancel);
        var beam = search.BeamSearch();
        var pool = search.DiversePool(beam);
        var heuristics = new Heuristics(problem);
        var result = new List<Incumbent>();
        var seen = new HashSet<string>();
        foreach (var solution in pool.Take(10))
        {
            cancel.ThrowIfCancellationRequested();
            var (b0, b) = search.ToOriginal(solution);
            var rho = new double[problem.P];
            rho[0] = b0;
            for (int j = 0; j < b.Length; j++)
                rho[j + 1] = Math.Abs(b[j]) > 1e-9 ? b[j] : 0;
            var rounded = heuristics.SequentialRounding(rho);
            if (rounded is null)
                continue;
            var polished = heuristics.Polish(rounded);
            if (seen.Add(string.Join(",", polished.Rho)))
                result.Add(polished);
        }
        return result.OrderBy(r => r.Objective).ToList();
    }
}
