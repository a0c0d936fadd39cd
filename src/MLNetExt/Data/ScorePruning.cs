using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;
using MLNetExt.Numerics;

namespace MLNetExt.Data;

/// <summary>Which rows <see cref="PruningCatalog.PruneByScore(DataOperationsCatalog, IDataView, PruneByScoreOptions)"/> keeps after the hardest are skipped.</summary>
public enum PruningStrategy
{
    /// <summary>The highest scores (the hardest examples), as Paul et al. (2021) keep with EL2N and GraNd.</summary>
    Hardest,

    /// <summary>The lowest scores (the easiest examples): better than the hardest when little data is kept (Sorscher et al. 2022).</summary>
    Easiest,

    /// <summary>
    /// Coverage-centric selection (Zheng et al., ICLR 2023): the score range is cut into equal-width strata, the
    /// budget is shared over them starting from the smallest stratum (each gets at most an equal share of what is
    /// left), and rows are drawn at random within a stratum. Keeps easy, medium and hard examples, so it does not
    /// collapse at high pruning rates as hard-only selection does.
    /// </summary>
    Stratified,

    /// <summary>Rows drawn uniformly at random (the baseline every score must beat).</summary>
    Random,
}

/// <summary>Options of <see cref="PruningCatalog.PruneByScore(DataOperationsCatalog, IDataView, PruneByScoreOptions)"/>.</summary>
public sealed class PruneByScoreOptions
{
    internal static class Defaults
    {
        public const string ScoreColumnName = "EL2N";
        public const double KeepFraction = 1.0;
        public const double SkipHardestFraction = 0;
        public const PruningStrategy Strategy = PruningStrategy.Hardest;
        public const int NumberOfStrata = 50;
    }

    /// <summary>The score column: a numeric scalar, larger = harder (EL2N, GraNd, a loss, a forgetting count); every value finite.</summary>
    /// <value>Default "EL2N", the column <c>ScoreExampleDifficulty</c> writes.</value>
    public string ScoreColumnName = Defaults.ScoreColumnName;

    /// <summary>The share of all rows to keep: round(KeepFraction x rows) rows are kept.</summary>
    /// <value>Range [0, 1]; KeepFraction + SkipHardestFraction &lt;= 1. Default 1 (nothing pruned).</value>
    public double KeepFraction = Defaults.KeepFraction;

    /// <summary>
    /// The share of rows, the highest-scored, dropped before the kept rows are chosen (the "offset" of Paul et al.;
    /// the very hardest examples are often mislabelled): round(SkipHardestFraction x rows) rows.
    /// </summary>
    /// <value>Range [0, 1]; KeepFraction + SkipHardestFraction &lt;= 1. Default 0.</value>
    public double SkipHardestFraction = Defaults.SkipHardestFraction;

    /// <summary>Which of the remaining rows are kept.</summary>
    /// <value>Default <see cref="PruningStrategy.Hardest"/> (Paul et al. 2021).</value>
    public PruningStrategy Strategy = Defaults.Strategy;

    /// <summary>
    /// Select within each class: every class keeps (and skips) its share of rows, apportioned by largest remainders
    /// so the totals are those of the whole data; the class proportions stay as they were.
    /// </summary>
    /// <value>Default false.</value>
    public bool ClassBalanced;

    /// <summary>The class label, read when <see cref="ClassBalanced"/> is set: Boolean, a key, or whole numbers &gt;= 0.</summary>
    /// <value>Default "Label".</value>
    public string LabelColumnName = ColumnNames.Label;

    /// <summary>The number of equal-width score strata of <see cref="PruningStrategy.Stratified"/>.</summary>
    /// <value>Range [1, 100000]. Default 50 (Zheng et al. 2023 use 50 strata).</value>
    public int NumberOfStrata = Defaults.NumberOfStrata;

    /// <summary>The seed of the random draws of <see cref="PruningStrategy.Random"/> and <see cref="PruningStrategy.Stratified"/>.</summary>
    /// <value>Default null: drawn from the <c>MLContext</c>'s generator when the selection is made.</value>
    public int? Seed;

    internal void Validate()
    {
        Guard.ColumnName(ScoreColumnName, nameof(ScoreColumnName));
        Guard.Option(KeepFraction >= 0 && KeepFraction <= 1, nameof(KeepFraction), $"must be in [0, 1]; got {KeepFraction}.");
        Guard.Option(SkipHardestFraction >= 0 && SkipHardestFraction <= 1, nameof(SkipHardestFraction), $"must be in [0, 1]; got {SkipHardestFraction}.");
        Guard.Option(KeepFraction + SkipHardestFraction <= 1 + 1e-12, nameof(SkipHardestFraction),
            $"plus KeepFraction must be at most 1 (the rows skipped and the rows kept cannot be more than the data); got {SkipHardestFraction} + {KeepFraction} = {SkipHardestFraction + KeepFraction}.");
        Guard.Option(Enum.IsDefined(Strategy), nameof(Strategy), $"must be a PruningStrategy value; got {(int)Strategy}.");
        Guard.Option(!ClassBalanced || !string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), "must name the label column when ClassBalanced is set.");
        Guard.Option(NumberOfStrata >= 1 && NumberOfStrata <= 100_000, nameof(NumberOfStrata), $"must be in [1, 100000]; got {NumberOfStrata}.");
    }

    internal PruneByScoreOptions Clone() => (PruneByScoreOptions)MemberwiseClone();
}

/// <summary>Data pruning by a per-row score on <c>mlContext.Data</c>.</summary>
public static class PruningCatalog
{
    internal const string ComponentName = "PruneByScore";

    /// <summary>
    /// The rows of <paramref name="data"/> that data pruning keeps: sorted by score from the hardest (highest) down,
    /// ties by row order, the <paramref name="skipHardestFraction"/> hardest are dropped (likely label noise) and the
    /// next round(<paramref name="keepFraction"/> x rows) are kept, in their original order. For training data only:
    /// never prune the data a model is evaluated or used on.
    /// </summary>
    /// <remarks>
    /// The scores are read once, here; the result is a lazy view over <paramref name="data"/> that skips the pruned
    /// rows (nothing is copied), so <paramref name="data"/> must give the same rows in the same order to every cursor,
    /// as loaded and cached data do. Every score must be finite; a row without one (for example a row whose label is
    /// missing, which <c>ScoreExampleDifficulty</c> scores NaN) is an error naming the row. See the options overload
    /// for the easiest, stratified and random strategies.
    /// </remarks>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="data">The training data, with a score column.</param>
    /// <param name="scoreColumnName">A numeric scalar column, larger = harder (EL2N, GraNd).</param>
    /// <param name="keepFraction">The share of rows to keep, in [0, 1].</param>
    /// <param name="skipHardestFraction">The share of rows, the highest-scored, to drop first; keepFraction + skipHardestFraction &lt;= 1.</param>
    /// <param name="classBalanced">Select within each class of <paramref name="labelColumnName"/>, keeping the class proportions.</param>
    /// <param name="labelColumnName">The class label (Boolean, key or whole numbers), read only when <paramref name="classBalanced"/> is set.</param>
    /// <returns>The kept rows, lazily, with every column of <paramref name="data"/>.</returns>
    /// <example><code>
    /// var scored = mlContext.Transforms.ScoreExampleDifficulty().Fit(train).Transform(train);   // adds EL2N, GraNd
    /// var pruned = mlContext.Data.PruneByScore(scored, "EL2N", keepFraction: 0.7, skipHardestFraction: 0.02);
    /// var model = mlContext.MulticlassClassification.Trainers.LightGbm().Fit(pruned);
    /// </code>See samples/DataPruningSample.</example>
    public static IDataView PruneByScore(this DataOperationsCatalog catalog, IDataView data, string scoreColumnName, double keepFraction,
        double skipHardestFraction = PruneByScoreOptions.Defaults.SkipHardestFraction, bool classBalanced = false, string labelColumnName = ColumnNames.Label)
    {
        Guard.NotNull(catalog, nameof(catalog));
        return catalog.PruneByScore(data, new PruneByScoreOptions
        {
            ScoreColumnName = scoreColumnName,
            KeepFraction = keepFraction,
            SkipHardestFraction = skipHardestFraction,
            ClassBalanced = classBalanced,
            LabelColumnName = labelColumnName,
        });
    }

    /// <summary>
    /// The rows of <paramref name="data"/> that data pruning keeps, with every option: the strategy (hardest, easiest,
    /// stratified over score strata, random), the hardest rows skipped first, class balance and the seed.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="data">The training data, with a score column.</param>
    /// <param name="options">The options; copied and validated here.</param>
    /// <returns>The kept rows, lazily, in their original order.</returns>
    public static IDataView PruneByScore(this DataOperationsCatalog catalog, IDataView data, PruneByScoreOptions options)
    {
        Guard.NotNull(catalog, nameof(catalog));
        Guard.NotNull(data, nameof(data));
        Guard.NotNull(options, nameof(options));
        var o = options.Clone();
        o.Validate();
        var env = MLNetBridge.GetEnvironment(catalog);
        int seed = SeedResolver.Resolve(env, o.Seed, ComponentName);
        using var channel = new ComponentChannel(env, ComponentName, "Select");
        var reader = new DataViewColumnReader(data, ComponentName) { MinimumRowCount = 0 };
        var score = reader.AddScalar(o.ScoreColumnName, "score", ValueRule.Finite);
        var label = o.ClassBalanced ? ClassLabels.Add(reader, o.LabelColumnName) : null;
        int rows = reader.Read(channel);
        var keep = ScoreSelection.Select(score.Values, label?.Invoke(), ScoreSelection.Settings.From(o, seed));
        int kept = ScoreSelection.Count(keep);
        channel.Info($"Kept {kept} of {rows} rows by '{o.ScoreColumnName}' ({o.Strategy}{(o.ClassBalanced ? ", class-balanced" : "")}; " +
            $"the {ScoreSelection.RoundCount(o.SkipHardestFraction, rows)} highest-scored skipped).");
        return new RowSelectionDataView(data, keep);
    }
}

/// <summary>Reads a class label of any of the types MLNetExt's classifiers take: Boolean, a key, or whole numbers.</summary>
internal static class ClassLabels
{
    /// <summary>Adds the column to <paramref name="reader"/>; the returned function gives zero-based classes after the read.</summary>
    public static Func<int[]> Add(DataViewColumnReader reader, string columnName)
    {
        var column = SchemaChecks.Find(reader.Schema, Guard.ColumnName(columnName, nameof(columnName)), "label");
        if (column.Type is BooleanDataViewType)
        {
            var boolean = reader.AddBoolean(columnName, "label");
            return () => Array.ConvertAll(boolean.Values, b => b ? 1 : 0);
        }
        var classes = reader.AddClassLabel(columnName, "label", null);
        return () => classes.Values;
    }
}

/// <summary>
/// The row selection behind data pruning, on arrays: which rows a score keeps. No <c>IDataView</c> here
/// (<see cref="PruningCatalog"/> and <c>ScoreExampleDifficulty</c> read the data).
/// </summary>
internal static class ScoreSelection
{
    /// <summary>The validated settings of one selection.</summary>
    internal sealed record Settings(double KeepFraction, double SkipHardestFraction, PruningStrategy Strategy, int NumberOfStrata, int Seed)
    {
        public static Settings From(PruneByScoreOptions o, int seed) => new(o.KeepFraction, o.SkipHardestFraction, o.Strategy, o.NumberOfStrata, seed);
    }

    /// <summary>round(fraction x rows), halves away from zero, never more than <paramref name="rows"/>.</summary>
    public static int RoundCount(double fraction, int rows) => (int)Math.Min(rows, Math.Round(fraction * rows, MidpointRounding.AwayFromZero));

    /// <summary>The number of set entries of a mask.</summary>
    public static int Count(BitArray mask)
    {
        int count = 0;
        for (int i = 0; i < mask.Length; i++)
            count += mask[i] ? 1 : 0;
        return count;
    }

    /// <summary>
    /// The kept rows: within each group (each class when <paramref name="classes"/> is given, else all rows), rows sorted
    /// by score descending with ties by row index ascending; the first skip rows are dropped, then keep rows are chosen
    /// from the rest by the strategy. Totals are round(fraction x rows); per class they are apportioned by largest
    /// remainders (ties to the lower class).
    /// </summary>
    /// <param name="scores">One finite score per row (larger = harder).</param>
    /// <param name="classes">Zero-based classes, one per row, or null to select over all rows.</param>
    /// <param name="settings">Fractions, strategy, strata and seed (validated).</param>
    public static BitArray Select(ReadOnlySpan<double> scores, int[]? classes, Settings settings)
    {
        int n = scores.Length;
        Guard.Argument(classes is null || classes.Length == n, nameof(classes), $"{classes?.Length} classes were given for {n} scores.");
        for (int i = 0; i < n; i++)
            Guard.Argument(double.IsFinite(scores[i]), nameof(scores), $"Score {i} is {scores[i]}; every score must be finite.");
        int skipTotal = RoundCount(settings.SkipHardestFraction, n);
        int keepTotal = Math.Min(RoundCount(settings.KeepFraction, n), n - skipTotal);

        var groups = Groups(classes, n);
        var sizes = groups.Select(g => g.Length).ToArray();
        var skip = Apportion(skipTotal, sizes, sizes);
        var room = new int[sizes.Length];
        for (int g = 0; g < room.Length; g++)
            room[g] = sizes[g] - skip[g];
        var keep = Apportion(keepTotal, sizes, room);

        var mask = new BitArray(n);
        var scoreArray = scores.ToArray();
        for (int g = 0; g < groups.Length; g++)
        {
            var order = (int[])groups[g].Clone();
            Array.Sort(order, (a, b) => scoreArray[a] != scoreArray[b] ? scoreArray[b].CompareTo(scoreArray[a]) : a.CompareTo(b));
            var rest = order.AsSpan(skip[g]);
            foreach (int row in Choose(rest, keep[g], scoreArray, settings, g))
                mask[row] = true;
        }
        return mask;
    }

    /// <summary>Row indices by group, each in row order.</summary>
    private static int[][] Groups(int[]? classes, int n)
    {
        if (classes is null)
            return [Enumerable.Range(0, n).ToArray()];
        int classCount = 0;
        foreach (int c in classes)
        {
            Guard.Argument(c >= 0, nameof(classes), $"Class {c} is negative.");
            classCount = Math.Max(classCount, c + 1);
        }
        var counts = new int[classCount];
        foreach (int c in classes)
            counts[c]++;
        var groups = new int[classCount][];
        for (int c = 0; c < classCount; c++)
            groups[c] = new int[counts[c]];
        Array.Clear(counts);
        for (int i = 0; i < n; i++)
            groups[classes[i]][counts[classes[i]]++] = i;
        return groups;
    }

    /// <summary>
    /// Splits <paramref name="total"/> over groups in proportion to <paramref name="sizes"/>, each at most its
    /// <paramref name="capacity"/>: floors of the quotas, then one more to the largest remainders (ties to the lower group).
    /// </summary>
    internal static int[] Apportion(int total, int[] sizes, int[] capacity)
    {
        long all = 0;
        foreach (int s in sizes)
            all += s;
        var counts = new int[sizes.Length];
        if (all == 0 || total == 0)
            return counts;
        var quota = new double[sizes.Length];
        int assigned = 0;
        for (int g = 0; g < sizes.Length; g++)
        {
            quota[g] = (double)total * sizes[g] / all;
            counts[g] = Math.Min(capacity[g], (int)Math.Floor(quota[g]));
            assigned += counts[g];
        }
        while (assigned < total)
        {
            int best = -1;
            for (int g = 0; g < sizes.Length; g++)
            {
                if (counts[g] < capacity[g] && (best < 0 || quota[g] - counts[g] > quota[best] - counts[best]))
                    best = g;
            }
            if (best < 0)
                break;
            counts[best]++;
            assigned++;
        }
        return counts;
    }

    private static IEnumerable<int> Choose(Span<int> rest, int count, double[] scores, Settings settings, int group)
    {
        if (count == 0)
            return [];
        switch (settings.Strategy)
        {
            case PruningStrategy.Hardest:
                return rest[..count].ToArray();
            case PruningStrategy.Easiest:
            {
                var ascending = rest.ToArray();
                Array.Sort(ascending, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : a.CompareTo(b));
                return ascending[..count];
            }
            case PruningStrategy.Random:
            {
                var rows = rest.ToArray();
                Array.Sort(rows);
                return Sample(rows, count, settings.Seed, group, 0);
            }
            default:
                return Stratified(rest.ToArray(), count, scores, settings, group);
        }
    }

    /// <summary>The first <paramref name="count"/> of a partial Fisher-Yates shuffle of <paramref name="rows"/> (row order in), from (seed, group, stratum).</summary>
    private static int[] Sample(int[] rows, int count, int seed, int group, int stratum)
    {
        new CounterRandomStream(CounterRandom.SeedKey(seed), CounterRandom.Stream(group, stratum)).ShuffleFront(rows, count);
        return rows[..count];
    }

    /// <summary>
    /// Coverage-centric selection (Zheng et al. 2023, Algorithm 1 after its hard cut-off): equal-width strata over the
    /// scores of <paramref name="rows"/>; strata visited from the smallest (ties to the lower stratum), each taking
    /// min(size, floor(budget left / strata left)) rows drawn at random.
    /// </summary>
    private static List<int> Stratified(int[] rows, int count, double[] scores, Settings settings, int group)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (int r in rows)
        {
            min = Math.Min(min, scores[r]);
            max = Math.Max(max, scores[r]);
        }
        int k = settings.NumberOfStrata;
        var strata = new List<int>[k];
        for (int b = 0; b < k; b++)
            strata[b] = [];
        Array.Sort(rows);
        foreach (int r in rows)
        {
            int b = max > min ? (int)Math.Min(k - 1, Math.Floor((scores[r] - min) / (max - min) * k)) : 0;
            strata[b].Add(r);
        }
        var visit = Enumerable.Range(0, k).Where(b => strata[b].Count > 0).OrderBy(b => strata[b].Count).ThenBy(b => b).ToArray();
        var kept = new List<int>(count);
        int budget = count;
        for (int i = 0; i < visit.Length && budget > 0; i++)
        {
            int b = visit[i];
            int take = Math.Min(strata[b].Count, budget / (visit.Length - i));
            kept.AddRange(Sample(strata[b].ToArray(), take, settings.Seed, group, b + 1));
            budget -= take;
        }
        return kept;
    }
}
