using MLNetExt.Serialization;
using MLNetExt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Ranking;

/// <summary>
/// A trained neural ranker: the scorer's architecture, its weights (float32, saved inside the ML.NET model), the
/// per-feature standardisation learned at fit time, and the loss it was trained with. Immutable; scoring is
/// thread-safe and runs on the CPU in inference mode, whatever device trained the model.
/// </summary>
public sealed class NeuralRankingModelParameters : IPersistentSection<NeuralRankingModelParameters>
{
    private readonly Lazy<RankingNetwork> _network;

    internal NeuralRankingModelParameters(RankingNetworkSpec spec, ModuleWeights weights, FeatureStandardizer standardizer, NeuralRankingLoss loss,
        TorchTrainingHistory? history)
    {
        Spec = spec;
        ModuleWeights = weights;
        Standardizer = standardizer;
        Loss = loss;
        TrainingHistory = history;
        _network = new Lazy<RankingNetwork>(BuildInferenceNetwork, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    internal RankingNetworkSpec Spec { get; }

    internal ModuleWeights ModuleWeights { get; }

    internal FeatureStandardizer Standardizer { get; }

    /// <summary>What happened in training: epochs run, the epoch kept, losses, validation values, seconds per epoch (null for a loaded model).</summary>
    public TorchTrainingHistory? TrainingHistory { get; }

    /// <summary>The scorer network.</summary>
    public NeuralRankingScorer Scorer => Spec.Scorer;

    /// <summary>The number of features the model reads.</summary>
    public int FeatureCount => Spec.FeatureCount;

    /// <summary>The hidden layer sizes (for the transformer scorer, the last is the attention width).</summary>
    public IReadOnlyList<int> HiddenLayerSizes => Spec.HiddenLayerSizes;

    /// <summary>The loss the model was trained with.</summary>
    public NeuralRankingLoss Loss { get; }

    /// <summary>Whether the model writes a <c>Probability</c> column (trained with <see cref="NeuralRankingLoss.Rcr"/>: sigmoid(Score)).</summary>
    public bool HasProbability => Loss == NeuralRankingLoss.Rcr;

    /// <summary>Whether a document's score depends on the other documents of its group (the transformer scorer).</summary>
    public bool IsListwise => Spec.Scorer == NeuralRankingScorer.Transformer;

    /// <summary>The features' training means, subtracted before the network.</summary>
    public IReadOnlyList<float> FeatureMeans => Standardizer.Means;

    /// <summary>The features' training standard deviations, divided by after the means are subtracted.</summary>
    public IReadOnlyList<float> FeatureScales => Standardizer.Scales;

    /// <summary>The network's weights by parameter name, float32, row-major.</summary>
    public IReadOnlyList<NamedWeights> Weights => ModuleWeights.ToPublic();

    private RankingNetwork BuildInferenceNetwork()
    {
        TorchRuntime.EnsureLoaded();
        var network = Spec.Build();
        ModuleWeights.CopyTo(network);
        network.eval();
        return network;
    }

    /// <summary>
    /// Scores whole lists: <paramref name="features"/> holds <paramref name="documents"/> rows of raw (not standardised)
    /// features, row-major; the scores go to <paramref name="scores"/>. Thread-safe.
    /// </summary>
    internal void ScoreList(ReadOnlySpan<float> features, int documents, Span<float> scores)
    {
        int d = FeatureCount;
        var standardized = features[..(documents * d)].ToArray();
        Standardizer.Apply(standardized);
        var network = _network.Value;
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        // Inputs are copied into libtorch's own (aligned) memory: the BLAS kernels, and so the last bits of the scores, can
        // depend on the alignment of a pinned managed array, which differs from run to run.
        Tensor output;
        if (network is MlpRankingNetwork mlp)
            output = mlp.ScoreRows(tensor(standardized, [documents, d]).clone());
        else
            output = network.call(tensor(standardized, [1, documents, d]).clone(), zeros(1, documents, dtype: ScalarType.Bool)).squeeze(0);
        output.data<float>().CopyTo(scores[..documents]);
    }

    private static readonly ComponentFormat Format = new("MLNetExt.TorchSharp.NeuralRankingModel", 1);

    static ComponentFormat IPersistentSection<NeuralRankingModelParameters>.Format => Format;

    ComponentFormat IPersistentSection.SectionFormat => Format;

    // Version 1: loss, network spec, standardisation (means, scales), weights (count, then name, shape, values each).
    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.WriteEnum(Loss);
        Spec.Save(writer);
        Standardizer.Save(writer);
        ModuleWeights.Save(writer);
    }

    static NeuralRankingModelParameters IPersistentSection<NeuralRankingModelParameters>.Load(ModelStateReader reader)
    {
        var loss = reader.ReadEnum<NeuralRankingLoss>("the loss");
        var spec = RankingNetworkSpec.Load(reader);
        var standardizer = FeatureStandardizer.Load(reader, spec.FeatureCount);
        var weights = ModuleWeights.Load(reader);
        var model = new NeuralRankingModelParameters(spec, weights, standardizer, loss, null);
        try
        {
            // Build the network now, so a file whose weights do not fit the architecture fails at load, not at first use.
            _ = model._network.Value;
        }
        catch (InvalidDataException e)
        {
            reader.Check(false, e.Message);
        }
        return model;
    }
}
