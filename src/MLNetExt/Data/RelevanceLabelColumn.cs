using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Data;

/// <summary>
/// Relevance grades of a ranking label column into <see cref="Values"/>: a numeric column (Single, Double or an integer
/// type; fractional grades allowed) or a key column, whose key value v is grade v - 1 (ML.NET's convention for key
/// labels). Every grade must be finite and &gt;= 0; a NaN, infinite or negative grade, or a missing key, is an error
/// naming the column, the row and the value.
/// </summary>
internal sealed class RelevanceLabelColumn : ColumnBinding
{
    private readonly bool _isKey;
    private Func<double>? _getter;
    private ValueGetter<float>? _singleGetter;
    private ArrayBuilder<float> _values;

    internal RelevanceLabelColumn(DataViewColumnReader reader, string columnName, string role) : base(reader, columnName, role)
    {
        _isKey = Column.Type is KeyDataViewType;
        if (!_isKey && !SchemaChecks.IsNumericScalar(Column.Type))
            throw Mismatch("Single, Double or a key type (relevance grades)");
    }

    /// <summary>The grades, one per row, as <see cref="float"/>.</summary>
    public float[] Values { get; private set; } = [];

    /// <summary>Whether the column is a key type (grades are key value - 1).</summary>
    public bool IsKey => _isKey;

    /// <summary>The largest grade read (0 before reading or when there are no rows).</summary>
    public float MaximumGrade { get; private set; }

    internal override void Bind(DataViewRowCursor cursor, int capacity)
    {
        // Single, the usual label type, is read without the conversion to double.
        if (Column.Type == NumberDataViewType.Single)
            _singleGetter = cursor.GetGetter<float>(Column);
        else
            _getter = NumericGetters.Create(cursor, Column);
        _values = new ArrayBuilder<float>(capacity);
    }

    internal override void ReadRow(int row)
    {
        if (_singleGetter is not null)
        {
            float value = 0;
            _singleGetter(ref value);
            if (!(value >= 0 && float.IsFinite(value)))
                throw BadValue(row, DataViewColumnReader.Format(value), "a relevance grade: a finite number >= 0");
            if (value > MaximumGrade)
                MaximumGrade = value;
            _values.Add(value + 0f); // -0 becomes +0
            return;
        }
        double raw = _getter!();
        if (_isKey)
        {
            if (raw == 0)
                throw BadValue(row, "a missing key value", "a relevance grade (a key value of 1 or more, grade = key value - 1)");
            raw -= 1;
        }
        float grade = (float)raw;
        if (!(grade >= 0 && float.IsFinite(grade)))
            throw BadValue(row, DataViewColumnReader.Format(raw), "a relevance grade: a finite number >= 0");
        if (grade > MaximumGrade)
            MaximumGrade = grade;
        _values.Add(grade);
    }

    internal override void Complete() => Values = _values.ToArray();
}
