using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.CovariateShift.Tests.Support;
using MLNetExt.Tests.Support;

namespace MLNetExt.CovariateShift.Tests;

/// <summary>
/// The package's persistent types round-trip (the shared catalog check), and the model files committed for format
/// version 1 still load with the recorded outputs.
/// </summary>
[TestClass]
public sealed class PersistenceTests
{
    private static readonly Dictionary<Type, Func<MLContext, IEnumerable<object>>> Examples = new()
    {
        [typeof(CovariateShiftWeightsTransformer)] = ctx =>
        {
            var (train, target, _) = ShiftData.Diabetes(ctx);
            return Enum.GetValues<CovariateShiftWeightingMethod>().Select(m => (object)ctx.Transforms.CovariateShiftWeights(target, method: m).Fit(train)).ToArray();
        },
        [typeof(DoubleWeightingMinimaxRiskModelParameters)] = ctx =>
        {
            var (train, target, _) = ShiftData.Diabetes(ctx);
            return
            [
                ctx.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target, new DoubleWeightingMinimaxRiskBinaryTrainer.Options { D = 4 }).Fit(train).Model,
                ctx.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(target, new DoubleWeightingMinimaxRiskBinaryTrainer.Options
                {
                    D = double.PositiveInfinity, Loss = MinimaxRiskLoss.Log, FeatureMap = FeatureMapKind.RandomFourier, RandomFourierComponents = 10,
                }).Fit(train).Model,
            ];
        },
    };

    [TestMethod]
    public void EveryPersistentType_HasAnExample_AndRoundTrips()
        => PersistenceCatalog.Check([typeof(CovariateShiftWeightsTransformer).Assembly], Examples);

    /// <summary>The committed files: name, how to make the model, its input, the columns recorded.</summary>
    private static IEnumerable<(string File, Func<MLContext, ITransformer> Make, Func<MLContext, IDataView> Input, string[] Columns)> Committed()
    {
        yield return ("dwgcs-binary-v1.zip",
            ml => ml.BinaryClassification.Trainers.DoubleWeightingMinimaxRisk(ShiftData.Diabetes(ml).Target, new DoubleWeightingMinimaxRiskBinaryTrainer.Options { D = 4 })
                .Fit(ShiftData.Diabetes(ml).Train),
            ml => ShiftData.Diabetes(ml).Target, ["Score", "Probability"]);
        yield return ("covariate-shift-weights-v1.zip",
            ml => ml.Transforms.CovariateShiftWeights(ShiftData.Diabetes(ml).Target).Fit(ShiftData.Diabetes(ml).Train),
            ml => ShiftData.Diabetes(ml).Train, ["Weight"]);
        yield return ("covariate-shift-domain-classifier-v1.zip",
            ml => ml.Transforms.CovariateShiftWeights(ShiftData.Diabetes(ml).Target, method: CovariateShiftWeightingMethod.DomainClassifier).Fit(ShiftData.Diabetes(ml).Train),
            ml => ShiftData.Diabetes(ml).Target, ["Weight"]);
    }

    [TestMethod]
    public void CommittedModelFiles_StillLoadWithTheSameOutputs()
    {
        // Saved by format version 1 of each component; never rewritten. A deliberate format change adds a file
        // (MLNETEXT_WRITE_MODEL_FILES=<directory> writes them).
        string? writeTo = Environment.GetEnvironmentVariable("MLNETEXT_WRITE_MODEL_FILES");
        foreach (var (file, make, input, columns) in writeTo is null ? [] : Committed())
        {
            var ml = new MLContext(seed: 1);
            var model = make(ml);
            var data = input(ml);
            string target = Path.Combine(writeTo!, file);
            ml.Model.Save(model, data.Schema, target);
            File.WriteAllLines(Path.ChangeExtension(target, ".expected.txt"), Values(model.Transform(data), columns));
        }
        foreach (var (file, _, input, columns) in Committed())
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Models", file);
            var fresh = new MLContext(seed: 5);
            var loaded = fresh.Model.Load(path, out _);
            var actual = Values(loaded.Transform(input(fresh)), columns);
            var expected = File.ReadAllLines(Path.ChangeExtension(path, ".expected.txt"));
            CollectionAssert.AreEqual(expected, actual, file);
        }
    }

    /// <summary>Each value of each column, row by row, as the hexadecimal bits of the Single.</summary>
    private static string[] Values(IDataView data, string[] columns)
    {
        var perColumn = columns.Select(c => data.GetColumn<float>(c).ToArray()).ToArray();
        var lines = new List<string>();
        for (int r = 0; r < perColumn[0].Length; r++)
        {
            foreach (var column in perColumn)
                lines.Add(BitConverter.SingleToInt32Bits(column[r]).ToString("X8", CultureInfo.InvariantCulture));
        }
        return lines.ToArray();
    }
}
