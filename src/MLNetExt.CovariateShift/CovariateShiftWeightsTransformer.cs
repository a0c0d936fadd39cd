using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.CovariateShift.Mrc;
using MLNetExt.Data;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.CovariateShift.CovariateShiftWeightsTransformer))]

namespace MLNetExt.CovariateShift;

/// <summary>
/// Fitted covariate-shift weights: adds a Single weight column (default "Weight") for ML.NET trainers'
/// <c>exampleWeightColumnName</c>. Created by <see cref="CovariateShiftWeightsEstimator"/>; see it for the methods.
/// </summary>
/// <remarks>
/// Kernel methods: a row gets the weight of the fitted training row with the same feature values (matched by a 64-bit
/// hash of the values; duplicates of a row share the mean of their weights, which DW-KMM makes equal anyway). Any other
/// row is refused with an error naming it, or gets NaN (<see cref="UnseenRows"/>): kernel mean matching defines no
/// weight outside the fitted rows, and inference data never needs one. The weight is computed only when the column is
/// read, so a fitted pipeline whose trainer read the weights scores new data without touching it. Domain classifier:
/// the weight is the clipped density ratio at the row's features, for any row.
/// </remarks>
public sealed class CovariateShiftWeightsTransformer : RowToRowTransformer, IPersistentComponent<CovariateShiftWeightsTransformer>
{
    private readonly ulong[] _hashes;      // sorted, unique (kernel methods)
    private readonly float[] _hashWeights; // aligned with _hashes
    private readonly double[] _trainingWeights;
    private readonly double[] _targetWeights;
    private readonly DomainClassifierRatio? _ratio;

    private CovariateShiftWeightsTransformer(CovariateShiftWeightingMethod method, string featureColumnName, string outputColumnName,
        int featureCount, UnseenRowPolicy unseenRows, double collapseThreshold, ulong[] hashes, float[] hashWeights, double[] trainingWeights,
        double[] targetWeights, double d, double kernelBandwidth, int kernelRank, double objective, DomainClassifierRatio? ratio)
    {
        Method = method;
        FeatureColumnName = featureColumnName;
        OutputColumnName = outputColumnName;
        FeatureCount = featureCount;
        UnseenRows = unseenRows;
        CollapseThreshold = collapseThreshold;
        _hashes = hashes;
        _hashWeights = hashWeights;
        _trainingWeights = trainingWeights;
        _targetWeights = targetWeights;
        D = d;
        KernelBandwidth = kernelBandwidth;
        KernelRank = kernelRank;
        Objective = objective;
        _ratio = ratio;
        EffectiveSampleSize = KernelWeighting.EffectiveSampleSize(trainingWeights);
        TargetEffectiveSampleSize = KernelWeighting.EffectiveSampleSize(targetWeights);
    }

    internal static CovariateShiftWeightsTransformer ForKernel(CovariateShiftWeightingMethod method, string featureColumnName, string outputColumnName,
        int featureCount, UnseenRowPolicy unseenRows, double collapseThreshold, ulong[] rowHashes, double[] beta, double[] alpha, double d,
        double kernelBandwidth, int kernelRank, double objective)
    {
        var (hashes, weights) = Index(rowHashes, beta);
        return new CovariateShiftWeightsTransformer(method, featureColumnName, outputColumnName, featureCount, unseenRows, collapseThreshold,
            hashes, weights, beta, alpha, d, kernelBandwidth, kernelRank, objective, null);
    }

    internal static CovariateShiftWeightsTransformer ForDomainClassifier(string featureColumnName, string outputColumnName, int featureCount,
        double collapseThreshold, DomainClassifierRatio ratio, double[] beta)
        => new(CovariateShiftWeightingMethod.DomainClassifier, featureColumnName, outputColumnName, featureCount, UnseenRowPolicy.Throw,
            collapseThreshold, [], [], beta, [], double.NaN, double.NaN, 0, double.NaN, ratio);

    /// <summary>Sorted unique hashes with the mean weight of the rows sharing each.</summary>
    private static (ulong[] Hashes, float[] Weights) Index(ulong[] rowHashes, double[] beta)
    {
        var order = Enumerable.Range(0, rowHashes.Length).ToArray();
        var keys = (ulong[])rowHashes.Clone();
        Array.Sort(keys, order);
        var hashes = new List<ulong>();
        var weights = new List<float>();
        for (int start = 0; start < keys.Length;)
        {
            int end = start;
            double sum = 0;
            while (end < keys.Length && keys[end] == keys[start])
                sum += beta[order[end++]];
            hashes.Add(keys[start]);
            weights.Add((float)(sum / (end - start)));
            start = end;
        }
        return (hashes.ToArray(), weights.ToArray());
    }

    /// <summary>How the weights were computed.</summary>
    public CovariateShiftWeightingMethod Method { get; }

    /// <summary>The feature column read.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The weight column written.</summary>
    public string OutputColumnName { get; }

    /// <summary>The length of the feature vector.</summary>
    public int FeatureCount { get; }

    /// <summary>What a row that is not a fitted training row gets (kernel methods; the domain classifier weights every row).</summary>
    public UnseenRowPolicy UnseenRows { get; }

    /// <summary>The weight of each fitted training row, in the order read.</summary>
    public IReadOnlyList<double> TrainingWeights => _trainingWeights;

    /// <summary>The weight alpha of each target row, in the order read: all 1 for kernel mean matching; empty for the domain classifier.</summary>
    public IReadOnlyList<double> TargetWeights => _targetWeights;

    /// <summary>The D used (1 for kernel mean matching; NaN for the domain classifier).</summary>
    public double D { get; }

    /// <summary>The RBF kernel width (NaN for the domain classifier).</summary>
    public double KernelBandwidth { get; }

    /// <summary>The rank of the kernel: the pooled row count when exact, the Nystrom rank otherwise (0 for the domain classifier).</summary>
    public int KernelRank { get; }

    /// <summary>The squared RKHS distance between the weighted kernel mean embeddings at the solution (NaN for the domain classifier).</summary>
    public double Objective { get; }

    /// <summary>(sum beta)^2 / sum beta^2 over the training rows.</summary>
    public double EffectiveSampleSize { get; }

    /// <summary>(sum alpha)^2 / sum alpha^2 over the target rows (0 for the domain classifier).</summary>
    public double TargetEffectiveSampleSize { get; }

    /// <summary>The fraction of training rows below which <see cref="EffectiveSampleSize"/> counts as collapsed.</summary>
    public double CollapseThreshold { get; }

    /// <summary>Whether the effective sample size fell below <see cref="CollapseThreshold"/> of the training rows.</summary>
    public bool HasCollapsed => EffectiveSampleSize < CollapseThreshold * _trainingWeights.Length;

    private protected override RowMapper CreateMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    private sealed class Mapper : RowMapper
    {
        private readonly CovariateShiftWeightsTransformer _parent;
        private readonly DataViewSchema.Column _features;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public Mapper(CovariateShiftWeightsTransformer parent, DataViewSchema inputSchema) : base(inputSchema)
        {
            _parent = parent;
            _features = SchemaChecks.Find(inputSchema, parent.FeatureColumnName, "feature");
            if (_features.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Size != parent.FeatureCount)
            {
                throw SchemaChecks.Mismatch("feature", parent.FeatureColumnName,
                    $"Vector<Single, {parent.FeatureCount}> (the size the weights were fitted on)", _features.Type);
            }
            _outputs = [new DataViewSchema.DetachedColumn(parent.OutputColumnName, NumberDataViewType.Single)];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
            => isOutputActive(0) ? [_features] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            if (!isOutputActive(0))
                return [null];
            var getter = input.GetGetter<VBuffer<float>>(_features);
            var parent = _parent;
            var features = default(VBuffer<float>);
            var dense = new float[parent.FeatureCount];
            var buffer = new float[parent.FeatureCount];
            ValueGetter<float> weight = (ref float value) =>
            {
                getter(ref features);
                if (features.Length != parent.FeatureCount)
                {
                    throw new InvalidOperationException($"Feature column '{parent.FeatureColumnName}' holds {features.Length} values at row " +
                        $"{input.Position}; the weights were fitted on {parent.FeatureCount}.");
                }
                features.CopyTo(dense);
                value = (float)parent.WeightOf(dense, buffer, input.Position);
            };
            return [weight];
        }
    }

    /// <summary>The weight of one dense row.</summary>
    internal double WeightOf(ReadOnlySpan<float> row, Span<float> buffer, long position)
    {
        if (_ratio is not null)
            return _ratio.Weight(row);
        ulong hash = RowHash.Compute(row, buffer);
        int index = Array.BinarySearch(_hashes, hash);
        if (index >= 0)
            return _hashWeights[index];
        if (UnseenRows == UnseenRowPolicy.Missing)
            return double.NaN;
        throw new InvalidOperationException(
            $"Row {position}: its features in column '{FeatureColumnName}' are not those of any of the {_trainingWeights.Length} training rows the " +
            $"{Method} weights were fitted on, and these weights exist only for those rows. Apply the transformer to the data it was fitted on, or " +
            $"set UnseenRows = Missing to get NaN for other rows.");
    }

    // Version 1: method, columns, feature count, policy, collapse threshold, weights, D, width, rank, objective, then the
    // row index (kernel methods) or the ratio model (domain classifier).
    private static readonly ComponentFormat Format = new("MLNetExt.CovariateShift.CovariateShiftWeights", 1);

    static ComponentFormat IPersistentComponent<CovariateShiftWeightsTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        writer.WriteEnum(Method);
        writer.Write(FeatureColumnName);
        writer.Write(OutputColumnName);
        writer.Write(FeatureCount);
        writer.WriteEnum(UnseenRows);
        writer.Write(CollapseThreshold);
        writer.Write(_trainingWeights);
        writer.Write(_targetWeights);
        writer.Write(D);
        writer.Write(KernelBandwidth);
        writer.Write(KernelRank);
        writer.Write(Objective);
        if (_ratio is null)
        {
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, long>(_hashes.AsSpan()));
            writer.Write(_hashWeights);
        }
        else
        {
            writer.Write(_ratio.Mean);
            writer.Write(_ratio.Scale);
            writer.Write(_ratio.Weights);
            writer.Write(_ratio.Intercept);
            writer.Write(_ratio.Prior);
            writer.Write(_ratio.Cap);
            writer.Write(_ratio.Normalizer);
        }
    }

    static CovariateShiftWeightsTransformer IPersistentComponent<CovariateShiftWeightsTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        var method = reader.ReadEnum<CovariateShiftWeightingMethod>("the weighting method");
        string features = reader.ReadNonEmptyString("the feature column name");
        string output = reader.ReadNonEmptyString("the output column name");
        int count = reader.ReadInt32("the feature count", 1, int.MaxValue);
        var policy = reader.ReadEnum<UnseenRowPolicy>("the unseen-row policy");
        double threshold = reader.ReadFiniteDouble("the collapse threshold");
        var beta = reader.ReadDoubleArray("the training weights");
        var alpha = reader.ReadDoubleArray("the target weights");
        double d = reader.ReadDouble();
        double width = reader.ReadDouble();
        int rank = reader.ReadInt32("the kernel rank", 0, int.MaxValue);
        double objective = reader.ReadDouble();
        reader.Check(beta.Length > 0, "there are no training weights");
        if (method != CovariateShiftWeightingMethod.DomainClassifier)
        {
            var hashes = reader.ReadInt64Array("the row hashes");
            var weights = reader.ReadSingleArray("the row weights");
            reader.Check(hashes.Length == weights.Length && hashes.Length > 0 && hashes.Length <= beta.Length, "the row index does not match the weights");
            var unsigned = System.Runtime.InteropServices.MemoryMarshal.Cast<long, ulong>(hashes.AsSpan()).ToArray();
            for (int i = 1; i < unsigned.Length; i++)
                reader.Check(unsigned[i - 1] < unsigned[i], "the row index is not sorted");
            return new CovariateShiftWeightsTransformer(method, features, output, count, policy, threshold, unsigned, weights, beta, alpha, d, width,
                rank, objective, null);
        }
        var mean = reader.ReadDoubleArray("the feature means");
        var scale = reader.ReadDoubleArray("the feature scales");
        var coefficients = reader.ReadDoubleArray("the domain classifier's weights");
        double intercept = reader.ReadFiniteDouble("the domain classifier's intercept");
        double prior = reader.ReadFiniteDouble("the prior ratio");
        double cap = reader.ReadFiniteDouble("the weight cap");
        double normalizer = reader.ReadFiniteDouble("the normalizer");
        reader.Check(mean.Length == count && scale.Length == count && coefficients.Length == count && prior > 0 && cap > 0 && normalizer > 0,
            "the domain classifier does not match the feature count");
        return new CovariateShiftWeightsTransformer(method, features, output, count, policy, threshold, [], [], beta, alpha, d, width, rank, objective,
            new DomainClassifierRatio(mean, scale, coefficients, intercept, prior, cap, normalizer));
    }
}
