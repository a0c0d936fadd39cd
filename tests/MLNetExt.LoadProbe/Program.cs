// Loads saved models in a fresh process and applies them, for PersistenceTests.
// Usage: MLNetExt.LoadProbe <model.zip> <input.idv> <output.idv> [<model.zip> <input.idv> <output.idv> ...]
// For each triple: loads the model with a new MLContext, transforms the input (an ML.NET binary data file), writes
// the result as a binary data file, and prints one line per MLNetExt transformer in the model with its learned state.
// It first prints whether MLNetExt was loaded before ML.NET's loader asked for it (it must not be: a user's app that
// only calls mlContext.Model.Load has not touched MLNetExt either).
using System.Runtime.CompilerServices;
using Microsoft.ML;

if (args.Length == 0 || args.Length % 3 != 0)
{
    Console.Error.WriteLine("usage: MLNetExt.LoadProbe (<model.zip> <input.idv> <output.idv>)...");
    return 2;
}

Console.WriteLine($"preloaded={AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "MLNetExt")}");
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
