namespace System.Runtime.CompilerServices;

/// <summary>
/// Tells the runtime that this assembly may use internal members of the named assembly. The CoreCLR honours it; the
/// C# compiler does not, which is why build/MLNetBridge.targets compiles against copies of the ML.NET assemblies in
/// which the few types we use are public. Used only by <c>MLNetExt.Interop.MLNetBridge</c> and
/// <c>MLNetExt.Serialization</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    public string AssemblyName { get; }
}
