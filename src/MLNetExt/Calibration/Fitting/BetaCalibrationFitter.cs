using MLNetExt.Numerics;

namespace MLNetExt.Calibration.Fitting;

/// <summary>Parameters of a beta calibration map and which features were dropped.</summary>
internal readonly record struct BetaFit(double A, double B, double C, bool DroppedA, bool DroppedB, bool Converged);

/// <summary>
/// Beta calibration (Kull, Silva Filho and Flach, AISTATS 2017): <c>logit(p) = a ln s - b ln(1 - s) + c</c> with
/// a, b &gt;= 0, fitted as a logistic regression on the features <c>[ln s, -ln(1 - s)]</c>. As in the authors'
/// <c>betacal</c> package (<c>_BetaCal.fit</c>): if the fitted a is negative the first feature is dropped (a = 0) and
/// the model refitted; otherwise if b is negative the second is dropped (b = 0) and refitted. betacal stops there;
/// here a slope that is still negative after the refit is dropped too (leaving the base rate), so the map is always
/// non-decreasing in s. The penalty is betacal's: scikit-learn's <c>LogisticRegression(C=99999999999)</c>, that is
/// an L2 term of |w|^2 / (2C) on the slopes.
/// </summary>
internal static class BetaCalibrationFitter
{
    /// <summary>1 / C with betacal's C = 99999999999.</summary>
    public const double L2 = 1.0 / 99999999999;

    /// <param name="logS">ln s_i.</param>
    /// <param name="logOneMinusS">ln(1 - s_i).</param>
    /// <param name="labels">The labels; both classes must occur.</param>
    public static BetaFit Fit(double[] logS, double[] logOneMinusS, bool[] labels)
    {
        int n = labels.Length;
        var both = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            both[2 * i] = logS[i];
            both[2 * i + 1] = -logOneMinusS[i];
        }
        // Start at the identity map (a = b = 1, c = 0: p = s), which is near the optimum for scores that are
        // roughly calibrated already, so Newton needs few steps.
        var fit = LogisticRegressionFitter.Fit(both, 2, labels, L2, start: [1.0, 1.0], startIntercept: 0);
        if (fit.Weights[0] >= 0 && fit.Weights[1] >= 0)
            return new BetaFit(fit.Weights[0], fit.Weights[1], fit.Intercept, false, false, fit.Converged);

        bool dropA = fit.Weights[0] < 0; // betacal checks a first
        var single = new double[n];
        for (int i = 0; i < n; i++)
            single[i] = dropA ? -logOneMinusS[i] : logS[i];
        var refit = LogisticRegressionFitter.Fit(single, 1, labels, L2);
        if (refit.Weights[0] < 0)
        {
            var constant = LogisticRegressionFitter.Fit([], 0, labels, 0);
            return new BetaFit(0, 0, constant.Intercept, true, true, constant.Converged);
        }
        return dropA
            ? new BetaFit(0, refit.Weights[0], refit.Intercept, true, false, refit.Converged)
            : new BetaFit(refit.Weights[0], 0, refit.Intercept, false, true, refit.Converged);
    }
}
