using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Ranking;
using MLNetExt.TorchSharp.Ranking;

namespace MLNetExt.TorchSharp.Tests.Ranking;

[TestClass]
public sealed class NeuralRankingTrainerTests
{
    internal static NeuralRankingTrainer.Options SmallOptions(NeuralRankingLoss loss, int epochs = 8) => new()
    {
        Loss = loss,
        NumberOfEpochs = epochs,
        HiddenLayerSizes = [32],
        BatchSize = 16,
        LearningRate = 3e-3,
        Seed = 7,
    };

    [TestMethod]
    public void NeuralNdcg_OnTheLtrSample_LearnsARankingThatEvaluatorsRead()
    {
        var mlContext = new MLContext(seed: 1);
        var (train, test) = LtrData.Load(mlContext);
        var model = mlContext.Ranking.Trainers.NeuralRanking(SmallOptions(NeuralRankingLoss.NeuralNdcg)).Fit(train);
        var scored = model.Transform(test);
        var ours = mlContext.Ranking.EvaluateRanking(scored);
        var mlnet = mlContext.Ranking.Evaluate(scored);
        var ours10 = ours.GetNdcg(10);
        var random = mlContext.Ranking.EvaluateRanking(mlContext.Transforms.Expression("Score", "x : 0.0f", "Label").Fit(test).Transform(test));
        Console.WriteLine($"NDCG@10 {ours10:0.0000} (constant scores {random.GetNdcg(10):0.0000}); ML.NET NDCG@10 {mlnet.NormalizedDiscountedCumulativeGains[9]:0.0000}");
        Assert.IsTrue(ours10 > random.GetNdcg(10) + 0.05, $"NDCG@10 {ours10} is not clearly above constant scores' {random.GetNdcg(10)}.");
        Assert.IsTrue(mlnet.NormalizedDiscountedCumulativeGains[9] > 0.4, $"ML.NET's evaluator reads the scores: NDCG@10 {mlnet.NormalizedDiscountedCumulativeGains[9]}");
        Assert.IsTrue(model.IsRowToRowMapper);
        Assert.AreEqual(8, model.Model.History!.EpochsRun);
    }
}
