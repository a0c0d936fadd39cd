using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;

namespace MLNetExt.Ranking.Tests.Objectives;

[TestClass]
public sealed class LambdaMartObjectiveTests
{
    // Spec ranking.md §8.2: labels [1,3,0,2,0], scores [0.2,-0.1,0.5,0.3,0.0], gain 2^l - 1, float64 numpy oracle of
    // LightGBM's rank_objective.hpp with the exact sigmoid. (Our objective divides by 0.01f + |ds| as LightGBM does, not
    // by 0.01; that moves the values by at most 4.3e-10, inside the 1e-9 tolerance.)
    private static readonly float[] Labels = [1, 3, 0, 2, 0];
    private static readonly double[] Scores = [0.2, -0.1, 0.5, 0.3, 0.0];

    public static IEnumerable<object[]> Oracles =>
    [
        [1.0, true, 30,
            new[] { 0.091660515332, -0.606375757923, 0.583895512846, -0.239244446975, 0.170064176721 },
            new[] { 0.111986824400, 0.238115757388, 0.230885605932, 0.205451083114, 0.087280735903 }],
        [1.0, false, 30,
            new[] { 0.020860656441, -0.415925985939, 0.390425008466, -0.043046333240, 0.047686654272 },
            new[] { 0.039460905976, 0.155329379168, 0.146732885040, 0.076737972636, 0.025606826948 }],
        [2.0, true, 2,
            new[] { 0.003229137046, -0.752434932234, 1.025101785938, -0.349181399022, 0.073285408271 },
            new[] { 0.204528404089, 0.375886650164, 0.616308875859, 0.599504329693, 0.094634372009 }],
    ];

    private static LambdaMartObjective Make(double sigma, bool norm, int truncation, SigmoidEvaluation sigmoid, float[]? labels = null,
        float[]? weights = null)
    {
        var objective = new LambdaMartObjective(new LambdaMartSettings { Sigma = sigma, Normalize = norm, TruncationLevel = truncation, Sigmoid = sigmoid });
        labels ??= Labels;
        objective.Initialize(new RankingObjectiveData(new QueryGroups(labels, [0, labels.Length], weights), 0, 1, 0.1));
        return objective;
    }

    [TestMethod]
    [DynamicData(nameof(Oracles))]
    public void ExactSigmoid_InDouble_MatchesSpecOracleWithin1e9(double sigma, bool norm, int truncation, double[] g, double[] h)
    {
        var objective = Make(sigma, norm, truncation, SigmoidEvaluation.Exact);
        var grad = new double[5];
        var hess = new double[5];
        objective.ComputeInDouble(Scores, grad, hess);
        for (int i = 0; i < 5; i++)
        {
            Assert.AreEqual(g[i], grad[i], 1e-9, $"gradient {i}");
            Assert.AreEqual(h[i], hess[i], 1e-9, $"hessian {i}");
        }
        Assert.AreEqual(0.0, grad.Sum(), 1e-12, "lambdas of a query sum to zero");
    }

    [TestMethod]
    [DynamicData(nameof(Oracles))]
    public void LookupTable_FloatGradients_MatchSpecOracleWithin1e5(double sigma, bool norm, int truncation, double[] g, double[] h)
    {
        var objective = Make(sigma, norm, truncation, SigmoidEvaluation.LookupTable);
        var grad = new float[5];
        var hess = new float[5];
        objective.GetGradients(0, Scores, grad, hess);
        for (int i = 0; i < 5; i++)
        {
            Assert.AreEqual(g[i], grad[i], 1e-5, $"gradient {i}");
            Assert.AreEqual(h[i], hess[i], 1e-5, $"hessian {i}");
        }
    }

    [TestMethod]
    public void FractionalLabels_UseGainTwoToTheLabelMinusOne()
    {
        // Labels [0.5, 2.5, 0, 1.25, 0], same scores, sigma 1, norm, truncation 30, gain 2^l - 1 on the real label:
        // values from /tmp-style float64 port of rank_objective.hpp (python, exact sigmoid, 0.01f as LightGBM).
        double[] g = [0.114093672662, -0.698169242955, 0.546384981642, -0.125424886962, 0.163115475614];
        double[] h = [0.099395386550, 0.274580244582, 0.211478525560, 0.181328624841, 0.082358801555];
        var objective = Make(1, true, 30, SigmoidEvaluation.Exact, [0.5f, 2.5f, 0, 1.25f, 0]);
        var grad = new double[5];
        var hess = new double[5];
        objective.ComputeInDouble(Scores, grad, hess);
        for (int i = 0; i < 5; i++)
        {
            Assert.AreEqual(g[i], grad[i], 1e-9, $"gradient {i}");
            Assert.AreEqual(h[i], hess[i], 1e-9, $"hessian {i}");
        }
    }

    [TestMethod]
    public void Weights_MultiplyGradientsAndHessiansPerRow()
    {
        var plain = Make(1, true, 30, SigmoidEvaluation.LookupTable);
        var weighted = Make(1, true, 30, SigmoidEvaluation.LookupTable, weights: [2, 2, 2, 2, 2]);
        var g1 = new float[5]; var h1 = new float[5]; var g2 = new float[5]; var h2 = new float[5];
        plain.GetGradients(0, Scores, g1, h1);
        weighted.GetGradients(0, Scores, g2, h2);
        for (int i = 0; i < 5; i++)
        {
            Assert.AreEqual(2 * g1[i], g2[i]);
            Assert.AreEqual(2 * h1[i], h2[i]);
        }
    }

    [TestMethod]
    public void AllLabelsZero_OrOneDocument_GivesZeroGradients()
    {
        var objective = new LambdaMartObjective();
        // Query 0: one document; query 1: all labels 0 (ideal DCG 0); query 2: a normal pair.
        objective.Initialize(new RankingObjectiveData(new QueryGroups([3, 0, 0, 0, 1, 0], [0, 1, 4, 6]), 0, 2, 0.1));
        var g = new float[6];
        var h = new float[6];
        objective.GetGradients(0, [0.5, 0.1, 0.2, 0.3, 0.0, 0.0], g, h);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0 }, g[..4]);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0 }, h[..4]);
        Assert.IsTrue(g[4] < 0 && g[5] > 0, "the relevant document is pushed up");
    }

    [TestMethod]
    public void LabelGainTable_FractionalLabel_ThrowsNamingTheRow()
    {
        var objective = new LambdaMartObjective(new LambdaMartSettings { LabelGains = [0, 3, 7, 15, 31] });
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            objective.Initialize(new RankingObjectiveData(new QueryGroups([1, 2.5f, 0], [0, 3]), 0, 1, 0.1)));
        StringAssert.Contains(e.Message, "row 1");
        StringAssert.Contains(e.Message, "2.5");
    }

    [TestMethod]
    public void NonPositiveSigma_ThrowsNamingTheOption()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LambdaMartObjective(new LambdaMartSettings { Sigma = 0 }));
        Assert.AreEqual(nameof(LambdaMartSettings.Sigma), e.ParamName);
    }

    [TestMethod]
    public void Gradients_DoNotDependOnThreadCount()
    {
        var data = Support.Synthetic.Make(300, 2, 40, 5, seed: 3, weights: true);
        var scores = Enumerable.Range(0, data.RowCount).Select(i => Math.Sin(i * 0.37)).ToArray();
        float[] Run(int threads)
        {
            var o = new LambdaMartObjective();
            o.Initialize(new RankingObjectiveData(data.Groups(), 0, threads, 0.1));
            var g = new float[data.RowCount];
            var h = new float[data.RowCount];
            o.GetGradients(0, scores, g, h);
            return [.. g, .. h];
        }
        CollectionAssert.AreEqual(Run(1), Run(2));
        CollectionAssert.AreEqual(Run(1), Run(7));
    }

    [TestMethod]
    public void GetGradients_OnOneThread_AllocatesNothing()
    {
        var data = Support.Synthetic.Make(200, 2, 80, 5, seed: 4, weights: true);
        var scores = Enumerable.Range(0, data.RowCount).Select(i => Math.Cos(i * 0.11)).ToArray();
        var o = new LambdaMartObjective();
        o.Initialize(new RankingObjectiveData(data.Groups(), 0, 1, 0.1));
        var g = new float[data.RowCount];
        var h = new float[data.RowCount];
        o.GetGradients(0, scores, g, h); // JIT and first-call work outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int it = 1; it < 5; it++)
            o.GetGradients(it, scores, g, h);
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
