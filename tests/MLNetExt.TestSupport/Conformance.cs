using System.Collections;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Data;
using MLNetExt.Serialization;

namespace MLNetExt.Tests.Support;

/// <summary>What a component does with a NaN or infinite value in one of its input columns.</summary>
public enum InvalidValueBehavior
{
    /// <summary>Fit throws an exception whose message names the column.</summary>
    Throws,

    /// <summary>Fit succeeds (the component handles missing values, as tree learners do).</summary>
    Accepts,
}

/// <summary>
/// One component under the shared conformance checks (docs/style.md §13, our <c>check_estimator</c>). The estimator
/// and the data are built from an <see cref="MLContext"/> the checks create, so that determinism is checked across
/// two contexts with the same seed, never by fitting one instance twice.
/// </summary>
public sealed class ConformanceCase
{
    /// <summary>A name for messages.</summary>
    public required string Name { get; init; }

    /// <summary>A new estimator, as a user would create it from the context's catalog.</summary>
    public required Func<MLContext, IEstimator<ITransformer>> Estimator { get; init; }

    /// <summary>The fit data, loaded through the context.</summary>
    public required Func<MLContext, IDataView> FitData { get; init; }

    /// <summary>The data the fitted transformer is applied to; the fit data when null.</summary>
    public Func<MLContext, IDataView>? ApplyData { get; init; }

    /// <summary>The columns the transformer writes.</summary>
    public required string[] OutputColumns { get; init; }

    /// <summary>The numeric input columns the estimator reads, each with what a NaN or infinity in it must do.</summary>
    public IReadOnlyDictionary<string, InvalidValueBehavior> InputColumns { get; init; } = new Dictionary<string, InvalidValueBehavior>();

    /// <summary>The estimator reading example weights from the named column; null when it takes none.</summary>
    public Func<MLContext, string, IEstimator<ITransformer>>? WeightedEstimator { get; init; }

    /// <summary>The group (query) column, for ranking components: weights and the one-group check work on whole groups.</summary>
    public string? GroupColumn { get; init; }

    /// <summary>The options object the estimator was built from, checked unchanged after Fit; null when it has none.</summary>
    public Func<MLContext, (IEstimator<ITransformer> Estimator, object Options)>? EstimatorWithOptions { get; init; }

    /// <summary>Largest absolute difference allowed where weights are compared with dropped rows (0 = bit-identical).</summary>
    public double WeightTolerance { get; init; }

    /// <summary>Checks that do not apply, each with the reason (named as in <see cref="Conformance"/>'s check names).</summary>
    public IReadOnlyDictionary<string, string> Skip { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The shared conformance checks of docs/style.md §13 for an MLNetExt estimator and its transformer:
/// <list type="bullet">
/// <item><c>EmptyData</c>: fitting zero rows throws a message that says so.</item>
/// <item><c>InvalidValues</c>: NaN and +inf in each input column throw naming the column, or are accepted, as declared.</item>
/// <item><c>OneRow</c> / <c>OneGroup</c>: fitting one row (one group) works or throws a message that says why.</item>
/// <item><c>UnitWeights</c>: a weight column of ones gives the same model outputs as no weights.</item>
/// <item><c>ZeroWeights</c>: weight 0 on some rows (whole groups for ranking) equals leaving them out.</item>
/// <item><c>OutputSchema</c>: <c>GetOutputSchema</c> of the estimator and the transformer match <c>Transform(...).Schema</c>.</item>
/// <item><c>RowByRow</c>: <c>Transform</c> over the whole view equals the row-to-row mapper that <c>PredictionEngine</c> runs.</item>
/// <item><c>SameSeed</c>: two MLContexts with the same seed give identical saved state and outputs.</item>
/// <item><c>SaveLoad</c>: Save and Load in a fresh MLContext give bit-identical outputs.</item>
/// <item><c>OptionsUnchanged</c>: Fit leaves the options object as it was.</item>
/// </list>
/// A check that does not apply is skipped by name, with a reason, through <see cref="ConformanceCase.Skip"/>.
/// </summary>
public static class Conformance
{
    /// <summary>Every check name, for <see cref="ConformanceCase.Skip"/>.</summary>
    public static readonly string[] CheckNames =
        ["EmptyData", "InvalidValues", "OneRow", "OneGroup", "UnitWeights", "ZeroWeights", "OutputSchema", "RowByRow", "SameSeed", "SaveLoad", "OptionsUnchanged"];

    private const string WeightColumn = "ConformanceWeight";

    /// <summary>Runs every check of <paramref name="c"/> that is not skipped.</summary>
    public static void Check(ConformanceCase c)
    {
        foreach (string skipped in c.Skip.Keys)
            Assert.IsTrue(CheckNames.Contains(skipped), $"{c.Name}: unknown check '{skipped}' in Skip.");
        Run(c, "EmptyData", EmptyData);
        Run(c, "InvalidValues", InvalidValues);
        Run(c, "OneRow", OneRow);
        if (c.GroupColumn is not null)
            Run(c, "OneGroup", OneGroup);
        if (c.WeightedEstimator is not null)
        {
            Run(c, "UnitWeights", UnitWeights);
            Run(c, "ZeroWeights", ZeroWeights);
        }
        else
        {
            Assert.IsTrue(c.Skip.ContainsKey("UnitWeights") && c.Skip.ContainsKey("ZeroWeights"),
                $"{c.Name}: give WeightedEstimator, or skip UnitWeights and ZeroWeights with a reason.");
        }
        Run(c, "OutputSchema", OutputSchema);
        Run(c, "RowByRow", RowByRow);
        Run(c, "SameSeed", SameSeed);
        Run(c, "SaveLoad", SaveLoad);
        if (c.EstimatorWithOptions is not null)
            Run(c, "OptionsUnchanged", OptionsUnchanged);
        else
            Assert.IsTrue(c.Skip.ContainsKey("OptionsUnchanged"), $"{c.Name}: give EstimatorWithOptions, or skip OptionsUnchanged with a reason.");
    }

    private static void Run(ConformanceCase c, string check, Action<ConformanceCase> run)
    {
        if (c.Skip.ContainsKey(check))
            return;
        try
        {
            run(c);
        }
        catch (AssertFailedException e)
        {
            throw new AssertFailedException($"{c.Name}, conformance check {check}: {e.Message}", e);
        }
    }

    private static IDataView Apply(ConformanceCase c, MLContext mlContext) => (c.ApplyData ?? c.FitData)(mlContext);

    private static void EmptyData(ConformanceCase c)
    {
        var mlContext = new MLContext(seed: 1);
        var data = c.FitData(mlContext);
        var empty = new RowSelectionDataView(data, new BitArray(checked((int)Count(data))));
        var e = Assert.Throws<Exception>(() => c.Estimator(mlContext).Fit(empty), "fitting no rows must fail");
        var cause = e.GetBaseException();
        Assert.IsTrue(cause is InvalidOperationException or ArgumentException, $"{cause.GetType().Name}: {cause.Message}");
        StringAssert.Matches(cause.Message, new System.Text.RegularExpressions.Regex("no rows|empty|0 rows", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
    }

    private static void InvalidValues(ConformanceCase c)
    {
        foreach (var (column, behavior) in c.InputColumns)
        {
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity })
            {
                var mlContext = new MLContext(seed: 1);
                var data = new ValueInjectingDataView(c.FitData(mlContext), column, row: 0, bad);
                if (behavior == InvalidValueBehavior.Accepts)
                {
                    var model = c.Estimator(mlContext).Fit(data);
                    Assert.IsNotNull(model.Transform(Apply(c, mlContext)).Preview(1), $"{column} = {bad}");
                    continue;
                }
                var e = Assert.Throws<Exception>(() => c.Estimator(mlContext).Fit(data), $"{column} = {bad} must be refused");
                StringAssert.Contains(e.GetBaseException().Message, column, $"the message for {column} = {bad} must name the column");
            }
        }
    }

    private static void OneRow(ConformanceCase c) => FitsOrExplains(c, data => new MLContext(seed: 1).Data.TakeRows(data, 1), "one row");

    private static void OneGroup(ConformanceCase c)
        => FitsOrExplains(c, data => new RowSelectionDataView(data, Mask(data, FirstGroup(data, c.GroupColumn!))), "one group");

    private static void FitsOrExplains(ConformanceCase c, Func<IDataView, IDataView> take, string what)
    {
        var mlContext = new MLContext(seed: 1);
        var data = take(c.FitData(mlContext));
        try
        {
            var model = c.Estimator(mlContext).Fit(data);
            _ = model.Transform(Apply(c, mlContext)).Preview(1);
        }
        catch (Exception e) when (e is not AssertFailedException)
        {
            var cause = e.GetBaseException();
            Assert.IsTrue(cause is InvalidOperationException or ArgumentException,
                $"fitting {what} threw {cause.GetType().Name}: {cause.Message}");
            StringAssert.Matches(cause.Message, new System.Text.RegularExpressions.Regex(
                "row|group|class|example|quer", System.Text.RegularExpressions.RegexOptions.IgnoreCase),
                $"fitting {what} must work or say why");
        }
    }

    private static void UnitWeights(ConformanceCase c)
    {
        var mlContext = new MLContext(seed: 1);
        var apply = Apply(c, mlContext);
        var plain = Outputs(c.Estimator(new MLContext(seed: 1)).Fit(c.FitData(mlContext)).Transform(apply), c.OutputColumns);
        var weighted = new ExtraColumnDataView(c.FitData(mlContext), WeightColumn, _ => 1f);
        var ones = Outputs(c.WeightedEstimator!(new MLContext(seed: 1), WeightColumn).Fit(weighted).Transform(apply), c.OutputColumns);
        AssertClose(plain, ones, c.WeightTolerance, "unit weights vs no weights");
    }

    private static void ZeroWeights(ConformanceCase c)
    {
        var mlContext = new MLContext(seed: 1);
        var fit = c.FitData(mlContext);
        var apply = Apply(c, mlContext);
        var dropped = DroppedRows(fit, c.GroupColumn);
        var weighted = new ExtraColumnDataView(fit, WeightColumn, row => dropped[(int)row] ? 0f : 1f);
        var zero = Outputs(c.WeightedEstimator!(new MLContext(seed: 1), WeightColumn).Fit(weighted).Transform(apply), c.OutputColumns);
        var kept = new BitArray(dropped).Not();
        var removed = Outputs(c.WeightedEstimator!(new MLContext(seed: 1), WeightColumn)
            .Fit(new RowSelectionDataView(new ExtraColumnDataView(fit, WeightColumn, _ => 1f), kept)).Transform(apply), c.OutputColumns);
        AssertClose(removed, zero, c.WeightTolerance, "weight 0 vs rows removed");
    }

    private static void OutputSchema(ConformanceCase c)
    {
        var mlContext = new MLContext(seed: 1);
        var estimator = c.Estimator(mlContext);
        var apply = Apply(c, mlContext);
        var transformer = estimator.Fit(c.FitData(mlContext));
        var schema = transformer.Transform(apply).Schema;
        var shape = estimator.GetOutputSchema(Shapes.From(apply.Schema));
        var fromTransformer = transformer.GetOutputSchema(apply.Schema);
        foreach (string name in c.OutputColumns)
        {
            var actual = schema[name];
            var expected = shape.Single(s => s.Name == name);
            var itemType = actual.Type is VectorDataViewType v ? v.ItemType : actual.Type;
            bool isKey = itemType is KeyDataViewType;
            Assert.AreEqual(isKey, expected.IsKey, $"{name}: key");
            Assert.AreEqual<object>(isKey ? itemType.RawType : itemType, isKey ? expected.ItemType.RawType : expected.ItemType, $"{name}: item type");
            Assert.AreEqual(actual.Type is VectorDataViewType { IsKnownSize: true } ? SchemaShape.Column.VectorKind.Vector
                : actual.Type is VectorDataViewType ? SchemaShape.Column.VectorKind.VariableVector : SchemaShape.Column.VectorKind.Scalar,
                expected.Kind, $"{name}: kind");
            foreach (var annotation in expected.Annotations)
                Assert.IsNotNull(actual.Annotations.Schema.GetColumnOrNull(annotation.Name), $"{name}: annotation {annotation.Name} promised by the estimator");
            Assert.AreEqual(actual.Type, fromTransformer[name].Type, $"{name}: transformer GetOutputSchema");
        }
    }

    private static void RowByRow(ConformanceCase c)
    {
        var mlContext = new MLContext(seed: 1);
        var apply = Apply(c, mlContext);
        var transformer = c.Estimator(mlContext).Fit(c.FitData(mlContext));
        var batch = Outputs(transformer.Transform(apply), c.OutputColumns);
        var mapper = transformer.GetRowToRowMapper(apply.Schema);
        var columns = c.OutputColumns.Select(n => mapper.OutputSchema[n]).ToArray();
        using var cursor = apply.GetRowCursor(mapper.GetDependencies(columns));
        using var row = mapper.GetRow(cursor, columns);
        var readers = columns.Select(col => Reader(row, col)).ToArray();
        int i = 0;
        while (cursor.MoveNext())
        {
            Assert.IsTrue(i < batch.Count, "the mapper gives more rows than Transform");
            AssertSame(batch[i], readers.Select(r => r()).ToArray(), $"row {i}");
            i++;
        }
        Assert.AreEqual(batch.Count, i, "row count");
    }

    private static void SameSeed(ConformanceCase c)
    {
        var first = c.Estimator(new MLContext(seed: 5)).Fit(c.FitData(new MLContext(seed: 5)));
        var second = c.Estimator(new MLContext(seed: 5)).Fit(c.FitData(new MLContext(seed: 5)));
        if (first is IPersistentComponent a && second is IPersistentComponent b)
            CollectionAssert.AreEqual(ModelPersistence.ToBytes(a), ModelPersistence.ToBytes(b), "saved state");
        var apply = Apply(c, new MLContext(seed: 5));
        AssertClose(Outputs(first.Transform(apply), c.OutputColumns), Outputs(second.Transform(apply), c.OutputColumns), 0, "outputs");
    }

    private static void SaveLoad(ConformanceCase c)
    {
        var mlContext = new MLContext(seed: 1);
        var apply = Apply(c, mlContext);
        var transformer = c.Estimator(mlContext).Fit(c.FitData(mlContext));
        string path = Path.Combine(Path.GetTempPath(), $"conformance-{Guid.NewGuid():N}.zip");
        try
        {
            mlContext.Model.Save(transformer, apply.Schema, path);
            var loaded = new MLContext(seed: 2).Model.Load(path, out _);
            AssertClose(Outputs(transformer.Transform(apply), c.OutputColumns), Outputs(loaded.Transform(apply), c.OutputColumns), 0, "reloaded");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void OptionsUnchanged(ConformanceCase c)
    {
        var mlContext = new MLContext(seed: 1);
        var (estimator, options) = c.EstimatorWithOptions!(mlContext);
        string before = Snapshot(options);
        estimator.Fit(c.FitData(mlContext));
        Assert.AreEqual(before, Snapshot(options), "Fit changed the options");
    }

    /// <summary>Every public field and property of an options object, arrays element by element.</summary>
    internal static string Snapshot(object options)
    {
        var parts = new List<string>();
        var type = options.GetType();
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            parts.Add($"{field.Name}={Format(field.GetValue(options))}");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0))
            parts.Add($"{property.Name}={Format(property.GetValue(options))}");
        return string.Join("; ", parts);

        static string Format(object? value) => value switch
        {
            null => "null",
            string s => $"\"{s}\"",
            IEnumerable e => "[" + string.Join(",", e.Cast<object?>().Select(Format)) + "]",
            double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    // ---- helpers ----

    /// <summary>Which rows the zero-weight check drops: every third row, or every third whole group.</summary>
    private static bool[] DroppedRows(IDataView data, string? groupColumn)
    {
        int rows = checked((int)Count(data));
        var dropped = new bool[rows];
        if (groupColumn is null)
        {
            for (int i = 0; i < rows; i++)
                dropped[i] = i % 3 == 1;
            return dropped;
        }
        var ids = GroupIds(data, groupColumn);
        int group = 0;
        for (int i = 0; i < rows; i++)
        {
            if (i > 0 && ids[i] != ids[i - 1])
                group++;
            dropped[i] = group % 3 == 1;
        }
        return dropped;
    }

    private static BitArray Mask(IDataView data, int firstRows)
    {
        var mask = new BitArray(checked((int)Count(data)));
        for (int i = 0; i < firstRows; i++)
            mask[i] = true;
        return mask;
    }

    private static int FirstGroup(IDataView data, string groupColumn)
    {
        var ids = GroupIds(data, groupColumn);
        int n = 1;
        while (n < ids.Length && ids[n] == ids[0])
            n++;
        return n;
    }

    private static double[] GroupIds(IDataView data, string groupColumn)
    {
        var column = data.Schema[groupColumn];
        var values = new List<double>();
        using var cursor = data.GetRowCursor([column]);
        var getter = NumericGetters.Create(cursor, column);
        while (cursor.MoveNext())
            values.Add(getter());
        return values.ToArray();
    }

    private static long Count(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
            n++;
        return n;
    }

    /// <summary>The output columns of every row, each as an array of doubles (scalars as one value).</summary>
    public static List<double[][]> Outputs(IDataView data, string[] columns)
    {
        var cols = columns.Select(n => data.Schema[n]).ToArray();
        var rows = new List<double[][]>();
        using var cursor = data.GetRowCursor(cols);
        var readers = cols.Select(col => Reader(cursor, col)).ToArray();
        while (cursor.MoveNext())
            rows.Add(readers.Select(r => r()).ToArray());
        return rows;
    }

    private static Func<double[]> Reader(DataViewRow row, DataViewSchema.Column column)
    {
        var type = column.Type;
        if (type is VectorDataViewType vector)
        {
            if (vector.ItemType == NumberDataViewType.Single)
            {
                var getter = row.GetGetter<VBuffer<float>>(column);
                return () => { VBuffer<float> v = default; getter(ref v); return v.DenseValues().Select(x => (double)x).ToArray(); };
            }
            var doubles = row.GetGetter<VBuffer<double>>(column);
            return () => { VBuffer<double> v = default; doubles(ref v); return v.DenseValues().ToArray(); };
        }
        if (type is BooleanDataViewType)
        {
            var getter = row.GetGetter<bool>(column);
            return () => { bool v = false; getter(ref v); return [v ? 1 : 0]; };
        }
        var numeric = NumericGetters.Create(row, column);
        return () => [numeric()];
    }

    private static void AssertSame(double[][] expected, double[][] actual, string what)
        => AssertRow(expected, actual, 0, what);

    private static void AssertClose(List<double[][]> expected, List<double[][]> actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count, $"{what}: row count");
        for (int i = 0; i < expected.Count; i++)
            AssertRow(expected[i], actual[i], tolerance, $"{what}, row {i}");
    }

    private static void AssertRow(double[][] expected, double[][] actual, double tolerance, string what)
    {
        for (int c = 0; c < expected.Length; c++)
        {
            Assert.AreEqual(expected[c].Length, actual[c].Length, $"{what}: values in column {c}");
            for (int j = 0; j < expected[c].Length; j++)
            {
                double x = expected[c][j], y = actual[c][j];
                bool same = tolerance == 0
                    ? BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y) || (double.IsNaN(x) && double.IsNaN(y))
                    : Math.Abs(x - y) <= tolerance || (double.IsNaN(x) && double.IsNaN(y));
                Assert.IsTrue(same, $"{what}: column {c} value {j}: {x:R} vs {y:R} (tolerance {tolerance})");
            }
        }
    }
}
