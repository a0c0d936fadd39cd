using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.RiskScores.Engine;
using MLNetExt.Tests.Support;

namespace MLNetExt.RiskScores.Tests;

/// <summary>Fast mode against FasterRisk's figures, bad input, options, determinism, cancellation and progress.</summary>
[TestClass]
public sealed class TrainerTests
{
    [TestMethod]
    public void Fast_Breastcancer_MatchesFasterRiskOnTheSameData()
    {
        // FasterRisk @a3702aa (jiachangliu/FasterRisk, run here with numpy 1.24 on all 683 rows, k = 5, defaults) returns
        // -77 + 5 ClumpThickness + 4 UniformityOfCellShape + 3 MarginalAdhesion + 3 BareNuclei + 4 BlandChromatin with
        // multiplier 7.8199 and total logistic loss 56.4353, from a pool of 21 models.
        var ml = new MLContext(seed: 1);
        var model = ml.BinaryClassification.Trainers.RiskScore().Fit(RiskScoreTestData.Load(ml, "breastcancer")).Model;
        Assert.AreEqual(-77, model.Intercept);
        CollectionAssert.AreEqual(new[] { "ClumpThickness:5", "UniformityOfCellShape:4", "MarginalAdhesion:3", "BareNuclei:3", "BlandChromatin:4" },
            model.Points.Select(p => $"{p.Feature}:{p.Points}").ToArray());
        Assert.AreEqual(7.8199, model.Multiplier, 5e-5);
        Assert.AreEqual(56.4353, model.TrainingLoss * 683, 5e-4);
        Assert.AreEqual(21, model.Pool.Count);
        Assert.IsNull(model.Certificate);
        for (int m = 1; m < model.Pool.Count; m++)
            Assert.IsTrue(model.Pool[m].TrainingLoss >= model.Pool[m - 1].TrainingLoss, "the pool is sorted by loss");
        foreach (var candidate in model.Pool)
        {
            // Spec §6.11: integer points in the box, at most k used, intercept in [-100, 100].
            Assert.IsTrue(candidate.SlotPoints.All(p => p is >= -5 and <= 5) && candidate.SlotPoints.Count(p => p != 0) <= 5);
            Assert.IsTrue(candidate.Intercept is >= -100 and <= 100);
        }
    }

    [TestMethod]
    public void Fast_Outputs_AreWhatMLNetEvaluatorsRead()
    {
        var ml = new MLContext(seed: 1);
        var data = RiskScoreTestData.Load(ml, "mammo");
        var trained = ml.BinaryClassification.Trainers.RiskScore().Fit(data);
        var scored = trained.Transform(data);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.IsTrue(metrics.AreaUnderRocCurve > 0.8, $"AUC {metrics.AreaUnderRocCurve}");
        var calibration = MLNetExt.Calibration.CalibrationCatalog.EvaluateCalibration(ml.BinaryClassification, scored);
        Assert.IsTrue(calibration.ExpectedCalibrationError < 0.1, $"ECE {calibration.ExpectedCalibrationError}");
        // Score = (intercept + points . x) / m, Probability = sigmoid(Score) = the risk table's risk of the row's total.
        var model = trained.Model;
        var features = scored.GetColumn<float[]>("Features").ToArray();
        var score = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        var table = model.RiskTable.ToDictionary(r => r.Total, r => r.Risk);
        for (int i = 0; i < features.Length; i++)
        {
            double total = model.Points.Sum(p => p.Points * (double)features[i][p.Slot]);
            Assert.AreEqual((float)((model.Intercept + total) / model.Multiplier), score[i], $"row {i}");
            Assert.AreEqual((float)table[total], probability[i], $"row {i}");
        }
        Assert.AreEqual(trained.Model, ((ISingleFeaturePredictionTransformer<RiskScoreModelParameters>)trained).Model);
    }

    [TestMethod]
    public void NonBooleanLabel_IsASchemaErrorNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.Conversion.ConvertType("Label", "Label", DataKind.Single).Fit(RiskScoreTestData.Load(ml, "mammo"))
            .Transform(RiskScoreTestData.Load(ml, "mammo"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.RiskScore().Fit(data));
        StringAssert.Contains(e.Message, "label column 'Label'");
        StringAssert.Contains(e.Message, "Boolean");
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.Slim().Fit(data));
    }

    [TestMethod]
    public void NaNFeature_NamesTheColumnAndRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 10).Select(i => new RiskScoreTestData.Row { Features = [i % 2, i == 7 ? float.NaN : i % 3], Label = i % 2 == 0 }).ToList();
        var e = Assert.Throws<InvalidOperationException>(() => ml.BinaryClassification.Trainers.RiskScore().Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "row 7");
    }

    [TestMethod]
    public void OneClass_SaysBothClassesAreNeeded()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 10).Select(i => new RiskScoreTestData.Row { Features = [i % 2, i % 3], Label = true });
        var e = Assert.Throws<InvalidOperationException>(() => ml.BinaryClassification.Trainers.Slim().Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(e.Message, "only true values");
        StringAssert.Contains(e.Message, "both classes");
    }

    [TestMethod]
    public void Options_AreCheckedWhenTheTrainerIsMade()
    {
        var ml = new MLContext(seed: 1);
        var trainers = ml.BinaryClassification.Trainers;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainers.RiskScore(new RiskScoreTrainer.Options { CoefficientMaximum = -1 }));
        Assert.AreEqual(nameof(RiskScoreTrainer.Options.CoefficientMaximum), e.ParamName);
        StringAssert.Contains(e.Message, "got -1");
        Assert.Throws<ArgumentOutOfRangeException>(() => trainers.RiskScore(new RiskScoreTrainer.Options { MaximumFeatureCount = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainers.RiskScore(new RiskScoreTrainer.Options { MinimumFeatureCount = 6 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainers.RiskScore(new RiskScoreTrainer.Options { TimeLimitSeconds = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainers.RiskScore(new RiskScoreTrainer.Options { InterceptMinimum = 3, InterceptMaximum = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainers.Slim(new SlimTrainer.Options { SparsityPenalty = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainers.Slim(new SlimTrainer.Options { PointPenalty = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.BinarizeByThresholds("F", maximumThresholdsPerFeature: 0));
    }

    [TestMethod]
    public void Fast_ThreadCount_DoesNotChangeTheModel()
    {
        var bytes = new List<byte[]>();
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var ml = new MLContext(seed: 1);
            var model = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options { NumberOfThreads = threads, MaximumFeatureCount = 6 })
                .Fit(RiskScoreTestData.Load(ml, "mammo")).Model;
            using var stream = new MemoryStream();
            MLNetExt.Serialization.ModelPersistence.SaveSection(stream, model);
            bytes.Add(stream.ToArray());
        }
        CollectionAssert.AreEqual(bytes[0], bytes[1]);
        CollectionAssert.AreEqual(bytes[0], bytes[2]);
    }

    [TestMethod]
    public void Certified_CancelExecution_StopsTheSearch()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options { Mode = RiskScoreMode.Certified, MaximumFeatureCount = 8, TimeLimitSeconds = 600 });
        var data = RiskScoreTestData.Load(ml, "mammo");
        using var timer = new Timer(_ => Cancellation.Cancel(ml), null, 2000, Timeout.Infinite);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(data));
        Assert.IsTrue(clock.Elapsed.TotalSeconds < 60, $"canceled after {clock.Elapsed.TotalSeconds} s");
    }

    [TestMethod]
    public void Certified_LogsBoundsAndGapOverTime()
    {
        var ml = new MLContext(seed: 1);
        var lines = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Source.Contains("RiskScore", StringComparison.Ordinal))
            {
                lock (lines)
                    lines.Add(e.Message);
            }
        };
        var model = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options { Mode = RiskScoreMode.Certified, MaximumFeatureCount = 3 })
            .Fit(RiskScoreTestData.Load(ml, "mammo")).Model;
        Assert.AreEqual(CertificateStatus.Optimal, model.Certificate!.Status);
        Assert.IsTrue(lines.Any(l => l.Contains("lower bound", StringComparison.Ordinal) && l.Contains("gap", StringComparison.Ordinal)),
            string.Join("\n", lines));
        Assert.IsTrue(lines.Any(l => l.Contains("Optimal: objective", StringComparison.Ordinal)), string.Join("\n", lines));
        // The certified optimum is at most the Fast model's RiskSLIM objective: polishing a Fast pool model at
        // multiplier 1 is one of the warm starts.
        Assert.IsTrue(model.Certificate.History.All(h => h.LowerBound <= h.UpperBound + 1e-12));
    }

    [TestMethod]
    public void Engines_AgreeOnBreastcancerWithOneFeature()
    {
        // The production branch-and-bound and the SCIP outer loop (the reference) prove the same optimum.
        var values = new List<double>();
        foreach (var engine in new[] { CertifiedEngine.BranchAndBound, CertifiedEngine.ScipOuterLoop })
        {
            var ml = new MLContext(seed: 1);
            var model = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
            {
                Mode = RiskScoreMode.Certified,
                Engine = engine,
                MaximumFeatureCount = 1,
                TimeLimitSeconds = 120,
            }).Fit(RiskScoreTestData.Load(ml, "breastcancer")).Model;
            Assert.AreEqual(CertificateStatus.Optimal, model.Certificate!.Status, $"{engine}: {model.Certificate}");
            values.Add(model.Objective);
        }
        Assert.AreEqual(values[0], values[1], 1e-9);
    }
}
