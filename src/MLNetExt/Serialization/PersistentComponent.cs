using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetExt.Serialization;

/// <summary>
/// The identity and version range of a component's saved state.
/// </summary>
/// <param name="Id">A stable, unique name ("MLNetExt.TemperatureScaling"). Never reuse or rename one.</param>
/// <param name="CurrentVersion">The version this build writes. Increment it whenever the state's layout changes.</param>
/// <param name="OldestReadableVersion">The oldest version this build still reads.</param>
internal sealed record ComponentFormat(string Id, int CurrentVersion, int OldestReadableVersion = 1);

/// <summary>A transformer whose learned state <see cref="ModelPersistence"/> saves.</summary>
internal interface IPersistentComponent : ITransformer
{
    /// <summary>The format of this component (the same object as <see cref="IPersistentComponent{TSelf}.Format"/>).</summary>
    ComponentFormat PersistedFormat { get; }

    /// <summary>Writes the learned state and the column bindings, in the current format version.</summary>
    void SaveState(ModelStateWriter writer);
}

/// <summary>
/// A transformer that <see cref="ModelPersistence"/> can save and load. Implementations are listed with
/// <see cref="PersistentComponentAttribute"/> on their assembly.
/// </summary>
internal interface IPersistentComponent<TSelf> : IPersistentComponent where TSelf : IPersistentComponent<TSelf>
{
    /// <summary>The component's identity and versions.</summary>
    static abstract ComponentFormat Format { get; }

    /// <summary>Rebuilds the component from state of any readable version (<see cref="ModelStateReader.FormatVersion"/>).</summary>
    static abstract TSelf LoadState(IHostEnvironment env, ModelStateReader reader);
}

/// <summary>
/// The loader of components whose .NET type depends on their state: a generic transformer over a model type (for
/// example <c>RankingModelTransformer&lt;TModel&gt;</c>) has one id and one loader for every TModel, and the loader
/// reads which model the state holds. Listed with <see cref="PersistentComponentAttribute"/> like a component; the
/// components it loads report its <see cref="Format"/> as their <see cref="IPersistentComponent.PersistedFormat"/>.
/// </summary>
internal interface IComponentLoader
{
    /// <summary>The identity and versions of the components this loader reads.</summary>
    static abstract ComponentFormat Format { get; }

    /// <summary>Rebuilds a component from state of any readable version.</summary>
    static abstract ITransformer Load(IHostEnvironment env, ModelStateReader reader);
}

/// <summary>
/// Lists a persistent component of this assembly (an <see cref="IPersistentComponent{TSelf}"/> or an
/// <see cref="IComponentLoader"/>) so that <see cref="ModelPersistence"/> can load it. Model-parameter section types
/// (<see cref="IPersistentSection{TSelf}"/>) need no attribute: the registry finds them by their interface.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class PersistentComponentAttribute : Attribute
{
    public PersistentComponentAttribute(Type componentType) => ComponentType = componentType;

    public Type ComponentType { get; }
}

/// <summary>
/// Learned state that is saved as a versioned section of its own: model parameters (a tree ensemble, a weight
/// table) that a transformer writes with <see cref="ModelStateWriter.WriteSection(IPersistentSection)"/> after its
/// column binding, and that can also be saved alone to a stream with <see cref="ModelPersistence.SaveSection"/>.
/// Its format version is independent of the version of any transformer that holds it.
/// </summary>
internal interface IPersistentSection
{
    /// <summary>The section's identity and versions (the same object as <see cref="IPersistentSection{TSelf}.Format"/>).</summary>
    ComponentFormat SectionFormat { get; }

    /// <summary>Writes the section's content in its current format version.</summary>
    void Save(ModelStateWriter writer);
}

/// <summary>A section that can be read back by its type (<see cref="ModelStateReader.ReadSection{T}()"/>, <see cref="ModelPersistence.LoadSection{T}(Stream)"/>).</summary>
internal interface IPersistentSection<TSelf> : IPersistentSection where TSelf : IPersistentSection<TSelf>
{
    /// <summary>The section's identity and versions.</summary>
    static abstract ComponentFormat Format { get; }

    /// <summary>Rebuilds the object from a section of any readable version (<see cref="ModelStateReader.FormatVersion"/>).</summary>
    static abstract TSelf Load(ModelStateReader reader);
}
