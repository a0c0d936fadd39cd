// One process of a data-parallel training run, started (twice) by the two-process test in MLNetExt.Ranking.Tests.
// It does what a user's process on a cluster node does, through the public API: loads LightGBM's LTR sample with
// LoadFromLibSvm, keeps its share of the queries, and fits mlContext.Ranking.Trainers.LambdaMart with
// Options.Network (bins from the whole training file, the same rows in every process), then writes the model's
// LightGBM text. Usage:
//   MLNetExt.Ranking.NetworkProbe --data DIR --machines H:P,H:P --port P --part I --parts N --out FILE
//       [--iterations 20] [--min-data 1] [--threads 1] [--timeout-seconds 60]
using System.Collections;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Ranking;

var options = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2)
    options[args[i].TrimStart('-')] = args[i + 1];

string Get(string key, string? fallback = null)
    => options.TryGetValue(key, out var v) ? v : fallback ?? throw new ArgumentException($"Missing --{key}.");
int Int(string key, int fallback) => int.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

try
{
    var ml = new MLContext(seed: 1);
    var all = ml.Data.LoadFromLibSvm(Path.Combine(Get("data"), "rank.train"));
    int part = Int("part", 0), parts = Int("parts", 2);

    // This process's whole queries: the part-th contiguous share of the query ids.
    var groups = all.GetColumn<uint>("GroupId").ToArray();
    uint queries = groups.Max();
    uint perPart = (queries + (uint)parts - 1) / (uint)parts;
    uint first = (uint)part * perPart + 1, last = Math.Min(queries, first + perPart - 1);
    var keep = new BitArray(groups.Length);
    for (int r = 0; r < groups.Length; r++)
        keep[r] = groups[r] >= first && groups[r] <= last;
    var mine = new RowSelectionDataView(all, keep);

    var trainer = ml.Ranking.Trainers.LambdaMart(new LambdaMartRankingTrainer.Options
    {
        NumberOfTrees = Int("iterations", 20),
        MinimumExampleCountPerLeaf = Int("min-data", 1),
        NumberOfThreads = Int("threads", 1),
        Seed = 7,
        Network = new LightGbmNetworkOptions
        {
            Machines = Get("machines").Split(','),
            LocalPort = Int("port", 0),
            Timeout = TimeSpan.FromSeconds(Int("timeout-seconds", 60)),
            BinSampleData = all,
        },
    });
    var model = trainer.Fit(mine);
    File.WriteAllText(Get("out"), model.Model.ToLightGbmModelText());
    Console.WriteLine($"trees={model.Model.NumberOfTrees} rows={mine.GetRowCount()} queries={last - first + 1}");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
    return 1;
}
