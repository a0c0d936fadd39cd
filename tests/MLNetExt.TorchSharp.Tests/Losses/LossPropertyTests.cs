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
}
