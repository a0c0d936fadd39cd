using System.Reflection;
using Microsoft.ML;
using MLNetExt.Calibration;
using MLNetExt.Serialization;
using MLNetExt.Tests.Training;

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
    {
        var mlContext = new MLContext(seed: 1);
        var catalog = Catalog.Find(MLNetExtAssemblies());
        var visited = new List<Type>();
        foreach (var type in catalog.Listed.Concat(catalog.Sections))
        {
            Assert.IsTrue(Examples.TryGetValue(type, out var make), $"{type.FullName} has no example");
            foreach (object example in make(mlContext))
            {
                // A loader (IComponentLoader) loads components of other types: generic transformers over a model type.
                if (typeof(IComponentLoader).IsAssignableFrom(type))
                    Assert.AreEqual(LoaderId(type), ((IPersistentComponent)example).PersistedFormat.Id, type.FullName);
                else
                    Assert.IsInstanceOfType(example, type);
                if (example is IPersistentComponent component)
                {
                    var bytes = ModelPersistence.ToBytes(component);
                    var loaded = ModelPersistence.FromBytes(new MLContext(seed: 2), bytes);
                    Assert.AreEqual(example.GetType(), loaded.GetType());
                    CollectionAssert.AreEqual(bytes, ModelPersistence.ToBytes((IPersistentComponent)loaded), type.FullName);
                }
                else
                {
                    var section = (IPersistentSection)example;
                    var bytes = SaveSection(section);
                    var load = typeof(ModelPersistence).GetMethod(nameof(ModelPersistence.LoadSection), 1, BindingFlags.NonPublic | BindingFlags.Static, [typeof(Stream)])!;
                    var loaded = (IPersistentSection)load.MakeGenericMethod(type).Invoke(null, [new MemoryStream(bytes)])!;
                    Assert.AreEqual(type, loaded.GetType());
                    CollectionAssert.AreEqual(bytes, SaveSection(loaded), type.FullName);
                }
                visited.Add(type);
            }
        }
        CollectionAssert.AreEquivalent(Examples.Keys.ToArray(), visited.Distinct().ToArray(), "every example was round-tripped");
    }

    private static string LoaderId(Type loader)
        => ((ComponentFormat)loader.GetProperty("Format", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!).Id;

    private static byte[] SaveSection(IPersistentSection section)
    {
        using var stream = new MemoryStream();
        ModelPersistence.SaveSection(stream, section);
        return stream.ToArray();
    }

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

    /// <summary>What the assemblies list and implement.</summary>
    private sealed record Catalog(
        List<Type> Listed, List<Type> Sections, Dictionary<Type, string> AssemblyOf, List<Type> Implementations)
    {
        public static Catalog Find(IEnumerable<Assembly> assemblies)
        {
            var listed = new List<Type>();
            var sections = new List<Type>();
            var implementations = new List<Type>();
            var assemblyOf = new Dictionary<Type, string>();
            foreach (var assembly in assemblies)
            {
                string name = assembly.GetName().Name!;
                foreach (var attribute in assembly.GetCustomAttributes<PersistentComponentAttribute>())
                {
                    listed.Add(attribute.ComponentType);
                    assemblyOf[attribute.ComponentType] = name;
                }
                foreach (var type in assembly.GetTypes().Where(t => t is { IsAbstract: false, IsInterface: false }))
                {
                    if (Implements(type, typeof(IPersistentComponent<>)))
                        implementations.Add(type);
                    if (Implements(type, typeof(IPersistentSection<>)))
                        sections.Add(type);
                    assemblyOf.TryAdd(type, name);
                }
            }
            return new Catalog(listed, sections, assemblyOf, implementations);
        }

        public List<string> Problems(IEnumerable<Type> examples, IEnumerable<Type> exempted)
        {
            var problems = new List<string>();
            var withExample = examples.ToHashSet();
            var exempt = exempted.ToHashSet();
            foreach (var type in Listed.Where(t => !withExample.Contains(t)))
            {
                problems.Add($"{type.FullName} (assembly {AssemblyOf[type]}) is listed with [assembly: PersistentComponent] but has no example: " +
                             $"add a factory to {nameof(PersistentComponentCatalogTests)}.{nameof(Examples)}.");
            }
            foreach (var type in Sections.Where(t => !withExample.Contains(t)))
            {
                problems.Add($"{type.FullName} (assembly {AssemblyOf[type]}) is a model-parameters section but has no example: " +
                             $"add a factory to {nameof(PersistentComponentCatalogTests)}.{nameof(Examples)}.");
            }
            foreach (var type in Implementations.Where(t => !Listed.Contains(t) && !exempt.Contains(t)))
            {
                problems.Add($"{type.FullName} implements IPersistentComponent<{type.Name}> but is not listed: add " +
                             $"[assembly: PersistentComponent(typeof({type.FullName}))] to assembly {AssemblyOf[type]}.");
            }
            foreach (var type in exempt.Where(t => Listed.Contains(t) || !Implementations.Contains(t)))
                problems.Add($"{type.FullName} is exempted as deliberately unlisted, but it is listed or is not a component.");
            foreach (var type in withExample.Where(t => !Listed.Contains(t) && !Sections.Contains(t)))
                problems.Add($"{type.FullName} has an example but is neither a listed component nor a section type.");
            return problems;
        }

        private static bool Implements(Type type, Type generic)
            => type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic && i.GetGenericArguments()[0] == type);
    }
}
