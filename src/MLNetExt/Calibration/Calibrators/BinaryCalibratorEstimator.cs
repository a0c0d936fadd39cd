using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Diagnostics;

namespace MLNetExt.Calibration;

/// <summary>
/// The base of MLNetExt's binary calibrator estimators: checks the columns, reads the fit data (finite scores,
/// Boolean labels with both classes present) and hands it to the calibrator's fit. Not meant to be derived from
/// outside MLNetExt.
/// </summary>
/// <typeparam name="TTransformer">The fitted calibrator.</typeparam>
public abstract class BinaryCalibratorEstimator<TTransformer> : IEstimator<TTransformer>
    where TTransformer : BinaryCalibratorTransformer
{
    private readonly IHostEnvironment _env;
    private readonly BinaryCalibratorOptions _options;
    private readonly string _component;

    private protected BinaryCalibratorEstimator(IHostEnvironment env, BinaryCalibratorOptions options, string component)
    {
        _env = Guard.NotNull(env, nameof(env));
        _options = Guard.NotNull(options, nameof(options));
        _component = component;
        _options.Validate();
    }

    /// <summary>Fits the calibrator to a Boolean label and a score column.</summary>
    public TTransformer Fit(IDataView input)
    {
        Guard.NotNull(input, nameof(input));
        using var channel = new ComponentChannel(_env, _component, "Fit");
        var (scores, labels) = BinaryCalibratorSupport.Read(channel, input, _options, _component);
        return FitCore(channel, scores, labels);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => BinaryCalibratorSupport.GetOutputSchema(inputSchema, _options);

    /// <summary>Fits the map to validated data: finite scores (in [0, 1] for probabilities) and both classes.</summary>
    private protected abstract TTransformer FitCore(ComponentChannel channel, double[] scores, bool[] labels);
}
