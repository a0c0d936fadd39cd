namespace MLNetExt.Plotting;

/// <summary>How <see cref="ReliabilityDiagramPlot"/> draws a reliability diagram.</summary>
public sealed class ReliabilityPlotOptions
{
    internal static class Defaults
    {
        public const int Width = 640;
        public const int Height = 640;
        public const string Title = "Reliability diagram";
        public const string XAxisLabel = "Confidence";
        public const string YAxisLabel = "Observed frequency";
        public const string HistogramAxisLabel = "Count";
        public const bool ShowHistogram = true;
        public const bool ShowGap = true;
    }

    /// <summary>The smallest width or height accepted, in pixels.</summary>
    public const int MinimumSize = 240;

    /// <summary>The largest width or height accepted, in pixels.</summary>
    public const int MaximumSize = 8000;

    /// <summary>The width of the PNG in pixels.</summary>
    /// <value>Range [240, 8000]. Default 640, our choice: a diagram that is readable at the column width of a paper.</value>
    public int Width = Defaults.Width;

    /// <summary>The height of the PNG in pixels, histogram panel included.</summary>
    /// <value>Range [240, 8000]. Default 640, our choice: with the histogram panel below it, the reliability panel is
    /// close to square, so the diagonal of perfect calibration is close to 45 degrees.</value>
    public int Height = Defaults.Height;

    /// <summary>The title above the plot; null or empty for none.</summary>
    /// <value>Default "Reliability diagram".</value>
    public string? Title = Defaults.Title;

    /// <summary>The label of the horizontal axis; null or empty for none.</summary>
    /// <value>Default "Confidence".</value>
    public string? XAxisLabel = Defaults.XAxisLabel;

    /// <summary>The label of the vertical axis of the reliability panel; null or empty for none.</summary>
    /// <value>Default "Observed frequency".</value>
    public string? YAxisLabel = Defaults.YAxisLabel;

    /// <summary>The label of the vertical axis of the histogram panel; null or empty for none.</summary>
    /// <value>Default "Count".</value>
    public string? HistogramAxisLabel = Defaults.HistogramAxisLabel;

    /// <summary>
    /// Whether to draw a second panel below the diagram with the number of predictions in each bin, sharing its
    /// horizontal axis: a bin's bar is only as trustworthy as the number of predictions behind it.
    /// </summary>
    /// <value>Default true. The panel takes the lower quarter of <see cref="Height"/>.</value>
    public bool ShowHistogram = Defaults.ShowHistogram;

    /// <summary>
    /// Whether to draw each bin's calibration gap, from its observed frequency to its mean confidence, as a hatched red
    /// bar over the observed-frequency bar (the "Gap" bars of Guo et al. 2017). Single-diagram plots only: in a
    /// comparison plot the gap is the vertical distance of each marker from the diagonal.
    /// </summary>
    /// <value>Default true.</value>
    public bool ShowGap = Defaults.ShowGap;

    /// <summary>The font family of every text; it must be installed. Null picks one (see remarks).</summary>
    /// <value>Default null: the first installed of DejaVu Sans, Liberation Sans, Arial, Helvetica, Noto Sans, Open Sans
    /// and Segoe UI, else SkiaSharp's default typeface.</value>
    public string? FontName;

    internal void Validate()
    {
        Guard.Option(Width >= MinimumSize && Width <= MaximumSize, nameof(Width),
            $"must be in [{MinimumSize}, {MaximumSize}] pixels; got {Width}.");
        Guard.Option(Height >= MinimumSize && Height <= MaximumSize, nameof(Height),
            $"must be in [{MinimumSize}, {MaximumSize}] pixels; got {Height}.");
        Guard.Option(FontName is null || !string.IsNullOrWhiteSpace(FontName), nameof(FontName),
            $"must be null (pick a font) or a font family name; got '{FontName}'.");
    }
}
