// Trains one model with each TorchSharp package in one process: MLNetExt's neural ranker (data/ltr) and ML.NET's
// TorchSharp text classifier (NAS-BERT, on a few sentences), then checks that one TorchSharp assembly served both.
// ML.NET's text classifier starts from pretrained weights that it downloads on first use (to the folder named by
// MICROSOFTML_RESOURCE_PATH, or ML.NET's default); on a machine without network access and without those files its Fit
// stops with ML.NET's "model file could not be downloaded!", which this program reports as such (exit code 0 when
// MLNetExt trained and ML.NET failed only for the download; 1 for any other failure).
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.TorchSharp;
using MLNetExt.Data;
using MLNetExt.Ranking;
using MLNetExt.TorchSharp.Ranking;

var mlContext = new MLContext(seed: 1);
int exit = 0;

// 1. MLNetExt.TorchSharp.
string Data(string file) => Path.Combine(AppContext.BaseDirectory, "data", "ltr", file);
var views = mlContext.Data.LoadFromLibSvm([Data("rank.train"), Data("rank.test")]);
var ranker = mlContext.Ranking.Trainers.NeuralRanking(new NeuralRankingTrainer.Options { NumberOfEpochs = 3, BatchSize = 16, Seed = 1 })
    .Fit(mlContext.Data.Cache(views[0]));
double ndcg = mlContext.Ranking.EvaluateRanking(ranker.Transform(views[1])).GetNdcg(10);
Console.WriteLine($"MLNetExt.TorchSharp: NeuralNDCG ranker trained, test NDCG@10 {ndcg:0.0000}");

// 2. Microsoft.ML.TorchSharp.
var sentences = new[]
{
    new Sentence { Text = "the service was excellent and fast", Label = "positive" },
    new Sentence { Text = "terrible food, never again", Label = "negative" },
    new Sentence { Text = "lovely staff and a great view", Label = "positive" },
    new Sentence { Text = "cold soup and rude waiters", Label = "negative" },
};
try
{
    var text = mlContext.Data.LoadFromEnumerable(sentences);
    var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
        .Append(mlContext.MulticlassClassification.Trainers.TextClassification(sentence1ColumnName: "Text", maxEpochs: 1, batchSize: 2));
    var classifier = pipeline.Fit(text);
    var accuracy = mlContext.MulticlassClassification.Evaluate(classifier.Transform(text)).MicroAccuracy;
    Console.WriteLine($"Microsoft.ML.TorchSharp: text classifier trained, training accuracy {accuracy:0.00}");
}
catch (Exception e) when (e.GetBaseException().Message.Contains("could not be downloaded", StringComparison.Ordinal))
{
    Console.WriteLine($"Microsoft.ML.TorchSharp: text classifier needs its pretrained weights, which could not be downloaded here " +
        $"({e.GetBaseException().Message}); set MICROSOFTML_RESOURCE_PATH to a folder holding them to train it offline.");
}
catch (Exception e)
{
    Console.WriteLine($"Microsoft.ML.TorchSharp failed: {e.GetBaseException()}");
    exit = 1;
}

// 3. One TorchSharp for both.
var torchSharps = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "TorchSharp").ToArray();
Console.WriteLine($"TorchSharp assemblies loaded: {torchSharps.Length} ({string.Join(", ", torchSharps.Select(a => a.GetName().Version))})");
var mlnetTorch = typeof(TorchSharpCatalog).Assembly.GetReferencedAssemblies().Single(a => a.Name == "TorchSharp");
Console.WriteLine($"Microsoft.ML.TorchSharp was built against TorchSharp {mlnetTorch.Version}; MLNetExt.TorchSharp against " +
    $"{typeof(NeuralRankingTrainer).Assembly.GetReferencedAssemblies().Single(a => a.Name == "TorchSharp").Version}");
if (torchSharps.Length != 1)
    exit = 1;
return exit;

internal sealed class Sentence
{
    public string Text { get; set; } = "";

    public string Label { get; set; } = "";
}
