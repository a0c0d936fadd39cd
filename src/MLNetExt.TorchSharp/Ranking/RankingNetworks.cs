using TorchSharp;
using TorchSharp.Modules;
using MLNetExt.TorchSharp.Training;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Ranking;

/// <summary>The scorer network of the neural ranker.</summary>
public enum NeuralRankingScorer
{
    /// <summary>A multilayer perceptron scoring each document on its own (row to row; works with PredictionEngine).</summary>
    Mlp,

    /// <summary>
    /// allRank's context-aware scorer (Pobrotyn et al. 2020): an input layer, self-attention blocks over the documents
    /// of a list, and a linear output; a document's score depends on the other documents of its query, so prediction
    /// reads whole groups.
    /// </summary>
    Transformer,
}

/// <summary>The activation after each hidden layer.</summary>
public enum NeuralActivation
{
    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>tanh(x).</summary>
    Tanh,

    /// <summary>GELU (exact, erf form).</summary>
    Gelu,

    /// <summary>No activation (allRank's <c>null</c>).</summary>
    Identity,
}

/// <summary>The architecture of a ranking network: everything needed to rebuild it before its weights are copied in.</summary>
internal sealed record RankingNetworkSpec(
    NeuralRankingScorer Scorer,
    int FeatureCount,
    int[] HiddenLayerSizes,
    NeuralActivation Activation,
    double Dropout,
    bool BatchNormalization,
    int TransformerBlocks,
    int AttentionHeads,
    int FeedForwardSize)
{
    /// <summary>Builds the network on the CPU in float32 (weights uninitialised until copied or initialised).</summary>
    public RankingNetwork Build() => Scorer == NeuralRankingScorer.Mlp ? new MlpRankingNetwork(this) : new ContextAwareRankingNetwork(this);

    public void Save(Serialization.ModelStateWriter writer)
    {
        writer.WriteEnum(Scorer);
        writer.Write(FeatureCount);
        writer.Write(HiddenLayerSizes);
        writer.WriteEnum(Activation);
        writer.Write(Dropout);
        writer.Write(BatchNormalization);
        writer.Write(TransformerBlocks);
        writer.Write(AttentionHeads);
        writer.Write(FeedForwardSize);
    }

    public static RankingNetworkSpec Load(Serialization.ModelStateReader reader)
    {
        var scorer = reader.ReadEnum<NeuralRankingScorer>("the scorer");
        int features = reader.ReadInt32("the feature count", 1, int.MaxValue);
        var hidden = reader.ReadInt32Array("the hidden layer sizes");
        reader.Check(hidden.Length >= (scorer == NeuralRankingScorer.Transformer ? 1 : 0) && hidden.All(h => h >= 1 && h <= 1 << 20), "a hidden layer size is out of range");
        var activation = reader.ReadEnum<NeuralActivation>("the activation");
        double dropout = reader.ReadFiniteDouble("the dropout rate");
        reader.Check(dropout >= 0 && dropout < 1, $"the dropout rate {dropout} is outside [0, 1)");
        bool batchNorm = reader.ReadBoolean();
        int blocks = reader.ReadInt32("the transformer block count", 0, 1024);
        int heads = reader.ReadInt32("the attention head count", 1, 1024);
        int feedForward = reader.ReadInt32("the feed-forward size", 1, 1 << 20);
        return new RankingNetworkSpec(scorer, features, hidden, activation, dropout, batchNorm, blocks, heads, feedForward);
    }
}

/// <summary>
/// A ranking network: scores [lists, slate] from features [lists, slate, features] and a [lists, slate] padding mask
/// (true at padded slots, which get score 0). Dropout draws from <see cref="Generator"/>, so a seed fixes it without
/// touching torch's global generator.
/// </summary>
internal abstract class RankingNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    private protected RankingNetwork(string name) : base(name)
    {
    }

    /// <summary>Dropout's random source (null: torch's default generator).</summary>
    public Generator? Generator { get; set; }

    /// <summary>The bounds PyTorch's default initialisation gives each bias: 1/sqrt(fan_in) of its layer.</summary>
    public abstract IReadOnlyDictionary<string, double> BiasBounds { get; }

    /// <summary>Inverted dropout with <see cref="Generator"/>; the identity in evaluation mode or at rate 0.</summary>
    private protected Tensor Dropout(Tensor x, double rate)
    {
        if (!training || rate <= 0)
            return x;
        var keep = empty_like(x).bernoulli_(1 - rate, Generator);
        return x * keep / S(1 - rate);
    }

    private protected static Scalar S(double value) => TorchScalars.Get(value);

    private protected static Tensor Activate(Tensor x, NeuralActivation activation) => activation switch
    {
        NeuralActivation.Relu => nn.functional.relu(x),
        NeuralActivation.Tanh => x.tanh(),
        NeuralActivation.Gelu => nn.functional.gelu(x),
        _ => x,
    };
}

/// <summary>The MLP scorer: hidden layers (Linear, optional BatchNorm, activation, dropout), then Linear to one score.</summary>
internal sealed class MlpRankingNetwork : RankingNetwork
{
    private readonly ModuleList<Linear> layers = new();
    private readonly ModuleList<BatchNorm1d> norms = new();
    private readonly Linear output;
    private readonly RankingNetworkSpec _spec;
    private readonly Dictionary<string, double> _biasBounds = [];

    public MlpRankingNetwork(RankingNetworkSpec spec) : base("MlpRankingNetwork")
    {
        _spec = spec;
        int inputs = spec.FeatureCount;
        for (int i = 0; i < spec.HiddenLayerSizes.Length; i++)
        {
            int size = spec.HiddenLayerSizes[i];
            layers.Add(nn.Linear(inputs, size));
            _biasBounds[$"layers.{i}.bias"] = 1 / Math.Sqrt(inputs);
            if (spec.BatchNormalization)
                norms.Add(nn.BatchNorm1d(size));
            inputs = size;
        }
        output = nn.Linear(inputs, 1);
        _biasBounds["output.bias"] = 1 / Math.Sqrt(inputs);
        RegisterComponents();
    }

    public override IReadOnlyDictionary<string, double> BiasBounds => _biasBounds;

    /// <summary>Scores documents given as rows [documents, features]: [documents].</summary>
    public Tensor ScoreRows(Tensor rows)
    {
        var h = rows;
        for (int i = 0; i < layers.Count; i++)
        {
            h = layers[i].call(h);
            if (_spec.BatchNormalization)
                h = norms[i].call(h);
            h = Dropout(Activate(h, _spec.Activation), _spec.Dropout);
        }
        return output.call(h).squeeze(1);
    }

    public override Tensor forward(Tensor features, Tensor mask)
    {
        long lists = features.shape[0], slate = features.shape[1];
        var flat = features.reshape(lists * slate, features.shape[2]);
        var real = mask.logical_not().reshape(lists * slate).nonzero().squeeze(1);
        var scores = ScoreRows(flat.index_select(0, real));
        return zeros(lists * slate, dtype: scores.dtype, device: scores.device).index_copy(0, real, scores).reshape(lists, slate);
    }
}

/// <summary>
/// allRank's context-aware scorer (<c>allrank/models/model.py</c>, <c>transformer.py</c> @c884756): an input layer
/// (Linear to the first hidden size, activation, dropout), <c>TransformerBlocks</c> pre-norm encoder blocks
/// (multi-head self-attention with padded keys masked out, then a position-wise feed-forward layer, each added back
/// through dropout), a final normalisation and a linear output. Normalisation is allRank's own
/// a (x - mean) / (std + 1e-6) + b with the unbiased standard deviation, not torch.nn.LayerNorm. No positional encoding
/// (allRank's paper configurations), so the scores do not depend on the order of the documents within a list.
/// </summary>
internal sealed class ContextAwareRankingNetwork : RankingNetwork
{
    private readonly Linear input;
    private readonly ModuleList<EncoderBlock> blocks = new();
    private readonly AllRankLayerNorm norm;
    private readonly Linear output;
    private readonly RankingNetworkSpec _spec;
    private readonly Dictionary<string, double> _biasBounds = [];

    public ContextAwareRankingNetwork(RankingNetworkSpec spec) : base("ContextAwareRankingNetwork")
    {
        _spec = spec;
        int d = spec.HiddenLayerSizes[^1];
        input = nn.Linear(spec.FeatureCount, d);
        _biasBounds["input.bias"] = 1 / Math.Sqrt(spec.FeatureCount);
        for (int b = 0; b < spec.TransformerBlocks; b++)
        {
            blocks.Add(new EncoderBlock(d, spec.AttentionHeads, spec.FeedForwardSize, ApplyDropout));
            foreach (var q in new[] { "query", "key", "value", "projection" })
                _biasBounds[$"blocks.{b}.{q}.bias"] = 1 / Math.Sqrt(d);
            _biasBounds[$"blocks.{b}.expand.bias"] = 1 / Math.Sqrt(d);
            _biasBounds[$"blocks.{b}.contract.bias"] = 1 / Math.Sqrt(spec.FeedForwardSize);
        }
        norm = new AllRankLayerNorm(d);
        output = nn.Linear(d, 1);
        _biasBounds["output.bias"] = 1 / Math.Sqrt(d);
        RegisterComponents();
    }

    public override IReadOnlyDictionary<string, double> BiasBounds => _biasBounds;

    public override Tensor forward(Tensor features, Tensor mask)
    {
        var h = Dropout(Activate(input.call(features), _spec.Activation), _spec.Dropout);
        foreach (var block in blocks)
            h = block.Forward(h, mask);
        var scores = output.call(norm.call(h)).squeeze(2);
        return scores.masked_fill(mask, S(0));
    }

    internal Tensor ApplyDropout(Tensor x) => Dropout(x, _spec.Dropout);

    /// <summary>One pre-norm encoder block.</summary>
    internal sealed class EncoderBlock : nn.Module
    {
        private readonly Linear query, key, value, projection, expand, contract;
        private readonly AllRankLayerNorm attentionNorm, feedForwardNorm;
        private readonly int _heads;
        // A delegate, not the owning module: a module field would be registered as a child (a cycle in state_dict).
        private readonly Func<Tensor, Tensor> _dropout;

        public EncoderBlock(int d, int heads, int feedForward, Func<Tensor, Tensor> dropout) : base("EncoderBlock")
        {
            _heads = heads;
            _dropout = dropout;
            query = nn.Linear(d, d);
            key = nn.Linear(d, d);
            value = nn.Linear(d, d);
            projection = nn.Linear(d, d);
            expand = nn.Linear(d, feedForward);
            contract = nn.Linear(feedForward, d);
            attentionNorm = new AllRankLayerNorm(d);
            feedForwardNorm = new AllRankLayerNorm(d);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor mask)
        {
            long lists = x.shape[0], slate = x.shape[1], d = x.shape[2];
            long dk = d / _heads;
            var y = attentionNorm.call(x);
            Tensor Split(Tensor t) => t.reshape(lists, slate, _heads, dk).transpose(1, 2);
            var q = Split(query.call(y));
            var k = Split(key.call(y));
            var v = Split(value.call(y));
            var scores = q.matmul(k.transpose(2, 3)) / S(Math.Sqrt(dk));
            scores = scores.masked_fill(mask.unsqueeze(1).unsqueeze(1), S(-1e9));
            var attention = _dropout(scores.softmax(-1));
            var mixed = attention.matmul(v).transpose(1, 2).reshape(lists, slate, d);
            x = x.Plus(_dropout(projection.call(mixed)));
            var z = feedForwardNorm.call(x);
            var ff = contract.call(_dropout(nn.functional.relu(expand.call(z))));
            return x.Plus(_dropout(ff));
        }
    }
}

/// <summary>allRank's LayerNorm: gain (x - mean) / (unbiased std + 1e-6) + shift over the last dimension.</summary>
internal sealed class AllRankLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter gain;
    private readonly Parameter shift;

    public AllRankLayerNorm(int size) : base("AllRankLayerNorm")
    {
        gain = nn.Parameter(ones(size));
        shift = nn.Parameter(zeros(size));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var mean = x.mean([-1L], keepdim: true);
        var std = x.std(-1, unbiased: true, keepdim: true);
        return (gain * (x - mean) / std.Plus(1e-6)).Plus(shift);
    }
}
