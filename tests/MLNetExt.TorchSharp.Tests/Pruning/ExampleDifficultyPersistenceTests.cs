using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using MLNetExt.Tests.Support;
using MLNetExt.TorchSharp.Pruning;

namespace MLNetExt.TorchSharp.Tests.Pruning;

/// <summary>Difficulty scorers saved inside ML.NET models: in-process, in a fresh process, and the committed v1 file.</summary>
[TestClass]
public sealed class ExampleDifficultyPersistenceTests
{
    /// <summary>A scorer whose GraNd checkpoint (epoch 1) differs from its EL2N checkpoint (epoch 3), so both are saved.</summary>
    internal static ExampleDifficultyTransformer Train(MLContext mlContext, int graNdEpoch = 1)
    {
        var options = DifficultyData.SmallOptions();
        options.GraNdEpoch = graNdEpoch;
        return DifficultyData.Fit(mlContext, mlContext.Data.LoadFromEnumerable(DifficultyData.Blobs(45)), options);
    }

    private static IDataView Input(MLContext mlContext)
    {
        var rows = DifficultyData.Blobs(12, seed: 99);
        rows[3].Label = DifficultyData.MissingLabel; // a missing label: NaN scores survive the round trip
        return mlContext.Data.LoadFromEnumerable(rows);
    }

    [TestMethod]
    public void SaveAndLoad_InAFreshProcess_GivesBitIdenticalOutputs()
    {
        var mlContext = new MLContext(seed: 1);
        var model = Train(mlContext);
        var input = Input(mlContext);
        FreshProcess.AssertSameOutputs(mlContext, model, input, "EL2N", "GraNd");

        using var stream = new MemoryStream();
        mlContext.Model.Save(model, input.Schema, stream);
        stream.Position = 0;
        var loaded = (ExampleDifficultyTransformer)new MLContext(seed: 2).Model.Load(stream, out _);
        Assert.AreEqual(model.Model.NumberOfRuns, loaded.Model.NumberOfRuns);
        Assert.AreEqual(1, loaded.Model.GraNdEpoch);
        Assert.AreEqual(3, loaded.Model.NumberOfEpochs);
        CollectionAssert.AreEqual(model.Model.FeatureScales.ToArray(), loaded.Model.FeatureScales.ToArray());
        CollectionAssert.AreEqual(model.Model.GraNdWeights.SelectMany(r => r.SelectMany(w => w.Values)).ToArray(),
            loaded.Model.GraNdWeights.SelectMany(r => r.SelectMany(w => w.Values)).ToArray());
        CollectionAssert.AreEqual(model.ClassNames.ToArray(), loaded.ClassNames.ToArray());
        Assert.IsNull(loaded.TrainingEl2n);
        CollectionAssert.AreEqual(DifficultyData.Column(model.Transform(input), "GraNd"), DifficultyData.Column(loaded.Transform(input), "GraNd"));
    }

    private const string CommittedModel = "Models/example-difficulty-v1.zip";
    private const string CommittedOutputs = "Models/example-difficulty-v1.expected.txt";

    /// <summary>
    /// The model file saved by format version 1 (2 runs of an 8-unit proxy, GraNd at epoch 1, EL2N at epoch 3, on
    /// Blobs(45): made by running this test once with MLNETEXT_WRITE_MODELS=1, never rewritten) still loads and gives
    /// the recorded outputs bit for bit. The scores are computed in C# in double precision in a fixed order, so they
    /// do not depend on libtorch's kernels.
    /// </summary>
    [TestMethod]
    public void CommittedModelFile_StillLoadsWithTheSameOutputs()
    {
        var mlContext = new MLContext(seed: 1);
        var input = Input(mlContext);
        string directory = Path.GetDirectoryName(Assembly.GetExecutingAssembly().Location)!;
        if (Environment.GetEnvironmentVariable("MLNETEXT_WRITE_MODELS") == "1")
        {
            string source = Path.Combine(directory, "..", "..", "..", "Models");
            var model = Train(mlContext);
            mlContext.Model.Save(model, input.Schema, Path.Combine(source, Path.GetFileName(CommittedModel)));
            File.WriteAllLines(Path.Combine(source, Path.GetFileName(CommittedOutputs)), Describe(model.Transform(input)));
            Assert.Inconclusive("Wrote the committed model file; run again without MLNETEXT_WRITE_MODELS.");
        }
        var loaded = mlContext.Model.Load(Path.Combine(directory, CommittedModel), out _);
        CollectionAssert.AreEqual(File.ReadAllLines(Path.Combine(directory, CommittedOutputs)), Describe(loaded.Transform(input)));
        var typed = (ExampleDifficultyTransformer)loaded;
        Assert.AreEqual(2, typed.Model.NumberOfRuns);
        CollectionAssert.AreEqual(new[] { 8 }, typed.Model.HiddenLayerSizes.ToArray());
    }

    private static string[] Describe(IDataView scored)
    {
        var e = DifficultyData.Column(scored, "EL2N");
        var g = DifficultyData.Column(scored, "GraNd");
        return e.Select((v, i) => string.Create(CultureInfo.InvariantCulture,
            $"{BitConverter.SingleToInt32Bits(v):X8} {BitConverter.SingleToInt32Bits(g[i]):X8} # {v:R} {g[i]:R}")).ToArray();
    }

    /// <summary>The persistence catalog's examples of this feature (the package's catalog test lists them).</summary>
    internal static IEnumerable<object> TransformerExamples(MLContext mlContext) => [Train(mlContext), Train(mlContext, graNdEpoch: 3)];

    /// <summary>The model-parameters section, saved alone.</summary>
    internal static IEnumerable<object> ModelExamples(MLContext mlContext) => [Train(mlContext, graNdEpoch: 0).Model];
}
