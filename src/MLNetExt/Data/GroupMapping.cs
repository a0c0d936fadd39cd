using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Serialization;

namespace MLNetExt.Data;

/// <summary>
/// What a transformer adds to each group (a contiguous run of rows with the same group id), bound to one input
/// schema: models that need every row of a group at once, such as listwise neural rankers whose score of one
/// document depends on the other documents of its query. The new columns are Single scalars, one value per row.
/// </summary>
internal abstract class GroupMapper
{
    private DataViewSchema? _outputSchema;

    private protected GroupMapper(DataViewSchema inputSchema, string groupColumnName)
    {
        InputSchema = Guard.NotNull(inputSchema, nameof(inputSchema));
        GroupColumn = SchemaChecks.Find(inputSchema, groupColumnName, "group");
        if (GroupColumn.Type is not KeyDataViewType && !SchemaChecks.IsNumericScalar(GroupColumn.Type))
            throw SchemaChecks.Mismatch("group", groupColumnName, "a key type or whole numbers", GroupColumn.Type);
    }

    /// <summary>The schema this mapper was bound to.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>The group column.</summary>
    public DataViewSchema.Column GroupColumn { get; }

    /// <summary>The input columns followed by the new ones.</summary>
    public DataViewSchema OutputSchema => _outputSchema ??= BuildOutputSchema();

    /// <summary>The new columns, in order; each holds Single values.</summary>
    public abstract IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>The input columns the new columns are computed from (the group column is added by the cursor).</summary>
    public abstract IEnumerable<DataViewSchema.Column> GetDependencies();

    /// <summary>A scorer for one cursor, reading its inputs from <paramref name="input"/> (the look-ahead row).</summary>
    public abstract GroupScorer CreateScorer(DataViewRow input);

    private DataViewSchema BuildOutputSchema()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(InputSchema);
        foreach (var column in OutputColumns)
            builder.AddColumn(column.Name, column.Type, column.Annotations);
        return builder.ToSchema();
    }
}

/// <summary>
/// Computes a group's new values for one cursor: <see cref="AddRow"/> is called once per row of the group while the
/// look-ahead row is positioned on it (read its inputs then), then <see cref="ScoreGroup"/> once, which fills one
/// value per row and output column.
/// </summary>
internal abstract class GroupScorer
{
    /// <summary>Reads the inputs of the current row of the group (row <paramref name="indexInGroup"/>).</summary>
    public abstract void AddRow(int indexInGroup);

    /// <summary>Computes the outputs of the <paramref name="rowCount"/> rows added: <c>outputs[column][row]</c>.</summary>
    public abstract void ScoreGroup(int rowCount, float[][] outputs);
}

/// <summary>
/// The base of MLNetExt's transformers that map whole groups: <c>Transform</c> is lazy and streams the input one
/// group at a time (memory proportional to the largest group, not to the data), reading the group's rows ahead with
/// a second cursor over the same input, then serving them row by row. The input's row order must be the same for
/// every cursor (it is for ML.NET's loaders and transforms without shuffling); each group's rows must be contiguous,
/// as for ranking trainers. There is no row-by-row form: <c>PredictionEngine</c> cannot score one row of a group
/// alone, so it is refused with a message saying to transform a view that holds the group's rows.
/// </summary>
public abstract class GroupMappingTransformer : ITransformer
{
    private protected GroupMappingTransformer()
    {
    }

    /// <summary>Always false: outputs of a row depend on the other rows of its group.</summary>
    public bool IsRowToRowMapper => false;

    /// <summary>The schema <see cref="Transform"/> produces; checks the input columns.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
        => CreateMapper(Guard.NotNull(inputSchema, nameof(inputSchema))).OutputSchema;

    /// <summary>Not available: a row cannot be scored without the rest of its group.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
        => throw new InvalidOperationException(
            $"{GetType().Name} scores whole groups (every row of a query together), so it cannot score one row at a time " +
            "and does not work with PredictionEngine. Put the rows of a group in an IDataView (for example " +
            "mlContext.Data.LoadFromEnumerable) and call Transform.");

    /// <summary>The input with the new columns added, computed lazily one group at a time.</summary>
    public IDataView Transform(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        return new GroupMappedDataView(input, CreateMapper(input.Schema));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, (IPersistentComponent)this);

    /// <summary>The mapping bound to one input schema; throws a schema error naming a missing or mistyped column.</summary>
    private protected abstract GroupMapper CreateMapper(DataViewSchema inputSchema);
}

/// <summary>The lazy result of a <see cref="GroupMappingTransformer"/>.</summary>
internal sealed class GroupMappedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly GroupMapper _mapper;

    public GroupMappedDataView(IDataView input, GroupMapper mapper)
    {
        _input = input;
        _mapper = mapper;
    }

    /// <summary>False: groups must be read in order.</summary>
    public bool CanShuffle => false;

    public DataViewSchema Schema => _mapper.OutputSchema;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int inputCount = _mapper.InputSchema.Count;
        var input = new List<DataViewSchema.Column>();
        bool anyOutput = false;
        foreach (var column in columnsNeeded)
        {
            if (column.Index < inputCount)
                input.Add(_mapper.InputSchema[column.Index]);
            else
                anyOutput = true;
        }
        var trail = _input.GetRowCursor(input);
        if (!anyOutput)
            return new GroupMappedCursor(_mapper, trail, lead: null);
        var leadColumns = _mapper.GetDependencies().Append(_mapper.GroupColumn).Distinct().ToArray();
        return new GroupMappedCursor(_mapper, trail, _input.GetRowCursor(leadColumns));
    }

    /// <summary>One cursor: groups cannot be split across cursors.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];
}

/// <summary>Serves rows from the trailing cursor and the group's outputs computed from the look-ahead cursor.</summary>
internal sealed class GroupMappedCursor : DataViewRowCursor
{
    private readonly GroupMapper _mapper;
    private readonly DataViewRowCursor _trail;
    private readonly DataViewRowCursor? _lead;
    private readonly GroupScorer? _scorer;
    private readonly Func<double>? _groupId;
    private readonly float[][] _outputs;
    private readonly HashSet<double> _seenGroups = [];
    private bool _leadHasRow;
    private bool _leadStarted;
    private int _groupSize;
    private int _indexInGroup;

    public GroupMappedCursor(GroupMapper mapper, DataViewRowCursor trail, DataViewRowCursor? lead)
    {
        _mapper = mapper;
        _trail = trail;
        _lead = lead;
        _outputs = new float[mapper.OutputColumns.Count][];
        for (int i = 0; i < _outputs.Length; i++)
            _outputs[i] = new float[16];
        if (lead is not null)
        {
            _scorer = mapper.CreateScorer(lead);
            _groupId = NumericGetters.Create(lead, mapper.GroupColumn);
        }
    }

    public override DataViewSchema Schema => _mapper.OutputSchema;

    public override long Position => _trail.Position;

    public override long Batch => 0;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _trail.GetIdGetter();

    public override bool MoveNext()
    {
        if (_lead is not null && ++_indexInGroup >= _groupSize && !ReadGroup())
            return false;
        bool moved = _trail.MoveNext();
        if (_lead is not null && !moved)
            throw new InvalidOperationException("The input returned fewer rows to a second cursor than to the first; a group mapping needs an input that gives every cursor the same rows in the same order.");
        return moved;
    }

    private bool ReadGroup()
    {
        var lead = _lead!;
        if (!_leadStarted)
        {
            _leadStarted = true;
            _leadHasRow = lead.MoveNext();
        }
        if (!_leadHasRow)
            return false;
        double id = _groupId!();
        if (!_seenGroups.Add(id))
        {
            throw new InvalidOperationException(
                $"Rows of group {id} in column '{_mapper.GroupColumn.Name}' are not contiguous: the group appears again at row " +
                $"{lead.Position}. Sort the data by '{_mapper.GroupColumn.Name}' (or keep each group's rows together) first.");
        }
        int n = 0;
        do
        {
            EnsureCapacity(n + 1);
            _scorer!.AddRow(n);
            n++;
            _leadHasRow = lead.MoveNext();
        }
        while (_leadHasRow && _groupId() == id);
        _scorer.ScoreGroup(n, _outputs);
        _groupSize = n;
        _indexInGroup = 0;
        return true;
    }

    private void EnsureCapacity(int rows)
    {
        if (_outputs.Length == 0 || _outputs[0].Length >= rows)
            return;
        for (int i = 0; i < _outputs.Length; i++)
            Array.Resize(ref _outputs[i], Math.Max(rows, 2 * _outputs[i].Length));
    }

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        int inputCount = _mapper.InputSchema.Count;
        return column.Index < inputCount ? _trail.IsColumnActive(_mapper.InputSchema[column.Index]) : _lead is not null;
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        int inputCount = _mapper.InputSchema.Count;
        if (column.Index < inputCount)
            return _trail.GetGetter<TValue>(_mapper.InputSchema[column.Index]);
        int output = column.Index - inputCount;
        if (output >= _outputs.Length)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column index {column.Index} is not in this cursor's schema ({Schema.Count} columns).");
        if (_lead is null)
            throw new InvalidOperationException($"Column '{column.Name}' was not requested, so it is not active.");
        if (typeof(TValue) != typeof(float))
            throw new InvalidOperationException($"Column '{column.Name}' holds Single values, not {typeof(TValue).Name}.");
        ValueGetter<float> getter = (ref float value) => value = _outputs[output][_indexInGroup];
        return (ValueGetter<TValue>)(Delegate)getter;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _trail.Dispose();
            _lead?.Dispose();
        }
        base.Dispose(disposing);
    }
}
