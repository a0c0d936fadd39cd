using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetExt.Data;
using MLNetExt.Diagnostics;

namespace MLNetExt.Calibration;

/// <summary>Reads predictions from an <see cref="IDataView"/> (one pass) and computes the calibration metrics.</summary>
internal static class CalibrationEvaluator
{
    internal const string ComponentName = "EvaluateCalibration";

    /// <summary>A row whose probabilities sum further than this from 1 is counted in a warning.</summary>
    internal const double SumTolerance = 1e-3;

    public static BinaryCalibrationMetrics EvaluateBinary(IHostEnvironment env, IDataView data, string labelColumnName,
        string probabilityColumnName, CalibrationEvaluatorOptions? options)
    {
        Guard.NotNull(data, nameof(data));
        Guard.ColumnName(labelColumnName, nameof(labelColumnName));
        Guard.ColumnName(probabilityColumnName, nameof(probabilityColumnName));
        options ??= new CalibrationEvaluatorOptions();
        options.Validate();

        using var channel = new ComponentChannel(env, ComponentName, "Evaluate");
        var reader = new DataViewColumnReader(data, ComponentName);
        var label = reader.AddBoolean(labelColumnName, "label");
        var probability = reader.AddScalar(probabilityColumnName, "probability", ValueRule.Probability);
        reader.Read(channel);
        var metrics = new BinaryCalibrationMetrics(probability.Values, label.Values, options);
        channel.Trace($"Binary calibration over {metrics.Count} rows: ECE {metrics.ExpectedCalibrationError:0.000000}.");
        return metrics;
    }

    public static MulticlassCalibrationMetrics EvaluateMulticlass(IHostEnvironment env, IDataView data, string labelColumnName,
        string scoreColumnName, CalibrationEvaluatorOptions? options)
    {
        Guard.NotNull(data, nameof(data));
        Guard.ColumnName(labelColumnName, nameof(labelColumnName));
        Guard.ColumnName(scoreColumnName, nameof(scoreColumnName));
        options ??= new CalibrationEvaluatorOptions();
        options.Validate();

        using var channel = new ComponentChannel(env, ComponentName, "Evaluate");
        var reader = new DataViewColumnReader(data, ComponentName);
        var score = reader.AddVector(scoreColumnName, "score", ValueRule.Probability);
        if (score.Size < 2)
            throw SchemaChecks.Mismatch("score", scoreColumnName, "a vector of at least 2 class probabilities", data.Schema[scoreColumnName].Type);
        var label = reader.AddClassLabel(labelColumnName, "label", score.Size);
        reader.Read(channel);

        int k = score.Size;
        int offSimplex = CountRowsOffSimplex(score.Values, k);
        if (offSimplex > 0)
        {
            channel.Warning($"{offSimplex} of {reader.RowCount} rows of '{scoreColumnName}' do not sum to 1 (tolerance {SumTolerance}); " +
                "top-label and classwise errors assume probability vectors, and Brier score and log-loss are not comparable across models for such rows.");
        }
        var metrics = new MulticlassCalibrationMetrics(score.Values, k, label.Values, options);
        channel.Trace($"Multiclass calibration over {metrics.Count} rows, {k} classes: top-label ECE {metrics.ExpectedCalibrationError:0.000000}.");
        return metrics;
    }

    private static int CountRowsOffSimplex(ReadOnlySpan<float> values, int classCount)
    {
        int count = 0;
        for (int start = 0; start < values.Length; start += classCount)
        {
            double sum = 0;
            foreach (float v in values.Slice(start, classCount))
                sum += v;
            if (Math.Abs(sum - 1) > SumTolerance)
                count++;
        }
        return count;
    }
}
