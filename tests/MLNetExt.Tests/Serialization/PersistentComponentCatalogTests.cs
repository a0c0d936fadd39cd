using System.Reflection;
using Microsoft.ML;
using MLNetExt.Calibration;
using MLNetExt.Serialization;
using MLNetExt.Tests.Support;
using MLNetExt.Tests.Training;
using static MLNetExt.Tests.Support.PersistenceCatalog;

namespace MLNetExt.Tests.Serialization;

/// <summary>
/// Every persistent type of every MLNetExt assembly in the test run round-trips: each type listed with
/// <c>[assembly: PersistentComponent(typeof(T))]</c> (and each model-parameters section type) must have an example
/// below, saving an example, loading it and saving again gives the same bytes, and a type that implements
/// <c>IPersistentComponent&lt;T&gt;</c> without being listed is an error. A new component cannot skip this test: add
/// a factory for it to <see cref="Examples"/>.
/// </summary>
[TestClass]
public sealed class PersistentComponentCatalogTests
{
    /// <summary>One or more instances of each persistent type, made the way users make them.</summary>
    private static readonly Dictionary<Type, Func<MLContext, IEnumerable<object>>> Examples = new()
    {
        [typeof(BetaCalibrationTransformer)] = ctx =>
            [ctx.BinaryClassification.Calibrators.Beta().Fit(CommittedModels.BinaryInput(ctx))],
        [typeof(HistogramBinningTransformer)] = ctx =>
            [ctx.BinaryClassification.Calibrators.HistogramBinning(new HistogramBinningEstimator.Options { NumberOfBins = 3 }).Fit(CommittedModels.BinaryInput(ctx))],
        [typeof(BinaryTemperatureScalingTransformer)] = ctx =>
            [ctx.BinaryClassification.Calibrators.TemperatureScaling().Fit(CommittedModels.BinaryInput(ctx))],
        [typeof(TemperatureScalingTransformer)] = ctx =>
        [
            ctx.MulticlassClassification.TemperatureScaling().Fit(CommittedModels.MulticlassInput(ctx)),
            ctx.MulticlassClassification.TemperatureScaling(new TemperatureScalingEstimator.Options { Method = TemperatureScalingMethod.VectorScaling })
                .Fit(CommittedModels.MulticlassInput(ctx)),
        ],
        [typeof(FloatStateTransformer)] = _ => [new FloatStateTransformer([1f, float.NaN, -0f]), new FloatStateTransformer([])],
        [typeof(ToyRankingTransformer)] = _ => [new ToyRankingTransformer("Features", ToyEnsembleParameters.Example())],
        [typeof(ToyEnsembleParameters)] = _ => [ToyEnsembleParameters.Example(), ToyEnsembleParameters.Example(nodes: 0)],
        [typeof(Training.LinearTestModel)] = ctx =>
        [
            ctx.BinaryClassification.Trainers.LinearTest().Fit(Training.LinearTestData.Small(ctx, PredictionTaskName.Binary)).Model,
            ctx.MulticlassClassification.Trainers.LinearTest().Fit(Training.LinearTestData.Small(ctx, PredictionTaskName.Multiclass)).Model,
        ],
        [typeof(global::MLNetExt.Training.RankingModelLoader)] = ctx => [ctx.Ranking.Trainers.LinearTest().Fit(Training.LinearTestData.Small(ctx, PredictionTaskName.Ranking))],
        [typeof(global::MLNetExt.Training.BinaryClassificationModelLoader)] = ctx => [ctx.BinaryClassification.Trainers.LinearTest().Fit(Training.LinearTestData.Small(ctx, PredictionTaskName.Binary))],
        [typeof(global::MLNetExt.Training.MulticlassClassificationModelLoader)] = ctx =>
            [ctx.MulticlassClassification.Trainers.LinearTest().Fit(Training.LinearTestData.Small(ctx, PredictionTaskName.Multiclass))],
    };

    /// <summary>Types that implement a persistence interface but are deliberately not listed, and why.</summary>
    private static readonly Dictionary<Type, string> Unlisted = new()
    {
        [typeof(DuplicateIdTransformer)] = "it has the id of a package component, to test that a duplicate id is refused (ComponentRegistryTests)",
    };

    [TestMethod]
    public void EveryListedComponent_HasAnExample_AndEveryImplementationIsListed()
    {
        var catalog = Catalog.Find(MLNetExtAssemblies());
        // The scan sees the package's components and this assembly's: it is not vacuous.
        CollectionAssert.IsSubsetOf(new[] { typeof(TemperatureScalingTransformer), typeof(BetaCalibrationTransformer), typeof(FloatStateTransformer) },
            catalog.Listed.ToArray());
        CollectionAssert.Contains(catalog.Sections.ToArray(), typeof(ToyEnsembleParameters));
        var problems = catalog.Problems(Examples.Keys, Unlisted.Keys);
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    public void TheCatalogCheck_FindsAMissingExample_AnUnlistedType_AndAStaleExemption()
    {
        // The check above can fail: without an example, without the exemption, with an exemption for a listed type.
        var catalog = Catalog.Find(MLNetExtAssemblies());
        var problems = catalog.Problems(Examples.Keys.Where(t => t != typeof(BetaCalibrationTransformer) && t != typeof(ToyEnsembleParameters)),
            [typeof(FloatStateTransformer)]);
        Assert.IsTrue(problems.Any(p => p.Contains($"{typeof(BetaCalibrationTransformer).FullName} (assembly MLNetExt) is listed", StringComparison.Ordinal)
            && p.Contains("has no example", StringComparison.Ordinal)), string.Join("\n", problems));
        Assert.IsTrue(problems.Any(p => p.Contains(typeof(ToyEnsembleParameters).FullName!, StringComparison.Ordinal) && p.Contains("has no example", StringComparison.Ordinal)),
            string.Join("\n", problems));
        Assert.IsTrue(problems.Any(p => p.Contains($"{typeof(DuplicateIdTransformer).FullName} implements IPersistentComponent<DuplicateIdTransformer>", StringComparison.Ordinal)
            && p.Contains("not listed", StringComparison.Ordinal)), string.Join("\n", problems));
        Assert.IsTrue(problems.Any(p => p.Contains($"{typeof(FloatStateTransformer).FullName} is exempted", StringComparison.Ordinal)), string.Join("\n", problems));
    }

    [TestMethod]
    public void EveryExample_SavesLoadsAndSavesToTheSameBytes()
        => PersistenceCatalog.RoundTrip(Catalog.Find(MLNetExtAssemblies()), Examples);

    /// <summary>
    /// The MLNetExt assemblies of this test run: those loaded, those this assembly references, and the MLNetExt*.dll
    /// files next to it (sibling packages the test project references).
    /// </summary>
    private static List<Assembly> MLNetExtAssemblies()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
            names.Add(assembly.GetName().Name!);
        foreach (var reference in typeof(PersistentComponentCatalogTests).Assembly.GetReferencedAssemblies())
            names.Add(reference.Name!);
        foreach (string file in Directory.GetFiles(AppContext.BaseDirectory, "MLNetExt*.dll"))
            names.Add(AssemblyName.GetAssemblyName(file).Name!);
        return names.Where(ComponentRegistry.IsMLNetExtAssembly).Select(n => Assembly.Load(new AssemblyName(n))).ToList();
    }
}
