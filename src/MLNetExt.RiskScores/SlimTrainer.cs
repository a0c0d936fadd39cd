using Microsoft.ML.Runtime;
using MLNetExt.RiskScores.Engine;
using MLNetExt.Training;

namespace MLNetExt.RiskScores;

/// <summary>
/// Trains a SLIM scoring system (Ustun and Rudin, Machine Learning 2016): integer points and intercept that minimise
/// the training error rate plus C0 per used feature plus a tiny L1 tie-breaker, predicting positive when the total is
/// above 0, solved to proved optimality (or to the time limit, with bounds and gap) as one SCIP MIP. Returns a
/// <see cref="BinaryClassificationModelTransformer{TModel}"/> of <see cref="RiskScoreModelParameters"/>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Task</term><description>binary classification; label Boolean, features a known-size vector of Single, optional example weights</description></item>
/// <item><term>Output</term><description>Score (total / multiplier), Probability (sigmoid of Score), PredictedLabel (total &gt; 0)</description></item>
/// <item><term>Normalization / caching</term><description>not needed / the data is read once into memory (identical rows merged)</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt.RiskScores / Google OR-Tools (SCIP)</description></item>
/// <item><term>Deterministic</term><description>yes (SCIP's seed from <c>Seed</c>); a run stopped by its time limit returns the best model found</description></item>
/// <item><term>ONNX</term><description>no</description></item>
/// </list>
/// SLIM has no probability model: after the points are chosen, one multiplier m &gt; 0 is fitted so that sigmoid(total / m)
/// is the best logistic fit of the training labels; it changes no prediction (Score &gt; 0 exactly when the total is).
/// The MIP follows spec docs/specs/riskscores.md §1: the error rule that matches the prediction rule (a positive row is
/// correct when its total is at least 1 for whole-number features, a negative row when it is at most 0), big-M values
/// from the smallest and largest totals the boxes allow, C1 = 0.975 min(smallest row weight share, C0) / (sum of the k
/// largest coefficient bounds) so the tie-breaker never outweighs an error or a feature, and merged identical rows.
/// </remarks>
public sealed class SlimTrainer : TrainerBase<BinaryClassificationModelTransformer<RiskScoreModelParameters>, RiskScoreModelParameters>
{
    internal const string ComponentName = "Slim";

    /// <summary>Options of <see cref="SlimTrainer"/>.</summary>
    public sealed class Options : TrainerOptionsBase
    {
        internal static class Defaults
        {
            public const int CoefficientMinimum = -10;
            public const int CoefficientMaximum = 10;
            public const int InterceptMinimum = -100;
            public const int InterceptMaximum = 100;
            public const double SparsityPenalty = 0.01;
            public const double TimeLimitSeconds = 60;
        }

        /// <summary>The largest number of features the model may use; null for no limit.</summary>
        /// <value>Range [1, 1000] or null. Default null, as slim-python (L0 up to the feature count).</value>
        public int? MaximumFeatureCount;

        /// <summary>The smallest number of features the model must use.</summary>
        /// <value>Range [0, 1000]. Default 0.</value>
        public int MinimumFeatureCount;

        /// <summary>The smallest points of any feature.</summary>
        /// <value>Range [-1000, 0]. Default -10, as slim-python and the SLIM MIPLIB instances.</value>
        public int CoefficientMinimum = Defaults.CoefficientMinimum;

        /// <summary>The largest points of any feature.</summary>
        /// <value>Range [0, 1000]. Default 10, as slim-python.</value>
        public int CoefficientMaximum = Defaults.CoefficientMaximum;

        /// <summary>The smallest intercept.</summary>
        /// <value>Default -100, as the SLIM settings of spec §5.1.</value>
        public int InterceptMinimum = Defaults.InterceptMinimum;

        /// <summary>The largest intercept.</summary>
        /// <value>Default 100.</value>
        public int InterceptMaximum = Defaults.InterceptMaximum;

        /// <summary>C0: the error rate a feature must remove to be used.</summary>
        /// <value>Range [0, 1). Default 0.01, as slim-python.</value>
        public double SparsityPenalty = Defaults.SparsityPenalty;

        /// <summary>C1, the L1 tie-breaker per point; null for the rule of spec §1.3 (never outweighs an error or a feature).</summary>
        /// <value>Range [0, 1) or null. Default null.</value>
        public double? PointPenalty;

        /// <summary>SCIP's time limit, in seconds.</summary>
        /// <value>Range (0, 1e6]. Default 60 (our choice; mammo's optimum is proved in seconds).</value>
        public double TimeLimitSeconds = Defaults.TimeLimitSeconds;

        /// <summary>Operational constraints (required, forbidden, sign, bounds, group limits, monotone points).</summary>
        /// <value>Default empty.</value>
        public List<RiskScoreConstraint> Constraints = [];

        /// <summary>Whether identical (features, label) rows are merged into one weighted row.</summary>
        /// <value>Default true (spec §1.5; exact).</value>
        public bool CompressRows = true;

        /// <summary>SCIP's threads; null for one. (OR-Tools' SCIP build solves on one thread whatever is asked.)</summary>
        /// <value>Range [1, 1024] or null. Default null.</value>
        public int? NumberOfThreads;

        internal override void Validate()
        {
            base.Validate();
            Guard.Option(MaximumFeatureCount is null or (>= 1 and <= 1000), nameof(MaximumFeatureCount), $"must be null or in [1, 1000]; got {MaximumFeatureCount}.");
            Guard.Option(MinimumFeatureCount >= 0 && MinimumFeatureCount <= (MaximumFeatureCount ?? 1000), nameof(MinimumFeatureCount),
                $"must be in [0, MaximumFeatureCount]; got {MinimumFeatureCount}.");
            Guard.Option(CoefficientMinimum is >= -1000 and <= 0, nameof(CoefficientMinimum), $"must be in [-1000, 0]; got {CoefficientMinimum}.");
            Guard.Option(CoefficientMaximum is >= 0 and <= 1000, nameof(CoefficientMaximum), $"must be in [0, 1000]; got {CoefficientMaximum}.");
            Guard.Option(CoefficientMinimum < 0 || CoefficientMaximum > 0, nameof(CoefficientMaximum), "and CoefficientMinimum are both 0: no feature could be used.");
            Guard.Option(InterceptMinimum <= InterceptMaximum, nameof(InterceptMinimum), $"must be at most InterceptMaximum = {InterceptMaximum}; got {InterceptMinimum}.");
            Guard.Option(SparsityPenalty >= 0 && SparsityPenalty < 1, nameof(SparsityPenalty), $"must be in [0, 1); got {SparsityPenalty}.");
            Guard.Option(PointPenalty is null or (>= 0 and < 1), nameof(PointPenalty), $"must be null or in [0, 1); got {PointPenalty}.");
            Guard.Option(TimeLimitSeconds > 0 && TimeLimitSeconds <= 1e6, nameof(TimeLimitSeconds), $"must be in (0, 1e6]; got {TimeLimitSeconds}.");
            Guard.Option(Constraints is not null && Constraints.All(c => c is not null), nameof(Constraints), "must be a list without null entries.");
            Guard.Option(NumberOfThreads is null or (>= 1 and <= 1024), nameof(NumberOfThreads), $"must be null or in [1, 1024]; got {NumberOfThreads}.");
        }

        internal override TrainerOptionsBase Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.Constraints = Constraints is null ? null! : [.. Constraints];
            return copy;
        }
    }

    internal SlimTrainer(IHostEnvironment env, Options options)
        : base(env, options, ComponentName, PredictionTask.BinaryClassification)
    {
    }

    private protected override BinaryClassificationModelTransformer<RiskScoreModelParameters> FitCore(TrainingContext context)
    {
        var o = (Options)TrainerOptions;
        var channel = context.Channel;
        var input = TrainingInput.Read(context, o, ComponentName);
        var data = input.Data;
        var constraints = ConstraintSet.Resolve(input.Names, o.CoefficientMinimum, o.CoefficientMaximum,
            Math.Min(o.MaximumFeatureCount ?? data.FeatureCount, data.FeatureCount), o.MinimumFeatureCount, o.Constraints, ComponentName);
        constraints.EnsureSatisfiable(ComponentName);
        channel.Info($"{ComponentName}: {data.OriginalRowCount} rows ({data.RowCount} after merging identical rows), {data.FeatureCount} features, " +
                     $"C0 {o.SparsityPenalty:G4}, points in [{o.CoefficientMinimum}, {o.CoefficientMaximum}], time limit {o.TimeLimitSeconds} s.");
        using var scope = channel.CreateCancellationScope();
        SlimResult result;
        try
        {
            result = SlimMip.Solve(data, constraints, new SlimSettings
            {
                C0 = o.SparsityPenalty,
                C1 = o.PointPenalty ?? double.NaN,
                InterceptMinimum = o.InterceptMinimum,
                InterceptMaximum = o.InterceptMaximum,
                Threads = o.NumberOfThreads ?? 1,
                Seed = context.Seed,
            }, o.TimeLimitSeconds, scope.Token);
        }
        catch (OperationCanceledException)
        {
            channel.ThrowIfCanceled();
            throw;
        }
        var certificate = new RiskScoreCertificate("SLIM MIP (SCIP)", result.Status, result.LowerBound, result.Objective, result.Seconds,
            result.Nodes, 0, [new BoundPoint(result.Seconds, result.LowerBound, result.Objective)]);
        channel.Info($"{ComponentName}: training errors of weight {result.ErrorWeight:G6} (total weight {data.TotalWeight:G6}); C1 {result.C1:G4}; {certificate}");
        double multiplier = ScoreCards.FitMultiplier(data, result.Points, result.Intercept);
        double loss = ScoreCards.MeanLoss(data, result.Points, result.Intercept, multiplier);
        var model = new RiskScoreModelParameters(ScoreCardKind.Slim, input.Names, result.Points, result.Intercept, multiplier,
            ScoreCards.RiskTable(data, result.Points, result.Intercept, multiplier), loss, result.Objective, certificate, []);
        channel.Info($"{ComponentName} model:\n{model.ToScoreCard(ScoreCardFormat.PlainText)}");
        return new BinaryClassificationModelTransformer<RiskScoreModelParameters>(model, o.FeatureColumnName);
    }
}
