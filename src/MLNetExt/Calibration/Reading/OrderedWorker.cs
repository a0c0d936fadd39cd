using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace MLNetExt.Calibration.Reading;

/// <summary>
/// Runs an action on items in the order they are posted, on one background thread (so reading a cursor and
/// processing what was read overlap on two cores), or inline on the caller's thread when there is one core. Either
/// way the items are processed one at a time, in order: results do not depend on the number of cores. The first
/// exception of the action stops the worker and is rethrown to the poster.
/// </summary>
internal sealed class OrderedWorker<T> : IDisposable
{
    private readonly Action<T> _process;
    private readonly BlockingCollection<T>? _queue;
    private readonly Task? _task;
    private Exception? _error;

    /// <param name="process">The action, called once per item in posting order.</param>
    /// <param name="capacity">Items that may wait; <see cref="Post"/> blocks beyond it.</param>
    /// <param name="inline">Process on the posting thread.</param>
    public OrderedWorker(Action<T> process, int capacity, bool inline)
    {
        _process = process;
        if (inline)
            return;
        _queue = new BlockingCollection<T>(capacity);
        _task = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Hands an item over; throws the worker's exception if it has failed.</summary>
    public void Post(T item)
    {
        ThrowIfFailed();
        if (_queue is null)
        {
            _process(item);
            return;
        }
        _queue.Add(item);
    }

    /// <summary>Waits until every posted item is processed; throws the worker's exception if it failed.</summary>
    public void Complete()
    {
        if (_queue is not null)
        {
            _queue.CompleteAdding();
            _task!.Wait();
        }
        ThrowIfFailed();
    }

    /// <summary>Stops the worker (after the items already posted) and waits for it.</summary>
    public void Dispose()
    {
        if (_queue is null)
            return;
        if (!_queue.IsAddingCompleted)
            _queue.CompleteAdding();
        try
        {
            _task!.Wait();
        }
        catch (AggregateException)
        {
            // Its error, if any, was recorded in _error and reported by Post or Complete.
        }
        _queue.Dispose();
    }

    private void Run()
    {
        foreach (var item in _queue!.GetConsumingEnumerable())
        {
            if (Volatile.Read(ref _error) is not null)
                continue; // drain without processing after a failure
            try
            {
                _process(item);
            }
            catch (Exception e)
            {
                Volatile.Write(ref _error, e);
            }
        }
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _error) is { } error)
            ExceptionDispatchInfo.Capture(error).Throw();
    }
}
