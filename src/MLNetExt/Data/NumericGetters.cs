using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>Getters that read a numeric or key scalar of any raw type as a <see cref="double"/>.</summary>
internal static class NumericGetters
{
    /// <summary>
    /// A function returning the current row's value of <paramref name="column"/>. The delegate and its closure are
    /// created once per cursor; calling it allocates nothing.
    /// </summary>
    public static Func<double> Create(DataViewRow row, DataViewSchema.Column column)
    {
        Type raw = column.Type.RawType;
        if (raw == typeof(float)) return Wrap(row.GetGetter<float>(column), static v => v);
        if (raw == typeof(double)) return Wrap(row.GetGetter<double>(column), static v => v);
        if (raw == typeof(byte)) return Wrap(row.GetGetter<byte>(column), static v => v);
        if (raw == typeof(sbyte)) return Wrap(row.GetGetter<sbyte>(column), static v => v);
        if (raw == typeof(ushort)) return Wrap(row.GetGetter<ushort>(column), static v => v);
        if (raw == typeof(short)) return Wrap(row.GetGetter<short>(column), static v => v);
        if (raw == typeof(uint)) return Wrap(row.GetGetter<uint>(column), static v => v);
        if (raw == typeof(int)) return Wrap(row.GetGetter<int>(column), static v => v);
        if (raw == typeof(ulong)) return Wrap(row.GetGetter<ulong>(column), static v => v);
        if (raw == typeof(long)) return Wrap(row.GetGetter<long>(column), static v => v);
        throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' of type {SchemaChecks.Describe(column.Type)} is not numeric.");
    }

    private static Func<double> Wrap<T>(ValueGetter<T> getter, Func<T, double> convert)
    {
        T value = default!;
        return () =>
        {
            getter(ref value);
            return convert(value);
        };
    }
}
