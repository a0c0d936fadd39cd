using System.Diagnostics.CodeAnalysis;

namespace MLNetExt;

/// <summary>
/// Argument and option checks shaped like ML.NET's <c>Contracts.CheckUserArg</c> / <c>CheckParam</c>: one line per
/// rule, messages that name the option or parameter, the rule and the value found.
/// </summary>
internal static class Guard
{
    /// <summary>Throws <see cref="ArgumentNullException"/> when <paramref name="value"/> is null.</summary>
    public static T NotNull<T>([NotNull] T? value, string parameterName) where T : class
        => value ?? throw new ArgumentNullException(parameterName);

    /// <summary>Throws when a column-name argument is null, empty or white space.</summary>
    public static string ColumnName([NotNull] string? name, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException($"Column name '{parameterName}' must be a non-empty string.", parameterName);
        return name;
    }

    /// <summary>
    /// A rule on a user option: <c>Option(bins &gt;= 2, nameof(Options.NumberOfBins), $"must be at least 2; got {bins}.")</c>.
    /// Throws <see cref="ArgumentOutOfRangeException"/> whose parameter name is the option's name.
    /// </summary>
    public static void Option([DoesNotReturnIf(false)] bool ok, string optionName, string message)
    {
        if (!ok)
            throw new ArgumentOutOfRangeException(optionName, $"Option '{optionName}' {message}");
    }

    /// <summary>A rule on a method argument (not an option); <see cref="ArgumentException"/> naming it.</summary>
    public static void Argument([DoesNotReturnIf(false)] bool ok, string parameterName, string message)
    {
        if (!ok)
            throw new ArgumentException(message, parameterName);
    }

    /// <summary>Bad data found while reading or fitting: <see cref="InvalidOperationException"/>.</summary>
    public static void Data([DoesNotReturnIf(false)] bool ok, string message)
    {
        if (!ok)
            throw new InvalidOperationException(message);
    }
}
