using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;

namespace MLNetExt.Ranking.Tests.Objectives;

[TestClass]
public sealed class YetiRankPairwiseObjectiveTests
{
    private static double[] Solve(double[] a, double[] b, double l2, double bayes)
    {
        int m = b.Length;
        var x = new double[m];
        Assert.IsTrue(PairwiseLeafSolver.Solve(a, b, m, l2, bayes, x, new double[(m - 1) * (m - 1)]));
        return x;
    }

    [TestMethod]
    public void Solver_CatBoostUnitTest2x2()
    {
        // pairwise_leaves_calculation_ut.cpp: A = [[5,-5],[-5,5]], b = [-2,2], l2 0.3, bayes 0.1; CatBoost asserts
        // -0.1869158874 and 0.1869158874 within 1e-6 (float regularisers). By hand: x0 = -2 / (5 + 0.1 * 0.5 + 0.3)
        // = -0.373831775701, x1 = 0, minus the mean: -0.186915887850, 0.186915887850.
        var x = Solve([5, -5, -5, 5], [-2, 2], 0.3, 0.1);
        Assert.AreEqual(-0.1869158874, x[0], 1e-6);
        Assert.AreEqual(0.1869158874, x[1], 1e-6);
        Assert.AreEqual(-2 / 5.35 / 2, x[0], 1e-15);
        Assert.AreEqual(2 / 5.35 / 2, x[1], 1e-15);
    }

    [TestMethod]
    public void Solver_CatBoostUnitTest4x4()
    {
        var x = Solve([2, -2, 0, 0, -2, 3, -1, 0, 0, -1, 5, -4, 0, 0, -4, 4], [16, -32, 32, -16], 0.3, 0.1);
        // CatBoost's assertions (1e-6) and the spec §8.4 double-precision values (1e-9).
        double[] catBoost = [0.7374471593, -7.279036944, 5.448432894, 1.093156891];
        double[] spec = [0.737447131548, -7.279036980805, 5.448432924845, 1.093156924412];
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(catBoost[i], x[i], 1e-6, $"leaf {i} vs CatBoost");
            Assert.AreEqual(spec[i], x[i], 1e-9, $"leaf {i} vs spec");
        }
        Assert.AreEqual(0.0, x.Sum(), 1e-12, "mean-centred");
    }

    [TestMethod]
    public void Solver_DisconnectedLeafWithoutRegularisation_IsNotPositiveDefinite()
    {
        // Leaves 0 and 1 connected, leaf 2 alone; bayes 0 and l2 0: the leading 2 x 2 block [[1,-1],[-1,1]] is singular.
        var x = new double[3];
        double[] a = [1, -1, 0, -1, 1, 0, 0, 0, 0];
        Assert.IsFalse(PairwiseLeafSolver.Solve(a, [0.5, -0.5, 0], 3, 0, 0, x, new double[4]));
        Assert.IsTrue(PairwiseLeafSolver.Solve(a, [0.5, -0.5, 0], 3, 0, 0.1, x, new double[4]), "bayes > 0 makes it positive definite");
    }

    private static YetiRankPairwiseObjective MakeOwnCase(double learningRate, float[]? weights = null,
        YetiRankPairwiseLeafMethod method = YetiRankPairwiseLeafMethod.Gradient, double bayes = 0.1)
    {
        var objective = new YetiRankPairwiseObjective(new YetiRankSettings { Permutations = 3 },
            new PairwiseLeafSettings { L2Regularization = 1e-20, Method = method, BayesianMatrixRegularization = bayes },
            new FixedUniforms(YetiRankObjectiveTests.Uniforms));
        objective.Initialize(new RankingObjectiveData(new QueryGroups(YetiRankObjectiveTests.Labels, [0, 4], weights), 0, 1, learningRate));
        return objective;
    }

    [TestMethod]
    public void Hook_SpecOwnCase_Gradient_LeafSystemAndValues()
    {
        // Spec §8.4 own case: the Classic pairs of §8.3, documents -> leaves [0,1,2,1], l2 1e-20, bayes 0.1, the
        // Laplacian of the pair weights (CatBoost's Gradient method).
        var objective = MakeOwnCase(learningRate: 1.0);
        var values = new double[] { 9, 9, 9 };
        objective.RefineLeafValues(0, [0, 1, 2, 1], YetiRankObjectiveTests.Scores, values);
        var (a, b) = objective.LastSystem();
        double[] expectedB = [0.112486158718, -0.096738456538, -0.015747702180];
        double[] expectedA = [0.306125, -0.17, -0.136125, -0.17, 0.2125, -0.0425, -0.136125, -0.0425, 0.178625];
        for (int k = 0; k < 3; k++)
            Assert.AreEqual(expectedB[k], b[k], 1e-9, $"b[{k}]");
        for (int k = 0; k < 9; k++)
            Assert.AreEqual(expectedA[k], a[k], 1e-12, $"A[{k / 3}][{k % 3}]");
        double[] expected = [0.194790264649, -0.202542810690, 0.007752546041];
        for (int k = 0; k < 3; k++)
            Assert.AreEqual(expected[k], values[k], 1e-9, $"leaf {k}");
        // The quadratic model's decrease sum_m x_m (b_m - 0.5 sum_k A_mk x_k) (spec §8.4: 0.024642748331).
        double score = 0;
        for (int m = 0; m < 3; m++)
        {
            double ax = 0;
            for (int k = 0; k < 3; k++)
                ax += a[m * 3 + k] * values[k];
            score += values[m] * (b[m] - 0.5 * ax);
        }
        Assert.AreEqual(0.024642748331, score, 1e-9);
        Assert.AreEqual(1, objective.SolvedTrees);
    }

    // The Classic pairs of spec §8.3 (winner, loser, W) at scores [0.5, 0.2, -0.3, 0.1]; documents -> leaves [0,1,2,1].
    private static readonly (int Winner, int Loser, double Weight)[] OwnPairs = [(0, 1, 0.085), (0, 2, 0.136125), (0, 3, 0.085), (2, 1, 0.0425)];
    private static readonly int[] OwnLeaves = [0, 1, 2, 1];

    /// <summary>The own case's PairLogit loss sum W log(1 + exp(-(s_w + x_leaf(w) - s_l - x_leaf(l)))) at leaf values x.</summary>
    private static double OwnPairLoss(double[] x)
    {
        double loss = 0;
        foreach (var (w, l, weight) in OwnPairs)
        {
            double margin = YetiRankObjectiveTests.Scores[w] + x[OwnLeaves[w]] - YetiRankObjectiveTests.Scores[l] - x[OwnLeaves[l]];
            loss += weight * Math.Log(1 + Math.Exp(-margin));
        }
        return loss;
    }

    [TestMethod]
    public void Hook_SpecOwnCase_Newton_SystemIsThePairLossGradientAndHessianOverTheLeaves()
    {
        var objective = MakeOwnCase(learningRate: 1.0, method: YetiRankPairwiseLeafMethod.Newton);
        var values = new double[3];
        objective.RefineLeafValues(0, OwnLeaves, YetiRankObjectiveTests.Scores, values);
        var (a, b) = objective.LastSystem();

        // By hand from the per-document PairLogit hessians of spec §8.3, h = [0.070319577321, 0.030766614262,
        // 0.039106115207, 0.020422163388]: every pair crosses leaves, so A's diagonal is h0, h1 + h3, h2.
        Assert.AreEqual(0.070319577321, a[0], 1e-12, "A[0][0] = h0");
        Assert.AreEqual(0.030766614262 + 0.020422163388, a[4], 1e-12, "A[1][1] = h1 + h3");
        Assert.AreEqual(0.039106115207, a[8], 1e-12, "A[2][2] = h2");

        // Independent oracle: central differences of the pair loss over the leaf values at x = 0 give -b and A.
        const double step = 1e-4;
        for (int m = 0; m < 3; m++)
        {
            double[] plus = new double[3], minus = new double[3];
            plus[m] = step;
            minus[m] = -step;
            Assert.AreEqual(-(OwnPairLoss(plus) - OwnPairLoss(minus)) / (2 * step), b[m], 1e-9, $"b[{m}] = -dL/dx{m}");
            for (int k = 0; k < 3; k++)
            {
                double[] pp = new double[3], pm = new double[3], mp = new double[3], mm = new double[3];
                pp[m] += step; pp[k] += step;
                pm[m] += step; pm[k] -= step;
                mp[m] -= step; mp[k] += step;
                mm[m] -= step; mm[k] -= step;
                double hessian = (OwnPairLoss(pp) - OwnPairLoss(pm) - OwnPairLoss(mp) + OwnPairLoss(mm)) / (4 * step * step);
                Assert.AreEqual(hessian, a[m * 3 + k], 1e-7, $"A[{m}][{k}] = d2L/dx{m}dx{k}");
            }
        }

        // numpy (np.linalg.solve of the leading 2 x 2 block of A + 0.1 (I - J/3) + 1e-20 I, last leaf 0, mean-centred):
        double[] expected = [0.533917453733, -0.496803668078, -0.037113785654];
        for (int k = 0; k < 3; k++)
            Assert.AreEqual(expected[k], values[k], 1e-9, $"leaf {k}");
    }

    [TestMethod]
    public void Hook_SpecOwnCase_NewtonWithoutPrior_SolvesTheNewtonEquations()
    {
        // bayes 0 (l2 1e-20): the values satisfy A x = b, the Newton step of the pair loss over the leaf values, and
        // are the CatBoost-form solution numpy gives: [1.001142864206, -1.070499142805, 0.069356278599].
        var objective = MakeOwnCase(learningRate: 1.0, method: YetiRankPairwiseLeafMethod.Newton, bayes: 0);
        var values = new double[3];
        objective.RefineLeafValues(0, OwnLeaves, YetiRankObjectiveTests.Scores, values);
        var (a, b) = objective.LastSystem();
        for (int m = 0; m < 3; m++)
        {
            double ax = 0;
            for (int k = 0; k < 3; k++)
                ax += a[m * 3 + k] * values[k];
            Assert.AreEqual(b[m], ax, 1e-12, $"(A x)[{m}]");
        }
        double[] expected = [1.001142864206, -1.070499142805, 0.069356278599];
        for (int k = 0; k < 3; k++)
            Assert.AreEqual(expected[k], values[k], 1e-9, $"leaf {k}");
    }

    [TestMethod]
    public void Hook_Gradient_IsTheNewtonSystemWithPairWeightsForHessians()
    {
        // The two methods share b; only the Laplacian's pair coefficient differs (W against W p (1 - p)).
        var gradient = MakeOwnCase(1.0);
        gradient.RefineLeafValues(0, OwnLeaves, YetiRankObjectiveTests.Scores, new double[3]);
        var newton = MakeOwnCase(1.0, method: YetiRankPairwiseLeafMethod.Newton);
        newton.RefineLeafValues(0, OwnLeaves, YetiRankObjectiveTests.Scores, new double[3]);
        CollectionAssert.AreEqual(gradient.LastSystem().DerivativeSums, newton.LastSystem().DerivativeSums);
        Assert.AreEqual(0.306125, gradient.LastSystem().Laplacian[0], 1e-12, "sum of the weights of document 0's pairs");
        Assert.AreEqual(0.070319577321, newton.LastSystem().Laplacian[0], 1e-12, "sum of their hessians");
    }

    [TestMethod]
    public void Hook_MultipliesTheSolutionByTheLearningRate()
    {
        var one = new double[3];
        MakeOwnCase(1.0).RefineLeafValues(0, [0, 1, 2, 1], YetiRankObjectiveTests.Scores, one);
        var tenth = new double[3];
        MakeOwnCase(0.1).RefineLeafValues(0, [0, 1, 2, 1], YetiRankObjectiveTests.Scores, tenth);
        for (int k = 0; k < 3; k++)
            Assert.AreEqual(one[k] * 0.1, tenth[k], 0.0);
    }

    [TestMethod]
    public void Hook_TwoLeaves_IsCatBoostsClosedForm()
    {
        // M = 2: x = (b0 / (A00 + bayes / 2 + l2), 0), then mean-centred.
        var objective = MakeOwnCase(1.0);
        var values = new double[2];
        objective.RefineLeafValues(0, [0, 1, 1, 0], YetiRankObjectiveTests.Scores, values);
        var (a, b) = objective.LastSystem();
        double x0 = b[0] / (a[0] + 0.05 + 1e-20);
        Assert.AreEqual(x0 / 2, values[0], 1e-15);
        Assert.AreEqual(-x0 / 2, values[1], 1e-15);
    }

    [TestMethod]
    public void Hook_QueryWeight_ScalesTheSystem()
    {
        var plain = MakeOwnCase(1.0);
        plain.RefineLeafValues(0, [0, 1, 2, 1], YetiRankObjectiveTests.Scores, new double[3]);
        var weighted = MakeOwnCase(1.0, [3, 3, 3, 3]);
        weighted.RefineLeafValues(0, [0, 1, 2, 1], YetiRankObjectiveTests.Scores, new double[3]);
        var (a1, b1) = plain.LastSystem();
        var (a3, b3) = weighted.LastSystem();
        for (int k = 0; k < 9; k++)
            Assert.AreEqual(3 * a1[k], a3[k], 1e-15);
        for (int k = 0; k < 3; k++)
            Assert.AreEqual(3 * b1[k], b3[k], 1e-15);
    }

    [TestMethod]
    public void Hook_NotPositiveDefinite_KeepsNewtonValues()
    {
        // Query 0 (rows 0-1) crosses leaves 0 and 1; query 1 (rows 2-3) lies in leaf 2 only: leaf 2 has no pair to
        // the others, and with bayes 0 and l2 0 the system is singular.
        var objective = new YetiRankPairwiseObjective(new YetiRankSettings(), new PairwiseLeafSettings { BayesianMatrixRegularization = 0 });
        objective.Initialize(new RankingObjectiveData(new QueryGroups([1, 0, 1, 0], [0, 2, 4]), 0, 1, 0.1));
        double[] values = [0.25, -0.5, 0.125];
        objective.RefineLeafValues(0, [0, 1, 2, 2], [0, 0, 0, 0], values);
        CollectionAssert.AreEqual(new[] { 0.25, -0.5, 0.125 }, values);
        Assert.AreEqual(1, objective.FallbackCount);
        Assert.AreEqual(0, objective.SolvedTrees);

        var regularised = new YetiRankPairwiseObjective();
        regularised.Initialize(new RankingObjectiveData(new QueryGroups([1, 0, 1, 0], [0, 2, 4]), 0, 1, 0.1));
        regularised.RefineLeafValues(0, [0, 1, 2, 2], [0, 0, 0, 0], values);
        Assert.AreEqual(1, regularised.SolvedTrees);
        Assert.AreEqual(0.0, values.Sum(), 1e-15);
        Assert.IsTrue(values[0] > 0 && values[1] < 0, "the leaf of the winner goes up");
    }

    [TestMethod]
    public void Hook_LeafOutOfRange_ThrowsNamingTheRow()
    {
        var objective = MakeOwnCase(1.0);
        var e = Assert.ThrowsExactly<ArgumentException>(() => objective.RefineLeafValues(0, [0, 1, 3, 1], YetiRankObjectiveTests.Scores, new double[3]));
        StringAssert.Contains(e.Message, "Row 2 is in leaf 3");
    }

    [TestMethod]
    public void Hook_AndGradients_OneOrTwoThreads_BitIdentical()
    {
        var data = Support.Synthetic.Make(500, 1, 60, 5, seed: 17, weights: true);
        var scores = Enumerable.Range(0, data.RowCount).Select(i => Math.Sin(i * 0.29)).ToArray();
        var leaves = Enumerable.Range(0, data.RowCount).Select(i => (int)((uint)(i * 2654435761u) % 9)).ToArray();
        double[] Run(int threads)
        {
            var o = new YetiRankPairwiseObjective();
            o.Initialize(new RankingObjectiveData(data.Groups(), 21, threads, 0.1));
            var g = new float[data.RowCount];
            var h = new float[data.RowCount];
            o.GetGradients(3, scores, g, h);
            var values = new double[9];
            o.RefineLeafValues(3, leaves, scores, values);
            Assert.AreEqual(1, o.SolvedTrees);
            return [.. values, .. g.Select(v => (double)v), .. h.Select(v => (double)v)];
        }
        var one = Run(1);
        CollectionAssert.AreEqual(one, Run(2));
        CollectionAssert.AreEqual(one, Run(6));
    }

    [TestMethod]
    public void Hook_TreesOfDifferentSizes_SameValuesAsAFreshObjective()
    {
        // Buffers sized for 9 leaves are reused for a 4-leaf tree (and grow again for 12); the values do not depend on
        // what the objective solved before.
        var data = Support.Synthetic.Make(120, 2, 30, 5, seed: 19);
        var scores = Enumerable.Range(0, data.RowCount).Select(i => Math.Cos(i * 0.53)).ToArray();
        int[] Leaves(int m) => Enumerable.Range(0, data.RowCount).Select(i => (int)((uint)(i * 2654435761u) % (uint)m)).ToArray();
        double[] Fresh(int m, int iteration)
        {
            var o = new YetiRankPairwiseObjective();
            o.Initialize(new RankingObjectiveData(data.Groups(), 2, 2, 0.1));
            var values = new double[m];
            o.RefineLeafValues(iteration, Leaves(m), scores, values);
            return values;
        }
        var reused = new YetiRankPairwiseObjective();
        reused.Initialize(new RankingObjectiveData(data.Groups(), 2, 2, 0.1));
        int iteration = 0;
        foreach (int m in new[] { 9, 4, 12, 2 })
        {
            var values = new double[m];
            reused.RefineLeafValues(iteration, Leaves(m), scores, values);
            CollectionAssert.AreEqual(Fresh(m, iteration), values, $"{m} leaves");
            iteration++;
        }
        Assert.AreEqual(4, reused.SolvedTrees);
    }

    [TestMethod]
    public void Hook_OneThread_AllocatesNothingOnceSized()
    {
        var data = Support.Synthetic.Make(60, 2, 30, 5, seed: 29);
        var scores = Enumerable.Range(0, data.RowCount).Select(i => Math.Cos(i * 0.7)).ToArray();
        var leaves = Enumerable.Range(0, data.RowCount).Select(i => i % 7).ToArray();
        var objective = new YetiRankPairwiseObjective();
        objective.Initialize(new RankingObjectiveData(data.Groups(), 2, 1, 0.1));
        var values = new double[7];
        objective.RefineLeafValues(0, leaves, scores, values); // sizes the buffers, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        objective.RefineLeafValues(1, leaves, scores, values);
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by one tree's leaf system");
        Assert.AreEqual(2, objective.SolvedTrees);
    }

    [TestMethod]
    public void Hook_MoreLeavesThanTheDenseSolverTakes_Throws()
    {
        var objective = MakeOwnCase(1.0);
        int m = YetiRankPairwiseObjective.MaximumLeafCount + 1;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            objective.RefineLeafValues(4, [0, 1, 2, 1], YetiRankObjectiveTests.Scores, new double[m]));
        StringAssert.Contains(e.Message, $"Tree 4 has {m} leaves");
    }

    [TestMethod]
    public void BadLeafSettings_ThrowNamingTheOption()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new YetiRankPairwiseObjective(null, new PairwiseLeafSettings { BayesianMatrixRegularization = -1 }));
        Assert.AreEqual(nameof(PairwiseLeafSettings.BayesianMatrixRegularization), e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new YetiRankPairwiseObjective(null, new PairwiseLeafSettings { L2Regularization = double.NaN }));
        Assert.AreEqual(nameof(PairwiseLeafSettings.L2Regularization), e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new YetiRankPairwiseObjective(null, new PairwiseLeafSettings { Method = (YetiRankPairwiseLeafMethod)7 }));
        Assert.AreEqual(nameof(PairwiseLeafSettings.Method), e.ParamName);
        StringAssert.Contains(e.Message, "got 7");
    }
}
