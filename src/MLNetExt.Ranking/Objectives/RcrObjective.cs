using System.Numerics;
using MLNetExt.Numerics;
using MLNetExt.Ranking.Engine;

namespace MLNetExt.Ranking.Objectives;

/// <summary>Settings of <see cref="RcrObjective"/> (spec ranking.md §4).</summary>
internal sealed record RcrSettings
{
    /// <summary>Default of <see cref="RankingWeight"/>: 0.5, our choice (spec §4.1 [I]; the paper's value could not be
    /// verified, [P]).</summary>
    public const double DefaultRankingWeight = 0.5;

    /// <summary>
    /// alpha: the loss per query is (1 - alpha) SigmoidCE + alpha ListCE. Range [0, 1] (0 = pointwise sigmoid
    /// cross-entropy only, 1 = the listwise term only). Default 0.5.
    /// </summary>
    public double RankingWeight { get; init; } = DefaultRankingWeight;

    /// <summary>
    /// The grade that means "relevant with probability 1": targets are label / MaximumLabel, and a larger label is an
    /// error. Null (default): labels are used as given when every label is in [0, 1], else divided by the largest
    /// training label. Range (0, inf).
    /// </summary>
    public double? MaximumLabel { get; init; }

    /// <summary>ListCE's label distribution is y / sum y (true, default) or y itself (false: the same minimiser, lists
    /// weighted by their number of positives).</summary>
    public bool NormalizeListLabels { get; init; } = true;

    /// <summary>Checks every setting; throws <see cref="ArgumentOutOfRangeException"/> naming it.</summary>
    public void Validate()
    {
        Guard.Option(RankingWeight >= 0 && RankingWeight <= 1, nameof(RankingWeight), $"must be in [0, 1]; got {RankingWeight}.");
        Guard.Option(MaximumLabel is null || (MaximumLabel > 0 && double.IsFinite(MaximumLabel.Value)), nameof(MaximumLabel),
            $"must be positive and finite when set; got {MaximumLabel}.");
    }
}

/// <summary>
/// RCR, regression-compatible ranking (Bai et al., "Regression Compatible Listwise Objectives for Calibrated Ranking
/// with Binary Relevance", CIKM 2023; spec ranking.md §4): sigmoid cross-entropy plus a listwise softmax
/// cross-entropy over the sigmoid outputs, so that sigmoid(score) is a calibrated probability of relevance.
/// </summary>
/// <remarks>
/// <para>Targets y in [0, 1]: labels in [0, 1] as given, larger grades divided by
/// <see cref="RcrSettings.MaximumLabel"/> or by the largest training label (<see cref="LabelScale"/>), so
/// sigmoid(score) estimates the scaled relevance, P(relevant) for binary labels. Per query, with σ_i = sigmoid(s_i),
/// S = Σ σ_j, w_i = y_i / Σ y_j (or y_i without normalisation):</para>
/// <para>loss = (1 - α) Σ_i -(y_i ln σ_i + (1 - y_i) ln(1 - σ_i)) + α (-Σ_i w_i ln(σ_i / S)), summed over queries;
/// a query with no positive target (Σ y = 0) contributes its sigmoid cross-entropy only.</para>
/// <para>Gradient: (1 - α)(σ_i - y_i) + α(-w_i (1 - σ_i) + W q_i / S), q_i = σ_i (1 - σ_i), W = Σ w. The exact diagonal
/// hessian of ListCE, w_i q_i + W (q_i (1 - 2σ_i) / S - q_i² / S²), can be negative; the engine gets
/// (1 - α) q_i + α max(that, 0), at least 1e-16 (spec §4.2).</para>
/// <para>Example weights multiply each row's gradient and hessian (the engine's rule); with one weight per query that is
/// the weighted sum of the query losses.</para>
/// <para>The loss is the spec's (§4.1 [P]: only the paper's abstract could be read, so its exact parameterisation and
/// the value of α it uses are unverified; α = 0.5 is our default). Gradient, hessian and loss are tested against the
/// §8.5 oracle values (numpy, agreeing with torch autograd) and against central differences of the loss.</para>
/// <para>Scores start at 0 (the engine has no initial score), i.e. every probability starts at 1/2.</para>
/// </remarks>
internal sealed class RcrObjective : QueryObjective
{
    /// <summary>Smallest hessian handed to the engine.</summary>
    public const double MinimumHessian = 1e-16;

    private readonly double _alpha;
    private readonly bool _normalize;
    private double[] _targets = [];
    private double[] _targetSums = [];

    /// <summary>Creates the objective; null settings mean the defaults.</summary>
    public RcrObjective(RcrSettings? settings = null)
    {
        Settings = settings ?? new RcrSettings();
        Settings.Validate();
        _alpha = Settings.RankingWeight;
        _normalize = Settings.NormalizeListLabels;
    }

    /// <summary>The settings (validated).</summary>
    public RcrSettings Settings { get; }

    /// <summary>The divisor that turned labels into targets (1 when labels were used as given); set by
    /// <see cref="IRankingObjective.Initialize"/>. Probability = sigmoid(score) estimates label / LabelScale.</summary>
    public double LabelScale { get; private set; } = double.NaN;

    /// <inheritdoc/>
    public override string Name => "rcr";

    /// <inheritdoc/>
    protected override void OnInitialize(RankingObjectiveData data)
    {
        float[] labels = data.Labels;
        double scale;
        if (Settings.MaximumLabel is double maximum)
        {
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] > maximum)
                {
                    throw new InvalidOperationException(
                        $"Label at row {i} is {labels[i]}, above {nameof(RcrSettings.MaximumLabel)} {maximum}; RCR's target label / {nameof(RcrSettings.MaximumLabel)} must be in [0, 1].");
                }
            }
            scale = maximum;
        }
        else
        {
            float largest = 0;
            foreach (float l in labels)
                largest = Math.Max(largest, l);
            scale = largest > 1 ? largest : 1.0;
        }
        LabelScale = scale;
        _targets = new double[labels.Length];
        for (int i = 0; i < labels.Length; i++)
            _targets[i] = scale == 1.0 ? labels[i] : labels[i] / scale;
        int[] offsets = data.GroupOffsets;
        _targetSums = new double[data.Groups.GroupCount];
        for (int q = 0; q < _targetSums.Length; q++)
        {
            double sum = 0;
            for (int i = offsets[q]; i < offsets[q + 1]; i++)
                sum += _targets[i];
            _targetSums[q] = sum;
        }
    }

    /// <summary>The target of each training row (label / <see cref="LabelScale"/>).</summary>
    internal ReadOnlySpan<double> Targets => _targets;

    /// <inheritdoc/>
    protected override void ComputeQuery(int iteration, int query, ReadOnlySpan<float> labels, ReadOnlySpan<double> scores,
        Span<float> gradients, Span<float> hessians, QueryScratch scratch)
    {
        int n = labels.Length;
        int start = Data.GroupOffsets[query];
        var gradient = scratch.Doubles2.AsSpan(0, n);
        ComputeCore(_targets.AsSpan(start, n), _targetSums[query], scores, scratch.Doubles.AsSpan(0, n), gradient, hessians, clamp: true);
        for (int i = 0; i < n; i++)
            gradients[i] = (float)gradient[i];
    }

    /// <summary>
    /// One query in double, without example weights: the gradient and the diagonal hessian, exact
    /// (<paramref name="clamp"/> false) or as the engine gets it (true); returns the query's loss. For tests against the
    /// §8.5 oracles.
    /// </summary>
    internal double ComputeInDouble(int query, ReadOnlySpan<double> queryScores, Span<double> gradients, Span<double> hessians, bool clamp)
    {
        int start = Data.GroupOffsets[query], n = Data.GroupOffsets[query + 1] - start;
        Guard.Argument(queryScores.Length == n && gradients.Length == n && hessians.Length == n, nameof(queryScores), $"Query {query} has {n} documents.");
        var y = _targets.AsSpan(start, n);
        ComputeCore(y, _targetSums[query], queryScores, new double[n], gradients, hessians, clamp);

        // Loss: -ln sigmoid(s) = softplus(-s), -ln(1 - sigmoid(s)) = softplus(s).
        double pointwise = 0, sum = 0;
        for (int i = 0; i < n; i++)
        {
            pointwise += y[i] * StableMath.Softplus(-queryScores[i]) + (1 - y[i]) * StableMath.Softplus(queryScores[i]);
            sum += StableMath.Sigmoid(queryScores[i]);
        }
        double listwise = 0;
        double targetSum = _targetSums[query];
        if (targetSum > 0)
        {
            double logSum = Math.Log(sum);
            for (int i = 0; i < n; i++)
            {
                double w = _normalize ? y[i] / targetSum : y[i];
                listwise += w * (StableMath.Softplus(-queryScores[i]) + logSum);
            }
        }
        return (1 - _alpha) * pointwise + _alpha * listwise;
    }

    /// <summary>Gradients and hessians of one query (spec §4.2), accumulated in double.</summary>
    private void ComputeCore<T>(ReadOnlySpan<double> y, double targetSum, ReadOnlySpan<double> scores, Span<double> sigma, Span<double> gradients,
        Span<T> hessians, bool clamp) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = y.Length;
        double alpha = _alpha, pointwise = 1 - alpha;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sigma[i] = StableMath.Sigmoid(scores[i]);
            sum += sigma[i];
        }
        // A list with no positive target contributes its sigmoid cross-entropy only (ListCE := 0).
        bool listwise = targetSum > 0 && alpha > 0;
        double totalWeight = _normalize ? 1.0 : targetSum;
        double targetFactor = _normalize && targetSum > 0 ? 1.0 / targetSum : 1.0;
        double inverseSum = 1.0 / sum;
        for (int i = 0; i < n; i++)
        {
            double s = sigma[i], q = s * (1 - s);
            double g = pointwise * (s - y[i]);
            double h = pointwise * q;
            if (listwise)
            {
                double w = y[i] * targetFactor;
                double qs = q * inverseSum;
                g += alpha * (-w * (1 - s) + totalWeight * qs);
                double exact = w * q + totalWeight * (q * (1 - 2 * s) * inverseSum - qs * qs);
                h += alpha * (clamp ? Math.Max(exact, 0) : exact);
            }
            gradients[i] = g;
            hessians[i] = T.CreateTruncating(clamp ? Math.Max(h, MinimumHessian) : h);
        }
    }
}
