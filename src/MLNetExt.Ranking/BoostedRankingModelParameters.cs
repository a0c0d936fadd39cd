using Microsoft.ML.Data;
using MLNetExt.Ranking.Model;
using MLNetExt.Serialization;
using MLNetExt.Training;

namespace MLNetExt.Ranking;

/// <summary>Which feature importance <see cref="BoostedRankingModelParameters.GetFeatureImportance"/> reports.</summary>
public enum FeatureImportanceKind
{
    /// <summary>The total gain of the splits on each feature (LightGBM's <c>importance_type=gain</c>).</summary>
    Gain,

    /// <summary>How many splits use each feature (LightGBM's <c>importance_type=split</c>).</summary>
    SplitCount,
}

/// <summary>
/// A trained boosted ranking model: LightGBM's trees, read back into managed arrays and scored in managed code
/// (bit-identical to LightGBM's own prediction, thread-safe, no native handle), with the objective that trained it.
/// </summary>
public sealed class BoostedRankingModelParameters : IVectorScorer, IPersistentSection<BoostedRankingModelParameters>
{
    private readonly TreeEnsemble _trees;

    internal BoostedRankingModelParameters(TreeEnsemble trees, string objective, int bestIteration, IReadOnlyList<double> validationHistory,
        double? probabilityLabelScale = null)
    {
        _trees = trees;
        Objective = objective;
        BestIteration = bestIteration;
        ValidationHistory = validationHistory;
        ProbabilityLabelScale = probabilityLabelScale;
    }

    internal TreeEnsemble Trees => _trees;

    /// <summary>The objective that trained the model ("lambdarank", "yetirank", ...).</summary>
    public string Objective { get; }

    /// <summary>The number of trees.</summary>
    public int NumberOfTrees => _trees.TreeCount;

    /// <summary>The number of features the model reads.</summary>
    public int FeatureCount => _trees.FeatureCount;

    /// <summary>The feature names (the training feature column's slot names, or f0, f1, ...).</summary>
    public IReadOnlyList<string> FeatureNames => _trees.FeatureNames;

    /// <summary>The number of trees kept when early stopping chose them; the tree count otherwise.</summary>
    public int BestIteration { get; }

    /// <summary>The validation NDCG after each tree (empty without a validation set).</summary>
    public IReadOnlyList<double> ValidationHistory { get; }

    /// <summary>
    /// For a model whose scores are calibrated (RCR): the grade that means "relevant with probability 1"; the
    /// <c>Probability</c> column, sigmoid(score), estimates label / this value. Null for a model that writes no probability.
    /// </summary>
    public double? ProbabilityLabelScale { get; }

    /// <summary>The probability of one score: sigmoid(score) for a calibrated model; NaN for one that writes no probability.</summary>
    public double Probability(double score) => ProbabilityLabelScale is null ? double.NaN : Numerics.StableMath.Sigmoid(score);

    /// <summary>The number of leaves of tree <paramref name="tree"/>.</summary>
    public int GetLeafCount(int tree) => _trees.LeafCountOf(tree);

    /// <summary>The value of leaf <paramref name="leaf"/> of tree <paramref name="tree"/> (learning rate applied).</summary>
    public double GetLeafValue(int tree, int leaf) => _trees.LeafValueOf(tree, leaf);

    /// <summary>The score of one dense feature vector (the sum of the trees' leaf values).</summary>
    public double Score(ReadOnlySpan<float> features) => _trees.Score(features);

    /// <summary>Each feature's importance, in feature order (see <see cref="FeatureNames"/>).</summary>
    public IReadOnlyList<double> GetFeatureImportance(FeatureImportanceKind kind = FeatureImportanceKind.Gain)
        => kind == FeatureImportanceKind.Gain ? _trees.GainImportance() : _trees.SplitImportance();

    /// <summary>The model in LightGBM's text format, which LightGBM (Python, CLI, C API) loads and predicts identically.</summary>
    public string ToLightGbmModelText() => _trees.ToLightGbmText();

    /// <summary>Writes <see cref="ToLightGbmModelText"/> to <paramref name="path"/>.</summary>
    public void ExportLightGbmModel(string path) => _trees.ExportLightGbmModel(Guard.NotNull(path, nameof(path)));

    int IVectorScorer.OutputCount => ProbabilityLabelScale is null ? 1 : 2;

    RowScorer IVectorScorer.CreateRowScorer() => new TreeRowScorer(_trees, ProbabilityLabelScale is not null);

    private sealed class TreeRowScorer(TreeEnsemble trees, bool probability) : RowScorer
    {
        public override void Score(in VBuffer<float> features, Span<double> output)
        {
            double score = features.IsDense ? trees.Score(features.GetValues()) : trees.Score(features.GetIndices(), features.GetValues());
            output[0] = score;
            if (probability)
                output[1] = Numerics.StableMath.Sigmoid(score);
        }
    }

    // Version 1: objective, best iteration, validation history, then the trees as a section of their own.
    // Version 2: adds the probability label scale (flag + value) before the trees, for calibrated objectives (RCR).
    private static readonly ComponentFormat Format = new("MLNetExt.Ranking.BoostedRankingModel", 2, OldestReadableVersion: 1);

    static ComponentFormat IPersistentSection<BoostedRankingModelParameters>.Format => Format;

    ComponentFormat IPersistentSection.SectionFormat => Format;

    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.Write(Objective);
        writer.Write(BestIteration);
        writer.Write(ValidationHistory is double[] history ? history : ValidationHistory.ToArray());
        writer.Write(ProbabilityLabelScale is not null);
        writer.Write(ProbabilityLabelScale ?? 1);
        writer.WriteSection(_trees);
    }

    static BoostedRankingModelParameters IPersistentSection<BoostedRankingModelParameters>.Load(ModelStateReader reader)
    {
        string objective = reader.ReadNonEmptyString("the objective");
        int best = reader.ReadInt32("the best iteration", 0, int.MaxValue);
        var history = reader.ReadDoubleArray("the validation history");
        double? scale = null;
        if (reader.FormatVersion >= 2)
        {
            bool hasProbability = reader.ReadBoolean();
            double value = reader.ReadFiniteDouble("the probability label scale");
            reader.Check(value > 0, $"the probability label scale is {value}");
            scale = hasProbability ? value : null;
        }
        var trees = reader.ReadSection<TreeEnsemble>();
        reader.Check(best <= trees.TreeCount, $"the best iteration {best} is beyond the {trees.TreeCount} trees");
        return new BoostedRankingModelParameters(trees, objective, best, history, scale);
    }
}
