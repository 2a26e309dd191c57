# Dot-sourced by every *.Tests.ps1 in BeforeAll: imports the BUILT module (path from build.ps1) and the
# simulator helper, and defines small helpers shared by the tests.
$script:ModulePath = if ($env:LEADSPACE_TEST_MODULE) { $env:LEADSPACE_TEST_MODULE } else { Join-Path $PSScriptRoot '../../out/Leadspace/Leadspace.psd1' }
Import-Module $script:ModulePath -Force
Import-Module (Join-Path $PSScriptRoot 'LeadspaceSimulator.psm1') -Force

function script:ConvertTo-Secure([string] $Text) { ConvertTo-SecureString $Text -AsPlainText -Force }

function script:Get-FreshPwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($process)
}

# Runs a script in a new pwsh process and returns its combined output as text lines.
function script:Invoke-FreshPwsh([string] $Script, [hashtable] $Environment = @{}) {
    $cmd = @(Get-FreshPwshCommand)
    $saved = @{}
    foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
    try {
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
        $rest = @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)
        $output = & $cmd[0] @rest 2>&1 | ForEach-Object { "$_" }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output); Text = ($output -join "`n") }
    }
    finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
}

function script:New-Lead([int] $i, [string] $Company = "Company $i") {
    [pscustomobject]@{ 'Lead ID' = "L$i"; 'First Name' = "First$i"; 'Last Name' = "Last$i"; 'Email Address' = "p$i@example.com"; 'Company' = $Company }
}
