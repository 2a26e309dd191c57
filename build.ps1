#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and benchmarks the Leadspace PowerShell module.
.DESCRIPTION
    Tasks:
      Build  (default) dotnet build, then lay out an importable module in out/Leadspace.
      Test   Build, run the xunit suites and the Pester suite (in a fresh pwsh), print "N passed, N failed".
      Demo   Build, start the Leadspace simulator on loopback, run
             Import-Csv samples/leads.csv | Invoke-LeadspaceEnrichment | Export-Csv out/demo/enriched.csv
             in a fresh pwsh as a user would, stop the simulator, print a summary.
      Bench  Build, then measure the module against plain PowerShell alternatives (bench/Invoke-Benchmark.ps1).
      Clean  Remove out/ and every bin/ and obj/ folder.
    Safe to run twice and from any directory; every process it starts is stopped, even on failure or Ctrl+C.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'Leadspace'
$TestResults = Join-Path $Out 'test-results'
$PesterVersion = '5.7.1'   # pinned; restored from NuGet by tests/Pester/Pester.Packages.csproj

function Invoke-Native {
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-PwshCommand {
    # The pwsh running this script, started fresh: the dotnet tool runs as 'dotnet pwsh.dll'.
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($process)
}

function Invoke-FreshPwsh {
    param([Parameter(Mandatory)][string] $File, [string[]] $ArgumentList = @())
    $cmd = @(Get-PwshCommand)
    $first = $cmd[0]
    $rest = @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList
    & $first @rest | Out-Host
    return $LASTEXITCODE
}

function Get-ModuleVersion {
    (Import-PowerShellDataFile (Join-Path $Root 'Leadspace.psd1')).ModuleVersion
}

function Invoke-BuildTask {
    $version = Get-ModuleVersion
    Write-Host "Building Leadspace $version ($Configuration)..." -ForegroundColor Cyan
    Invoke-Native dotnet @('build', (Join-Path $Root 'LeadspacePS.sln'), '-c', $Configuration, '--nologo', '-v', 'q', "-p:Version=$version", '-clp:ErrorsOnly')

    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    New-Item -ItemType Directory -Path $ModuleOut -Force | Out-Null
    $bin = Join-Path $Root "src/Leadspace/bin/$Configuration/netstandard2.0"

    Copy-Item (Join-Path $bin 'Leadspace.dll'), (Join-Path $bin 'Leadspace.pdb') -Destination $ModuleOut
    Copy-Item (Join-Path $Root 'Leadspace.psd1') -Destination $ModuleOut
    Copy-Item (Join-Path $Root 'src/Leadspace/Leadspace.Format.ps1xml') -Destination $ModuleOut

    # The netstandard2.0 dependencies sit beside the module: PowerShell 7 uses its own newer copies where it
    # has them (System.Text.Json…) and loads only what it lacks (System.Threading.RateLimiting); Windows
    # PowerShell 5.1 needs them all (see ModuleInitializer.cs). PowerShell's own assemblies are never shipped.
    Get-ChildItem $bin -Filter *.dll |
        Where-Object { $_.Name -ne 'Leadspace.dll' -and $_.Name -ne 'System.Management.Automation.dll' -and $_.Name -notlike 'Microsoft.PowerShell.*' } |
        Copy-Item -Destination $ModuleOut

    # The rate limit store (StackExchange.Redis and its dependencies) in its own folder: loaded only for
    # Connect-Leadspace -RateLimitStore, into the module's own AssemblyLoadContext on PowerShell 7
    # (src/Leadspace/Client/RateLimitStoreLoader.cs). Leadspace.dll and the main module's own dependencies stay out of it.
    $storeBin = Join-Path $Root "src/Leadspace.RateLimitStore/bin/$Configuration/netstandard2.0"
    $storeOut = Join-Path $ModuleOut 'RateLimitStore'
    New-Item -ItemType Directory -Path $storeOut -Force | Out-Null
    $notStore = 'Leadspace.dll', 'System.Text.Json.dll', 'System.Text.Encodings.Web.dll', 'System.Threading.RateLimiting.dll', 'System.Management.Automation.dll'
    Get-ChildItem $storeBin -Filter *.dll | Where-Object { $_.Name -notin $notStore } | Copy-Item -Destination $storeOut
    Copy-Item (Join-Path $storeBin 'Leadspace.RateLimitStore.pdb') -Destination $storeOut

    # Help: markdown sources in src/Leadspace/help become MAML (Get-Help) and about_ topics in en-US/.
    & (Join-Path $Root 'src/Leadspace/help/Build-Help.ps1') -OutputPath (Join-Path $ModuleOut 'en-US')
    Write-Host "Module laid out in $ModuleOut" -ForegroundColor Green
}

function Get-PesterModulePath {
    $project = Join-Path $Root 'tests/Pester/Pester.Packages.csproj'
    Invoke-Native dotnet @('restore', $project, '--nologo', '-v', 'q')
    $globalPackages = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $path = Join-Path $globalPackages.Trim() "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $path)) { throw "Pester $PesterVersion was restored but $path is missing." }
    return $path
}

function Get-TrxCounts {
    param([string] $Directory)
    $passed = 0; $failed = 0
    foreach ($file in Get-ChildItem $Directory -Filter *.trx -ErrorAction SilentlyContinue) {
        [xml] $trx = Get-Content -LiteralPath $file.FullName -Raw   # names can hold [1]: no wildcards
        $counters = $trx.TestRun.ResultSummary.Counters
        $passed += [int] $counters.passed
        $failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-TestTask {
    Invoke-BuildTask
    if (Test-Path $TestResults) { Remove-Item $TestResults -Recurse -Force }
    New-Item -ItemType Directory -Path $TestResults -Force | Out-Null

    Write-Host 'Running xunit tests...' -ForegroundColor Cyan
    $xunitResults = Join-Path $TestResults 'xunit'
    # The store tests start Garnet servers and drive them hard: they run after the others, so they never compete for
    # the CPU with the timing-sensitive tests of the other assemblies.
    & dotnet test (Join-Path $Root 'LeadspacePS.sln') -c $Configuration --no-build --nologo `
        --filter 'FullyQualifiedName!~Leadspace.RateLimitStore.Tests' `
        --logger 'trx' --logger 'console;verbosity=minimal' --results-directory $xunitResults
    $xunitExit = $LASTEXITCODE
    & dotnet test (Join-Path $Root 'tests/Leadspace.RateLimitStore.Tests/Leadspace.RateLimitStore.Tests.csproj') -c $Configuration --no-build --nologo `
        --logger 'trx' --logger 'console;verbosity=minimal' --results-directory $xunitResults
    if ($LASTEXITCODE -ne 0) { $xunitExit = $LASTEXITCODE }
    $xunit = Get-TrxCounts $xunitResults

    Write-Host 'Running Pester tests in a fresh pwsh...' -ForegroundColor Cyan
    $pesterPath = Get-PesterModulePath
    $pesterSummary = Join-Path $TestResults 'pester-summary.json'
    $pesterExit = Invoke-FreshPwsh -File (Join-Path $Root 'tests/Pester/Invoke-PesterSuite.ps1') -ArgumentList @(
        '-PesterPath', $pesterPath, '-ModulePath', (Join-Path $ModuleOut 'Leadspace.psd1'), '-SummaryPath', $pesterSummary,
        '-ResultPath', (Join-Path $TestResults 'pester.xml'))
    $pester = if (Test-Path $pesterSummary) { Get-Content $pesterSummary -Raw | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1 } }

    $passed = $xunit.Passed + $pester.Passed
    $failed = $xunit.Failed + $pester.Failed
    if ($xunitExit -ne 0 -and $xunit.Failed -eq 0) { $failed++ }   # a crashed test host counts as a failure
    if ($pesterExit -ne 0 -and $pester.Failed -eq 0) { $failed++ }
    Write-Host ''
    Write-Host "xunit:  $($xunit.Passed) passed, $($xunit.Failed) failed"
    Write-Host "Pester: $($pester.Passed) passed, $($pester.Failed) failed"
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-DemoTask {
    Invoke-BuildTask
    Import-Module (Join-Path $Root 'tests/Pester/LeadspaceSimulator.psm1') -Force
    $demoOut = Join-Path $Out 'demo'
    New-Item -ItemType Directory -Path $demoOut -Force | Out-Null
    $sim = $null
    try {
        # Realistic latency: 300 ms ± 100 ms per call, Leadspace's 30 calls/second limit.
        $sim = Start-LeadspaceSimulator -ArgumentList @('--latency-ms', '300', '--jitter-ms', '100', '--rate', '30')
        Write-Host "Leadspace simulator listening on $($sim.BaseUri)" -ForegroundColor Cyan
        $exit = Invoke-FreshPwsh -File (Join-Path $Root 'samples/Invoke-Demo.ps1') -ArgumentList @(
            '-ModulePath', (Join-Path $ModuleOut 'Leadspace.psd1'), '-BaseUri', $sim.BaseUri, '-Token', $sim.Token,
            '-InputPath', (Join-Path $Root 'samples/leads.csv'), '-OutputPath', (Join-Path $demoOut 'enriched.csv'))
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim
        Write-Host ("Simulator: {0} calls, {1} credits charged, {2} duplicate charges, peak {3} accepted calls in one second." -f `
                $stats.calls, $stats.creditsCharged, $stats.duplicateCharges, $stats.maxAcceptedInAnyWindow)
        if ($exit -ne 0) { throw "The demo failed (exit code $exit)." }
    }
    finally {
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
    }
}

function Invoke-BenchTask {
    Invoke-BuildTask
    $exit = Invoke-FreshPwsh -File (Join-Path $Root 'bench/Invoke-Benchmark.ps1') -ArgumentList @(
        '-ModulePath', (Join-Path $ModuleOut 'Leadspace.psd1'), '-OutputPath', (Join-Path $Out 'bench/results.md'))
    if ($exit -ne 0) { throw "The benchmark failed (exit code $exit)." }
}

function Invoke-CleanTask {
    foreach ($dir in @($Out) + @(Get-ChildItem $Root -Directory -Recurse -Include bin, obj | Select-Object -ExpandProperty FullName)) {
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force; Write-Host "Removed $dir" }
    }
}

Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-BuildTask }
        'Test' { Invoke-TestTask }
        'Demo' { Invoke-DemoTask }
        'Bench' { Invoke-BenchTask }
        'Clean' { Invoke-CleanTask }
    }
}
finally {
    Pop-Location
}
