using TorchSharp;
using MLNetExt.TorchSharp.Training;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Losses;

/// <summary>
/// f_b = a_b^T S(P_b) c_b for a batch of matrices P, where S is allRank's Sinkhorn scaling (spec §5.2) and a, c are
/// constant vectors, with the exact gradient of the unrolled iterations (what autograd through allRank's loop gives)
/// computed by a hand-written reverse pass over the scaling vectors.
/// </summary>
/// <remarks>
/// <para>S(P) = diag(u_T) M diag(v_T) with M the masked P: column step v_t = v_{t-1} / max(c_t, eps),
/// c_t = v_{t-1} (M^T u_{t-1}); row step u_t = u_{t-1} / max(r_t, eps), r_t = u_{t-1} (M v_t); stop at the first t where
/// every column sum v_t (M^T u_t) of the batch is within the tolerance of 1. The forward pass reads M twice per
/// iteration (as row vector times matrix, the fast form of libtorch's CPU bmm) and writes no matrix. The reverse pass
/// walks the iterations back on vectors (two matrix-vector products per iteration) and assembles dL/dM = sum of rank-one terms as one batched product [n, 2T+1] x [2T+1, n]; autograd
/// through allRank's loop instead stores and differentiates 4T full matrices.</para>
/// <para>The gradient reaches P through a surrogate term, value + sum(P G) - detach(sum(P G)), whose value is f and
/// whose gradient with respect to P is G = df/dM (zero at masked entries, which do not depend on P): no custom autograd
/// node is needed, and nothing is computed for the gradient when P does not require one.</para>
/// </remarks>
internal static class SinkhornBilinear
{
    /// <param name="p">[lists, n, n] row-stochastic matrices (NeuralSort's output), in the graph.</param>
    /// <param name="mask">[lists, n] padded slots.</param>
    /// <param name="a">[lists, n] row weights (constant).</param>
    /// <param name="c">[lists, n] column weights (constant).</param>
    /// <param name="tolerance">Sinkhorn's tolerance.</param>
    /// <param name="maxIterations">Sinkhorn's iteration limit.</param>
    /// <param name="transposed">Evaluate f as c^T (S^T a) instead of a^T (S c) (the same number, associated the other way).</param>
    public static Tensor Value(Tensor p, Tensor mask, Tensor a, Tensor c, double tolerance, int maxIterations, bool transposed)
    {
        bool needsGradient = p.requires_grad && is_grad_enabled();
        var (value, gradient) = ValueAndGradient(p.detach(), mask, a, c, tolerance, maxIterations, transposed, needsGradient);
        if (gradient is null)
            return value;
        var surrogate = (p * gradient).sum([1L, 2L]);
        return value.Plus(surrogate) - surrogate.detach();
    }

    /// <summary>f and, when <paramref name="withGradient"/>, df/dP (zero at masked entries), computed without autograd.</summary>
    public static (Tensor Value, Tensor? Gradient) ValueAndGradient(Tensor p, Tensor mask, Tensor a, Tensor c, double tolerance, int maxIterations,
        bool transposed, bool withGradient)
    {
        Tensor value, gradient;
        using (no_grad())
        {
            var either = mask.unsqueeze(2).logical_or(mask.unsqueeze(1));
            var both = mask.unsqueeze(2).logical_and(mask.unsqueeze(1));
            var m = p.masked_fill(either, S(0)).masked_fill_(both, S(1));
            // Every matrix-vector product is a row vector times a contiguous matrix ([lists, 1, n] x [lists, n, n]), which
            // libtorch's CPU bmm runs about ten times faster than matrix times column vector: x M = (M^T x)^T, x M^T = (M x)^T.
            var mt = m.transpose(1, 2).contiguous();
            long lists = p.shape[0], n = p.shape[1];
            var u = ones(lists, 1, n, dtype: p.dtype, device: p.device);
            var v = ones(lists, 1, n, dtype: p.dtype, device: p.device);
            // History for the reverse pass: u_{t-1}, v_{t-1}, M^T u_{t-1}, M v_t and the clamped sums.
            var us = new List<Tensor> { u };
            var vs = new List<Tensor> { v };
            var mtus = new List<Tensor>();
            var mvs = new List<Tensor>();
            var columnSums = new List<Tensor>();
            var rowSums = new List<Tensor>();
            var mtu = u.bmm(m);
            for (int t = 0; t < maxIterations; t++)
            {
                var cs = (v * mtu).clamp_min(S(RankingLosses.Epsilon));
                v = v / cs;
                var mv = v.bmm(mt);
                var rs = (u * mv).clamp_min(S(RankingLosses.Epsilon));
                u = u / rs;
                mtus.Add(mtu);
                columnSums.Add(cs);
                mvs.Add(mv);
                rowSums.Add(rs);
                us.Add(u);
                vs.Add(v);
                mtu = u.bmm(m);
                if ((v * mtu - S(1)).abs().max().ToDouble() < tolerance)
                    break;
            }
            int iterations = mtus.Count;
            var ua = u * a.unsqueeze(1);
            var vc = v * c.unsqueeze(1);
            var mVc = vc.bmm(mt);           // M (v c)
            var mtUa = ua.bmm(m);           // M^T (u a)
            value = transposed ? (vc * mtUa).sum([1L, 2L]) : (ua * mVc).sum([1L, 2L]);
            if (!withGradient)
                return (value, null);

            // Reverse pass: ub = df/du_t, vb = df/dv_t; dM collects left[k]^T right[k] terms (row vectors).
            var left = new List<Tensor> { ua };
            var right = new List<Tensor> { vc };
            var ub = a.unsqueeze(1) * mVc;
            var vb = c.unsqueeze(1) * mtUa;
            for (int t = iterations; t >= 1; t--)
            {
                Tensor uPrev = us[t - 1], vPrev = vs[t - 1], uT = us[t], vT = vs[t];
                Tensor rs = rowSums[t - 1], cs = columnSums[t - 1];
                // u_t = u_{t-1} / max(r_t, eps), r_t = u_{t-1} (M v_t).
                var rBar = (-ub * uT / rs).mul(rs.gt(S(RankingLosses.Epsilon)));
                var ubPrev = (ub / rs).Plus(rBar * mvs[t - 1]);
                var alpha = rBar * uPrev;
                vb = vb.Plus(alpha.bmm(m));
                left.Add(alpha);
                right.Add(vT);
                // v_t = v_{t-1} / max(c_t, eps), c_t = v_{t-1} (M^T u_{t-1}).
                var cBar = (-vb * vT / cs).mul(cs.gt(S(RankingLosses.Epsilon)));
                var vbPrev = (vb / cs).Plus(cBar * mtus[t - 1]);
                var beta = cBar * vPrev;
                ubPrev = ubPrev.Plus(beta.bmm(mt));
                left.Add(uPrev);
                right.Add(beta);
                ub = ubPrev;
                vb = vbPrev;
            }
            gradient = cat(left, 1).transpose(1, 2).bmm(cat(right, 1)).masked_fill_(either, S(0));
        }
        return (value, gradient);
    }

    private static Scalar S(double value) => TorchScalars.Get(value);
}
