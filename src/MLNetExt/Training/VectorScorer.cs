using Microsoft.ML.Data;

namespace MLNetExt.Training;

/// <summary>What a trained model computes for one feature vector (implemented by model-parameter classes).</summary>
/// <remarks>
/// The output layout depends on the task: ranking writes one score; binary classification writes the score (logit
/// scale: the model predicts the positive class when it is above 0) and then the probability of the positive class;
/// multiclass classification writes one probability per class. Implementations are immutable and thread-safe;
/// per-cursor scratch space belongs to the <see cref="RowScorer"/> they create.
/// </remarks>
internal interface IVectorScorer
{
    /// <summary>The length of the feature vector the model was trained on.</summary>
    int FeatureCount { get; }

    /// <summary>Values written per row: 1 (ranking), 2 (binary: score, probability) or the class count.</summary>
    int OutputCount { get; }

    /// <summary>A scorer for one cursor or one thread, holding its own scratch buffers.</summary>
    RowScorer CreateRowScorer();
}

/// <summary>Scores rows one at a time for one cursor; not thread-safe (one instance per cursor).</summary>
internal abstract class RowScorer
{
    /// <summary>Writes the model's outputs for <paramref name="features"/> (length <see cref="IVectorScorer.FeatureCount"/>).</summary>
    public abstract void Score(in VBuffer<float> features, Span<double> output);
}

/// <summary>A <see cref="RowScorer"/> for models that read dense features: sparse rows are expanded into a reused buffer.</summary>
internal sealed class DenseRowScorer : RowScorer
{
    private readonly float[] _dense;
    private readonly ScoreDense _score;

    /// <summary>Scores one dense feature vector.</summary>
    public delegate void ScoreDense(ReadOnlySpan<float> features, Span<double> output);

    public DenseRowScorer(int featureCount, ScoreDense score)
    {
        _dense = new float[featureCount];
        _score = score;
    }

    public override void Score(in VBuffer<float> features, Span<double> output)
    {
        if (features.IsDense)
        {
            _score(features.GetValues(), output);
            return;
        }
        Array.Clear(_dense);
        var indices = features.GetIndices();
        var values = features.GetValues();
        for (int k = 0; k < indices.Length; k++)
            _dense[indices[k]] = values[k];
        _score(_dense, output);
    }
}
