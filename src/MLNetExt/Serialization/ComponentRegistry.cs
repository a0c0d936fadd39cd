using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetExt.Serialization;

/// <summary>
/// Finds the loader of a saved component by its id. The ids of an assembly are read from its
/// <see cref="PersistentComponentAttribute"/>s the first time a model names that assembly. Only assemblies named
/// MLNetExt or MLNetExt.* are consulted, so a model file cannot make this code load an arbitrary assembly.
/// </summary>
internal static class ComponentRegistry
{
    private delegate ITransformer Loader(IHostEnvironment env, ModelStateReader reader);

    private sealed record Entry(ComponentFormat Format, Loader Load);

    private static readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, bool> _scannedAssemblies = new(StringComparer.Ordinal);

    /// <summary>The format of component <paramref name="id"/> saved by assembly <paramref name="assemblyName"/>.</summary>
    public static bool TryFind(string id, string assemblyName, out ComponentFormat format,
        out Func<IHostEnvironment, ModelStateReader, ITransformer> load)
    {
        if (!_entries.ContainsKey(id))
            Scan(assemblyName);
        if (_entries.TryGetValue(id, out var entry))
        {
            format = entry.Format;
            load = (env, reader) => entry.Load(env, reader);
            return true;
        }
        format = null!;
        load = null!;
        return false;
    }

    private static void Scan(string assemblyName)
    {
        if (!IsMLNetExtAssembly(assemblyName) || _scannedAssemblies.ContainsKey(assemblyName))
            return;
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
        Register(assembly);
    }

    private static void Register(Assembly assembly)
    {
        string name = assembly.GetName().Name!;
        if (!_scannedAssemblies.TryAdd(name, true))
            return;
        var make = typeof(ComponentRegistry).GetMethod(nameof(MakeEntry), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var attribute in assembly.GetCustomAttributes<PersistentComponentAttribute>())
        {
            var entry = (Entry)make.MakeGenericMethod(attribute.ComponentType).Invoke(null, null)!;
            if (!_entries.TryAdd(entry.Format.Id, entry) && _entries[entry.Format.Id].Format != entry.Format)
                throw new InvalidOperationException($"Two MLNetExt components use the id '{entry.Format.Id}'.");
        }
    }

    private static Entry MakeEntry<T>() where T : IPersistentComponent<T>
        => new(T.Format, (env, reader) => T.LoadState(env, reader));

    private static bool IsMLNetExtAssembly(string name)
        => name == "MLNetExt" || name.StartsWith("MLNetExt.", StringComparison.Ordinal);
}
