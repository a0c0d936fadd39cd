using System.Globalization;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.RiskScores.Engine;
using MLNetExt.Training;

namespace MLNetExt.RiskScores;

/// <summary>How <see cref="RiskScoreTrainer"/> searches.</summary>
public enum RiskScoreMode
{
    /// <summary>FasterRisk: beam search, diverse pool, star-ray multipliers. Seconds at most; no optimality proof.</summary>
    Fast,

    /// <summary>RiskSLIM's objective solved to proved optimality (or to the time limit, with bounds and gap).</summary>
    Certified,
}

/// <summary>The engine of <see cref="RiskScoreMode.Certified"/>.</summary>
public enum CertifiedEngine
{
    /// <summary>RiskSLIM's lattice cutting-plane algorithm as one branch-and-bound tree over GLOP linear programs (the
    /// production engine).</summary>
    BranchAndBound,

    /// <summary>Kelley's cutting planes over a master MIP that SCIP re-solves each round (the reference engine: simple,
    /// slower as cuts accumulate).</summary>
    ScipOuterLoop,
}

/// <summary>
/// Trains an integer risk score: a few features with small integer points, an integer intercept and a multiplier,
/// whose total maps to a predicted risk through the logistic function (FasterRisk's model; RiskSLIM's with multiplier
/// 1). Returns a <see cref="BinaryClassificationModelTransformer{TModel}"/> of <see cref="RiskScoreModelParameters"/>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Task</term><description>binary classification; label Boolean, features a known-size vector of Single (best binary, see
/// <see cref="ThresholdBinarizerEstimator"/>), optional example weights</description></item>
/// <item><term>Output</term><description>Score (logit: (intercept + points . x) / multiplier), Probability, PredictedLabel</description></item>
/// <item><term>Normalization / caching</term><description>not needed / the data is read once into memory (identical rows merged)</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt.RiskScores / Google OR-Tools (GLOP, SCIP)</description></item>
/// <item><term>Deterministic</term><description>yes for a given seed and thread count-independent; a Certified run stopped by its time
/// limit returns what it had found by then</description></item>
/// <item><term>ONNX</term><description>no</description></item>
/// </list>
/// <para><see cref="RiskScoreMode.Fast"/> (default) is FasterRisk (Liu, Zhong, Li, Seltzer and Rudin, NeurIPS 2022;
/// reference code interpretml/FasterRisk @29e6288): a beam search for a sparse continuous logistic model, a pool of
/// near-optimal models by single feature swaps, and a star-ray search that scales each by a multiplier and rounds it
/// to integers; the best rounded model by training loss that satisfies the constraints is returned with the pool.</para>
/// <para><see cref="RiskScoreMode.Certified"/> minimises RiskSLIM's objective, mean logistic loss + C0 per used
/// feature at multiplier 1 (Ustun and Rudin, JMLR 2019; reference code ustunb/risk-slim @1242d02), with the lattice
/// cutting-plane algorithm realised as our own branch-and-bound over GLOP linear programs, warm-started by FasterRisk's
/// pool (spec docs/specs/riskscores.md §2.10). The model carries a <see cref="RiskScoreCertificate"/>: the bounds, the
/// gap and the status; progress (both bounds over time) goes to the MLContext log.</para>
/// </remarks>
public sealed class RiskScoreTrainer : TrainerBase<BinaryClassificationModelTransformer<RiskScoreModelParameters>, RiskScoreModelParameters>
{
    internal const string ComponentName = "RiskScore";

    /// <summary>Options of <see cref="RiskScoreTrainer"/>.</summary>
    public sealed class Options : TrainerOptionsBase
    {
        internal static class Defaults
        {
            public const int MaximumFeatureCount = 5;
            public const int CoefficientMinimum = -5;
            public const int CoefficientMaximum = 5;
            public const double SparsityPenalty = 1e-6;
            public const double TimeLimitSeconds = 60;
            public const int BeamWidth = 10;
            public const int PoolSize = 50;
            public const int SwapCandidates = 50;
            public const double PoolGapTolerance = 0.05;
            public const int MultiplierCount = 20;
            public const int FastInterceptBound = 100;
        }

        /// <summary>The largest number of features the model may use (k).</summary>
        /// <value>Range [1, 1000]. Default 5, as every risk-slim example and FasterRisk's README.</value>
        public int MaximumFeatureCount = Defaults.MaximumFeatureCount;

        /// <summary>The smallest number of features the model must use.</summary>
        /// <value>Range [0, MaximumFeatureCount]. Default 0.</value>
        public int MinimumFeatureCount;

        /// <summary>The smallest points of any feature (per feature: <see cref="RiskScoreConstraint.Bounds"/>).</summary>
        /// <value>Range [-1000, 0]. Default -5, as risk-slim's <c>CoefficientSet</c> and FasterRisk's <c>lb</c>.</value>
        public int CoefficientMinimum = Defaults.CoefficientMinimum;

        /// <summary>The largest points of any feature.</summary>
        /// <value>Range [0, 1000]. Default 5, as risk-slim and FasterRisk.</value>
        public int CoefficientMaximum = Defaults.CoefficientMaximum;

        /// <summary>The smallest intercept; null for the automatic box.</summary>
        /// <value>Default null: Fast mode uses FasterRisk's [-100, 100]; Certified mode the riskslim rewrite's rule,
        /// ±(largest |score| of k features + the log class ratio + 1) (spec §2.1).</value>
        public int? InterceptMinimum;

        /// <summary>The largest intercept; null for the automatic box (see <see cref="InterceptMinimum"/>).</summary>
        public int? InterceptMaximum;

        /// <summary>C0: the objective's cost of each used feature in Certified mode.</summary>
        /// <value>Range [0, 1). Default 1e-6, as risk-slim's <c>c0_value</c>: it only breaks ties, so the model size is
        /// set by <see cref="MaximumFeatureCount"/>.</value>
        public double SparsityPenalty = Defaults.SparsityPenalty;

        /// <summary>Fast (FasterRisk) or Certified (RiskSLIM's objective with a proof).</summary>
        /// <value>Default <see cref="RiskScoreMode.Fast"/>.</value>
        public RiskScoreMode Mode = RiskScoreMode.Fast;

        /// <summary>The engine of Certified mode.</summary>
        /// <value>Default <see cref="CertifiedEngine.BranchAndBound"/>.</value>
        public CertifiedEngine Engine = CertifiedEngine.BranchAndBound;

        /// <summary>The time limit of Certified mode, in seconds (the FasterRisk warm start included); the best model found is
        /// returned when it ends.</summary>
        /// <value>Range (0, 1e6]. Default 60 (our choice: both golden optima of spec §5.1 are proved within it on 2 cores,
        /// see the bench suite <c>riskscores</c>).</value>
        public double TimeLimitSeconds = Defaults.TimeLimitSeconds;

        /// <summary>Certified mode stops when (upper - lower bound) / upper bound is at most this.</summary>
        /// <value>Range [0, 1). Default 0: prove optimality (risk-slim sets CPLEX's gap to machine epsilon).</value>
        public double RelativeGapTolerance;

        /// <summary>Operational constraints (required, forbidden, sign, bounds, group limits, monotone points).</summary>
        /// <value>Default empty.</value>
        public List<RiskScoreConstraint> Constraints = [];

        /// <summary>Whether identical (features, label) rows are merged into one weighted row before searching.</summary>
        /// <value>Default true. Exact for every objective here; mammo's 961 rows become 146.</value>
        public bool CompressRows = true;

        /// <summary>Threads of Fast mode's search; null for the processor count. Results do not depend on it.</summary>
        /// <value>Range [1, 1024] or null. Default null. The certified branch-and-bound runs on one thread.</value>
        public int? NumberOfThreads;

        /// <summary>FasterRisk's beam width (parent_size; the children per parent are the same number).</summary>
        /// <value>Range [1, 1000]. Default 10, as FasterRisk.</value>
        public int BeamWidth = Defaults.BeamWidth;

        /// <summary>FasterRisk's pool size (select_top_m).</summary>
        /// <value>Range [1, 10000]. Default 50, as FasterRisk.</value>
        public int PoolSize = Defaults.PoolSize;

        /// <summary>Features tried in place of each support feature when building the pool (maxAttempts).</summary>
        /// <value>Range [1, 10000]. Default 50, as FasterRisk.</value>
        public int SwapCandidates = Defaults.SwapCandidates;

        /// <summary>A swap joins the pool when its loss is within this fraction of the beam solution's (gap_tolerance).</summary>
        /// <value>Range [0, 10]. Default 0.05, as FasterRisk.</value>
        public double PoolGapTolerance = Defaults.PoolGapTolerance;

        /// <summary>Multipliers tried per pool model by the star-ray search (num_ray_search).</summary>
        /// <value>Range [1, 1000]. Default 20, as FasterRisk.</value>
        public int MultiplierCount = Defaults.MultiplierCount;

        internal override void Validate()
        {
            base.Validate();
            Guard.Option(MaximumFeatureCount is >= 1 and <= 1000, nameof(MaximumFeatureCount), $"must be in [1, 1000]; got {MaximumFeatureCount}.");
            Guard.Option(MinimumFeatureCount >= 0 && MinimumFeatureCount <= MaximumFeatureCount, nameof(MinimumFeatureCount),
                $"must be in [0, MaximumFeatureCount = {MaximumFeatureCount}]; got {MinimumFeatureCount}.");
            Guard.Option(CoefficientMinimum is >= -1000 and <= 0, nameof(CoefficientMinimum), $"must be in [-1000, 0]; got {CoefficientMinimum}.");
            Guard.Option(CoefficientMaximum is >= 0 and <= 1000, nameof(CoefficientMaximum), $"must be in [0, 1000]; got {CoefficientMaximum}.");
            Guard.Option(CoefficientMinimum < 0 || CoefficientMaximum > 0, nameof(CoefficientMaximum), "and CoefficientMinimum are both 0: no feature could be used.");
            Guard.Option(InterceptMinimum is null || InterceptMaximum is null || InterceptMinimum <= InterceptMaximum, nameof(InterceptMinimum),
                $"must be at most InterceptMaximum = {InterceptMaximum}; got {InterceptMinimum}.");
            Guard.Option(SparsityPenalty >= 0 && SparsityPenalty < 1, nameof(SparsityPenalty), $"must be in [0, 1); got {SparsityPenalty}.");
            Guard.Option(TimeLimitSeconds > 0 && TimeLimitSeconds <= 1e6, nameof(TimeLimitSeconds), $"must be in (0, 1e6]; got {TimeLimitSeconds}.");
            Guard.Option(RelativeGapTolerance >= 0 && RelativeGapTolerance < 1, nameof(RelativeGapTolerance), $"must be in [0, 1); got {RelativeGapTolerance}.");
            Guard.Option(Constraints is not null && Constraints.All(c => c is not null), nameof(Constraints), "must be a list without null entries.");
            Guard.Option(NumberOfThreads is null or (>= 1 and <= 1024), nameof(NumberOfThreads), $"must be null or in [1, 1024]; got {NumberOfThreads}.");
            Guard.Option(BeamWidth is >= 1 and <= 1000, nameof(BeamWidth), $"must be in [1, 1000]; got {BeamWidth}.");
            Guard.Option(PoolSize is >= 1 and <= 10_000, nameof(PoolSize), $"must be in [1, 10000]; got {PoolSize}.");
            Guard.Option(SwapCandidates is >= 1 and <= 10_000, nameof(SwapCandidates), $"must be in [1, 10000]; got {SwapCandidates}.");
            Guard.Option(PoolGapTolerance is >= 0 and <= 10, nameof(PoolGapTolerance), $"must be in [0, 10]; got {PoolGapTolerance}.");
            Guard.Option(MultiplierCount is >= 1 and <= 1000, nameof(MultiplierCount), $"must be in [1, 1000]; got {MultiplierCount}.");
        }

        internal override TrainerOptionsBase Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.Constraints = Constraints is null ? null! : [.. Constraints];
            return copy;
        }
    }

    internal RiskScoreTrainer(IHostEnvironment env, Options options)
        : base(env, options, ComponentName, PredictionTask.BinaryClassification)
    {
    }

    private Options TheOptions => (Options)TrainerOptions;

    private protected override BinaryClassificationModelTransformer<RiskScoreModelParameters> FitCore(TrainingContext context)
    {
        var o = TheOptions;
        var channel = context.Channel;
        var input = TrainingInput.Read(context, o, ComponentName);
        var constraints = ConstraintSet.Resolve(input.Names, o.CoefficientMinimum, o.CoefficientMaximum, o.MaximumFeatureCount,
            o.MinimumFeatureCount, o.Constraints, ComponentName);
        constraints.EnsureSatisfiable(ComponentName);
        int threads = o.NumberOfThreads ?? Environment.ProcessorCount;
        var data = input.Data;
        channel.Info($"{ComponentName}: {data.OriginalRowCount} rows ({data.RowCount} after merging identical rows), {data.FeatureCount} features, " +
                     $"mode {o.Mode}, at most {constraints.MaximumFeatureCount} features with points in [{o.CoefficientMinimum}, {o.CoefficientMaximum}].");
        using var scope = channel.CreateCancellationScope();
        var columns = new FeatureColumns(data);
        var settings = new FasterRiskSettings
        {
            MaximumFeatureCount = constraints.MaximumFeatureCount,
            Lower = constraints.Lower.Select(v => (double)v).ToArray(),
            Upper = constraints.Upper.Select(v => (double)v).ToArray(),
            Allowed = constraints.Allowed,
            Required = Enumerable.Range(0, data.FeatureCount).Where(j => constraints.Required[j]).ToArray(),
            Groups = constraints.Groups.Select(g => (g.Features, g.Max)).ToArray(),
            BeamWidth = o.BeamWidth,
            ChildWidth = o.BeamWidth,
            PoolSize = o.PoolSize,
            SwapCandidates = o.SwapCandidates,
            PoolGapTolerance = o.PoolGapTolerance,
            MultiplierCount = o.MultiplierCount,
            InterceptBound = Options.Defaults.FastInterceptBound,
            Threads = threads,
        };
        try
        {
            var model = o.Mode == RiskScoreMode.Fast
                ? FitFast(channel, data, input.Names, constraints, columns, settings, o, scope.Token)
                : FitCertified(channel, data, input.Names, constraints, columns, settings, o, scope.Token);
            channel.Info($"{ComponentName} model:\n{model.ToScoreCard(ScoreCardFormat.PlainText)}");
            return new BinaryClassificationModelTransformer<RiskScoreModelParameters>(model, o.FeatureColumnName);
        }
        catch (OperationCanceledException)
        {
            channel.ThrowIfCanceled();
            throw;
        }
    }

    private static RiskScoreModelParameters FitFast(ComponentChannel channel, RiskData data, string[] names, ConstraintSet constraints,
        FeatureColumns columns, FasterRiskSettings settings, Options o, CancellationToken cancel)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var search = new FasterRiskSearch(columns, settings, cancel);
        var pool = search.Run();
        var interceptLow = o.InterceptMinimum ?? -Options.Defaults.FastInterceptBound;
        var interceptHigh = o.InterceptMaximum ?? Options.Defaults.FastInterceptBound;
        var feasible = pool.Where(c => c.Intercept >= interceptLow && c.Intercept <= interceptHigh && constraints.IsFeasible(c.Points)).ToList();
        channel.Info(string.Create(CultureInfo.InvariantCulture,
            $"{ComponentName}: FasterRisk search took {clock.Elapsed.TotalSeconds:0.###} s, {search.FineTuneCount} fine-tunings; {pool.Count} rounded models, {feasible.Count} satisfy the constraints."));
        RiskCandidate chosen;
        if (feasible.Count > 0)
        {
            chosen = feasible[0];
        }
        else
        {
            // Rounding broke a constraint the continuous search cannot express (monotone points, a required feature
            // rounded to 0): the certified engine's heuristics and tree find a feasible model at multiplier 1 instead.
            channel.Info($"{ComponentName}: no rounded model satisfies every constraint; searching with the certified engine for {Math.Min(o.TimeLimitSeconds, 10)} s.");
            var problem = new RiskSlimProblem(data, constraints, o.SparsityPenalty, o.InterceptMinimum, o.InterceptMaximum);
            var result = new LcpaBranchAndBound(problem, new SearchControl { TimeLimitSeconds = Math.Min(o.TimeLimitSeconds, 10), Cancel = cancel })
                .Run(WarmStart.FromFasterRisk(problem, columns, settings, cancel));
            var rho = result.Best.Rho;
            chosen = new RiskCandidate((int)rho[0], rho.Skip(1).Select(v => (int)v).ToArray(), 1, 0);
        }
        var points = chosen.Points;
        double loss = ScoreCards.MeanLoss(data, points, chosen.Intercept, chosen.Multiplier);
        var candidates = pool.Select(c => new RiskScoreCandidate(c.Intercept, c.Points, c.Multiplier, c.SumLoss / data.TotalWeight)).ToArray();
        return new RiskScoreModelParameters(ScoreCardKind.RiskScore, names, points, chosen.Intercept, chosen.Multiplier,
            ScoreCards.RiskTable(data, points, chosen.Intercept, chosen.Multiplier), loss, loss, null, candidates);
    }

    private static RiskScoreModelParameters FitCertified(ComponentChannel channel, RiskData data, string[] names, ConstraintSet constraints,
        FeatureColumns columns, FasterRiskSettings settings, Options o, CancellationToken cancel)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var problem = new RiskSlimProblem(data, constraints, o.SparsityPenalty, o.InterceptMinimum, o.InterceptMaximum);
        channel.Info($"{ComponentName}: certified search ({o.Engine}), intercept in [{problem.Lower[0]}, {problem.Upper[0]}], C0 {o.SparsityPenalty:G4}, " +
                     $"lookup-table loss {(problem.Loss.UsesLookup ? "on" : "off")}, time limit {o.TimeLimitSeconds} s.");
        var starts = WarmStart.FromFasterRisk(problem, columns, settings, cancel);
        if (starts.Count > 0)
            channel.Info(FormattableString.Invariant($"{ComponentName}: warm start objective {starts[0].Objective:G10} from {starts.Count} FasterRisk solutions."));
        channel.StartProgress(double.NaN, "nodes", "lower bound", "upper bound", "gap");
        var control = new SearchControl
        {
            // The limit covers the warm start too.
            TimeLimitSeconds = Math.Max(0, o.TimeLimitSeconds - clock.Elapsed.TotalSeconds),
            RelativeGap = o.RelativeGapTolerance,
            Cancel = cancel,
            Progress = (seconds, lower, upper, nodes, cuts) =>
            {
                double gap = upper > 0 ? (upper - lower) / upper : 0;
                channel.ReportProgress(nodes, [lower, upper, gap],
                    () => FormattableString.Invariant($"{seconds:0.0} s, {cuts} LP solves"));
            },
        };
        var result = o.Engine == CertifiedEngine.BranchAndBound
            ? new LcpaBranchAndBound(problem, control).Run(starts)
            : ScipOuterLoop.Run(problem, starts, control);
        if (result.Status == CertificateStatus.Canceled)
            cancel.ThrowIfCancellationRequested();
        var rho = result.Best.Rho;
        int intercept = (int)rho[0];
        var points = rho.Skip(1).Select(v => (int)v).ToArray();
        string engine = o.Engine == CertifiedEngine.BranchAndBound ? "LCPA branch-and-bound (GLOP)" : "SCIP outer loop";
        var certificate = new RiskScoreCertificate(engine, result.Status, result.LowerBound, result.Best.Objective, result.Seconds,
            result.Nodes, result.Cuts, result.History);
        channel.Info($"{ComponentName}: {certificate}");
        double loss = ScoreCards.MeanLoss(data, points, intercept, 1);
        return new RiskScoreModelParameters(ScoreCardKind.RiskScore, names, points, intercept, 1,
            ScoreCards.RiskTable(data, points, intercept, 1), loss, result.Best.Objective, certificate, []);
    }
}

/// <summary>The training rows of a score-card trainer, read and checked once.</summary>
internal sealed record TrainingInput(RiskData Data, string[] Names)
{
    public static TrainingInput Read(TrainingContext context, TrainerOptionsBase o, string component)
    {
        var reader = new DataViewColumnReader(context.TrainData, component);
        var x = reader.AddVector(o.FeatureColumnName, "feature", ValueRule.Finite);
        var y = reader.AddBoolean(o.LabelColumnName, "label");
        var w = reader.AddWeights(o.ExampleWeightColumnName);
        int n = reader.Read(context.Channel);
        var names = SlotNames.ReadOrDefault(context.TrainData.Schema[o.FeatureColumnName], x.Size);
        var compress = o is RiskScoreTrainer.Options r ? r.CompressRows : ((SlimTrainer.Options)o).CompressRows;
        var data = RiskData.Create(x.Values, y.Values, w is null ? default : w.Values, n, x.Size, compress);
        if (data.PositiveWeight <= 0 || data.NegativeWeight <= 0)
        {
            bool value = data.PositiveWeight > 0;
            throw new InvalidOperationException(
                $"Label column '{o.LabelColumnName}' has only {(value ? "true" : "false")} values among the {n} training rows (of weight above 0); " +
                $"{component} needs examples of both classes.");
        }
        return new TrainingInput(data, names);
    }
}
