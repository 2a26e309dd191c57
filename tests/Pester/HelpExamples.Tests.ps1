# Runs every example of the cmdlet help (src/Leadspace/help/*.md) as a user would, offline: against the simulator,
# with the interactive commands an example calls (Read-Host, Get-Credential, Get-Secret) answering with the
# simulator's credentials, the LEADSPACE_* variables pointing at it, the files it names (leads.csv, accounts.csv…)
# made in a scratch folder, absolute /data/ paths moved into that folder, and the example store 'redis01.corp…'
# replaced by a Garnet started from the tool manifest. Environment variables an example sets are restored after it. Each example runs in its own runspace
# and must end without a terminating error; row errors are allowed only where the input has invalid rows.

BeforeDiscovery {
    $script:examples = foreach ($file in Get-ChildItem (Join-Path $PSScriptRoot '../../src/Leadspace/help') -Filter '*-*.md') {
        $title = $null; $code = $null
        foreach ($line in Get-Content $file.FullName) {
            if ($line -match '^### (Example \d+.*)$') { $title = $Matches[1]; continue }
            if ($line -eq '```powershell' -and $title) { $code = [System.Collections.Generic.List[string]]::new(); continue }
            if ($line -eq '```' -and $null -ne $code) {
                @{ Name = "$($file.BaseName): $title"; Code = ($code -join "`n") }
                $code = $null; $title = $null
                continue
            }
            if ($null -ne $code) { $code.Add($line) }
        }
    }
}

Describe 'Help example' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $script:sim = Start-LeadspaceSimulator -Token 'example-token' -ArgumentList @('--program-id', 'acme-prod', '--oauth-secret', 'example-secret', '--rate', '0')
        Import-Module (Join-Path $PSScriptRoot 'Fleet.psm1') -Force
        $script:garnet = $null   # started by the first example that names a store
        $script:scratch = Join-Path ([IO.Path]::GetTempPath()) ('leadspace-examples-' + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $scratch, (Join-Path $scratch 'data') | Out-Null
        $leads = Import-Csv (Join-Path $repo 'samples/leads.csv')
        foreach ($name in 'leads.csv', 'crm-export.csv', 'emea.csv', 'us.csv', 'data/leads.csv', 'data/new-leads.csv') {
            $leads | Select-Object -First 20 | Export-Csv (Join-Path $scratch $name) -NoTypeInformation
        }
        $leads | Select-Object -First 60 | Export-Csv (Join-Path $scratch 'big.csv') -NoTypeInformation
        1..10 | ForEach-Object { [pscustomobject]@{ 'Acct Nm' = "Account $_"; 'Primary URL' = "account$_.example"; 'SFDC Id' = "001$_"; Segment = 'SMB' } } |
            Export-Csv (Join-Path $scratch 'accounts.csv') -NoTypeInformation
        # Thread jobs in an example import the module by name.
        $script:savedPath = $env:PSModulePath
        $env:PSModulePath = (Split-Path (Split-Path $ModulePath)) + [IO.Path]::PathSeparator + $env:PSModulePath
        $script:savedEnv = @{}
        foreach ($k in 'LEADSPACE_API_TOKEN', 'LEADSPACE_PROGRAM_ID', 'LEADSPACE_BASE_URI', 'LEADSPACE_OAUTH_SECRET', 'LEADSPACE_RATE_LIMIT_STORE') { $savedEnv[$k] = [Environment]::GetEnvironmentVariable($k) }
        $env:LEADSPACE_RATE_LIMIT_STORE = $null
        $env:LEADSPACE_API_TOKEN = 'example-token'; $env:LEADSPACE_PROGRAM_ID = 'acme-prod'; $env:LEADSPACE_BASE_URI = $sim.BaseUri
        $script:prelude = @'
function Read-Host { param([Parameter(Position = 0)] $Prompt, [switch] $AsSecureString) ConvertTo-SecureString 'example-token' -AsPlainText -Force }
function Get-Credential { param($UserName = 'acme-prod', $Message, [Parameter(Position = 0)] $Credential)
    $password = if ("$Message" -match 'OAuth') { 'example-secret' } else { 'example-token' }
    [pscredential]::new($UserName, (ConvertTo-SecureString $password -AsPlainText -Force)) }
function Get-Secret { param([Parameter(Position = 0)] $Name)
    if ($Name -eq 'LeadspaceToken') { ConvertTo-SecureString 'example-token' -AsPlainText -Force }
    else { [pscredential]::new('acme-prod', (ConvertTo-SecureString 'example-token' -AsPlainText -Force)) } }
$cred = $emeaCred = $usCred = [pscredential]::new('acme-prod', (ConvertTo-SecureString 'example-token' -AsPlainText -Force))
'@
    }
    AfterAll {
        Disconnect-Leadspace -All
        $env:PSModulePath = $savedPath
        foreach ($k in $savedEnv.Keys) { [Environment]::SetEnvironmentVariable($k, $savedEnv[$k]) }
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        if ($garnet) { Stop-GarnetServer -Server $garnet }
        Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
    }

    It '<Name> runs' -ForEach $examples {
        $code = $Code -replace '(?<![\w.])/data/', ((Join-Path $scratch 'data') + '/')
        if ($code -match "redis01\.corp[^']*") {
            if (-not $garnet) { $script:garnet = Start-GarnetServer }
            $code = $code -replace "redis01\.corp[^']*", $garnet.Configuration
        }
        $environment = @{}
        foreach ($k in [Environment]::GetEnvironmentVariables().Keys) { if ("$k" -like 'LEADSPACE_*') { $environment["$k"] = [Environment]::GetEnvironmentVariable("$k") } }
        # Examples written for a clone of the repository run at its root; the others in the scratch folder.
        $where = if ($code -match '\./(out|tests|samples)/') { $repo } else { $scratch }
        $ps = [powershell]::Create()
        try {
            # Connected beforehand as a user would be, except where the example connects a program through a store
            # (a program connected without one in the process refuses a second connection with one).
            $connect = if ($code -match 'RATE_LIMIT_STORE|-RateLimitStore') { '' } else { 'Connect-Leadspace -RequestsPerSecond 500' }
            $null = $ps.AddScript("Set-Location '$where'; Import-Module '$ModulePath'; $prelude; $connect`n" + $code + "`n'EXAMPLE-COMPLETED'")
            $out = $ps.Invoke()
            $ps.InvocationStateInfo.State | Should -Be 'Completed' -Because "$($ps.InvocationStateInfo.Reason)"
            @($out | ForEach-Object { "$_" }) | Should -Contain 'EXAMPLE-COMPLETED'
            # An example that watches a run must show at least one reading (a loop that never runs shows none).
            if ($Name -like 'Get-LeadspaceRateStatus: Example 2*') { ($out | Out-String) | Should -Match 'EffectiveRate' }
            # Row errors are expected only for the sample's invalid rows (and rows an example deliberately stops).
            $unexpected = @($ps.Streams.Error | Where-Object { $_.FullyQualifiedErrorId -notmatch '^Leadspace(InvalidInput|NotSent|CreditsExhausted|BudgetExhausted),' })
            $unexpected | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" } | Should -BeNullOrEmpty
        }
        finally {
            $ps.Dispose()
            Disconnect-Leadspace -All
            # An example may set a LEADSPACE_* variable (a runbook would): never let it reach the next example or test file.
            foreach ($k in @([Environment]::GetEnvironmentVariables().Keys | Where-Object { "$_" -like 'LEADSPACE_*' })) {
                if (-not $environment.ContainsKey("$k")) { [Environment]::SetEnvironmentVariable("$k", $null) }
            }
            foreach ($k in $environment.Keys) { [Environment]::SetEnvironmentVariable($k, $environment[$k]) }
        }
    }
}
