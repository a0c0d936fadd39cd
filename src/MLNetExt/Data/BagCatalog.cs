using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;
using MLNetExt.Numerics;

namespace MLNetExt.Data;

/// <summary>How <see cref="BagCatalog.MakeBags"/> puts rows into bags.</summary>
public enum BagStrategy
{
    /// <summary>
    /// Random bags: the rows in an order drawn from the seed, cut into consecutive bags. Each bag is a random sample
    /// of the data, which EasyLLP's unbiasedness assumes (docs/specs/shift_llp_pruning_calibration.md §2.2, §2.4).
    /// </summary>
    Random,

    /// <summary>
    /// Feature-dependent bags: the rows sorted by a numeric column (ties in the seed's random order), cut into
    /// consecutive bags, so a bag holds rows with similar values of that column.
    /// </summary>
    SortedByColumn,

    /// <summary>
    /// Feature-dependent bags: rows with the same value of a column (a key, number, Boolean or text, as LLP-Bench
    /// groups Criteo rows by a feature) form a cluster, and each cluster is cut into bags in the seed's random order.
    /// A cluster smaller than the bag size is one bag.
    /// </summary>
    ClusteredByColumn,
}

/// <summary>
/// A summary of the bags in a data view and what looks wrong with them, from <see cref="BagCatalog.CheckBags"/>.
/// </summary>
public sealed class BagCheckReport
{
    internal BagCheckReport(int rowCount, int bagCount, int smallest, int largest, int smallBags, int? disagreeing, double? largestDisagreement,
        IReadOnlyList<string> warnings)
    {
        RowCount = rowCount;
        BagCount = bagCount;
        SmallestBagSize = smallest;
        LargestBagSize = largest;
        SmallBagCount = smallBags;
        DisagreeingBagCount = disagreeing;
        LargestDisagreement = largestDisagreement;
        Warnings = warnings;
    }

    /// <summary>The number of rows.</summary>
    public int RowCount { get; }

    /// <summary>The number of bags.</summary>
    public int BagCount { get; }

    /// <summary>The rows of the smallest bag.</summary>
    public int SmallestBagSize { get; }

    /// <summary>The rows of the largest bag.</summary>
    public int LargestBagSize { get; }

    /// <summary>The mean bag size.</summary>
    public double MeanBagSize => (double)RowCount / BagCount;

    /// <summary>Bags with fewer rows than the check's <c>minimumBagSize</c>.</summary>
    public int SmallBagCount { get; }

    /// <summary>Bags whose proportion differs from their members' labels by more than the tolerance; null when no label column was checked.</summary>
    public int? DisagreeingBagCount { get; }

    /// <summary>The largest difference, over bags and classes, between a bag's proportion and its members' label fractions; null without labels.</summary>
    public double? LargestDisagreement { get; }

    /// <summary>The warnings written to the MLContext's log (empty when nothing looked wrong).</summary>
    public IReadOnlyList<string> Warnings { get; }
}

/// <summary>Building and checking bags for learning from label proportions, on <c>mlContext.Data</c>.</summary>
public static class BagCatalog
{
    private const string MakeBagsName = "MakeBags";
    private const string CheckBagsName = "CheckBags";

    /// <summary>
    /// Puts the rows of <paramref name="data"/> into bags and adds two columns: the bag id (a key, one value per bag)
    /// and the bag's label proportion computed from the label column (binary: Single, the fraction of rows whose
    /// Boolean label is true; multiclass: a vector of Single with one fraction per class of the key-typed label, whose
    /// slot names are the label's key values). For experiments with label-proportion learners, which then read only
    /// the bag columns; and for users who aggregate their own labelled data.
    /// </summary>
    /// <remarks>
    /// A group of c rows (the whole data for <see cref="BagStrategy.Random"/> and <see cref="BagStrategy.SortedByColumn"/>,
    /// each cluster for <see cref="BagStrategy.ClusteredByColumn"/>) becomes max(1, floor(c / bagSize)) bags whose sizes
    /// differ by at most one: every bag has at least <paramref name="bagSize"/> rows unless its group has fewer. Row
    /// order within the bags comes from the seed (Philox streams, as every MLNetExt component), so the same seed gives
    /// the same bags. The label (and the strategy column) are read once, when this method is called; the returned view
    /// is lazy and passes the input's rows through in their order, with the two new columns (replacing input columns
    /// of the same names).
    /// </remarks>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="data">The rows, with a label column.</param>
    /// <param name="bagSize">Rows per bag; at least 1.</param>
    /// <param name="seed">The seed of the random order; null draws one from the MLContext's generator.</param>
    /// <param name="strategy">Random or feature-dependent bags.</param>
    /// <param name="strategyColumnName">The column that feature-dependent bags follow: a numeric scalar for
    /// <see cref="BagStrategy.SortedByColumn"/>; a key, number, Boolean or text for <see cref="BagStrategy.ClusteredByColumn"/>.
    /// Must be null for random bags.</param>
    /// <param name="labelColumnName">Boolean labels (binary) or a key (multiclass).</param>
    /// <param name="bagIdColumnName">The bag id column to add.</param>
    /// <param name="bagProportionColumnName">The proportion column to add.</param>
    /// <returns>The input with the bag id and bag proportion columns.</returns>
    /// <example><code>
    /// var bagged = mlContext.Data.MakeBags(train, bagSize: 32, seed: 1);
    /// var model = mlContext.BinaryClassification.Trainers.LabelProportions().Fit(bagged);   // MLNetExt.TorchSharp
    /// </code></example>
    public static IDataView MakeBags(this DataOperationsCatalog catalog, IDataView data, int bagSize, int? seed = null,
        BagStrategy strategy = BagStrategy.Random, string? strategyColumnName = null, string labelColumnName = "Label",
        string bagIdColumnName = "BagId", string bagProportionColumnName = "BagProportion")
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(data, nameof(data));
        Guard.Argument(bagSize >= 1, nameof(bagSize), $"The bag size must be at least 1; got {bagSize}.");
        Guard.Argument(Enum.IsDefined(strategy), nameof(strategy), $"Unknown bag strategy {(int)strategy}.");
        Guard.Argument(strategy == BagStrategy.Random ? strategyColumnName is null : !string.IsNullOrWhiteSpace(strategyColumnName),
            nameof(strategyColumnName), strategy == BagStrategy.Random
                ? $"Random bags follow no column; leave strategyColumnName null (got '{strategyColumnName}')."
                : $"Strategy {strategy} needs the column it follows in strategyColumnName.");
        Guard.ColumnName(labelColumnName, nameof(labelColumnName));
        Guard.ColumnName(bagIdColumnName, nameof(bagIdColumnName));
        Guard.ColumnName(bagProportionColumnName, nameof(bagProportionColumnName));
        Guard.Argument(bagIdColumnName != bagProportionColumnName, nameof(bagProportionColumnName), "The bag id and bag proportion columns need different names.");

        var env = MLNetBridge.GetEnvironment(catalog);
        int resolvedSeed = SeedResolver.Resolve(env, seed, MakeBagsName);
        using var channel = new ComponentChannel(env, MakeBagsName, "MakeBags");
        var reader = new DataViewColumnReader(data, MakeBagsName);
        var labelType = SchemaChecks.Find(data.Schema, labelColumnName, "label").Type;
        if (labelType is not BooleanDataViewType && labelType is not KeyDataViewType)
            throw SchemaChecks.Mismatch("label", labelColumnName, "Boolean (binary) or a key type (multiclass)", labelType);
        bool binary = labelType is BooleanDataViewType;
        var labels = binary ? null : reader.AddClassLabel(labelColumnName, "label", null);
        var booleans = binary ? reader.AddBoolean(labelColumnName, "label") : null;
        Func<int, IComparable>? clusterKey = null;
        ScalarColumn? sortColumn = null;
        if (strategy == BagStrategy.SortedByColumn)
        {
            sortColumn = reader.AddScalar(strategyColumnName!, "bag strategy", ValueRule.Any);
        }
        else if (strategy == BagStrategy.ClusteredByColumn)
        {
            var type = SchemaChecks.Find(data.Schema, strategyColumnName!, "bag strategy").Type;
            if (type is TextDataViewType)
            {
                var text = reader.AddColumn<ReadOnlyMemory<char>>(strategyColumnName!, "bag strategy");
                clusterKey = row => new TextKey(text.Values[row].ToString());
            }
            else if (type is BooleanDataViewType)
            {
                var flags = reader.AddBoolean(strategyColumnName!, "bag strategy");
                clusterKey = row => flags.Values[row];
            }
            else if (type is KeyDataViewType || SchemaChecks.IsNumericScalar(type))
            {
                var numbers = reader.AddId(strategyColumnName!, "bag strategy");
                clusterKey = row => numbers.Values[row];
            }
            else
            {
                throw SchemaChecks.Mismatch("bag strategy", strategyColumnName!, "a key, number, Boolean or text", type);
            }
        }
        int n = reader.Read(channel);
        if (sortColumn is not null)
        {
            int bad = Array.FindIndex(sortColumn.Values, double.IsNaN);
            if (bad >= 0)
                throw new InvalidOperationException($"Bag strategy column '{strategyColumnName}' is NaN at row {bad}; {MakeBagsName} cannot sort rows by a missing value.");
        }

        // The random order: a Fisher-Yates permutation from the seed; rank[row] is the row's place in it.
        var order = new CounterRandomStream(CounterRandom.SeedKey(resolvedSeed), CounterRandom.Stream(0x0BA65, 0)).Permutation(n);
        var rank = new int[n];
        for (int i = 0; i < n; i++)
            rank[order[i]] = i;

        var bagOfRow = new int[n];
        int bagCount = 0;
        if (strategy == BagStrategy.Random)
        {
            bagCount = Cut(order, bagSize, bagOfRow, 0);
        }
        else if (sortColumn is not null)
        {
            var values = sortColumn.Values;
            Array.Sort(order, (a, b) => values[a] != values[b] ? values[a].CompareTo(values[b]) : rank[a].CompareTo(rank[b]));
            bagCount = Cut(order, bagSize, bagOfRow, 0);
        }
        else
        {
            var key = clusterKey!;
            var clusters = order.GroupBy(r => key(r)).OrderBy(g => g.Key).ToArray();
            foreach (var cluster in clusters)
                bagCount = Cut(cluster.ToArray(), bagSize, bagOfRow, bagCount);
        }

        int width = binary ? 1 : labels!.ClassCount;
        var proportions = new float[bagCount * width];
        var sizes = new int[bagCount];
        for (int r = 0; r < n; r++)
        {
            int b = bagOfRow[r];
            sizes[b]++;
            if (binary)
                proportions[b] += booleans!.Values[r] ? 1 : 0;
            else
                proportions[b * width + labels!.Values[r]] += 1;
        }
        for (int b = 0; b < bagCount; b++)
        {
            for (int c = 0; c < width; c++)
                proportions[b * width + c] = (float)(proportions[b * width + c] / (double)sizes[b]);
        }
        string[]? classNames = binary ? null : Training.LabelKeyValues.FromColumn(data.Schema[labelColumnName])?.Names;
        channel.Info(string.Create(CultureInfo.InvariantCulture,
            $"{bagCount} bags of {sizes.DefaultIfEmpty().Min()} to {sizes.DefaultIfEmpty().Max()} rows ({strategy}, bag size {bagSize}, seed {resolvedSeed}) from {n} rows."));
        return new BagsDataView(data, bagOfRow, bagCount, proportions, width, classNames, bagIdColumnName, bagProportionColumnName);
    }

    /// <summary>
    /// Checks the bags of <paramref name="data"/> and warns (on the MLContext's log, and in the report) when bags
    /// are smaller than <paramref name="minimumBagSize"/> (a bag of one row discloses that row's label, and tiny bags
    /// make the proportions a weak signal), and, when a label column is given, when a bag's proportion differs from
    /// the fractions of its members' labels by more than <paramref name="tolerance"/>. Malformed bags (a proportion
    /// outside [0, 1], class proportions that do not sum to 1, two rows of one bag with different proportions, an
    /// empty bag id) are errors, as they are for the label-proportion trainers.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="data">Rows with a bag id and a bag proportion column.</param>
    /// <param name="bagIdColumnName">A key, whole numbers or text.</param>
    /// <param name="bagProportionColumnName">Single in [0, 1] (binary) or a known-size vector of Single summing to 1.</param>
    /// <param name="labelColumnName">Instance labels to compare with (Boolean or a key); null to check sizes only.</param>
    /// <param name="minimumBagSize">Bags with fewer rows are reported; at least 1.</param>
    /// <param name="tolerance">The largest difference between a proportion and the members' label fraction that is not reported; at least 0.</param>
    /// <returns>The report; its <see cref="BagCheckReport.Warnings"/> were also logged.</returns>
    public static BagCheckReport CheckBags(this DataOperationsCatalog catalog, IDataView data, string bagIdColumnName = "BagId",
        string bagProportionColumnName = "BagProportion", string? labelColumnName = null, int minimumBagSize = 2, double tolerance = 1e-6)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(data, nameof(data));
        Guard.ColumnName(bagIdColumnName, nameof(bagIdColumnName));
        Guard.ColumnName(bagProportionColumnName, nameof(bagProportionColumnName));
        Guard.Argument(labelColumnName is null || !string.IsNullOrWhiteSpace(labelColumnName), nameof(labelColumnName), "Give a label column name or null.");
        Guard.Argument(minimumBagSize >= 1, nameof(minimumBagSize), $"The minimum bag size must be at least 1; got {minimumBagSize}.");
        Guard.Argument(tolerance >= 0 && double.IsFinite(tolerance), nameof(tolerance), $"The tolerance must be finite and >= 0; got {tolerance}.");

        var env = MLNetBridge.GetEnvironment(catalog);
        using var channel = new ComponentChannel(env, CheckBagsName, "Check");
        var reader = new DataViewColumnReader(data, CheckBagsName);
        var columns = BagColumns.Add(reader, bagIdColumnName, bagProportionColumnName, labelColumnName, binary: null);
        reader.Read(channel);
        var bags = columns.Build();

        var warnings = new List<string>();
        int smallest = int.MaxValue, largest = 0, small = 0, firstSmall = -1;
        for (int b = 0; b < bags.BagCount; b++)
        {
            int k = bags.Size(b);
            smallest = Math.Min(smallest, k);
            largest = Math.Max(largest, k);
            if (k < minimumBagSize)
            {
                small++;
                if (firstSmall < 0)
                    firstSmall = b;
            }
        }
        if (small > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{small} of {bags.BagCount} bags have fewer than {minimumBagSize} rows (the smallest has {smallest}; first: {bags.Describe(firstSmall)}). " +
                $"A bag of one row discloses that row's label, and tiny bags carry little information about their members."));
        }

        int? disagreeing = null;
        double? largestDifference = null;
        if (labelColumnName is not null)
        {
            int count = 0, firstBad = -1;
            double worst = 0;
            for (int b = 0; b < bags.BagCount; b++)
            {
                var fromLabels = bags.LabelProportion(b);
                var given = bags.Proportion(b);
                double difference = 0;
                for (int c = 0; c < bags.Width; c++)
                    difference = Math.Max(difference, Math.Abs(given[c] - fromLabels[c]));
                worst = Math.Max(worst, difference);
                if (difference > tolerance)
                {
                    count++;
                    if (firstBad < 0)
                        firstBad = b;
                }
            }
            disagreeing = count;
            largestDifference = worst;
            if (count > 0)
            {
                var given = bags.Proportion(firstBad).ToArray();
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{count} of {bags.BagCount} bags have a proportion in column '{bagProportionColumnName}' that differs from their members' labels in column " +
                    $"'{labelColumnName}' by more than {tolerance} (largest difference {worst:G4}; first: {bags.Describe(firstBad)}, proportion " +
                    $"[{string.Join(", ", given.Select(v => v.ToString("G4", CultureInfo.InvariantCulture)))}], labels give " +
                    $"[{string.Join(", ", bags.LabelProportion(firstBad).Select(v => v.ToString("G4", CultureInfo.InvariantCulture)))}])."));
            }
        }
        foreach (string warning in warnings)
            channel.Warning(warning);
        return new BagCheckReport(bags.RowCount, bags.BagCount, smallest, largest, small, disagreeing, largestDifference, warnings);
    }

    /// <summary>Cuts <paramref name="rows"/> (in order) into max(1, c / size) bags of balanced sizes, numbered from <paramref name="firstBag"/>.</summary>
    private static int Cut(int[] rows, int size, int[] bagOfRow, int firstBag)
    {
        int c = rows.Length;
        if (c == 0)
            return firstBag;
        int bags = Math.Max(1, c / size);
        int baseSize = c / bags, extra = c % bags, position = 0;
        for (int b = 0; b < bags; b++)
        {
            int k = baseSize + (b < extra ? 1 : 0);
            for (int i = 0; i < k; i++)
                bagOfRow[rows[position++]] = firstBag + b;
        }
        return firstBag + bags;
    }

    /// <summary>Text cluster keys in ordinal order.</summary>
    private readonly record struct TextKey(string Value) : IComparable
    {
        public int CompareTo(object? obj) => string.CompareOrdinal(Value, ((TextKey)obj!).Value);
    }
}

/// <summary>
/// The input rows with a bag id column (a key with one value per bag) and a bag proportion column added, from
/// arrays computed by <see cref="BagCatalog.MakeBags"/>. Lazy: a cursor passes the input's rows through and counts
/// their positions, so the input must give every cursor the same rows in the same order.
/// </summary>
internal sealed class BagsDataView : IDataView
{
    private readonly IDataView _input;
    private readonly int[] _bagOfRow;
    private readonly float[] _proportions;
    private readonly int _width;

    public BagsDataView(IDataView input, int[] bagOfRow, int bagCount, float[] proportions, int width, string[]? classNames, string bagIdColumnName,
        string bagProportionColumnName)
    {
        _input = input;
        _bagOfRow = bagOfRow;
        _proportions = proportions;
        _width = width;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema);
        builder.AddColumn(bagIdColumnName, new KeyDataViewType(typeof(uint), Math.Max(1, bagCount)));
        if (width == 1)
        {
            builder.AddColumn(bagProportionColumnName, NumberDataViewType.Single);
        }
        else
        {
            DataViewSchema.Annotations? annotations = null;
            if (classNames is not null)
            {
                var names = new DataViewSchema.Annotations.Builder();
                var slots = classNames.Select(s => s.AsMemory()).ToArray();
                names.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, width),
                    (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(slots.Length, (ReadOnlyMemory<char>[])slots.Clone()));
                annotations = names.ToAnnotations();
            }
            builder.AddColumn(bagProportionColumnName, new VectorDataViewType(NumberDataViewType.Single, width), annotations);
        }
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _bagOfRow.Length;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int inputCount = _input.Schema.Count;
        var needed = columnsNeeded.ToArray();
        var inner = _input.GetRowCursor(needed.Where(c => c.Index < inputCount).Select(c => _input.Schema[c.Index]));
        return new Cursor(this, inner, needed.Any(c => c.Index == inputCount), needed.Any(c => c.Index == inputCount + 1));
    }

    /// <summary>One cursor: row positions must be counted in order.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(BagsDataView parent, DataViewRowCursor inner, bool idActive, bool proportionActive) : DataViewRowCursor
    {
        private long _position = -1;

        public override DataViewSchema Schema => parent.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool MoveNext()
        {
            int rows = parent._bagOfRow.Length;
            if (!inner.MoveNext())
            {
                if (_position + 1 != rows)
                    throw new InvalidOperationException($"The data has {_position + 1} rows but its bags were made from {rows}.");
                return false;
            }
            _position++;
            if (_position >= rows)
                throw new InvalidOperationException($"The data has more rows than the {rows} its bags were made from.");
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column)
        {
            int inputCount = parent._input.Schema.Count;
            if (column.Index == inputCount)
                return idActive;
            if (column.Index == inputCount + 1)
                return proportionActive;
            return inner.IsColumnActive(parent._input.Schema[column.Index]);
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = parent._input.Schema.Count;
            if (column.Index < inputCount)
                return inner.GetGetter<TValue>(parent._input.Schema[column.Index]);
            if (column.Index == inputCount)
            {
                ValueGetter<uint> id = (ref uint value) => value = (uint)parent._bagOfRow[_position] + 1;
                return (ValueGetter<TValue>)(Delegate)id;
            }
            int width = parent._width;
            if (width == 1)
            {
                ValueGetter<float> single = (ref float value) => value = parent._proportions[parent._bagOfRow[_position]];
                return (ValueGetter<TValue>)(Delegate)single;
            }
            ValueGetter<VBuffer<float>> vector = (ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, width);
                parent._proportions.AsSpan(parent._bagOfRow[_position] * width, width).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)vector;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
