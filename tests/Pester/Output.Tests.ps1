Describe 'Invoke-LeadspaceEnrichment output: numbers, status text, unusable answers, shapes beyond the spec' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '1000', '--no-match-rate', '0')
        $script:token = ConvertTo-Secure $sim.Token
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-output-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null
        # A script run in a fresh pwsh under de-DE: rows with total scores from the simulator.
        $script:germanPrelude = @"
[cultureinfo]::CurrentCulture = 'de-DE'
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'
`$rows = 1..30 | ForEach-Object { [pscustomobject]@{ Company = "Zahl GmbH `$_"; 'First Name' = 'A'; 'Last Name' = "B`$_"; Email = "a`$_@zahl.de"; Id = "z`$_" } }
`$results = @(`$rows | Invoke-LeadspaceEnrichment)
`$scored = @(`$results | Where-Object { `$null -ne `$_.TotalScore })

"@
    }
    AfterAll {
        Disconnect-Leadspace -All
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    BeforeEach {
        Disconnect-Leadspace -All
        Reset-LeadspaceSimulator -Simulator $sim
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0; unusableRate = 0; oddShapeRate = 0; credits = -1 }
        Connect-Leadspace -Token $token -ProgramId 'sim-program' -BaseUri $sim.BaseUri -RequestsPerSecond 500 -MaxAttempts 3 -MaxRetrySec 5
    }

    Context 'fractional numbers under de-DE (TotalScore and the ranks)' {
        BeforeAll {
            # One fresh pwsh under de-DE for the three tests below: each prints its own lines (distinct prefixes) from
            # the same 30 rows, so one process start and one run serve them all.
            Reset-LeadspaceSimulator -Simulator $sim
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0; unusableRate = 0; oddShapeRate = 0; credits = -1 }
            $script:csv = Join-Path $work 'de.csv'
            $script:german = Invoke-FreshPwsh ($germanPrelude + @'
'culture=' + [cultureinfo]::CurrentCulture.Name
'scored=' + $scored.Count
$first = $scored[0]
'isnumber=' + ($first.TotalScore -is [decimal])
'plus=' + (($first.TotalScore + 1) -eq ([decimal]$first.TotalScore.ToString([cultureinfo]::InvariantCulture) + 1))
'plusvalue=' + ($first.TotalScore + 1).ToString([cultureinfo]::InvariantCulture)
'gt=' + (@($scored | Where-Object { $_.TotalScore -gt 50 }).Count -eq @($scored.TotalScore | ForEach-Object { [decimal]"$_" } | Where-Object { $_ -gt 50 }).Count)
$sorted = @($scored | Sort-Object TotalScore).TotalScore
$ok = $true; for ($i = 1; $i -lt $sorted.Count; $i++) { if ([decimal]$sorted[$i - 1] -gt [decimal]$sorted[$i]) { $ok = $false } }
'sorted=' + $ok
$m = $scored | Measure-Object TotalScore -Sum -Maximum
'sum=' + ([math]::Abs($m.Sum - ($scored | ForEach-Object { [double][decimal]$_.TotalScore } | Measure-Object -Sum).Sum) -lt 0.0001)
'isType=' + ($first -is [Leadspace.Model.EnrichmentResult])
'typed=' + ([Leadspace.Model.EnrichmentResult]@{ TotalScore = 1.25; CompanyG2kRank = '12.6' }).CompanyG2kRank.ToString([cultureinfo]::InvariantCulture)
'@ + "`n" + @'
$json = $scored[0] | ConvertTo-Json -Compress
'json=' + $json
$back = $json | ConvertFrom-Json
'totaltype=' + $back.TotalScore.GetType().Name
'statusjson=' + $back.Status
'@ + "`n" + @"
`$results | Export-Csv '$csv' -NoTypeInformation -Encoding utf8
'header=' + ((Get-Content '$csv' -First 1) -replace '"', '')
"@)
        }

        It 'adds, compares, sorts and measures as numbers' {
            $r = $german
            $r.ExitCode | Should -Be 0 -Because $r.Text
            $r.Output | Should -Contain 'culture=de-DE'
            $r.Text | Should -Match 'scored=[1-9]'
            foreach ($line in 'isnumber=True', 'plus=True', 'gt=True', 'sorted=True', 'sum=True', 'isType=True', 'typed=12.6') {
                $r.Output | Should -Contain $line
            }
            $r.Text | Should -Match '(?m)^plusvalue=\d+(\.\d+)?$' -Because 'the sum is a number'
        }

        It 'ConvertTo-Json writes numbers (not {"Value":...}) and the status by name' {
            $r = $german
            $r.ExitCode | Should -Be 0 -Because $r.Text
            $r.Text | Should -Match '"TotalScore":\d+(\.\d+)?[,}]'
            $r.Text | Should -Not -Match '"TotalScore":\{'
            $r.Text | Should -Match '"Status":"Enriched"'
            $r.Text | Should -Match 'totaltype=(Double|Decimal|Int64|Int32)'
            $r.Output | Should -Contain 'statusjson=Enriched'
        }

        It 'Export-Csv writes the invariant culture, in the same column order' {
            $r = $german
            $r.ExitCode | Should -Be 0 -Because $r.Text
            $r.Output | Should -Contain ('header=' + ([Leadspace.Model.EnrichmentResult].GetProperties().Name -join ','))
            $back = Import-Csv $csv
            $scores = @($back.TotalScore | Where-Object { $_ })
            $scores.Count | Should -BeGreaterThan 0
            $scores | Should -Match '^\d+(\.\d+)?$'
            @($back.CompanyG2kRank + $back.CompanyFortune500Rank | Where-Object { $_ }) | Should -Not -Match ','
        }
    }

    Context 'status as text' {
        It 'reads Enriched in the console, in -eq, in JSON and in -AsResponse''s Outcome' {
            $r = Invoke-LeadspaceEnrichment -CompanyName 'Text Status Co' -ExternalId 's1'
            $r.Status | Should -Be 'Enriched'
            $r.Status -eq 'Enriched' | Should -BeTrue
            ($r | ConvertTo-Json -Compress) | Should -Match '"Status":"Enriched"'
            $a = Invoke-LeadspaceEnrichment -CompanyName 'Text Status Co' -ExternalId 's1' -AsResponse
            $a.Outcome | Should -Be 'Enriched'
            ($a | ConvertTo-Json -Compress -Depth 2 -WarningAction SilentlyContinue) | Should -Match '"Outcome":"Enriched"'
            $invalid = [pscustomobject]@{ Email = 'x@y.z' } | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue
            ($invalid | ConvertTo-Json -Compress) | Should -Match '"Status":"Invalid"'
        }
    }

    Context 'a 200 without usable data' {
        It 'is Failed with a LeadspaceInvalidResponse error record whose TargetObject is the row, sent once (the credit is spent)' {
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ unusableRate = 1 }
            $rows = 1..14 | ForEach-Object { [pscustomobject]@{ Company = "Empty Answer Co $_"; Id = "e$_" } }
            $results = $rows | Invoke-LeadspaceEnrichment -ErrorVariable err -ErrorAction SilentlyContinue
            $results.Count | Should -Be 14
            @($results | Where-Object Status -ne 'Failed').Count | Should -Be 0
            $results.ErrorId | Sort-Object -Unique | Should -Be 'LeadspaceInvalidResponse'
            $results.ExternalId | Should -Be $rows.Id
            $err.Count | Should -Be 14
            foreach ($i in 0..13) {
                $err[$i].FullyQualifiedErrorId | Should -Be 'LeadspaceInvalidResponse,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
                $err[$i].CategoryInfo.Category | Should -Be 'InvalidResult'
                $err[$i].TargetObject | Should -Be $rows[$i]
                $err[$i].Exception.Message | Should -Match 'credit is spent'
            }
            $stats = Get-LeadspaceSimulatorStats -Simulator $sim
            $stats.calls | Should -Be 14
            $stats.creditsCharged | Should -Be 14
        }
    }

    Context 'answers in shapes the spec does not describe' {
        It 'keeps every value, reports each field once per run in the verbose stream, and the flat rows stay whole' {
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ oddShapeRate = 1 }
            $rows = 1..12 | ForEach-Object { New-Lead $_ "Odd Shape Co $_" }
            $out = $rows | Invoke-LeadspaceEnrichment -Verbose 4>&1
            $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message |
                Where-Object { $_ -like 'The answer has *' })
            $results = @($out | Where-Object { $_ -is [Leadspace.Model.EnrichmentResult] })
            $results.Count | Should -Be 12
            @($results | Where-Object Status -ne 'Enriched').Count | Should -Be 0
            $verbose | Should -Contain 'The answer has a field the module does not know: api_version (string). It is kept as sent in AdditionalProperties (see -AsResponse).'
            $verbose | Should -Contain 'The answer has data.company.size as a string where the spec has an object. It is kept as sent in AdditionalProperties (see -AsResponse).'
            ($verbose | Where-Object { $_ -like '*data.company.ug_company_id*' }).Count | Should -Be 1
            $verbose.Count | Should -Be @($verbose | Sort-Object -Unique).Count -Because 'each path is reported once per run'
            # Numeric strings were typed: the flat columns have the numbers.
            $withCompany = @($results | Where-Object CompanyName)
            $withCompany.Count | Should -BeGreaterThan 0
            @($withCompany | Where-Object { $null -eq $_.CompanyRevenueExact }).Count | Should -Be 0

            $responses = $rows | Invoke-LeadspaceEnrichment -AsResponse
            foreach ($resp in $responses | Where-Object { $_.Data.Company }) {
                $raw = $resp.Json | ConvertFrom-Json
                $resp.Data.Company.AdditionalProperties['size'] | Should -Be $raw.data.company.size
                $resp.Data.Company.AdditionalProperties['ug_company_id'] | Should -Be $raw.data.company.ug_company_id
                $resp.AdditionalProperties['api_version'] | Should -Be '3'
                @($resp.UntypedValues.Path) | Should -Contain 'data.company.size'
            }
        }
    }
}
