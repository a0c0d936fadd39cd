using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Data;
using MLNetExt.Tests.Support;
using MLNetExt.Training;

namespace MLNetExt.Tests.Training;

/// <summary>
/// The trainer and prediction-transformer bases through ML.NET's public API: ML.NET's evaluators, calibration
/// evaluation, PredictionEngine, permutation feature importance, MapKeyToValue, save/load, the shared conformance
/// checks with weights, and clear errors for a feature vector of the wrong size.
/// </summary>
[TestClass]
public sealed class ModelTransformerTests
{
    private static IDataView Diabetes(MLContext ml)
        => Support.Diabetes.Load(ml);

    /// <summary>The segment table (19 features, 7 classes given as numbers 1-7) with a key label made from text.</summary>
    private static IDataView Segment(MLContext ml, int rows = 600)
    {
        var loader = ml.Data.CreateTextLoader(
            [new TextLoader.Column("Features", DataKind.Single, 0, 18), new TextLoader.Column("Class", DataKind.String, 19)],
            separatorChar: ',', hasHeader: true);
        var data = ml.Data.TakeRows(loader.Load(TestData.Path("tabular/segment.csv")), rows);
        var features = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Fit(data).Transform(data);
        return ml.Transforms.Conversion.MapValueToKey("Label", "Class").Fit(features).Transform(features);
    }

    private static IDataView Ltr(MLContext ml, string file = "rank.train") => ml.Data.LoadFromLibSvm(TestData.Path($"ltr/{file}"));

    [TestMethod]
    public void Binary_OutputsAreWhatMLNetEvaluatorsRead()
    {
        var ml = new MLContext(seed: 1);
        var data = Diabetes(ml);
        var normalized = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Fit(data).Transform(data);
        var model = ml.BinaryClassification.Trainers.LinearTest().Fit(normalized);
        var scored = model.Transform(normalized);

        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.IsTrue(metrics.AreaUnderRocCurve > 0.75, $"AUC {metrics.AreaUnderRocCurve} accuracy {metrics.Accuracy} {string.Join(",", model.Model.Weights[0])}");
        Assert.IsTrue(double.IsFinite(metrics.LogLoss));
        var calibration = ml.BinaryClassification.EvaluateCalibration(scored);
        Assert.IsTrue(calibration.ExpectedCalibrationError is > 0 and < 0.5);

        // PredictedLabel is Score > 0, and Probability is the model's sigmoid of the score.
        var score = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < score.Length; i++)
        {
            Assert.AreEqual(score[i] > 0, predicted[i], $"row {i}");
            Assert.AreEqual((float)(1 / (1 + Math.Exp(-(double)score[i]))), probability[i], 1e-6f, $"row {i}");
        }
        Assert.AreEqual("BinaryClassification", Annotation(scored.Schema["Score"], "ScoreColumnKind"));
        Assert.AreEqual("Probability", Annotation(scored.Schema["Probability"], "ScoreValueKind"));
        Assert.AreSame(model.Model, ((ISingleFeaturePredictionTransformer<LinearTestModel>)model).Model);
        Assert.AreEqual("Features", model.FeatureColumnName);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 8), model.FeatureColumnType);
    }

    [TestMethod]
    public void Binary_PredictionEngine_AndPermutationFeatureImportance_Work()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false).Fit(Diabetes(ml)).Transform(Diabetes(ml));
        var model = ml.BinaryClassification.Trainers.LinearTest().Fit(data);
        var engine = ml.Model.CreatePredictionEngine<Support.Diabetes.Row, Support.Diabetes.Prediction>(model);
        var rows = ml.Data.CreateEnumerable<Support.Diabetes.Row>(data, reuseRowObject: false).Take(50).ToArray();
        var expected = model.Transform(data).GetColumn<float>("Probability").Take(50).ToArray();
        for (int i = 0; i < rows.Length; i++)
            Assert.AreEqual(expected[i], engine.Predict(rows[i]).Probability, 0, $"row {i}");

        var importance = ml.BinaryClassification.PermutationFeatureImportance(model, data, permutationCount: 1);
        Assert.AreEqual(8, importance.Length);
        // Glucose (slot 1) is the most informative diabetes feature: permuting it costs the most AUC.
        int worst = Enumerable.Range(0, 8).MinBy(j => importance[j].AreaUnderRocCurve.Mean);
        Assert.AreEqual(1, worst, string.Join(", ", importance.Select(m => m.AreaUnderRocCurve.Mean.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture))));
    }

    [TestMethod]
    public void Multiclass_ScoreAndPredictedLabel_CarryTheTrainingClassNames()
    {
        var ml = new MLContext(seed: 1);
        var data = Segment(ml);
        var model = ml.MulticlassClassification.Trainers.LinearTest().Fit(data);
        Assert.AreEqual(7, model.ClassCount);
        var scored = model.Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsTrue(metrics.MicroAccuracy > 0.6, $"accuracy {metrics.MicroAccuracy}");
        Assert.IsTrue(ml.MulticlassClassification.EvaluateCalibration(scored).LogLoss > 0);

        // The Score slots are named by class, and PredictedLabel maps back to the class text.
        VBuffer<ReadOnlyMemory<char>> slotNames = default;
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        var classes = data.GetColumn<string>("Class").Distinct().ToArray();
        CollectionAssert.AreEqual(classes, slotNames.DenseValues().Select(s => s.ToString()).ToArray());
        var back = ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel").Fit(scored).Transform(scored);
        var predictedClass = back.GetColumn<string>("PredictedClass").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < scores.Length; i++)
            Assert.AreEqual(classes[Array.IndexOf(scores[i], scores[i].Max())], predictedClass[i], $"row {i}");
    }

    [TestMethod]
    public void Multiclass_ArgMax_TakesTheFirstOfTiesAndIsMissingForNaN()
    {
        Assert.AreEqual(2u, MulticlassClassificationModelTransformer<LinearTestModel>.ArgMaxKey([0.2, 0.4, 0.4]));
        Assert.AreEqual(3u, MulticlassClassificationModelTransformer<LinearTestModel>.ArgMaxKey([double.NaN, 0.1, 0.9]));
        Assert.AreEqual(0u, MulticlassClassificationModelTransformer<LinearTestModel>.ArgMaxKey([double.NaN, double.NaN]));
    }

    [TestMethod]
    public void Ranking_OnTheLtrSample_WorksWithMLNetsEvaluator_AndPermutationFeatureImportance()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Ranking.Trainers.LinearTest().Fit(Ltr(ml));
        var test = Ltr(ml, "rank.test");
        var scored = model.Transform(test);
        var metrics = ml.Ranking.Evaluate(scored);
        Assert.IsTrue(metrics.NormalizedDiscountedCumulativeGains[2] > 0.5, $"NDCG@3 {metrics.NormalizedDiscountedCumulativeGains[2]}");
        var importance = ml.Ranking.PermutationFeatureImportance(model, ml.Data.TakeRows(test, 300), permutationCount: 1);
        Assert.AreEqual(300, importance.Length);
        Assert.AreEqual("Ranking", Annotation(scored.Schema["Score"], "ScoreColumnKind"));
    }

    [TestMethod]
    public void FeatureVector_OfAnotherSize_IsASchemaErrorNamingBothSizes()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.BinaryClassification.Trainers.LinearTest().Fit(Diabetes(ml));
        var other = ml.Data.LoadFromEnumerable(new[] { new { Features = new float[] { 1, 2, 3 } } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(other));
        StringAssert.Contains(e.Message, "Schema mismatch for feature column 'Features': expected Vector<Single, 8> (the size the model was trained on)");
    }

    [TestMethod]
    public void Trainer_ChecksColumnsUpFront_AndOptionsAreCopiedAtCreation()
    {
        var ml = new MLContext(seed: 1);
        var options = new LinearTestOptions { LabelColumnName = "Features" };
        var trainer = ml.BinaryClassification.Trainers.LinearTest(options);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(Diabetes(ml)));
        StringAssert.Contains(e.Message, "Schema mismatch for label column 'Features': expected Boolean");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(Shapes.From(Diabetes(ml).Schema)));
        StringAssert.Contains(e.Message, "label column 'Features'");

        // Changing the options after the trainer exists changes nothing.
        options.LabelColumnName = "Label";
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(Diabetes(ml)));
        var bad = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.LinearTest(new LinearTestOptions { FeatureColumnName = " " }));
        StringAssert.Contains(bad.Message, "FeatureColumnName");
    }

    [TestMethod]
    public void Seed_IsResolvedAtCreation_FromTheContext_OrTheOptions()
    {
        var a = new MLContext(seed: 3).BinaryClassification.Trainers.LinearTest();
        var b = new MLContext(seed: 3).BinaryClassification.Trainers.LinearTest();
        Assert.AreEqual(a.Seed, b.Seed);
        Assert.AreEqual(42, new MLContext(seed: 3).BinaryClassification.Trainers.LinearTest(new LinearTestOptions { Seed = 42 }).Seed);
        var data = Diabetes(new MLContext(seed: 1));
        Assert.AreEqual(a.Fit(data).Model.Biases[0], a.Fit(data).Model.Biases[0], "fitting one trainer twice gives one model");
    }

    [TestMethod]
    public void StackedModels_GetIncreasingScoreColumnSetIds()
    {
        var ml = new MLContext(seed: 1);
        var data = Diabetes(ml);
        var first = ml.BinaryClassification.Trainers.LinearTest().Fit(data);
        var once = first.Transform(data);
        var twice = ml.BinaryClassification.Trainers.LinearTest().Fit(data).Transform(once);
        uint id1 = 0, id2 = 0;
        once.Schema["Score"].Annotations.GetValue("ScoreColumnSetId", ref id1);
        twice.Schema["Score"].Annotations.GetValue("ScoreColumnSetId", ref id2);
        Assert.AreEqual(1u, id1);
        Assert.AreEqual(2u, id2);
    }

    [TestMethod]
    public void EveryTask_PassesTheConformanceChecks_WithWeights()
    {
        Conformance.Check(new ConformanceCase
        {
            Name = "LinearBinaryTest",
            Estimator = ml => ml.BinaryClassification.Trainers.LinearTest(),
            WeightedEstimator = (ml, w) => ml.BinaryClassification.Trainers.LinearTest(new LinearTestOptions { ExampleWeightColumnName = w }),
            EstimatorWithOptions = ml => { var o = new LinearTestOptions(); return (ml.BinaryClassification.Trainers.LinearTest(o), o); },
            FitData = Diabetes,
            OutputColumns = ["Score", "Probability", "PredictedLabel"],
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
            WeightTolerance = 1e-5,
        });
        Conformance.Check(new ConformanceCase
        {
            Name = "LinearMulticlassTest",
            Estimator = ml => ml.MulticlassClassification.Trainers.LinearTest(),
            WeightedEstimator = (ml, w) => ml.MulticlassClassification.Trainers.LinearTest(new LinearTestOptions { ExampleWeightColumnName = w }),
            EstimatorWithOptions = ml => { var o = new LinearTestOptions(); return (ml.MulticlassClassification.Trainers.LinearTest(o), o); },
            FitData = ml => Segment(ml, 300),
            OutputColumns = ["Score", "PredictedLabel"],
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
            WeightTolerance = 1e-5,
        });
        Conformance.Check(new ConformanceCase
        {
            Name = "LinearRankingTest",
            Estimator = ml => ml.Ranking.Trainers.LinearTest(),
            WeightedEstimator = (ml, w) => ml.Ranking.Trainers.LinearTest(new LinearTestOptions { ExampleWeightColumnName = w }),
            EstimatorWithOptions = ml => { var o = new LinearTestOptions(); return (ml.Ranking.Trainers.LinearTest(o), o); },
            FitData = ml => ml.Data.TakeRows(Ltr(ml), 600),
            GroupColumn = "GroupId",
            OutputColumns = ["Score"],
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Label"] = InvalidValueBehavior.Throws, ["Features"] = InvalidValueBehavior.Accepts },
            WeightTolerance = 1e-4,
        });
    }

    private static string Annotation(DataViewSchema.Column column, string name)
    {
        ReadOnlyMemory<char> value = default;
        column.Annotations.GetValue(name, ref value);
        return value.ToString();
    }
}
