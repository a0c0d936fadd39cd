using System.Runtime.InteropServices;

namespace MLNetExt.Ranking;

/// <summary>
/// The arithmetic behind <see cref="RankingMeasures"/> and the evaluator, one query at a time, on caller-provided
/// buffers. Inputs are validated by the callers (<see cref="Validate"/>); the kernels trust them.
/// </summary>
internal static class RankingKernels
{
    /// <summary>
    /// Checks one query: equal lengths, labels finite and &gt;= 0 (whole numbers inside a gain table; at most 1023 for
    /// the exponential gain), no NaN score. Messages name the index (global row <paramref name="rowOffset"/> + i) and,
    /// when <paramref name="query"/> &gt;= 0, the query.
    /// </summary>
    public static void Validate(ReadOnlySpan<float> labels, int scoreCount, RankingMetricOptions options, int rowOffset = 0, int query = -1)
    {
        if (labels.Length != scoreCount)
            throw new ArgumentException($"labels has {labels.Length} values and scores has {scoreCount}; they must have one per document.", "scores");
        var gain = options.Gain;
        for (int i = 0; i < labels.Length; i++)
        {
            float l = labels[i];
            if (!(l >= 0 && float.IsFinite(l)))
                throw new ArgumentException($"labels[{rowOffset + i}]{InQuery(query)} is {Format(l)}; relevance labels must be finite and >= 0.", "labels");
            if (gain.Kind == RankingGainKind.Table && (l != MathF.Floor(l) || l >= gain.TableOrNull!.Length))
            {
                throw new ArgumentException($"labels[{rowOffset + i}]{InQuery(query)} is {Format(l)}; the gain table {gain} needs whole-number labels 0..{gain.TableOrNull!.Length - 1}.", "labels");
            }
            if (gain.Kind == RankingGainKind.Exponential && l > RankingGain.MaximumExponentialLabel)
                throw new ArgumentException($"labels[{rowOffset + i}]{InQuery(query)} is {Format(l)}; the exponential gain 2^l - 1 overflows above {RankingGain.MaximumExponentialLabel}. Use a linear gain or a gain table.", "labels");
        }
    }

    public static void CheckScores(ReadOnlySpan<double> scores, int rowOffset = 0, int query = -1)
    {
        for (int i = 0; i < scores.Length; i++)
        {
            if (double.IsNaN(scores[i]))
                throw new ArgumentException($"scores[{rowOffset + i}]{InQuery(query)} is NaN; scores must be numbers (infinities are allowed).", "scores");
        }
    }

    public static void CheckScores(ReadOnlySpan<float> scores, int rowOffset = 0, int query = -1)
    {
        for (int i = 0; i < scores.Length; i++)
        {
            if (float.IsNaN(scores[i]))
                throw new ArgumentException($"scores[{rowOffset + i}]{InQuery(query)} is NaN; scores must be numbers (infinities are allowed).", "scores");
        }
    }

    private static string InQuery(int query) => query >= 0 ? $" (query {query})" : "";

    internal static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// ERR's largest grade L: the stated <see cref="RankingMetricOptions.ErrMaximumLabel"/> (every label must be at most
    /// L, else an error naming the first above it) or the largest label.
    /// </summary>
    public static double ErrMaximum(ReadOnlySpan<float> labels, RankingMetricOptions options)
    {
        if (options.ErrMaximumLabel is not { } stated)
            return MaximumLabel(labels);
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] > stated)
                throw new ArgumentException($"labels[{i}] is {Format(labels[i])}, above {nameof(RankingMetricOptions.ErrMaximumLabel)} = {Format(stated)}.", "labels");
        }
        return stated;
    }

    /// <summary>The largest label (0 for an empty list).</summary>
    public static float MaximumLabel(ReadOnlySpan<float> labels)
    {
        float max = 0;
        foreach (float l in labels)
            max = Math.Max(max, l);
        return max;
    }

    /// <summary>
    /// Orders documents by score, highest first, ties by <paramref name="rule"/>, then by input position:
    /// <paramref name="order"/>[p] is the document at 0-based rank position p. <paramref name="keys"/> receives the
    /// negated scores in that order, except inside tie groups under the pessimistic and optimistic rules (the averaged
    /// rule reads tie groups from them).
    /// </summary>
    /// <remarks>
    /// When every score is a float (always for float scores; for doubles when each one converts to float exactly, as
    /// scores read from ML.NET's Single columns do), each document becomes one 64-bit key, (descending score bits,
    /// index), and one primitive sort of those keys is already the stable order. Other doubles sort the negated scores
    /// with the indices as items and then restore input order inside each run of equal scores.
    /// </remarks>
    public static void Rank(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, RankingTieRule rule, Span<double> keys, Span<int> order)
    {
        int n = scores.Length;
        var packed = MemoryMarshal.Cast<double, ulong>(keys);
        bool floats = true;
        for (int i = 0; i < n && floats; i++)
        {
            float f = (float)scores[i];
            floats = f == scores[i];
            packed[i] = Pack(f, i);
        }
        bool byLabel = rule is RankingTieRule.Pessimistic or RankingTieRule.Optimistic;
        if (floats && byLabel && TryPackWithLabels(labels, scores, rule == RankingTieRule.Pessimistic, packed))
        {
            SortPacked(packed, keys, order, IndexBitsWithLabel);
            return;
        }
        if (floats)
        {
            SortPacked(packed, keys, order);
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                keys[i] = -scores[i];
                order[i] = i;
            }
            // The runtime's introsort on primitive keys: not stable; runs of equal keys are put in input order below.
            keys.Sort(order);
            if (rule is RankingTieRule.Stable or RankingTieRule.Averaged)
                RestoreInputOrderInRuns(keys, order);
        }
        if (byLabel)
            BreakTiesByLabel(labels, rule == RankingTieRule.Pessimistic, keys, order);
    }

    /// <inheritdoc cref="Rank(ReadOnlySpan{float}, ReadOnlySpan{double}, RankingTieRule, Span{double}, Span{int})"/>
    public static void Rank(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, RankingTieRule rule, Span<double> keys, Span<int> order)
    {
        var packed = MemoryMarshal.Cast<double, ulong>(keys);
        bool byLabel = rule is RankingTieRule.Pessimistic or RankingTieRule.Optimistic;
        if (byLabel && TryPackWithLabels(labels, scores, rule == RankingTieRule.Pessimistic, packed))
        {
            SortPacked(packed, keys, order, IndexBitsWithLabel);
            return;
        }
        for (int i = 0; i < scores.Length; i++)
            packed[i] = Pack(scores[i], i);
        SortPacked(packed, keys, order);
        if (byLabel)
            BreakTiesByLabel(labels, rule == RankingTieRule.Pessimistic, keys, order);
    }

    /// <summary>
    /// (score, index) as one key that sorts ascending in the order "higher score first, then lower index". The score's
    /// IEEE bits are mapped to an unsigned integer that increases with the value (+0f replaces -0f, so the two tie),
    /// then complemented for descending order.
    /// </summary>
    private static ulong Pack(float score, int index)
    {
        uint bits = BitConverter.SingleToUInt32Bits(score + 0f);
        uint ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ascending << 32) | (uint)index;
    }

    /// <summary>With the label inside the key: 8 bits of label, 24 of index.</summary>
    private const int IndexBitsWithLabel = 24;

    /// <summary>
    /// (score, label, index) as one key for the pessimistic (label ascending) or optimistic (descending) rule, when the
    /// labels are whole numbers below 256 and the list has fewer than 2^24 documents; false otherwise.
    /// </summary>
    private static bool TryPackWithLabels(ReadOnlySpan<float> labels, ReadOnlySpan<float> scores, bool lowestFirst, Span<ulong> packed)
    {
        if (!LabelsFitInKey(labels))
            return false;
        for (int i = 0; i < labels.Length; i++)
            packed[i] = PackWithLabel(scores[i], labels[i], lowestFirst, i);
        return true;
    }

    /// <summary>The same for double scores that are all exact floats (checked by the caller).</summary>
    private static bool TryPackWithLabels(ReadOnlySpan<float> labels, ReadOnlySpan<double> scores, bool lowestFirst, Span<ulong> packed)
    {
        if (!LabelsFitInKey(labels))
            return false;
        for (int i = 0; i < labels.Length; i++)
            packed[i] = PackWithLabel((float)scores[i], labels[i], lowestFirst, i);
        return true;
    }

    private static bool LabelsFitInKey(ReadOnlySpan<float> labels)
    {
        if (labels.Length >= 1 << IndexBitsWithLabel)
            return false;
        foreach (float l in labels)
        {
            if ((int)l != l || l > 255)
                return false;
        }
        return true;
    }

    private static ulong PackWithLabel(float score, float label, bool lowestFirst, int index)
    {
        uint l = (uint)label;
        if (!lowestFirst)
            l = 255 - l;
        return (Pack(score, 0) & 0xFFFF_FFFF_0000_0000ul) | ((ulong)l << IndexBitsWithLabel) | (uint)index;
    }

    private static void SortPacked(Span<ulong> packed, Span<double> keys, Span<int> order, int indexBits = 32)
    {
        int n = order.Length;
        packed = packed[..n];
        packed.Sort();
        uint indexMask = indexBits == 32 ? uint.MaxValue : (1u << indexBits) - 1;
        // Unpack in place: slot p is read (index) before it is overwritten (negated score), so one buffer serves both.
        for (int p = 0; p < n; p++)
        {
            ulong v = packed[p];
            order[p] = (int)((uint)v & indexMask);
            keys[p] = -(double)Unpack((uint)(v >> 32));
        }
    }

    private static float Unpack(uint descending)
    {
        uint ascending = ~descending;
        uint bits = (ascending & 0x8000_0000u) != 0 ? ascending & 0x7FFF_FFFFu : ~ascending;
        return BitConverter.UInt32BitsToSingle(bits);
    }

    private static void RestoreInputOrderInRuns(ReadOnlySpan<double> keys, Span<int> order)
    {
        int n = order.Length;
        int a = 0;
        while (a < n)
        {
            double key = keys[a];
            int b = a + 1;
            while (b < n && keys[b] == key)
                b++;
            if (b - a > 1)
                order[a..b].Sort();
            a = b;
        }
    }

    /// <summary>Inside each run of equal scores (already in input order), orders by label, ascending or descending, stably.</summary>
    private static void BreakTiesByLabel(ReadOnlySpan<float> labels, bool lowestFirst, Span<double> keys, Span<int> order)
    {
        int n = order.Length;
        int a = 0;
        while (a < n)
        {
            double key = keys[a];
            int b = a + 1;
            while (b < n && keys[b] == key)
                b++;
            if (b - a > 1)
            {
                // (label bits, index) packed into one 64-bit key: labels are finite and >= 0, whose IEEE bits order as
                // the values do (+0f replaces -0f). The run's score keys are not needed any more.
                var run = order[a..b];
                var packed = MemoryMarshal.Cast<double, ulong>(keys[a..b]);
                for (int j = 0; j < run.Length; j++)
                {
                    uint bits = BitConverter.SingleToUInt32Bits(labels[run[j]] + 0f);
                    if (!lowestFirst)
                        bits = ~bits;
                    packed[j] = ((ulong)bits << 32) | (uint)run[j];
                }
                packed.Sort();
                for (int j = 0; j < run.Length; j++)
                    run[j] = (int)(uint)packed[j];
            }
            a = b;
        }
    }

    /// <summary>The end (exclusive) of the tie group starting at position <paramref name="a"/>: 1 past it unless averaging.</summary>
    private static int GroupEnd(ReadOnlySpan<double> keys, int a, bool averaged)
    {
        int b = a + 1;
        if (averaged)
        {
            double key = keys[a];
            while (b < keys.Length && keys[b] == key)
                b++;
        }
        return b;
    }

    /// <summary>
    /// Cumulative DCG at cut-offs 1..<c>dcg.Length</c> of a ranked list (cut-offs beyond the list repeat the full DCG).
    /// Under the averaged rule each tie group contributes its mean gain at each of its positions (McSherry-Najork).
    /// </summary>
    public static void DcgCurve(ReadOnlySpan<float> labels, ReadOnlySpan<int> order, ReadOnlySpan<double> keys, RankingMetricOptions options,
        Span<double> dcg)
    {
        int n = labels.Length;
        int limit = Math.Min(dcg.Length, n);
        var discount = Discounts.Table(options.Discount, limit);
        var gain = options.Gain;
        double sum = 0;
        if (options.TieRule != RankingTieRule.Averaged)
        {
            for (int p = 0; p < limit; p++)
            {
                sum += gain.Of(labels[order[p]]) * discount[p];
                dcg[p] = sum;
            }
        }
        else
        {
            int a = 0;
            while (a < limit)
            {
                int b = GroupEnd(keys[..n], a, averaged: true);
                double mean = 0;
                for (int p = a; p < b; p++)
                    mean += gain.Of(labels[order[p]]);
                mean /= b - a;
                int end = Math.Min(b, limit);
                for (int p = a; p < end; p++)
                {
                    sum += mean * discount[p];
                    dcg[p] = sum;
                }
                a = b;
            }
        }
        for (int p = limit; p < dcg.Length; p++)
            dcg[p] = sum;
    }

    /// <summary>
    /// Cumulative ideal DCG at cut-offs 1..<c>idcg.Length</c>: documents in decreasing gain. Whole-number labels below
    /// <see cref="CountedLabels"/> are counted (O(n + K)); other labels have their gains sorted in <paramref name="work"/>
    /// (at least one value per document).
    /// </summary>
    public static void IdealDcgCurve(ReadOnlySpan<float> labels, RankingMetricOptions options, Span<double> work, Span<double> idcg)
    {
        int n = labels.Length;
        int limit = Math.Min(idcg.Length, n);
        var discount = Discounts.Table(options.Discount, limit);
        var gain = options.Gain;
        double sum = 0;
        Span<int> counts = stackalloc int[CountedLabels];
        if (TryCountLabels(labels, gain, counts))
        {
            var labelOrder = gain.LabelsByDecreasingGain;
            int p = 0;
            for (int j = 0; j < labelOrder.Length && p < limit; j++)
            {
                int label = labelOrder[j];
                double g = gain.Of(label);
                for (int c = counts[label]; c > 0 && p < limit; c--, p++)
                {
                    sum += g * discount[p];
                    idcg[p] = sum;
                }
            }
        }
        else
        {
            var gains = work[..n];
            for (int i = 0; i < n; i++)
                gains[i] = gain.Of(labels[i]);
            gains.Sort();
            for (int p = 0; p < limit; p++)
            {
                sum += gains[n - 1 - p] * discount[p];
                idcg[p] = sum;
            }
        }
        for (int p = limit; p < idcg.Length; p++)
            idcg[p] = sum;
    }

    /// <summary>Ideal DCG at one cut-off (see <see cref="IdealDcgCurve"/>).</summary>
    public static double IdealDcg(ReadOnlySpan<float> labels, RankingMetricOptions options, int k, Span<double> work)
    {
        int n = labels.Length;
        int limit = Math.Min(k, n);
        var discount = Discounts.Table(options.Discount, limit);
        var gain = options.Gain;
        double sum = 0;
        Span<int> counts = stackalloc int[CountedLabels];
        if (TryCountLabels(labels, gain, counts))
        {
            var labelOrder = gain.LabelsByDecreasingGain;
            int p = 0;
            for (int j = 0; j < labelOrder.Length && p < limit; j++)
            {
                int label = labelOrder[j];
                double g = gain.Of(label);
                for (int c = counts[label]; c > 0 && p < limit; c--, p++)
                    sum += g * discount[p];
            }
            return sum;
        }
        var gains = work[..n];
        for (int i = 0; i < n; i++)
            gains[i] = gain.Of(labels[i]);
        gains.Sort();
        for (int p = 0; p < limit; p++)
            sum += gains[n - 1 - p] * discount[p];
        return sum;
    }

    /// <summary>Labels 0..<see cref="CountedLabels"/> - 1 (whole numbers) are counted rather than sorted for the ideal DCG.</summary>
    internal const int CountedLabels = 32;

    private static bool TryCountLabels(ReadOnlySpan<float> labels, RankingGain gain, Span<int> counts)
    {
        if (gain.LabelsByDecreasingGain.Length == 0)
            return false;
        counts.Clear();
        foreach (float l in labels)
        {
            int whole = (int)l;
            if (whole != l || (uint)whole >= CountedLabels)
                return false;
            counts[whole]++;
        }
        return true;
    }

    /// <summary>
    /// NDCG from DCG and ideal DCG, with the IDCG = 0 policy (NaN for <see cref="IdcgZeroPolicy.Exclude"/>).
    /// Gains are &gt;= 0, so the ideal DCG is 0 at one cut-off exactly when it is 0 at every cut-off.
    /// </summary>
    public static double Normalize(double dcg, double idcg, IdcgZeroPolicy policy)
        => idcg > 0 ? dcg / idcg : Undefined(policy);

    public static double Undefined(IdcgZeroPolicy policy) => policy switch
    {
        IdcgZeroPolicy.One => 1,
        IdcgZeroPolicy.Zero => 0,
        _ => double.NaN,
    };

    /// <summary>
    /// Average precision at cut-off k: <c>sum over relevant documents at rank r &lt;= k of precision@r, divided by
    /// min(R, k')</c> with R the relevant documents of the whole list and k' = min(k, n) (LightGBM's <c>map</c>).
    /// NaN when the list has no relevant document (the caller applies the policy).
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<float> labels, ReadOnlySpan<int> order, ReadOnlySpan<double> keys,
        RankingMetricOptions options, int k)
    {
        int n = labels.Length;
        int relevant = 0;
        foreach (float l in labels)
            relevant += options.IsRelevant(l) ? 1 : 0;
        if (relevant == 0)
            return double.NaN;
        int limit = Math.Min(k, n);
        double sum = 0;
        if (options.TieRule != RankingTieRule.Averaged)
        {
            int hits = 0;
            for (int p = 0; p < limit; p++)
            {
                if (options.IsRelevant(labels[order[p]]))
                {
                    hits++;
                    sum += (double)hits / (p + 1);
                }
            }
        }
        else
        {
            // Expected precision at each position of a tie group of m documents, r of them relevant, A relevant before
            // it: the position holds a relevant document with probability r/m, and then the expected number of other
            // relevant group members ahead of it at group offset j (0-based) is j (r - 1) / (m - 1). Linear, so exact.
            int before = 0;
            int a = 0;
            while (a < limit)
            {
                int b = GroupEnd(keys[..n], a, averaged: true);
                int m = b - a;
                int r = 0;
                for (int p = a; p < b; p++)
                    r += options.IsRelevant(labels[order[p]]) ? 1 : 0;
                if (r > 0)
                {
                    int end = Math.Min(b, limit);
                    double share = (double)r / m;
                    double others = m > 1 ? (double)(r - 1) / (m - 1) : 0;
                    for (int p = a; p < end; p++)
                        sum += share * (before + 1 + (p - a) * others) / (p + 1);
                }
                before += r;
                a = b;
            }
        }
        return sum / Math.Min(relevant, limit);
    }

    /// <summary>
    /// The cascade sum <c>sum over r &lt;= k of (1/r) x_r prod_{j&lt;r} (1 - x_j)</c> with x the stopping probability of each
    /// document: ERR with <c>x = (2^l - 1) / 2^L</c>, reciprocal rank with x = 1 for relevant documents, else 0.
    /// Under the averaged rule, the exact expectation over random orders within tie groups.
    /// </summary>
    /// <param name="stop">Stopping probabilities per document (input order), each in [0, 1].</param>
    /// <param name="order">Ranked document indices.</param>
    /// <param name="keys">Sorted negated scores (tie groups), used under the averaged rule.</param>
    /// <param name="averaged">Whether to average over tie groups.</param>
    /// <param name="k">Cut-off.</param>
    /// <param name="work">At least 2 n values, used under the averaged rule.</param>
    public static double Cascade(ReadOnlySpan<double> stop, ReadOnlySpan<int> order, ReadOnlySpan<double> keys, bool averaged, int k, Span<double> work)
    {
        int n = stop.Length;
        int limit = Math.Min(k, n);
        double reach = 1; // probability that the user reaches the current position
        double sum = 0;
        if (!averaged)
        {
            for (int p = 0; p < limit && reach > 0; p++)
            {
                double x = stop[order[p]];
                if (x == 0)
                    continue; // would add 0 and multiply by 1
                sum += reach * x / (p + 1);
                reach *= 1 - x;
            }
            return sum;
        }

        int a = 0;
        while (a < limit && reach > 0)
        {
            int b = GroupEnd(keys[..n], a, averaged: true);
            int m = b - a;
            if (m == 1)
            {
                double x = stop[order[a]];
                sum += reach * x / (a + 1);
                reach *= 1 - x;
                a = b;
                continue;
            }
            // Within a group of m documents in random order, the document at group offset j (0-based) is any member v
            // with probability 1/m, and the j documents before it are a uniform j-subset of the others, so
            // E[x_(j) prod_{i<j}(1 - x_(i))] = (1/m) sum_v x_v M_j(others of v), where M_j(S) is the mean over j-subsets
            // of S of prod(1 - x). M is built by adding one element at a time (a convex update, no cancellation); members
            // with equal x share one pass.
            int positions = Math.Min(m, limit - a);
            var values = work[..m];
            for (int p = a; p < b; p++)
                values[p - a] = stop[order[p]];
            values.Sort();
            var mean = work.Slice(m, positions);
            double inner = 0;
            int v = 0;
            while (v < m)
            {
                double x = values[v];
                int w = v + 1;
                while (w < m && values[w] == x)
                    w++;
                if (x > 0)
                {
                    mean.Clear();
                    mean[0] = 1;
                    int added = 0;
                    for (int e = 0; e < m; e++)
                    {
                        if (e == v)
                            continue; // one copy of x is the document at the position itself
                        double y = 1 - values[e];
                        added++;
                        for (int t = Math.Min(added, positions - 1); t >= 1; t--)
                            mean[t] = ((added - t) * mean[t] + t * y * mean[t - 1]) / added;
                    }
                    double part = 0;
                    for (int j = 0; j < positions; j++)
                        part += mean[j] / (a + j + 1);
                    inner += (w - v) * x * part;
                }
                v = w;
            }
            sum += reach * inner / m;
            for (int e = 0; e < m; e++)
                reach *= 1 - values[e];
            a = b;
        }
        return sum;
    }

    /// <summary>ERR stopping probabilities <c>(2^l - 1) / 2^L</c> into <paramref name="stop"/>.</summary>
    public static void ErrStopProbabilities(ReadOnlySpan<float> labels, double maximumLabel, Span<double> stop)
    {
        double scale = Math.Pow(2, -maximumLabel);
        for (int i = 0; i < labels.Length; i++)
            stop[i] = ErrStopProbability(labels[i], scale);
    }

    /// <summary><c>(2^l - 1) * scale</c> with scale = 2^-L.</summary>
    public static double ErrStopProbability(float label, double scale)
    {
        double g = label == (int)label && label < 63 ? (double)((1L << (int)label) - 1) : Math.Pow(2, label) - 1;
        return g * scale;
    }

    /// <summary>Reciprocal-rank stopping probabilities: 1 for relevant documents, else 0.</summary>
    public static void RelevanceStopProbabilities(ReadOnlySpan<float> labels, RankingMetricOptions options, Span<double> stop)
    {
        for (int i = 0; i < labels.Length; i++)
            stop[i] = options.IsRelevant(labels[i]) ? 1 : 0;
    }
}
