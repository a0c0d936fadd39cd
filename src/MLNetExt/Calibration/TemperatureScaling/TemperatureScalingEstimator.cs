using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Data;
using MLNetExt.Diagnostics;
using MLNetExt.Interop;

namespace MLNetExt.Calibration;

/// <summary>
/// Fits temperature scaling (Guo, Pleiss, Sun and Weinberger, ICML 2017) for a multiclass classifier: one
/// temperature T &gt; 0 such that softmax(z / T) of the logits z maximizes the likelihood of the labels. It changes
/// confidence, never the ranking of the classes, so the predicted label is unchanged by construction.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Learns from data</term><description>yes: one temperature, from a class label and a score vector</description></item>
/// <item><term>Input</term><description>score: known-size vector of Single or Double (probabilities, as ML.NET's multiclass
/// <c>Score</c>, or logits); label: key with one value per class, or a numeric class index 0..K-1</description></item>
/// <item><term>Output</term><description>vector of Single probabilities, same size and annotations (slot names) as the input</description></item>
/// <item><term>Normalization / caching</term><description>not needed / one pass, the scores kept in memory as doubles</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt / none</description></item>
/// <item><term>Deterministic</term><description>yes</description></item>
/// </list>
/// For probability input the logits are <c>ln(max(p, ProbabilityFloor))</c> (softmax is unchanged by a shift of all
/// logits, so log-probabilities serve as logits). The negative log-likelihood is convex in 1/T; it is minimized with
/// its exact first and second derivatives (log-sum-exp, double precision) by safeguarded Newton steps, T in [1e-4, 1e4].
/// Reference: netcal's <c>TemperatureScaling</c> (https://github.com/EFS-OpenSource/calibration-framework).
/// </remarks>
public sealed class TemperatureScalingEstimator : IEstimator<TemperatureScalingTransformer>
{
    internal const string ComponentName = "TemperatureScaling";
    private readonly IHostEnvironment _env;
    private readonly Options _options;

    /// <summary>Options of <see cref="TemperatureScalingEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>The label: a key column with one value per class, or a numeric column of class indices 0..K-1.</summary>
        /// <value>Default "Label".</value>
        public string LabelColumnName = ColumnNames.Label;

        /// <summary>The score vector to calibrate (known size K &gt;= 2).</summary>
        /// <value>Default "Score", the probability vector of ML.NET's multiclass trainers.</value>
        public string ScoreColumnName = ColumnNames.Score;

        /// <summary>The column the calibrated probabilities are written to; null writes over <see cref="ScoreColumnName"/>.</summary>
        /// <value>Default null: the calibrated vector replaces "Score", so <c>MulticlassClassification.Evaluate</c>,
        /// <c>EvaluateCalibration</c> and <c>PredictedLabel</c>-based code downstream see it unchanged in shape.</value>
        public string? OutputColumnName;

        /// <summary>Whether the score vector holds probabilities or logits.</summary>
        /// <value>Default <see cref="ScoreKind.Probability"/>, as ML.NET's multiclass <c>Score</c>.</value>
        public ScoreKind ScoreKind = ScoreKind.Probability;

        /// <summary>Which map to fit: one temperature, or one weight and bias per class.</summary>
        /// <value>Default <see cref="TemperatureScalingMethod.Temperature"/>: it cannot change the predicted class and, with
        /// one parameter, cannot overfit a small calibration set. Vector scaling (Guo et al. 2017) can fit class-specific
        /// miscalibration but may change the argmax.</value>
        public TemperatureScalingMethod Method = TemperatureScalingMethod.Temperature;

        /// <summary>For probability input: logits are ln(max(p, floor)).</summary>
        /// <value>Range (0, 0.01]. Default 1e-12 (our choice: ln 1e-12 = -27.6 is below what a float probability next to
        /// classes near 1 can express; it is the floor the reference computation uses).</value>
        public double ProbabilityFloor = ScoreMath.DefaultProbabilityFloor;

        internal string OutputName => OutputColumnName ?? ScoreColumnName;

        internal void Validate()
        {
            Guard.ColumnName(LabelColumnName, nameof(LabelColumnName));
            Guard.ColumnName(ScoreColumnName, nameof(ScoreColumnName));
            Guard.Option(OutputColumnName is null || !string.IsNullOrWhiteSpace(OutputColumnName), nameof(OutputColumnName), "must be null or a non-empty name.");
            Guard.Option(Enum.IsDefined(ScoreKind), nameof(ScoreKind), $"has the unknown value {(int)ScoreKind}.");
            Guard.Option(Enum.IsDefined(Method), nameof(Method), $"has the unknown value {(int)Method}.");
            Guard.Option(ProbabilityFloor > 0 && ProbabilityFloor <= 0.01, nameof(ProbabilityFloor), $"must be in (0, 0.01]; got {ProbabilityFloor}.");
        }
    }

    internal TemperatureScalingEstimator(IHostEnvironment env, Options options)
    {
        _env = Guard.NotNull(env, nameof(env));
        _options = Guard.NotNull(options, nameof(options));
        _options.Validate();
    }

    /// <summary>Fits the temperature.</summary>
    public TemperatureScalingTransformer Fit(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        using var channel = new ComponentChannel(_env, ComponentName, "Fit");
        var reader = new DataViewColumnReader(input, ComponentName);
        var score = reader.AddVector(_options.ScoreColumnName, "score",
            _options.ScoreKind == ScoreKind.Probability ? ValueRule.Probability : ValueRule.Finite);
        if (score.Size < 2)
            throw SchemaChecks.Mismatch("score", _options.ScoreColumnName, "a vector of at least 2 class scores", input.Schema[_options.ScoreColumnName].Type);
        var label = reader.AddClassLabel(_options.LabelColumnName, "label", score.Size);
        reader.Read(channel);

        int k = score.Size, n = reader.RowCount;
        var labels = label.Values;
        int first = labels[0];
        if (Array.TrueForAll(labels, y => y == first))
        {
            throw new InvalidOperationException(
                $"Label column '{_options.LabelColumnName}' holds only class {first} in all {n} rows of the fit data; " +
                $"{ComponentName} needs examples of at least two classes.");
        }
        var logits = new double[(long)n * k];
        for (int i = 0; i < n; i++)
            ScoreMath.ToLogits(score.Values.AsSpan(i * k, k), _options.ScoreKind, _options.ProbabilityFloor, logits.AsSpan(i * k, k));
        var fit = TemperatureFitter.FitMulticlass(logits, k, labels);
        TemperatureScalingSupport.Report(channel, fit, n, _options.ScoreColumnName, _options.LabelColumnName);
        if (_options.Method == TemperatureScalingMethod.Temperature)
        {
            return new TemperatureScalingTransformer(_options.ScoreColumnName, _options.OutputName, _options.ScoreKind,
                _options.ProbabilityFloor, k, fit.Temperature);
        }
        var vector = VectorScalingFitter.Fit(logits, k, labels, 1 / fit.Temperature);
        if (!vector.Converged)
            channel.Warning($"Vector scaling stopped after {vector.Iterations} Newton steps before converging (the fit data may be separable).");
        channel.Info($"Vector scaling on {n} rows: log-loss {vector.LogLossBefore:0.######} -> {vector.LogLossAfter:0.######} " +
            $"(temperature alone: {fit.LogLossAfter:0.######}; {vector.Iterations} Newton steps).");
        return new TemperatureScalingTransformer(_options.ScoreColumnName, _options.OutputName, _options.ScoreKind,
            _options.ProbabilityFloor, vector.Weights, vector.Biases);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Guard.NotNull(inputSchema, nameof(inputSchema));
        var label = SchemaChecks.Find(inputSchema, _options.LabelColumnName, "label");
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || !(label.IsKey || label.ItemType is NumberDataViewType))
            throw SchemaChecks.Mismatch("label", _options.LabelColumnName, "a key type or a numeric scalar holding class indices", SchemaChecks.Describe(label));
        var score = SchemaChecks.Find(inputSchema, _options.ScoreColumnName, "score");
        if (score.Kind != SchemaShape.Column.VectorKind.Vector || score.IsKey
            || (score.ItemType != NumberDataViewType.Single && score.ItemType != NumberDataViewType.Double))
            throw SchemaChecks.Mismatch("score", _options.ScoreColumnName, "a known-size vector of Single", SchemaChecks.Describe(score));
        var columns = inputSchema.Where(c => c.Name != _options.OutputName).ToList();
        columns.Add(MLNetBridge.MakeColumn(_options.OutputName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single,
            false, score.Annotations));
        return new SchemaShape(columns);
    }
}

/// <summary>The map <see cref="TemperatureScalingEstimator"/> fits.</summary>
public enum TemperatureScalingMethod
{
    /// <summary>softmax(z / T): one parameter; the predicted class never changes.</summary>
    Temperature,

    /// <summary>softmax(w ⊙ z + b): a weight and a bias per class (Guo et al. 2017); can change the predicted class.</summary>
    VectorScaling,
}
