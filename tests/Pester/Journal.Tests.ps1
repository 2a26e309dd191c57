# Never pay twice: every way a run can end (a killed process, Ctrl+C, Select-Object -First, -ErrorAction Stop, 427,
# 401), then the same command again with the same -CheckpointPath. Charges are counted by the simulator.

Describe 'Invoke-LeadspaceEnrichment -CheckpointPath' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '0', '--no-match-rate', '0.2')
        $script:token = ConvertTo-Secure $sim.Token
        $script:samples = (Resolve-Path (Join-Path $PSScriptRoot '../../samples/leads.csv')).Path
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-journal-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null
        # Distinct valid requests of the sample (the module's own count: 12 rows are invalid, 1 repeats another).
        $script:sampleDistinct = 227

        # The state of a journal file as a reader sees it: answered keys, and keys sent but never settled.
        function script:Get-JournalState([string] $Path) {
            $done = @{}; $sent = @{}; $fail = @{}
            foreach ($line in Get-Content -LiteralPath $Path -Encoding utf8 | Select-Object -Skip 1) {
                try { $r = $line | ConvertFrom-Json } catch { continue }
                switch ($r.t) { 'sent' { $sent[$r.k] = 1 } 'done' { $done[$r.k] = 1 } 'fail' { $fail[$r.k] = 1 } }
            }
            [pscustomobject]@{
                Done       = $done.Count
                Unresolved = @($sent.Keys | Where-Object { -not $done.ContainsKey($_) -and -not $fail.ContainsKey($_) }).Count
            }
        }

        # The script a user would run: CSV in, CSV out, with the journal; the summary and warnings saved beside it.
        function script:Get-RunScript([string] $In, [string] $Out, [string] $Journal, [string] $Extra = '', [double] $Rate = 40) {
            @"
`$ErrorActionPreference = 'Continue'
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -RequestsPerSecond $Rate
try {
    Import-Csv '$In' | Invoke-LeadspaceEnrichment -CheckpointPath '$Journal' -ErrorAction SilentlyContinue -SummaryVariable summary -WarningVariable warned $Extra |
        Export-Csv '$Out' -NoTypeInformation -Encoding utf8
}
catch { 'TERMINATED: ' + `$_.FullyQualifiedErrorId }
`$summary | ConvertTo-Json | Set-Content '$Out.summary.json' -Encoding utf8
@(`$warned | ForEach-Object { "`$_" }) -join "``n" | Set-Content '$Out.warnings.txt' -Encoding utf8
"@
        }

        function script:Start-RunProcess([string] $Script) {
            $cmd = @(Get-FreshPwshCommand)
            $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
            foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script)))) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardOutput = $true
            $psi.UseShellExecute = $false
            $p = [System.Diagnostics.Process]::Start($psi)
            $null = $p.StandardOutput.ReadToEndAsync()
            $p
        }

        function script:New-Rows([int] $Count, [string] $Prefix) {
            1..$Count | ForEach-Object { [pscustomobject]@{ 'Lead ID' = "$Prefix-$_"; 'First Name' = "F$_"; 'Last Name' = "L$_"; Email = "p$_@$Prefix.example"; Company = "$Prefix Company $_" } }
        }

        function script:Wait-Until([scriptblock] $Condition, [int] $Seconds = 60) {
            $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
            while (-not (& $Condition)) {
                if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for: $Condition" }
                Start-Sleep -Milliseconds 50
            }
        }

        # The simulator finishes (and charges) calls whose client went away: wait until its books are closed, that is
        # until nothing is in flight there and no call came in since the last look (a request the kernel had taken but
        # the server not yet started).
        function script:Get-SettledStats {
            $previous = -1
            while ($true) {
                $s = Get-LeadspaceSimulatorStats -Simulator $sim
                if ($s.inFlight -eq 0 -and $s.calls -eq $previous) { return $s }
                $previous = if ($s.inFlight -eq 0) { $s.calls } else { -1 }
                Start-Sleep -Milliseconds 100
            }
        }
    }
    AfterAll {
        Disconnect-Leadspace -All
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    BeforeEach {
        Disconnect-Leadspace -All
        Reset-LeadspaceSimulator -Simulator $sim
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ credits = -1; latencyMs = 0; jitterMs = 0; errorRate = 0; tokens = @($sim.Token) }
    }

    It 'after kill -9 mid-run, the rerun completes the file in order and pays only for rows never answered' {
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 300; jitterMs = 50 }
        $journal = Join-Path $work 'kill.jsonl'
        $first = Join-Path $work 'kill-1.csv'
        $p = Start-RunProcess (Get-RunScript -In $samples -Out $first -Journal $journal)
        try {
            # A fresh pwsh can take long to start on a busy machine: wait for the run's first call (or the process's
            # end), then for 80 charges, so the one-minute guard times the run and not the start-up.
            Wait-Until { $p.HasExited -or (Get-LeadspaceSimulatorStats -Simulator $sim).calls -ge 1 } -Seconds 300
            Wait-Until { (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged -ge 80 }
            $p.Kill($true)   # SIGKILL: no finally, no Dispose, no flush
            $p.WaitForExit(10000) | Out-Null
        }
        finally {
            # Also when the wait failed: a run left going would keep charging the simulator through the next tests.
            if (-not $p.HasExited) { $p.Kill($true); $null = $p.WaitForExit(10000) }
            $p.Dispose()
        }
        $atKill = Get-SettledStats
        $state = Get-JournalState $journal
        $state.Done | Should -BeGreaterThan 60
        $state.Done | Should -BeLessThan $sampleDistinct   # really in the middle

        $second = Join-Path $work 'kill-2.csv'
        $r = Invoke-FreshPwsh (Get-RunScript -In $samples -Out $second -Journal $journal)
        $r.Text | Should -Not -Match 'TERMINATED'
        $after = Get-SettledStats
        $summary = Get-Content "$second.summary.json" -Raw | ConvertFrom-Json

        # Every input row exactly once, in input order.
        $rows = Import-Csv $second
        $inputRows = Import-Csv $samples
        $rows.Count | Should -Be 240
        $rows.RowNumber | Should -Be (1..240 | ForEach-Object { "$_" })
        $rows.ExternalId | Should -Be $inputRows.'Lead ID'
        # Charges: at most one per distinct request, plus the rows that were on the wire at the kill.
        $after.creditsCharged | Should -BeLessOrEqual ($sampleDistinct + $state.Unresolved)
        $after.creditsCharged - $atKill.creditsCharged | Should -Be ($sampleDistinct - $state.Done)
        # The rerun says what it did: the answered rows came from the journal, the in-flight ones were resent.
        # (A request the sample holds twice counts once in the journal but twice in the rows.)
        $fromJournal = @($rows | Where-Object Source -eq 'Journal').Count
        $summary.FromJournal | Should -Be $fromJournal
        $fromJournal | Should -BeGreaterOrEqual $state.Done
        $fromJournal | Should -BeLessOrEqual ($state.Done + 1)
        $summary.InterruptedRowsResent | Should -Be $state.Unresolved
        if ($state.Unresolved -gt 0) { Get-Content "$second.warnings.txt" -Raw | Should -Match "$($state.Unresolved) row\(s\) were in flight" }

        # The same content as an uninterrupted run (Source aside).
        Reset-LeadspaceSimulator -Simulator $sim
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 0 }
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 500
        $reference = Join-Path $work 'kill-ref.csv'
        Import-Csv $samples | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue | Export-Csv $reference -NoTypeInformation -Encoding utf8
        $ref = Import-Csv $reference
        $columns = $ref[0].psobject.Properties.Name | Where-Object { $_ -ne 'Source' }
        # Every cell compared exactly (-ceq, as Should -BeExactly does), collected and asserted once: 7,000 Should calls
        # took a minute on a busy machine.
        $differences = @(for ($i = 0; $i -lt 240; $i++) {
                foreach ($c in $columns) { if (-not ($rows[$i].$c -ceq $ref[$i].$c)) { "row $($i + 1), column ${c}: '$($rows[$i].$c)', expected '$($ref[$i].$c)'" } }
            })
        $differences | Should -BeNullOrEmpty
    }

    It 'after kill -9, -WhatIf on the journal predicts exactly the credits the rerun is charged (-MaxAmbiguousRetries <Max>)' -ForEach @(
        @{ Max = 0 }
        @{ Max = 1 }
    ) {
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 300; jitterMs = 50 }
        $journal = Join-Path $work "whatif-$Max.jsonl"
        $p = Start-RunProcess (Get-RunScript -In $samples -Out (Join-Path $work "whatif-$Max-1.csv") -Journal $journal)
        try {
            Wait-Until { (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged -ge 80 }
            $p.Kill($true)   # SIGKILL: the calls on the wire stay 'sent' in the journal, never settled
            $p.WaitForExit(10000) | Out-Null
        }
        finally { $p.Dispose() }
        $atKill = Get-SettledStats
        $state = Get-JournalState $journal
        $state.Unresolved | Should -BeGreaterThan 0 -Because 'rows must have been in flight at the kill'
        $state.Done | Should -BeLessThan $sampleDistinct

        $connect = "Import-Module '$ModulePath'; Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -RequestsPerSecond 100 -MaxAmbiguousRetries $Max"
        $whatIf = Invoke-FreshPwsh "$connect; Import-Csv '$samples' | Invoke-LeadspaceEnrichment -CheckpointPath '$journal' -WhatIf"
        $whatIf.Text | Should -Match 'spending up to (\d+) credit\(s\)'
        $predicted = [int]([regex]::Match($whatIf.Text, 'spending up to (\d+) credit\(s\)').Groups[1].Value)
        if ($Max -eq 0) { $whatIf.Text | Should -Match 'sent by an earlier run without an answer and not resent' }
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be $atKill.calls -Because '-WhatIf sends nothing'

        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 0; jitterMs = 0 }
        $rerun = Invoke-FreshPwsh "$connect; Import-Csv '$samples' | Invoke-LeadspaceEnrichment -CheckpointPath '$journal' -ErrorAction SilentlyContinue | Measure-Object | ForEach-Object { 'rows=' + `$_.Count }"
        $rerun.Text | Should -Match 'rows=240'
        $charged = (Get-SettledStats).creditsCharged - $atKill.creditsCharged
        Write-Host "-MaxAmbiguousRetries ${Max}: $($state.Unresolved) request(s) in flight at the kill, $($state.Done) answered; -WhatIf predicted $predicted credit(s), the rerun was charged $charged"
        $charged | Should -Be $predicted
        # The rows in flight are resent only when the limit allows it.
        $expected = $sampleDistinct - $state.Done - $(if ($Max -eq 0) { $state.Unresolved } else { 0 })
        $predicted | Should -Be $expected
    }

    It 'after <Name>, the rerun pays only for rows never answered' -ForEach @(
        @{ Name = 'Ctrl+C'; How = 'CtrlC' }
        @{ Name = 'Select-Object -First 5'; How = 'First' }
        @{ Name = '-ErrorAction Stop on a failed row'; How = 'Stop' }
        @{ Name = 'a 427 (credits ran out)'; How = '427' }
        @{ Name = 'a 401 (token revoked mid-run)'; How = '401' }
    ) {
        $rows = @(New-Rows 150 $How)
        $in = Join-Path $work "$How.csv"
        $rows | Export-Csv $in -NoTypeInformation
        $journal = Join-Path $work "$How.jsonl"
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 300; jitterMs = 50 }
        $run = "Import-Module '$ModulePath'; Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -RequestsPerSecond 40; "
        $pipe = "Import-Csv '$in' | Invoke-LeadspaceEnrichment -CheckpointPath '$journal'"
        switch ($How) {
            'CtrlC' {
                $ps = [powershell]::Create()
                try {
                    $handle = $ps.AddScript($run + $pipe + ' -ErrorAction SilentlyContinue').BeginInvoke()
                    Wait-Until { (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged -ge 40 }
                    $watch = [Diagnostics.Stopwatch]::StartNew()
                    $ps.Stop()
                    # Returns at once (a generous bound against hangs): the calls on the wire finish in the background.
                    $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
                }
                finally { $ps.Dispose() }
            }
            'First' {
                $ps = [powershell]::Create()
                try { $out = $ps.AddScript($run + $pipe + ' | Select-Object -First 5').Invoke(); $out.Count | Should -Be 5 }
                finally { $ps.Dispose() }
            }
            'Stop' {
                # Row 40 is invalid (no company, email or website) and -ErrorAction Stop ends the run there.
                Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0 }
                $ps = [powershell]::Create()
                try {
                    $null = $ps.AddScript($run + "Import-Csv '$in' | ForEach-Object { if (`$_.'Lead ID' -eq 'Stop-40') { `$_.Company = ''; `$_.Email = '' }; `$_ } | Invoke-LeadspaceEnrichment -CheckpointPath '$journal' -ErrorAction Stop").Invoke()
                }
                catch { $_.Exception.Message | Should -Match 'Row 40' }
                finally { $ps.Dispose() }
                $rows[39].Company = 'Fixed Company 40'; $rows[39].Email = 'fixed@stop.example'
                $rows | Export-Csv $in -NoTypeInformation
            }
            '427' {
                Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ credits = 60 }
                $r = Invoke-FreshPwsh ($run + "try { $pipe -ErrorAction SilentlyContinue | Out-Null } catch { 'TERMINATED: ' + `$_.FullyQualifiedErrorId }")
                $r.Text | Should -Match 'TERMINATED: LeadspaceCreditsExhausted'
                Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ credits = -1 }
            }
            '401' {
                $ps = [powershell]::Create()
                try {
                    $handle = $ps.AddScript($run + "try { $pipe -ErrorAction SilentlyContinue | Out-Null } catch { 'TERMINATED: ' + `$_.FullyQualifiedErrorId }").BeginInvoke()
                    Wait-Until { (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged -ge 40 }
                    Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ tokens = @('someone-else') }   # revoked
                    ($ps.EndInvoke($handle) -join ' ') | Should -Match 'TERMINATED: LeadspaceUnauthorized'
                }
                finally { $ps.Dispose() }
                Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ tokens = @($sim.Token) }
            }
        }
        $first = Get-SettledStats
        $state = Get-JournalState $journal
        $state.Done | Should -BeGreaterThan 0
        $state.Done | Should -BeLessThan 150

        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 100
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 0; jitterMs = 0 }
        $final = Import-Csv $in | Invoke-LeadspaceEnrichment -CheckpointPath $journal -SummaryVariable summary
        $after = Get-SettledStats
        $final.Count | Should -Be 150
        $final.ExternalId | Should -Be $rows.'Lead ID'
        @($final | Where-Object { "$($_.Status)" -notin 'Enriched', 'NotMatched' }).Count | Should -Be 0
        # The rerun paid exactly for the requests the first run never got an answer to.
        ($after.creditsCharged - $first.creditsCharged) | Should -Be (150 - $state.Done)
        $summary.FromJournal | Should -Be $state.Done
        $after.creditsCharged | Should -BeLessOrEqual (150 + $state.Unresolved)
    }

    It 'Ctrl+C ends a run''s wait for a run of this process that is still closing the same journal, within a second' {
        # The first run is stopped while its calls are on the wire (20 s answers): they go on answering into the journal
        # in the background, and a second run on the journal in this process waits for that instead of finding it locked.
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 20000; jitterMs = 0 }
        $in = Join-Path $work 'closing.csv'
        New-Rows 5 'closing' | Export-Csv $in -NoTypeInformation
        $journal = Join-Path $work 'closing.jsonl'
        $run = "Import-Module '$ModulePath'; Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -TimeoutSec 30; "
        $pipe = "Import-Csv '$in' | Invoke-LeadspaceEnrichment -CheckpointPath '$journal' -ErrorAction SilentlyContinue"
        $first = [powershell]::Create()
        $second = [powershell]::Create()
        try {
            $null = $first.AddScript($run + $pipe).BeginInvoke()
            Wait-Until { (Get-LeadspaceSimulatorStats -Simulator $sim).calls -ge 5 }
            $first.Stop() # the journal is now closing in the background
            $ready = Join-Path $work 'closing.ready'
            $waiting = $second.AddScript($run + "Set-Content '$ready' 'connected'; " + $pipe).BeginInvoke()
            Wait-Until { Test-Path $ready }
            Start-Sleep -Milliseconds 1500 # into Invoke-LeadspaceEnrichment's BeginProcessing, waiting
            $waiting.IsCompleted | Should -BeFalse -Because 'the second run waits for the first to close the journal'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $second.Stop()
            $watch.Stop()
            $second.InvocationStateInfo.State | Should -Be 'Stopped'
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 1
        }
        finally {
            $second.Dispose()
            $first.Dispose()
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 0 }
            # The first run's five calls are still held by the 20 s latency, and the simulator charges them when they
            # end: answer them now and let them land, so that they are not charged after the next test's reset.
            $null = Invoke-RestMethod -Uri "$($sim.BaseUri)/__release" -Method Post -ContentType 'application/json' -Body '{}'
            $null = Get-SettledStats
        }
    }

    It 'with -ErrorAction Stop, an invalid row stops the run before further paid calls, even with slow answers' {
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 1000 }
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 30
        $rows = @(New-Rows 120 'early')
        $rows[6] = [pscustomobject]@{ 'Lead ID' = 'early-bad'; 'First Name' = 'No'; 'Last Name' = 'Company' }
        $caught = $null
        try { $rows | Invoke-LeadspaceEnrichment -ErrorAction Stop | Out-Null } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Match '^LeadspaceInvalidInput'
        $stats = Get-SettledStats
        # Only the six rows before it were paid for (before the fix: 76 at this latency).
        $stats.creditsCharged | Should -BeLessOrEqual 6
    }

    It 'without a journal, an early stop counts the paid calls it discarded (its warning: EarlyStop.Tests.ps1)' {
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 400 }
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 40
        $verboseFile = Join-Path $work 'verbose.txt'
        $out = New-Rows 80 'verbose' | Invoke-LeadspaceEnrichment -Verbose -SummaryVariable summary 4> $verboseFile | Select-Object -First 3
        $out.Count | Should -Be 3
        $summary.Ending | Should -Be 'Stopped downstream'
        $summary.CallsDiscarded | Should -BeGreaterThan 0
        $null = Get-SettledStats   # the calls it abandoned are still charged by the server: let them land before the next test
    }

    It 'sends every repeated row once, and says how many calls that saved' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 500
        $distinct = @(New-Rows 40 'dup')
        $tripled = @(1..3 | ForEach-Object { $n = $_; $distinct | ForEach-Object { $c = $_.psobject.Copy(); $c.'Lead ID' = "$($_.'Lead ID')-copy$n"; $c.Email = if ($n -eq 2) { $_.Email.ToUpper() } else { $_.Email }; $c } })
        $out = $tripled | Invoke-LeadspaceEnrichment -SummaryVariable summary -Verbose 4>$null
        $out.Count | Should -Be 120
        $out.ExternalId | Should -Be $tripled.'Lead ID'
        (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged | Should -Be 40
        @($out | Where-Object Source -eq 'Duplicate').Count | Should -Be 80
        $summary.Duplicates | Should -Be 80
        $summary.CallsMade | Should -Be 40
        # -NoDedupe sends them all.
        Reset-LeadspaceSimulator -Simulator $sim
        $tripled | Invoke-LeadspaceEnrichment -NoDedupe | Out-Null
        (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged | Should -Be 120
    }

    It 'skips a torn last line with a warning, and carries on' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 500
        $journal = Join-Path $work 'torn.jsonl'
        $rows = @(New-Rows 20 'torn')
        $rows | Select-Object -First 10 | Invoke-LeadspaceEnrichment -CheckpointPath $journal | Out-Null
        [IO.File]::AppendAllText($journal, '{"t":"done","k":"0123","at":"2026-11-28T0')
        $out = $rows | Invoke-LeadspaceEnrichment -CheckpointPath $journal -WarningVariable warned -WarningAction SilentlyContinue
        ($warned -join ' ') | Should -Match 'last line of the journal .* was incomplete'
        $out.Count | Should -Be 20
        @($out | Where-Object Source -eq 'Journal').Count | Should -Be 10
        (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged | Should -Be 20
    }

    It 'refuses a journal another run holds, one that cannot be written, and one of another program' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -ProgramId 'prog-a' -RequestsPerSecond 40
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 300 }
        $journal = Join-Path $work 'held.jsonl'
        $ps = [powershell]::Create()
        try {
            $handle = $ps.AddScript("Import-Module '$ModulePath'; Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -ProgramId 'prog-a'; 1..60 | ForEach-Object { [pscustomobject]@{ Company = `"Held `$_`" } } | Invoke-LeadspaceEnrichment -CheckpointPath '$journal'").BeginInvoke()
            Wait-Until { (Get-LeadspaceSimulatorStats -Simulator $sim).calls -ge 3 }
            { New-Rows 3 'second' | Invoke-LeadspaceEnrichment -CheckpointPath $journal -ErrorAction Stop } |
                Should -Throw -ErrorId 'LeadspaceCheckpointLocked,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
            $ps.EndInvoke($handle).Count | Should -Be 60
        }
        finally { $ps.Dispose() }

        $before = (Get-LeadspaceSimulatorStats -Simulator $sim).calls
        if (Test-Path /dev/full) {
            { New-Rows 3 'full' | Invoke-LeadspaceEnrichment -CheckpointPath /dev/full -ErrorAction Stop } |
                Should -Throw -ErrorId 'LeadspaceCheckpointFailed,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        }
        { New-Rows 3 'nofolder' | Invoke-LeadspaceEnrichment -CheckpointPath (Join-Path $work 'no/such/folder/j.jsonl') -ErrorAction Stop } |
            Should -Throw -ErrorId 'LeadspaceCheckpointFailed,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        $folder = Join-Path $work 'a-folder'
        New-Item -ItemType Directory -Path $folder -Force | Out-Null
        $err = $null
        try { New-Rows 3 'folder' | Invoke-LeadspaceEnrichment -CheckpointPath $folder -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'LeadspaceCheckpointFailed,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        $err.Exception.Message | Should -Match 'is a directory'
        $err.Exception.Message | Should -Not -Match 'denied'
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be $before   # nothing sent

        Connect-Leadspace -Token (ConvertTo-Secure 'another-token') -BaseUri $sim.BaseUri -ProgramId 'prog-b'
        { New-Rows 3 'other' | Invoke-LeadspaceEnrichment -CheckpointPath $journal -ErrorAction Stop } |
            Should -Throw -ErrorId 'LeadspaceCheckpointMismatch,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be $before
    }

    It 'reuses a journal on purpose across files, -MaxAge makes old answers absent, and -WhatIf counts what is free' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 500
        $journal = Join-Path $work 'weekly.jsonl'
        $week1 = @(New-Rows 30 'weekly')
        $week1 | Invoke-LeadspaceEnrichment -CheckpointPath $journal | Out-Null
        $week2 = @($week1 | Select-Object -Skip 10) + @(New-Rows 35 'weekly' | Select-Object -Skip 30) | ForEach-Object { $c = $_.psobject.Copy(); $c | Add-Member Owner 'new column'; $c }
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'
@(1..35 | ForEach-Object { [pscustomobject]@{ 'Lead ID' = "weekly-`$_"; 'First Name' = "F`$_"; 'Last Name' = "L`$_"; Email = "p`$_@weekly.example"; Company = "weekly Company `$_" } }) + @(1..2 | ForEach-Object { [pscustomobject]@{ Company = 'weekly Company 31' } }) |
    Invoke-LeadspaceEnrichment -CheckpointPath '$journal' -WhatIf
"@
        $r.Text | Should -Match '37 input row\(s\): 6 to send, 0 invalid \(not sent, no credit\), 1 identical to an earlier row \(no credit\), 30 answered in the journal'
        Reset-LeadspaceSimulator -Simulator $sim
        $out = $week2 | Invoke-LeadspaceEnrichment -CheckpointPath $journal
        (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged | Should -Be 5
        @($out | Where-Object Source -eq 'Journal').Count | Should -Be 20
        Reset-LeadspaceSimulator -Simulator $sim
        Start-Sleep -Milliseconds 1100
        $week2 | Invoke-LeadspaceEnrichment -CheckpointPath $journal -MaxAge 1s | Out-Null
        (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged | Should -Be 25
    }
}
