// MLNetExt calibration sample.
//   1. Binary: FastTree on the Pima diabetes table. Calibration of sigmoid(raw score), of ML.NET's Platt
//      calibrator, and of MLNetExt's beta calibration, histogram binning and temperature scaling, each fitted on a
//      held-out calibration split and evaluated on a test split. Reliability diagram: out/calibration/binary.png.
//   2. Multiclass: LightGbm on UCI letter recognition (26 classes). Top-label calibration before and after
//      temperature scaling. Reliability diagram: out/calibration/multiclass.png.
//   3. The calibrated multiclass pipeline is saved, reloaded in a fresh MLContext, and used through PredictionEngine.
// Usage: dotnet run --project samples/CalibrationSample [-- <output folder>]
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Plotting;

string outputFolder = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("out", "calibration"));
Directory.CreateDirectory(outputFolder);
var mlContext = new MLContext(seed: 1);

Binary(mlContext, outputFolder);
Multiclass(mlContext, outputFolder);
return 0;

static void Binary(MLContext mlContext, string outputFolder)
{
    Console.WriteLine("== Binary: FastTree on diabetes.csv (768 rows; 50% train, 25% calibration, 25% test) ==");
    var data = mlContext.Data.CreateTextLoader(
        [new TextLoader.Column("Features", DataKind.Single, 0, 7), new TextLoader.Column("Label", DataKind.Boolean, 8)],
        separatorChar: ',', hasHeader: true).Load(DataPath("tabular/diabetes.csv"));
    var first = mlContext.Data.TrainTestSplit(data, testFraction: 0.5, seed: 7);
    var second = mlContext.Data.TrainTestSplit(first.TestSet, testFraction: 0.5, seed: 7);
    var (train, calibration, test) = (first.TrainSet, second.TrainSet, second.TestSet);

    var model = mlContext.BinaryClassification.Trainers.FastTree(numberOfTrees: 100, numberOfLeaves: 16, minimumExampleCountPerLeaf: 10).Fit(train);
    var scoredCalibration = model.Transform(calibration);
    var scoredTest = model.Transform(test);

    // "Before": the raw boosting score through a plain sigmoid, no calibration at all.
    var sigmoid = mlContext.Transforms.Expression("Probability", "s => 1 / (1 + exp(-s))", "Score").Fit(scoredTest);
    var candidates = new (string Name, IDataView Scored)[]
    {
        ("sigmoid(score), uncalibrated", sigmoid.Transform(scoredTest)),
        ("ML.NET Platt (trainer's own)", scoredTest),
        ("ML.NET Platt (held-out)", mlContext.BinaryClassification.Calibrators.Platt().Fit(scoredCalibration).Transform(scoredTest)),
        ("MLNetExt beta calibration", mlContext.BinaryClassification.Calibrators.Beta().Fit(scoredCalibration).Transform(scoredTest)),
        ("MLNetExt histogram binning", mlContext.BinaryClassification.Calibrators.HistogramBinning(numberOfBins: 5).Fit(scoredCalibration).Transform(scoredTest)),
        ("MLNetExt temperature", mlContext.BinaryClassification.Calibrators.TemperatureScaling().Fit(scoredCalibration).Transform(scoredTest)),
    };
    var options = new CalibrationEvaluatorOptions { NumberOfBins = 10 };
    Console.WriteLine($"{"probability",-30} {"ECE-10",8} {"MCE",7} {"debiased",9} {"Brier",7} {"log-loss",9} {"balance",8} {"AUC",6}");
    var diagrams = new List<(string, ReliabilityDiagram)>();
    foreach (var (name, scored) in candidates)
    {
        var calibration10 = mlContext.BinaryClassification.EvaluateCalibration(scored, options: options);
        var ml = mlContext.BinaryClassification.Evaluate(scored);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-30} {calibration10.ExpectedCalibrationError,8:0.0000} {calibration10.MaximumCalibrationError,7:0.000} {calibration10.DebiasedCalibrationError,9:0.0000} {calibration10.BrierScore,7:0.0000} {calibration10.LogLoss,9:0.0000} {calibration10.BalanceScore,8:+0.000;-0.000} {ml.AreaUnderRocCurve,6:0.000}"));
        if (name.StartsWith("sigmoid", StringComparison.Ordinal) || name.Contains("held-out", StringComparison.Ordinal) || name.Contains("beta", StringComparison.Ordinal))
            diagrams.Add((name, calibration10.ReliabilityDiagram));
    }
    string png = Path.Combine(outputFolder, "binary.png");
    SaveDiagram(diagrams, png, "FastTree on diabetes: test split");
    Console.WriteLine();
}

static void Multiclass(MLContext mlContext, string outputFolder)
{
    Console.WriteLine("== Multiclass: LightGbm on letter-recognition.csv (20,000 rows, 26 classes; 10,000 train, 5,000 calibration, 5,000 test) ==");
    var columns = Enumerable.Range(1, 16).Select(i => new TextLoader.Column($"F{i}", DataKind.Single, i - 1))
        .Append(new TextLoader.Column("Letter", DataKind.String, 16)).ToArray();
    var data = mlContext.Data.CreateTextLoader(columns, separatorChar: ',', hasHeader: true).Load(DataPath("tabular/letter-recognition.csv"));
    var first = mlContext.Data.TrainTestSplit(data, testFraction: 0.5, seed: 11);
    var second = mlContext.Data.TrainTestSplit(first.TestSet, testFraction: 0.5, seed: 11);
    var (train, calibration, test) = (first.TrainSet, second.TrainSet, second.TestSet);

    var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label", "Letter", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
        .Append(mlContext.Transforms.Concatenate("Features", Enumerable.Range(1, 16).Select(i => $"F{i}").ToArray()))
        .Append(mlContext.MulticlassClassification.Trainers.LightGbm(numberOfIterations: 200, learningRate: 0.2, numberOfLeaves: 31));
    var model = pipeline.Fit(train);

    var temperature = mlContext.MulticlassClassification.TemperatureScaling().Fit(model.Transform(calibration));
    var calibrated = model.Append(temperature);
    var vectorScaling = mlContext.MulticlassClassification.TemperatureScaling(
        new TemperatureScalingEstimator.Options { Method = TemperatureScalingMethod.VectorScaling }).Fit(model.Transform(calibration));
    var before = mlContext.MulticlassClassification.EvaluateCalibration(model.Transform(test));
    var after = mlContext.MulticlassClassification.EvaluateCalibration(calibrated.Transform(test));
    var afterVector = mlContext.MulticlassClassification.EvaluateCalibration(vectorScaling.Transform(model.Transform(test)));
    Console.WriteLine($"Fitted temperature T = {temperature.Temperature:0.0000} (T > 1: the model was over-confident)");
    Console.WriteLine($"{"",-22} {"accuracy",9} {"ECE-15",8} {"MCE",7} {"classwise",10} {"Brier",7} {"log-loss",9} {"balance",8}");
    foreach (var (name, m) in new[] { ("LightGbm", before), ("+ temperature scaling", after), ("+ vector scaling", afterVector) })
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-22} {m.Accuracy,9:0.0000} {m.ExpectedCalibrationError,8:0.0000} {m.MaximumCalibrationError,7:0.000} {m.ClasswiseExpectedCalibrationError,10:0.00000} {m.BrierScore,7:0.0000} {m.LogLoss,9:0.0000} {m.BalanceScore,8:+0.000;-0.000}"));
    }
    string png = Path.Combine(outputFolder, "multiclass.png");
    SaveDiagram([("LightGbm", before.ReliabilityDiagram), ("+ temperature scaling", after.ReliabilityDiagram)], png,
        "LightGbm on letter recognition: test split");

    // Save the calibrated pipeline, load it in a fresh context, and predict one row.
    string modelPath = Path.Combine(outputFolder, "letters-calibrated.zip");
    mlContext.Model.Save(calibrated, data.Schema, modelPath);
    var fresh = new MLContext();
    var loaded = fresh.Model.Load(modelPath, out _);
    var reloaded = ((TransformerChain<ITransformer>)loaded).OfType<TemperatureScalingTransformer>().Single();
    var engine = fresh.Model.CreatePredictionEngine<LetterRow, LetterPrediction>(loaded);
    var row = mlContext.Data.CreateEnumerable<LetterRow>(test, reuseRowObject: false).First();
    var prediction = engine.Predict(row);
    Console.WriteLine($"Saved to {modelPath}; reloaded temperature {reloaded.Temperature:0.0000}; first test row is '{row.Letter}', " +
        $"predicted with calibrated confidence {prediction.Score.Max():0.000}.");
}

static void SaveDiagram(IReadOnlyList<(string, ReliabilityDiagram)> series, string png, string title)
{
    try
    {
        ReliabilityDiagramPlot.SavePng(series, png, new ReliabilityPlotOptions { Title = title });
        Console.WriteLine($"Reliability diagram: {png}");
    }
    catch (InvalidOperationException e)
    {
        // No fonts installed: the plot would have no text. The metrics above do not depend on it.
        Console.WriteLine($"Reliability diagram skipped: {e.Message}");
    }
}

static string DataPath(string relative) => Path.Combine(AppContext.BaseDirectory, "data", relative);

internal sealed class LetterRow
{
    public float F1 { get; set; }
    public float F2 { get; set; }
    public float F3 { get; set; }
    public float F4 { get; set; }
    public float F5 { get; set; }
    public float F6 { get; set; }
    public float F7 { get; set; }
    public float F8 { get; set; }
    public float F9 { get; set; }
    public float F10 { get; set; }
    public float F11 { get; set; }
    public float F12 { get; set; }
    public float F13 { get; set; }
    public float F14 { get; set; }
    public float F15 { get; set; }
    public float F16 { get; set; }
    public string Letter { get; set; } = "";
}

internal sealed class LetterPrediction
{
    public float[] Score { get; set; } = [];
}
