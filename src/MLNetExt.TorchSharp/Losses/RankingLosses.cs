using TorchSharp;
using MLNetExt.TorchSharp.Training;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Losses;

/// <summary>
/// allRank's listwise ranking losses as standalone, differentiable functions over padded batches of lists
/// (docs/specs/ranking.md §4, §5): <c>scores</c> and <c>labels</c> are [lists, slate] tensors of one floating type
/// (float32 or float64) on one device; a label of <see cref="PaddedLabel"/> (-1) marks a padded slot. Padded slots
/// contribute nothing to a loss and get a gradient of exactly 0. Every list's padded slots must come after its real
/// ones (allRank's <c>FixLength</c> layout), since NeuralSort's rank rows are masked by the same index as the items.
/// Each function returns a scalar tensor in the graph of <c>scores</c> (call <c>backward()</c> on it); lists are
/// processed together by batched tensor operations, never one at a time.
/// </summary>
/// <remarks>
/// Reference: allegro/allRank @c884756, <c>allrank/models/losses/*.py</c>; the tests check every value and gradient of
/// the spec's §8.6 oracles (allRank's own code in float64). Deviations, each deliberate and documented on the method:
/// a list whose ideal DCG is 0 in every list of the batch gives a loss of 0 that still has a (zero) gradient, where
/// allRank returns a constant; NeuralNDCG-transposed with <c>poweredRelevancies: false</c> uses the linear gain in
/// the ideal DCG too (allRank keeps 2^l - 1 there, a bug); lists of one document work (allRank raises an IndexError).
/// </remarks>
public static class RankingLosses
{
    /// <summary>The label of a padded slot (allRank's <c>PADDED_Y_VALUE</c>).</summary>
    public const float PaddedLabel = -1f;

    /// <summary>allRank's <c>DEFAULT_EPS</c>.</summary>
    public const double Epsilon = 1e-10;

    /// <summary>
    /// Deterministic NeuralSort (Grover et al. 2019) as allRank masks it: the row-stochastic matrix
    /// P[b, i, j] = softmax_j((c_i s_j - sum_k |s_j - s_k|) / temperature), c_i = n_b + 1 - 2 i for the n_b real items
    /// of list b (ranks i = 1..n_b); row i is a distribution over the items for rank i. Rows and columns of padded
    /// slots hold 0, except the padded-by-padded block, which holds a uniform distribution over the padded columns.
    /// </summary>
    /// <param name="scores">[lists, slate] scores.</param>
    /// <param name="mask">[lists, slate] booleans, true at padded slots (after the real ones).</param>
    /// <param name="temperature">The softmax temperature, &gt; 0.</param>
    public static Tensor NeuralSort(Tensor scores, Tensor mask, double temperature)
    {
        CheckPair(scores, mask, nameof(mask));
        Guard.Argument(temperature > 0 && double.IsFinite(temperature), nameof(temperature), $"The temperature must be finite and > 0; got {temperature}.");
        using var scope = NewDisposeScope();
        return NeuralSortCore(scores, mask, temperature).MoveToOuterDisposeScope();
    }

    private static Tensor NeuralSortCore(Tensor scores, Tensor mask, double temperature)
    {
        long n = scores.shape[1];
        var real = mask.logical_not();
        var s = scores.masked_fill(mask, S(0));
        // B[j] = sum over real k of |s_j - s_k| (a row sum; allRank multiplies by a matrix of ones, O(n^3)).
        var pairReal = real.unsqueeze(2).logical_and(real.unsqueeze(1));
        var spread = (s.unsqueeze(2) - s.unsqueeze(1)).abs().mul(pairReal).sum(2);
        var count = real.sum(1, keepdim: true, type: scores.dtype);
        var rank = arange(1, n + 1, dtype: scores.dtype, device: scores.device).unsqueeze(0);
        // c_i = m + 1 - 2 i for ranks i = 1..m, 0 for padded rows.
        var c = (count.Plus(1) - rank * S(2)).mul(real);
        var logits = c.unsqueeze(2) * s.unsqueeze(1) - spread.unsqueeze(1);
        var either = mask.unsqueeze(2).logical_or(mask.unsqueeze(1));
        var both = mask.unsqueeze(2).logical_and(mask.unsqueeze(1));
        logits = logits.masked_fill(either, S(double.NegativeInfinity)).masked_fill(both, S(1));
        return (logits / S(temperature)).softmax(-1);
    }

    /// <summary>
    /// The approximate DCG a^T Sinkhorn(NeuralSort(scores)) g of each list with its gradient with respect to the scores in
    /// closed form (no autograd graph over any [lists, n, n] tensor): df/dP from <see cref="SinkhornBilinear"/>, then
    /// the softmax's backward D = P (G - rowsum(P G)), then through the logits L_ij = (c_i s_j - B_j) / T with
    /// B_j = sum_k |s_j - s_k|: df/ds_k = (c^T D)_k / T + sum_j (w_k + w_j) sign(s_k - s_j), w = -colsum(D) / T.
    /// Returns the values [lists] and the gradient [lists, n] (0 at padded slots); equal to autograd through allRank's
    /// computation to rounding (tested).
    /// </summary>
    private static (Tensor Dcg, Tensor? Gradient) NeuralDcgClosedForm(Tensor scores, Tensor mask, Tensor rowWeights, Tensor gains, double temperature,
        double tolerance, int maxIterations, bool transposed, bool withGradient)
    {
        using var _ = no_grad();
        long n = scores.shape[1];
        var real = mask.logical_not();
        var realValues = real.to_type(scores.dtype);
        var s = scores.detach().masked_fill(mask, S(0));
        // Sign matrix of the real pairs (antisymmetric): B = s * rowsum(Sgn) - Sgn s = s * rowsum(Sgn) + (s^T Sgn)^T.
        var sign = (s.unsqueeze(2) - s.unsqueeze(1)).sign_().mul_(realValues.unsqueeze(2)).mul_(realValues.unsqueeze(1));
        var signRowSums = sign.sum(2);
        var spread = (s * signRowSums).Plus(s.unsqueeze(1).bmm(sign).squeeze(1));
        var count = realValues.sum(1, keepdim: true);
        var rank = arange(1, n + 1, dtype: scores.dtype, device: scores.device).unsqueeze(0);
        var c = (count.Plus(1) - rank * S(2)).mul(realValues) / S(temperature);
        var logits = c.unsqueeze(2) * s.unsqueeze(1);
        logits.sub_((spread / S(temperature)).unsqueeze(1));
        var either = mask.unsqueeze(2).logical_or(mask.unsqueeze(1));
        var both = mask.unsqueeze(2).logical_and(mask.unsqueeze(1));
        logits.masked_fill_(either, S(double.NegativeInfinity)).masked_fill_(both, S(1.0 / temperature));
        var p = logits.softmax(-1);
        logits.Dispose();
        var (dcg, g) = SinkhornBilinear.ValueAndGradient(p, mask, rowWeights, gains, tolerance, maxIterations, transposed, withGradient);
        if (g is null)
            return (dcg, null);
        // Softmax backward, in place in G's buffer: D = P G - P rowsum(P G).
        var d = g.mul_(p);
        var rowSums = d.sum(2, keepdim: true);
        d.addcmul_(p, rowSums, S(-1));
        p.Dispose();
        var weights = stack([c, ones_like(c)], 1);                       // [lists, 2, n]: c^T D and 1^T D
        var colSums = weights.bmm(d);
        d.Dispose();
        var direct = colSums.select(1, 0);
        var w = colSums.select(1, 1) * S(-1.0 / temperature);
        // sum_j (w_k + w_j) sign(s_k - s_j) = w_k rowsum(Sgn)_k - (w^T Sgn)_k (Sgn antisymmetric).
        var viaSpread = w * signRowSums - w.unsqueeze(1).bmm(sign).squeeze(1);
        return (dcg, direct.Plus(viaSpread).mul_(realValues));
    }

    /// <summary>
    /// allRank's Sinkhorn scaling: zero the rows and columns of padded slots (the padded-by-padded block set to 1), then
    /// repeat at most <paramref name="maxIterations"/> times: divide each column by its sum (clamped at 1e-10), then
    /// each row by its sum; stop when every column sum of the whole batch is within <paramref name="tolerance"/> of 1
    /// (rows are 1 by construction after their division; allRank also recomputes them, which only differs when
    /// rounding alone exceeds the tolerance). Returns the scaled matrices with padded rows and columns zeroed.
    /// </summary>
    /// <remarks>
    /// Computed as diag(u) M diag(v) with the scaling vectors u, v updated by batched matrix-vector products, which
    /// reads M twice per iteration and writes no intermediate matrix (allRank divides the whole matrix four times per
    /// iteration); the values equal allRank's up to rounding. The stopping test runs over the whole batch, as allRank's
    /// does, so batching lists together can change a list's value at the 1e-8 level (spec §5.2).
    /// </remarks>
    public static Tensor Sinkhorn(Tensor matrices, Tensor mask, double tolerance = 1e-6, int maxIterations = 50)
    {
        Guard.Argument(matrices.dim() == 3 && mask.dim() == 2 && matrices.shape[0] == mask.shape[0] && matrices.shape[1] == mask.shape[1]
            && matrices.shape[2] == mask.shape[1], nameof(matrices), "Sinkhorn takes [lists, slate, slate] matrices and a [lists, slate] mask.");
        using var scope = NewDisposeScope();
        var (m, u, v) = SinkhornScaling(matrices, mask, tolerance, maxIterations);
        var either = mask.unsqueeze(2).logical_or(mask.unsqueeze(1));
        return (u.unsqueeze(2) * m * v.unsqueeze(1)).masked_fill(either, S(0)).MoveToOuterDisposeScope();
    }

    /// <summary>Sinkhorn's scaling vectors: the result is diag(u) M diag(v) with M the masked input.</summary>
    private static (Tensor M, Tensor U, Tensor V) SinkhornScaling(Tensor p, Tensor mask, double tolerance, int maxIterations)
    {
        var either = mask.unsqueeze(2).logical_or(mask.unsqueeze(1));
        var both = mask.unsqueeze(2).logical_and(mask.unsqueeze(1));
        var m = p.masked_fill(either, S(0)).masked_fill(both, S(1));
        var mt = m.transpose(1, 2).contiguous();
        long lists = p.shape[0], n = p.shape[1];
        var u = ones(lists, 1, n, dtype: p.dtype, device: p.device);
        var v = ones(lists, 1, n, dtype: p.dtype, device: p.device);
        // Column sums of diag(u) M diag(v) are v * (u M); row sums are u * (v M^T) (row vectors: libtorch's fast bmm form).
        var columnSums = u.bmm(m);                      // of M itself (u = v = 1)
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            v = v / columnSums.clamp_min(S(Epsilon));
            var rowSums = u * v.bmm(mt);
            u = u / rowSums.clamp_min(S(Epsilon));
            columnSums = v * u.bmm(m);
            double worst;
            using (no_grad())
                worst = (columnSums - S(1)).abs().max().ToDouble();
            if (worst < tolerance)
                break;
        }
        return (m, u.squeeze(1), v.squeeze(1));
    }

    /// <summary>
    /// NeuralNDCG (Pobrotyn and Białobrzeski 2021) exactly as allRank's <c>neuralNDCG</c> (deterministic variant):
    /// P = Sinkhorn(NeuralSort(scores)); the approximate DCG is sum over ranks i &lt; k of D_i (P g)_i with gains
    /// g = 2^l - 1 (or l), discounts D_i = 1 / log2(i + 2); NDCG = DCG / (IDCG@k + 1e-10); lists whose IDCG is 0
    /// are left out of the mean; the loss is minus the mean NDCG (0, with a zero gradient, when no list has a
    /// relevant document).
    /// </summary>
    /// <param name="scores">[lists, slate] model scores.</param>
    /// <param name="labels">[lists, slate] relevance grades (&gt;= 0), -1 at padded slots.</param>
    /// <param name="temperature">NeuralSort's temperature; allRank's default 1.</param>
    /// <param name="k">The truncation rank; null (allRank's default) for the slate length.</param>
    /// <param name="poweredRelevancies">Gain 2^l - 1 (default, as allRank) or l.</param>
    /// <param name="tolerance">Sinkhorn's tolerance; allRank 1e-6.</param>
    /// <param name="maxIterations">Sinkhorn's iteration limit; allRank 50.</param>
    public static Tensor NeuralNdcg(Tensor scores, Tensor labels, double temperature = 1.0, int? k = null, bool poweredRelevancies = true,
        double tolerance = 1e-6, int maxIterations = 50)
        => NeuralNdcgCore(scores, labels, temperature, k, poweredRelevancies, tolerance, maxIterations, transposed: false);

    /// <summary>
    /// NeuralNDCG-transposed as allRank's <c>neuralNDCG_transposed</c>: the expected discount of each item,
    /// sum_i P[i, j] D'_i (D'_i = 0 from rank k on), times its gain. Because P is Sinkhorn-normalised, the value
    /// equals <see cref="NeuralNdcg"/>'s to rounding (spec §5.4). Deviation: with <paramref name="poweredRelevancies"/>
    /// false the ideal DCG uses the linear gain as the numerator does (allRank keeps 2^l - 1 there).
    /// </summary>
    public static Tensor NeuralNdcgTransposed(Tensor scores, Tensor labels, double temperature = 1.0, int? k = null, bool poweredRelevancies = true,
        double tolerance = 1e-6, int maxIterations = 50)
        => NeuralNdcgCore(scores, labels, temperature, k, poweredRelevancies, tolerance, maxIterations, transposed: true);

    private static Tensor NeuralNdcgCore(Tensor scores, Tensor labels, double temperature, int? k, bool powered, double tolerance, int maxIterations, bool transposed)
    {
        CheckPair(scores, labels, nameof(labels));
        Guard.Argument(temperature > 0 && double.IsFinite(temperature), nameof(temperature), $"The temperature must be finite and > 0; got {temperature}.");
        Guard.Argument(k is null || k >= 1, nameof(k), $"k must be null or >= 1; got {k}.");
        Guard.Argument(tolerance >= 0, nameof(tolerance), $"The Sinkhorn tolerance must be >= 0; got {tolerance}.");
        Guard.Argument(maxIterations >= 0, nameof(maxIterations), $"The Sinkhorn iteration limit must be >= 0; got {maxIterations}.");
        using var scope = NewDisposeScope();
        long n = scores.shape[1];
        long cut = Math.Min(k ?? n, n);
        var mask = labels.eq(S(PaddedLabel));
        var real = mask.logical_not();
        var gains = Gains(labels.masked_fill(mask, S(0)), powered);
        var positions = arange(n, dtype: scores.dtype, device: scores.device);
        var discounts = positions.Plus(2).log2().reciprocal();
        var truncated = discounts.masked_fill(positions.ge(S(cut)), S(0));

        // P = diag(u) M diag(v) with padded rows and columns zeroed: DCG = (D' u)^T M (v g) over real rows and columns.
        var rowWeights = truncated.unsqueeze(0).mul(real);
        Tensor dcg;
        if (UnrolledSinkhornGradient)
        {
            var p = NeuralSortCore(scores, mask, temperature);
            dcg = UnrolledBilinear(p, mask, rowWeights, gains.mul(real), tolerance, maxIterations, transposed);
        }
        else
        {
            bool withGradient = scores.requires_grad && is_grad_enabled();
            var (value, gradient) = NeuralDcgClosedForm(scores, mask, rowWeights, gains.mul(real), temperature, tolerance, maxIterations, transposed, withGradient);
            if (gradient is null)
            {
                dcg = value;
            }
            else
            {
                // value + <scores, gradient> - detach(<scores, gradient>): the value is the DCG, the gradient reaches the scores.
                var surrogate = (scores * gradient).sum(1);
                dcg = value.Plus(surrogate) - surrogate.detach();
            }
        }

        var idcg = IdealDcg(gains, discounts, cut);
        var relevant = idcg.gt(S(0));
        var ndcg = (dcg / idcg.Plus(Epsilon)).masked_fill(relevant.logical_not(), S(0));
        long counted = relevant.sum().ToInt64();
        var loss = counted == 0 ? (scores * S(0)).sum() : -ndcg.sum() / S(counted);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// For tests: differentiate the NeuralNDCG losses through the unrolled Sinkhorn iterations by autograd (as allRank
    /// does), instead of <see cref="SinkhornBilinear"/>'s closed-form reverse pass. Both give the same gradient to rounding.
    /// </summary>
    internal static bool UnrolledSinkhornGradient { get; set; }

    private static Tensor UnrolledBilinear(Tensor p, Tensor mask, Tensor a, Tensor b, double tolerance, int maxIterations, bool transposed)
    {
        var (m, u, v) = SinkhornScaling(p, mask, tolerance, maxIterations);
        if (!transposed)
            return (a * u * m.bmm((v * b).unsqueeze(2)).squeeze(2)).sum(1);          // sum_i a_i (P b)_i
        return (b * v * m.transpose(1, 2).bmm((a * u).unsqueeze(2)).squeeze(2)).sum(1);  // sum_j b_j (P^T a)_j
    }

    /// <summary>
    /// ListNet as allRank's <c>listNet</c>: the mean over lists of -sum_i softmax(labels)_i log(softmax(scores)_i + 1e-10),
    /// softmaxes over the real slots (of the raw labels, not of 2^l - 1).
    /// </summary>
    public static Tensor ListNet(Tensor scores, Tensor labels)
    {
        CheckPair(scores, labels, nameof(labels));
        using var scope = NewDisposeScope();
        var mask = labels.eq(S(PaddedLabel));
        var predicted = scores.masked_fill(mask, S(double.NegativeInfinity)).softmax(1);
        var target = labels.masked_fill(mask, S(double.NegativeInfinity)).softmax(1);
        var perList = -(target * predicted.Plus(Epsilon).log()).masked_fill(mask, S(0)).sum(1);
        return perList.mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ApproxNDCG as allRank's <c>approxNDCGLoss</c>: item i's approximate rank is 1 + sum over the other real items j
    /// of max(sigmoid(-alpha (s_i - s_j)), 1e-10); NDCG = sum_i (2^l_i - 1) / maxDCG / log2(1 + rank_i), maxDCG the
    /// ideal DCG of the whole list clamped at 1e-10 (no truncation); the loss is minus the mean over every list (lists
    /// without a relevant document count as 0).
    /// </summary>
    public static Tensor ApproxNdcg(Tensor scores, Tensor labels, double alpha = 1.0)
    {
        CheckPair(scores, labels, nameof(labels));
        Guard.Argument(alpha > 0 && double.IsFinite(alpha), nameof(alpha), $"alpha must be finite and > 0; got {alpha}.");
        using var scope = NewDisposeScope();
        long n = scores.shape[1];
        var mask = labels.eq(S(PaddedLabel));
        var real = mask.logical_not();
        var s = scores.masked_fill(mask, S(0));
        var gains = Gains(labels.masked_fill(mask, S(0)), powered: true);
        var positions = arange(n, dtype: scores.dtype, device: scores.device);
        var discounts = positions.Plus(2).log2().reciprocal();
        var maxDcg = IdealDcg(gains, discounts, n).clamp_min(S(Epsilon));
        var pairs = real.unsqueeze(2).logical_and(real.unsqueeze(1))
            .logical_and(eye(n, dtype: ScalarType.Bool, device: scores.device).logical_not().unsqueeze(0));
        var sig = ((s.unsqueeze(2) - s.unsqueeze(1)) * S(-alpha)).sigmoid().clamp_min(S(Epsilon)).mul(pairs);
        var approxRank = sig.sum(2).Plus(1);
        var ndcg = (gains / maxDcg.unsqueeze(1) / approxRank.Plus(1).log2()).sum(1);
        return (-ndcg.mean()).MoveToOuterDisposeScope();
    }

    /// <summary>How <see cref="RankNet"/> weights a pair (allRank's <c>weight_by_diff</c>, <c>weight_by_diff_powed</c>).</summary>
    public enum RankNetPairWeighting
    {
        /// <summary>Every pair weighs 1 (allRank's <c>rankNet</c>).</summary>
        None,

        /// <summary>|l_i - l_j| (allRank's <c>rankNet_weightByGTDiff</c>).</summary>
        LabelDifference,

        /// <summary>|l_i^2 - l_j^2| (allRank's <c>rankNet_weightByGTDiff_pow</c>).</summary>
        SquaredLabelDifference,
    }

    /// <summary>
    /// RankNet as allRank's <c>rankNet</c>: over every pair (i, j) of real items of a list with l_i &gt; l_j, the mean
    /// over all such pairs of the batch of w_ij log(1 + exp(-(s_i - s_j))) (PyTorch's <c>BCEWithLogitsLoss</c> with
    /// weights: the sum of weighted terms over the pair count). A batch without any such pair gives 0 (allRank: NaN).
    /// </summary>
    public static Tensor RankNet(Tensor scores, Tensor labels, RankNetPairWeighting weighting = RankNetPairWeighting.None)
    {
        CheckPair(scores, labels, nameof(labels));
        using var scope = NewDisposeScope();
        var mask = labels.eq(S(PaddedLabel));
        var real = mask.logical_not();
        var s = scores.masked_fill(mask, S(0));
        var y = labels.masked_fill(mask, S(0));
        var labelDiff = y.unsqueeze(2) - y.unsqueeze(1);
        var pairs = labelDiff.gt(S(0)).logical_and(real.unsqueeze(2)).logical_and(real.unsqueeze(1));
        // softplus(-(s_i - s_j)) = -log sigmoid(s_i - s_j) (TorchSharp's softplus passes temporary scalars; see TorchScalars).
        var terms = (s.unsqueeze(2) - s.unsqueeze(1)).log_sigmoid().neg();
        if (weighting == RankNetPairWeighting.LabelDifference)
            terms = terms * labelDiff.abs();
        else if (weighting == RankNetPairWeighting.SquaredLabelDifference)
            terms = terms * (y.square().unsqueeze(2) - y.square().unsqueeze(1)).abs();
        long count = pairs.sum().ToInt64();
        var loss = count == 0 ? (scores * S(0)).sum() : terms.masked_fill(pairs.logical_not(), S(0)).sum() / S(count);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// RCR, regression-compatible ranking (Bai et al. 2023; spec §4.1): per list,
    /// (1 - alpha) sum_i BCE(sigmoid(s_i), t_i) + alpha ListCE with ListCE = -sum_i (t_i / sum_j t_j) log(sigmoid(s_i) / sum_j sigmoid(s_j))
    /// (0 for a list whose targets sum to 0); the loss is the mean over lists. Targets are in [0, 1] (-1 at padded
    /// slots); sigmoid(score) is then a calibrated probability.
    /// </summary>
    /// <param name="scores">[lists, slate] logits.</param>
    /// <param name="targets">[lists, slate] targets in [0, 1], -1 at padded slots.</param>
    /// <param name="rankingWeight">alpha in [0, 1]; default 0.5 (spec §4.1).</param>
    /// <param name="normalizeListLabels">Divide the targets of ListCE by their sum (default, as the spec); false weighs lists by their positives.</param>
    public static Tensor Rcr(Tensor scores, Tensor targets, double rankingWeight = 0.5, bool normalizeListLabels = true)
    {
        CheckPair(scores, targets, nameof(targets));
        Guard.Argument(rankingWeight >= 0 && rankingWeight <= 1, nameof(rankingWeight), $"The ranking weight must be in [0, 1]; got {rankingWeight}.");
        using var scope = NewDisposeScope();
        var mask = targets.eq(S(PaddedLabel));
        var s = scores.masked_fill(mask, S(0));
        var t = targets.masked_fill(mask, S(0));
        // log sigmoid(s) and log(1 - sigmoid(s)) = log sigmoid(-s), each computed stably by libtorch.
        var logP = s.log_sigmoid();
        var logQ = s.neg().log_sigmoid();
        var bce = -(t * logP).Plus(t.OneMinus() * logQ).masked_fill(mask, S(0)).sum(1);
        var logNormalizer = logP.masked_fill(mask, S(double.NegativeInfinity)).logsumexp(1, keepdim: true);
        var total = t.sum(1, keepdim: true);
        var weights = normalizeListLabels ? t / total.clamp_min(S(Epsilon)) : t;
        var listCe = -(weights * (logP - logNormalizer)).masked_fill(mask, S(0)).sum(1);
        var perList = (bce * S(1 - rankingWeight)).Plus(listCe * S(rankingWeight));
        return perList.mean().MoveToOuterDisposeScope();
    }

    private static Tensor Gains(Tensor labels, bool powered) => powered ? labels.exp2() - S(1) : labels;

    private static Scalar S(double value) => TorchScalars.Get(value);

    /// <summary>DCG@cut of each list's gains sorted in decreasing order (allRank's <c>dcg(y_true, y_true, ats=[k])</c>).</summary>
    private static Tensor IdealDcg(Tensor gains, Tensor discounts, long cut)
    {
        var (sorted, _) = gains.sort(1, descending: true);
        return (sorted.narrow(1, 0, cut) * discounts.narrow(0, 0, cut)).sum(1);
    }

    private static void CheckPair(Tensor scores, Tensor other, string otherName)
    {
        Guard.NotNull(scores, nameof(scores));
        Guard.NotNull(other, otherName);
        Guard.Argument(scores.dim() == 2, nameof(scores), $"The scores must be a [lists, slate] tensor; got {scores.dim()} dimensions.");
        Guard.Argument(other.dim() == 2 && other.shape[0] == scores.shape[0] && other.shape[1] == scores.shape[1], otherName,
            $"'{otherName}' must have the scores' shape [{scores.shape[0]}, {scores.shape[1]}]; got [{string.Join(", ", other.shape)}].");
        Guard.Argument(scores.shape[1] >= 1, nameof(scores), "The slate must have at least one slot.");
    }
}
