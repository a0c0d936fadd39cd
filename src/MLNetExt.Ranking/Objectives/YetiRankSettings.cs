namespace MLNetExt.Ranking.Objectives;

/// <summary>
/// Settings of <see cref="YetiRankObjective"/> and <see cref="YetiRankPairwiseObjective"/>. Defaults are CatBoost's
/// (<c>yetirank_helpers.cpp</c> and <c>loss_description.cpp</c> @e377cfa; spec ranking.md §1.6), with CatBoost's
/// parameter names in brackets.
/// </summary>
/// <remarks>
/// An option the chosen <see cref="Mode"/> or <see cref="Noise"/> does not read is an error when set to anything but
/// its default (CatBoost ignores it silently): <see cref="Decay"/> is read by Classic only; <see cref="Top"/>,
/// <see cref="NumberOfNeighbors"/> by every mode but Classic; <see cref="DcgGain"/> and <see cref="DcgDenominator"/> by
/// Dcg and Ndcg only; <see cref="NoisePower"/> by Gauss noise only. With <see cref="YetiRankNoise.None"/> every
/// permutation is the same ranking, so one is computed: the average over <see cref="Permutations"/> equal ones.
/// </remarks>
internal sealed record YetiRankSettings
{
    /// <summary>Default of <see cref="Permutations"/>: 10, as CatBoost's <c>GetYetiRankPermutations</c>.</summary>
    public const int DefaultPermutations = 10;

    /// <summary>Default of <see cref="Decay"/>: 0.85, as CatBoost's <c>GetYetiRankDecay</c> @e377cfa (older CatBoost: 0.99).</summary>
    public const double DefaultDecay = 0.85;

    /// <summary>Default of <see cref="NoisePower"/>: 1, as CatBoost's <c>noise_power</c>.</summary>
    public const double DefaultNoisePower = 1.0;

    /// <summary>How pairs are weighted [mode]. Default <see cref="YetiRankMode.Classic"/>.</summary>
    public YetiRankMode Mode { get; init; } = YetiRankMode.Classic;

    /// <summary>Noisy permutations sampled per query and iteration; pair weights are averaged over them
    /// [permutations]. Range [1, 1000]. Default 10.</summary>
    public int Permutations { get; init; } = DefaultPermutations;

    /// <summary>Factor applied to the Classic weight after each adjacent pair [decay]. Range [0, 1]. Default 0.85.</summary>
    public double Decay { get; init; } = DefaultDecay;

    /// <summary>Metric modes: only the first this-many positions of a permutation start pairs, and the DCG counts
    /// positions below it only [top]. Null (default) = no limit. Range [1, inf).</summary>
    public int? Top { get; init; }

    /// <summary>Metric modes: each position is paired with this many following positions, or with all of them for -1
    /// [num_neighbors]. Range -1 or [1, inf). Default 1.</summary>
    public int NumberOfNeighbors { get; init; } = 1;

    /// <summary>Gain of the Dcg/Ndcg modes [dcg_type]. Default <see cref="YetiRankDcgGain.Linear"/> (CatBoost's Base).</summary>
    public YetiRankDcgGain DcgGain { get; init; } = YetiRankDcgGain.Linear;

    /// <summary>Discount of the Dcg/Ndcg modes [dcg_denominator]. Default <see cref="YetiRankDcgDenominator.LogPosition"/>.</summary>
    public YetiRankDcgDenominator DcgDenominator { get; init; } = YetiRankDcgDenominator.LogPosition;

    /// <summary>Noise added to the scores [noise]. Default <see cref="YetiRankNoise.Logistic"/> (CatBoost's "Gumbel").</summary>
    public YetiRankNoise Noise { get; init; } = YetiRankNoise.Logistic;

    /// <summary>Standard deviation of the Gauss noise on the log scale [noise_power] (CatBoost's
    /// <c>NormalDistribution(rng, 0, d)</c> returns <c>z * d</c>). Range (0, inf). Default 1.</summary>
    public double NoisePower { get; init; } = DefaultNoisePower;

    /// <summary>Checks every setting; throws <see cref="ArgumentOutOfRangeException"/> naming it.</summary>
    public void Validate()
    {
        Guard.Option(Enum.IsDefined(Mode), nameof(Mode), $"must be one of {string.Join(", ", Enum.GetNames<YetiRankMode>())}; got {(int)Mode}.");
        Guard.Option(Enum.IsDefined(Noise), nameof(Noise), $"must be one of {string.Join(", ", Enum.GetNames<YetiRankNoise>())}; got {(int)Noise}.");
        Guard.Option(Enum.IsDefined(DcgGain), nameof(DcgGain), $"must be one of {string.Join(", ", Enum.GetNames<YetiRankDcgGain>())}; got {(int)DcgGain}.");
        Guard.Option(Enum.IsDefined(DcgDenominator), nameof(DcgDenominator),
            $"must be one of {string.Join(", ", Enum.GetNames<YetiRankDcgDenominator>())}; got {(int)DcgDenominator}.");
        Guard.Option(Permutations >= 1 && Permutations <= 1000, nameof(Permutations), $"must be in [1, 1000]; got {Permutations}.");
        Guard.Option(Decay >= 0 && Decay <= 1, nameof(Decay), $"must be in [0, 1]; got {Decay}.");
        Guard.Option(Top is null || Top >= 1, nameof(Top), $"must be at least 1 when set; got {Top}.");
        Guard.Option(NumberOfNeighbors == -1 || NumberOfNeighbors >= 1, nameof(NumberOfNeighbors), $"must be -1 (all) or at least 1; got {NumberOfNeighbors}.");
        Guard.Option(NoisePower > 0 && double.IsFinite(NoisePower), nameof(NoisePower), $"must be positive and finite; got {NoisePower}.");

        // Options the mode or the noise does not read: an error, never silently ignored.
        bool classic = Mode == YetiRankMode.Classic;
        bool dcg = Mode is YetiRankMode.Dcg or YetiRankMode.Ndcg;
        Guard.Option(classic || Decay == DefaultDecay, nameof(Decay), $"is read by Mode Classic only; got {Decay} with Mode {Mode}.");
        Guard.Option(!classic || Top is null, nameof(Top), $"is not read by Mode Classic (it pairs adjacent documents of the whole list); got {Top}.");
        Guard.Option(!classic || NumberOfNeighbors == 1, nameof(NumberOfNeighbors),
            $"is not read by Mode Classic (it pairs adjacent documents only); got {NumberOfNeighbors}.");
        Guard.Option(dcg || DcgGain == YetiRankDcgGain.Linear, nameof(DcgGain), $"is read by Modes Dcg and Ndcg only; got {DcgGain} with Mode {Mode}.");
        Guard.Option(dcg || DcgDenominator == YetiRankDcgDenominator.LogPosition, nameof(DcgDenominator),
            $"is read by Modes Dcg and Ndcg only; got {DcgDenominator} with Mode {Mode}.");
        Guard.Option(Noise == YetiRankNoise.Gauss || NoisePower == DefaultNoisePower, nameof(NoisePower),
            $"is read by Noise Gauss only; got {NoisePower} with Noise {Noise}.");
    }
}

/// <summary>Settings of the per-tree pairwise leaf system of <see cref="YetiRankPairwiseObjective"/> (spec §2.2).</summary>
internal sealed record PairwiseLeafSettings
{
    /// <summary>Default of <see cref="BayesianMatrixRegularization"/>: 0.1, as CatBoost's <c>bayesian_matrix_reg</c>.</summary>
    public const double DefaultBayesianMatrixRegularization = 0.1;

    /// <summary>
    /// Prior that pulls the leaf values towards their mean: bayes (1 - 1/M) is added to the diagonal and -bayes/M to
    /// every other entry of the M x M system [bayesian_matrix_reg, PairwiseNonDiagReg]. Range [0, inf). Default 0.1.
    /// </summary>
    public double BayesianMatrixRegularization { get; init; } = DefaultBayesianMatrixRegularization;

    /// <summary>
    /// Added to the diagonal [l2_leaf_reg, not scaled]. Range [0, inf). Default 0: CatBoost's YetiRankPairwise default
    /// (CatBoost then uses 1e-20; here 0 is used as given, and a system that is not positive definite falls back to
    /// LightGBM's Newton values).
    /// </summary>
    public double L2Regularization { get; init; }

    /// <summary>
    /// Weight of a pair in the system's matrix: <see cref="YetiRankPairwiseLeafMethod.Newton"/> (default) its hessian
    /// W p (1 - p), <see cref="YetiRankPairwiseLeafMethod.Gradient"/> its weight W as CatBoost's CPU default (spec §2.2).
    /// </summary>
    public YetiRankPairwiseLeafMethod Method { get; init; } = YetiRankPairwiseLeafMethod.Newton;

    /// <summary>Checks every setting; throws <see cref="ArgumentOutOfRangeException"/> naming it.</summary>
    public void Validate()
    {
        Guard.Option(Enum.IsDefined(Method), nameof(Method),
            $"must be one of {string.Join(", ", Enum.GetNames<YetiRankPairwiseLeafMethod>())}; got {(int)Method}.");
        Guard.Option(BayesianMatrixRegularization >= 0 && double.IsFinite(BayesianMatrixRegularization), nameof(BayesianMatrixRegularization),
            $"must be finite and non-negative; got {BayesianMatrixRegularization}.");
        Guard.Option(L2Regularization >= 0 && double.IsFinite(L2Regularization), nameof(L2Regularization),
            $"must be finite and non-negative; got {L2Regularization}.");
    }
}
