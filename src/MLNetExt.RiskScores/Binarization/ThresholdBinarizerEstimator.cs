using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;

namespace MLNetExt.RiskScores;

/// <summary>
/// Turns each slot of a numeric vector column into threshold indicators, x &gt;= t, with readable slot names
/// ("Age &gt;= 60"), so score cards can give points to ranges of a continuous or ordinal feature. Learns the thresholds
/// from the fit data: every distinct value but the smallest (a slot's smallest value is always reached), or, when there
/// are more, <see cref="Options.MaximumThresholdsPerFeature"/> of them evenly spaced by rank, as FasterRisk's binarisation
/// helper picks quantiles. A slot whose values are only 0 and 1 is kept as it is, under its own name.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Learns from data</term><description>yes: the thresholds of each slot</description></item>
/// <item><term>Input</term><description>a known-size vector of Single (slot names used when present, "f3" otherwise)</description></item>
/// <item><term>Output</term><description>a known-size vector of Single 0/1 values, with slot names</description></item>
/// <item><term>Missing values</term><description>NaN in the fit data adds an indicator "&lt;name&gt; is missing"; a NaN
/// value gives 0 in every threshold indicator of its slot</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt.RiskScores / none</description></item>
/// <item><term>Deterministic</term><description>yes</description></item>
/// </list>
/// </remarks>
public sealed class ThresholdBinarizerEstimator : IEstimator<ThresholdBinarizerTransformer>
{
    internal const string ComponentName = "ThresholdBinarizer";
    private readonly IHostEnvironment _env;
    private readonly Options _options;

    /// <summary>Options of <see cref="ThresholdBinarizerEstimator"/>.</summary>
    public sealed class Options
    {
        internal static class Defaults
        {
            public const int MaximumThresholdsPerFeature = 100;
        }

        /// <summary>The output column: a vector of 0/1 indicators.</summary>
        /// <value>Default "Features".</value>
        public string OutputColumnName = ColumnNames.Features;

        /// <summary>The input column (a known-size vector of Single); null for <see cref="OutputColumnName"/>.</summary>
        /// <value>Default null.</value>
        public string? InputColumnName;

        /// <summary>The most thresholds (indicators) made for one slot.</summary>
        /// <value>Range [1, 10000]. Default 100, as FasterRisk's <c>convert_continuous_df_to_binary_df(num_quantiles=100)</c>.</value>
        public int MaximumThresholdsPerFeature = Defaults.MaximumThresholdsPerFeature;

        /// <summary>Whether slots whose values are only 0 and 1 pass through unchanged (one slot, same name).</summary>
        /// <value>Default true, as FasterRisk's helper.</value>
        public bool KeepBinaryFeatures = true;

        internal void Validate()
        {
            Guard.ColumnName(OutputColumnName, nameof(OutputColumnName));
            Guard.Option(InputColumnName is null || !string.IsNullOrWhiteSpace(InputColumnName), nameof(InputColumnName), "must be null or a non-empty column name.");
            Guard.Option(MaximumThresholdsPerFeature is >= 1 and <= 10_000, nameof(MaximumThresholdsPerFeature),
                $"must be in [1, 10000]; got {MaximumThresholdsPerFeature}.");
        }
    }

    internal ThresholdBinarizerEstimator(IHostEnvironment env, Options options)
    {
        _env = Guard.NotNull(env, nameof(env));
        Guard.NotNull(options, nameof(options));
        options.Validate();
        _options = new Options
        {
            OutputColumnName = options.OutputColumnName,
            InputColumnName = options.InputColumnName,
            MaximumThresholdsPerFeature = options.MaximumThresholdsPerFeature,
            KeepBinaryFeatures = options.KeepBinaryFeatures,
        };
    }

    private string Input => _options.InputColumnName ?? _options.OutputColumnName;

    /// <summary>Learns the thresholds of every slot.</summary>
    public ThresholdBinarizerTransformer Fit(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        using var channel = new ComponentChannel(_env, ComponentName, "Fit");
        var reader = new DataViewColumnReader(input, ComponentName);
        var column = reader.AddVector(Input, "input", ValueRule.Any);
        int n = reader.Read(channel);
        int d = column.Size;
        var names = SlotNames.ReadOrDefault(input.Schema[Input], d);
        var outputs = new List<ThresholdBinarizerTransformer.Indicator>();
        var values = new List<float>(n);
        for (int j = 0; j < d; j++)
        {
            values.Clear();
            bool missing = false;
            for (int i = 0; i < n; i++)
            {
                float v = column.Values[(long)i * d + j];
                if (float.IsNaN(v))
                    missing = true;
                else if (float.IsInfinity(v))
                    throw new InvalidOperationException($"Input column '{Input}' has {v} in slot {j} ({names[j]}) at row {i}; {ComponentName} needs finite values or NaN for missing.");
                else
                    values.Add(v + 0f);
            }
            var distinct = values.Distinct().Order().ToArray();
            if (_options.KeepBinaryFeatures && distinct.Length == 2 && distinct[0] == 0 && distinct[1] == 1)
            {
                outputs.Add(new(j, ThresholdBinarizerTransformer.IndicatorKind.Copy, 0, names[j]));
            }
            else if (distinct.Length > 1)
            {
                var thresholds = distinct.Skip(1).ToArray();
                int count = Math.Min(_options.MaximumThresholdsPerFeature, thresholds.Length);
                for (int q = 0; q < count; q++)
                {
                    // Evenly spaced by rank among the distinct values above the smallest (all of them when few).
                    int index = count == thresholds.Length ? q : (int)Math.Round((double)(q + 1) * thresholds.Length / (count + 1), MidpointRounding.AwayFromZero) - 1;
                    index = Math.Clamp(index, 0, thresholds.Length - 1);
                    float t = thresholds[index];
                    if (outputs.Count > 0 && outputs[^1].Source == j && outputs[^1].Threshold == t)
                        continue;
                    outputs.Add(new(j, ThresholdBinarizerTransformer.IndicatorKind.AtLeast, t,
                        string.Create(CultureInfo.InvariantCulture, $"{names[j]} >= {t:R}")));
                }
            }
            if (missing)
                outputs.Add(new(j, ThresholdBinarizerTransformer.IndicatorKind.Missing, 0, $"{names[j]} is missing"));
        }
        if (outputs.Count == 0)
            throw new InvalidOperationException($"Every slot of input column '{Input}' is constant in the {n} fit rows; {ComponentName} made no indicator.");
        channel.Info($"{ComponentName}: {d} slots of '{Input}' became {outputs.Count} indicators.");
        return new ThresholdBinarizerTransformer(Input, _options.OutputColumnName, d, outputs.ToArray());
    }

    /// <summary>The input columns plus the indicator vector (with slot names).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        var input = SchemaChecks.Find(inputSchema, Input, "input");
        if (input.Kind != SchemaShape.Column.VectorKind.Vector || input.ItemType != NumberDataViewType.Single || input.IsKey)
            throw SchemaChecks.Mismatch("input", Input, "a known-size vector of Single", SchemaChecks.Describe(input));
        var slotNames = MLNetBridge.MakeColumn("SlotNames", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false);
        var output = MLNetBridge.MakeColumn(_options.OutputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
            new SchemaShape([slotNames]));
        return new SchemaShape(inputSchema.Where(c => c.Name != _options.OutputColumnName).Append(output));
    }
}
