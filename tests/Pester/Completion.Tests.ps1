# Tab completion as PowerShell offers it (TabExpansion2, what PSReadLine calls on Tab), and the argument forms
# it completes to.
Describe 'Tab completion' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        function script:Complete([string] $InputScript) {
            (TabExpansion2 -inputScript $InputScript -cursorColumn $InputScript.Length).CompletionMatches
        }
        $script:savedProgramId = $env:LEADSPACE_PROGRAM_ID
        $script:savedBaseUri = $env:LEADSPACE_BASE_URI
    }
    AfterAll {
        Disconnect-Leadspace -All
        $env:LEADSPACE_PROGRAM_ID = $savedProgramId
        $env:LEADSPACE_BASE_URI = $savedBaseUri
    }
    BeforeEach {
        Disconnect-Leadspace -All
        $env:LEADSPACE_PROGRAM_ID = $null
        $env:LEADSPACE_BASE_URI = $null
    }

    Context '-PropertyMap' {
        It 'completes the request field after Column= from the RequestField list, with tooltips' {
            $offered = @(Complete "Import-Csv accounts.csv | Invoke-LeadspaceEnrichment -PropertyMap 'Acct Legal Name=")
            $offered.ListItemText | Should -Be (@([Leadspace.Mapping.RequestField]::All.JsonPath) + 'custom_fields')
            $offered.CompletionText | Should -Be (@([Leadspace.Mapping.RequestField]::All.JsonPath) + 'custom_fields' | ForEach-Object { "'Acct Legal Name=$_'" })
            ($offered | Where-Object ListItemText -EQ 'company.name').ToolTip | Should -Match '-CompanyName.*Account Name'
            $offered[0].ResultType | Should -Be 'ParameterValue'
        }

        It 'narrows to the fields whose path, parameter name or a path segment starts with what was typed' {
            (Complete "Invoke-LeadspaceEnrichment -PropertyMap 'Acct Legal Name=comp").CompletionText | Should -Contain "'Acct Legal Name=company.name'"
            (Complete 'Invoke-LeadspaceEnrichment -PropertyMap Billing_Town=city').CompletionText | Should -Be 'Billing_Town=company.address.city'
            (Complete 'Invoke-LeadspaceEnrichment -PropertyMap "Acct=CompanyNa').CompletionText | Should -Be '"Acct=company.name"'
        }

        It 'completes an unquoted later entry of a list' {
            (Complete "Invoke-LeadspaceEnrichment -PropertyMap 'Acct Legal Name=company.name', SFDC_Id=ext").CompletionText | Should -Be 'SFDC_Id=external_id'
        }

        It 'binds what it completes to: Column=field strings map like a hashtable' {
            $row = [pscustomobject]@{ 'Acct Legal Name' = 'Mueller Sons GmbH'; 'SFDC Id' = '001xx'; 'Segment' = 'SMB' }
            $completed = (Complete "Invoke-LeadspaceEnrichment -PropertyMap 'Acct Legal Name=comp")[0].CompletionText
            $DebugPreference = 'Continue'   # -Debug on a compiled cmdlet asks (Inquire) at every row
            $command = "`$row | Invoke-LeadspaceEnrichment -PropertyMap $completed, 'SFDC Id = external_id', Segment=custom_fields -WhatIf 5>&1"
            $debug = @(& ([scriptblock]::Create($command)) | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Message -join "`n"
            $debug | Should -Match ([regex]::Escape('"company":{"name":"Mueller Sons GmbH"}'))
            $debug | Should -Match ([regex]::Escape('"external_id":"001xx"'))
            $debug | Should -Match ([regex]::Escape('"custom_fields":[{"name":"Segment","value":"SMB"}]'))
        }

        It 'refuses a string that is not Column=field before reading any row' {
            $err = { [pscustomobject]@{ a = 1 } | Invoke-LeadspaceEnrichment -PropertyMap 'company.name' -WhatIf } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
            $err.Exception.Message | Should -Match "'Column=target'"
            { [pscustomobject]@{ a = 1 } | Invoke-LeadspaceEnrichment -PropertyMap 'a=company.name', 'A=external_id' -WhatIf } | Should -Throw '*twice*'
        }

        It 'still reports a field that does not exist as LeadspaceInvalidPropertyMap' {
            $err = { [pscustomobject]@{ a = 1 } | Invoke-LeadspaceEnrichment -PropertyMap 'a=company.nom' -WhatIf } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'LeadspaceInvalidPropertyMap,*'
        }
    }

    Context 'columns of the CSV the command line reads' {
        BeforeAll {
            $script:csvDir = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-completion-" + [guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory -Path $csvDir | Out-Null
            Set-Content -Path (Join-Path $csvDir 'accounts.csv') -Encoding utf8 -Value @(
                'Acct Legal Name;SFDC Id;First Name;Segment;Region', 'Acme;001;Zoe;SMB;EMEA')
            Push-Location $csvDir
        }
        AfterAll {
            Pop-Location
            Remove-Item $csvDir -Recurse -Force -ErrorAction SilentlyContinue
        }

        It 'offers them for -CustomField, reading the file as the Import-Csv in front would (relative path, -Delimiter)' {
            $offered = @(Complete "Import-Csv ./accounts.csv -Delimiter ';' | Invoke-LeadspaceEnrichment -CustomField ")
            # Columns no rule maps come first; 'SFDC Id' is a record id (vendor-prefixed), so it maps to external_id.
            $offered.CompletionText | Should -Be @("'Acct Legal Name'", 'Segment', 'Region', "'SFDC Id'", "'First Name'")
            $offered[0].ToolTip | Should -Match 'not in the alias table'
            $offered[3].ToolTip | Should -Match 'external_id'
            $offered[4].ToolTip | Should -Match 'person\.first_name'
            @(Complete "Import-Csv ./accounts.csv -Delimiter ';' | Invoke-LeadspaceEnrichment -CustomField Segment, Reg").CompletionText | Should -Be @('Region')
        }

        It 'reads a path held in a variable' {
            $script:accounts = Join-Path $csvDir 'accounts.csv'
            @(Complete "Import-Csv `$accounts -Delimiter ';' | Invoke-LeadspaceEnrichment -CustomField Seg").CompletionText | Should -Be @('Segment')
        }

        It 'offers Column= for -PropertyMap, then the fields after the =' {
            @(Complete "Import-Csv ./accounts.csv -Delimiter ';' | Invoke-LeadspaceEnrichment -PropertyMap 'Acct").CompletionText | Should -Be @("'Acct Legal Name=")
            @(Complete "Import-Csv ./accounts.csv -Delimiter ';' | Invoke-LeadspaceEnrichment -PropertyMap 'Acct Legal Name=comp").CompletionText |
                Should -Contain "'Acct Legal Name=company.name'"
        }

        It 'never evaluates an argument that could do something: <_>' -ForEach @(
            'Import-Csv (New-Item -ItemType File -Path ./marker.txt) | Invoke-LeadspaceEnrichment -CustomField '
            'Import-Csv "$(New-Item -ItemType File -Path ./marker.txt)" | Invoke-LeadspaceEnrichment -CustomField '
            'Import-Csv ./accounts.csv -Delimiter ([char](New-Item -ItemType File -Path ./marker.txt).Name[0]) | Invoke-LeadspaceEnrichment -CustomField ') {
            @(Complete $_ | Where-Object ResultType -EQ 'ParameterValue') | Should -BeNullOrEmpty
            Join-Path $csvDir 'marker.txt' | Should -Not -Exist
        }

        It 'runs the Import-Csv cmdlet, not a function that shadows it' {
            $global:LeadspaceMarker = Join-Path $csvDir 'marker.txt'
            function global:Import-Csv { New-Item -ItemType File -Path $global:LeadspaceMarker | Out-Null; [pscustomobject]@{ Fake = 1 } }
            try {
                @(Complete "Import-Csv ./accounts.csv -Delimiter ';' | Invoke-LeadspaceEnrichment -CustomField Seg").CompletionText | Should -Be @('Segment')
                Join-Path $csvDir 'marker.txt' | Should -Not -Exist
            }
            finally {
                Remove-Item -LiteralPath Function:\Import-Csv   # the global one: nothing else defines it
                Remove-Variable LeadspaceMarker -Scope Global
            }
        }

        It 'offers nothing of its own for a file that does not exist' {
            @(Complete 'Import-Csv ./missing.csv | Invoke-LeadspaceEnrichment -CustomField ' | Where-Object ResultType -EQ 'ParameterValue') | Should -BeNullOrEmpty
        }
    }

    Context '-Connection' {
        BeforeEach {
            $script:acme = Connect-Leadspace -Token (ConvertTo-Secure 'token-a') -ProgramId 'acme-emea' -BaseUri 'http://127.0.0.1:9' -PassThru
            $script:beta = Connect-Leadspace -Token (ConvertTo-Secure 'token-b') -ProgramId 'beta' -BaseUri 'http://127.0.0.1:10' -PassThru
        }

        It 'offers the ids of the open connections, with program and base URI, on <_>' -ForEach @(
            'Invoke-LeadspaceEnrichment -Connection ', 'Get-LeadspaceRateStatus -Connection ', 'Disconnect-Leadspace ') {
            $offered = @(Complete $_)
            $offered.CompletionText | Should -Be @("$($acme.Id)", "$($beta.Id)")
            $offered[0].ListItemText | Should -Be "$($acme.Id): program 'acme-emea' at http://127.0.0.1:9"
            $offered[1].ToolTip | Should -Match "program 'beta'"
            $offered[1].ToolTip | Should -Not -Match 'token-b'
        }

        It 'narrows by the digits typed and offers nothing once they are disconnected' {
            @(Complete "Get-LeadspaceRateStatus -Connection $($beta.Id)").CompletionText | Should -Contain "$($beta.Id)"
            @(Complete "Get-LeadspaceRateStatus -Connection $($beta.Id)").CompletionText | Should -Not -Contain "$($acme.Id)"
            Disconnect-Leadspace -All
            @(Complete 'Get-LeadspaceRateStatus -Connection ' | Where-Object ResultType -EQ 'ParameterValue') | Should -BeNullOrEmpty
        }

        It 'takes a connection id wherever it takes a connection' {
            (Get-LeadspaceRateStatus -Connection $acme.Id).ProgramId | Should -Be 'acme-emea'
            (Get-LeadspaceRateStatus "$($acme.Id)").ProgramId | Should -Be 'acme-emea'
            [pscustomobject]@{ 'First Name' = 'Zoë' } | Invoke-LeadspaceEnrichment -Connection $acme.Id -WhatIf   # binds
            Disconnect-Leadspace $acme.Id
            (Get-LeadspaceConnection -All).Id | Should -Be @($beta.Id)
            $beta | Disconnect-Leadspace   # objects still bind, from the pipeline too
            Get-LeadspaceConnection -All | Should -BeNullOrEmpty
        }

        It 'refuses an id that no open connection has, naming the open ones' {
            $err = { Invoke-LeadspaceEnrichment -Connection 999 -CompanyName 'Acme' } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
            $err.Exception.Message | Should -Match 'no open Leadspace connection with id 999'
            $err.Exception.Message | Should -Match "$($beta.Id) = program 'beta'"
        }
    }

    Context 'Connect-Leadspace' {
        It 'offers program ids from $env:LEADSPACE_PROGRAM_ID and the open connections' {
            $env:LEADSPACE_PROGRAM_ID = 'from-env'
            $null = Connect-Leadspace -Token (ConvertTo-Secure 't') -ProgramId 'Acme EMEA' -BaseUri 'http://127.0.0.1:9'
            (Complete 'Connect-Leadspace -ProgramId ').CompletionText | Should -Be @('from-env', "'Acme EMEA'")
            (Complete 'Connect-Leadspace -ProgramId Ac').CompletionText | Should -Be @("'Acme EMEA'")
            (Complete 'Connect-Leadspace -ProgramId from').ToolTip | Should -Match 'LEADSPACE_PROGRAM_ID'
        }

        It 'offers Leadspace''s base URI, $env:LEADSPACE_BASE_URI and those of the open connections' {
            $env:LEADSPACE_BASE_URI = 'http://127.0.0.1:4000'
            $null = Connect-Leadspace -Token (ConvertTo-Secure 't') -ProgramId 'sim' -BaseUri 'http://127.0.0.1:9'
            (Complete 'Connect-Leadspace -BaseUri ').CompletionText | Should -Be @('https://apigw.leadspace.com', 'http://127.0.0.1:4000', 'http://127.0.0.1:9')
            (Complete 'Connect-Leadspace -BaseUri https').CompletionText | Should -Be @('https://apigw.leadspace.com')
        }
    }
}
