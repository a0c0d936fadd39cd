using MLNetExt.CovariateShift.Mrc;
using MLNetExt.Numerics;
using MLNetExt.Serialization;
using MLNetExt.Training;

namespace MLNetExt.CovariateShift;

/// <summary>
/// A fitted double-weighting minimax risk classifier (DW-GCS): the feature map, the parameters mu, the worst-case
/// bound <see cref="UpperBound"/>, the D it was chosen for, and the weights of the training and target rows it was
/// fitted with. Immutable; created by <see cref="DoubleWeightingMinimaxRiskBinaryTrainer"/> and
/// <see cref="DoubleWeightingMinimaxRiskMulticlassTrainer"/>.
/// </summary>
/// <remarks>
/// <para>Scoring a row x (every row, seen in training or not, with target weight alpha(x) = 1): class scores
/// <c>v_y = mu_y . psi(x)</c>; the deterministic prediction is the class of the largest score (the first on ties), and
/// the probabilities are the paper's probabilistic rule: <c>h_y = max(v_y - varphi(v), 0)</c> (0-1 loss; the sparsemax
/// of v) or <c>softmax(v)</c> (log loss). Binary models write Score = v_1 - v_0 (the margin: the logit of Probability
/// for the log loss) and Probability = h_1. Spec §1.7 (a): the paper's transductive probabilities of the fitted target
/// rows use their weights alpha_j (<c>v = alpha_j mu_y . psi</c>): a row with alpha_j &lt; 1 gets flatter
/// probabilities, alpha_j = 0 a uniform one, with the same deterministic label. They are in
/// <see cref="TargetProbabilities"/>; the transformer does not look rows up, so new rows and target rows are scored
/// alike.</para>
/// </remarks>
public sealed class DoubleWeightingMinimaxRiskModelParameters : IVectorScorer, IPersistentSection<DoubleWeightingMinimaxRiskModelParameters>
{
    private readonly double[] _mu;
    private readonly double[] _candidateD;
    private readonly double[] _candidateBounds;
    private readonly double[] _trainingWeights;
    private readonly double[] _targetWeights;
    private readonly double[] _tau;
    private readonly double[] _lambda;
    private readonly float[] _targetProbabilities;

    internal DoubleWeightingMinimaxRiskModelParameters(bool binary, int classCount, MinimaxRiskLoss loss, FeatureMap map, double[] mu,
        double upperBound, double chosenD, double[] candidateD, double[] candidateBounds, double kernelBandwidth, int kernelRank,
        double[] trainingWeights, double[] targetWeights, double[] tau, double[] lambda, float[] targetProbabilities)
    {
        if (classCount < 2 || (binary && classCount != 2))
            throw new ArgumentException($"A {(binary ? "binary" : "multiclass")} model cannot have {classCount} classes.", nameof(classCount));
        if (mu.Length != classCount * map.Length || tau.Length != mu.Length || lambda.Length != mu.Length)
            throw new ArgumentException($"mu, tau and lambda must have {classCount * map.Length} values.", nameof(mu));
        if (candidateD.Length != candidateBounds.Length || targetProbabilities.Length != (long)targetWeights.Length * classCount)
            throw new ArgumentException("The candidate and target arrays do not match.", nameof(candidateD));
        foreach (double v in mu)
        {
            if (!double.IsFinite(v))
                throw new ArgumentException("mu must be finite.", nameof(mu));
        }
        IsBinary = binary;
        ClassCount = classCount;
        Loss = loss;
        Map = map;
        _mu = mu;
        UpperBound = upperBound;
        ChosenD = chosenD;
        _candidateD = candidateD;
        _candidateBounds = candidateBounds;
        KernelBandwidth = kernelBandwidth;
        KernelRank = kernelRank;
        _trainingWeights = trainingWeights;
        _targetWeights = targetWeights;
        _tau = tau;
        _lambda = lambda;
        _targetProbabilities = targetProbabilities;
    }

    internal bool IsBinary { get; }

    /// <summary>The same model with <see cref="TargetProbabilities"/> set.</summary>
    internal DoubleWeightingMinimaxRiskModelParameters WithTargetProbabilities(float[] probabilities)
        => new(IsBinary, ClassCount, Loss, Map, _mu, UpperBound, ChosenD, _candidateD, _candidateBounds, KernelBandwidth, KernelRank,
            _trainingWeights, _targetWeights, _tau, _lambda, probabilities);

    internal FeatureMap Map { get; }

    /// <summary>The number of classes K.</summary>
    public int ClassCount { get; }

    /// <summary>The loss whose worst case was minimized.</summary>
    public MinimaxRiskLoss Loss { get; }

    /// <summary>The base feature map psi.</summary>
    public FeatureMapKind FeatureMapKind => Map.Kind;

    /// <summary>Whether psi(x) starts with a constant 1.</summary>
    public bool FitIntercept => Map.FitIntercept;

    /// <summary>The length m of psi(x).</summary>
    public int FeatureMapLength => Map.Length;

    /// <summary>The classifier's parameters mu: K blocks of <see cref="FeatureMapLength"/> values, one block per class.</summary>
    public IReadOnlyList<double> Parameters => _mu;

    /// <summary>
    /// The minimax risk R(U) of the chosen D: the worst-case error rate (0-1 loss) or expected log loss (log loss) of the
    /// probabilistic rule over every distribution of the uncertainty set (test marginal fixed to the target rows,
    /// alpha-weighted moments within lambda of the beta-weighted training moments). It bounds the loss on the target
    /// rows when their true labelling is in that set; with the reference's smallest lambda
    /// (<c>ConfidenceScale</c> = 0) the set is as small as it can be, so that is not guaranteed.
    /// </summary>
    public double UpperBound { get; }

    /// <summary>The D whose bound was the smallest (chosen from <see cref="CandidateD"/>).</summary>
    public double ChosenD { get; }

    /// <summary>Every D tried, ascending.</summary>
    public IReadOnlyList<double> CandidateD => _candidateD;

    /// <summary>The bound R(U) for each of <see cref="CandidateD"/>.</summary>
    public IReadOnlyList<double> CandidateBounds => _candidateBounds;

    /// <summary>The RBF kernel width sigma of the weight problem.</summary>
    public double KernelBandwidth { get; }

    /// <summary>The rank of the kernel used for the weights: the number of pooled rows when exact, the Nystrom rank otherwise.</summary>
    public int KernelRank { get; }

    /// <summary>beta: the weight of each training row (in the order read), for the chosen D.</summary>
    public IReadOnlyList<double> TrainingWeights => _trainingWeights;

    /// <summary>alpha: the weight of each target row (in the order read), for the chosen D.</summary>
    public IReadOnlyList<double> TargetWeights => _targetWeights;

    /// <summary>tau: the beta-weighted mean of Phi(x, y) over the training rows.</summary>
    public IReadOnlyList<double> ExpectationEstimate => _tau;

    /// <summary>lambda: the confidence vector of the uncertainty set.</summary>
    public IReadOnlyList<double> Confidence => _lambda;

    /// <summary>
    /// The paper's transductive probabilistic rule at each fitted target row j (with its alpha_j): row-major, K values
    /// per target row, in the order the target rows were read.
    /// </summary>
    public IReadOnlyList<float> TargetProbabilities => _targetProbabilities;

    /// <summary>The effective sample size of <see cref="TrainingWeights"/>: (sum beta)^2 / sum beta^2.</summary>
    public double TrainingEffectiveSampleSize => Mrc.KernelWeighting.EffectiveSampleSize(_trainingWeights);

    /// <summary>The number of input features.</summary>
    public int FeatureCount => Map.InputDimension;

    int IVectorScorer.OutputCount => IsBinary ? 2 : ClassCount;

    RowScorer IVectorScorer.CreateRowScorer()
    {
        var psi = new double[Map.Length];
        var v = new double[ClassCount];
        var h = new double[ClassCount];
        var scratch = new double[ClassCount];
        return new DenseRowScorer(FeatureCount, (x, output) =>
        {
            Map.Map(x, psi);
            Scores(psi, 1, v);
            Probabilities(v, h, scratch);
            if (IsBinary)
            {
                output[0] = v[1] - v[0];
                output[1] = h[1];
            }
            else
            {
                h.CopyTo(output);
            }
        });
    }

    /// <summary>v_y = alpha mu_y . psi.</summary>
    internal void Scores(ReadOnlySpan<double> psi, double alpha, Span<double> v)
    {
        int m = Map.Length;
        for (int y = 0; y < ClassCount; y++)
        {
            double s = 0;
            var block = _mu.AsSpan(y * m, m);
            for (int c = 0; c < m; c++)
                s += block[c] * psi[c];
            v[y] = alpha * s;
        }
    }

    /// <summary>The probabilistic rule of the loss.</summary>
    internal void Probabilities(ReadOnlySpan<double> v, Span<double> h, Span<double> scratch)
    {
        if (Loss == MinimaxRiskLoss.ZeroOne)
        {
            Simplex.Probabilities(v, h, scratch);
            return;
        }
        double lse = StableMath.LogSumExp(v);
        for (int y = 0; y < v.Length; y++)
            h[y] = Math.Exp(v[y] - lse);
    }

    // Version 1: task flag, classes, loss, feature map, mu, bound, chosen D, candidates (D, bound), kernel width and
    // rank, beta, alpha, tau, lambda, target probabilities.
    private static readonly ComponentFormat Format = new("MLNetExt.CovariateShift.DoubleWeightingMinimaxRiskModel", 1);

    static ComponentFormat IPersistentSection<DoubleWeightingMinimaxRiskModelParameters>.Format => Format;

    ComponentFormat IPersistentSection.SectionFormat => Format;

    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.Write(IsBinary);
        writer.Write(ClassCount);
        writer.WriteEnum(Loss);
        Map.Save(writer);
        writer.Write(_mu);
        writer.Write(UpperBound);
        writer.Write(ChosenD);
        writer.Write(_candidateD);
        writer.Write(_candidateBounds);
        writer.Write(KernelBandwidth);
        writer.Write(KernelRank);
        writer.Write(_trainingWeights);
        writer.Write(_targetWeights);
        writer.Write(_tau);
        writer.Write(_lambda);
        writer.Write(_targetProbabilities);
    }

    static DoubleWeightingMinimaxRiskModelParameters IPersistentSection<DoubleWeightingMinimaxRiskModelParameters>.Load(ModelStateReader reader)
    {
        bool binary = reader.ReadBoolean();
        int classes = reader.ReadInt32("the class count", 2, 1 << 20);
        var loss = reader.ReadEnum<MinimaxRiskLoss>("the loss");
        var map = Mrc.FeatureMap.Load(reader);
        var mu = reader.ReadDoubleArray("mu");
        double bound = reader.ReadFiniteDouble("the upper bound");
        double chosen = reader.ReadDouble();
        var candidates = reader.ReadDoubleArray("the candidate D values");
        var bounds = reader.ReadDoubleArray("the candidate bounds");
        double width = reader.ReadFiniteDouble("the kernel width");
        int rank = reader.ReadInt32("the kernel rank", 1, int.MaxValue);
        var beta = reader.ReadDoubleArray("the training weights");
        var alpha = reader.ReadDoubleArray("the target weights");
        var tau = reader.ReadDoubleArray("tau");
        var lambda = reader.ReadDoubleArray("lambda");
        var probabilities = reader.ReadSingleArray("the target probabilities");
        reader.Check(mu.Length == classes * map.Length && tau.Length == mu.Length && lambda.Length == mu.Length,
            $"mu has {mu.Length} values for {classes} classes of {map.Length} features");
        reader.Check(!binary || classes == 2, $"a binary model has {classes} classes");
        reader.Check(candidates.Length == bounds.Length && candidates.Length > 0 && (double.IsPositiveInfinity(chosen) || chosen >= 1),
            "the candidate D values and bounds do not match");
        reader.Check(probabilities.Length == (long)alpha.Length * classes, "the target probabilities do not match the target weights");
        reader.Check(mu.All(double.IsFinite), "mu is not finite");
        return new DoubleWeightingMinimaxRiskModelParameters(binary, classes, loss, map, mu, bound, chosen, candidates, bounds, width, rank,
            beta, alpha, tau, lambda, probabilities);
    }
}
