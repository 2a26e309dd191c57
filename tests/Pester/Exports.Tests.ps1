Describe 'CRM and sales-tool exports' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '1000')
        $script:token = ConvertTo-Secure $sim.Token
        $script:fixtures = Join-Path $PSScriptRoot '../fixtures/exports'
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-exports-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $work | Out-Null

        # Per fixture: the column that must reach each field (the winner where several compete).
        $script:expected = @{
            'salesforce-leads.csv'               = @{ external_id = 'Lead ID'; 'company.name' = 'Company / Account'; 'company.address.state' = 'State/Province'; 'company.address.street' = 'Street'; 'person.person_phone' = 'Phone'; 'person.title' = 'Title' }
            'salesforce-contacts.csv'            = @{ external_id = 'Contact ID'; 'company.name' = 'Account Name'; 'company.address.state' = 'Mailing State/Province'; 'company.address.street' = 'Mailing Street'; 'company.address.postalcode' = 'Mailing Zip/Postal Code'; 'person.person_phone' = 'Phone' }
            'salesforce-contacts-dataloader.csv' = @{ external_id = 'Id'; 'person.first_name' = 'FirstName'; 'company.address.state' = 'MailingState'; 'company.address.street' = 'MailingStreet'; 'person.person_phone' = 'Phone' }
            'salesforce-accounts.csv'            = @{ external_id = 'Account ID'; 'company.name' = 'Account Name'; 'company.address.state' = 'Billing State/Province'; 'company.address.street' = 'Billing Street'; 'company.website' = 'Website' }
            'hubspot-contacts.csv'               = @{ external_id = 'Record ID'; 'company.name' = 'Company Name'; 'company.address.state' = 'State/Region'; 'company.address.country' = 'Country/Region'; 'person.person_phone' = 'Phone Number'; 'company.website' = 'Website URL' }
            'hubspot-companies.csv'              = @{ external_id = 'Record ID'; 'company.name' = 'Company name'; 'company.address.state' = 'State/Region'; 'company.website' = 'Company Domain Name' }
            'dynamics-leads.csv'                 = @{ external_id = '(Do Not Modify) Lead'; 'company.name' = 'Company Name'; 'company.address.street' = 'Street 1'; 'company.address.state' = 'State/Province'; 'person.person_phone' = 'Business Phone'; 'person.title' = 'Job Title' }
            'marketo-leads.csv'                  = @{ external_id = 'Id'; 'person.email' = 'Email Address'; 'company.address.street' = 'Address'; 'company.address.state' = 'State'; 'person.person_phone' = 'Phone Number' }
            'zoho-leads.csv'                     = @{ external_id = 'Record Id'; 'person.title' = 'Designation'; 'company.address.postalcode' = 'Zip Code'; 'company.address.state' = 'State'; 'person.person_phone' = 'Phone' }
            'pardot-prospects.csv'               = @{ external_id = 'Id'; 'company.address.street' = 'Address One'; 'company.address.postalcode' = 'Zip'; 'company.address.state' = 'State'; 'person.title' = 'Title' }
            'pipedrive-persons.csv'              = @{ external_id = 'Person - ID'; 'person.first_name' = 'Person - First name'; 'person.email' = 'Person - Email - Work'; 'person.person_phone' = 'Person - Phone - Work'; 'person.title' = 'Person - Job title'; 'company.name' = 'Person - Organization' }
            'apollo-contacts.csv'                = @{ external_id = 'Apollo Contact Id'; 'company.name' = 'Company'; 'company.address.city' = 'Company City'; 'company.address.state' = 'Company State'; 'person.person_phone' = 'First Phone'; 'person.linkedinUrl' = 'Person Linkedin Url' }
            'zoominfo-contacts.csv'              = @{ external_id = 'ZoomInfo Contact ID'; 'company.address.street' = 'Company Street Address'; 'company.address.state' = 'Company State'; 'person.person_phone' = 'Direct Phone Number'; 'person.linkedinUrl' = 'LinkedIn Contact Profile URL' }
            'outreach-prospects.csv'             = @{ external_id = 'Prospect ID'; 'company.address.street' = 'Address Street'; 'company.address.state' = 'Address State'; 'company.address.postalcode' = 'Address Zip'; 'person.person_phone' = 'Work Phone' }
            'salesloft-people.csv'               = @{ external_id = 'Salesloft ID'; 'company.name' = 'Account'; 'company.address.city' = 'Work City'; 'company.address.state' = 'Work State'; 'company.website' = 'Person Company Website' }
        }
        function script:Get-Path($json, [string] $path) {
            $value = $json
            foreach ($segment in $path -split '\.') { if ($null -eq $value) { return $null }; $value = $value.$segment }
            $value
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
        Connect-Leadspace -Token $token -ProgramId 'sim-program' -BaseUri $sim.BaseUri -RequestsPerSecond 500
    }

    It 'every fixture has its expectations' {
        (Get-ChildItem $fixtures -Filter *.csv).Name | Sort-Object | Should -Be ($expected.Keys | Sort-Object)
    }

    It 'maps <_> without -PropertyMap: the request bodies the simulator received carry each field from its column, ignored columns are reported' -ForEach @(
        'salesforce-leads.csv', 'salesforce-contacts.csv', 'salesforce-contacts-dataloader.csv', 'salesforce-accounts.csv',
        'hubspot-contacts.csv', 'hubspot-companies.csv', 'dynamics-leads.csv', 'marketo-leads.csv', 'zoho-leads.csv',
        'pardot-prospects.csv', 'pipedrive-persons.csv', 'apollo-contacts.csv', 'zoominfo-contacts.csv', 'outreach-prospects.csv',
        'salesloft-people.csv') {
        $file = $_
        $rows = Import-Csv (Join-Path $fixtures $file)
        $all = $rows | Invoke-LeadspaceEnrichment -SummaryVariable summary -Verbose 4>&1 3>&1
        $results = @($all | Where-Object { $_ -is [Leadspace.Model.EnrichmentResult] })
        $results.Count | Should -Be $rows.Count
        $results.Status | Should -Not -Contain 'Invalid'
        # What went on the wire, as the simulator recorded it; calls run concurrently, so each body is found by its
        # row's external id (every fixture has one).
        $received = @(Get-LeadspaceSimulatorRequest -Simulator $sim)
        $received.Count | Should -Be $rows.Count
        $idColumn = $expected[$file]['external_id']
        $bodies = @(foreach ($row in $rows) {
            $found = @($received | Where-Object external_id -eq $row.$idColumn)
            $found.Count | Should -Be 1 -Because "$file sent the row with id '$($row.$idColumn)' once"
            $found[0]
        })
        for ($i = 0; $i -lt $rows.Count; $i++) {
            foreach ($field in $expected[$file].Keys) {
                Get-Path $bodies[$i] $field | Should -Be $rows[$i].($expected[$file][$field]) -Because "$file row $($i + 1): $field comes from '$($expected[$file][$field])'"
            }
            $results[$i].ExternalId | Should -Be $rows[$i].($expected[$file]['external_id'])
        }
        # Every column is either mapped or listed as ignored, and an ignored column's value is in no request body.
        $summary.Mapping.Columns.Column | Should -Be $rows[0].PSObject.Properties.Name
        foreach ($ignored in $summary.Mapping.Ignored) {
            $value = $rows[0].$ignored
            if ($value -and $value.Length -gt 3 -and -not ($summary.Mapping.Mapped | Where-Object { $rows[0].($_.Column) -eq $value })) {
                ($bodies[0] | ConvertTo-Json -Depth 5 -Compress) | Should -Not -MatchExactly ([regex]::Escape(':' + ($value | ConvertTo-Json -Compress)))
            }
        }
        $verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Where-Object Message -Match 'Columns mapped')
        $verbose.Count | Should -Be 1   # once per run
        $verbose[0].Message | Should -Match ([regex]::Escape("'$($expected[$file]['external_id'])' → external_id"))
        @($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }).Count | Should -Be 0
    }

    It 'says what it maps and ignores in -WhatIf, and warns about a look-alike column' {
        $rows = 1..3 | ForEach-Object { [pscustomobject]@{ 'Lead ID' = "L$_"; 'First Name' = 'Ada'; 'Last Name' = 'Lovelace'; 'Company' = "Acme $_"; 'Sales Region' = 'EMEA'; 'Lead Source' = 'Web' } }
        $out = $rows | Invoke-LeadspaceEnrichment -WhatIf -SummaryVariable summary -Verbose 4>&1 3>&1
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Where-Object Message -Match 'Columns mapped')
        $verbose.Count | Should -Be 1
        $verbose[0].Message | Should -Match "Columns mapped: 'Lead ID' → external_id; 'First Name' → person.first_name"
        $verbose[0].Message | Should -Match "Columns ignored \(not sent\): 'Sales Region'; 'Lead Source'"
        # The -WhatIf text is written to the host: read it from a fresh pwsh.
        $fresh = Invoke-FreshPwsh "Import-Module '$ModulePath'; 1..2 | ForEach-Object { [pscustomobject]@{ 'Lead ID' = `"L`$_`"; 'First Name' = 'Ada'; 'Last Name' = 'Lovelace'; 'Company' = `"Acme `$_`"; 'Sales Region' = 'EMEA' } } | Invoke-LeadspaceEnrichment -WhatIf"
        $fresh.Text | Should -Match "What if: .*2 input row\(s\): 2 to send.*Columns mapped: 'Lead ID' → external_id; 'First Name' → person.first_name; 'Last Name' → person.last_name; 'Company' → company.name\. Columns ignored \(not sent\): 'Sales Region'\."
        $warnings = @($out | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match "'Sales Region' look like request fields but are not sent.*-PropertyMap"
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
        $summary.Mapping.Ignored | Should -Be @('Sales Region', 'Lead Source')
    }

    It 'warns once, naming the column, when a Windows-1252 file is read as UTF-8; the rows are still sent' {
        $path = Join-Path $work 'excel-1252.csv'
        $text = "Lead ID,First Name,Last Name,Company`r`nL1,José,Muñoz,Café Olé`r`nL2,Zoë,Brontë,Crème Ltd`r`n"
        [IO.File]::WriteAllBytes($path, [Text.Encoding]::GetEncoding(28591).GetBytes($text))   # the bytes Excel writes (Windows-1252)
        $out = Import-Csv $path | Invoke-LeadspaceEnrichment 3>&1
        $warnings = @($out | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match "Column 'First Name' of input row 1 .*wrong encoding.*Import-Csv -Encoding 1252"
        @($out | Where-Object { $_ -is [Leadspace.Model.EnrichmentResult] }).Count | Should -Be 2
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 2
        $fixed = Import-Csv $path -Encoding 1252 | Invoke-LeadspaceEnrichment 3>&1
        @($fixed | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }).Count | Should -Be 0
    }

    It 'does not send a repeated header row (two exports joined) and says why' {
        $path = Join-Path $work 'joined.csv'
        $header = 'Lead ID,First Name,Last Name,Company,Lead Source'
        @($header, 'L1,Ada,Lovelace,Acme,Web', $header, 'L2,Alan,Turing,Bletchley,Web') | Set-Content $path
        $results = Import-Csv $path | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -ErrorVariable errs
        $results.Count | Should -Be 3
        $results[1].Status | Should -Be 'Invalid'
        $results[1].Message | Should -Match 'repeats the header row'
        $errs[0].FullyQualifiedErrorId | Should -Match '^LeadspaceInvalidInput'
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 2
    }
}
