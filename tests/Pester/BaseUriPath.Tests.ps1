Describe 'A base URI with a path (a gateway prefix)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--rate', '1000', '--path-prefix', '/gateway/v3', '--no-match-rate', '0', '--oauth-secret', 'oauth-s3cret')
        $script:token = ConvertTo-Secure $sim.Token
    }
    AfterAll {
        Disconnect-Leadspace -All
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
    }
    BeforeEach {
        Disconnect-Leadspace -All
        Reset-LeadspaceSimulator -Simulator $sim
    }

    It 'the simulator prints its base URI with the prefix and serves nothing outside it' {
        $sim.BaseUri | Should -Match '/gateway/v3$'
        $root = ([uri]$sim.BaseUri).GetLeftPart([UriPartial]::Authority)
        { Invoke-RestMethod -Method Post -Uri "$root/enrichment/enrich/single" -Body '{}' -ContentType 'application/json' -Headers @{ Authorization = "Bearer $($sim.Token)" } } |
            Should -Throw '*404*'
    }

    It 'enriches 20 rows through <_> (the path is kept)' -ForEach @('the base URI', 'the base URI with a trailing slash') {
        $base = if ($_ -match 'trailing') { "$($sim.BaseUri)/" } else { $sim.BaseUri }
        $c = Connect-Leadspace -Token $token -ProgramId 'sim-program' -BaseUri $base -PassThru
        $c.BaseUri.AbsolutePath | Should -Match '^/gateway/v3/?$'
        $results = 1..20 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment
        $results.Count | Should -Be 20
        $results.Status | Sort-Object -Unique | Should -Be 'Enriched'
        $results.ExternalId | Should -Be (1..20 | ForEach-Object { "L$_" })
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 20
    }

    It 'enriches 20 rows with OAuth through the prefix' {
        $credential = [pscredential]::new('sim-program', (ConvertTo-Secure 'oauth-s3cret'))
        Connect-Leadspace -OAuthCredential $credential -BaseUri $sim.BaseUri
        $results = 1..20 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment
        $results.Status | Sort-Object -Unique | Should -Be 'Enriched'
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim
        $stats.calls | Should -Be 20
        $stats.oauthCalls | Should -BeGreaterOrEqual 1
    }
}
