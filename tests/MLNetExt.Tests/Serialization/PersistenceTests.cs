using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;
using MLNetExt.Serialization;
using MLNetExt.Tests.LoadProbe;
using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Serialization;

/// <summary>
/// Every transformer of the package survives <c>mlContext.Model.Save</c> / <c>Load</c> inside a larger chain: in a
/// fresh MLContext, in a new process that has not loaded MLNetExt, with bit-identical outputs and typed access to
/// the learned state; damaged and newer-format files fail with clear messages.
/// </summary>
[TestClass]
public sealed class PersistenceTests
{
    private static string _directory = "";

    [ClassInitialize]
    public static void CreateDirectory(TestContext context)
        => _directory = Directory.CreateTempSubdirectory("mlnetext-persistence-").FullName;

    [ClassCleanup]
    public static void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    /// <summary>The four calibrators, each fitted at the end of a chain of ML.NET transforms.</summary>
    internal static IEnumerable<(string Name, ITransformer Model, IDataView Input, string Output)> Models(MLContext mlContext)
    {
        // Multiclass: Concatenate -> TemperatureScaling on the LeNet-5 CIFAR-10 softmax outputs.
        var cifar = mlContext.Data.TakeRows(TestData.LoadCifar(mlContext, TestData.LeNet), 2000);
        var copy = mlContext.Transforms.Concatenate("Probabilities", "Score").Fit(cifar);
        var temperature = mlContext.MulticlassClassification.TemperatureScaling(scoreColumnName: "Probabilities").Fit(copy.Transform(cifar));
        yield return ("temperature", new TransformerChain<ITransformer>(copy, temperature), cifar, "Probabilities");

        // Binary: NormalizeMinMax -> FastTree -> calibrator on diabetes.
        var (train, calibration, test) = Diabetes.Split(mlContext);
        var trained = mlContext.Transforms.NormalizeMinMax("Features").Append(Diabetes.FastTree(mlContext)).Fit(train);
        var scored = trained.Transform(calibration);
        var binary = new (string, IEstimator<ITransformer>)[]
        {
            ("beta", mlContext.BinaryClassification.Calibrators.Beta()),
            ("histogram", mlContext.BinaryClassification.Calibrators.HistogramBinning()),
            ("binary-temperature", mlContext.BinaryClassification.Calibrators.TemperatureScaling()),
        };
        foreach (var (name, estimator) in binary)
            yield return (name, trained.Append(estimator.Fit(scored)), test, "Probability");
    }

    [TestMethod]
    public void SaveLoad_FreshContext_IdenticalOutputsAndTypedState()
    {
        var mlContext = new MLContext(seed: 1);
        foreach (var (name, model, input, output) in Models(mlContext))
        {
            string path = Path.Combine(_directory, $"{name}.zip");
            mlContext.Model.Save(model, input.Schema, path);

            var fresh = new MLContext(seed: 2);
            var loaded = fresh.Model.Load(path, out var schema);
            Assert.AreEqual(input.Schema.Count, schema.Count, name);
            CollectionAssert.AreEqual(Describe(model), Describe(loaded), name);
            AssertSameColumn(model.Transform(input), loaded.Transform(input), output, name);
        }
    }

    [TestMethod]
    public void SaveLoad_NewProcess_IdenticalOutputsAndTypedState()
    {
        // The probe is a separate program: MLNetExt is loaded there only when ML.NET's loader asks for it.
        var mlContext = new MLContext(seed: 1);
        var models = Models(mlContext).ToArray();
        var arguments = new List<string>();
        foreach (var (name, model, input, _) in models)
        {
            string modelPath = Path.Combine(_directory, $"{name}-probe.zip");
            string inputPath = Path.Combine(_directory, $"{name}-in.idv");
            mlContext.Model.Save(model, input.Schema, modelPath);
            using (var stream = File.Create(inputPath))
                mlContext.Data.SaveAsBinary(input, stream, keepHidden: false);
            arguments.AddRange([modelPath, inputPath, Path.Combine(_directory, $"{name}-out.idv")]);
        }
        var lines = RunProbe(arguments);
        Assert.AreEqual("preloaded=False", lines[0], "MLNetExt must not be loaded before Model.Load");
        var states = lines.Where(l => l.StartsWith("state=", StringComparison.Ordinal)).Select(l => l["state=".Length..]).ToArray();
        Assert.IsFalse(lines.Any(l => l.StartsWith("error=", StringComparison.Ordinal)), string.Join("\n", lines));
        CollectionAssert.AreEqual(models.SelectMany(m => Describe(m.Model)).ToArray(), states);

        foreach (var (name, model, input, output) in models)
        {
            var theirs = mlContext.Data.LoadFromBinary(Path.Combine(_directory, $"{name}-out.idv"));
            AssertSameColumn(model.Transform(input), theirs, output, name);
        }
    }

    [TestMethod]
    public void SaveLoad_TransformerAlone_AndPredictionEngineAfterReload()
    {
        var mlContext = new MLContext(seed: 1);
        var (name, chain, input, _) = Models(mlContext).Single(m => m.Name == "beta");
        var beta = ((TransformerChain<ITransformer>)chain).OfType<BetaCalibrationTransformer>().Single();
        var scored = ((TransformerChain<ITransformer>)chain).Take(2).Aggregate(input, (data, t) => t.Transform(data));
        string path = Path.Combine(_directory, $"{name}-alone.zip");
        mlContext.Model.Save(beta, scored.Schema, path);
        var loaded = (BetaCalibrationTransformer)new MLContext(seed: 3).Model.Load(path, out _);
        Assert.AreEqual(beta.A, loaded.A, 0);

        string chainPath = Path.Combine(_directory, $"{name}-engine.zip");
        mlContext.Model.Save(chain, input.Schema, chainPath);
        var fresh = new MLContext(seed: 4);
        var engine = fresh.Model.CreatePredictionEngine<Diabetes.Row, Diabetes.Prediction>(fresh.Model.Load(chainPath, out _));
        var rows = mlContext.Data.CreateEnumerable<Diabetes.Row>(input, reuseRowObject: false).ToArray();
        var expected = chain.Transform(input).GetColumn<float>("Probability").ToArray();
        for (int i = 0; i < rows.Length; i++)
            Assert.AreEqual(expected[i], engine.Predict(rows[i]).Probability, 0, $"row {i}");
    }

    [TestMethod]
    public void SameData_SameStateBytes()
    {
        var a = Models(new MLContext(seed: 1)).Select(m => m.Model).ToArray();
        var b = Models(new MLContext(seed: 1)).Select(m => m.Model).ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            var x = ((TransformerChain<ITransformer>)a[i]).OfType<IPersistentComponent>().Single();
            var y = ((TransformerChain<ITransformer>)b[i]).OfType<IPersistentComponent>().Single();
            CollectionAssert.AreEqual(ModelPersistence.ToBytes(x), ModelPersistence.ToBytes(y), x.PersistedFormat.Id);
        }
    }

    [TestMethod]
    public void CorruptedByte_IsReportedNotLoaded()
    {
        string path = SaveTemperatureModel("corrupt");
        // Flip one bit of the temperature (the last 8 bytes of the state, at the end of its only chunk).
        Assert.AreEqual(1, ModelFiles.EditEnvelopes(path, (bytes, marker) =>
        {
            var layout = ModelFiles.Find(bytes, marker);
            bytes[layout.FirstChunkData + layout.FirstChunkLength - 3] ^= 0x10;
            return bytes;
        }));
        var ex = LoadFailure(path);
        Assert.IsInstanceOfType<InvalidDataException>(ex);
        StringAssert.Contains(ex.Message, "corrupted");
        StringAssert.Contains(ex.Message, "checksum");
    }

    [TestMethod]
    public void TruncatedEnvelope_IsReported()
    {
        // Cut inside a zip entry that is otherwise intact: ML.NET's own header check sees the entry end before its
        // recorded size and refuses it before our loader runs (with ML.NET's generic FormatException wording).
        string path = SaveTemperatureModel("truncated-entry");
        ModelFiles.EditEnvelopes(path, (bytes, marker) => bytes[..(ModelFiles.Find(bytes, marker).Body + 10)]);
        Assert.IsInstanceOfType<FormatException>(LoadFailure(path));

        // The bytes our loader is handed, cut short: our own check names the problem.
        var mlContext = new MLContext(seed: 1);
        var (_, model, _, _) = Models(mlContext).First();
        var envelope = ModelPersistence.ToBytes(((TransformerChain<ITransformer>)model).OfType<IPersistentComponent>().Single());
        foreach (int length in new[] { 2, 10, envelope.Length / 2, envelope.Length - 1 })
        {
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => ModelPersistence.FromBytes(mlContext, envelope[..length]));
            StringAssert.Contains(ex.Message, length == 2 ? "corrupted" : "truncated", $"length {length}");
        }
        Assert.IsInstanceOfType<TemperatureScalingTransformer>(ModelPersistence.FromBytes(mlContext, envelope));
    }

    [TestMethod]
    public void TruncatedFile_IsReported()
    {
        // A download cut short: the zip's central directory is gone. ML.NET's loader (ZipArchive) reports it.
        string path = SaveTemperatureModel("truncated-file");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var ex = LoadFailure(path);
        Assert.IsInstanceOfType<InvalidDataException>(ex, ex.ToString());
        StringAssert.Contains(ex.Message, "Central Directory");
    }

    [TestMethod]
    public void NewerComponentFormat_IsRefusedWithUpgradeMessage()
    {
        string path = SaveTemperatureModel("newer-format");
        ModelFiles.EditEnvelopes(path, (bytes, marker) =>
        {
            var layout = ModelFiles.Find(bytes, marker);
            BitConverter.TryWriteBytes(bytes.AsSpan(layout.FormatVersion), 99);
            ModelFiles.FixHeaderChecksum(bytes, marker);
            return bytes;
        });
        var ex = LoadFailure(path);
        Assert.IsInstanceOfType<InvalidDataException>(ex);
        StringAssert.Contains(ex.Message, "saved by a newer version of MLNetExt");
        StringAssert.Contains(ex.Message, "'MLNetExt.Calibration.TemperatureScaling' has format version 99");
        StringAssert.Contains(ex.Message, "reads versions 1 to 2");
        StringAssert.Contains(ex.Message, "Upgrade the MLNetExt package");
    }

    [TestMethod]
    public void NewerEnvelope_IsRefusedWithUpgradeMessage_OnlyWhenItsHeaderChecksumPasses()
    {
        // A newer MLNetExt's envelope: the version field says 9 and the header CRC matches it.
        string path = SaveTemperatureModel("newer-envelope");
        ModelFiles.EditEnvelopes(path, (bytes, marker) =>
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(ModelFiles.Find(bytes, marker).EnvelopeVersion), 9);
            ModelFiles.FixHeaderChecksum(bytes, marker);
            return bytes;
        });
        var ex = LoadFailure(path);
        StringAssert.Contains(ex.Message, "model envelope version 9");
        StringAssert.Contains(ex.Message, "Upgrade the MLNetExt packages");

        // A damaged version field (one flipped bit: 2 -> 3, and 2 -> 0x02000002) is damage, not a newer version.
        foreach (var (offset, bit) in new[] { (0, 0x01), (3, 0x02) })
        {
            path = SaveTemperatureModel($"flipped-envelope-version-{offset}");
            ModelFiles.EditEnvelopes(path, (bytes, marker) =>
            {
                bytes[ModelFiles.Find(bytes, marker).EnvelopeVersion + offset] ^= (byte)bit;
                return bytes;
            });
            ex = LoadFailure(path);
            StringAssert.Contains(ex.Message, "corrupted", $"byte {offset}");
            Assert.IsFalse(ex.Message.Contains("newer", StringComparison.Ordinal), ex.Message);
        }
    }

    [TestMethod]
    public void UnknownComponent_IsRefusedByName()
    {
        string path = SaveTemperatureModel("unknown-component");
        ModelFiles.EditEnvelopes(path, (bytes, marker) =>
        {
            // The id's last character: "...TemperatureScaling" becomes "...TemperatureScalinX".
            var layout = ModelFiles.Find(bytes, marker);
            int idLength = bytes[layout.Id];
            bytes[layout.Id + idLength] = (byte)'X';
            ModelFiles.FixHeaderChecksum(bytes, marker);
            return bytes;
        });
        var ex = LoadFailure(path);
        StringAssert.Contains(ex.Message, "'MLNetExt.Calibration.TemperatureScalinX'");
        StringAssert.Contains(ex.Message, "does not know");
    }

    [TestMethod]
    public void VersionOneFile_DamagedHeaderOrState_IsReportedAsCorrupted_NotAsNewerOrInvalid()
    {
        // Envelope version 1 has one CRC, after the body: a damaged header field or state byte must be reported as
        // damage (the CRC is checked before any other message), never as a newer version or an unknown component.
        var edits = new (string Name, Action<byte[], int> Edit, bool FixChecksum, string Expected)[]
        {
            ("version field", (b, m) => b[m + 4] ^= 0x08, false, "corrupted"),
            ("format version", (b, m) => b[ModelFiles.FindLegacy(b, m).FormatVersion] = 99, false, "corrupted"),
            ("component id", (b, m) => b[ModelFiles.FindLegacy(b, m).Body + 1] ^= 0x01, false, "corrupted"),
            ("score kind (LoadState rejects it)", (b, m) => b[ScoreKindOffset(b, m) + 3] = 0x40, false, "checksum"),
            ("format version, checksum fixed", (b, m) => b[ModelFiles.FindLegacy(b, m).FormatVersion] = 99, true, "format version 99"),
        };
        foreach (var (name, edit, fixChecksum, expected) in edits)
        {
            string path = Path.Combine(_directory, $"v1-{name.Replace(' ', '-').Replace(',', '-')}.zip");
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Models", "temperature-v1.zip"), path, overwrite: true);
            Assert.AreEqual(1, ModelFiles.EditEnvelopes(path, (bytes, marker) =>
            {
                edit(bytes, marker);
                if (fixChecksum)
                    ModelFiles.FixLegacyChecksum(bytes, marker);
                return bytes;
            }));
            var ex = LoadFailure(path);
            Assert.IsInstanceOfType<InvalidDataException>(ex, name);
            StringAssert.Contains(ex.Message, expected, name);
            if (!fixChecksum)
                Assert.IsFalse(ex.Message.Contains("newer", StringComparison.Ordinal) || ex.Message.Contains("unknown value", StringComparison.Ordinal), $"{name}: {ex.Message}");
        }
    }

    // The score kind: the third field of the binding (score column, output column, score kind, floor).
    private static int ScoreKindOffset(byte[] bytes, int marker)
    {
        int state = ModelFiles.FindLegacy(bytes, marker).State;
        int scoreColumn = bytes[state];
        int outputColumn = bytes[state + 1 + scoreColumn];
        return state + 1 + scoreColumn + 1 + outputColumn;
    }

    [TestMethod]
    public void CommittedModelFiles_StillLoadWithTheSameOutputs()
    {
        // Models saved by format version 1 of each component. Every later build must load them and reproduce the
        // recorded outputs bit for bit. Regenerate only for a deliberate format change: MLNETEXT_WRITE_MODEL_FILES=<dir>.
        string? writeTo = Environment.GetEnvironmentVariable("MLNETEXT_WRITE_MODEL_FILES");
        if (writeTo is not null)
            CommittedModels.Write(writeTo);
        foreach (var (file, input, column) in CommittedModels.Files(new MLContext(seed: 1)))
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Models", file);
            var fresh = new MLContext(seed: 5);
            var model = fresh.Model.Load(path, out _);
            var output = model.Transform(input);
            var lines = File.ReadAllLines(Path.ChangeExtension(path, ".expected.txt"));
            if (output.Schema[column].Type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Double)
            {
                // Double outputs (binary calibrators' format version 2 offers them) are recorded as 16 hex digits.
                var actualDoubles = output.GetColumn<double[]>(column).SelectMany(v => v).ToArray();
                var expectedDoubles = lines.Select(l => BitConverter.Int64BitsToDouble(long.Parse(l, System.Globalization.NumberStyles.HexNumber))).ToArray();
                CollectionAssert.AreEqual(expectedDoubles, actualDoubles, file);
                continue;
            }
            var actual = output.GetColumn<float[]>(column).SelectMany(v => v).ToArray();
            var expected = lines.Select(l => BitConverter.Int32BitsToSingle(int.Parse(l, System.Globalization.NumberStyles.HexNumber))).ToArray();
            CollectionAssert.AreEqual(expected, actual, file);
        }
    }

    private static string SaveTemperatureModel(string name)
    {
        var mlContext = new MLContext(seed: 1);
        var (_, model, input, _) = Models(mlContext).First();
        string path = Path.Combine(_directory, $"{name}.zip");
        mlContext.Model.Save(model, input.Schema, path);
        return path;
    }

    private static Exception LoadFailure(string path)
    {
        var ex = Assert.Throws<Exception>(() => new MLContext(seed: 1).Model.Load(path, out _));
        // ML.NET wraps component exceptions ("Error during class instantiation"); the cause is what users read.
        return ex.GetBaseException();
    }

    internal static string[] Describe(ITransformer model)
        => (model is IEnumerable<ITransformer> chain ? chain : [model]).Select(StateDescriber.Describe).OfType<string>().ToArray();

    private static void AssertSameColumn(IDataView expected, IDataView actual, string column, string name)
    {
        var type = expected.Schema[column].Type;
        Assert.AreEqual(type, actual.Schema[column].Type, name);
        if (type is VectorDataViewType)
        {
            var e = expected.GetColumn<float[]>(column).SelectMany(v => v).ToArray();
            var a = actual.GetColumn<float[]>(column).SelectMany(v => v).ToArray();
            CollectionAssert.AreEqual(e, a, name);
        }
        else
        {
            CollectionAssert.AreEqual(expected.GetColumn<float>(column).ToArray(), actual.GetColumn<float>(column).ToArray(), name);
        }
    }

    private static List<string> RunProbe(IEnumerable<string> arguments)
    {
        var (exitCode, lines, stderr) = FreshProcess.RunProbe(arguments);
        Assert.AreEqual(0, exitCode, stderr);
        return lines;
    }
}

/// <summary>The committed model files (tests/MLNetExt.Tests/Models) and the inputs they are checked on.</summary>
internal static class CommittedModels
{
    private static readonly float[][] Rows =
    [
        [0.7f, 0.2f, 0.1f], [0.1f, 0.8f, 0.1f], [0.3f, 0.3f, 0.4f], [0.05f, 0.15f, 0.8f], [0.5f, 0.45f, 0.05f],
        [0.2f, 0.6f, 0.2f], [0.9f, 0.05f, 0.05f], [0.34f, 0.33f, 0.33f],
    ];

    private static readonly int[] Labels = [0, 1, 2, 2, 1, 1, 0, 0];

    /// <summary>Which file, the input it is applied to, and the (vector) column compared.</summary>
    public static IEnumerable<(string File, IDataView Input, string Column)> Files(MLContext mlContext)
    {
        var multiclass = MulticlassInput(mlContext);
        yield return ("temperature-v1.zip", multiclass, "Calibrated");
        var binary = BinaryInput(mlContext);
        yield return ("binary-calibrators-v1.zip", binary, "Probabilities");
        yield return ("vector-scaling-v2.zip", multiclass, "Calibrated");
        yield return ("binary-calibrators-v2.zip", binary, "Probabilities");
    }

    /// <summary>Writes the files that do not exist yet: a committed file is never rewritten (it records an old format).</summary>
    public static void Write(string directory)
    {
        var mlContext = new MLContext(seed: 1);
        Directory.CreateDirectory(directory);
        var multiclass = MulticlassInput(mlContext);
        var temperature = mlContext.Transforms.Concatenate("Scores", "Score")
            .Append(mlContext.MulticlassClassification.TemperatureScaling(scoreColumnName: "Scores", outputColumnName: "Calibrated"))
            .Fit(multiclass);
        Save(mlContext, temperature, multiclass, Path.Combine(directory, "temperature-v1.zip"), "Calibrated");

        // All three binary calibrators in one chain, each writing its own column, then concatenated.
        var binary = BinaryInput(mlContext);
        var cal = mlContext.BinaryClassification.Calibrators;
        var chain = cal.Beta(new BetaCalibrationEstimator.Options { OutputColumnName = "Beta" })
            .Append(cal.HistogramBinning(new HistogramBinningEstimator.Options { OutputColumnName = "Histogram", NumberOfBins = 3 }))
            .Append(cal.TemperatureScaling(new BinaryTemperatureScalingEstimator.Options { OutputColumnName = "Temperature" }))
            .Append(mlContext.Transforms.Concatenate("Probabilities", "Beta", "Histogram", "Temperature"))
            .Fit(binary);
        Save(mlContext, chain, binary, Path.Combine(directory, "binary-calibrators-v1.zip"), "Probabilities");

        var vector = mlContext.MulticlassClassification.TemperatureScaling(new TemperatureScalingEstimator.Options
        {
            OutputColumnName = "Calibrated",
            Method = TemperatureScalingMethod.VectorScaling,
        }).Fit(multiclass);
        Save(mlContext, vector, multiclass, Path.Combine(directory, "vector-scaling-v2.zip"), "Calibrated");

        // Format version 2 of the binary calibrators: the output kind, here Double for all three.
        var chain2 = cal.Beta(new BetaCalibrationEstimator.Options { OutputColumnName = "Beta", OutputKind = DataKind.Double })
            .Append(cal.HistogramBinning(new HistogramBinningEstimator.Options { OutputColumnName = "Histogram", NumberOfBins = 3, OutputKind = DataKind.Double }))
            .Append(cal.TemperatureScaling(new BinaryTemperatureScalingEstimator.Options { OutputColumnName = "Temperature", OutputKind = DataKind.Double }))
            .Append(mlContext.Transforms.Concatenate("Probabilities", "Beta", "Histogram", "Temperature"))
            .Fit(binary);
        Save(mlContext, chain2, binary, Path.Combine(directory, "binary-calibrators-v2.zip"), "Probabilities");
    }

    private static void Save(MLContext mlContext, ITransformer model, IDataView input, string path, string column)
    {
        if (File.Exists(path))
            return;
        mlContext.Model.Save(model, input.Schema, path);
        var output = model.Transform(input);
        if (output.Schema[column].Type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Double)
        {
            var doubles = output.GetColumn<double[]>(column).SelectMany(v => v);
            File.WriteAllLines(Path.ChangeExtension(path, ".expected.txt"), doubles.Select(v => BitConverter.DoubleToInt64Bits(v).ToString("X16")));
            return;
        }
        var values = output.GetColumn<float[]>(column).SelectMany(v => v);
        File.WriteAllLines(Path.ChangeExtension(path, ".expected.txt"), values.Select(v => BitConverter.SingleToInt32Bits(v).ToString("X8")));
    }

    internal static IDataView MulticlassInput(MLContext mlContext)
        => mlContext.Data.LoadFromEnumerable(Rows.Select((r, i) => new MulticlassRow { Label = Labels[i], Score = r }));

    internal static IDataView BinaryInput(MLContext mlContext)
        => mlContext.Data.LoadFromEnumerable(Rows.Select((r, i) => new BinaryRow { Label = Labels[i] != 0, Score = 4 * (r[1] + r[2]) - 2 }));

    private sealed class MulticlassRow
    {
        public float Label { get; set; }

        [VectorType(3)]
        public float[] Score { get; set; } = [];
    }

    private sealed class BinaryRow
    {
        public bool Label { get; set; }

        public float Score { get; set; }
    }
}
