using Mono.Cecil;
using Mono.Cecil.Cil;

namespace MLNetExt.Tests.Support;

/// <summary>
/// Finds the ML.NET internals an MLNetExt assembly uses (docs/architecture.md, "Persistence": only the core's bridge
/// may touch them). The core's contract test checks its exact list; every other package's tests call
/// <see cref="AssertNone"/> on their assembly: sibling packages reach ML.NET internals only through the core.
/// </summary>
public static class MLNetInternals
{
    /// <summary>Fails when the assembly at <paramref name="assemblyPath"/> uses any non-public ML.NET member, naming each use.</summary>
    public static void AssertNone(string assemblyPath)
    {
        var uses = FindUses(assemblyPath, includeUnresolved: true);
        Assert.IsEmpty(uses, $"{Path.GetFileName(assemblyPath)} must not use ML.NET internals (go through MLNetExt's bridge): " +
            string.Join("; ", uses.Select(u => $"{u.User} uses {u.Member}").Distinct()));
    }

    /// <summary>
    /// Every use of a non-public ML.NET type or member in the assembly at <paramref name="assemblyPath"/>: (the using
    /// type, "T:"/"M:"/"F:" plus the member). With <paramref name="includeUnresolved"/>, references that do not resolve
    /// against the ML.NET assemblies next to the tests are listed with a leading "?".
    /// </summary>
    public static List<(string User, string Member)> FindUses(string assemblyPath, bool includeUnresolved = false)
    {
        using var resolver = CreateResolver();
        using var assembly = AssemblyDefinition.ReadAssembly(assemblyPath, new ReaderParameters { AssemblyResolver = resolver });
        var uses = new List<(string, string)>();

        void Consider(string user, MemberReference reference)
        {
            if (reference.DeclaringType?.Scope is not AssemblyNameReference && reference is not TypeReference)
                return;
            var scope = (reference as TypeReference ?? reference.DeclaringType)!.Scope;
            if (scope is not AssemblyNameReference name || !name.Name.StartsWith("Microsoft.ML", StringComparison.Ordinal))
                return;
            string? key = Describe(reference, out bool resolved);
            if (!resolved)
            {
                if (includeUnresolved)
                    uses.Add((user, "?" + reference.FullName));
                return;
            }
            if (key is not null)
                uses.Add((user, key));
        }

        foreach (var attribute in assembly.CustomAttributes)
        {
            Consider("<assembly>", attribute.Constructor);
            Consider("<assembly>", attribute.AttributeType);
            foreach (var argument in attribute.ConstructorArguments)
            {
                if (argument.Value is TypeReference typeArgument)
                    Consider("<assembly>", typeArgument);
            }
        }
        foreach (var type in assembly.MainModule.GetTypes())
        {
            string user = type.FullName;
            foreach (var method in type.Methods)
            {
                foreach (var parameter in method.Parameters)
                    Consider(user, parameter.ParameterType);
                Consider(user, method.ReturnType);
                if (!method.HasBody)
                    continue;
                foreach (Instruction instruction in method.Body.Instructions)
                {
                    if (instruction.Operand is MemberReference member)
                        Consider(user, member);
                }
            }
            foreach (var field in type.Fields)
                Consider(user, field.FieldType);
        }
        return uses;
    }

    /// <summary>Resolves ML.NET's assemblies from the test's output folder only, where the build copied the restored version.</summary>
    public static DefaultAssemblyResolver CreateResolver()
    {
        var resolver = new DefaultAssemblyResolver();
        foreach (string directory in resolver.GetSearchDirectories())
            resolver.RemoveSearchDirectory(directory);
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        return resolver;
    }

    /// <summary>"T:", "M:" or "F:" plus the name when the resolved definition is not public; null when it is.</summary>
    private static string? Describe(MemberReference reference, out bool resolved)
    {
        resolved = true;
        switch (reference)
        {
            case GenericInstanceType generic:
                return Describe(generic.ElementType, out resolved);
            case TypeSpecification specification:
                return Describe(specification.ElementType, out resolved);
            case TypeReference typeReference:
            {
                var type = typeReference.Resolve();
                if (type is null)
                {
                    resolved = false;
                    return null;
                }
                return IsVisible(type) ? null : "T:" + type.FullName;
            }
            case MethodReference methodReference:
            {
                var method = methodReference.Resolve();
                if (method is null)
                {
                    resolved = false;
                    return null;
                }
                return (method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly) && IsVisible(method.DeclaringType) ? null : $"M:{method.DeclaringType.FullName}::{method.Name}";
            }
            case FieldReference fieldReference:
            {
                var field = fieldReference.Resolve();
                if (field is null)
                {
                    resolved = false;
                    return null;
                }
                return field.IsPublic && IsVisible(field.DeclaringType) ? null : $"F:{field.DeclaringType.FullName}::{field.Name}";
            }
            default:
                return null;
        }
    }

    private static bool IsVisible(TypeDefinition type)
    {
        for (var t = type; t is not null; t = t.DeclaringType)
        {
            if (!(t.IsPublic || t.IsNestedPublic))
                return false;
        }
        return true;
    }
}
