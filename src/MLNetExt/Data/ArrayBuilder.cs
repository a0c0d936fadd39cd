namespace MLNetExt.Data;

/// <summary>An append-only buffer that doubles its capacity; <see cref="ToArray"/> trims to the count.</summary>
internal struct ArrayBuilder<T>
{
    private T[] _items;
    private int _count;

    public ArrayBuilder(int capacity) => _items = capacity > 0 ? new T[capacity] : [];

    public readonly int Count => _count;

    public void Add(T item)
    {
        if (_count == _items.Length)
            Grow(_count + 1);
        _items[_count++] = item;
    }

    /// <summary>Reserves <paramref name="length"/> slots at the end and returns them for the caller to fill.</summary>
    public Span<T> AppendSlots(int length)
    {
        if (_count + length > _items.Length)
            Grow(_count + length);
        var span = _items.AsSpan(_count, length);
        _count += length;
        return span;
    }

    public readonly T[] ToArray()
    {
        if (_items.Length == _count)
            return _items;
        return _items.AsSpan(0, _count).ToArray();
    }

    private void Grow(int minimum)
    {
        long doubled = Math.Max(16L, 2L * _items.Length);
        int capacity = (int)Math.Min(Array.MaxLength, Math.Max(doubled, minimum));
        if (capacity < minimum)
            throw new InvalidOperationException($"More than {Array.MaxLength} values do not fit in one array.");
        Array.Resize(ref _items, capacity);
    }
}
