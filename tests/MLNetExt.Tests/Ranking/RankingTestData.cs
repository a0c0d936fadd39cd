using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetExt.Tests.Ranking;

/// <summary>Ranking data for the tests: the "formula set" (integer arithmetic, rebuilt identically by the Python oracle
/// scripts) and a seeded synthetic learning-to-rank set for training ML.NET's FastTree ranker.</summary>
internal static class RankingTestData
{
    /// <summary>
    /// 40 queries of 2 to 13 documents, 296 rows: query q has n = 2 + (7q mod 12) documents, document i has label
    /// ((31q + 17i) mod 7) mod 5 (all 0 when q mod 9 = 4: queries 4, 13, 22, 31) and score ((13q + 29i) mod 11) / 4,
    /// which ties often and is exact in float. The same formulas are in the oracle script quoted by the tests.
    /// </summary>
    public static (float[] Labels, double[] Scores, int[] Offsets) FormulaSet()
    {
        var labels = new List<float>();
        var scores = new List<double>();
        var offsets = new List<int> { 0 };
        for (int q = 0; q < 40; q++)
        {
            int n = 2 + q * 7 % 12;
            for (int i = 0; i < n; i++)
            {
                labels.Add(q % 9 == 4 ? 0 : (q * 31 + i * 17) % 7 % 5);
                scores.Add((q * 13 + i * 29) % 11 / 4.0);
            }
            offsets.Add(labels.Count);
        }
        return (labels.ToArray(), scores.ToArray(), offsets.ToArray());
    }

    public sealed class Row
    {
        public float Label { get; set; }

        public float Score { get; set; }

        public double ScoreDouble { get; set; }

        public uint GroupId { get; set; }

        public float Weight { get; set; } = 1;

        public float QueryNumber { get; set; }
    }

    /// <summary>Rows as an IDataView with GroupId a key type (as ML.NET's ranking evaluator requires).</summary>
    public static IDataView View(MLContext mlContext, IEnumerable<Row> rows, ulong groupCount = 1000)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.GroupId)].ColumnType = new KeyDataViewType(typeof(uint), groupCount);
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }

    /// <summary>The formula set as rows (GroupId = query + 1, a key value).</summary>
    public static List<Row> FormulaRows(Func<int, float>? weight = null)
    {
        var (labels, scores, offsets) = FormulaSet();
        var rows = new List<Row>();
        for (int q = 0; q + 1 < offsets.Length; q++)
        {
            for (int i = offsets[q]; i < offsets[q + 1]; i++)
            {
                rows.Add(new Row
                {
                    Label = labels[i], Score = (float)scores[i], ScoreDouble = scores[i], GroupId = (uint)(q + 1),
                    Weight = weight?.Invoke(q) ?? 1, QueryNumber = q,
                });
            }
        }
        return rows;
    }

    public sealed class FeatureRow
    {
        public float Label { get; set; }

        [VectorType(6)]
        public float[] Features { get; set; } = [];

        public uint GroupId { get; set; }
    }

    /// <summary>
    /// A seeded synthetic LTR set: queries of 3 to 40 documents with 6 features; the label (0-4) is a noisy monotone
    /// function of three of them, rounded, so a tree ranker learns it partially and scores contain ties.
    /// </summary>
    public static IDataView SyntheticLtr(MLContext mlContext, int queries, int seed, uint firstGroup = 1)
    {
        var random = new Random(seed);
        var rows = new List<FeatureRow>();
        for (int q = 0; q < queries; q++)
        {
            int n = 3 + random.Next(38);
            double queryShift = random.NextDouble() - 0.5;
            for (int i = 0; i < n; i++)
            {
                var f = new float[6];
                for (int j = 0; j < 6; j++)
                    f[j] = (float)Math.Round(random.NextDouble() * 10) / 10; // coarse values: ties in the model's scores
                double latent = 2.2 * f[0] + 1.4 * f[1] - 0.8 * f[2] + queryShift + 0.6 * (random.NextDouble() - 0.5);
                rows.Add(new FeatureRow { Label = (float)Math.Clamp(Math.Round(latent * 1.6), 0, 4), Features = f, GroupId = firstGroup + (uint)q });
            }
        }
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.GroupId)].ColumnType = new KeyDataViewType(typeof(uint), firstGroup + (ulong)queries);
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }
}
