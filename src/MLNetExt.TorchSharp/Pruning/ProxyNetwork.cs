using MLNetExt.TorchSharp.Training;

namespace MLNetExt.TorchSharp.Pruning;

/// <summary>
/// A trained proxy classifier outside libtorch: layer sizes [features, hidden..., classes], ReLU after every hidden
/// layer, a softmax over the last layer's logits. The weights are the float32 values the network was trained with,
/// held as doubles; every sum runs in double precision, in a fixed order, one row at a time, so a row's scores never
/// depend on which other rows are scored with it, on the thread, or on the order of the rows.
/// </summary>
internal sealed class ProxyNetwork
{
    private readonly double[][] _weights;
    private readonly double[][] _biases;

    /// <param name="sizes">Layer widths: features, hidden layers, classes (at least two entries).</param>
    /// <param name="weights">Per layer, row-major [outputs x inputs] (PyTorch's Linear layout).</param>
    /// <param name="biases">Per layer, [outputs].</param>
    public ProxyNetwork(int[] sizes, double[][] weights, double[][] biases)
    {
        Guard.Argument(sizes.Length >= 2, nameof(sizes), $"A network needs an input and an output size; got {sizes.Length} sizes.");
        Guard.Argument(weights.Length == sizes.Length - 1 && biases.Length == sizes.Length - 1, nameof(weights),
            $"{sizes.Length - 1} layers need as many weight matrices and bias vectors; got {weights.Length} and {biases.Length}.");
        for (int l = 0; l < weights.Length; l++)
        {
            Guard.Argument(weights[l].Length == (long)sizes[l] * sizes[l + 1] && biases[l].Length == sizes[l + 1], nameof(weights),
                $"Layer {l} maps {sizes[l]} to {sizes[l + 1]} values but holds {weights[l].Length} weights and {biases[l].Length} biases.");
        }
        Sizes = sizes;
        _weights = weights;
        _biases = biases;
    }

    /// <summary>Layer widths: features, hidden layers, classes.</summary>
    public int[] Sizes { get; }

    public int LayerCount => Sizes.Length - 1;

    public int FeatureCount => Sizes[0];

    public int ClassCount => Sizes[^1];

    /// <summary>The network of a softmax-classifier <see cref="MultilayerPerceptron"/>'s captured weights (<c>layers.{l}.weight</c>, <c>layers.{l}.bias</c>).</summary>
    public static ProxyNetwork FromModuleWeights(ModuleWeights captured, int[] sizes)
    {
        var byName = captured.ToPublic().ToDictionary(w => w.Name);
        int layers = sizes.Length - 1;
        var weights = new double[layers][];
        var biases = new double[layers][];
        for (int l = 0; l < layers; l++)
        {
            weights[l] = ToDoubles(byName, $"layers.{l}.weight", [sizes[l + 1], sizes[l]]);
            biases[l] = ToDoubles(byName, $"layers.{l}.bias", [sizes[l + 1]]);
        }
        if (byName.Count != 2 * layers)
            throw new InvalidDataException($"The proxy network has {byName.Count} weight tensors; {layers} layers need {2 * layers}.");
        return new ProxyNetwork(sizes, weights, biases);
    }

    private static double[] ToDoubles(Dictionary<string, NamedWeights> byName, string name, long[] shape)
    {
        if (!byName.TryGetValue(name, out var w))
            throw new InvalidDataException($"The proxy network has no weight tensor '{name}'.");
        if (!w.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"The proxy weight '{name}' has shape [{string.Join(", ", w.Shape)}]; the network expects [{string.Join(", ", shape)}].");
        var values = new double[w.Values.Count];
        for (int i = 0; i < values.Length; i++)
            values[i] = w.Values[i];
        return values;
    }

    /// <summary>
    /// The forward pass of one (standardised) row: fills <see cref="DifficultyWorkspace.Inputs"/> (the input of every
    /// layer) and <see cref="DifficultyWorkspace.Probabilities"/> (the softmax of the logits).
    /// </summary>
    public void Forward(ReadOnlySpan<float> row, DifficultyWorkspace ws)
    {
        var first = ws.Inputs[0];
        for (int j = 0; j < first.Length; j++)
            first[j] = row[j];
        int layers = LayerCount;
        for (int l = 0; l < layers; l++)
        {
            int inputs = Sizes[l], outputs = Sizes[l + 1];
            var w = _weights[l];
            var b = _biases[l];
            var input = ws.Inputs[l];
            bool hidden = l + 1 < layers;
            var output = hidden ? ws.Inputs[l + 1] : ws.Logits;
            for (int o = 0; o < outputs; o++)
            {
                double a = b[o] + Dot(w.AsSpan(o * inputs, inputs), input);
                output[o] = hidden ? Math.Max(0.0, a) : a;
            }
        }
        Softmax(ws.Logits, ws.Probabilities);
    }

    /// <summary>EL2N of the last <see cref="Forward"/>: ||p - onehot(label)||_2.</summary>
    public static double El2n(DifficultyWorkspace ws, int label)
    {
        var p = ws.Probabilities;
        double sum = 0;
        for (int k = 0; k < p.Length; k++)
        {
            double d = p[k] - (k == label ? 1.0 : 0.0);
            sum += d * d;
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// GraNd of the last <see cref="Forward"/>: the L2 norm of the gradient of the cross-entropy of this row with
    /// respect to every weight and bias, in closed form. A linear layer with input h and output gradient delta has
    /// weight gradient delta h^T and bias gradient delta, whose squared norms add to ||delta||^2 (||h||^2 + 1); delta is
    /// p - onehot(label) at the logits and W^T delta masked by the ReLU (ReLU'(a) = 1 where a &gt; 0) one layer down.
    /// </summary>
    public double GraNd(DifficultyWorkspace ws, int label)
    {
        int layers = LayerCount;
        var delta = ws.Delta;
        var below = ws.DeltaBelow;
        int k = ClassCount;
        for (int c = 0; c < k; c++)
            delta[c] = ws.Probabilities[c] - (c == label ? 1.0 : 0.0);
        double total = 0;
        for (int l = layers - 1; l >= 0; l--)
        {
            int inputs = Sizes[l], outputs = Sizes[l + 1];
            var input = ws.Inputs[l];
            total += SumOfSquares(delta.AsSpan(0, outputs)) * (SumOfSquares(input) + 1);
            if (l == 0)
                break;
            var w = _weights[l];
            Array.Clear(below, 0, inputs);
            for (int o = 0; o < outputs; o++)
            {
                double d = delta[o];
                if (d == 0)
                    continue;
                var rowOfW = w.AsSpan(o * inputs, inputs);
                for (int j = 0; j < inputs; j++)
                    below[j] += rowOfW[j] * d;
            }
            for (int j = 0; j < inputs; j++)
            {
                if (!(input[j] > 0))
                    below[j] = 0;                     // input[j] = ReLU(a_j) > 0 exactly when a_j > 0
            }
            (delta, below) = (below, delta);
        }
        return Math.Sqrt(total);
    }

    /// <summary>The index of the largest probability of the last <see cref="Forward"/> (the lower index on ties).</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        int best = 0;
        for (int c = 1; c < values.Length; c++)
        {
            if (values[c] > values[best])
                best = c;
        }
        return best;
    }

    private static void Softmax(double[] logits, double[] probabilities)
    {
        double max = double.NegativeInfinity;
        foreach (double z in logits)
            max = Math.Max(max, z);
        double sum = 0;
        for (int c = 0; c < logits.Length; c++)
        {
            probabilities[c] = Math.Exp(logits[c] - max);
            sum += probabilities[c];
        }
        for (int c = 0; c < logits.Length; c++)
            probabilities[c] /= sum;
    }

    /// <summary>A dot product with four accumulators in a fixed order (the same bits on every machine).</summary>
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int n = a.Length, i = 0;
        for (; i + 4 <= n; i += 4)
        {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++)
            s0 += a[i] * b[i];
        return (s0 + s1) + (s2 + s3);
    }

    private static double SumOfSquares(ReadOnlySpan<double> a) => Dot(a, a);
}

/// <summary>Scratch memory for scoring rows with networks of one architecture; one per cursor or thread.</summary>
internal sealed class DifficultyWorkspace
{
    public DifficultyWorkspace(int[] sizes)
    {
        Inputs = new double[sizes.Length - 1][];
        for (int l = 0; l < Inputs.Length; l++)
            Inputs[l] = new double[sizes[l]];
        int classes = sizes[^1];
        Logits = new double[classes];
        Probabilities = new double[classes];
        MeanProbabilities = new double[classes];
        int widest = sizes.Max();
        Delta = new double[widest];
        DeltaBelow = new double[widest];
        Row = new float[sizes[0]];
    }

    /// <summary>The input of each layer: the features, then each hidden layer's ReLU output.</summary>
    public double[][] Inputs { get; }

    public double[] Logits { get; }

    public double[] Probabilities { get; }

    /// <summary>The class probabilities averaged over the runs of an ensemble (for the predicted class).</summary>
    public double[] MeanProbabilities { get; }

    public double[] Delta { get; }

    public double[] DeltaBelow { get; }

    /// <summary>A row's features, standardised in place.</summary>
    public float[] Row { get; }
}
