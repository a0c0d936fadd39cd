using MLNetExt.TorchSharp.LabelProportions;
using MLNetExt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Tests.LabelProportions;

/// <summary>
/// The bag losses against the spec's oracles (docs/specs/shift_llp_pruning_calibration.md, "Test oracles" O10-O13),
/// recomputed with NumPy (/usr/bin/python3, float64) where a value is not in the spec: the bag of O10 has k = 4,
/// labels [1, 0, 1, 0] (alpha = 0.5), prior p = 0.4 and predictions h = [0.7, 0.2, 0.6, 0.4]. Logits are float64.
/// </summary>
[TestClass]
public sealed class BagLossTests
{
    private static readonly double[] H = [0.7, 0.2, 0.6, 0.4];

    [ClassInitialize]
    public static void LoadTorch(TestContext _) => TorchRuntime.EnsureLoaded();

    private static Tensor BinaryLogits(params double[] probabilities)
        => tensor(probabilities.Select(p => Math.Log(p / (1 - p))).ToArray(), [probabilities.Length, 1], dtype: ScalarType.Float64);

    private static BagBatch Bags(int[] sizes, float[] alpha, int width) => BagBatch.Create(sizes, alpha, width, CPU, ScalarType.Float64);

    private static double[] PerBag(LabelProportionsLoss loss, Tensor logits, BagBatch batch, double[] prior, double rho = 0.5,
        EasyLlpInstanceLoss easy = EasyLlpInstanceLoss.Log)
    {
        using var scope = NewDisposeScope();
        return BagLosses.PerBag(loss, logits, batch, tensor(prior, dtype: ScalarType.Float64), rho, easy).to(ScalarType.Float64).data<double>().ToArray();
    }

    [TestMethod]
    public void Dllp_O12_IsTheCrossEntropyOfTheProportionAndTheMeanPrediction()
    {
        // pbar = mean h = 0.475; -(0.5 ln 0.475 + 0.5 ln 0.525) = 0.694399 (spec O12).
        double[] value = PerBag(LabelProportionsLoss.Dllp, BinaryLogits(H), Bags([4], [0.5f], 1), [0.4]);
        Assert.AreEqual(0.6943987456690046, value[0], 1e-12);
        // The KL form (less H(alpha) = ln 2) is the held-out proportion loss: 0.001252 (spec O12).
        Assert.AreEqual(0.0012515651090593272, LabelProportionsFitting.ProportionDivergence([0.5], [0.525, 0.475]), 1e-15);
        // alpha = 0: -ln(1 - 0.475) = 0.644357 (NumPy), and the divergence of a matching mean is 0.
        Assert.AreEqual(0.6443570163905132, PerBag(LabelProportionsLoss.Dllp, BinaryLogits(H), Bags([4], [0f], 1), [0.4])[0], 1e-12);
        Assert.AreEqual(0, LabelProportionsFitting.ProportionDivergence([0.25], [0.75, 0.25]), 1e-15);
    }

    [TestMethod]
    public void Dllp_ExtremeLogits_StaysFinite_WhereTheNaiveLogOfTheMeanUnderflows()
    {
        // Every member at logit -200: sigmoid is 1e-87 in double (0 in float32), log(mean) is -200 exactly through logsumexp.
        var logits = full(4, 1, -200.0, dtype: ScalarType.Float32);
        double[] value = PerBag(LabelProportionsLoss.Dllp, logits, Bags([4], [0.25f], 1), [0.4]);
        Assert.AreEqual(0.25 * 200, value[0], 1e-3);
    }

    [TestMethod]
    public void EasyLlp_O10_SoftLabelAndLogAndSquaredLosses()
    {
        var batch = Bags([4, 4], [0.5f, 0f], 1);
        using (var soft = BagLosses.SoftLabels(batch, tensor(new[] { 0.4 }, dtype: ScalarType.Float64), binary: true))
        {
            // Columns (negative, positive): 4 (0.5 - 0.4) + 0.4 = 0.8; alpha = 0 gives -1.2, outside [0, 1] (spec O10 edge).
            var values = soft.data<double>().ToArray();
            Assert.AreEqual(0.8, values[1], 1e-7);
            Assert.AreEqual(0.2, values[0], 1e-7);
            Assert.AreEqual(-1.2, values[3], 1e-7);
            Assert.AreEqual(2.2, values[2], 1e-7);
        }
        var logits = BinaryLogits([.. H, .. H]);
        double[] log = PerBag(LabelProportionsLoss.EasyLlp, logits, batch, [0.4]);
        // 0.8 * mean(-ln(h + 1e-8)) + 0.2 * mean(-ln(1 - h + 1e-8)) = 0.8 * 0.848307 + 0.2 * 0.713558 = 0.821357 (spec O10).
        Assert.AreEqual(0.8213574524011344, log[0], 1e-7);
        // The < 0 case: -1.2 * 0.848307 + 2.2 * 0.713558 = 0.551859 (NumPy): a negative weight on -ln h.
        Assert.AreEqual(0.5518592112609808, log[1], 1e-7);
        double[] square = PerBag(LabelProportionsLoss.EasyLlp, logits, batch, [0.4], easy: EasyLlpInstanceLoss.Squared);
        // 0.8 * mean (1 - h)^2 + 0.2 * mean h^2 = 0.8 * 0.3125 + 0.2 * 0.2625 = 0.3025 (spec O10); -1.2 * 0.3125 + 2.2 * 0.2625 = 0.2025.
        Assert.AreEqual(0.3025, square[0], 1e-12);
        Assert.AreEqual(0.2025, square[1], 1e-12);
    }

    [TestMethod]
    public void EasyLlp_NegativeSoftLabel_LogLossIsBoundedBelowByTheClamp()
    {
        // alpha = 0, k = 4, p = 0.4 -> ytilde = -1.2: pushing every h to 0 makes the unclamped loss -> -inf; the clamp
        // -ln(h + 1e-8) stops at -1.2 * ln(1e8) + 2.2 * 0 = -22.105 (h -> 0, 1 - h -> 1).
        var logits = full(4, 1, -1000.0, dtype: ScalarType.Float64);
        double value = PerBag(LabelProportionsLoss.EasyLlp, logits, Bags([4], [0f], 1), [0.4])[0];
        Assert.AreEqual(-1.2 * Math.Log(1e8), value, 1e-6);
        Assert.IsTrue(double.IsFinite(value));
    }

    [TestMethod]
    public void EasyLlp_O11_Multiclass()
    {
        // k = 3, alpha = (2/3, 1/3, 0), prior (0.5, 0.3, 0.2) -> ytilde (1, 0.4, -0.4); every member predicts q = (0.6, 0.3, 0.1).
        var logits = tensor(Enumerable.Repeat(new[] { Math.Log(0.6), Math.Log(0.3), Math.Log(0.1) }, 3).SelectMany(x => x).ToArray(), [3, 3], dtype: ScalarType.Float64);
        var batch = Bags([3], [2f / 3, 1f / 3, 0f], 3);
        double[] prior = [0.5, 0.3, 0.2];
        using (var soft = BagLosses.SoftLabels(batch, tensor(prior, dtype: ScalarType.Float64), binary: false))
            CollectionAssert.AreEqual(new[] { 1.0, 0.4, -0.4 }, soft.data<double>().ToArray().Select(v => Math.Round(v, 6)).ToArray());
        Assert.AreEqual(0.07138071829874515, PerBag(LabelProportionsLoss.EasyLlp, logits, batch, prior)[0], 1e-6); // spec O11: 0.071381
        // Squared: sum_c ytilde_c ||e_c - q||^2 = 1 * 0.26 + 0.4 * 0.66 - 0.4 * 0.86 = 0.1 (NumPy).
        Assert.AreEqual(0.1, PerBag(LabelProportionsLoss.EasyLlp, logits, batch, prior, easy: EasyLlpInstanceLoss.Squared)[0], 1e-6);
        // DLLP with pbar = q: -(2/3 ln 0.6 + 1/3 ln 0.3) = 0.741875; bag squared ||alpha - q||^2 = 0.015556 (NumPy).
        Assert.AreEqual(0.7418746839526391, PerBag(LabelProportionsLoss.Dllp, logits, batch, prior)[0], 1e-6);
        Assert.AreEqual(0.015555555555555555, PerBag(LabelProportionsLoss.BagSquared, logits, batch, prior)[0], 1e-6);
    }

    [TestMethod]
    public void Squared_O13_BagInstanceInterpolating()
    {
        var logits = BinaryLogits(H);
        var batch = Bags([4], [0.5f], 1);
        // (0.5 - 0.475)^2 = 0.000625; mean (0.5 - h)^2 = 0.0375; mean (h - 0.475)^2 = 0.036875; L_0.5 = 0.0190625 (spec O13).
        Assert.AreEqual(0.000625, PerBag(LabelProportionsLoss.BagSquared, logits, batch, [0.4])[0], 1e-12);
        Assert.AreEqual(0.0375, PerBag(LabelProportionsLoss.InstanceSquared, logits, batch, [0.4])[0], 1e-12);
        Assert.AreEqual(0.0190625, PerBag(LabelProportionsLoss.Interpolating, logits, batch, [0.4], rho: 0.5)[0], 1e-12);
        Assert.AreEqual(0.000625 + 0.036875, PerBag(LabelProportionsLoss.Interpolating, logits, batch, [0.4], rho: 1)[0], 1e-12);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(4)]
    public void InstanceLoss_EqualsBagLossPlusWithinBagVariance_OnRandomBagsOfUnequalSizes(int classes)
    {
        // L_inst = L_bag + R exactly for squared loss (spec §2.3), bag by bag; and rho interpolates linearly.
        var random = new Random(5);
        int[] sizes = [1, 3, 7, 2, 5];
        int rows = sizes.Sum(), width = classes;
        var logits = tensor(Enumerable.Range(0, rows * width).Select(_ => 4 * random.NextDouble() - 2).ToArray(), [rows, width], dtype: ScalarType.Float64);
        var alpha = new float[sizes.Length * width];
        for (int b = 0; b < sizes.Length; b++)
        {
            var raw = Enumerable.Range(0, width).Select(_ => (float)random.NextDouble()).ToArray();
            float total = width == 1 ? 1 : raw.Sum();
            for (int c = 0; c < width; c++)
                alpha[b * width + c] = raw[c] / total;
        }
        var batch = Bags(sizes, alpha, width);
        double[] prior = Enumerable.Repeat(1.0 / Math.Max(2, width), width).ToArray();
        var bag = PerBag(LabelProportionsLoss.BagSquared, logits, batch, prior);
        var instance = PerBag(LabelProportionsLoss.InstanceSquared, logits, batch, prior);
        var rhoOne = PerBag(LabelProportionsLoss.Interpolating, logits, batch, prior, rho: 1);
        var rhoThird = PerBag(LabelProportionsLoss.Interpolating, logits, batch, prior, rho: 1.0 / 3);
        for (int b = 0; b < sizes.Length; b++)
        {
            Assert.AreEqual(instance[b], rhoOne[b], 1e-12, $"bag {b}");
            Assert.AreEqual(instance[b] / 3 + 2 * bag[b] / 3, rhoThird[b], 1e-12, $"bag {b}");
        }
        Assert.AreEqual(0, instance[0] - bag[0], 1e-12, "a bag of one row has no within-bag variance");
    }

    [TestMethod]
    public void BagsOfOneRow_EveryLossIsItsSupervisedInstanceLoss()
    {
        // k = 1 and alpha = y in {0, 1}: DLLP and EasyLLP (ytilde = 1 (y - p) + p = y) are the log loss, the squared ones (y - h)^2.
        double[] h = [0.9, 0.3, 0.6];
        double[] y = [1, 0, 0];
        var logits = BinaryLogits(h);
        var batch = Bags([1, 1, 1], y.Select(v => (float)v).ToArray(), 1);
        var logLoss = h.Select((p, i) => -(y[i] * Math.Log(p) + (1 - y[i]) * Math.Log(1 - p))).ToArray();
        var squared = h.Select((p, i) => (y[i] - p) * (y[i] - p)).ToArray();
        var dllp = PerBag(LabelProportionsLoss.Dllp, logits, batch, [0.35]);
        var easy = PerBag(LabelProportionsLoss.EasyLlp, logits, batch, [0.35]);
        for (int i = 0; i < 3; i++)
        {
            Assert.AreEqual(logLoss[i], dllp[i], 1e-12);
            Assert.AreEqual(logLoss[i], easy[i], 1e-7); // the 1e-8 offset inside the log
            foreach (var loss in new[] { LabelProportionsLoss.BagSquared, LabelProportionsLoss.InstanceSquared, LabelProportionsLoss.Interpolating })
                Assert.AreEqual(squared[i], PerBag(loss, logits, batch, [0.35])[i], 1e-12, loss.ToString());
            Assert.AreEqual(squared[i], PerBag(LabelProportionsLoss.EasyLlp, logits, batch, [0.35], easy: EasyLlpInstanceLoss.Squared)[i], 1e-12);
        }
    }

    [TestMethod]
    public void Batch_BagsOfDifferentSizes_EachBagIsComputedAlone()
    {
        // Three bags in one minibatch (sizes 2, 4, 1) give the per-bag values each bag gives alone.
        var random = new Random(9);
        int[] sizes = [2, 4, 1];
        float[] alpha = [0.5f, 0.25f, 1f];
        double[] all = Enumerable.Range(0, 7).Select(_ => 0.05 + 0.9 * random.NextDouble()).ToArray();
        foreach (var loss in Enum.GetValues<LabelProportionsLoss>())
        {
            var together = PerBag(loss, BinaryLogits(all), Bags(sizes, alpha, 1), [0.3]);
            int start = 0;
            for (int b = 0; b < sizes.Length; b++)
            {
                var alone = PerBag(loss, BinaryLogits(all[start..(start + sizes[b])]), Bags([sizes[b]], [alpha[b]], 1), [0.3]);
                Assert.AreEqual(alone[0], together[b], 1e-12, $"{loss}, bag {b}");
                start += sizes[b];
            }
        }
    }

    [TestMethod]
    public void Dllp_Gradient_EqualsAutogradOfTheNaiveFormula()
    {
        // d/dz of -(alpha ln mean sigmoid(z) + (1 - alpha) ln mean sigmoid(-z)), through logsumexp vs through the mean directly.
        double[] z = [0.3, -1.2, 2.0];
        var a = tensor(z, [3, 1], dtype: ScalarType.Float64).requires_grad_(true);
        var b = tensor(z, [3, 1], dtype: ScalarType.Float64).requires_grad_(true);
        var ours = PerBagTensor(LabelProportionsLoss.Dllp, a, Bags([3], [1f / 3], 1));
        ours.sum().backward();
        var p = b.sigmoid().mean();
        var naive = -((1.0 / 3) * p.log() + (2.0 / 3) * (1 - p).log());
        naive.backward();
        var ga = a.grad!.data<double>().ToArray();
        var gb = b.grad!.data<double>().ToArray();
        for (int i = 0; i < 3; i++)
            Assert.AreEqual(gb[i], ga[i], 1e-7);
    }

    private static Tensor PerBagTensor(LabelProportionsLoss loss, Tensor logits, BagBatch batch)
        => BagLosses.PerBag(loss, logits, batch, tensor(new[] { 0.4 }, dtype: ScalarType.Float64), 0.5, EasyLlpInstanceLoss.Log);
}
