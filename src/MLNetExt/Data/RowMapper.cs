using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>
/// What a transformer adds to each row, bound to one input schema: the new columns, which input columns they need,
/// and per-cursor getters. <see cref="MappedDataView"/> (for <c>Transform</c>) and <see cref="MappedRowToRowMapper"/>
/// (for <c>PredictionEngine</c>) both run on it, so batch and row-by-row results come from the same code.
/// New columns are appended after the input's; one with the name of an input column hides it, as in ML.NET.
/// </summary>
internal abstract class RowMapper
{
    private DataViewSchema? _outputSchema;

    private protected RowMapper(DataViewSchema inputSchema) => InputSchema = Guard.NotNull(inputSchema, nameof(inputSchema));

    /// <summary>The schema this mapper was bound to.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>The input columns followed by the new ones.</summary>
    public DataViewSchema OutputSchema => _outputSchema ??= BuildOutputSchema();

    /// <summary>The columns this mapper adds, in order.</summary>
    public abstract IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>Input columns that the active new columns are computed from.</summary>
    /// <param name="isOutputActive">Whether new column <c>i</c> (0-based among <see cref="OutputColumns"/>) is needed.</param>
    public abstract IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive);

    /// <summary>
    /// Getters for the active new columns over <paramref name="input"/> (null for inactive ones). Called once per
    /// cursor or row: buffers belong in the getters' closures, not in the per-row call.
    /// </summary>
    public abstract Delegate?[] CreateGetters(DataViewRow input, Func<int, bool> isOutputActive);

    /// <summary>A column of another schema, whose index is not in this one, is an error that says so.</summary>
    internal static void CheckIndex(DataViewSchema.Column column, int count)
    {
        if ((uint)column.Index >= (uint)count)
        {
            throw new ArgumentOutOfRangeException(nameof(column),
                $"Column '{column.Name}' has index {column.Index}, but this row's schema has {count} columns (0..{count - 1}): the column belongs to another schema.");
        }
    }

    private DataViewSchema BuildOutputSchema()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(InputSchema);
        foreach (var column in OutputColumns)
            builder.AddColumn(column.Name, column.Type, column.Annotations);
        return builder.ToSchema();
    }

    /// <summary>Splits the columns a consumer asks for into the input columns to activate and the active outputs.</summary>
    internal (DataViewSchema.Column[] Input, bool[] ActiveOutputs) Plan(IEnumerable<DataViewSchema.Column> requested)
    {
        int inputCount = InputSchema.Count;
        var activeOutputs = new bool[OutputColumns.Count];
        var input = new HashSet<int>();
        foreach (var column in requested)
        {
            CheckIndex(column, inputCount + activeOutputs.Length);
            if (column.Index < inputCount)
                input.Add(column.Index);
            else
                activeOutputs[column.Index - inputCount] = true;
        }
        foreach (var dependency in GetDependencies(i => activeOutputs[i]))
            input.Add(dependency.Index);
        return (input.OrderBy(i => i).Select(i => InputSchema[i]).ToArray(), activeOutputs);
    }
}

/// <summary>The lazy result of a transformer's <c>Transform</c>: nothing is computed until a cursor asks for it.</summary>
internal sealed class MappedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly RowMapper _mapper;

    public MappedDataView(IDataView input, RowMapper mapper)
    {
        _input = Guard.NotNull(input, nameof(input));
        _mapper = Guard.NotNull(mapper, nameof(mapper));
    }

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema => _mapper.OutputSchema;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (input, active) = _mapper.Plan(columnsNeeded);
        return new MappedCursor(_mapper, _input.GetRowCursor(input, rand), active);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (input, active) = _mapper.Plan(columnsNeeded);
        var cursors = _input.GetRowCursorSet(input, n, rand);
        var mapped = new DataViewRowCursor[cursors.Length];
        for (int i = 0; i < cursors.Length; i++)
            mapped[i] = new MappedCursor(_mapper, cursors[i], active);
        return mapped;
    }
}

/// <summary>What <c>PredictionEngine</c> and ML.NET's chain of row mappers call for one row at a time.</summary>
internal sealed class MappedRowToRowMapper : IRowToRowMapper
{
    private readonly RowMapper _mapper;

    public MappedRowToRowMapper(RowMapper mapper) => _mapper = Guard.NotNull(mapper, nameof(mapper));

    public DataViewSchema InputSchema => _mapper.InputSchema;

    public DataViewSchema OutputSchema => _mapper.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        => _mapper.Plan(dependingColumns).Input;

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        Guard.NotNull(input, nameof(input));
        if (input.Schema != InputSchema)
            throw new ArgumentException("The row's schema is not the schema this mapper was created for.", nameof(input));
        var (_, active) = _mapper.Plan(activeColumns);
        return new MappedRow(_mapper, input, active);
    }
}

/// <summary>Column access shared by <see cref="MappedCursor"/> and <see cref="MappedRow"/>.</summary>
internal readonly struct MappedColumns
{
    private readonly RowMapper _mapper;
    private readonly DataViewRow _input;
    private readonly Delegate?[] _getters;

    public MappedColumns(RowMapper mapper, DataViewRow input, bool[] activeOutputs)
    {
        _mapper = mapper;
        _input = input;
        _getters = mapper.CreateGetters(input, i => activeOutputs[i]);
    }

    public bool IsColumnActive(DataViewSchema.Column column)
    {
        int inputCount = _mapper.InputSchema.Count;
        RowMapper.CheckIndex(column, inputCount + _getters.Length);
        return column.Index < inputCount
            ? _input.IsColumnActive(_mapper.InputSchema[column.Index])
            : _getters[column.Index - inputCount] is not null;
    }

    public ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        int inputCount = _mapper.InputSchema.Count;
        RowMapper.CheckIndex(column, inputCount + _getters.Length);
        if (column.Index < inputCount)
            return _input.GetGetter<TValue>(_mapper.InputSchema[column.Index]);
        var getter = _getters[column.Index - inputCount]
            ?? throw new InvalidOperationException($"Column '{column.Name}' was not requested, so it is not active.");
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException(
                $"Column '{column.Name}' is {SchemaChecks.Describe(column.Type)}, read as {TypeName(getter.GetType().GenericTypeArguments[0])}; " +
                $"a getter of {TypeName(typeof(TValue))} was asked for.");
    }

    /// <summary>A .NET type with its type arguments: "VBuffer&lt;Single&gt;", not "VBuffer`1".</summary>
    internal static string TypeName(Type type)
    {
        if (!type.IsGenericType)
            return type.Name;
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return $"{(tick < 0 ? name : name[..tick])}<{string.Join(", ", type.GenericTypeArguments.Select(TypeName))}>";
    }
}

/// <summary>A cursor over the input with the mapper's columns added.</summary>
internal sealed class MappedCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly MappedColumns _columns;
    private readonly DataViewSchema _schema;

    public MappedCursor(RowMapper mapper, DataViewRowCursor input, bool[] activeOutputs)
    {
        _input = input;
        _schema = mapper.OutputSchema;
        _columns = new MappedColumns(mapper, input, activeOutputs);
    }

    public override DataViewSchema Schema => _schema;

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override bool MoveNext() => _input.MoveNext();

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsColumnActive(column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _input.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>One input row with the mapper's columns added.</summary>
internal sealed class MappedRow : DataViewRow
{
    private readonly DataViewRow _input;
    private readonly MappedColumns _columns;
    private readonly DataViewSchema _schema;

    public MappedRow(RowMapper mapper, DataViewRow input, bool[] activeOutputs)
    {
        _input = input;
        _schema = mapper.OutputSchema;
        _columns = new MappedColumns(mapper, input, activeOutputs);
    }

    public override DataViewSchema Schema => _schema;

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsColumnActive(column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);
}
