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
    /// On Windows PowerShell 5.1 it also serves the RateLimitStore folder (StackExchange.Redis and its dependencies)
    /// to the assemblies in that folder, once a rate limit store is used; on PowerShell 7 that folder is loaded into
    /// its own load context instead (see RateLimiting/Shared/RateLimitStoreLoader.cs) and never reaches this handler.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        internal static readonly string DependencyDirectory =
            Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";

        private static volatile string? _storeDirectory;

        public void OnImport() => AppDomain.CurrentDomain.AssemblyResolve += Resolve;

        public void OnRemove(PSModuleInfo module) => AppDomain.CurrentDomain.AssemblyResolve -= Resolve;

        /// <summary>Windows PowerShell 5.1: from now on, requests from the store folder's assemblies are served from it.</summary>
        internal static void ServeStoreDirectory(string directory) => _storeDirectory = directory;

        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            // Only for the module and its own dependencies: never hand our copies to another module.
            var requester = args.RequestingAssembly;
            var name = new AssemblyName(args.Name).Name;
            if (string.IsNullOrEmpty(name)) return null;
            var store = _storeDirectory;
            if (store != null && requester != null && IsIn(requester, store))
            {
                if (name == "Leadspace") return typeof(ModuleInitializer).Assembly;
                var storePath = Path.Combine(store, name + ".dll");
                if (File.Exists(storePath)) return Assembly.LoadFrom(storePath);
            }
            if (requester != null && !IsIn(requester, DependencyDirectory)) return null;
            if (name == "Leadspace") return null;
            var path = Path.Combine(DependencyDirectory, name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }

        private static bool IsIn(Assembly assembly, string directory)
        {
            try
            {
                var location = assembly.Location;
                return !string.IsNullOrEmpty(location)
                    && string.Equals(Path.GetDirectoryName(location), directory, StringComparison.OrdinalIgnoreCase);
            }
            catch (NotSupportedException) { return false; } // dynamic assemblies have no location
        }
    }
}
