// MLNetExt ranking sample, on LightGBM's learning-to-rank example (web search: 201 training queries, 50 test
// queries, graded relevance 0-4, 300 sparse features; LibSVM files with LightGBM .query sidecars).
//   1. Load the files with LoadFromLibSvm (GroupId from the .query files).
//   2. Train LambdaMART on LightGBM's engine, with early stopping on a validation split of the training queries.
//   3. Evaluate on the test queries with MLNetExt's EvaluateRanking (NDCG@k, MAP, MRR) and ML.NET's Ranking.Evaluate.
//   4. Save the model, reload it in a fresh MLContext, and rank the documents of one test query.
//   5. YetiRank (CatBoost's objective) next to LambdaMART, and RCR, whose Probability column is a calibrated estimate
//      of the relevance (grade / 4): its calibration error against the test grades, next to sigmoid(score) of LambdaMART.
// Usage: dotnet run --project samples/RankingSample
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Ranking;

var mlContext = new MLContext(seed: 1);
string folder = Path.Combine(AppContext.BaseDirectory, "data", "ltr");
var files = mlContext.Data.LoadFromLibSvm([Path.Combine(folder, "rank.train"), Path.Combine(folder, "rank.test")]);
var (trainAll, test) = (files[0], files[1]);
Console.WriteLine($"Training file: {files[0].RowCount} documents in {files[0].GroupCount} queries, {files[0].FeatureCount} features; " +
                  $"test file: {files[1].RowCount} documents in {files[1].GroupCount} queries.");

// Hold out the last fifth of the training queries for early stopping (by query id: a query's documents stay together).
var train = mlContext.Data.FilterRowsByKeyColumnFraction(trainAll, "GroupId", upperBound: 0.8);
var validation = mlContext.Data.FilterRowsByKeyColumnFraction(trainAll, "GroupId", lowerBound: 0.8);

var trainer = mlContext.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options
{
    NumberOfTrees = 300,
    NumberOfLeaves = 31,
    LearningRate = 0.05,
    MinimumExampleCountPerLeaf = 20,
    EarlyStoppingRounds = 30,
    EarlyStoppingTruncation = 10,
});
var model = trainer.Fit(train, validation);
Console.WriteLine($"LambdaMART kept {model.Model.BestIteration} of {model.Model.ValidationHistory.Count} trees " +
                  $"(validation NDCG@10 {model.Model.ValidationHistory[model.Model.BestIteration - 1]:0.0000}).");

var scored = model.Transform(test);
var metrics = mlContext.Ranking.EvaluateRanking(scored);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Test NDCG@1 {metrics.GetNdcg(1):0.0000}, @3 {metrics.GetNdcg(3):0.0000}, @5 {metrics.GetNdcg(5):0.0000}, @10 {metrics.GetNdcg(10):0.0000}; " +
    $"MAP {metrics.MeanAveragePrecision:0.0000}, MRR {metrics.MeanReciprocalRank:0.0000} (gain 2^label - 1, log2 discount, stable ties)."));
var mlnet = mlContext.Ranking.Evaluate(scored);
Console.WriteLine($"ML.NET's Ranking.Evaluate (its gains 0,3,7,15,31 and pessimistic ties): NDCG@10 {mlnet.NormalizedDiscountedCumulativeGains[9]:0.0000}.");

var importance = model.Model.GetFeatureImportance(FeatureImportanceKind.Gain);
var top = Enumerable.Range(0, importance.Count).OrderByDescending(j => importance[j]).Take(5)
    .Select(j => $"{model.Model.FeatureNames[j]} ({importance[j]:0.0})");
Console.WriteLine($"Most useful features by total split gain: {string.Join(", ", top)}.");

// Save, reload in a fresh context, and rank the documents of the first test query.
string modelPath = Path.Combine(Path.GetTempPath(), "mlnetext-ranking-sample.zip");
mlContext.Model.Save(model, trainAll.Schema, modelPath);
var fresh = new MLContext(seed: 2);
var reloaded = fresh.Model.Load(modelPath, out _);
var ranked = fresh.Data.CreateEnumerable<Document>(reloaded.Transform(test), reuseRowObject: false)
    .Where(d => d.GroupId == 1).OrderByDescending(d => d.Score).ToArray();
Console.WriteLine($"Query 1 of the test file ranked by the reloaded model ({ranked.Length} documents, relevance of the top 10 " +
                  $"in rank order): {string.Join(" ", ranked.Take(10).Select(d => d.Label))}.");
File.Delete(modelPath);
model.Model.ExportLightGbmModel(Path.Combine(Path.GetTempPath(), "mlnetext-ranking-sample.txt"));
Console.WriteLine("The same model in LightGBM's text format (Python or CLI LightGBM load it): mlnetext-ranking-sample.txt in the temp folder.");

// YetiRank and RCR at the same tree budget as LambdaMART above.
int trees = model.Model.NumberOfTrees;
var yetiRank = mlContext.Ranking.Trainers.YetiRank(numberOfTrees: trees, learningRate: 0.05).Fit(trainAll);
var rcr = mlContext.Ranking.Trainers.RegressionCompatibleRanking(numberOfTrees: trees, learningRate: 0.05).Fit(trainAll);
foreach (var (name, ranker) in new (string, ITransformer)[] { ("YetiRank", yetiRank), ("RCR", rcr) })
    Console.WriteLine($"{name}: test NDCG@10 {mlContext.Ranking.EvaluateRanking(ranker.Transform(test)).GetNdcg(10):0.0000} ({trees} trees).");

// RCR's Probability estimates grade / 4. Its calibration error against the test grades (a grade g counts as g
// relevant and 4 - g irrelevant outcomes), next to sigmoid(score) of LambdaMART, which is not meant to be calibrated.
double CalibrationError(IDataView scored, bool hasProbability)
{
    var grades = scored.GetColumn<float>("Label").ToArray();
    var p = hasProbability
        ? scored.GetColumn<float>("Probability").Select(v => (double)v).ToArray()
        : scored.GetColumn<float>("Score").Select(v => 1 / (1 + Math.Exp(-(double)v))).ToArray();
    var repeated = grades.SelectMany((g, i) => Enumerable.Range(0, 4).Select(c => (P: p[i], Relevant: c < g))).ToArray();
    return MLNetExt.Calibration.CalibrationMetrics.ExpectedCalibrationError(
        repeated.Select(r => r.P).ToArray(), repeated.Select(r => r.Relevant).ToArray(), binCount: 15);
}
Console.WriteLine($"ECE-15 against grade / 4: RCR's Probability {CalibrationError(rcr.Transform(test), true):0.0000}, " +
                  $"sigmoid of LambdaMART's score {CalibrationError(scored, false):0.0000}.");
return 0;

internal sealed class Document
{
    public float Label { get; set; }

    [KeyType(50)]
    public uint GroupId { get; set; }

    public float Score { get; set; }
}
