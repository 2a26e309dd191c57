BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'ForwardProxy.psm1') -Force
    $script:noProxy = -not (Get-ForwardProxyCommand)
    if ($noProxy) {
        Write-Host 'SKIPPED: the proxy tests (Proxy.Tests.ps1) need a real forward proxy, and the tinyproxy package is not installed (apt-get install -y tinyproxy).' -ForegroundColor Yellow
    }
}

Describe 'Connect-Leadspace -Proxy/-ProxyCredential/-NoProxy through a real forward proxy (tinyproxy with Basic authentication)' -Skip:$noProxy {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        Import-Module (Join-Path $PSScriptRoot 'ForwardProxy.psm1') -Force
        $script:sim = Start-LeadspaceSimulator
        $script:token = ConvertTo-Secure $sim.Token
        $script:proxy = Start-ForwardProxy -User 'proxyuser' -Password 'Pr0xy-S3cret'
        $script:proxyCredential = [pscredential]::new('proxyuser', (ConvertTo-Secure 'Pr0xy-S3cret'))
    }
    AfterAll {
        # The proxy first: it does not end with this process (the simulator does), so nothing may skip its stop.
        if ($proxy) { Stop-ForwardProxy -Proxy $proxy }
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        Disconnect-Leadspace -All -ErrorAction SilentlyContinue
    }
    BeforeEach {
        Disconnect-Leadspace -All
        Reset-LeadspaceSimulator -Simulator $sim
    }

    It 'enriches 20 rows through the proxy with -ProxyCredential (a loopback base URI included)' {
        $before = Get-ForwardProxyLog -Proxy $proxy
        $c = Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -Proxy $proxy.Uri -ProxyCredential $proxyCredential -PassThru
        $c.Proxy | Should -Be "$($proxy.Uri)/"
        $elapsed = Measure-Command { $script:results = 1..20 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment }
        $results.Count | Should -Be 20
        @($results | Where-Object HttpStatus -eq 200).Count | Should -Be 20
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim
        $stats.creditsCharged | Should -Be 20
        $stats.calls | Should -Be 20
        $after = Get-ForwardProxyLog -Proxy $proxy
        $after.Forwarded - $before.Forwarded | Should -Be 20 -Because 'every call went through the proxy'
        # .NET answers the proxy's 407 challenge per connection (each request once without credentials, then again with
        # them, or credentials sent at once on a connection that already passed): how many 407s that takes depends on how
        # many connections the run opened. What matters is above: every call went through the proxy, once.
        $after.Requests - $before.Requests | Should -BeGreaterOrEqual 20
        Write-Host "    through the proxy: 20 rows in $([math]::Round($elapsed.TotalSeconds, 2)) s; proxy received $($after.Requests - $before.Requests) requests, forwarded $($after.Forwarded - $before.Forwarded); simulator calls $($stats.calls), charges $($stats.creditsCharged)"
        ($c | Format-List * | Out-String) | Should -Not -Match 'Pr0xy-S3cret'
    }

    It 'stops at once, with one terminating error naming the proxy and 407, when the proxy wants credentials' {
        Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -Proxy $proxy.Uri
        $caught = $null
        $out = [System.Collections.Generic.List[object]]::new()
        $elapsed = Measure-Command {
            try { 1..20 | ForEach-Object { New-Lead $_ } | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue -ErrorVariable rowErrors | ForEach-Object { $out.Add($_) } }
            catch { $caught = $_ }
        }
        $elapsed.TotalSeconds | Should -BeLessThan 10
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -Be 'LeadspaceProxyAuthenticationRequired,Leadspace.Commands.InvokeLeadspaceEnrichmentCommand'
        $caught.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $caught.Exception.Message | Should -Match '407'
        $caught.Exception.Message | Should -Match ([regex]::Escape($proxy.Uri))
        $caught.ErrorDetails.RecommendedAction | Should -Match '-ProxyCredential'
        $out.Count | Should -Be 20
        @($out | Where-Object Status -ne 'NotSent').Count | Should -Be 0 -Because 'nothing reached Leadspace'
        # Besides the rows' own NotSent records, the one error is the terminating one, naming the proxy and 407.
        $others = @($rowErrors | Where-Object { $_.FullyQualifiedErrorId -notlike 'LeadspaceNotSent*' })
        $others.Count | Should -Be 1
        "$($others[0])" | Should -Match 'proxy answered 407'
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim
        $stats.calls | Should -Be 0
        $stats.creditsCharged | Should -Be 0
        Write-Host "    407 run: $($out.Count) rows NotSent, stopped in $([math]::Round($elapsed.TotalSeconds, 2)) s, simulator calls $($stats.calls)"
    }

    It 'honours HTTP_PROXY/HTTPS_PROXY by default, and -NoProxy ignores them' {
        # Both spellings (Linux environment variables are case-sensitive); no NO_PROXY exception for the simulator.
        $envProxy = [hashtable]::new([StringComparer]::Ordinal)
        foreach ($name in 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy') { $envProxy[$name] = $proxy.Uri }
        foreach ($name in 'NO_PROXY', 'no_proxy') { $envProxy[$name] = $null }
        $run = @"
Import-Module '$ModulePath'
Connect-Leadspace -Token (ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force) -BaseUri '$($sim.BaseUri)' {0}
try {{ `$r = @(1..5 | ForEach-Object {{ [pscustomobject]@{{ Company = "C`$_" }} }} | Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue); 'ok=' + @(`$r | Where-Object HttpStatus -eq 200).Count }}
catch {{ 'stopped=' + `$_.FullyQualifiedErrorId; 'message=' + `$_.Exception.Message }}
"@
        $before = (Get-ForwardProxyLog -Proxy $proxy).Requests
        $viaEnvironment = Invoke-FreshPwsh ($run -f '') -Environment $envProxy
        $viaEnvironment.Text | Should -Match 'stopped=LeadspaceProxyAuthenticationRequired' -Because 'the environment proxy (which wants credentials) was used'
        $viaEnvironment.Text | Should -Match ([regex]::Escape("127.0.0.1:$($proxy.Port)"))
        (Get-LeadspaceSimulatorStats -Simulator $sim).calls | Should -Be 0
        $through = (Get-ForwardProxyLog -Proxy $proxy).Requests - $before
        $through | Should -BeGreaterThan 0

        $before = (Get-ForwardProxyLog -Proxy $proxy).Requests
        $direct = Invoke-FreshPwsh ($run -f '-NoProxy') -Environment $envProxy
        $direct.Text | Should -Match 'ok=5'
        (Get-ForwardProxyLog -Proxy $proxy).Requests - $before | Should -Be 0 -Because '-NoProxy bypasses HTTP_PROXY/HTTPS_PROXY'
        (Get-LeadspaceSimulatorStats -Simulator $sim).creditsCharged | Should -Be 5
    }

    It 'refuses contradicting or unsafe proxy options before connecting' {
        { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -Proxy $proxy.Uri -NoProxy } | Should -Throw -ErrorId 'LeadspaceInvalidConnectionSetting,Leadspace.Commands.ConnectLeadspaceCommand'
        { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -ProxyCredential $proxyCredential } | Should -Throw -ErrorId 'LeadspaceInvalidConnectionSetting,Leadspace.Commands.ConnectLeadspaceCommand'
        $e = { Connect-Leadspace -Token $token -BaseUri $sim.BaseUri -Proxy "http://proxyuser:Pr0xy-S3cret@127.0.0.1:$($proxy.Port)" } | Should -Throw -PassThru
        "$e $($e.TargetObject) $($e.Exception)" | Should -Not -Match 'Pr0xy-S3cret'
    }
}
