using System.Runtime.CompilerServices;
namespace MLNetExt.RiskScores.Engine;

/// <summary>
/// The rows grouped by their label and their values on a few columns (a support): a model that uses only those
/// columns gives every row of a group the same margin, so its loss, gradient and rounding need one term per group,
/// weighted by the group's total weight. Exact; on binary features a support of 5 columns has at most 64 groups
/// whatever the row count.
/// </summary>
internal sealed class SupportGroups
{
    private readonly int[] _slots = new int[1 << 16];
    private readonly Dictionary<long, int> _longKeys = [];
    private readonly Dictionary<string, int> _textKeys = [];

    public SupportGroups(FeatureColumns columns)
    {
        Columns = columns;
        GroupOf = new int[columns.N];
        Weight = new double[columns.N];
        Y = new double[columns.N];
        Representative = new int[columns.N];
        Array.Fill(_slots, -1);
    }

    public FeatureColumns Columns { get; }

    /// <summary>Groups found by the last <see cref="Build"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The group of each row.</summary>
    public int[] GroupOf { get; }

    /// <summary>Total weight per group.</summary>
    public double[] Weight { get; }

    /// <summary>The label of each group (+1 / -1).</summary>
    public double[] Y { get; }

    /// <summary>The first row of each group.</summary>
    public int[] Representative { get; }

    /// <summary>Groups the rows by label and by their values on <paramref name="support"/> (feature indices).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Build(ReadOnlySpan<int> support)
    {
        var c = Columns;
        Count = 0;
        bool coded = true;
        long radix = 2;
        foreach (int j in support)
        {
            if (c.Codes[j] is null)
            {
                coded = false;
                break;
            }
            radix *= c.CodeValues[j]!.Length;
            if (radix > long.MaxValue / 256)
            {
                coded = false;
                break;
            }
        }
        if (coded && radix <= _slots.Length)
        {
            for (int i = 0; i < c.N; i++)
                Assign(i, _slots, (int)Key(support, i));
            for (int g = 0; g < Count; g++)
                _slots[(int)Key(support, Representative[g])] = -1;
        }
        else if (coded)
        {
            _longKeys.Clear();
            for (int i = 0; i < c.N; i++)
            {
                long key = Key(support, i);
                if (!_longKeys.TryGetValue(key, out int g))
                {
                    g = Count;
                    _longKeys.Add(key, g);
                    Start(i);
                }
                Add(i, g);
            }
        }
        else
        {
            _textKeys.Clear();
            var builder = new System.Text.StringBuilder();
            for (int i = 0; i < c.N; i++)
            {
                builder.Clear().Append(c.Y[i] > 0 ? '+' : '-');
                foreach (int j in support)
                    builder.Append(BitConverter.DoubleToInt64Bits(c.Columns[j][i] + 0.0)).Append(',');
                string key = builder.ToString();
                if (!_textKeys.TryGetValue(key, out int g))
                {
                    g = Count;
                    _textKeys.Add(key, g);
                    Start(i);
                }
                Add(i, g);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private long Key(ReadOnlySpan<int> support, int i)
    {
        var c = Columns;
        long key = c.Y[i] > 0 ? 1 : 0;
        long scale = 2;
        foreach (int j in support)
        {
            key += scale * c.Codes[j]![i];
            scale *= c.CodeValues[j]!.Length;
        }
        return key;
    }

    private void Assign(int i, int[] slots, int key)
    {
        int g = slots[key];
        if (g < 0)
        {
            g = Count;
            slots[key] = g;
            Start(i);
        }
        Add(i, g);
    }

    private void Start(int i)
    {
        Representative[Count] = i;
        Weight[Count] = 0;
        Y[Count] = Columns.Y[i];
        Count++;
    }

    private void Add(int i, int g)
    {
        GroupOf[i] = g;
        Weight[g] += Columns.W[i];
    }
}
