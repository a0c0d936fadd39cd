using System.Diagnostics;
using Microsoft.ML;

namespace MLNetExt.RiskScores.Tests;

/// <summary>
/// The real-data anchors of spec §5.1: RiskSLIM's golden optima (ustunb/riskslim tests/golden/*.json, objective of
/// an "integer optimal" CPLEX run; tolerance 1e-6) proved by Certified mode with gap 0, and SLIM's mammo optimum.
/// These are the package's longest tests (each proof takes seconds to tens of seconds on 2 shared cores); the
/// time bars themselves are measured by the bench suite <c>riskscores</c>.
/// </summary>
[TestClass]
public sealed class GoldenOptimaTests
{
    private static RiskScoreModelParameters Certified(string set, int k = 5)
    {
        var ml = new MLContext(seed: 1);
        return ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
        {
            Mode = RiskScoreMode.Certified,
            MaximumFeatureCount = k,
            TimeLimitSeconds = 120,
        }).Fit(RiskScoreTestData.Load(ml, set)).Model;
    }

    [TestMethod]
    public void Certified_Breastcancer_ProvesTheGoldenOptimum()
    {
        // k <= 5, points in [-5, 5], C0 1e-6, the rewrite's intercept rule: objective 0.11336464701598783 with
        // -17 + ClumpThickness + MarginalAdhesion + BareNuclei + BlandChromatin + Mitoses.
        var model = Certified("breastcancer");
        var c = model.Certificate!;
        Assert.AreEqual(CertificateStatus.Optimal, c.Status, c.ToString());
        Assert.AreEqual(0, c.Gap, 1e-12, c.ToString());
        Assert.AreEqual(0.11336464701598783, c.UpperBound, 1e-6);
        Assert.AreEqual(0.11336464701598783, model.Objective, 1e-6);
        Assert.AreEqual(-17, model.Intercept);
        CollectionAssert.AreEqual(new[] { "ClumpThickness", "MarginalAdhesion", "BareNuclei", "BlandChromatin", "Mitoses" },
            model.Points.Select(p => p.Feature).ToArray());
        Assert.IsTrue(model.Points.All(p => p.Points == 1));
    }

    [TestMethod]
    public void Certified_Mammo_ProvesTheGoldenOptimum()
    {
        // Objective 0.4685592313167107 with 0 - OvalShape + IrregularShape - 2 CircumscribedMargin - ObscuredMargin + Age_geq_60.
        var model = Certified("mammo");
        var c = model.Certificate!;
        Assert.AreEqual(CertificateStatus.Optimal, c.Status, c.ToString());
        Assert.AreEqual(0, c.Gap, 1e-12, c.ToString());
        Assert.AreEqual(0.4685592313167107, c.UpperBound, 1e-6);
        Assert.AreEqual(0, model.Intercept);
        CollectionAssert.AreEqual(new[] { "OvalShape:-1", "IrregularShape:1", "CircumscribedMargin:-2", "ObscuredMargin:-1", "Age_geq_60:1" },
            model.Points.Select(p => $"{p.Feature}:{p.Points}").ToArray());
        Assert.IsTrue(c.History.Count >= 2 && c.History[^1].LowerBound == c.LowerBound, "the bound history ends at the final bounds");
    }

    [TestMethod]
    public void Slim_Mammo_ProvesTheSpecsOptimum()
    {
        // Spec §5.1: C0 0.01, points in [-10, 10], intercept in [-100, 100], C1 = 0.975 min(1/N, C0) / (10 d) (the
        // defaults): optimal 0.228131, 200 errors of 961, model 1 - OvalShape - CircumscribedMargin.
        var ml = new MLContext(seed: 1);
        var data = RiskScoreTestData.Load(ml, "mammo");
        var clock = Stopwatch.StartNew();
        var trained = ml.BinaryClassification.Trainers.Slim().Fit(data);
        var model = trained.Model;
        Assert.AreEqual(CertificateStatus.Optimal, model.Certificate!.Status, model.Certificate.ToString());
        Assert.AreEqual(0.228131, model.Objective, 1e-6);
        Assert.AreEqual(1, model.Intercept);
        CollectionAssert.AreEqual(new[] { "OvalShape:-1", "CircumscribedMargin:-1" }, model.Points.Select(p => $"{p.Feature}:{p.Points}").ToArray());
        // 200 errors by the prediction rule, as ML.NET's evaluator counts them.
        var metrics = ml.BinaryClassification.Evaluate(trained.Transform(data));
        Assert.AreEqual(761.0 / 961, metrics.Accuracy, 1e-9);
        Assert.IsTrue(clock.Elapsed.TotalSeconds < 120);
    }
}
