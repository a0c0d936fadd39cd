using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetExt.Serialization;

/// <summary>
/// Finds the loader of a saved component by its id. The ids of an assembly are read from its
/// <see cref="PersistentComponentAttribute"/>s the first time a model names that assembly. Only assemblies named
/// MLNetExt or MLNetExt.* are consulted, so a model file cannot make this code load an arbitrary assembly.
/// <para>
/// Safe for first loads from many threads at once: each assembly is registered exactly once (a <see cref="Lazy{T}"/>
/// per assembly name, which other threads wait for), and its entries are published together, after they are all
/// built and checked, so no thread can see an assembly as registered while its entries are missing. Two components
/// with the same id, in one assembly or across MLNetExt assemblies, are an error that names both types.
/// </para>
/// </summary>
internal static class ComponentRegistry
{
    private static readonly Table Shared = new(ListComponents, ListSections);

    /// <summary>The format and loader of component <paramref name="id"/> saved by assembly <paramref name="assemblyName"/>.</summary>
    public static bool TryFind(string id, string assemblyName, out ComponentFormat format,
        out Func<IHostEnvironment, ModelStateReader, ITransformer> load)
        => Shared.TryFind(id, assemblyName, out format, out load);

    /// <summary>
    /// The format and reader of the model-parameters section <paramref name="id"/> of assembly
    /// <paramref name="assemblyName"/> (for transformers that hold a model whose type the state names).
    /// </summary>
    public static bool TryFindSection(string id, string assemblyName, out ComponentFormat format, out Func<ModelStateReader, object> load)
        => Shared.TryFindSection(id, assemblyName, out format, out load);

    /// <summary>Whether a model may name <paramref name="name"/> as the assembly of a component.</summary>
    internal static bool IsMLNetExtAssembly(string name)
        => name == "MLNetExt" || name.StartsWith("MLNetExt.", StringComparison.Ordinal);

    /// <summary>The component types an assembly lists with <see cref="PersistentComponentAttribute"/>.</summary>
    internal static IReadOnlyList<Type> ListComponents(string assemblyName)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidOperationException(
                $"The model contains a component of package '{assemblyName}', which could not be loaded ({e.Message}). " +
                $"Add the '{assemblyName}' NuGet package to the application that loads the model.", e);
        }
        return assembly.GetCustomAttributes<PersistentComponentAttribute>().Select(a => a.ComponentType).ToArray();
    }

    /// <summary>The model-parameter section types (<see cref="IPersistentSection{TSelf}"/>) of an assembly, found by their interface.</summary>
    internal static IReadOnlyList<Type> ListSections(string assemblyName)
        => Assembly.Load(new AssemblyName(assemblyName)).GetTypes()
            .Where(t => t is { IsAbstract: false, IsGenericTypeDefinition: false } && IsSection(t)).ToArray();

    private static bool Implements(Type type, Type generic)
        => type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic && i.GetGenericArguments()[0] == type);

    private static bool IsSection(Type type) => Implements(type, typeof(IPersistentSection<>));

    /// <summary>
    /// The registry itself; <paramref name="listComponents"/> gives the component types an assembly lists by name, and
    /// <paramref name="listSections"/> its section types (tests pass their own to register types under an assembly name
    /// of their choosing; no sections when null).
    /// </summary>
    internal sealed class Table(Func<string, IReadOnlyList<Type>> listComponents, Func<string, IReadOnlyList<Type>>? listSections = null)
    {
        private readonly ConcurrentDictionary<string, Lazy<bool>> _assemblies = new(StringComparer.Ordinal);
        private readonly object _publish = new();

        // Replaced, never changed: a reader sees either the old table or the new one with a whole assembly added.
        private volatile Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

        /// <inheritdoc cref="ComponentRegistry.TryFind"/>
        public bool TryFind(string id, string assemblyName, out ComponentFormat format,
            out Func<IHostEnvironment, ModelStateReader, ITransformer> load)
        {
            if (Find(id, assemblyName) is { Load: { } loader } entry)
            {
                format = entry.Format;
                load = loader;
                return true;
            }
            format = null!;
            load = null!;
            return false;
        }

        /// <inheritdoc cref="ComponentRegistry.TryFindSection"/>
        public bool TryFindSection(string id, string assemblyName, out ComponentFormat format, out Func<ModelStateReader, object> load)
        {
            if (Find(id, assemblyName) is { LoadSection: { } loader } entry)
            {
                format = entry.Format;
                load = loader;
                return true;
            }
            format = null!;
            load = null!;
            return false;
        }

        private Entry? Find(string id, string assemblyName)
        {
            if (IsMLNetExtAssembly(assemblyName))
            {
                // Every caller waits here until the assembly's entries are published (or sees the same exception).
                _ = _assemblies.GetOrAdd(assemblyName,
                    name => new Lazy<bool>(() => Register(name), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
            }
            return _entries.TryGetValue(id, out var entry) ? entry : null;
        }

        private bool Register(string assemblyName)
        {
            var types = listComponents(assemblyName);
            var built = new List<Entry>(types.Count);
            foreach (var type in types)
                built.Add(MakeEntry(type, assemblyName));
            foreach (var type in listSections?.Invoke(assemblyName) ?? [])
                built.Add(MakeSection(type));
            lock (_publish)
            {
                var entries = new Dictionary<string, Entry>(_entries, StringComparer.Ordinal);
                foreach (var entry in built)
                {
                    if (entries.TryGetValue(entry.Format.Id, out var existing))
                    {
                        if (existing.Type == entry.Type)
                            continue;
                        throw new InvalidOperationException(
                            $"Two MLNetExt components use the id '{entry.Format.Id}': {existing.Type.FullName} (assembly " +
                            $"{existing.Type.Assembly.GetName().Name}) and {entry.Type.FullName} (assembly {entry.Type.Assembly.GetName().Name}, " +
                            $"registered as {assemblyName}). A component id must be unique across all MLNetExt packages.");
                    }
                    entries.Add(entry.Format.Id, entry);
                }
                _entries = entries;
            }
            return true;
        }

        private static Entry MakeEntry(Type type, string assemblyName)
        {
            string? factory = Implements(type, typeof(IPersistentComponent<>)) ? nameof(MakeComponentEntry)
                : typeof(IComponentLoader).IsAssignableFrom(type) ? nameof(MakeLoaderEntry)
                : null;
            if (factory is null)
            {
                throw new InvalidOperationException(
                    $"Assembly {assemblyName} lists {type.FullName} with [assembly: PersistentComponent], but it does not implement " +
                    $"IPersistentComponent<{type.Name}> (or IComponentLoader).");
            }
            var make = typeof(Table).GetMethod(factory, BindingFlags.NonPublic | BindingFlags.Static)!;
            return (Entry)make.MakeGenericMethod(type).Invoke(null, null)!;
        }

        private static Entry MakeSection(Type type)
        {
            var make = typeof(Table).GetMethod(nameof(MakeSectionEntry), BindingFlags.NonPublic | BindingFlags.Static)!;
            return (Entry)make.MakeGenericMethod(type).Invoke(null, null)!;
        }

        private static Entry MakeComponentEntry<T>() where T : IPersistentComponent<T>
            => new(T.Format, typeof(T), (env, reader) => T.LoadState(env, reader), null);

        private static Entry MakeLoaderEntry<T>() where T : IComponentLoader
            => new(T.Format, typeof(T), (env, reader) => T.Load(env, reader), null);

        private static Entry MakeSectionEntry<T>() where T : IPersistentSection<T>
            => new(T.Format, typeof(T), null, reader => reader.ReadSection<T>());

        private sealed record Entry(ComponentFormat Format, Type Type, Func<IHostEnvironment, ModelStateReader, ITransformer>? Load,
            Func<ModelStateReader, object>? LoadSection);
    }
}
