using System.Globalization;
using Microsoft.ML;

namespace MLNetExt.Tests.LoadProbe;

/// <summary>One line per MLNetExt transformer: its type and learned parameters, round-trip formatted.</summary>
internal static class StateDescriber
{
    public static string? Describe(ITransformer transformer) => transformer switch
    {
        _ => null,
    };

    internal static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
