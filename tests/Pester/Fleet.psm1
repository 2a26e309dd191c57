# Test/benchmark helper for the shared rate gate (not part of the module):
#   Start-GarnetServer / Stop-GarnetServer   Garnet from the repository's dotnet tool manifest on a free loopback port
#   Invoke-Fleet                             N separate pwsh processes enriching at the same time (FleetWorker.ps1)
#
#   Import-Module ./tests/Pester/Fleet.psm1
#   $garnet = Start-GarnetServer
#   $runs = Invoke-Fleet -ModulePath ./out/Leadspace/Leadspace.psd1 -Simulator $sim -Processes 3 -Rows 90 -RateLimitStore $garnet.Configuration
#   Stop-GarnetServer $garnet
#
# Every process these functions start is killed when they end or fail (Stop-GarnetServer for the server).

Set-StrictMode -Version Latest

$script:RepoRoot = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Start-GarnetServer {
    <#
    .SYNOPSIS
    Starts Garnet (dotnet tool run garnet-server, pinned in .config/dotnet-tools.json) on 127.0.0.1 and waits until it
    accepts connections. Default options: --lua --lua-transaction-mode (atomic Lua scripts, which the gate needs).
    .OUTPUTS
    [pscustomobject] Port, Configuration ('127.0.0.1:PORT'), Process, ArgumentList.
    #>
    [CmdletBinding()]
    param(
        [string[]] $ArgumentList = @('--lua', '--lua-transaction-mode'),
        # 0 = a free port. Pass the port of a stopped server to restart it in place.
        [int] $Port = 0,
        [int] $TimeoutSeconds = 60
    )
    if ($Port -eq 0) { $Port = Get-FreeTcpPort }
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.WorkingDirectory = $script:RepoRoot
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    foreach ($a in @('tool', 'run', 'garnet-server', '--', '--bind', '127.0.0.1', '--port', "$Port", '--logger-level', 'Error') + $ArgumentList) {
        $psi.ArgumentList.Add([string] $a)
    }
    $process = [System.Diagnostics.Process]::Start($psi)
    $null = $process.StandardOutput.ReadToEndAsync()
    $null = $process.StandardError.ReadToEndAsync()
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect([System.Net.IPAddress]::Loopback, $Port); break }
        catch {
            if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
                if (-not $process.HasExited) { $process.Kill($true) }
                throw "Garnet did not start on port $Port (options: $($ArgumentList -join ' ')). Run 'dotnet tool restore' first."
            }
            Start-Sleep -Milliseconds 100
        }
        finally { $client.Dispose() }
    }
    [pscustomobject]@{ Port = $Port; Configuration = "127.0.0.1:$Port"; Process = $process; ArgumentList = $ArgumentList }
}

function Stop-GarnetServer {
    <# .SYNOPSIS Kills a server started by Start-GarnetServer (the dotnet tool host and its child) and waits. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Server)
    process {
        $p = $Server.Process
        if ($null -eq $p) { return }
        $Server.Process = $null   # stopping twice is harmless
        try {
            if (-not $p.HasExited) { $p.Kill($true) }
            $null = $p.WaitForExit(15000)
        }
        finally { $p.Dispose() }
    }
}

function Get-PwshCommandLine {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($process)
}

function Invoke-Fleet {
    <#
    .SYNOPSIS
    Runs -Processes separate pwsh processes (FleetWorker.ps1), each connecting to the simulator as the same program and
    enriching -Rows rows, all released at the same moment once every one is connected. Returns one result per process
    (rows out, status, warnings, start and end times) after all have finished.
    .PARAMETER During
    A script block run while the processes work (e.g. kill the store); it gets the simulator as its argument.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string] $ModulePath,
        [Parameter(Mandatory)] $Simulator,
        [int] $Processes = 3,
        [int] $Rows = 90,
        [string] $RateLimitStore,
        [double] $RequestsPerSecond = 30,
        [scriptblock] $During,
        # Further environment variables of every process (e.g. LEADSPACE_CREDIT_BUDGET).
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 300
    )
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-fleet-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $go = Join-Path $dir 'go'
    $procs = @()
    try {
        $cmd = @(Get-PwshCommandLine)
        for ($i = 1; $i -le $Processes; $i++) {
            $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
            $psi.UseShellExecute = $false
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $arguments = @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'FleetWorker.ps1'),
                '-ModulePath', $ModulePath, '-BaseUri', $Simulator.BaseUri, '-Token', $Simulator.Token, '-Worker', "$i", '-Rows', "$Rows",
                '-RequestsPerSecond', "$RequestsPerSecond", '-ReadyPath', (Join-Path $dir "ready-$i"), '-GoPath', $go, '-ResultPath', (Join-Path $dir "result-$i.json"))
            foreach ($a in $arguments) { $psi.ArgumentList.Add([string] $a) }
            if ($RateLimitStore) { $psi.Environment['LEADSPACE_RATE_LIMIT_STORE'] = $RateLimitStore }
            else { $psi.Environment.Remove('LEADSPACE_RATE_LIMIT_STORE') | Out-Null }
            foreach ($name in @('LEADSPACE_CREDIT_BUDGET', 'LEADSPACE_BUDGET_PERIOD')) { $psi.Environment.Remove($name) | Out-Null }
            foreach ($name in $Environment.Keys) { $psi.Environment[$name] = [string] $Environment[$name] }
            $p = [System.Diagnostics.Process]::Start($psi)
            $procs += [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync(); Worker = $i }
        }
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while (@(Get-ChildItem $dir -Filter 'ready-*').Count -lt $Processes) {
            foreach ($w in $procs) {
                if ($w.Process.HasExited) { throw "Fleet worker $($w.Worker) exited before it was ready: $($w.Out.Result) $($w.Err.Result)" }
            }
            if ([DateTime]::UtcNow -gt $deadline) { throw 'The fleet workers did not get ready in time.' }
            Start-Sleep -Milliseconds 50
        }
        Set-Content -Path $go -Value 'go'
        if ($During) { $null = & $During $Simulator }
        foreach ($w in $procs) {
            $left = [math]::Max(1000, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)
            if (-not $w.Process.WaitForExit([int] $left)) { throw "Fleet worker $($w.Worker) did not finish in time." }
        }
        foreach ($w in $procs) {
            $resultPath = Join-Path $dir "result-$($w.Worker).json"
            if ($w.Process.ExitCode -ne 0 -or -not (Test-Path $resultPath)) {
                throw "Fleet worker $($w.Worker) failed (exit code $($w.Process.ExitCode)): $($w.Out.Result) $($w.Err.Result)"
            }
            Get-Content $resultPath -Raw | ConvertFrom-Json
        }
    }
    finally {
        foreach ($w in $procs) {
            try { if (-not $w.Process.HasExited) { $w.Process.Kill($true); $null = $w.Process.WaitForExit(10000) } } catch { }
            $w.Process.Dispose()
        }
        Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    }
}


# The two files of the store's fleet tests (RateLimitStore.Tests.ps1 beside the other parts, RateLimitStoreRate.Tests.ps1
# alone) each start one simulator at --rate 30 with 50 ms latency and one Garnet, and reset them before every test.
function Start-FleetServers {
    <# .SYNOPSIS Starts the simulator (--rate 30, 50 ms) and a Garnet server; returns both (simulator first). #>
    $simulator = Start-LeadspaceSimulator -ArgumentList @('--rate', '30', '--latency-ms', '50')
    try { $server = Start-GarnetServer } catch { Stop-LeadspaceSimulator -Simulator $simulator; throw }
    $simulator, $server
}

function Reset-FleetServers {
    <# .SYNOPSIS Before a test: no connection open, the simulator's counts cleared and back at 30/s, 50 ms. #>
    param([Parameter(Mandatory)] $Simulator)
    Disconnect-Leadspace -All
    Reset-LeadspaceSimulator -Simulator $Simulator
    $null = Set-LeadspaceSimulatorConfig -Simulator $Simulator -Config @{ rate = 30; latencyMs = 50; jitterMs = 0 }
}

function Stop-FleetServers {
    <# .SYNOPSIS After the file: connections closed, the simulator and Garnet stopped (either may be missing). #>
    param($Simulator, $Server)
    Disconnect-Leadspace -All
    if ($Simulator) { Stop-LeadspaceSimulator -Simulator $Simulator }
    if ($Server) { Stop-GarnetServer -Server $Server }
}

Export-ModuleMember -Function Start-GarnetServer, Stop-GarnetServer, Invoke-Fleet, Get-FreeTcpPort, Start-FleetServers, Reset-FleetServers, Stop-FleetServers
