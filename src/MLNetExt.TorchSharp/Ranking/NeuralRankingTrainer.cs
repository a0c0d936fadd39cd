using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Interop;
using MLNetExt.Ranking;
using MLNetExt.Training;
using MLNetExt.TorchSharp.Losses;
using MLNetExt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Ranking;

/// <summary>The loss a neural ranker minimises (allRank's names in brackets; docs/specs/ranking.md §4, §5).</summary>
public enum NeuralRankingLoss
{
    /// <summary>NeuralNDCG (<c>neuralNDCG</c>): NDCG through NeuralSort and Sinkhorn scaling.</summary>
    NeuralNdcg,

    /// <summary>NeuralNDCG-transposed (<c>neuralNDCG_transposed</c>): the same value, computed through expected discounts.</summary>
    NeuralNdcgTransposed,

    /// <summary>ListNet (<c>listNet</c>): cross-entropy between the softmax of the labels and of the scores.</summary>
    ListNet,

    /// <summary>ApproxNDCG (<c>approxNDCGLoss</c>): NDCG with ranks approximated by sigmoids.</summary>
    ApproxNdcg,

    /// <summary>RankNet (<c>rankNet</c>): logistic loss over correctly-ordered pairs.</summary>
    RankNet,

    /// <summary>RCR, regression-compatible ranking: sigmoid cross-entropy plus listwise cross-entropy of sigmoids; writes Probability.</summary>
    Rcr,
}

/// <summary>
/// Trains a neural ranker with TorchSharp: an MLP or allRank's context-aware self-attention scorer, minimising one of
/// allRank's losses (NeuralNDCG, its transposed variant, ListNet, ApproxNDCG, RankNet) or RCR, over minibatches of
/// whole queries. Created by <c>mlContext.Ranking.Trainers.NeuralRanking</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Task</term><description>Ranking (label: Single grades &gt;= 0 or a key; group: key or whole numbers, contiguous)</description></item>
/// <item><term>Normalization</term><description>built in: per-feature standardisation learned at fit time and saved with the model</description></item>
/// <item><term>Native dependency</term><description>libtorch (add a backend package such as libtorch-cpu-linux-x64)</description></item>
/// <item><term>Deterministic</term><description>yes on the CPU given a seed and a thread count (weights initialised and dropout and batches drawn from the seed)</description></item>
/// <item><term>Output</term><description>Score; Probability with the RCR loss; row to row for the MLP scorer, whole groups for the transformer</description></item>
/// </list>
/// Each epoch visits the training queries in an order drawn from the seed, in minibatches of <c>BatchSize</c> queries
/// padded to the longest (labels -1 at padded slots, as allRank); the loss is computed for the whole minibatch with
/// batched tensor operations. With validation data, NDCG@<c>ValidationNdcgTruncation</c> is computed after every
/// epoch, training stops after <c>EarlyStoppingPatience</c> epochs without improvement, and the best epoch's weights
/// are kept. References: Pobrotyn and Białobrzeski, NeuralNDCG (2021); Pobrotyn et al., Context-Aware Learning to
/// Rank with Self-Attention (2020); Bai et al., RCR (2023); allegro/allRank @c884756.
/// </remarks>
public sealed class NeuralRankingTrainer : TrainerBase<NeuralRankingTransformer, NeuralRankingModelParameters>
{
    internal const string ComponentName = "NeuralRanking";

    internal static class Defaults
    {
        public const NeuralRankingLoss Loss = NeuralRankingLoss.NeuralNdcg;
        public const int NumberOfEpochs = 100;
        public const int BatchSize = 64;
        public const double LearningRate = 1e-3;
        public static int[] HiddenLayerSizes => [128, 64];
    }

    /// <summary>Options of <see cref="NeuralRankingTrainer"/>.</summary>
    public sealed class Options : RankingTrainerOptionsBase
    {
        /// <summary>The loss to minimise.</summary>
        /// <value>Default <see cref="NeuralRankingLoss.NeuralNdcg"/>.</value>
        public NeuralRankingLoss Loss = Defaults.Loss;

        /// <summary>The scorer network.</summary>
        /// <value>Default <see cref="NeuralRankingScorer.Mlp"/> (allRank's <c>*_mlp</c> configurations).</value>
        public NeuralRankingScorer Scorer = NeuralRankingScorer.Mlp;

        /// <summary>Hidden layer widths: the MLP's layers; for the transformer scorer, its input layer (the last width is the attention width).</summary>
        /// <value>Each &gt;= 1. Default [128, 64], the architecture of the neural-ranking issue's benchmark (allRank's paper configs use [96] or [128]).</value>
        public int[] HiddenLayerSizes = Defaults.HiddenLayerSizes;

        /// <summary>The activation after each hidden layer.</summary>
        /// <value>Default ReLU (our choice; allRank's NeuralNDCG config uses none, which makes an MLP linear).</value>
        public NeuralActivation Activation = NeuralActivation.Relu;

        /// <summary>Dropout rate after each hidden layer (and in the attention blocks).</summary>
        /// <value>Range [0, 1). Default 0 (allRank's MLP configs).</value>
        public double Dropout;

        /// <summary>Batch normalisation after each hidden linear layer of the MLP (over the real documents of a minibatch).</summary>
        /// <value>Default false.</value>
        public bool BatchNormalization;

        /// <summary>Self-attention blocks of the transformer scorer.</summary>
        /// <value>Range [1, 64]. Default 2 (spec §6.2's small-data default; allRank's NeuralNDCG config uses 2).</value>
        public int TransformerBlocks = 2;

        /// <summary>Attention heads; must divide the attention width (the last hidden size).</summary>
        /// <value>Default 2 (spec §6.2).</value>
        public int AttentionHeads = 2;

        /// <summary>Width of the position-wise feed-forward layer of each block.</summary>
        /// <value>Default 128 (spec §6.2).</value>
        public int FeedForwardSize = 128;

        /// <summary>Epochs at most (fewer with early stopping).</summary>
        /// <value>Range [1, inf). Default 100 (allRank's <c>epochs</c>).</value>
        public int NumberOfEpochs = Defaults.NumberOfEpochs;

        /// <summary>Queries per minibatch.</summary>
        /// <value>Range [1, inf). Default 64 (allRank's <c>batch_size</c>).</value>
        public int BatchSize = Defaults.BatchSize;

        /// <summary>The optimizer's learning rate.</summary>
        /// <value>Range (0, inf). Default 1e-3 (allRank's Adam lr).</value>
        public double LearningRate = Defaults.LearningRate;

        /// <summary>The optimizer.</summary>
        /// <value>Default Adam (allRank).</value>
        public TorchOptimizer Optimizer = TorchOptimizer.Adam;

        /// <summary>Weight decay (L2 for Adam, decoupled for AdamW).</summary>
        /// <value>Range [0, inf). Default 0.</value>
        public double WeightDecay;

        /// <summary>StepLR: the learning rate is multiplied by <see cref="LearningRateDecay"/> every this many epochs; 0 keeps it constant.</summary>
        /// <value>Range [0, inf). Default 50 (allRank's <c>step_size</c>).</value>
        public int LearningRateStepSize = 50;

        /// <summary>StepLR's factor.</summary>
        /// <value>Range (0, 1]. Default 0.1 (allRank's <c>gamma</c>).</value>
        public double LearningRateDecay = 0.1;

        /// <summary>Clip the gradient's global L2 norm to this value; null for none.</summary>
        /// <value>Default null (allRank: no clipping).</value>
        public double? GradientClipNorm;

        /// <summary>With validation data: stop after this many epochs without a better validation NDCG, keeping the best epoch.</summary>
        /// <value>Range [1, inf). Default 20 (spec §6.2's small-data default; allRank's 100 effectively disables it).</value>
        public int EarlyStoppingPatience = 20;

        /// <summary>The cut-off k of the validation NDCG@k used for early stopping and progress.</summary>
        /// <value>Range [1, inf). Default 5 (allRank's <c>val_metric</c> ndcg_5).</value>
        public int ValidationNdcgTruncation = 5;

        /// <summary>Lists longer than this are subsampled (without replacement, keeping a relevant document when the list has one) anew each epoch; null for no limit.</summary>
        /// <value>Default null: whole lists (allRank's <c>slate_length</c> is 240 on Web30K).</value>
        public int? MaximumListLength;

        /// <summary>NeuralSort's temperature (NeuralNDCG losses).</summary>
        /// <value>Range (0, inf). Default 1 (allRank).</value>
        public double Temperature = 1.0;

        /// <summary>The rank k at which NeuralNDCG is truncated; null for the whole list.</summary>
        /// <value>Default null (allRank's <c>k=None</c>).</value>
        public int? NdcgTruncation;

        /// <summary>Gain 2^l - 1 (true) or l (false) in the NeuralNDCG losses.</summary>
        /// <value>Default true (allRank's <c>powered_relevancies</c>).</value>
        public bool PoweredRelevancies = true;

        /// <summary>Sinkhorn's iteration limit (NeuralNDCG losses).</summary>
        /// <value>Range [0, inf). Default 50 (allRank).</value>
        public int SinkhornIterations = 50;

        /// <summary>Sinkhorn's tolerance on the column sums (NeuralNDCG losses).</summary>
        /// <value>Range [0, inf). Default 1e-6 (allRank).</value>
        public double SinkhornTolerance = 1e-6;

        /// <summary>ApproxNDCG's sigmoid sharpness alpha.</summary>
        /// <value>Range (0, inf). Default 1 (allRank).</value>
        public double ApproxNdcgAlpha = 1.0;

        /// <summary>RankNet's pair weights.</summary>
        /// <value>Default none (allRank's <c>rankNet</c>).</value>
        public RankingLosses.RankNetPairWeighting RankNetWeighting = RankingLosses.RankNetPairWeighting.None;

        /// <summary>RCR's weight alpha of the listwise term: (1 - alpha) SigmoidCE + alpha ListCE.</summary>
        /// <value>Range [0, 1]. Default 0.5 (spec §4.1, our choice).</value>
        public double RcrRankingWeight = 0.5;

        /// <summary>Learn a per-feature standardisation at fit time and apply it before the network.</summary>
        /// <value>Default true (allRank expects standardised features).</value>
        public bool StandardizeFeatures = true;

        /// <summary>The device that trains: "cpu", "cuda" or "cuda:N". Models always load and score on the CPU.</summary>
        /// <value>Default "cpu". CUDA needs a TorchSharp-cuda backend package and a GPU (a clear error otherwise).</value>
        public string Device = "cpu";

        /// <summary>
        /// On Linux (glibc), raise malloc's mmap and trim thresholds once per process so libtorch's large temporary tensors
        /// reuse memory instead of being mapped and page-faulted in for every minibatch (process-wide; see the README).
        /// </summary>
        /// <value>Default true (measured 2.6x on NeuralNDCG's loss for 64 lists of 150 documents; no effect on results).</value>
        public bool TuneNativeAllocator = true;

        /// <summary>libtorch's intra-op thread count during Fit (a process-wide setting, restored afterwards); null leaves it as it is.</summary>
        /// <value>Range [1, 1024] or null. Default null.</value>
        public int? NumberOfThreads;

        internal override void Validate()
        {
            base.Validate();
            Guard.Option(ExampleWeightColumnName is null, nameof(ExampleWeightColumnName), "is not supported by the neural ranker (allRank's losses have no document weights); leave it null.");
            Guard.Option(Enum.IsDefined(Loss), nameof(Loss), $"must be a NeuralRankingLoss value; got {(int)Loss}.");
            Guard.Option(Enum.IsDefined(Scorer), nameof(Scorer), $"must be a NeuralRankingScorer value; got {(int)Scorer}.");
            Guard.Option(Enum.IsDefined(Activation), nameof(Activation), $"must be a NeuralActivation value; got {(int)Activation}.");
            Guard.Option(HiddenLayerSizes is not null && HiddenLayerSizes.All(h => h >= 1), nameof(HiddenLayerSizes), $"must hold sizes >= 1; got [{string.Join(", ", HiddenLayerSizes ?? [])}].");
            Guard.Option(Scorer != NeuralRankingScorer.Transformer || HiddenLayerSizes!.Length >= 1, nameof(HiddenLayerSizes), "must hold at least one size for the transformer scorer (its last size is the attention width).");
            Guard.Option(Dropout >= 0 && Dropout < 1, nameof(Dropout), $"must be in [0, 1); got {Dropout}.");
            Guard.Option(TransformerBlocks >= 1 && TransformerBlocks <= 64, nameof(TransformerBlocks), $"must be in [1, 64]; got {TransformerBlocks}.");
            Guard.Option(AttentionHeads >= 1, nameof(AttentionHeads), $"must be >= 1; got {AttentionHeads}.");
            Guard.Option(Scorer != NeuralRankingScorer.Transformer || (HiddenLayerSizes![^1] % AttentionHeads == 0 && HiddenLayerSizes[^1] >= 2),
                nameof(AttentionHeads), $"must divide the attention width (the last hidden size, {HiddenLayerSizes![^1]}, which must be >= 2); got {AttentionHeads}.");
            Guard.Option(FeedForwardSize >= 1, nameof(FeedForwardSize), $"must be >= 1; got {FeedForwardSize}.");
            Guard.Option(NumberOfEpochs >= 1, nameof(NumberOfEpochs), $"must be >= 1; got {NumberOfEpochs}.");
            Guard.Option(BatchSize >= 1, nameof(BatchSize), $"must be >= 1; got {BatchSize}.");
            TorchLoopSettings.CheckOptimizerOptions(LearningRate, Optimizer, WeightDecay, LearningRateStepSize, LearningRateDecay, GradientClipNorm);
            Guard.Option(EarlyStoppingPatience >= 1, nameof(EarlyStoppingPatience), $"must be >= 1; got {EarlyStoppingPatience}.");
            Guard.Option(ValidationNdcgTruncation >= 1, nameof(ValidationNdcgTruncation), $"must be >= 1; got {ValidationNdcgTruncation}.");
            Guard.Option(MaximumListLength is null || MaximumListLength >= 1, nameof(MaximumListLength), $"must be null or >= 1; got {MaximumListLength}.");
            Guard.Option(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), $"must be finite and > 0; got {Temperature}.");
            Guard.Option(NdcgTruncation is null || NdcgTruncation >= 1, nameof(NdcgTruncation), $"must be null or >= 1; got {NdcgTruncation}.");
            Guard.Option(SinkhornIterations >= 0, nameof(SinkhornIterations), $"must be >= 0; got {SinkhornIterations}.");
            Guard.Option(SinkhornTolerance >= 0 && double.IsFinite(SinkhornTolerance), nameof(SinkhornTolerance), $"must be finite and >= 0; got {SinkhornTolerance}.");
            Guard.Option(ApproxNdcgAlpha > 0 && double.IsFinite(ApproxNdcgAlpha), nameof(ApproxNdcgAlpha), $"must be finite and > 0; got {ApproxNdcgAlpha}.");
            Guard.Option(Enum.IsDefined(RankNetWeighting), nameof(RankNetWeighting), $"must be a RankNetPairWeighting value; got {(int)RankNetWeighting}.");
            Guard.Option(RcrRankingWeight >= 0 && RcrRankingWeight <= 1, nameof(RcrRankingWeight), $"must be in [0, 1]; got {RcrRankingWeight}.");
            Guard.Option(TorchRuntime.IsValidDeviceName(Device), nameof(Device), $"must be \"cpu\", \"cuda\" or \"cuda:N\"; got \"{Device}\".");
            Guard.Option(NumberOfThreads is null || (NumberOfThreads >= 1 && NumberOfThreads <= 1024), nameof(NumberOfThreads), $"must be null or in [1, 1024]; got {NumberOfThreads}.");
        }

        internal override TrainerOptionsBase Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.HiddenLayerSizes = (int[])HiddenLayerSizes.Clone();
            return copy;
        }
    }

    internal NeuralRankingTrainer(IHostEnvironment env, Options options) : base(env, options, ComponentName, PredictionTask.Ranking)
    {
    }

    private Options TrainerSettings => (Options)TrainerOptions;

    private protected override IEnumerable<SchemaShape.Column> OutputShape(SchemaShape.Column label)
    {
        foreach (var column in base.OutputShape(label))
            yield return column;
        if (TrainerSettings.Loss == NeuralRankingLoss.Rcr)
        {
            yield return MLNetBridge.MakeColumn(ColumnNames.Probability, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
                ScoreAnnotations.Shape(ScoreAnnotations.Probability));
        }
    }

    private protected override NeuralRankingTransformer FitCore(TrainingContext context)
    {
        var o = TrainerSettings;
        var channel = context.Channel;
        TorchRuntime.EnsureLoaded();
        if (o.TuneNativeAllocator && TorchRuntime.TuneNativeAllocator())
            channel.Trace("Raised glibc's mmap and trim thresholds for libtorch's large temporary tensors (TuneNativeAllocator).");
        var train = RankingLists.Read(context.TrainData, o, "training");
        var validation = context.ValidationData is null ? null : RankingLists.Read(context.ValidationData, o, "validation");
        RankingGroupStatistics.Compute(train.Labels, train.Offsets, train.GroupIds).Log(channel);

        var standardizer = o.StandardizeFeatures ? FeatureStandardizer.Fit(train.Features, train.FeatureCount) : FeatureStandardizer.Identity(train.FeatureCount);
        standardizer.Apply(train.Features);
        if (validation is not null)
            standardizer.Apply(validation.Features);
        if (o.Loss == NeuralRankingLoss.Rcr)
            train.ToRcrTargets();

        var spec = new RankingNetworkSpec(o.Scorer, train.FeatureCount, (int[])o.HiddenLayerSizes.Clone(), o.Activation, o.Dropout, o.BatchNormalization,
            o.TransformerBlocks, o.AttentionHeads, o.FeedForwardSize);
        var device = TorchRuntime.ResolveDevice(o.Device, nameof(Options.Device));
        using var threads = TorchRuntime.ThreadScope(o.NumberOfThreads);
        using var network = spec.Build();
        ModuleWeights.Initialize(network, context.Seed, network.BiasBounds);
        network.to(device);
        using var generator = new Generator(unchecked((ulong)(uint)context.Seed), device);
        network.Generator = generator;

        var loss = LossFunction(o);
        var settings = new TorchLoopSettings
        {
            NumberOfEpochs = o.NumberOfEpochs,
            BatchSize = o.BatchSize,
            LearningRate = o.LearningRate,
            Optimizer = o.Optimizer,
            WeightDecay = o.WeightDecay,
            LearningRateStepSize = o.LearningRateStepSize,
            LearningRateDecay = o.LearningRateDecay,
            GradientClipNorm = o.GradientClipNorm,
            EarlyStoppingPatience = validation is null ? null : o.EarlyStoppingPatience,
            Seed = context.Seed,
        };
        int epoch = -1;
        Tensor BatchLoss(int[] groups)
        {
            var (features, labels, mask) = train.Pad(groups, o.MaximumListLength, context.Seed, epoch, device);
            var scores = network.call(features, mask);
            return loss(scores, labels);
        }
        ValidationMetric? metric = null;
        if (validation is not null)
        {
            int k = o.ValidationNdcgTruncation;
            metric = new ValidationMetric($"validation NDCG@{k}", HigherIsBetter: true,
                () => RankingMeasures.Mean(RankingMeasure.Ndcg, validation.Labels, validation.Score(network, device, o.BatchSize), validation.Offsets, k));
        }
        var loop = new TorchTrainingLoop(settings, channel);
        var history = loop.Run(network, train.GroupCount, BatchLoss, metric, onEpochStart: e => epoch = e);
        channel.Info($"Trained {history.EpochsRun} epochs ({history.EpochSeconds.Sum():0.##} s); kept epoch {history.BestEpoch}; " +
            $"last training loss {history.TrainingLoss[^1]:G6}.");
        var model = new NeuralRankingModelParameters(spec, ModuleWeights.Capture(network), standardizer, o.Loss, history);
        return new NeuralRankingTransformer(model, o.FeatureColumnName, o.RowGroupColumnName);
    }

    internal static Func<Tensor, Tensor, Tensor> LossFunction(Options o) => o.Loss switch
    {
        NeuralRankingLoss.NeuralNdcg => (s, y) => RankingLosses.NeuralNdcg(s, y, o.Temperature, o.NdcgTruncation, o.PoweredRelevancies, o.SinkhornTolerance, o.SinkhornIterations),
        NeuralRankingLoss.NeuralNdcgTransposed => (s, y) => RankingLosses.NeuralNdcgTransposed(s, y, o.Temperature, o.NdcgTruncation, o.PoweredRelevancies, o.SinkhornTolerance, o.SinkhornIterations),
        NeuralRankingLoss.ListNet => RankingLosses.ListNet,
        NeuralRankingLoss.ApproxNdcg => (s, y) => RankingLosses.ApproxNdcg(s, y, o.ApproxNdcgAlpha),
        NeuralRankingLoss.RankNet => (s, y) => RankingLosses.RankNet(s, y, o.RankNetWeighting),
        _ => (s, y) => RankingLosses.Rcr(s, y, o.RcrRankingWeight),
    };
}
