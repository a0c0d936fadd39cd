using System.Globalization;
using MLNetExt.Calibration;
using ScottPlot;
using SkiaSharp;

namespace MLNetExt.Plotting;

/// <summary>
/// The ScottPlot objects of one reliability figure: the reliability panel and, below it, the optional histogram panel,
/// stacked in a <see cref="Multiplot"/> with identical left and right padding so their horizontal axes line up.
/// Tests read the panels' coordinate mapping (<see cref="Plot.GetPixel(Coordinates)"/>) after <see cref="RenderPng"/>.
/// </summary>
internal sealed class ReliabilityFigure
{
    /// <summary>Bins narrower than this (in confidence units) are drawn this wide, e.g. torchmetrics' bin [1, 1].</summary>
    internal const double MinimumBarWidth = 0.01;

    /// <summary>The fraction of the height the reliability panel takes when the histogram is shown.</summary>
    internal const double ReliabilityPanelFraction = 0.75;

    internal static readonly Color ObservedFill = Color.FromHex("#4C72B0");
    internal static readonly Color ObservedEdge = Color.FromHex("#1F3A66");
    internal static readonly Color GapColor = Color.FromHex("#D62728");
    internal static readonly Color HistogramFill = Color.FromHex("#7F7F7F");
    internal static readonly Color DiagonalColor = Color.FromHex("#404040");

    /// <summary>Okabe and Ito's colour-blind-safe palette, black last; series beyond eight reuse it.</summary>
    internal static readonly Color[] SeriesColors =
    [
        Color.FromHex("#0072B2"), Color.FromHex("#D55E00"), Color.FromHex("#009E73"), Color.FromHex("#CC79A7"),
        Color.FromHex("#E69F00"), Color.FromHex("#56B4E9"), Color.FromHex("#F0E442"), Color.FromHex("#000000"),
    ];

    private const float TitleFontSize = 17;
    private const float AxisLabelFontSize = 15;
    private const float TickFontSize = 12;
    private const float LegendFontSize = 12;

    private readonly Multiplot _multiplot;

    private ReliabilityFigure(Multiplot multiplot, Plot reliability, Plot? histogram, int width, int height)
    {
        _multiplot = multiplot;
        Reliability = reliability;
        Histogram = histogram;
        Width = width;
        Height = height;
    }

    /// <summary>The upper panel: bars or markers, the diagonal and the legend.</summary>
    public Plot Reliability { get; }

    /// <summary>The lower panel of bin counts, or null when <see cref="ReliabilityPlotOptions.ShowHistogram"/> is off.</summary>
    public Plot? Histogram { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Renders the figure and encodes it as PNG.</summary>
    public byte[] RenderPng()
    {
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using SKSurface surface = SKSurface.Create(info)
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {Width} x {Height} surface.");
        _multiplot.Render(surface.Canvas, new PixelRect(0, Width, Height, 0));
        using SKImage image = surface.Snapshot();
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The horizontal extent a bin is drawn over: [Lower, Upper], widened to <see cref="MinimumBarWidth"/>
    /// around its centre (and kept inside [0, 1]) when narrower.</summary>
    internal static (double Left, double Right) DisplaySpan(ReliabilityBin bin)
    {
        if (bin.Upper - bin.Lower >= MinimumBarWidth)
            return (bin.Lower, bin.Upper);
        double left = Math.Clamp((bin.Lower + bin.Upper) / 2 - MinimumBarWidth / 2, 0, 1 - MinimumBarWidth);
        return (left, left + MinimumBarWidth);
    }

    internal static string EceText(ReliabilityDiagram diagram)
        => string.Create(CultureInfo.InvariantCulture, $"ECE = {diagram.ExpectedCalibrationError:0.000}");

    /// <summary>Builds the figure of one diagram (bars) or, when <paramref name="comparison"/>, of several (markers).</summary>
    internal static ReliabilityFigure Build(IReadOnlyList<(string Label, ReliabilityDiagram Diagram)> series,
        ReliabilityPlotOptions options, bool comparison)
    {
        string font = FontCheck.SelectInstalledFont(options.FontName);
        bool histogram = options.ShowHistogram;
        bool title = !string.IsNullOrEmpty(options.Title);

        var multiplot = new Multiplot();
        Plot main = multiplot.GetPlot(0);
        Plot? counts = null;
        int mainHeight = options.Height;
        if (histogram)
        {
            counts = new Plot();
            multiplot.AddPlot(counts);
            mainHeight = (int)Math.Round(options.Height * ReliabilityPanelFraction);
        }
        multiplot.Layout = new StackedLayout(mainHeight);

        // Fixed padding (left, right, bottom, top) in pixels: both panels share left and right, so x = 0 and x = 1
        // fall on the same pixel columns, and the layout does not depend on the tick labels ScottPlot would measure.
        const float left = 76, right = 28, axisBottom = 54;
        float top = title ? 42 : 16;
        main.Layout.Fixed(new PixelPadding(left, right, histogram ? 12 : axisBottom, top));
        StylePanel(main, font);
        if (title)
        {
            main.Title(options.Title!);
            main.Axes.Title.Label.FontSize = TitleFontSize;
        }
        main.Axes.Left.Label.Text = options.YAxisLabel ?? string.Empty;
        SetUnitTicks(main.Axes.Left, labels: true);
        SetUnitTicks(main.Axes.Bottom, labels: !histogram);
        main.Axes.Bottom.Label.Text = histogram ? string.Empty : options.XAxisLabel ?? string.Empty;

        if (comparison)
            AddComparison(main, series);
        else
            AddSingle(main, series[0].Diagram, options.ShowGap);

        var diagonal = main.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = DiagonalColor;
        diagonal.LineWidth = 1.5f;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.MarkerSize = 0;
        main.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = "Perfect calibration",
            LineColor = DiagonalColor,
            LineWidth = 1.5f,
            LinePattern = LinePattern.Dashed,
        });
        main.Axes.SetLimits(0, 1, 0, 1);

        main.Legend.IsVisible = true;
        main.Legend.DisplayPlottableLegendItems = false;
        main.Legend.Alignment = Alignment.UpperLeft;
        main.Legend.FontName = font;
        main.Legend.FontSize = LegendFontSize;
        main.Legend.OutlineColor = Color.FromHex("#BBBBBB");
        main.Legend.ShadowColor = Colors.Transparent;

        if (counts is not null)
        {
            counts.Layout.Fixed(new PixelPadding(left, right, axisBottom, 6));
            StylePanel(counts, font);
            SetUnitTicks(counts.Axes.Bottom, labels: true);
            counts.Axes.Bottom.Label.Text = options.XAxisLabel ?? string.Empty;
            counts.Axes.Left.Label.Text = options.HistogramAxisLabel ?? string.Empty;
            long max = AddHistogram(counts, series, comparison);
            counts.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                IntegerTicksOnly = true,
                LabelFormatter = CompactCount,
                MaxTickCount = 4,
            };
            counts.Axes.Left.MinorTickStyle.Length = 0;
            counts.Axes.SetLimits(0, 1, 0, Math.Max(1, max) * 1.12);
        }

        return new ReliabilityFigure(multiplot, main, counts, options.Width, options.Height);
    }

    private static void AddSingle(Plot plot, ReliabilityDiagram diagram, bool showGap)
    {
        var observed = new List<Bar>();
        var gaps = new List<Bar>();
        foreach (ReliabilityBin bin in diagram.Bins)
        {
            if (bin.Count == 0)
                continue; // empty bins have NaN means: nothing to draw
            var (l, r) = DisplaySpan(bin);
            observed.Add(new Bar
            {
                Position = (l + r) / 2,
                Size = r - l,
                Value = bin.ObservedFrequency,
                FillColor = ObservedFill,
                LineColor = ObservedEdge,
                LineWidth = 1,
            });
            if (showGap && bin.Gap != 0)
            {
                gaps.Add(new Bar
                {
                    Position = (l + r) / 2,
                    Size = r - l,
                    ValueBase = Math.Min(bin.ObservedFrequency, bin.MeanConfidence),
                    Value = Math.Max(bin.ObservedFrequency, bin.MeanConfidence),
                    FillColor = GapColor.WithAlpha(0.4),
                    FillHatch = new ScottPlot.Hatches.Striped(ScottPlot.Hatches.StripeDirection.DiagonalUp),
                    FillHatchColor = GapColor.WithAlpha(0.75),
                    LineColor = GapColor,
                    LineWidth = 1,
                });
            }
        }
        plot.Add.Bars(observed);
        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = $"Observed frequency ({EceText(diagram)})",
            FillColor = ObservedFill,
            OutlineColor = ObservedEdge,
            OutlineWidth = 1,
        });
        if (showGap)
        {
            plot.Add.Bars(gaps);
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = "Gap to mean confidence",
                FillColor = GapColor.WithAlpha(0.4),
                FillHatch = new ScottPlot.Hatches.Striped(ScottPlot.Hatches.StripeDirection.DiagonalUp),
                FillHatchColor = GapColor.WithAlpha(0.75),
                OutlineColor = GapColor,
                OutlineWidth = 1,
            });
        }
    }

    private static void AddComparison(Plot plot, IReadOnlyList<(string Label, ReliabilityDiagram Diagram)> series)
    {
        for (int s = 0; s < series.Count; s++)
        {
            var (label, diagram) = series[s];
            Color color = SeriesColors[s % SeriesColors.Length];
            var nonEmpty = diagram.Bins.Where(b => b.Count > 0).ToArray();
            var line = plot.Add.Scatter(nonEmpty.Select(b => b.MeanConfidence).ToArray(),
                nonEmpty.Select(b => b.ObservedFrequency).ToArray(), color);
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.MarkerShape = MarkerShape.FilledCircle;
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = $"{label} ({EceText(diagram)})",
                LineColor = color,
                LineWidth = 2,
                MarkerShape = MarkerShape.FilledCircle,
                MarkerSize = 7,
                MarkerFillColor = color,
                MarkerLineColor = color,
            });
        }
    }

    /// <summary>Adds the bin counts and returns the largest. In a comparison, each bin's span is split evenly
    /// among the series, left to right in series order, and the bars are translucent so that series with different
    /// bins (equal-mass binning) stay visible where they overlap.</summary>
    private static long AddHistogram(Plot plot, IReadOnlyList<(string Label, ReliabilityDiagram Diagram)> series, bool comparison)
    {
        long max = 0;
        var bars = new List<Bar>();
        for (int s = 0; s < series.Count; s++)
        {
            Color fill = comparison ? SeriesColors[s % SeriesColors.Length] : HistogramFill;
            foreach (ReliabilityBin bin in series[s].Diagram.Bins)
            {
                if (bin.Count == 0)
                    continue;
                max = Math.Max(max, bin.Count);
                var (l, r) = DisplaySpan(bin);
                double width = (r - l) / series.Count;
                double barLeft = l + s * width;
                bars.Add(new Bar
                {
                    Position = barLeft + width / 2,
                    Size = width,
                    Value = bin.Count,
                    FillColor = comparison ? fill.WithAlpha(0.6) : fill,
                    LineColor = comparison ? fill : Color.FromHex("#3F3F3F"),
                    LineWidth = comparison ? 0.5f : 1,
                });
            }
        }
        plot.Add.Bars(bars);
        return max;
    }

    private static void StylePanel(Plot plot, string font)
    {
        plot.Axes.Title.Label.FontName = font;
        plot.Axes.Title.Label.Font = null;
        foreach (IAxis axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = font;
            axis.Label.Font = null;
            axis.Label.FontSize = AxisLabelFontSize;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontName = font;
            axis.TickLabelStyle.Font = null;
            axis.TickLabelStyle.FontSize = TickFontSize;
        }
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.08);
    }

    private static void SetUnitTicks(IAxis axis, bool labels)
    {
        double[] positions = [0, 0.2, 0.4, 0.6, 0.8, 1.0];
        string[] text = positions.Select(p => labels ? p.ToString("0.0", CultureInfo.InvariantCulture) : string.Empty).ToArray();
        axis.SetTicks(positions, text);
    }

    internal static string CompactCount(double value)
    {
        double a = Math.Abs(value);
        return a >= 1e6 ? (value / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M"
            : a >= 1e4 ? (value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k"
            : value.ToString("0", CultureInfo.InvariantCulture);
    }

    /// <summary>The reliability panel on top (<c>topHeight</c> pixels), the histogram panel below it.</summary>
    private sealed class StackedLayout(int topHeight) : IMultiplotLayout
    {
        public PixelRect[] GetSubplotRectangles(SubplotCollection subplots, PixelRect figureRect)
        {
            if (subplots.Count == 1)
                return [figureRect];
            float split = figureRect.Top + topHeight;
            return
            [
                new PixelRect(figureRect.Left, figureRect.Right, split, figureRect.Top),
                new PixelRect(figureRect.Left, figureRect.Right, figureRect.Bottom, split),
            ];
        }
    }
}
