// Covariate shift with MLNetExt.CovariateShift: a diabetes model trained on one hospital's patients and deployed at
// another hospital whose patients are older. Both hospitals' features are known when training; only the first
// hospital's outcomes are. The bundled Pima Indians diabetes data (data/tabular/diabetes.csv, 768 patients) is split
// by age as the two hospitals' records would be: hospital A sees mostly patients under the median age, hospital B
// mostly patients above it.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.CovariateShift;

var ml = new MLContext(seed: 1);
string path = Path.Combine(AppContext.BaseDirectory, "data", "tabular", "diabetes.csv");
var patients = File.ReadLines(path).Skip(1).Select(line => line.Split(',')).Select(parts => new Patient
{
    Features = parts[..8].Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray(),
    Label = parts[8] == "1", // the file codes diabetes as 1
}).ToArray();
const int Age = 7;
float medianAge = patients.Select(p => p.Features[Age]).Order().ElementAt(patients.Length / 2);
var random = new Random(7);
var hospitalA = new List<Patient>();
var hospitalB = new List<Patient>();
foreach (var patient in patients)
{
    bool young = patient.Features[Age] <= medianAge;
    (random.NextDouble() < (young ? 0.8 : 0.2) ? hospitalA : hospitalB).Add(patient);
}
Console.WriteLine($"Hospital A (training, labelled): {hospitalA.Count} patients, mean age {hospitalA.Average(p => p.Features[Age]):0.0}");
Console.WriteLine($"Hospital B (deployment):         {hospitalB.Count} patients, mean age {hospitalB.Average(p => p.Features[Age]):0.0}");

// Standardize with hospital A's statistics, as the deployed pipeline would.
var rawA = ml.Data.LoadFromEnumerable(hospitalA);
var rawB = ml.Data.LoadFromEnumerable(hospitalB);
var normalizer = ml.Transforms.NormalizeMeanVariance("Features").Fit(rawA);
var trainA = normalizer.Transform(rawA);
var targetB = normalizer.Transform(rawB); // hospital B's labels are used below only to measure accuracy

// 1. The usual model, unaware of the shift.
var plain = ml.BinaryClassification.Trainers.LbfgsLogisticRegression().Fit(trainA);
Report("Logistic regression", plain.Transform(targetB));

// 2. The same trainer with importance weights: any ML.NET trainer takes them as its example weight column.
var weights = ml.Transforms.CovariateShiftWeights(targetB, method: CovariateShiftWeightingMethod.KernelMeanMatching).Fit(trainA);
Console.WriteLine($"   kernel mean matching: effective sample size {weights.EffectiveSampleSize:0} of {hospitalA.Count} patients" +
    (weights.HasCollapsed ? " (collapsed: few patients carry the weight)" : ""));
var weighted = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(exampleWeightColumnName: "Weight").Fit(weights.Transform(trainA));
Report("Logistic regression, KMM weights", weighted.Transform(targetB));

// 3. DW-GCS: weights on both hospitals' patients and a minimax risk classifier with a worst-case error bound.
var dwgcs = ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(targetB).Fit(trainA);
var model = dwgcs.Model;
Report("DW-GCS (0-1 loss)", dwgcs.Transform(targetB));
Console.WriteLine($"   D = {model.ChosenD:0.##} (smallest bound of {model.CandidateD.Count}), bound R(U) = {model.UpperBound:0.000}, " +
    $"training effective sample size {model.TrainingEffectiveSampleSize:0}, mean target weight {model.TargetWeights.Average():0.00}");

// Save the deployed pipeline (normalizer + DW-GCS) and score a new hospital-B patient after loading it.
var pipeline = normalizer.Append(dwgcs);
string modelPath = Path.Combine(Path.GetTempPath(), "dwgcs-hospital.zip");
ml.Model.Save(pipeline, rawA.Schema, modelPath);
var loaded = new MLContext().Model.Load(modelPath, out _);
var engine = ml.Model.CreatePredictionEngine<Patient, Prediction>(loaded);
var newPatient = new Patient { Features = [2, 150, 70, 30, 100, 33.5f, 0.5f, 55] };
var prediction = engine.Predict(newPatient);
Console.WriteLine($"New patient: predicted diabetes {prediction.PredictedLabel}, probability {prediction.Probability:0.00} (model reloaded from {modelPath})");

void Report(string name, IDataView scored)
{
    var metrics = ml.BinaryClassification.Evaluate(scored);
    Console.WriteLine($"{name,-34} accuracy at hospital B {metrics.Accuracy:0.000}, AUC {metrics.AreaUnderRocCurve:0.000}");
}

internal sealed class Patient
{
    [VectorType(8)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

internal sealed class Prediction
{
    public bool PredictedLabel { get; set; }

    public float Probability { get; set; }
}
