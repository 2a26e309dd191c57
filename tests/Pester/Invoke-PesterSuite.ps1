#Requires -Version 7.4
<#
.SYNOPSIS
    Runs every tests/Pester/*.Tests.ps1, and the sample runbook's samples/runbook/Runbook.Tests.ps1, against the built
    module (called by build.ps1 -Task Test in a fresh pwsh).
#>
param(
    [Parameter(Mandatory)][string] $PesterPath,
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $SummaryPath,
    [string] $ResultPath,
    # out/packages, written by build.ps1 -Task Package (Package.Tests.ps1 and Runbook.Tests.ps1 install from it)
    [string] $PackagePath
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$env:LEADSPACE_TEST_MODULE = (Resolve-Path $ModulePath).Path
if ($PackagePath) { $env:LEADSPACE_TEST_PACKAGES = (Resolve-Path $PackagePath).Path }

$config = New-PesterConfiguration
# Resolve-Path: a moved or deleted sample test fails the suite instead of silently running fewer tests.
$config.Run.Path = @($PSScriptRoot, (Resolve-Path (Join-Path $PSScriptRoot '../../samples/runbook/Runbook.Tests.ps1')).Path)
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($ResultPath) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = $ResultPath
    $config.TestResult.OutputFormat = 'NUnitXml'
}
# Only Pester's own result object counts: anything else a test file lets fall into the pipeline is ignored.
$result = @(Invoke-Pester -Configuration $config) | Where-Object { $_ -is [Pester.Run] } | Select-Object -Last 1
if ($null -eq $result) { throw 'Invoke-Pester returned no result.' }
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount } |
    ConvertTo-Json | Set-Content -Path $SummaryPath -Encoding utf8
if ($failed -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
exit 0
