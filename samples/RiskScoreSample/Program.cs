// Integer risk scores with MLNetExt.RiskScores on the mammographic mass data (risk-slim's copy of the UCI set):
// binarise, fit a Fast (FasterRisk) score card, fit a Certified (RiskSLIM) one with its proof, print both, save,
// reload in a fresh MLContext and score a new patient.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.RiskScores;
using MLNetExt.Training;

var ml = new MLContext(seed: 1);
string path = Path.Combine(AppContext.BaseDirectory, "data", "riskscore", "mammo.csv");
// Column 0 is the outcome (1 = malignant), read as a Boolean label; the other 14 columns are the features. Giving the
// loader the file as its data sample makes the header the features' slot names, which the score card prints.
var loader = ml.Data.CreateTextLoader(
    [new TextLoader.Column("Label", DataKind.Boolean, 0), new TextLoader.Column("Raw", DataKind.Single, 1, 14)],
    separatorChar: ',', hasHeader: true, dataSample: new MultiFileSource(path));
var data = ml.Data.Cache(loader.Load(path));
var split = ml.Data.TrainTestSplit(data, testFraction: 0.2, seed: 1);

// 1. Binary features: "Density >= 3" and the like (binary columns pass through under their own names).
var binarize = ml.Transforms.BinarizeByThresholds("Features", "Raw");

// 2. Fast mode: FasterRisk's beam search, diverse pool and star-ray multipliers, in well under a second.
var fast = binarize.Append(ml.BinaryClassification.Trainers.RiskScore(maximumFeatureCount: 5)).Fit(split.TrainSet);
var fastCard = fast.LastTransformer.Model;
Console.WriteLine("== Fast (FasterRisk) score card ==");
Console.WriteLine(fastCard.ToScoreCard(ScoreCardFormat.PlainText));
Report(ml, "Fast", fast.Transform(split.TestSet));

// 3. Certified mode: RiskSLIM's objective (mean logistic loss + 1e-6 per feature, multiplier 1), proved optimal by the
//    branch-and-bound over GLOP linear programs, or bounded when the time limit ends it. Age bands must not lower risk.
var certified = binarize.Append(ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
{
    Mode = RiskScoreMode.Certified,
    MaximumFeatureCount = 5,
    TimeLimitSeconds = 60,
    Constraints = [RiskScoreConstraint.Monotone("Age", MonotoneDirection.NonDecreasing, "Age_geq_30", "Age_geq_45", "Age_geq_60")],
})).Fit(split.TrainSet);
var card = certified.LastTransformer.Model;
Console.WriteLine("== Certified (RiskSLIM) score card ==");
Console.WriteLine(card.ToScoreCard(ScoreCardFormat.Markdown));
Console.WriteLine($"Certificate: {card.Certificate}");
Report(ml, "Certified", certified.Transform(split.TestSet));

// 4. Save, reload in a fresh context, and score a new patient: oval shape, circumscribed margin, density 3, age 62.
string modelPath = Path.Combine(Path.GetTempPath(), "riskscore-mammo.zip");
ml.Model.Save(certified, data.Schema, modelPath);
var reloaded = new MLContext(seed: 2).Model.Load(modelPath, out var schema);
var engine = new MLContext(seed: 2).Model.CreatePredictionEngine<Patient, Prediction>(reloaded, schema);
var patient = new Patient { Raw = [0, 1, 0, 0, 1, 0, 0, 0, 0, 3, 0, 1, 1, 1] };
var prediction = engine.Predict(patient);
Console.WriteLine($"New patient: score {prediction.Score:0.###}, predicted risk {prediction.Probability:P1}, predicted malignant: {prediction.PredictedLabel}");
File.Delete(modelPath);

static void Report(MLContext ml, string name, IDataView scored)
{
    var m = ml.BinaryClassification.Evaluate(scored);
    Console.WriteLine($"{name}: test AUC {m.AreaUnderRocCurve:0.0000}, accuracy {m.Accuracy:0.0000}, log-loss {m.LogLoss:0.0000}");
    Console.WriteLine();
}

/// <summary>A patient's 14 raw features, in the file's column order.</summary>
internal sealed class Patient
{
    [VectorType(14)]
    public float[] Raw { get; set; } = [];

    public bool Label { get; set; }
}

/// <summary>What the risk score writes.</summary>
internal sealed class Prediction
{
    public float Score { get; set; }

    public float Probability { get; set; }

    public bool PredictedLabel { get; set; }
}
