Describe 'Invoke-LeadspaceEnrichment' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '1000', '--no-match-rate', '0.2')
        $script:token = ConvertTo-Secure $sim.Token
        $script:samples = Join-Path $PSScriptRoot '../../samples/leads.csv'
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-pester-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null
        $script:resultColumns = [Leadspace.Model.EnrichmentResult].GetProperties().Name
    }
    AfterAll {
        Disconnect-Leadspace -All
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    BeforeEach {
        Disconnect-Leadspace -All
        Reset-LeadspaceSimulator -Simulator $sim
        # 5xx bodies in every shape a gateway may send (JSON with the addendum's or other keys, text, HTML, none).
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0; credits = -1; latencyMs = 0; jitterMs = 0; rate = 1000; serverErrorBody = 'mixed'; oddShapeRate = 0; unusableRate = 0 }
        Connect-Leadspace -Token $token -ProgramId 'sim-program' -BaseUri $sim.BaseUri -RequestsPerSecond 500 -MaxAttempts 3 -MaxRetrySec 5
    }

    Context 'input' {
        It 'emits exactly one typed result per CSV row, in input order' {
            $rows = Import-Csv $samples
            $results = $rows | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue
            $results.Count | Should -Be $rows.Count
            $results[0] | Should -BeOfType ([Leadspace.Model.EnrichmentResult])
            $results.RowNumber | Should -Be (1..$rows.Count)
            $results.ExternalId | Should -Be $rows.'Lead ID'
        }

        It 'sends no call and spends no credit for invalid rows, and names the missing fields' {
            $rows = @(
                [pscustomobject]@{ 'First Name' = 'Ada'; 'Email' = 'ada@example.com' }
                [pscustomobject]@{ 'First Name' = '   '; 'Last Name' = "`t"; 'Company' = '  ' }
                [pscustomobject]@{ 'Company' = 'Acme' }
            )
            $results = $rows | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue
            $results[0].Status | Should -Be 'Invalid'
            $results[1].Status | Should -Be 'Invalid'
            $results[2].Status | Should -BeIn 'Enriched', 'NotMatched'
            $results[0].Message | Should -Match 'person.last_name'
            $results[0].HttpStatus | Should -BeNullOrEmpty
            (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 1
        }

        It 'maps hashtables, PSCustomObjects and .NET objects by property name' {
            $dotnet = [System.Net.Mail.MailAddress]::new('ada@example.com', 'Ada')   # has no usable fields: invalid, not an exception
            $results = @(
                @{ FirstName = 'Ada'; LastName = 'Lovelace'; Company = 'Analytical Engines' }
                [pscustomobject]@{ first_name = 'Grace'; last_name = 'Hopper'; 'Account Name' = 'Navy' }
                $dotnet
            ) | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue
            $results.Count | Should -Be 3
            $results[0].Status | Should -BeIn 'Enriched', 'NotMatched'
            $results[1].Status | Should -BeIn 'Enriched', 'NotMatched'
            $results[2].Status | Should -Be 'Invalid'
        }

        It 'maps every CRM header spelling of the alias table (checked with -Debug request bodies)' {
            $row = [pscustomobject]@{
                'Work Email' = 'w@x.com'; 'Job Title' = 'CFO'; 'LinkedIn URL' = 'https://li/p'; 'Organization' = 'Org Inc'
                'Company Website' = 'org.com'; 'Street Address' = '1 Main'; 'Billing City' = 'Paris'; 'State/Province' = 'IDF'
                'Zip Code' = '75001'; 'Country' = 'France'; 'External ID' = 'X-1'; 'FirstName' = 'Jean'; 'Surname' = 'Dupont'
                'pid' = 'P-9'; 'lsid' = 'LS-1'; 'ugLsid' = 'UG-1'; 'Company LinkedIn URL' = 'https://li/c'
            }
            $DebugPreference = 'Continue'   # -Debug on a compiled cmdlet asks (Inquire) at every row
            $debug = $row | Invoke-LeadspaceEnrichment 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
            $json = ($debug.Message -replace '^Row 1 request body: ', '') | ConvertFrom-Json
            $json.person.email | Should -Be 'w@x.com'
            $json.person.title | Should -Be 'CFO'
            $json.person.linkedinUrl | Should -Be 'https://li/p'
            $json.person.first_name | Should -Be 'Jean'
            $json.person.last_name | Should -Be 'Dupont'
            $json.person.pid | Should -Be 'P-9'
            $json.company.name | Should -Be 'Org Inc'
            $json.company.website | Should -Be 'org.com'
            $json.company.lsid | Should -Be 'LS-1'
            $json.company.ugLsid | Should -Be 'UG-1'
            $json.company.companyLinkedinUrl | Should -Be 'https://li/c'
            $json.company.address.street | Should -Be '1 Main'
            $json.company.address.city | Should -Be 'Paris'
            $json.company.address.state | Should -Be 'IDF'
            $json.company.address.postalcode | Should -Be '75001'
            $json.company.address.country | Should -Be 'France'
            $json.external_id | Should -Be 'X-1'
        }

        It '-PropertyMap and -CustomField reach any field, including custom_fields' {
            $row = [pscustomobject]@{ 'Acct' = 'Mapped Co'; 'Segment' = 'SMB'; 'Owner' = 'jdoe'; 'Ref' = 'R-7' }
            $DebugPreference = 'Continue'
            $debug = $row | Invoke-LeadspaceEnrichment -PropertyMap @{ Acct = 'company.name'; Ref = 'external_id'; Segment = 'custom_fields.segment' } -CustomField Owner 5>&1 |
                Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
            $json = ($debug.Message -replace '^Row 1 request body: ', '') | ConvertFrom-Json
            $json.company.name | Should -Be 'Mapped Co'
            $json.external_id | Should -Be 'R-7'
            ($json.custom_fields | Where-Object name -eq 'segment').value | Should -Be 'SMB'
            ($json.custom_fields | Where-Object name -eq 'Owner').value | Should -Be 'jdoe'
        }

        It 'rejects a -PropertyMap target that is not a request field' {
            { [pscustomobject]@{ a = 1 } | Invoke-LeadspaceEnrichment -PropertyMap @{ a = 'company.nmae' } -ErrorAction Stop } |
                Should -Throw -ErrorId 'LeadspaceInvalidPropertyMap,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        }

        It 'takes one record from explicit parameters' {
            $r = Invoke-LeadspaceEnrichment -FirstName 'Zoë' -LastName 'Müller' -Email 'zoe@example.de' -CompanyName 'Müller & Söhne GmbH' -Website 'muller.de' -ExternalId 'one' -CustomFields @{ Segment = 'SMB' }
            $r.ExternalId | Should -Be 'one'
            $r.HttpStatus | Should -Be 200
        }

        It 'refuses a -CustomFields key that is also a request field' {
            { Invoke-LeadspaceEnrichment -CompanyName 'Acme' -CustomFields @{ Email = 'x' } -ErrorAction Stop } |
                Should -Throw -ErrorId 'LeadspaceCustomFieldNameClash,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        }

        It '-WhatIf reports the credits the input would spend and sends nothing' {
            $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'
`$out = Import-Csv '$samples' | Invoke-LeadspaceEnrichment -WhatIf
'objects=' + @(`$out).Count
"@
            $r.Text | Should -Match 'spending up to 227 credit\(s\) in 227 call\(s\)'
            $r.Text | Should -Match '240 input row\(s\): 227 to send, 12 invalid \(not sent, no credit\), 1 identical to an earlier row'
            $r.Text | Should -Match 'objects=0'
            (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
        }

        It 'does not prompt on a plain run (ConfirmImpact Medium) and -Confirm:$false is accepted' {
            $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'
'status=' + (Invoke-LeadspaceEnrichment -CompanyName Acme).HttpStatus
'status=' + (Invoke-LeadspaceEnrichment -CompanyName Acme -Confirm:`$false).HttpStatus
"@
            $r.ExitCode | Should -Be 0
            @($r.Output | Where-Object { $_ -eq 'status=200' }).Count | Should -Be 2
        }
    }

    Context 'input that was silently wrong or lost' {
        It '-IncludeInput keeps every input column under a unique name' {
            $row = [pscustomobject]@{ 'Status' = 'Open'; 'Input_Status' = 'Closed'; 'Company' = 'Acme'; 'rownumber' = 'r7' }
            $r = $row | Invoke-LeadspaceEnrichment -IncludeInput
            $names = @($r.psobject.Properties.Name)
            $names.Count | Should -Be ([Leadspace.Model.EnrichmentResult].GetProperties().Count + 4)
            @($names | Sort-Object -Unique).Count | Should -Be $names.Count
            $r.Input_Status_2 | Should -Be 'Open'
            $r.Input_Status | Should -Be 'Closed'
            $r.Input_rownumber | Should -Be 'r7'
            $r.RowNumber | Should -Be 1
        }

        It 'refuses -IncludeInput with -AsResponse' {
            { [pscustomobject]@{ Company = 'Acme' } | Invoke-LeadspaceEnrichment -IncludeInput -AsResponse -ErrorAction Stop } |
                Should -Throw -ErrorId 'LeadspaceIncompatibleParameters,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
            (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
        }

        It 'never sends a list, a nested object or a type name as one field, and takes the API''s own nested shape' {
            $rows = @(
                [pscustomobject]@{ Company = 'Acme'; Email = @('a@x.com', 'b@x.com'); Id = 'list' }
                [pscustomobject]@{ Account = @{ Name = 'Inner Co' }; Id = 'nested' }
                [pscustomobject]@{ Company = [object]::new(); Id = 'typename' }
                @{ person = @{ first_name = 'Ada'; last_name = 'Lovelace' }; company = @{ name = 'Analytical Engines'; address = @{ city = 'London' } }; external_id = 'api-shape'
                   custom_fields = @(@{ name = 'Segment'; value = 'SMB' }) }
                [pscustomobject]@{ Company = 'One Value'; Email = @('only@x.com'); Id = 'one-item' }
            )
            $DebugPreference = 'Continue'
            $all = $rows | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -ErrorVariable err 5>&1
            $results = @($all | Where-Object { $_ -is [Leadspace.Model.EnrichmentResult] })
            $bodies = @($all | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object { $_.Message })
            $results[0..2].Status.ForEach({ "$_" }) | Should -Be 'Invalid', 'Invalid', 'Invalid'
            $results[3..4].Status.ForEach({ "$_" }) | Should -BeIn 'Enriched', 'NotMatched'
            $results[0].Message | Should -Match "Column 'Email' holds 2 values"
            $results[1].Message | Should -Match "Column 'Account' holds a nested Hashtable"
            $results[2].Message | Should -Match "Column 'Company' holds a System.Object"
            $err.Count | Should -Be 3
            $err[0].TargetObject.Id | Should -Be 'list'
            (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 2
            $api = ($bodies[3] -replace '^Row 4 request body: ', '') | ConvertFrom-Json
            $api.person.first_name | Should -Be 'Ada'
            $api.company.address.city | Should -Be 'London'
            $api.custom_fields[0].value | Should -Be 'SMB'
            $bodies -join "`n" | Should -Not -Match 'System\.Object|Hashtable|a@x\.com; b@x\.com'
        }

        It 'warns once about -PropertyMap keys and -CustomField names that match no input column' {
            $rows = 1..3 | ForEach-Object { [pscustomobject]@{ 'Acct Name' = "Acme $_"; Segment = 'SMB' } }
            $out = $rows | Invoke-LeadspaceEnrichment -PropertyMap @{ 'Acct Nmae' = 'company.name'; 'Acct Name' = 'company.name' } -CustomField Segmnet -WarningVariable warned -WarningAction SilentlyContinue
            $out.Count | Should -Be 3
            @($warned | Where-Object { "$_" -match "'Acct Nmae'" }).Count | Should -Be 1
            @($warned | Where-Object { "$_" -match "'Segmnet'" }).Count | Should -Be 1
        }

        It 'names the delimiter of a CSV read with the wrong one, once as a warning and in every row' {
            $csv = Join-Path $work 'semicolon.csv'
            "First Name;Last Name;Email;Company`nAda;Lovelace;ada@x.com;Acme`nGrace;Hopper;grace@x.com;Navy" | Set-Content $csv -Encoding utf8
            $out = Import-Csv $csv | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue
            $out.Status.ForEach({ "$_" }) | Should -Be 'Invalid', 'Invalid'
            $out[0].Message | Should -Match "wrong delimiter.*Import-Csv -Delimiter ';'"
            @($warned | Where-Object { "$_" -match 'wrong delimiter' }).Count | Should -Be 1
            (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
        }

        It 'treats a value of only invisible characters as empty (no call, no credit)' {
            $r = [pscustomobject]@{ Company = "$([char]0x200B)$([char]0xFEFF)"; Id = 'zw' } | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue
            "$($r.Status)" | Should -Be 'Invalid'
            (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
        }

        It 'shows request bodies in the debug stream as readable UTF-8' {
            $DebugPreference = 'Continue'
            $debug = [pscustomobject]@{ Company = "Wei$([char]0xDF)dorn $([char]0x6771)$([char]0x4EAC) `"Q`"" } | Invoke-LeadspaceEnrichment 5>&1 |
                Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
            $debug.Message | Should -Match "Wei$([char]0xDF)dorn $([char]0x6771)$([char]0x4EAC) \\`"Q\\`""
            $debug.Message | Should -Not -Match '\\u00'
        }
    }

    Context 'output' {
        It 'round-trips a mixed enriched/invalid/failed input through Export-Csv and Import-Csv, column by column' {
            Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 500 -MaxAttempts 1
            # Also answers beyond the spec (size as text, a bare family-tree list, numeric strings, unknown fields) and
            # 200s without usable data: the CSV keeps the same columns on every row.
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0.3; oddShapeRate = 0.3; unusableRate = 0.05 }
            $rows = Import-Csv $samples | Select-Object -First 80
            $results = $rows | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue
            $results.Status.ForEach({ "$_" }) | Sort-Object -Unique | Should -Be 'Enriched', 'Failed', 'Invalid', 'NotMatched'
            $csv = Join-Path $work 'mixed.csv'
            $results | Export-Csv $csv -NoTypeInformation -Encoding utf8
            $back = Import-Csv $csv
            $back.Count | Should -Be $results.Count
            ($back[0].psobject.Properties.Name) | Should -Be $resultColumns
            # Every cell checked, the differences collected and asserted once (-ceq as Should -BeExactly, -match as
            # Should -Match): 6,000 Should calls took most of a minute on a busy machine.
            $differences = @(for ($i = 0; $i -lt $results.Count; $i++) {
                    foreach ($col in $resultColumns) {
                        $expected = $results[$i].$col
                        $expectedText = if ($null -eq $expected) { '' } else { $expected.ToString() }
                        $actual = $back[$i].$col
                        if (-not ($actual -ceq $expectedText)) { "row $i column ${col}: '$actual', expected '$expectedText'" }
                        if ($actual -match '^System\.|Leadspace\.Model|\[\]$') { "row $i column ${col}: '$actual' is a type name, not a value" }
                    }
                })
            $differences | Should -BeNullOrEmpty
            ($back | Where-Object { $_.Status -eq 'Failed' -and $_.ErrorId -ne 'LeadspaceInvalidResponse' })[0].HttpStatus | Should -Match '^50[0-4]$'
            ($back | Where-Object ErrorId -eq 'LeadspaceInvalidResponse').HttpStatus | Should -Not -Match '^(?!200$)'
        }

        It 'writes numbers in the invariant culture whatever the current culture' {
            $r = Invoke-FreshPwsh @"
[cultureinfo]::CurrentCulture = 'de-DE'
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'
`$rows = 1..40 | ForEach-Object { [pscustomobject]@{ Company = "Culture Co `$_"; 'First Name' = 'A'; 'Last Name' = "B`$_"; Email = "a`$_@c.com" } }
`$csv = `$rows | Invoke-LeadspaceEnrichment | ConvertTo-Csv
`$scores = (`$csv | ConvertFrom-Csv).TotalScore | Where-Object { `$_ }
'scores=' + @(`$scores).Count
'commas=' + @(`$scores | Where-Object { `$_ -match ',' }).Count
"@
            $r.Text | Should -Match 'scores=[1-9]'
            $r.Text | Should -Match 'commas=0'
        }

        It '-IncludeInput puts the input columns first and prefixes clashing names' {
            $row = [pscustomobject]@{ 'Lead ID' = 'L1'; 'Status' = 'Open'; 'Company' = 'Acme'; 'Owner' = 'jdoe' }
            $r = $row | Invoke-LeadspaceEnrichment -IncludeInput
            $names = $r.psobject.Properties.Name
            $names[0..3] | Should -Be 'Lead ID', 'Input_Status', 'Company', 'Owner'
            $r.Input_Status | Should -Be 'Open'
            $r.Status | Should -BeIn 'Enriched', 'NotMatched'
            $r.PSObject.TypeNames[0] | Should -Be 'Leadspace.Model.EnrichmentResult'
        }

        It '-AsResponse gives the full nested answer as typed objects' {
            $r = Invoke-LeadspaceEnrichment -FirstName 'Ada' -LastName 'Lovelace' -CompanyName 'Analytical Engines Ltd' -Email 'ada@ae.co.uk' -AsResponse
            $r | Should -BeOfType ([Leadspace.Model.EnrichmentResponse])
            $r.Outcome | Should -BeIn 'Enriched', 'NotMatched'
            $raw = $r.Json | ConvertFrom-Json
            $r.Data.EnrichmentStatus | Should -Be $raw.data.enrichment_status
            if ($r.Outcome -eq 'Enriched' -and $raw.data.company) {
                $r.Data.Company.Name | Should -Be $raw.data.company.name
                $r.Data.Company.Size.Range | Should -Be $raw.data.company.size.range
            }
        }

        It 'has default views that fit an 80- and a 120-column console and show why a row failed (width <_>)' -ForEach 80, 120 {
            $width = $_
            $rows = @(
                [pscustomobject]@{ Id = 'ok-1'; Company = 'Viewable Industries'; 'First Name' = 'Ada'; 'Last Name' = 'Lovelace'; Email = 'ada@viewable.example' }
                [pscustomobject]@{ Id = 'bad-1'; Email = 'only@example.com' }
            )
            $results = $rows | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue
            $lines = ($results | Format-Table | Out-String -Width $width) -split "`n" | Where-Object { $_.Trim() }
            $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual $width }
            $lines[0] | Should -Match '^\s*Row\s+Status\s+ExternalId\s+Detail\s*$'
            ($lines | Where-Object { $_ -match 'bad-1' }) | Should -Match 'Invalid\s+bad-1\s+Missing company'
            ($lines | Where-Object { $_ -match 'ok-1' }) | Should -Match 'Ada Lovelace'
            # Salesforce ids share their start on every row: the whole 18-character id shows, and a longer id
            # shows its distinguishing end; a failed, an invalid and a repeated-header row show a readable reason.
            $sf = 1..4 | ForEach-Object { [pscustomobject]@{ Id = "00Q5g000004AbC$($_)EAF"; Company = "Sf Company $_"; 'First Name' = 'Ada'; 'Last Name' = "Row$_" } }
            $long = [pscustomobject]@{ Id = 'hubspot-contact-000000000000000123'; Company = 'Long Id Inc' }
            $invalid = [pscustomobject]@{ Id = '00Q5g000004AbCxEAF'; Email = 'only@example.com' }
            $results = @($sf) + $long + $invalid | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue
            $lines = ($results | Format-Table | Out-String -Width $width) -split "`n" | Where-Object { $_.Trim() }
            $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual $width }
            foreach ($row in $sf) { @($lines | Where-Object { $_ -match "\s$($row.Id)\s" }).Count | Should -Be 1 }
            @($lines | Where-Object { $_ -match ([regex]::Escape("$([char]0x2026)$($long.Id.Substring($long.Id.Length - 17))") + '\s') }).Count | Should -Be 1
            ($lines | Where-Object { $_ -match '00Q5g000004AbCxEAF' }) | Should -Match 'Invalid\s+00Q5g000004AbCxEAF\s+Missing company\.name for account enrichment\s*$'
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 1 }
            $failed = [pscustomobject]@{ Id = '00Q5g000004AbCzEAF'; Company = 'Failing Co' } | Invoke-LeadspaceEnrichment -Connection (Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -MaxAttempts 1 -PassThru) -ErrorAction SilentlyContinue
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0 }
            $failed.Status | Should -Be 'Failed'
            $line = ($failed | Format-Table | Out-String -Width $width) -split "`n" | Where-Object { $_ -match '00Q5g000004AbCzEAF' }
            $line.TrimEnd().Length | Should -BeLessOrEqual $width
            $line | Should -Match "Failed\s+00Q5g000004AbCzEAF\s+$(($failed.ErrorId -replace '^Leadspace', '')) \(HTTP $($failed.HttpStatus)\)\s*$"
            $wide = ($failed | Format-Table -View Wide | Out-String -Width 400)
            $wide | Should -Match ([regex]::Escape(($failed.Message -split '\s+')[0..3] -join ' '))

            $connection = (Get-LeadspaceConnection | Format-Table | Out-String -Width $width) -split "`n" | Where-Object { $_.Trim() }
            $connection[0] | Should -Match '^\s*Id\s+ProgramId\s+BaseUri\s+Auth\s+Rate/s\s+Since\s*$'
            $connection | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual $width }
            $connection | Should -Not -Match 'sim-token'
        }

        It 'has a wide view for consoles with room' {
            $text = Invoke-LeadspaceEnrichment -CompanyName 'Acme' | Format-Table -View Wide | Out-String -Width 200
            $text | Should -Match 'Row\s+Status\s+ExternalId\s+Person\s+Level\s+Company'
        }

        It 'writes failures as non-terminating errors with stable ids, categories and the row as TargetObject' {
            $rows = @([pscustomobject]@{ Email = 'only@example.com'; Id = 'bad-1' }, [pscustomobject]@{ Company = 'Good'; Id = 'good-1' })
            $results = $rows | Invoke-LeadspaceEnrichment -ErrorVariable err -ErrorAction SilentlyContinue
            $results.Count | Should -Be 2
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be 'LeadspaceInvalidInput,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].TargetObject | Should -Be $rows[0]
            $err[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        }

        It '$err.TargetObject | Invoke-LeadspaceEnrichment retries exactly the failed rows' {
            Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 500 -MaxAttempts 1
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0.5 }
            $rows = 1..40 | ForEach-Object { New-Lead $_ }
            $first = $rows | Invoke-LeadspaceEnrichment -ErrorVariable err -ErrorAction SilentlyContinue
            $failed = @($first | Where-Object Status -eq 'Failed')
            $failed.Count | Should -BeGreaterThan 0
            $err.Count | Should -Be $failed.Count
            foreach ($e in $err) {
                # 500/502/503 are server errors; 504 (gateway timeout) is a timeout: the call may have been processed.
                if ($e.TargetObject -and $e.Exception.Result.HttpStatus -eq 504) {
                    $e.FullyQualifiedErrorId | Should -Match '^LeadspaceTimeout,'
                    $e.CategoryInfo.Category | Should -Be 'OperationTimeout'
                }
                else {
                    $e.FullyQualifiedErrorId | Should -Match '^LeadspaceServerError,'
                    $e.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
                }
                # Whatever the body's shape, its tracking id is found; only a 5xx without a body has none.
                if ($e.Exception.Result.Message -match 'server error, no body') { $e.Exception.Result.TrackingId | Should -BeNullOrEmpty }
                else { $e.Exception.Result.TrackingId | Should -Match '^[0-9a-f]{8}-[0-9a-f]{4}-' }
            }
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ errorRate = 0 }
            Reset-LeadspaceSimulator -Simulator $sim
            $retry = $err.TargetObject | Invoke-LeadspaceEnrichment
            $retry.ExternalId | Should -Be $failed.ExternalId
            (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be $failed.Count
        }

        It 'on 427 outputs every row (the rest NotSent, nothing charged), then stops with a terminating error' {
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ credits = 25; latencyMs = 20 }
            $out = [System.Collections.Generic.List[object]]::new()
            $caught = $null
            $rows = 1..200 | ForEach-Object { New-Lead $_ }
            try {
                $rows | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -ErrorVariable err | ForEach-Object { $out.Add($_) }
            }
            catch { $caught = $_ }
            $caught | Should -Not -BeNullOrEmpty
            $caught.FullyQualifiedErrorId | Should -Be 'LeadspaceCreditsExhausted,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
            $caught.CategoryInfo.Category | Should -Be 'QuotaExceeded'
            $caught.Exception.Message | Should -Match '427 \(insufficient credits'
            $caught.Exception.Message | Should -Match 'Of 200 rows read: 25 done .* \d+ failed, \d+ not sent'
            $out.Count | Should -Be 200
            $out.RowNumber | Should -Be (1..200)
            @($out | Where-Object { $_.Status -in 'Enriched', 'NotMatched' }).Count | Should -Be 25
            # $err holds every row that did not make it, so the runbook's retry file is complete.
            $notDone = @($out | Where-Object { $_.Status -notin 'Enriched', 'NotMatched' })
            @($err | Where-Object TargetObject).Count | Should -Be $notDone.Count
            @($err.TargetObject.'Lead ID') | Should -Be @($notDone.ExternalId)
            $stats = Get-LeadspaceSimulatorStats -Simulator $sim
            $stats.creditsCharged | Should -Be 25
            $stats.calls | Should -BeLessThan 200
        }

        It 'stops quickly, sending nothing more, when the base URI is dead' {
            $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
            Connect-Leadspace -Token $token -BaseUri "http://127.0.0.1:$port" -RetryBaseDelayMs 10
            $caught = $null
            $out = [System.Collections.Generic.List[object]]::new()
            try { Import-Csv $samples | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -ErrorVariable err | ForEach-Object { $out.Add($_) } }
            catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Be 'LeadspaceUnreachable,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
            $caught.CategoryInfo.Category | Should -Be 'ConnectionError'
            $caught.Exception.Message | Should -Match "127\.0\.0\.1:$port could not be reached"
            $out.Count | Should -Be 240
            @($out | Where-Object Status -eq 'NotSent').Count | Should -BeGreaterThan 200
            @($out | Where-Object { $_.Status -notin 'NotSent', 'Invalid' -and $_.ErrorId -ne 'LeadspaceConnectFailed' }).Count | Should -Be 0
        }

        It 'never pays twice for answers slower than -TimeoutSec, warns, and stops' {
            Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -TimeoutSec 1 -MaxAmbiguousRetries 3 -RequestsPerSecond 50
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 1500 }
            $caught = $null
            try { 1..40 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue | Out-Null }
            catch { $caught = $_ }
            # Let the simulator finish (and charge) the calls it is still working on: wait until none is in flight.
            $stats = Get-LeadspaceSimulatorStats -Simulator $sim -Settled
            $stats.duplicateCharges | Should -Be 0
            $stats.creditsCharged | Should -BeLessOrEqual 40
            ($warned -join ' ') | Should -Match 'no longer resent.*-TimeoutSec'
            $caught.FullyQualifiedErrorId | Should -Be 'LeadspaceUnreachable,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        }

        It 'stops with a terminating error on 401' {
            Connect-Leadspace -Token (ConvertTo-Secure 'not-a-valid-token') -BaseUri $sim.BaseUri
            $caught = $null
            $out = @()
            try { $out = 1..50 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue }
            catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Be 'LeadspaceUnauthorized,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
            $caught.CategoryInfo.Category | Should -Be 'AuthenticationError'
            (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged | Should -Be 0
        }
    }

    Context 'engine' {
        It 'keeps input order under random latencies' {
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 40; jitterMs = 35 }
            $rows = 1..150 | ForEach-Object { New-Lead $_ }
            $results = $rows | Invoke-LeadspaceEnrichment
            $results.ExternalId | Should -Be $rows.'Lead ID'
            (Get-LeadspaceSimulatorStats -Simulator $sim).peakConcurrency | Should -BeGreaterThan 1
        }

        It 'never lets more than the configured rate through any one-second window, and retries 429s without losing rows' {
            Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 20
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ rate = 20; latencyMs = 30 }
            $results = 1..70 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment
            $results.Count | Should -Be 70
            @($results | Where-Object { $_.Status -notin 'Enriched', 'NotMatched' }).Count | Should -Be 0
            $stats = Get-LeadspaceSimulatorStats -Simulator $sim
            $stats.maxAcceptedInAnyWindow | Should -BeLessOrEqual 20
            $stats.duplicateCharges | Should -Be 0
        }

        It 'shares one limiter per program across runspaces (ForEach-Object -Parallel)' {
            Connect-Leadspace -Token $token -ProgramId 'shared' -BaseUri $sim.BaseUri -RequestsPerSecond 15
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ rate = 15; latencyMs = 20 }
            $base = $sim.BaseUri; $tok = $sim.Token; $module = $ModulePath
            $counts = 1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
                Import-Module $using:module
                Connect-Leadspace -Token (ConvertTo-SecureString $using:tok -AsPlainText -Force) -ProgramId 'shared' -BaseUri $using:base -RequestsPerSecond 15
                $n = $_
                @(1..20 | ForEach-Object { [pscustomobject]@{ Company = "P$n-$_"; Id = "p$n-$_" } } | Invoke-LeadspaceEnrichment).Count
            }
            ($counts | Measure-Object -Sum).Sum | Should -Be 60
            $stats = Get-LeadspaceSimulatorStats -Simulator $sim
            $stats.maxAcceptedInAnyWindow | Should -BeLessOrEqual 15
            # One limiter for the three runspaces: three limiters would send 45 calls/s into a server that takes 15 and
            # collect dozens of 429s. A call that a busy machine sends late can still meet one; never more than a few.
            [int] $stats.statusCounts.'429' | Should -BeLessThan 5
        }

        It 'Get-LeadspaceRateStatus reports during a run from another runspace, and after it' {
            Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 30
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 200; rate = 30 }
            $job = Start-ThreadJob -ScriptBlock {
                Import-Module $using:ModulePath
                Start-Sleep -Milliseconds 1500
                Get-LeadspaceRateStatus
            }
            $results = 1..90 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment
            $during = Receive-Job $job -Wait -AutoRemoveJob
            $during.Calls | Should -BeGreaterThan 0
            $during.Calls | Should -BeLessThan 90
            $during.ConfiguredRate | Should -Be 30
            $after = Get-LeadspaceRateStatus
            $after.Calls | Should -Be 90
            $after.Successes | Should -Be 90
            $after.LatencyP50Ms | Should -BeGreaterThan 150
            $after.AnswersByStatus[200] | Should -Be 90
            $results.Count | Should -Be 90
        }

        It 'reports progress with a percentage when the total is known, and none under SilentlyContinue' {
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 50; rate = 1000 }
            $script = "Import-Module '$ModulePath'; Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -RequestsPerSecond 100; " +
                "`$rows = 1..150 | ForEach-Object { [pscustomobject]@{ Company = `"C`$_`" } }; "
            $ps = [powershell]::Create()
            try {
                $out = $ps.AddScript($script + 'Invoke-LeadspaceEnrichment -InputObject $rows').Invoke()
                $out.Count | Should -Be 150
                $progress = @($ps.Streams.Progress | Where-Object Activity -eq 'Leadspace enrichment')
                $progress.Count | Should -BeGreaterThan 1
                @($progress | Where-Object PercentComplete -gt 0).Count | Should -BeGreaterThan 0
                $progress[-1].RecordType | Should -Be 'Completed'
            }
            finally { $ps.Dispose() }
            $ps = [powershell]::Create()
            try {
                $out = $ps.AddScript($script + '$ProgressPreference = "SilentlyContinue"; $rows | Invoke-LeadspaceEnrichment -TotalCount 150').Invoke()
                $out.Count | Should -Be 150
                @($ps.Streams.Progress).Count | Should -Be 0
            }
            finally { $ps.Dispose() }
        }

        It 'stops within a second on Ctrl+C (StopProcessing) and leaves the connection usable' {
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 10000 }
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$ModulePath'; Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'; 1..100 | ForEach-Object { [pscustomobject]@{ Company = `"C`$_`" } } | Invoke-LeadspaceEnrichment")
                $callsBefore = (Get-LeadspaceSimulatorStats -Simulator $sim).calls
                $handle = $ps.BeginInvoke()
                # Stop once the run is under way: its calls are waiting on the simulator's 10-second answers.
                $deadline = [DateTime]::UtcNow.AddSeconds(60)
                while ((Get-LeadspaceSimulatorStats -Simulator $sim).calls -le $callsBefore) {
                    if ([DateTime]::UtcNow -gt $deadline) { throw 'The run never sent a call.' }
                    Start-Sleep -Milliseconds 50
                }
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $watch.Stop()
                $watch.Elapsed.TotalSeconds | Should -BeLessThan 1.5
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            }
            finally { $ps.Dispose() }
            Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ latencyMs = 0 }
            (Invoke-LeadspaceEnrichment -CompanyName 'After stop').HttpStatus | Should -Be 200
        }
    }
}
