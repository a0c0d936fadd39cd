using MLNetExt.Serialization;
using MLNetExt.TorchSharp.Training;

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
    public MultilayerPerceptron Build() => new(Widths);

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
