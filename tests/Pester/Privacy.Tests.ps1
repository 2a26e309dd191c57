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
