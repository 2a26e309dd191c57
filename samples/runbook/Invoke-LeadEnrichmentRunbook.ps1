<#
.SYNOPSIS
    Enriches a CSV of leads or accounts through Leadspace, unattended: one file of enriched rows, one file of rows to
    retry, an exit code for the scheduler and a one-line summary. Rerun it after any failure: it never pays twice for
    a row already answered.

.DESCRIPTION
    A runbook to schedule (cron, systemd, Task Scheduler, Azure Automation, a CI job) and to copy. It reads the
    credentials from environment variables, enriches every row of -InputPath with Invoke-LeadspaceEnrichment and a run
    journal (-CheckpointPath), and writes:

      -OutputPath  every row Leadspace answered (Status Enriched or NotMatched), the input columns first, in input order;
      -RetryPath   every other row: the input row's own columns (so the file can be fixed and fed back) followed by
                   LeadspaceRow, LeadspaceStatus, LeadspaceErrorId and LeadspaceMessage, which say why.

    Together the two files hold every input row exactly once.

    Spreadsheet-safe output. The output file is made with Invoke-LeadspaceEnrichment -EscapeFormulas: every text value
    (answers and input columns) that begins with =, +, -, @, a tab or a carriage return is prefixed with ' so that a
    spreadsheet shows it as text instead of running it as a formula. Phone numbers such as +1 555 0100 come out as
    '+1 555 0100; plain numbers are unchanged. The retry file holds the input rows as they were, to be fed back.

    Complete files only. Both files are written under a temporary name (<name>.partial), flushed to disk and renamed
    when every row is in them; once the run is under way (it holds the journal), the files of an earlier run are
    removed first. So a file under its final name is always complete and belongs to the last run that ended, and a
    run that was killed, crashed or lost power leaves no file under a final name (only *.partial files, which are
    never to be read and which the next run overwrites). The output file is renamed last: it is the mark that the run
    ended, and the retry file beside it (or its absence) belongs to the same run. Read the retry file only when the
    output file exists.

    Never paying twice. Every request is recorded in the journal before it is sent and every answer when it arrives.
    Rerun the same command after anything (a kill, a reboot, exit code 3 once the cause is fixed): rows already
    answered come from the journal at no cost and only the rest is sent. A row that was on the wire when a run died may
    have been charged; it is resent once (Connect-Leadspace -MaxAmbiguousRetries, default 1), and the summary counts
    such rows. Identical rows in the input are sent once. The journal is kept after the run: a later run with the same
    journal reuses its answers for identical rows (use -MaxAge to buy fresh data for older ones, or a journal per run).

    Credentials come from the environment (Connect-Leadspace without parameters): LEADSPACE_API_TOKEN (a perpetual
    token) with LEADSPACE_PROGRAM_ID, or LEADSPACE_PROGRAM_ID with LEADSPACE_OAUTH_SECRET; LEADSPACE_BASE_URI points
    elsewhere than https://apigw.leadspace.com (for example at the Leadspace simulator in tests). Set them as secret
    variables of the scheduler or automation account; nothing here prints them.

    A daily budget for the program, however often the schedule fires: set LEADSPACE_CREDIT_BUDGET (credits, e.g. 2000)
    and, for a week or a month, LEADSPACE_BUDGET_PERIOD (Day by default; UTC calendar periods). Connect-Leadspace reads
    them; with LEADSPACE_RATE_LIMIT_STORE the budget is kept in the store for every worker of the program. Rows the
    budget does not allow are not sent (LeadspaceBudgetExhausted, no credit) and go to the retry file.

    Exit codes:
      0  Done: every row was answered. The output file holds every row; there is no retry file.
      1  Nothing to rely on: bad arguments (PowerShell's own exit code for a parameter error, used for the checks
         below too), the Leadspace module missing, no credentials or a refused connection, the journal in use by
         another run or written for another program, or an unexpected failure of the runbook. No file was written
         under a final name (after a failure mid-run, the journal still holds every answer paid for). Read stderr.
      2  Done, with rows to retry: some rows are Invalid (fix the data) or Failed (after the module's retries).
         Both files are written. A rerun resends the failed rows (those that may already have been charged only
         within -MaxAmbiguousRetries) and answers the rest from the journal.
      3  The run stopped early: out of credits or an invalid program id (427), credentials rejected (401), the
         service unreachable, OAuth tokens unobtainable, or the journal unwritable; or the spending cap (-MaxCredits)
         was reached (LeadspaceBudgetExhausted: every row was read, those beyond the cap were not sent). Both files
         are written: the rows answered so far, and every other row (NotSent) to retry. Fix the cause (or give a new
         -MaxCredits) and rerun the same command.
    A process killed by a signal has the scheduler's own code (for example 137 for SIGKILL) and no final file.

    The last line on stdout is the summary, for example:
      Leadspace runbook: exit 3 (LeadspaceCreditsExhausted): 150 rows in, 60 to '/data/enriched.csv', 90 to retry in
      '/data/enriched.retry.csv'; 52 enriched, 8 not matched, 0 invalid, 0 failed, 90 not sent; 60 from the API, 0 from
      the journal, 0 duplicates, 0 resent after an interrupted run; 61 calls, 60 credits; 3.4 s.
    (one line). Warnings of the module (for example a -PropertyMap column that matches nothing) come before it.

    One run per output at a time: a second run with the same journal stops at once (exit 1) and leaves the first
    run's files alone.

    Tested with PowerShell 7.4+ (the module's own target) against the Leadspace simulator: see Runbook.Tests.ps1
    beside this script.

.PARAMETER InputPath
    The CSV to enrich (UTF-8). Column names are matched by the module's alias table (First Name, Company, Email, ...);
    map others with -PropertyMap.

.PARAMETER OutputPath
    Where the answered rows go. Its folder must exist. Default names of the other files derive from it.

.PARAMETER RetryPath
    Where the rows to retry go. Default: the output path with the extension .retry.csv (enriched.csv ->
    enriched.retry.csv).

.PARAMETER CheckpointPath
    The run journal. Default: the output path with the extension .journal.jsonl. Keep it between runs: it is what
    makes a rerun free for rows already answered.

.PARAMETER MaxAge
    Answers in the journal older than this count as absent and are bought again (for example 30d, 12h, 00:30:00).
    Default: answers never expire.

.PARAMETER RequestsPerSecond
    Calls per second (Connect-Leadspace -RequestsPerSecond; default 30, Leadspace's limit per program). Lower it when
    other systems use the same program.

.PARAMETER MaxCredits
    The most credits this run may spend (Invoke-LeadspaceEnrichment -MaxCredits): no call goes out that could bring the
    credits charged above it, even when answers are lost. Rows beyond it go to the retry file (NotSent,
    LeadspaceBudgetExhausted) and the runbook exits 3; rerun it with a new -MaxCredits (the next night, say) and the
    journal answers the rows already paid for. Default: no cap.

.PARAMETER PropertyMap
    Input columns the alias table does not know, mapped to request fields, as the cmdlet's -PropertyMap takes them:
    'Column=field' strings, for example 'Acct Legal Name=company.name', or from PowerShell a hashtable,
    @{ 'Acct Legal Name' = 'company.name'; 'SFDC Id' = 'external_id' }. Under pwsh -File every parameter gets one
    string, so several mappings go in one argument separated by commas or semicolons:
    'Acct Legal Name=company.name,SFDC Id=external_id' (a comma or semicolon splits only after a field, so a column
    name may hold one). A mapping without a column, an '=' or a field stops the runbook with exit 1, nothing sent.

.PARAMETER CustomField
    Input columns sent as Leadspace custom fields.

.PARAMETER Delimiter
    The CSV delimiter of the input, and of the output and retry files (default a comma).

.EXAMPLE
    # Nightly, from cron (credentials in the job's environment):
    pwsh -NoProfile -NonInteractive -File ./Invoke-LeadEnrichmentRunbook.ps1 -InputPath /data/leads.csv -OutputPath /data/enriched.csv
    # exit 0: load /data/enriched.csv; 2: also look at /data/enriched.retry.csv; 3: fix the cause, run it again; 1: read stderr.

.EXAMPLE
    # A CRM export with semicolons and its own column names, at half the program's rate:
    pwsh -NoProfile -NonInteractive -File ./Invoke-LeadEnrichmentRunbook.ps1 -InputPath /data/accounts.csv -OutputPath /data/accounts.enriched.csv -Delimiter ';' -RequestsPerSecond 15 -PropertyMap 'Acct Legal Name=company.name,SFDC Id=external_id'

.EXAMPLE
    # At most 500 credits a night: rows beyond the cap wait in the retry file (exit 3) and tomorrow's run, on the same
    # journal, goes on where this one stopped:
    pwsh -NoProfile -NonInteractive -File ./Invoke-LeadEnrichmentRunbook.ps1 -InputPath /data/leads.csv -OutputPath /data/enriched.csv -MaxCredits 500

.EXAMPLE
    # The same from a PowerShell prompt, where -PropertyMap also takes a hashtable:
    ./Invoke-LeadEnrichmentRunbook.ps1 -InputPath ./accounts.csv -OutputPath ./accounts.enriched.csv -Delimiter ';' -PropertyMap @{ 'Acct Legal Name' = 'company.name'; 'SFDC Id' = 'external_id' }
#>
#Requires -Modules Leadspace
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $InputPath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $RetryPath,
    [string] $CheckpointPath,
    [string] $MaxAge,
    [ValidateRange(0.1, 100000)] [double] $RequestsPerSecond,
    [ValidateRange(0, [long]::MaxValue)] [long] $MaxCredits,
    [object[]] $PropertyMap,
    [string[]] $CustomField,
    [char] $Delimiter = ','
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'   # nobody watches a progress bar in a scheduled job
$started = [Diagnostics.Stopwatch]::StartNew()

# Ends the runbook: the summary line on stdout, the reason (if any) on stderr, the exit code for the scheduler.
function Exit-Runbook([int] $Code, [string] $Line, [string] $Reason) {
    if ($Reason) { [Console]::Error.WriteLine("Invoke-LeadEnrichmentRunbook: $Reason") }
    Write-Output "Leadspace runbook: exit $Code $Line"
    exit $Code
}

# -PropertyMap as the cmdlet takes it: a hashtable (from PowerShell) or 'Column=field' strings. Under pwsh -File the
# whole argument is one string, so it is split at a comma or semicolon that follows a field ('A=company.name,B=x'); a
# field never holds one, a column name may.
function ConvertTo-PropertyMap([object[]] $Value) {
    if ($Value.Count -eq 1 -and $Value[0] -is [Collections.IDictionary]) { return , $Value[0] }
    $entries = foreach ($item in $Value) {
        if ($item -isnot [string]) { throw "-PropertyMap takes 'Column=field' strings or one hashtable, not a $($item.GetType().Name)." }
        foreach ($entry in $item -split '(?<==[^=,;]*)[,;]') {
            if ($entry -notmatch '^\s*\S.*=\s*[^=\s][^=]*$') { throw "-PropertyMap: '$entry' is not 'Column=field' (for example 'Acct Legal Name=company.name')." }
            $entry.Trim()
        }
    }
    , [string[]] @($entries)
}

# The module's message when a run stopped tells an interactive user to pipe $err.TargetObject back into the cmdlet;
# a runbook is rerun instead, with the same command, and its journal answers the rows already paid for.
function Get-StopReason($ErrorRecord) {
    $text = $ErrorRecord.Exception.Message
    $text = $text -replace '\s*Every row has been output; resend [^|]*\|\s*Invoke-LeadspaceEnrichment\.', ''
    $text = $text -replace '\$err\.TargetObject \| Invoke-LeadspaceEnrichment', 'the same command'
    $text = $text -replace 'resend the rows that were not sent', 'run the same command again'
    "$text Every row not answered is in '$RetryPath'. Fix the cause and run the same command again: rows already answered come from the journal at no cost and only the others are sent."
}

# Writes a file's data to the disk before it is renamed, so that after a power loss the final name holds the whole
# file or nothing.
function Sync-File([string] $Path) {
    $stream = [IO.FileStream]::new($Path, [IO.FileMode]::Open, [IO.FileAccess]::ReadWrite, [IO.FileShare]::Read)
    try { $stream.Flush($true) } finally { $stream.Dispose() }
}

function New-CsvWriter([string] $Path) {
    $writer = { Export-Csv -LiteralPath $Path -NoTypeInformation -Encoding utf8 -Delimiter $Delimiter }.GetSteppablePipeline()
    $writer.Begin($true)
    $writer
}

# ---- Arguments: everything checked before anything is sent ---------------------------------------------------------
try {
    $InputPath = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($InputPath)
    $OutputPath = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputPath)
    $RetryPath = if ($RetryPath) { $PSCmdlet.GetUnresolvedProviderPathFromPSPath($RetryPath) } else { [IO.Path]::ChangeExtension($OutputPath, '.retry.csv') }
    $CheckpointPath = if ($CheckpointPath) { $PSCmdlet.GetUnresolvedProviderPathFromPSPath($CheckpointPath) } else { [IO.Path]::ChangeExtension($OutputPath, '.journal.jsonl') }
}
catch { Exit-Runbook 1 '(bad arguments): nothing sent.' $_.Exception.Message }
if (-not (Test-Path -LiteralPath $InputPath -PathType Leaf)) { Exit-Runbook 1 '(bad arguments): nothing sent.' "-InputPath '$InputPath' is not a file." }
foreach ($path in $OutputPath, $RetryPath, $CheckpointPath) {
    $folder = Split-Path -Parent $path
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) { Exit-Runbook 1 '(bad arguments): nothing sent.' "The folder of '$path' does not exist." }
}
$map = $null
if ($PropertyMap) {
    try { $map = ConvertTo-PropertyMap $PropertyMap }
    catch { Exit-Runbook 1 '(bad arguments): nothing sent.' $_.Exception.Message }
}
$paths = @($InputPath, $OutputPath, $RetryPath, $CheckpointPath)
$distinct = [Collections.Generic.HashSet[string]]::new([string[]] $paths, $(if ($IsWindows) { [StringComparer]::OrdinalIgnoreCase } else { [StringComparer]::Ordinal }))
if ($distinct.Count -ne $paths.Count) {
    Exit-Runbook 1 '(bad arguments): nothing sent.' "-InputPath, -OutputPath, -RetryPath and -CheckpointPath must be four different files: $($paths -join ', ')."
}
$outputTemp = "$OutputPath.partial"
$retryTemp = "$RetryPath.partial"

# ---- Connection: LEADSPACE_API_TOKEN / LEADSPACE_PROGRAM_ID / LEADSPACE_OAUTH_SECRET / LEADSPACE_BASE_URI -----------
# (and the program's daily budget: LEADSPACE_CREDIT_BUDGET, LEADSPACE_BUDGET_PERIOD)
$connect = @{}
if ($PSBoundParameters.ContainsKey('RequestsPerSecond')) { $connect.RequestsPerSecond = $RequestsPerSecond }
try { Connect-Leadspace @connect }
catch { Exit-Runbook 1 '(no connection): nothing sent.' $_.Exception.Message }

# ---- The run ----------------------------------------------------------------------------------------------------------
# EscapeFormulas: the output CSV is opened in spreadsheets; a value such as =HYPERLINK(...) shows as text, not as a formula.
$enrich = @{ IncludeInput = $true; EscapeFormulas = $true; CheckpointPath = $CheckpointPath; SummaryVariable = 'summary' }
if ($MaxAge) { $enrich.MaxAge = $MaxAge }
if ($PSBoundParameters.ContainsKey('MaxCredits')) { $enrich.MaxCredits = $MaxCredits }
if ($map) { $enrich.PropertyMap = $map }
if ($CustomField) { $enrich.CustomField = $CustomField }

$summary = $null
$answered = 0; $toRetry = 0
$outputWriter = $null; $retryWriter = $null
$stop = $null        # the terminating error that ended the run early, if any
$ownTemps = $false   # this run created the *.partial files (a run refused the journal must not touch another's)
$retryRenamed = $false
$committed = $false
try {
    try {
        # -ErrorAction Continue 2>&1: the per-row errors (invalid, failed, not sent) come down the pipeline with the
        # results, in order, and each carries its input row (TargetObject): that is the retry file's row.
        Import-Csv -LiteralPath $InputPath -Delimiter $Delimiter -Encoding utf8 |
            Invoke-LeadspaceEnrichment @enrich -ErrorAction Continue 2>&1 |
            ForEach-Object -Begin {
                # Begin blocks run in pipeline order, so this one runs after Invoke-LeadspaceEnrichment has opened and
                # locked the journal: a second run of the same job stops before it touches this run's files.
                # The files of an earlier run go first (the output file, the mark of a finished run, before the other).
                foreach ($old in $OutputPath, $RetryPath) { if (Test-Path -LiteralPath $old) { Remove-Item -LiteralPath $old -Force } }
                $ownTemps = $true
                $outputWriter = New-CsvWriter $outputTemp
                $retryWriter = New-CsvWriter $retryTemp
            } -Process {
                if ($_ -is [Management.Automation.ErrorRecord]) {
                    if ($null -eq $_.TargetObject) { [Console]::Error.WriteLine("Invoke-LeadEnrichmentRunbook: $_"); return }
                    $row = [ordered]@{}
                    foreach ($p in $_.TargetObject.psobject.Properties) { $row[$p.Name] = $p.Value }
                    $result = $_.Exception.Result   # Leadspace's LeadspaceRowException carries the row's result
                    $row['LeadspaceRow'] = $result.RowNumber
                    $row['LeadspaceStatus'] = "$($result.Status)"
                    $row['LeadspaceErrorId'] = $result.ErrorId
                    $row['LeadspaceMessage'] = $result.Message
                    $retryWriter.Process([pscustomobject]$row)
                    $toRetry++
                }
                elseif ("$($_.Status)" -in 'Enriched', 'NotMatched') {
                    $outputWriter.Process($_)
                    $answered++
                }
                # Any other result (Invalid, Failed, NotSent) is followed by its error record, handled above.
            }
    }
    catch {
        $stop = $_
    }

    foreach ($writer in $outputWriter, $retryWriter) { if ($writer) { $writer.End(); $writer.Dispose() } }
    $outputWriter = $null; $retryWriter = $null

    # The files are complete when the module ended the run itself (completed, or stopped by a 427, 401, ...) after
    # outputting every row it read, and every row went into one of them.
    $ending = if ($summary) { $summary.Ending } else { $null }
    $rowsAccounted = $null -ne $summary -and $summary.RowsOut -eq $summary.RowsIn -and ($answered + $toRetry) -eq $summary.RowsIn
    $moduleEnded = if ($stop) { $ending -like 'Leadspace*' -and $stop.FullyQualifiedErrorId -like "$ending,*" } else { $ending -eq 'Completed' }
    if (-not (Test-Path -LiteralPath $outputTemp) -or -not $moduleEnded -or -not $rowsAccounted) {
        $why = if ($stop) { "$stop" }
            elseif (-not $ownTemps) { 'The run did not start.' }
            elseif (-not (Test-Path -LiteralPath $outputTemp)) { "'$outputTemp' was removed while the run was writing it." }
            elseif (-not $rowsAccounted) { "$($answered + $toRetry) rows were written of $($summary.RowsIn) read." }
            else { "The run ended as '$ending'." }
        $label = if ($ending -and $ending -ne 'Completed') { "failed: $ending" } else { 'failed' }
        Exit-Runbook 1 "($label): no file written; the journal keeps every answer paid for." $why
    }

    $code = if ($stop) { 3 } elseif ($toRetry -gt 0) { 2 } else { 0 }
    if ($toRetry -gt 0) {
        Sync-File $retryTemp
        [IO.File]::Move($retryTemp, $RetryPath)
        $retryRenamed = $true
    }
    else {
        Remove-Item -LiteralPath $retryTemp -Force
    }
    Sync-File $outputTemp
    [IO.File]::Move($outputTemp, $OutputPath)   # last: the mark that this run ended
    $committed = $true
}
catch {
    Exit-Runbook 1 "(failed): no file written; the journal keeps every answer paid for." "$_"
}
finally {
    foreach ($writer in $outputWriter, $retryWriter) { if ($writer) { try { $writer.Dispose() } catch { } } }
    if ($ownTemps -and -not $committed) {
        # A failed or stopped (Ctrl+C) run: no half-written file stays behind, under any name.
        foreach ($temp in $outputTemp, $retryTemp) { Remove-Item -LiteralPath $temp -Force -ErrorAction Ignore }
        if ($retryRenamed) { Remove-Item -LiteralPath $RetryPath -Force -ErrorAction Ignore }   # its output file never came
    }
}

$retryText = if ($toRetry -gt 0) { "$toRetry to retry in '$RetryPath'" } else { '0 to retry' }
$s = $summary
Exit-Runbook $code ("($($s.Ending)): $($s.RowsIn) rows in, $answered to '$OutputPath', $retryText; " +
    "$($s.Enriched) enriched, $($s.NotMatched) not matched, $($s.Invalid) invalid, $($s.Failed) failed, $($s.NotSent) not sent; " +
    "$($s.FromApi) from the API, $($s.FromJournal) from the journal, $($s.Duplicates) duplicates, $($s.InterruptedRowsResent) resent after an interrupted run; " +
    "$($s.CallsMade) calls, $($s.CreditsCharged) credits; $([Math]::Round($started.Elapsed.TotalSeconds, 1)) s.") `
    $(if ($stop) { Get-StopReason $stop })   # why the run stopped: the module's message names the program id and the cause
