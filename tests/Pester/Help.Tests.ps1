BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:cmdletNames = @((Get-Module Leadspace).ExportedCmdlets.Keys | Sort-Object)
}

Describe 'Help of <_>' -ForEach $cmdletNames {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:name = $_
        $script:help = Get-Help $name -Full
        $script:commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters
        $script:parameterNames = @((Get-Command $name).Parameters.Keys | Where-Object { $_ -notin $commonParameters })
    }

    It 'comes from the module''s MAML file, not the auto-generated syntax' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$([regex]::Escape($name))\s"
        $help.Synopsis | Should -Not -Match '\[<CommonParameters>\]'
        ($help.description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has examples with code and an explanation' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual $(if ($name -eq 'Invoke-LeadspaceEnrichment') { 5 } else { 1 })
        foreach ($e in $examples) {
            $e.code | Should -Not -BeNullOrEmpty
            ($e.remarks.Text -join '').Trim() | Should -Not -BeNullOrEmpty -Because "$($e.title) needs an explanation"
        }
    }

    It 'describes every parameter' {
        foreach ($p in $parameterNames) {
            $parameterHelp = Get-Help $name -Parameter $p
            ($parameterHelp.description.Text -join '').Trim() | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
        }
    }

    It 'states each parameter''s metadata as the cmdlet declares it' {
        $command = Get-Command $name
        foreach ($p in $parameterNames) {
            $declared = @($command.ParameterSets | ForEach-Object { $_.Parameters | Where-Object Name -EQ $p })
            $parameterHelp = Get-Help $name -Parameter $p
            $parameterHelp.required | Should -Be ("$(@($declared | Where-Object IsMandatory).Count -eq $declared.Count)".ToLowerInvariant()) -Because "-$p"
            $parameterHelp.pipelineInput -like 'True*' | Should -Be ([bool]($declared | Where-Object { $_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName })) -Because "-$p"
        }
    }

    It 'has a syntax entry per parameter set' {
        @($help.syntax.syntaxItem).Count | Should -Be @((Get-Command $name).ParameterSets).Count
    }
}

Describe 'Invoke-LeadspaceEnrichment help generated from the source' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:help = Get-Help Invoke-LeadspaceEnrichment -Full
        $script:description = $help.description.Text -join "`n"
        $script:outputs = ($help.returnValues.returnValue | ForEach-Object { $_.description.Text }) -join "`n"
        $script:notes = $help.alertSet.alert.Text -join "`n"
    }

    It 'contains the alias table with every request field, its parameter and its aliases' {
        foreach ($field in [Leadspace.Mapping.RequestField]::All) {
            $row = @($description -split "`n" | Where-Object { $_ -match "^\s*$([regex]::Escape($field.JsonPath))\s+-$($field.ParameterName)\s" })
            $row.Count | Should -Be 1 -Because "the alias table needs a row for $($field.JsonPath)"
            foreach ($alias in $field.Aliases) { $row[0] | Should -BeLike "*$alias*" }
        }
    }

    It 'lists every output column' {
        foreach ($property in [Leadspace.Model.EnrichmentResult].GetProperties()) {
            $outputs | Should -Match "\b$($property.Name)\b"
        }
    }

    It 'says, column by column, which columns summarise a list or hold part of an object' {
        $described = @([Leadspace.Model.EnrichmentResult].GetProperties() | Where-Object { $_.GetCustomAttributes([System.ComponentModel.DescriptionAttribute], $false) })
        $described.Count | Should -BeGreaterThan 10
        foreach ($property in $described) {
            $note = $property.GetCustomAttributes([System.ComponentModel.DescriptionAttribute], $false)[0].Description
            $firstWords = ($note -split ' ' | Select-Object -First 4) -join ' '
            $outputs | Should -Match "(?m)^\s*$($property.Name)\s+$([regex]::Escape($firstWords))" -Because "$($property.Name) needs its row"
        }
        foreach ($name in 'CompanyIntentNewHighIntentFlag', 'TotalScorePredictiveSignalsSummary', 'FamilyTreeCompanies') {
            $described.Name | Should -Contain $name
        }
        $outputs | Should -Match '-AsResponse holds the whole answer'
    }

    It 'lists every status value' {
        foreach ($status in [Leadspace.Model.EnrichmentOutcome]::All) {
            $outputs | Should -Match "\b$status\b"
        }
    }

    It 'lists every ErrorId with its category' {
        foreach ($id in [Leadspace.Engine.ErrorIds].GetFields() | Where-Object IsLiteral | ForEach-Object { $_.GetValue($null) }) {
            $notes | Should -Match "(?m)^\s*$id\s+\w+\s+\w+" -Because "$id needs a row in the ErrorId table"
        }
        $notes | Should -Match '(?m)^\s*LeadspaceCreditsExhausted\s+QuotaExceeded\b'
        $notes | Should -Match '(?m)^\s*LeadspaceInvalidInput\s+InvalidData\b'
    }

    It 'shows the documented examples: the CSV one-liner, retrying failures, -WhatIf, -IncludeInput, -PropertyMap, -CustomField, -AsResponse' {
        $code = ($help.examples.example | ForEach-Object code) -join "`n"
        $code | Should -Match 'Import-Csv leads\.csv \| Invoke-LeadspaceEnrichment \| Export-Csv enriched\.csv'
        $code | Should -Match '\.TargetObject \| Invoke-LeadspaceEnrichment'
        foreach ($switch in '-WhatIf', '-IncludeInput', '-PropertyMap', '-CustomField', '-AsResponse', '-ErrorVariable') {
            $code | Should -Match ([regex]::Escape($switch))
        }
    }
}

Describe 'Connect-Leadspace help' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:help = Get-Help Connect-Leadspace -Full
        $script:text = ($help | Out-String -Width 300)
    }

    It 'says that a perpetual token costs no credit and is not verified, while OAuth is verified at connect' {
        $text | Should -Match 'perpetual token is not verified'
        $text | Should -Match 'no free endpoint'
        $text | Should -Match 'OAuth credentials[^.]*verified when you connect'
    }

    It 'names the environment variables the cmdlet reads' {
        foreach ($field in [Leadspace.Commands.ConnectLeadspaceCommand].GetFields() | Where-Object { $_.IsLiteral -and $_.Name -like '*Variable' }) {
            $text | Should -Match ([regex]::Escape($field.GetValue($null)))
        }
    }

    It 'shows OAuth, Get-Secret, environment variables, several connections and the simulator in its examples' {
        $code = ($help.examples.example | ForEach-Object code) -join "`n"
        foreach ($pattern in '-OAuthCredential', 'Get-Secret', 'LEADSPACE_API_TOKEN', '-Connection \$', 'Start-LeadspaceSimulator') {
            $code | Should -Match $pattern
        }
    }
}

Describe 'about_Leadspace' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:about = Get-Help about_Leadspace | Out-String -Width 300
    }

    It 'is found by Get-Help' {
        $about | Should -Match 'about_Leadspace'
        $about | Should -Match 'SHORT DESCRIPTION'
    }

    It 'covers <_>' -ForEach @('RATE LIMITING', 'MaxAmbiguousRetries', '427', '401', 'Export-Csv', 'LEADSPACE_API_TOKEN',
        'LEADSPACE_PROGRAM_ID', 'LEADSPACE_BASE_URI', 'LEADSPACE_OAUTH_SECRET', 'simulator', 'tracking id', 'program id') {
        $about | Should -Match ([regex]::Escape($_))
    }

    It 'explains what stopping a run early costs' {
        $about | Should -Match 'STOPPING A RUN EARLY'
        $about | Should -Match 'Select-Object -First 10 \| Invoke-LeadspaceEnrichment'
    }

    It 'lists every ErrorId' {
        foreach ($id in [Leadspace.Engine.ErrorIds].GetFields() | Where-Object IsLiteral | ForEach-Object { $_.GetValue($null) }) {
            $about | Should -Match "\b$id\b"
        }
    }
}
