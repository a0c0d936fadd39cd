using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Serialization;

namespace MLNetExt;

/// <summary>
/// The base of MLNetExt's transformers that add columns row by row: <c>Transform</c> is lazy (nothing is computed
/// until a cursor reads a new column), <c>PredictionEngine</c> runs the same code row by row, and
/// <c>mlContext.Model.Save</c> / <c>Load</c> keep the learned state. Not meant to be derived from outside MLNetExt.
/// </summary>
public abstract class RowToRowTransformer : ITransformer
{
    private protected RowToRowTransformer()
    {
    }

    /// <summary>Always true: each row is mapped on its own.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The schema <see cref="Transform"/> produces from <paramref name="inputSchema"/>; checks the input columns.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
        => CreateMapper(Guard.NotNull(inputSchema, nameof(inputSchema))).OutputSchema;

    /// <summary>The row-to-row mapper that <c>PredictionEngine</c> and ML.NET's transformer chains use.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
        => new MappedRowToRowMapper(CreateMapper(Guard.NotNull(inputSchema, nameof(inputSchema))));

    /// <summary>The input with the new columns added, computed lazily.</summary>
    public IDataView Transform(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        return new MappedDataView(input, CreateMapper(input.Schema));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, (IPersistentComponent)this);

    /// <summary>The mapping bound to one input schema; throws a schema error naming a missing or mistyped column.</summary>
    private protected abstract RowMapper CreateMapper(DataViewSchema inputSchema);
}
