using MLNetExt.Serialization;
using MLNetExt.Ranking.Engine;
using MLNetExt.Ranking.Model;
using MLNetExt.Ranking.Native;
using MLNetExt.Ranking.Objectives;
using MLNetExt.Ranking.Tests.Support;

namespace MLNetExt.Ranking.Tests.Model;

/// <summary>The managed ensemble against LightGBM's own predictor, its text export, state round trip and importance.</summary>
[TestClass]
public sealed class TreeEnsembleTests
{
    private static LtrData s_train = null!;
    private static LtrData s_test = null!;
    private static BoostingResult s_ltrModel = null!;
    private static LtrData s_missingTrain = null!;
    private static LtrData s_missingTest = null!;
    private static string s_missingModel = null!;
    private static string s_zeroMissingModel = null!;

    [ClassInitialize]
    public static void Train(TestContext _)
    {
        s_train = LtrData.LoadLtr("rank.train");
        s_test = LtrData.LoadLtr("rank.test");
        s_ltrModel = RankingBoostingLoop.Train(s_train.DenseSet(), null, new LambdaMartObjective(), new BoosterSettings { NumberOfThreads = 2 },
            new BoostingOptions { NumberOfIterations = 60, FeatureNames = Enumerable.Range(0, s_train.FeatureCount).Select(f => $"f {f}").ToArray() });

        // NaN in 15% of values and exact zeros in 25%: trees get NaN missing types (default use_missing) and, in the
        // second model, zero-as-missing splits; both default directions occur.
        s_missingTrain = Synthetic.Make(150, 5, 40, 10, seed: 31, missingRate: 0.15, zeroRate: 0.25);
        s_missingTest = Synthetic.Make(40, 5, 40, 10, seed: 32, missingRate: 0.15, zeroRate: 0.25);
        var settings = new BoosterSettings { NumberOfThreads = 2, MinimumExampleCountPerLeaf = 5 };
        using var dataset = LightGbmDataset.Create(s_missingTrain.DenseSource(), s_missingTrain.Groups(), settings.DatasetParameters());
        s_missingModel = RankingTestHelpers.TrainNative(dataset, settings, 40);
        string zeroParams = settings.DatasetParameters() + " zero_as_missing=true";
        using var zeroDataset = LightGbmDataset.Create(s_missingTrain.DenseSource(), s_missingTrain.Groups(), zeroParams);
        s_zeroMissingModel = RankingTestHelpers.TrainNative(zeroDataset, settings, 40, extra: "zero_as_missing=true");
    }

    private static void AssertBitIdentical(string modelText, LtrData data)
    {
        var model = TreeEnsemble.ParseLightGbmText(modelText);
        using var booster = LightGbmBooster.LoadText(modelText);
        double[] dense = booster.PredictDense(data.Dense, data.RowCount, data.FeatureCount);
        double[] csr = booster.PredictCsr(data.CsrOffsets, data.CsrIndices, data.CsrValues, data.FeatureCount);
        for (int r = 0; r < data.RowCount; r++)
        {
            double mine = model.Score(data.Row(r));
            Assert.AreEqual(BitConverter.DoubleToInt64Bits(dense[r]), BitConverter.DoubleToInt64Bits(mine), $"dense row {r}: {dense[r]:R} vs {mine:R}");
            int from = data.CsrOffsets[r], to = data.CsrOffsets[r + 1];
            double sparse = model.Score(data.CsrIndices.AsSpan(from, to - from), data.CsrValues.AsSpan(from, to - from));
            Assert.AreEqual(BitConverter.DoubleToInt64Bits(csr[r]), BitConverter.DoubleToInt64Bits(sparse), $"sparse row {r}");
        }
    }

    [TestMethod]
    public void LtrModel_ManagedScores_BitIdenticalToLightGbm_OnEveryTrainAndTestRow()
    {
        AssertBitIdentical(s_ltrModel.ModelText, s_train);
        AssertBitIdentical(s_ltrModel.ModelText, s_test);
    }

    [TestMethod]
    public void MissingValuesAndZeros_ManagedScores_BitIdenticalToLightGbm()
    {
        var decisions = TreeEnsemble.ParseLightGbmText(s_missingModel).DecisionType.Select(d => d).Distinct().ToArray();
        var zeroDecisions = TreeEnsemble.ParseLightGbmText(s_zeroMissingModel).DecisionType.Select(d => d).Distinct().ToArray();
        Assert.IsTrue(decisions.Any(d => ((d >> 2) & 3) == 2), "the model has NaN-missing splits");
        Assert.IsTrue(zeroDecisions.Any(d => ((d >> 2) & 3) == 1), "the second model has zero-missing splits");
        AssertBitIdentical(s_missingModel, s_missingTrain);
        AssertBitIdentical(s_missingModel, s_missingTest);
        AssertBitIdentical(s_zeroMissingModel, s_missingTrain);
        AssertBitIdentical(s_zeroMissingModel, s_missingTest);
    }

    [TestMethod]
    public void Export_LoadedByLightGbm_PredictsIdentically()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnetext-export-{Guid.NewGuid():N}.txt");
        try
        {
            var model = s_ltrModel.Model;
            model.ExportLightGbmModel(path);
            using var booster = LightGbmBooster.LoadFile(path);
            double[] lightGbm = booster.PredictDense(s_test.Dense, s_test.RowCount, s_test.FeatureCount);
            for (int r = 0; r < s_test.RowCount; r++)
                Assert.AreEqual(lightGbm[r], model.Score(s_test.Row(r)), 0.0, $"row {r}");
            // Our export, read back by our parser, has the same trees as LightGBM's own text.
            var reread = TreeEnsemble.ParseLightGbmText(File.ReadAllText(path));
            Assert.AreEqual(RankingTestHelpers.TreeSection(model.ToLightGbmText()), RankingTestHelpers.TreeSection(reread.ToLightGbmText()));
            StringAssert.Contains(File.ReadAllText(path), "feature_names=f_0 f_1 f_2");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void State_RoundTrip_GivesIdenticalScores()
    {
        var model = s_ltrModel.Model;
        using var stream = new MemoryStream();
        ModelPersistence.SaveSection(stream, model);
        stream.Position = 0;
        var back = ModelPersistence.LoadSection<TreeEnsemble>(stream);
        Assert.AreEqual(model.TreeCount, back.TreeCount);
        CollectionAssert.AreEqual(model.FeatureNames, back.FeatureNames);
        for (int r = 0; r < s_test.RowCount; r++)
            Assert.AreEqual(model.Score(s_test.Row(r)), back.Score(s_test.Row(r)), 0.0);
        Assert.AreEqual(model.ToLightGbmText(), back.ToLightGbmText());
    }

    [TestMethod]
    public void State_FlippedByte_FailsChecksum()
    {
        using var stream = new MemoryStream();
        ModelPersistence.SaveSection(stream, s_ltrModel.Model);
        byte[] bytes = stream.ToArray();
        bytes[bytes.Length / 2] ^= 0x40;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelPersistence.LoadSection<TreeEnsemble>(new MemoryStream(bytes)));
        StringAssert.Contains(e.Message, "checksum");
    }

    [TestMethod]
    public void State_WithBrokenStructure_IsRefusedNamingTheProblem()
    {
        // A section with valid checksums but a child index that points outside its tree: caught by the structure check.
        using var stream = new MemoryStream();
        ModelPersistence.SaveSection(stream, new RewrittenSection(s_ltrModel.Model, corruptChild: true));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModelPersistence.LoadSection<TreeEnsemble>(new MemoryStream(stream.ToArray())));
        StringAssert.Contains(e.Message, "child index out of range");
    }

    /// <summary>Writes an ensemble's section with one left child changed, as a damaged writer would.</summary>
    private sealed class RewrittenSection(TreeEnsemble model, bool corruptChild) : IPersistentSection
    {
        public ComponentFormat SectionFormat => ((IPersistentSection)model).SectionFormat;

        public void Save(ModelStateWriter writer)
        {
            var left = model.LeftChild.ToArray();
            if (corruptChild)
                left[0] = 10_000;
            var copy = new TreeEnsemble(model.FeatureCount, model.FeatureNames, model.FeatureInfos, model.Objective, model.Parameters,
                model.NodeStart, model.LeafStart, model.SplitFeature, model.Threshold, model.DecisionType, model.LeftChild, model.RightChild,
                model.SplitGain, model.InternalValue, model.InternalWeight, model.InternalCount, model.LeafValue, model.LeafWeight,
                model.LeafCount, model.Shrinkage);
            // Swap in the damaged child array after validation, then write.
            Array.Copy(left, copy.LeftChild, left.Length);
            ((IPersistentSection)copy).Save(writer);
        }
    }

    [TestMethod]
    public void Importance_EqualsLightGbmsOnTheSameModelText()
    {
        var model = s_ltrModel.Model;
        using var booster = LightGbmBooster.LoadText(s_ltrModel.ModelText);
        double[] split = booster.FeatureImportance(model.FeatureCount, LightGbmNative.ImportanceSplit);
        double[] gain = booster.FeatureImportance(model.FeatureCount, LightGbmNative.ImportanceGain);
        CollectionAssert.AreEqual(split, model.SplitImportance());
        var mine = model.GainImportance();
        for (int f = 0; f < gain.Length; f++)
            Assert.AreEqual(gain[f], mine[f], 1e-9 * Math.Max(1, gain[f]), $"feature {f}");
        Assert.IsTrue(split.Sum() > 0);
        Assert.AreEqual("f 0", model.FeatureNames[0]);
    }

    [TestMethod]
    public void LeafValues_EqualLightGbmsGetLeafValue()
    {
        var model = s_ltrModel.Model;
        using var booster = LightGbmBooster.LoadText(s_ltrModel.ModelText);
        for (int t = 0; t < model.TreeCount; t++)
        {
            for (int k = 0; k < model.LeafCountOf(t); k++)
                Assert.AreEqual(booster.GetLeafValue(t, k), model.LeafValueOf(t, k), 0.0, $"tree {t} leaf {k}");
        }
    }

    [TestMethod]
    public void Score_WrongFeatureCount_ThrowsNamingBothCounts()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => s_ltrModel.Model.Score(new float[5]));
        StringAssert.Contains(e.Message, "5 features");
        StringAssert.Contains(e.Message, "300");
    }

    [TestMethod]
    public void Parse_CategoricalTree_IsRefused()
    {
        string text = s_ltrModel.ModelText.Replace("num_cat=0", "num_cat=1", StringComparison.Ordinal);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TreeEnsemble.ParseLightGbmText(text));
        StringAssert.Contains(e.Message, "categorical");
    }
}
