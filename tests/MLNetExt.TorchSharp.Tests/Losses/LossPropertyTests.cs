using MLNetExt.TorchSharp.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Tests.Losses;

/// <summary>Properties of the losses beyond the oracles: the fast Sinkhorn gradient, masking, the temperature limit.</summary>
[TestClass]
[DoNotParallelize]
public sealed class LossPropertyTests
{
    /// <summary>A batch of lists of 1 to <paramref name="slate"/> documents (padding after), random scores and grades 0-4.</summary>
    internal static (Tensor Scores, Tensor Labels) RandomBatch(int lists, int slate, int seed, ScalarType type)
    {
        var random = new Random(seed);
        var s = new double[lists * slate];
        var y = new double[lists * slate];
        for (int b = 0; b < lists; b++)
        {
            int n = b == 0 ? slate : 1 + random.Next(slate);
            for (int i = 0; i < slate; i++)
            {
                s[b * slate + i] = i < n ? 2 * random.NextDouble() - 1 : 0;
                y[b * slate + i] = i < n ? random.Next(5) : -1;
            }
        }
        return (tensor(s, [lists, slate], ScalarType.Float64).to(type), tensor(y, [lists, slate], ScalarType.Float64).to(type));
    }

    [TestMethod]
    public void NeuralNdcg_ClosedFormSinkhornGradient_EqualsAutogradThroughTheUnrolledLoop()
    {
        foreach (var (type, tolerance) in new[] { (ScalarType.Float64, 1e-10), (ScalarType.Float32, 2e-5) })
        {
            foreach (bool transposed in new[] { false, true })
            {
                using var scope = NewDisposeScope();
                var (s, y) = RandomBatch(6, 25, 3, type);
                double[] Gradient(bool unrolled, out double value)
                {
                    RankingLosses.UnrolledSinkhornGradient = unrolled;
                    try
                    {
                        var leaf = s.clone().requires_grad_();
                        var loss = transposed ? RankingLosses.NeuralNdcgTransposed(leaf, y, 0.5, 10) : RankingLosses.NeuralNdcg(leaf, y, 0.5, 10);
                        loss.backward();
                        value = loss.to(ScalarType.Float64).item<double>();
                        return leaf.grad!.to(ScalarType.Float64).data<double>().ToArray();
                    }
                    finally
                    {
                        RankingLosses.UnrolledSinkhornGradient = false;
                    }
                }
                var fast = Gradient(false, out double fastValue);
                var unrolled = Gradient(true, out double unrolledValue);
                Assert.AreEqual(unrolledValue, fastValue, tolerance, $"value, {type}, transposed {transposed}");
                double scale = unrolled.Max(Math.Abs);
                for (int i = 0; i < fast.Length; i++)
                    Assert.AreEqual(unrolled[i], fast[i], tolerance * Math.Max(scale, 1e-3), $"gradient[{i}], {type}, transposed {transposed}");
            }
        }
    }

    private static (double Loss, double[] Gradient) Eval(double[] s, double[] y, Func<Tensor, Tensor, Tensor> loss)
        => LossOracleTests.Evaluate(s, y, ScalarType.Float64, loss);

    public static IEnumerable<object[]> AllLosses()
    {
        yield return ["neuralNDCG"];
        yield return ["neuralNDCG_transposed"];
        yield return ["listNet"];
        yield return ["approxNDCG"];
        yield return ["rankNet"];
        yield return ["rcr"];
    }

    private static Func<Tensor, Tensor, Tensor> Loss(string name) => name switch
    {
        "neuralNDCG" => (s, y) => RankingLosses.NeuralNdcg(s, y),
        "neuralNDCG_transposed" => (s, y) => RankingLosses.NeuralNdcgTransposed(s, y),
        "rcr" => (s, y) => RankingLosses.Rcr(s, y.clamp_max(1)),          // targets in [0, 1]; -1 stays -1
        _ => LossOracleTests.Loss(name),
    };

    [TestMethod]
    [DynamicData(nameof(AllLosses))]
    public void Padding_HasNoEffect_OnTheValueOrTheRealGradients_AndGetsZeroGradient(string name)
    {
        double[] s = [0.7, -0.2, 1.1, 0.05, 0.6, -0.9];
        double[] y = [0, 1, 0, 2, 1, 4];
        var plain = Eval(s, y, Loss(name));
        // The same list padded with 4 slots holding arbitrary scores.
        var padded = Eval([.. s, 5.0, -3.0, 0.25, 100.0], [.. y, -1, -1, -1, -1], Loss(name));
        Assert.AreEqual(plain.Loss, padded.Loss, 1e-12, $"{name}: value");
        for (int i = 0; i < s.Length; i++)
            Assert.AreEqual(plain.Gradient[i], padded.Gradient[i], 1e-12, $"{name}: gradient[{i}]");
        CollectionAssert.AreEqual(new double[4], padded.Gradient[s.Length..], $"{name}: padded slots get exactly 0");
    }

    [TestMethod]
    public void NeuralNdcg_TendsToTrueNdcg_AsTheTemperatureGoesToZero()
    {
        // Tie-free list C: the true NDCG (gain 2^l - 1, log2 discount, whole list) of the scores' order.
        double[] s = LossOracleTests.ScoresC;
        double[] y = LossOracleTests.LabelsC;
        double ndcg = MLNetExt.Ranking.RankingMeasures.Ndcg(y.Select(v => (float)v).ToArray(), s, y.Length);
        foreach (double t in new[] { 1e-2, 1e-3 })
        {
            var (loss, _) = Eval(s, y, (a, b) => RankingLosses.NeuralNdcg(a, b, t));
            Assert.AreEqual(ndcg, -loss, 1e-6, $"T = {t}");
        }
        var (warm, _) = Eval(s, y, (a, b) => RankingLosses.NeuralNdcg(a, b, 1.0));
        Assert.IsTrue(Math.Abs(ndcg + warm) > 1e-3, "at T = 1 the relaxation differs from the true NDCG");
    }

    [TestMethod]
    public void NeuralNdcg_OneDocument_IsOneWithZeroGradient_AndListsWithoutRelevance_GiveZero()
    {
        // allRank raises an IndexError for a slate of one; the NDCG of one relevant document is 1, its gradient 0.
        var (one, gradient) = Eval([0.3], [2], (a, b) => RankingLosses.NeuralNdcg(a, b));
        Assert.AreEqual(-1.0, one, 1e-9);
        Assert.AreEqual(0.0, gradient[0], 1e-12);
        // Every list without a relevant document: loss 0 with a (zero) gradient, so backward() still works.
        var (none, zero) = Eval([0.3, -0.1, 0.2], [0, 0, 0], (a, b) => RankingLosses.NeuralNdcg(a, b));
        Assert.AreEqual(0.0, none);
        CollectionAssert.AreEqual(new double[3], zero);
    }
}
