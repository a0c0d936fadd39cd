using System.Globalization;
using Microsoft.ML;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Numerics;
using MLNetExt.Training;
using MLNetExt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.LabelProportions;

/// <summary>Features and bags read from one data view for a label-proportion trainer.</summary>
internal sealed class BagData
{
    private BagData(float[] features, int featureCount, BagTable bags)
    {
        Features = features;
        FeatureCount = featureCount;
        Bags = bags;
    }

    /// <summary>Row-major features, <see cref="FeatureCount"/> per row.</summary>
    public float[] Features { get; }

    public int FeatureCount { get; }

    public BagTable Bags { get; }

    /// <summary>Reads the feature, bag id and proportion (or, in the experimental setting, label) columns in one pass.</summary>
    public static BagData Read(IDataView data, LabelProportionsTrainerOptionsBase o, bool binary, string component, ComponentChannel channel)
    {
        var reader = new DataViewColumnReader(data, component);
        var features = reader.AddVector(o.FeatureColumnName, "feature", ValueRule.Finite);
        var columns = BagColumns.Add(reader, o.BagIdColumnName,
            o.ExperimentalProportionsFromInstanceLabels ? null : o.BagProportionColumnName,
            o.ExperimentalProportionsFromInstanceLabels ? o.LabelColumnName : null, binary);
        reader.Read(channel);
        return new BagData(features.Values, features.Size, columns.Build());
    }
}

/// <summary>
/// The training shared by the binary and multiclass label-proportion trainers: reads the bags, standardises the
/// features, estimates the prior, trains the network with <see cref="TorchTrainingLoop"/> over minibatches of whole
/// bags (at most <c>MaximumBatchRows</c> rows each), with early stopping on held-out bags, and returns the model.
/// </summary>
internal static class LabelProportionsFitting
{
    /// <summary>Validation rows go through the network this many at a time.</summary>
    private const int ScoringChunkRows = 8192;

    /// <summary>The model, and the class names the bags gave (null when they gave none).</summary>
    public static (LabelProportionsModelParameters Model, string[]? ClassNames) Fit(TrainingContext context, LabelProportionsTrainerOptionsBase o,
        bool binary, double[]? givenPrior, string component)
    {
        var channel = context.Channel;
        TorchRuntime.EnsureLoaded();
        var train = BagData.Read(context.TrainData, o, binary, component, channel);
        var trainBags = Enumerable.Range(0, train.Bags.BagCount).ToList();
        BagData? validationData = null;
        List<int>? validationBags = null;
        if (context.ValidationData is not null)
        {
            validationData = BagData.Read(context.ValidationData, o, binary, component, channel);
            validationBags = Enumerable.Range(0, validationData.Bags.BagCount).ToList();
            if (validationData.Bags.Width != train.Bags.Width)
            {
                throw new InvalidOperationException(
                    $"The validation bags have {validationData.Bags.ClassCount} classes and the training bags {train.Bags.ClassCount}; both need the same classes.");
            }
        }
        else if (o.ValidationBagFraction > 0)
        {
            (trainBags, validationBags) = HoldOut(train.Bags.BagCount, o.ValidationBagFraction, context.Seed);
            validationData = train;
        }

        var bags = train.Bags;
        int width = bags.Width;
        LogBags(channel, bags, trainBags, validationBags?.Count ?? 0);
        var prior = Prior(bags, trainBags, givenPrior, binary);
        if (o.Loss == LabelProportionsLoss.EasyLlp)
            LogSoftLabels(channel, bags, trainBags, prior, o.EasyLlpInstanceLoss);

        var standardizer = o.StandardizeFeatures ? FeatureStandardizer.Fit(train.Features, train.FeatureCount) : FeatureStandardizer.Identity(train.FeatureCount);
        standardizer.Apply(train.Features);
        if (validationData is not null && validationData != train)
            standardizer.Apply(validationData.Features);

        var spec = new LabelProportionsNetworkSpec(train.FeatureCount,
            o.Model == LabelProportionsModel.Linear ? [] : (int[])o.HiddenLayerSizes.Clone(), binary ? 1 : width);
        var device = TorchRuntime.ResolveDevice(o.Device, nameof(o.Device));
        using var threads = TorchRuntime.ThreadScope(o.NumberOfThreads);
        using var network = spec.Build();
        ModuleWeights.Initialize(network, context.Seed, network.BiasBounds);
        network.to(device);

        int rows = train.Features.Length / Math.Max(1, train.FeatureCount);
        using var features = tensor(train.Features, [rows, train.FeatureCount]).to(device);
        using var priorTensor = tensor(binary ? new[] { (float)prior[1] } : prior.Select(p => (float)p).ToArray()).to(device);
        var sizes = trainBags.Select(bags.Size).ToArray();

        Tensor BatchLoss(int[] units)
        {
            var batchBags = new int[units.Length];
            for (int i = 0; i < units.Length; i++)
                batchBags[i] = trainBags[units[i]];
            var (rowIndex, batch) = Batch(bags, batchBags, device);
            var logits = network.call(features.index_select(0, rowIndex));
            return BagLosses.PerBag(o.Loss, logits, batch, priorTensor, o.Rho, o.EasyLlpInstanceLoss).mean();
        }

        using var heldOutFeatures = validationData is not null && validationData != train && o.ValidationMetric == LabelProportionsValidationMetric.TrainingLoss
            ? tensor(validationData.Features, [validationData.Bags.RowCount, validationData.FeatureCount]).to(device)
            : null;
        ValidationMetric? metric = null;
        if (validationData is not null)
        {
            var heldOut = validationData;
            var heldOutBags = validationBags!;
            if (o.ValidationMetric == LabelProportionsValidationMetric.ProportionDivergence)
            {
                metric = new ValidationMetric("held-out proportion KL", HigherIsBetter: false,
                    () => HeldOutDivergence(network, heldOut, heldOutBags, device));
            }
            else
            {
                var source = heldOutFeatures ?? features;
                metric = new ValidationMetric("held-out training loss", HigherIsBetter: false,
                    () => HeldOutLoss(network, source, heldOut.Bags, heldOutBags, o, priorTensor, device));
            }
        }

        var settings = new TorchLoopSettings
        {
            NumberOfEpochs = o.NumberOfEpochs,
            BatchSize = trainBags.Count,
            MaximumBatchRows = o.MaximumBatchRows,
            LearningRate = o.LearningRate,
            Optimizer = o.Optimizer,
            WeightDecay = o.WeightDecay,
            LearningRateStepSize = o.LearningRateStepSize,
            LearningRateDecay = o.LearningRateDecay,
            GradientClipNorm = o.GradientClipNorm,
            EarlyStoppingPatience = metric is null ? null : o.EarlyStoppingPatience,
            Seed = context.Seed,
        };
        var history = new TorchTrainingLoop(settings, channel).Run(network, trainBags.Count, BatchLoss, metric, unitSizes: sizes);
        channel.Info(string.Create(CultureInfo.InvariantCulture,
            $"Trained {history.EpochsRun} epochs ({history.EpochSeconds.Sum():0.##} s); kept epoch {history.BestEpoch}; last training loss {history.TrainingLoss[^1]:G6}."));
        var model = new LabelProportionsModelParameters(spec, ModuleWeights.Capture(network), standardizer, o.Loss, prior, history);
        return (model, bags.ClassNames);
    }

    /// <summary>The rows of <paramref name="batchBags"/> (bag by bag) and their <see cref="BagBatch"/>.</summary>
    internal static (Tensor Rows, BagBatch Batch) Batch(BagTable bags, int[] batchBags, Device device)
    {
        int width = bags.Width, total = 0;
        foreach (int b in batchBags)
            total += bags.Size(b);
        var rowIndex = new long[total];
        var sizes = new int[batchBags.Length];
        var alpha = new float[batchBags.Length * width];
        int r = 0;
        for (int i = 0; i < batchBags.Length; i++)
        {
            int b = batchBags[i];
            sizes[i] = bags.Size(b);
            foreach (int row in bags.RowsOf(b))
                rowIndex[r++] = row;
            var proportion = bags.Proportion(b);
            for (int c = 0; c < width; c++)
                alpha[i * width + c] = (float)proportion[c];
        }
        return (tensor(rowIndex).to(device), BagBatch.Create(sizes, alpha, width, device));
    }

    /// <summary>Splits bags 0 .. count - 1 into training and held-out bags; round(fraction * count) held out (at least 1, leaving at least 1).</summary>
    internal static (List<int> Train, List<int> HeldOut) HoldOut(int count, double fraction, int seed)
    {
        if (count < 2)
            throw new InvalidOperationException($"The data has {count} bag; ValidationBagFraction needs at least 2 bags (one to train on, one to hold out).");
        int heldOut = Math.Clamp((int)Math.Round(fraction * count), 1, count - 1);
        var order = new CounterRandomStream(CounterRandom.SeedKey(seed), CounterRandom.Stream(0x11F0, 0)).Permutation(count);
        var held = order.Take(heldOut).Order().ToList();
        var train = order.Skip(heldOut).Order().ToList();
        return (train, held);
    }

    /// <summary>
    /// The class prior, one value per class: the given one (binary: P(true) expanded to both classes), or the
    /// size-weighted mean of the training bags' proportions.
    /// </summary>
    private static double[] Prior(BagTable bags, List<int> trainBags, double[]? given, bool binary)
    {
        if (given is not null)
        {
            if (binary)
                return [1 - given[0], given[0]];
            if (given.Length != bags.Width)
                throw new ArgumentOutOfRangeException("Prior", $"Option 'Prior' holds {given.Length} values, but the bags have {bags.Width} classes.");
            return (double[])given.Clone();
        }
        var mean = bags.WeightedMeanProportion(trainBags);
        return binary ? [1 - mean[0], mean[0]] : mean;
    }

    private static void LogBags(ComponentChannel channel, BagTable bags, List<int> trainBags, int heldOut)
    {
        int smallest = int.MaxValue, largest = 0;
        long rows = 0;
        foreach (int b in trainBags)
        {
            int k = bags.Size(b);
            smallest = Math.Min(smallest, k);
            largest = Math.Max(largest, k);
            rows += k;
        }
        channel.Info(string.Create(CultureInfo.InvariantCulture,
            $"{trainBags.Count} training bags of {smallest} to {largest} rows ({rows} rows){(heldOut > 0 ? $", {heldOut} held-out bags" : "")}, {bags.ClassCount} classes."));
    }

    /// <summary>Says how many EasyLLP soft labels fall outside [0, 1] (where the log loss is bounded only by its clamp).</summary>
    private static void LogSoftLabels(ComponentChannel channel, BagTable bags, List<int> trainBags, double[] prior, EasyLlpInstanceLoss loss)
    {
        int outside = 0;
        double lowest = double.PositiveInfinity, highest = double.NegativeInfinity;
        foreach (int b in trainBags)
        {
            int k = bags.Size(b);
            var alpha = bags.Proportion(b);
            bool any = false;
            for (int c = 0; c < bags.Width; c++)
            {
                double p = bags.IsBinary ? prior[1] : prior[c];
                double soft = k * alpha[c] - (k - 1) * p;
                lowest = Math.Min(lowest, soft);
                highest = Math.Max(highest, soft);
                any |= soft < 0 || soft > 1;
            }
            outside += any ? 1 : 0;
        }
        if (outside == 0)
            return;
        string bound = loss == EasyLlpInstanceLoss.Log ? "the log loss is bounded there only by its -log(q + 1e-8) clamp." : "the squared loss stays bounded.";
        channel.Info(string.Create(CultureInfo.InvariantCulture,
            $"EasyLLP: {outside} of {trainBags.Count} training bags have soft labels outside [0, 1] (from {lowest:G4} to {highest:G4}); {bound}"));
    }

    /// <summary>The training loss on the held-out bags (mean over bags), in minibatches of at most MaximumBatchRows rows.</summary>
    private static double HeldOutLoss(MultilayerPerceptron network, Tensor features, BagTable bags, List<int> heldOutBags,
        LabelProportionsTrainerOptionsBase o, Tensor prior, Device device)
    {
        double total = 0;
        for (int start = 0; start < heldOutBags.Count;)
        {
            int count = 1;
            long rows = bags.Size(heldOutBags[start]);
            while (start + count < heldOutBags.Count && rows + bags.Size(heldOutBags[start + count]) <= o.MaximumBatchRows)
                rows += bags.Size(heldOutBags[start + count++]);
            using var scope = NewDisposeScope();
            var (rowIndex, batch) = Batch(bags, heldOutBags.GetRange(start, count).ToArray(), device);
            var logits = network.call(features.index_select(0, rowIndex));
            total += BagLosses.PerBag(o.Loss, logits, batch, prior, o.Rho, o.EasyLlpInstanceLoss).sum().ToDouble();
            start += count;
        }
        return total / heldOutBags.Count;
    }

    /// <summary>
    /// The held-out proportion loss: the mean over <paramref name="heldOutBags"/> of KL(alpha_b || pbar_b), pbar_b the
    /// mean predicted distribution of the bag's rows (computed in double from the network's float32 logits).
    /// </summary>
    private static double HeldOutDivergence(MultilayerPerceptron network, BagData data, List<int> heldOutBags, Device device)
    {
        var bags = data.Bags;
        int d = data.FeatureCount;
        var rowList = new List<int>();
        foreach (int b in heldOutBags)
            foreach (int row in bags.RowsOf(b))
                rowList.Add(row);
        int outputs = bags.IsBinary ? 1 : bags.Width;
        var logits = new float[rowList.Count * outputs];
        for (int start = 0; start < rowList.Count; start += ScoringChunkRows)
        {
            int count = Math.Min(ScoringChunkRows, rowList.Count - start);
            var chunk = new float[count * d];
            for (int i = 0; i < count; i++)
                data.Features.AsSpan(rowList[start + i] * d, d).CopyTo(chunk.AsSpan(i * d, d));
            using var scope = NewDisposeScope();
            // In libtorch's aligned memory: a pinned array's alignment would change the BLAS rounding (see TorchArrays).
            var output = network.call(TorchArrays.ToTensor(chunk, [count, d], device)).to(CPU).contiguous();
            output.data<float>().CopyTo(logits.AsSpan(start * outputs, count * outputs));
        }
        double total = 0;
        int position = 0;
        var mean = new double[bags.ClassCount];
        foreach (int b in heldOutBags)
        {
            int k = bags.Size(b);
            Array.Clear(mean);
            for (int i = 0; i < k; i++, position++)
                AddProbabilities(logits.AsSpan(position * outputs, outputs), mean);
            for (int c = 0; c < mean.Length; c++)
                mean[c] /= k;
            total += ProportionDivergence(bags.Proportion(b), mean);
        }
        return total / heldOutBags.Count;
    }

    /// <summary>Adds one row's class probabilities (binary: 1 - h, h) to <paramref name="sum"/>.</summary>
    private static void AddProbabilities(ReadOnlySpan<float> logits, double[] sum)
    {
        if (logits.Length == 1)
        {
            double h = StableMath.Sigmoid(logits[0]);
            sum[0] += 1 - h;
            sum[1] += h;
            return;
        }
        double max = double.NegativeInfinity;
        foreach (float z in logits)
            max = Math.Max(max, z);
        double total = 0;
        for (int c = 0; c < logits.Length; c++)
            total += Math.Exp(logits[c] - max);
        for (int c = 0; c < logits.Length; c++)
            sum[c] += Math.Exp(logits[c] - max) / total;
    }

    /// <summary>
    /// KL(alpha || pbar) = sum_c alpha_c (log alpha_c - log pbar_c), 0 log 0 = 0: DLLP's bag loss less the entropy
    /// of alpha, 0 when the mean prediction matches the proportion. <paramref name="alpha"/> holds one value (the
    /// positive fraction) or one per class; <paramref name="meanProbability"/> one per class (binary: 2).
    /// </summary>
    internal static double ProportionDivergence(ReadOnlySpan<double> alpha, ReadOnlySpan<double> meanProbability)
    {
        double total = 0;
        for (int c = 0; c < meanProbability.Length; c++)
        {
            double a = alpha.Length == 1 ? (c == 1 ? alpha[0] : 1 - alpha[0]) : alpha[c];
            if (a > 0)
                total += a * (Math.Log(a) - Math.Log(Math.Max(meanProbability[c], double.Epsilon)));
        }
        return total;
    }
}
