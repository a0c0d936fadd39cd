using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Calibration.Reading;
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
/// <item><term>Normalization / caching</term><description>not needed / the score vectors are held during the fit in their column's
/// type (K x 4 bytes a row for Single), the labels as bytes (K &lt;= 256), the weights in their column's type; each Newton
/// step is one parallel pass over them (logits are computed in the pass, not stored)</description></item>
/// <item><term>Package / native dependency</term><description>MLNetExt / none</description></item>
/// <item><term>Deterministic</term><description>yes</description></item>
/// </list>
/// For probability input the logits are <c>ln(max(p, ProbabilityFloor))</c> (softmax is unchanged by a shift of all
/// logits, so log-probabilities serve as logits). The negative log-likelihood is convex in 1/T; it is minimized with
/// its exact first and second derivatives (log-sum-exp, double precision) by safeguarded Newton steps with no bounds on
/// T (the optimum is bracketed by factors of 16 from T = 1). Scores that carry no information (best at T = infinity)
/// are refused; scores that separate the fit labels (best as T -&gt; 0) give a warning. Vector scaling uses Newton's
/// method up to 16 classes and L-BFGS above (cost O(n K) a pass: 1,000 classes on 2,000 rows take seconds; such problems
/// are usually separable and stop at 500 iterations with a warning).
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

        /// <summary>An optional column of example weights, as ML.NET's <c>ExampleWeightColumnName</c>.</summary>
        /// <value>Default null: every row weighs 1. Weights must be finite and &gt;= 0, and not all 0; each row's
        /// log-likelihood is multiplied by its weight; a row of weight 0 is as if it were not there.</value>
        public string? ExampleWeightColumnName;

        /// <summary>For probability input: logits are ln(max(p, floor)).</summary>
        /// <value>Range (0, 0.01]. Default 1e-12 (our choice: ln 1e-12 = -27.6 is below what a float probability next to
        /// classes near 1 can express; it is the floor the issue's reference computation uses).</value>
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
            Guard.Option(ExampleWeightColumnName is null || !string.IsNullOrWhiteSpace(ExampleWeightColumnName), nameof(ExampleWeightColumnName),
                "must be null or a non-empty column name.");
        }

        /// <summary>A copy: the estimator keeps one, so that later changes to the caller's object change nothing.</summary>
        internal Options Clone() => (Options)MemberwiseClone();
    }

    internal TemperatureScalingEstimator(IHostEnvironment env, Options options)
    {
        _env = Guard.NotNull(env, nameof(env));
        // A copy, checked now: changing the options object after this changes nothing.
        _options = Guard.NotNull(options, nameof(options)).Clone();
        _options.Validate();
    }

    /// <summary>Fits the temperature (or vector scaling).</summary>
    public TemperatureScalingTransformer Fit(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        var scoreColumn = SchemaChecks.Find(input.Schema, _options.ScoreColumnName, "score");
        if (scoreColumn.Type is not VectorDataViewType { IsKnownSize: true } vector
            || (vector.ItemType != NumberDataViewType.Single && vector.ItemType != NumberDataViewType.Double))
            throw SchemaChecks.Mismatch("score", _options.ScoreColumnName, "a known-size vector of Single", scoreColumn.Type);
        if (vector.Size < 2)
            throw SchemaChecks.Mismatch("score", _options.ScoreColumnName, "a vector of at least 2 class scores", scoreColumn.Type);
        int k = vector.Size;
        CalibrationEvaluator.CheckClassLabel(input.Schema, _options.LabelColumnName, k);
        bool singleWeights = CalibrationEvaluator.CheckWeightColumn(input.Schema, _options.ExampleWeightColumnName);
        using var channel = new ComponentChannel(_env, ComponentName, "Fit");
        var spec = new ReadSpec(ComponentName, _options.ScoreColumnName, "score", k, _options.LabelColumnName, LabelKind.Class, _options.ExampleWeightColumnName);
        return vector.ItemType == NumberDataViewType.Single
            ? singleWeights ? Fit<float, float>(input, spec, k, channel) : Fit<float, double>(input, spec, k, channel)
            : singleWeights ? Fit<double, float>(input, spec, k, channel) : Fit<double, double>(input, spec, k, channel);
    }

    private TemperatureScalingTransformer Fit<T, TW>(IDataView input, ReadSpec spec, int k, ComponentChannel channel)
        where T : unmanaged, System.Numerics.INumber<T>
        where TW : unmanaged, System.Numerics.INumberBase<TW>
    {
        var rows = FitReader.ReadMulticlass<T, TW>(input, spec, k, _options.ScoreKind, channel);
        var onPass = TemperatureScalingSupport.OnPass(channel);
        var fit = TemperatureFitter.FitMulticlass(rows, _options.ScoreKind, _options.ProbabilityFloor, onPass);
        TemperatureScalingSupport.Report(channel, fit, rows.Count, _options.ScoreColumnName, _options.LabelColumnName);
        if (_options.Method == TemperatureScalingMethod.Temperature)
        {
            return new TemperatureScalingTransformer(_options.ScoreColumnName, _options.OutputName, _options.ScoreKind,
                _options.ProbabilityFloor, k, fit.Temperature);
        }
        var vectorFit = VectorScalingFitter.Fit(rows, _options.ScoreKind, _options.ProbabilityFloor, 1 / fit.Temperature, onPass);
        if (!vectorFit.Converged)
        {
            channel.Warning($"Vector scaling stopped after {vectorFit.Iterations} {(vectorFit.UsedNewton ? "Newton" : "L-BFGS")} iterations before " +
                "converging (with 2K - 1 parameters the fit data may be separable).");
        }
        channel.Info($"Vector scaling on {rows.Count} rows: log-loss {vectorFit.LogLossBefore:0.######} -> {vectorFit.LogLossAfter:0.######} " +
            $"(temperature alone: {fit.LogLossAfter:0.######}; {vectorFit.Iterations} {(vectorFit.UsedNewton ? "Newton" : "L-BFGS")} iterations).");
        return new TemperatureScalingTransformer(_options.ScoreColumnName, _options.OutputName, _options.ScoreKind,
            _options.ProbabilityFloor, vectorFit.Weights, vectorFit.Biases);
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
        if (_options.ExampleWeightColumnName is { } weightName)
        {
            var weight = SchemaChecks.Find(inputSchema, weightName, "example weight");
            if (weight.Kind != SchemaShape.Column.VectorKind.Scalar || weight.IsKey || weight.ItemType is not NumberDataViewType)
                throw SchemaChecks.Mismatch("example weight", weightName, "a numeric scalar (Single or Double)", SchemaChecks.Describe(weight));
        }
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
