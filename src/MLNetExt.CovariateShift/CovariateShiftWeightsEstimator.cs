using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.CovariateShift.Kernels;
using MLNetExt.CovariateShift.Mrc;
using MLNetExt.CovariateShift.Weights;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;
using MLNetExt.Numerics;

namespace MLNetExt.CovariateShift;

/// <summary>How <see cref="CovariateShiftWeightsEstimator"/> computes the weights.</summary>
public enum CovariateShiftWeightingMethod
{
    /// <summary>Kernel mean matching (Huang et al. 2007, in the spec's form: DW-KMM with D = 1, target weights fixed at 1):
    /// training weights beta in [0, B] whose weighted kernel mean embedding matches the target sample's.</summary>
    KernelMeanMatching = 0,

    /// <summary>Double-weighting KMM (Segovia-Martín et al. 2023) with the given D (or D chosen along a grid by the DW-GCS
    /// bound when a label column is named): training weights beta and target weights alpha are matched together.</summary>
    DoubleWeighting = 1,

    /// <summary>A density ratio from a domain classifier: logistic regression of "target" against "training" on the
    /// standardized features, weight = (n / t) P(target | x) / P(training | x), clipped at <c>MaximumWeight</c>,
    /// then scaled to mean 1 over the training rows. Defined for every row, seen or not.</summary>
    DomainClassifier = 2,
}

/// <summary>What the weights transformer writes for a row that was not among the training rows it was fitted on.</summary>
public enum UnseenRowPolicy
{
    /// <summary>Reading the weight of such a row throws (the weight is computed only when it is read: a fitted
    /// pipeline that does not read it scores new data without error).</summary>
    Throw = 0,

    /// <summary>Such a row gets NaN (missing), never a made-up weight.</summary>
    Missing = 1,
}

/// <summary>
/// Fits importance weights for covariate shift: given the training rows (the data <c>Fit</c> sees) and unlabelled
/// rows of the deployment distribution (<c>targetData</c>, given when the estimator is created), it computes a weight per
/// training row so that the weighted training sample resembles the target sample, and adds it as a Single column
/// (default "Weight") that any ML.NET trainer reads through <c>exampleWeightColumnName</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Learns from data</term><description>yes: the training rows' features and the target data's features</description></item>
/// <item><term>Input</term><description>features: known-size vector of Single, finite, the same size in both data sets</description></item>
/// <item><term>Output</term><description>Single weight column (default "Weight")</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt.CovariateShift / none</description></item>
/// <item><term>Deterministic</term><description>yes, given the seed</description></item>
/// </list>
/// <para>Kernel methods (<see cref="CovariateShiftWeightingMethod.KernelMeanMatching"/>,
/// <see cref="CovariateShiftWeightingMethod.DoubleWeighting"/>) solve DW-KMM (spec §1.4) over the pooled standardized
/// features with an RBF kernel (width: MRCpy's rule or given), exactly up to <c>ExactKernelMaximumRows</c> pooled rows
/// and with a Nystrom kernel of rank <c>NystromRank</c> above, by accelerated projected gradient with exact
/// projections. Their weights exist only for the fitted training rows: the transformer recognizes a row by a 64-bit
/// hash of its feature values and writes that row's weight; any other row is refused or gets NaN
/// (<c>UnseenRows</c>), so new data is never silently weighted. Place the transformer where it sees the same features
/// as when it was fitted (or use it directly: <c>Fit(train).Transform(train)</c>). The domain-classifier method defines
/// a weight for every row.</para>
/// <para>The transformer reports the weights of the fitted rows, the target weights alpha, the effective sample size
/// (sum w)^2 / sum w^2 of the training weights, and whether it collapsed below <c>CollapseThreshold</c> of the training
/// rows (also a warning on the MLContext log): weights that concentrate on a few rows make any weighted fit noisy.</para>
/// </remarks>
public sealed class CovariateShiftWeightsEstimator : IEstimator<CovariateShiftWeightsTransformer>
{
    internal const string ComponentName = "CovariateShiftWeights";
    private readonly IHostEnvironment _env;
    private readonly IDataView _target;
    private readonly Options _options;
    private readonly int _seed;

    /// <summary>Options of <see cref="CovariateShiftWeightsEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>The feature column (known-size vector of Single), in the training and the target data.</summary>
        /// <value>Default "Features".</value>
        public string FeatureColumnName = "Features";

        /// <summary>The weight column written.</summary>
        /// <value>Default "Weight".</value>
        public string OutputColumnName = "Weight";

        /// <summary>How the weights are computed.</summary>
        /// <value>Default <see cref="CovariateShiftWeightingMethod.DoubleWeighting"/>.</value>
        public CovariateShiftWeightingMethod Method = CovariateShiftWeightsDefaults.Method;

        /// <summary>D of the double-weighting method (ignored by the others): training weights at most B / sqrt(D), target
        /// weights within (1 - 1/sqrt(D)) sqrt(t) of 1.</summary>
        /// <value>Range [1, inf]. Default 4, as MRCpy's DWGCS.</value>
        public double D = CovariateShiftWeightsDefaults.D;

        /// <summary>Double weighting only: the values of D to choose from by the DW-GCS bound (0-1 loss, linear features
        /// with an intercept), which needs <see cref="LabelColumnName"/>.</summary>
        /// <value>Default null: use <see cref="D"/>.</value>
        public double[]? DCandidates;

        /// <summary>The label column (Boolean or key) used to choose D among <see cref="DCandidates"/>.</summary>
        /// <value>Default null.</value>
        public string? LabelColumnName;

        /// <summary>B: training weights are at most B / sqrt(D) (B for kernel mean matching).</summary>
        /// <value>Range [sqrt(D), inf). Default 1000, as MRCpy.</value>
        public double WeightBound = CovariateShiftWeightsDefaults.WeightBound;

        /// <summary>The RBF kernel width sigma on the standardized features.</summary>
        /// <value>Default null: the mean distance to the 50th nearest neighbour over the pooled rows (MRCpy's rule).</value>
        public double? KernelBandwidth;

        /// <summary>Whether the kernel (and the domain classifier) sees the features standardized over the pooled rows.</summary>
        /// <value>Default true.</value>
        public bool StandardizeKernelFeatures = true;

        /// <summary>Up to this many training + target rows the kernel is exact; above, Nystrom of rank <see cref="NystromRank"/>.</summary>
        /// <value>Range [2, 20000]. Default 1000 (see the trainer's option of the same name).</value>
        public int ExactKernelMaximumRows = DoubleWeightingDefaults.ExactKernelMaximumRows;

        /// <summary>The number of Nystrom landmarks.</summary>
        /// <value>Range [8, 4096]. Default 256.</value>
        public int NystromRank = DoubleWeightingDefaults.NystromRank;

        /// <summary>Relative tolerance of the weight problem's solver.</summary>
        /// <value>Range (0, 0.1]. Default 1e-5 (see the trainer's option of the same name).</value>
        public double WeightTolerance = DoubleWeightingDefaults.WeightTolerance;

        /// <summary>Iteration limit of the weight problem's solver.</summary>
        /// <value>Range [1, inf). Default 5000.</value>
        public int WeightMaximumIterations = DoubleWeightingDefaults.WeightMaximumIterations;

        /// <summary>Domain classifier only: the L2 penalty of the logistic regression (intercept not penalized).</summary>
        /// <value>Range [0, inf). Default 1, as scikit-learn's C = 1.</value>
        public double DomainClassifierL2 = CovariateShiftWeightsDefaults.DomainClassifierL2;

        /// <summary>Domain classifier only: the density ratio is clipped at this value before the weights are scaled to mean 1.</summary>
        /// <value>Range (0, inf). Default 1000, the same cap as kernel mean matching's B.</value>
        public double MaximumWeight = CovariateShiftWeightsDefaults.MaximumWeight;

        /// <summary>What a row that is not a fitted training row gets (kernel methods).</summary>
        /// <value>Default <see cref="UnseenRowPolicy.Throw"/>.</value>
        public UnseenRowPolicy UnseenRows = UnseenRowPolicy.Throw;

        /// <summary>The weights have collapsed when their effective sample size is below this fraction of the training rows.</summary>
        /// <value>Range [0, 1]. Default 0.1, our choice.</value>
        public double CollapseThreshold = CovariateShiftWeightsDefaults.CollapseThreshold;

        /// <summary>The seed of the Nystrom landmarks and of the bandwidth rule's sample above 5,000 rows.</summary>
        /// <value>Default null: drawn from the MLContext when the estimator is created.</value>
        public int? Seed;

        internal void Validate()
        {
            Guard.ColumnName(FeatureColumnName, nameof(FeatureColumnName));
            Guard.ColumnName(OutputColumnName, nameof(OutputColumnName));
            Guard.Option(Enum.IsDefined(Method), nameof(Method), $"must be KernelMeanMatching, DoubleWeighting or DomainClassifier; got {Method}.");
            Guard.Option(D >= 1, nameof(D), $"must be at least 1 (infinity allowed); got {D}.");
            Guard.Option(DCandidates is null || (DCandidates.Length > 0 && DCandidates.All(d => d >= 1)), nameof(DCandidates),
                $"must be null or a non-empty list of values >= 1; got [{string.Join(", ", DCandidates ?? [])}].");
            Guard.Option(DCandidates is null || LabelColumnName is not null, nameof(LabelColumnName),
                "must name the label column when DCandidates is set: D is chosen by the DW-GCS bound, which needs labels.");
            Guard.Option(DCandidates is null || Method == CovariateShiftWeightingMethod.DoubleWeighting, nameof(DCandidates),
                $"applies to the DoubleWeighting method only; got Method = {Method}.");
            Guard.Option(LabelColumnName is null || !string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), "must be null or a column name.");
            WeightProblemOptions.Check(WeightBound, DCandidates ?? [Method == CovariateShiftWeightingMethod.DoubleWeighting ? D : 1], KernelBandwidth,
                ExactKernelMaximumRows, NystromRank, WeightTolerance, WeightMaximumIterations);
            Guard.Option(DomainClassifierL2 >= 0 && double.IsFinite(DomainClassifierL2), nameof(DomainClassifierL2), $"must be finite and >= 0; got {DomainClassifierL2}.");
            Guard.Option(MaximumWeight > 0 && double.IsFinite(MaximumWeight), nameof(MaximumWeight), $"must be finite and above 0; got {MaximumWeight}.");
            Guard.Option(Enum.IsDefined(UnseenRows), nameof(UnseenRows), $"must be Throw or Missing; got {UnseenRows}.");
            Guard.Option(CollapseThreshold is >= 0 and <= 1, nameof(CollapseThreshold), $"must be in [0, 1]; got {CollapseThreshold}.");
        }

        internal Options Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.DCandidates = DCandidates is null ? null : (double[])DCandidates.Clone();
            return copy;
        }
    }

    internal CovariateShiftWeightsEstimator(IHostEnvironment env, IDataView targetData, Options options)
    {
        _env = Guard.NotNull(env, nameof(env));
        Guard.NotNull(options, nameof(options));
        _options = options.Clone();
        _options.Validate();
        _target = DoubleWeightingTraining.CheckTarget(targetData, _options.FeatureColumnName);
        _seed = SeedResolver.Resolve(env, _options.Seed, ComponentName);
    }

    /// <summary>The seed this estimator uses.</summary>
    public int Seed => _seed;

    /// <summary>The input schema plus the weight column; checks the feature column.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        var features = SchemaChecks.Find(inputSchema, _options.FeatureColumnName, "feature");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single || features.IsKey)
            throw SchemaChecks.Mismatch("feature", _options.FeatureColumnName, "a known-size vector of Single", SchemaChecks.Describe(features));
        var output = MLNetBridge.MakeColumn(_options.OutputColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
        return new SchemaShape(inputSchema.Where(c => c.Name != _options.OutputColumnName).Append(output));
    }

    /// <summary>Fits the weights of the rows of <paramref name="input"/> (the training data).</summary>
    public CovariateShiftWeightsTransformer Fit(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        var o = _options;
        using var channel = new ComponentChannel(_env, ComponentName, "Fit");
        var reader = new DataViewColumnReader(input, ComponentName);
        var features = reader.AddVector(o.FeatureColumnName, "feature", ValueRule.Finite);
        var label = o.DCandidates is null ? null : LabelReader.Add(reader, o.LabelColumnName!);
        int n = reader.Read(channel);
        int d = features.Size;
        var (target, t) = DoubleWeightingTraining.ReadTarget(_target, o.FeatureColumnName, d, ComponentName, channel);

        CovariateShiftWeightsTransformer result;
        if (o.Method == CovariateShiftWeightingMethod.DomainClassifier)
            result = FitDomainClassifier(features.Values, n, target, t, d, channel);
        else
            result = FitKernel(features.Values, n, target, t, d, label, channel);
        channel.Info($"{o.Method} weights: effective sample size {result.EffectiveSampleSize:0.0} of {n} training rows " +
            $"(min {result.TrainingWeights.Min():G4}, max {result.TrainingWeights.Max():G4}).");
        if (result.HasCollapsed)
        {
            channel.Warning($"The weights have collapsed: their effective sample size is {result.EffectiveSampleSize:0.0} of {n} training rows " +
                $"(below {o.CollapseThreshold:P0}). A weighted fit will rest on a few rows; the training and target samples may barely overlap.");
        }
        return result;
    }

    private CovariateShiftWeightsTransformer FitKernel(float[] train, int n, float[] target, int t, int d, LabelReader? label, ComponentChannel channel)
    {
        var o = _options;
        var settings = new KernelSettings(o.KernelBandwidth, o.StandardizeKernelFeatures, o.ExactKernelMaximumRows, o.NystromRank, o.WeightBound,
            o.WeightTolerance, o.WeightMaximumIterations);
        KmmSolution solution;
        PairKernel kernel;
        if (o.DCandidates is not null)
        {
            var (labels, classes) = label!.Labels(o.LabelColumnName!, ComponentName);
            var classifier = new ClassifierSettings(MinimaxRiskLoss.ZeroOne, FeatureMapKind.Linear, true, 2, null, o.DCandidates,
                0, DoubleWeightingDefaults.SolverTolerance, DoubleWeightingDefaults.SolverMaximumIterations);
            var fit = DoubleWeightingFitter.Fit(train, n, labels, classes, target, t, d, settings, classifier, _seed, channel);
            solution = fit.Best.Weights;
            kernel = fit.Kernel;
            channel.Info($"D = {solution.D:G5} chosen among {fit.Candidates.Length} by the smallest DW-GCS bound ({fit.Best.Classifier.Bound:0.######}).");
        }
        else
        {
            kernel = KernelWeighting.Build(train, n, target, t, d, settings, _seed, channel);
            var kmm = new DoubleWeightingKmm(kernel.Operator, n, t, o.WeightBound, o.WeightTolerance, o.WeightMaximumIterations);
            double dValue = o.Method == CovariateShiftWeightingMethod.KernelMeanMatching ? 1 : o.D;
            solution = kmm.Solve(dValue, null, channel);
            if (!solution.Converged)
            {
                channel.Warning($"DW-KMM stopped at its iteration limit ({solution.Iterations}) before reaching its tolerance; the weights are " +
                    "usable but not optimal. Raise WeightMaximumIterations.");
            }
        }
        var hashes = new ulong[n];
        var buffer = new float[d];
        for (int i = 0; i < n; i++)
            hashes[i] = RowHash.Compute(train.AsSpan(i * d, d), buffer);
        return CovariateShiftWeightsTransformer.ForKernel(o.Method, o.FeatureColumnName, o.OutputColumnName, d, o.UnseenRows, o.CollapseThreshold,
            hashes, solution.Beta, solution.Alpha, solution.D, kernel.Bandwidth, kernel.Operator.Rank, solution.Objective);
    }

    private CovariateShiftWeightsTransformer FitDomainClassifier(float[] train, int n, float[] target, int t, int d, ComponentChannel channel)
    {
        var o = _options;
        var scaling = o.StandardizeKernelFeatures ? FeatureScaling.FromPooled(train, n, target, t, d) : FeatureScaling.Identity(d);
        var features = new double[(long)(n + t) * d];
        var labels = new bool[n + t];
        for (int i = 0; i < n + t; i++)
        {
            var row = i < n ? train.AsSpan(i * d, d) : target.AsSpan((i - n) * d, d);
            for (int j = 0; j < d; j++)
                features[(long)i * d + j] = (row[j] - scaling.Mean[j]) * scaling.Scale[j];
            labels[i] = i >= n;
        }
        var fit = LogisticRegressionFitter.Fit(features, d, labels, o.DomainClassifierL2);
        if (!fit.Converged)
            channel.Warning($"The domain classifier's Newton iterations stopped after {fit.Iterations} without converging; the two samples may be separable. Raise DomainClassifierL2.");
        var model = new DomainClassifierRatio(scaling.Mean, scaling.Scale, fit.Weights, fit.Intercept, (double)n / t, o.MaximumWeight, 1);
        var raw = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += raw[i] = model.Weight(train.AsSpan(i * d, d));
        var normalized = model with { Normalizer = sum / n };
        var beta = new double[n];
        for (int i = 0; i < n; i++)
            beta[i] = normalized.Weight(train.AsSpan(i * d, d));
        return CovariateShiftWeightsTransformer.ForDomainClassifier(o.FeatureColumnName, o.OutputColumnName, d, o.CollapseThreshold, normalized, beta);
    }
}

/// <summary>Defaults of <see cref="CovariateShiftWeightsEstimator.Options"/> and the simple catalog overload.</summary>
internal static class CovariateShiftWeightsDefaults
{
    public const CovariateShiftWeightingMethod Method = CovariateShiftWeightingMethod.DoubleWeighting;
    public const double D = 4;
    public const double WeightBound = 1000;
    public const double DomainClassifierL2 = 1;
    public const double MaximumWeight = 1000;
    public const double CollapseThreshold = 0.1;
}

/// <summary>A Boolean or key label read as class indices.</summary>
internal sealed class LabelReader
{
    private readonly BooleanColumn? _boolean;
    private readonly ClassLabelColumn? _key;

    private LabelReader(BooleanColumn? boolean, ClassLabelColumn? key)
    {
        _boolean = boolean;
        _key = key;
    }

    public static LabelReader Add(DataViewColumnReader reader, string column)
    {
        var type = SchemaChecks.Find(reader.Schema, column, "label").Type;
        return type is BooleanDataViewType
            ? new LabelReader(reader.AddBoolean(column, "label"), null)
            : type is KeyDataViewType
                ? new LabelReader(null, reader.AddClassLabel(column, "label", null))
                : throw SchemaChecks.Mismatch("label", column, "Boolean or a key type", type);
    }

    public (int[] Labels, int Classes) Labels(string column, string component)
    {
        int[] labels = _boolean is not null ? _boolean.Values.Select(b => b ? 1 : 0).ToArray() : _key!.Values;
        int classes = _boolean is not null ? 2 : _key!.ClassCount;
        if (labels.Distinct().Count() < 2)
            throw new InvalidOperationException($"Label column '{column}' has a single class in all {labels.Length} training row(s); {component} needs two to choose D.");
        return (labels, classes);
    }
}

/// <summary>A 64-bit hash of a row's feature values (XxHash64 of the float bits, -0 read as +0).</summary>
internal static class RowHash
{
    public static ulong Compute(ReadOnlySpan<float> values, Span<float> buffer)
    {
        for (int j = 0; j < values.Length; j++)
            buffer[j] = values[j] == 0 ? 0f : values[j];
        return System.IO.Hashing.XxHash64.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(buffer[..values.Length]));
    }
}

/// <summary>The domain-classifier weight of a row: min((n / t) exp(w . z + c), cap) / normalizer, z standardized.</summary>
internal sealed record DomainClassifierRatio(double[] Mean, double[] Scale, double[] Weights, double Intercept, double Prior, double Cap, double Normalizer)
{
    public double Weight(ReadOnlySpan<float> x)
    {
        double s = Intercept;
        for (int j = 0; j < x.Length; j++)
            s += Weights[j] * (x[j] - Mean[j]) * Scale[j];
        double ratio = Prior * Math.Exp(Math.Min(s, 700));
        return Math.Min(ratio, Cap) / Normalizer;
    }
}
