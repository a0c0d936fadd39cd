using MLNetExt.Data;
using System.Diagnostics;
using MLNetExt.Ranking.Model;
using MLNetExt.Ranking.Native;

namespace MLNetExt.Ranking.Engine;

/// <summary>A validation metric over the validation rows' current scores (higher is better unless configured).</summary>
internal delegate double ValidationMetric(ReadOnlySpan<double> validationScores);

/// <summary>Features and ranking metadata of one data set.</summary>
internal sealed record RankingDataSet(IRowBlockSource Features, QueryGroups Groups);

/// <summary>What the loop reports every <see cref="BoostingOptions.ProgressInterval"/> trees.</summary>
/// <param name="Trees">Trees grown so far.</param>
/// <param name="TotalTrees">Trees asked for.</param>
/// <param name="Elapsed">Time since training started (dataset building included).</param>
/// <param name="ValidationMetric">The metric after the last tree, or null without a metric.</param>
/// <param name="BestTrees">Tree count with the best metric so far (0 without a metric).</param>
internal readonly record struct BoostingProgress(int Trees, int TotalTrees, TimeSpan Elapsed, double? ValidationMetric, int BestTrees);

/// <summary>Loop settings that are not LightGBM parameters.</summary>
internal sealed record BoostingOptions
{
    /// <summary>Trees to grow (one per iteration). Default 100, as LightGBM's num_iterations.</summary>
    public int NumberOfIterations { get; init; } = 100;

    /// <summary>Metric on the validation set after every tree; required by early stopping.</summary>
    public ValidationMetric? Metric { get; init; }

    /// <summary>Whether a larger metric is better. Default true (NDCG).</summary>
    public bool MetricHigherIsBetter { get; init; } = true;

    /// <summary>Stop when the metric has not improved for this many trees and keep the best prefix; 0 = off.</summary>
    public int EarlyStoppingRounds { get; init; }

    /// <summary>Report progress every this many trees. Default 10.</summary>
    public int ProgressInterval { get; init; } = 10;

    /// <summary>Progress callback, or null.</summary>
    public Action<BoostingProgress>? Progress { get; init; }

    /// <summary>Receives LightGBM's log lines (written on the training thread), or null to drop them.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Checked between iterations (and during dataset building and the network rendezvous).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Distributed training, or null for one process.</summary>
    public NetworkSettings? Network { get; init; }

    /// <summary>Names of the features for the model (null: LightGBM's Column_0, Column_1, ...).</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>Checks the options; throws <see cref="ArgumentOutOfRangeException"/> naming the option.</summary>
    public void Validate()
    {
        Guard.Option(NumberOfIterations >= 1, nameof(NumberOfIterations), $"must be at least 1; got {NumberOfIterations}.");
        Guard.Option(EarlyStoppingRounds >= 0, nameof(EarlyStoppingRounds), $"must be non-negative; got {EarlyStoppingRounds}.");
        Guard.Option(EarlyStoppingRounds == 0 || Metric is not null, nameof(EarlyStoppingRounds), $"is {EarlyStoppingRounds} but no {nameof(Metric)} was given.");
        Guard.Option(ProgressInterval >= 1, nameof(ProgressInterval), $"must be at least 1; got {ProgressInterval}.");
        Network?.Validate();
    }
}

/// <summary>The trained model and what happened during training.</summary>
internal sealed class BoostingResult
{
    internal BoostingResult(TreeEnsemble model, int treesGrown, int bestTrees, double[] metricHistory, bool stoppedEarly,
        bool stoppedNoSplit, TimeSpan elapsed, TimeSpan objectiveTime, TimeSpan lightGbmTime, string modelText)
    {
        Model = model;
        TreesGrown = treesGrown;
        BestTrees = bestTrees;
        MetricHistory = metricHistory;
        StoppedEarly = stoppedEarly;
        StoppedNoSplit = stoppedNoSplit;
        Elapsed = elapsed;
        ObjectiveTime = objectiveTime;
        LightGbmTime = lightGbmTime;
        ModelText = modelText;
    }

    /// <summary>The model: the first <see cref="BestTrees"/> trees.</summary>
    public TreeEnsemble Model { get; }

    /// <summary>Trees grown before the loop stopped.</summary>
    public int TreesGrown { get; }

    /// <summary>Trees kept (the best prefix under early stopping, else all).</summary>
    public int BestTrees { get; }

    /// <summary>Validation metric after each tree (empty without a metric).</summary>
    public double[] MetricHistory { get; }

    /// <summary>True when early stopping ended training.</summary>
    public bool StoppedEarly { get; }

    /// <summary>True when LightGBM found no split with positive gain.</summary>
    public bool StoppedNoSplit { get; }

    /// <summary>Wall time of the whole call.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Time in the objective (gradients and leaf refinement).</summary>
    public TimeSpan ObjectiveTime { get; }

    /// <summary>Time in LightGBM's tree growing and score updates.</summary>
    public TimeSpan LightGbmTime { get; }

    /// <summary>LightGBM's model text of the kept trees.</summary>
    public string ModelText { get; }
}

/// <summary>
/// The boosting loop: LightGBM grows each tree from the gradients a C# <see cref="IRankingObjective"/> computes.
/// </summary>
/// <remarks>
/// <para>Per iteration t: scores -> <see cref="IRankingObjective.GetGradients"/> -> <c>LGBM_BoosterUpdateOneIterCustom</c>.
/// LightGBM keeps the training (and validation) scores itself; the loop reads them with <c>LGBM_BoosterGetPredict</c>.
/// The booster is created with <c>objective=none</c>, <c>deterministic=true</c> and a fixed histogram layout, so a
/// seed gives the same model every time and for any thread count.</para>
/// <para>Leaf refinement (<see cref="IRankingObjective.RefinesLeafValues"/>): after tree t is grown the loop finds
/// each training row's leaf in it: LightGBM adds exactly the leaf's value to the row's score, so the leaf is the one
/// whose value v satisfies <c>before + v == after</c> in double arithmetic; rows where two leaves qualify (equal or
/// nearly equal values) are located by routing the row through the tree (a pass over the row source). The
/// objective then rewrites the leaf values, the loop sets them with <c>LGBM_BoosterSetLeafValue</c>, and from then
/// on keeps its own training and validation scores, because LightGBM's stored scores keep the old values.</para>
/// <para>Everything runs on the calling thread (LightGBM's network state is per thread).</para>
/// </remarks>
internal static class RankingBoostingLoop
{
    /// <summary>Trains a model.</summary>
    /// <param name="train">Training features and groups (in distributed training: this process's whole queries).</param>
    /// <param name="validation">Validation set for the metric and early stopping, or null.</param>
    /// <param name="objective">The objective (initialised here).</param>
    /// <param name="settings">LightGBM's tree settings.</param>
    /// <param name="options">Iterations, metric, early stopping, callbacks, cancellation, network.</param>
    public static BoostingResult Train(RankingDataSet train, RankingDataSet? validation, IRankingObjective objective,
        BoosterSettings settings, BoostingOptions options)
    {
        Guard.NotNull(train, nameof(train));
        Guard.NotNull(objective, nameof(objective));
        Guard.NotNull(settings, nameof(settings));
        Guard.NotNull(options, nameof(options));
        settings.Validate();
        options.Validate();
        Guard.Data(train.Features.RowCount == train.Groups.RowCount,
            $"The training features have {train.Features.RowCount} rows but there are {train.Groups.RowCount} labels.");
        if (validation is not null)
        {
            Guard.Data(validation.Features.RowCount == validation.Groups.RowCount,
                $"The validation features have {validation.Features.RowCount} rows but there are {validation.Groups.RowCount} labels.");
            Guard.Data(validation.Features.FeatureCount == train.Features.FeatureCount,
                $"The validation set has {validation.Features.FeatureCount} features; the training set has {train.Features.FeatureCount}.");
        }
        Guard.Option(options.Metric is null || validation is not null, nameof(options.Metric), "needs a validation set.");
        if (options.FeatureNames is { } names)
        {
            Guard.Option(names.Count == train.Features.FeatureCount, nameof(options.FeatureNames),
                $"has {names.Count} names for {train.Features.FeatureCount} features.");
        }

        var clock = Stopwatch.StartNew();
        var cancel = options.Cancellation;
        cancel.ThrowIfCancellationRequested();
        LightGbmRuntime.EnsureLoaded();
        using var log = LightGbmLog.Route(options.Log);
        string datasetParameters = settings.DatasetParameters();

        LightGbmDataset.BinReference? binReference = null;
        LightGbmNetwork? network = null;
        LightGbmDataset? trainData = null;
        LightGbmDataset? validData = null;
        LightGbmBooster? booster = null;
        try
        {
            string extra = "";
            if (options.Network is { } net)
            {
                if (net.BinSample is not null)
                    binReference = LightGbmDataset.CreateBinReference(net.BinSample, datasetParameters);
                cancel.ThrowIfCancellationRequested();
                network = LightGbmNetwork.Start(net, cancel);
                extra = $"tree_learner=data num_machines={net.Machines.Count} pre_partition=true";
            }
            trainData = binReference is not null
                ? LightGbmDataset.CreateWithBinsOf(binReference.Dataset, train.Features, train.Groups)
                : LightGbmDataset.Create(train.Features, train.Groups, datasetParameters);
            cancel.ThrowIfCancellationRequested();
            if (validation is not null)
                validData = LightGbmDataset.CreateWithBinsOf(trainData, validation.Features, validation.Groups);
            booster = LightGbmBooster.Create(trainData, settings.BoosterParameters("none", extra));
            if (validData is not null)
                booster.AddValidation(validData);
            objective.Initialize(new RankingObjectiveData(train.Groups, settings.Seed, settings.EffectiveThreads, settings.LearningRate));
            return Run(train, validation, objective, booster, options, clock);
        }
        finally
        {
            booster?.Dispose();
            validData?.Dispose();
            trainData?.Dispose();
            binReference?.Dispose();
            network?.Dispose();
        }
    }

    private static BoostingResult Run(RankingDataSet train, RankingDataSet? validation, IRankingObjective objective,
        LightGbmBooster booster, BoostingOptions options, Stopwatch clock)
    {
        int rows = train.Groups.RowCount;
        var scores = new double[rows];
        var gradients = new float[rows];
        var hessians = new float[rows];
        bool refine = objective.RefinesLeafValues;
        var refiner = refine ? new LeafRefinement(train, validation, booster) : null;
        double[]? validScores = validation is null ? null : new double[validation.Groups.RowCount];
        var history = new List<double>();
        double best = double.NaN;
        int bestTrees = 0;
        int trees = 0;
        bool stoppedEarly = false, stoppedNoSplit = false;
        var objectiveClock = new Stopwatch();
        var lightGbmClock = new Stopwatch();

        for (int it = 0; it < options.NumberOfIterations; it++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            if (!refine)
            {
                lightGbmClock.Start();
                booster.GetScores(0, scores);
                lightGbmClock.Stop();
            }
            objectiveClock.Start();
            objective.GetGradients(it, scores, gradients, hessians);
            objectiveClock.Stop();
            lightGbmClock.Start();
            bool finished = booster.UpdateOneIteration(gradients, hessians);
            lightGbmClock.Stop();
            if (finished)
            {
                stoppedNoSplit = true;
                break;
            }
            trees = it + 1;
            if (refiner is not null)
                refiner.Apply(it, objective, scores, objectiveClock);

            double? metric = null;
            if (options.Metric is not null && validScores is not null)
            {
                if (refiner is not null)
                    refiner.ValidationScores.CopyTo(validScores, 0);
                else
                    booster.GetScores(1, validScores);
                double m = options.Metric(validScores);
                metric = m;
                history.Add(m);
                bool better = double.IsNaN(best) || (options.MetricHigherIsBetter ? m > best : m < best);
                if (better)
                {
                    best = m;
                    bestTrees = trees;
                }
                else if (options.EarlyStoppingRounds > 0 && trees - bestTrees >= options.EarlyStoppingRounds)
                {
                    stoppedEarly = true;
                }
            }
            if (options.Progress is not null && (trees % options.ProgressInterval == 0 || stoppedEarly || it == options.NumberOfIterations - 1))
                options.Progress(new BoostingProgress(trees, options.NumberOfIterations, clock.Elapsed, metric, bestTrees));
            if (stoppedEarly)
                break;
        }

        int keep = options.EarlyStoppingRounds > 0 && bestTrees > 0 ? bestTrees : trees;
        Guard.Data(keep > 0, "LightGBM could not grow a single tree: no split had positive gain (check the labels, min_data_in_leaf and min_sum_hessian_in_leaf).");
        string text = booster.SaveModelToString(0, keep);
        var model = TreeEnsemble.ParseLightGbmText(text, options.FeatureNames);
        return new BoostingResult(model, trees, keep, [.. history], stoppedEarly, stoppedNoSplit, clock.Elapsed, objectiveClock.Elapsed,
            lightGbmClock.Elapsed, text);
    }

    /// <summary>Finds each row's leaf in a new tree, lets the objective rewrite the leaf values, and keeps scores.</summary>
    internal sealed class LeafRefinement
    {
        private readonly RankingDataSet _train;
        private readonly RankingDataSet? _validation;
        private readonly LightGbmBooster _booster;
        private readonly double[] _lgbmBefore;
        private readonly double[] _lgbmAfter;
        private readonly int[] _leafOfRow;
        private readonly double[]? _validBefore;
        private readonly double[]? _validAfter;
        private readonly int[]? _validLeaf;

        public LeafRefinement(RankingDataSet train, RankingDataSet? validation, LightGbmBooster booster)
        {
            _train = train;
            _validation = validation;
            _booster = booster;
            int rows = train.Groups.RowCount;
            _lgbmBefore = new double[rows];
            _lgbmAfter = new double[rows];
            _leafOfRow = new int[rows];
            if (validation is not null)
            {
                int v = validation.Groups.RowCount;
                _validBefore = new double[v];
                _validAfter = new double[v];
                _validLeaf = new int[v];
                ValidationScores = new double[v];
            }
        }

        /// <summary>The loop's own validation scores (with refined leaf values).</summary>
        public double[] ValidationScores { get; } = [];

        public void Apply(int tree, IRankingObjective objective, double[] scores, Stopwatch objectiveClock)
        {
            string text = _booster.SaveModelToString(tree, 1);
            var single = TreeEnsemble.ParseLightGbmText(text);
            int leaves = single.LeafCountOf(0);
            var lightGbmValues = new double[leaves];
            for (int k = 0; k < leaves; k++)
                lightGbmValues[k] = single.LeafValueOf(0, k);

            _booster.GetScores(0, _lgbmAfter);
            Locate(single, lightGbmValues, _lgbmBefore, _lgbmAfter, _leafOfRow, _train.Features);

            var refined = (double[])lightGbmValues.Clone();
            objectiveClock.Start();
            objective.RefineLeafValues(tree, _leafOfRow, scores, refined);
            objectiveClock.Stop();
            for (int k = 0; k < leaves; k++)
            {
                Guard.Data(double.IsFinite(refined[k]),
                    $"Objective '{objective.Name}' set leaf {k} of tree {tree} to {refined[k]}; leaf values must be finite.");
                if (BitConverter.DoubleToInt64Bits(refined[k]) != BitConverter.DoubleToInt64Bits(lightGbmValues[k]))
                    _booster.SetLeafValue(tree, k, refined[k]);
            }
            for (int i = 0; i < scores.Length; i++)
                scores[i] += refined[_leafOfRow[i]];
            _lgbmAfter.CopyTo(_lgbmBefore, 0);

            if (_validation is not null)
            {
                _booster.GetScores(1, _validAfter!);
                Locate(single, lightGbmValues, _validBefore!, _validAfter!, _validLeaf!, _validation.Features);
                for (int i = 0; i < ValidationScores.Length; i++)
                    ValidationScores[i] += refined[_validLeaf![i]];
                _validAfter!.CopyTo(_validBefore!, 0);
            }
        }

        /// <summary>Each row's leaf from LightGBM's score change; ambiguous rows by routing them through the tree.</summary>
        internal static void Locate(TreeEnsemble tree, double[] values, double[] before, double[] after, int[] leafOfRow, IRowBlockSource source)
        {
            bool ambiguous = false;
            for (int i = 0; i < before.Length; i++)
            {
                int found = -1;
                int matches = 0;
                for (int k = 0; k < values.Length; k++)
                {
                    if (before[i] + values[k] == after[i])
                    {
                        found = k;
                        matches++;
                    }
                }
                if (matches != 1)
                {
                    ambiguous = true;
                    found = -1;
                }
                leafOfRow[i] = found;
            }
            if (!ambiguous)
                return;
            var router = new TreeEnsemble.BlockScorer(tree, 0, source.RowCount);
            source.Read(router);
            for (int i = 0; i < leafOfRow.Length; i++)
            {
                if (leafOfRow[i] < 0)
                    leafOfRow[i] = (int)router.Scores[i];
            }
        }
    }
}
