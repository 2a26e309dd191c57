#Requires -Version 7.4
<#
.SYNOPSIS
    One process of a fleet (started by Invoke-Fleet in Fleet.psm1): connects as program 'fleet' (with the rate limit store
    of $env:LEADSPACE_RATE_LIMIT_STORE when set, exactly as a runbook would), says it is ready, waits for the go signal,
    enriches its rows the way a user does, and writes what happened as JSON.
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $BaseUri,
    [Parameter(Mandatory)][string] $Token,
    [Parameter(Mandatory)][int] $Worker,
    [Parameter(Mandatory)][int] $Rows,
    [double] $RequestsPerSecond = 30,
    [Parameter(Mandatory)][string] $ReadyPath,
    [Parameter(Mandatory)][string] $GoPath,
    [Parameter(Mandatory)][string] $ResultPath
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
Connect-Leadspace -Token (ConvertTo-SecureString $Token -AsPlainText -Force) -ProgramId 'fleet' -BaseUri $BaseUri -RequestsPerSecond $RequestsPerSecond -WarningVariable connectWarnings -WarningAction SilentlyContinue
$leads = 1..$Rows | ForEach-Object { [pscustomobject]@{ 'Lead ID' = "W$Worker-$_"; Company = "Fleet $Worker Company $_" } }
Set-Content -Path $ReadyPath -Value 'ready'
$deadline = [DateTime]::UtcNow.AddSeconds(120)
while (-not (Test-Path $GoPath)) {
    if ([DateTime]::UtcNow -gt $deadline) { throw 'No go signal.' }
    Start-Sleep -Milliseconds 10
}

$started = [DateTime]::UtcNow
$clock = [Diagnostics.Stopwatch]::StartNew()
# Rows are collected as they come: a run that ends with a terminating error (a spent credit budget) has still output
# every row before it.
$results = [System.Collections.Generic.List[object]]::new()
$stopped = $null
try {
    $leads | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -WarningAction SilentlyContinue -WarningVariable warnings | ForEach-Object { $results.Add($_) }
}
catch { $stopped = $_ }
$clock.Stop()
$status = Get-LeadspaceRateStatus
[ordered]@{
    Worker           = $Worker
    Rows             = $Rows
    Out              = $results.Count
    Good             = @($results | Where-Object { $_.Status -in 'Enriched', 'NotMatched' }).Count
    InOrder          = (($results.ExternalId -join ',') -eq (($leads.'Lead ID') -join ','))
    StartedUtc       = $started.ToString('o')
    ElapsedSec       = $clock.Elapsed.TotalSeconds
    Warnings         = @($warnings | ForEach-Object { "$_" })
    ConnectWarnings  = @($connectWarnings | ForEach-Object { "$_" })
    Calls            = $status.Calls
    RateLimited      = $status.RateLimited
    Gate             = $status.Gate
    GateState        = $status.GateState
    Processes        = $status.Processes
    Fallbacks        = $status.Fallbacks
    FallbackRate     = $status.FallbackRate
    StoreRoundTripMs = $status.StoreRoundTripMs
    NotSent          = @($results | Where-Object Status -eq 'NotSent').Count
    BudgetRefused    = @($results | Where-Object ErrorId -eq 'LeadspaceBudgetExhausted').Count
    BudgetMessages   = @($results | Where-Object ErrorId -eq 'LeadspaceBudgetExhausted' | ForEach-Object Message | Select-Object -Unique -First 3)
    Stopped          = if ($stopped) { $stopped.FullyQualifiedErrorId } else { $null }
    StoppedMessage   = if ($stopped) { "$stopped" } else { $null }
    BudgetKeptIn     = $status.BudgetKeptIn
    BudgetLimit      = $status.BudgetLimit
    BudgetSpent      = $status.BudgetSpent
} | ConvertTo-Json | Set-Content -Path $ResultPath -Encoding utf8
