# Pester tests for Invoke-LeadEnrichmentRunbook.ps1, and the pattern to copy for your own runbooks:
#   1. install the Leadspace simulator (a .NET tool) and start it on a free port: it prints its base URI first;
#   2. point the runbook at it through the LEADSPACE_* environment variables;
#   3. run the runbook the way the scheduler will (a new pwsh, -File) and assert its files, its exit code and what the
#      simulator charged (GET /__stats). POST /__config changes the simulator's behaviour between tests (credits,
#      error rate, latency, accepted tokens), POST /__reset clears its counters. No credit is spent.
# Needs the .NET SDK (or runtime) 10 with ASP.NET Core for the simulator, and Pester 5.

BeforeAll {
    $script:runbook = Join-Path $PSScriptRoot 'Invoke-LeadEnrichmentRunbook.ps1'
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ('leadspace-runbook-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null

    # ---- The Leadspace simulator: these lines are all your own BeforeAll needs -------------------------------------
    # --source: the folder or feed holding Leadspace.Simulator.<version>.nupkg (this repository: out/packages, written
    # by ./build.ps1 -Task Package, which ./build.ps1 -Task Test runs first).
    $packages = if ($env:LEADSPACE_TEST_PACKAGES) { $env:LEADSPACE_TEST_PACKAGES } else { Join-Path $PSScriptRoot '../../out/packages' }
    $install = dotnet tool install Leadspace.Simulator --tool-path (Join-Path $work 'tools') --source $packages 2>&1
    if ($LASTEXITCODE -ne 0) { throw "dotnet tool install Leadspace.Simulator failed (run ./build.ps1 -Task Package first): $install" }
    $start = [Diagnostics.ProcessStartInfo]::new((Join-Path $work 'tools/leadspace-simulator'))
    foreach ($a in '--port', '0', '--token', 'runbook-test-token', '--rate', '100', '--exit-on-stdin-eof') { $start.ArgumentList.Add($a) }
    $start.RedirectStandardOutput = $true   # its first line is the base URI
    $start.RedirectStandardInput = $true    # --exit-on-stdin-eof: it ends with this process, whatever happens
    $script:simulator = [Diagnostics.Process]::Start($start)
    $script:baseUri = $simulator.StandardOutput.ReadLine()   # e.g. http://127.0.0.1:43121
    if ($baseUri -notmatch '^http://127\.0\.0\.1:\d+$') { throw "The simulator did not start: '$baseUri'." }
    # ---------------------------------------------------------------------------------------------------------------

    function script:Get-SimulatorStats {
        # As a hashtable: chargesByExternalId may hold ids that differ only by case.
        (Invoke-WebRequest -Uri "$baseUri/__stats" -UseBasicParsing).Content | ConvertFrom-Json -AsHashtable
    }
    function script:Set-SimulatorConfig([hashtable] $Config) {
        $null = Invoke-RestMethod -Uri "$baseUri/__config" -Method Post -ContentType 'application/json' -Body ($Config | ConvertTo-Json -Compress)
    }
    function script:Reset-Simulator {
        $null = Invoke-RestMethod -Uri "$baseUri/__reset" -Method Post -ContentType 'application/json' -Body '{}'
        Set-SimulatorConfig @{ credits = -1; errorRate = 0; latencyMs = 0; jitterMs = 0; tokens = @('runbook-test-token') }
    }
    # The simulator completes (and charges) calls whose client went away: wait until every call it took has answered.
    function script:Get-SettledStats {
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ($true) {
            $s = Get-SimulatorStats
            $answered = ($s.statusCounts.Values | Measure-Object -Sum).Sum + $s.dropped
            if ($answered -ge $s.calls) {
                Start-Sleep -Milliseconds 300   # the charge follows the answer by a moment
                $again = Get-SimulatorStats
                if ($again.creditsCharged -eq $s.creditsCharged -and $again.calls -eq $s.calls) { return $again }
            }
            if ([DateTime]::UtcNow -gt $deadline) { throw "The simulator still had calls in progress: $($s | ConvertTo-Json -Compress)" }
            Start-Sleep -Milliseconds 100
        }
    }

    # ---- Running the runbook as the scheduler does: a new pwsh, -File, credentials in its environment --------------
    # The pwsh running these tests (under `dotnet pwsh` the process is dotnet, with pwsh.dll in $PSHOME).
    $script:pwsh = @([Environment]::ProcessPath)
    if ([IO.Path]::GetFileNameWithoutExtension($pwsh[0]) -eq 'dotnet') { $script:pwsh += Join-Path $PSHOME 'pwsh.dll' }
    # Where `Import-Module Leadspace` finds the module: installed (Install-PSResource Leadspace), nothing to do; this
    # repository's tests put the built module (out/Leadspace) first on the child's PSModulePath.
    $module = if ($env:LEADSPACE_TEST_MODULE) { $env:LEADSPACE_TEST_MODULE } else { Join-Path $PSScriptRoot '../../out/Leadspace/Leadspace.psd1' }
    $script:moduleRoot = Split-Path -Parent (Split-Path -Parent (Resolve-Path $module).Path)

    function script:Start-Runbook([string[]] $Arguments, [hashtable] $Environment = @{}) {
        $psi = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $runbook) + $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.Environment['PSModulePath'] = $moduleRoot + [IO.Path]::PathSeparator + $env:PSModulePath
        $psi.Environment['LEADSPACE_BASE_URI'] = $baseUri
        $psi.Environment['LEADSPACE_API_TOKEN'] = 'runbook-test-token'
        $psi.Environment['LEADSPACE_PROGRAM_ID'] = 'runbook-test'
        $psi.Environment.Remove('LEADSPACE_OAUTH_SECRET') | Out-Null
        foreach ($k in $Environment.Keys) {
            if ($null -eq $Environment[$k]) { $psi.Environment.Remove($k) | Out-Null } else { $psi.Environment[$k] = $Environment[$k] }
        }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        $p | Add-Member -NotePropertyName StdOut -NotePropertyValue $p.StandardOutput.ReadToEndAsync()
        $p | Add-Member -NotePropertyName StdErr -NotePropertyValue $p.StandardError.ReadToEndAsync() -PassThru
    }

    function script:Wait-Runbook($Process) {
        try {
            if (-not $Process.WaitForExit(180000)) { $Process.Kill($true); throw 'The runbook did not end within 3 minutes.' }
            $Process.WaitForExit()
            $out = @($Process.StdOut.Result -split '\r?\n' | Where-Object { $_ })
            $summary = $out | Where-Object { $_ -like 'Leadspace runbook: *' } | Select-Object -Last 1
            $counts = @{}
            foreach ($m in [regex]::Matches("$summary", '(\d+) (rows in|enriched|not matched|invalid|failed|not sent|from the API|from the journal|duplicates|resent after an interrupted run|calls|credits)\b')) {
                $counts[$m.Groups[2].Value] = [int] $m.Groups[1].Value
            }
            [pscustomobject]@{
                ExitCode = $Process.ExitCode
                Output   = $out
                Errors   = $Process.StdErr.Result
                Summary  = $summary
                Counts   = $counts
                Text     = "exit $($Process.ExitCode)`n$($Process.StdOut.Result)`n$($Process.StdErr.Result)"
            }
        }
        finally { $Process.Dispose() }
    }

    # A command line from the help header, run as a scheduler's shell runs it (/bin/sh -c), with the same environment.
    function script:Invoke-ShellLine([string] $Line) {
        $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
        $psi.ArgumentList.Add('-c'); $psi.ArgumentList.Add($Line)
        $psi.WorkingDirectory = $PSScriptRoot
        $psi.Environment['PSModulePath'] = $moduleRoot + [IO.Path]::PathSeparator + $env:PSModulePath
        $psi.Environment['LEADSPACE_BASE_URI'] = $baseUri
        $psi.Environment['LEADSPACE_API_TOKEN'] = 'runbook-test-token'
        $psi.Environment['LEADSPACE_PROGRAM_ID'] = 'runbook-test'
        $psi.Environment.Remove('LEADSPACE_OAUTH_SECRET') | Out-Null
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        $p | Add-Member -NotePropertyName StdOut -NotePropertyValue $p.StandardOutput.ReadToEndAsync()
        $p | Add-Member -NotePropertyName StdErr -NotePropertyValue $p.StandardError.ReadToEndAsync()
        Wait-Runbook $p
    }

    function script:Invoke-Runbook([string[]] $Arguments, [hashtable] $Environment = @{}) {
        Wait-Runbook (Start-Runbook $Arguments $Environment)
    }

    # One folder per test: the input, the output, the retry file, the journal.
    function script:New-Case([string] $Name, [int] $Rows) {
        $dir = Join-Path $work $Name
        New-Item -ItemType Directory -Path $dir | Out-Null
        $leads = @(1..$Rows | ForEach-Object {
                [pscustomobject]@{ 'Lead ID' = "L$_"; 'First Name' = "First$_"; 'Last Name' = "Last$_"; 'Email Address' = "p$_@$Name.example"; 'Company' = "$Name Company $_"; 'Owner' = "owner$($_ % 3)" }
            })
        [pscustomobject]@{
            Dir    = $dir
            Input  = Join-Path $dir 'leads.csv'
            Output = Join-Path $dir 'enriched.csv'
            Retry  = Join-Path $dir 'enriched.retry.csv'
            Leads  = $leads
            Args   = @('-InputPath', (Join-Path $dir 'leads.csv'), '-OutputPath', (Join-Path $dir 'enriched.csv'), '-RequestsPerSecond', '100')
        }
    }
    function script:Save-Input($Case) { $Case.Leads | Export-Csv -LiteralPath $Case.Input -NoTypeInformation -Encoding utf8 }
    function script:Get-Partial($Case) { @(Get-ChildItem -LiteralPath $Case.Dir -Filter '*.partial' | ForEach-Object Name) }
}

AfterAll {
    if ($simulator) {
        $simulator.StandardInput.Close()   # --exit-on-stdin-eof
        if (-not $simulator.WaitForExit(5000)) { $simulator.Kill($true) }
        $simulator.Dispose()
    }
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-LeadEnrichmentRunbook.ps1' {
    BeforeEach { Reset-Simulator }

    It 'happy path: exit 0, every row in the output in input order, no retry file, one credit per row; a rerun pays nothing' {
        $case = New-Case 'happy' 40
        Save-Input $case

        $r = Invoke-Runbook $case.Args
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Summary | Should -Match '^Leadspace runbook: exit 0 \(Completed\): 40 rows in, 40 to '
        $r.Counts['from the API'] | Should -Be 40
        $r.Counts['credits'] | Should -Be 40
        $r.Errors | Should -BeNullOrEmpty

        $rows = @(Import-Csv -LiteralPath $case.Output)
        $rows.Count | Should -Be 40
        $rows.'Lead ID' | Should -Be $case.Leads.'Lead ID'
        $rows.Owner | Should -Be $case.Leads.Owner                # the input columns come first, unchanged
        $rows.RowNumber | Should -Be (1..40 | ForEach-Object { "$_" })
        $rows | Where-Object { $_.Status -notin 'Enriched', 'NotMatched' } | Should -BeNullOrEmpty
        $case.Retry | Should -Not -Exist
        Get-Partial $case | Should -BeNullOrEmpty

        $stats = Get-SimulatorStats
        $stats.creditsCharged | Should -Be 40
        $stats.duplicateCharges | Should -Be 0
        @($stats.chargesByExternalId.Keys | Sort-Object) | Should -Be @($case.Leads.'Lead ID' | Sort-Object)

        # The same command again (tomorrow's schedule, or a retry of a run that in fact succeeded): from the journal.
        $again = Invoke-Runbook $case.Args
        $again.ExitCode | Should -Be 0 -Because $again.Text
        $again.Counts['from the journal'] | Should -Be 40
        (Get-SimulatorStats).creditsCharged | Should -Be 40
        $rerun = @(Import-Csv -LiteralPath $case.Output)
        $rerun.'Lead ID' | Should -Be $case.Leads.'Lead ID'
        $rerun.CompanyLsId | Should -Be $rows.CompanyLsId
        @($rerun.Source | Sort-Object -Unique) | Should -Be 'Journal'
    }

    It 'invalid rows: exit 2, the retry file holds them with the reason and they cost nothing; fixed, a rerun pays only for them' {
        $case = New-Case 'invalid' 20
        foreach ($i in 4, 11) { $case.Leads[$i].Company = ''; $case.Leads[$i].'Email Address' = '' }   # L5, L12: a person without company, email or website
        Save-Input $case

        $r = Invoke-Runbook $case.Args
        $r.ExitCode | Should -Be 2 -Because $r.Text
        $r.Summary | Should -Match "^Leadspace runbook: exit 2 \(Completed\): 20 rows in, 18 to '.*', 2 to retry in '.*enriched\.retry\.csv'"
        $r.Counts['invalid'] | Should -Be 2

        $rows = @(Import-Csv -LiteralPath $case.Output)
        $rows.'Lead ID' | Should -Be @($case.Leads.'Lead ID' | Where-Object { $_ -notin 'L5', 'L12' })
        $retry = @(Import-Csv -LiteralPath $case.Retry)
        $retry.'Lead ID' | Should -Be 'L5', 'L12'
        $retry.'First Name' | Should -Be 'First5', 'First12'         # the input row itself...
        $retry.Owner | Should -Be $case.Leads[4].Owner, $case.Leads[11].Owner
        $retry.LeadspaceRow | Should -Be '5', '12'                   # ...then why
        $retry.LeadspaceStatus | Should -Be 'Invalid', 'Invalid'
        $retry.LeadspaceErrorId | Should -Be 'LeadspaceInvalidInput', 'LeadspaceInvalidInput'
        $retry[0].LeadspaceMessage | Should -Not -BeNullOrEmpty
        Get-Partial $case | Should -BeNullOrEmpty
        (Get-SimulatorStats).creditsCharged | Should -Be 18
        (Get-SimulatorStats).calls | Should -Be 18

        # Fix the data, run the same command: the retry file goes away, only the two fixed rows are paid for.
        foreach ($i in 4, 11) { $case.Leads[$i].Company = "Fixed Company $i" }
        Save-Input $case
        $fixed = Invoke-Runbook $case.Args
        $fixed.ExitCode | Should -Be 0 -Because $fixed.Text
        @(Import-Csv -LiteralPath $case.Output).'Lead ID' | Should -Be $case.Leads.'Lead ID'
        $case.Retry | Should -Not -Exist
        (Get-SimulatorStats).creditsCharged | Should -Be 20
    }

    It '427 half-way: exit 3, answered rows in the output and the rest to retry; with credits added, the rerun completes it and pays once per distinct row' {
        $case = New-Case 'credits' 60
        # Row 60 asks for the same as row 7 (another CRM record of the same person): sent once.
        $case.Leads[59] = $case.Leads[6].psobject.Copy(); $case.Leads[59].'Lead ID' = 'L60'
        Save-Input $case
        Set-SimulatorConfig @{ credits = 25 }

        $r = Invoke-Runbook $case.Args
        $r.ExitCode | Should -Be 3 -Because $r.Text
        $r.Summary | Should -Match '^Leadspace runbook: exit 3 \(LeadspaceCreditsExhausted\): 60 rows in'
        $r.Errors | Should -Match 'credits'
        $r.Errors | Should -Match 'run the same command again'      # a runbook is rerun, not fed $err.TargetObject
        $r.Errors | Should -Not -Match 'TargetObject'
        (Get-SettledStats).creditsCharged | Should -Be 25

        $rows = @(Import-Csv -LiteralPath $case.Output)
        $retry = @(Import-Csv -LiteralPath $case.Retry)
        $rows | Where-Object { $_.Status -notin 'Enriched', 'NotMatched' } | Should -BeNullOrEmpty
        $rows.Count | Should -Be (25 + @($rows | Where-Object Source -eq 'Duplicate').Count)
        $rows.Count + $retry.Count | Should -Be 60
        @($rows.'Lead ID') + @($retry.'Lead ID') | Sort-Object | Should -Be @($case.Leads.'Lead ID' | Sort-Object)
        $rows.RowNumber | ForEach-Object { [int] $_ } | Should -Be ($rows.RowNumber | ForEach-Object { [int] $_ } | Sort-Object)
        $retry.LeadspaceRow | ForEach-Object { [int] $_ } | Should -Be ($retry.LeadspaceRow | ForEach-Object { [int] $_ } | Sort-Object)
        foreach ($row in $retry) {
            $row.LeadspaceStatus | Should -BeIn 'NotSent', 'Failed'
            $row.LeadspaceErrorId | Should -Be $(if ($row.LeadspaceStatus -eq 'NotSent') { 'LeadspaceNotSent' } else { 'LeadspaceCreditsExhausted' })
            $row.'First Name' | Should -Be ($case.Leads | Where-Object 'Lead ID' -eq $row.'Lead ID').'First Name'
        }
        Get-Partial $case | Should -BeNullOrEmpty

        Set-SimulatorConfig @{ credits = -1 }   # credits added
        $rerun = Invoke-Runbook $case.Args
        $rerun.ExitCode | Should -Be 0 -Because $rerun.Text
        # The 25 answers bought, and row 60's too if row 7 was among them (same request).
        $rerun.Counts['from the journal'] | Should -Be (25 + [int] ($rows.'Lead ID' -contains 'L7'))
        $final = @(Import-Csv -LiteralPath $case.Output)
        $final.'Lead ID' | Should -Be $case.Leads.'Lead ID'
        $final[59].Source | Should -BeIn 'Duplicate', 'Journal'
        $final[59].CompanyLsId | Should -Be $final[6].CompanyLsId
        $case.Retry | Should -Not -Exist                              # the earlier run's retry file is gone
        Get-Partial $case | Should -BeNullOrEmpty
        $stats = Get-SettledStats
        $stats.creditsCharged | Should -Be 59                         # the distinct requests, each once
        $stats.duplicateCharges | Should -Be 0
        @($stats.chargesByExternalId.Keys | Sort-Object) | Should -Be @($case.Leads.'Lead ID' | Where-Object { $_ -ne 'L60' } | Sort-Object)
    }

    It '-MaxCredits 20 on 50 rows: exit 3, 20 charged, the rest to retry as LeadspaceBudgetExhausted; the rerun with a new cap completes it, nothing paid twice' {
        $case = New-Case 'cap' 50
        Save-Input $case
        $r = Invoke-Runbook ($case.Args + @('-MaxCredits', '20'))
        $r.ExitCode | Should -Be 3 -Because $r.Text
        $r.Summary | Should -Match '^Leadspace runbook: exit 3 \(LeadspaceBudgetExhausted\): 50 rows in, 20 to '
        $r.Errors | Should -Match 'The credit budget \(-MaxCredits 20\) is spent'
        $r.Errors | Should -Match '30 not sent for the budget'
        (Get-SettledStats).creditsCharged | Should -Be 20
        $retry = @(Import-Csv -LiteralPath $case.Retry)
        $retry.Count | Should -Be 30
        $retry.LeadspaceErrorId | Sort-Object -Unique | Should -Be 'LeadspaceBudgetExhausted'
        $retry.LeadspaceStatus | Sort-Object -Unique | Should -Be 'NotSent'

        $rerun = Invoke-Runbook ($case.Args + @('-MaxCredits', '100'))
        $rerun.ExitCode | Should -Be 0 -Because $rerun.Text
        $rerun.Counts['from the journal'] | Should -Be 20
        @(Import-Csv -LiteralPath $case.Output).'Lead ID' | Should -Be $case.Leads.'Lead ID'
        $stats = Get-SettledStats
        $stats.creditsCharged | Should -Be 50
        $stats.duplicateCharges | Should -Be 0
    }

    It '10 % 5xx: retried; every row ends answered or in the retry file as failed, and nothing is charged twice' {
        $case = New-Case 'errors' 60
        Save-Input $case
        Set-SimulatorConfig @{ errorRate = 0.1 }

        $r = Invoke-Runbook $case.Args
        $stats = Get-SettledStats
        $fiveXx = ($stats.statusCounts.GetEnumerator() | Where-Object { [int] $_.Key -ge 500 } | Measure-Object -Property Value -Sum).Sum
        $fiveXx | Should -BeGreaterThan 0
        $rows = @(Import-Csv -LiteralPath $case.Output)
        $rows | Where-Object { $_.Status -notin 'Enriched', 'NotMatched' } | Should -BeNullOrEmpty
        $stats.creditsCharged | Should -Be $rows.Count
        $stats.duplicateCharges | Should -Be 0
        @($rows | Where-Object { [int] $_.Attempts -gt 1 }).Count | Should -BeGreaterThan 0   # saved by a retry
        # A row fails only if its 5xx answers may have been charged (502/504) more often than it may be resent.
        if ($rows.Count -eq 60) {
            $r.ExitCode | Should -Be 0 -Because $r.Text
            $case.Retry | Should -Not -Exist
        }
        else {
            $r.ExitCode | Should -Be 2 -Because $r.Text
            $retry = @(Import-Csv -LiteralPath $case.Retry)
            $retry.Count | Should -Be (60 - $rows.Count)
            $retry.LeadspaceStatus | Sort-Object -Unique | Should -Be 'Failed'
            $retry.LeadspaceErrorId | Sort-Object -Unique | Should -Be 'LeadspaceServerError'
        }
        Get-Partial $case | Should -BeNullOrEmpty
    }

    It 'a wrong token: exit 3, nothing charged, every row in the retry file' {
        $case = New-Case 'token' 20
        Save-Input $case

        $r = Invoke-Runbook $case.Args @{ LEADSPACE_API_TOKEN = 'not-the-token' }
        $r.ExitCode | Should -Be 3 -Because $r.Text
        $r.Summary | Should -Match '^Leadspace runbook: exit 3 \(LeadspaceUnauthorized\): 20 rows in, 0 to '
        $r.Text | Should -Not -Match 'not-the-token'
        $r.Errors | Should -Match 'run the same command again'
        $r.Errors | Should -Not -Match 'TargetObject'
        $case.Output | Should -Exist
        @(Import-Csv -LiteralPath $case.Output).Count | Should -Be 0
        $retry = @(Import-Csv -LiteralPath $case.Retry)
        $retry.'Lead ID' | Should -Be $case.Leads.'Lead ID'
        $retry.LeadspaceErrorId | Sort-Object -Unique | ForEach-Object { $_ | Should -BeIn 'LeadspaceUnauthorized', 'LeadspaceNotSent' }
        $stats = Get-SettledStats
        $stats.creditsCharged | Should -Be 0
        $stats.statusCounts['401'] | Should -BeGreaterThan 0
    }

    It 'killed in the middle: no file under a final name; the rerun completes the output and pays once per row, plus at most once for rows that were on the wire' {
        $case = New-Case 'kill' 200
        Save-Input $case
        # Yesterday's files: a run that is under way must not leave them looking like its own.
        Set-Content -LiteralPath $case.Output -Value '"Lead ID"', '"yesterday"'
        Set-Content -LiteralPath $case.Retry -Value '"Lead ID"', '"yesterday"'
        Set-SimulatorConfig @{ latencyMs = 500 }

        $p = Start-Runbook $case.Args
        # A fresh pwsh can take long to start on a busy machine: the one-minute guard starts at the run's first call.
        $startup = [DateTime]::UtcNow.AddSeconds(300)
        while (-not $p.HasExited -and (Get-SimulatorStats).calls -lt 1 -and [DateTime]::UtcNow -lt $startup) { Start-Sleep -Milliseconds 50 }
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ((Get-SimulatorStats).creditsCharged -lt 50) {
            if ($p.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "The run ended before it could be killed: $((Wait-Runbook $p).Text)" }
            Start-Sleep -Milliseconds 50
        }
        $p.Kill($true)   # SIGKILL: no finally block, no flush
        $p.WaitForExit()
        $p.Dispose()
        $atKill = Get-SettledStats
        $atKill.creditsCharged | Should -BeLessThan 200   # really in the middle

        $case.Output | Should -Not -Exist
        $case.Retry | Should -Not -Exist
        Get-Partial $case | Should -Contain 'enriched.csv.partial'   # a torn file, under a name no reader takes

        Set-SimulatorConfig @{ latencyMs = 0 }
        $r = Invoke-Runbook $case.Args
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $rows = @(Import-Csv -LiteralPath $case.Output)
        $rows.'Lead ID' | Should -Be $case.Leads.'Lead ID'
        $rows.RowNumber | Should -Be (1..200 | ForEach-Object { "$_" })
        $case.Retry | Should -Not -Exist
        Get-Partial $case | Should -BeNullOrEmpty

        $after = Get-SettledStats
        $resent = $r.Counts['resent after an interrupted run']
        $r.Counts['from the journal'] + $r.Counts['from the API'] | Should -Be 200
        @($rows | Where-Object Source -eq 'Journal').Count | Should -Be $r.Counts['from the journal']
        # The rerun paid for exactly the rows the journal had no answer for...
        $after.creditsCharged - $atKill.creditsCharged | Should -Be (200 - $r.Counts['from the journal'])
        # ...so every row was charged once, and again only if it was on the wire at the kill (no idempotency key).
        $after.chargesByExternalId.Count | Should -Be 200
        $after.creditsCharged | Should -Be (200 + $after.duplicateCharges)
        $after.duplicateCharges | Should -BeLessOrEqual $resent
        # Rows resent are those the journal saw go out without an answer: at most the calls that can be on their way at
        # once (-MaxConcurrency, 64 by default). Not "calls the simulator had received at the kill": the write-ahead
        # record is written before the request reaches the server, so a row killed in between is rightly resent too
        # (once: it was never charged, which the exact charge counts above prove).
        $resent | Should -BeLessOrEqual 64
    }

    It 'a second run while the first is under way: exit 1 at once, and the first run''s files are untouched' {
        $case = New-Case 'overlap' 20
        Save-Input $case
        # The first run's answers are held (ten minutes of latency) until the second run has ended, then released:
        # the overlap is made by the test, not hoped for from timing.
        Set-SimulatorConfig @{ latencyMs = 600000 }

        $first = Start-Runbook $case.Args
        # Only a guard against a run that never starts: a fresh pwsh can take minutes to start on a busy machine.
        $deadline = [DateTime]::UtcNow.AddSeconds(300)
        while ((Get-SimulatorStats).calls -lt 1) {
            if ($first.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "The first run ended early: $((Wait-Runbook $first).Text)" }
            Start-Sleep -Milliseconds 50
        }
        $second = Invoke-Runbook $case.Args
        $first.HasExited | Should -BeFalse -Because 'the second run must have started while the first was under way'
        $second.ExitCode | Should -Be 1 -Because $second.Text
        $second.Errors | Should -Match 'journal'
        $second.Summary | Should -Match '^Leadspace runbook: exit 1 '

        Set-SimulatorConfig @{ latencyMs = 0 }
        $null = Invoke-RestMethod -Uri "$baseUri/__release" -Method Post -ContentType 'application/json' -Body '{}'
        $r = Wait-Runbook $first
        $r.ExitCode | Should -Be 0 -Because $r.Text
        @(Import-Csv -LiteralPath $case.Output).'Lead ID' | Should -Be $case.Leads.'Lead ID'
        Get-Partial $case | Should -BeNullOrEmpty
        (Get-SettledStats).creditsCharged | Should -Be 20
    }

    It 'runs every pwsh -File example of its help header as written (its /data folder made a test folder)' -Skip:(-not (Test-Path /bin/sh)) {
        $case = New-Case 'examples' 6
        Save-Input $case
        # The accounts export of the second example: semicolons, and column names the alias table does not know.
        $accounts = 1..5 | ForEach-Object { [pscustomobject]@{ 'SFDC Id' = "001Ex$_"; 'Acct Legal Name' = "Example Account $_ Ltd"; 'Segment' = 'Mid' } }
        $accounts | Export-Csv -LiteralPath (Join-Path $case.Dir 'accounts.csv') -NoTypeInformation -Encoding utf8 -Delimiter ';'

        $header = ([IO.File]::ReadAllText($runbook) -split '#>')[0]
        $lines = @([regex]::Matches($header, '(?m)^\s*(pwsh .+?)\s*$') | ForEach-Object { $_.Groups[1].Value })
        $lines.Count | Should -BeGreaterOrEqual 2
        $lines | Where-Object { $_ -match '-PropertyMap' } | Should -Not -BeNullOrEmpty
        $quote = { param($t) "'" + ($t -replace "'", "'\''") + "'" }
        $pwshCommand = ($pwsh | ForEach-Object { & $quote $_ }) -join ' '
        foreach ($line in $lines) {
            $run = $line -replace '^pwsh ', "$pwshCommand " -replace '\./Invoke-LeadEnrichmentRunbook\.ps1', (& $quote $runbook) -replace '(?<=\s)/data/', "$($case.Dir)/"
            $r = Invoke-ShellLine $run
            $r.ExitCode | Should -Be 0 -Because "$line`n$($r.Text)"
            $r.Summary | Should -Match '^Leadspace runbook: exit 0 \(Completed\)'
        }
        @(Import-Csv -LiteralPath $case.Output).Count | Should -Be 6
        $enriched = @(Import-Csv -LiteralPath (Join-Path $case.Dir 'accounts.enriched.csv') -Delimiter ';')
        $enriched.'SFDC Id' | Should -Be $accounts.'SFDC Id'
        $enriched.ExternalId | Should -Be $accounts.'SFDC Id'                              # 'SFDC Id=external_id'
        @($enriched | Where-Object { $_.Status -notin 'Enriched', 'NotMatched' }).Count | Should -Be 0   # company.name sent
        foreach ($id in $accounts.'SFDC Id') { (Get-SimulatorStats).chargesByExternalId.Keys | Should -Contain $id }

        # Without the mapping, the same accounts are not sent (the example's -PropertyMap is what makes them work).
        $unmapped = Invoke-Runbook @('-InputPath', (Join-Path $case.Dir 'accounts.csv'), '-OutputPath', (Join-Path $case.Dir 'unmapped.csv'), '-Delimiter', ';')
        $unmapped.ExitCode | Should -Be 2 -Because $unmapped.Text
        $unmapped.Counts['invalid'] | Should -Be 5
    }

    It 'has help for every parameter, and documents its exit codes' {
        $help = Get-Help $runbook -Full
        $help.Synopsis | Should -Match 'Leadspace'
        $parameters = (Get-Command $runbook).Parameters.Keys | Where-Object { $_ -notin [Management.Automation.PSCmdlet]::CommonParameters }
        $parameters | Should -Contain 'InputPath'
        foreach ($name in $parameters) {
            ($help.parameters.parameter | Where-Object name -eq $name).description.Text | Should -Not -BeNullOrEmpty -Because "-$name needs help"
        }
        $description = ($help.description.Text -join "`n")
        foreach ($code in 0..3) { $description | Should -Match "(?m)^\s+$code  \S" -Because "exit code $code" }
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
    }

    It 'bad arguments or no credentials: exit 1, nothing sent, no file' {
        $case = New-Case 'arguments' 5
        Save-Input $case

        $missing = Invoke-Runbook @('-InputPath', (Join-Path $case.Dir 'nope.csv'), '-OutputPath', $case.Output)
        $missing.ExitCode | Should -Be 1
        $missing.Errors | Should -Match 'nope\.csv'
        $missing.Summary | Should -Match '^Leadspace runbook: exit 1 '

        $noToken = Invoke-Runbook $case.Args @{ LEADSPACE_API_TOKEN = $null }
        $noToken.ExitCode | Should -Be 1
        $noToken.Errors | Should -Match 'LEADSPACE_API_TOKEN'

        $badMap = Invoke-Runbook ($case.Args + @('-PropertyMap', 'Acct Legal Name company.name'))
        $badMap.ExitCode | Should -Be 1
        $badMap.Errors | Should -Match "Column=field"
        $badMap.Summary | Should -Match '^Leadspace runbook: exit 1 \(bad arguments\)'

        $binding = Invoke-Runbook @('-InputPath', $case.Input)   # no -OutputPath: PowerShell's own parameter error
        $binding.ExitCode | Should -Be 1

        $case.Output | Should -Not -Exist
        $case.Retry | Should -Not -Exist
        Get-Partial $case | Should -BeNullOrEmpty
        (Get-SimulatorStats).calls | Should -Be 0
    }
}
