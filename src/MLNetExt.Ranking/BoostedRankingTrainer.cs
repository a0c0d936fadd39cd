using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Ranking.Engine;
using MLNetExt.Training;

namespace MLNetExt.Ranking;

/// <summary>
/// The base of this package's boosted rankers: LightGBM grows the trees through its C API while the objective runs
/// in C#. Reads the label (relevance grades: Single, fractional allowed, or a key), the contiguous query groups and
/// optional example weights, streams the features into LightGBM's binned dataset in bounded blocks (dense or sparse,
/// never a dense copy in managed memory), trains with progress and cancellation through the MLContext, and returns a
/// <see cref="RankingModelTransformer{TModel}"/> whose trees are scored in managed code. Not meant to be derived from
/// outside MLNetExt.
/// </summary>
public abstract class BoostedRankingTrainerBase : TrainerBase<RankingModelTransformer<BoostedRankingModelParameters>, BoostedRankingModelParameters>
{
    private readonly string _component;

    private protected BoostedRankingTrainerBase(IHostEnvironment env, BoostedRankingOptions options, string component)
        : base(env, options, component, PredictionTask.Ranking)
        => _component = component;

    private protected BoostedRankingOptions BoostingOptions => (BoostedRankingOptions)TrainerOptions;

    /// <summary>A new objective for one fit (objectives hold per-fit buffers).</summary>
    private protected abstract IRankingObjective CreateObjective();

    /// <summary>Checks the labels for the objective (for example integer grades with a gain table).</summary>
    private protected virtual void CheckLabels(float[] labels, string labelColumnName)
    {
    }

    /// <summary>
    /// For objectives whose scores are calibrated probabilities (RCR): the grade that means relevance 1, known after
    /// the objective has seen the labels; the model then also writes a <c>Probability</c> column. Null otherwise.
    /// </summary>
    private protected virtual double? ProbabilityLabelScale(IRankingObjective objective) => null;

    /// <summary>Whether the trained model writes a <c>Probability</c> column (see <see cref="ProbabilityLabelScale"/>).</summary>
    private protected virtual bool WritesProbability => false;

    private protected override IEnumerable<SchemaShape.Column> OutputShape(SchemaShape.Column label)
    {
        foreach (var column in base.OutputShape(label))
            yield return column;
        if (WritesProbability)
        {
            yield return Interop.MLNetBridge.MakeColumn(ColumnNames.Probability, SchemaShape.Column.VectorKind.Scalar,
                Microsoft.ML.Data.NumberDataViewType.Single, false, ScoreAnnotations.Shape(ScoreAnnotations.Probability));
        }
    }

    private protected override RankingModelTransformer<BoostedRankingModelParameters> FitCore(TrainingContext context)
    {
        var o = BoostingOptions;
        var channel = context.Channel;
        var train = Read(channel, context.TrainData, "training");
        var validation = context.ValidationData is { } v ? Read(channel, v, "validation") : null;
        if (o.EarlyStoppingRounds > 0 && validation is null)
            channel.Warning($"{nameof(o.EarlyStoppingRounds)} is {o.EarlyStoppingRounds} but no validation data was given (Fit(trainData, validationData)); every tree is kept.");

        var settings = new BoosterSettings
        {
            NumberOfLeaves = o.NumberOfLeaves,
            LearningRate = o.LearningRate,
            MinimumExampleCountPerLeaf = o.MinimumExampleCountPerLeaf,
            MinimumHessianPerLeaf = o.MinimumHessianPerLeaf,
            L2Regularization = o.L2Regularization,
            L1Regularization = o.L1Regularization,
            MinimumSplitGain = o.MinimumSplitGain,
            MaximumDepth = o.MaximumDepth,
            MaximumBinCountPerFeature = o.MaximumBinCountPerFeature,
            FeatureFraction = o.FeatureFraction,
            BaggingFraction = o.BaggingFraction,
            BaggingFrequency = o.BaggingFrequency,
            BaggingByQuery = o.BaggingFrequency > 0,
            Seed = context.Seed,
            NumberOfThreads = o.NumberOfThreads,
        };
        int featureCount = train.Features.FeatureCount;
        var featureNames = SlotNames.ReadOrDefault(context.TrainData.Schema[o.FeatureColumnName], featureCount);

        ValidationMetric? metric = null;
        if (validation is not null)
        {
            var labels = validation.Groups.Labels;
            var offsets = validation.Groups.GroupOffsets;
            var buffer = new double[labels.Length];
            int k = o.EarlyStoppingTruncation;
            metric = scores =>
            {
                scores.CopyTo(buffer);
                return RankingMeasures.Mean(RankingMeasure.Ndcg, labels, buffer, offsets, k, RankingMetricOptions.Default);
            };
        }

        string metricName = $"validation NDCG@{o.EarlyStoppingTruncation}";
        if (metric is null)
            channel.StartProgress(o.NumberOfTrees, "trees");
        else
            channel.StartProgress(o.NumberOfTrees, "trees", metricName);
        using var cancellation = channel.CreateCancellationScope();
        var network = o.Network is { } net
            ? net.ToSettings(net.BinSampleData is { } sample ? FeatureSource(sample, CountRows(sample), "bin sample") : null)
            : null;
        var objective = CreateObjective();
        var boosting = new BoostingOptions
        {
            NumberOfIterations = o.NumberOfTrees,
            Metric = metric,
            EarlyStoppingRounds = validation is null ? 0 : o.EarlyStoppingRounds,
            ProgressInterval = o.ProgressInterval,
            Progress = p =>
            {
                if (p.ValidationMetric is { } value)
                    channel.ReportProgress(p.Trees, [value], () => $"best {p.BestTrees} trees; {p.Elapsed.TotalSeconds:0.0} s");
                else
                    channel.ReportProgress(p.Trees, () => $"{p.Elapsed.TotalSeconds:0.0} s");
            },
            Log = channel.Trace,
            Cancellation = cancellation.Token,
            Network = network,
            FeatureNames = featureNames,
        };

        BoostingResult result;
        try
        {
            result = RankingBoostingLoop.Train(train, validation, objective, settings, boosting);
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{_component} was canceled (MLContext execution was canceled).");
        }
        channel.Info($"{_component}: {result.BestTrees} of {result.TreesGrown} trees kept" +
            (result.StoppedEarly ? " (early stopping)" : result.StoppedNoSplit ? " (no split with positive gain)" : "") +
            $"; {result.Elapsed.TotalSeconds:0.00} s ({result.ObjectiveTime.TotalSeconds:0.00} s in the objective, " +
            $"{result.LightGbmTime.TotalSeconds:0.00} s in LightGBM)" +
            (result.MetricHistory.Length > 0 ? $"; {metricName} {result.MetricHistory[result.BestTrees - 1]:0.######}" : "") + ".");
        var model = new BoostedRankingModelParameters(result.Model, objective.Name, result.BestTrees, result.MetricHistory,
            ProbabilityLabelScale(objective));
        return new RankingModelTransformer<BoostedRankingModelParameters>(model, o.FeatureColumnName);
    }

    private RankingDataSet Read(ComponentChannel channel, IDataView data, string which)
    {
        var o = BoostingOptions;
        var reader = new DataViewColumnReader(data, $"{_component} ({which} data)");
        var label = reader.AddRelevanceLabel(o.LabelColumnName, "label");
        var group = reader.AddId(o.RowGroupColumnName, "group");
        var weight = reader.AddWeights(o.ExampleWeightColumnName);
        int rows = reader.Read(channel);
        var groups = GroupBoundaries.FromRuns(group.Values, o.RowGroupColumnName);
        CheckLabels(label.Values, o.LabelColumnName);
        var statistics = RankingGroupStatistics.Compute(label.Values, groups.Offsets, groups.Ids);
        if (which == "training")
            statistics.Log(channel, "they contribute no gradient");
        float[]? weights = null;
        if (weight is not null)
        {
            weights = new float[rows];
            for (int i = 0; i < rows; i++)
                weights[i] = (float)weight.Values[i];
        }
        var queries = new QueryGroups(label.Values, groups.Offsets, weights);
        return new RankingDataSet(FeatureSource(data, rows, which), queries);
    }

    private DataViewRowBlockSource FeatureSource(IDataView data, int rows, string which)
        => new(data, BoostingOptions.FeatureColumnName, $"{_component} ({which} data)", rows, ValueRule.Any, BlockLayout.Auto);

    private int CountRows(IDataView data)
    {
        var reader = new DataViewColumnReader(data, $"{_component} (bin sample)");
        reader.AddFeatureBlocks(BoostingOptions.FeatureColumnName, "feature", ValueRule.Any, BlockLayout.Sparse, 4096, NoVisitor.Instance);
        return reader.Read();
    }

    private sealed class NoVisitor : IRowBlockVisitor
    {
        public static readonly NoVisitor Instance = new();

        public bool Visit(in RowBlock block) => true;
    }
}
