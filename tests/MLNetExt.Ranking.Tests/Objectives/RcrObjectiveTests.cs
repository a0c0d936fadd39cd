using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;

namespace MLNetExt.Ranking.Tests.Objectives;

[TestClass]
public sealed class RcrObjectiveTests
{
    private static RcrObjective Make(float[] labels, double alpha, RcrSettings? settings = null)
    {
        var objective = new RcrObjective((settings ?? new RcrSettings()) with { RankingWeight = alpha });
        objective.Initialize(new RankingObjectiveData(new QueryGroups(labels, [0, labels.Length]), 0, 1, 0.1));
        return objective;
    }

    private static (double Loss, double[] G, double[] H) Run(RcrObjective objective, double[] scores, bool clamp)
    {
        var g = new double[scores.Length];
        var h = new double[scores.Length];
        double loss = objective.ComputeInDouble(0, scores, g, h, clamp);
        return (loss, g, h);
    }

    private static void AreEqual(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], tolerance, $"{what} {i}");
    }

    // Spec ranking.md §8.5 (numpy formulas checked against torch autograd to 1e-13).
    private static readonly double[] Scores1 = [0.3, -1.2, 0.8, 2.0, -0.5];
    private static readonly float[] Labels1 = [1, 0, 0, 1, 0];

    [TestMethod]
    public void Spec85_FirstList_AlphaZeroHalfAndOne()
    {
        var (loss, g, _) = Run(Make(Labels1, 0), Scores1, clamp: false);
        Assert.AreEqual(2.589743372977, loss, 1e-9, "SigmoidCE sum");
        AreEqual([-0.425557483188, 0.231475216501, 0.689974481128, -0.119202922022, 0.377540668798], g, 1e-9, "SigmoidCE gradient");

        (loss, g, var h) = Run(Make(Labels1, 1), Scores1, clamp: false);
        Assert.AreEqual(1.353779525381, loss, 1e-9, "ListCE");
        AreEqual([-0.124021333849, 0.064589537966, 0.077665881038, -0.021480611670, 0.085324651721], g, 1e-9, "ListCE gradient");
        AreEqual([0.101136628779, 0.030515974983, -0.035541059981, 0.022010977469, 0.013617303378], h, 1e-9, "ListCE exact hessian");

        (loss, g, h) = Run(Make(Labels1, 0.5), Scores1, clamp: false);
        Assert.AreEqual(1.971761449179, loss, 1e-9, "alpha 0.5 loss");
        AreEqual([-0.274789408519, 0.148032377233, 0.383820181083, -0.070341766846, 0.231432660260], g, 1e-9, "alpha 0.5 gradient");
        AreEqual([0.172797470235, 0.104205207815, 0.089184318270, 0.063502281436, 0.124310507790], h, 1e-9, "alpha 0.5 exact hessian");
    }

    [TestMethod]
    public void Spec85_FirstList_ClampedHessianDropsTheNegativeListTerm()
    {
        // Engine hessian = (1 - alpha) q + alpha max(h_list, 0): document 2 has h_list = -0.035541059981 < 0, so at
        // alpha 0.5 it gets 0.5 q_2 only; q = sigmoid (1 - sigmoid) (spec §4.2).
        var (_, _, h) = Run(Make(Labels1, 0.5), Scores1, clamp: true);
        double[] list = [0.101136628779, 0.030515974983, -0.035541059981, 0.022010977469, 0.013617303378];
        for (int i = 0; i < 5; i++)
        {
            double s = 1 / (1 + Math.Exp(-Scores1[i]));
            Assert.AreEqual(0.5 * s * (1 - s) + 0.5 * Math.Max(list[i], 0), h[i], 1e-9, $"hessian {i}");
        }
        // alpha 1: the engine's hessian of document 2 is the floor.
        (_, _, h) = Run(Make(Labels1, 1), Scores1, clamp: true);
        Assert.AreEqual(RcrObjective.MinimumHessian, h[2]);
    }

    [TestMethod]
    public void Spec85_SecondList()
    {
        double[] scores = [-0.4, 0.9, 0.1];
        float[] labels = [0, 0, 1];
        var (loss, g, h) = Run(Make(labels, 1), scores, clamp: false);
        Assert.AreEqual(1.137409186470, loss, 1e-9, "ListCE");
        AreEqual([0.146747327571, 0.125516221239, -0.322706012425], g, 1e-9, "ListCE gradient");
        AreEqual([0.007429522622, -0.068709490678, 0.218566841970], h, 1e-9, "ListCE exact hessian");
        Assert.AreEqual(2.398565787206, Run(Make(labels, 0), scores, false).Loss, 1e-9, "SigmoidCE sum");
        Assert.AreEqual(1.263524846544, Run(Make(labels, 0.9), scores, false).Loss, 1e-9, "alpha 0.9 loss");
    }

    [TestMethod]
    public void Spec85_NoPositive_ContributesSigmoidCrossEntropyOnly()
    {
        double[] scores = [0.2, -0.7, 1.5];
        var (loss, g, h) = Run(Make([0, 0, 0], 0.5), scores, clamp: false);
        Assert.AreEqual(1.451369098125, loss, 1e-9);
        AreEqual([0.274916998656, 0.165906113916, 0.408787238097], g, 1e-9, "gradient = 0.5 sigmoid(s)");
        for (int i = 0; i < 3; i++)
        {
            double s = 1 / (1 + Math.Exp(-scores[i]));
            Assert.AreEqual(0.5 * s * (1 - s), h[i], 1e-15, $"hessian {i}");
        }
    }

    [TestMethod]
    public void GradientAndExactHessian_AreTheDerivativesOfTheLoss_BothListNormalisations()
    {
        // Central differences of the loss (step 1e-5) on a list with fractional targets.
        double[] scores = [0.7, -0.3, 1.9, -2.2, 0.05];
        float[] labels = [0.25f, 1, 0, 0.5f, 0.75f];
        foreach (bool normalize in new[] { true, false })
        {
            var objective = Make(labels, 0.35, new RcrSettings { NormalizeListLabels = normalize });
            var (_, g, h) = Run(objective, scores, clamp: false);
            const double step = 1e-5;
            for (int i = 0; i < scores.Length; i++)
            {
                var up = (double[])scores.Clone();
                var down = (double[])scores.Clone();
                up[i] += step;
                down[i] -= step;
                var (lu, gu, _) = Run(objective, up, false);
                var (ld, gd, _) = Run(objective, down, false);
                Assert.AreEqual((lu - ld) / (2 * step), g[i], 1e-8, $"normalize {normalize}: gradient {i}");
                Assert.AreEqual((gu[i] - gd[i]) / (2 * step), h[i], 1e-8, $"normalize {normalize}: hessian {i}");
            }
        }
    }

    [TestMethod]
    public void Labels_InZeroOne_AreUsedAsGiven_LargerGradesAreScaled()
    {
        var asGiven = Make([0, 0.25f, 1, 0.5f], 0.5);
        Assert.AreEqual(1.0, asGiven.LabelScale);
        CollectionAssert.AreEqual(new[] { 0, 0.25, 1, 0.5 }, asGiven.Targets.ToArray());

        var graded = Make([0, 1, 4, 2], 0.5);
        Assert.AreEqual(4.0, graded.LabelScale, "divided by the largest training grade");
        CollectionAssert.AreEqual(new[] { 0, 0.25, 1, 0.5 }, graded.Targets.ToArray());
        double[] scores = [0.1, -0.4, 0.9, 0.3];
        var (l1, g1, h1) = Run(asGiven, scores, true);
        var (l2, g2, h2) = Run(graded, scores, true);
        Assert.AreEqual(l1, l2);
        CollectionAssert.AreEqual(g1, g2);
        CollectionAssert.AreEqual(h1, h2);

        var stated = Make([0, 1, 4, 2], 0.5, new RcrSettings { MaximumLabel = 5 });
        Assert.AreEqual(5.0, stated.LabelScale);
        CollectionAssert.AreEqual(new[] { 0, 0.2, 0.8, 0.4 }, stated.Targets.ToArray());
        var binaryStated = Make([0, 1, 1, 0], 0.5, new RcrSettings { MaximumLabel = 2 });
        CollectionAssert.AreEqual(new[] { 0, 0.5, 0.5, 0 }, binaryStated.Targets.ToArray(), "a stated maximum applies to labels in [0, 1] too");
    }

    [TestMethod]
    public void LabelAboveMaximumLabel_ThrowsNamingTheRow()
    {
        var objective = new RcrObjective(new RcrSettings { MaximumLabel = 3 });
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            objective.Initialize(new RankingObjectiveData(new QueryGroups([0, 3, 4, 1], [0, 2, 4]), 0, 1, 0.1)));
        StringAssert.Contains(e.Message, "Label at row 2 is 4");
        StringAssert.Contains(e.Message, nameof(RcrSettings.MaximumLabel));
    }

    [TestMethod]
    public void BadSettings_ThrowNamingTheOption()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RcrObjective(new RcrSettings { RankingWeight = 1.5 }));
        Assert.AreEqual(nameof(RcrSettings.RankingWeight), e.ParamName);
        StringAssert.Contains(e.Message, "must be in [0, 1]; got 1.5");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RcrObjective(new RcrSettings { MaximumLabel = 0 }));
        Assert.AreEqual(nameof(RcrSettings.MaximumLabel), e.ParamName);
    }

    [TestMethod]
    public void EngineGradients_FloatOfTheDoubleValues_AndThreadIndependent()
    {
        var data = Support.Synthetic.Make(300, 1, 40, 5, seed: 23, weights: true);
        var scores = Enumerable.Range(0, data.RowCount).Select(i => 2 * Math.Sin(i * 0.41)).ToArray();
        float[] Run(int threads)
        {
            var o = new RcrObjective();
            o.Initialize(new RankingObjectiveData(data.Groups(), 0, threads, 0.1));
            var g = new float[data.RowCount];
            var h = new float[data.RowCount];
            o.GetGradients(0, scores, g, h);
            return [.. g, .. h];
        }
        var one = Run(1);
        CollectionAssert.AreEqual(one, Run(2));
        CollectionAssert.AreEqual(one, Run(5));

        // Query 0 without weights: float(double) values.
        var single = Make([0, 1, 4, 2], 0.5);
        double[] s = [0.1, -0.4, 0.9, 0.3];
        var (_, gd, hd) = RcrObjectiveTests.Run(single, s, true);
        var gf = new float[4];
        var hf = new float[4];
        single.GetGradients(0, s, gf, hf);
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual((float)gd[i], gf[i]);
            Assert.AreEqual((float)hd[i], hf[i]);
        }
    }
}
