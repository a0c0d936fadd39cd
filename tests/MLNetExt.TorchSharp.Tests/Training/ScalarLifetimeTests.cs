using MLNetExt.TorchSharp.Losses;
using MLNetExt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Tests.Training;

/// <summary>
/// Regression tests for the scalar-lifetime defect (see <see cref="TorchScalars"/>): TorchSharp's <c>a + b</c>, its
/// softplus and its Adam step hand libtorch temporary scalars that a garbage collection on another thread can free
/// mid-call; the neural bench died of it ("Expected false to be true" from c10::Scalar::toFloat in ApproxNDCG's
/// <c>sig.sum(2) + 1</c>). The package now passes only cached or explicitly kept scalars.
/// </summary>
[TestClass]
public sealed class ScalarLifetimeTests
{
    /// <summary>Our Adam and AdamW give bitwise TorchSharp's weights (the oracle) over steps with changing gradients.</summary>
    [TestMethod]
    [DataRow(false, 0.0)]
    [DataRow(false, 0.01)]
    [DataRow(true, 0.01)]
    public void TorchAdamEqualsTorchSharpOptimizerBitwise(bool decoupled, double weightDecay)
    {
        using var scope = NewDisposeScope();
        var start = tensor(new float[] { 0.5f, -1.25f, 2f, 0.1f, -0.3f, 0.7f }, [2, 3]);
        var ours = nn.Parameter(start.clone());
        var theirs = nn.Parameter(start.clone());
        using var adam = new TorchAdam([ours], 0.01, weightDecay, decoupled);
        optim.Optimizer reference = decoupled ? optim.AdamW([theirs], lr: 0.01, weight_decay: weightDecay) : optim.Adam([theirs], lr: 0.01, weight_decay: weightDecay);
        for (int step = 0; step < 7; step++)
        {
            adam.ZeroGradients();
            reference.zero_grad();
            foreach (var p in new[] { ours, theirs })
            {
                // A loss whose gradient changes with the weights and the step: sum(w^3) * (step + 1) / 3 + sum(w).
                var loss = (p.pow(3).sum() * (step + 1) / 3.0).Plus(p.sum());
                loss.backward();
            }
            adam.Step();
            reference.step();
            CollectionAssert.AreEqual(theirs.detach().data<float>().ToArray(), ours.detach().data<float>().ToArray(), $"step {step + 1}");
        }
        CollectionAssert.AreNotEqual(start.data<float>().ToArray(), ours.detach().data<float>().ToArray());
    }

    /// <summary>
    /// Every loss's value and gradient, and an Adam step, computed 100 times while another thread forces
    /// garbage collections and finalizers without pause: every repetition equals the first, bitwise, and nothing throws.
    /// With TorchSharp's <c>+</c>, softplus and Adam (before the fix) this fails: a freed scalar is read as garbage.
    /// </summary>
    [TestMethod]
    [Timeout(120_000)]
    public void LossesAndAdamSurviveConcurrentGarbageCollection()
    {
        float[] scoreValues = [0.3f, -0.2f, 1.1f, 0.05f, 0.6f, -0.9f, 0.2f, 0.4f];
        float[] labelValues = [2, 0, 1, 3, 1, 0, -1, -1];
        float[] targetValues = [2 / 3f, 0, 1 / 3f, 1, 1 / 3f, 0, -1, -1];   // RCR's targets: grades / 3, -1 at padding
        Func<Tensor, Tensor, Tensor>[] losses =
        [
            (s, y) => RankingLosses.NeuralNdcg(s, y),
            (s, y) => RankingLosses.ListNet(s, y),
            (s, y) => RankingLosses.ApproxNdcg(s, y),
            (s, y) => RankingLosses.RankNet(s, y),
        ];
        float[] Run()
        {
            using var scope = NewDisposeScope();
            var results = new List<float>();
            var labels = tensor(labelValues, [2, 4]);
            foreach (var loss in losses)
            {
                var scores = tensor(scoreValues, [2, 4]).requires_grad_();
                var value = loss(scores, labels);
                value.backward();
                results.Add(value.item<float>());
                results.AddRange(scores.grad!.data<float>().ToArray());
            }
            var rcrScores = tensor(scoreValues, [2, 4]).requires_grad_();
            var rcr = RankingLosses.Rcr(rcrScores, tensor(targetValues, [2, 4]));
            rcr.backward();
            results.Add(rcr.item<float>());
            results.AddRange(rcrScores.grad!.data<float>().ToArray());
            var weights = tensor(scoreValues, [2, 4]).requires_grad_();
            using var adam = new TorchAdam([weights], 0.01, 0.01, decoupled: false);
            for (int step = 0; step < 3; step++)
            {
                adam.ZeroGradients();
                RankingLosses.ApproxNdcg(weights, labels).backward();
                adam.Step();
            }
            results.AddRange(weights.detach().data<float>().ToArray());
            return results.ToArray();
        }

        var expected = Run();
        using (ForcedCollections.Start())
        {
            for (int repetition = 0; repetition < 100; repetition++)
                CollectionAssert.AreEqual(expected, Run(), $"repetition {repetition}");
        }
    }
}
