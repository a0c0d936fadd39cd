// Writes a copy of a .NET assembly in which the named types, and all of their members, are public.
// Usage: Publicizer <input.dll> <output.dll> <Namespace.Type[/Nested]>...
// The copy is a compile-time reference only (see build/MLNetBridge.targets); it is never loaded at run time.
using Mono.Cecil;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Publicizer <input.dll> <output.dll> <type full name>...");
    return 2;
}

string input = args[0], output = args[1];
var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
var module = assembly.MainModule;
var missing = new List<string>();
foreach (string name in args.Skip(2))
{
    var type = module.GetType(name);
    if (type is null)
    {
        missing.Add(name);
        continue;
    }
    Publicize(type);
}
if (missing.Count > 0)
{
    // A renamed or removed internal type means the ML.NET version changed under us: fail the build loudly.
    Console.Error.WriteLine($"Publicizer: {Path.GetFileName(input)} has no type(s) {string.Join(", ", missing)}");
    return 3;
}
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
assembly.Write(output, new WriterParameters { DeterministicMvid = true });
return 0;

static void Publicize(TypeDefinition type)
{
    for (var t = type; t is not null; t = t.DeclaringType)
    {
        t.Attributes &= ~TypeAttributes.VisibilityMask;
        t.Attributes |= t.IsNested ? TypeAttributes.NestedPublic : TypeAttributes.Public;
    }
    foreach (var method in type.Methods)
    {
        method.Attributes &= ~MethodAttributes.MemberAccessMask;
        method.Attributes |= MethodAttributes.Public;
    }
    foreach (var field in type.Fields)
    {
        field.Attributes &= ~FieldAttributes.FieldAccessMask;
        field.Attributes |= FieldAttributes.Public;
    }
}
