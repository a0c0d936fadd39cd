using MLNetExt.Calibration;
using ScottPlot;
using SkiaSharp;

namespace MLNetExt.Plotting.Tests;

[TestClass]
public sealed class RenderingTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void RenderPng_Default_IsPngOfDefaultSize()
    {
        byte[] png = ReliabilityDiagramPlot.RenderPng(TestData.OverConfidentDiagram());

        CollectionAssert.AreEqual(PngSignature, png.Take(8).ToArray());
        using var codec = SKCodec.Create(new MemoryStream(png));
        Assert.AreEqual(SKEncodedImageFormat.Png, codec.EncodedFormat);
        using SKBitmap bitmap = TestData.Decode(png);
        Assert.AreEqual(640, bitmap.Width);
        Assert.AreEqual(640, bitmap.Height);
    }

    [TestMethod]
    [DataRow(800, 500, true)]
    [DataRow(300, 260, true)]
    [DataRow(1000, 700, false)]
    public void RenderPng_GivenSize_DecodesToThatSize(int width, int height, bool histogram)
    {
        var options = new ReliabilityPlotOptions { Width = width, Height = height, ShowHistogram = histogram };

        using SKBitmap bitmap = TestData.Decode(ReliabilityDiagramPlot.RenderPng(TestData.OverConfidentDiagram(), options));

        Assert.AreEqual(width, bitmap.Width);
        Assert.AreEqual(height, bitmap.Height);
    }

    [TestMethod]
    public void SavePng_WritesTheBytesRenderPngReturns()
    {
        string path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"reliability-{Guid.NewGuid():N}.png");
        var diagram = TestData.OverConfidentDiagram();
        try
        {
            ReliabilityDiagramPlot.SavePng(diagram, path);

            // Rendering is deterministic: same diagram and options, same bytes.
            CollectionAssert.AreEqual(ReliabilityDiagramPlot.RenderPng(diagram), File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void RenderPng_FromSeveralThreads_GivesIdenticalImages()
    {
        var diagram = TestData.OverConfidentDiagram();
        byte[] expected = ReliabilityDiagramPlot.RenderPng(diagram);
        byte[][] images = new byte[8][];
        Parallel.For(0, images.Length, i => images[i] = ReliabilityDiagramPlot.RenderPng(diagram));
        foreach (byte[] image in images)
            CollectionAssert.AreEqual(expected, image);
    }

    [TestMethod]
    public void RenderPng_Default_DrawsTitleAndAxisLabelText()
    {
        // Same layout both times (a blank title still reserves the title band), so only the text pixels differ.
        // Without a usable font ScottPlot draws no glyphs and both images would be identical.
        var diagram = TestData.OverConfidentDiagram();
        using SKBitmap withText = TestData.Decode(ReliabilityDiagramPlot.RenderPng(diagram));
        using SKBitmap blank = TestData.Decode(ReliabilityDiagramPlot.RenderPng(diagram, new ReliabilityPlotOptions
        {
            Title = " ", XAxisLabel = " ", YAxisLabel = " ", HistogramAxisLabel = " ",
        }));

        // The title band is the top 42 pixels; "Reliability diagram" in 17 px bold covers several hundred of them.
        int titleDiff = TestData.CountDifferentPixels(withText, blank, 0, 0, 640, 40);
        int titleDark = TestData.CountDarkPixels(withText, 0, 0, 640, 40);
        // The y label is drawn rotated in the left 45 pixels (the tick labels start further right) of the reliability panel (0 to 480).
        int yLabelDiff = TestData.CountDifferentPixels(withText, blank, 0, 40, 45, 480);
        // The x label sits under the histogram's tick labels, in the bottom 30 pixels.
        int xLabelDiff = TestData.CountDifferentPixels(withText, blank, 76, 610, 612, 640);

        Assert.IsGreaterThan(300, titleDiff, $"title pixels changed: {titleDiff}");
        Assert.IsGreaterThan(200, titleDark, $"dark title pixels: {titleDark}");
        Assert.IsGreaterThan(200, yLabelDiff, $"y label pixels changed: {yLabelDiff}");
        Assert.IsGreaterThan(150, xLabelDiff, $"x label pixels changed: {xLabelDiff}");
        // Nothing but the labels changed: the data area is pixel-identical.
        Assert.AreEqual(0, TestData.CountDifferentPixels(withText, blank, 80, 45, 610, 460));
    }

    [TestMethod]
    public void RenderPng_NonEmptyBins_DrawBarsAtTheirFrequencyAndEmptyBinsNothing()
    {
        var diagram = TestData.OverConfidentDiagram();
        Assert.AreEqual(0, diagram.Bins[4].Count, "the data leave [0.4, 0.5) empty");
        ReliabilityFigure figure = ReliabilityDiagramPlot.CreateFigure(diagram, new ReliabilityPlotOptions { ShowGap = false });
        using SKBitmap bitmap = TestData.Decode(figure.RenderPng());

        foreach (ReliabilityBin bin in diagram.Bins)
        {
            double x = (bin.Lower + bin.Upper) / 2 + 0.01; // off the bin centre, away from grid lines
            if (bin.Count == 0)
            {
                // Nothing drawn: the white background (the grid lines are at multiples of 0.2, not at 0.46 / 0.1).
                var empty = ColorAt(bitmap, figure.Reliability, x, 0.1);
                Assert.IsTrue(empty.R > 240 && empty.G > 240 && empty.B > 240, $"bin {bin.Interval} is empty but has {empty}");
                continue;
            }
            // Inside the bar (half its height) the bar colour, above it (just over the top) not.
            Assert.IsTrue(IsObservedBlue(ColorAt(bitmap, figure.Reliability, x, bin.ObservedFrequency / 2)),
                $"bin {bin.Interval}: no bar below {bin.ObservedFrequency:0.000}");
            double above = Math.Min(bin.ObservedFrequency + 0.05, 0.98);
            if (above > bin.ObservedFrequency + 0.03)
            {
                Assert.IsFalse(IsObservedBlue(ColorAt(bitmap, figure.Reliability, x, above)),
                    $"bin {bin.Interval}: the bar reaches above {bin.ObservedFrequency:0.000}");
            }
        }
    }

    [TestMethod]
    public void RenderPng_ShowGap_DrawsRedBetweenFrequencyAndMeanConfidence()
    {
        var diagram = TestData.OverConfidentDiagram();
        ReliabilityFigure figure = ReliabilityDiagramPlot.CreateFigure(diagram, null);
        using SKBitmap withGap = TestData.Decode(figure.RenderPng());
        using SKBitmap withoutGap = TestData.Decode(ReliabilityDiagramPlot.RenderPng(diagram, new ReliabilityPlotOptions { ShowGap = false }));

        int checkedBins = 0;
        foreach (ReliabilityBin bin in diagram.Bins.Where(b => b.Count > 0 && Math.Abs(b.Gap) > 0.06))
        {
            double x = (bin.Lower + bin.Upper) / 2 + 0.01;
            double y = (bin.ObservedFrequency + bin.MeanConfidence) / 2;
            var gap = ColorAt(withGap, figure.Reliability, x, y, r: 4);
            var plain = ColorAt(withoutGap, figure.Reliability, x, y, r: 4);
            // Translucent hatched red, over white (over-confident bins: pink) or over the blue bar (under-confident:
            // purple); either way red gains on green by far more than anti-aliasing could explain.
            double redShift = (gap.R - gap.G) - (plain.R - plain.G);
            Assert.IsGreaterThan(30.0, redShift, $"bin {bin.Interval} (gap {bin.Gap:+0.000;-0.000}): {plain} became {gap}");
            checkedBins++;
        }
        Assert.IsGreaterThanOrEqualTo(4, checkedBins);
        Assert.IsTrue(diagram.Bins.Any(b => b.Count > 0 && b.Gap > 0.06) && diagram.Bins.Any(b => b.Count > 0 && b.Gap < -0.06),
            "the data should have gaps of both signs");
    }

    [TestMethod]
    public void RenderPng_ShowHistogram_DrawsCountBarsInTheLowerPanel()
    {
        var diagram = TestData.OverConfidentDiagram();
        ReliabilityFigure figure = ReliabilityDiagramPlot.CreateFigure(diagram, null);
        using SKBitmap bitmap = TestData.Decode(figure.RenderPng());
        Plot histogram = figure.Histogram ?? throw new AssertFailedException("no histogram panel");

        // The lower panel starts below the reliability panel's 480 pixels.
        Assert.IsGreaterThan(480f, histogram.GetPixel(new Coordinates(0.5, 0)).Y);
        foreach (ReliabilityBin bin in diagram.Bins)
        {
            double x = (bin.Lower + bin.Upper) / 2 + 0.01;
            var c = ColorAt(bitmap, histogram, x, Math.Max(bin.Count, 1) / 2.0);
            bool gray = Math.Abs(c.R - 127) < 20 && Math.Abs(c.G - 127) < 20 && Math.Abs(c.B - 127) < 20;
            Assert.AreEqual(bin.Count > 0, gray, $"bin {bin.Interval} (count {bin.Count}) has {c} at half its count");
        }
        // No histogram panel when it is switched off: the reliability panel fills the figure.
        ReliabilityFigure single = ReliabilityDiagramPlot.CreateFigure(diagram, new ReliabilityPlotOptions { ShowHistogram = false });
        single.RenderPng();
        Assert.IsNull(single.Histogram);
        Assert.IsGreaterThan(560f, single.Reliability.GetPixel(new Coordinates(0, 0)).Y);
    }

    [TestMethod]
    public void RenderPng_TorchmetricsBinOfExactlyOne_DrawsAThinBarAtTheRightEdge()
    {
        // 200 predictions in [0.9, 1) of which 20% are positive, 100 of exactly 1 that are all positive.
        var confidences = Enumerable.Repeat(0.95, 200).Concat(Enumerable.Repeat(1.0, 100)).ToArray();
        var outcomes = Enumerable.Range(0, 200).Select(i => i % 5 == 0).Concat(Enumerable.Repeat(true, 100)).ToArray();
        var diagram = CalibrationMetrics.Reliability(confidences, outcomes,
            CalibrationBinning.EqualWidth(10, BinEdgeRule.LeftClosedSeparateOne));
        Assert.AreEqual(11, diagram.Bins.Count);
        Assert.AreEqual((1.0, 1.0), (diagram.Bins[10].Lower, diagram.Bins[10].Upper));

        ReliabilityFigure figure = ReliabilityDiagramPlot.CreateFigure(diagram, new ReliabilityPlotOptions { ShowGap = false });
        using SKBitmap bitmap = TestData.Decode(figure.RenderPng());

        // At y = 0.6 the regular bin's bar (height 0.2) is below; only the [1, 1] bar (height 1) covers it, over
        // [0.99, 1]: its centre x = 0.995 is blue, x = 0.97 is not.
        Assert.IsTrue(IsObservedBlue(ColorAt(bitmap, figure.Reliability, 0.995, 0.6, r: 1)));
        Assert.IsFalse(IsObservedBlue(ColorAt(bitmap, figure.Reliability, 0.97, 0.6, r: 1)));
        Assert.IsTrue(IsObservedBlue(ColorAt(bitmap, figure.Reliability, 0.97, 0.1, r: 1)));
    }

    [TestMethod]
    public void DisplaySpan_WideBin_IsItsEdges()
    {
        var bin = new ReliabilityBin(0, 0.2, 0.3, true, false, 5, 0.25, 0.2, Weight: 5);
        Assert.AreEqual((0.2, 0.3), ReliabilityFigure.DisplaySpan(bin));
    }

    [TestMethod]
    [DataRow(1.0, 0.99, 1.0)]   // torchmetrics' bin [1, 1]: kept inside [0, 1]
    [DataRow(0.0, 0.0, 0.01)]   // an equal-mass bin [0, 0]
    [DataRow(0.5, 0.495, 0.505)] // a zero-width bin inside: centred
    public void DisplaySpan_ZeroWidthBin_IsOnePercentWideInsideTheAxis(double edge, double left, double right)
    {
        var bin = new ReliabilityBin(0, edge, edge, true, true, 5, edge, 1, Weight: 5);
        var (l, r) = ReliabilityFigure.DisplaySpan(bin);
        Assert.AreEqual(left, l, 1e-12);
        Assert.AreEqual(right, r, 1e-12);
    }

    [TestMethod]
    public void RenderPng_Comparison_HasALegendEntryWithLabelAndEceForEachSeries()
    {
        var before = TestData.OverConfidentDiagram();
        var after = TestData.CalibratedDiagram();
        ReliabilityFigure figure = ReliabilityDiagramPlot.CreateFigure([("Before", before), ("After", after)], null);
        using SKBitmap bitmap = TestData.Decode(figure.RenderPng());

        string[] labels = figure.Reliability.Legend.GetItems().Select(i => i.LabelText).ToArray();
        CollectionAssert.AreEqual(new[]
        {
            $"Before ({ReliabilityFigure.EceText(before)})",
            $"After ({ReliabilityFigure.EceText(after)})",
            "Perfect calibration",
        }, labels);
        Assert.IsGreaterThan(after.ExpectedCalibrationError + 0.05, before.ExpectedCalibrationError);

        // The legend is drawn in the upper left of the reliability panel, with text: compare against the same plot
        // with one-letter labels; the longer labels change many more pixels there.
        ReliabilityFigure shortLabels = ReliabilityDiagramPlot.CreateFigure([("B", before), ("A", after)], null);
        using SKBitmap shortBitmap = TestData.Decode(shortLabels.RenderPng());
        Pixel corner = figure.Reliability.GetPixel(new Coordinates(0, 1));
        int legendDiff = TestData.CountDifferentPixels(bitmap, shortBitmap, (int)corner.X, (int)corner.Y, (int)corner.X + 260, (int)corner.Y + 80);
        Assert.IsGreaterThan(150, legendDiff, $"legend pixels changed: {legendDiff}");

        // Each series is drawn in its own colour: a marker at each non-empty bin's (mean confidence, frequency).
        for (int s = 0; s < 2; s++)
        {
            ReliabilityDiagram diagram = s == 0 ? before : after;
            Color expected = ReliabilityFigure.SeriesColors[s];
            foreach (ReliabilityBin bin in diagram.Bins.Where(b => b.Count > 0 && b.ObservedFrequency is > 0.25 and < 0.75))
            {
                var c = ColorAt(bitmap, figure.Reliability, bin.MeanConfidence, bin.ObservedFrequency, r: 1);
                double distance = Math.Abs(c.R - expected.R) + Math.Abs(c.G - expected.G) + Math.Abs(c.B - expected.B);
                Assert.IsLessThan(60.0, distance, $"series {s}, bin {bin.Interval}: {c} is not its colour");
            }
        }
    }

    [TestMethod]
    public void SavePng_Comparison_WritesAPng()
    {
        string path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"compare-{Guid.NewGuid():N}.png");
        try
        {
            ReliabilityDiagramPlot.SavePng([("Before", TestData.OverConfidentDiagram()), ("After", TestData.CalibratedDiagram())],
                path, new ReliabilityPlotOptions { Width = 500, Height = 420 });

            using SKBitmap bitmap = TestData.Decode(File.ReadAllBytes(path));
            Assert.AreEqual((500, 420), (bitmap.Width, bitmap.Height));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    [DataRow(0.0, "0")]
    [DataRow(950.0, "950")]
    [DataRow(9999.0, "9999")]
    [DataRow(12500.0, "12.5k")]
    [DataRow(3_000_000.0, "3M")]
    public void CompactCount_FormatsLargeCountsShort(double value, string expected)
        => Assert.AreEqual(expected, ReliabilityFigure.CompactCount(value));

    private static (double R, double G, double B) ColorAt(SKBitmap bitmap, Plot plot, double x, double y, int r = 2)
    {
        Pixel pixel = plot.GetPixel(new Coordinates(x, y));
        return TestData.MeanColor(bitmap, pixel.X, pixel.Y, r);
    }

    private static bool IsObservedBlue((double R, double G, double B) c)
    {
        Color blue = ReliabilityFigure.ObservedFill; // #4C72B0
        return Math.Abs(c.R - blue.R) + Math.Abs(c.G - blue.G) + Math.Abs(c.B - blue.B) < 40;
    }
}
