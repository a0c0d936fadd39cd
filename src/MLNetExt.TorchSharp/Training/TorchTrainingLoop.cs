using System.Diagnostics;
using MLNetExt.Diagnostics;
using MLNetExt.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Training;

/// <summary>The optimizer of a TorchSharp trainer.</summary>
public enum TorchOptimizer
{
    /// <summary>Adam (Kingma and Ba 2015); <c>WeightDecay</c> is an L2 term added to the gradient, as PyTorch's Adam.</summary>
    Adam,

    /// <summary>AdamW (Loshchilov and Hutter 2019): weight decay decoupled from the gradient.</summary>
    AdamW,
}

/// <summary>The loop's settings, copied from a trainer's validated options.</summary>
internal sealed record TorchLoopSettings
{
    /// <summary>
    /// Checks the optimizer options that trainers on this loop expose under the same names (LearningRate, Optimizer,
    /// WeightDecay, LearningRateStepSize, LearningRateDecay, GradientClipNorm), with messages naming each option.
    /// </summary>
    public static void CheckOptimizerOptions(double learningRate, TorchOptimizer optimizer, double weightDecay, int learningRateStepSize,
        double learningRateDecay, double? gradientClipNorm)
    {
        Guard.Option(learningRate > 0 && double.IsFinite(learningRate), "LearningRate", $"must be finite and > 0; got {learningRate}.");
        Guard.Option(Enum.IsDefined(optimizer), "Optimizer", $"must be a TorchOptimizer value; got {(int)optimizer}.");
        Guard.Option(weightDecay >= 0 && double.IsFinite(weightDecay), "WeightDecay", $"must be finite and >= 0; got {weightDecay}.");
        Guard.Option(learningRateStepSize >= 0, "LearningRateStepSize", $"must be >= 0; got {learningRateStepSize}.");
        Guard.Option(learningRateDecay > 0 && learningRateDecay <= 1, "LearningRateDecay", $"must be in (0, 1]; got {learningRateDecay}.");
        Guard.Option(gradientClipNorm is null || (gradientClipNorm > 0 && double.IsFinite(gradientClipNorm.Value)), "GradientClipNorm",
            $"must be null or finite and > 0; got {gradientClipNorm}.");
    }

    /// <summary>Epochs at most (fewer with early stopping).</summary>
    public required int NumberOfEpochs { get; init; }

    /// <summary>Units (groups, bags) per minibatch; the last minibatch of an epoch may be smaller.</summary>
    public required int BatchSize { get; init; }

    /// <summary>
    /// With unit sizes given to <see cref="TorchTrainingLoop.Run"/> (rows per bag or group): a minibatch also ends
    /// before its units' rows would exceed this many, so minibatches hold about the same number of rows whatever the
    /// units' sizes (a unit larger than this is a minibatch alone); null for no row limit.
    /// </summary>
    public int? MaximumBatchRows { get; init; }

    public required double LearningRate { get; init; }

    public TorchOptimizer Optimizer { get; init; } = TorchOptimizer.Adam;

    public double WeightDecay { get; init; }

    /// <summary>StepLR: multiply the learning rate by <see cref="LearningRateDecay"/> every this many epochs; 0 for a constant rate.</summary>
    public int LearningRateStepSize { get; init; }

    public double LearningRateDecay { get; init; } = 0.1;

    /// <summary>Clip the global gradient L2 norm to this value; null for no clipping.</summary>
    public double? GradientClipNorm { get; init; }

    /// <summary>Stop after this many epochs without a better validation value; null to run every epoch.</summary>
    public int? EarlyStoppingPatience { get; init; }

    public required int Seed { get; init; }
}

/// <summary>A validation metric the loop computes after every epoch (in evaluation mode, without gradients).</summary>
/// <param name="Name">For progress ("validation NDCG@5").</param>
/// <param name="HigherIsBetter">True for NDCG, false for a loss.</param>
/// <param name="Evaluate">Computes the metric with the module as it is.</param>
internal sealed record ValidationMetric(string Name, bool HigherIsBetter, Func<double> Evaluate);

/// <summary>What happened while a TorchSharp trainer fitted its model.</summary>
/// <param name="EpochsRun">Epochs run (fewer than asked when training stopped early).</param>
/// <param name="BestEpoch">The 1-based epoch whose weights the model kept (the last one without validation data).</param>
/// <param name="TrainingLoss">The mean training loss of each epoch.</param>
/// <param name="Validation">The validation metric after each epoch (empty without validation data).</param>
/// <param name="StoppedEarly">Whether early stopping ended training.</param>
/// <param name="EpochSeconds">The wall-clock seconds of each epoch (training and validation).</param>
public sealed record TorchTrainingHistory(int EpochsRun, int BestEpoch, IReadOnlyList<double> TrainingLoss, IReadOnlyList<double> Validation,
    bool StoppedEarly, IReadOnlyList<double> EpochSeconds);

/// <summary>
/// The training loop of MLNetExt's TorchSharp trainers: epochs over minibatches of whole units (ranking groups, LLP
/// bags, plain rows), in an order drawn from (seed, epoch) by MLNetExt's counter-based generator (Fisher-Yates), so
/// the batch order never depends on torch's global state or the thread count; Adam or AdamW with an optional StepLR
/// schedule; optional clipping of the global gradient norm; after each epoch, an optional validation metric,
/// progress (training loss and the metric) on the component channel, cancellation checks, early stopping with a
/// patience, and the weights of the best epoch restored at the end. The caller owns the module and the data; a
/// minibatch is handed to <c>batchLoss</c> as the unit indices it holds, which returns the minibatch's scalar loss
/// (a mean over its units) in the module's graph.
/// </summary>
internal sealed class TorchTrainingLoop
{
    private readonly TorchLoopSettings _settings;
    private readonly ComponentChannel _channel;

    public TorchTrainingLoop(TorchLoopSettings settings, ComponentChannel channel)
    {
        _settings = settings;
        _channel = channel;
    }

    /// <summary>The order of the units in epoch <paramref name="epoch"/> (0-based): a permutation drawn from (seed, epoch).</summary>
    public static int[] EpochOrder(int seed, int epoch, int unitCount)
        => new CounterRandomStream(CounterRandom.SeedKey(seed), CounterRandom.Stream(0x0BA7C4, epoch)).Permutation(unitCount);

    /// <summary>
    /// The number of units in the minibatch that starts at <paramref name="start"/> of the epoch's order: at most
    /// <c>BatchSize</c>, and with unit sizes and <c>MaximumBatchRows</c>, as many as fit in that many rows (at least one).
    /// </summary>
    private int BatchLength(int[] order, int start, IReadOnlyList<int>? unitSizes)
    {
        int count = Math.Min(_settings.BatchSize, order.Length - start);
        if (unitSizes is null || _settings.MaximumBatchRows is not { } limit)
            return count;
        long rows = unitSizes[order[start]];
        int taken = 1;
        while (taken < count && rows + unitSizes[order[start + taken]] <= limit)
            rows += unitSizes[order[start + taken++]];
        return taken;
    }

    /// <summary>Trains <paramref name="module"/> (already on its device, initialised) and returns the history.</summary>
    /// <param name="module">The network, on its device.</param>
    /// <param name="unitCount">The number of units (groups, bags) to draw minibatches from.</param>
    /// <param name="batchLoss">The scalar loss of a minibatch given its unit indices.</param>
    /// <param name="validation">The metric for progress and early stopping; null for none.</param>
    /// <param name="onEpochStart">Told each epoch's 0-based index before its first minibatch (for per-epoch sampling).</param>
    /// <param name="onEpochEnd">Told the number of epochs completed (1-based) after each epoch and its validation, with the
    /// module in evaluation mode and no gradients (to take checkpoints or score every example at chosen epochs).</param>
    /// <param name="unitSizes">The rows of each unit, for <see cref="TorchLoopSettings.MaximumBatchRows"/>; null when minibatches count units only.</param>
    public TorchTrainingHistory Run(nn.Module module, int unitCount, Func<int[], Tensor> batchLoss, ValidationMetric? validation,
        Action<int>? onEpochStart = null, Action<int>? onEpochEnd = null, IReadOnlyList<int>? unitSizes = null)
    {
        Guard.Argument(unitCount > 0, nameof(unitCount), "The loop needs at least one unit to train on.");
        Guard.Argument(unitSizes is null || unitSizes.Count == unitCount, nameof(unitSizes), $"{unitSizes?.Count} unit sizes were given for {unitCount} units.");
        var s = _settings;
        var parameters = module.parameters().Where(p => p.requires_grad).ToArray();
        // Our Adam (bitwise TorchSharp's), whose numbers stay alive through each native call (see TorchAdam), and StepLR
        // as TorchSharp's: the rate is multiplied by the decay after every LearningRateStepSize-th epoch.
        using var optimizer = new TorchAdam(parameters, s.LearningRate, s.WeightDecay, decoupled: s.Optimizer == TorchOptimizer.AdamW);

        var losses = new List<double>();
        var metrics = new List<double>();
        var seconds = new List<double>();
        string[] names = validation is null ? ["training loss"] : ["training loss", validation.Name];
        _channel.StartProgress(s.NumberOfEpochs, "epochs", names);
        double best = double.NaN;
        int bestEpoch = 0, sinceBest = 0;
        ModuleWeights? bestWeights = null;
        bool stoppedEarly = false;
        var clock = new Stopwatch();
        for (int epoch = 0; epoch < s.NumberOfEpochs; epoch++)
        {
            clock.Restart();
            module.train();
            onEpochStart?.Invoke(epoch);
            var order = EpochOrder(s.Seed, epoch, unitCount);
            double lossSum = 0;
            for (int start = 0, count; start < unitCount; start += count)
            {
                _channel.ThrowIfCanceled();
                count = BatchLength(order, start, unitSizes);
                var batch = order.AsSpan(start, count).ToArray();
                using var step = NewDisposeScope();
                optimizer.ZeroGradients();
                var loss = batchLoss(batch);
                double value = loss.ToDouble();
                if (!double.IsFinite(value))
                {
                    throw new InvalidOperationException(
                        $"The training loss became {value} in epoch {epoch + 1} (minibatch at position {start}); lower the learning rate " +
                        "or set GradientClipNorm.");
                }
                if (loss.requires_grad)
                {
                    loss.backward();
                    if (s.GradientClipNorm is { } clip)
                        nn.utils.clip_grad_norm_(parameters, clip);
                    optimizer.Step();
                }
                lossSum += value * count;
            }
            if (s.LearningRateStepSize > 0 && (epoch + 1) % s.LearningRateStepSize == 0)
                optimizer.LearningRate *= s.LearningRateDecay;
            double epochLoss = lossSum / unitCount;
            losses.Add(epochLoss);
            double metric = double.NaN;
            if (validation is not null)
            {
                module.eval();
                using (no_grad())
                    metric = validation.Evaluate();
                metrics.Add(metric);
                bool better = double.IsNaN(best) || (validation.HigherIsBetter ? metric > best : metric < best);
                if (better)
                {
                    best = metric;
                    bestEpoch = epoch + 1;
                    sinceBest = 0;
                    bestWeights = ModuleWeights.Capture(module);
                }
                else
                {
                    sinceBest++;
                }
            }
            if (onEpochEnd is not null)
            {
                module.eval();
                using (no_grad())
                    onEpochEnd(epoch + 1);
            }
            seconds.Add(clock.Elapsed.TotalSeconds);
            _channel.ReportProgress(epoch + 1, validation is null ? [epochLoss] : [epochLoss, metric]);
            if (validation is not null && s.EarlyStoppingPatience is { } patience && sinceBest >= patience)
            {
                stoppedEarly = epoch + 1 < s.NumberOfEpochs;
                _channel.Info($"Early stopping after epoch {epoch + 1}: {validation.Name} has not improved for {patience} epochs; " +
                    $"keeping epoch {bestEpoch} ({validation.Name} {best:G6}).");
                break;
            }
        }
        if (bestWeights is not null)
            bestWeights.CopyTo(module);
        module.eval();
        return new TorchTrainingHistory(losses.Count, bestWeights is null ? losses.Count : bestEpoch, losses.ToArray(), metrics.ToArray(),
            stoppedEarly, seconds.ToArray());
    }
}
