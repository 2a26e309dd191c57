Describe 'One rate limit for every process: Connect-Leadspace -RateLimitStore (Garnet from the tool manifest)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        Import-Module (Join-Path $PSScriptRoot 'Fleet.psm1') -Force
        $script:sim, $script:garnet = Start-FleetServers
        $script:token = ConvertTo-Secure $sim.Token
        $script:otherRedis = Join-Path ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim() 'stackexchange.redis/2.6.70/lib/netstandard2.0/StackExchange.Redis.dll'
    }
    AfterAll { Stop-FleetServers -Simulator $sim -Server $garnet }
    BeforeEach { Reset-FleetServers -Simulator $sim }

    It 'shares the gate through the store; Get-LeadspaceRateStatus shows the store and the processes' {
        $c = Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RateLimitStore $garnet.Configuration -PassThru
        $c.RateLimitStore | Should -Be $garnet.Configuration
        $results = 1..20 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment
        $results.Count | Should -Be 20
        $s = Get-LeadspaceRateStatus
        $s.Gate | Should -Be 'Shared'
        $s.GateState | Should -Be 'Shared'
        $s.RateLimitStore | Should -Be $garnet.Configuration
        $s.Processes | Should -Be 1
        $s.StoreRoundTripMs | Should -BeGreaterThan 0
        $s.Fallbacks | Should -Be 0
        ($s | Format-List | Out-String) | Should -Match 'Shared'
    }

    It 'keeps the local gate, and loads no Redis assembly, without the option' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RateLimitStore ''
        $s = Get-LeadspaceRateStatus
        $s.Gate | Should -Be 'Local'
        $s.RateLimitStore | Should -BeNullOrEmpty
    }

    It 'reads $env:LEADSPACE_RATE_LIMIT_STORE for runbooks; -RateLimitStore '''' ignores it' {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)'
'gate=' + (Get-LeadspaceRateStatus).Gate
'store=' + (Get-LeadspaceConnection).RateLimitStore
Disconnect-Leadspace
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -RateLimitStore ''
'then=' + (Get-LeadspaceRateStatus).Gate
"@ -Environment @{ LEADSPACE_RATE_LIMIT_STORE = $garnet.Configuration }
        $r.Text | Should -Match 'gate=Shared'
        $r.Text | Should -Match ([regex]::Escape("store=$($garnet.Configuration)"))
        $r.Text | Should -Match 'then=Local'
    }

    It 'an unreachable store at connect is a clear error' {
        $closed = "127.0.0.1:$(Get-FreeTcpPort),connectTimeout=2000"
        { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RateLimitStore $closed -ErrorAction Stop } |
            Should -Throw -ErrorId 'LeadspaceRateLimitStoreUnreachable,Leadspace.Commands.ConnectLeadspaceCommand'
        @(Get-LeadspaceConnection -All -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'a wrong password is a clear error, and a password is never shown: errors, verbose, debug, connection, status' {
        $secured = Start-GarnetServer -ArgumentList @('--lua', '--lua-transaction-mode', '--auth', 'Password', '--password', 'right-9f1c2e')
        try {
            $wrong = "$($secured.Configuration),password=wrong-47ab1d"
            $err = $null
            try { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RateLimitStore $wrong -ErrorAction Stop } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -Be 'LeadspaceRateLimitStoreAuthenticationFailed,Leadspace.Commands.ConnectLeadspaceCommand'
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $errText = ($err | Format-List * -Force | Out-String) + $err.Exception.ToString() + ($err.TargetObject | Out-String)
            $errText | Should -Not -Match 'wrong-47ab1d'
            $errText | Should -Match 'password=\(redacted\)'

            $DebugPreference = 'Continue'
            $right = "$($secured.Configuration),password=right-9f1c2e"
            $all = & {
                $c = Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RateLimitStore $right -PassThru -Verbose
                $c | Format-List * | Out-String
                $c.ToString()
                Get-LeadspaceConnection | Out-String
                1..3 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment -Verbose | Out-String
                Get-LeadspaceRateStatus | Format-List * | Out-String
                (Get-LeadspaceRateStatus).ToString()
            } *>&1 | Out-String
            $all | Should -Not -Match 'right-9f1c2e'
            $all | Should -Match 'password=\(redacted\)'
            (Get-LeadspaceRateStatus).Gate | Should -Be 'Shared'
        }
        finally {
            Disconnect-Leadspace -All
            Stop-GarnetServer -Server $secured
        }
    }

    It 'one program in one process uses one store or none' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RateLimitStore ''
        { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -RateLimitStore $garnet.Configuration -ErrorAction Stop } |
            Should -Throw -ErrorId 'LeadspaceRateLimitStoreConflict,Leadspace.Commands.ConnectLeadspaceCommand'
        (Get-LeadspaceRateStatus).Gate | Should -Be 'Local'
    }

    It 'works next to another module''s StackExchange.Redis loaded before it, each in its own load context' {
        $otherRedis | Should -Exist
        $r = Invoke-FreshPwsh @"
`$other = [Reflection.Assembly]::LoadFrom('$otherRedis')
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -RateLimitStore '$($garnet.Configuration)'
'rows=' + @(1..5 | ForEach-Object { [pscustomobject]@{ Company = "C`$_" } } | Invoke-LeadspaceEnrichment | Where-Object HttpStatus -eq 200).Count
'gate=' + (Get-LeadspaceRateStatus).Gate
foreach (`$a in [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'StackExchange.Redis' }) {
    'loaded=' + [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).Name + '|' + [Diagnostics.FileVersionInfo]::GetVersionInfo(`$a.Location).FileVersion
}
"@
        $r.Text | Should -Match 'rows=5'
        $r.Text | Should -Match 'gate=Shared'
        $r.Text | Should -Match 'loaded=Default\|2\.6\.70'
        $r.Text | Should -Match 'loaded=Leadspace\.RateLimitStore\|2\.8\.16'
    }

    It 'leaves the default load context free for another module''s StackExchange.Redis loaded after it' {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' -RateLimitStore '$($garnet.Configuration)'
'rows=' + @(1..3 | ForEach-Object { [pscustomobject]@{ Company = "C`$_" } } | Invoke-LeadspaceEnrichment | Where-Object HttpStatus -eq 200).Count
`$other = [Reflection.Assembly]::LoadFrom('$otherRedis')
'other=' + [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$other).Name + '|' + [Diagnostics.FileVersionInfo]::GetVersionInfo(`$other.Location).FileVersion
'again=' + @(1..3 | ForEach-Object { [pscustomobject]@{ Company = "D`$_" } } | Invoke-LeadspaceEnrichment | Where-Object HttpStatus -eq 200).Count
"@
        $r.Text | Should -Match 'rows=3'
        $r.Text | Should -Match 'other=Default\|2\.6\.70'
        $r.Text | Should -Match 'again=3'
    }

    # The two fleet tests measured per second (never more than 30 accepted in any second, the store killed and
    # restarted mid-run) are in RateLimitStoreRate.Tests.ps1, which runs alone; this file runs beside the other parts.
    Context 'Three separate pwsh processes, one program, against one simulator at --rate 30' {
        It 'without the store: each process keeps only its own limit, and the server answers 429s' {
            $runs = Invoke-Fleet -ModulePath $ModulePath -Simulator $sim -Processes 3 -Rows 90
            $stats = Get-LeadspaceSimulatorStats -Simulator $sim
            foreach ($run in $runs) { $run.Gate | Should -Be 'Local'; $run.Good | Should -Be 90 }
            [int] $stats.statusCounts['429'] | Should -BeGreaterThan 3
        }
    }

    Context 'A credit budget for the program in the store: Connect-Leadspace -CreditBudget 150 -BudgetPeriod Day (environment form)' {
        BeforeEach {
            # Calls as fast as the store's gate allows: these tests are about credits, not the rate.
            $null = Set-LeadspaceSimulatorConfig -Simulator $sim -Config @{ rate = 0; latencyMs = 2; jitterMs = 0 }
        }

        It 'three processes, 100 distinct rows each: 140 to 150 charged in all, every row out, the rest NotSent; a fourth process sends nothing' {
            # The file's store: no earlier test gives program 'fleet' a budget, and it is a new store each run.
            $store = $garnet
            $budget = @{ LEADSPACE_CREDIT_BUDGET = '150'; LEADSPACE_BUDGET_PERIOD = 'Day' }
            $runs = Invoke-Fleet -ModulePath $ModulePath -Simulator $sim -Processes 3 -Rows 100 -RequestsPerSecond 300 -RateLimitStore $store.Configuration -Environment $budget
            $stats = Get-LeadspaceSimulatorStats -Simulator $sim
            foreach ($run in $runs) {
                $run.Out | Should -Be 100
                $run.InOrder | Should -BeTrue
                ($run.Good + $run.BudgetRefused) | Should -Be 100 -Because 'a row is enriched, or NotSent by the budget'
                $run.NotSent | Should -Be $run.BudgetRefused
                $run.BudgetKeptIn | Should -Be 'Store'
                $run.BudgetLimit | Should -Be 150
                if ($run.BudgetRefused -gt 0) {
                    $run.Stopped | Should -BeLike 'LeadspaceBudgetExhausted,*'
                    $run.BudgetMessages[0] | Should -Match 'daily budget of 150 credit\(s\)\) is spent'
                }
            }
            $charged = [int] $stats.creditsCharged
            $notSent = ($runs | Measure-Object -Property BudgetRefused -Sum).Sum
            Write-Host "3 processes x 100 rows, -CreditBudget 150 -BudgetPeriod Day in the store: $charged charged, rows out $(($runs.Out) -join '/'), NotSent $(($runs.BudgetRefused) -join '/') ($notSent in all)"
            $charged | Should -BeLessOrEqual 150
            $charged | Should -BeGreaterOrEqual 140
            $stats.duplicateCharges | Should -Be 0
            ($charged + $notSent) | Should -Be 300

            # A fourth process, afterwards: the day's budget is spent, whatever it asks for.
            $fourth = @(Invoke-Fleet -ModulePath $ModulePath -Simulator $sim -Processes 1 -Rows 100 -RequestsPerSecond 300 -RateLimitStore $store.Configuration -Environment @{ LEADSPACE_CREDIT_BUDGET = '1000' })
            $after = Get-LeadspaceSimulatorStats -Simulator $sim
            Write-Host "a fourth process afterwards: $([int] $after.creditsCharged - $charged) new charges, $($fourth[0].Out) rows out, $($fourth[0].BudgetRefused) NotSent"
            [int] $after.creditsCharged | Should -Be $charged
            $fourth[0].Out | Should -Be 100
            $fourth[0].BudgetRefused | Should -Be 100
            $fourth[0].BudgetLimit | Should -Be 150 -Because 'the store keeps the lowest budget asked for'
            @($fourth[0].ConnectWarnings | Where-Object { $_ -match 'is 150 credit\(s\), not the 1000 this connection asks for' }).Count | Should -Be 1
            $fourth[0].BudgetMessages[0] | Should -Match 'is spent: 1[45]\d of 150 credit\(s\) used this day'
            $fourth[0].Stopped | Should -BeLike 'LeadspaceBudgetExhausted,*'
        }

        It 'the period rolls over on the store''s clock and spending resumes (3-second periods through the module''s test hook)' {
            # The public periods are Day, Week and Month; the store's scripts also take short periods, for this test only.
            $assembly = [Leadspace.Session.LeadspaceConnection].Assembly
            $options = [Activator]::CreateInstance($assembly.GetType('Leadspace.Budget.SharedCreditBudgetOptions'))
            $options.StorePeriod = 'Seconds:3'
            $hook = $assembly.GetType('Leadspace.Budget.BudgetRegistry').GetProperty('SharedOptions', [Reflection.BindingFlags] 'Static,NonPublic')
            $hook.SetValue($null, $options)
            try {
                Connect-Leadspace -Token $token -ProgramId "rollover-$([guid]::NewGuid().ToString('N'))" -BaseUri $sim.BaseUri -RateLimitStore $garnet.Configuration -RequestsPerSecond 300 -CreditBudget 4
                function Wait-NextPeriod {
                    $start = (Get-LeadspaceRateStatus).BudgetPeriodStart
                    $deadline = [DateTime]::UtcNow.AddSeconds(10)
                    while ((Get-LeadspaceRateStatus).BudgetPeriodStart -eq $start -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
                }
                $run = {
                    param($from)
                    $rows = [System.Collections.Generic.List[object]]::new()
                    try { $from..($from + 7) | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue | ForEach-Object { $rows.Add($_) } } catch { }
                    $rows
                }
                Wait-NextPeriod   # start right after a period begins: the run below stays within one
                $first = @(& $run 1)
                $chargedFirst = [int] (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged
                Wait-NextPeriod
                $second = @(& $run 101)
                $charged = [int] (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged
                Write-Host "-CreditBudget 4 in 3-second store periods: first period $chargedFirst charged, $(@($first | Where-Object ErrorId -eq 'LeadspaceBudgetExhausted').Count) NotSent; next period $($charged - $chargedFirst) charged, $(@($second | Where-Object ErrorId -eq 'LeadspaceBudgetExhausted').Count) NotSent"
                $first.Count | Should -Be 8
                $chargedFirst | Should -Be 4
                @($first | Where-Object ErrorId -eq 'LeadspaceBudgetExhausted').Count | Should -Be 4
                $second.Count | Should -Be 8
                ($charged - $chargedFirst) | Should -Be 4 -Because 'a new period starts from nothing spent'
                @($second | Where-Object ErrorId -eq 'LeadspaceBudgetExhausted').Count | Should -Be 4
            }
            finally {
                $hook.SetValue($null, $null)
                Disconnect-Leadspace -All
            }
        }

        It 'the store killed mid-run: no overspend in all, every row out, one clear warning each' {
            $store = Start-GarnetServer
            $holder = @{ KilledAt = $null }
            try {
                $during = {
                    param($simulator)
                    $deadline = [DateTime]::UtcNow.AddSeconds(60)
                    while ((Get-LeadspaceSimulatorStats -Simulator $simulator).creditsCharged -lt 30 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
                    Stop-GarnetServer -Server $store
                    $holder.KilledAt = [int] (Get-LeadspaceSimulatorStats -Simulator $simulator).creditsCharged
                }
                # 30 calls/s for the three together: the budget would last 5 s; the store dies after about 1.
                $runs = Invoke-Fleet -ModulePath $ModulePath -Simulator $sim -Processes 3 -Rows 100 -RequestsPerSecond 30 -RateLimitStore $store.Configuration -Environment @{ LEADSPACE_CREDIT_BUDGET = '150' } -During $during
                $stats = Get-LeadspaceSimulatorStats -Simulator $sim
                $charged = [int] $stats.creditsCharged
                Write-Host "store killed mid-run under -CreditBudget 150 (at $($holder.KilledAt) charged): $charged charged in all, rows out $(($runs.Out) -join '/'), NotSent $(($runs.BudgetRefused) -join '/')"
                $charged | Should -BeLessOrEqual 150
                $holder.KilledAt | Should -BeLessThan 150 -Because 'the store died while the budget still had credit'
                # Calls reserve their credit before they wait for the rate gate (up to -MaxConcurrency per process), so
                # calls reserved in the store before it died are still sent: within the budget, never past it.
                $stats.duplicateCharges | Should -Be 0
                foreach ($run in $runs) {
                    $run.Out | Should -Be 100
                    $run.InOrder | Should -BeTrue
                    ($run.Good + $run.BudgetRefused) | Should -Be 100
                    $run.BudgetRefused | Should -BeGreaterThan 0
                    $run.Stopped | Should -BeLike 'LeadspaceBudgetExhausted,*'
                    @($run.BudgetMessages | Where-Object { $_ -match 'is unreachable.*nothing more is spent' }).Count | Should -BeGreaterOrEqual 1
                    @($run.Warnings | Where-Object { $_ -match 'credit budget kept there cannot be checked, so this process spends no more credits' }).Count | Should -Be 1
                }
            }
            finally { Stop-GarnetServer -Server $store }
        }
    }
}
