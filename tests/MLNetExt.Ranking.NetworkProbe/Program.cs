// One process of a data-parallel training run, started (twice) by the two-process test in MLNetExt.Ranking.Tests:
// loads LightGBM's LTR sample, keeps its share of the queries, finds bins from the whole training set (the same rows
// in every process), meets the other process through LightGBM's network layer, trains LambdaMART and writes the model
// text. Usage:
//   MLNetExt.Ranking.NetworkProbe --data DIR --machines H:P,H:P --port P --part I --parts N --out FILE
//       [--iterations 20] [--min-data 1] [--threads 1] [--timeout-seconds 60]
using System.Globalization;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Ranking.Tests.Support;

var options = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2)
    options[args[i].TrimStart('-')] = args[i + 1];

string Get(string key, string? fallback = null)
    => options.TryGetValue(key, out var v) ? v : fallback ?? throw new ArgumentException($"Missing --{key}.");
int Int(string key, int fallback) => int.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

try
{
    var all = LtrData.LoadLtr("rank.train", Get("data"));
    int part = Int("part", 0), parts = Int("parts", 2);
    int perPart = (all.GroupCount + parts - 1) / parts;
    int first = part * perPart;
    int count = Math.Min(perPart, all.GroupCount - first);
    var mine = all.Queries(first, count);

    var settings = new BoosterSettings
    {
        MinimumExampleCountPerLeaf = Int("min-data", 1),
        NumberOfThreads = Int("threads", 1),
        Seed = 7,
    };
    var result = RankingBoostingLoop.Train(mine.DenseSet(), null, new LambdaMartObjective(), settings, new BoostingOptions
    {
        NumberOfIterations = Int("iterations", 20),
        Network = new NetworkSettings
        {
            Machines = Get("machines").Split(','),
            LocalPort = Int("port", 0),
            Timeout = TimeSpan.FromSeconds(Int("timeout-seconds", 60)),
            BinSample = all.DenseSource(),
        },
        Log = line => Console.Error.WriteLine(line),
    });
    File.WriteAllText(Get("out"), result.ModelText);
    Console.WriteLine($"trees={result.TreesGrown} rows={mine.RowCount} queries={count}");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
    return 1;
}
