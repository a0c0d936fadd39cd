using MLNetExt.Serialization;
using MLNetExt.TorchSharp.Training;

namespace MLNetExt.TorchSharp.Pruning;

/// <summary>
/// The proxy classifiers behind EL2N and GraNd: per run, the weights after <see cref="NumberOfEpochs"/> epochs (for
/// EL2N) and after <see cref="GraNdEpoch"/> epochs (for GraNd), with the per-feature standardisation learned at fit
/// time. Immutable; scoring runs in C# (no libtorch needed) and is thread-safe.
/// </summary>
public sealed class ExampleDifficultyModelParameters : IPersistentSection<ExampleDifficultyModelParameters>
{
    private readonly ModuleWeights[] _el2nWeights;
    private readonly ModuleWeights[] _graNdWeights;
    private readonly ProxyNetwork[] _el2nNetworks;
    private readonly ProxyNetwork[] _graNdNetworks;
    private readonly int[] _hidden;

    internal ExampleDifficultyModelParameters(int featureCount, int classCount, int[] hiddenLayerSizes, int numberOfEpochs, int graNdEpoch,
        FeatureStandardizer standardizer, ModuleWeights[] el2nWeights, ModuleWeights[] graNdWeights)
    {
        Guard.Argument(el2nWeights.Length >= 1 && el2nWeights.Length == graNdWeights.Length, nameof(el2nWeights),
            $"{el2nWeights.Length} EL2N and {graNdWeights.Length} GraNd checkpoints were given; each run needs one of each.");
        Guard.Argument(graNdEpoch >= 0 && graNdEpoch <= numberOfEpochs, nameof(graNdEpoch), $"The GraNd epoch {graNdEpoch} is outside [0, {numberOfEpochs}].");
        FeatureCount = featureCount;
        ClassCount = classCount;
        _hidden = hiddenLayerSizes;
        NumberOfEpochs = numberOfEpochs;
        GraNdEpoch = graNdEpoch;
        Standardizer = standardizer;
        _el2nWeights = el2nWeights;
        _graNdWeights = graNdWeights;
        var sizes = ProxyTraining.Sizes(featureCount, hiddenLayerSizes, classCount);
        Sizes = sizes;
        _el2nNetworks = Array.ConvertAll(el2nWeights, w => ProxyNetwork.FromModuleWeights(w, sizes));
        _graNdNetworks = graNdEpoch == numberOfEpochs ? _el2nNetworks : Array.ConvertAll(graNdWeights, w => ProxyNetwork.FromModuleWeights(w, sizes));
    }

    /// <summary>The number of features the proxies read.</summary>
    public int FeatureCount { get; }

    /// <summary>The number of classes (2 for a Boolean label).</summary>
    public int ClassCount { get; }

    /// <summary>The proxies' hidden layer widths (ReLU after each); empty for softmax regression.</summary>
    public IReadOnlyList<int> HiddenLayerSizes => _hidden;

    /// <summary>The number of proxies (runs) whose scores are averaged.</summary>
    public int NumberOfRuns => _el2nWeights.Length;

    /// <summary>The epochs each proxy was trained for; EL2N is computed with the weights after the last of them.</summary>
    public int NumberOfEpochs { get; }

    /// <summary>The epoch whose weights GraNd is computed with (0 = the initial weights).</summary>
    public int GraNdEpoch { get; }

    /// <summary>The features' training means, subtracted before the proxies.</summary>
    public IReadOnlyList<float> FeatureMeans => Standardizer.Means;

    /// <summary>The features' training standard deviations, divided by after the means are subtracted (1: not standardised).</summary>
    public IReadOnlyList<float> FeatureScales => Standardizer.Scales;

    /// <summary>Each run's weights after <see cref="NumberOfEpochs"/> epochs (EL2N), by parameter name (<c>layers.0.weight</c>).</summary>
    public IReadOnlyList<IReadOnlyList<NamedWeights>> El2nWeights => Array.ConvertAll(_el2nWeights, w => w.ToPublic());

    /// <summary>Each run's weights after <see cref="GraNdEpoch"/> epochs (GraNd).</summary>
    public IReadOnlyList<IReadOnlyList<NamedWeights>> GraNdWeights => Array.ConvertAll(_graNdWeights, w => w.ToPublic());

    internal FeatureStandardizer Standardizer { get; }

    internal int[] Sizes { get; }

    /// <summary>A workspace for <see cref="Score"/>; one per thread or cursor.</summary>
    internal DifficultyWorkspace CreateWorkspace() => new(Sizes);

    /// <summary>
    /// The EL2N and GraNd of one row, each averaged over the runs: <paramref name="features"/> are raw (standardised
    /// here, into the workspace), <paramref name="label"/> a class in [0, ClassCount). With
    /// <paramref name="meanProbabilities"/> the workspace's <see cref="DifficultyWorkspace.MeanProbabilities"/> get the
    /// runs' average class probabilities (at the EL2N checkpoint).
    /// </summary>
    internal (double El2n, double GraNd) Score(ReadOnlySpan<float> features, int label, DifficultyWorkspace ws, bool meanProbabilities = false)
    {
        var row = ws.Row;
        features[..FeatureCount].CopyTo(row);
        Standardizer.ApplyRow(row);
        return ScoreStandardized(row, label, ws, meanProbabilities);
    }

    /// <summary>As <see cref="Score"/> for a row that is standardised already.</summary>
    internal (double El2n, double GraNd) ScoreStandardized(ReadOnlySpan<float> row, int label, DifficultyWorkspace ws, bool meanProbabilities = false)
    {
        double el2n = 0, graNd = 0;
        var mean = ws.MeanProbabilities;
        if (meanProbabilities)
            Array.Clear(mean);
        for (int r = 0; r < _el2nNetworks.Length; r++)
        {
            var network = _el2nNetworks[r];
            network.Forward(row, ws);
            el2n += ProxyNetwork.El2n(ws, label);
            if (meanProbabilities)
            {
                for (int c = 0; c < mean.Length; c++)
                    mean[c] += ws.Probabilities[c];
            }
            var forGraNd = _graNdNetworks[r];
            if (!ReferenceEquals(forGraNd, network))
                forGraNd.Forward(row, ws);
            graNd += forGraNd.GraNd(ws, label);
        }
        int runs = _el2nNetworks.Length;
        if (meanProbabilities)
        {
            for (int c = 0; c < mean.Length; c++)
                mean[c] /= runs;
        }
        return (el2n / runs, graNd / runs);
    }

    private static readonly ComponentFormat Format = new("MLNetExt.TorchSharp.ExampleDifficultyModel", 1);

    static ComponentFormat IPersistentSection<ExampleDifficultyModelParameters>.Format => Format;

    ComponentFormat IPersistentSection.SectionFormat => Format;

    // Version 1: feature count, class count, hidden sizes, epochs, GraNd epoch, standardisation (means, scales), run
    // count, then per run the EL2N weights and, when the GraNd epoch is not the last epoch, the GraNd weights.
    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.Write(FeatureCount);
        writer.Write(ClassCount);
        writer.Write(_hidden);
        writer.Write(NumberOfEpochs);
        writer.Write(GraNdEpoch);
        Standardizer.Save(writer);
        writer.Write(NumberOfRuns);
        for (int r = 0; r < NumberOfRuns; r++)
        {
            _el2nWeights[r].Save(writer);
            if (GraNdEpoch != NumberOfEpochs)
                _graNdWeights[r].Save(writer);
        }
    }

    static ExampleDifficultyModelParameters IPersistentSection<ExampleDifficultyModelParameters>.Load(ModelStateReader reader)
    {
        int features = reader.ReadInt32("the feature count", 1, int.MaxValue);
        int classes = reader.ReadInt32("the class count", 2, 1 << 24);
        var hidden = reader.ReadInt32Array("the hidden layer sizes");
        reader.Check(hidden.All(h => h >= 1 && h <= 1 << 20), "a hidden layer size is out of range");
        int epochs = reader.ReadInt32("the number of epochs", 1, int.MaxValue);
        int graNdEpoch = reader.ReadInt32("the GraNd epoch", 0, epochs);
        var standardizer = FeatureStandardizer.Load(reader, features);
        int runs = reader.ReadInt32("the number of runs", 1, 1 << 16);
        var el2n = new ModuleWeights[runs];
        var graNd = new ModuleWeights[runs];
        for (int r = 0; r < runs; r++)
        {
            el2n[r] = ModuleWeights.Load(reader);
            graNd[r] = graNdEpoch != epochs ? ModuleWeights.Load(reader) : el2n[r];
        }
        try
        {
            return new ExampleDifficultyModelParameters(features, classes, hidden, epochs, graNdEpoch, standardizer, el2n, graNd);
        }
        catch (InvalidDataException e)
        {
            reader.Check(false, e.Message);
            throw;
        }
    }
}
