using System.IO;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Leadspace.RateLimitStore.Tests;

/// <summary>
/// A Garnet (from the repository's dotnet tool manifest: dotnet tool run garnet-server) or stock redis-server on a free
/// loopback port. Dispose kills the whole process tree, also when the test failed.
/// </summary>
public sealed class StoreServer : IDisposable
{
    private Process? _process;
    private readonly string _kind;
    private readonly string[] _arguments;

    private StoreServer(string kind, int port, string[] arguments)
    {
        _kind = kind;
        Port = port;
        _arguments = arguments;
    }

    public int Port { get; }
    public string Kind => _kind;
    public string Configuration => $"127.0.0.1:{Port}";
    public override string ToString() => _kind;

    /// <summary>Garnet with Lua scripts run as transactions (atomic), unless other options are given.</summary>
    public static StoreServer StartGarnet(params string[] options)
    {
        var server = new StoreServer("garnet", FreePort(), options.Length == 0 ? new[] { "--lua", "--lua-transaction-mode" } : options);
        server.Start();
        return server;
    }

    public static bool RedisAvailable => FindOnPath("redis-server") != null;

    public static StoreServer StartRedis()
    {
        var server = new StoreServer("redis", FreePort(), Array.Empty<string>());
        server.Start();
        return server;
    }

    public static StoreServer Start(string kind) => kind == "redis" ? StartRedis() : StartGarnet();

    /// <summary>Starts (again) on the same port.</summary>
    public void Start()
    {
        var psi = _kind == "redis"
            ? new ProcessStartInfo(FindOnPath("redis-server")!)
            : new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryRoot() };
        if (_kind == "redis")
        {
            foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" }) psi.ArgumentList.Add(a);
        }
        else
        {
            foreach (var a in new[] { "tool", "run", "garnet-server", "--", "--bind", "127.0.0.1", "--port", Port.ToString(), "--logger-level", "Error" }) psi.ArgumentList.Add(a);
        }
        foreach (var a in _arguments) psi.ArgumentList.Add(a);
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                // Ready = answers a command, not merely listens: a server that has just opened its port can take
                // seconds (on a loaded machine) to answer its first handshake, and a test's connect timeout must not
                // be spent on its start-up. Any reply counts (+PONG, or -NOAUTH when a password is required).
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                client.ReceiveTimeout = 5000;
                var stream = client.GetStream();
                var ping = System.Text.Encoding.ASCII.GetBytes("*1\r\n$4\r\nPING\r\n");
                stream.Write(ping, 0, ping.Length);
                int first = stream.ReadByte();
                if (first == '+' || first == '-') return;
                throw new IOException($"{_kind} answered PING with byte {first}.");
            }
            catch (Exception ex) when (ex is SocketException || ex is IOException)
            {
                if (_process.HasExited) throw new InvalidOperationException($"{_kind} exited with code {_process.ExitCode} before listening on {Port}.");
                if (DateTime.UtcNow > deadline) { Kill(); throw new TimeoutException($"{_kind} did not listen on {Port} within 60 s."); }
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Kills the server (and the dotnet tool host's child), waiting until it is gone.</summary>
    public void Kill()
    {
        var p = _process;
        _process = null;
        if (p == null) return;
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(15000);
        }
        catch (InvalidOperationException) { }
        finally { p.Dispose(); }
    }

    public void Dispose() => Kill();

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, ".config", "dotnet-tools.json"))) return dir.FullName;
        }
        throw new InvalidOperationException("The repository's .config/dotnet-tools.json was not found above " + AppContext.BaseDirectory);
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            if (string.IsNullOrEmpty(dir)) continue;
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>One Garnet (and a redis-server when available) for the tests that only read and write their own keys.</summary>
public sealed class StoreServers : IDisposable
{
    private readonly Dictionary<string, StoreServer> _servers = new();
    private readonly object _lock = new();

    public StoreServer Get(string kind)
    {
        lock (_lock)
        {
            if (!_servers.TryGetValue(kind, out var server)) _servers[kind] = server = StoreServer.Start(kind);
            return server;
        }
    }

    /// <summary>"garnet" always; "redis" when a redis-server is installed.</summary>
    public static IEnumerable<object[]> Kinds()
    {
        yield return new object[] { "garnet" };
        if (StoreServer.RedisAvailable) yield return new object[] { "redis" };
    }

    public void Dispose()
    {
        foreach (var s in _servers.Values) s.Dispose();
    }
}

[CollectionDefinition("Store servers")]
public sealed class StoreServerCollection : ICollectionFixture<StoreServers> { }
