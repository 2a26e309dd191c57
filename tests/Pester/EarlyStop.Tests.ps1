Describe 'A run that stops early says what it cost' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '1000', '--latency-ms', '150')
        $script:token = ConvertTo-Secure $sim.Token
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-stop-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null

        # Runs $Tail after 300 rows piped into the cmdlet in a PowerShell instance; stops it after $StopAfter s, if given.
        function script:Invoke-Hosted([string] $Tail, [double] $StopAfter = 0) {
            $ps = [powershell]::Create()
            $null = $ps.AddScript(@"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -ProgramId sim-program -BaseUri '$($sim.BaseUri)' -RequestsPerSecond 40
1..300 | ForEach-Object { [pscustomobject]@{ 'Lead ID' = "L`$_"; Company = "Co `$_" } } | $Tail
"@)
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $handle = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]$null, $output)
            if ($StopAfter) {
                # The run's first row out, then $StopAfter s: on a busy machine the module's import and the connect can
                # take longer than $StopAfter, and a stop before the run starts would leave nothing to warn about.
                $deadline = [DateTime]::UtcNow.AddSeconds(120)
                while ($output.Count -eq 0 -and -not $handle.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
                Start-Sleep -Seconds $StopAfter
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $stopMs = $watch.ElapsedMilliseconds
            }
            else { try { $null = $ps.EndInvoke($handle) } catch { } }
            $summary = $ps.Runspace.SessionStateProxy.GetVariable('summary')
            $result = [pscustomobject]@{ Output = @($output); Warnings = @($ps.Streams.Warning | ForEach-Object Message | Where-Object { $_ -match 'stopped early' }); Summary = $summary; StopMs = $stopMs }
            $ps.Dispose()
            $result
        }
    }
    AfterAll {
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    BeforeEach { Reset-LeadspaceSimulator -Simulator $sim }

    It 'Ctrl+C ($ps.Stop()): one warning with the rows output, not output, and the paid calls discarded' {
        $r = Invoke-Hosted 'Invoke-LeadspaceEnrichment -SummaryVariable summary' -StopAfter 2
        $r.Warnings.Count | Should -Be 1
        $r.Warnings[0] -match '^The run stopped early \(Ctrl\+C, or the pipeline was stopped\): (\d+) row\(s\) output, (\d+) read but not output' | Should -BeTrue -Because $r.Warnings[0]
        [long]$Matches[1] | Should -Be $r.Output.Count
        [long]$Matches[1] + [long]$Matches[2] | Should -Be $r.Summary.RowsIn
        $discarded = if ($r.Warnings[0] -match '(\d+) paid call\(s\) were discarded') { [long]$Matches[1] } else { $r.Warnings[0] | Should -Match 'No paid answer was discarded'; 0 }
        $discarded | Should -Be $r.Summary.CallsDiscarded
        $r.Warnings[0] | Should -Match 'Rerun the same command'
    }

    It 'Ctrl+C while a slower command after it holds the pipeline: still one warning' {
        $r = Invoke-Hosted 'Invoke-LeadspaceEnrichment -SummaryVariable summary | ForEach-Object { Start-Sleep -Milliseconds 200; $_ }' -StopAfter 2
        $r.Warnings.Count | Should -Be 1
        $r.Warnings[0] | Should -Match 'stopped early.*row\(s\) output'
    }

    It 'Select-Object -First: one warning that counts what was paid and not output' {
        $r = Invoke-Hosted 'Invoke-LeadspaceEnrichment -SummaryVariable summary | Select-Object -First 5'
        $r.Output.Count | Should -Be 5
        $r.Warnings.Count | Should -Be 1
        $r.Warnings[0] | Should -Match '^The run stopped early \(a command after it stopped the pipeline, e.g. Select-Object -First\): 5 row\(s\) output'
        $discarded = if ($r.Warnings[0] -match '(\d+) paid call\(s\) were discarded') { [long]$Matches[1] } else { $r.Warnings[0] | Should -Match 'No paid answer was discarded'; 0 }
        $discarded | Should -Be $r.Summary.CallsDiscarded
        $r.Warnings[0] | Should -Not -Match 'Rerun'
    }

    It 'with a journal, the paid calls go to the journal and the warning says so' {
        $journal = Join-Path $work 'first.jsonl'
        $r = Invoke-Hosted "Invoke-LeadspaceEnrichment -SummaryVariable summary -CheckpointPath '$journal' | Select-Object -First 5"
        $r.Warnings.Count | Should -Be 1
        $r.Warnings[0] | Should -Match "paid call\(s\) not output go into the journal .*first\.jsonl: rerunning the same command outputs them without paying again|No paid answer was discarded"
    }

    It '-ErrorAction Stop on an invalid row: one warning with the counts' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript(@"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -ProgramId sim-program -BaseUri '$($sim.BaseUri)' -RequestsPerSecond 40
1..50 | ForEach-Object { if (`$_ -eq 20) { [pscustomobject]@{ 'Lead ID' = 'bad' } } else { [pscustomobject]@{ 'Lead ID' = "L`$_"; Company = "Co `$_" } } } | Invoke-LeadspaceEnrichment -ErrorAction Stop
"@)
        $out = try { $ps.Invoke() } catch { }
        $warnings = @($ps.Streams.Warning | ForEach-Object Message | Where-Object { $_ -match 'stopped early' })
        $ps.Dispose()
        $warnings.Count | Should -Be 1
        $warnings[0] | Should -Match "^The run stopped early \(-ErrorAction Stop and a row's error, LeadspaceInvalidInput\): 20 row\(s\) output"
    }
}
