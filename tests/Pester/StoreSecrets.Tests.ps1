Describe 'The rate limit store password never shows, in any form, on the unreachable and the conflict paths' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:secret = 'Zq8-StorePw-4471'
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start(); $script:closedPort = $probe.LocalEndpoint.Port; $probe.Stop()
        # Runs Connect-Leadspace attempts in a fresh pwsh with a transcript, and returns everything a user or a log could
        # see: every stream, the transcript, $Error in full (exceptions, inner exceptions, TargetObject, ToString),
        # and Get-LeadspaceConnection's views.
        function script:Get-EverythingShown([string] $Attempts, [hashtable] $Environment = @{}) {
            $transcript = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-transcript-" + [guid]::NewGuid().ToString('N') + '.txt')
            $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
`$null = Start-Transcript -LiteralPath '$transcript'
`$secret = ConvertTo-SecureString '$secret' -AsPlainText -Force
`$token = ConvertTo-SecureString 'tok-12345' -AsPlainText -Force
& { $Attempts } *>&1 | Out-String
foreach (`$e in `$Error) {
    `$e | Format-List * -Force | Out-String
    `$e.Exception | Format-List * -Force | Out-String
    `$e.Exception.ToString()
    'TARGET=' + (`$e.TargetObject | Out-String)
    `$e.ErrorDetails | Format-List * | Out-String
    for (`$x = `$e.Exception; `$x; `$x = `$x.InnerException) { `$x.Message }
}
Get-LeadspaceConnection | Format-List * | Out-String
Get-LeadspaceConnection | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue
'STOREERRORS=' + @(`$Error | Where-Object { `$_.FullyQualifiedErrorId -like 'LeadspaceRateLimitStore*' }).Count
`$null = Stop-Transcript
"@ -Environment $Environment
            $text = $r.Text + "`n" + (Get-Content -LiteralPath $transcript -Raw -ErrorAction SilentlyContinue)
            Remove-Item -LiteralPath $transcript -ErrorAction SilentlyContinue
            $text
        }
    }

    It 'on the unreachable path: <Form>' -ForEach @(
        @{ Form = 'password= in the string'; Store = "127.0.0.1:{0},connectTimeout=1000,password={1}"; Credential = $false; Env = $false }
        @{ Form = 'a redis:// URI'; Store = "redis://app:{1}@127.0.0.1:{0}"; Credential = $false; Env = $false }
        @{ Form = 'a redis:// URI without a user'; Store = "redis://:{1}@127.0.0.1:{0}"; Credential = $false; Env = $false }
        @{ Form = '-RateLimitStoreCredential'; Store = "127.0.0.1:{0},connectTimeout=1000"; Credential = $true; Env = $false }
        @{ Form = 'LEADSPACE_RATE_LIMIT_STORE_PASSWORD'; Store = "127.0.0.1:{0},connectTimeout=1000"; Credential = $false; Env = $true }
    ) {
        $store = $Store -f $closedPort, $secret
        $cred = if ($Credential) { "-RateLimitStoreCredential ([pscredential]::new('app', `$secret))" } else { '' }
        $environment = if ($Env) { @{ LEADSPACE_RATE_LIMIT_STORE_USER = 'app'; LEADSPACE_RATE_LIMIT_STORE_PASSWORD = $secret } } else { @{} }
        $text = Get-EverythingShown "Connect-Leadspace -Token `$token -BaseUri http://127.0.0.1:9 -RateLimitStore '$store' $cred -Verbose" $environment
        $text | Should -Match 'LeadspaceRateLimitStoreUnreachable'
        $text | Should -Match 'STOREERRORS=1\b'
        $text | Should -Match ([regex]::Escape('(redacted)'))
        $text | Should -Not -Match ([regex]::Escape($secret))
    }

    It 'on the conflict path (a second connect of the program with another store): <Form>' -ForEach @(
        @{ Form = 'password= in the string'; Second = "-RateLimitStore '127.0.0.1:{0},password={1}'" }
        @{ Form = 'a redis:// URI'; Second = "-RateLimitStore 'redis://app:{1}@127.0.0.1:{0}'" }
        @{ Form = '-RateLimitStoreCredential'; Second = "-RateLimitStore '127.0.0.1:{0}' -RateLimitStoreCredential ([pscredential]::new('app', `$secret))" }
    ) {
        $second = $Second -f $closedPort, $secret
        $text = Get-EverythingShown "Connect-Leadspace -Token `$token -BaseUri http://127.0.0.1:9 -RateLimitStore ''; Connect-Leadspace -Token `$token -BaseUri http://127.0.0.1:9 $second -Verbose"
        $text | Should -Match 'LeadspaceRateLimitStoreConflict'
        $text | Should -Match 'STOREERRORS=1\b'
        $text | Should -Match ([regex]::Escape('(redacted)'))
        $text | Should -Not -Match ([regex]::Escape($secret))
    }

    It 'warns when a password would go to a store on another machine without TLS (an unresolvable .invalid host: nothing is sent)' {
        $text = Get-EverythingShown @"
Connect-Leadspace -Token `$token -BaseUri http://127.0.0.1:9 -RateLimitStore 'redis-pw.invalid:6379,connectTimeout=1000,password=$secret' -WarningVariable w1 -ErrorAction SilentlyContinue
'W1=' + `$w1.Count
Connect-Leadspace -Token `$token -BaseUri http://127.0.0.1:9 -RateLimitStore 'redis-pw.invalid:6379,connectTimeout=1000,ssl=true' -RateLimitStoreCredential ([pscredential]::new('app', `$secret)) -WarningVariable w2 -ErrorAction SilentlyContinue
'W2=' + `$w2.Count
"@
        $text | Should -Match 'W1=1'
        $text | Should -Match 'W2=0'
        $text | Should -Match 'redis-pw\.invalid:6379 without TLS'
        $text | Should -Not -Match ([regex]::Escape($secret))
    }
}
