using System.Runtime.CompilerServices;

namespace MLNetExt.Numerics;

/// <summary>
/// Counter-based random numbers: 64 random bits as a pure function of (seed, stream, index), so that every unit of
/// parallel work (one query in one boosting iteration, one bag, one tree) draws from a stream of its own and the
/// results do not depend on how many threads run or in which order. <see cref="CounterRandomStream"/> walks the index
/// for sequential draws within one unit.
/// </summary>
/// <remarks>
/// <para>
/// The generator is Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
/// SC 2011), the counter-based generator of Random123, also used by cuRAND, TensorFlow's stateless random ops and
/// PyTorch's CUDA generator. It is chosen over a 64-bit mixing hash of a combined key (SplitMix64's finalizer,
/// Widynski's "Squares") because it is designed and published as a keyed counter-based generator: for each key it is a
/// bijection of the 128-bit counter (no two blocks of one seed are equal, whatever the stream and index), the paper
/// reports it passing TestU01's BigCrush with sequential counters, and Random123 publishes known-answer vectors to
/// test an implementation against. Folding (seed, stream, index) into one 64-bit hash input can collide and has no
/// reference vectors. Cost: 10 rounds of two 32 x 32 -&gt; 64-bit multiplies per 128 bits.
/// </para>
/// <para>
/// Mapping: key = the 64-bit seed (k0 = its low 32 bits, k1 = the high); counter = (j low, j high, stream low,
/// stream high) with block j = index / 2; the block's four 32-bit outputs r0..r3 give two 64-bit draws,
/// index 2j -&gt; r1:r0 and index 2j + 1 -&gt; r3:r2 (high:low). Under one seed, distinct (stream, j) give distinct
/// 128-bit blocks (Philox is a bijection of the counter for each key); an <c>int</c> seed is used as
/// <see cref="SeedKey"/>.
/// </para>
/// <para>
/// The conversions to double and float are exact integer arithmetic and give the same values on every machine.
/// The normal, logistic and Gumbel conversions call <see cref="Math.Log(double)"/> and <see cref="Math.Cos"/>, which
/// .NET takes from the platform's C runtime: identical for any thread count on one machine, not guaranteed to the
/// last bit across operating systems.
/// </para>
/// </remarks>
internal static class CounterRandom
{
    // Random123's Philox4x32 multipliers and Weyl key increments (philox.h: PHILOX_M4x32_0/1, PHILOX_W32_0/1).
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The number of rounds: 10, Random123's default and the variant its known-answer vectors test.</summary>
    public const int Rounds = 10;

    /// <summary>
    /// The Philox4x32-10 block function: the 128-bit counter (c0, c1, c2, c3) encrypted under the 64-bit key (k0, k1),
    /// as Random123's <c>philox4x32(ctr, key)</c> with the words in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint R0, uint R1, uint R2, uint R3) Philox4x32(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                k0 += W0;
                k1 += W1;
            }
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>The 64 random bits at <paramref name="index"/> of <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    public static ulong Bits(ulong seed, ulong stream, ulong index)
    {
        var (r0, r1, r2, r3) = Block(seed, stream, index >> 1);
        return (index & 1) == 0 ? ((ulong)r1 << 32) | r0 : ((ulong)r3 << 32) | r2;
    }

    /// <summary>The 64-bit key of an <c>int</c> seed (such as an Options.Seed): its 32 bits, zero-extended.</summary>
    public static ulong SeedKey(int seed) => unchecked((uint)seed);

    /// <summary>
    /// A stream number for a pair of non-negative indices, such as (iteration, query): first in the high 32 bits, second
    /// in the low. Distinct pairs give distinct streams (no hash, so no collisions).
    /// </summary>
    public static ulong Stream(int first, int second) => ((ulong)unchecked((uint)first) << 32) | unchecked((uint)second);

    /// <summary>
    /// A uniform double in the open interval (0, 1), never exactly 0 or 1: the top 52 bits k give (2k + 1) / 2^53, so
    /// the values are the 2^52 odd multiples of 2^-53 from 2^-53 to 1 - 2^-53, symmetric about 1/2
    /// (<c>ToDouble(~bits) == 1 - ToDouble(bits)</c>). Exact: the same on every machine.
    /// </summary>
    public static double ToDouble(ulong bits) => ((bits >> 11) | 1) * (1.0 / (1UL << 53));

    /// <summary>
    /// A uniform float in the open interval (0, 1), never exactly 0 or 1: the top 23 bits k give (2k + 1) / 2^24, from
    /// 2^-24 to 1 - 2^-24 (both exact in float). Exact: the same on every machine.
    /// </summary>
    public static float ToSingle(ulong bits) => (uint)((bits >> 40) | 1) * (1f / (1 << 24));

    /// <summary>
    /// A standard normal deviate from two independent draws by the Box-Muller transform,
    /// sqrt(-2 ln u1) cos(2 pi u2) with u = <see cref="ToDouble"/>; always finite, |z| &lt;= sqrt(106 ln 2) = 8.57.
    /// </summary>
    public static double ToNormal(ulong bits1, ulong bits2)
        => Math.Sqrt(-2 * Math.Log(ToDouble(bits1))) * Math.Cos(2 * Math.PI * ToDouble(bits2));

    /// <summary>A standard logistic deviate (CDF 1 / (1 + e^-x), variance pi^2 / 3): ln(u / (1 - u)); always finite, |x| &lt;= 36.74.</summary>
    public static double ToLogistic(ulong bits) => StableMath.Logit(ToDouble(bits));

    /// <summary>A standard Gumbel (maximum) deviate (CDF exp(-e^-x), mean Euler's gamma): -ln(-ln u); always finite, in [-3.61, 36.74].</summary>
    public static double ToGumbel(ulong bits) => -Math.Log(-Math.Log(ToDouble(bits)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (uint R0, uint R1, uint R2, uint R3) Block(ulong seed, ulong stream, ulong block)
        => Philox4x32((uint)block, (uint)(block >> 32), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32));
}

/// <summary>
/// Sequential draws from one stream of <see cref="CounterRandom"/>: the n-th draw is
/// <c>CounterRandom.Bits(seed, stream, start + n)</c>, whatever else runs on other threads. A mutable struct: keep it
/// in a local or a field and pass it by <c>ref</c>, never by value (a copy replays the same numbers).
/// </summary>
/// <remarks>Each 64-bit draw costs half a Philox block; the other half is kept for the next draw.</remarks>
internal struct CounterRandomStream
{
    private readonly ulong _seed;
    private readonly ulong _stream;
    private ulong _index;
    private ulong _pending;
    private bool _hasPending;

    /// <param name="seed">The key, for example <c>CounterRandom.SeedKey(options.Seed)</c>.</param>
    /// <param name="stream">The unit of work, for example <c>CounterRandom.Stream(iteration, query)</c>.</param>
    /// <param name="startIndex">The index of the first draw.</param>
    public CounterRandomStream(ulong seed, ulong stream, ulong startIndex = 0)
    {
        _seed = seed;
        _stream = stream;
        _index = startIndex;
        _pending = 0;
        _hasPending = false;
    }

    /// <summary>The index of the next draw.</summary>
    public readonly ulong Index => _index;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextBits()
    {
        ulong index = _index++;
        if ((index & 1) != 0 && _hasPending)
        {
            _hasPending = false;
            return _pending;
        }
        var (r0, r1, r2, r3) = CounterRandom.Block(_seed, _stream, index >> 1);
        if ((index & 1) != 0)
            return ((ulong)r3 << 32) | r2; // a stream that starts at an odd index
        _pending = ((ulong)r3 << 32) | r2;
        _hasPending = true;
        return ((ulong)r1 << 32) | r0;
    }

    /// <summary>A uniform double in (0, 1), never 0 or 1 (<see cref="CounterRandom.ToDouble"/>); one draw.</summary>
    public double NextDouble() => CounterRandom.ToDouble(NextBits());

    /// <summary>A uniform float in (0, 1), never 0 or 1 (<see cref="CounterRandom.ToSingle"/>); one draw.</summary>
    public float NextSingle() => CounterRandom.ToSingle(NextBits());

    /// <summary>A standard normal deviate (<see cref="CounterRandom.ToNormal"/>); two draws.</summary>
    public double NextNormal()
    {
        ulong first = NextBits();
        return CounterRandom.ToNormal(first, NextBits());
    }

    /// <summary>A standard logistic deviate (<see cref="CounterRandom.ToLogistic"/>); one draw.</summary>
    public double NextLogistic() => CounterRandom.ToLogistic(NextBits());

    /// <summary>A standard Gumbel deviate (<see cref="CounterRandom.ToGumbel"/>); one draw.</summary>
    public double NextGumbel() => CounterRandom.ToGumbel(NextBits());

    /// <summary>
    /// A uniform random permutation of 0 .. <paramref name="count"/> - 1: Fisher-Yates from the last place down, one
    /// <see cref="NextInt32"/> draw per place.
    /// </summary>
    public int[] Permutation(int count)
    {
        Guard.Argument(count >= 0, nameof(count), $"must be >= 0; got {count}.");
        var order = new int[count];
        for (int i = 0; i < count; i++)
            order[i] = i;
        for (int i = count - 1; i > 0; i--)
        {
            int j = NextInt32(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// Moves a uniform random sample of <paramref name="count"/> of <paramref name="items"/>, in random order, to its
    /// first <paramref name="count"/> places: Fisher-Yates from the first place up, stopped after <paramref name="count"/>
    /// places, one <see cref="NextInt32"/> draw per place.
    /// </summary>
    public void ShuffleFront(Span<int> items, int count)
    {
        Guard.Argument(count >= 0 && count <= items.Length, nameof(count), $"must be in [0, {items.Length}]; got {count}.");
        for (int i = 0; i < count; i++)
        {
            int j = i + NextInt32(items.Length - i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="maxExclusive"/>), exactly unbiased (Lemire, "Fast random integer
    /// generation in an interval", 2019: the high word of a 64 x 64-bit product, rejecting the few low words that
    /// would bias it); one draw, more with probability below maxExclusive / 2^64.
    /// </summary>
    public int NextInt32(int maxExclusive)
    {
        Guard.Argument(maxExclusive > 0, nameof(maxExclusive), $"must be positive; got {maxExclusive}.");
        ulong n = (ulong)maxExclusive;
        ulong high = Math.BigMul(NextBits(), n, out ulong low);
        if (low < n)
        {
            ulong threshold = (0 - n) % n; // 2^64 mod n
            while (low < threshold)
                high = Math.BigMul(NextBits(), n, out low);
        }
        return (int)high;
    }
}
