using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Data;
using MLNetExt.Ranking;
using MLNetExt.TorchSharp.Ranking;

namespace MLNetExt.Benchmarks;

/// <summary>
/// The neural ranking suite (`neural`): every loss at equal settings (MLP 128-64 with ReLU, Adam lr 1e-3, batches of
/// 64 lists, no dropout, the same seed) on LightGBM's LTR sample (data/ltr) and on the synthetic MSLR-shaped set
/// (2,000 training and 500 test queries of 10-150 documents, 136 features): test NDCG@1/3/5/10 (LightGBM's
/// convention), median seconds per epoch, and ECE-15 of sigmoid(Score) (Probability for RCR) against RCR's target
/// (grades divided by the largest); then allRank's epoch beside ours in the same run when <c>ALLRANK_DIR</c> names
/// an allRank checkout and <c>ALLRANK_PYTHON</c> (default /usr/bin/python3) has torch.
/// Arguments: <c>neural [ltrEpochs] [syntheticEpochs]</c> (defaults 60 and 12). Environment: <c>NEURAL_SEEDS</c> (comma-separated
/// trainer seeds, default 42; with several, the mean and sd of NDCG@10 over them), <c>NEURAL_SETS</c> (ltr, synthetic),
/// <c>NEURAL_LOSSES</c>, <c>NEURAL_SKIP_ALLRANK</c>, <c>NEURAL_TEMPERATURE</c>, <c>NEURAL_K</c>.
/// </summary>
internal static class NeuralRankingSuite
{
    private static readonly NeuralRankingLoss[] Losses =
        [NeuralRankingLoss.NeuralNdcg, NeuralRankingLoss.NeuralNdcgTransposed, NeuralRankingLoss.ListNet, NeuralRankingLoss.ApproxNdcg,
         NeuralRankingLoss.RankNet, NeuralRankingLoss.Rcr];

    public static int LtrEpochs { get; set; } = 60;

    public static int SyntheticEpochs { get; set; } = 12;

    public static int Threads { get; set; } = 1;

    public static void Run()
    {
        Console.WriteLine($"== neural: every loss, MLP 128-64 ReLU, Adam 1e-3, 64 lists per batch, {Threads} libtorch thread(s) ==");
        var mlContext = new MLContext(seed: 1);
        var ltr = mlContext.Data.LoadFromLibSvm([Path.Combine(AppContext.BaseDirectory, "data/ltr/rank.train"), Path.Combine(AppContext.BaseDirectory, "data/ltr/rank.test")]);
        var ltrTrain = mlContext.Data.Cache(ltr[0]);
        var ltrTest = mlContext.Data.Cache(ltr[1]);
        var synthTrain = NeuralSyntheticRanking.Generate(2000, seed: 20240601, stream: 0);
        var synthTest = NeuralSyntheticRanking.Generate(500, seed: 20240601, stream: 1);
        Console.WriteLine($"synthetic: {synthTrain.QueryCount} training queries, {synthTrain.RowCount} documents; {synthTest.QueryCount} test queries, {synthTest.RowCount} documents");
        var sets = new List<(string Name, IDataView Train, IDataView Test, int Epochs, float[] TrainLabels, int[] TrainOffsets, float[] TrainFeatures)>
        {
            ("ltr", ltrTrain, ltrTest, LtrEpochs, [], [], []),
            ("synthetic", ToDataView(mlContext, synthTrain), ToDataView(mlContext, synthTest), SyntheticEpochs, synthTrain.Labels, synthTrain.Offsets, synthTrain.Features),
        };
        // NEURAL_SEEDS: comma-separated trainer seeds (default 42); with several, a row per seed and the mean and sample
        // standard deviation of each loss's test NDCG@k over them (seed noise: the LTR test set has only 50 queries).
        // NEURAL_SETS: comma-separated set names to run (default both).
        int[] seeds = Environment.GetEnvironmentVariable("NEURAL_SEEDS") is { } seedList
            ? seedList.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray()
            : [42];
        var onlySets = Environment.GetEnvironmentVariable("NEURAL_SETS")?.Split(',');
        foreach (var set in sets)
        {
            if (onlySets is not null && !onlySets.Contains(set.Name))
                continue;
            Console.WriteLine();
            Console.WriteLine($"-- {set.Name}: {set.Epochs} epochs, seed(s) {string.Join(",", seeds)} --");
            Console.WriteLine($"{"loss",-22} {"seed",5} {"NDCG@1",7} {"NDCG@3",7} {"NDCG@5",7} {"NDCG@10",8} {"s/epoch",9} {"ECE-15",7} {"fit s",7}");
            foreach (var loss in Losses)
            {
                if (Environment.GetEnvironmentVariable("NEURAL_LOSSES") is { } only && !only.Split(',').Contains(loss.ToString()))
                    continue;
                var ndcg10 = new List<double>();
                foreach (int seed in seeds)
                {
                    var options = Options(loss, set.Epochs, seed);
                    var watch = Stopwatch.StartNew();
                    var model = mlContext.Ranking.Trainers.NeuralRanking(options).Fit(set.Train);
                    double fit = watch.Elapsed.TotalSeconds;
                    var scored = model.Transform(set.Test);
                    var metrics = mlContext.Ranking.EvaluateRanking(scored);
                    var epochs = model.Model.TrainingHistory!.EpochSeconds.Order().ToArray();
                    double epochMedian = epochs[epochs.Length / 2];
                    double ece = Ece(mlContext, scored, model.Model.HasProbability);
                    ndcg10.Add(metrics.GetNdcg(10));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{loss,-22} {seed,5} {metrics.GetNdcg(1),7:0.0000} {metrics.GetNdcg(3),7:0.0000} {metrics.GetNdcg(5),7:0.0000} {metrics.GetNdcg(10),8:0.0000} {epochMedian,9:0.0000} {ece,7:0.0000} {fit,7:0.0}"));
                }
                if (seeds.Length > 1)
                {
                    double mean = ndcg10.Average();
                    double sd = Math.Sqrt(ndcg10.Sum(v => (v - mean) * (v - mean)) / (ndcg10.Count - 1));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{loss,-22} NDCG@10 over {seeds.Length} seeds: mean {mean:0.0000} sd {sd:0.0000} min {ndcg10.Min():0.0000} max {ndcg10.Max():0.0000}"));
                }
            }
        }
        double OursNow(string set, NeuralRankingLoss loss, int epochs)
        {
            var data = sets.Single(x => x.Name == set).Train;
            var model = mlContext.Ranking.Trainers.NeuralRanking(Options(loss, epochs, 42)).Fit(data);
            var seconds = model.Model.TrainingHistory!.EpochSeconds.Skip(1).Order().ToArray();
            return seconds[seconds.Length / 2];
        }
        if (Environment.GetEnvironmentVariable("NEURAL_SKIP_ALLRANK") == "1")
            return;
        NeuralAllRank.Compare(sets[0].Name, ReadLtr(), sets[1].Name, synthTrain, OursNow, Threads);
    }

    /// <summary>The equal settings of every run: MLP 128-64 ReLU, Adam lr 1e-3 (constant), 64 lists per batch, the given seed (42 by default).</summary>
    private static NeuralRankingTrainer.Options Options(NeuralRankingLoss loss, int epochs, int seed) => new()
    {
        Loss = loss,
        NumberOfEpochs = epochs,
        HiddenLayerSizes = [128, 64],
        BatchSize = 64,
        LearningRate = 1e-3,
        LearningRateStepSize = 0,
        NumberOfThreads = Threads,
        Seed = seed,
        // NEURAL_TEMPERATURE: NeuralSort's temperature for an experiment (allRank's default 1 otherwise).
        // NEURAL_K: NeuralNDCG's truncation k for an experiment (allRank's default, the whole list, otherwise).
        NdcgTruncation = int.TryParse(Environment.GetEnvironmentVariable("NEURAL_K"), CultureInfo.InvariantCulture, out int k) ? k : null,
        Temperature = double.TryParse(Environment.GetEnvironmentVariable("NEURAL_TEMPERATURE"), CultureInfo.InvariantCulture, out double t) ? t : 1.0,
    };

    private static (float[] Features, float[] Labels, int[] Offsets, int FeatureCount) ReadLtr()
    {
        var mlContext = new MLContext(seed: 1);
        var view = mlContext.Data.LoadFromLibSvm([Path.Combine(AppContext.BaseDirectory, "data/ltr/rank.train"), Path.Combine(AppContext.BaseDirectory, "data/ltr/rank.test")])[0];
        var reader = new DataViewColumnReader(view, "bench");
        var features = reader.AddVector("Features", "feature", ValueRule.Finite);
        var labels = reader.AddRelevanceLabel("Label", "label");
        var groups = reader.AddId("GroupId", "group");
        reader.Read();
        var offsets = GroupBoundaries.FromRuns(groups.Values, "GroupId").Offsets;
        return (features.Values, labels.Values, offsets, features.Size);
    }

    /// <summary>ECE-15 (netcal/sklearn bins) of sigmoid(Score), or Probability, against the RCR target grade / largest grade.</summary>
    private static double Ece(MLContext mlContext, IDataView scored, bool hasProbability)
    {
        var labels = scored.GetColumn<float>("Label").ToArray();
        var values = scored.GetColumn<float>(hasProbability ? "Probability" : "Score").ToArray();
        float max = labels.Max();
        var targets = labels.Select(l => max > 1 ? l / max : l).ToArray();
        var p = values.Select(v => hasProbability ? v : (float)MLNetExt.Numerics.StableMath.Sigmoid(v)).ToArray();
        // ECE with fractional targets: sum over 15 equal-width bins of |mean target - mean p| weighted by the bin's share.
        var sumP = new double[15];
        var sumT = new double[15];
        var count = new int[15];
        for (int i = 0; i < p.Length; i++)
        {
            int b = Math.Min(14, (int)(p[i] * 15));
            sumP[b] += p[i];
            sumT[b] += targets[i];
            count[b]++;
        }
        double ece = 0;
        for (int b = 0; b < 15; b++)
        {
            if (count[b] > 0)
                ece += Math.Abs(sumT[b] - sumP[b]) / p.Length;
        }
        _ = mlContext;
        return ece;
    }

    private sealed class Row
    {
        public float Label { get; set; }

        [KeyType(1_000_000)]
        public uint GroupId { get; set; }

        [VectorType(NeuralSyntheticRanking.FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    private static IDataView ToDataView(MLContext mlContext, NeuralSyntheticRanking.Set set)
    {
        var rows = new List<Row>(set.RowCount);
        int d = NeuralSyntheticRanking.FeatureCount;
        for (int q = 0; q < set.QueryCount; q++)
        {
            for (int i = set.Offsets[q]; i < set.Offsets[q + 1]; i++)
                rows.Add(new Row { Label = set.Labels[i], GroupId = (uint)q + 1, Features = set.Features.AsSpan(i * d, d).ToArray() });
        }
        return mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(rows));
    }
}
