using System.Reflection;
using Microsoft.ML;
using Mono.Cecil;
using Mono.Cecil.Cil;

using MLNetExt.Tests.Support;

namespace MLNetExt.Tests.Interop;

/// <summary>
/// Guards the bridge to ML.NET's internals (docs/architecture.md, "Persistence"): the shipped MLNetExt.dll uses
/// exactly the listed internal ML.NET members, each of them exists in the ML.NET assemblies the tests run against,
/// and only <c>MLNetExt.Interop</c> and <c>MLNetExt.Serialization</c> use them. Bumping Microsoft.ML, or using an
/// internal anywhere else, fails here first. The build's ML.NET version (<c>MicrosoftMLVersion</c>, 5.0.1 by default;
/// .ci/run also runs these tests built with 6.0.0) is the one resolved against, which the first test checks.
/// </summary>
[TestClass]
public sealed class MLNetBridgeContractTests
{
    /// <summary>Every internal ML.NET type or member MLNetExt uses, and why (see MLNetBridge and ModelPersistence).</summary>
    private static readonly SortedSet<string> Allowed = new(StringComparer.Ordinal)
    {
        // The loader registration: [assembly: LoadableClass(typeof(ITransformer), typeof(ModelPersistence), null, typeof(SignatureLoadModel), ...)]
        "T:Microsoft.ML.LoadableClassAttribute",
        "M:Microsoft.ML.LoadableClassAttribute::.ctor",
        "T:Microsoft.ML.SignatureLoadModel",
        // Saving: position check, header versions, the entry's writer.
        "M:Microsoft.ML.ModelSaveContext::CheckAtModel",
        "M:Microsoft.ML.ModelSaveContext::SetVersionInfo",
        "F:Microsoft.ML.ModelSaveContext::Writer",
        // Loading: the context type in Create's signature, its version check and reader.
        "T:Microsoft.ML.ModelLoadContext",
        "M:Microsoft.ML.ModelLoadContext::CheckAtModel",
        "F:Microsoft.ML.ModelLoadContext::Reader",
        "T:Microsoft.ML.VersionInfo",
        "M:Microsoft.ML.VersionInfo::.ctor",
        // Catalog environment, cancellation flag, estimator output columns.
        "T:Microsoft.ML.Data.IInternalCatalog",
        "M:Microsoft.ML.Data.IInternalCatalog::get_Environment",
        "T:Microsoft.ML.Runtime.ICancelable",
        "M:Microsoft.ML.Runtime.ICancelable::get_IsCanceled",
        "M:Microsoft.ML.SchemaShape/Column::.ctor",
    };

    private static readonly string[] BridgeNamespaces = ["MLNetExt.Interop", "MLNetExt.Serialization"];

    [TestMethod]
    public void Contract_ResolvesAgainstTheMLNetVersionTheTestsWereBuiltWith()
    {
        // -p:MicrosoftMLVersion=X restores X for the library and the tests; the resolver below must then find X's
        // assemblies (not a stale copy), and so must the runtime that runs the other tests.
        string expected = typeof(MLNetBridgeContractTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "MicrosoftMLVersion").Value!;
        using var resolver = MLNetInternals.CreateResolver();
        foreach (string name in new[] { "Microsoft.ML.Core", "Microsoft.ML.Data" })
        {
            var resolved = resolver.Resolve(new AssemblyNameReference(name, new Version(1, 0, 0, 0)));
            Assert.AreEqual(Path.Combine(AppContext.BaseDirectory, name + ".dll"), resolved.MainModule.FileName, name);
            string? informational = resolved.CustomAttributes
                .Single(a => a.AttributeType.Name == nameof(AssemblyInformationalVersionAttribute))
                .ConstructorArguments[0].Value as string;
            Assert.AreEqual(expected, informational?.Split('+')[0], $"{name} resolved by the contract test");
        }
        string? running = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Assert.AreEqual(expected, running?.Split('+')[0], "Microsoft.ML.Data loaded by the test run");
    }

    [TestMethod]
    public void Library_UsesExactlyTheListedInternals_OnlyInTheBridge()
    {
        var uses = FindInternalUses();
        var used = new SortedSet<string>(uses.Select(u => u.Member), StringComparer.Ordinal);
        CollectionAssert.AreEqual(Allowed.ToArray(), used.ToArray(),
            $"Internal ML.NET members used: {string.Join(", ", used)}. Update the list (and docs/architecture.md) only with a reason.");
        var outside = uses.Where(u => !BridgeNamespaces.Any(ns => u.User.StartsWith(ns + ".", StringComparison.Ordinal) || u.User == "<assembly>"))
            .Select(u => $"{u.User} uses {u.Member}").Distinct().ToArray();
        Assert.AreEqual(0, outside.Length, string.Join("\n", outside));
    }

    [TestMethod]
    public void ListedInternals_ExistInTheReferencedMLNetAssemblies()
    {
        // Resolving every reference against the real (not publicized) assemblies proves each member still exists
        // with the signature the library was compiled against.
        var unresolved = FindInternalUses(includeUnresolved: true).Where(u => u.Member.StartsWith("?", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(0, unresolved.Length, string.Join("\n", unresolved.Select(u => u.Member)));
    }

    private static List<(string User, string Member)> FindInternalUses(bool includeUnresolved = false)
        => MLNetInternals.FindUses(Path.Combine(AppContext.BaseDirectory, "MLNetExt.dll"), includeUnresolved);
}
