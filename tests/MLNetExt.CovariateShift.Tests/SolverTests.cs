using MLNetExt.CovariateShift.Experiments;
using MLNetExt.CovariateShift.Kernels;
using MLNetExt.CovariateShift.Mrc;
using MLNetExt.CovariateShift.Tests.Support;
using MLNetExt.CovariateShift.Weights;
using MLNetExt.Tests.Support;

namespace MLNetExt.CovariateShift.Tests;

/// <summary>
/// The algorithms without ML.NET: the spec's oracles (O16 sparsemax, O17 identical samples), the exact projection,
/// and DW-KMM, lambda and the 0-1 minimax risk against exact solutions from OR-Tools on tiny problems.
/// </summary>
[TestClass]
public sealed class SolverTests
{
    private static PointSet Points(params float[][] rows) => new(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);

    [TestMethod]
    public void Threshold_AndProbabilities_MatchSpecOracleO16()
    {
        var scratch = new double[3];
        var h = new double[3];
        // v = [0.8, 0.5, -0.2]: max(0.8 - 1, (1.3 - 1) / 2, (1.1 - 1) / 3) = max(-0.2, 0.15, 0.0333) = 0.15.
        Assert.AreEqual(0.15, Simplex.Threshold([0.8, 0.5, -0.2], scratch), 1e-15);
        Simplex.Probabilities([0.8, 0.5, -0.2], h, scratch);
        CollectionAssert.AreEqual(new[] { 0.65, 0.35, 0.0 }, h.Select(v => Math.Round(v, 12)).ToArray());
        // v = [0.3, 0.2, 0.1]: (0.6 - 1) / 3 = -0.133333 is the largest; h = v + 0.133333 = [0.433333, 0.333333, 0.233333].
        Assert.AreEqual(-0.4 / 3, Simplex.Threshold([0.3, 0.2, 0.1], scratch), 1e-15);
        Simplex.Probabilities([0.3, 0.2, 0.1], h, scratch);
        Assert.AreEqual(1.3 / 3, h[0], 1e-12);
        Assert.AreEqual(1.0 / 3, h[1], 1e-12);
        Assert.AreEqual(0.7 / 3, h[2], 1e-12);
    }

    [TestMethod]
    public void CappedProx_IsTheMinimizer_AgainstEverySimplexPointOnAGrid()
    {
        // argmin over the simplex of |h - z|^2 / 2 + c max(h): compared with a 1/200 grid of the 3-class simplex.
        var scratch = new double[3];
        var h = new double[3];
        foreach (var (z, c) in new (double[], double)[] { ([0.9, 0.2, -0.4], 0.3), ([0.5, 0.5, 0.5], 2.0), ([3, -1, 0.2], 0.05), ([0.1, 0.4, 0.35], 1.0) })
        {
            Simplex.CappedProx(z, c, h, scratch);
            Assert.AreEqual(1, h.Sum(), 1e-12);
            Assert.IsTrue(h.All(v => v >= 0));
            double Objective(double[] p) => 0.5 * p.Zip(z, (a, b) => (a - b) * (a - b)).Sum() + c * p.Max();
            double ours = Objective(h);
            for (int a = 0; a <= 200; a++)
            {
                for (int b = 0; a + b <= 200; b++)
                {
                    var p = new[] { a / 200.0, b / 200.0, (200 - a - b) / 200.0 };
                    Assert.IsTrue(ours <= Objective(p) + 1e-12, $"z = [{string.Join(", ", z)}], c = {c}: grid point [{string.Join(", ", p)}] is better");
                }
            }
        }
    }

    [TestMethod]
    public void Projection_SatisfiesTheConstraints_AndTheVariationalInequality()
    {
        // Projection p of x onto a convex set C satisfies (x - p)'(c - p) <= 0 for every c in C.
        int n = 5, t = 6;
        var random = new Random(3);
        foreach (double dValue in new[] { 1.0, 2.0, 6.25, double.PositiveInfinity })
        {
            var set = WeightSet.ForD(n, t, dValue, 3);
            for (int trial = 0; trial < 50; trial++)
            {
                var x = Enumerable.Range(0, n + t).Select(_ => random.NextDouble() * 8 - 3).ToArray();
                var p = (double[])x.Clone();
                set.Project(p);
                Assert.IsTrue(set.Contains(p, 1e-9), $"D = {dValue}: the projection is outside the set");
                var again = (double[])p.Clone();
                set.Project(again);
                for (int i = 0; i < p.Length; i++)
                    Assert.AreEqual(p[i], again[i], 1e-9, "projecting twice moves the point");
                for (int other = 0; other < 20; other++)
                {
                    var c = Enumerable.Range(0, n + t).Select(_ => random.NextDouble() * 8 - 3).ToArray();
                    set.Project(c);
                    double inner = 0;
                    for (int i = 0; i < p.Length; i++)
                        inner += (x[i] - p[i]) * (c[i] - p[i]);
                    Assert.IsTrue(inner <= 1e-9, $"D = {dValue}: (x - p)'(c - p) = {inner}");
                }
            }
        }
    }

    [TestMethod]
    public void Kmm_IdenticalSamples_GivesAllWeightsOne_AndObjectiveZero_ForEveryD()
    {
        // Spec oracle O17: with the same rows for training and target, beta = alpha = 1 is feasible with objective 0.
        var data = ShiftDataSet.Load(TestData.Path("tabular/diabetes.csv"), "diabetes");
        int n = 60, d = data.Dimension;
        var rows = data.Features.Take(n * d).Select(v => (float)v).ToArray();
        var points = new PointSet([.. rows, .. rows], 2 * n, d);
        var kernel = RbfKernel.Dense(points, KernelBandwidth.MeanNeighbourDistance(points, 1));
        var kmm = new DoubleWeightingKmm(kernel, n, n, 1000, 1e-6, 5000);
        foreach (double dValue in KernelWeighting.PaperGrid())
        {
            var solution = kmm.Solve(dValue, null, null);
            Assert.AreEqual(0, solution.Objective, 1e-15, $"D = {dValue}");
            Assert.IsTrue(solution.Beta.All(b => Math.Abs(b - 1) < 1e-12) && solution.Alpha.All(a => Math.Abs(a - 1) < 1e-12), $"D = {dValue}");
        }
    }

    [TestMethod]
    public void Kmm_TinyProblems_MatchKelleysCuttingPlanesWithGlop()
    {
        // Three training points on the left, three target points shifted right: the weights must move mass right.
        var points = Points([0f, 0f], [0.5f, 0.2f], [1f, -0.3f], [1.2f, 0.1f], [1.8f, 0.4f], [0.9f, 0.9f]);
        var kernel = RbfKernel.Dense(points, 0.8);
        foreach (double dValue in new[] { 1.0, 2.0, 6.25, double.PositiveInfinity })
        {
            var kmm = new DoubleWeightingKmm(kernel, 3, 3, 10, 1e-12, 200_000);
            var ours = kmm.Solve(dValue, null, null);
            var (upper, lower) = Oracles.KmmCuttingPlane(kernel, 3, 3, dValue, 10, 1e-9);
            var set = WeightSet.ForD(3, 3, dValue, 10);
            Assert.IsTrue(set.Contains([.. ours.Beta, .. ours.Alpha], 1e-9), $"D = {dValue}: constraints");
            // The LP lower bound certifies the optimum: ours is feasible, so it cannot be below it, and it must be within
            // 2e-5 of it (the relative gap Kelley's method reaches here is about 1e-5).
            Assert.IsTrue(ours.Objective >= lower - 1e-9, $"D = {dValue}: ours {ours.Objective} below the certified lower bound {lower}");
            Assert.IsTrue(ours.Objective <= Math.Min(upper, lower + 2e-5) + 1e-12, $"D = {dValue}: ours {ours.Objective}, cutting planes {upper} (lower bound {lower})");
        }
    }

    [TestMethod]
    public void Kmm_OnAShiftedSet_SatisfiesEveryConstraint_AndNystromAtFullRankEqualsTheExactKernel()
    {
        var data = ShiftDataSet.Load(TestData.Path("tabular/diabetes.csv"), "diabetes");
        var split = CovariateShiftProtocol.Split(data, CovariateShiftProtocol.Pca, seed: 0);
        int n = split.TrainRows, t = split.TargetRows;
        var points = new PointSet([.. split.TrainFeatures, .. split.TargetFeatures], n + t, split.Dimension);
        double sigma = KernelBandwidth.MeanNeighbourDistance(points, 1);
        var exact = RbfKernel.Dense(points, sigma);
        var full = NystromKernelOperator.Create(points, sigma, n + t, seed: 1, channel: null);
        var low = NystromKernelOperator.Create(points, sigma, 64, seed: 1, channel: null);
        foreach (double dValue in new[] { 1.0, 4.0 })
        {
            var a = new DoubleWeightingKmm(exact, n, t, 1000, 1e-7, 20000).Solve(dValue, null, null);
            var b = new DoubleWeightingKmm(full, n, t, 1000, 1e-7, 20000).Solve(dValue, null, null);
            var c = new DoubleWeightingKmm(low, n, t, 1000, 1e-6, 20000).Solve(dValue, null, null);
            var set = WeightSet.ForD(n, t, dValue, 1000);
            foreach (var s in new[] { a, b, c })
                Assert.IsTrue(set.Contains([.. s.Beta, .. s.Alpha], 1e-9), $"D = {dValue}: constraints");
            Assert.IsTrue(a.Converged && b.Converged, $"D = {dValue}: {a.Iterations} / {b.Iterations} iterations");
            // Full-rank Nystrom is the exact kernel up to float storage: the same optimum.
            Assert.AreEqual(a.Objective, b.Objective, 1e-5 * a.Objective + 1e-9, $"D = {dValue}: exact {a.Objective}, full-rank Nystrom {b.Objective}");
            // The weights do something: the matched embedding is much closer than with all weights 1, also (measured with
            // the exact kernel) for the weights of the rank-64 kernel, whose optimum is not the exact one (here 0.00148
            // against 0.00055 at D = 1).
            double unweighted = Oracles.Objective(exact, n, t, Enumerable.Repeat(1.0, n + t).ToArray()).Value;
            double atLowRank = Oracles.Objective(exact, n, t, [.. c.Beta, .. c.Alpha]).Value;
            Assert.IsTrue(a.Objective < 0.5 * unweighted, $"D = {dValue}: {a.Objective} vs {unweighted} unweighted");
            Assert.IsTrue(atLowRank < 0.5 * unweighted && atLowRank >= a.Objective - 1e-12, $"D = {dValue}: rank-64 weights give {atLowRank}, optimum {a.Objective}, unweighted {unweighted}");
        }
    }

    [TestMethod]
    public void MultiplyLeading_IsTheLeadingBlockOfTheProduct_ForBothKernels()
    {
        // D = 1 multiplies only by the training block K[0..n, 0..n]: it must equal the full product of x padded with zeros,
        // and leave the rest of the output alone.
        var random = new Random(5);
        int size = 700, count = 300;
        var points = new PointSet(Enumerable.Range(0, size * 3).Select(_ => (float)(random.NextDouble() * 4)).ToArray(), size, 3);
        foreach (IKernelOperator kernel in new IKernelOperator[] { RbfKernel.Dense(points, 1.1), NystromKernelOperator.Create(points, 1.1, 64, 2, null) })
        {
            var x = Enumerable.Range(0, size).Select(i => i < count ? random.NextDouble() - 0.3 : 0).ToArray();
            var full = new double[size];
            kernel.Multiply(x, full);
            var noisy = (double[])x.Clone();
            for (int i = count; i < size; i++)
                noisy[i] = 1e6; // not read
            var leading = Enumerable.Repeat(-7.0, size).ToArray();
            kernel.MultiplyLeading(count, noisy, leading);
            for (int i = 0; i < count; i++)
                Assert.AreEqual(full[i], leading[i], 1e-12 * (1 + Math.Abs(full[i])), $"{kernel.GetType().Name}: row {i}");
            Assert.IsTrue(leading.Skip(count).All(v => v == -7.0), $"{kernel.GetType().Name}: wrote past the block");
        }
    }

    [TestMethod]
    public void Grid_ReusesASolveOnlyWhereAColdSolveGivesTheSameBits()
    {
        // The fitter skips a D when an earlier solve never reached that D's weight cap or ball. Every candidate of the
        // grid, skipped or not, must equal a cold solve and classifier fit for that D alone, bit for bit.
        var data = ShiftDataSet.Load(TestData.Path("tabular/haberman.csv"), "haberman");
        var split = CovariateShiftProtocol.Split(data, CovariateShiftProtocol.Pca, seed: 3);
        int n = split.TrainRows, t = split.TargetRows, d = split.Dimension;
        var labels = split.TrainLabels.Select(b => b ? 1 : 0).ToArray();
        var kernelSettings = new KernelSettings(null, true, 1000, 256, 1000, 1e-5, 5000);
        ClassifierSettings Settings(double[] grid) => new(MinimaxRiskLoss.ZeroOne, FeatureMapKind.Linear, true, 2, null, grid, 0, 1e-7, 2000);
        var grid = KernelWeighting.PaperGrid();
        var fit = DoubleWeightingFitter.Fit(split.TrainFeatures, n, labels, 2, split.TargetFeatures, t, d, kernelSettings, Settings(grid), 1, null);
        int reused = 0;
        for (int g = 0; g < grid.Length; g++)
        {
            var alone = DoubleWeightingFitter.Fit(split.TrainFeatures, n, labels, 2, split.TargetFeatures, t, d, kernelSettings, Settings([grid[g]]), 1, null).Best;
            var inGrid = fit.Candidates[g];
            CollectionAssert.AreEqual(alone.Weights.Beta, inGrid.Weights.Beta, $"D = {grid[g]}: beta");
            CollectionAssert.AreEqual(alone.Weights.Alpha, inGrid.Weights.Alpha, $"D = {grid[g]}: alpha");
            CollectionAssert.AreEqual(alone.Classifier.Mu, inGrid.Classifier.Mu, $"D = {grid[g]}: mu");
            Assert.AreEqual(alone.Classifier.Bound, inGrid.Classifier.Bound, 0, $"D = {grid[g]}: bound");
            Assert.AreEqual(grid[g], inGrid.Weights.D);
            if (g > 0 && ReferenceEquals(inGrid.Weights.Beta, fit.Candidates[g - 1].Weights.Beta))
                reused++;
        }
        // On this split the ball stops binding from some D on (the path of the larger D's is shared), and not below it.
        Assert.IsTrue(reused >= 1 && reused <= grid.Length - 2, $"{reused} of {grid.Length} D's reused");
    }

    [TestMethod]
    public void PaperGrid_IsOneOverOneMinusLSquared()
    {
        // D = 1 / (1 - l)^2 for l = 0, 0.1, ..., 0.9 (spec §1.4): the ball radius factor 1 - 1/sqrt(D) is then l.
        var expected = new[] { 1, 1.2345679, 1.5625, 2.0408163, 2.7777778, 4, 6.25, 11.111111, 25, 100 };
        var grid = KernelWeighting.PaperGrid();
        for (int i = 0; i < 10; i++)
        {
            Assert.AreEqual(expected[i], grid[i], 1e-6);
            Assert.AreEqual(i / 10.0, 1 - 1 / Math.Sqrt(grid[i]), 1e-12);
        }
    }

    [TestMethod]
    public void Bandwidth_IsTheMeanDistanceToThe50thOtherNeighbour()
    {
        // 1-D points 0, 1, ..., 99: the 50th nearest other point of i is at distance 50 for i <= 49 (one side runs out
        // later), ... computed by brute force here.
        var points = new PointSet(Enumerable.Range(0, 100).Select(i => (float)i).ToArray(), 100, 1);
        double expected = Enumerable.Range(0, 100).Select(i => Enumerable.Range(0, 100).Where(j => j != i).Select(j => (double)Math.Abs(i - j)).Order().ElementAt(49)).Average();
        Assert.AreEqual(expected, KernelBandwidth.MeanNeighbourDistance(points, 1), 1e-12);
        // Fewer than 51 rows: the farthest other row.
        var small = new PointSet([0f, 1f, 3f], 3, 1);
        Assert.AreEqual((3 + 2 + 3) / 3.0, KernelBandwidth.MeanNeighbourDistance(small, 1), 1e-12);
    }

    private static (TargetDesign Design, double[] Tau) SmallMrcProblem(int seed, int classes, int t = 12, double alphaLow = 0.4)
    {
        var random = new Random(seed);
        int m = 3; // intercept + 2 features
        var psi = new double[t * m];
        var alpha = new double[t];
        for (int j = 0; j < t; j++)
        {
            psi[j * m] = 1;
            psi[j * m + 1] = random.NextDouble() * 2 - 1;
            psi[j * m + 2] = random.NextDouble() * 2 - 1;
            alpha[j] = alphaLow + (1 - alphaLow) * random.NextDouble();
        }
        // tau from 15 "training" rows with labels given by a noisy linear rule and random weights.
        int n = 15;
        var psiTrain = new double[n * m];
        var labels = new int[n];
        var beta = new double[n];
        for (int i = 0; i < n; i++)
        {
            psiTrain[i * m] = 1;
            psiTrain[i * m + 1] = random.NextDouble() * 2 - 1;
            psiTrain[i * m + 2] = random.NextDouble() * 2 - 1;
            double score = psiTrain[i * m + 1] + 0.5 * psiTrain[i * m + 2] + 0.4 * (random.NextDouble() - 0.5);
            labels[i] = classes == 2 ? (score > 0 ? 1 : 0) : Math.Clamp((int)((score + 1.5) / 3 * classes), 0, classes - 1);
            beta[i] = 0.5 + random.NextDouble();
        }
        var tau = MinimaxRiskSolver.Tau(psiTrain, n, m, labels, classes, beta);
        return (new TargetDesign(psi, t, m, alpha, classes), tau);
    }

    [TestMethod]
    public void Lambda_MatchesTheExactLpWithGlop()
    {
        foreach (int classes in new[] { 2, 3 })
        {
            for (int seed = 0; seed < 3; seed++)
            {
                var (design, tau) = SmallMrcProblem(seed, classes);
                var ours = MinimaxRiskSolver.Lambda(design, tau, 1e-9, 20000, null);
                var exact = Oracles.ConfidenceLp(design, tau);
                Assert.IsTrue(ours.All(v => v >= MinimaxRiskSolver.Delta - 1e-15));
                // Ours is lambda at a feasible q, so its sum is at least the LP optimum, and close to it.
                Assert.IsTrue(ours.Sum() >= exact.Sum() - 1e-9, $"K = {classes}, seed {seed}: {ours.Sum()} < LP {exact.Sum()}");
                Assert.IsTrue(ours.Sum() <= exact.Sum() + 1e-5, $"K = {classes}, seed {seed}: {ours.Sum()} vs LP {exact.Sum()}");
            }
        }
    }

    [TestMethod]
    public void Lambda_IdenticalSamples_IsDeltaInEveryComponent()
    {
        // Spec §1.5 oracle: training = target rows, beta = alpha = 1: q = the true labels reproduces tau, so lambda = delta.
        var data = ShiftDataSet.Load(TestData.Path("tabular/diabetes.csv"), "diabetes");
        int n = 80, d = data.Dimension, m = d + 1;
        var map = FeatureMap.CreateLinear(d, fitIntercept: true);
        var psi = map.MapRows(data.Features.Take(n * d).Select(v => (float)v).ToArray(), n);
        var labels = data.Labels.Take(n).Select(b => b ? 1 : 0).ToArray();
        var ones = Enumerable.Repeat(1.0, n).ToArray();
        var tau = MinimaxRiskSolver.Tau(psi, n, m, labels, 2, ones);
        var lambda = MinimaxRiskSolver.Lambda(new TargetDesign(psi, n, m, ones, 2), tau, 1e-9, 20000, null);
        foreach (double l in lambda)
            Assert.AreEqual(MinimaxRiskSolver.Delta, l, 1e-8);
    }

    [TestMethod]
    public void ZeroOneRisk_IsWithin1e4OfTheExactLp_AndIsAValidObjectiveValue()
    {
        foreach (int classes in new[] { 2, 3 })
        {
            for (int seed = 0; seed < 3; seed++)
            {
                var (design, tau) = SmallMrcProblem(seed, classes);
                var lambda = Oracles.ConfidenceLp(design, tau);
                var (mu, bound, _) = MinimaxRiskSolver.Classifier(design, tau, lambda, MinimaxRiskLoss.ZeroOne, 1e-9, 20000, null, null);
                double exact = Oracles.ZeroOneRisk(design, tau, lambda);
                // The bound is the exact objective at our mu: never below the LP minimum, and close to it.
                Assert.IsTrue(bound >= exact - 1e-9, $"K = {classes}, seed {seed}: {bound} below the LP optimum {exact}");
                Assert.IsTrue(bound <= exact + 1e-4, $"K = {classes}, seed {seed}: {bound} vs LP {exact}");
                Assert.AreEqual(bound, new MinimaxRiskProblem(design, tau, lambda, MinimaxRiskLoss.ZeroOne).Bound(mu), 1e-12);
            }
        }
    }

    [TestMethod]
    public void LogRisk_GradientVanishesOnTheNonZeroParameters()
    {
        // Optimality of min f(mu) + lambda'|mu|: for mu_i != 0, df/dmu_i = -lambda_i sign(mu_i); for mu_i = 0, |df/dmu_i| <= lambda_i.
        var (design, tau) = SmallMrcProblem(7, 3);
        var lambda = Oracles.ConfidenceLp(design, tau).Select(l => l + 0.01).ToArray();
        var (mu, bound, _) = MinimaxRiskSolver.Classifier(design, tau, lambda, MinimaxRiskLoss.Log, 1e-12, 200_000, null, null);
        var problem = new MinimaxRiskProblem(design, tau, lambda, MinimaxRiskLoss.Log);
        var gradient = new double[mu.Length];
        problem.Smooth(mu, gradient);
        for (int i = 0; i < mu.Length; i++)
        {
            if (mu[i] != 0)
                Assert.AreEqual(-lambda[i] * Math.Sign(mu[i]), gradient[i], 1e-5, $"component {i}");
            else
                Assert.IsTrue(Math.Abs(gradient[i]) <= lambda[i] + 1e-5, $"component {i}: |{gradient[i]}| > {lambda[i]}");
        }
        Assert.IsTrue(bound > 0 && bound < Math.Log(3) + 1e-9, $"log-loss bound {bound} (uniform prediction gives ln 3 at mu = 0)");
    }
}
