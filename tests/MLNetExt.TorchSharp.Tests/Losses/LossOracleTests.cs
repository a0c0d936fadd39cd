using MLNetExt.TorchSharp.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetExt.TorchSharp.Tests.Losses;

/// <summary>
/// Every allRank oracle of docs/specs/ranking.md §8.6 (allRank @c884756's own code run in float64) and the RCR oracles
/// of §8.5 (numpy formulas checked against torch autograd): loss values and gradients within 1e-6 in float64 and 1e-5
/// relative in float32.
/// </summary>
[TestClass]
public sealed class LossOracleTests
{
    internal static readonly float[] ScoresA = [0.1f, 0.8f, -0.4f, 0.3f];
    internal static readonly float[] LabelsA = [2, 0, 1, 3];
    internal static readonly double[] ScoresA64 = [0.1, 0.8, -0.4, 0.3];
    internal static readonly double[] ScoresB = [1.0, -0.3, 0.2, 0, 0];
    internal static readonly double[] LabelsB = [1, 0, 2, -1, -1];
    internal static readonly double[] ScoresC = [0.7, -0.2, 1.1, 0.05, 0.6, -0.9];
    internal static readonly double[] LabelsC = [0, 1, 0, 2, 1, 4];

    private static (double[] S, double[] Y) Case(char name) => name switch
    {
        'A' => (ScoresA64, LabelsA.Select(v => (double)v).ToArray()),
        'B' => (ScoresB, LabelsB),
        _ => (ScoresC, LabelsC),
    };

    /// <summary>Loss value and gradient of one list (a batch of one) in the given precision.</summary>
    internal static (double Loss, double[] Gradient) Evaluate(double[] scores, double[] labels, ScalarType type, Func<Tensor, Tensor, Tensor> loss)
    {
        using var scope = NewDisposeScope();
        var s = tensor(scores, dtype: ScalarType.Float64).to(type).unsqueeze(0).requires_grad_();
        var y = tensor(labels, dtype: ScalarType.Float64).to(type).unsqueeze(0);
        var value = loss(s, y);
        value.backward();
        return (value.to(ScalarType.Float64).item<double>(), s.grad!.to(ScalarType.Float64).squeeze(0).data<double>().ToArray());
    }

    private static void Check(double expected, double actual, ScalarType type, string what)
    {
        if (type == ScalarType.Float64)
            Assert.AreEqual(expected, actual, 1e-6, what);
        else
            Assert.AreEqual(expected, actual, 1e-5 * Math.Max(Math.Abs(expected), 1e-2), $"{what} (float32, 1e-5 relative)");
    }

    private static void CheckGradient(double[] expected, double[] actual, ScalarType type, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            if (type == ScalarType.Float64)
                Assert.AreEqual(expected[i], actual[i], 1e-6, $"{what}[{i}]");
            else
                Assert.AreEqual(expected[i], actual[i], 1e-5 * scale, $"{what}[{i}] (float32, 1e-5 relative to the largest component)");
        }
    }

    public static IEnumerable<object[]> NeuralNdcgCases()
    {
        // list, temperature, k, expected loss (spec §8.6 table)
        yield return ['A', 1.0, null!, -0.729979838824];
        yield return ['A', 1.0, 2, -0.477118899038];
        yield return ['A', 0.1, null!, -0.670940605615];
        yield return ['A', 0.1, 2, -0.464986546137];
        yield return ['B', 1.0, null!, -0.801652460717];
        yield return ['B', 1.0, 2, -0.660369463933];
        yield return ['B', 0.1, null!, -0.796052457333];
        yield return ['B', 0.1, 2, -0.793288028751];
        yield return ['C', 1.0, null!, -0.443173927360];
        yield return ['C', 1.0, 2, -0.032512488017];
        yield return ['C', 0.1, null!, -0.423643171476];
        yield return ['C', 0.1, 2, -0.009983414345];
    }

    [TestMethod]
    [DynamicData(nameof(NeuralNdcgCases))]
    public void NeuralNdcg_AndTransposed_EqualAllRank(char list, double temperature, int? k, double expected)
    {
        var (s, y) = Case(list);
        foreach (var type in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            var plain = Evaluate(s, y, type, (a, b) => RankingLosses.NeuralNdcg(a, b, temperature, k));
            var transposed = Evaluate(s, y, type, (a, b) => RankingLosses.NeuralNdcgTransposed(a, b, temperature, k));
            Check(expected, plain.Loss, type, $"neuralNDCG {list} T={temperature} k={k}");
            Check(expected, transposed.Loss, type, $"neuralNDCG_transposed {list} T={temperature} k={k}");
            CheckGradient(plain.Gradient, transposed.Gradient, type, "the two variants' gradients");
        }
    }

    public static IEnumerable<object[]> NeuralNdcgGradientCases()
    {
        yield return ['A', 1.0, null!, new[] { 0.018587460824, 0.094724137791, 0.032117772307, -0.145429370921 }];
        yield return ['A', 0.1, 2, new[] { 0.296880179583, 0.018971847449, -0.000834334854, -0.315017692178 }];
        yield return ['B', 1.0, null!, new[] { 0.036787193936, 0.063165933299, -0.099953127236, 0, 0 }];
        yield return ['B', 0.1, 2, new[] { 0.000693180048, 0.034646750579, -0.035339930627, 0, 0 }];
        yield return ['C', 1.0, 2, new[] { 0.029420708040, 0.003255810658, 0.013930279492, -0.028753715820, -0.017603297322, -0.000249785048 }];
    }

    [TestMethod]
    [DynamicData(nameof(NeuralNdcgGradientCases))]
    public void NeuralNdcg_Gradients_EqualAllRank(char list, double temperature, int? k, double[] expected)
    {
        var (s, y) = Case(list);
        foreach (var type in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            var (_, gradient) = Evaluate(s, y, type, (a, b) => RankingLosses.NeuralNdcg(a, b, temperature, k));
            CheckGradient(expected, gradient, type, $"d neuralNDCG / d s, {list} T={temperature} k={k}");
            if (list == 'B')
            {
                Assert.AreEqual(0.0, gradient[3], $"padded slot 3 ({type})");
                Assert.AreEqual(0.0, gradient[4], $"padded slot 4 ({type})");
            }
        }
    }

    [TestMethod]
    public void NeuralNdcg_BatchOfThreeLists_EqualsAllRanksBatchValue()
    {
        // A, B and C padded to length 6 (labels -1, scores 0) in one batch: allRank gives -0.658268732228 at T = 1 and
        // -0.630212078142 at T = 0.1 (the mean of the single-list values differs in the 8th digit: Sinkhorn stops on the batch).
        var s = new double[18];
        var y = Enumerable.Repeat(-1.0, 18).ToArray();
        ScoresA64.CopyTo(s, 0);
        LabelsA.Select(v => (double)v).ToArray().CopyTo(y, 0);
        ScoresB.CopyTo(s, 6);
        LabelsB.CopyTo(y, 6);
        ScoresC.CopyTo(s, 12);
        LabelsC.CopyTo(y, 12);
        foreach (var (t, expected) in new[] { (1.0, -0.658268732228), (0.1, -0.630212078142) })
        {
            foreach (var type in new[] { ScalarType.Float64, ScalarType.Float32 })
            {
                using var scope = NewDisposeScope();
                var st = tensor(s, dtype: ScalarType.Float64).to(type).reshape(3, 6);
                var yt = tensor(y, dtype: ScalarType.Float64).to(type).reshape(3, 6);
                Check(expected, RankingLosses.NeuralNdcg(st, yt, t).to(ScalarType.Float64).item<double>(), type, $"batch T={t}");
            }
        }
    }

    public static IEnumerable<object[]> OtherLossCases()
    {
        yield return ['A', "listNet", 1.469611317716];
        yield return ['B', "listNet", 1.192638051003];
        yield return ['C', "listNet", 2.870989275339];
        yield return ['A', "approxNDCG", -0.647335545014];
        yield return ['B', "approxNDCG", -0.717119385242];
        yield return ['C', "approxNDCG", -0.454877093345];
        yield return ['A', "rankNet", 0.835991203785];
        yield return ['B', "rankNet", 0.628728687763];
        yield return ['C', "rankNet", 1.268812775612];
    }

    internal static Func<Tensor, Tensor, Tensor> Loss(string name) => name switch
    {
        "listNet" => RankingLosses.ListNet,
        "approxNDCG" => (s, y) => RankingLosses.ApproxNdcg(s, y),
        _ => (s, y) => RankingLosses.RankNet(s, y),
    };

    [TestMethod]
    [DynamicData(nameof(OtherLossCases))]
    public void OtherAllRankLosses_EqualAllRank(char list, string loss, double expected)
    {
        var (s, y) = Case(list);
        foreach (var type in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            var (value, gradient) = Evaluate(s, y, type, Loss(loss));
            Check(expected, value, type, $"{loss} {list}");
            if (list == 'B')
                CollectionAssert.AreEqual(new[] { 0.0, 0.0 }, gradient[3..], $"{loss}: padded slots get no gradient ({type})");
        }
    }

    [TestMethod]
    public void ListNet_GradientOfA_EqualsAllRank()
    {
        foreach (var type in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            var (_, gradient) = Evaluate(ScoresA64, LabelsA.Select(v => (double)v).ToArray(), type, RankingLosses.ListNet);
            CheckGradient([-0.030343200647, 0.383861110323, 0.038128291683, -0.391646201358], gradient, type, "d listNet / d s, A");
        }
    }

    [TestMethod]
    public void Rcr_EqualsSpecOracles()
    {
        double[] s1 = [0.3, -1.2, 0.8, 2.0, -0.5], y1 = [1, 0, 0, 1, 0];
        foreach (var type in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            // alpha 0: SigmoidCE summed over the list; alpha 1: ListCE alone.
            var sce = Evaluate(s1, y1, type, (a, b) => RankingLosses.Rcr(a, b, 0));
            Check(2.589743372977, sce.Loss, type, "SigmoidCE_sum");
            CheckGradient([-0.425557483188, 0.231475216501, 0.689974481128, -0.119202922022, 0.377540668798], sce.Gradient, type, "grad SigmoidCE");
            var listCe = Evaluate(s1, y1, type, (a, b) => RankingLosses.Rcr(a, b, 1));
            Check(1.353779525381, listCe.Loss, type, "ListCE");
            CheckGradient([-0.124021333849, 0.064589537966, 0.077665881038, -0.021480611670, 0.085324651721], listCe.Gradient, type, "grad ListCE");
            var half = Evaluate(s1, y1, type, (a, b) => RankingLosses.Rcr(a, b, 0.5));
            Check(1.971761449179, half.Loss, type, "RCR alpha 0.5");
            CheckGradient([-0.274789408519, 0.148032377233, 0.383820181083, -0.070341766846, 0.231432660260], half.Gradient, type, "grad RCR alpha 0.5");

            var second = Evaluate([-0.4, 0.9, 0.1], [0, 0, 1], type, (a, b) => RankingLosses.Rcr(a, b, 1));
            Check(1.137409186470, second.Loss, type, "ListCE, second list");
            CheckGradient([0.146747327571, 0.125516221239, -0.322706012425], second.Gradient, type, "grad ListCE, second list");
            Check(1.263524846544, Evaluate([-0.4, 0.9, 0.1], [0, 0, 1], type, (a, b) => RankingLosses.Rcr(a, b, 0.9)).Loss, type, "RCR alpha 0.9");

            // No positive: ListCE is 0 with no gradient; RCR = half the SigmoidCE.
            var none = Evaluate([0.2, -0.7, 1.5], [0, 0, 0], type, (a, b) => RankingLosses.Rcr(a, b, 0.5));
            Check(1.451369098125, none.Loss, type, "RCR alpha 0.5, no positive");
            CheckGradient([0.274916998656, 0.165906113916, 0.408787238097], none.Gradient, type, "grad RCR, no positive");
        }
    }
}
