using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Data;
using MLNetExt.Tests.Support;
using MLNetExt.TorchSharp.LabelProportions;

namespace MLNetExt.TorchSharp.Tests.LabelProportions;

[TestClass]
public sealed class LabelProportionsTrainerTests
{
    internal const int FeatureCount = 3;

    /// <summary>A labelled row: three features, a Boolean label drawn from a logistic model, and a 3-class label.</summary>
    internal sealed class Row
    {
        public bool Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        public uint Class { get; set; }
    }

    /// <summary>
    /// n rows, x ~ U(-2, 2)^3, P(Label) = sigmoid(1.5 x0 - x1 + 0.3) (overlapping classes), Class = the largest of
    /// (x0, x1, -x0 - x1) plus noise (1-3); reproducible from the seed.
    /// </summary>
    internal static List<Row> Rows(int n, int seed)
    {
        var random = new Random(seed);
        var rows = new List<Row>(n);
        for (int i = 0; i < n; i++)
        {
            var x = new float[FeatureCount];
            for (int j = 0; j < FeatureCount; j++)
                x[j] = (float)(4 * random.NextDouble() - 2);
            double z = 1.5 * x[0] - x[1] + 0.3;
            double[] scores = [x[0] + random.NextDouble(), x[1] + random.NextDouble(), -x[0] - x[1] + random.NextDouble()];
            rows.Add(new Row { Features = x, Label = random.NextDouble() < 1 / (1 + Math.Exp(-z)), Class = (uint)Array.IndexOf(scores, scores.Max()) + 1 });
        }
        return rows;
    }

    internal static IDataView Data(MLContext mlContext, int n, int seed) => mlContext.Data.LoadFromEnumerable(Rows(n, seed));

    internal static LabelProportionsBinaryTrainer.Options Small(LabelProportionsLoss loss, int epochs = 12) => new()
    {
        Loss = loss,
        NumberOfEpochs = epochs,
        MaximumBatchRows = 128,
        LearningRate = 0.05,
        NumberOfThreads = 1,
        Seed = 3,
    };

    private static double Auc(MLContext mlContext, ITransformer model, IDataView test)
        => mlContext.BinaryClassification.Evaluate(model.Transform(test)).AreaUnderRocCurve;

    [TestMethod]
    [DataRow(LabelProportionsLoss.Dllp)]
    [DataRow(LabelProportionsLoss.EasyLlp)]
    [DataRow(LabelProportionsLoss.BagSquared)]
    [DataRow(LabelProportionsLoss.Interpolating)]
    public void RandomBagsOf8_LearnARankingCloseToTheTrueModel_AndEvaluatorsReadTheOutputs(LabelProportionsLoss loss)
    {
        var mlContext = new MLContext(seed: 1);
        var bagged = mlContext.Data.MakeBags(Data(mlContext, 1600, 1), bagSize: 8, seed: 2);
        var test = Data(mlContext, 1000, 2);
        var model = mlContext.BinaryClassification.Trainers.LabelProportions(Small(loss)).Fit(bagged);
        var scored = model.Transform(test);
        var metrics = mlContext.BinaryClassification.Evaluate(scored);
        var calibration = mlContext.BinaryClassification.EvaluateCalibration(scored);
        // The Bayes scorer 1.5 x0 - x1 reaches AUC ~0.87 on this test set; a constant scorer 0.5. Bags of 8 lose little.
        Assert.IsTrue(metrics.AreaUnderRocCurve > 0.83, $"{loss}: AUC {metrics.AreaUnderRocCurve}");
        // DLLP, EasyLLP and the bag-level loss match proportions without bias and come out calibrated (measured ECE 0.04-0.05);
        // the interpolating loss's within-bag variance term pulls every row towards its bag's mean (spec §2.3, biased towards
        // bag means), so its probabilities are under-confident (measured ECE 0.21).
        double eceBound = loss == LabelProportionsLoss.Interpolating ? 0.3 : 0.1;
        Assert.IsTrue(calibration.ExpectedCalibrationError < eceBound, $"{loss}: ECE {calibration.ExpectedCalibrationError}");
        Assert.AreEqual(12, model.Model.TrainingHistory!.EpochsRun);
        Assert.AreEqual(LabelProportionsModel.Linear, model.Model.Model);
        Assert.AreEqual(FeatureCount, model.Model.FeatureCount);
        // Score is the logit, Probability its sigmoid, PredictedLabel Score > 0.
        var s = scored.GetColumn<float>("Score").ToArray();
        var p = scored.GetColumn<float>("Probability").ToArray();
        var y = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < 20; i++)
        {
            Assert.AreEqual(1 / (1 + Math.Exp(-s[i])), p[i], 1e-6);
            Assert.AreEqual(s[i] > 0, y[i]);
        }
    }

    [TestMethod]
    public void BagsOfOneRow_Dllp_IsLogisticRegression()
    {
        // DLLP on bags of one labelled row is the log loss; a linear model trained to convergence (full batch, 600 Adam
        // steps) matches the maximum-likelihood logistic regression of ML.NET's L-BFGS trainer (no regularisation,
        // tolerance 1e-10: an independent fit) in its probabilities.
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows(300, 11));
        var bagged = mlContext.Data.MakeBags(data, bagSize: 1, seed: 1);
        var options = Small(LabelProportionsLoss.Dllp, epochs: 600);
        options.MaximumBatchRows = 1000;
        options.LearningRate = 0.05;
        var model = mlContext.BinaryClassification.Trainers.LabelProportions(options).Fit(bagged);
        var reference = mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(new Microsoft.ML.Trainers.LbfgsLogisticRegressionBinaryTrainer.Options
        {
            L1Regularization = 0, L2Regularization = 0, OptimizationTolerance = 1e-10f, NumberOfThreads = 1,
        }).Fit(data);
        var test = mlContext.Data.LoadFromEnumerable(Rows(50, 12));
        var ours = model.Transform(test).GetColumn<float>("Probability").ToArray();
        var theirs = reference.Transform(test).GetColumn<float>("Probability").ToArray();
        for (int i = 0; i < ours.Length; i++)
            Assert.AreEqual(theirs[i], ours[i], 2e-3, $"row {i}");
    }

    [TestMethod]
    public void BagsOfOneRow_SquaredLossesAndEasyLlpLog_TrainTheSameModelAsTheirSupervisedForm()
    {
        // With k = 1 the bag-level, instance-level and interpolating losses are all (y - h)^2, and EasyLLP's soft label
        // is y, so it is DLLP's log loss (up to the 1e-8 offset): the same seed gives the same model, up to float rounding.
        var mlContext = new MLContext(seed: 1);
        var bagged = mlContext.Data.Cache(mlContext.Data.MakeBags(Data(mlContext, 400, 5), bagSize: 1, seed: 1));
        var test = Data(mlContext, 100, 6);
        float[] Probabilities(LabelProportionsLoss loss)
        {
            var model = mlContext.BinaryClassification.Trainers.LabelProportions(Small(loss, epochs: 5)).Fit(bagged);
            return model.Transform(test).GetColumn<float>("Probability").ToArray();
        }
        var bag = Probabilities(LabelProportionsLoss.BagSquared);
        var instance = Probabilities(LabelProportionsLoss.InstanceSquared);
        var interpolating = Probabilities(LabelProportionsLoss.Interpolating);
        var dllp = Probabilities(LabelProportionsLoss.Dllp);
        var easy = Probabilities(LabelProportionsLoss.EasyLlp);
        for (int i = 0; i < bag.Length; i++)
        {
            Assert.AreEqual(bag[i], instance[i], 1e-4, $"row {i}");
            Assert.AreEqual(bag[i], interpolating[i], 1e-4, $"row {i}");
            Assert.AreEqual(dllp[i], easy[i], 1e-4, $"row {i}");
        }
        Assert.IsTrue(bag.Zip(dllp).Any(t => Math.Abs(t.First - t.Second) > 1e-3), "squared and log losses train different models");
    }

    [TestMethod]
    public void SameSeed_GivesIdenticalWeights_AnotherSeedDoesNot()
    {
        float[] Weights(int seed, int contextSeed)
        {
            var mlContext = new MLContext(seed: contextSeed);
            var bagged = mlContext.Data.MakeBags(Data(mlContext, 300, 7), bagSize: 4, seed: 1);
            var options = Small(LabelProportionsLoss.Dllp, epochs: 3);
            options.Model = LabelProportionsModel.Mlp;
            options.HiddenLayerSizes = [8];
            options.Seed = seed;
            return mlContext.BinaryClassification.Trainers.LabelProportions(options).Fit(bagged).Model.Weights.SelectMany(w => w.Values).ToArray();
        }
        var a = Weights(5, 1);
        CollectionAssert.AreEqual(a, Weights(5, 2));
        CollectionAssert.AreNotEqual(a, Weights(6, 1));
    }

    [TestMethod]
    public void ExperimentalInstanceLabels_GiveTheSameModelAsTheProportionsMakeBagsWrites()
    {
        var mlContext = new MLContext(seed: 1);
        var bagged = mlContext.Data.Cache(mlContext.Data.MakeBags(Data(mlContext, 300, 8), bagSize: 6, seed: 4));
        var fromColumn = mlContext.BinaryClassification.Trainers.LabelProportions(Small(LabelProportionsLoss.EasyLlp, epochs: 3)).Fit(bagged);
        var options = Small(LabelProportionsLoss.EasyLlp, epochs: 3);
        options.ExperimentalProportionsFromInstanceLabels = true;
        options.BagProportionColumnName = "NotRead";
        var fromLabels = mlContext.BinaryClassification.Trainers.LabelProportions(options).Fit(bagged);
        CollectionAssert.AreEqual(fromColumn.Model.Weights.SelectMany(w => w.Values).ToArray(), fromLabels.Model.Weights.SelectMany(w => w.Values).ToArray());
        // The prior from MakeBags' Single proportions equals the labels' fractions up to float rounding.
        for (int c = 0; c < 2; c++)
            Assert.AreEqual(fromLabels.Model.ClassPrior[c], fromColumn.Model.ClassPrior[c], 1e-7, $"class {c}");
    }

    [TestMethod]
    public void EarlyStopping_OnHeldOutBags_KeepsTheBestEpoch()
    {
        var mlContext = new MLContext(seed: 1);
        var bagged = mlContext.Data.Cache(mlContext.Data.MakeBags(Data(mlContext, 800, 9), bagSize: 8, seed: 4));
        var options = Small(LabelProportionsLoss.Dllp, epochs: 200);
        options.Model = LabelProportionsModel.Mlp;
        options.HiddenLayerSizes = [32];
        options.LearningRate = 0.05;
        options.ValidationBagFraction = 0.25;
        options.EarlyStoppingPatience = 3;
        var history = mlContext.BinaryClassification.Trainers.LabelProportions(options).Fit(bagged).Model.TrainingHistory!;
        Assert.IsTrue(history.StoppedEarly, $"ran {history.EpochsRun} epochs");
        Assert.AreEqual(history.EpochsRun - 3, history.BestEpoch);
        Assert.AreEqual(history.Validation.Min(), history.Validation[history.BestEpoch - 1]);

        // Validation data given to Fit: the same mechanism, on its bags.
        options.ValidationBagFraction = 0;
        var validation = mlContext.Data.MakeBags(Data(mlContext, 200, 10), bagSize: 8, seed: 5);
        var withData = mlContext.BinaryClassification.Trainers.LabelProportions(options).Fit(bagged, validation).Model.TrainingHistory!;
        Assert.IsTrue(withData.StoppedEarly);
        Assert.HasCount(withData.EpochsRun, withData.Validation);
    }

    [TestMethod]
    public void ExplodingTraining_IsAnErrorNamingTheEpoch()
    {
        // A learning rate of 1e30 sends the weights to infinity after the first step: the loss becomes NaN, never a silent model.
        var mlContext = new MLContext(seed: 1);
        var bagged = mlContext.Data.MakeBags(Data(mlContext, 400, 13), bagSize: 4, seed: 1);
        var options = Small(LabelProportionsLoss.Dllp, epochs: 5);
        options.LearningRate = 1e30;
        options.Model = LabelProportionsModel.Mlp;
        options.HiddenLayerSizes = [4];
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.BinaryClassification.Trainers.LabelProportions(options).Fit(bagged));
        StringAssert.Matches(e.Message, new System.Text.RegularExpressions.Regex("The training loss became (NaN|-?∞|-?Infinity) in epoch"));
    }

    [TestMethod]
    public void Multiclass_LearnsFromProportionVectors_WithClassNamesFromTheSlotNames()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = Rows(1500, 14);
        var map = mlContext.Transforms.Conversion.MapValueToKey("Label", "Name");
        var named = mlContext.Data.LoadFromEnumerable(rows.Select(r => new NamedRow { Features = r.Features, Name = ClassNames[r.Class - 1] }).ToList());
        var keyed = map.Fit(named).Transform(named);
        var bagged = mlContext.Data.Cache(mlContext.Data.MakeBags(keyed, bagSize: 6, seed: 1));
        var options = new LabelProportionsMulticlassTrainer.Options { NumberOfEpochs = 15, MaximumBatchRows = 128, LearningRate = 0.05, NumberOfThreads = 1, Seed = 2 };
        var trainer = mlContext.MulticlassClassification.Trainers.LabelProportions(options);
        var model = trainer.Fit(bagged);
        var testRows = Rows(600, 15);
        var testNamed = mlContext.Data.LoadFromEnumerable(testRows.Select(r => new NamedRow { Features = r.Features, Name = ClassNames[r.Class - 1] }).ToList());
        var test = map.Fit(named).Transform(testNamed);
        var scored = model.Transform(test);
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        // The classes are the largest of three noisy linear scores; a linear softmax from bags of 6 gets most right (chance 1/3).
        Assert.IsTrue(metrics.MicroAccuracy > 0.7, $"accuracy {metrics.MicroAccuracy}");
        Assert.AreEqual(3, model.ClassCount);
        // The bags' proportion slots are the label's key values (MapValueToKey's order of occurrence), and so are the model's classes.
        VBuffer<ReadOnlyMemory<char>> labelKeys = default, keys = default;
        keyed.Schema["Label"].Annotations.GetValue("KeyValues", ref labelKeys);
        scored.Schema["PredictedLabel"].Annotations.GetValue("KeyValues", ref keys);
        var expectedNames = labelKeys.DenseValues().Select(k => k.ToString()).ToArray();
        CollectionAssert.AreEquivalent(ClassNames, expectedNames);
        CollectionAssert.AreEqual(expectedNames, keys.DenseValues().Select(k => k.ToString()).ToArray());
        var predicted = mlContext.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel").Fit(scored).Transform(scored)
            .GetColumn<string>("PredictedName").ToArray();
        Assert.IsTrue(predicted.All(ClassNames.Contains));
        var calibration = mlContext.MulticlassClassification.EvaluateCalibration(scored);
        Assert.IsTrue(calibration.ExpectedCalibrationError < 0.2, $"ECE {calibration.ExpectedCalibrationError}");
        var shape = trainer.GetOutputSchema(Shapes.From(bagged.Schema));
        Assert.IsTrue(shape.Single(c => c.Name == "PredictedLabel").Annotations.Any(a => a.Name == "KeyValues"));
    }

    internal static readonly string[] ClassNames = ["red", "green", "blue"];

    internal sealed class NamedRow
    {
        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        public string Name { get; set; } = "";
    }

    [TestMethod]
    public void Conformance_BinaryTrainer()
    {
        Conformance.Check(new ConformanceCase
        {
            Name = "LabelProportions (binary)",
            Estimator = ml => ml.BinaryClassification.Trainers.LabelProportions(Small(LabelProportionsLoss.Dllp, epochs: 2)),
            EstimatorWithOptions = ml =>
            {
                var options = Small(LabelProportionsLoss.Interpolating, epochs: 2);
                options.Model = LabelProportionsModel.Mlp;
                options.HiddenLayerSizes = [4];
                return (ml.BinaryClassification.Trainers.LabelProportions(options), options);
            },
            FitData = ml => ml.Data.MakeBags(Data(ml, 120, 16), bagSize: 4, seed: 1),
            OutputColumns = ["Score", "Probability", "PredictedLabel"],
            InputColumns = new Dictionary<string, InvalidValueBehavior>
            {
                ["Features"] = InvalidValueBehavior.Throws,
                ["BagProportion"] = InvalidValueBehavior.Throws,
            },
            Skip = new Dictionary<string, string>
            {
                ["UnitWeights"] = "no example weights: a bag's proportion weighs its rows (ExampleWeightColumnName is refused)",
                ["ZeroWeights"] = "no example weights",
            },
        });
    }

    [TestMethod]
    public void Conformance_MulticlassTrainer()
    {
        Conformance.Check(new ConformanceCase
        {
            Name = "LabelProportions (multiclass)",
            Estimator = ml => ml.MulticlassClassification.Trainers.LabelProportions(new LabelProportionsMulticlassTrainer.Options
            {
                NumberOfEpochs = 2, NumberOfThreads = 1, Seed = 1, Loss = LabelProportionsLoss.EasyLlp,
            }),
            FitData = ml => ml.Data.MakeBags(ml.Transforms.Conversion.MapValueToKey("Label", "Class").Fit(Data(ml, 120, 18)).Transform(Data(ml, 120, 18)), 4, seed: 1),
            OutputColumns = ["Score", "PredictedLabel"],
            InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
            Skip = new Dictionary<string, string>
            {
                ["UnitWeights"] = "no example weights",
                ["ZeroWeights"] = "no example weights",
                ["OptionsUnchanged"] = "checked on the binary trainer, whose options share the base class",
            },
        });
    }
}
