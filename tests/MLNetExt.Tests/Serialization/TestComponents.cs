using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Serialization;

// Test-only persistent components, listed like a package's components so that ML.NET's loader finds them in this
// assembly (named MLNetExt.Tests, an MLNetExt.* name) exactly as it finds the package's own.
[assembly: PersistentComponent(typeof(MLNetExt.Tests.Serialization.FloatStateTransformer))]
[assembly: PersistentComponent(typeof(MLNetExt.Tests.Serialization.ToyRankingTransformer))]

namespace MLNetExt.Tests.Serialization;

/// <summary>An identity transformer whose only job is to carry saved state through <c>mlContext.Model.Save/Load</c>.</summary>
internal abstract class StateOnlyTransformer : ITransformer
{
    /// <summary>False: nothing is mapped.</summary>
    public bool IsRowToRowMapper => false;

    /// <summary>The input schema, unchanged.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;

    /// <summary>Not supported: the transformer maps nothing.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();

    /// <summary>The input, unchanged.</summary>
    public IDataView Transform(IDataView input) => input;

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, (IPersistentComponent)this);
}

/// <summary>A large learned state: one float array (a weight blob), written and read in bulk.</summary>
internal sealed class FloatStateTransformer : StateOnlyTransformer, IPersistentComponent<FloatStateTransformer>
{
    private static readonly ComponentFormat Format = new("MLNetExt.Tests.FloatState", 1);

    internal FloatStateTransformer(float[] values) => Values = values;

    /// <summary>The state.</summary>
    public float[] Values { get; }

    static ComponentFormat IPersistentComponent<FloatStateTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    void IPersistentComponent.SaveState(ModelStateWriter writer) => writer.Write(Values);

    static FloatStateTransformer IPersistentComponent<FloatStateTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
        => new(reader.ReadSingleArray("the values"));
}

/// <summary>
/// The use case of sections: a prediction transformer writes its column binding, then its model parameters as a
/// section versioned independently of the transformer (format 1 here, while the parameters are at format 2).
/// </summary>
internal sealed class ToyRankingTransformer : StateOnlyTransformer, IPersistentComponent<ToyRankingTransformer>
{
    private static readonly ComponentFormat Format = new("MLNetExt.Tests.ToyRanking", 1);

    internal ToyRankingTransformer(string featureColumn, ToyEnsembleParameters model)
    {
        FeatureColumn = featureColumn;
        Model = model;
    }

    /// <summary>The column binding.</summary>
    public string FeatureColumn { get; }

    /// <summary>The model parameters.</summary>
    public ToyEnsembleParameters Model { get; }

    static ComponentFormat IPersistentComponent<ToyRankingTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        writer.Write(FeatureColumn);
        writer.WriteSection(Model);
    }

    static ToyRankingTransformer IPersistentComponent<ToyRankingTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        string column = reader.ReadNonEmptyString("the feature column");
        return new ToyRankingTransformer(column, reader.ReadSection<ToyEnsembleParameters>());
    }
}

/// <summary>
/// Model parameters saved as a section ("MLNetExt.Tests.ToyEnsemble"): per-tree split features, thresholds and leaf
/// values in flat arrays, as a tree ensemble stores them. Version 1 had no feature names; version 2 adds them.
/// </summary>
internal sealed class ToyEnsembleParameters : IPersistentSection<ToyEnsembleParameters>
{
    internal static readonly ComponentFormat Format = new("MLNetExt.Tests.ToyEnsemble", 2, OldestReadableVersion: 1);

    internal ToyEnsembleParameters(int[] features, float[] thresholds, double[] leaves, long[] counts, string[] featureNames)
    {
        Features = features;
        Thresholds = thresholds;
        Leaves = leaves;
        Counts = counts;
        FeatureNames = featureNames;
    }

    /// <summary>The split feature of each node.</summary>
    public int[] Features { get; }

    /// <summary>The threshold of each node.</summary>
    public float[] Thresholds { get; }

    /// <summary>The value of each leaf.</summary>
    public double[] Leaves { get; }

    /// <summary>The training examples per leaf.</summary>
    public long[] Counts { get; }

    /// <summary>The feature names (empty when read from version 1).</summary>
    public string[] FeatureNames { get; }

    /// <summary>The section version seen by the last <see cref="Load"/> (what <see cref="ModelStateReader.FormatVersion"/> said).</summary>
    internal int LoadedVersion { get; private init; }

    static ComponentFormat IPersistentSection<ToyEnsembleParameters>.Format => Format;

    ComponentFormat IPersistentSection.SectionFormat => Format;

    void IPersistentSection.Save(ModelStateWriter writer)
    {
        writer.Write(Features);
        writer.Write(Thresholds);
        writer.Write(Leaves);
        writer.Write(Counts);
        writer.Write(FeatureNames);
    }

    /// <summary>Writes version 1 (no feature names), as an older build did.</summary>
    internal void SaveVersion1(ModelStateWriter writer)
    {
        writer.Write(Features);
        writer.Write(Thresholds);
        writer.Write(Leaves);
        writer.Write(Counts);
    }

    static ToyEnsembleParameters IPersistentSection<ToyEnsembleParameters>.Load(ModelStateReader reader)
    {
        var features = reader.ReadInt32Array("the split features");
        var thresholds = reader.ReadSingleArray("the thresholds");
        reader.Check(thresholds.Length == features.Length, $"there are {features.Length} split features and {thresholds.Length} thresholds");
        var leaves = reader.ReadDoubleArray("the leaf values");
        var counts = new long[leaves.Length];
        reader.ReadInto(counts, "the leaf counts");
        var names = reader.FormatVersion >= 2 ? reader.ReadStringArray("the feature names") : [];
        return new ToyEnsembleParameters(features, thresholds, leaves, counts, names) { LoadedVersion = reader.FormatVersion };
    }

    internal static ToyEnsembleParameters Example(int nodes = 7)
    {
        var features = Enumerable.Range(0, nodes).Select(i => i % 3).ToArray();
        var thresholds = Enumerable.Range(0, nodes).Select(i => 0.25f * i - 1f).ToArray();
        var leaves = Enumerable.Range(0, nodes + 1).Select(i => Math.Sqrt(i) - 1.5).ToArray();
        var counts = Enumerable.Range(0, nodes + 1).Select(i => (long)i << 33).ToArray();
        return new ToyEnsembleParameters(features, thresholds, leaves, counts, ["f0", "f1", "größe"]);
    }
}

/// <summary>A section written by a delegate, to save state laid out by a test (damaged, newer, nested).</summary>
internal sealed class DelegateSection(ComponentFormat format, Action<ModelStateWriter> save) : IPersistentSection
{
    public ComponentFormat SectionFormat => format;

    public void Save(ModelStateWriter writer) => save(writer);
}

/// <summary>
/// A component with the id of one of the package's own ("MLNetExt.Calibration.TemperatureScaling"): a second
/// assembly that registered it would make the id ambiguous. Deliberately not listed with PersistentComponent; the
/// registry tests register it under a made-up assembly name.
/// </summary>
internal sealed class DuplicateIdTransformer : StateOnlyTransformer, IPersistentComponent<DuplicateIdTransformer>
{
    private static readonly ComponentFormat Format = new("MLNetExt.Calibration.TemperatureScaling", 1);

    static ComponentFormat IPersistentComponent<DuplicateIdTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
    }

    static DuplicateIdTransformer IPersistentComponent<DuplicateIdTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader) => new();
}
