using MLNetExt.Training;
using MLNetExt.TorchSharp.Training;

namespace MLNetExt.TorchSharp.LabelProportions;

/// <summary>What early stopping of a label-proportion trainer watches on held-out bags (lower is better for both).</summary>
public enum LabelProportionsValidationMetric
{
    /// <summary>
    /// The mean over held-out bags of KL(alpha || mean predicted distribution): DLLP's bag loss less the entropy of
    /// the proportions, 0 when every bag's mean prediction matches its proportion. The same yardstick whatever the loss.
    /// </summary>
    ProportionDivergence,

    /// <summary>
    /// The training loss itself on the held-out bags (for EasyLLP on random bags, an unbiased but noisy estimate of
    /// the instance-level loss).
    /// </summary>
    TrainingLoss,
}

/// <summary>
/// The options the binary and multiclass label-proportion trainers share: the bag columns, the loss, the model and
/// the training loop. <c>LabelColumnName</c> is read only in the experimental setting
/// (<see cref="ExperimentalProportionsFromInstanceLabels"/>); <c>ExampleWeightColumnName</c> is not supported.
/// </summary>
public abstract class LabelProportionsTrainerOptionsBase : TrainerOptionsBase
{
    internal static class Defaults
    {
        public const string BagIdColumnName = "BagId";
        public const string BagProportionColumnName = "BagProportion";
        public const LabelProportionsLoss Loss = LabelProportionsLoss.Dllp;
        public const double Rho = 0.5;
        public const int NumberOfEpochs = 50;
        public const int MaximumBatchRows = 512;
        public const double LearningRate = 1e-2;
        public const int EarlyStoppingPatience = 10;
        public static int[] HiddenLayerSizes => [64];
    }

    private protected LabelProportionsTrainerOptionsBase()
    {
    }

    /// <summary>The bag id column: a key, whole numbers or text (not empty). A bag's rows need not be contiguous.</summary>
    /// <value>Default "BagId" (the column <c>mlContext.Data.MakeBags</c> adds).</value>
    public string BagIdColumnName = Defaults.BagIdColumnName;

    /// <summary>
    /// The bag's label proportion, the same on every row of the bag: binary, a number in [0, 1] (the fraction of
    /// positive rows); multiclass, a known-size vector of numbers in [0, 1] summing to 1 (within 1e-3, then
    /// renormalised), whose slot names, when present, become the class names.
    /// </summary>
    /// <value>Default "BagProportion" (the column <c>mlContext.Data.MakeBags</c> adds).</value>
    public string BagProportionColumnName = Defaults.BagProportionColumnName;

    /// <summary>
    /// EXPERIMENTAL SETTING, for simulations only: read instance labels from <c>LabelColumnName</c> (binary: Boolean;
    /// multiclass: a key) and use each bag's label fractions as its proportion, instead of reading
    /// <see cref="BagProportionColumnName"/>. A real label-proportion problem has no instance labels; this setting
    /// exists to study the losses on labelled data without making a proportion column first.
    /// </summary>
    /// <value>Default false: proportions are read from <see cref="BagProportionColumnName"/>.</value>
    public bool ExperimentalProportionsFromInstanceLabels;

    /// <summary>The loss to minimise.</summary>
    /// <value>Default <see cref="LabelProportionsLoss.Dllp"/>: it applies to random and feature-dependent bags alike
    /// (spec §2.4); see the README's benchmark table for how the losses compare.</value>
    public LabelProportionsLoss Loss = Defaults.Loss;

    /// <summary>EasyLLP's per-instance loss.</summary>
    /// <value>Default <see cref="EasyLlpInstanceLoss.Log"/>, as the EasyLLP experiment code's <c>EasyLLPLog</c>.</value>
    public EasyLlpInstanceLoss EasyLlpInstanceLoss = EasyLlpInstanceLoss.Log;

    /// <summary>The interpolating loss's rho: <c>rho L_inst + (1 - rho) L_bag</c>.</summary>
    /// <value>Range [0, 1]. Default 0.5 (our choice; the best rho depends on bag size and noise, Javanmard et al. 2024).</value>
    public double Rho = Defaults.Rho;

    /// <summary>Linear or MLP.</summary>
    /// <value>Default <see cref="LabelProportionsModel.Linear"/>.</value>
    public LabelProportionsModel Model = LabelProportionsModel.Linear;

    /// <summary>The MLP's hidden layer widths (ignored by the linear model).</summary>
    /// <value>Each &gt;= 1, at least one layer. Default [64] (our choice, as the bench's MLP).</value>
    public int[] HiddenLayerSizes = Defaults.HiddenLayerSizes;

    /// <summary>Epochs at most (fewer with early stopping).</summary>
    /// <value>Range [1, inf). Default 50 (our choice, from the bench).</value>
    public int NumberOfEpochs = Defaults.NumberOfEpochs;

    /// <summary>
    /// Rows per minibatch: whole bags are taken in the epoch's random order while their rows stay within this many
    /// (a larger bag is a minibatch alone), so the number of steps per epoch does not depend on the bag size.
    /// </summary>
    /// <value>Range [1, inf). Default 512 (our choice; the EasyLLP experiment code uses 1000).</value>
    public int MaximumBatchRows = Defaults.MaximumBatchRows;

    /// <summary>The optimizer's learning rate.</summary>
    /// <value>Range (0, inf). Default 1e-2 (our choice, from the bench).</value>
    public double LearningRate = Defaults.LearningRate;

    /// <summary>The optimizer.</summary>
    /// <value>Default Adam.</value>
    public TorchOptimizer Optimizer = TorchOptimizer.Adam;

    /// <summary>Weight decay (L2 for Adam, decoupled for AdamW).</summary>
    /// <value>Range [0, inf). Default 0.</value>
    public double WeightDecay;

    /// <summary>StepLR: the learning rate is multiplied by <see cref="LearningRateDecay"/> every this many epochs; 0 keeps it constant.</summary>
    /// <value>Range [0, inf). Default 0.</value>
    public int LearningRateStepSize;

    /// <summary>StepLR's factor.</summary>
    /// <value>Range (0, 1]. Default 0.1.</value>
    public double LearningRateDecay = 0.1;

    /// <summary>Clip the gradient's global L2 norm to this value; null for none.</summary>
    /// <value>Default null.</value>
    public double? GradientClipNorm;

    /// <summary>
    /// Hold out this fraction of the training bags (drawn from the seed) for early stopping when <c>Fit</c> gets no
    /// validation data; 0 for none.
    /// </summary>
    /// <value>Range [0, 0.5]. Default 0.</value>
    public double ValidationBagFraction;

    /// <summary>
    /// With held-out bags (validation data or <see cref="ValidationBagFraction"/>): stop after this many epochs
    /// without a lower <see cref="ValidationMetric"/> on them, keeping the best epoch's weights.
    /// </summary>
    /// <value>Range [1, inf). Default 10.</value>
    public int EarlyStoppingPatience = Defaults.EarlyStoppingPatience;

    /// <summary>What early stopping watches on the held-out bags.</summary>
    /// <value>Default <see cref="LabelProportionsValidationMetric.ProportionDivergence"/>.</value>
    public LabelProportionsValidationMetric ValidationMetric = LabelProportionsValidationMetric.ProportionDivergence;

    /// <summary>Learn a per-feature standardisation at fit time and apply it before the network.</summary>
    /// <value>Default true.</value>
    public bool StandardizeFeatures = true;

    /// <summary>The device that trains: "cpu", "cuda" or "cuda:N". Models score in managed code, without libtorch.</summary>
    /// <value>Default "cpu".</value>
    public string Device = "cpu";

    /// <summary>libtorch's intra-op thread count during Fit (a process-wide setting, restored afterwards); null leaves it as it is.</summary>
    /// <value>Range [1, 1024] or null. Default null.</value>
    public int? NumberOfThreads;

    internal override void Validate()
    {
        base.Validate();
        Guard.ColumnName(BagIdColumnName, nameof(BagIdColumnName));
        Guard.ColumnName(BagProportionColumnName, nameof(BagProportionColumnName));
        Guard.Option(ExampleWeightColumnName is null, nameof(ExampleWeightColumnName), "is not supported by the label-proportion trainers (a bag's proportion already weighs its rows); leave it null.");
        Guard.Option(BagIdColumnName != (ExperimentalProportionsFromInstanceLabels ? LabelColumnName : BagProportionColumnName), nameof(BagIdColumnName),
            $"must differ from the column the proportions come from; got '{BagIdColumnName}' for both.");
        Guard.Option(Enum.IsDefined(Loss), nameof(Loss), $"must be a LabelProportionsLoss value; got {(int)Loss}.");
        Guard.Option(Enum.IsDefined(EasyLlpInstanceLoss), nameof(EasyLlpInstanceLoss), $"must be an EasyLlpInstanceLoss value; got {(int)EasyLlpInstanceLoss}.");
        Guard.Option(Rho >= 0 && Rho <= 1, nameof(Rho), $"must be in [0, 1]; got {Rho}.");
        Guard.Option(Enum.IsDefined(Model), nameof(Model), $"must be a LabelProportionsModel value; got {(int)Model}.");
        Guard.Option(Model == LabelProportionsModel.Linear || (HiddenLayerSizes is { Length: > 0 and <= 64 } && HiddenLayerSizes.All(h => h >= 1 && h <= 1 << 20)),
            nameof(HiddenLayerSizes), $"must hold 1 to 64 sizes in [1, 2^20] for the MLP; got [{string.Join(", ", HiddenLayerSizes ?? [])}].");
        Guard.Option(NumberOfEpochs >= 1, nameof(NumberOfEpochs), $"must be >= 1; got {NumberOfEpochs}.");
        Guard.Option(MaximumBatchRows >= 1, nameof(MaximumBatchRows), $"must be >= 1; got {MaximumBatchRows}.");
        TorchLoopSettings.CheckOptimizerOptions(LearningRate, Optimizer, WeightDecay, LearningRateStepSize, LearningRateDecay, GradientClipNorm);
        Guard.Option(ValidationBagFraction >= 0 && ValidationBagFraction <= 0.5, nameof(ValidationBagFraction), $"must be in [0, 0.5]; got {ValidationBagFraction}.");
        Guard.Option(Enum.IsDefined(ValidationMetric), nameof(ValidationMetric), $"must be a LabelProportionsValidationMetric value; got {(int)ValidationMetric}.");
        Guard.Option(EarlyStoppingPatience >= 1, nameof(EarlyStoppingPatience), $"must be >= 1; got {EarlyStoppingPatience}.");
        Guard.Option(TorchRuntime.IsValidDeviceName(Device), nameof(Device), $"must be \"cpu\", \"cuda\" or \"cuda:N\"; got \"{Device}\".");
        Guard.Option(NumberOfThreads is null || (NumberOfThreads >= 1 && NumberOfThreads <= 1024), nameof(NumberOfThreads), $"must be null or in [1, 1024]; got {NumberOfThreads}.");
    }

    internal override TrainerOptionsBase Clone()
    {
        var copy = (LabelProportionsTrainerOptionsBase)MemberwiseClone();
        copy.HiddenLayerSizes = (int[])(HiddenLayerSizes?.Clone() ?? Array.Empty<int>());
        return copy;
    }
}
