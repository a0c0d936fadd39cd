using Microsoft.ML;
using MLNetExt.RiskScores.Engine;

namespace MLNetExt.RiskScores.Tests;

/// <summary>
/// The toy oracles of spec docs/specs/riskscores.md §6 on T6 (six rows, features A and B): every expected value was
/// computed by brute-force enumeration there, and the tests enumerate again with their own arithmetic
/// (<see cref="BruteForce"/>), independent of the engines.
/// </summary>
[TestClass]
public sealed class ToyOracleTests
{
    private static double Loss(double m) => m > 0 ? Math.Log(1 + Math.Exp(-m)) : -m + Math.Log(1 + Math.Exp(m));

    /// <summary>Independent enumeration of (intercept, A, B) on T6 for an objective.</summary>
    private static (int B0, int A, int B, double Value) BruteForce(int interceptBound, int bound, Func<int, int, int, double> objective, int maxSize)
    {
        var best = (0, 0, 0, double.PositiveInfinity);
        for (int b0 = -interceptBound; b0 <= interceptBound; b0++)
            for (int a = -bound; a <= bound; a++)
                for (int b = -bound; b <= bound; b++)
                {
                    if ((a != 0 ? 1 : 0) + (b != 0 ? 1 : 0) > maxSize)
                        continue;
                    double v = objective(b0, a, b);
                    if (v < best.Item4 - 1e-15)
                        best = (b0, a, b, v);
                }
        return best;
    }

    private static double RiskSlimObjective(int b0, int a, int b, double c0)
    {
        double sum = 0;
        for (int i = 0; i < 6; i++)
            sum += Loss(RiskScoreTestData.ToyY[i] * (b0 + a * RiskScoreTestData.ToyX[i, 0] + b * RiskScoreTestData.ToyX[i, 1]));
        return sum / 6 + c0 * ((a != 0 ? 1 : 0) + (b != 0 ? 1 : 0));
    }

    private static double SlimObjective(int b0, int a, int b, double c0, double c1)
    {
        int errors = 0;
        for (int i = 0; i < 6; i++)
        {
            double s = b0 + a * RiskScoreTestData.ToyX[i, 0] + b * RiskScoreTestData.ToyX[i, 1];
            // The recommended rule: positive correct iff s > 0 (s >= 1 for integers), negative correct iff s <= 0.
            if (RiskScoreTestData.ToyY[i] > 0 ? s <= 0 : s > 0)
                errors++;
        }
        return errors / 6.0 + c0 * ((a != 0 ? 1 : 0) + (b != 0 ? 1 : 0)) + c1 * (Math.Abs(a) + Math.Abs(b));
    }

    [TestMethod]
    [DataRow(0.01, 2, -1, 3, -2, 0.353666570)]
    [DataRow(0.01, 1, -2, 3, 0, 0.427817129)]
    [DataRow(0.2, 2, -2, 3, 0, 0.617817129)]
    public void RiskSlim_Toy_BothEnginesReachTheBruteForceOptimum(double c0, int k, int b0, int a, int b, double objective)
    {
        // Spec §6.3: mean loss, intercept in {-5..5}, A and B in {-3..3}.
        var oracle = BruteForce(5, 3, (x0, x1, x2) => RiskSlimObjective(x0, x1, x2, c0), k);
        Assert.AreEqual((b0, a, b), (oracle.B0, oracle.A, oracle.B));
        Assert.AreEqual(objective, oracle.Value, 1e-9);
        foreach (var engine in new[] { CertifiedEngine.BranchAndBound, CertifiedEngine.ScipOuterLoop })
        {
            var ml = new MLContext(seed: 1);
            var model = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
            {
                Mode = RiskScoreMode.Certified,
                Engine = engine,
                MaximumFeatureCount = k,
                SparsityPenalty = c0,
                CoefficientMinimum = -3,
                CoefficientMaximum = 3,
                InterceptMinimum = -5,
                InterceptMaximum = 5,
            }).Fit(RiskScoreTestData.Toy(ml)).Model;
            Assert.AreEqual((b0, a, b), (model.Intercept, model.SlotPoints[0], model.SlotPoints[1]), engine.ToString());
            Assert.AreEqual(1, model.Multiplier);
            Assert.AreEqual(objective, model.Objective, 1e-9, engine.ToString());
            Assert.AreEqual(CertificateStatus.Optimal, model.Certificate!.Status, engine.ToString());
            Assert.AreEqual(objective, model.Certificate.UpperBound, 1e-9);
            Assert.IsTrue(model.Certificate.Gap <= 1e-9, $"{engine}: gap {model.Certificate.Gap}");
        }
    }

    [TestMethod]
    [DataRow(0.1, 0, 1, 0, 0.275000)]
    [DataRow(0.01, 0, 1, 0, 0.177500)]
    public void Slim_Toy_ReachesTheBruteForceOptimumOfTheRecommendedRule(double c0, int b0, int a, int b, double objective)
    {
        // Spec §6.1: intercept, A, B in {-3..3}, C1 = 0.5 min(1/N, C0/6); runner-up (-1, 2, 0) at 0.283333 for C0 = 0.1.
        double c1 = 0.5 * Math.Min(1.0 / 6, c0 / 6);
        var oracle = BruteForce(3, 3, (x0, x1, x2) => SlimObjective(x0, x1, x2, c0, c1), 2);
        Assert.AreEqual((b0, a, b), (oracle.B0, oracle.A, oracle.B));
        Assert.AreEqual(objective, oracle.Value, 1e-6);
        var ml = new MLContext(seed: 1);
        var model = ml.BinaryClassification.Trainers.Slim(new SlimTrainer.Options
        {
            SparsityPenalty = c0,
            PointPenalty = c1,
            CoefficientMinimum = -3,
            CoefficientMaximum = 3,
            InterceptMinimum = -3,
            InterceptMaximum = 3,
        }).Fit(RiskScoreTestData.Toy(ml)).Model;
        Assert.AreEqual((b0, a, b), (model.Intercept, model.SlotPoints[0], model.SlotPoints[1]));
        Assert.AreEqual(objective, model.Objective, 1e-9);
        Assert.AreEqual(CertificateStatus.Optimal, model.Certificate!.Status);
        Assert.AreEqual(ScoreCardKind.Slim, model.Kind);
    }

    [TestMethod]
    public void Cut_AtZeroAndAtAPoint_MatchesTheSpec()
    {
        // Spec §6.4.
        var loss = new LogisticLoss(RiskScoreTestData.ToyData(), [0, 0, 0], 20);
        var g = new double[3];
        Assert.AreEqual(Math.Log(2), loss.ValueAndGradient([0, 0, 0], g), 1e-12);
        Assert.AreEqual(0, g[0], 1e-12);
        Assert.AreEqual(-1.0 / 6, g[1], 1e-12);
        Assert.AreEqual(1.0 / 12, g[2], 1e-12);
        Assert.AreEqual(0.606556852, loss.ValueAndGradient([0, 1, 0], g), 1e-9);
        Assert.AreEqual(0.154039052, g[0], 1e-9);
        Assert.AreEqual(-0.012627614, g[1], 1e-9);
        Assert.AreEqual(0.160352860, g[2], 1e-9);
        Assert.IsTrue(loss.UsesLookup, "T6 has whole-number features: integral points use the table");
        // The table and the direct formula agree at a fractional point too (the table is only used at integral ones).
        Assert.AreEqual(RiskSlimObjective(-1, 3, -2, 0), loss.Value([-1, 3, -2]), 1e-12);
    }

    [TestMethod]
    public void LookupTable_Values_MatchTheSpec()
    {
        // Spec §6.5: loss and sigmoid(s) - 1 at s = -3..3.
        double[] losses = [3.048587352, 2.126928011, 1.313261688, 0.693147181, 0.313261688, 0.126928011, 0.048587352];
        double[] slopes = [-0.952574127, -0.880797078, -0.731058579, -0.5, -0.268941421, -0.119202922, -0.047425873];
        for (int s = -3; s <= 3; s++)
        {
            Assert.AreEqual(losses[s + 3], LogisticLoss.Loss(s), 1e-9, $"loss({s})");
            Assert.AreEqual(slopes[s + 3], LogisticLoss.Slope(s), 1e-9, $"slope({s})");
        }
    }

    private static RiskSlimProblem ToyProblem(double c0 = 0.01, int k = 2)
    {
        var constraints = ConstraintSet.Resolve(["A", "B"], -3, 3, k, 0, [], "test");
        return new RiskSlimProblem(RiskScoreTestData.ToyData(), constraints, c0, -5, 5);
    }

    [TestMethod]
    public void SequentialRounding_FromTwoPoints_ReachesTheOptimum()
    {
        // Spec §6.6: from (-0.6, 2.4, -1.3): B to -2, A to 3, intercept to -1 = the optimum 0.353666570; same end from
        // (-1.5, 2.5, -1.5).
        var heuristics = new Heuristics(ToyProblem());
        foreach (var start in new[] { new[] { -0.6, 2.4, -1.3 }, new[] { -1.5, 2.5, -1.5 } })
        {
            var result = heuristics.SequentialRounding(start)!;
            CollectionAssert.AreEqual(new double[] { -1, 3, -2 }, result.Rho, string.Join(",", start));
            Assert.AreEqual(0.353666570, result.Objective, 1e-9);
        }
    }

    [TestMethod]
    public void Polishing_IsOneOpt_AndStopsAtTheSpecsLocalOptimum()
    {
        // Spec §6.7: from (0, 1, 0) to (-1, 3, -2); from (-2, 3, 0) it stops at the 1-opt point (-2, 3, -1), V 0.384722183.
        var problem = ToyProblem();
        var heuristics = new Heuristics(problem);
        var global = heuristics.Polish(new Incumbent([0, 1, 0], problem.Objective([0, 1, 0])));
        CollectionAssert.AreEqual(new double[] { -1, 3, -2 }, global.Rho);
        var local = heuristics.Polish(new Incumbent([-2, 3, 0], problem.Objective([-2, 3, 0])));
        CollectionAssert.AreEqual(new double[] { -2, 3, -1 }, local.Rho);
        Assert.AreEqual(0.384722183, local.Objective, 1e-9);
        Assert.AreEqual(RiskSlimObjective(-2, 3, -1, 0.01), local.Objective, 1e-12);
    }

    [TestMethod]
    [DataRow(0.1, 3, 0.45, 0.50, 0.0, 0.40, 0, 3, 0.15, 0.40, 1, 3)]
    [DataRow(0.05, 8, 0.30, 0.36, 0.25, 0.69314718055994529, 0, 5, 0.25, 0.36, 0, 2)]
    public void ChainedBounds_MatchTheSpec(double c0, int features, double vMin, double vMax, double lMin, double lMax, int rMin, int rMax,
        double expectedLMin, double expectedLMax, int expectedRMin, int expectedRMax)
    {
        // Spec §6.8.
        var b = new ChainedBounds(vMin, vMax, lMin, lMax, rMin, rMax).Update(Enumerable.Repeat(c0, features).ToArray());
        Assert.AreEqual(expectedLMin, b.LossMin, 1e-12);
        Assert.AreEqual(expectedLMax, b.LossMax, 1e-12);
        Assert.AreEqual(expectedRMin, b.SizeMin);
        Assert.AreEqual(expectedRMax, b.SizeMax);
    }

    [TestMethod]
    public void StarRay_OnToy_ReturnsTheSpecsMultiplierAndPoints()
    {
        // Spec §6.9: sum loss, bounds [-3, 3], intercept +-100, continuous b = (-0.6, 2.4, -1.3): t_max = 1.25, twenty
        // multipliers 1, 1.013158, ..., 1.25; rounding at t = 1 gives (-1, 2, -1); no early stop (continuous loss
        // 2.330983898); the best is t = 1.039474 with points (-1, 3, -1) and loss 2.341747369.
        var columns = new FeatureColumns(RiskScoreTestData.ToyData());
        var search = new FasterRiskSearch(columns, new FasterRiskSettings
        {
            MaximumFeatureCount = 2,
            Lower = [-3, -3],
            Upper = [3, 3],
            Allowed = [true, true],
        });
        var result = search.StarRay(-0.6, [2.4, -1.3], new SupportGroups(columns));
        Assert.AreEqual(1 + 3 * 0.25 / 19, result.Multiplier, 1e-12);
        Assert.AreEqual(1.039474, result.Multiplier, 1e-6);
        Assert.AreEqual(-1, result.Intercept);
        CollectionAssert.AreEqual(new[] { 3, -1 }, result.Points);
        Assert.AreEqual(2.341747369, result.SumLoss, 1e-9);
        // Independent: the loss of (-1, 3, -1) / t.
        double loss = 0;
        for (int i = 0; i < 6; i++)
            loss += Loss(RiskScoreTestData.ToyY[i] * (-1 + 3 * RiskScoreTestData.ToyX[i, 0] - RiskScoreTestData.ToyX[i, 1]) / result.Multiplier);
        Assert.AreEqual(loss, result.SumLoss, 1e-12);
    }

    [TestMethod]
    public void RiskTable_ReadmeAdultModel_HasTheSpecsTotalsAndRisks()
    {
        // Spec §6.10: FasterRisk's README adult model, m = 1.6009213, intercept -3, points -2, -2, -4, 4, 3 on five
        // binary features: 14 distinct subset sums; risk(-8) = 0.1 %, risk(0) = 13.3 %, risk(1) = 22.3 %,
        // risk(3) = 50.0 %, risk(7) = 92.4 %.
        var x = new double[32, 5];
        var y = new int[32];
        for (int r = 0; r < 32; r++)
        {
            for (int j = 0; j < 5; j++)
                x[r, j] = (r >> j) & 1;
            y[r] = r % 2 == 0 ? 1 : -1;
        }
        var table = ScoreCards.RiskTable(RiskData.FromRows(x, y), [-2, -2, -4, 4, 3], -3, 1.6009213);
        CollectionAssert.AreEqual(new double[] { -8, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 7 }, table.Select(t => t.Total).ToArray());
        var risk = table.ToDictionary(t => t.Total, t => Math.Round(100 * t.Risk, 1));
        Assert.AreEqual(0.1, risk[-8]);
        Assert.AreEqual(13.3, risk[0]);
        Assert.AreEqual(22.3, risk[1]);
        Assert.AreEqual(50.0, risk[3]);
        Assert.AreEqual(92.4, risk[7]);
    }

    [TestMethod]
    public void Invariants_MergingRows_AndFlippingLabels()
    {
        // Spec §6.12: merging duplicates with weights leaves the loss unchanged; flipping every label negates the
        // RiskSLIM optimum (symmetric box) and keeps its objective.
        float[] x = [1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0];
        bool[] labels = [true, true, true, false, false, false, true, true];
        var merged = RiskData.Create(x, labels, default, 8, 2, compress: true);
        var plain = RiskData.Create(x, labels, default, 8, 2, compress: false);
        Assert.IsTrue(merged.RowCount < plain.RowCount);
        var penalties = new double[3];
        double[] rho = [-1, 2, 1];
        Assert.AreEqual(new LogisticLoss(plain, penalties, 20).Value(rho), new LogisticLoss(merged, penalties, 20).Value(rho), 1e-15);

        var flipped = RiskData.FromRows(RiskScoreTestData.ToyX, RiskScoreTestData.ToyY.Select(v => -v).ToArray());
        var constraints = ConstraintSet.Resolve(["A", "B"], -3, 3, 2, 0, [], "test");
        var result = new LcpaBranchAndBound(new RiskSlimProblem(flipped, constraints, 0.01, -5, 5), new SearchControl()).Run([]);
        CollectionAssert.AreEqual(new double[] { 1, -3, 2 }, result.Best.Rho);
        Assert.AreEqual(0.353666570, result.Best.Objective, 1e-9);
    }
}
