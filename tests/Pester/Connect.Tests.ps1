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

    It 'explains how to pass a token when -Token is given plain text, without echoing the text' {
        $plain = 'pl41n-t0ken-' + [guid]::NewGuid().ToString('N')
        $err = $null
        try { Connect-Leadspace -Token $plain -BaseUri $sim.BaseUri -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $text = $err.ToString()
        $text | Should -Match 'SecureString'
        $text | Should -Match 'Read-Host -AsSecureString'
        $text | Should -Match 'ConvertTo-SecureString'
        $text | Should -Match 'Get-Secret'
        $text | Should -Match 'SecretManagement'
        $text | Should -Not -Match ([regex]::Escape($plain))
        ($err | Out-String -Width 400) | Should -Not -Match ([regex]::Escape($plain))
        "$($err.TargetObject)" | Should -Not -Match ([regex]::Escape($plain))
        "$($err.Exception.InnerException)" | Should -Not -Match ([regex]::Escape($plain))
        { Get-LeadspaceConnection } | Should -Throw -ExpectedMessage '*no Leadspace connection*'
        # positional too
        { Connect-Leadspace $plain -BaseUri $sim.BaseUri -ErrorAction Stop } | Should -Throw -ExpectedMessage '*Read-Host -AsSecureString*'
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
        { Connect-Leadspace -Token $token -BaseUri 'http://apigw.leadspace.com' -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceInvalidBaseUri,Leadspace.Commands.ConnectLeadspaceCommand'
    }

    It 'refuses a user name or password in -BaseUri without showing it, and asks for https for other schemes' {
        $caught = $null
        try { Connect-Leadspace -Token $token -BaseUri 'https://user:Hunter2pw@apigw.leadspace.com' -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'LeadspaceInvalidBaseUri,Leadspace.Commands.ConnectLeadspaceCommand'
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        ($caught | Out-String) + $caught.TargetObject + $caught.ErrorDetails.RecommendedAction | Should -Not -Match 'Hunter2pw'
        $caught.Exception.Message | Should -Match 'user name or password'
        { Connect-Leadspace -Token $token -BaseUri 'ftp://apigw.leadspace.com' -ErrorAction Stop } | Should -Throw '*must be https*'
        @(Get-LeadspaceConnection -All).Count | Should -Be 0
    }

    It 'refuses a token that cannot travel in an HTTP header once, at connect, without quoting it (<Name>)' -ForEach @(
        @{ Name = 'non-ASCII'; Token = "t$([char]0xF6)-secret"; Why = 'not ASCII' }
        @{ Name = 'line break inside'; Token = "tok-a`r`ntok-b"; Why = 'line break' }
        @{ Name = 'space inside'; Token = 'tok a'; Why = 'whitespace' }
    ) {
        $caught = $null
        try { Connect-Leadspace -Token (ConvertTo-Secure $Token) -BaseUri $sim.BaseUri -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'LeadspaceInvalidToken,Leadspace.Commands.ConnectLeadspaceCommand'
        $caught.Exception.Message | Should -Match $Why
        ($caught | Out-String) | Should -Not -Match ([regex]::Escape($Token.Trim()))
        @(Get-LeadspaceConnection -All).Count | Should -Be 0
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
    }

    It 'a token connection and an OAuth connection of one program share one rate limit' {
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ rate = 0; latencyMs = 20 }
        $a = Connect-Leadspace -Token $token -ProgramId 'prog-42' -BaseUri $sim.BaseUri -RequestsPerSecond 10 -PassThru
        $b = Connect-Leadspace -OAuthCredential ([pscredential]::new('prog-42', (ConvertTo-Secure 'oauth-s3cret'))) -BaseUri $sim.BaseUri -RequestsPerSecond 10 -PassThru
        $module = $ModulePath
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $counts = @($a, $b) | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:module
            $c = $_
            @(1..25 | ForEach-Object { [pscustomobject]@{ Company = "Shared $($c.AuthMethod) $_" } } | Invoke-LeadspaceEnrichment -Connection $c).Count
        }
        $watch.Stop()
        ($counts | Measure-Object -Sum).Sum | Should -Be 50
        # One gate: 50 calls at 10/s take at least 4 windows of a second; two gates (10/s each) would take about 2.4 s.
        # A busy machine only makes it slower, so this lower bound cannot fail by chance.
        $watch.Elapsed.TotalSeconds | Should -BeGreaterThan 3.9
        # Two gates would put about 20 calls in a second; the exact bound (10) is tested on the gate's own grant
        # times (RateGateTests): arrival times at the server also carry this machine's scheduling jitter.
        (Get-LeadspaceSimulatorStats -Simulator $sim).maxAcceptedInAnyWindow | Should -BeLessThan 15
    }

    It 'a failed Connect-Leadspace leaves the live rate of the program alone' {
        Connect-Leadspace -Token $token -ProgramId 'prog-42' -BaseUri $sim.BaseUri -RequestsPerSecond 10
        $bad = [pscredential]::new('prog-42', (ConvertTo-Secure 'wrong'))
        { Connect-Leadspace -OAuthCredential $bad -BaseUri $sim.BaseUri -RequestsPerSecond 500 -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceOAuthFailed,Leadspace.Commands.ConnectLeadspaceCommand'
        (Get-LeadspaceRateStatus).ConfiguredRate | Should -Be 10
        # A successful connect with another limit changes it, and says so.
        Connect-Leadspace -Token $token -ProgramId 'prog-42' -BaseUri $sim.BaseUri -RequestsPerSecond 20 -WarningVariable warned -WarningAction SilentlyContinue
        ($warned -join ' ') | Should -Match 'was limited to 10 calls/s'
        (Get-LeadspaceRateStatus).ConfiguredRate | Should -Be 20
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

    It 'Disconnect-Leadspace with another connection left warns which connection is now the default' {
        $a = Connect-Leadspace -Token $token -ProgramId 'first' -BaseUri $sim.BaseUri -PassThru
        $b = Connect-Leadspace -Token $token -ProgramId 'second' -BaseUri $sim.BaseUri -PassThru
        Disconnect-Leadspace -WarningVariable w -WarningAction SilentlyContinue
        @($w).Count | Should -Be 1
        "$($w[0])" | Should -Match "connection $($a.Id)\b"
        "$($w[0])" | Should -Match "program 'first'"
        "$($w[0])" | Should -Match ([regex]::Escape("$($sim.BaseUri)"))
        "$($w[0])" | Should -Match 'is now the default'
        (Get-LeadspaceConnection).Id | Should -Be $a.Id
        # Disconnecting a connection that is not the default changes nothing, and says nothing.
        $c = Connect-Leadspace -Token $token -ProgramId 'third' -BaseUri $sim.BaseUri -PassThru
        Disconnect-Leadspace -Connection $a -WarningVariable w2 -WarningAction SilentlyContinue
        @($w2).Count | Should -Be 0
        # The last one: no connection left, so no default to name.
        Disconnect-Leadspace -WarningVariable w3 -WarningAction SilentlyContinue
        @($w3).Count | Should -Be 0
        { Get-LeadspaceConnection } | Should -Throw
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

    It 'Disconnect-Leadspace in a runspace with no connection of its own disconnects nothing' {
        Connect-Leadspace -Token $token -ProgramId 'console' -BaseUri $sim.BaseUri
        $job = Start-ThreadJob -ScriptBlock {
            Import-Module $using:ModulePath
            Disconnect-Leadspace -Verbose 4>&1 | ForEach-Object { "$_" }
        }
        (Receive-Job $job -Wait -AutoRemoveJob) -join ' ' | Should -Match 'no Leadspace connection of its own'
        (Get-LeadspaceConnection).ProgramId | Should -Be 'console'
        (Invoke-LeadspaceEnrichment -CompanyName 'Still connected').HttpStatus | Should -Be 200
    }

    It 'Disconnect-Leadspace -WhatIf disconnects nothing' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri
        Disconnect-Leadspace -WhatIf
        Disconnect-Leadspace -All -WhatIf
        @(Get-LeadspaceConnection -All).Count | Should -Be 1
    }

    It 'Disconnect-Leadspace -All elsewhere never breaks a run in flight' {
        Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ rate = 0; latencyMs = 100 }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$ModulePath'; Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -RequestsPerSecond 40; 1..60 | ForEach-Object { [pscustomobject]@{ Company = `"Flight `$_`" } } | Invoke-LeadspaceEnrichment")
            $handle = $ps.BeginInvoke()
            while ((Get-LeadspaceSimulatorStats -Simulator $sim).calls -lt 5 -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 50 }
            Disconnect-Leadspace -All
            @(Get-LeadspaceConnection -All).Count | Should -Be 0
            $out = $ps.EndInvoke($handle)
            $out.Count | Should -Be 60
            @($out | Where-Object { "$($_.Status)" -notin 'Enriched', 'NotMatched' }).Count | Should -Be 0
            $ps.Streams.Error.Count | Should -Be 0
        }
        finally { $ps.Dispose() }
    }

    It 'a disconnected connection object is refused with a clear error' {
        $c = Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -PassThru
        Disconnect-Leadspace -Connection $c
        { Invoke-LeadspaceEnrichment -CompanyName 'Acme' -Connection $c -ErrorAction Stop } | Should -Throw -ErrorId 'LeadspaceConnectionClosed,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
    }

    It 'another runspace connects at once while one waits for an unreachable store, and Ctrl+C ends that wait within a second' {
        # A store that accepts the TCP connection and never answers: a connect to it waits out its connectTimeout.
        $silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
        $ps = $null
        try {
            $store = "127.0.0.1:$($silent.LocalEndpoint.Port),connectTimeout=30000"
            $ps = [powershell]::Create()   # a runspace of its own, in this process (as ForEach-Object -Parallel or a thread job)
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', (Get-Module Leadspace).Path).AddStatement().
                AddCommand('Connect-Leadspace').AddParameter('Token', (ConvertTo-Secure 'store-wait-token')).AddParameter('ProgramId', 'prog-store-wait').
                AddParameter('BaseUri', $sim.BaseUri).AddParameter('RateLimitStore', $store)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not $silent.Pending() -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $silent.Pending() | Should -BeTrue -Because 'the first runspace reached the store and waits for its answer'

            $other = Measure-Command { Connect-Leadspace -Token $token -ProgramId 'prog-42' -BaseUri $sim.BaseUri }
            $other.TotalSeconds | Should -BeLessThan 1
            $async.IsCompleted | Should -BeFalse -Because 'the first connect was still waiting for its store'

            $stop = Measure-Command { $ps.Stop() }
            $stop.TotalSeconds | Should -BeLessThan 1
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            @(Get-LeadspaceConnection -All | Where-Object ProgramId -eq 'prog-store-wait').Count | Should -Be 0
        }
        finally {
            if ($ps) { $ps.Dispose() }
            $silent.Stop()
        }
    }
    Context 'A credit budget for the program: -CreditBudget, -BudgetPeriod and the environment' {
        It 'is kept by the process; a second connect of the program with less lowers it for both, with a warning; the status shows it' {
            $a = Connect-Leadspace -Token $token -ProgramId 'prog-42' -BaseUri $sim.BaseUri -CreditBudget 100 -PassThru -WarningVariable first -WarningAction SilentlyContinue
            @($first).Count | Should -Be 0
            $a.CreditBudget | Should -Be 100
            $a.BudgetPeriod | Should -Be 'Day'
            $b = Connect-Leadspace -Token $token -ProgramId 'prog-42' -BaseUri $sim.BaseUri -CreditBudget 40 -PassThru -WarningVariable second -WarningAction SilentlyContinue
            "$second" | Should -Match "lowers the program's daily credit budget in this process from 100 to 40"
            foreach ($c in $a, $b) {
                $s = Get-LeadspaceRateStatus -Connection $c
                $s.BudgetPeriod | Should -Be 'Day'
                $s.BudgetPeriodStart | Should -Be ([DateTimeOffset]::new([DateTime]::UtcNow.Date, [TimeSpan]::Zero))
                $s.BudgetLimit | Should -Be 40
                $s.BudgetLeft | Should -Be 40
                $s.BudgetKeptIn | Should -Be 'Process'
            }
            ($s | Format-List | Out-String) | Should -Match 'BudgetKeptIn\s*:\s*Process'
            (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
        }

        It 'without a budget the status''s budget properties are empty' {
            Connect-Leadspace -Token $token -ProgramId 'prog-42' -BaseUri $sim.BaseUri
            $s = Get-LeadspaceRateStatus
            $s.BudgetPeriod | Should -BeNullOrEmpty
            $s.BudgetLimit | Should -BeNullOrEmpty
            (Get-LeadspaceConnection).CreditBudget | Should -BeNullOrEmpty
            ($s | Format-List | Out-String) | Should -Not -Match 'Budget'
        }

        It 'reads LEADSPACE_CREDIT_BUDGET and LEADSPACE_BUDGET_PERIOD for runbooks; parameters win; a bad value is a clear error' {
            $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
`$t = ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force
`$c = Connect-Leadspace -Token `$t -ProgramId env-budget -BaseUri '$($sim.BaseUri)' -PassThru
'env=' + `$c.CreditBudget + '/' + `$c.BudgetPeriod + '/' + (Get-LeadspaceRateStatus).BudgetPeriodStart.ToString('yyyy-MM-dd')
`$d = Connect-Leadspace -Token `$t -ProgramId other-budget -BaseUri '$($sim.BaseUri)' -CreditBudget 7 -BudgetPeriod Week -PassThru
'param=' + `$d.CreditBudget + '/' + `$d.BudgetPeriod
`$env:LEADSPACE_CREDIT_BUDGET = 'lots'
try { Connect-Leadspace -Token `$t -ProgramId third-budget -BaseUri '$($sim.BaseUri)' -ErrorAction Stop } catch { 'error=' + `$_.FullyQualifiedErrorId + '|' + `$_ }
"@ -Environment @{ LEADSPACE_CREDIT_BUDGET = '5000'; LEADSPACE_BUDGET_PERIOD = 'month' }
            $r.Text | Should -Match ('env=5000/Month/' + [DateTime]::UtcNow.ToString('yyyy-MM-01'))
            $r.Text | Should -Match 'param=7/Week'
            $r.Text | Should -Match "error=LeadspaceInvalidConnectionSetting,Leadspace.Commands.ConnectLeadspaceCommand\|\`$LEADSPACE_CREDIT_BUDGET is 'lots'"
        }

        It '-BudgetPeriod takes Day, Week or Month only' {
            { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -CreditBudget 5 -BudgetPeriod Fortnight -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,Leadspace.Commands.ConnectLeadspaceCommand'
        }
    }
}
