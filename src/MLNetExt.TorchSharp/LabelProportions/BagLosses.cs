using MLNetExt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.LabelProportions;

/// <summary>The loss a label-proportion learner minimises (docs/specs/shift_llp_pruning_calibration.md §2).</summary>
public enum LabelProportionsLoss
{
    /// <summary>
    /// DLLP (Ardehaly and Culotta 2017): the cross-entropy between a bag's proportion and its members' mean predicted
    /// distribution, <c>-sum_c alpha_c log(mean_i q_ic)</c>. Works for any bags, random or feature-dependent.
    /// </summary>
    Dllp,

    /// <summary>
    /// EasyLLP (Busa-Fekete et al. 2023): every member gets the debiased soft label <c>k (alpha - p) + p</c>
    /// (multiclass: <c>k alpha - (k - 1) prior</c>) and an instance loss (log or squared) weighted by it; unbiased for
    /// random bags, not for feature-dependent ones. Soft labels fall outside [0, 1]; the log loss is then clamped.
    /// </summary>
    EasyLlp,

    /// <summary>Bag-level squared error <c>||alpha - mean_i q_i||^2</c> (the interpolating loss at rho = 0).</summary>
    BagSquared,

    /// <summary>Instance-level squared error <c>mean_i ||alpha - q_i||^2</c>: each member takes its bag's proportion as its label (rho = 1).</summary>
    InstanceSquared,

    /// <summary>
    /// The interpolating estimator of Javanmard et al. (2024): <c>||alpha - qbar||^2 + rho mean_i ||q_i - qbar||^2</c>,
    /// that is <c>rho L_inst + (1 - rho) L_bag</c>.
    /// </summary>
    Interpolating,
}

/// <summary>The per-instance loss inside EasyLLP's debiased loss.</summary>
public enum EasyLlpInstanceLoss
{
    /// <summary>Log loss, <c>-log(q_c + 1e-8)</c> as in the EasyLLP experiment code: bounded below by <c>log(1e-8)</c> when a soft label is negative.</summary>
    Log,

    /// <summary>Squared loss: binary <c>(1 - h)^2</c> and <c>h^2</c>; multiclass <c>||e_c - q||^2</c>. Bounded, as the spec's pitfall note recommends.</summary>
    Squared,
}

/// <summary>
/// A minibatch of whole bags as tensors: its rows in bag order, the bag of each row, the padded layout used by the
/// DLLP log-sum-exp, and each bag's size and proportion.
/// </summary>
/// <param name="BagOfRow">[rows] long: the batch-local bag of each row (0 .. bags - 1).</param>
/// <param name="Positions">[rows] long: each row's slot in the padded [bags, longest] layout (bag * longest + j).</param>
/// <param name="Padding">[bags, longest] bool: true at padded slots.</param>
/// <param name="Sizes">[bags] float: the rows of each bag (k_b).</param>
/// <param name="Alpha">[bags, width] float: each bag's proportion (binary: width 1, the positive fraction).</param>
internal sealed record BagBatch(Tensor BagOfRow, Tensor Positions, Tensor Padding, Tensor Sizes, Tensor Alpha)
{
    /// <summary>The number of bags.</summary>
    public long BagCount => Sizes.shape[0];

    /// <summary>The longest bag.</summary>
    public long Longest => Padding.shape[1];

    /// <summary>
    /// Builds the tensors for bags given by their sizes (the rows are bag 0's, then bag 1's, ...) and proportions
    /// (<paramref name="alpha"/>, <c>sizes.Length * width</c> values), on <paramref name="device"/>, sizes and
    /// proportions in <paramref name="dtype"/> (the logits' type: float32 in training, float64 in the oracle tests).
    /// </summary>
    public static BagBatch Create(ReadOnlySpan<int> sizes, ReadOnlySpan<float> alpha, int width, Device device, ScalarType dtype = ScalarType.Float32)
    {
        int bags = sizes.Length, longest = 0, rows = 0;
        foreach (int k in sizes)
        {
            longest = Math.Max(longest, k);
            rows += k;
        }
        var bagOfRow = new long[rows];
        var positions = new long[rows];
        var padding = new bool[bags * longest];
        var sizeValues = new float[bags];
        int r = 0;
        for (int b = 0; b < bags; b++)
        {
            sizeValues[b] = sizes[b];
            for (int j = 0; j < longest; j++)
                padding[b * longest + j] = j >= sizes[b];
            for (int j = 0; j < sizes[b]; j++, r++)
            {
                bagOfRow[r] = b;
                positions[r] = (long)b * longest + j;
            }
        }
        return new BagBatch(
            tensor(bagOfRow).to(device),
            tensor(positions).to(device),
            tensor(padding, [bags, longest]).to(device),
            tensor(sizeValues).to(dtype, device),
            tensor(alpha.ToArray(), [bags, width]).to(dtype, device));
    }

    /// <summary>Per-bag means of per-row values [rows, c] -> [bags, c].</summary>
    public Tensor BagMean(Tensor values)
        => zeros(BagCount, values.shape[1], dtype: values.dtype, device: values.device).index_add(0, BagOfRow, values, TorchScalars.Get(1)) / Sizes.unsqueeze(1);

    /// <summary>Per-row values [rows, c] in the padded layout [bags, longest, c], <paramref name="fill"/> at padded slots.</summary>
    public Tensor Pad(Tensor values, double fill)
    {
        long c = values.shape[1];
        var padded = zeros(BagCount * Longest, c, dtype: values.dtype, device: values.device).index_copy(0, Positions, values).view(BagCount, Longest, c);
        return padded.masked_fill(Padding.unsqueeze(2), TorchScalars.Get(fill));
    }
}

/// <summary>
/// The label-proportion losses of spec §2.5 on a minibatch of whole bags, as differentiable per-bag values; the
/// minibatch loss is their mean (every bag counts once, whatever its size, as the spec's <c>mean_b L_b</c>).
/// Logits are [rows, 1] for binary data (the positive class's logit; probability h = sigmoid) and [rows, K] for K
/// classes (q = softmax). Binary proportions are [bags, 1] (the positive fraction) and the binary squared losses are
/// the scalar forms <c>(alpha - h)^2</c> of the spec's oracles (half the two-class vector form).
/// </summary>
internal static class BagLosses
{
    /// <summary>The EasyLLP experiment code's probability offset in its log losses, <c>-log(q + 1e-8)</c>.</summary>
    public const double LogOffset = 1e-8;

    private static Scalar S(double value) => TorchScalars.Get(value);

    /// <summary>Per-bag losses [bags].</summary>
    /// <param name="loss">Which loss.</param>
    /// <param name="logits">[rows, 1] (binary) or [rows, K].</param>
    /// <param name="batch">The bags.</param>
    /// <param name="prior">[width]: the class prior for EasyLLP (binary: P(y = 1)); ignored by the other losses.</param>
    /// <param name="rho">The interpolating loss's weight of the within-bag variance, in [0, 1].</param>
    /// <param name="easyLoss">EasyLLP's instance loss.</param>
    public static Tensor PerBag(LabelProportionsLoss loss, Tensor logits, BagBatch batch, Tensor prior, double rho, EasyLlpInstanceLoss easyLoss)
    {
        bool binary = logits.shape[1] == 1;
        return loss switch
        {
            LabelProportionsLoss.Dllp => Dllp(ClassLogProbabilities(logits), batch, TwoClass(batch.Alpha, binary)),
            LabelProportionsLoss.EasyLlp => easyLoss == EasyLlpInstanceLoss.Log
                ? EasyLlpLog(ClassLogProbabilities(logits), batch, SoftLabels(batch, prior, binary))
                : EasyLlpSquared(Probabilities(logits), batch, SoftLabels(batch, prior, binary), binary),
            LabelProportionsLoss.BagSquared => Interpolating(Probabilities(logits), batch, 0),
            LabelProportionsLoss.InstanceSquared => InstanceSquared(Probabilities(logits), batch),
            _ => Interpolating(Probabilities(logits), batch, rho),
        };
    }

    /// <summary>Log-probabilities of every class, [rows, 2] for binary logits (negative, positive) or log-softmax [rows, K].</summary>
    public static Tensor ClassLogProbabilities(Tensor logits)
        => logits.shape[1] == 1
            ? cat([nn.functional.logsigmoid(-logits), nn.functional.logsigmoid(logits)], 1)
            : logits.log_softmax(1);

    /// <summary>The prediction vectors of the squared losses: h = sigmoid [rows, 1] (binary) or softmax [rows, K].</summary>
    public static Tensor Probabilities(Tensor logits) => logits.shape[1] == 1 ? logits.sigmoid() : logits.softmax(1);

    /// <summary>Binary proportions [bags, 1] as two-class vectors (1 - alpha, alpha); multiclass ones unchanged.</summary>
    private static Tensor TwoClass(Tensor alpha, bool binary) => binary ? cat([alpha.OneMinus(), alpha], 1) : alpha;

    /// <summary>
    /// EasyLLP's soft labels [bags, classes]: <c>k_b alpha_b - (k_b - 1) prior</c> (binary: <c>k (alpha - p) + p</c> for
    /// the positive class and one minus it for the negative one). Unbiased for random bags; outside [0, 1] in general.
    /// </summary>
    public static Tensor SoftLabels(BagBatch batch, Tensor prior, bool binary)
    {
        var k = batch.Sizes.unsqueeze(1);
        var soft = k * batch.Alpha - (k - S(1)) * prior.unsqueeze(0);
        return TwoClass(soft, binary);
    }

    /// <summary>DLLP: <c>-sum_c alpha_c log pbar_c</c>, with log pbar_c = logsumexp_i log q_ic - log k computed without underflow.</summary>
    public static Tensor Dllp(Tensor logProbabilities, BagBatch batch, Tensor alpha)
    {
        var logMean = batch.Pad(logProbabilities, double.NegativeInfinity).logsumexp(1) - batch.Sizes.log().unsqueeze(1);
        return -(alpha * logMean).sum(1);
    }

    /// <summary>EasyLLP with log loss: <c>mean_i sum_c ytilde_c (-log(q_ic + 1e-8))</c>.</summary>
    public static Tensor EasyLlpLog(Tensor logProbabilities, BagBatch batch, Tensor softLabels)
    {
        // -log(q + eps) = -logaddexp(log q, log eps): the reference code's clamp, computed without 1 - h cancelling in float.
        var instance = -logProbabilities.logaddexp(full_like(logProbabilities, S(Math.Log(LogOffset))));
        return (softLabels * batch.BagMean(instance)).sum(1);
    }

    /// <summary>
    /// EasyLLP with squared loss: binary <c>ytilde mean_i (1 - h_i)^2 + (1 - ytilde) mean_i h_i^2</c>; multiclass
    /// <c>mean_i sum_c ytilde_c ||e_c - q_i||^2</c>.
    /// </summary>
    public static Tensor EasyLlpSquared(Tensor probabilities, BagBatch batch, Tensor softLabels, bool binary)
    {
        if (binary)
        {
            var meanPositive = batch.BagMean(probabilities.OneMinus().square());
            var meanNegative = batch.BagMean(probabilities.square());
            return (softLabels.narrow(1, 1, 1) * meanPositive).Plus(softLabels.narrow(1, 0, 1) * meanNegative).squeeze(1);
        }
        // ||e_c - q||^2 = 1 - 2 q_c + ||q||^2, averaged over the bag.
        var meanSquaredNorm = batch.BagMean(probabilities.square().sum(1, keepdim: true));
        var meanQ = batch.BagMean(probabilities);
        return (softLabels * (meanSquaredNorm.Plus(1) - S(2) * meanQ)).sum(1);
    }

    /// <summary><c>mean_i ||alpha - q_i||^2</c>.</summary>
    public static Tensor InstanceSquared(Tensor probabilities, BagBatch batch)
    {
        var residual = batch.Alpha.index_select(0, batch.BagOfRow) - probabilities;
        return batch.BagMean(residual.square()).sum(1);
    }

    /// <summary><c>||alpha - qbar||^2 + rho mean_i ||q_i - qbar||^2</c> (rho = 0: the bag-level loss).</summary>
    public static Tensor Interpolating(Tensor probabilities, BagBatch batch, double rho)
    {
        var mean = batch.BagMean(probabilities);
        var bagLevel = (batch.Alpha - mean).square().sum(1);
        if (rho == 0)
            return bagLevel;
        var spread = probabilities - mean.index_select(0, batch.BagOfRow);
        return bagLevel.Plus(S(rho) * batch.BagMean(spread.square()).sum(1));
    }
}
