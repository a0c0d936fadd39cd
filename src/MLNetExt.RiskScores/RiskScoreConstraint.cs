namespace MLNetExt.RiskScores;

/// <summary>The sign the points of a feature must have (<see cref="RiskScoreConstraint.Sign"/>).</summary>
public enum PointsSign
{
    /// <summary>Points &gt;= 0: the feature can only raise the score.</summary>
    NonNegative,

    /// <summary>Points &lt;= 0: the feature can only lower the score.</summary>
    NonPositive,
}

/// <summary>How points must change along an ordered group (<see cref="RiskScoreConstraint.Monotone"/>).</summary>
public enum MonotoneDirection
{
    /// <summary>Each feature's points are at least the previous feature's (for example age bands of rising risk).</summary>
    NonDecreasing,

    /// <summary>Each feature's points are at most the previous feature's.</summary>
    NonIncreasing,
}

/// <summary>
/// An operational constraint on a score card, shared by <see cref="RiskScoreTrainer"/> and <see cref="SlimTrainer"/>:
/// features are named by their slot names (the names <c>Concatenate</c>, a text loader or
/// <see cref="ThresholdBinarizerEstimator"/> give them; "f3" is slot 3 of a vector without names). Every model a trainer
/// returns satisfies every constraint (tests check each kind); constraints that cannot all hold make <c>Fit</c> fail
/// with a message that names a smallest set of them that conflict.
/// </summary>
public abstract class RiskScoreConstraint
{
    private protected RiskScoreConstraint()
    {
    }

    /// <summary>The constraint as text, as messages and score cards show it ("Require(Age >= 60)").</summary>
    public abstract override string ToString();

    /// <summary>The model must use <paramref name="feature"/> (nonzero points).</summary>
    public static RiskScoreConstraint Require(string feature) => new RequireConstraint(Name(feature, nameof(feature)));

    /// <summary>The model must not use <paramref name="feature"/> (its points are 0).</summary>
    public static RiskScoreConstraint Forbid(string feature) => new ForbidConstraint(Name(feature, nameof(feature)));

    /// <summary>The points of <paramref name="feature"/> must have the given sign (or be 0).</summary>
    public static RiskScoreConstraint Sign(string feature, PointsSign sign) => new SignConstraint(Name(feature, nameof(feature)), sign);

    /// <summary>The points of <paramref name="feature"/> must lie in [<paramref name="minimum"/>, <paramref name="maximum"/>],
    /// replacing the trainer's default coefficient bounds for that feature.</summary>
    public static RiskScoreConstraint Bounds(string feature, int minimum, int maximum)
    {
        Guard.Argument(minimum <= maximum, nameof(minimum), $"The bounds of feature '{feature}' are empty: minimum {minimum} > maximum {maximum}.");
        return new BoundsConstraint(Name(feature, nameof(feature)), minimum, maximum);
    }

    /// <summary>At most <paramref name="count"/> of <paramref name="features"/> may be used (for example one
    /// encoding of the same measurement).</summary>
    public static RiskScoreConstraint AtMost(string group, int count, params string[] features)
    {
        Guard.Argument(count >= 0, nameof(count), $"Group '{group}' allows {count} features; the count must be >= 0.");
        return new AtMostConstraint(Name(group, nameof(group)), count, Names(features, nameof(features)));
    }

    /// <summary>The points of <paramref name="orderedFeatures"/> (an ordered group such as age bands) must change
    /// monotonically in the given order; unused features count as 0 points.</summary>
    public static RiskScoreConstraint Monotone(string group, MonotoneDirection direction, params string[] orderedFeatures)
    {
        var names = Names(orderedFeatures, nameof(orderedFeatures));
        Guard.Argument(names.Length >= 2, nameof(orderedFeatures), $"Monotone group '{group}' needs at least two features; got {names.Length}.");
        return new MonotoneConstraint(Name(group, nameof(group)), direction, names);
    }

    /// <summary>The features this constraint names.</summary>
    internal abstract IReadOnlyList<string> Features { get; }

    private static string Name(string? name, string parameter)
    {
        Guard.Argument(!string.IsNullOrWhiteSpace(name), parameter, $"A constraint needs a non-empty {parameter} name.");
        return name!;
    }

    private static string[] Names(string[]? names, string parameter)
    {
        Guard.Argument(names is { Length: > 0 }, parameter, "A group constraint needs at least one feature.");
        foreach (string name in names!)
            Name(name, parameter);
        Guard.Argument(names.Distinct(StringComparer.Ordinal).Count() == names.Length, parameter,
            $"A group constraint names a feature twice: {string.Join(", ", names)}.");
        return (string[])names.Clone();
    }
}

internal sealed class RequireConstraint(string feature) : RiskScoreConstraint
{
    public string Feature { get; } = feature;

    internal override IReadOnlyList<string> Features => [Feature];

    public override string ToString() => $"Require({Feature})";
}

internal sealed class ForbidConstraint(string feature) : RiskScoreConstraint
{
    public string Feature { get; } = feature;

    internal override IReadOnlyList<string> Features => [Feature];

    public override string ToString() => $"Forbid({Feature})";
}

internal sealed class SignConstraint(string feature, PointsSign sign) : RiskScoreConstraint
{
    public string Feature { get; } = feature;

    public PointsSign Direction { get; } = sign;

    internal override IReadOnlyList<string> Features => [Feature];

    public override string ToString() => $"Sign({Feature} {(Direction == PointsSign.NonNegative ? ">= 0" : "<= 0")})";
}

internal sealed class BoundsConstraint(string feature, int minimum, int maximum) : RiskScoreConstraint
{
    public string Feature { get; } = feature;

    public int Minimum { get; } = minimum;

    public int Maximum { get; } = maximum;

    internal override IReadOnlyList<string> Features => [Feature];

    public override string ToString() => $"Bounds({Feature} in [{Minimum}, {Maximum}])";
}

internal sealed class AtMostConstraint(string group, int count, string[] features) : RiskScoreConstraint
{
    public string Group { get; } = group;

    public int Count { get; } = count;

    internal override IReadOnlyList<string> Features { get; } = features;

    public override string ToString() => $"AtMost({Count} of {Group}: {string.Join(", ", Features)})";
}

internal sealed class MonotoneConstraint(string group, MonotoneDirection direction, string[] features) : RiskScoreConstraint
{
    public string Group { get; } = group;

    public MonotoneDirection Direction { get; } = direction;

    internal override IReadOnlyList<string> Features { get; } = features;

    public override string ToString()
        => $"Monotone({Group}: {string.Join(Direction == MonotoneDirection.NonDecreasing ? " <= " : " >= ", Features)})";
}
