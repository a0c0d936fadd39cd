using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Training;

/// <summary>
/// Linear layers over the given widths with ReLU between them, rows [n, widths[0]] to outputs [n, widths[^1]] (no
/// hidden width: a linear model). Parameters are named <c>layers.{l}.weight</c> and <c>layers.{l}.bias</c>; the
/// label-proportion network and the pruning proxy are this module.
/// </summary>
internal sealed class MultilayerPerceptron : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> layers = new();
    private readonly Dictionary<string, double> _biasBounds = [];

    /// <param name="widths">The layer widths from the input to the output (at least two).</param>
    public MultilayerPerceptron(int[] widths) : base(nameof(MultilayerPerceptron))
    {
        for (int l = 0; l + 1 < widths.Length; l++)
        {
            layers.Add(nn.Linear(widths[l], widths[l + 1]));
            _biasBounds[$"layers.{l}.bias"] = 1 / Math.Sqrt(widths[l]);
        }
        RegisterComponents();
    }

    /// <summary>PyTorch's default bias bounds, 1/sqrt(fan_in) of each layer, for <see cref="ModuleWeights.Initialize"/>.</summary>
    public IReadOnlyDictionary<string, double> BiasBounds => _biasBounds;

    public override Tensor forward(Tensor input)
    {
        var x = input;
        for (int l = 0; l < layers.Count; l++)
        {
            x = layers[l].call(x);
            if (l + 1 < layers.Count)
                x = nn.functional.relu(x);
        }
        return x;
    }
}
