using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Diagnostics;

namespace MLNetExt.Data;

/// <summary>What a numeric value must satisfy; a violation names the column, the row and the value.</summary>
internal enum ValueRule
{
    /// <summary>Any value, NaN and infinities included.</summary>
    Any,

    /// <summary>A finite number.</summary>
    Finite,

    /// <summary>A finite number in [0, 1].</summary>
    Probability,

    /// <summary>A finite number that is zero or more (example weights).</summary>
    NonNegative,
}

/// <summary>
/// Reads named columns of an <see cref="IDataView"/> into arrays in one pass over one cursor, checking types up front
/// (when a column is added) and values as they are read. This is the only way components of this package read
/// training or evaluation data:
/// <code>
/// var reader = new DataViewColumnReader(data, "EvaluateCalibration");
/// var label = reader.AddBoolean("Label", "label");
/// var probability = reader.AddScalar("Probability", "probability", ValueRule.Probability);
/// reader.Read(channel);
/// bool[] y = label.Values; double[] p = probability.Values;
/// </code>
/// </summary>
internal sealed class DataViewColumnReader
{
    private const int CancellationCheckInterval = 1 << 14;

    private readonly IDataView _data;
    private readonly List<ColumnBinding> _bindings = [];
    private bool _read;

    /// <param name="data">The data to read.</param>
    /// <param name="component">Who reads, for messages ("EvaluateCalibration", "TemperatureScaling").</param>
    public DataViewColumnReader(IDataView data, string component)
    {
        _data = Guard.NotNull(data, nameof(data));
        Component = component;
    }

    /// <summary>The reading component's name, used in messages.</summary>
    public string Component { get; }

    /// <summary>The number of rows read by <see cref="Read"/>.</summary>
    public int RowCount { get; private set; }

    /// <summary>The fewest rows <see cref="Read"/> accepts; 1 by default (empty data is an error).</summary>
    public int MinimumRowCount { get; init; } = 1;

    /// <summary>A Boolean column (binary labels).</summary>
    public BooleanColumn AddBoolean(string columnName, string role)
        => Add(new BooleanColumn(this, columnName, role));

    /// <summary>A numeric scalar column of any numeric type, read as <see cref="double"/>.</summary>
    public ScalarColumn AddScalar(string columnName, string role, ValueRule rule)
        => Add(new ScalarColumn(this, columnName, role, rule));

    /// <summary>
    /// A known-size vector of <see cref="float"/> (or <see cref="double"/>, rounded to float), read densely into one
    /// row-major array. Sparse rows are expanded.
    /// </summary>
    public VectorColumn AddVector(string columnName, string role, ValueRule rule, int? expectedSize = null)
        => Add(new VectorColumn(this, columnName, role, rule, expectedSize));

    /// <summary>
    /// A class label: a key column (values 1..K, K = key count) or a numeric column of whole numbers 0..K-1, read as
    /// zero-based class indices. <paramref name="classCount"/> is K when the caller knows it (for example the size
    /// of the score vector); a key column's count must then equal it.
    /// </summary>
    public ClassLabelColumn AddClassLabel(string columnName, string role, int? classCount)
        => Add(new ClassLabelColumn(this, columnName, role, classCount));

    /// <summary>
    /// Ranking relevance grades: Single, Double or an integer type (fractional grades allowed), or a key column whose
    /// key value v is grade v - 1; read as <see cref="float"/>, each finite and &gt;= 0.
    /// </summary>
    public RelevanceLabelColumn AddRelevanceLabel(string columnName, string role)
        => Add(new RelevanceLabelColumn(this, columnName, role));

    /// <summary>A group or bag identifier: a key column or a numeric column of whole numbers.</summary>
    public IdColumn AddId(string columnName, string role)
        => Add(new IdColumn(this, columnName, role));

    /// <summary>Any column whose values have the .NET type <typeparamref name="T"/> (strings as ReadOnlyMemory&lt;char&gt;).</summary>
    public ValueColumn<T> AddColumn<T>(string columnName, string role)
        => Add(new ValueColumn<T>(this, columnName, role));

    /// <summary>
    /// An optional column: null when <paramref name="columnName"/> is null (the option was not set), otherwise as
    /// <see cref="AddScalar"/>. A named column that does not exist is an error, never silently ignored.
    /// </summary>
    public ScalarColumn? AddOptionalScalar(string? columnName, string role, ValueRule rule)
        => columnName is null ? null : AddScalar(columnName, role, rule);

    /// <summary>
    /// Example weights from an optional column (ML.NET's <c>ExampleWeightColumnName</c>): null when no column is named;
    /// otherwise numbers that must be finite and &gt;= 0, with at least one above 0 (checked when reading).
    /// </summary>
    public ScalarColumn? AddWeights(string? columnName)
        => columnName is null ? null : Add(new ScalarColumn(this, columnName, "example weight", ValueRule.NonNegative) { RequireAnyPositive = true });

    /// <summary>
    /// A known-size vector of Single (or Double, rounded to float) delivered in blocks of at most
    /// <paramref name="maximumBlockRows"/> rows, dense or compressed-sparse-row as <paramref name="layout"/> says, to
    /// <paramref name="visitor"/> while the other columns are read: the whole column is never held in memory. The
    /// block's buffers are reused: the visitor must copy what it keeps; one that returns false stops the read.
    /// </summary>
    public FeatureBlockColumn AddFeatureBlocks(string columnName, string role, ValueRule rule, BlockLayout layout,
        int maximumBlockRows, IRowBlockVisitor visitor)
        => Add(new FeatureBlockColumn(this, columnName, role, rule, layout, maximumBlockRows, visitor));

    /// <summary>Reads every added column in one pass. Can be called once.</summary>
    /// <param name="channel">Receives progress and is checked for cancellation every few thousand rows; may be null.</param>
    /// <returns>The number of rows read.</returns>
    public int Read(ComponentChannel? channel = null)
    {
        if (_read)
            throw new InvalidOperationException("This reader has already read its data.");
        _read = true;

        long? count = _data.GetRowCount();
        int capacity = count is > 0 and <= int.MaxValue ? (int)count.Value : 0;
        var columns = _bindings.Select(b => b.Column).Distinct().ToArray();
        int rows = 0;
        // Progress (and the cancellation check that comes with it) every few thousand rows: a log line only when the
        // read takes long, which large inputs behind slow loaders do.
        channel?.StartProgress(count ?? double.NaN, "rows read");
        using (var cursor = _data.GetRowCursor(columns))
        {
            foreach (var binding in _bindings)
                binding.Bind(cursor, capacity);
            while (cursor.MoveNext())
            {
                if (rows == int.MaxValue)
                    throw new InvalidOperationException($"{Component} reads at most {int.MaxValue} rows.");
                bool stop = false;
                foreach (var binding in _bindings)
                {
                    binding.ReadRow(rows);
                    stop |= binding.Stopped;
                }
                rows++;
                if (stop)
                    break;
                if ((rows & (CancellationCheckInterval - 1)) == 0)
                    channel?.ReportProgress(rows);
            }
        }
        channel?.ThrowIfCanceled();
        if (rows < MinimumRowCount)
        {
            throw new InvalidOperationException(rows == 0
                ? $"The data has no rows; {Component} needs at least {MinimumRowCount}."
                : $"The data has {rows} row(s); {Component} needs at least {MinimumRowCount}.");
        }
        foreach (var binding in _bindings)
            binding.Complete();
        RowCount = rows;
        return rows;
    }

    private T Add<T>(T binding) where T : ColumnBinding
    {
        if (_read)
            throw new InvalidOperationException("Columns must be added before Read.");
        _bindings.Add(binding);
        return binding;
    }

    internal DataViewSchema Schema => _data.Schema;

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string Describe(ValueRule rule) => rule switch
    {
        ValueRule.Finite => "a finite number",
        ValueRule.Probability => "a finite number in [0, 1]",
        ValueRule.NonNegative => "a finite number >= 0",
        _ => "a number",
    };

    internal static bool Satisfies(double value, ValueRule rule) => rule switch
    {
        ValueRule.Finite => double.IsFinite(value),
        ValueRule.Probability => value >= 0 && value <= 1,
        ValueRule.NonNegative => value >= 0 && double.IsFinite(value),
        _ => true,
    };
}

/// <summary>One requested column: schema check when created, value checks while reading.</summary>
internal abstract class ColumnBinding
{
    private protected ColumnBinding(DataViewColumnReader reader, string columnName, string role)
    {
        Reader = reader;
        Name = Guard.ColumnName(columnName, nameof(columnName));
        Role = role;
        Column = SchemaChecks.Find(reader.Schema, columnName, role);
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>What the column is for ("label", "probability"), for messages.</summary>
    public string Role { get; }

    internal DataViewSchema.Column Column { get; }

    private protected DataViewColumnReader Reader { get; }

    /// <summary>Set by a binding whose consumer asked to stop reading (the reader then stops after this row).</summary>
    internal bool Stopped { get; private protected set; }

    internal abstract void Bind(DataViewRowCursor cursor, int capacity);

    internal abstract void ReadRow(int row);

    internal abstract void Complete();

    private protected InvalidOperationException BadValue(int row, string value, string expected)
        => new($"{Capitalize(Role)} column '{Name}' has {value} at row {row}; {Reader.Component} expects {expected}.");

    private protected InvalidOperationException WrongLength(int row, int length, int declared)
        => new($"{Capitalize(Role)} column '{Name}' holds {length} values at row {row}, but its type declares {declared}; " +
               $"{Reader.Component} needs every row to have the declared size.");

    private protected ArgumentOutOfRangeException Mismatch(string expected)
        => SchemaChecks.Mismatch(Role, Name, expected, Column.Type);

    private protected static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}

/// <summary>A Boolean column read into <see cref="Values"/>.</summary>
internal sealed class BooleanColumn : ColumnBinding
{
    private ValueGetter<bool>? _getter;
    private ArrayBuilder<bool> _values;

    internal BooleanColumn(DataViewColumnReader reader, string columnName, string role) : base(reader, columnName, role)
    {
        if (Column.Type is not BooleanDataViewType)
            throw Mismatch("Boolean");
    }

    /// <summary>The values, one per row.</summary>
    public bool[] Values { get; private set; } = [];

    internal override void Bind(DataViewRowCursor cursor, int capacity)
    {
        _getter = cursor.GetGetter<bool>(Column);
        _values = new ArrayBuilder<bool>(capacity);
    }

    internal override void ReadRow(int row)
    {
        bool value = false;
        _getter!(ref value);
        _values.Add(value);
    }

    internal override void Complete() => Values = _values.ToArray();
}

/// <summary>A numeric scalar column read as doubles into <see cref="Values"/>.</summary>
internal sealed class ScalarColumn : ColumnBinding
{
    private readonly ValueRule _rule;
    private Func<double>? _getter;
    private ArrayBuilder<double> _values;

    internal ScalarColumn(DataViewColumnReader reader, string columnName, string role, ValueRule rule)
        : base(reader, columnName, role)
    {
        _rule = rule;
        if (!SchemaChecks.IsNumericScalar(Column.Type))
            throw Mismatch("a numeric scalar (Single or Double)");
    }

    /// <summary>The values, one per row.</summary>
    public double[] Values { get; private set; } = [];

    /// <summary>When set, reading fails unless some value is above 0 (example weights: all zero leaves nothing to learn from).</summary>
    internal bool RequireAnyPositive { get; init; }

    internal override void Bind(DataViewRowCursor cursor, int capacity)
    {
        _getter = NumericGetters.Create(cursor, Column);
        _values = new ArrayBuilder<double>(capacity);
    }

    internal override void ReadRow(int row)
    {
        double value = _getter!();
        if (!DataViewColumnReader.Satisfies(value, _rule))
            throw BadValue(row, DataViewColumnReader.Format(value), DataViewColumnReader.Describe(_rule));
        _values.Add(value);
    }

    internal override void Complete()
    {
        Values = _values.ToArray();
        if (RequireAnyPositive && Values.Length > 0 && !Array.Exists(Values, v => v > 0))
        {
            throw new InvalidOperationException(
                $"{Capitalize(Role)} column '{Name}' is 0 in all {Values.Length} rows; {Reader.Component} needs some rows with weight above 0.");
        }
    }
}

/// <summary>A known-size float vector column read densely, row-major, into <see cref="Values"/>.</summary>
internal sealed class VectorColumn : ColumnBinding
{
    private readonly ValueRule _rule;
    private readonly bool _isDouble;
    private ValueGetter<VBuffer<float>>? _floatGetter;
    private ValueGetter<VBuffer<double>>? _doubleGetter;
    private VBuffer<float> _floatBuffer;
    private VBuffer<double> _doubleBuffer;
    private ArrayBuilder<float> _values;

    internal VectorColumn(DataViewColumnReader reader, string columnName, string role, ValueRule rule, int? expectedSize)
        : base(reader, columnName, role)
    {
        _rule = rule;
        if (Column.Type is not VectorDataViewType vector
            || (vector.ItemType != NumberDataViewType.Single && vector.ItemType != NumberDataViewType.Double))
            throw Mismatch("a known-size vector of Single");
        if (!vector.IsKnownSize)
            throw Mismatch("a known-size vector of Single");
        if (expectedSize is { } size && vector.Size != size)
            throw Mismatch($"a vector of {size} values");
        _isDouble = vector.ItemType == NumberDataViewType.Double;
        Size = vector.Size;
        SlotNames = Data.SlotNames.Read(Column);
    }

    /// <summary>Values per row.</summary>
    public int Size { get; }

    /// <summary>The column's slot names (feature names) when it has them for every slot; null otherwise.</summary>
    public string[]? SlotNames { get; }

    /// <summary>Row-major values: row r is <c>Values[r * Size .. (r + 1) * Size]</c>.</summary>
    public float[] Values { get; private set; } = [];

    internal override void Bind(DataViewRowCursor cursor, int capacity)
    {
        if (_isDouble)
            _doubleGetter = cursor.GetGetter<VBuffer<double>>(Column);
        else
            _floatGetter = cursor.GetGetter<VBuffer<float>>(Column);
        _values = new ArrayBuilder<float>((int)Math.Min(Array.MaxLength, (long)capacity * Size));
    }

    internal override void ReadRow(int row)
    {
        var slots = _values.AppendSlots(Size);
        if (_isDouble)
        {
            _doubleGetter!(ref _doubleBuffer);
            CheckLength(row, _doubleBuffer.Length);
            Copy(_doubleBuffer, slots);
        }
        else
        {
            _floatGetter!(ref _floatBuffer);
            CheckLength(row, _floatBuffer.Length);
            Copy(_floatBuffer, slots);
        }
        if (_rule == ValueRule.Any)
            return;
        for (int j = 0; j < slots.Length; j++)
        {
            if (!DataViewColumnReader.Satisfies(slots[j], _rule))
                throw BadValue(row, $"{DataViewColumnReader.Format(slots[j])} in slot {j}", DataViewColumnReader.Describe(_rule));
        }
    }

    internal override void Complete() => Values = _values.ToArray();

    private void CheckLength(int row, int length)
    {
        if (length != Size)
            throw WrongLength(row, length, Size);
    }

    private static void Copy(in VBuffer<float> buffer, Span<float> destination)
    {
        var values = buffer.GetValues();
        if (buffer.IsDense)
        {
            values.CopyTo(destination);
            return;
        }
        destination.Clear();
        var indices = buffer.GetIndices();
        for (int k = 0; k < indices.Length; k++)
            destination[indices[k]] = values[k];
    }

    private static void Copy(in VBuffer<double> buffer, Span<float> destination)
    {
        var values = buffer.GetValues();
        if (buffer.IsDense)
        {
            for (int j = 0; j < values.Length; j++)
                destination[j] = (float)values[j];
            return;
        }
        destination.Clear();
        var indices = buffer.GetIndices();
        for (int k = 0; k < indices.Length; k++)
            destination[indices[k]] = (float)values[k];
    }
}

/// <summary>Class labels as zero-based indices into <see cref="Values"/>.</summary>
internal sealed class ClassLabelColumn : ColumnBinding
{
    private readonly bool _isKey;
    private Func<double>? _getter;
    private ArrayBuilder<int> _values;

    internal ClassLabelColumn(DataViewColumnReader reader, string columnName, string role, int? classCount)
        : base(reader, columnName, role)
    {
        if (Column.Type is KeyDataViewType key)
        {
            _isKey = true;
            if (key.Count > int.MaxValue)
                throw Mismatch("a key type with at most 2^31 - 1 values");
            if (classCount is { } k && (int)key.Count != k)
                throw SchemaChecks.Mismatch(role, columnName, $"a key type with {k} values (one per score slot)", key);
            ClassCount = (int)key.Count;
        }
        else if (SchemaChecks.IsNumericScalar(Column.Type))
        {
            ClassCount = classCount ?? 0;
        }
        else
        {
            throw Mismatch("a key type or a numeric scalar holding class indices");
        }
    }

    /// <summary>K, when known (a key column's count or the caller's class count); 0 otherwise.</summary>
    public int ClassCount { get; }

    /// <summary>Zero-based class indices, one per row.</summary>
    public int[] Values { get; private set; } = [];

    internal override void Bind(DataViewRowCursor cursor, int capacity)
    {
        _getter = NumericGetters.Create(cursor, Column);
        _values = new ArrayBuilder<int>(capacity);
    }

    internal override void ReadRow(int row)
    {
        double raw = _getter!();
        if (_isKey)
        {
            if (raw == 0)
                throw BadValue(row, "a missing key value", $"a class in 0..{ClassCount - 1}");
            _values.Add((int)(raw - 1));
            return;
        }
        int upper = ClassCount > 0 ? ClassCount : int.MaxValue;
        if (!(raw >= 0 && raw < upper && raw == Math.Floor(raw)))
        {
            string range = ClassCount > 0 ? $"0..{ClassCount - 1}" : "0 or more";
            throw BadValue(row, DataViewColumnReader.Format(raw), $"a whole-number class index in {range}");
        }
        _values.Add((int)raw);
    }

    internal override void Complete() => Values = _values.ToArray();
}

/// <summary>Group or bag identifiers (key values or whole numbers) into <see cref="Values"/>.</summary>
internal sealed class IdColumn : ColumnBinding
{
    private readonly bool _isKey;
    private Func<double>? _getter;
    private ArrayBuilder<long> _values;

    internal IdColumn(DataViewColumnReader reader, string columnName, string role) : base(reader, columnName, role)
    {
        _isKey = Column.Type is KeyDataViewType;
        if (!_isKey && !SchemaChecks.IsNumericScalar(Column.Type))
            throw Mismatch("a key type or a numeric scalar");
    }

    /// <summary>The identifiers, one per row (raw key values for key columns).</summary>
    public long[] Values { get; private set; } = [];

    internal override void Bind(DataViewRowCursor cursor, int capacity)
    {
        _getter = NumericGetters.Create(cursor, Column);
        _values = new ArrayBuilder<long>(capacity);
    }

    internal override void ReadRow(int row)
    {
        double raw = _getter!();
        if (_isKey && raw == 0)
            throw BadValue(row, "a missing key value", $"a defined {Role}");
        if (!(Math.Abs(raw) < 9.007199254740992E15 && raw == Math.Floor(raw)))
            throw BadValue(row, DataViewColumnReader.Format(raw), "a whole number");
        _values.Add((long)raw);
    }

    internal override void Complete() => Values = _values.ToArray();
}

/// <summary>Values of any type, as the column holds them (no conversion).</summary>
internal sealed class ValueColumn<T> : ColumnBinding
{
    private ValueGetter<T>? _getter;
    private ArrayBuilder<T> _values;

    internal ValueColumn(DataViewColumnReader reader, string columnName, string role) : base(reader, columnName, role)
    {
        if (Column.Type.RawType != typeof(T))
            throw Mismatch(typeof(T).Name);
    }

    /// <summary>The values, one per row.</summary>
    public T[] Values { get; private set; } = [];

    internal override void Bind(DataViewRowCursor cursor, int capacity)
    {
        _getter = cursor.GetGetter<T>(Column);
        _values = new ArrayBuilder<T>(capacity);
    }

    internal override void ReadRow(int row)
    {
        T value = default!;
        _getter!(ref value);
        _values.Add(value);
    }

    internal override void Complete() => Values = _values.ToArray();
}
