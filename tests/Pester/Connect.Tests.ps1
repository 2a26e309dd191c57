Describe 'Connect-Leadspace, Get-LeadspaceConnection and Disconnect-Leadspace' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:sim = Start-LeadspaceSimulator -ArgumentList @('--program-id', 'prog-42', '--oauth-secret', 'oauth-s3cret', '--oauth-token-lifetime', '3')
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

    It 'connects with a SecureString token without spending a credit' {
        $c = Connect-Leadspace -Token $token -ProgramId 'prog-42' -BaseUri $sim.BaseUri -PassThru
        $c.ProgramId | Should -Be 'prog-42'
        $c.AuthMethod | Should -Be 'PerpetualToken'
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
        (Invoke-LeadspaceEnrichment -CompanyName 'Acme').Status | Should -BeIn 'Enriched', 'NotMatched'
    }

    It 'connects with a PSCredential whose user name is the program id and password the token' {
        $cred = [pscredential]::new('prog-42', $token)
        $c = Connect-Leadspace -Credential $cred -BaseUri $sim.BaseUri -PassThru
        $c.ProgramId | Should -Be 'prog-42'
        (Invoke-LeadspaceEnrichment -CompanyName 'Acme').HttpStatus | Should -Be 200
    }

    It 'connects from LEADSPACE_* environment variables for unattended runbooks' {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
Connect-Leadspace
`$c = Get-LeadspaceConnection
'program=' + `$c.ProgramId
'status=' + (Invoke-LeadspaceEnrichment -CompanyName 'Acme').HttpStatus
"@ -Environment @{ LEADSPACE_API_TOKEN = $sim.Token; LEADSPACE_PROGRAM_ID = 'prog-42'; LEADSPACE_BASE_URI = $sim.BaseUri }
        $r.Text | Should -Match 'program=prog-42'
        $r.Text | Should -Match 'status=200'
    }

    It 'says clearly when no token is given anywhere' {
        $r = Invoke-FreshPwsh "Import-Module '$ModulePath'; try { Connect-Leadspace -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId }" -Environment @{ LEADSPACE_API_TOKEN = $null; LEADSPACE_OAUTH_SECRET = $null }
        $r.Text | Should -Match 'LeadspaceTokenMissing'
    }

    It 'works with a SecureString from a secret store (Get-Secret returns one)' {
        function Get-Secret { param($Name) ConvertTo-SecureString $sim.Token -AsPlainText -Force }
        Connect-Leadspace -Token (Get-Secret -Name Leadspace) -BaseUri $sim.BaseUri
        (Invoke-LeadspaceEnrichment -CompanyName 'Acme').HttpStatus | Should -Be 200
    }

    It 'OAuth: fetches a token on connect (no credit), wrong secret fails at connect' {
        $good = [pscredential]::new('prog-42', (ConvertTo-Secure 'oauth-s3cret'))
        $c = Connect-Leadspace -OAuthCredential $good -BaseUri $sim.BaseUri -PassThru
        $c.AuthMethod | Should -Be 'OAuth'
        $c.TokenExpiresAt | Should -Not -BeNullOrEmpty
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim
        $stats.calls | Should -Be 0
        $stats.oauthCalls | Should -BeGreaterOrEqual 1

        $bad = [pscredential]::new('prog-42', (ConvertTo-Secure 'wrong'))
        { Connect-Leadspace -OAuthCredential $bad -BaseUri $sim.BaseUri -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceOAuthFailed,Leadspace.Commands.ConnectLeadspaceCommand'
    }

    It 'OAuth: renews the token before it expires and keeps working across expiry' {
        $cred = [pscredential]::new('prog-42', (ConvertTo-Secure 'oauth-s3cret'))
        Connect-Leadspace -OAuthCredential $cred -BaseUri $sim.BaseUri
        $first = 1..5 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment
        Start-Sleep -Seconds 4   # the 3-second token has expired
        $second = 6..10 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment
        @($first + $second | Where-Object HttpStatus -eq 200).Count | Should -Be 10
        (Get-LeadspaceSimulatorStats -Simulator $sim).statusCounts.'401' | Should -BeNullOrEmpty
    }

    It 'refuses plain http for a non-loopback host' {
        { Connect-Leadspace -Token $token -BaseUri 'http://apigw.leadspace.com' -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceInvalidConnectionSetting,Leadspace.Commands.ConnectLeadspaceCommand'
    }

    It 'validates rate and resilience settings' {
        { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 0 } | Should -Throw
        { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -MaxConcurrency 0 } | Should -Throw
        { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -MaxAttempts 0 } | Should -Throw
        $c = Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RequestsPerSecond 12 -MaxConcurrency 8 -TimeoutSec 5 -MaxAttempts 2 -PassThru
        $c.RequestsPerSecond | Should -Be 12
        $c.MaxConcurrency | Should -Be 8
        $c.Timeout | Should -Be ([timespan]::FromSeconds(5))
        $c.MaxAttempts | Should -Be 2
    }

    It 'never shows the token: connection object, formatting, verbose and debug output' {
        $secret = 'tok-' + [guid]::NewGuid()
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ tokens = @($sim.Token, $secret) }
        try {
            $DebugPreference = 'Continue'
            $all = & {
                $c = Connect-Leadspace -Token (ConvertTo-Secure $secret) -BaseUri $sim.BaseUri -PassThru -Verbose
                $c | Format-List * | Out-String
                $c | Format-Table | Out-String
                $c.ToString()
                Get-LeadspaceConnection | Out-String
                Invoke-LeadspaceEnrichment -CompanyName 'Acme' -Verbose | Out-String
            } *>&1 | Out-String
            $all | Should -Not -Match ([regex]::Escape($secret))
            $all | Should -Match 'redacted'
        }
        finally { Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ tokens = @($sim.Token) } }
    }

    It 'keeps several connections; the last connected is the default and -Connection picks one' {
        $a = Connect-Leadspace -Token $token -ProgramId 'first' -BaseUri $sim.BaseUri -PassThru
        $b = Connect-Leadspace -Token $token -ProgramId 'second' -BaseUri $sim.BaseUri -PassThru
        (Get-LeadspaceConnection).ProgramId | Should -Be 'second'
        @(Get-LeadspaceConnection -All).Count | Should -Be 2
        Invoke-LeadspaceEnrichment -CompanyName 'Acme' -Connection $a | Out-Null
        (Get-LeadspaceRateStatus -Connection $a).Calls | Should -Be 1
        (Get-LeadspaceRateStatus -Connection $b).Calls | Should -Be 0
    }

    It 'Disconnect-Leadspace forgets the session; later calls say that no connection exists' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri
        Disconnect-Leadspace
        { Invoke-LeadspaceEnrichment -CompanyName 'Acme' -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceNoConnection,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        { Get-LeadspaceConnection -ErrorAction Stop } | Should -Throw '*Connect-Leadspace*'
    }

    It 'after Disconnect, a runspace never falls back to a connection another runspace made' {
        Connect-Leadspace -Token $token -ProgramId 'mine' -BaseUri $sim.BaseUri
        $tok = $sim.Token; $base = $sim.BaseUri
        $job = Start-ThreadJob -ScriptBlock {
            Import-Module $using:ModulePath
            Connect-Leadspace -Token (ConvertTo-SecureString $using:tok -AsPlainText -Force) -ProgramId 'theirs' -BaseUri $using:base
            'connected'
        }
        Receive-Job $job -Wait -AutoRemoveJob | Should -Be 'connected'
        Disconnect-Leadspace
        { Invoke-LeadspaceEnrichment -CompanyName 'Acme' -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceNoConnection,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        (Get-LeadspaceConnection -All).ProgramId | Should -Be 'theirs'
    }

    It 'a disconnected connection object is refused with a clear error' {
        $c = Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -PassThru
        Disconnect-Leadspace -Connection $c
        { Invoke-LeadspaceEnrichment -CompanyName 'Acme' -Connection $c -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceConnectionClosed,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
    }
}
