namespace MLNetExt.CovariateShift;

/// <summary>The base features psi(x) of a minimax risk classifier.</summary>
public enum FeatureMapKind
{
    /// <summary>The features themselves: psi(x) = x (with a leading 1 when an intercept is fitted).</summary>
    Linear = 0,

    /// <summary>
    /// Random Fourier features approximating a Gaussian kernel (Rahimi and Recht 2007, as MRCpy's
    /// <c>RandomFourierPhi</c>): psi(x) = sqrt(2 / D) [cos(x W), sin(x W)] with the D / 2 columns of W drawn from
    /// Normal(0, 1 / sigma^2) (with a leading 1 when an intercept is fitted).
    /// </summary>
    RandomFourier = 1,
}

/// <summary>The loss a minimax risk classifier minimizes the worst case of.</summary>
public enum MinimaxRiskLoss
{
    /// <summary>The 0-1 loss: the bound is on the error rate of the probabilistic rule.</summary>
    ZeroOne = 0,

    /// <summary>The log loss (cross-entropy): the bound is on the expected log loss of the softmax rule.</summary>
    Log = 1,
}

