Describe 'The built module' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:ModuleDir = Split-Path $ModulePath
    }

    It 'imports in a fresh pwsh with no warning or error' {
        $r = Invoke-FreshPwsh "Import-Module '$ModulePath' -WarningVariable w -ErrorVariable e -Verbose 4>`$null; 'warnings=' + `$w.Count; 'errors=' + `$e.Count; (Get-Command -Module Leadspace).Name -join ','"
        $r.ExitCode | Should -Be 0
        $r.Text | Should -Match 'warnings=0'
        $r.Text | Should -Match 'errors=0'
        $r.Text | Should -Match 'Invoke-LeadspaceEnrichment'
    }

    It 'exports exactly the documented cmdlets' {
        $expected = 'Connect-Leadspace', 'Disconnect-Leadspace', 'Get-LeadspaceConnection', 'Get-LeadspaceRateStatus', 'Invoke-LeadspaceEnrichment', 'Remove-LeadspaceJournalEntry'
        (Get-Command -Module Leadspace).Name | Sort-Object | Should -Be ($expected | Sort-Object)
        (Get-Module Leadspace).ExportedFunctions.Count | Should -Be 0
        (Get-Module Leadspace).ExportedAliases.Count | Should -Be 0
    }

    It 'passes Test-ModuleManifest' {
        $m = Test-ModuleManifest -Path $ModulePath -ErrorAction Stop
        $m.Name | Should -Be 'Leadspace'
        $m.ExportedCmdlets.Keys | Should -Contain 'Invoke-LeadspaceEnrichment'
        $m.CompatiblePSEditions | Should -Contain 'Desktop'
    }

    It 'does not ship PowerShell''s own assemblies' {
        Get-ChildItem $ModuleDir -Recurse -Filter 'System.Management.Automation.dll' | Should -BeNullOrEmpty
        Get-ChildItem $ModuleDir -Recurse -Filter 'Microsoft.PowerShell.*.dll' | Should -BeNullOrEmpty
    }

    It 'ships the rate limiter it depends on, at the 8.0 version that binds on PowerShell 7.4' {
        $dll = Join-Path $ModuleDir 'System.Threading.RateLimiting.dll'
        $dll | Should -Exist
        [Reflection.AssemblyName]::GetAssemblyName($dll).Version.Major | Should -Be 8
    }

    It 'ships the time source it depends on (System.TimeProvider for netstandard2.0), at 8.0, beside the module only' {
        $dll = Join-Path $ModuleDir 'Microsoft.Bcl.TimeProvider.dll'
        $dll | Should -Exist
        [Reflection.AssemblyName]::GetAssemblyName($dll).Version.Major | Should -Be 8
        Join-Path $ModuleDir 'RateLimitStore/Microsoft.Bcl.TimeProvider.dll' | Should -Not -Exist
    }

    It 'names cmdlets with approved verbs' {
        $approved = (Get-Verb).Verb
        foreach ($c in Get-Command -Module Leadspace) { $approved | Should -Contain $c.Verb }
    }

    It 'marks money-spending calls with ShouldProcess, at an impact that does not prompt by default' {
        $cmd = Get-Command Invoke-LeadspaceEnrichment
        $cmd.Parameters.Keys | Should -Contain 'WhatIf'
        $cmd.Parameters.Keys | Should -Contain 'Confirm'
        $attr = $cmd.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $attr.ConfirmImpact | Should -Be 'Medium'
    }

    It 'has a parameter of Invoke-LeadspaceEnrichment for every request field, in the Record set' {
        $parameters = (Get-Command Invoke-LeadspaceEnrichment).Parameters
        foreach ($field in [Leadspace.Mapping.RequestField]::All) {
            $parameters.Keys | Should -Contain $field.ParameterName -Because "$($field.JsonPath) is set by -$($field.ParameterName)"
            $parameters[$field.ParameterName].ParameterSets.Keys | Should -Contain 'Record'
            $parameters[$field.ParameterName].ParameterType | Should -Be ([string])
        }
        # ...and no hand-made parameter in that set that names no field (besides -CustomFields).
        $recordOnly = $parameters.Values | Where-Object { $_.ParameterSets.Keys -contains 'Record' -and $_.ParameterSets.Keys -notcontains '__AllParameterSets' }
        ($recordOnly.Name | Where-Object { $_ -ne 'CustomFields' } | Sort-Object) | Should -Be (([Leadspace.Mapping.RequestField]::All.ParameterName) | Sort-Object)
    }

    It 'names a real ErrorCategory for every failure in the failure table' {
        foreach ($f in [Leadspace.Resilience.FailureTable]::All) {
            [System.Management.Automation.ErrorCategory] $f.Category | Should -Not -Be 'NotSpecified' -Because $f.Kind
        }
    }

    It 'ships the rate limit store apart, in RateLimitStore/, and Leadspace.dll references no Redis assembly' {
        $store = Join-Path $ModuleDir 'RateLimitStore'
        foreach ($dll in 'Leadspace.RateLimitStore.dll', 'StackExchange.Redis.dll', 'Pipelines.Sockets.Unofficial.dll') {
            Join-Path $store $dll | Should -Exist
        }
        Join-Path $store 'Leadspace.dll' | Should -Not -Exist   # the shared interface must come from the one Leadspace.dll
        Join-Path $ModuleDir 'StackExchange.Redis.dll' | Should -Not -Exist
        $references = [Reflection.Assembly]::LoadFile((Join-Path $ModuleDir 'Leadspace.dll')).GetReferencedAssemblies().Name
        $references | Should -Not -Contain 'StackExchange.Redis'
        $references | Should -Not -Contain 'Leadspace.RateLimitStore'
        $references | Should -Not -Contain 'Pipelines.Sockets.Unofficial'
    }

    It 'loads no Redis assembly on a normal import and enrichment' {
        $sim = Start-LeadspaceSimulator
        try {
            $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'
'rows=' + @(1..3 | ForEach-Object { [pscustomobject]@{ Company = "C`$_" } } | Invoke-LeadspaceEnrichment | Where-Object HttpStatus -eq 200).Count
'gate=' + (Get-LeadspaceRateStatus).Gate
'redis=' + @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -match 'StackExchange|Pipelines\.Sockets|RateLimitStore' }).Count
'contexts=' + @([Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'Leadspace.RateLimitStore').Count
"@ -Environment @{ LEADSPACE_RATE_LIMIT_STORE = $null }
            $r.Text | Should -Match 'rows=3'
            $r.Text | Should -Match 'gate=Local'
            $r.Text | Should -Match 'redis=0'
            $r.Text | Should -Match 'contexts=0'
        }
        finally { Stop-LeadspaceSimulator -Simulator $sim }
    }
}
