using MLNetExt.RiskScores.Engine;

namespace MLNetExt.RiskScores.Tests;

/// <summary>Score-card rendering and the model's arithmetic, on a model small enough to check by hand.</summary>
[TestClass]
public sealed class ScoreCardTests
{
    private static RiskScoreModelParameters Model()
    {
        // Two binary features: totals 0, 2, -1, 1 -> table {-1, 0, 1, 2}; risk(t) = sigmoid((-1 + t) / 2).
        var data = RiskData.FromRows(new double[,] { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 1, 1 } }, [1, -1, 1, -1]);
        int[] points = [2, -1];
        return new RiskScoreModelParameters(ScoreCardKind.RiskScore, ["Age >= 60", "Smoker|Ex"], points, -1, 2,
            ScoreCards.RiskTable(data, points, -1, 2), 0.5, 0.5, null, []);
    }

    [TestMethod]
    public void RiskTable_AndScore_AreTheFormula()
    {
        var model = Model();
        CollectionAssert.AreEqual(new double[] { -1, 0, 1, 2 }, model.RiskTable.Select(r => r.Total).ToArray());
        Assert.AreEqual(1 / (1 + Math.Exp(1.0)), model.RiskTable[0].Risk, 1e-15);      // (-1 - 1) / 2 = -1
        Assert.AreEqual(0.5, model.RiskTable[2].Risk, 1e-15);                          // (-1 + 1) / 2 = 0
        Assert.AreEqual((-1 + 2 - 1) / 2.0, model.Score([1, 1]));
        Assert.AreEqual(model.RiskTable[3].Risk, model.Risk(2), 1e-15);
    }

    [TestMethod]
    public void Markdown_ListsPointsAndRisks()
    {
        string expected = string.Join("\n",
            "| # | Feature | Points |",
            "|---:|---|---:|",
            "| 1 | Age >= 60 | 2 points |",
            "| 2 | Smoker\\|Ex | + -1 point |",
            "| | **Total score** | **=** |",
            "",
            "Risk = 1 / (1 + exp(-(total - 1) / 2))",
            "",
            "| Total score | -1 | 0 | 1 | 2 |",
            "|---|---:|---:|---:|---:|",
            "| Risk | 26.9% | 37.8% | 50.0% | 62.2% |",
            "");
        Assert.AreEqual(expected, Model().ToScoreCard());
    }

    [TestMethod]
    public void PlainText_HasTheReadmeShape()
    {
        string[] lines = Model().ToScoreCard(ScoreCardFormat.PlainText).Split('\n');
        Assert.AreEqual(" 1. Age >= 60    2 points |   ...", lines[0]);
        Assert.AreEqual(" 2. Smoker|Ex    -1 point | + ...", lines[1]);
        Assert.AreEqual("Intercept -1, multiplier 2", lines[3]);
        StringAssert.StartsWith(lines[4], "SCORE |     -1 |      0 |      1 |      2 |");
        StringAssert.StartsWith(lines[5], "RISK  |  26.9% |  37.8% |  50.0% |  62.2% |");
    }
}
