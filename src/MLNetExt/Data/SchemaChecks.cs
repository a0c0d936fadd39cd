using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>
/// Column lookups and type checks with ML.NET's wording: "Could not find label column 'Label'",
/// "Schema mismatch for label column 'Label': expected Boolean, got Single". Both throw
/// <see cref="ArgumentOutOfRangeException"/>, as ML.NET's <c>ExceptSchemaMismatch</c> does.
/// </summary>
internal static class SchemaChecks
{
    /// <summary>Finds a column by name (the last one with that name, as ML.NET does) or throws naming its role.</summary>
    public static DataViewSchema.Column Find(DataViewSchema schema, string columnName, string role)
    {
        var column = schema.GetColumnOrNull(columnName);
        if (column is null)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find {role} column '{columnName}'.");
        return column.Value;
    }

    /// <summary>Finds a column in an estimator's input shape or throws naming its role.</summary>
    public static SchemaShape.Column Find(SchemaShape shape, string columnName, string role)
    {
        foreach (var column in shape)
        {
            if (column.Name == columnName)
                return column;
        }
        throw new ArgumentOutOfRangeException(nameof(shape), $"Could not find {role} column '{columnName}'.");
    }

    /// <summary>Finds a column (or annotation) by name in a shape; false when there is none.</summary>
    public static bool TryFind(SchemaShape shape, string columnName, out SchemaShape.Column column)
    {
        foreach (var c in shape)
        {
            if (c.Name == columnName)
            {
                column = c;
                return true;
            }
        }
        column = default;
        return false;
    }

    /// <summary>The exception for a column of the wrong type.</summary>
    public static ArgumentOutOfRangeException Mismatch(string role, string columnName, string expected, DataViewType actual)
        => Mismatch(role, columnName, expected, Describe(actual));

    /// <summary>The exception for a column of the wrong type, with the found type already described.</summary>
    public static ArgumentOutOfRangeException Mismatch(string role, string columnName, string expected, string actual)
        => new("schema", $"Schema mismatch for {role} column '{columnName}': expected {expected}, got {actual}.");

    /// <summary>ML.NET-style type names: "Single", "Vector&lt;Single, 10&gt;", "Vector&lt;Single&gt;", "Key&lt;UInt32, 0-6&gt;".</summary>
    public static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType v when v.IsKnownSize => $"Vector<{Describe(v.ItemType)}, {v.Size}>",
        VectorDataViewType v => $"Vector<{Describe(v.ItemType)}>",
        KeyDataViewType k => $"Key<{k.RawType.Name}, 0-{k.Count - 1}>",
        _ => type.RawType.Name,
    };

    /// <summary>Describes an estimator-time column shape for messages.</summary>
    public static string Describe(SchemaShape.Column column)
    {
        string item = column.IsKey ? $"Key<{column.ItemType.RawType.Name}>" : column.ItemType.RawType.Name;
        return column.Kind switch
        {
            SchemaShape.Column.VectorKind.Vector => $"Vector<{item}, known size>",
            SchemaShape.Column.VectorKind.VariableVector => $"Vector<{item}>",
            _ => item,
        };
    }

    /// <summary>Whether a type is one of the numeric scalar types MLNetExt reads as a number.</summary>
    public static bool IsNumericScalar(DataViewType type)
        => type is NumberDataViewType; // key types are not NumberDataViewType
}
