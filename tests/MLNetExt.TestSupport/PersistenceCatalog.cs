using System.Reflection;
using Microsoft.ML;
using MLNetExt.Serialization;

namespace MLNetExt.Tests.Support;

/// <summary>
/// The registration check every package's tests run on their own assembly (issue "Trainer foundation", part 3):
/// each type listed with <c>[assembly: PersistentComponent(typeof(T))]</c> and each model-parameters section type has
/// an example; saving an example, loading it and saving again gives the same bytes; and a type that implements
/// <c>IPersistentComponent&lt;T&gt;</c> without being listed is an error. A new component cannot skip it: its
/// package's test fails until an example is added.
/// </summary>
public static class PersistenceCatalog
{
    /// <summary>
    /// Checks <paramref name="assemblies"/>: every persistent type has an example in <paramref name="examples"/>, every
    /// implementation is listed (or exempted in <paramref name="unlisted"/> with a reason), and every example round-trips.
    /// </summary>
    public static void Check(IEnumerable<Assembly> assemblies, IReadOnlyDictionary<Type, Func<MLContext, IEnumerable<object>>> examples,
        IReadOnlyDictionary<Type, string>? unlisted = null)
    {
        var catalog = Catalog.Find(assemblies);
        var problems = catalog.Problems(examples.Keys, (unlisted ?? new Dictionary<Type, string>()).Keys);
        Assert.IsEmpty(problems, string.Join("\n", problems));
        RoundTrip(catalog, examples);
    }

    /// <summary>Saves, loads and saves again every example of every persistent type of <paramref name="catalog"/>.</summary>
    public static void RoundTrip(Catalog catalog, IReadOnlyDictionary<Type, Func<MLContext, IEnumerable<object>>> examples)
    {
        var mlContext = new MLContext(seed: 1);
        var visited = new List<Type>();
        foreach (var type in catalog.Listed.Concat(catalog.Sections))
        {
            Assert.IsTrue(examples.TryGetValue(type, out var make), $"{type.FullName} has no example");
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
        CollectionAssert.AreEquivalent(examples.Keys.ToArray(), visited.Distinct().ToArray(), "every example was round-tripped");
    }

    private static string LoaderId(Type loader)
        => ((ComponentFormat)loader.GetProperty("Format", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!).Id;

    private static byte[] SaveSection(IPersistentSection section)
    {
        using var stream = new MemoryStream();
        ModelPersistence.SaveSection(stream, section);
        return stream.ToArray();
    }

    /// <summary>What the assemblies list and implement.</summary>
    public sealed record Catalog(
        List<Type> Listed, List<Type> Sections, Dictionary<Type, string> AssemblyOf, List<Type> Implementations)
    {
        /// <summary>What <paramref name="assemblies"/> list and implement.</summary>
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

        /// <summary>Every missing example, unlisted implementation and stale exemption, as a sentence each.</summary>
        public List<string> Problems(IEnumerable<Type> examples, IEnumerable<Type> exempted)
        {
            var problems = new List<string>();
            var withExample = examples.ToHashSet();
            var exempt = exempted.ToHashSet();
            foreach (var type in Listed.Where(t => !withExample.Contains(t)))
            {
                problems.Add($"{type.FullName} (assembly {AssemblyOf[type]}) is listed with [assembly: PersistentComponent] but has no example: " +
                             "add a factory to the Examples of the package's PersistentComponentCatalogTests.");
            }
            foreach (var type in Sections.Where(t => !withExample.Contains(t)))
            {
                problems.Add($"{type.FullName} (assembly {AssemblyOf[type]}) is a model-parameters section but has no example: " +
                             "add a factory to the Examples of the package's PersistentComponentCatalogTests.");
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
