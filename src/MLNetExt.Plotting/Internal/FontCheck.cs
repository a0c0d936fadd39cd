using ScottPlot;
using SkiaSharp;

namespace MLNetExt.Plotting;

/// <summary>
/// Picks the font every text of a plot is drawn with and makes sure it can draw text at all. ScottPlot draws with
/// SkiaSharp, and SkiaSharp's Linux build (SkiaSharp.NativeAssets.Linux.NoDependencies, which ScottPlot depends on)
/// reads fonts from <c>/usr/share/fonts</c> only. On a machine without fonts, such as a slim Docker image, it lists a
/// single font family whose name is empty, its default typeface has no glyphs, and ScottPlot then writes PNGs with no
/// title, axis labels, tick numbers or legend text, without any error.
/// </summary>
internal static class FontCheck
{
    /// <summary>Text every usable font must have glyphs for: the letters and digits of axis labels and ticks.</summary>
    internal const string SampleText = "Confidence Observed frequency ECE = 0.123456789";

    /// <summary>Sans-serif families tried in order when no font is requested; SkiaSharp's own default on Linux is
    /// whichever family it scans first, often DejaVu Serif.</summary>
    internal static readonly string[] PreferredFamilies =
        ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Noto Sans", "Open Sans", "Segoe UI"];

    internal const string InstallHint =
        "Install a TrueType font: on Debian or Ubuntu 'apt-get install fonts-dejavu-core', on Alpine " +
        "'apk add font-dejavu', on Fedora or RHEL 'dnf install dejavu-sans-fonts' (in a container, add it to the " +
        "image). SkiaSharp's Linux build reads fonts from /usr/share/fonts.";

    /// <summary>
    /// The font to draw with, chosen from what is installed, or an exception saying why no text could be drawn.
    /// </summary>
    /// <param name="systemFamilies">The font families SkiaSharp lists (<c>SKFontManager.Default.FontFamilies</c>).</param>
    /// <param name="requested">The font the user asked for, or null to pick one.</param>
    /// <param name="defaultFamily">SkiaSharp's default family (<c>SKTypeface.Default.FamilyName</c>), the fallback.</param>
    /// <param name="isAvailable">Whether ScottPlot can resolve a family name (system fonts and font files added with
    /// <c>ScottPlot.Fonts.AddFontFile</c>).</param>
    /// <param name="hasGlyphs">Whether the typeface of a family has glyphs for <see cref="SampleText"/>.</param>
    /// <exception cref="InvalidOperationException">No font is installed, or the chosen one has no glyphs.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The requested font cannot be resolved.</exception>
    internal static string SelectFont(IEnumerable<string> systemFamilies, string? requested, string? defaultFamily,
        Func<string, bool> isAvailable, Func<string, bool> hasGlyphs)
    {
        var families = systemFamilies.Where(f => !string.IsNullOrWhiteSpace(f))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        string chosen;
        if (requested is not null)
        {
            Guard.Option(isAvailable(requested), nameof(ReliabilityPlotOptions.FontName),
                $"names the font '{requested}', which is not installed; installed: " +
                (families.Count == 0 ? "none. " + InstallHint : string.Join(", ", families.Order(StringComparer.Ordinal)) + "."));
            chosen = requested;
        }
        else
        {
            if (families.Count == 0)
            {
                throw new InvalidOperationException(
                    "No fonts are installed: SkiaSharp, which ScottPlot draws with, finds no font family, so the PNG " +
                    "would have no title, axis labels, tick numbers or legend text. " + InstallHint);
            }
            chosen = PreferredFamilies.FirstOrDefault(p => families.Contains(p, StringComparer.OrdinalIgnoreCase))
                ?? (defaultFamily is not null && families.Contains(defaultFamily, StringComparer.OrdinalIgnoreCase)
                    ? defaultFamily
                    : families[0]);
        }
        if (!hasGlyphs(chosen))
        {
            throw new InvalidOperationException(
                $"The font '{chosen}' has no glyphs for the letters and digits of the plot's labels, so the PNG would " +
                "have no readable text. Set ReliabilityPlotOptions.FontName to another installed font, or install one. " +
                InstallHint);
        }
        return chosen;
    }

    /// <summary><see cref="SelectFont"/> over the fonts SkiaSharp and ScottPlot see in this process.</summary>
    internal static string SelectInstalledFont(string? requested)
        => SelectFont(SKFontManager.Default.FontFamilies, requested, SKTypeface.Default.FamilyName, IsAvailable, HasGlyphs);

    private static bool IsAvailable(string family)
    {
        foreach (IFontResolver resolver in Fonts.FontResolvers)
        {
            using SKTypeface? typeface = resolver.CreateTypeface(family, FontWeight.Normal, FontSlant.Upright, FontSpacing.Normal);
            if (typeface is not null)
                return true;
        }
        return false;
    }

    private static bool HasGlyphs(string family)
    {
        // ScottPlot caches the typeface it returns (do not dispose it) and falls back to SkiaSharp's default typeface,
        // which has no glyphs at all when no font is installed.
        SKTypeface typeface = Fonts.GetTypeface(family, FontWeight.Normal, FontSlant.Upright, FontSpacing.Normal);
        return typeface.GlyphCount > 0 && typeface.ContainsGlyphs(SampleText);
    }
}
