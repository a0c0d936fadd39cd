using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetExt.Calibration.Fitting;
using MLNetExt.Calibration.Kernels;
using MLNetExt.Calibration.Reading;
using MLNetExt.Data;
using MLNetExt.Diagnostics;

namespace MLNetExt.Calibration;

/// <summary>
/// The base of MLNetExt's binary calibrator estimators: checks the columns, reads the fit data (finite scores,
/// Boolean labels with both classes present, optional example weights) and hands it to the calibrator's fit. Not meant
/// to be derived from outside MLNetExt.
/// </summary>
/// <remarks>
/// The options are copied and checked when the estimator is created: changing the options object afterwards changes
/// nothing (ML.NET's trainers behave the same way for the values they validate). The fit data is held in memory while
/// the calibrator is fitted, in the score column's own type (4 bytes a row for Single), one bit a row for the label,
/// and the weight column's type; each optimisation step is one parallel pass over it and checks for cancellation
/// (<c>MLContext.CancelExecution</c> stops a fit with <see cref="OperationCanceledException"/>).
/// </remarks>
/// <typeparam name="TTransformer">The fitted calibrator.</typeparam>
public abstract class BinaryCalibratorEstimator<TTransformer> : IEstimator<TTransformer>
    where TTransformer : BinaryCalibratorTransformer
{
    private readonly IHostEnvironment _env;
    private readonly string _component;

    private protected BinaryCalibratorEstimator(IHostEnvironment env, BinaryCalibratorOptions options, string component)
    {
        _env = Guard.NotNull(env, nameof(env));
        CopiedOptions = Guard.NotNull(options, nameof(options)).Clone();
        _component = component;
        CopiedOptions.Validate();
    }

    /// <summary>The estimator's own copy of the options (validated).</summary>
    private protected BinaryCalibratorOptions CopiedOptions { get; }

    /// <summary>Fits the calibrator to a Boolean label and a score column (and example weights, if named).</summary>
    public TTransformer Fit(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        var options = CopiedOptions;
        var label = SchemaChecks.Find(input.Schema, options.LabelColumnName, "label");
        if (label.Type is not BooleanDataViewType)
            throw SchemaChecks.Mismatch("label", options.LabelColumnName, "Boolean", label.Type);
        var score = BinaryCalibratorSupport.CheckScore(input.Schema, options.ScoreColumnName);
        bool singleWeights = CalibrationEvaluator.CheckWeightColumn(input.Schema, options.ExampleWeightColumnName);
        using var channel = new ComponentChannel(_env, _component, "Fit");
        var spec = new ReadSpec(_component, options.ScoreColumnName, "score", null, options.LabelColumnName, LabelKind.Boolean, options.ExampleWeightColumnName);
        return score.Type == NumberDataViewType.Single
            ? singleWeights ? Fit<float, float>(input, spec, channel) : Fit<float, double>(input, spec, channel)
            : singleWeights ? Fit<double, float>(input, spec, channel) : Fit<double, double>(input, spec, channel);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => BinaryCalibratorSupport.GetOutputSchema(inputSchema, CopiedOptions);

    private TTransformer Fit<T, TW>(IDataView input, ReadSpec spec, ComponentChannel channel)
        where T : unmanaged, System.Numerics.INumber<T>
        where TW : unmanaged, System.Numerics.INumberBase<TW>
    {
        var rows = FitReader.ReadBinary<T, TW>(input, spec, CopiedOptions.ScoreKind, channel);
        return FitCore(channel, rows);
    }

    /// <summary>
    /// Fits the map to validated data: finite scores (in [0, 1] for probabilities), labels with both classes among the
    /// rows of weight above 0. Check <paramref name="channel"/> for cancellation in every optimisation step.
    /// </summary>
    private protected abstract TTransformer FitCore<T, TW>(ComponentChannel channel, PredictionStore<T, TW> rows)
        where T : unmanaged, System.Numerics.INumber<T>
        where TW : unmanaged, System.Numerics.INumberBase<TW>;
}
