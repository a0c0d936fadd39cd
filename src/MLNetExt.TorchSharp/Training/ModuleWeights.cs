using MLNetExt.Numerics;
using MLNetExt.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Training;

/// <summary>One named parameter (or buffer) of a network: its shape and float32 values, row-major.</summary>
/// <param name="Name">The parameter's name in the module (<c>layers.0.weight</c>).</param>
/// <param name="Shape">Its dimensions.</param>
/// <param name="Values">Its values (the product of <paramref name="Shape"/> of them).</param>
public sealed record NamedWeights(string Name, IReadOnlyList<long> Shape, IReadOnlyList<float> Values);

/// <summary>
/// A network's weights outside libtorch: captured from a module (on any device) as float32 arrays, saved inside the
/// ML.NET model as bulk arrays (no side files), and copied into a freshly built module on the CPU when the model is
/// loaded, whatever device trained it. Also the deterministic initialisation of a module from MLNetExt's
/// counter-based generator, so a seed gives the same initial weights with no global torch state.
/// </summary>
internal sealed class ModuleWeights
{
    private readonly (string Name, long[] Shape, float[] Values)[] _entries;

    private ModuleWeights((string, long[], float[])[] entries) => _entries = entries;

    public int Count => _entries.Length;

    /// <summary>The weights, for users to inspect.</summary>
    public IReadOnlyList<NamedWeights> ToPublic() => _entries.Select(e => new NamedWeights(e.Name, e.Shape, e.Values)).ToArray();

    /// <summary>Copies every parameter and buffer of <paramref name="module"/> (any device) into float32 arrays.</summary>
    public static ModuleWeights Capture(nn.Module module)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var entries = new List<(string, long[], float[])>();
        foreach (var (name, tensor) in module.state_dict())
        {
            var cpu = tensor.detach().to(ScalarType.Float32, CPU).contiguous();
            entries.Add((name, cpu.shape.ToArray(), cpu.data<float>().ToArray()));
        }
        return new ModuleWeights(entries.ToArray());
    }

    /// <summary>Copies the weights into <paramref name="module"/>, whose parameters must have the same names and shapes.</summary>
    public void CopyTo(nn.Module module)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var state = module.state_dict();
        if (state.Count != _entries.Length)
            throw new InvalidDataException($"The saved network has {_entries.Length} weight tensors; the network built for it has {state.Count}.");
        foreach (var (name, shape, values) in _entries)
        {
            if (!state.TryGetValue(name, out var target))
                throw new InvalidDataException($"The saved network's weight '{name}' has no counterpart in the network built for it.");
            if (!target.shape.SequenceEqual(shape))
                throw new InvalidDataException($"The saved weight '{name}' has shape [{string.Join(", ", shape)}]; the network expects [{string.Join(", ", target.shape)}].");
            var source = tensor(values, shape, dtype: ScalarType.Float32).to(target.dtype, target.device);
            target.copy_(source);
        }
    }

    public void Save(ModelStateWriter writer)
    {
        writer.Write(_entries.Length);
        foreach (var (name, shape, values) in _entries)
        {
            writer.Write(name);
            writer.Write(shape);
            writer.Write(values);
        }
    }

    public static ModuleWeights Load(ModelStateReader reader)
    {
        int count = reader.ReadInt32("the network's weight tensor count", 0, 1 << 16);
        var entries = new (string, long[], float[])[count];
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadNonEmptyString("a weight tensor's name");
            var shape = reader.ReadInt64Array($"the shape of weight '{name}'");
            long size = 1;
            foreach (long d in shape)
            {
                reader.Check(d >= 0 && d <= int.MaxValue, $"weight '{name}' has a dimension of {d}");
                size = checked(size * d);
            }
            var values = reader.ReadSingleArray($"the values of weight '{name}'");
            reader.Check(values.Length == size, $"weight '{name}' holds {values.Length} values for shape [{string.Join(", ", shape)}]");
            reader.Check(Array.TrueForAll(values, float.IsFinite), $"weight '{name}' holds a value that is not finite");
            entries[i] = (name, shape, values);
        }
        return new ModuleWeights(entries);
    }

    /// <summary>
    /// Initialises every parameter of <paramref name="module"/> from (seed, stream): matrices (2 or more dimensions)
    /// Xavier-uniform as allRank does (U(-a, a), a = sqrt(6 / (fan_in + fan_out))); vectors keep PyTorch's defaults
    /// for their kind: biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) of the layer they belong to (<paramref name="biasBounds"/>),
    /// normalisation scales 1 (a vector named "*.weight" or "*gain") and every other vector 0. Parameters are
    /// visited in registration order, each from its own counter stream.
    /// </summary>
    public static void Initialize(nn.Module module, int seed, IReadOnlyDictionary<string, double>? biasBounds = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int index = 0;
        foreach (var (name, parameter) in module.named_parameters())
        {
            var shape = parameter.shape;
            long size = parameter.numel();
            var values = new float[size];
            var random = new CounterRandomStream(CounterRandom.SeedKey(seed), CounterRandom.Stream(0x5EED, index++));
            if (shape.Length >= 2)
            {
                long receptive = 1;
                for (int d = 2; d < shape.Length; d++)
                    receptive *= shape[d];
                double fanIn = shape[1] * receptive, fanOut = shape[0] * receptive;
                double a = Math.Sqrt(6.0 / (fanIn + fanOut));
                for (long i = 0; i < size; i++)
                    values[i] = (float)((2 * random.NextDouble() - 1) * a);
            }
            else if (biasBounds is not null && biasBounds.TryGetValue(name, out double bound))
            {
                for (long i = 0; i < size; i++)
                    values[i] = (float)((2 * random.NextDouble() - 1) * bound);
            }
            else
            {
                // A one-dimensional "weight" or "gain" is a normalisation's scale (BatchNorm, LayerNorm): 1.
                float constant = name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith("gain", StringComparison.Ordinal) ? 1f : 0f;
                Array.Fill(values, constant);
            }
            parameter.copy_(tensor(values, shape, dtype: ScalarType.Float32).to(parameter.dtype, parameter.device));
        }
    }
}
