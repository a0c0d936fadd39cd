using System.Buffers.Text;

namespace MLNetExt.Data;

/// <summary>
/// The first pass over LibSVM files: validates every line, counts rows, finds the largest index, whether an index 0
/// appears and the qid runs; then resolves the index base and the feature count over all files of one call and
/// reads the sidecar files. Keeps per file only what is per group (offsets and the qid's lines) and, when a weight
/// file exists, one float per row.
/// </summary>
internal static class LibSvmScanner
{
    /// <summary>Where something was seen: a line and the token, for messages given after the pass.</summary>
    internal readonly record struct Place(long Line, string Token, int Index);

    /// <summary>What the first pass found in one file.</summary>
    internal sealed class FileScan(string path)
    {
        public string Path { get; } = path;
        public long Length;
        public DateTime LastWriteTimeUtc;
        public long Rows;
        /// <summary>The largest index as written; -1 when the file has no feature token.</summary>
        public int MaxIndex = -1;
        public Place? FirstZeroIndex;
        /// <summary>With a stated count and automatic base: the first index &gt;= count and the first &gt; count.</summary>
        public Place? FirstAtOrAboveCount;
        public Place? FirstAboveCount;
        public bool HasQid;
        /// <summary>Per qid run: its first row, qid, first and last line (per group, so small).</summary>
        public readonly List<long> QidOffsets = [];
        public readonly List<long> QidValues = [];
        public readonly List<long> QidFirstLines = [];
        public readonly List<long> QidLastLines = [];
    }

    /// <summary>Scans the files and returns one view per file, in order.</summary>
    public static LibSvmDataView[] Load(IReadOnlyList<string> paths, LibSvmLoaderOptions options)
    {
        var scans = new FileScan[paths.Count];
        for (int i = 0; i < paths.Count; i++)
            scans[i] = Scan(paths[i], options);

        bool zeroBased = options.IndexBase switch
        {
            LibSvmIndexBase.Zero => true,
            LibSvmIndexBase.One => false,
            _ => scans.Any(s => s.FirstZeroIndex is not null),
        };
        int featureCount = ResolveFeatureCount(scans, options, zeroBased);

        var views = new LibSvmDataView[scans.Length];
        for (int i = 0; i < scans.Length; i++)
        {
            var scan = scans[i];
            long[]? groupOffsets = ResolveGroups(scan, options);
            float[]? weights = options.ReadWeightFile ? ReadWeightFile(scan) : null;
            views[i] = new LibSvmDataView(scan.Path, scan.Length, scan.LastWriteTimeUtc, scan.Rows, featureCount,
                zeroBased ? LibSvmIndexBase.Zero : LibSvmIndexBase.One, groupOffsets, weights, options);
        }
        return views;
    }

    private static FileScan Scan(string path, LibSvmLoaderOptions options)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"The LibSVM file '{path}' does not exist.", path);
        var scan = new FileScan(path) { Length = info.Length, LastWriteTimeUtc = info.LastWriteTimeUtc };

        // With a known base the parser checks each index itself and names the first offender; with Auto the base is
        // known only after every file was read, so the candidates for the message are recorded instead.
        int offset = options.IndexBase == LibSvmIndexBase.One ? 1 : 0;
        bool checkNow = options.IndexBase != LibSvmIndexBase.Auto && options.FeatureCount is not null;
        uint limit = checkNow ? (uint)options.FeatureCount!.Value : (uint)int.MaxValue + 1;
        int? stated = options.FeatureCount;
        var parser = new LibSvmLineParser(path, offset, limit, countStated: checkNow);

        var firstRunOf = new Dictionary<long, int>();
        long firstQidLine = 0, firstNoQidLine = 0;
        using (var reader = new Utf8LineReader(path))
        {
            while (reader.TryReadLine(out var line))
            {
                long lineNumber = reader.LineNumber;
                if (!parser.Parse(line, lineNumber, features: true))
                    continue;
                if (parser.TokenCount > 0)
                {
                    if (parser.FirstIndex == 0 && scan.FirstZeroIndex is null)
                        scan.FirstZeroIndex = FindFeature(line, lineNumber, minimumIndex: 0);
                    if (parser.LastIndex > scan.MaxIndex)
                        scan.MaxIndex = parser.LastIndex;
                    if (!checkNow && stated is int count)
                    {
                        if (parser.LastIndex >= count && scan.FirstAtOrAboveCount is null)
                            scan.FirstAtOrAboveCount = FindFeature(line, lineNumber, minimumIndex: count);
                        if (parser.LastIndex > count && scan.FirstAboveCount is null)
                            scan.FirstAboveCount = FindFeature(line, lineNumber, minimumIndex: count + 1L);
                    }
                }
                TrackQid(scan, parser, lineNumber, firstRunOf, ref firstQidLine, ref firstNoQidLine);
                scan.Rows++;
            }
        }
        if (scan.Rows == 0)
        {
            throw LibSvmErrors.InFile(path, "the file has no data rows (it is empty or has only blank and comment lines). " +
                $"Expected lines of the form {LibSvmLineParser.LineForm}.");
        }
        if (scan.HasQid)
            scan.QidOffsets.Add(scan.Rows);
        return scan;
    }

    private static void TrackQid(FileScan scan, LibSvmLineParser parser, long lineNumber, Dictionary<long, int> firstRunOf,
        ref long firstQidLine, ref long firstNoQidLine)
    {
        if (parser.HasQid)
        {
            if (firstQidLine == 0)
                firstQidLine = lineNumber;
            if (firstNoQidLine != 0)
                throw MixedQid(scan.Path, lineNumber, firstNoQidLine, hasQid: true);
            scan.HasQid = true;
            int runs = scan.QidValues.Count;
            if (runs > 0 && scan.QidValues[runs - 1] == parser.Qid)
            {
                scan.QidLastLines[runs - 1] = lineNumber;
                return;
            }
            if (firstRunOf.TryGetValue(parser.Qid, out int earlier))
            {
                throw LibSvmErrors.InFile(scan.Path,
                    $"the rows of qid {parser.Qid} are not contiguous: lines {scan.QidFirstLines[earlier]}-{scan.QidLastLines[earlier]}, " +
                    $"and again from line {lineNumber} after other queries started. Keep each query's rows together " +
                    "(sort the file by qid).");
            }
            firstRunOf.Add(parser.Qid, runs);
            scan.QidOffsets.Add(scan.Rows);
            scan.QidValues.Add(parser.Qid);
            scan.QidFirstLines.Add(lineNumber);
            scan.QidLastLines.Add(lineNumber);
        }
        else
        {
            if (firstNoQidLine == 0)
                firstNoQidLine = lineNumber;
            if (firstQidLine != 0)
                throw MixedQid(scan.Path, lineNumber, firstQidLine, hasQid: false);
        }
    }

    private static FormatException MixedQid(string path, long line, long otherLine, bool hasQid)
        => LibSvmErrors.InFile(path, hasQid
            ? $"line {line} has a qid but line {otherLine} has none. Either every data row has a 'qid:' token or none does."
            : $"line {line} has no qid but line {otherLine} has one. Either every data row has a 'qid:' token or none does.");

    private static int ResolveFeatureCount(FileScan[] scans, LibSvmLoaderOptions options, bool zeroBased)
    {
        if (options.FeatureCount is int stated)
        {
            if (options.IndexBase == LibSvmIndexBase.Auto)
            {
                foreach (var scan in scans)
                {
                    var beyond = zeroBased ? scan.FirstAtOrAboveCount : scan.FirstAboveCount;
                    if (beyond is Place place)
                    {
                        string range = zeroBased ? $"0..{stated - 1}" : $"1..{stated}";
                        string why = zeroBased ? " (read as zero-based because an index 0 appears)" : "";
                        throw LibSvmErrors.AtToken(scan.Path, place.Line, place.Token,
                            $"the index {place.Index} is beyond FeatureCount = {stated}{why}.", $"indices in {range}");
                    }
                }
            }
            return stated;
        }
        long largest = scans.Max(s => (long)s.MaxIndex);
        if (largest < 0)
        {
            throw LibSvmErrors.InFile(string.Join("', '", scans.Select(s => s.Path)),
                "no data row has a feature, so the size of the feature vector is unknown. Set LibSvmLoaderOptions.FeatureCount.");
        }
        long count = zeroBased ? largest + 1 : largest;
        if (count > int.MaxValue)
            throw LibSvmErrors.InFile(scans.First(s => s.MaxIndex == largest).Path, $"the largest index {largest} gives {count} features, more than a vector can hold.");
        return (int)count;
    }

    /// <summary>Group offsets (groups + 1, half-open) from qid tokens and/or the query file; null when neither.</summary>
    private static long[]? ResolveGroups(FileScan scan, LibSvmLoaderOptions options)
    {
        long[]? qidOffsets = scan.HasQid ? scan.QidOffsets.ToArray() : null;
        string queryPath = scan.Path + ".query";
        if (!options.ReadQueryFile || !File.Exists(queryPath))
            return qidOffsets;

        var (sizes, lines) = ReadQueryFile(queryPath);
        long total = 0;
        foreach (long size in sizes)
            total += size;
        if (total != scan.Rows)
        {
            throw LibSvmErrors.InFile(queryPath,
                $"the query sizes add up to {total} rows in {sizes.Length} queries, but '{scan.Path}' has {scan.Rows} data rows. " +
                "They must add up to the row count exactly (or set LibSvmLoaderOptions.ReadQueryFile = false).");
        }
        var offsets = new long[sizes.Length + 1];
        for (int g = 0; g < sizes.Length; g++)
            offsets[g + 1] = offsets[g] + sizes[g];
        if (qidOffsets is not null)
            CheckAgreement(scan, qidOffsets, sizes, lines, queryPath);
        return offsets;
    }

    private static void CheckAgreement(FileScan scan, long[] qidOffsets, long[] sizes, long[] lines, string queryPath)
    {
        var qids = scan.QidValues;
        var firstLines = scan.QidFirstLines;
        var lastLines = scan.QidLastLines;
        for (int g = 0; g < Math.Min(qids.Count, sizes.Length); g++)
        {
            long qidSize = qidOffsets[g + 1] - qidOffsets[g];
            if (qidSize != sizes[g])
            {
                throw LibSvmErrors.InFile(scan.Path,
                    $"its qid tokens and '{queryPath}' disagree at query {g + 1}: qid {qids[g]} has {qidSize} rows " +
                    $"(lines {firstLines[g]}-{lastLines[g]}), but line {lines[g]} of the query file says {sizes[g]}. " +
                    "Remove one of the two, or set LibSvmLoaderOptions.ReadQueryFile = false to use the qid tokens.");
            }
        }
        // Both add up to the row count, so equal sizes on the common queries mean equally many queries.
        System.Diagnostics.Debug.Assert(qids.Count == sizes.Length);
    }

    /// <summary>LightGBM's query file: one positive integer per line (blank lines skipped).</summary>
    private static (long[] Sizes, long[] Lines) ReadQueryFile(string path)
    {
        var sizes = new ArrayBuilder<long>(64);
        var lines = new ArrayBuilder<long>(64);
        using var reader = new Utf8LineReader(path, 1 << 16);
        while (reader.TryReadLine(out var line))
        {
            var text = Trim(line);
            if (text.IsEmpty)
                continue;
            if (!Utf8Parser.TryParse(text, out long size, out int consumed) || consumed != text.Length || size < 1)
            {
                throw LibSvmErrors.AtToken(path, reader.LineNumber, LibSvmLineParser.TokenAt(text, 0) + (text.IndexOfAny((byte)' ', (byte)'\t') >= 0 ? " ..." : ""),
                    "this is not a positive integer.", "one positive integer per line, the number of consecutive rows of one query");
            }
            sizes.Add(size);
            lines.Add(reader.LineNumber);
        }
        return (sizes.ToArray(), lines.ToArray());
    }

    /// <summary>LightGBM's weight file: one number per data row (blank lines skipped), finite and non-negative.</summary>
    private static float[]? ReadWeightFile(FileScan scan)
    {
        string path = scan.Path + ".weight";
        if (!File.Exists(path))
            return null;
        if (scan.Rows > Array.MaxLength)
            throw LibSvmErrors.InFile(path, $"{scan.Rows} weights do not fit in one array.");
        var weights = new float[scan.Rows];
        long count = 0;
        using (var reader = new Utf8LineReader(path))
        {
            while (reader.TryReadLine(out var line))
            {
                var text = Trim(line);
                if (text.IsEmpty)
                    continue;
                int pos = 0;
                if (!LibSvmLineParser.TryParseNumber(text, ref pos, out float weight) || pos != text.Length || !float.IsFinite(weight) || weight < 0)
                {
                    throw LibSvmErrors.AtToken(path, reader.LineNumber, LibSvmLineParser.TokenAt(text, 0),
                        "this is not a finite, non-negative number.", "one weight per line, one line per data row");
                }
                if (count == weights.Length)
                    throw LibSvmErrors.InFile(path, $"it has more weights than '{scan.Path}' has data rows ({scan.Rows}). Expected one weight per data row.");
                weights[count++] = weight;
            }
        }
        if (count != scan.Rows)
            throw LibSvmErrors.InFile(path, $"it has {count} weights but '{scan.Path}' has {scan.Rows} data rows. Expected one weight per data row.");
        return weights;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line)
    {
        int start = 0, end = line.Length;
        while (start < end && (LibSvmLineParser.IsBlank(line[start]) || line[start] == (byte)'\r'))
            start++;
        while (end > start && (LibSvmLineParser.IsBlank(line[end - 1]) || line[end - 1] == (byte)'\r'))
            end--;
        return line[start..end];
    }

    /// <summary>Re-reads one line (a first occurrence, so rare) to find its first feature token with an index of at least <paramref name="minimumIndex"/>.</summary>
    private static Place FindFeature(ReadOnlySpan<byte> line, long lineNumber, long minimumIndex)
    {
        var content = LibSvmLineParser.Content(line);
        int pos = LibSvmLineParser.SkipBlanks(content, 0);
        bool first = true;
        while (pos < content.Length)
        {
            int start = pos;
            while (pos < content.Length && !LibSvmLineParser.IsBlank(content[pos]))
                pos++;
            var token = content[start..pos];
            pos = LibSvmLineParser.SkipBlanks(content, pos);
            if (first)
            {
                first = false;
                continue;
            }
            int colon = token.IndexOf((byte)':');
            if (colon > 0 && Utf8Parser.TryParse(token[..colon], out int index, out int consumed) && consumed == colon && index >= minimumIndex)
                return new Place(lineNumber, LibSvmLineParser.TokenAt(token, 0), index);
        }
        throw new InvalidOperationException($"Line {lineNumber} was expected to hold a matching feature token.");
    }
}
