using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace MLNetExt.Interop;

/// <summary>
/// The only place, with <c>MLNetExt.Serialization.ModelPersistence</c>, where MLNetExt uses members that ML.NET keeps
/// internal. Each member below names the ML.NET member it reaches and why there is no public way.
/// <c>MLNetBridgeContractTests</c> fails when any other code touches an ML.NET internal, or when one of these is
/// missing from the ML.NET version the tests run against (each supported version is tested in CI).
/// </summary>
internal static class MLNetBridge
{
    /// <summary>
    /// The environment behind a catalog (<c>IInternalCatalog.Environment</c>; ML.NET's own accessor
    /// <c>CatalogUtils.GetEnvironment</c> is internal). Catalog extension methods need it to create hosts, so
    /// that logging reaches <c>MLContext.Log</c> and the context's seed and cancellation apply.
    /// </summary>
    public static IHostEnvironment GetEnvironment(object catalog)
    {
        Guard.NotNull(catalog, nameof(catalog));
        if (catalog is IInternalCatalog internalCatalog)
            return internalCatalog.Environment;
        throw new ArgumentException($"'{catalog.GetType().Name}' is not an ML.NET catalog.", nameof(catalog));
    }

    /// <summary>
    /// Whether ML.NET's cancellation flag is set for this environment (<c>ICancelable.IsCanceled</c>, internal).
    /// <c>MLContext.CancelExecution</c> (internal; AutoML's trial runner calls it) sets it on every host registered
    /// from the context so far, which is how a running component sees it, as ML.NET's own trainers do.
    /// </summary>
    public static bool IsCanceled(IHostEnvironment env) => env is ICancelable cancelable && cancelable.IsCanceled;

    /// <summary>
    /// A <see cref="SchemaShape.Column"/> for <c>IEstimator.GetOutputSchema</c>: its constructor is internal and ML.NET
    /// offers no public factory, although every estimator must return new columns in this form.
    /// </summary>
    public static SchemaShape.Column MakeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType,
        bool isKey, SchemaShape? annotations = null)
        => new(name, kind, itemType, isKey, annotations);
}
