using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Interop;

namespace MLNetExt.Tests.Support;

/// <summary>An estimator input shape from a schema (ML.NET's own <c>SchemaShape.Create</c> is internal).</summary>
public static class Shapes
{
    public static SchemaShape From(DataViewSchema schema)
        => new(schema.Where(c => !c.IsHidden).Select(c => c.Type switch
        {
            VectorDataViewType v => MLNetBridge.MakeColumn(c.Name,
                v.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector,
                ItemType(v.ItemType), v.ItemType is KeyDataViewType, Annotations(c)),
            _ => MLNetBridge.MakeColumn(c.Name, SchemaShape.Column.VectorKind.Scalar, ItemType(c.Type), c.Type is KeyDataViewType, Annotations(c)),
        }));

    // A shape names a key column by its raw type (ML.NET's SchemaShape.Create does the same).
    private static DataViewType ItemType(DataViewType type) => type is KeyDataViewType key
        ? key.RawType == typeof(uint) ? NumberDataViewType.UInt32
        : key.RawType == typeof(ulong) ? NumberDataViewType.UInt64
        : key.RawType == typeof(ushort) ? NumberDataViewType.UInt16
        : NumberDataViewType.Byte
        : type;

    private static SchemaShape Annotations(DataViewSchema.Column column)
        => new(column.Annotations.Schema.Select(a => MLNetBridge.MakeColumn(a.Name,
            a.Type is VectorDataViewType v ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.Scalar,
            ItemType(a.Type is VectorDataViewType vv ? vv.ItemType : a.Type), (a.Type is VectorDataViewType vk ? vk.ItemType : a.Type) is KeyDataViewType)));
}
