using Microsoft.ML;

namespace MLNetExt.RiskScores.Tests;

/// <summary>
/// Every constraint kind is honoured by the model each trainer returns (risk-slim#30 is a bug where they were not),
/// and constraints that cannot all hold fail with a message naming a smallest conflicting set.
/// </summary>
[TestClass]
public sealed class ConstraintTests
{
    private static readonly string[] AgeBands = ["Age_geq_30", "Age_geq_45", "Age_geq_60"];

    /// <summary>One constraint of each kind, on mammo's features.</summary>
    public static IEnumerable<object[]> Kinds =>
    [
        ["Require", RiskScoreConstraint.Require("Density")],
        ["Forbid", RiskScoreConstraint.Forbid("IrregularShape")],
        ["Sign", RiskScoreConstraint.Sign("CircumscribedMargin", PointsSign.NonNegative)],
        ["Bounds", RiskScoreConstraint.Bounds("Age_geq_60", 2, 3)],
        ["AtMost", RiskScoreConstraint.AtMost("Margins", 1, "CircumscribedMargin", "ObscuredMargin", "IllDefinedMargin", "SpiculatedMargin")],
        ["Monotone", RiskScoreConstraint.Monotone("Age", MonotoneDirection.NonIncreasing, AgeBands)],
    ];

    /// <summary>Checks a model against one constraint with the test's own reading of it.</summary>
    private static void AssertHonoured(RiskScoreConstraint constraint, RiskScoreModelParameters model, string mode)
    {
        int Points(string feature) => model.SlotPoints[model.FeatureNames.ToList().IndexOf(feature)];
        string card = $"{mode}, {constraint}:\n{model.ToScoreCard(ScoreCardFormat.PlainText)}";
        switch (constraint.ToString().Split('(')[0])
        {
            case "Require":
                Assert.AreNotEqual(0, Points("Density"), card);
                break;
            case "Forbid":
                Assert.AreEqual(0, Points("IrregularShape"), card);
                break;
            case "Sign":
                Assert.IsTrue(Points("CircumscribedMargin") >= 0, card);
                break;
            case "Bounds":
                Assert.IsTrue(Points("Age_geq_60") is >= 2 and <= 3, card);
                break;
            case "AtMost":
                Assert.IsTrue(new[] { "CircumscribedMargin", "ObscuredMargin", "IllDefinedMargin", "SpiculatedMargin" }.Count(f => Points(f) != 0) <= 1, card);
                break;
            default:
                Assert.IsTrue(Points(AgeBands[0]) >= Points(AgeBands[1]) && Points(AgeBands[1]) >= Points(AgeBands[2]), card);
                break;
        }
    }

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public void RiskScore_Fast_HonoursEachConstraintKind(string kind, RiskScoreConstraint constraint)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options { Constraints = [constraint] })
            .Fit(RiskScoreTestData.Load(ml, "mammo")).Model;
        AssertHonoured(constraint, model, kind);
        Assert.IsTrue(model.Points.Count <= 5);
    }

    [TestMethod]
    public void RiskScore_Certified_HonoursEveryConstraintAtOnce()
    {
        // All six kinds together; a short time limit: whatever the search has found by then must satisfy them all.
        var ml = new MLContext(seed: 1);
        var constraints = Kinds.Select(k => (RiskScoreConstraint)k[1]).ToList();
        var model = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
        {
            Mode = RiskScoreMode.Certified,
            TimeLimitSeconds = 3,
            Constraints = constraints,
        }).Fit(RiskScoreTestData.Load(ml, "mammo")).Model;
        foreach (var c in constraints)
            AssertHonoured(c, model, "Certified");
        Assert.IsNotNull(model.Certificate);
        Assert.IsTrue(model.Certificate.LowerBound <= model.Certificate.UpperBound);
    }

    [TestMethod]
    public void RiskScore_Fast_HonoursEveryConstraintAtOnce()
    {
        var ml = new MLContext(seed: 1);
        var constraints = Kinds.Select(k => (RiskScoreConstraint)k[1]).ToList();
        var model = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options { Constraints = constraints })
            .Fit(RiskScoreTestData.Load(ml, "mammo")).Model;
        foreach (var c in constraints)
            AssertHonoured(c, model, "Fast");
    }

    [TestMethod]
    public void Slim_HonoursEveryConstraintAtOnce()
    {
        var ml = new MLContext(seed: 1);
        var constraints = Kinds.Select(k => (RiskScoreConstraint)k[1]).ToList();
        var model = ml.BinaryClassification.Trainers.Slim(new SlimTrainer.Options { TimeLimitSeconds = 5, Constraints = constraints })
            .Fit(RiskScoreTestData.Load(ml, "mammo")).Model;
        foreach (var c in constraints)
            AssertHonoured(c, model, "SLIM");
    }

    [TestMethod]
    public void Infeasible_RequireAndForbid_NamesBoth()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
        {
            Constraints = [RiskScoreConstraint.Sign("Density", PointsSign.NonNegative), RiskScoreConstraint.Require("OvalShape"), RiskScoreConstraint.Forbid("OvalShape")],
        });
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(RiskScoreTestData.Load(ml, "mammo")));
        StringAssert.Contains(e.Message, "Require(OvalShape)");
        StringAssert.Contains(e.Message, "Forbid(OvalShape)");
        Assert.IsFalse(e.Message.Contains("Density", StringComparison.Ordinal), $"a constraint outside the conflict is not named: {e.Message}");
    }

    [TestMethod]
    public void Infeasible_TooManyRequiredFeatures_NamesTheSizeLimit()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.BinaryClassification.Trainers.Slim(new SlimTrainer.Options
        {
            MaximumFeatureCount = 1,
            Constraints = [RiskScoreConstraint.Require("OvalShape"), RiskScoreConstraint.Require("Density")],
        });
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(RiskScoreTestData.Load(ml, "mammo")));
        StringAssert.Contains(e.Message, "MaximumFeatureCount = 1");
        StringAssert.Contains(e.Message, "Require(OvalShape)");
        StringAssert.Contains(e.Message, "Require(Density)");
    }

    [TestMethod]
    public void Infeasible_MonotoneAgainstBoundsAndSign_NamesTheThree()
    {
        // Age_geq_30 <= Age_geq_45 with Age_geq_30 in [1, 3] and Age_geq_45 <= 0 cannot hold.
        var ml = new MLContext(seed: 1);
        var trainer = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
        {
            Mode = RiskScoreMode.Certified,
            Constraints =
            [
                RiskScoreConstraint.Bounds("Age_geq_30", 1, 3),
                RiskScoreConstraint.Require("Density"),
                RiskScoreConstraint.Sign("Age_geq_45", PointsSign.NonPositive),
                RiskScoreConstraint.Monotone("Age", MonotoneDirection.NonDecreasing, "Age_geq_30", "Age_geq_45"),
            ],
        });
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(RiskScoreTestData.Load(ml, "mammo")));
        StringAssert.Contains(e.Message, "Bounds(Age_geq_30 in [1, 3])");
        StringAssert.Contains(e.Message, "Sign(Age_geq_45 <= 0)");
        StringAssert.Contains(e.Message, "Monotone(Age: Age_geq_30 <= Age_geq_45)");
        Assert.IsFalse(e.Message.Contains("Density", StringComparison.Ordinal), e.Message);
    }

    [TestMethod]
    public void UnknownFeature_IsNamedWithTheConstraint()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options { Constraints = [RiskScoreConstraint.Require("Weight")] });
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(RiskScoreTestData.Load(ml, "mammo")));
        StringAssert.Contains(e.Message, "Require(Weight)");
        StringAssert.Contains(e.Message, "'Weight'");
    }

    [TestMethod]
    public void ConstraintArguments_AreChecked()
    {
        Assert.Throws<ArgumentException>(() => RiskScoreConstraint.Bounds("A", 3, 1));
        Assert.Throws<ArgumentException>(() => RiskScoreConstraint.Require(" "));
        Assert.Throws<ArgumentException>(() => RiskScoreConstraint.Monotone("Age", MonotoneDirection.NonDecreasing, "A"));
        Assert.Throws<ArgumentException>(() => RiskScoreConstraint.AtMost("G", 1, "A", "A"));
        Assert.AreEqual("AtMost(1 of G: A, B)", RiskScoreConstraint.AtMost("G", 1, "A", "B").ToString());
    }
}
