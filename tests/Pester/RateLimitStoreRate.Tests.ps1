# The store's shared rate measured per second across a fleet of processes (split from RateLimitStore.Tests.ps1): these
# tests count grants per second across three processes and a store killed and restarted mid-run, which a CPU shared
# with other parts would turn into timing, so Invoke-PesterSuite.ps1 runs this file alone, after the others.
Describe 'One rate limit for every process, measured per second: three pwsh processes, one program, one simulator at --rate 30' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        Import-Module (Join-Path $PSScriptRoot 'Fleet.psm1') -Force
        $script:sim, $script:garnet = Start-FleetServers
    }
    AfterAll { Stop-FleetServers -Simulator $sim -Server $garnet }
    BeforeEach { Reset-FleetServers -Simulator $sim }

    It 'with the store: never more than 30 accepted calls in any second, at most one 429 per process, every row out' {
        $runs = Invoke-Fleet -ModulePath $ModulePath -Simulator $sim -Processes 3 -Rows 90 -RateLimitStore $garnet.Configuration
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim
        foreach ($run in $runs) {
            $run.Out | Should -Be 90
            $run.Good | Should -Be 90
            $run.InOrder | Should -BeTrue
            $run.Gate | Should -Be 'Shared'
            $run.Fallbacks | Should -Be 0
        }
        # Processes that took grants in the last minute: these three, and any earlier test's of the same program.
        ($runs.Processes | Measure-Object -Maximum).Maximum | Should -BeGreaterOrEqual 3
        $stats.maxAcceptedInAnyWindow | Should -BeLessOrEqual 30
        [int] $stats.statusCounts['429'] | Should -BeLessOrEqual 3
        $stats.duplicateCharges | Should -Be 0
    }

    It 'the store killed mid-run and restarted: every row out, within the limit while falling back, one warning each, rejoined' {
        $store = Start-GarnetServer
        $holder = @{ Restarted = $null }
        try {
            $during = {
                param($simulator)
                $deadline = [DateTime]::UtcNow.AddSeconds(120)
                while ((Get-LeadspaceSimulatorStats -Simulator $simulator).calls -lt 60 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                Stop-GarnetServer -Server $store
                $killedAt = (Get-LeadspaceSimulatorStats -Simulator $simulator).calls
                while ((Get-LeadspaceSimulatorStats -Simulator $simulator).calls -lt $killedAt + 45 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                $holder.Restarted = Start-GarnetServer -Port $store.Port
            }
            $runs = Invoke-Fleet -ModulePath $ModulePath -Simulator $sim -Processes 3 -Rows 150 -RateLimitStore $store.Configuration -During $during
            $stats = Get-LeadspaceSimulatorStats -Simulator $sim
            foreach ($run in $runs) {
                $run.Out | Should -Be 150
                $run.Good | Should -Be 150
                $run.InOrder | Should -BeTrue
                $run.Fallbacks | Should -BeGreaterOrEqual 1
                @($run.Warnings).Count | Should -Be 1 -Because 'one warning, however often the store came and went in that minute'
                $run.Warnings[0] | Should -Match 'did not answer'
                $run.FallbackRate | Should -BeLessOrEqual 10 -Because 'the limit shared by the three processes seen'
                $run.GateState | Should -BeIn 'Shared', 'Rejoining' -Because 'it rejoined the restarted store'
            }
            $stats.maxAcceptedInAnyWindow | Should -BeLessOrEqual 30
            $stats.duplicateCharges | Should -Be 0
        }
        finally {
            Stop-GarnetServer -Server $store
            if ($holder.Restarted) { Stop-GarnetServer -Server $holder.Restarted }
        }
    }
}
