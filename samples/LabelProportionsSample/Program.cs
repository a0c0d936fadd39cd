// MLNetExt learning-from-label-proportions sample (package MLNetExt.TorchSharp).
// A marketing team sees only each campaign's conversion rate (aggregated reporting: no per-user outcomes), but wants a
// classifier that scores single users. The data here is simulated so the answer can be checked:
//   - 12,000 users, each reached by one of 400 campaigns; a user converts with probability sigmoid(w . x + b) on five
//     features (the truth the learner never sees). Half the campaigns reach random audiences; the other half target a
//     segment (users sorted by recent sessions), so their audiences are alike: feature-dependent bags.
//   - The training data holds, per user: Features, CampaignId and the campaign's ConversionRate. Nothing else.
//   - A panel of 3,000 consenting users with known outcomes is the test set.
// Steps: 1. check the bags (CheckBags); 2. train DLLP (linear, then an MLP) and EasyLLP with early stopping on held-out
// campaigns; 3. evaluate on the panel with ML.NET's evaluator and EvaluateCalibration, next to the supervised model that
// real aggregated data would not allow; 4. save, reload and score one user.
// Usage: dotnet run --project samples/LabelProportionsSample
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Data;
using MLNetExt.TorchSharp.LabelProportions;

var mlContext = new MLContext(seed: 1);
var random = new Random(7);
double[] truth = [1.2, -0.8, 0.6, 0.9, -0.5];
const double Intercept = -1.6;

User NewUser()
{
    var x = new float[5];
    x[0] = (float)(random.NextDouble() * 4 - 2);               // recent sessions (standardised)
    x[1] = (float)(random.NextDouble() * 4 - 2);               // days since last visit (standardised)
    x[2] = random.NextDouble() < 0.6 ? 1 : 0;                  // on mobile
    x[3] = (float)Math.Round(random.NextDouble() * 3);         // past purchases, 0-3
    x[4] = (float)(random.NextDouble() * 4 - 2);               // age (standardised)
    double z = Intercept;
    for (int j = 0; j < 5; j++)
        z += truth[j] * x[j];
    return new User { Features = x, Converted = random.NextDouble() < 1 / (1 + Math.Exp(-z)) };
}

// Campaigns: 200 reach random audiences of 20-40 users; 200 target segments of users with similar recent sessions.
var users = Enumerable.Range(0, 12000).Select(_ => NewUser()).ToList();
var pool = users.OrderBy(_ => random.Next()).ToList();
var randomPart = pool.Take(6000).ToList();
var targetedPart = pool.Skip(6000).OrderBy(u => u.Features[0]).ToList();
var rows = new List<CampaignRow>();
void Assign(List<User> audience, int firstCampaign, int campaigns)
{
    int start = 0;
    for (int c = 0; c < campaigns; c++)
    {
        int end = (int)((long)audience.Count * (c + 1) / campaigns);
        var reached = audience.GetRange(start, end - start);
        float rate = (float)reached.Count(u => u.Converted) / reached.Count;
        foreach (var u in reached)
            rows.Add(new CampaignRow { Features = u.Features, CampaignId = $"campaign-{firstCampaign + c:000}", ConversionRate = rate });
        start = end;
    }
}
Assign(randomPart, 0, 200);
Assign(targetedPart, 200, 200);
// Two tiny campaigns that reached one user each: CheckBags warns (a rate of one user discloses that user's outcome).
rows.Add(new CampaignRow { Features = users[0].Features, CampaignId = "campaign-400", ConversionRate = users[0].Converted ? 1 : 0 });
rows.Add(new CampaignRow { Features = users[1].Features, CampaignId = "campaign-401", ConversionRate = users[1].Converted ? 1 : 0 });
var train = mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(rows));
var panel = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 3000).Select(_ => NewUser()).ToList());

Console.WriteLine("== 1. The bags ==");
var report = mlContext.Data.CheckBags(train, bagIdColumnName: "CampaignId", bagProportionColumnName: "ConversionRate", minimumBagSize: 5);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{report.BagCount} campaigns, {report.RowCount} users, {report.SmallestBagSize}-{report.LargestBagSize} users each (mean {report.MeanBagSize:0.0})"));
foreach (string warning in report.Warnings)
    Console.WriteLine($"warning: {warning}");

Console.WriteLine();
Console.WriteLine("== 2-3. Train on campaign rates, evaluate on the labelled panel ==");
void Evaluate(string name, ITransformer model)
{
    var scored = model.Transform(panel);
    var metrics = mlContext.BinaryClassification.Evaluate(scored, labelColumnName: "Converted");
    var calibration = mlContext.BinaryClassification.EvaluateCalibration(scored, labelColumnName: "Converted");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-44} AUC {metrics.AreaUnderRocCurve:0.000}  log-loss {metrics.LogLoss:0.000}  ECE {calibration.ExpectedCalibrationError:0.000}"));
}

LabelProportionsBinaryTrainer.Options Options(LabelProportionsLoss loss, LabelProportionsModel model) => new()
{
    BagIdColumnName = "CampaignId",
    BagProportionColumnName = "ConversionRate",
    Loss = loss,
    Model = model,
    HiddenLayerSizes = [32],
    ValidationBagFraction = 0.1,        // 10% of the campaigns held out: early stopping on their rates
    NumberOfEpochs = 60,
    Seed = 1,
};

// The simple overload: bag id, proportion, features, loss.
var dllp = mlContext.BinaryClassification.Trainers.LabelProportions("CampaignId", "ConversionRate", loss: LabelProportionsLoss.Dllp).Fit(train);
Evaluate("DLLP, linear (simple overload, 50 epochs)", dllp);
var dllpStopped = mlContext.BinaryClassification.Trainers.LabelProportions(Options(LabelProportionsLoss.Dllp, LabelProportionsModel.Linear)).Fit(train);
var history = dllpStopped.Model.TrainingHistory!;
Evaluate($"DLLP, linear, early stopping (epoch {history.BestEpoch} of {history.EpochsRun})", dllpStopped);
Evaluate("DLLP, MLP 32", mlContext.BinaryClassification.Trainers.LabelProportions(Options(LabelProportionsLoss.Dllp, LabelProportionsModel.Mlp)).Fit(train));
// EasyLLP assumes random bags; half of these campaigns are targeted, so its soft labels are biased there.
Evaluate("EasyLLP (log), linear", mlContext.BinaryClassification.Trainers.LabelProportions(Options(LabelProportionsLoss.EasyLlp, LabelProportionsModel.Linear)).Fit(train));
Evaluate("bag-level squared, linear", mlContext.BinaryClassification.Trainers.LabelProportions(Options(LabelProportionsLoss.BagSquared, LabelProportionsModel.Linear)).Fit(train));

// For reference only: the supervised model on the same users' true outcomes (what aggregated reporting withholds).
var labelled = mlContext.Data.LoadFromEnumerable(users);
Evaluate("supervised logistic regression (reference)",
    mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(labelColumnName: "Converted").Fit(labelled));
Console.WriteLine("Learned weights (standardised features) of DLLP, linear: " +
    string.Join(", ", dllpStopped.Model.Weights[0].Values.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture))));

Console.WriteLine();
Console.WriteLine("== 4. Save, reload, score one user ==");
string path = Path.Combine(Path.GetTempPath(), "label-proportions-sample.zip");
mlContext.Model.Save(dllpStopped, train.Schema, path);
var reloaded = new MLContext().Model.Load(path, out _);
var engine = mlContext.Model.CreatePredictionEngine<User, Prediction>(reloaded);
var someone = new User { Features = [1.5f, -1f, 1f, 2f, 0f] };
var prediction = engine.Predict(someone);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"user [{string.Join(", ", someone.Features)}]: P(convert) {prediction.Probability:0.000} (truth {1 / (1 + Math.Exp(-(Intercept + someone.Features.Select((x, j) => truth[j] * x).Sum()))):0.000}), predicted {prediction.PredictedLabel}"));
File.Delete(path);

internal sealed class User
{
    [VectorType(5)]
    public float[] Features { get; set; } = [];

    public bool Converted { get; set; }
}

internal sealed class CampaignRow
{
    [VectorType(5)]
    public float[] Features { get; set; } = [];

    public string CampaignId { get; set; } = "";

    public float ConversionRate { get; set; }
}

internal sealed class Prediction
{
    public float Probability { get; set; }

    public bool PredictedLabel { get; set; }
}
