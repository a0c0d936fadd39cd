using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Training;

namespace MLNetExt.TorchSharp.Pruning;

/// <summary>The type of label the difficulty scorer was fitted on (saved with the model).</summary>
internal enum LabelKind
{
    /// <summary>Boolean: class 0 = false, 1 = true.</summary>
    Boolean = 0,

    /// <summary>A key: class c = key value c + 1; key value 0 is a missing label.</summary>
    Key = 1,

    /// <summary>Whole numbers 0..K-1; NaN is a missing label.</summary>
    Number = 2,
}

/// <summary>Reads a row's class from the label column, the way the scorer was fitted: -1 for a missing label.</summary>
internal static class LabelBinding
{
    public const string Expected = "Boolean, a key type, or a numeric scalar holding class indices";

    /// <summary>The kind of a label column, or a schema error naming it.</summary>
    public static LabelKind KindOf(DataViewSchema schema, string columnName)
    {
        var column = SchemaChecks.Find(schema, columnName, "label");
        return column.Type switch
        {
            BooleanDataViewType => LabelKind.Boolean,
            KeyDataViewType => LabelKind.Key,
            NumberDataViewType => LabelKind.Number,
            _ => throw SchemaChecks.Mismatch("label", columnName, Expected, column.Type),
        };
    }

    /// <summary>Checks that <paramref name="column"/> can be read as the fitted <paramref name="kind"/> with <paramref name="classCount"/> classes.</summary>
    public static void Check(DataViewSchema.Column column, LabelKind kind, int classCount)
    {
        bool ok = kind switch
        {
            LabelKind.Boolean => column.Type is BooleanDataViewType,
            LabelKind.Key => column.Type is KeyDataViewType key && key.Count == (ulong)classCount,
            _ => column.Type is NumberDataViewType,
        };
        if (!ok)
        {
            string expected = kind switch
            {
                LabelKind.Boolean => "Boolean (the type the scorer was fitted on)",
                LabelKind.Key => $"a key type with {classCount} values (the classes the scorer was fitted on)",
                _ => $"a numeric scalar holding class indices 0..{classCount - 1} (the type the scorer was fitted on)",
            };
            throw SchemaChecks.Mismatch("label", column.Name, expected, column.Type);
        }
    }

    /// <summary>
    /// A function giving the current row's class: 0..K-1, or -1 when the label is missing (key value 0, NaN). A number
    /// that is not a class index is an error naming the column, the row and the value.
    /// </summary>
    public static Func<int> Create(DataViewRow row, DataViewSchema.Column column, LabelKind kind, int classCount)
    {
        if (kind == LabelKind.Boolean)
        {
            var getter = row.GetGetter<bool>(column);
            bool value = false;
            return () =>
            {
                getter(ref value);
                return value ? 1 : 0;
            };
        }
        var numeric = NumericGetters.Create(row, column);
        if (kind == LabelKind.Key)
        {
            string keyName = column.Name;
            return () =>
            {
                double raw = numeric();
                if (raw > classCount)
                    throw new InvalidOperationException($"Label column '{keyName}' has key value {raw} at row {row.Position}, above its key count {classCount}.");
                return raw == 0 ? -1 : (int)(raw - 1);
            };
        }
        string name = column.Name;
        return () =>
        {
            double raw = numeric();
            if (double.IsNaN(raw))
                return -1;
            if (!(raw >= 0 && raw < classCount && raw == Math.Floor(raw)))
            {
                throw new InvalidOperationException(
                    $"Label column '{name}' has {raw.ToString("R", CultureInfo.InvariantCulture)} at row {row.Position}; " +
                    $"{ExampleDifficultyEstimator.ComponentName} expects a class index in 0..{classCount - 1} or NaN (no label).");
            }
            return (int)raw;
        };
    }

    /// <summary>Names of the classes for reports: the key values' text, False/True, or the class numbers.</summary>
    public static string[] ClassNames(DataViewSchema.Column label, LabelKind kind, int classCount)
    {
        if (kind == LabelKind.Boolean)
            return ["False", "True"];
        if (kind == LabelKind.Key && LabelKeyValues.FromColumn(label) is { } values && values.Count == classCount)
            return values.Names;
        return Enumerable.Range(kind == LabelKind.Key ? 1 : 0, classCount).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
    }
}
