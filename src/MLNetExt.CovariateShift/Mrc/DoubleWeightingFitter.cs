using MLNetExt.CovariateShift.Kernels;
using MLNetExt.CovariateShift.Weights;
using MLNetExt.Diagnostics;

namespace MLNetExt.CovariateShift.Mrc;

/// <summary>The kernel settings shared by the weights estimator and the classifier.</summary>
internal sealed record KernelSettings(double? Bandwidth, bool Standardize, int ExactMaximumRows, int NystromRank,
    double B, double Tolerance, int MaximumIterations);

/// <summary>The kernel built for a pair of samples: the operator, its width and how it was made.</summary>
internal sealed record PairKernel(IKernelOperator Operator, double Bandwidth, bool Exact);

/// <summary>Builds the kernel over the pooled rows and solves DW-KMM for one D or along a grid.</summary>
internal static class KernelWeighting
{
    /// <summary>The paper's D grid: D = 1 / (1 - l)^2, l = 0, 0.1, ..., 0.9.</summary>
    public static double[] PaperGrid()
    {
        var grid = new double[10];
        for (int i = 0; i < 10; i++)
        {
            double l = i / 10.0;
            grid[i] = 1 / ((1 - l) * (1 - l));
        }
        return grid;
    }

    /// <summary>Scales the pooled rows, picks the width, and builds the exact or the Nystrom kernel.</summary>
    public static PairKernel Build(float[] train, int n, float[] target, int t, int dimension, KernelSettings settings, int seed,
        ComponentChannel? channel)
    {
        var scaling = settings.Standardize
            ? FeatureScaling.FromPooled(train, n, target, t, dimension)
            : FeatureScaling.Identity(dimension);
        if (scaling.VaryingCount == 0)
        {
            throw new InvalidOperationException(
                $"Every one of the {dimension} features is constant over the {n} training and {t} target rows: the two samples " +
                "cannot be told apart, so there is no covariate shift to correct and nothing to learn from the features.");
        }
        var points = scaling.Pool(train, n, target, t);
        double sigma = settings.Bandwidth ?? KernelBandwidth.MeanNeighbourDistance(points, seed);
        if (!(sigma > 0))
        {
            throw new InvalidOperationException(
                $"The kernel width rule (mean distance to the {KernelBandwidth.Neighbour}th nearest neighbour) gives 0: most rows are " +
                "duplicates of each other. Set KernelBandwidth.");
        }
        bool exact = n + t <= settings.ExactMaximumRows;
        IKernelOperator kernel = exact
            ? RbfKernel.Dense(points, sigma)
            : NystromKernelOperator.Create(points, sigma, settings.NystromRank, seed, channel);
        channel?.Info($"Kernel: RBF width {sigma:G6}, {(exact ? "exact" : $"Nystrom rank {kernel.Rank}")} over {n} training + {t} target rows.");
        return new PairKernel(kernel, sigma, exact);
    }

    /// <summary>Effective sample size (sum w)^2 / sum w^2.</summary>
    public static double EffectiveSampleSize(ReadOnlySpan<double> w)
    {
        double sum = 0, squares = 0;
        foreach (double v in w)
        {
            sum += v;
            squares += v * v;
        }
        return squares > 0 ? sum * sum / squares : 0;
    }
}

/// <summary>Settings of the DW-GCS classifier fit.</summary>
internal sealed record ClassifierSettings(MinimaxRiskLoss Loss, FeatureMapKind FeatureMap, bool FitIntercept, int RandomFourierComponents,
    double? RandomFourierBandwidth, double[] DCandidates, double ConfidenceScale, double SolverTolerance, int SolverMaximumIterations);

/// <summary>What the fit found for one D.</summary>
internal sealed record CandidateFit(KmmSolution Weights, MinimaxRiskFit Classifier);

/// <summary>The classifier fit: every candidate D and the chosen one (smallest bound).</summary>
internal sealed record DoubleWeightingFit(FeatureMap Map, int Classes, PairKernel Kernel, CandidateFit[] Candidates, int Chosen)
{
    public CandidateFit Best => Candidates[Chosen];
}

/// <summary>
/// DW-GCS (spec §1.9): for each D of the grid (ascending), the weights, tau, lambda and the minimax risk classifier;
/// keeps the D of the smallest bound R(U) (the paper's rule).
/// </summary>
internal static class DoubleWeightingFitter
{
    public static DoubleWeightingFit Fit(float[] train, int n, int[] labels, int classes, float[] target, int t, int dimension,
        KernelSettings kernelSettings, ClassifierSettings settings, int seed, ComponentChannel? channel)
    {
        var kernel = KernelWeighting.Build(train, n, target, t, dimension, kernelSettings, seed, channel);
        var map = settings.FeatureMap == FeatureMapKind.Linear
            ? FeatureMap.CreateLinear(dimension, settings.FitIntercept)
            : FeatureMap.CreateRandomFourier(dimension, settings.FitIntercept, settings.RandomFourierComponents, settings.RandomFourierBandwidth, train, n, seed);
        int m = map.Length;
        var psiTrain = map.MapRows(train, n);
        var psiTarget = map.MapRows(target, t);
        var kmm = new DoubleWeightingKmm(kernel.Operator, n, t, kernelSettings.B, kernelSettings.Tolerance, kernelSettings.MaximumIterations);
        var grid = settings.DCandidates.Order().ToArray();
        var candidates = new CandidateFit[grid.Length];
        channel?.StartProgress(grid.Length, "values of D", "bound");
        for (int g = 0; g < grid.Length; g++)
        {
            // Every D starts from all weights 1 and mu = 0: DW-KMM's optimum is not unique when the samples can be matched
            // exactly, and a cold start makes the model for a D the same whether it was fitted alone or in a grid.
            channel?.ThrowIfCanceled();
            // A solve that never reached the cap or the ball of this D (nor of its own) took the path a cold solve for
            // this D would take, so its weights and classifier are this D's, bit for bit: reuse them.
            var set = WeightSet.ForD(n, t, grid[g], kernelSettings.B);
            int same = Array.FindIndex(candidates, 0, g, c => c.Weights.SameFor(set));
            if (same >= 0)
            {
                candidates[g] = new CandidateFit(candidates[same].Weights.As(grid[g]), candidates[same].Classifier);
                channel?.Trace($"D = {grid[g]:G5}: the solve for D = {grid[same]:G5} never reached this D's weight cap or ball, so its " +
                    $"weights and classifier are this D's; bound {candidates[g].Classifier.Bound:0.######}.");
                channel?.ReportProgress(g + 1, [candidates[g].Classifier.Bound]);
                continue;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var weights = kmm.Solve(grid[g], null, channel);
            double weightSeconds = clock.Elapsed.TotalSeconds;
            var fit = FitClassifier(psiTrain, n, m, labels, classes, psiTarget, t, weights, settings, null, channel);
            candidates[g] = new CandidateFit(weights, fit);
            channel?.Trace($"D = {grid[g]:G5}: DW-KMM {weights.Objective:G6} ({weights.Iterations} iterations{(weights.Converged ? "" : ", limit reached")}), " +
                $"training ESS {KernelWeighting.EffectiveSampleSize(weights.Beta):0.0} of {n}, bound {fit.Bound:0.######}; " +
                $"{weightSeconds:0.00} s weights, {clock.Elapsed.TotalSeconds - weightSeconds:0.00} s classifier.");
            channel?.ReportProgress(g + 1, [fit.Bound]);
        }
        int chosen = 0;
        for (int g = 1; g < candidates.Length; g++)
        {
            if (candidates[g].Classifier.Bound < candidates[chosen].Classifier.Bound)
                chosen = g;
        }
        foreach (var candidate in candidates)
        {
            if (!candidate.Weights.Converged)
            {
                channel?.Warning($"DW-KMM for D = {candidate.Weights.D:G5} stopped at its iteration limit ({candidate.Weights.Iterations}) " +
                    "before reaching its tolerance; the weights are usable but not optimal. Raise WeightMaximumIterations.");
            }
        }
        return new DoubleWeightingFit(map, classes, kernel, candidates, chosen);
    }

    /// <summary>tau, lambda and mu for one set of weights.</summary>
    internal static MinimaxRiskFit FitClassifier(double[] psiTrain, int n, int m, int[] labels, int classes, double[] psiTarget, int t,
        KmmSolution weights, ClassifierSettings settings, double[]? muStart, ComponentChannel? channel)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tau = MinimaxRiskSolver.Tau(psiTrain, n, m, labels, classes, weights.Beta);
        var design = new TargetDesign(psiTarget, t, m, weights.Alpha, classes);
        var lambda = MinimaxRiskSolver.Lambda(design, tau, settings.SolverTolerance, settings.SolverMaximumIterations, channel);
        if (settings.ConfidenceScale > 0)
        {
            var sd = StandardDeviation(psiTrain, n, m, labels, classes, weights.Beta, tau);
            for (int k = 0; k < lambda.Length; k++)
                lambda[k] += settings.ConfidenceScale * sd[k] / Math.Sqrt(n);
        }
        double lambdaSeconds = clock.Elapsed.TotalSeconds;
        var (mu, bound, iterations) = MinimaxRiskSolver.Classifier(design, tau, lambda, settings.Loss, settings.SolverTolerance,
            settings.SolverMaximumIterations, muStart, channel);
        channel?.Trace($"D = {weights.D:G5}: |lambda|_1 = {lambda.Sum():G6} over {lambda.Length} components, classifier {iterations} iterations; " +
            $"{lambdaSeconds:0.00} s lambda, {clock.Elapsed.TotalSeconds - lambdaSeconds:0.00} s classifier.");
        return new MinimaxRiskFit(tau, lambda, mu, bound, iterations);
    }

    /// <summary>The standard deviation over training rows of beta_i Phi(x_i, y_i), per component.</summary>
    private static double[] StandardDeviation(double[] psi, int n, int m, int[] labels, int classes, double[] beta, double[] mean)
    {
        var sd = new double[classes * m];
        for (int i = 0; i < n; i++)
        {
            for (int y = 0; y < classes; y++)
            {
                for (int c = 0; c < m; c++)
                {
                    double value = y == labels[i] ? beta[i] * psi[i * m + c] : 0;
                    double deviation = value - mean[y * m + c];
                    sd[y * m + c] += deviation * deviation;
                }
            }
        }
        for (int k = 0; k < sd.Length; k++)
            sd[k] = Math.Sqrt(sd[k] / n);
        return sd;
    }
}
