using MLNetExt.Calibration;

namespace MLNetExt.Plotting.Tests;

[TestClass]
public sealed class ArgumentTests
{
    [TestMethod]
    public void RenderPng_NullDiagram_ThrowsNamingDiagram()
    {
        var e = Assert.ThrowsExactly<ArgumentNullException>(() => ReliabilityDiagramPlot.RenderPng((ReliabilityDiagram)null!));
        Assert.AreEqual("diagram", e.ParamName);
    }

    [TestMethod]
    public void DiagramWithoutPredictions_IsRefusedBeforeThereIsAnythingToPlot()
    {
        // Since issue 21 the calibration functions refuse empty input alike, so a diagram with Count = 0 cannot be made
        // (RenderPng keeps its own check for one); the refusal names the argument.
        var e = Assert.ThrowsExactly<ArgumentException>(
            () => CalibrationMetrics.Reliability(ReadOnlySpan<double>.Empty, ReadOnlySpan<bool>.Empty, CalibrationBinning.EqualWidth(5)));
        Assert.AreEqual("confidences", e.ParamName);
        Assert.Contains("empty", e.Message);
    }

    [TestMethod]
    public void RenderPng_NullSeries_ThrowsNamingSeries()
    {
        var e = Assert.ThrowsExactly<ArgumentNullException>(
            () => ReliabilityDiagramPlot.RenderPng((IReadOnlyList<(string, ReliabilityDiagram)>)null!));
        Assert.AreEqual("series", e.ParamName);
    }

    [TestMethod]
    public void RenderPng_EmptySeries_ThrowsNamingSeriesAndCount()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ReliabilityDiagramPlot.RenderPng([]));
        Assert.AreEqual("series", e.ParamName);
        Assert.Contains("got 0", e.Message);
    }

    [TestMethod]
    public void RenderPng_SeriesWithNullDiagram_ThrowsNamingTheSeries()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ReliabilityDiagramPlot.RenderPng(
            [("Before", TestData.OverConfidentDiagram()), ("After", null!)]));
        Assert.AreEqual("series", e.ParamName);
        Assert.Contains("Series 1 ('After')", e.Message);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("  ")]
    public void RenderPng_SeriesWithBlankLabel_ThrowsNamingTheSeries(string label)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ReliabilityDiagramPlot.RenderPng(
            [(label, TestData.OverConfidentDiagram())]));
        Assert.AreEqual("series", e.ParamName);
        Assert.Contains("Series 0", e.Message);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(239)]
    [DataRow(8001)]
    public void RenderPng_WidthOutOfRange_ThrowsNamingWidthAndValue(int width)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ReliabilityDiagramPlot.RenderPng(
            TestData.OverConfidentDiagram(), new ReliabilityPlotOptions { Width = width }));
        Assert.AreEqual(nameof(ReliabilityPlotOptions.Width), e.ParamName);
        Assert.Contains($"got {width}", e.Message);
        Assert.Contains("[240, 8000]", e.Message);
    }

    [TestMethod]
    public void RenderPng_HeightOutOfRange_ThrowsNamingHeightAndValue()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ReliabilityDiagramPlot.RenderPng(
            [("Model", TestData.OverConfidentDiagram())], new ReliabilityPlotOptions { Height = -5 }));
        Assert.AreEqual(nameof(ReliabilityPlotOptions.Height), e.ParamName);
        Assert.Contains("got -5", e.Message);
    }

    [TestMethod]
    public void RenderPng_FontNotInstalled_ThrowsNamingFontName()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ReliabilityDiagramPlot.RenderPng(
            TestData.OverConfidentDiagram(), new ReliabilityPlotOptions { FontName = "No Such Font 12345" }));
        Assert.AreEqual(nameof(ReliabilityPlotOptions.FontName), e.ParamName);
        Assert.Contains("'No Such Font 12345'", e.Message);
    }

    [TestMethod]
    public void SavePng_MissingDirectory_ThrowsNamingPathAndDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}");
        string path = Path.Combine(directory, "plot.png");

        var e = Assert.ThrowsExactly<ArgumentException>(() => ReliabilityDiagramPlot.SavePng(TestData.OverConfidentDiagram(), path));

        Assert.AreEqual("path", e.ParamName);
        Assert.Contains(directory, e.Message);
        Assert.IsFalse(Directory.Exists(directory));
    }

    [TestMethod]
    public void SavePng_PathIsADirectory_ThrowsNamingPath()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ReliabilityDiagramPlot.SavePng(
            [("Model", TestData.OverConfidentDiagram())], Path.GetTempPath()));
        Assert.AreEqual("path", e.ParamName);
        Assert.Contains("is a directory", e.Message);
    }

    [TestMethod]
    public void SavePng_NullOrBlankPath_ThrowsNamingPath()
    {
        var diagram = TestData.OverConfidentDiagram();
        Assert.AreEqual("path", Assert.ThrowsExactly<ArgumentNullException>(() => ReliabilityDiagramPlot.SavePng(diagram, null!)).ParamName);
        Assert.AreEqual("path", Assert.ThrowsExactly<ArgumentException>(() => ReliabilityDiagramPlot.SavePng(diagram, " ")).ParamName);
    }

    [TestMethod]
    public void SavePng_BadOptions_DoesNotCreateTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"never-{Guid.NewGuid():N}.png");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ReliabilityDiagramPlot.SavePng(
            TestData.OverConfidentDiagram(), path, new ReliabilityPlotOptions { Width = 1 }));
        Assert.IsFalse(File.Exists(path));
    }

    [TestMethod]
    public void Options_Defaults_AreDocumentedValues()
    {
        var options = new ReliabilityPlotOptions();
        Assert.AreEqual(640, options.Width);
        Assert.AreEqual(640, options.Height);
        Assert.AreEqual("Reliability diagram", options.Title);
        Assert.AreEqual("Confidence", options.XAxisLabel);
        Assert.AreEqual("Observed frequency", options.YAxisLabel);
        Assert.AreEqual("Count", options.HistogramAxisLabel);
        Assert.IsTrue(options.ShowHistogram);
        Assert.IsTrue(options.ShowGap);
        Assert.IsNull(options.FontName);
    }
}
