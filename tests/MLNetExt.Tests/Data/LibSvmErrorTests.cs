using Microsoft.ML;
using MLNetExt.Data;

namespace MLNetExt.Tests.Data;

/// <summary>Every malformed input of LoadFromLibSvm: the exception type and that the message names the file, line and token.</summary>
[TestClass]
public sealed class LibSvmErrorTests
{
    private static FormatException Load(string text, LibSvmLoaderOptions? options = null, (string Suffix, string Text)[]? sidecars = null)
    {
        using var files = new LibSvmTempFiles();
        string path = files.Write("bad.txt", text);
        foreach (var (suffix, content) in sidecars ?? [])
            files.Write("bad.txt" + suffix, content);
        var mlContext = new MLContext(seed: 1);
        var ex = Assert.ThrowsExactly<FormatException>(() => mlContext.Data.LoadFromLibSvm(path, options));
        StringAssert.Contains(ex.Message, "bad.txt");
        return ex;
    }

    private static void Contains(Exception ex, params string[] parts)
    {
        foreach (string part in parts)
            StringAssert.Contains(ex.Message, part);
    }

    [TestMethod]
    public void BadLabel_NamesLineAndToken()
    {
        var ex = Load("1 1:1\n# comment\n\nabc 1:2\n");
        Contains(ex, "line 4, token 'abc'", "the label is not a finite number", "Expected the line to start with a finite label");
    }

    [TestMethod]
    public void NonFiniteLabel_IsAnError()
    {
        Contains(Load("nan 1:2\n"), "line 1, token 'nan'", "the label is not a finite number");
        Contains(Load("0 1:2\ninf 1:2\n"), "line 2, token 'inf'", "the label is not a finite number");
    }

    [TestMethod]
    public void MissingLabel_IsABadLabel()
        => Contains(Load("1:2 3:4\n"), "line 1, token '1:2'", "the label is not a finite number");

    [TestMethod]
    public void MissingColon_NamesToken()
        => Contains(Load("1 1:1 3 4:1\n"), "line 1, token '3'", "there is no ':' after the index", "Expected 'index:value'");

    [TestMethod]
    public void MissingOrBadValue_NamesToken()
    {
        Contains(Load("1 1:1 3: 4:1\n"), "line 1, token '3:'", "there is no value after the ':'");
        Contains(Load("1 1:1 3:x\n"), "line 1, token '3:x'", "the value is not a number");
        Contains(Load("1 3:1:2\n"), "token '3:1:2'", "the value is not a number");
        Contains(Load("1 3:0,5\n"), "token '3:0,5'", "the value is not a number");
    }

    [TestMethod]
    public void NonNumericIndex_NamesToken()
        => Contains(Load("1 cost:2 1:1\n"), "line 1, token 'cost:2'", "does not start with a feature index");

    [TestMethod]
    public void NonIncreasingIndex_NamesLineAndToken()
        => Contains(Load("1 1:1\n0 3:1 2:1\n"), "line 2, token '2:1'", "the index 2 comes after the larger index 3",
            "Expected feature indices to increase strictly within a line");

    [TestMethod]
    public void DuplicateIndex_NamesLineAndToken()
        => Contains(Load("1 3:1 3:2\n"), "line 1, token '3:2'", "the index 3 appears twice on the line");

    [TestMethod]
    public void IndexBeyondStatedCount_NamesLineAndToken()
    {
        // Automatic base (resolved after the pass, to one-based here): the first offending token of the file.
        Contains(Load("1 1:1 3:1\n0 2:1 4:1 5:1\n1 9:1\n", new LibSvmLoaderOptions { FeatureCount = 3 }),
            "line 2, token '4:1'", "the index 4 is beyond FeatureCount = 3", "Expected indices in 1..3");
        // Explicit one-based: checked while reading.
        Contains(Load("1 1:1 3:1\n0 2:1 4:1\n", new LibSvmLoaderOptions { FeatureCount = 3, IndexBase = LibSvmIndexBase.One }),
            "line 2, token '4:1'", "the index 4 is beyond FeatureCount = 3", "Expected indices in 1..3");
        // Zero-based (an index 0 appears), so index 3 is the fourth slot and beyond a count of 3.
        Contains(Load("1 0:1 2:1\n0 3:1\n", new LibSvmLoaderOptions { FeatureCount = 3 }),
            "line 2, token '3:1'", "the index 3 is beyond FeatureCount = 3 (read as zero-based because an index 0 appears)", "0..2");
    }

    [TestMethod]
    public void IndexZero_InAOneBasedFile_NamesToken()
        => Contains(Load("1 1:1\n0 0:1 2:1\n", new LibSvmLoaderOptions { IndexBase = LibSvmIndexBase.One }),
            "line 2, token '0:1'", "the index 0 appears in a file read as one-based");

    [TestMethod]
    public void IndexTooLarge_NamesToken()
        => Contains(Load("1 99999999999:1\n"), "token '99999999999:1'", "the index is larger than 2147483647");

    [TestMethod]
    public void QidNotAfterLabel_OrNotAnInteger_NamesToken()
    {
        Contains(Load("1 1:1 qid:3\n"), "token 'qid:3'", "a qid token must come directly after the label");
        Contains(Load("1 qid:a 1:1\n"), "token 'qid:a'", "the query id is not an integer", "'qid:<integer>'");
    }

    [TestMethod]
    public void InterleavedQid_NamesBothLineRanges()
    {
        var ex = Load("1 qid:1 1:1\n0 qid:1 1:1\n# q2\n1 qid:2 1:1\n0 qid:1 1:1\n");
        Contains(ex, "the rows of qid 1 are not contiguous: lines 1-2, and again from line 5", "Keep each query's rows together");
    }

    [TestMethod]
    public void QidOnSomeRowsOnly_IsAnError()
    {
        Contains(Load("1 qid:1 1:1\n0 1:1\n"), "line 2 has no qid but line 1 has one");
        Contains(Load("1 1:1\n0 qid:1 1:1\n"), "line 2 has a qid but line 1 has none");
    }

    [TestMethod]
    public void EmptyFile_OrOnlyComments_IsAnError()
    {
        Contains(Load(""), "the file has no data rows");
        Contains(Load("# only a comment\r\n\r\n   \n"), "the file has no data rows");
    }

    [TestMethod]
    public void NoFeatureAnywhere_AsksForFeatureCount()
        => Contains(Load("1\n0 # nothing\n"), "no data row has a feature", "Set LibSvmLoaderOptions.FeatureCount");

    [TestMethod]
    public void QueryFileSumMismatch_NamesBothCounts()
    {
        var ex = Load("1 1:1\n0 1:1\n1 1:1\n", sidecars: [(".query", "1\n1\n")]);
        Contains(ex, "bad.txt.query", "the query sizes add up to 2 rows in 2 queries, but", "has 3 data rows", "must add up to the row count exactly");
    }

    [TestMethod]
    public void QueryFileEntry_NotAPositiveInteger_NamesLine()
    {
        Contains(Load("1 1:1\n", sidecars: [(".query", "1\nx\n")]), "bad.txt.query', line 2, token 'x'", "not a positive integer");
        Contains(Load("1 1:1\n", sidecars: [(".query", "0\n1\n")]), "bad.txt.query', line 1, token '0'", "not a positive integer");
    }

    [TestMethod]
    public void QidAndQueryFileThatDisagree_NameTheQuery()
    {
        var sizes = Load("1 qid:5 1:1\n0 qid:5 1:1\n1 qid:6 1:1\n", sidecars: [(".query", "1\n2\n")]);
        Contains(sizes, "disagree at query 1: qid 5 has 2 rows (lines 1-2), but line 1 of the query file says 1");
        // Fewer queries in the file than qid runs (sizes still adding up to the row count): the first query differs.
        var count = Load("1 qid:5 1:1\n0 qid:5 1:1\n1 qid:6 1:1\n", sidecars: [(".query", "3\n")]);
        Contains(count, "disagree at query 1: qid 5 has 2 rows (lines 1-2), but line 1 of the query file says 3");
    }

    [TestMethod]
    public void WeightFile_WrongCountOrBadValue_IsAnError()
    {
        Contains(Load("1 1:1\n0 1:1\n", sidecars: [(".weight", "1\n")]), "bad.txt.weight", "it has 1 weights but", "has 2 data rows");
        Contains(Load("1 1:1\n", sidecars: [(".weight", "1\n2\n")]), "it has more weights than", "(1)");
        Contains(Load("1 1:1\n0 1:1\n", sidecars: [(".weight", "1\n-2\n")]), "bad.txt.weight', line 2, token '-2'", "not a finite, non-negative number");
        Contains(Load("1 1:1\n", sidecars: [(".weight", "nan\n")]), "token 'nan'", "not a finite, non-negative number");
    }

    [TestMethod]
    public void BadOptions_AreRefusedNamingTheOption()
    {
        var mlContext = new MLContext(seed: 1);
        var count = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Data.LoadFromLibSvm("x", new LibSvmLoaderOptions { FeatureCount = 0 }));
        Contains(count, "Option 'FeatureCount' must be at least 1 or null; got 0.");
        var names = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Data.LoadFromLibSvm("x", new LibSvmLoaderOptions { FeatureColumnName = "Label" }));
        Contains(names, "Option 'FeatureColumnName' must differ from LabelColumnName; both are 'Label'.");
        var indexBase = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Data.LoadFromLibSvm("x", new LibSvmLoaderOptions { IndexBase = (LibSvmIndexBase)7 }));
        Contains(indexBase, "Option 'IndexBase' has the unknown value 7.");
        Assert.ThrowsExactly<ArgumentException>(() => mlContext.Data.LoadFromLibSvm(Array.Empty<string>()));
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => mlContext.Data.LoadFromLibSvm("/nonexistent/file.txt"));
        Contains(missing, "/nonexistent/file.txt");
    }
}
