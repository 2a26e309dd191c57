#Requires -Version 7.4
<#
.SYNOPSIS
    Runs every tests/Pester/*.Tests.ps1, and the sample runbook's samples/runbook/Runbook.Tests.ps1, against the built
    module (called by build.ps1 -Task Test in a fresh pwsh).
.DESCRIPTION
    The test files are independent (each starts its own simulators, stores and child processes on free ports, and
    works in its own temporary folders) and mostly wait on simulated latency, so they run in parallel: one fresh pwsh
    per part, at most -Workers at a time, the longest parts first. A part is a file, a shard of a long file, or a group
    of short files that run one after the other in one pwsh (their tests take less than a pwsh, Pester and the module
    take to start); a file in no group and no shard list (a new one) is a part of its own. The longest files ($shards below) are cut in shards (their
    tests dealt out in turn, each shard in its own pwsh with the file's own BeforeAll), so no single file holds up
    the end. RateLimitStoreRate.Tests.ps1 (a fleet of processes and a store killed mid-run, measured per second) and
    Proxy.Tests.ps1 (a real tinyproxy) run alone, one after the other, after every other part has ended (-Phase Shared runs only the others, -Phase Alone only those: build.ps1
    runs the xunit suites beside the first and never beside the second). Each child writes a summary (counts and every test's name, result and duration) and an NUnit result
    file under -ResultDirectory; its output is printed whole when it ends, so files never interleave. The merged summary goes to -SummaryPath. A child that leaves no readable
    summary (crashed, killed, lost) counts as a failure, never as a pass.
#>
[CmdletBinding(DefaultParameterSetName = 'Suite')]
param(
    [Parameter(Mandatory)][string] $PesterPath,
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $SummaryPath,
    # Where each file's NUnit XML (and the children's summaries) are written.
    [string] $ResultDirectory,
    # out/packages, written by build.ps1 -Task Package (Package.Tests.ps1 and Runbook.Tests.ps1 install from it)
    [string] $PackagePath,
    # Test files run at once (default: $env:LEADSPACE_PESTER_WORKERS, else 4); 1 runs them one after the other.
    [Parameter(ParameterSetName = 'Suite')]
    [int] $Workers = $(if ($env:LEADSPACE_PESTER_WORKERS) { [int] $env:LEADSPACE_PESTER_WORKERS } else { 4 }),
    # Only the files whose names match one of these wildcards (e.g. 'Journal*'); default all.
    [Parameter(ParameterSetName = 'Suite')]
    [string[]] $Include = @('*'),
    # Which parts: All (default: the shared ones, then the alone ones), Shared (only the parts that run beside
    # others) or Alone (only the parts that run alone). build.ps1 runs Shared beside the xunit suites, then Alone.
    [Parameter(ParameterSetName = 'Suite')]
    [ValidateSet('All', 'Shared', 'Alone')]
    [string] $Phase = 'All',

    # ---- Internal: one child run of the given files. ----
    [Parameter(Mandatory, ParameterSetName = 'Child')][switch] $Child,
    # The files, joined by '|' (a group of files runs in one child, one file after the other).
    [Parameter(Mandatory, ParameterSetName = 'Child')][string[]] $Path,
    # Only these tests of the file ('path:line' of each It, Pester's Filter.Line), joined by '|'; default all.
    [Parameter(ParameterSetName = 'Child')][string] $Line,
    [Parameter(ParameterSetName = 'Child')][string] $ResultPath
)
$ErrorActionPreference = 'Stop'
$env:LEADSPACE_TEST_MODULE = (Resolve-Path $ModulePath).Path
if ($PackagePath) { $env:LEADSPACE_TEST_PACKAGES = (Resolve-Path $PackagePath).Path }

function Write-Summary([string] $Target, $Passed, $Failed, $Skipped, $Tests, $FailedNames) {
    [pscustomobject]@{ Passed = $Passed; Failed = $Failed; Skipped = $Skipped; Tests = @($Tests); FailedTests = @($FailedNames) } |
        ConvertTo-Json -Depth 4 | Set-Content -Path $Target -Encoding utf8
}

if ($Child) {
    Import-Module $PesterPath -Force
    $config = New-PesterConfiguration
    $config.Run.Path = @($Path -split '\|' | Where-Object { $_ })
    if ($Line) { $config.Filter.Line = @($Line -split '\|') }
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
    $tests = foreach ($t in $result.Tests) {
        [pscustomobject]@{ Name = $t.ExpandedPath; File = Split-Path -Leaf $t.ScriptBlock.File; Result = "$($t.Result)"; Seconds = [math]::Round($t.Duration.TotalSeconds, 3) }
    }
    $failedNames = @($result.Failed | ForEach-Object { $_.ExpandedPath }) +
        @($result.FailedBlocks | ForEach-Object { "$($_.ExpandedPath) (block)" }) +
        @($result.FailedContainers | ForEach-Object { "$($_.Item) (file)" })
    Write-Summary $SummaryPath $result.PassedCount $failed $result.SkippedCount $tests $failedNames
    if ($failed -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
    exit 0
}

# ---- The suite: every file in its own child pwsh, at most $Workers at once ----
if ($Workers -lt 1) { throw '-Workers must be at least 1.' }
# The runtime's tiered re-JIT, for every process the tests start (the parts' pwsh, the pwsh a test starts as a user or
# a scheduler would, simulators, Garnet): these processes live seconds to a few minutes, and the background
# recompilation of warm code (first with PGO instrumentation, then optimised) cost them more CPU than it saved:
# Invoke.Tests.ps1 and Output.Tests.ps1 together took 52 CPU-seconds with the defaults, 30 with these two settings, on
# a CPU-bound suite. Code runs the same (only when it is recompiled changes); a value already set is kept.
foreach ($knob in @{ DOTNET_TieredPGO = '0'; DOTNET_TC_CallCountingDelayMs = '5000' }.GetEnumerator()) {
    if (-not [Environment]::GetEnvironmentVariable($knob.Key)) { [Environment]::SetEnvironmentVariable($knob.Key, $knob.Value) }
}
if (-not $ResultDirectory) { $ResultDirectory = Join-Path (Split-Path -Parent $SummaryPath) 'pester' }
New-Item -ItemType Directory -Path $ResultDirectory -Force | Out-Null
# Resolve-Path: a moved or deleted sample test fails the suite instead of silently running fewer tests.
$files = @(@(Get-ChildItem -Path $PSScriptRoot -Filter *.Tests.ps1 | ForEach-Object FullName) +
    @((Resolve-Path (Join-Path $PSScriptRoot '../../samples/runbook/Runbook.Tests.ps1')).Path) |
    Where-Object { $leaf = Split-Path -Leaf $_; @($Include -split ',' | Where-Object { $leaf -like $_.Trim() }).Count -gt 0 })
if ($files.Count -eq 0) { throw "No test file matches -Include $($Include -join ', ')." }
# The longest parts start first so the last to finish is a short one: seconds each file took as a part of the suite
# with four parts at once on two cores, in the ReadyToRun pwsh build.ps1 makes (a group weighs what its files weigh together). A file not listed (a new one)
# weighs 40: it starts before the short ones, so it never holds up the end.
$weight = @{ 'Runbook.Tests.ps1' = 145; 'RateLimitStore.Tests.ps1' = 98; 'Journal.Tests.ps1' = 105; 'Invoke.Tests.ps1' = 58
    'StoreSecrets.Tests.ps1' = 87; 'HelpExamples.Tests.ps1' = 38; 'Output.Tests.ps1' = 12; 'Privacy.Tests.ps1' = 16
    'Connect.Tests.ps1' = 31; 'Proxy.Tests.ps1' = 6; 'Package.Tests.ps1' = 12; 'Budget.Tests.ps1' = 9; 'RateLimitStoreRate.Tests.ps1' = 37
    'Help.Tests.ps1' = 20; 'Exports.Tests.ps1' = 14; 'Module.Tests.ps1' = 15; 'Completion.Tests.ps1' = 7; 'EarlyStop.Tests.ps1' = 7
    'BaseUriPath.Tests.ps1' = 4; 'Docs.Tests.ps1' = 2 }
$defaultWeight = 40
# Files that share one child pwsh, one after the other: short files that test in this process (their own simulator,
# connections closed before and after each test) and whose tests take less time than a fresh pwsh, Pester and the
# module take to start (about 6 CPU seconds a part).
$groups = [ordered]@{ 'Quick' = @('Docs.Tests.ps1', 'Completion.Tests.ps1', 'Module.Tests.ps1', 'Help.Tests.ps1', 'BaseUriPath.Tests.ps1', 'EarlyStop.Tests.ps1', 'Exports.Tests.ps1') }
# Shards per file: the tests (It blocks, by line) are dealt out in turn, so the long ones land in different shards.
$shards = @{ 'Runbook.Tests.ps1' = 2; 'Journal.Tests.ps1' = 2; 'RateLimitStore.Tests.ps1' = 2 }
# Files that run alone, after every other part has ended: the store's rate tests count grants per second across three
# processes and a store killed and restarted mid-run, which a CPU shared with other parts would turn into timing; the
# proxy tests run a real tinyproxy, which on a starved CPU leaves accepted connections unread until they are reset (a
# request that never reached it ends as ResponseEnded, an ambiguous failure the module rightly does not resend twice).
$alone = @('RateLimitStoreRate.Tests.ps1', 'Proxy.Tests.ps1')
$grouped = @($groups.Values | ForEach-Object { $_ })
$units = foreach ($file in $files) {
    $leaf = Split-Path -Leaf $file
    if ($leaf -in $grouped) { continue }
    $w = if ($weight.ContainsKey($leaf)) { $weight[$leaf] } else { $defaultWeight }
    $name = [IO.Path]::GetFileNameWithoutExtension($file)
    $count = if ($shards.ContainsKey($leaf)) { $shards[$leaf] } else { 1 }
    if ($count -le 1) { [pscustomobject]@{ File = $file; Name = $name; Line = ''; Weight = $w; Alone = $leaf -in $alone }; continue }
    $ast = [Management.Automation.Language.Parser]::ParseFile($file, [ref] $null, [ref] $null)
    $lines = @($ast.FindAll({ param($a) $a -is [Management.Automation.Language.CommandAst] -and $a.GetCommandName() -eq 'It' }, $true) |
        ForEach-Object { $_.Extent.StartLineNumber } | Sort-Object)
    for ($k = 0; $k -lt $count; $k++) {
        $mine = @(for ($i = $k; $i -lt $lines.Count; $i += $count) { "${file}:$($lines[$i])" })
        if ($mine.Count -gt 0) { [pscustomobject]@{ File = $file; Name = "$name.$($k + 1)"; Line = $mine -join '|'; Weight = $w / $count; Alone = $leaf -in $alone } }
    }
}
foreach ($group in $groups.Keys) {
    $members = @($files | Where-Object { (Split-Path -Leaf $_) -in $groups[$group] })
    if ($members.Count -eq 0) { continue }
    $w = ($members | ForEach-Object { $leaf = Split-Path -Leaf $_; if ($weight.ContainsKey($leaf)) { $weight[$leaf] } else { $defaultWeight } } | Measure-Object -Sum).Sum
    $units = @($units) + [pscustomobject]@{ File = $members -join '|'; Name = "$group.Tests"; Line = ''; Weight = $w; Alone = $false }
}
$units = @($units | Where-Object { $_ } | Where-Object { $Phase -eq 'All' -or ($Phase -eq 'Alone') -eq $_.Alone })
if ($units.Count -eq 0) {
    # Nothing of this phase (e.g. -Include without a file that runs alone): an empty, readable summary.
    Write-Host "Pester: no part to run alone or beside others in phase $Phase." -ForegroundColor Cyan
    Write-Summary $SummaryPath 0 0 0 @() @()
    exit 0
}
$queue = [Collections.Generic.Queue[object]]::new()
$aloneQueue = [Collections.Generic.Queue[object]]::new()
$units | Sort-Object Weight -Descending | ForEach-Object { if ($_.Alone) { $aloneQueue.Enqueue($_) } else { $queue.Enqueue($_) } }

$process = [Environment]::ProcessPath
$pwsh = if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { @($process, (Join-Path $PSHOME 'pwsh.dll')) } else { @($process) }
$running = [Collections.Generic.List[object]]::new()
$done = [Collections.Generic.List[object]]::new()
$clock = [Diagnostics.Stopwatch]::StartNew()
Write-Host ("Pester ({0}): {1} part(s) beside each other, {2} at a time, each in a fresh pwsh; then {3} alone ({4})." -f $Phase, $queue.Count, $Workers, $aloneQueue.Count, ($alone -join ', ')) -ForegroundColor Cyan
try {
    while ($queue.Count -gt 0 -or $aloneQueue.Count -gt 0 -or $running.Count -gt 0) {
        while (($queue.Count -gt 0 -and $running.Count -lt $Workers) -or ($queue.Count -eq 0 -and $running.Count -eq 0 -and $aloneQueue.Count -gt 0)) {
            $unit = if ($queue.Count -gt 0) { $queue.Dequeue() } else { $aloneQueue.Dequeue() }
            $file = $unit.File
            $name = $unit.Name
            $summary = Join-Path $ResultDirectory "$name.json"
            Remove-Item -LiteralPath $summary -ErrorAction SilentlyContinue
            $psi = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
            $psi.UseShellExecute = $false
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath, '-Child',
                '-Path', $file, '-PesterPath', $PesterPath, '-ModulePath', $env:LEADSPACE_TEST_MODULE, '-SummaryPath', $summary,
                '-ResultPath', (Join-Path $ResultDirectory "$name.xml"))
            if ($env:LEADSPACE_TEST_PACKAGES) { $arguments += @('-PackagePath', $env:LEADSPACE_TEST_PACKAGES) }
            if ($unit.Line) { $arguments += @('-Line', $unit.Line) }
            foreach ($a in $arguments) { $psi.ArgumentList.Add([string] $a) }
            $p = [Diagnostics.Process]::Start($psi)
            $running.Add([pscustomobject]@{ File = $file; Name = $name; Summary = $summary; Process = $p
                    Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync(); Clock = [Diagnostics.Stopwatch]::StartNew() })
        }
        $finished = @($running | Where-Object { $_.Process.HasExited })
        if ($finished.Count -eq 0) { Start-Sleep -Milliseconds 100; continue }
        foreach ($r in $finished) {
            $r.Process.WaitForExit()
            $null = $running.Remove($r)
            $seconds = $r.Clock.Elapsed.TotalSeconds
            Write-Host ''
            Write-Host ("==== {0} (exit {1}, {2:N1} s) ====" -f $r.Name, $r.Process.ExitCode, $seconds) -ForegroundColor Cyan
            Write-Host $r.Out.Result.TrimEnd()
            if ($r.Err.Result.Trim()) { Write-Host $r.Err.Result.TrimEnd() -ForegroundColor Red }
            $s = $null
            if (Test-Path -LiteralPath $r.Summary) { try { $s = Get-Content -LiteralPath $r.Summary -Raw | ConvertFrom-Json } catch { $s = $null } }
            $done.Add([pscustomobject]@{ Name = $r.Name; File = $r.File; Exit = $r.Process.ExitCode; Seconds = $seconds; Summary = $s })
            $r.Process.Dispose()
        }
    }
}
finally {
    foreach ($r in $running) {
        if (-not $r.Process.HasExited) { $r.Process.Kill($true); $null = $r.Process.WaitForExit(10000) }
        $r.Process.Dispose()
    }
}

$passed = 0; $failed = 0; $skipped = 0
$tests = [Collections.Generic.List[object]]::new()
$failedNames = [Collections.Generic.List[string]]::new()
foreach ($d in $done) {
    $s = $d.Summary
    if ($null -eq $s -or $null -eq $s.Passed -or $null -eq $s.Failed) {
        # No readable summary: the file crashed or its result was lost. Never report that as a pass.
        Write-Host "$($d.Name): no readable summary (exit $($d.Exit)): counted as a failure." -ForegroundColor Red
        $failed++
        $failedNames.Add("$($d.Name) (no result)")
        continue
    }
    $passed += [int] $s.Passed; $failed += [int] $s.Failed; $skipped += [int] $s.Skipped
    foreach ($t in @($s.Tests)) { if ($t) { $tests.Add($t) } }
    foreach ($n in @($s.FailedTests)) { if ($n) { $failedNames.Add("$n") } }
    if ($d.Exit -ne 0 -and [int] $s.Failed -eq 0) { $failed++; $failedNames.Add("$($d.Name) (exit $($d.Exit))") }
}
Write-Summary $SummaryPath $passed $failed $skipped $tests $failedNames
Write-Host ''
Write-Host ("Pester parts (wall {0:N1} s):" -f $clock.Elapsed.TotalSeconds)
foreach ($d in $done | Sort-Object Seconds -Descending) {
    $counts = if ($d.Summary) { "$($d.Summary.Passed) passed, $($d.Summary.Failed) failed" } else { 'no result' }
    Write-Host ("  {0,7:N1} s  {1}  ({2})" -f $d.Seconds, $d.Name, $counts)
}
if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
exit 0
