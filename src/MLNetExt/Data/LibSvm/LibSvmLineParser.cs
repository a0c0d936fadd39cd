using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace MLNetExt.Data;

/// <summary>
/// Parses one line of a LibSVM / SVMlight file from its UTF-8 bytes:
/// <c>label [qid:q] index:value index:value ... [# comment]</c>, fields separated by spaces or tabs, a trailing '\r'
/// ignored. Nothing is allocated per line; the non-zero features land in <see cref="Indices"/> / <see cref="Values"/>,
/// which grow (and are then reused) as needed. Every malformed field is a <see cref="FormatException"/> naming the file,
/// the line, the token and the expected form.
/// </summary>
internal sealed class LibSvmLineParser
{
    internal const string LineForm = "'label [qid:q] index:value index:value ... [# comment]'";
    internal const string FeatureForm = "'index:value' with a non-negative integer index and a number value, e.g. '7:0.25'";

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    private readonly string _path;
    private readonly int _indexOffset;
    private readonly uint _slotLimit;
    private readonly bool _countStated;

    /// <param name="path">The file, for messages.</param>
    /// <param name="indexOffset">Subtracted from each index to give its slot: 1 for one-based, 0 for zero-based or raw.</param>
    /// <param name="slotLimit">Slots must be below this; a larger one is an error naming the token.</param>
    /// <param name="countStated">Whether <paramref name="slotLimit"/> is the user's <c>FeatureCount</c> (for messages).</param>
    public LibSvmLineParser(string path, int indexOffset, uint slotLimit, bool countStated)
    {
        _path = path;
        _indexOffset = indexOffset;
        _slotLimit = slotLimit;
        _countStated = countStated;
    }

    /// <summary>The label of the last data line.</summary>
    public float Label;

    /// <summary>Whether the last data line had a <c>qid:</c> token (set only when features are parsed).</summary>
    public bool HasQid;

    /// <summary>Its query id.</summary>
    public long Qid;

    /// <summary>The number of non-zero features stored in <see cref="Indices"/> and <see cref="Values"/>.</summary>
    public int Count;

    /// <summary>Slots (index minus the offset) of the non-zero features, increasing.</summary>
    public int[] Indices = new int[64];

    /// <summary>The non-zero feature values (NaN is stored; 0 and -0 are not).</summary>
    public float[] Values = new float[64];

    /// <summary>The number of feature tokens on the line, zero values included.</summary>
    public int TokenCount;

    /// <summary>The first (smallest) index as written, when <see cref="TokenCount"/> &gt; 0.</summary>
    public int FirstIndex;

    /// <summary>The last (largest) index as written, when <see cref="TokenCount"/> &gt; 0.</summary>
    public int LastIndex;

    /// <summary>
    /// Parses a line. Returns false for a blank or comment-only line. With <paramref name="features"/> false only the
    /// label is read (the rest of the line is not looked at).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Parse(ReadOnlySpan<byte> line, long lineNumber, bool features)
    {
        line = Content(line);
        int length = line.Length;
        int pos = SkipBlanks(line, 0);
        if (pos == length)
            return false;

        int labelStart = pos;
        if (!TryParseNumber(line, ref pos, out float label) || !float.IsFinite(label))
        {
            throw Error(lineNumber, TokenAt(line, labelStart), "the label is not a finite number.",
                $"the line to start with a finite label, e.g. '2' or '0.5', as in {LineForm}");
        }
        Label = label;
        Count = 0;
        TokenCount = 0;
        HasQid = false;
        if (!features)
            return true;

        pos = SkipBlanks(line, pos);
        if (line[pos..].StartsWith("qid:"u8))
            pos = ParseQid(line, pos, lineNumber);

        int previous = -1;
        while (pos < length)
        {
            int tokenStart = pos;
            ulong index = 0;
            int digits = 0;
            while (pos < length)
            {
                uint digit = (uint)(line[pos] - '0');
                if (digit > 9)
                    break;
                index = index * 10 + digit;
                digits++;
                pos++;
            }
            if (digits == 0)
                throw BadFeatureToken(line, tokenStart, lineNumber);
            if (digits > 10 || index > int.MaxValue)
                throw Error(lineNumber, TokenAt(line, tokenStart), $"the index is larger than {int.MaxValue}.", FeatureForm);
            if (pos == length || line[pos] != (byte)':')
                throw Error(lineNumber, TokenAt(line, tokenStart), "there is no ':' after the index.", FeatureForm);
            pos++;
            if (pos == length || IsBlank(line[pos]))
                throw Error(lineNumber, TokenAt(line, tokenStart), "there is no value after the ':'.", FeatureForm);
            if (!TryParseNumber(line, ref pos, out float value))
                throw Error(lineNumber, TokenAt(line, tokenStart), "the value is not a number.", FeatureForm);

            int current = (int)index;
            if (current <= previous)
            {
                throw Error(lineNumber, TokenAt(line, tokenStart),
                    current == previous ? $"the index {current} appears twice on the line."
                        : $"the index {current} comes after the larger index {previous}.",
                    "feature indices to increase strictly within a line");
            }
            if (previous < 0)
                FirstIndex = current;
            previous = current;
            TokenCount++;

            uint slot = (uint)(current - _indexOffset);
            if (slot >= _slotLimit)
                throw OutOfRange(line, tokenStart, lineNumber, current);
            if (value != 0)
            {
                if (Count == Indices.Length)
                    Grow();
                Indices[Count] = (int)slot;
                Values[Count] = value;
                Count++;
            }
            pos = SkipBlanks(line, pos);
        }
        LastIndex = previous;
        return true;
    }

    /// <summary>The line without a trailing '\r' and without its comment.</summary>
    internal static ReadOnlySpan<byte> Content(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
            line = line[..^1];
        int hash = line.IndexOf((byte)'#');
        return hash >= 0 ? line[..hash] : line;
    }

    internal static bool IsBlank(byte b) => b == (byte)' ' || b == (byte)'\t';

    internal static int SkipBlanks(ReadOnlySpan<byte> line, int pos)
    {
        while (pos < line.Length && IsBlank(line[pos]))
            pos++;
        return pos;
    }

    /// <summary>The token starting at <paramref name="start"/> (up to the next blank), as text for a message.</summary>
    internal static string TokenAt(ReadOnlySpan<byte> line, int start)
    {
        var rest = line[start..];
        int end = rest.IndexOfAny((byte)' ', (byte)'\t');
        var token = end >= 0 ? rest[..end] : rest;
        const int maximum = 80;
        string text = Encoding.UTF8.GetString(token.Length > maximum ? token[..maximum] : token);
        return token.Length > maximum ? text + "..." : text;
    }

    /// <summary>
    /// Parses a number that ends at a blank or the end of <paramref name="s"/> and moves <paramref name="pos"/> past
    /// it; false (and <paramref name="pos"/> unchanged) when the token is not a number. Plain decimals with at most 19
    /// digits and a power of ten within 1e±22 take an exact path (Clinger's: the mantissa and the power are exact
    /// doubles, so their quotient or product is the correctly rounded double; it is rounded to float unless it sits
    /// exactly on a float rounding midpoint). Everything else goes to <see cref="float.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?, out float)"/>,
    /// so every result equals <c>float.Parse</c> of the token. "nan", "na" and "null" (any case) are NaN, "inf" and
    /// "infinity" with an optional sign are infinities, as LightGBM's parser reads them; a finite number beyond the
    /// range of Single becomes an infinity.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TryParseNumber(ReadOnlySpan<byte> s, ref int pos, out float value)
    {
        int start = pos;
        int p = pos;
        int length = s.Length;
        bool negative = false;
        if (p < length && (s[p] == (byte)'-' || s[p] == (byte)'+'))
        {
            negative = s[p] == (byte)'-';
            p++;
        }
        ulong mantissa = 0;
        int digits = 0;
        int scale = 0;
        while (p < length)
        {
            uint digit = (uint)(s[p] - '0');
            if (digit > 9)
                break;
            mantissa = mantissa * 10 + digit;
            digits++;
            p++;
        }
        if (p < length && s[p] == (byte)'.')
        {
            p++;
            while (p < length)
            {
                uint digit = (uint)(s[p] - '0');
                if (digit > 9)
                    break;
                mantissa = mantissa * 10 + digit;
                digits++;
                scale++;
                p++;
            }
        }
        if (digits == 0 || digits > 19)
            return TryParseSlow(s, ref pos, out value);
        if (p < length && (s[p] | 0x20) == (byte)'e')
        {
            p++;
            bool negativeExponent = false;
            if (p < length && (s[p] == (byte)'-' || s[p] == (byte)'+'))
            {
                negativeExponent = s[p] == (byte)'-';
                p++;
            }
            int exponent = 0;
            int exponentDigits = 0;
            while (p < length)
            {
                uint digit = (uint)(s[p] - '0');
                if (digit > 9)
                    break;
                exponent = exponent * 10 + (int)digit;
                exponentDigits++;
                p++;
            }
            if (exponentDigits == 0 || exponentDigits > 4)
                return TryParseSlow(s, ref pos, out value);
            scale += negativeExponent ? exponent : -exponent;
        }
        if (p < length && !IsBlank(s[p]))
            return TryParseSlow(s, ref pos, out value);
        if (mantissa == 0)
        {
            value = negative ? -0f : 0f;
            pos = p;
            return true;
        }
        if (mantissa > 1UL << 53 || scale > 22 || scale < -22)
            return TryParseSlow(s, ref pos, out value);
        double exact = scale >= 0 ? mantissa / PowersOfTen[scale] : mantissa * PowersOfTen[-scale];
        // A double exactly halfway between two floats would round twice; let the full parser decide it.
        if ((BitConverter.DoubleToInt64Bits(exact) & 0x1FFF_FFFF) == 0x1000_0000)
            return TryParseSlow(s, ref pos, out value);
        float rounded = (float)exact;
        value = negative ? -rounded : rounded;
        pos = p;
        return true;
    }

    private static bool TryParseSlow(ReadOnlySpan<byte> s, ref int pos, out float value)
    {
        var rest = s[pos..];
        int end = rest.IndexOfAny((byte)' ', (byte)'\t');
        var token = end >= 0 ? rest[..end] : rest;
        var body = token;
        bool negative = false;
        if (body.Length > 0 && (body[0] == (byte)'-' || body[0] == (byte)'+'))
        {
            negative = body[0] == (byte)'-';
            body = body[1..];
        }
        if (Ascii.EqualsIgnoreCase(body, "nan"u8) || Ascii.EqualsIgnoreCase(body, "na"u8) || Ascii.EqualsIgnoreCase(body, "null"u8))
            value = float.NaN;
        else if (Ascii.EqualsIgnoreCase(body, "inf"u8) || Ascii.EqualsIgnoreCase(body, "infinity"u8))
            value = negative ? float.NegativeInfinity : float.PositiveInfinity;
        else if (token.Length == 0 || !float.TryParse(token, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                     CultureInfo.InvariantCulture, out value))
        {
            value = 0;
            return false;
        }
        pos += token.Length;
        return true;
    }

    private int ParseQid(ReadOnlySpan<byte> line, int pos, long lineNumber)
    {
        int tokenStart = pos;
        pos += 4;
        bool negative = pos < line.Length && line[pos] == (byte)'-';
        if (negative)
            pos++;
        long qid = 0;
        int digits = 0;
        while (pos < line.Length)
        {
            uint digit = (uint)(line[pos] - '0');
            if (digit > 9)
                break;
            qid = qid * 10 + digit;
            digits++;
            pos++;
        }
        if (digits == 0 || digits > 18 || (pos < line.Length && !IsBlank(line[pos])))
            throw Error(lineNumber, TokenAt(line, tokenStart), "the query id is not an integer.", "'qid:<integer>' directly after the label, e.g. 'qid:17'");
        HasQid = true;
        Qid = negative ? -qid : qid;
        return SkipBlanks(line, pos);
    }

    private FormatException BadFeatureToken(ReadOnlySpan<byte> line, int tokenStart, long lineNumber)
    {
        string token = TokenAt(line, tokenStart);
        if (line[tokenStart..].StartsWith("qid:"u8))
            return Error(lineNumber, token, "a qid token must come directly after the label.", "'label qid:q index:value ...'");
        return Error(lineNumber, token, "the token does not start with a feature index.", FeatureForm);
    }

    private FormatException OutOfRange(ReadOnlySpan<byte> line, int tokenStart, long lineNumber, int index)
    {
        string token = TokenAt(line, tokenStart);
        if (index < _indexOffset)
        {
            return Error(lineNumber, token, "the index 0 appears in a file read as one-based.",
                "indices from 1 (set LibSvmLoaderOptions.IndexBase to Zero or Auto to read zero-based indices)");
        }
        string range = _indexOffset == 1 ? $"1..{_slotLimit}" : $"0..{_slotLimit - 1}";
        return _countStated
            ? Error(lineNumber, token, $"the index {index} is beyond FeatureCount = {_slotLimit}.", $"indices in {range}")
            : Error(lineNumber, token, $"the index {index} is beyond the {_slotLimit} features this view was loaded with (did the file change after it was loaded?).",
                $"indices in {range}");
    }

    internal FormatException Error(long lineNumber, string token, string problem, string expected)
        => LibSvmErrors.AtToken(_path, lineNumber, token, problem, expected);

    private void Grow()
    {
        Array.Resize(ref Indices, Indices.Length * 2);
        Array.Resize(ref Values, Values.Length * 2);
    }
}

/// <summary>The one shape of every data error of the LibSVM loader.</summary>
internal static class LibSvmErrors
{
    /// <summary>"'file', line 12, token '3:x': the value is not a number. Expected 'index:value' ...".</summary>
    public static FormatException AtToken(string path, long lineNumber, string token, string problem, string expected)
        => new($"'{path}', line {lineNumber}, token '{token}': {problem} Expected {expected}.");

    /// <summary>An error about a whole file or the relation between files.</summary>
    public static FormatException InFile(string path, string problem)
        => new($"'{path}': {problem}");
}
