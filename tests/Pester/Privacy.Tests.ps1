# Personal data at rest: the journal and the temporary answer store are owner-only, a person can be erased from a
# journal (Remove-LeadspaceJournalEntry), and -EscapeFormulas keeps spreadsheet formulas out of exported CSV.

Describe 'Private files' -Skip:$IsWindows {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '0', '--no-match-rate', '0')
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-privacy-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null

        # A run in a new pwsh whose umask is 022 (the usual default that made the journal 0644).
        function script:Invoke-WithUmask022([string] $Script) {
            $cmd = @(Get-FreshPwshCommand)
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
            $output = & sh -c 'umask 022; exec "$@"' sh @cmd -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | ForEach-Object { "$_" }
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = ($output -join "`n") }
        }
    }
    AfterAll {
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        if ($work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'creates the journal with mode 0600 and the temporary store folder with 0700 under umask 022' {
        $journal = Join-Path $work 'umask.jsonl'
        # The child's temporary folder is a fresh one, so the store's folder is created by this run.
        $tmp = Join-Path $work 'tmp'
        New-Item -ItemType Directory -Path $tmp | Out-Null
        $folder = Join-Path $tmp ("leadspace-" + [Environment]::UserName)
        $result = Invoke-WithUmask022 @"
`$env:TMPDIR = '$tmp'
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' | Out-Null
'umask:' + (& sh -c umask) + ' temp:' + [IO.Path]::GetTempPath()
`$rows = 1..3 | ForEach-Object { [pscustomobject]@{ Company = "Umask `$_" } }
`$rows | Invoke-LeadspaceEnrichment -CheckpointPath '$journal' | Out-Null
# Without -CheckpointPath the answers of identical rows go through the temporary store, in its per-user folder.
@(`$rows) + @(`$rows) | Invoke-LeadspaceEnrichment | Out-Null
'done'
"@
        $result.Text | Should -Match 'umask:0022'
        $result.Text | Should -Match 'done'
        Test-Path -LiteralPath $folder | Should -BeTrue
        [IO.File]::GetUnixFileMode($journal) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        (Get-Content -LiteralPath $journal -Encoding utf8 | Select-Object -Skip 1 | Where-Object { $_ -match '"t":"done"' }).Count | Should -Be 3
        [IO.File]::GetUnixFileMode($folder) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        # A file created beside it by the same process is 0644: the umask really was 022.
        $plain = Join-Path $work 'plain.txt'
        $null = Invoke-WithUmask022 "Set-Content -LiteralPath '$plain' -Value x"
        [IO.File]::GetUnixFileMode($plain) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
    }
}

Describe 'Remove-LeadspaceJournalEntry' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '0', '--no-match-rate', '0')
        Connect-Leadspace -Token (ConvertTo-Secure $sim.Token) -BaseUri $sim.BaseUri -RequestsPerSecond 200 | Out-Null
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-erase-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null
        $script:rows = 1..30 | ForEach-Object {
            [pscustomobject]@{ 'Lead ID' = "E-$_"; 'First Name' = "Erin$_"; 'Last Name' = "Example$_"; Email = "erin.example$_@erase.example"; Company = "Erase Company $_" }
        }
        function script:Get-Charged { (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged }
        function script:New-Journal([string] $Name) {
            $path = Join-Path $work $Name
            $null = Reset-LeadspaceSimulator -Simulator $sim
            $rows | Invoke-LeadspaceEnrichment -CheckpointPath $path | Out-Null
            Get-Charged | Should -Be 30
            $path
        }
    }
    AfterAll {
        Disconnect-Leadspace -All
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        if ($work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'erases 5 piped rows: their emails are gone from the file, and a rerun of the 30 charges exactly 5 credits' {
        $journal = New-Journal 'five.jsonl'
        $erased = $rows | Select-Object -Skip 10 -First 5
        $text = Get-Content -LiteralPath $journal -Raw -Encoding utf8
        foreach ($r in $erased) { $text | Should -Match ([regex]::Escape($r.Email)) -Because 'the answer holds the email before erasure' }

        $result = $erased | Remove-LeadspaceJournalEntry -CheckpointPath $journal
        $result.RequestsErased | Should -Be 5
        $result.AnswersErased | Should -Be 5
        $result.RequestsNotFound | Should -Be 0
        $text = Get-Content -LiteralPath $journal -Raw -Encoding utf8
        foreach ($r in $erased) {
            $text | Should -Not -Match ([regex]::Escape($r.Email))
            $text | Should -Not -Match ([regex]::Escape($r.'Last Name') + '"')
        }
        $text | Should -Match ([regex]::Escape($rows[0].Email))
        if (-not $IsWindows) { [IO.File]::GetUnixFileMode($journal) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }

        $null = Reset-LeadspaceSimulator -Simulator $sim
        $out = $rows | Invoke-LeadspaceEnrichment -CheckpointPath $journal
        Get-Charged | Should -Be 5
        $out.Count | Should -Be 30
        @($out | Where-Object Source -EQ 'Api').'ExternalId' | Should -Be @($erased.'Lead ID')
    }

    It '-WhatIf changes nothing; a journal held by a run is refused' {
        $journal = New-Journal 'whatif.jsonl'
        $before = Get-FileHash -LiteralPath $journal
        $rows | Select-Object -First 3 | Remove-LeadspaceJournalEntry -CheckpointPath $journal -WhatIf
        (Get-FileHash -LiteralPath $journal).Hash | Should -Be $before.Hash

        $stream = [IO.FileStream]::new($journal, 'Open', 'ReadWrite', 'None')   # what a run holds
        try {
            { $rows | Select-Object -First 3 | Remove-LeadspaceJournalEntry -CheckpointPath $journal -ErrorAction Stop } |
                Should -Throw -ErrorId 'LeadspaceCheckpointLocked,Leadspace.Commands.RemoveLeadspaceJournalEntryCommand'
        }
        finally { $stream.Dispose() }
        (Get-FileHash -LiteralPath $journal).Hash | Should -Be $before.Hash
        { Remove-LeadspaceJournalEntry -CheckpointPath $journal -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceNothingToErase,*'
    }

    It 'a kill -9 during the rewrite leaves a usable journal' {
        $journal = New-Journal 'kill.jsonl'
        $before = (Get-FileHash -LiteralPath $journal).Hash
        $temporary = "$journal.erasing"
        $script = @"
Import-Module '$ModulePath'
`$eraser = (Get-Command Remove-LeadspaceJournalEntry).ImplementingType.Assembly.GetType('Leadspace.Journal.JournalEraser')
`$eraser.GetProperty('PauseMidway', [Reflection.BindingFlags]'NonPublic,Static').SetValue(`$null, [TimeSpan]::FromMinutes(5))
Import-Csv '$(Join-Path $work 'kill.csv')' | Remove-LeadspaceJournalEntry -CheckpointPath '$journal'
"@
        $rows | Select-Object -First 5 | Export-Csv (Join-Path $work 'kill.csv') -NoTypeInformation
        $cmd = @(Get-FreshPwshCommand)
        $psi = [Diagnostics.ProcessStartInfo]::new($cmd[0])
        foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script)))) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $process = [Diagnostics.Process]::Start($psi)
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not ((Test-Path -LiteralPath $temporary) -and (Get-Item -LiteralPath $temporary).Length -gt 0)) {
                if ([DateTime]::UtcNow -gt $deadline -or $process.HasExited) { throw "The erasure never got half-way (exited: $($process.HasExited))." }
                Start-Sleep -Milliseconds 50
            }
            $process.Kill()   # SIGKILL: no cleanup runs
            $process.WaitForExit()
        }
        finally { if (-not $process.HasExited) { $process.Kill() }; $process.Dispose() }

        (Get-FileHash -LiteralPath $journal).Hash | Should -Be $before -Because 'the journal is the old one until the rename'
        $null = Reset-LeadspaceSimulator -Simulator $sim
        $out = $rows | Invoke-LeadspaceEnrichment -CheckpointPath $journal -WarningVariable warned
        Get-Charged | Should -Be 0
        @($out | Where-Object Source -EQ 'Journal').Count | Should -Be 30
        $warned | Should -BeNullOrEmpty
        # The next erasure replaces what the killed one left.
        (Import-Csv (Join-Path $work 'kill.csv') | Remove-LeadspaceJournalEntry -CheckpointPath $journal).AnswersErased | Should -Be 5
        Test-Path -LiteralPath $temporary | Should -BeFalse
    }

    It '-OlderThan erases the answers older than that and keeps the rest' {
        $journal = New-Journal 'age.jsonl'
        # Age the first 10 rows' records by a year, as if an earlier run had written them.
        $old = @($rows | Select-Object -First 10 | ForEach-Object { $_.Email })
        $keys = @{}
        $lines = Get-Content -LiteralPath $journal -Encoding utf8
        foreach ($line in $lines) { foreach ($e in $old) { if ($line.Contains($e)) { $keys[($line | ConvertFrom-Json).k] = 1 } } }
        $keys.Count | Should -Be 10
        $aged = foreach ($line in $lines) {
            $r = if ($line -match '"k":"([0-9a-f]+)"') { $Matches[1] }
            if ($r -and $keys.ContainsKey($r)) { $line -replace '"at":"\d{4}-', ('"at":"' + ([DateTime]::UtcNow.Year - 1) + '-') } else { $line }
        }
        [IO.File]::WriteAllLines($journal, [string[]]$aged)

        $result = Remove-LeadspaceJournalEntry -CheckpointPath $journal -OlderThan 30d
        $result.AnswersErased | Should -Be 10
        $text = Get-Content -LiteralPath $journal -Raw -Encoding utf8
        foreach ($e in $old) { $text | Should -Not -Match ([regex]::Escape($e)) }
        $null = Reset-LeadspaceSimulator -Simulator $sim
        $rows | Invoke-LeadspaceEnrichment -CheckpointPath $journal | Out-Null
        Get-Charged | Should -Be 10
    }
}

Describe 'Invoke-LeadspaceEnrichment -EscapeFormulas' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '0', '--no-match-rate', '0', '--formula-values')
        Connect-Leadspace -Token (ConvertTo-Secure $sim.Token) -BaseUri $sim.BaseUri -RequestsPerSecond 200 | Out-Null
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-formulas-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null
        # Input columns with formula starts too (a web form's "company"), a phone, and a number column.
        $script:rows = 1..12 | ForEach-Object {
            [pscustomobject]@{ 'Lead ID' = "F-$_"; 'First Name' = "Fay$_"; 'Last Name' = "Formula$_"; Email = "fay$_@formula.example"
                Company = "Formula Co $_"; Note = "=1+$_"; Phone = "+1 555 01$('{0:00}' -f $_)"; Score = -$_ }
        }
        $script:formulaStart = "^[=+\-@`t`r]"
        function script:Export-Run([string] $Name, [switch] $Escape) {
            $path = Join-Path $work $Name
            $rows | Invoke-LeadspaceEnrichment -IncludeInput -EscapeFormulas:$Escape | Export-Csv -LiteralPath $path -NoTypeInformation -Encoding utf8
            @(Import-Csv -LiteralPath $path -Encoding utf8)
        }
    }
    AfterAll {
        Disconnect-Leadspace -All
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        if ($work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'leaves no cell of the exported CSV beginning with a formula character; numbers untouched' {
        $plain = Export-Run 'plain.csv'
        $escaped = Export-Run 'escaped.csv' -Escape
        $escaped.Count | Should -Be 12
        # The simulator really answered with formulas: without the switch they reach the CSV as they are.
        $plainCells = @($plain | ForEach-Object { $_.psobject.Properties.Value } | Where-Object { $_ -match $formulaStart })
        $plainCells | Should -Not -BeNullOrEmpty
        $plain[0].CompanyDescription | Should -Match '^=HYPERLINK\('
        $plain[0].PersonTitle | Should -BeExactly "+cmd|' /C calc'!A0"
        $plain[0].Note | Should -BeExactly '=1+1'
        $plain[0].Phone | Should -BeExactly '+1 555 0101'

        foreach ($row in $escaped) {
            foreach ($p in $row.psobject.Properties) {
                # A plain number (-5, +41443786171) is no formula, and stays a number: the only exception.
                if ($p.Value -match '^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$') { continue }
                $p.Value | Should -Not -Match $formulaStart -Because "$($p.Name) of row $($row.RowNumber) is '$($p.Value)'"
            }
        }
        $escaped[0].CompanyDescription | Should -BeExactly ("'" + $plain[0].CompanyDescription)
        $escaped[0].PersonTitle | Should -BeExactly "'+cmd|' /C calc'!A0"
        $escaped[0].Note | Should -BeExactly "'=1+1"
        $escaped[0].Phone | Should -BeExactly "'+1 555 0101"          # the documented trade-off
        for ($i = 0; $i -lt 12; $i++) {
            $escaped[$i].Score | Should -BeExactly "$(-($i + 1))"
            $escaped[$i].CompanyPhoneNormalized | Should -BeExactly $plain[$i].CompanyPhoneNormalized
            $escaped[$i].CompanySizeExact | Should -BeExactly $plain[$i].CompanySizeExact
            $escaped[$i].CompanyRevenueExact | Should -BeExactly $plain[$i].CompanyRevenueExact
            $escaped[$i].TotalScore | Should -BeExactly $plain[$i].TotalScore
            $escaped[$i].'Lead ID' | Should -BeExactly $plain[$i].'Lead ID'
            $escaped[$i].Status | Should -Be 'Enriched'
        }
        @($escaped.CompanySizeExact | Where-Object { $_ -match '^\d+$' }).Count | Should -BeGreaterThan 0
    }

    It 'is refused with -AsResponse' {
        { $rows[0] | Invoke-LeadspaceEnrichment -AsResponse -EscapeFormulas -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceIncompatibleParameters,*'
    }
}
