# Invoke-LeadspaceEnrichment -MaxCredits against the simulator: the cap is never exceeded (with or without faults), every
# row comes out, the rows beyond the cap are NotSent (LeadspaceBudgetExhausted) and the run ends with one terminating
# error that counts them; a rerun on the same journal goes on where the last one stopped; -WhatIf applies the cap.
Describe 'Invoke-LeadspaceEnrichment -MaxCredits' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '0', '--no-match-rate', '0.2')
        $script:token = ConvertTo-Secure $sim.Token
        $script:samples = Join-Path $PSScriptRoot '../../samples/leads.csv'
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-budget-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null
        $script:rows = 1..200 | ForEach-Object { New-Lead $_ }

        # One capped run: its rows, its row errors, its terminating error and its summary.
        function script:Invoke-Capped([long] $MaxCredits, [string] $Journal) {
            $out = [System.Collections.Generic.List[object]]::new()
            $caught = $null
            $summary = $null
            try {
                $rows | Invoke-LeadspaceEnrichment -MaxCredits $MaxCredits -CheckpointPath $Journal -SummaryVariable summary -ErrorAction SilentlyContinue -ErrorVariable rowErrors |
                    ForEach-Object { $out.Add($_) }
            }
            catch { $caught = $_ }
            [pscustomobject]@{ Rows = $out; Errors = @($rowErrors | Where-Object TargetObject); Stopped = $caught; Summary = $summary }
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
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0; dropRate = 0; dropCharges = $false; slowRate = 0; credits = -1; latencyMs = 2; jitterMs = 0; rate = 0 }
        Connect-Leadspace -Token $token -ProgramId 'sim-program' -BaseUri $sim.BaseUri -RequestsPerSecond 2000 -MaxConcurrency 16 -MaxAttempts 3 -RetryBaseDelayMs 10 -RetryMaxDelaySec 1
    }

    It 'spends at most 50 credits on 200 rows, outputs all 200, and a rerun on the journal goes on without paying twice' {
        $journal = Join-Path $work 'capped.jsonl'
        $first = Invoke-Capped 50 $journal
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim -Settled
        $charged = $stats.creditsCharged
        $charged | Should -BeLessOrEqual 50
        $charged | Should -BeGreaterOrEqual 45 -Because 'the cap is not wasted'
        $first.Rows.Count | Should -Be 200
        $first.Rows.RowNumber | Should -Be (1..200)
        $unsent = @($first.Rows | Where-Object Status -eq 'NotSent')
        $unsent.Count | Should -Be (200 - $charged)
        @($unsent | Where-Object ErrorId -ne 'LeadspaceBudgetExhausted').Count | Should -Be 0
        # Each unsent row is an error with its input as the target, so it can be fed back.
        @($first.Errors | Where-Object { $_.FullyQualifiedErrorId -like 'LeadspaceBudgetExhausted,*' }).Count | Should -Be $unsent.Count
        $first.Stopped.FullyQualifiedErrorId | Should -Be 'LeadspaceBudgetExhausted,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        $first.Stopped.CategoryInfo.Category | Should -Be 'QuotaExceeded'
        $first.Stopped.Exception.Message | Should -Match 'The credit budget \(-MaxCredits 50\) is spent'
        $first.Stopped.Exception.Message | Should -Match "this run was charged $charged credit\(s\)"
        $first.Stopped.Exception.Message | Should -Match "200 row\(s\) output .* $($unsent.Count) not sent for the budget"
        $first.Stopped.Exception.Message | Should -Match 'same -CheckpointPath and a new -MaxCredits'
        $first.Summary.Ending | Should -Be 'LeadspaceBudgetExhausted'
        $first.Summary.MaxCredits | Should -Be 50
        ($first.Summary.CreditsReserved - $first.Summary.CreditsReleased) | Should -Be $charged
        Write-Host "-MaxCredits 50, 200 rows: $charged charged, $($first.Rows.Count) rows out, $($unsent.Count) NotSent (LeadspaceBudgetExhausted)"

        $second = Invoke-Capped 50 $journal
        $after = Get-LeadspaceSimulatorStats -Simulator $sim -Settled
        $more = $after.creditsCharged - $charged
        $more | Should -BeLessOrEqual 50
        $more | Should -BeGreaterOrEqual 45
        $second.Rows.Count | Should -Be 200
        $second.Summary.FromJournal | Should -Be $charged
        $after.chargesByExternalId.Count | Should -Be $after.creditsCharged
        @($after.chargesByExternalId.Values | Where-Object { $_ -gt 1 }).Count | Should -Be 0 -Because 'no row is charged twice'
        $after.duplicateCharges | Should -Be 0
        $unsent2 = @($second.Rows | Where-Object ErrorId -eq 'LeadspaceBudgetExhausted').Count
        $unsent2 | Should -Be (200 - $charged - $more)
        $second.Stopped.Exception.Message | Should -Match "this run was charged $more credit\(s\)"
        Write-Host "rerun, same journal, -MaxCredits 50: $more more charged ($($after.creditsCharged) in all, none twice), $($second.Rows.Count) rows out ($charged from the journal), $unsent2 NotSent"
    }

    It 'never lets the simulator charge more than the cap under 5xx, dropped connections and timeouts' {
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0.1; dropRate = 0.03; dropCharges = $true; slowRate = 0.05; slowMs = 1500; latencyMs = 2 }
        Connect-Leadspace -Token $token -ProgramId 'sim-program' -BaseUri $sim.BaseUri -RequestsPerSecond 2000 -MaxConcurrency 16 -MaxAttempts 3 -RetryBaseDelayMs 10 -RetryMaxDelaySec 1 -TimeoutSec 1
        $run = Invoke-Capped 80 (Join-Path $work 'faults.jsonl')
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim -Settled
        $stats.creditsCharged | Should -BeLessOrEqual 80
        $run.Rows.Count | Should -Be 200
        $run.Rows.RowNumber | Should -Be (1..200)
        $spent = $run.Summary.CreditsReserved - $run.Summary.CreditsReleased
        $stats.creditsCharged | Should -BeLessOrEqual $spent -Because 'a credit the simulator charged was never given back'
        $spent | Should -BeLessOrEqual 80
        $statuses = $stats.statusCounts.GetEnumerator() | ForEach-Object { "$($_.Key): $($_.Value)" }
        $unsent = @($run.Rows | Where-Object ErrorId -eq 'LeadspaceBudgetExhausted').Count
        $unsent | Should -BeGreaterThan 0
        $run.Stopped.FullyQualifiedErrorId | Should -BeLike 'LeadspaceBudgetExhausted,*'
        Write-Host "-MaxCredits 80 under faults: $($stats.creditsCharged) charged ($($stats.calls) calls: $($statuses -join ', '); $($stats.dropped) dropped; $($run.Summary.CreditsReserved) reserved, $($run.Summary.CreditsReleased) given back, $spent kept by the budget), $($run.Rows.Count) rows out, $unsent NotSent, $(@($run.Rows | Where-Object Status -eq 'Failed').Count) Failed"
    }

    It '-WhatIf -MaxCredits 30 says it spends up to 30 credits and how many rows the cap leaves unsent' {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'
`$out = Import-Csv '$samples' | Invoke-LeadspaceEnrichment -WhatIf -MaxCredits 30
'objects=' + @(`$out).Count
"@
        $r.Text | Should -Match 'spending up to 30 credit\(s\) in 30 call\(s\)'
        $r.Text | Should -Match '240 input row\(s\): 30 to send, 12 invalid \(not sent, no credit\), 198 left unsent by the credit budget \(-MaxCredits 30'
        $r.Text | Should -Match 'objects=0'
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
    }
}
