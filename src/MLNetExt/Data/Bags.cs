using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Training;

namespace MLNetExt.Data;

/// <summary>
/// Bags of rows (learning from label proportions): which rows each bag holds and the bag's label proportion, read
/// from a data view by <see cref="BagColumns"/>. A bag's rows need not be contiguous. Proportions are stored per bag,
/// <see cref="Width"/> values each: one for binary data (the fraction of positive rows), one per class otherwise.
/// </summary>
internal sealed class BagTable
{
    internal BagTable(int rowCount, int[] offsets, int[] rows, int[] bagOfRow, string[] names, int width, double[] proportions, int[]? labels,
        string[]? classNames)
    {
        RowCount = rowCount;
        Offsets = offsets;
        Rows = rows;
        BagOfRow = bagOfRow;
        Names = names;
        Width = width;
        Proportions = proportions;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>The number of rows read.</summary>
    public int RowCount { get; }

    /// <summary>The number of bags.</summary>
    public int BagCount => Names.Length;

    /// <summary>Half-open offsets into <see cref="Rows"/>: bag b holds <c>Rows[Offsets[b] .. Offsets[b + 1]]</c>.</summary>
    public int[] Offsets { get; }

    /// <summary>Row indices grouped by bag, ascending within a bag.</summary>
    public int[] Rows { get; }

    /// <summary>The bag (index) of each row.</summary>
    public int[] BagOfRow { get; }

    /// <summary>Each bag's identifier as text (key values and numbers as digits), in order of first appearance.</summary>
    public string[] Names { get; }

    /// <summary>1 for binary proportions (the positive fraction), K for K classes.</summary>
    public int Width { get; }

    /// <summary>Whether the proportions are binary (one value per bag).</summary>
    public bool IsBinary => Width == 1;

    /// <summary>The classes: 2 for binary data, <see cref="Width"/> otherwise.</summary>
    public int ClassCount => IsBinary ? 2 : Width;

    /// <summary>Bag b's proportion is <c>Proportions[b * Width .. (b + 1) * Width]</c>; a multiclass one sums to 1.</summary>
    public double[] Proportions { get; }

    /// <summary>Instance labels when a label column was read (binary: 0 or 1; multiclass: the zero-based class); null otherwise.</summary>
    public int[]? Labels { get; }

    /// <summary>Class names (a proportion vector's slot names or the label's key values as text); null when there are none.</summary>
    public string[]? ClassNames { get; }

    /// <summary>The number of rows of bag <paramref name="bag"/>.</summary>
    public int Size(int bag) => Offsets[bag + 1] - Offsets[bag];

    /// <summary>The rows of bag <paramref name="bag"/>.</summary>
    public ReadOnlySpan<int> RowsOf(int bag) => Rows.AsSpan(Offsets[bag], Size(bag));

    /// <summary>The proportion of bag <paramref name="bag"/>.</summary>
    public ReadOnlySpan<double> Proportion(int bag) => Proportions.AsSpan(bag * Width, Width);

    /// <summary>The proportions its members' labels give bag <paramref name="bag"/> (needs <see cref="Labels"/>).</summary>
    public double[] LabelProportion(int bag)
    {
        var labels = Labels ?? throw new InvalidOperationException("No label column was read.");
        var result = new double[Width];
        var rows = RowsOf(bag);
        foreach (int row in rows)
        {
            if (IsBinary)
                result[0] += labels[row];
            else
                result[labels[row]] += 1;
        }
        for (int c = 0; c < Width; c++)
            result[c] /= rows.Length;
        return result;
    }

    /// <summary>"bag 'id' (rows 3, 17 and 40 more)" for messages.</summary>
    public string Describe(int bag)
    {
        var rows = RowsOf(bag);
        string list = rows.Length <= 3 ? string.Join(", ", rows.ToArray()) : $"{rows[0]}, {rows[1]}, {rows[2]} and {rows.Length - 3} more";
        return $"bag '{Names[bag]}' (rows {list})";
    }

    /// <summary>
    /// The size-weighted mean of the bags' proportions over <paramref name="bags"/> (all bags when null): the class
    /// prior EasyLLP needs, unbiased for random bags; with every row's label known it is the fraction of each class.
    /// </summary>
    public double[] WeightedMeanProportion(IReadOnlyList<int>? bags = null)
    {
        var sum = new double[Width];
        long rows = 0;
        int count = bags?.Count ?? BagCount;
        for (int i = 0; i < count; i++)
        {
            int b = bags is null ? i : bags[i];
            int k = Size(b);
            var alpha = Proportion(b);
            for (int c = 0; c < Width; c++)
                sum[c] += k * alpha[c];
            rows += k;
        }
        for (int c = 0; c < Width; c++)
            sum[c] /= rows;
        return sum;
    }
}

/// <summary>
/// Reads bags with a <see cref="DataViewColumnReader"/>, in the same pass as the reader's other columns: the bag id
/// (a key, whole numbers or text) and either a proportion column (binary: a number in [0, 1]; multiclass: a
/// known-size vector of numbers in [0, 1] summing to 1), or instance labels (binary: Boolean; multiclass: a key)
/// whose per-bag fractions become the proportions, or both (to compare them). <see cref="Build"/> groups the rows and
/// checks that every row of a bag carries the same proportion.
/// </summary>
internal sealed class BagColumns
{
    /// <summary>Rows of one bag may differ by this much in a proportion (text round trips of the same value).</summary>
    public const double AgreementTolerance = 1e-6;

    /// <summary>A multiclass proportion must sum to 1 within this (values rounded to 3 decimals still pass); it is then renormalised.</summary>
    public const double SumTolerance = 1e-3;

    private readonly DataViewColumnReader _reader;
    private readonly IdColumn? _numericIds;
    private readonly ValueColumn<ReadOnlyMemory<char>>? _textIds;
    private readonly ScalarColumn? _scalarProportions;
    private readonly VectorColumn? _vectorProportions;
    private readonly BooleanColumn? _booleanLabels;
    private readonly ClassLabelColumn? _classLabels;

    private BagColumns(DataViewColumnReader reader, string bagIdColumnName, string? proportionColumnName, string? labelColumnName, bool? binary)
    {
        _reader = reader;
        BagIdColumnName = bagIdColumnName;
        ProportionColumnName = proportionColumnName;
        var idType = SchemaChecks.Find(reader.Schema, bagIdColumnName, "bag id").Type;
        if (idType is TextDataViewType)
            _textIds = reader.AddColumn<ReadOnlyMemory<char>>(bagIdColumnName, "bag id");
        else if (idType is KeyDataViewType || SchemaChecks.IsNumericScalar(idType))
            _numericIds = reader.AddId(bagIdColumnName, "bag id");
        else
            throw SchemaChecks.Mismatch("bag id", bagIdColumnName, "a key type, whole numbers or text", idType);

        if (proportionColumnName is not null)
        {
            var type = SchemaChecks.Find(reader.Schema, proportionColumnName, "bag proportion").Type;
            bool isVector = type is VectorDataViewType;
            if (binary == true && isVector)
                throw SchemaChecks.Mismatch("bag proportion", proportionColumnName, "Single (the bag's fraction of positive rows)", type);
            if (binary == false && !isVector)
                throw SchemaChecks.Mismatch("bag proportion", proportionColumnName, "a known-size vector of Single (one proportion per class)", type);
            if (isVector)
            {
                _vectorProportions = reader.AddVector(proportionColumnName, "bag proportion", ValueRule.Probability);
                if (_vectorProportions.Size < 2)
                    throw SchemaChecks.Mismatch("bag proportion", proportionColumnName, "a vector of at least 2 class proportions", type);
                Width = _vectorProportions.Size;
                ClassNames = _vectorProportions.SlotNames;
            }
            else
            {
                _scalarProportions = reader.AddScalar(proportionColumnName, "bag proportion", ValueRule.Probability);
                Width = 1;
            }
        }
        if (labelColumnName is not null)
        {
            var column = SchemaChecks.Find(reader.Schema, labelColumnName, "label");
            bool isBinary = binary ?? (_vectorProportions is null && (_scalarProportions is not null || column.Type is BooleanDataViewType));
            if (isBinary)
            {
                if (column.Type is not BooleanDataViewType)
                    throw SchemaChecks.Mismatch("label", labelColumnName, "Boolean (binary instance labels)", column.Type);
                _booleanLabels = reader.AddBoolean(labelColumnName, "label");
                Width = 1;
            }
            else
            {
                if (column.Type is not KeyDataViewType)
                    throw SchemaChecks.Mismatch("label", labelColumnName, "a key type (multiclass instance labels; use MapValueToKey)", column.Type);
                _classLabels = reader.AddClassLabel(labelColumnName, "label", _vectorProportions?.Size);
                if (_classLabels.ClassCount < 2)
                    throw SchemaChecks.Mismatch("label", labelColumnName, "a key type with at least 2 values", column.Type);
                Width = _classLabels.ClassCount;
                ClassNames ??= LabelKeyValues.FromColumn(column)?.Names;
            }
        }
    }

    /// <summary>The bag id column's name.</summary>
    public string BagIdColumnName { get; }

    /// <summary>The proportion column's name (null when the proportions come from labels).</summary>
    public string? ProportionColumnName { get; }

    /// <summary>1 (binary) or the number of classes.</summary>
    public int Width { get; }

    /// <summary>Class names from the proportion column's slot names or the label's key values; null when neither has them.</summary>
    public string[]? ClassNames { get; }

    /// <summary>
    /// Adds the bag columns to <paramref name="reader"/>. Give a proportion column, a label column, or both;
    /// <paramref name="binary"/> says which kind the caller needs (null: whatever the columns' types say).
    /// </summary>
    public static BagColumns Add(DataViewColumnReader reader, string bagIdColumnName, string? proportionColumnName, string? labelColumnName, bool? binary)
    {
        Guard.Argument(proportionColumnName is not null || labelColumnName is not null, nameof(proportionColumnName),
            "Bags need a proportion column or a label column.");
        return new BagColumns(reader, bagIdColumnName, proportionColumnName, labelColumnName, binary);
    }

    /// <summary>Groups the rows read into bags and checks their proportions (after the reader's <c>Read</c>).</summary>
    public BagTable Build()
    {
        int n = _reader.RowCount;
        var bagOfRow = new int[n];
        var names = new List<string>();
        if (_textIds is not null)
        {
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var ids = _textIds.Values;
            for (int r = 0; r < n; r++)
            {
                string id = ids[r].ToString();
                if (id.Length == 0)
                    throw new InvalidOperationException($"Bag id column '{BagIdColumnName}' is empty at row {r}; {_reader.Component} needs every row in a named bag.");
                if (!index.TryGetValue(id, out int b))
                {
                    b = names.Count;
                    index.Add(id, b);
                    names.Add(id);
                }
                bagOfRow[r] = b;
            }
        }
        else
        {
            var index = new Dictionary<long, int>();
            var ids = _numericIds!.Values;
            for (int r = 0; r < n; r++)
            {
                if (!index.TryGetValue(ids[r], out int b))
                {
                    b = names.Count;
                    index.Add(ids[r], b);
                    names.Add(ids[r].ToString(CultureInfo.InvariantCulture));
                }
                bagOfRow[r] = b;
            }
        }

        int bags = names.Count;
        var offsets = new int[bags + 1];
        foreach (int b in bagOfRow)
            offsets[b + 1]++;
        for (int b = 0; b < bags; b++)
            offsets[b + 1] += offsets[b];
        var rows = new int[n];
        var fill = offsets[..^1].ToArray();
        for (int r = 0; r < n; r++)
            rows[fill[bagOfRow[r]]++] = r;

        int[]? labels = null;
        if (_booleanLabels is not null)
            labels = Array.ConvertAll(_booleanLabels.Values, v => v ? 1 : 0);
        else if (_classLabels is not null)
            labels = _classLabels.Values;

        int width = Width;
        var proportions = new double[bags * width];
        var table = new BagTable(n, offsets, rows, bagOfRow, names.ToArray(), width, proportions, labels, ClassNames);
        if (_scalarProportions is null && _vectorProportions is null)
        {
            for (int b = 0; b < bags; b++)
                table.LabelProportion(b).CopyTo(proportions, b * width);
            return table;
        }

        var first = new int[bags];
        Array.Fill(first, -1);
        var values = new double[width];
        for (int r = 0; r < n; r++)
        {
            RowProportion(r, values);
            int b = bagOfRow[r];
            if (first[b] < 0)
            {
                first[b] = r;
                values.CopyTo(proportions, b * width);
                continue;
            }
            for (int c = 0; c < width; c++)
            {
                double expected = proportions[b * width + c];
                if (Math.Abs(values[c] - expected) > AgreementTolerance)
                {
                    string slot = width == 1 ? "" : $" (class {c})";
                    throw new InvalidOperationException(
                        $"Bag '{names[b]}' has two proportions{slot}: {Format(expected)} at row {first[b]} and {Format(values[c])} at row {r}; " +
                        $"every row of a bag must carry the bag's proportion in column '{ProportionColumnName}'.");
                }
            }
        }
        return table;
    }

    private void RowProportion(int row, double[] values)
    {
        if (_scalarProportions is not null)
        {
            values[0] = _scalarProportions.Values[row];
            return;
        }
        var all = _vectorProportions!.Values;
        int width = values.Length;
        double sum = 0;
        for (int c = 0; c < width; c++)
            sum += values[c] = all[row * width + c];
        if (!(Math.Abs(sum - 1) <= SumTolerance))
        {
            throw new InvalidOperationException(
                $"Bag proportion column '{ProportionColumnName}' sums to {Format(sum)} at row {row}; {_reader.Component} expects the class " +
                $"proportions of a bag to sum to 1 (within {SumTolerance}).");
        }
        for (int c = 0; c < width; c++)
            values[c] /= sum;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
