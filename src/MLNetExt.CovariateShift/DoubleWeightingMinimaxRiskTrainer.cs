using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.CovariateShift.Mrc;
using MLNetExt.Data;
using MLNetExt.Training;

namespace MLNetExt.CovariateShift;

/// <summary>
/// The options of the DW-GCS trainers (<see cref="DoubleWeightingMinimaxRiskBinaryTrainer.Options"/>,
/// <see cref="DoubleWeightingMinimaxRiskMulticlassTrainer.Options"/>): the columns and seed of every MLNetExt trainer,
/// the loss and feature map of the minimax risk classifier, D (or the grid it is chosen from), and the kernel and
/// solver settings of the weights.
/// </summary>
public abstract class DoubleWeightingMinimaxRiskOptionsBase : TrainerOptionsBase
{
    private protected DoubleWeightingMinimaxRiskOptionsBase()
    {
    }

    /// <summary>The loss whose worst case is minimized.</summary>
    /// <value>Default <see cref="MinimaxRiskLoss.ZeroOne"/>, as MRCpy's DWGCS and the paper's experiments.</value>
    public MinimaxRiskLoss Loss = DoubleWeightingDefaults.Loss;

    /// <summary>The base features psi(x) of the classifier.</summary>
    /// <value>Default <see cref="FeatureMapKind.Linear"/>, as MRCpy's DWGCS and the paper's experiments. Random Fourier features
    /// expect standardized features, as MRCpy's do.</value>
    public FeatureMapKind FeatureMap = DoubleWeightingDefaults.FeatureMap;

    /// <summary>Whether psi(x) starts with a constant 1 (a per-class intercept).</summary>
    /// <value>Default true, our choice (MRCpy's DWGCS defaults to false and the paper's scripts use false): without it a linear
    /// rule passes through the origin of the features, which loses on imbalanced classes (the bench's protocol table was
    /// measured with it).</value>
    public bool FitIntercept = DoubleWeightingDefaults.FitIntercept;

    /// <summary>The number of random Fourier features (half as many frequencies, a cosine and a sine each; not the double-weighting D).</summary>
    /// <value>Range [2, 100000], even. Default 600, as MRCpy's <c>RandomFourierPhi</c>.</value>
    public int RandomFourierComponents = DoubleWeightingDefaults.RandomFourierComponents;

    /// <summary>The width sigma of the random Fourier features' Gaussian kernel (W ~ Normal(0, 1/sigma^2)).</summary>
    /// <value>Range (0, inf). Default null: MRCpy's 'scale' rule sqrt(d var(X) / 2), the variance over every entry of the
    /// training features.</value>
    public double? RandomFourierBandwidth;

    /// <summary>The double-weighting parameter D &gt;= 1 (1: only training weights, classic KMM; infinity: only target
    /// weights); the estimation error shrinks as 1/sqrt(D n) while the target weights may fall below 1.</summary>
    /// <value>Range [1, inf]. Default null: each value of <see cref="DCandidates"/> is fitted and the one with the smallest
    /// bound is kept (the paper's rule).</value>
    public double? D;

    /// <summary>The values of D tried when <see cref="D"/> is null.</summary>
    /// <value>Default null: the paper's grid D = 1 / (1 - l)^2, l = 0, 0.1, ..., 0.9 (1 to 100).</value>
    public double[]? DCandidates;

    /// <summary>B: training weights are at most B / sqrt(D).</summary>
    /// <value>Range [sqrt(D), inf). Default 1000, as MRCpy and the paper.</value>
    public double WeightBound = DoubleWeightingDefaults.WeightBound;

    /// <summary>The width sigma of the RBF kernel of the weight problem, on the standardized features.</summary>
    /// <value>Range (0, inf). Default null: the mean distance to the 50th nearest neighbour over the pooled training and
    /// target rows (MRCpy's rule).</value>
    public double? KernelBandwidth;

    /// <summary>Whether the kernel sees the features centred and scaled by the pooled training and target rows.</summary>
    /// <value>Default true (the paper z-scores the data first). Only the weight problem uses this; the classifier reads the
    /// features as given.</value>
    public bool StandardizeKernelFeatures = DoubleWeightingDefaults.StandardizeKernelFeatures;

    /// <summary>Up to this many training + target rows the weight problem uses the exact kernel matrix; above it, a
    /// Nystrom approximation of rank <see cref="NystromRank"/>.</summary>
    /// <value>Range [2, 20000]. Default 1000, our choice: the exact matrix costs (n + t)^2 per iteration, the Nystrom
    /// kernel 2 (n + t) r (bench suite 'covariateshift' measures both).</value>
    public int ExactKernelMaximumRows = DoubleWeightingDefaults.ExactKernelMaximumRows;

    /// <summary>The number of Nystrom landmarks (the rank of the approximate kernel, less when landmarks coincide).</summary>
    /// <value>Range [8, 4096]. Default 256, our choice (memory 4 (n + t) r bytes: 205 MB at 100,000 + 100,000 rows).</value>
    public int NystromRank = DoubleWeightingDefaults.NystromRank;

    /// <summary>
    /// Widens lambda by this many standard errors of tau: <c>lambda_k += s sd_k(beta_i Phi(x_i, y_i)) / sqrt(n)</c>. The
    /// reference (MRCpy, the paper) uses the smallest lambda that keeps the uncertainty set non-empty (s = 0), which
    /// ignores the sampling error of tau, so its bound does not always hold.
    /// </summary>
    /// <value>Range [0, inf). Default 0, as the reference.</value>
    public double ConfidenceScale = DoubleWeightingDefaults.ConfidenceScale;

    /// <summary>Relative tolerance of the weight problem's solver (decrease per iteration, 10 in a row).</summary>
    /// <value>Range (0, 0.1]. Default 1e-5, our choice: tighter values change the effective sample size of the weights by
    /// under 2% on the bench's synthetic 1,000 + 1,000 rows and cost up to twice the iterations.</value>
    public double WeightTolerance = DoubleWeightingDefaults.WeightTolerance;

    /// <summary>Iteration limit of the weight problem's solver, per D.</summary>
    /// <value>Range [1, inf). Default 5000, as the spec.</value>
    public int WeightMaximumIterations = DoubleWeightingDefaults.WeightMaximumIterations;

    /// <summary>Relative tolerance of the lambda and classifier solvers.</summary>
    /// <value>Range (0, 0.1]. Default 1e-7, our choice.</value>
    public double SolverTolerance = DoubleWeightingDefaults.SolverTolerance;

    /// <summary>Iteration limit of the lambda and classifier solvers, per smoothing stage.</summary>
    /// <value>Range [1, inf). Default 2000, our choice.</value>
    public int SolverMaximumIterations = DoubleWeightingDefaults.SolverMaximumIterations;

    internal override void Validate()
    {
        base.Validate();
        Guard.Option(ExampleWeightColumnName is null, nameof(ExampleWeightColumnName),
            $"must be null: DoubleWeightingMinimaxRisk computes its own training weights; got '{ExampleWeightColumnName}'.");
        Guard.Option(Enum.IsDefined(Loss), nameof(Loss), $"must be ZeroOne or Log; got {Loss}.");
        Guard.Option(Enum.IsDefined(FeatureMap), nameof(FeatureMap), $"must be Linear or RandomFourier; got {FeatureMap}.");
        Guard.Option(RandomFourierComponents is >= 2 and <= 100_000 && RandomFourierComponents % 2 == 0, nameof(RandomFourierComponents),
            $"must be an even number in [2, 100000]; got {RandomFourierComponents}.");
        Guard.Option(RandomFourierBandwidth is null || (RandomFourierBandwidth > 0 && double.IsFinite(RandomFourierBandwidth.Value)),
            nameof(RandomFourierBandwidth), $"must be null or a finite number above 0; got {RandomFourierBandwidth}.");
        Guard.Option(D is null || D >= 1, nameof(D), $"must be null or at least 1 (infinity allowed); got {D}.");
        Guard.Option(DCandidates is null || (DCandidates.Length > 0 && DCandidates.All(d => d >= 1)), nameof(DCandidates),
            $"must be null or a non-empty list of values >= 1; got [{string.Join(", ", DCandidates ?? [])}].");
        Guard.Option(D is null || DCandidates is null, nameof(DCandidates), "must be null when D is set.");
        WeightProblemOptions.Check(WeightBound, D is { } single ? [single] : DCandidates ?? KernelWeighting.PaperGrid(), KernelBandwidth,
            ExactKernelMaximumRows, NystromRank, WeightTolerance, WeightMaximumIterations);
        Guard.Option(ConfidenceScale >= 0 && double.IsFinite(ConfidenceScale), nameof(ConfidenceScale), $"must be finite and >= 0; got {ConfidenceScale}.");
        Guard.Option(SolverTolerance > 0 && SolverTolerance <= 0.1, nameof(SolverTolerance), $"must be in (0, 0.1]; got {SolverTolerance}.");
        Guard.Option(SolverMaximumIterations >= 1, nameof(SolverMaximumIterations), $"must be at least 1; got {SolverMaximumIterations}.");
    }

    internal override TrainerOptionsBase Clone()
    {
        var copy = (DoubleWeightingMinimaxRiskOptionsBase)base.Clone();
        copy.DCandidates = DCandidates is null ? null : (double[])DCandidates.Clone();
        return copy;
    }

    internal KernelSettings Kernel() => new(KernelBandwidth, StandardizeKernelFeatures, ExactKernelMaximumRows, NystromRank, WeightBound,
        WeightTolerance, WeightMaximumIterations);

    internal ClassifierSettings Classifier() => new(Loss, FeatureMap, FitIntercept, RandomFourierComponents, RandomFourierBandwidth,
        D is { } d ? [d] : DCandidates ?? KernelWeighting.PaperGrid(), ConfidenceScale, SolverTolerance, SolverMaximumIterations);
}

/// <summary>Default values of the DW-GCS options (and the simple catalog overloads).</summary>
internal static class DoubleWeightingDefaults
{
    public const MinimaxRiskLoss Loss = MinimaxRiskLoss.ZeroOne;
    public const FeatureMapKind FeatureMap = FeatureMapKind.Linear;
    public const bool FitIntercept = true;
    public const int RandomFourierComponents = 600;
    public const double WeightBound = 1000;
    public const bool StandardizeKernelFeatures = true;
    public const int ExactKernelMaximumRows = 1000;
    public const int NystromRank = 256;
    public const double ConfidenceScale = 0;
    public const double WeightTolerance = 1e-5;
    public const int WeightMaximumIterations = 5000;
    public const double SolverTolerance = 1e-7;
    public const int SolverMaximumIterations = 2000;
}

/// <summary>The checks of the weight-problem options that the weights estimator and the DW-GCS trainers share by name.</summary>
internal static class WeightProblemOptions
{
    /// <summary>
    /// Checks WeightBound (finite, >= 1 and >= sqrt(D) for every D to be solved, so weights of 1 are allowed),
    /// KernelBandwidth, ExactKernelMaximumRows, NystromRank, WeightTolerance and WeightMaximumIterations.
    /// </summary>
    public static void Check(double weightBound, IEnumerable<double> dValues, double? kernelBandwidth, int exactKernelMaximumRows,
        int nystromRank, double weightTolerance, int weightMaximumIterations)
    {
        Guard.Option(weightBound >= 1 && double.IsFinite(weightBound), "WeightBound", $"must be finite and at least 1; got {weightBound}.");
        foreach (double d in dValues)
        {
            Guard.Option(double.IsPositiveInfinity(d) || weightBound >= Math.Sqrt(d), "WeightBound",
                $"must be at least sqrt(D) so that weights of 1 are allowed; got {weightBound} for D = {d}.");
        }
        Guard.Option(kernelBandwidth is null || (kernelBandwidth > 0 && double.IsFinite(kernelBandwidth.Value)), "KernelBandwidth",
            $"must be null or a finite number above 0; got {kernelBandwidth}.");
        Guard.Option(exactKernelMaximumRows is >= 2 and <= 20_000, "ExactKernelMaximumRows", $"must be in [2, 20000]; got {exactKernelMaximumRows}.");
        Guard.Option(nystromRank is >= 8 and <= 4096, "NystromRank", $"must be in [8, 4096]; got {nystromRank}.");
        Guard.Option(weightTolerance > 0 && weightTolerance <= 0.1, "WeightTolerance", $"must be in (0, 0.1]; got {weightTolerance}.");
        Guard.Option(weightMaximumIterations >= 1, "WeightMaximumIterations", $"must be at least 1; got {weightMaximumIterations}.");
    }
}

/// <summary>
/// Double-weighting for general covariate shift (DW-GCS) as a binary classifier: learns from labelled training rows and
/// unlabelled rows of the deployment ("target") distribution, given when the trainer is created.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Task</term><description>binary classification (Boolean label); Score = margin v_1 - v_0, Probability, PredictedLabel</description></item>
/// <item><term>Input</term><description>features: known-size vector of Single, finite, the same size in the training and target data</description></item>
/// <item><term>Normalization</term><description>standardize the features (the weight kernel standardizes its own copy)</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt.CovariateShift / none</description></item>
/// <item><term>Deterministic</term><description>yes, given the seed (Nystrom landmarks, random Fourier features, the bandwidth sample above 5,000 rows)</description></item>
/// <item><term>ONNX</term><description>no</description></item>
/// </list>
/// <para>For each D of the grid: DW-KMM weights beta (training) and alpha (target) matching the kernel mean embeddings
/// (accelerated projected gradient with exact projections, on the exact kernel or a Nystrom kernel); the expectation
/// estimate tau = mean beta_i Phi(x_i, y_i); the smallest confidence lambda keeping the uncertainty set non-empty; the
/// minimax risk classifier mu minimizing R(U) (accelerated proximal gradient; the 0-1 loss's max-over-subsets term is
/// smoothed with a width taken down to 1e-5, and the bound is the exact objective at the final mu). The D with the
/// smallest bound is kept (<see cref="DoubleWeightingMinimaxRiskModelParameters.UpperBound"/>). The classifier is
/// transductive in the paper; here every row is scored with alpha = 1 (see the model parameters).</para>
/// <para>References: J. I. Segovia-Martín, S. Mazuelas, A. Liu, "Double-Weighting for Covariate Shift Adaptation",
/// ICML 2023 (arXiv 2305.08637); reference implementation MRCpy <c>MRCpy/dwgcs.py</c> and <c>cmrc.py</c>
/// (github.com/MachineLearningBCAM/MRCpy, commit 593cc05), and the paper's repository MRCs-for-Covariate-Shift-Adaptation
/// (commit 9ed969a). Spec: docs/specs/shift_llp_pruning_calibration.md §1.</para>
/// </remarks>
public sealed class DoubleWeightingMinimaxRiskBinaryTrainer
    : TrainerBase<BinaryClassificationModelTransformer<DoubleWeightingMinimaxRiskModelParameters>, DoubleWeightingMinimaxRiskModelParameters>
{
    internal const string ComponentName = "DoubleWeightingMinimaxRisk";
    private readonly IDataView _target;

    /// <summary>The options of <see cref="DoubleWeightingMinimaxRiskBinaryTrainer"/> (see <see cref="DoubleWeightingMinimaxRiskOptionsBase"/>).</summary>
    public sealed class Options : DoubleWeightingMinimaxRiskOptionsBase
    {
    }

    internal DoubleWeightingMinimaxRiskBinaryTrainer(IHostEnvironment env, IDataView targetData, Options options)
        : base(env, options, ComponentName, PredictionTask.BinaryClassification)
    {
        _target = DoubleWeightingTraining.CheckTarget(targetData, options.FeatureColumnName);
    }

    private protected override BinaryClassificationModelTransformer<DoubleWeightingMinimaxRiskModelParameters> FitCore(TrainingContext context)
    {
        var options = (DoubleWeightingMinimaxRiskOptionsBase)TrainerOptions;
        var model = DoubleWeightingTraining.Fit(context, options, _target, binary: true);
        return new BinaryClassificationModelTransformer<DoubleWeightingMinimaxRiskModelParameters>(model, options.FeatureColumnName);
    }
}

/// <summary>
/// Double-weighting for general covariate shift (DW-GCS) as a multiclass classifier (key label); see
/// <see cref="DoubleWeightingMinimaxRiskBinaryTrainer"/> for the method. Score is the vector of class probabilities of
/// the probabilistic rule, PredictedLabel the class of the largest score.
/// </summary>
public sealed class DoubleWeightingMinimaxRiskMulticlassTrainer
    : TrainerBase<MulticlassClassificationModelTransformer<DoubleWeightingMinimaxRiskModelParameters>, DoubleWeightingMinimaxRiskModelParameters>
{
    private readonly IDataView _target;

    /// <summary>The options of <see cref="DoubleWeightingMinimaxRiskMulticlassTrainer"/> (see <see cref="DoubleWeightingMinimaxRiskOptionsBase"/>).</summary>
    public sealed class Options : DoubleWeightingMinimaxRiskOptionsBase
    {
    }

    internal DoubleWeightingMinimaxRiskMulticlassTrainer(IHostEnvironment env, IDataView targetData, Options options)
        : base(env, options, DoubleWeightingMinimaxRiskBinaryTrainer.ComponentName, PredictionTask.MulticlassClassification)
    {
        _target = DoubleWeightingTraining.CheckTarget(targetData, options.FeatureColumnName);
    }

    private protected override MulticlassClassificationModelTransformer<DoubleWeightingMinimaxRiskModelParameters> FitCore(TrainingContext context)
    {
        var options = (DoubleWeightingMinimaxRiskOptionsBase)TrainerOptions;
        var model = DoubleWeightingTraining.Fit(context, options, _target, binary: false);
        var names = LabelKeyValues.FromColumn(context.TrainData.Schema[options.LabelColumnName]);
        return new MulticlassClassificationModelTransformer<DoubleWeightingMinimaxRiskModelParameters>(model, options.FeatureColumnName, names);
    }
}

/// <summary>Reading and fitting shared by the two trainers.</summary>
internal static class DoubleWeightingTraining
{
    /// <summary>Checks the target data's feature column when the trainer is created.</summary>
    public static IDataView CheckTarget(IDataView targetData, string featureColumnName)
    {
        Guard.NotNull(targetData, nameof(targetData));
        var column = SchemaChecks.Find(targetData.Schema, featureColumnName, "target feature");
        if (column.Type is not VectorDataViewType { IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Single)
            throw SchemaChecks.Mismatch("target feature", featureColumnName, "a known-size vector of Single", column.Type);
        return targetData;
    }

    /// <summary>Reads the target rows' features (finite, the training size).</summary>
    public static (float[] Values, int Rows) ReadTarget(IDataView target, string featureColumnName, int featureCount, string component,
        Diagnostics.ComponentChannel channel)
    {
        var type = target.Schema[featureColumnName].Type;
        if (type is not VectorDataViewType { Size: var size } || size != featureCount)
        {
            throw SchemaChecks.Mismatch("target feature", featureColumnName,
                $"Vector<Single, {featureCount}> (the training data's feature count)", type);
        }
        var reader = new DataViewColumnReader(target, $"{component} (target data)") { MinimumRowCount = 0 };
        var x = reader.AddVector(featureColumnName, "target feature", ValueRule.Finite, featureCount);
        int t = reader.Read(channel);
        if (t == 0)
            throw new InvalidOperationException($"The target data has no rows; {component} needs unlabelled rows of the deployment distribution.");
        return (x.Values, t);
    }

    public static DoubleWeightingMinimaxRiskModelParameters Fit(TrainingContext context, DoubleWeightingMinimaxRiskOptionsBase options,
        IDataView target, bool binary)
    {
        string component = DoubleWeightingMinimaxRiskBinaryTrainer.ComponentName;
        var channel = context.Channel;
        var reader = new DataViewColumnReader(context.TrainData, component);
        var features = reader.AddVector(options.FeatureColumnName, "feature", ValueRule.Finite);
        BooleanColumn? booleanLabel = binary ? reader.AddBoolean(options.LabelColumnName, "label") : null;
        ClassLabelColumn? classLabel = binary ? null : reader.AddClassLabel(options.LabelColumnName, "label", null);
        int n = reader.Read(channel);
        int d = features.Size;
        int classes = binary ? 2 : classLabel!.ClassCount;
        if (!binary && classes < 2)
            throw new InvalidOperationException($"Label column '{options.LabelColumnName}' has {classes} class(es); {component} needs at least two.");
        var labels = new int[n];
        var counts = new int[classes];
        for (int i = 0; i < n; i++)
        {
            labels[i] = binary ? (booleanLabel!.Values[i] ? 1 : 0) : classLabel!.Values[i];
            counts[labels[i]]++;
        }
        int present = counts.Count(c => c > 0);
        if (present < 2)
        {
            throw new InvalidOperationException(
                $"Label column '{options.LabelColumnName}' has a single class in all {n} training row(s); {component} needs examples of at least two classes.");
        }
        var (targetValues, t) = ReadTarget(target, options.FeatureColumnName, d, component, channel);

        var fit = DoubleWeightingFitter.Fit(features.Values, n, labels, classes, targetValues, t, d, options.Kernel(), options.Classifier(),
            context.Seed, channel);
        var best = fit.Best;
        channel.Info($"DW-GCS: D = {best.Weights.D:G5} (smallest bound of {fit.Candidates.Length}), bound R(U) = {best.Classifier.Bound:0.######}, " +
            $"training effective sample size {KernelWeighting.EffectiveSampleSize(best.Weights.Beta):0.0} of {n}, mean target weight {best.Weights.Alpha.Average():0.###}.");

        var model = new DoubleWeightingMinimaxRiskModelParameters(binary, classes, options.Loss, fit.Map, best.Classifier.Mu, best.Classifier.Bound,
            best.Weights.D, fit.Candidates.Select(c => c.Weights.D).ToArray(), fit.Candidates.Select(c => c.Classifier.Bound).ToArray(),
            fit.Kernel.Bandwidth, fit.Kernel.Operator.Rank, best.Weights.Beta, best.Weights.Alpha, best.Classifier.Tau, best.Classifier.Lambda,
            new float[(long)t * classes]);
        return model.WithTargetProbabilities(TargetProbabilities(model, targetValues, t));
    }

    /// <summary>The paper's probabilistic rule at each fitted target row, with its alpha.</summary>
    private static float[] TargetProbabilities(DoubleWeightingMinimaxRiskModelParameters model, float[] target, int t)
    {
        int k = model.ClassCount, d = model.FeatureCount;
        var result = new float[(long)t * k];
        var psi = new double[model.FeatureMapLength];
        var v = new double[k];
        var h = new double[k];
        var scratch = new double[k];
        for (int j = 0; j < t; j++)
        {
            model.Map.Map(target.AsSpan(j * d, d), psi);
            model.Scores(psi, model.TargetWeights[j], v);
            model.Probabilities(v, h, scratch);
            for (int y = 0; y < k; y++)
                result[(long)j * k + y] = (float)h[y];
        }
        return result;
    }
}
