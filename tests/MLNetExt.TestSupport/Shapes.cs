using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Interop;

namespace MLNetExt.Tests.Support;

/// <summary>An estimator input shape from a schema (ML.NET's own <c>SchemaShape.Create</c> is internal).</summary>
public static class Shapes
{
    public static SchemaShape From(DataViewSchema schema)
        => new(schema.Select(c => c.Type switch
        {
            VectorDataViewType v => MLNetBridge.MakeColumn(c.Name,
                v.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector,
                v.ItemType, v.ItemType is KeyDataViewType),
            _ => MLNetBridge.MakeColumn(c.Name, SchemaShape.Column.VectorKind.Scalar, c.Type, c.Type is KeyDataViewType),
        }));
}
