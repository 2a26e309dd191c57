# A real forward proxy for the proxy tests: tinyproxy (Debian package 'tinyproxy') on a free port of 127.0.0.1, with
# Basic authentication, logging every request it forwards. Missing package: Get-ForwardProxyCommand returns $null and
# the tests say so plainly and are skipped.

function Get-ForwardProxyCommand {
    $command = Get-Command tinyproxy -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($command) { return $command.Source }
    foreach ($path in '/usr/bin/tinyproxy', '/usr/sbin/tinyproxy') { if (Test-Path $path) { return $path } }
    return $null
}

function Start-ForwardProxy {
    param(
        [Parameter(Mandatory)][string] $User,
        [Parameter(Mandatory)][string] $Password,
        [int] $TimeoutSeconds = 15
    )
    $exe = Get-ForwardProxyCommand
    if (-not $exe) { throw 'tinyproxy is not installed (apt-get install -y tinyproxy).' }
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-proxy-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $dir
    $log = Join-Path $dir 'tinyproxy.log'
    $conf = Join-Path $dir 'tinyproxy.conf'
    $lines = @(
        "Port $port", 'Listen 127.0.0.1', 'Timeout 60', "LogFile `"$log`"", 'LogLevel Info', 'MaxClients 200',
        'Allow 127.0.0.1', "BasicAuth $User $Password", 'DisableViaHeader Yes'
    )
    # As root, tinyproxy drops to this user: the same one, so it can write its log in our folder.
    if ((id -u) -eq '0') { $lines += 'User root', 'Group root' }
    Set-Content -LiteralPath $conf -Value $lines -Encoding ascii
    $psi = [System.Diagnostics.ProcessStartInfo]::new($exe)
    foreach ($a in '-d', '-c', $conf) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    $null = $process.StandardOutput.ReadToEndAsync()
    $null = $process.StandardError.ReadToEndAsync()
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect([System.Net.IPAddress]::Loopback, $port); break }
        catch {
            if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
                if (-not $process.HasExited) { $process.Kill() }
                throw "tinyproxy did not start on 127.0.0.1:$port ($(Get-Content $log -Raw -ErrorAction SilentlyContinue))"
            }
            Start-Sleep -Milliseconds 100
        }
        finally { $client.Dispose() }
    }
    [pscustomobject]@{ Uri = "http://127.0.0.1:$port"; Port = $port; Process = $process; Log = $log; Directory = $dir; User = $User; Password = $Password }
}

# What tinyproxy's log shows: Requests = requests it received for a path (one "Request (file descriptor N): POST http://…"
# line each, a request it answered 407 included); Forwarded = connections it opened to the destination (it opens one per
# request it forwards).
function Get-ForwardProxyLog {
    param([Parameter(Mandatory)] $Proxy, [string] $Path = '/enrichment/enrich/single')
    $lines = if (Test-Path $Proxy.Log) { @(Get-Content -LiteralPath $Proxy.Log) } else { @() }
    [pscustomobject]@{
        Requests  = @($lines | Where-Object { $_ -match 'Request \(file descriptor' -and $_.Contains($Path) }).Count
        Forwarded = @($lines | Where-Object { $_ -match 'opensock: opening connection to' }).Count
    }
}

function Stop-ForwardProxy {
    param([Parameter(Mandatory)] $Proxy)
    if (-not $Proxy.Process.HasExited) { $Proxy.Process.Kill(); $null = $Proxy.Process.WaitForExit(5000) }
    $Proxy.Process.Dispose()
    Remove-Item -LiteralPath $Proxy.Directory -Recurse -Force -ErrorAction SilentlyContinue
}

Export-ModuleMember -Function Get-ForwardProxyCommand, Start-ForwardProxy, Get-ForwardProxyLog, Stop-ForwardProxy
