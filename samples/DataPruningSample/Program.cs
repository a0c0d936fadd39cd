// MLNetExt data-pruning sample (package MLNetExt.TorchSharp) on UCI letter-recognition (data/tabular: 20,000 rows,
// 16 integer features, letters A-Z; rows 0-15,999 train, 16,000-19,999 test, the UCI split).
//   1. 5 % of the training labels are changed to another letter, so there is known label noise to find.
//   2. ScoreExampleDifficulty: EL2N and GraNd for every training row (5 proxy MLPs trained 10 epochs each).
//   3. The label-noise report: the rows with the highest EL2N, their label and the letter the proxies see instead.
//   4. PruneByScore: LightGbm trained on every row, on 70 % kept by EL2N after skipping the hardest 5 %, and on a
//      random 70 %.
//   5. The same pruning as a pipeline step before LightGbm; save, reload, and score rows without labels (inference
//      data passes through the difficulty step untouched: pruning applies to the training data only).
// Usage: dotnet run --project samples/DataPruningSample
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetExt.Data;
using MLNetExt.TorchSharp.Pruning;

var mlContext = new MLContext(seed: 1);
string path = Path.Combine(AppContext.BaseDirectory, "data", "tabular", "letter-recognition.csv");
var rows = mlContext.Data.CreateEnumerable<LetterRow>(mlContext.Data.LoadFromTextFile<LetterRow>(path, separatorChar: ',', hasHeader: true),
    reuseRowObject: false).ToArray();
var trainRows = rows[..16_000];
var testRows = rows[16_000..];

Console.WriteLine("== 1. Label noise: 5 % of the training labels changed to another letter ==");
var random = new Random(7);
var flipped = new SortedSet<int>();
while (flipped.Count < trainRows.Length / 20)
    flipped.Add(random.Next(trainRows.Length));
foreach (int row in flipped)
    trainRows[row].Letter = ((char)('A' + (trainRows[row].Letter[0] - 'A' + 1 + random.Next(25)) % 26)).ToString();
Console.WriteLine($"{flipped.Count} of {trainRows.Length} training rows now carry a wrong letter.");

// Letters as a key (A = 1 ... Z = 26), the label type ML.NET's multiclass trainers and ScoreExampleDifficulty read.
var toKey = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(LetterRow.Letter), keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
    .Fit(mlContext.Data.LoadFromEnumerable(testRows));
var train = mlContext.Data.Cache(toKey.Transform(mlContext.Data.LoadFromEnumerable(trainRows)));
var test = mlContext.Data.Cache(toKey.Transform(mlContext.Data.LoadFromEnumerable(testRows)));

Console.WriteLine();
Console.WriteLine("== 2. Example difficulty: EL2N and GraNd averaged over 5 proxies ==");
var difficulty = mlContext.Transforms.ScoreExampleDifficulty(new ExampleDifficultyEstimator.Options { Seed = 1 }).Fit(train);
var el2n = difficulty.TrainingEl2n!;
double MeanOver(IEnumerable<int> which) => which.Average(i => el2n[i]);
var clean = Enumerable.Range(0, trainRows.Length).Where(i => !flipped.Contains(i));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"mean EL2N: rows with a wrong letter {MeanOver(flipped):0.000}, the others {MeanOver(clean):0.000} (EL2N is at most sqrt(2) = 1.414)"));

Console.WriteLine();
Console.WriteLine("== 3. The rows most likely mislabelled (highest EL2N) ==");
var candidates = difficulty.FindLabelNoise(train, count: flipped.Count);
Console.WriteLine($"{"row",6} {"label",5} {"proxies see",11} {"p(label)",9} {"p(seen)",8} {"EL2N",6} {"GraNd",6}  changed?");
foreach (var c in candidates.Take(12))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{c.Row,6} {c.LabelName,5} {c.PredictedLabelName,11} {c.LabelProbability,9:0.000} {c.PredictedProbability,8:0.000} {c.El2n,6:0.000} {c.GraNd,6:0.00}  {(flipped.Contains((int)c.Row) ? "yes" : "no")}"));
}
int found = candidates.Count(c => flipped.Contains((int)c.Row));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Of the {candidates.Count} highest-EL2N rows, {found} ({(double)found / candidates.Count:P0}) are the changed ones."));

Console.WriteLine();
Console.WriteLine("== 4. LightGbm on all rows, on 70 % kept by EL2N (hardest 5 % skipped), on a random 70 % ==");
double Accuracy(ITransformer model) => mlContext.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
var lightGbm = mlContext.MulticlassClassification.Trainers.LightGbm();
var scored = difficulty.Transform(train);                                // adds EL2N and GraNd
var byEl2n = mlContext.Data.PruneByScore(scored, "EL2N", keepFraction: 0.7, skipHardestFraction: 0.05, classBalanced: true);
var byChance = mlContext.Data.PruneByScore(scored, new PruneByScoreOptions { Strategy = PruningStrategy.Random, KeepFraction = 0.7, Seed = 1 });
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"all {trainRows.Length} rows:        test accuracy {Accuracy(lightGbm.Fit(train)):P2}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"EL2N, 70 % kept:       test accuracy {Accuracy(lightGbm.Fit(byEl2n)):P2}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"random, 70 % kept:     test accuracy {Accuracy(lightGbm.Fit(byChance)):P2}"));

Console.WriteLine();
Console.WriteLine("== 5. Pruning inside a pipeline; save, reload, score unlabelled rows ==");
var pipeline = mlContext.Transforms.ScoreExampleDifficulty(new ExampleDifficultyEstimator.Options
{
    Seed = 1,
    // Transform of the very data the step was fitted on keeps these rows, so LightGbm trains on them; nothing else is pruned.
    Pruning = new PruneByScoreOptions { ScoreColumnName = "EL2N", KeepFraction = 0.7, SkipHardestFraction = 0.05, ClassBalanced = true },
})
    .Append(mlContext.MulticlassClassification.Trainers.LightGbm())
    .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLetter", "PredictedLabel"));
var model = pipeline.Fit(train);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"pipeline: test accuracy {Accuracy(model):P2}; the test set keeps all {model.Transform(test).GetColumn<float>("EL2N").Count()} rows"));
string modelPath = Path.Combine(Path.GetTempPath(), "data-pruning-sample.zip");
mlContext.Model.Save(model, train.Schema, modelPath);
var reloaded = new MLContext(seed: 2).Model.Load(modelPath, out _);
var engine = mlContext.Model.CreatePredictionEngine<LetterFeatures, LetterPrediction>(reloaded);
foreach (var letter in testRows.Take(5))
{
    var prediction = engine.Predict(new LetterFeatures { Features = letter.Features });
    Console.WriteLine($"true {letter.Letter}, predicted {prediction.PredictedLetter}");
}

/// <summary>A row of letter-recognition: 16 features and the letter.</summary>
internal sealed class LetterRow
{
    [LoadColumn(0, 15), VectorType(16)]
    public float[] Features { get; set; } = [];

    [LoadColumn(16)]
    public string Letter { get; set; } = "";
}

/// <summary>A row to score: features only, no label (the difficulty step passes it through).</summary>
internal sealed class LetterFeatures
{
    [VectorType(16)]
    public float[] Features { get; set; } = [];
}

/// <summary>The reloaded pipeline's prediction.</summary>
internal sealed class LetterPrediction
{
    public string PredictedLetter { get; set; } = "";
}
