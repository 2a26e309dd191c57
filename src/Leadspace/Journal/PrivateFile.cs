using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Leadspace.Journal
{
    /// <summary>
    /// Files that hold rows or answers (personal data) are created owner-only, whatever the umask or the folder's
    /// inherited permissions. On Unix the file is created with mode 0600 by the open call itself (.NET 7+'s
    /// <c>FileStreamOptions.UnixCreateMode</c>, reached by reflection since the module is netstandard2.0), so no other
    /// user can open it in between; an existing file is narrowed to 0600 when opened. On Windows the file is opened
    /// without sharing (nobody else can open it meanwhile) and given an ACL that grants only the current user (except
    /// the temporary store, deleted on close, which cannot be reopened to set one: it stays in the per-user temporary
    /// folder, shared with nobody). The temporary answer store goes into a per-user folder of mode 0700.
    /// The Windows path cannot be run on the Linux machines that build and test the module.
    /// </summary>
    internal static class PrivateFile
    {
        /// <summary>rw------- (UnixFileMode.UserRead | UserWrite).</summary>
        internal const int OwnerReadWrite = 0x180;
        /// <summary>rwx------ (UnixFileMode.UserRead | UserWrite | UserExecute).</summary>
        internal const int OwnerOnlyFolder = 0x1C0;

        private static readonly bool Windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        private static readonly Type? UnixFileModeType = Type.GetType("System.IO.UnixFileMode");
        private static readonly Type? OptionsType = Type.GetType("System.IO.FileStreamOptions");

        /// <summary>True when this runtime can create Unix files with a mode (.NET 7 and later).</summary>
        internal static bool CanSetUnixMode => !Windows && UnixFileModeType != null && OptionsType != null;

        /// <summary>Opens <paramref name="path"/> like <c>new FileStream(...)</c>; a file it creates is owner-only, and
        /// an existing one is narrowed to owner-only.</summary>
        public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, FileOptions options = FileOptions.None)
        {
            bool existed = File.Exists(path);
            FileStream file = CanSetUnixMode
                ? OpenWithMode(path, mode, access, share, options, OwnerReadWrite)
                : new FileStream(path, mode, access, share, 1, options);
            try
            {
                if ((access & FileAccess.Write) == 0) { }
                // A file deleted on close (the temporary store) cannot be opened again, even to set its access list: it
                // is shared with nobody, and lives in the per-user temporary folder (under the user's profile).
                else if (Windows) { if ((options & FileOptions.DeleteOnClose) == 0) RestrictToOwner(path); }
                else if (existed) SetUnixMode(path, OwnerReadWrite); // e.g. a journal of an earlier version (0644)
            }
            catch
            {
                file.Dispose();
                throw;
            }
            return file;
        }

        /// <summary>A new file in the per-user temporary folder, deleted when closed (on Unix its name goes at once,
        /// so that even a killed process leaves nothing behind; the open file lives on).</summary>
        public static FileStream CreateTemporary(string prefix, string extension)
        {
            var path = Path.Combine(TemporaryFolder(), prefix + Guid.NewGuid().ToString("N") + extension);
            var file = Open(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, Windows ? FileOptions.DeleteOnClose : FileOptions.None);
            if (!Windows) File.Delete(path);
            return file;
        }

        /// <summary>The folder for temporary answer stores: <c>leadspace-&lt;user&gt;</c> in the temporary folder, mode
        /// 0700 on Unix. A folder of that name that this user cannot make 0700 (another user made it first) is not used:
        /// the folder under the user's local application data is used instead.</summary>
        public static string TemporaryFolder()
        {
            var user = new string((Environment.UserName ?? "user").Select(c => char.IsLetterOrDigit(c) || c == '-' || c == '_' ? c : '_').ToArray());
            var shared = Path.Combine(Path.GetTempPath(), "leadspace-" + user);
            if (TryOwnerOnlyFolder(shared)) return shared;
            var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            if (!string.IsNullOrEmpty(local))
            {
                var own = Path.Combine(local, "Leadspace", "tmp");
                if (TryOwnerOnlyFolder(own)) return own;
            }
            throw new IOException($"No private folder for the temporary answer store: '{shared}' belongs to another user. Remove it, or set TMPDIR to a folder of your own.");
        }

        private static bool TryOwnerOnlyFolder(string path)
        {
            try
            {
                if (CanSetUnixMode)
                {
                    var create = typeof(Directory).GetMethod(nameof(Directory.CreateDirectory), new[] { typeof(string), UnixFileModeType! });
                    if (create != null) create.Invoke(null, new[] { path, Enum.ToObject(UnixFileModeType!, OwnerOnlyFolder) });
                    else Directory.CreateDirectory(path);
                    // Only the owner may change a folder's mode: this both narrows it and proves it is ours.
                    SetUnixMode(path, OwnerOnlyFolder);
                }
                else
                {
                    Directory.CreateDirectory(path);
                }
                return true;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is TargetInvocationException)
            {
                return false;
            }
        }

        private static FileStream OpenWithMode(string path, FileMode mode, FileAccess access, FileShare share, FileOptions options, int unixMode)
        {
            var o = Activator.CreateInstance(OptionsType!)!;
            OptionsType!.GetProperty("Mode")!.SetValue(o, mode);
            OptionsType.GetProperty("Access")!.SetValue(o, access);
            OptionsType.GetProperty("Share")!.SetValue(o, share);
            OptionsType.GetProperty("Options")!.SetValue(o, options);
            OptionsType.GetProperty("BufferSize")!.SetValue(o, 0); // unbuffered, as the journal's buffer size 1 was
            // The runtime refuses a create mode where nothing can be created (FileMode.Open, Truncate; read-only access).
            if ((access & FileAccess.Write) != 0 && mode != FileMode.Open && mode != FileMode.Truncate) OptionsType.GetProperty("UnixCreateMode")!.SetValue(o, Enum.ToObject(UnixFileModeType!, unixMode));
            var ctor = typeof(FileStream).GetConstructor(new[] { typeof(string), OptionsType })!;
            try { return (FileStream)ctor.Invoke(new[] { path, o }); }
            catch (TargetInvocationException ex) when (ex.InnerException != null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
        }

        /// <summary>Sets a Unix file or folder mode (.NET 7+ <c>File.SetUnixFileMode</c>); no-op elsewhere.</summary>
        internal static void SetUnixMode(string path, int unixMode)
        {
            if (!CanSetUnixMode) return;
            var set = typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), UnixFileModeType! });
            if (set == null) return;
            try { set.Invoke(null, new[] { path, Enum.ToObject(UnixFileModeType!, unixMode) }); }
            catch (TargetInvocationException ex) when (ex.InnerException != null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
        }

        /// <summary>A Unix file's mode (File.GetUnixFileMode), or null where there is none.</summary>
        internal static int? GetUnixMode(string path)
        {
            if (!CanSetUnixMode) return null;
            var get = typeof(File).GetMethod("GetUnixFileMode", new[] { typeof(string) });
            return get == null ? null : Convert.ToInt32(get.Invoke(null, new object[] { path }));
        }

        /// <summary>The SDDL of an owner-only access list: protected from inheritance, full control for
        /// <paramref name="sid"/> alone (the owner is left as it is).</summary>
        internal static string OwnerOnlySddl(string sid) => $"D:P(A;;FA;;;{sid})";

        /// <summary>Windows: replaces the file's access list with one that grants only the current user. It is set by
        /// name (a handle opened for reading and writing may not change an access list), while the open file, shared
        /// with nobody, keeps others from opening it meanwhile. Windows PowerShell 5.1 (.NET Framework) has
        /// File.SetAccessControl; PowerShell 7 has FileSystemAclExtensions.SetAccessControl(FileInfo) in
        /// System.IO.FileSystem.AccessControl. Both are reached by reflection (the module is netstandard2.0).</summary>
        private static void RestrictToOwner(string path)
        {
            try
            {
                var identityType = Type.GetType("System.Security.Principal.WindowsIdentity, System.Security.Principal.Windows")
                    ?? Type.GetType("System.Security.Principal.WindowsIdentity");
                var securityType = Type.GetType("System.Security.AccessControl.FileSecurity, System.IO.FileSystem.AccessControl")
                    ?? Type.GetType("System.Security.AccessControl.FileSecurity");
                if (identityType == null || securityType == null) throw new PlatformNotSupportedException("no WindowsIdentity or FileSecurity");
                string sid;
                using (var identity = (IDisposable)identityType.GetMethod("GetCurrent", Type.EmptyTypes)!.Invoke(null, null)!)
                    sid = identityType.GetProperty("User")!.GetValue(identity)!.ToString()!;
                var security = Activator.CreateInstance(securityType)!;
                securityType.GetMethod("SetSecurityDescriptorSddlForm", new[] { typeof(string) })!.Invoke(security, new object[] { OwnerOnlySddl(sid) });
                var byName = typeof(File).GetMethod("SetAccessControl", new[] { typeof(string), securityType });
                if (byName != null) { byName.Invoke(null, new[] { path, security }); return; }
                var extensions = Type.GetType("System.IO.FileSystemAclExtensions, System.IO.FileSystem.AccessControl");
                var apply = extensions?.GetMethod("SetAccessControl", new[] { typeof(FileInfo), securityType })
                    ?? throw new PlatformNotSupportedException("no SetAccessControl");
                apply.Invoke(null, new[] { new FileInfo(path), security });
            }
            catch (Exception ex) when (!(ex is IOException))
            {
                var cause = ex is TargetInvocationException t && t.InnerException != null ? t.InnerException : ex;
                throw new IOException($"'{path}' could not be made private to the current user ({cause.Message}); it would hold personal data readable by others.", cause);
            }
        }
    }
}
