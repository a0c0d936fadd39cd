// Loads saved models in a fresh process, for PersistenceTests. Two modes:
//
//   MLNetExt.LoadProbe <model.zip> <input.idv> <output.idv> [<model.zip> <input.idv> <output.idv> ...]
//     For each triple: loads the model with a new MLContext, transforms the input (an ML.NET binary data file),
//     writes the result as a binary data file, and prints one line per MLNetExt transformer in the model with its
//     learned state.
//
//   MLNetExt.LoadProbe --concurrent <threads> <copies> <model.zip> [<model.zip> ...]
//     The first loads of the process, from many threads at once: <threads> threads wait at a barrier, then each
//     loads every model <copies> times (a new MLContext per load), so the threads race through the first load of
//     MLNetExt and its component registration. Prints "loaded=<n>" and one "error=..." line per failed load.
//
// Both modes first print whether MLNetExt was loaded before ML.NET's loader asked for it (it must not be: a user's
// app that only calls mlContext.Model.Load has not touched MLNetExt either).
using System.Runtime.CompilerServices;
using Microsoft.ML;

Console.WriteLine($"preloaded={AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "MLNetExt")}");
if (args.Length >= 4 && args[0] == "--concurrent")
    return LoadConcurrently(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), args[3..]);
if (args.Length == 0 || args.Length % 3 != 0)
{
    Console.Error.WriteLine("usage: MLNetExt.LoadProbe (<model.zip> <input.idv> <output.idv>)...");
    Console.Error.WriteLine("       MLNetExt.LoadProbe --concurrent <threads> <copies> <model.zip>...");
    return 2;
}

for (int i = 0; i < args.Length; i += 3)
{
    var mlContext = new MLContext(seed: 1);
    ITransformer model;
    try
    {
        model = mlContext.Model.Load(args[i], out _);
    }
    catch (Exception e)
    {
        Console.WriteLine($"error={e.GetBaseException().GetType().Name}: {e.GetBaseException().Message}");
        continue;
    }
    var input = mlContext.Data.LoadFromBinary(args[i + 1]);
    var output = model.Transform(input);
    using (var stream = File.Create(args[i + 2]))
        mlContext.Data.SaveAsBinary(output, stream, keepHidden: false);
    Describe(model);
}
return 0;

static int LoadConcurrently(int threads, int copies, string[] models)
{
    using var barrier = new Barrier(threads);
    var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
    int loaded = 0;
    var workers = Enumerable.Range(0, threads).Select(index => new Thread(() =>
    {
        barrier.SignalAndWait();
        for (int copy = 0; copy < copies; copy++)
        {
            foreach (string path in models)
            {
                try
                {
                    new MLContext(seed: 1).Model.Load(path, out _);
                    Interlocked.Increment(ref loaded);
                }
                catch (Exception e)
                {
                    errors.Enqueue($"{e.GetBaseException().GetType().Name}: {e.GetBaseException().Message}".ReplaceLineEndings(" "));
                }
            }
        }
    })).ToArray();
    foreach (var worker in workers)
        worker.Start();
    foreach (var worker in workers)
        worker.Join();
    Console.WriteLine($"loaded={loaded}");
    foreach (string error in errors)
        Console.WriteLine($"error={error}");
    return 0;
}

// Typed access to the learned state after reload, kept out of Main so that MLNetExt is loaded only by ML.NET.
[MethodImpl(MethodImplOptions.NoInlining)]
static void Describe(ITransformer model)
{
    var transformers = model is IEnumerable<ITransformer> chain ? chain : [model];
    foreach (var transformer in transformers)
    {
        string? state = MLNetExt.Tests.LoadProbe.StateDescriber.Describe(transformer);
        if (state is not null)
            Console.WriteLine($"state={state}");
    }
}
