using MLNetExt.Data;
using MLNetExt.Ranking.Engine;

namespace MLNetExt.Ranking.Model;

/// <summary>
/// A trained ensemble of LightGBM regression trees in flat managed arrays, scored in managed code bit-identically to
/// LightGBM's own raw-score prediction (<c>LGBM_BoosterPredictForMat</c> / <c>ForCSR</c>), with no native handle.
/// Immutable and thread-safe; scoring a row allocates nothing.
/// </summary>
/// <remarks>
/// <para>Layout: tree t's internal nodes are <c>[NodeStart[t], NodeStart[t + 1])</c> of the node arrays and its leaves
/// <c>[LeafStart[t], LeafStart[t + 1])</c> of the leaf arrays. A child index c &gt;= 0 is an internal node of the same
/// tree, c &lt; 0 is leaf ~c (LightGBM's encoding). Leaf values already include the learning rate (LightGBM's
/// <c>shrinkage</c>, kept per tree for the export).</para>
/// <para>Decisions follow LightGBM's <c>Tree::NumericalDecision</c> (tree.h 4.6.0): decision_type bit 1 = missing
/// values go left, bits 2-3 = missing type (0 none, 1 zero, 2 NaN); NaN is treated as 0 unless the missing type is
/// NaN; "zero" means |x| &lt;= 1e-35f; otherwise x &lt;= threshold goes left. The sum runs over trees in order from
/// 0.0, as <c>GBDT::PredictRaw</c> does. Dense rows get LightGBM's dense-input rule (values with |x| &lt;= 1e-35f
/// become 0); sparse rows use the stored values as given and 0 for absent features, like its CSR input.
/// Categorical splits and linear trees are not supported (we never train them; the parser refuses them).</para>
/// </remarks>
internal sealed partial class TreeEnsemble
{
    private const double ZeroThreshold = LightGbmDataset.ZeroThreshold;
    private const byte DefaultLeftMask = 2;

    internal TreeEnsemble(int featureCount, string[] featureNames, string[] featureInfos, string? objective, string parameters,
        int[] nodeStart, int[] leafStart, int[] splitFeature, double[] threshold, byte[] decisionType, int[] leftChild,
        int[] rightChild, float[] splitGain, double[] internalValue, double[] internalWeight, int[] internalCount,
        double[] leafValue, double[] leafWeight, int[] leafCount, double[] shrinkage)
    {
        FeatureCount = featureCount;
        FeatureNames = featureNames;
        FeatureInfos = featureInfos;
        Objective = objective;
        Parameters = parameters;
        NodeStart = nodeStart;
        LeafStart = leafStart;
        SplitFeature = splitFeature;
        Threshold = threshold;
        DecisionType = decisionType;
        LeftChild = leftChild;
        RightChild = rightChild;
        SplitGain = splitGain;
        InternalValue = internalValue;
        InternalWeight = internalWeight;
        InternalCount = internalCount;
        LeafValue = leafValue;
        LeafWeight = leafWeight;
        LeafCount = leafCount;
        Shrinkage = shrinkage;
        Validate();
    }

    /// <summary>Number of features a row must have.</summary>
    public int FeatureCount { get; }

    /// <summary>Feature names (one per feature).</summary>
    public string[] FeatureNames { get; }

    /// <summary>LightGBM's per-feature range descriptions (<c>[min:max]</c> or <c>none</c>), kept for the export.</summary>
    public string[] FeatureInfos { get; }

    /// <summary>LightGBM's objective line, or null (a C# objective: the booster had <c>objective=none</c>).</summary>
    public string? Objective { get; }

    /// <summary>The training parameters as LightGBM wrote them (its <c>parameters:</c> block), or empty.</summary>
    public string Parameters { get; }

    /// <summary>Number of trees.</summary>
    public int TreeCount => Shrinkage.Length;

    internal int[] NodeStart { get; }
    internal int[] LeafStart { get; }
    internal int[] SplitFeature { get; }
    internal double[] Threshold { get; }
    internal byte[] DecisionType { get; }
    internal int[] LeftChild { get; }
    internal int[] RightChild { get; }
    internal float[] SplitGain { get; }
    internal double[] InternalValue { get; }
    internal double[] InternalWeight { get; }
    internal int[] InternalCount { get; }
    internal double[] LeafValue { get; }
    internal double[] LeafWeight { get; }
    internal int[] LeafCount { get; }
    internal double[] Shrinkage { get; }

    /// <summary>Number of leaves of tree <paramref name="tree"/>.</summary>
    public int LeafCountOf(int tree) => LeafStart[tree + 1] - LeafStart[tree];

    /// <summary>Value of leaf <paramref name="leaf"/> of tree <paramref name="tree"/> (learning rate applied).</summary>
    public double LeafValueOf(int tree, int leaf) => LeafValue[LeafStart[tree] + leaf];

    /// <summary>The raw score of a dense row (sum of the trees' leaf values).</summary>
    /// <param name="features">Exactly <see cref="FeatureCount"/> values; NaN = missing.</param>
    public double Score(ReadOnlySpan<float> features) => Score(features, 0, TreeCount);

    /// <summary>The raw score of a dense row using trees [<paramref name="firstTree"/>, firstTree + count).</summary>
    public double Score(ReadOnlySpan<float> features, int firstTree, int count)
    {
        CheckDense(features);
        CheckTreeRange(firstTree, count);
        double sum = 0.0;
        for (int t = firstTree; t < firstTree + count; t++)
            sum += LeafValue[LeafStart[t] + LeafOfDense(t, features)];
        return sum;
    }

    /// <summary>The raw score of a sparse row: features <paramref name="indices"/> (strictly increasing) have
    /// <paramref name="values"/>, all others are 0.</summary>
    public double Score(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        if (indices.Length != values.Length)
            throw new ArgumentException($"Indices ({indices.Length}) and values ({values.Length}) must have the same length.", nameof(values));
        double sum = 0.0;
        for (int t = 0; t < TreeCount; t++)
            sum += LeafValue[LeafStart[t] + LeafOfSparse(t, indices, values)];
        return sum;
    }

    /// <summary>The leaf a dense row reaches in tree <paramref name="tree"/>.</summary>
    public int GetLeaf(int tree, ReadOnlySpan<float> features)
    {
        CheckDense(features);
        CheckTreeRange(tree, 1);
        return LeafOfDense(tree, features);
    }

    /// <summary>The leaf a sparse row reaches in tree <paramref name="tree"/>.</summary>
    public int GetLeaf(int tree, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        CheckTreeRange(tree, 1);
        return LeafOfSparse(tree, indices, values);
    }

    /// <summary>Scores every row of <paramref name="source"/> into <paramref name="scores"/> (one per row).</summary>
    public void ScoreAll(IRowBlockSource source, Span<double> scores)
    {
        Guard.NotNull(source, nameof(source));
        Guard.Argument(scores.Length == source.RowCount, nameof(scores), $"Need one score per row ({source.RowCount}); got {scores.Length}.");
        var scorer = new BlockScorer(this, -1, source.RowCount);
        source.Read(scorer);
        scorer.Scores.AsSpan().CopyTo(scores);
    }

    /// <summary>Split counts per feature: how many splits of all trees use each feature (LightGBM importance "split").</summary>
    public double[] SplitImportance() => Importance(gain: false);

    /// <summary>Total split gain per feature over all trees (LightGBM importance "gain").</summary>
    public double[] GainImportance() => Importance(gain: true);

    private double[] Importance(bool gain)
    {
        var result = new double[FeatureCount];
        for (int k = 0; k < SplitFeature.Length; k++)
        {
            if (SplitGain[k] > 0)
                result[SplitFeature[k]] += gain ? SplitGain[k] : 1.0;
        }
        return result;
    }

    /// <summary>A copy holding only the first <paramref name="treeCount"/> trees.</summary>
    public TreeEnsemble Truncate(int treeCount)
    {
        Guard.Argument(treeCount >= 0 && treeCount <= TreeCount, nameof(treeCount), $"Must be in [0, {TreeCount}]; got {treeCount}.");
        int nodes = NodeStart[treeCount], leaves = LeafStart[treeCount];
        return new TreeEnsemble(FeatureCount, FeatureNames, FeatureInfos, Objective, Parameters, NodeStart[..(treeCount + 1)],
            LeafStart[..(treeCount + 1)], SplitFeature[..nodes], Threshold[..nodes], DecisionType[..nodes], LeftChild[..nodes],
            RightChild[..nodes], SplitGain[..nodes], InternalValue[..nodes], InternalWeight[..nodes], InternalCount[..nodes],
            LeafValue[..leaves], LeafWeight[..leaves], LeafCount[..leaves], Shrinkage[..treeCount]);
    }

    private int LeafOfDense(int tree, ReadOnlySpan<float> features)
    {
        int nodeBase = NodeStart[tree];
        if (NodeStart[tree + 1] == nodeBase)
            return 0;
        int node = 0;
        while (node >= 0)
        {
            int k = nodeBase + node;
            double v = features[SplitFeature[k]];
            if (!(Math.Abs(v) > ZeroThreshold || double.IsNaN(v)))
                v = 0.0; // LightGBM's dense-input rule (c_api.cpp RowPairFunctionFromDenseMatric)
            node = Decide(k, v);
        }
        return ~node;
    }

    private int LeafOfSparse(int tree, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        int nodeBase = NodeStart[tree];
        if (NodeStart[tree + 1] == nodeBase)
            return 0;
        int node = 0;
        while (node >= 0)
        {
            int k = nodeBase + node;
            int at = indices.BinarySearch(SplitFeature[k]);
            double v = at >= 0 ? values[at] : 0.0;
            node = Decide(k, v);
        }
        return ~node;
    }

    private int Decide(int k, double value)
    {
        byte decision = DecisionType[k];
        int missingType = (decision >> 2) & 3;
        if (double.IsNaN(value) && missingType != 2)
            value = 0.0;
        if ((missingType == 1 && value >= -ZeroThreshold && value <= ZeroThreshold) || (missingType == 2 && double.IsNaN(value)))
            return (decision & DefaultLeftMask) != 0 ? LeftChild[k] : RightChild[k];
        return value <= Threshold[k] ? LeftChild[k] : RightChild[k];
    }

    private void CheckDense(ReadOnlySpan<float> features)
    {
        if (features.Length != FeatureCount)
            throw new ArgumentException($"The row has {features.Length} features; the model was trained on {FeatureCount}.", nameof(features));
    }

    private void CheckTreeRange(int first, int count)
    {
        if (first < 0 || count < 0 || first + count > TreeCount)
            throw new ArgumentOutOfRangeException(nameof(first), $"Trees [{first}, {first + count}) are outside [0, {TreeCount}).");
    }

    private void Validate()
    {
        int trees = Shrinkage.Length;
        Check(FeatureCount >= 1, $"the feature count is {FeatureCount}");
        Check(FeatureNames.Length == FeatureCount && FeatureInfos.Length == FeatureCount, "feature names or infos do not match the feature count");
        Check(NodeStart.Length == trees + 1 && LeafStart.Length == trees + 1 && NodeStart[0] == 0 && LeafStart[0] == 0, "tree offsets are malformed");
        int nodes = NodeStart[trees], leaves = LeafStart[trees];
        Check(SplitFeature.Length == nodes && Threshold.Length == nodes && DecisionType.Length == nodes && LeftChild.Length == nodes
              && RightChild.Length == nodes && SplitGain.Length == nodes && InternalValue.Length == nodes && InternalWeight.Length == nodes
              && InternalCount.Length == nodes, "node arrays have different lengths");
        Check(LeafValue.Length == leaves && LeafWeight.Length == leaves && LeafCount.Length == leaves, "leaf arrays have different lengths");
        for (int t = 0; t < trees; t++)
        {
            int n = NodeStart[t + 1] - NodeStart[t], l = LeafStart[t + 1] - LeafStart[t];
            if (n < 0 || l != n + 1)
                Check(false, $"tree {t} has {n} splits and {l} leaves");
            for (int k = NodeStart[t]; k < NodeStart[t + 1]; k++)
            {
                CheckNode((uint)SplitFeature[k] < (uint)FeatureCount, t, "splits on feature", SplitFeature[k]);
                CheckNode((DecisionType[k] & 1) == 0, t, "has a categorical split (not supported), decision type", DecisionType[k]);
                CheckNode(((DecisionType[k] >> 2) & 3) <= 2, t, "has an unknown missing type, decision type", DecisionType[k]);
                int local = k - NodeStart[t];
                CheckNode(LeftChild[k] >= 0 ? LeftChild[k] < n && LeftChild[k] > local : ~LeftChild[k] < l, t, "has a child index out of range:", LeftChild[k]);
                CheckNode(RightChild[k] >= 0 ? RightChild[k] < n && RightChild[k] > local : ~RightChild[k] < l, t, "has a child index out of range:", RightChild[k]);
            }
        }
        for (int i = 0; i < leaves; i++)
        {
            if (!double.IsFinite(LeafValue[i]))
                Check(false, $"leaf value {LeafValue[i]} is not finite");
        }

        static void Check(bool ok, string problem)
        {
            if (!ok)
                throw new InvalidDataException($"The tree ensemble is invalid: {problem}.");
        }

        static void CheckNode(bool ok, int tree, string problem, int value)
        {
            if (!ok)
                throw new InvalidDataException($"The tree ensemble is invalid: tree {tree} {problem} {value}.");
        }
    }

    /// <summary>Scores or locates rows block by block (used by <see cref="ScoreAll"/> and the boosting loop).</summary>
    internal sealed class BlockScorer(TreeEnsemble model, int leafOfTree, int rows) : IRowBlockVisitor
    {
        /// <summary>Scores (leafOfTree &lt; 0) or leaf indices as doubles (leafOfTree = that tree).</summary>
        public double[] Scores { get; } = new double[rows];

        public bool Visit(in RowBlock block)
        {
            for (int r = 0; r < block.RowCount; r++)
            {
                double result;
                if (block.IsSparse)
                {
                    int from = block.RowOffsets[r], to = block.RowOffsets[r + 1];
                    var idx = block.Indices[from..to];
                    var val = block.Values[from..to];
                    result = leafOfTree >= 0 ? model.GetLeaf(leafOfTree, idx, val) : model.Score(idx, val);
                }
                else
                {
                    var row = block.Values.Slice(r * block.FeatureCount, block.FeatureCount);
                    result = leafOfTree >= 0 ? model.GetLeaf(leafOfTree, row) : model.Score(row);
                }
                Scores[block.StartRow + r] = result;
            }
            return true;
        }
    }
}
