using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Serialization;

[assembly: PersistentComponent(typeof(MLNetExt.TorchSharp.Pruning.ExampleDifficultyTransformer))]

namespace MLNetExt.TorchSharp.Pruning;

/// <summary>A row that may be mislabelled: one entry of <see cref="ExampleDifficultyTransformer.FindLabelNoise"/>.</summary>
/// <param name="Row">The row's 0-based position in the data that was searched.</param>
/// <param name="Label">The row's class (0-based: key value - 1, or 0/1 for false/true).</param>
/// <param name="LabelName">The class's name (the label's key value, False/True, or the class number).</param>
/// <param name="PredictedLabel">The class the proxies find most likely (their class probabilities averaged over runs).</param>
/// <param name="PredictedLabelName">That class's name.</param>
/// <param name="LabelProbability">The proxies' average probability of the row's own label.</param>
/// <param name="PredictedProbability">The proxies' average probability of the predicted class.</param>
/// <param name="El2n">The row's EL2N.</param>
/// <param name="GraNd">The row's GraNd.</param>
public sealed record LabelNoiseCandidate(long Row, int Label, string LabelName, int PredictedLabel, string PredictedLabelName,
    double LabelProbability, double PredictedProbability, float El2n, float GraNd);

/// <summary>What a fit found on its own training data (kept in memory only; not saved with the model).</summary>
internal sealed class ExampleDifficultyTrainingResult
{
    private readonly WeakReference<IDataView> _trainingData;

    public ExampleDifficultyTrainingResult(float[] el2n, float[] graNd, BitArray? selection, IDataView trainingData)
    {
        El2n = el2n;
        GraNd = graNd;
        Selection = selection;
        _trainingData = new WeakReference<IDataView>(trainingData);
    }

    public float[] El2n { get; }

    public float[] GraNd { get; }

    /// <summary>The rows the estimator's pruning option keeps; null without it.</summary>
    public BitArray? Selection { get; }

    /// <summary>Whether <paramref name="data"/> is the very view the estimator was fitted on.</summary>
    public bool IsTrainingData(IDataView data) => _trainingData.TryGetTarget(out var target) && ReferenceEquals(target, data);
}

/// <summary>
/// The fitted difficulty scorer of <see cref="ExampleDifficultyEstimator"/>: appends <c>EL2N</c> and <c>GraNd</c> to
/// every row that has a label, computed with the saved proxies (NaN when the row's label is missing).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Data without the label column passes through unchanged (no columns added), so a pipeline holding this
/// transformer still applies to unlabelled inference data.</item>
/// <item>With the estimator's <c>Pruning</c> option, <c>Transform</c> of the exact <c>IDataView</c> the estimator was
/// fitted on returns only the selected rows (this is how an <c>EstimatorChain</c> trains the next estimator on the
/// pruned data); any other input, a reloaded model's input, and <c>PredictionEngine</c> rows are never removed.</item>
/// <item>Scores are computed row by row in C#, lazily, and are thread-safe; <c>PredictionEngine</c> works.</item>
/// <item><c>mlContext.Model.Save</c> / <c>Load</c> keep the proxies; the training scores and the selection are not saved.</item>
/// </list>
/// </remarks>
public sealed class ExampleDifficultyTransformer : ITransformer, IPersistentComponent<ExampleDifficultyTransformer>
{
    private readonly LabelKind _labelKind;
    private readonly string[] _classNames;
    private readonly ExampleDifficultyTrainingResult? _training;

    internal ExampleDifficultyTransformer(ExampleDifficultyModelParameters model, string labelColumnName, string featureColumnName,
        string el2nColumnName, string graNdColumnName, LabelKind labelKind, string[] classNames, ExampleDifficultyTrainingResult? training)
    {
        Model = Guard.NotNull(model, nameof(model));
        LabelColumnName = Guard.ColumnName(labelColumnName, nameof(labelColumnName));
        FeatureColumnName = Guard.ColumnName(featureColumnName, nameof(featureColumnName));
        El2nColumnName = Guard.ColumnName(el2nColumnName, nameof(el2nColumnName));
        GraNdColumnName = Guard.ColumnName(graNdColumnName, nameof(graNdColumnName));
        Guard.Argument(classNames.Length == model.ClassCount, nameof(classNames), $"{classNames.Length} class names were given for {model.ClassCount} classes.");
        _labelKind = labelKind;
        _classNames = classNames;
        _training = training;
    }

    /// <summary>The proxies.</summary>
    public ExampleDifficultyModelParameters Model { get; }

    /// <summary>The label column read to score a row.</summary>
    public string LabelColumnName { get; }

    /// <summary>The feature column the proxies read.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The EL2N output column.</summary>
    public string El2nColumnName { get; }

    /// <summary>The GraNd output column.</summary>
    public string GraNdColumnName { get; }

    /// <summary>The class names, by 0-based class (key values, False/True, or numbers).</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>EL2N of each training row, in the training data's order (null for a loaded model).</summary>
    public IReadOnlyList<float>? TrainingEl2n => _training?.El2n;

    /// <summary>GraNd of each training row, in the training data's order (null for a loaded model).</summary>
    public IReadOnlyList<float>? TrainingGraNd => _training?.GraNd;

    /// <summary>The 0-based training rows the estimator's <c>Pruning</c> option keeps, ascending (null without it, or for a loaded model).</summary>
    public IReadOnlyList<int>? KeptTrainingRows
    {
        get
        {
            if (_training?.Selection is not { } selection)
                return null;
            var kept = new List<int>();
            for (int i = 0; i < selection.Length; i++)
            {
                if (selection[i])
                    kept.Add(i);
            }
            return kept;
        }
    }

    /// <summary>True: each row is scored on its own.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The output schema: the input plus EL2N and GraNd, or the input unchanged when it has no label column.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => CreateMapper(Guard.NotNull(inputSchema, nameof(inputSchema))).OutputSchema;

    /// <summary>The row-to-row mapper (<c>PredictionEngine</c>): scores each row, never removes one.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
        => new MappedRowToRowMapper(CreateMapper(Guard.NotNull(inputSchema, nameof(inputSchema))));

    /// <summary>
    /// The input with EL2N and GraNd added (lazily); the input itself when it has no label column. Only the data the
    /// estimator was fitted on, with its <c>Pruning</c> option set, loses rows.
    /// </summary>
    public IDataView Transform(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        var mapper = CreateMapper(input.Schema);
        if (mapper is PassThrough)
            return input;
        IDataView scored = new MappedDataView(input, mapper);
        if (_training?.Selection is { } selection && _training.IsTrainingData(input))
            return new RowSelectionDataView(scored, selection);
        return scored;
    }

    /// <summary>
    /// The <paramref name="count"/> labelled rows of <paramref name="data"/> with the highest EL2N (ties by row order),
    /// the first candidates for mislabelled examples, with the class the proxies predict instead. Rows without a label
    /// are skipped.
    /// </summary>
    /// <param name="data">Data with the feature and label columns (typically the training data).</param>
    /// <param name="count">How many rows to return (fewer when the data has fewer labelled rows).</param>
    public IReadOnlyList<LabelNoiseCandidate> FindLabelNoise(IDataView data, int count = 20)
    {
        Guard.NotNull(data, nameof(data));
        Guard.Argument(count >= 0, nameof(count), $"The count must be >= 0; got {count}.");
        var (features, label) = Columns(data.Schema, required: true);
        int k = Model.ClassCount;
        var rows = new List<long>();
        var el2n = new List<float>();
        var graNd = new List<float>();
        var labels = new List<int>();
        var predicted = new List<int>();
        var labelProbability = new List<double>();
        var predictedProbability = new List<double>();
        using (var cursor = data.GetRowCursor([features, label!.Value]))
        {
            var readFeatures = FeatureReader(cursor, features);
            var readLabel = LabelBinding.Create(cursor, label.Value, _labelKind, k);
            var ws = Model.CreateWorkspace();
            long row = -1;
            while (cursor.MoveNext())
            {
                row++;
                int y = readLabel();
                if (y < 0)
                    continue;
                var (e, g) = Model.Score(readFeatures(), y, ws, meanProbabilities: true);
                int best = ProxyNetwork.ArgMax(ws.MeanProbabilities);
                rows.Add(row);
                el2n.Add((float)e);
                graNd.Add((float)g);
                labels.Add(y);
                predicted.Add(best);
                labelProbability.Add(ws.MeanProbabilities[y]);
                predictedProbability.Add(ws.MeanProbabilities[best]);
            }
        }
        var order = Enumerable.Range(0, rows.Count).ToArray();
        Array.Sort(order, (a, b) => el2n[a] != el2n[b] ? el2n[b].CompareTo(el2n[a]) : rows[a].CompareTo(rows[b]));
        return order.Take(count).Select(i => new LabelNoiseCandidate(rows[i], labels[i], _classNames[labels[i]], predicted[i], _classNames[predicted[i]],
            labelProbability[i], predictedProbability[i], el2n[i], graNd[i])).ToArray();
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, this);

    // Version 1: label, feature, EL2N and GraNd column names, label kind, class names, model section.
    private static readonly ComponentFormat Format = new("MLNetExt.TorchSharp.ExampleDifficultyTransformer", 1);

    static ComponentFormat IPersistentComponent<ExampleDifficultyTransformer>.Format => Format;

    ComponentFormat IPersistentComponent.PersistedFormat => Format;

    void IPersistentComponent.SaveState(ModelStateWriter writer)
    {
        writer.Write(LabelColumnName);
        writer.Write(FeatureColumnName);
        writer.Write(El2nColumnName);
        writer.Write(GraNdColumnName);
        writer.WriteEnum(_labelKind);
        writer.Write(_classNames);
        writer.WriteSection(Model);
    }

    static ExampleDifficultyTransformer IPersistentComponent<ExampleDifficultyTransformer>.LoadState(IHostEnvironment env, ModelStateReader reader)
    {
        string label = reader.ReadNonEmptyString("the label column name");
        string features = reader.ReadNonEmptyString("the feature column name");
        string el2n = reader.ReadNonEmptyString("the EL2N column name");
        string graNd = reader.ReadNonEmptyString("the GraNd column name");
        var kind = reader.ReadEnum<LabelKind>("the label kind");
        var names = reader.ReadStringArray("the class names");
        var model = reader.ReadSection<ExampleDifficultyModelParameters>();
        reader.Check(names.Length == model.ClassCount, $"there are {names.Length} class names for {model.ClassCount} classes");
        reader.Check(el2n != graNd, $"the EL2N and GraNd columns are both '{el2n}'");
        return new ExampleDifficultyTransformer(model, label, features, el2n, graNd, kind, names, null);
    }

    private RowMapper CreateMapper(DataViewSchema inputSchema)
    {
        var (features, label) = Columns(inputSchema, required: false);
        return label is null ? new PassThrough(inputSchema) : new Mapper(this, inputSchema, features, label.Value);
    }

    /// <summary>The checked feature column, and the checked label column (null when absent and not required).</summary>
    private (DataViewSchema.Column Features, DataViewSchema.Column? Label) Columns(DataViewSchema schema, bool required)
    {
        var labelColumn = schema.GetColumnOrNull(LabelColumnName);
        if (labelColumn is null)
        {
            if (required)
                SchemaChecks.Find(schema, LabelColumnName, "label");
            return (default, null);
        }
        LabelBinding.Check(labelColumn.Value, _labelKind, Model.ClassCount);
        var features = SchemaChecks.Find(schema, FeatureColumnName, "feature");
        if (features.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Size != Model.FeatureCount)
            throw SchemaChecks.Mismatch("feature", FeatureColumnName, $"Vector<Single, {Model.FeatureCount}> (the size the scorer was fitted on)", features.Type);
        return (features, labelColumn);
    }

    /// <summary>A function giving the current row's features, dense (a buffer reused for every row).</summary>
    private Func<float[]> FeatureReader(DataViewRow row, DataViewSchema.Column column)
    {
        var getter = row.GetGetter<VBuffer<float>>(column);
        var buffer = default(VBuffer<float>);
        var dense = new float[Model.FeatureCount];
        return () =>
        {
            getter(ref buffer);
            buffer.CopyTo(dense);
            return dense;
        };
    }

    /// <summary>Adds nothing: the input has no label column.</summary>
    private sealed class PassThrough(DataViewSchema inputSchema) : RowMapper(inputSchema)
    {
        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => [];

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive) => [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive) => [];
    }

    private sealed class Mapper : RowMapper
    {
        private readonly ExampleDifficultyTransformer _parent;
        private readonly DataViewSchema.Column _features;
        private readonly DataViewSchema.Column _label;
        private readonly DataViewSchema.DetachedColumn[] _outputs;

        public Mapper(ExampleDifficultyTransformer parent, DataViewSchema inputSchema, DataViewSchema.Column features, DataViewSchema.Column label)
            : base(inputSchema)
        {
            _parent = parent;
            _features = features;
            _label = label;
            _outputs =
            [
                new DataViewSchema.DetachedColumn(parent.El2nColumnName, NumberDataViewType.Single),
                new DataViewSchema.DetachedColumn(parent.GraNdColumnName, NumberDataViewType.Single),
            ];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive)
            => isOutputActive(0) || isOutputActive(1) ? [_features, _label] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive)
        {
            var getters = new Delegate?[2];
            if (!isOutputActive(0) && !isOutputActive(1))
                return getters;
            var parent = _parent;
            var model = parent.Model;
            var readFeatures = parent.FeatureReader(input, _features);
            var readLabel = LabelBinding.Create(input, _label, parent._labelKind, model.ClassCount);
            var ws = model.CreateWorkspace();
            long cached = -1;
            float el2n = float.NaN, graNd = float.NaN;
            void Evaluate()
            {
                if (input.Position == cached)
                    return;
                int y = readLabel();
                if (y < 0)
                {
                    (el2n, graNd) = (float.NaN, float.NaN);
                }
                else
                {
                    var (e, g) = model.Score(readFeatures(), y, ws);
                    (el2n, graNd) = ((float)e, (float)g);
                }
                cached = input.Position;
            }
            if (isOutputActive(0))
                getters[0] = (ValueGetter<float>)((ref float value) => { Evaluate(); value = el2n; });
            if (isOutputActive(1))
                getters[1] = (ValueGetter<float>)((ref float value) => { Evaluate(); value = graNd; });
            return getters;
        }
    }
}
