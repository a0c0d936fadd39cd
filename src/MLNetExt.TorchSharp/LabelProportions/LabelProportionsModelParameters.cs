using MLNetExt.Numerics;
using MLNetExt.Serialization;
using MLNetExt.Training;
using MLNetExt.TorchSharp.Training;

namespace MLNetExt.TorchSharp.LabelProportions;

/// <summary>
/// An instance classifier trained from bag label proportions: the network's architecture and float32 weights (saved
/// inside the ML.NET model), the per-feature standardisation learned at fit time, the loss it was trained with and
/// the class prior used. Immutable; scoring runs in managed code (no libtorch needed to load or apply the model),
/// computing each layer in double from the float32 weights, and is thread-safe.
/// </summary>
public sealed class LabelProportionsModelParameters : IVectorScorer, IPersistentSection<LabelProportionsModelParameters>
{
    private readonly float[][] _weights;
    private readonly float[][] _biases;

    internal LabelProportionsModelParameters(LabelProportionsNetworkSpec spec, ModuleWeights weights, FeatureStandardizer standardizer,
        LabelProportionsLoss loss, double[] classPrior, TorchTrainingHistory? history)
    {
        Spec = spec;
        ModuleWeights = weights;
        Standardizer = standardizer;
        Loss = loss;
        ClassPrior = classPrior;
        TrainingHistory = history;
        (_weights, _biases) = Layers(spec, weights);
    }

    internal LabelProportionsNetworkSpec Spec { get; }

    internal ModuleWeights ModuleWeights { get; }

    internal FeatureStandardizer Standardizer { get; }

    /// <summary>What happened in training (epochs run, the kept epoch, per-epoch training loss and held-out metric, seconds); null for a loaded model.</summary>
    public TorchTrainingHistory? TrainingHistory { get; }

    /// <summary>The number of features the model reads.</summary>
    public int FeatureCount => Spec.FeatureCount;

    /// <summary>The number of classes: 2 for a binary model (one logit), K for a multiclass one.</summary>
    public int ClassCount => IsBinary ? 2 : Spec.OutputCount;

    /// <summary>Whether this is a binary model (Score is the positive class's logit).</summary>
    public bool IsBinary => Spec.OutputCount == 1;

    /// <summary>Linear or MLP.</summary>
    public LabelProportionsModel Model => Spec.HiddenLayerSizes.Length == 0 ? LabelProportionsModel.Linear : LabelProportionsModel.Mlp;

    /// <summary>The hidden layer widths (empty for a linear model).</summary>
    public IReadOnlyList<int> HiddenLayerSizes => Spec.HiddenLayerSizes;

    /// <summary>The loss the model was trained with.</summary>
    public LabelProportionsLoss Loss { get; }

    /// <summary>
    /// The class prior of the training bags, one value per class (binary: P(false), P(true)): the given prior, or the
    /// bag-size-weighted mean of the training proportions. EasyLLP's soft labels use it; other losses only record it.
    /// </summary>
    public IReadOnlyList<double> ClassPrior { get; }

    /// <summary>The features' training means, subtracted before the network.</summary>
    public IReadOnlyList<float> FeatureMeans => Standardizer.Means;

    /// <summary>The features' training standard deviations, divided by after the means are subtracted.</summary>
    public IReadOnlyList<float> FeatureScales => Standardizer.Scales;

    /// <summary>The network's weights by parameter name (<c>layers.0.weight</c> [out, in], <c>layers.0.bias</c>, ...), float32, row-major.</summary>
    public IReadOnlyList<NamedWeights> Weights => ModuleWeights.ToPublic();

    int IVectorScorer.OutputCount => IsBinary ? 2 : Spec.OutputCount;

    RowScorer IVectorScorer.CreateRowScorer()
    {
        int widest = Spec.Widths.Max();
        var a = new double[widest];
        var b = new double[widest];
        return new DenseRowScorer(FeatureCount, (features, output) => Score(features, output, a, b));
    }

    /// <summary>The logits of one row of raw features, through the standardisation and every layer, in double.</summary>
    private void Score(ReadOnlySpan<float> features, Span<double> output, double[] a, double[] b)
    {
        int d = FeatureCount;
        var means = Standardizer.Means;
        var scales = Standardizer.Scales;
        for (int j = 0; j < d; j++)
            a[j] = (features[j] - means[j]) / (double)scales[j];
        var widths = Spec.Widths;
        for (int layer = 0; layer < _weights.Length; layer++)
        {
            int inputs = widths[layer], outputs = widths[layer + 1];
            var w = _weights[layer];
            var bias = _biases[layer];
            bool hidden = layer + 1 < _weights.Length;
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                var row = w.AsSpan(o * inputs, inputs);
                for (int j = 0; j < inputs; j++)
                    sum += row[j] * a[j];
                b[o] = hidden && !(sum > 0) ? (double.IsNaN(sum) ? sum : 0) : sum;
            }
            (a, b) = (b, a);
        }
        if (IsBinary)
        {
            output[0] = a[0];
            output[1] = StableMath.Sigmoid(a[0]);
            return;
        }
        int k = Spec.OutputCount;
        double max = double.NegativeInfinity;
        for (int c = 0; c < k; c++)
            max = Math.Max(max, a[c]);
        double total = 0;
        for (int c = 0; c < k; c++)
            total += output[c] = Math.Exp(a[c] - max);
        for (int c = 0; c < k; c++)
            output[c] /= total;
    }

    /// <summary>The weight matrices and biases of every layer, checked against the architecture.</summary>
    private static (float[][] Weights, float[][] Biases) Layers(LabelProportionsNetworkSpec spec, ModuleWeights weights)
    {
        var byName = weights.ToPublic().ToDictionary(w => w.Name);
        var widths = spec.Widths;
        var w = new float[spec.LayerCount][];
        var b = new float[spec.LayerCount][];
        if (byName.Count != 2 * spec.LayerCount)
            throw new InvalidDataException($"The network has {byName.Count} weight tensors; its architecture needs {2 * spec.LayerCount}.");
        for (int layer = 0; layer < spec.LayerCount; layer++)
        {
            w[layer] = Take(byName, $"layers.{layer}.weight", [widths[layer + 1], widths[layer]]);
            b[layer] = Take(byName, $"layers.{layer}.bias", [widths[layer + 1]]);
        }
        return (w, b);
    }

    private static float[] Take(Dictionary<string, NamedWeights> byName, string name, long[] shape)
    {
        if (!byName.TryGetValue(name, out var entry))
            throw new InvalidDataException($"The network's weight '{name}' is missing.");
        if (!entry.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"The weight '{name}' has shape [{string.Join(", ", entry.Shape)}]; the architecture needs [{string.Join(", ", shape)}].");
        return entry.Values as float[] ?? entry.Values.ToArray();
    }

    private static readonly ComponentFormat Format = new("MLNetExt.TorchSharp.LabelProportionsModel", 1);

    static ComponentFormat IPersistentSection<LabelProportionsModelParameters>.Format => Format;

    ComponentFormat IPersistentSection.SectionFormat => Format;

    // Version 1: loss, network spec (features, hidden sizes, outputs), class prior, standardisation (means, scales),
    // weights (count, then name, shape, values each).
    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.WriteEnum(Loss);
        Spec.Save(writer);
        writer.Write(ClassPrior.ToArray());
        Standardizer.Save(writer);
        ModuleWeights.Save(writer);
    }

    static LabelProportionsModelParameters IPersistentSection<LabelProportionsModelParameters>.Load(ModelStateReader reader)
    {
        var loss = reader.ReadEnum<LabelProportionsLoss>("the loss");
        var spec = LabelProportionsNetworkSpec.Load(reader);
        var prior = reader.ReadDoubleArray("the class prior");
        int classes = spec.OutputCount == 1 ? 2 : spec.OutputCount;
        reader.Check(prior.Length == classes && prior.All(p => p >= 0 && p <= 1), $"the class prior holds {prior.Length} values for {classes} classes, or one outside [0, 1]");
        var standardizer = FeatureStandardizer.Load(reader, spec.FeatureCount);
        var weights = ModuleWeights.Load(reader);
        try
        {
            return new LabelProportionsModelParameters(spec, weights, standardizer, loss, prior, null);
        }
        catch (InvalidDataException e)
        {
            reader.Check(false, e.Message);
            throw;
        }
    }
}
