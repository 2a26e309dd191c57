using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace Leadspace
{
    /// <summary>
    /// Resolves the module's own dependencies from the module folder when the runtime cannot bind them by
    /// itself: Windows PowerShell 5.1 has no binding redirects, so System.Text.Json 8 asking for one version
    /// of System.Memory or System.Runtime.CompilerServices.Unsafe while the folder holds another would fail.
    /// Only requests the runtime could not satisfy reach this handler, so on PowerShell 7 the host's own
    /// (newer) copies of System.Text.Json and friends always win, and the module's copies are never loaded.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string DependencyDirectory =
            Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";

        public void OnImport() => AppDomain.CurrentDomain.AssemblyResolve += Resolve;

        public void OnRemove(PSModuleInfo module) => AppDomain.CurrentDomain.AssemblyResolve -= Resolve;

        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            // Only for the module and its own dependencies: never hand our copies to another module.
            var requester = args.RequestingAssembly;
            if (requester != null && !IsOurs(requester)) return null;
            var name = new AssemblyName(args.Name).Name;
            if (string.IsNullOrEmpty(name) || name == "Leadspace") return null;
            var path = Path.Combine(DependencyDirectory, name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }

        private static bool IsOurs(Assembly assembly)
        {
            try
            {
                var location = assembly.Location;
                return !string.IsNullOrEmpty(location)
                    && string.Equals(Path.GetDirectoryName(location), DependencyDirectory, StringComparison.OrdinalIgnoreCase);
            }
            catch (NotSupportedException) { return false; } // dynamic assemblies have no location
        }
    }
}
