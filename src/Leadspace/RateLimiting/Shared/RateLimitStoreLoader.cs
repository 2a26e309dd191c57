using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Leadspace.RateLimiting.Shared
{
    /// <summary>
    /// Loads Leadspace.RateLimitStore.dll and its dependencies (StackExchange.Redis, Pipelines.Sockets.Unofficial,
    /// System.IO.Pipelines, …) from the module's RateLimitStore folder, the first time a store is used, and never
    /// before.
    /// <list type="bullet">
    /// <item>PowerShell 7 (.NET): into the module's own AssemblyLoadContext ("Leadspace.RateLimitStore"), so other
    /// modules' copies of the same assemblies (loaded into the default context, whatever their version) and ours never
    /// meet. Every dependency is loaded into it up front, so the context finds its own copy before it would ever ask
    /// the default context; only assemblies the .NET runtime itself carries at the same or a higher version
    /// (System.Memory, System.Threading.Channels…) come from the runtime. Leadspace.dll is not in the folder: its
    /// types (the store interface) resolve to the one copy PowerShell loaded.</item>
    /// <item>Windows PowerShell 5.1 (.NET Framework, no load contexts): Assembly.LoadFrom, with the module's
    /// AssemblyResolve handler (<see cref="ModuleInitializer"/>) serving the folder's assemblies to their own requests.</item>
    /// </list>
    /// AssemblyLoadContext is reached by reflection, the way PSResourceGet does it, because netstandard2.0 does not
    /// expose it.
    /// </summary>
    internal static class RateLimitStoreLoader
    {
        public const string FolderName = "RateLimitStore";
        public const string LoadContextName = "Leadspace.RateLimitStore";
        private const string AssemblyFileName = "Leadspace.RateLimitStore.dll";
        private const string FactoryTypeName = "Leadspace.RateLimitStore.RedisRateLimitStoreFactory";
        private static readonly object Lock = new object();
        private static IRateLimitStoreFactory? _factory;

        /// <summary>The folder beside Leadspace.dll that holds the store assemblies.</summary>
        public static string Directory => Path.Combine(ModuleInitializer.DependencyDirectory, FolderName);

        /// <summary>The store factory, loading its assembly on first use.</summary>
        /// <exception cref="RateLimitStoreException">The folder or an assembly is missing.</exception>
        public static IRateLimitStoreFactory LoadFactory()
        {
            lock (Lock)
            {
                if (_factory != null) return _factory;
                var path = Path.Combine(Directory, AssemblyFileName);
                if (!File.Exists(path))
                {
                    throw new RateLimitStoreException(RateLimitStoreFailure.NotInstalled,
                        $"The rate limit store support is missing: '{path}' was not found beside the module. Reinstall the module.");
                }
                var loadContextType = typeof(object).Assembly.GetType("System.Runtime.Loader.AssemblyLoadContext");
                Assembly assembly;
                if (loadContextType != null)
                {
                    assembly = LoadIsolated(loadContextType, path);
                }
                else
                {
                    ModuleInitializer.ServeStoreDirectory(Directory);
                    assembly = Assembly.LoadFrom(path);
                }
                var type = assembly.GetType(FactoryTypeName, throwOnError: true)!;
                _factory = (IRateLimitStoreFactory)Activator.CreateInstance(type)!;
                return _factory;
            }
        }

        private static Assembly LoadIsolated(Type loadContextType, string storeAssemblyPath)
        {
            var constructor = loadContextType.GetConstructor(new[] { typeof(string), typeof(bool) })
                ?? throw new RateLimitStoreException(RateLimitStoreFailure.NotInstalled, "This .NET runtime has no AssemblyLoadContext(string, bool) constructor.");
            var loadFromPath = loadContextType.GetMethod("LoadFromAssemblyPath", new[] { typeof(string) })!;
            var context = constructor.Invoke(new object[] { LoadContextName, false });
            var runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory();
            foreach (var file in System.IO.Directory.GetFiles(Directory, "*.dll"))
            {
                if (string.Equals(file, storeAssemblyPath, StringComparison.OrdinalIgnoreCase)) continue;
                var name = AssemblyName.GetAssemblyName(file);
                if (string.Equals(name.Name, "Leadspace", StringComparison.OrdinalIgnoreCase)) continue;
                if (RuntimeCarries(runtimeDirectory, name)) continue;
                Invoke(loadFromPath, context, file);
            }
            return Invoke(loadFromPath, context, storeAssemblyPath);
        }

        private static Assembly Invoke(MethodInfo loadFromPath, object context, string path)
        {
            try { return (Assembly)loadFromPath.Invoke(context, new object[] { path })!; }
            catch (TargetInvocationException ex) when (ex.InnerException != null) { throw ex.InnerException; }
        }

        /// <summary>True when the running .NET has its own copy of the assembly at the same or a higher version:
        /// then the runtime's copy is the right one (a netstandard2.0 build of System.Memory must not replace it).</summary>
        internal static bool RuntimeCarries(string runtimeDirectory, AssemblyName name)
        {
            var candidate = Path.Combine(runtimeDirectory, name.Name + ".dll");
            if (!File.Exists(candidate)) return false;
            try { return AssemblyName.GetAssemblyName(candidate).Version >= name.Version; }
            catch (BadImageFormatException) { return false; }
        }
    }
}
