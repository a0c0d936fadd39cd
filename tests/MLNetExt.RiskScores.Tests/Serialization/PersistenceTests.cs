using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Training;
using MLNetExt.Serialization;
using MLNetExt.Tests.Support;

namespace MLNetExt.RiskScores.Tests.Serialization;

/// <summary>
/// Save and load: a fresh process loads a binariser + risk score pipeline with bit-identical outputs; every persistent
/// type of the package round-trips (the persistence catalog); the committed model files of format version 1 still load
/// and reproduce their recorded outputs and score cards.
/// </summary>
[TestClass]
public sealed class PersistenceTests
{
    private static readonly string[] Outputs = ["Score", "Probability", "PredictedLabel"];

    [TestMethod]
    public void Pipeline_LoadsInAFreshProcess_WithIdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var data = RiskScoreTestData.Load(ml, "breastcancer");
        var model = ml.Transforms.BinarizeByThresholds("Features").Append(ml.BinaryClassification.Trainers.RiskScore()).Fit(data);
        var states = FreshProcess.AssertSameOutputs(ml, model, data, Outputs);
        Assert.AreEqual(2, states.Length, string.Join("\n", states));
    }

    [TestMethod]
    public void Certificate_AndPool_SurviveSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        var data = RiskScoreTestData.Toy(ml);
        var trained = ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options
        {
            Mode = RiskScoreMode.Certified,
            MaximumFeatureCount = 2,
            SparsityPenalty = 0.01,
            CoefficientMinimum = -3,
            CoefficientMaximum = 3,
            InterceptMinimum = -5,
            InterceptMaximum = 5,
        }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(trained, data.Schema, stream);
        stream.Position = 0;
        var loaded = (BinaryClassificationModelTransformer<RiskScoreModelParameters>)new MLContext(seed: 2).Model.Load(stream, out _);
        var before = trained.Model;
        var after = loaded.Model;
        Assert.AreEqual(before.ToScoreCard(), after.ToScoreCard());
        Assert.AreEqual(before.Certificate!.Status, after.Certificate!.Status);
        Assert.AreEqual(before.Certificate.LowerBound, after.Certificate.LowerBound);
        Assert.AreEqual(before.Certificate.UpperBound, after.Certificate.UpperBound);
        Assert.AreEqual(before.Certificate.Nodes, after.Certificate.Nodes);
        Assert.IsTrue(double.IsNaN(after.Certificate.Seconds), "time is not saved");
        Assert.AreEqual(before.Objective, after.Objective);
        CollectionAssert.AreEqual(before.RiskTable.ToArray(), after.RiskTable.ToArray());
    }

    [TestMethod]
    public void PersistenceCatalog_EveryPersistentTypeOfThePackageRoundTrips()
    {
        var examples = new Dictionary<Type, Func<MLContext, IEnumerable<object>>>
        {
            [typeof(ThresholdBinarizerTransformer)] = ml => [ml.Transforms.BinarizeByThresholds("Binary", "Features").Fit(RiskScoreTestData.Load(ml, "breastcancer"))],
            [typeof(RiskScoreModelParameters)] = ml =>
            [
                ml.BinaryClassification.Trainers.RiskScore().Fit(RiskScoreTestData.Load(ml, "mammo")).Model,
                ml.BinaryClassification.Trainers.Slim(new SlimTrainer.Options { MaximumFeatureCount = 2 }).Fit(RiskScoreTestData.Toy(ml)).Model,
            ],
        };
        PersistenceCatalog.Check([typeof(RiskScoreModelParameters).Assembly], examples);
    }

    /// <summary>The committed model files: name, how the model was made, the data its outputs were recorded on.</summary>
    private static IEnumerable<(string File, Func<MLContext, ITransformer> Make, Func<MLContext, IDataView> Data)> Files()
    {
        yield return ("riskscore-fast-v1.zip",
            ml => ml.Transforms.BinarizeByThresholds("Features").Append(ml.BinaryClassification.Trainers.RiskScore())
                .Fit(RiskScoreTestData.Load(ml, "breastcancer")),
            ml => RiskScoreTestData.Load(ml, "breastcancer"));
        yield return ("riskscore-certified-v1.zip",
            ml => ml.BinaryClassification.Trainers.RiskScore(new RiskScoreTrainer.Options { Mode = RiskScoreMode.Certified, MaximumFeatureCount = 3 })
                .Fit(RiskScoreTestData.Load(ml, "mammo")),
            ml => RiskScoreTestData.Load(ml, "mammo"));
        yield return ("slim-v1.zip",
            ml => ml.BinaryClassification.Trainers.Slim().Fit(RiskScoreTestData.Load(ml, "mammo")),
            ml => RiskScoreTestData.Load(ml, "mammo"));
    }

    private static RiskScoreModelParameters ModelOf(ITransformer transformer)
        => transformer is IEnumerable<ITransformer> chain
            ? chain.Select(ModelOf).Last()
            : ((BinaryClassificationModelTransformer<RiskScoreModelParameters>)transformer).Model;

    private static string[] Record(ITransformer model, IDataView data)
    {
        var scored = model.Transform(data);
        var lines = new List<string>();
        var score = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        for (int i = 0; i < score.Length; i++)
            lines.Add($"{BitConverter.SingleToInt32Bits(score[i]):X8} {BitConverter.SingleToInt32Bits(probability[i]):X8}");
        var parameters = ModelOf(model);
        lines.Add("---");
        lines.AddRange(parameters.ToScoreCard(ScoreCardFormat.Markdown).Split('\n'));
        lines.Add(parameters.Certificate is { } c
            ? string.Create(CultureInfo.InvariantCulture, $"certificate {c.Status} {c.LowerBound:R} {c.UpperBound:R} {c.Nodes} {c.Cuts}")
            : "certificate none");
        return lines.ToArray();
    }

    [TestMethod]
    public void CommittedModelFiles_StillLoadWithTheSameOutputs()
    {
        // Saved by format version 1 (RiskScoreModel section, ThresholdBinarizer). Every later build must load them and
        // reproduce the recorded outputs bit for bit. Never rewritten: a new format version adds files. To create the
        // files of a new version: MLNETEXT_WRITE_RISKSCORE_MODELS=<directory>.
        string? writeTo = Environment.GetEnvironmentVariable("MLNETEXT_WRITE_RISKSCORE_MODELS");
        foreach (var (file, make, data) in Files())
        {
            if (writeTo is not null)
            {
                var ml = new MLContext(seed: 1);
                var model = make(ml);
                ml.Model.Save(model, data(ml).Schema, Path.Combine(writeTo, file));
                File.WriteAllLines(Path.Combine(writeTo, Path.ChangeExtension(file, ".expected.txt")), Record(model, data(ml)));
                continue;
            }
            string path = Path.Combine(AppContext.BaseDirectory, "Models", file);
            var fresh = new MLContext(seed: 5);
            var loaded = fresh.Model.Load(path, out _);
            var expected = File.ReadAllLines(Path.ChangeExtension(path, ".expected.txt"));
            CollectionAssert.AreEqual(expected, Record(loaded, data(fresh)), file);
        }
    }
}
