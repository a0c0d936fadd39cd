using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Tests.Support;
using MLNetExt.TorchSharp.Pruning;
using MLNetExt.TorchSharp.Training;

namespace MLNetExt.TorchSharp.Tests.Pruning;

[TestClass]
public sealed class ExampleDifficultyEstimatorTests
{
    private static Dictionary<int, (float El2n, float GraNd)> ById(IDataView scored)
    {
        var ids = scored.GetColumn<int>("Id").ToArray();
        var el2n = DifficultyData.Column(scored, "EL2N");
        var graNd = DifficultyData.Column(scored, "GraNd");
        return ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => (el2n[p.i], graNd[p.i]));
    }

    [TestMethod]
    public void Scores_DoNotDependOnTheOrderOfTheRows()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = DifficultyData.Blobs(90);
        var shuffled = rows.OrderBy(r => (r.Id * 37) % 91).ToArray();
        var a = mlContext.Data.LoadFromEnumerable(rows);
        var b = mlContext.Data.LoadFromEnumerable(shuffled);
        var options = DifficultyData.SmallOptions();
        options.GraNdEpoch = 1;
        var first = ById(DifficultyData.Fit(mlContext, a, options).Transform(a));
        var second = ById(DifficultyData.Fit(mlContext, b, options).Transform(b));
        foreach (var (id, scores) in first)
        {
            // Bit for bit: the proxies saw the same minibatches, and each row is scored on its own.
            Assert.AreEqual(scores.El2n, second[id].El2n, 0f, $"EL2N of row {id}");
            Assert.AreEqual(scores.GraNd, second[id].GraNd, 0f, $"GraNd of row {id}");
        }
    }

    [TestMethod]
    public void Scores_DoNotDependOnWhichRowsAreScoredTogether()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(DifficultyData.Blobs(90));
        var model = DifficultyData.Fit(mlContext, data);
        var all = DifficultyData.Column(model.Transform(data), "GraNd");
        // The fit scored the training rows in parallel chunks; Transform scores them lazily, one at a time.
        CollectionAssert.AreEqual(model.TrainingGraNd!.ToArray(), all);
        CollectionAssert.AreEqual(model.TrainingEl2n!.ToArray(), DifficultyData.Column(model.Transform(data), "EL2N"));
        var slice = mlContext.Data.TakeRows(mlContext.Data.SkipRows(data, 30), 25);
        CollectionAssert.AreEqual(all.Skip(30).Take(25).ToArray(), DifficultyData.Column(model.Transform(slice), "GraNd"));
    }

    [TestMethod]
    public void SameSeed_GivesIdenticalScores_AnotherSeedDoesNot()
    {
        float[] Scores(int seed)
        {
            var mlContext = new MLContext(seed: 3);
            var data = mlContext.Data.LoadFromEnumerable(DifficultyData.Blobs(60));
            return DifficultyData.Fit(mlContext, data, DifficultyData.SmallOptions(seed)).TrainingEl2n!.ToArray();
        }
        var a = Scores(5);
        CollectionAssert.AreEqual(a, Scores(5));
        CollectionAssert.AreNotEqual(a, Scores(6));
    }

    [TestMethod]
    public void Multiclass_FlippedLabels_TopTheLabelNoiseReport()
    {
        var mlContext = new MLContext(seed: 1);
        var flipped = new HashSet<int> { 3, 17, 40, 77, 101, 130 };
        var data = mlContext.Data.LoadFromEnumerable(DifficultyData.Blobs(150, flipped: flipped));
        var options = DifficultyData.SmallOptions();
        options.NumberOfRuns = 3;
        options.NumberOfEpochs = 10;
        var model = DifficultyData.Fit(mlContext, data, options);
        var report = model.FindLabelNoise(data, 6);
        Assert.AreEqual(6, report.Count);
        int found = report.Count(r => flipped.Contains((int)r.Row));
        Assert.IsTrue(found >= 5, $"{found} of the 6 flipped rows are among the 6 highest EL2N: {string.Join(", ", report.Select(r => r.Row))}");
        var flippedCandidates = report.Where(r => flipped.Contains((int)r.Row)).ToArray();
        foreach (var candidate in flippedCandidates)
        {
            Assert.AreNotEqual(candidate.Label, candidate.PredictedLabel, $"row {candidate.Row}");
            Assert.IsTrue(candidate.LabelProbability < candidate.PredictedProbability, string.Join("\n", report.Select(r => r.ToString())));
            Assert.AreEqual((candidate.PredictedLabel + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), candidate.PredictedLabelName);
        }
        // Blobs moves class c to c + 1, so the true class is label - 1; a flipped row drawn far into a third blob may be
        // predicted as that blob's class instead (row 3 here), so most, not all, must name the true class.
        int recovered = flippedCandidates.Count(r => r.PredictedLabel == (r.Label + 2) % 3);
        Assert.IsTrue(recovered >= flippedCandidates.Length - 1, string.Join("\n", flippedCandidates.Select(r => r.ToString())));
        // Sorted by EL2N, highest first; the report's scores are the transform's.
        var el2n = DifficultyData.Column(model.Transform(data), "EL2N");
        for (int i = 0; i < report.Count; i++)
        {
            Assert.AreEqual(el2n[report[i].Row], report[i].El2n, 0f);
            if (i > 0)
                Assert.IsTrue(report[i - 1].El2n >= report[i].El2n);
        }
    }

    [TestMethod]
    public void Binary_El2nIsSqrtTwoTimesOneMinusTheLabelProbability()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(DifficultyData.BinaryBlobs(80));
        var model = DifficultyData.Fit(mlContext, data);
        Assert.AreEqual(2, model.Model.ClassCount);
        CollectionAssert.AreEqual(new[] { "False", "True" }, model.ClassNames.ToArray());
        var report = model.FindLabelNoise(data, 80);
        Assert.AreEqual(80, report.Count);
        // Two logits: per run EL2N = sqrt(2) (1 - p(label)), which is linear in p, so the run average is
        // sqrt(2) (1 - mean p(label)).
        foreach (var r in report)
            Assert.AreEqual(Math.Sqrt(2) * (1 - r.LabelProbability), r.El2n, 2e-6, $"row {r.Row}");
    }

    [TestMethod]
    public void GraNdAtEpochZero_UsesEachRunsInitialWeights()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(DifficultyData.Blobs(60));
        var options = DifficultyData.SmallOptions();
        options.GraNdEpoch = 0;
        var model = DifficultyData.Fit(mlContext, data, options).Model;
        Assert.AreEqual(0, model.GraNdEpoch);
        int[] sizes = [DifficultyData.FeatureCount, 8, 3];
        for (int r = 0; r < model.NumberOfRuns; r++)
        {
            TorchRuntime.EnsureLoaded();
            using var module = new MultilayerPerceptron(sizes);
            ModuleWeights.Initialize(module, ProxyTraining.RunSeed(7, r), module.BiasBounds);
            var initial = ModuleWeights.Capture(module).ToPublic();
            CollectionAssert.AreEqual(initial.SelectMany(w => w.Values).ToArray(), model.GraNdWeights[r].SelectMany(w => w.Values).ToArray(), $"run {r}");
            CollectionAssert.AreNotEqual(initial.SelectMany(w => w.Values).ToArray(), model.El2nWeights[r].SelectMany(w => w.Values).ToArray(), $"run {r}");
        }
    }

    [TestMethod]
    public void DataWithoutTheLabel_PassesThroughUnchanged_AndMissingLabelsScoreNaN()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = DifficultyData.Blobs(60);
        var model = DifficultyData.Fit(mlContext, mlContext.Data.LoadFromEnumerable(rows));
        var unlabelled = mlContext.Data.LoadFromEnumerable(rows.Select(r => new DifficultyData.Unlabelled { Features = r.Features }));
        Assert.AreSame(unlabelled, model.Transform(unlabelled));
        Assert.AreEqual(unlabelled.Schema.Count, model.GetOutputSchema(unlabelled.Schema).Count);
        var engine = mlContext.Model.CreatePredictionEngine<DifficultyData.Unlabelled, DifficultyData.Unlabelled>(model);
        Assert.AreEqual(rows[0].Features[1], engine.Predict(new DifficultyData.Unlabelled { Features = rows[0].Features }).Features[1]);

        rows[2].Label = DifficultyData.MissingLabel;              // key value 0: no label
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(rows));
        var el2n = DifficultyData.Column(scored, "EL2N");
        Assert.IsTrue(float.IsNaN(el2n[2]) && float.IsNaN(DifficultyData.Column(scored, "GraNd")[2]));
        Assert.IsFalse(float.IsNaN(el2n[1]));
        Assert.IsFalse(model.FindLabelNoise(mlContext.Data.LoadFromEnumerable(rows), 60).Any(r => r.Row == 2));
    }

    /// <summary>Records how many rows the next estimator of a chain is fitted on.</summary>
    private sealed class RowCounter(MLContext mlContext) : IEstimator<ITransformer>
    {
        public long Rows { get; private set; } = -1;

        public ITransformer Fit(IDataView input)
        {
            Rows = input.GetColumn<int>("Id").LongCount();
            return mlContext.Transforms.CopyColumns("IdCopy", "Id").Fit(input);
        }

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) => mlContext.Transforms.CopyColumns("IdCopy", "Id").GetOutputSchema(inputSchema);
    }

    [TestMethod]
    public void PruningOption_PrunesOnlyTheDataTheEstimatorWasFittedOn()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = DifficultyData.Blobs(90);
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var options = DifficultyData.SmallOptions();
        options.Pruning = new PruneByScoreOptions { ScoreColumnName = "EL2N", KeepFraction = 0.5, SkipHardestFraction = 0.1 };
        var model = DifficultyData.Fit(mlContext, data, options);

        // The same selection as PruneByScore on the scores: skip the 9 highest EL2N, keep the next 45.
        var sameRows = mlContext.Data.LoadFromEnumerable(rows);
        var expected = mlContext.Data.PruneByScore(model.Transform(sameRows), "EL2N", keepFraction: 0.5, skipHardestFraction: 0.1);
        var pruned = model.Transform(data);
        CollectionAssert.AreEqual(expected.GetColumn<int>("Id").ToArray(), pruned.GetColumn<int>("Id").ToArray());
        Assert.AreEqual(45, pruned.GetColumn<int>("Id").Count());
        CollectionAssert.AreEqual(pruned.GetColumn<int>("Id").ToArray(), model.KeptTrainingRows!.ToArray());
        // Other data, even the same rows in another view, is scored but never pruned.
        Assert.AreEqual(90, model.Transform(sameRows).GetColumn<int>("Id").Count());

        // In a chain, the next estimator trains on the kept rows; the fitted chain prunes that same view again, and no other.
        var counter = new RowCounter(mlContext);
        var chain = mlContext.Transforms.ScoreExampleDifficulty(options).Append(counter).Fit(data);
        Assert.AreEqual(45, counter.Rows);
        Assert.AreEqual(45, chain.Transform(data).GetColumn<int>("Id").Count());
        Assert.AreEqual(90, chain.Transform(sameRows).GetColumn<int>("Id").Count());
    }

    [TestMethod]
    public void BadOptionsAndData_AreRefusedWithMessagesNamingThem()
    {
        var mlContext = new MLContext(seed: 1);
        var options = DifficultyData.SmallOptions();
        options.GraNdEpoch = 4;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => mlContext.Transforms.ScoreExampleDifficulty(options));
        StringAssert.Contains(e.Message, "GraNdEpoch");
        StringAssert.Contains(e.Message, "got 4");

        options = DifficultyData.SmallOptions();
        options.Pruning = new PruneByScoreOptions { ScoreColumnName = "Score", KeepFraction = 0.5 };
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => mlContext.Transforms.ScoreExampleDifficulty(options)).Message, "Pruning");
        options.Pruning = new PruneByScoreOptions { ScoreColumnName = "GraNd", KeepFraction = 0.9, SkipHardestFraction = 0.2 };
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => mlContext.Transforms.ScoreExampleDifficulty(options)).Message, "SkipHardestFraction");

        // Whole-number labels that hold one class only.
        var single = mlContext.Data.LoadFromEnumerable(DifficultyData.Blobs(10).Select(r => new FloatLabelled { Label = 0, Features = r.Features }).ToArray());
        var oneClass = Assert.Throws<InvalidOperationException>(() => DifficultyData.Fit(mlContext, single));
        StringAssert.Contains(oneClass.Message, "two classes");

        // A model fitted on a key label refuses a Single label, naming the column.
        var model = DifficultyData.Fit(mlContext, mlContext.Data.LoadFromEnumerable(DifficultyData.Blobs(30)));
        var floatLabels = mlContext.Data.LoadFromEnumerable(DifficultyData.Blobs(5).Select(r => new FloatLabelled { Label = 1.5f, Features = r.Features }));
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(floatLabels)).Message, "label column 'Label'");
    }

    [TestMethod]
    public void WholeNumberLabels_AreClasses_AndANonClassValueNamesTheRow()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = DifficultyData.Blobs(30).Select(r => new FloatLabelled { Label = r.Label, Features = r.Features }).ToArray();
        var model = DifficultyData.Fit(mlContext, mlContext.Data.LoadFromEnumerable(rows));
        Assert.AreEqual(3, model.Model.ClassCount);
        CollectionAssert.AreEqual(new[] { "0", "1", "2" }, model.ClassNames.ToArray());
        rows[4].Label = 1.5f;
        rows[5].Label = float.NaN;
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(rows.Skip(5).ToArray()));
        Assert.IsTrue(float.IsNaN(DifficultyData.Column(scored, "EL2N")[0]));
        var e = Assert.Throws<InvalidOperationException>(() => DifficultyData.Column(model.Transform(mlContext.Data.LoadFromEnumerable(rows)), "EL2N"));
        StringAssert.Contains(e.Message, "1.5 at row 4");
    }

    private sealed class FloatLabelled
    {
        public float Label { get; set; }

        [VectorType(DifficultyData.FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    [TestMethod]
    public void Conformance_Multiclass()
        => Conformance.Check(Case("multiclass", ctx => ctx.Data.LoadFromEnumerable(DifficultyData.Blobs(45))));

    [TestMethod]
    public void Conformance_Binary()
        => Conformance.Check(Case("binary", ctx => ctx.Data.LoadFromEnumerable(DifficultyData.BinaryBlobs(40))));

    private static ConformanceCase Case(string name, Func<MLContext, IDataView> data) => new()
    {
        Name = $"ScoreExampleDifficulty ({name})",
        Estimator = ctx => ctx.Transforms.ScoreExampleDifficulty(DifficultyData.SmallOptions()),
        FitData = data,
        OutputColumns = ["EL2N", "GraNd"],
        InputColumns = new Dictionary<string, InvalidValueBehavior> { ["Features"] = InvalidValueBehavior.Throws },
        EstimatorWithOptions = ctx =>
        {
            var options = DifficultyData.SmallOptions();
            options.Pruning = new PruneByScoreOptions { KeepFraction = 0.5 };
            return (ctx.Transforms.ScoreExampleDifficulty(options), options);
        },
        Skip = new Dictionary<string, string>
        {
            ["UnitWeights"] = "no example weights: the proxies train on minibatches of rows, where a weight-0 row would still change every minibatch",
            ["ZeroWeights"] = "no example weights (see UnitWeights)",
        },
    };
}
