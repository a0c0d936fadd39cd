// MLNetExt neural ranking sample (package MLNetExt.TorchSharp), on LightGBM's lambdarank sample (data/ltr: 201
// training and 50 test queries, 300 features, grades 0-4).
//   1. NeuralNDCG with an MLP scorer, early stopping on a validation split of the training queries; NDCG@k with
//      MLNetExt's evaluator and ML.NET's.
//   2. The same with allRank's context-aware (self-attention) scorer, which scores whole queries.
//   3. RCR: calibrated ranking, a Probability column next to Score.
//   4. Save, reload in a fresh MLContext and score with PredictionEngine (the MLP scorer is row to row).
// Usage: dotnet run --project samples/NeuralRankingSample [-- <epochs>]
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Data;
using MLNetExt.Ranking;
using MLNetExt.TorchSharp.Ranking;

int epochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 40;
var mlContext = new MLContext(seed: 1);
string Data(string file) => Path.Combine(AppContext.BaseDirectory, "data", "ltr", file);
var views = mlContext.Data.LoadFromLibSvm([Data("rank.train"), Data("rank.test")]);
var all = mlContext.Data.Cache(views[0]);
var test = mlContext.Data.Cache(views[1]);
// Queries 1-160 train, 161-201 validate (early stopping); the group column is a key, so filter on its raw value.
var train = mlContext.Data.FilterRowsByKeyColumnFraction(all, "GroupId", upperBound: 0.8);
var validation = mlContext.Data.FilterRowsByKeyColumnFraction(all, "GroupId", lowerBound: 0.8);

void Report(string name, ITransformer model)
{
    var scored = model.Transform(test);
    var ours = mlContext.Ranking.EvaluateRanking(scored);
    var mlnet = mlContext.Ranking.Evaluate(scored);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-34} NDCG@1 {ours.GetNdcg(1):0.0000}  @5 {ours.GetNdcg(5):0.0000}  @10 {ours.GetNdcg(10):0.0000}   (ML.NET's evaluator NDCG@10 {mlnet.NormalizedDiscountedCumulativeGains[9]:0.0000})"));
}

Console.WriteLine("== 1. NeuralNDCG, MLP 128-64 ==");
var mlp = mlContext.Ranking.Trainers.NeuralRanking(new NeuralRankingTrainer.Options
{
    Loss = NeuralRankingLoss.NeuralNdcg,
    NumberOfEpochs = epochs,
    BatchSize = 16,
    EarlyStoppingPatience = 10,
    Seed = 42,
}).Fit(train, validation);
Console.WriteLine($"kept epoch {mlp.Model.TrainingHistory?.BestEpoch} of {mlp.Model.TrainingHistory?.EpochsRun}");
Report("NeuralNDCG, MLP", mlp);

Console.WriteLine("== 2. NeuralNDCG, context-aware transformer (2 blocks, 2 heads) ==");
var transformer = mlContext.Ranking.Trainers.NeuralRanking(new NeuralRankingTrainer.Options
{
    Loss = NeuralRankingLoss.NeuralNdcg,
    Scorer = NeuralRankingScorer.Transformer,
    HiddenLayerSizes = [64],
    Dropout = 0.1,
    NumberOfEpochs = epochs,
    BatchSize = 16,
    EarlyStoppingPatience = 10,
    Seed = 42,
}).Fit(train, validation);
Report("NeuralNDCG, transformer", transformer);

Console.WriteLine("== 3. RCR: ranking with calibrated probabilities (grade / 4 as the target) ==");
var rcr = mlContext.Ranking.Trainers.NeuralRanking(new NeuralRankingTrainer.Options
{
    Loss = NeuralRankingLoss.Rcr,
    NumberOfEpochs = epochs,
    BatchSize = 16,
    Seed = 42,
}).Fit(all);
Report("RCR, MLP", rcr);
var rcrScored = rcr.Transform(test);
var probabilities = rcrScored.GetColumn<float>("Probability").ToArray();
var grades = rcrScored.GetColumn<float>("Label").ToArray();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"mean Probability {probabilities.Average():0.000} against mean target (grade / 4) {grades.Average(g => g / 4):0.000}"));

Console.WriteLine("== 4. Save, reload, PredictionEngine ==");
string path = Path.Combine(Path.GetTempPath(), "neural-ranking-sample.zip");
mlContext.Model.Save(mlp, test.Schema, path);
var reloaded = new MLContext(seed: 2).Model.Load(path, out _);
var engine = mlContext.Model.CreatePredictionEngine<Document, Prediction>(reloaded);
var first = mlContext.Data.CreateEnumerable<Document>(test, reuseRowObject: false).First();
Console.WriteLine($"first test document: grade {first.Label}, score {engine.Predict(first).Score:0.0000} (reloaded from {path})");
return 0;

internal sealed class Document
{
    public float Label { get; set; }

    [VectorType(300)]
    public float[] Features { get; set; } = [];
}

internal sealed class Prediction
{
    public float Score { get; set; }
}
