#Requires -Version 7.4
<#
.SYNOPSIS
    The demo run by build.ps1 -Task Demo: what a user types, against a running Leadspace simulator.
.DESCRIPTION
    Imports the built module, connects to the given base URI, enriches a CSV with the one-liner
    Import-Csv | Invoke-LeadspaceEnrichment | Export-Csv, then prints a summary and the first rows.
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $BaseUri,
    [Parameter(Mandatory)][string] $Token,
    [Parameter(Mandatory)][string] $InputPath,
    [Parameter(Mandatory)][string] $OutputPath
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

# A user would type: Connect-Leadspace -Token (Read-Host -AsSecureString 'Leadspace token') -ProgramId <id>
Connect-Leadspace -Token (ConvertTo-SecureString $Token -AsPlainText -Force) -ProgramId 'sim-program' -BaseUri $BaseUri

$rowsIn = @(Import-Csv $InputPath).Count
$elapsed = Measure-Command {
    # The user's one-liner. Invalid rows are reported as non-terminating errors and still get a result row.
    Import-Csv $InputPath |
        Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -ErrorVariable rowErrors -SummaryVariable summary |
        Export-Csv $OutputPath -NoTypeInformation -Encoding utf8
}

$results = Import-Csv $OutputPath
$byStatus = $results | Group-Object Status -AsHashTable -AsString
function Count-Status([string] $name) { if ($byStatus -and $byStatus.ContainsKey($name)) { $byStatus[$name].Count } else { 0 } }
$status = Get-LeadspaceRateStatus

Write-Host ''
Write-Host 'Leadspace demo' -ForegroundColor Cyan
[pscustomobject]@{
    'Rows in'         = $rowsIn
    'Rows out'        = $results.Count
    'Enriched'        = Count-Status 'Enriched'
    'Not matched'     = Count-Status 'NotMatched'
    'Invalid'         = Count-Status 'Invalid'
    'Failed'          = Count-Status 'Failed'
    'Not sent'        = Count-Status 'NotSent'
    'Row errors'      = $rowErrors.Count
    'API calls'       = $status.Calls
    'Elapsed (s)'     = [math]::Round($elapsed.TotalSeconds, 1)
    'Calls/second'    = [math]::Round($status.Calls / [math]::Max($elapsed.TotalSeconds, 0.001), 1)
    'Latency p50 (ms)' = $status.LatencyP50Ms
    'Output'          = (Resolve-Path $OutputPath).Path
} | Format-List | Out-Host

Write-Host 'The run summary (-SummaryVariable summary):' -ForegroundColor Cyan
$summary | Format-List RowsIn, Enriched, NotMatched, Invalid, Failed, NotSent, FromApi, FromJournal, Duplicates, CallsMade, CreditsCharged, CallsAmbiguous, CallsDiscarded, Elapsed, CallsPerSecond, Ending | Out-Host

Write-Host 'First rows of the result:' -ForegroundColor Cyan
$results | Select-Object -First 8 RowNumber, Status, ExternalId, PersonFirstName, PersonLastName, CompanyName, CompanyIndustry, CompanySizeRange, CompanyMatchConfidence |
    Format-Table -AutoSize | Out-String -Width 200 | Out-Host

if ($results.Count -ne $rowsIn) { throw "Expected $rowsIn result rows, got $($results.Count)." }
Disconnect-Leadspace
