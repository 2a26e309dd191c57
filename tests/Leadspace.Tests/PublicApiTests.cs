using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Leadspace.Tests;

/// <summary>
/// The checked list of Leadspace.dll's public surface: src/Leadspace/PublicAPI.txt names every exported type and its
/// public members. A change to the surface fails here with the difference printed, so the surface grows (or shrinks)
/// only on purpose: update the file with what the failure prints (it is also written to PublicAPI.actual.txt beside
/// the test assembly).
/// </summary>
public class PublicApiTests
{
    private const int MaxExportedTypes = 60;
    private readonly ITestOutputHelper _output;

    public PublicApiTests(ITestOutputHelper output) { _output = output; }

    [Fact]
    public void TheExportedSurfaceIsExactlyTheCheckedList()
    {
        var expected = File.ReadAllLines(Path.Combine(RepositoryRoot(), "src", "Leadspace", "PublicAPI.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var actual = PublicApi.Describe();
        File.WriteAllLines(Path.Combine(AppContext.BaseDirectory, "PublicAPI.actual.txt"), actual);

        var added = actual.Except(expected).ToList();
        var removed = expected.Except(actual).ToList();
        var report = new StringBuilder();
        foreach (var line in added) report.AppendLine("+ " + line);
        foreach (var line in removed) report.AppendLine("- " + line);
        if (report.Length > 0) _output.WriteLine(report.ToString());
        Assert.True(report.Length == 0,
            $"The public surface differs from src/Leadspace/PublicAPI.txt (+ exported but not listed, - listed but not exported):\n{report}");
        Assert.Equal(expected, actual); // and in the file's order
    }

    [Fact]
    public void AtMostSixtyTypesAreExported()
    {
        using var context = PublicApi.Load(out var assembly);
        var types = assembly.GetExportedTypes();
        Assert.True(types.Length <= MaxExportedTypes, $"{types.Length} exported types: " + string.Join(", ", types.Select(t => t.FullName).OrderBy(n => n)));
    }

    [Fact]
    public void TheListNamesTypesAndMembersTheWayTheTestDescribesThem()
    {
        // The describer itself: a public type with its members, an internal one left out.
        var lines = PublicApi.Describe();
        Assert.Contains("sealed class Leadspace.Commands.InvokeLeadspaceEnrichmentCommand : Leadspace.Commands.LeadspaceCmdlet, System.IDisposable", lines);
        Assert.Contains("  property Leadspace.Session.LeadspaceConnection.TokenExpiresAt : System.DateTimeOffset? { get; }", lines);
        Assert.Contains(lines, l => l.StartsWith("  property Leadspace.Model.EnrichmentResult.Status", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Leadspace.Engine.EnrichmentEngine", StringComparison.Ordinal));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LeadspacePS.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("LeadspacePS.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One line per exported type and per public or protected member, sorted: the text of PublicAPI.txt. The
/// assembly is read in a <see cref="MetadataLoadContext"/> (PowerShell's types are not loadable in this process).</summary>
internal static class PublicApi
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Leadspace.dll as built, with its dependencies beside it, PowerShell's reference assembly and the runtime.</summary>
    public static MetadataLoadContext Load(out Assembly assembly)
    {
        var bin = AppContext.BaseDirectory;
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(bin, "*.dll").Where(p => !Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)))
            .Append(Path.Combine(bin, "reference", "System.Management.Automation.dll"));
        var context = new MetadataLoadContext(new PathAssemblyResolver(paths.GroupBy(Path.GetFileName).Select(g => g.First())), "System.Private.CoreLib");
        assembly = context.LoadFromAssemblyPath(Path.Combine(bin, "Leadspace.dll"));
        return context;
    }

    public static List<string> Describe()
    {
        using var context = Load(out var assembly);
        return Describe(assembly);
    }

    private static List<string> Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add(TypeLine(type));
            var members = new List<string>();
            foreach (var member in type.GetMembers(Declared))
            {
                var line = MemberLine(type, member);
                if (line != null) members.Add("  " + line);
            }
            members.Sort(StringComparer.Ordinal);
            lines.AddRange(members);
        }
        return lines;
    }

    private static string TypeLine(Type type)
    {
        string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct"
            : type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class";
        var bases = new List<string>();
        if (type.BaseType != null && type.BaseType.FullName is not ("System.Object" or "System.Enum" or "System.ValueType")) bases.Add(Name(type.BaseType));
        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Where(n => !type.BaseType?.GetInterfaces().Select(Name).Contains(n) ?? true).OrderBy(n => n, StringComparer.Ordinal));
        return kind + " " + Name(type) + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static bool Visible(MethodBase? method) => method != null && (method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly);

    private static string? MemberLine(Type type, MemberInfo member)
    {
        string owner = Name(type) + ".";
        switch (member)
        {
            case ConstructorInfo c when Visible(c) && !c.IsStatic:
                return "ctor " + owner + "ctor(" + Parameters(c) + ")";
            case MethodInfo m when Visible(m) && !m.IsSpecialName:
                return "method " + Static(m.IsStatic) + owner + m.Name + Generic(m) + "(" + Parameters(m) + ") : " + Name(m.ReturnType);
            case PropertyInfo p when Visible(p.GetMethod) || Visible(p.SetMethod):
                var accessors = (Visible(p.GetMethod) ? "get; " : "") + (Visible(p.SetMethod) ? "set; " : "");
                var index = p.GetIndexParameters();
                var name = index.Length == 0 ? p.Name : "this[" + string.Join(", ", index.Select(i => Name(i.ParameterType))) + "]";
                return "property " + Static((p.GetMethod ?? p.SetMethod)!.IsStatic) + owner + name + " : " + Name(p.PropertyType) + " { " + accessors + "}";
            case FieldInfo f when (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName:
                if (type.IsEnum) return "value " + owner + f.Name + " = " + Convert.ToInt64(f.GetRawConstantValue());
                return (f.IsLiteral ? "const " : "field " + Static(f.IsStatic) + (f.IsInitOnly ? "readonly " : "")) + owner + f.Name + " : " + Name(f.FieldType);
            case EventInfo e when Visible(e.AddMethod):
                return "event " + owner + e.Name + " : " + Name(e.EventHandlerType!);
            default:
                return null;
        }
    }

    private static string Static(bool isStatic) => isStatic ? "static " : "";

    private static string Generic(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase method)
        => string.Join(", ", method.GetParameters().Select(p => (p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "") + Name(p.ParameterType) + (p.HasDefaultValue ? " = " + (p.RawDefaultValue ?? "null") : "")));

    private static string Name(Type type)
    {
        if (type.IsByRef) return Name(type.GetElementType()!);
        if (type.IsArray) return Name(type.GetElementType()!) + "[]";
        if (type.IsGenericParameter) return type.Name;
        if (type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1") return Name(type.GetGenericArguments()[0]) + "?";
        string name = (type.IsNested ? Name(type.DeclaringType!) + "+" + type.Name : (type.Namespace == null ? "" : type.Namespace + ".") + type.Name);
        if (!type.IsGenericType) return name;
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name.Substring(0, tick);
        return name + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
    }
}
