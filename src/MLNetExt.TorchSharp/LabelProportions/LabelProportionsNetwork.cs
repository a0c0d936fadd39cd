using MLNetExt.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.LabelProportions;

/// <summary>The instance classifier a label-proportion learner trains.</summary>
public enum LabelProportionsModel
{
    /// <summary>A linear model: logistic regression (binary) or softmax regression (multiclass) on the standardised features.</summary>
    Linear,

    /// <summary>A multilayer perceptron: the hidden layers of <c>HiddenLayerSizes</c>, each linear then ReLU, then a linear output layer.</summary>
    Mlp,
}

/// <summary>
/// The architecture of a label-proportion network: linear layers named <c>layers.0</c>, <c>layers.1</c>, ... from the
/// features through the hidden sizes to <see cref="OutputCount"/> logits (1 for binary data, K for K classes), ReLU
/// between them.
/// </summary>
internal sealed record LabelProportionsNetworkSpec(int FeatureCount, int[] HiddenLayerSizes, int OutputCount)
{
    /// <summary>The layer widths from the input to the output.</summary>
    public int[] Widths => [FeatureCount, .. HiddenLayerSizes, OutputCount];

    /// <summary>The number of linear layers.</summary>
    public int LayerCount => HiddenLayerSizes.Length + 1;

    /// <summary>Builds the network on the CPU in float32 (weights uninitialised until copied or initialised).</summary>
    public LabelProportionsNetwork Build() => new(this);

    public void Save(ModelStateWriter writer)
    {
        writer.Write(FeatureCount);
        writer.Write(HiddenLayerSizes);
        writer.Write(OutputCount);
    }

    public static LabelProportionsNetworkSpec Load(ModelStateReader reader)
    {
        int features = reader.ReadInt32("the feature count", 1, int.MaxValue);
        var hidden = reader.ReadInt32Array("the hidden layer sizes");
        reader.Check(hidden.Length <= 64 && hidden.All(h => h >= 1 && h <= 1 << 20), "a hidden layer size is out of range");
        int outputs = reader.ReadInt32("the output count", 1, 1 << 20);
        return new LabelProportionsNetworkSpec(features, hidden, outputs);
    }
}

/// <summary>The network of <see cref="LabelProportionsNetworkSpec"/>: rows [n, features] to logits [n, outputs].</summary>
internal sealed class LabelProportionsNetwork : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> layers;

    public LabelProportionsNetwork(LabelProportionsNetworkSpec spec) : base(nameof(LabelProportionsNetwork))
    {
        var widths = spec.Widths;
        layers = new ModuleList<Linear>();
        var bounds = new Dictionary<string, double>();
        for (int i = 0; i + 1 < widths.Length; i++)
        {
            layers.Add(nn.Linear(widths[i], widths[i + 1]));
            bounds[$"layers.{i}.bias"] = 1 / Math.Sqrt(widths[i]);
        }
        BiasBounds = bounds;
        RegisterComponents();
    }

    /// <summary>PyTorch's default bias bounds, 1/sqrt(fan_in) of each layer (for <c>ModuleWeights.Initialize</c>).</summary>
    public IReadOnlyDictionary<string, double> BiasBounds { get; }

    public override Tensor forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].call(x);
            if (i + 1 < layers.Count)
                x = nn.functional.relu(x);
        }
        return x;
    }
}
