using System.Diagnostics;
using System.Net;
using Xunit;

namespace Leadspace.Simulator.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void DefaultsAreDocumentedValues()
    {
        var o = OptionTable.Parse([], out var help);
        Assert.False(help);
        Assert.Equal(0, o.Port);
        Assert.Equal(["sim-token"], o.Tokens);
        Assert.Equal("sim-program", o.ProgramId);
        Assert.Equal("sim-secret", o.OAuthSecret);
        Assert.Equal(86400, o.OAuthTokenLifetime);
        Assert.Equal(30, o.Rate);
        Assert.Equal(RateWindowMode.Sliding, o.RateWindow);
        Assert.Equal(1000, o.RateWindowMs);
        Assert.Null(o.RetryAfter);
        Assert.Equal(0, o.MaxConcurrency);
        Assert.Equal(-1, o.Credits);
        Assert.Equal(0, o.LatencyMs);
        Assert.Equal(0, o.JitterMs);
        Assert.Equal(0, o.ErrorRate);
        Assert.Equal(0, o.DropRate);
        Assert.False(o.DropCharges);
        Assert.Equal(0, o.SlowRate);
        Assert.Equal(5000, o.SlowMs);
        Assert.Equal(0, o.MalformedRate);
        Assert.Equal(0.15, o.NoMatchRate);
        Assert.Equal(12345, o.Seed);
        Assert.Empty(o.InvalidProgramIds);
        Assert.Equal(ErrorBodyFormat.Text, o.ErrorBodyFormat);
        Assert.False(o.ExitOnStdinEof);
    }

    [Theory]
    [InlineData("sliding", RateWindowMode.Sliding)]
    [InlineData("fixed", RateWindowMode.Fixed)]
    [InlineData("leaky", RateWindowMode.Leaky)]
    [InlineData("tokenbucket", RateWindowMode.TokenBucket)]
    public void EveryRateWindowShapeParses(string value, RateWindowMode expected)
    {
        Assert.Equal(expected, OptionTable.Parse(["--rate-window", value], out _).RateWindow);
    }

    [Fact]
    public void EveryOptionParses()
    {
        var o = OptionTable.Parse(
        [
            "--port", "5001", "--token", "a", "--token=b", "--program-id", "p", "--oauth-secret", "s", "--oauth-token-lifetime", "2.5",
            "--rate", "7", "--rate-window", "fixed", "--rate-window-ms", "500", "--retry-after", "4", "--max-concurrency", "9",
            "--credits", "100", "--latency-ms", "300", "--jitter-ms", "80", "--error-rate", "0.1", "--drop-rate", "0.05", "--drop-charges",
            "--slow-rate", "0.02", "--slow-ms", "9000", "--malformed-rate", "0.01", "--no-match-rate", "0.3", "--seed", "42",
            "--invalid-program-id", "bad", "--error-body-format", "json", "--exit-on-stdin-eof",
        ], out _);
        Assert.Equal(5001, o.Port);
        Assert.Equal(["a", "b"], o.Tokens);
        Assert.Equal("p", o.ProgramId);
        Assert.Equal("s", o.OAuthSecret);
        Assert.Equal(2.5, o.OAuthTokenLifetime);
        Assert.Equal(7, o.Rate);
        Assert.Equal(RateWindowMode.Fixed, o.RateWindow);
        Assert.Equal(500, o.RateWindowMs);
        Assert.Equal(4, o.RetryAfter);
        Assert.Equal(9, o.MaxConcurrency);
        Assert.Equal(100, o.Credits);
        Assert.Equal(300, o.LatencyMs);
        Assert.Equal(80, o.JitterMs);
        Assert.Equal(0.1, o.ErrorRate);
        Assert.Equal(0.05, o.DropRate);
        Assert.True(o.DropCharges);
        Assert.Equal(0.02, o.SlowRate);
        Assert.Equal(9000, o.SlowMs);
        Assert.Equal(0.01, o.MalformedRate);
        Assert.Equal(0.3, o.NoMatchRate);
        Assert.Equal(42, o.Seed);
        Assert.Equal(["bad"], o.InvalidProgramIds);
        Assert.Equal(ErrorBodyFormat.Json, o.ErrorBodyFormat);
        Assert.True(o.ExitOnStdinEof);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--rate", "x")]
    [InlineData("--error-rate", "2")]
    [InlineData("--rate-window", "weekly")]
    [InlineData("--port")]
    [InlineData("stray")]
    public void BadCommandLinesThrow(params string[] args) =>
        Assert.Throws<ArgumentException>(() => OptionTable.Parse(args, out _));

    [Fact]
    public void HelpListsEveryOptionWithItsDefault()
    {
        OptionTable.Parse(["--help"], out var help);
        Assert.True(help);
        var text = OptionTable.HelpText();
        foreach (var d in OptionTable.All)
        {
            Assert.Contains("--" + d.Flag, text);
            Assert.Contains("[" + OptionTable.DefaultText(d) + "]", text);
        }
    }

    private static string SimulatorDll()
    {
        var env = Environment.GetEnvironmentVariable("LEADSPACE_SIMULATOR_DLL");
        if (!string.IsNullOrEmpty(env) && File.Exists(env))
        {
            return env;
        }
        // The referenced Exe project is copied next to the tests, with its runtimeconfig.
        return Path.Combine(AppContext.BaseDirectory, "Leadspace.Simulator.dll");
    }

    [Fact]
    public async Task ProcessPrintsBaseUriFirstAndExitsOnStdinEof()
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { SimulatorDll(), "--port", "0", "--token", "cli-token", "--rate", "0", "--exit-on-stdin-eof" })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        try
        {
            var firstLine = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Matches(@"^http://127\.0\.0\.1:\d+$", firstLine);
            using var client = new HttpClient { BaseAddress = new Uri(firstLine!) };
            using (var r = await client.GetAsync("/__stats"))
            {
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
            Assert.Equal(HttpStatusCode.OK, (await client.EnrichTextAsync(Sim.Account("Acme"), "cli-token")).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.EnrichTextAsync(Sim.Account("Acme"), "sim-token")).Status);

            p.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await p.WaitForExitAsync(cts.Token);
            Assert.Equal(0, p.ExitCode);
            Assert.Equal("", (await p.StandardOutput.ReadToEndAsync()).Trim());
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task ProcessStopsOnSigterm()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(SimulatorDll());
        psi.ArgumentList.Add("--port");
        psi.ArgumentList.Add("0");
        using var p = Process.Start(psi)!;
        try
        {
            var firstLine = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.StartsWith("http://127.0.0.1:", firstLine);
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await p.WaitForExitAsync(cts.Token);
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }
}

public sealed class PathPrefixTests
{
    [Fact]
    public void HelpKeepsTwoSpacesBetweenAnOptionAndItsText()
    {
        var lines = OptionTable.HelpText().Split('\n');
        foreach (var d in OptionTable.All)
        {
            var left = d.IsFlag ? $"--{d.Flag}" : $"--{d.Flag} {d.Value}";
            var line = lines.Single(l => l.TrimStart().StartsWith(left + " ", StringComparison.Ordinal));
            Assert.StartsWith("  " + left + "  ", line);   // "…|mixed  body of 5xx answers", not "mixedbody"
        }
        Assert.Contains("--path-prefix PATH", OptionTable.HelpText());
    }

    [Fact]
    public async Task TheApiIsServedUnderThePrefixOnlyAndTheControlEndpointsAtBoth()
    {
        await using var host = await Sim.StartAsync(o => o.PathPrefix = "v3/");
        Assert.EndsWith("/v3/", host.BaseUri.ToString());
        using var client = Sim.Client(host);
        var root = new Uri(host.BaseUri.GetLeftPart(UriPartial.Authority));

        using var under = Sim.EnrichRequest(Sim.Account("Acme"));
        under.RequestUri = new Uri(host.BaseUri, "enrichment/enrich/single");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(under)).StatusCode);

        using var outside = Sim.EnrichRequest(Sim.Account("Acme"));
        outside.RequestUri = new Uri(root, SimulatorHost.EnrichPath);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(outside)).StatusCode);

        using var oauth = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseUri, "oauth/authorize"))
        {
            Content = new StringContent("""{"user":"sim-program","pass":"sim-secret","audience":"API_GATEWAY"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(oauth)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(root, "/__stats"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(host.BaseUri, "__stats"))).StatusCode);
        Assert.Equal(1, host.GetStats().Calls);
    }
}
