using System.Diagnostics;
using SkiaSharp;

namespace MLNetExt.Plotting.Tests;

[TestClass]
public sealed class FontCheckTests
{
    private const string ChildVariable = "MLNETEXT_PLOTTING_NO_FONTS_CHILD";

    private static readonly Func<string, bool> Always = _ => true;

    [TestMethod]
    public void SelectFont_NoFamilies_ThrowsTellingWhatToInstall()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => FontCheck.SelectFont([], null, "DejaVu Sans", Always, Always));
        Assert.Contains("No fonts are installed", e.Message);
        Assert.Contains("apt-get install fonts-dejavu-core", e.Message);
    }

    [TestMethod]
    public void SelectFont_OnlyTheEmptyFamily_ThrowsTellingWhatToInstall()
    {
        // What SkiaSharp's Linux build reports with an empty /usr/share/fonts: one family named "", a default
        // typeface named "" with no glyphs (seen with SkiaSharp 3.119.0 under an empty bind mount).
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => FontCheck.SelectFont([""], null, "", Always, _ => false));
        Assert.Contains("fonts-dejavu-core", e.Message);
    }

    [TestMethod]
    public void SelectFont_FontWithoutGlyphs_ThrowsNamingTheFont()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(
            () => FontCheck.SelectFont(["Symbols Only"], null, "Symbols Only", Always, _ => false));
        Assert.Contains("'Symbols Only' has no glyphs", e.Message);
        Assert.Contains("fonts-dejavu-core", e.Message);
    }

    [TestMethod]
    public void SelectFont_NothingRequested_PrefersASansFamilyOverTheDefault()
    {
        // SkiaSharp's default on Debian with fonts-dejavu-core is DejaVu Serif, the first family it scans.
        string font = FontCheck.SelectFont(["DejaVu Serif", "DejaVu Sans Mono", "DejaVu Sans"], null, "DejaVu Serif", Always, Always);
        Assert.AreEqual("DejaVu Sans", font);
    }

    [TestMethod]
    public void SelectFont_NoPreferredFamily_UsesTheDefaultThenTheFirst()
    {
        Assert.AreEqual("Foo Serif", FontCheck.SelectFont(["Bar Mono", "Foo Serif"], null, "Foo Serif", Always, Always));
        Assert.AreEqual("Bar Mono", FontCheck.SelectFont(["", "Bar Mono", "Foo Serif"], null, "", Always, Always));
    }

    [TestMethod]
    public void SelectFont_RequestedAndAvailable_IsUsed()
        => Assert.AreEqual("My Font", FontCheck.SelectFont(["DejaVu Sans"], "My Font", "DejaVu Sans", _ => true, Always));

    [TestMethod]
    public void SelectFont_RequestedButMissing_ThrowsNamingFontNameAndListingInstalled()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => FontCheck.SelectFont(["DejaVu Sans", "DejaVu Serif"], "Arial", "DejaVu Serif", _ => false, Always));
        Assert.AreEqual("FontName", e.ParamName);
        Assert.Contains("'Arial'", e.Message);
        Assert.Contains("DejaVu Sans, DejaVu Serif", e.Message);
    }

    [TestMethod]
    public void SelectInstalledFont_OnThisMachine_FindsAFontWithGlyphs()
    {
        string font = FontCheck.SelectInstalledFont(null);
        using SKTypeface typeface = SKTypeface.FromFamilyName(font);
        Assert.IsTrue(typeface.ContainsGlyphs(FontCheck.SampleText), $"'{font}' cannot draw the sample text");
    }

    /// <summary>
    /// The real case: rerun this test in a child process whose mount namespace hides /usr/share/fonts behind an empty
    /// directory, the only place SkiaSharp's Linux build looks for fonts. Needs Linux, root and unshare(1); otherwise
    /// inconclusive.
    /// </summary>
    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public void RenderPng_NoFontsInstalled_ThrowsInsteadOfDrawingNoText()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) == "1")
        {
            // In the child: SkiaSharp really sees no font.
            Assert.IsTrue(SKFontManager.Default.FontFamilies.All(string.IsNullOrWhiteSpace), "the child still sees fonts");
            var e = Assert.ThrowsExactly<InvalidOperationException>(
                () => ReliabilityDiagramPlot.RenderPng(TestData.OverConfidentDiagram()));
            Assert.Contains("fonts-dejavu-core", e.Message);
            return;
        }

        const string unshare = "/usr/bin/unshare", fonts = "/usr/share/fonts";
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists(unshare) || !Directory.Exists(fonts))
            Assert.Inconclusive("Needs Linux, root, /usr/bin/unshare and /usr/share/fonts to hide the fonts from a child process.");

        string empty = Directory.CreateTempSubdirectory("no-fonts-").FullName;
        try
        {
            string host = Environment.ProcessPath!;
            string testApp = typeof(FontCheckTests).Assembly.Location;
            // The child runs the test application itself, filtered to this test.
            var arguments = new List<string>();
            if (Path.GetFileNameWithoutExtension(host) == "dotnet")
                arguments.Add(testApp);
            arguments.AddRange(["--filter", $"FullyQualifiedName~{nameof(FontCheckTests)}.{nameof(RenderPng_NoFontsInstalled_ThrowsInsteadOfDrawingNoText)}"]);
            var start = new ProcessStartInfo(unshare)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(testApp)!,
            };
            foreach (string argument in (string[])["--mount", "--propagation", "private", "/bin/sh", "-c",
                "mount --bind \"$0\" /usr/share/fonts || exit 97; exec \"$@\"", empty, host])
            {
                start.ArgumentList.Add(argument);
            }
            foreach (string argument in arguments)
                start.ArgumentList.Add(argument);
            start.Environment[ChildVariable] = "1";

            using Process child = Process.Start(start)!;
            Task<string> output = child.StandardOutput.ReadToEndAsync();
            Task<string> errors = child.StandardError.ReadToEndAsync();
            child.WaitForExit();
            string log = output.Result + errors.Result;
            if (child.ExitCode == 97 || (child.ExitCode != 0 && log.Contains("unshare: ", StringComparison.Ordinal)))
                Assert.Inconclusive($"Cannot hide the fonts here (exit code {child.ExitCode}): {log}");
            Assert.AreEqual(0, child.ExitCode, log);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
