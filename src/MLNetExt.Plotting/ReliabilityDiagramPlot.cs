using MLNetExt.Calibration;

namespace MLNetExt.Plotting;

/// <summary>
/// Draws <see cref="ReliabilityDiagram"/>s (from <c>CalibrationMetrics.Reliability</c>, or the
/// <c>ReliabilityDiagram</c> properties of <see cref="BinaryCalibrationMetrics"/> and
/// <see cref="MulticlassCalibrationMetrics"/>) as PNG images with ScottPlot.
/// </summary>
/// <remarks>
/// <para>
/// What is drawn, in a panel whose axes are fixed to [0, 1]:
/// </para>
/// <list type="bullet">
/// <item><description>One diagram (<see cref="RenderPng(ReliabilityDiagram, ReliabilityPlotOptions?)"/>): for each
/// non-empty bin, a blue bar spanning the bin's edges [Lower, Upper] up to its observed frequency, and (with
/// <see cref="ReliabilityPlotOptions.ShowGap"/>) a hatched red bar from the observed frequency to the bin's mean
/// confidence: the bin's term |acc_b - conf_b| of the ECE, the "Gap" bars of Guo et al. (2017), measured to the mean
/// confidence rather than the bin's midpoint because that is what ECE uses. The legend gives the ECE.</description></item>
/// <item><description>Several diagrams (the overloads taking a list of labelled diagrams), for example before and after
/// calibration: one line with a marker per non-empty bin at (mean confidence, observed frequency), one colour per series
/// (Okabe and Ito's colour-blind-safe palette), the legend gives each series' label and ECE. A marker's vertical
/// distance from the diagonal is that bin's gap. Bars of several series would hide one another, and markers at the
/// mean confidence stay comparable when the series have different bins (equal-mass binning).</description></item>
/// <item><description>Always the dashed diagonal of perfect calibration, and a light grid at 0.2 steps.</description></item>
/// <item><description>With <see cref="ReliabilityPlotOptions.ShowHistogram"/>, a lower panel sharing the horizontal axis
/// with the number of predictions in each bin (grey bars; in a comparison, each bin's width is split among the series,
/// in their colours).</description></item>
/// </list>
/// <para>
/// Empty bins are not drawn (their means are NaN). A bin narrower than 0.01, such as the bin [1, 1] that
/// <see cref="BinEdgeRule.LeftClosedSeparateOne"/> (torchmetrics) adds for confidences of exactly 1, or a zero-width
/// equal-mass bin, is drawn 0.01 wide around its position and kept inside [0, 1]: the bin [1, 1] becomes a thin bar
/// [0.99, 1] over the right edge of the last regular bin.
/// </para>
/// <para>
/// Text needs a font. SkiaSharp's Linux build reads fonts from <c>/usr/share/fonts</c>; when it finds none, every method
/// here throws <see cref="InvalidOperationException"/> saying what to install (on Debian and Ubuntu
/// <c>apt-get install fonts-dejavu-core</c>) instead of producing a PNG without any text.
/// </para>
/// <para>
/// The methods can be called from several threads at once: each call builds its own ScottPlot objects. A 640 x 640
/// figure takes some tens of milliseconds to render; the first call also loads SkiaSharp and the font.
/// </para>
/// </remarks>
public static class ReliabilityDiagramPlot
{
    /// <summary>Renders one reliability diagram and writes it to <paramref name="path"/> as PNG.</summary>
    /// <param name="diagram">The bins to draw; it must hold at least one prediction.</param>
    /// <param name="path">The PNG file to write (overwritten if it exists); its directory must exist.</param>
    /// <param name="options">Size, texts and panels; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="diagram"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="diagram"/> is empty, or <paramref name="path"/> is blank,
    /// a directory, or in a directory that does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">No usable font is installed.</exception>
    public static void SavePng(ReliabilityDiagram diagram, string path, ReliabilityPlotOptions? options = null)
    {
        string fullPath = CheckPath(path);
        byte[] png = RenderPng(diagram, options);
        File.WriteAllBytes(fullPath, png);
    }

    /// <summary>Renders one reliability diagram and returns the PNG file's bytes.</summary>
    /// <param name="diagram">The bins to draw; it must hold at least one prediction.</param>
    /// <param name="options">Size, texts and panels; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="diagram"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="diagram"/> holds no prediction.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">No usable font is installed.</exception>
    public static byte[] RenderPng(ReliabilityDiagram diagram, ReliabilityPlotOptions? options = null)
        => CreateFigure(diagram, options).RenderPng();

    /// <summary>
    /// Renders several reliability diagrams in one plot, for example a model before and after calibration, and writes
    /// it to <paramref name="path"/> as PNG.
    /// </summary>
    /// <param name="series">The diagrams with their legend labels, in legend and colour order; at least one.</param>
    /// <param name="path">The PNG file to write (overwritten if it exists); its directory must exist.</param>
    /// <param name="options">Size, texts and panels; null for the defaults. <see cref="ReliabilityPlotOptions.ShowGap"/>
    /// does not apply.</param>
    /// <exception cref="ArgumentNullException"><paramref name="series"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="series"/> is empty or has a null or empty diagram or a
    /// blank label; or <paramref name="path"/> is blank, a directory, or in a directory that does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">No usable font is installed.</exception>
    public static void SavePng(IReadOnlyList<(string Label, ReliabilityDiagram Diagram)> series, string path,
        ReliabilityPlotOptions? options = null)
    {
        string fullPath = CheckPath(path);
        byte[] png = RenderPng(series, options);
        File.WriteAllBytes(fullPath, png);
    }

    /// <summary>
    /// Renders several reliability diagrams in one plot, for example a model before and after calibration, and returns
    /// the PNG file's bytes.
    /// </summary>
    /// <param name="series">The diagrams with their legend labels, in legend and colour order; at least one.</param>
    /// <param name="options">Size, texts and panels; null for the defaults. <see cref="ReliabilityPlotOptions.ShowGap"/>
    /// does not apply.</param>
    /// <exception cref="ArgumentNullException"><paramref name="series"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="series"/> is empty or has a null or empty diagram or a
    /// blank label.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">No usable font is installed.</exception>
    public static byte[] RenderPng(IReadOnlyList<(string Label, ReliabilityDiagram Diagram)> series,
        ReliabilityPlotOptions? options = null)
        => CreateFigure(series, options).RenderPng();

    internal static ReliabilityFigure CreateFigure(ReliabilityDiagram diagram, ReliabilityPlotOptions? options)
    {
        ArgumentNullException.ThrowIfNull(diagram);
        CheckNotEmpty(diagram, nameof(diagram), "The diagram");
        options ??= new ReliabilityPlotOptions();
        options.Validate();
        return ReliabilityFigure.Build([(string.Empty, diagram)], options, comparison: false);
    }

    internal static ReliabilityFigure CreateFigure(IReadOnlyList<(string Label, ReliabilityDiagram Diagram)> series,
        ReliabilityPlotOptions? options)
    {
        ArgumentNullException.ThrowIfNull(series);
        Guard.Argument(series.Count > 0, nameof(series), "The series list must hold at least one diagram; got 0.");
        var copy = new (string Label, ReliabilityDiagram Diagram)[series.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            var (label, diagram) = series[i];
            Guard.Argument(!string.IsNullOrWhiteSpace(label), nameof(series),
                $"Series {i} has a blank label ('{label}'); the legend needs one.");
            Guard.Argument(diagram is not null, nameof(series), $"Series {i} ('{label}') has a null diagram.");
            CheckNotEmpty(diagram, nameof(series), $"The diagram of series {i} ('{label}')");
            copy[i] = (label, diagram);
        }
        options ??= new ReliabilityPlotOptions();
        options.Validate();
        return ReliabilityFigure.Build(copy, options, comparison: true);
    }

    private static void CheckNotEmpty(ReliabilityDiagram diagram, string parameterName, string what)
        => Guard.Argument(diagram.Count > 0, parameterName,
            $"{what} holds no prediction (Count = 0, {diagram.Bins.Count} empty bins); there is nothing to plot.");

    private static string CheckPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Guard.Argument(!string.IsNullOrWhiteSpace(path), nameof(path), $"The PNG path must not be blank; got '{path}'.");
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"The PNG path '{path}' is not a valid path: {e.Message}", nameof(path), e);
        }
        Guard.Argument(!Directory.Exists(fullPath), nameof(path), $"The PNG path '{path}' is a directory; give a file name.");
        string? directory = Path.GetDirectoryName(fullPath);
        Guard.Argument(directory is null || Directory.Exists(directory), nameof(path),
            $"The directory '{directory}' of the PNG path '{path}' does not exist.");
        return fullPath;
    }
}
