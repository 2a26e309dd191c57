# Test/dev helper for the Leadspace API simulator (src/Leadspace.Simulator). Not part of the module.
#
#   Import-Module ./tests/Pester/LeadspaceSimulator.psm1
#   $sim = Start-LeadspaceSimulator -ArgumentList '--latency-ms', '300', '--jitter-ms', '80'
#   Invoke-RestMethod "$($sim.BaseUri)/__stats"
#   Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ credits = 5; errorRate = 0.2 }
#   Stop-LeadspaceSimulator -Simulator $sim
#
# It builds nothing: build first (dotnet build src/Leadspace.Simulator -c Release) or pass -SimulatorPath /
# set $env:LEADSPACE_SIMULATOR_DLL to a built Leadspace.Simulator.dll, or to the leadspace-simulator command of
# the .NET tool package (dotnet tool install --tool-path ./.tools Leadspace.Simulator).

Set-StrictMode -Version Latest

function Find-LeadspaceSimulatorDll {
    [CmdletBinding()]
    param([string] $SimulatorPath)

    if ($SimulatorPath) {
        if (-not (Test-Path -LiteralPath $SimulatorPath -PathType Leaf)) {
            throw "Simulator not found at '$SimulatorPath'."
        }
        return (Resolve-Path -LiteralPath $SimulatorPath).ProviderPath
    }
    if ($env:LEADSPACE_SIMULATOR_DLL) {
        if (-not (Test-Path -LiteralPath $env:LEADSPACE_SIMULATOR_DLL -PathType Leaf)) {
            throw "LEADSPACE_SIMULATOR_DLL points to '$($env:LEADSPACE_SIMULATOR_DLL)', which does not exist."
        }
        return (Resolve-Path -LiteralPath $env:LEADSPACE_SIMULATOR_DLL).ProviderPath
    }
    $repoRoot = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
    foreach ($configuration in 'Release', 'Debug') {
        $candidate = Join-Path $repoRoot "src/Leadspace.Simulator/bin/$configuration/net10.0/Leadspace.Simulator.dll"
        if (Test-Path -LiteralPath $candidate -PathType Leaf) {
            return $candidate
        }
    }
    throw "Leadspace.Simulator.dll not found under src/Leadspace.Simulator/bin/{Release,Debug}/net10.0. " +
        "Build it first (dotnet build src/Leadspace.Simulator -c Release), or pass -SimulatorPath, or set LEADSPACE_SIMULATOR_DLL."
}

function Start-LeadspaceSimulator {
    <#
    .SYNOPSIS
    Starts the Leadspace API simulator on a free port of 127.0.0.1 and waits until it answers.
    .OUTPUTS
    [pscustomobject] with BaseUri (string, no trailing slash), Process and Token.
    #>
    [CmdletBinding()]
    param(
        # Extra simulator options, e.g. '--rate', '30', '--latency-ms', '300'.
        [string[]] $ArgumentList = @(),
        # Perpetual token to accept (passed as --token). Default: sim-token.
        [string] $Token = 'sim-token',
        # Path to Leadspace.Simulator.dll (run with dotnet) or to the leadspace-simulator command of the .NET tool
        # (default: $env:LEADSPACE_SIMULATOR_DLL, then src/Leadspace.Simulator/bin/Release|Debug/net10.0).
        [string] $SimulatorPath,
        # Seconds to wait for the base URI and the first answer.
        [int] $TimeoutSeconds = 30
    )

    $dll = Find-LeadspaceSimulatorDll -SimulatorPath $SimulatorPath
    # A built dll runs through dotnet; anything else is the tool's own command (leadspace-simulator).
    $isDll = [IO.Path]::GetExtension($dll) -eq '.dll'
    $psi = [System.Diagnostics.ProcessStartInfo]::new($(if ($isDll) { 'dotnet' } else { $dll }))
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardError = $false
    foreach ($a in @(if ($isDll) { $dll }) + @('--port', '0', '--exit-on-stdin-eof', '--token', $Token) + $ArgumentList) {
        $psi.ArgumentList.Add([string]$a)
    }
    $process = [System.Diagnostics.Process]::Start($psi)
    try {
        $lineTask = $process.StandardOutput.ReadLineAsync()
        if (-not $lineTask.Wait([TimeSpan]::FromSeconds($TimeoutSeconds))) {
            throw "The Leadspace simulator did not print its base URI within $TimeoutSeconds s ($dll)."
        }
        $baseUri = $lineTask.Result
        if (-not $baseUri -or $baseUri -notmatch '^http://127\.0\.0\.1:\d+(/\S*)?$') {
            $exit = if ($process.HasExited) { " (exit code $($process.ExitCode))" } else { '' }
            throw "The Leadspace simulator did not start$exit; first line of output: '$baseUri'. Arguments: $($ArgumentList -join ' ')"
        }

        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ($true) {
            try {
                $null = Invoke-RestMethod -Uri "$baseUri/__stats" -Method Get -TimeoutSec 5
                break
            }
            catch {
                if ([DateTime]::UtcNow -gt $deadline -or $process.HasExited) {
                    throw "The Leadspace simulator at $baseUri did not answer within $TimeoutSeconds s: $_"
                }
                Start-Sleep -Milliseconds 100
            }
        }
        # Drain stdout so the child never blocks on a full pipe.
        $null = $process.StandardOutput.ReadToEndAsync()

        [pscustomobject]@{
            BaseUri = $baseUri
            Process = $process
            Token   = $Token
        }
    }
    catch {
        if (-not $process.HasExited) {
            $process.Kill($true)
        }
        $process.Dispose()
        throw
    }
}

function Stop-LeadspaceSimulator {
    <#
    .SYNOPSIS
    Stops a simulator started by Start-LeadspaceSimulator (kills its process tree and waits for exit).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Simulator)

    process {
        $p = $Simulator.Process
        if ($null -eq $p) {
            return
        }
        try {
            if (-not $p.HasExited) {
                try { $p.StandardInput.Close() } catch { }
                if (-not $p.WaitForExit(2000)) {
                    $p.Kill($true)
                }
            }
            $null = $p.WaitForExit(10000)
        }
        finally {
            $p.Dispose()
        }
    }
}

function Reset-LeadspaceSimulator {
    <#
    .SYNOPSIS
    POST /__reset: clears counters and the rate window and restores the credit budget. Returns the stats.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Simulator)
    Invoke-RestMethod -Uri "$($Simulator.BaseUri)/__reset" -Method Post -ContentType 'application/json' -Body '{}'
}

function Set-LeadspaceSimulatorConfig {
    <#
    .SYNOPSIS
    POST /__config: changes options at runtime, e.g. @{ credits = 5; errorRate = 0.5; latencyMs = 0 }.
    Returns the effective configuration.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Simulator,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Config
    )
    $body = $Config | ConvertTo-Json -Depth 5 -Compress
    Invoke-RestMethod -Uri "$($Simulator.BaseUri)/__config" -Method Post -ContentType 'application/json' -Body $body
}

function Get-LeadspaceSimulatorStats {
    <#
    .SYNOPSIS
    GET /__stats: calls, statusCounts, creditsCharged, chargesByExternalId, duplicateCharges, maxAcceptedInAnyWindow, ...
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Simulator,
        # Waits (up to 30 s) until no call is in flight: a call whose client gave up still ends, and is charged.
        [switch] $Settled
    )
    # As a hashtable: external ids are case-sensitive (Salesforce ids), and keys differing only by case
    # would make ConvertFrom-Json (and so Invoke-RestMethod) fail on chargesByExternalId.
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        $stats = (Invoke-WebRequest -Uri "$($Simulator.BaseUri)/__stats" -Method Get -UseBasicParsing).Content | ConvertFrom-Json -AsHashtable
        if (-not $Settled -or $stats.inFlight -eq 0) { return $stats }
        if ([DateTime]::UtcNow -gt $deadline) { throw "The simulator still has $($stats.inFlight) call(s) in flight." }
        Start-Sleep -Milliseconds 50
    }
}

function Get-LeadspaceSimulatorRequest {
    <#
    .SYNOPSIS
    GET /__requests: the enrichment request bodies the simulator received (the most recent 10,000, since the last
    reset), oldest first, as objects.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Simulator)
    (Invoke-WebRequest -Uri "$($Simulator.BaseUri)/__requests" -Method Get -UseBasicParsing).Content | ConvertFrom-Json -NoEnumerate |
        ForEach-Object { $_ }
}

Export-ModuleMember -Function Get-LeadspaceSimulatorRequest, Start-LeadspaceSimulator, Stop-LeadspaceSimulator, Reset-LeadspaceSimulator,
    Set-LeadspaceSimulatorConfig, Get-LeadspaceSimulatorStats
