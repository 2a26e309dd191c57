#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and benchmarks the Leadspace PowerShell module.
.DESCRIPTION
    Tasks:
      Build    (default) dotnet build, then lay out an importable module in out/Leadspace (release notes from
               CHANGELOG.md, LICENSE beside it).
      Package  Build, then write out/packages/Leadspace.<version>.nupkg with Publish-PSResource to that folder as a
               local repository, and out/packages/Leadspace.Simulator.<version>.nupkg (the simulator as a .NET tool).
      Test     Build, Package, run the xunit suites (Leadspace.Tests on net10.0 and, self-contained, on net8.0) in the
               background beside the Pester suite (its files in parallel fresh pwsh processes; the parts that run alone
               start once xunit has ended), print the slowest ten tests, the wall time and "N passed, N failed" last.
               Every process starts with DOTNET_TieredPGO=0 and DOTNET_TC_CallCountingDelayMs=5000, and on Linux x64
               the Pester suite runs in out/pwsh, a copy of the PowerShell tool compiled ReadyToRun (crossgen2 from NuGet).
      Soak     Runs the CI script (.ci/run, the README's test command) -Runs times, each on a fresh clone of this
               checkout's HEAD in a temporary folder, optionally (-BusyCore) with one core kept busy; prints each run's
               exit code, time, passed, failed and the failing tests' names, and exits 1 if any run failed.
      Demo   Build, start the Leadspace simulator on loopback, run
             Import-Csv samples/leads.csv | Invoke-LeadspaceEnrichment | Export-Csv out/demo/enriched.csv
             in a fresh pwsh as a user would, stop the simulator, print a summary.
      Bench  Build, then measure the module against plain PowerShell alternatives (bench/Invoke-Benchmark.ps1).
      Clean  Remove out/ and every bin/ and obj/ folder.
    Safe to run twice and from any directory; every process it starts is stopped, even on failure or Ctrl+C.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Package', 'Test', 'Soak', 'Demo', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # Soak: how many clean-clone runs of the test command.
    [ValidateRange(1, 1000)]
    [int] $Runs = 10,

    # Soak: keep one core busy (a 'yes > /dev/null' started before the runs and stopped after them).
    [switch] $BusyCore
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'Leadspace'
$TestResults = Join-Path $Out 'test-results'
$PackageOut = Join-Path $Out 'packages'
$PesterVersion = '5.7.1'   # pinned; restored from NuGet by tests/Pester/Pester.Packages.csproj

function Invoke-Native {
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-PwshCommand {
    # The pwsh running this script, started fresh: the dotnet tool runs as 'dotnet pwsh.dll'.
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($process)
}

function Invoke-FreshPwsh {
    param([Parameter(Mandatory)][string] $File, [string[]] $ArgumentList = @(), [string[]] $Pwsh = @(Get-PwshCommand))
    $cmd = $Pwsh
    $first = $cmd[0]
    $rest = @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList
    & $first @rest | Out-Host
    return $LASTEXITCODE
}

function Get-ModuleVersion {
    (Import-PowerShellDataFile (Join-Path $Root 'Leadspace.psd1')).ModuleVersion
}

# The CHANGELOG.md section of this version ("## [0.2.0] - ..."), else the "## [Unreleased]" one (Keep a Changelog:
# changes gather under Unreleased, which is renamed to the version when it ships).
function Get-ReleaseNote {
    param([Parameter(Mandatory)][string] $Version)
    $changelog = Get-Content (Join-Path $Root 'CHANGELOG.md') -Raw
    $sections = @{}
    foreach ($m in [regex]::Matches($changelog, '(?ms)^## \[(?<name>[^\]]+)\][^\r\n]*\r?\n(?<body>.*?)(?=^## \[|^\[[^\]]+\]:|\z)')) {
        $sections[$m.Groups['name'].Value] = $m.Groups['body'].Value.Trim()
    }
    foreach ($name in $Version, 'Unreleased') {
        if ($sections.ContainsKey($name) -and $sections[$name]) { return $sections[$name] }
    }
    throw "CHANGELOG.md has no '## [$Version]' section and its '## [Unreleased]' section is empty: say what changed before building $Version."
}

# Writes the release notes into the laid-out manifest (the source manifest holds ReleaseNotes = '').
function Set-ManifestReleaseNote {
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][string] $Notes)
    if ($Notes -match "(?m)^'@") { throw "The release notes may not have a line starting with '@." }
    $text = Get-Content $Path -Raw
    $pattern = "(?m)^(?<indent>\s*)ReleaseNotes(?<pad>\s*)=\s*''[^\r\n]*$"
    if ($text -notmatch $pattern) { throw "Build: $Path has no line ReleaseNotes = '' to fill in from CHANGELOG.md." }
    $hereString = "@'`n" + ($Notes -replace '\r\n', "`n") + "`n'@"
    $text = [regex]::Replace($text, $pattern, { param($m) "$($m.Groups['indent'].Value)ReleaseNotes$($m.Groups['pad'].Value)= $hereString" })
    Set-Content -Path $Path -Value $text -NoNewline -Encoding utf8
    if ((Import-PowerShellDataFile $Path).PrivateData.PSData.ReleaseNotes -ne ($Notes -replace '\r\n', "`n")) { throw "Build: the release notes did not round-trip through $Path." }
}

function Invoke-BuildTask {
    # -ModuleOnly: only the shipped projects (LeadspacePS.Module.slnf: the module, the store, the simulator); the Test
    # task builds the test projects in the background (LeadspacePS.Tests.slnf) while the Pester tests run.
    param([switch] $ModuleOnly)
    $version = Get-ModuleVersion
    Write-Host "Building Leadspace $version ($Configuration)..." -ForegroundColor Cyan
    $releaseNotes = Get-ReleaseNote -Version $version
    $solution = Join-Path $Root $(if ($ModuleOnly) { 'LeadspacePS.Module.slnf' } else { 'LeadspacePS.sln' })
    Invoke-Native dotnet @('build', $solution, '-c', $Configuration, '--nologo', '-v', 'q', "-p:Version=$version", '-clp:ErrorsOnly')

    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    New-Item -ItemType Directory -Path $ModuleOut -Force | Out-Null
    $bin = Join-Path $Root "src/Leadspace/bin/$Configuration/netstandard2.0"

    # No pdb: users never need it (errors carry stable ids and messages), and the build is deterministic, so the
    # pdb built from the same commit matches a shipped dll when a stack trace has to be read.
    Copy-Item (Join-Path $bin 'Leadspace.dll') -Destination $ModuleOut
    Copy-Item (Join-Path $Root 'Leadspace.psd1') -Destination $ModuleOut
    Copy-Item (Join-Path $Root 'src/Leadspace/Leadspace.Format.ps1xml'), (Join-Path $Root 'src/Leadspace/Leadspace.Types.ps1xml') -Destination $ModuleOut
    Copy-Item (Join-Path $Root 'LICENSE') -Destination $ModuleOut   # MIT: the notice travels with every copy
    Set-ManifestReleaseNote -Path (Join-Path $ModuleOut 'Leadspace.psd1') -Notes $releaseNotes

    # The netstandard2.0 dependencies sit beside the module: PowerShell 7 uses its own newer copies where it
    # has them (System.Text.Json…) and loads only what it lacks (System.Threading.RateLimiting, Microsoft.Bcl.TimeProvider); Windows
    # PowerShell 5.1 needs them all (see ModuleInitializer.cs). PowerShell's own assemblies are never shipped.
    Get-ChildItem $bin -Filter *.dll |
        Where-Object { $_.Name -ne 'Leadspace.dll' -and $_.Name -ne 'System.Management.Automation.dll' -and $_.Name -notlike 'Microsoft.PowerShell.*' } |
        Copy-Item -Destination $ModuleOut

    # The rate limit store (StackExchange.Redis and its dependencies) in its own folder: loaded only for
    # Connect-Leadspace -RateLimitStore, into the module's own AssemblyLoadContext on PowerShell 7
    # (src/Leadspace/RateLimiting/Shared/RateLimitStoreLoader.cs). Leadspace.dll and the main module's own dependencies stay out of it.
    $storeBin = Join-Path $Root "src/Leadspace.RateLimitStore/bin/$Configuration/netstandard2.0"
    $storeOut = Join-Path $ModuleOut 'RateLimitStore'
    New-Item -ItemType Directory -Path $storeOut -Force | Out-Null
    $notStore = 'Leadspace.dll', 'System.Text.Json.dll', 'System.Text.Encodings.Web.dll', 'System.Threading.RateLimiting.dll', 'Microsoft.Bcl.TimeProvider.dll', 'System.Management.Automation.dll'
    Get-ChildItem $storeBin -Filter *.dll | Where-Object { $_.Name -notin $notStore } | Copy-Item -Destination $storeOut
    # No pdb here either, as for Leadspace.dll: the build is deterministic, a pdb from the same commit matches.

    # Help: markdown sources in src/Leadspace/help become MAML (Get-Help) and about_ topics in en-US/.
    & (Join-Path $Root 'src/Leadspace/help/Build-Help.ps1') -OutputPath (Join-Path $ModuleOut 'en-US')
    Write-Host "Module laid out in $ModuleOut" -ForegroundColor Green
}

# Publishes out/Leadspace to out/packages as a local PSResourceGet repository, and packs the simulator as a .NET
# tool beside it. Expects Invoke-BuildTask to have run (the simulator is packed from that build).
function Invoke-PackageTask {
    $version = Get-ModuleVersion
    if (Test-Path $PackageOut) { Remove-Item $PackageOut -Recurse -Force }
    New-Item -ItemType Directory -Path $PackageOut -Force | Out-Null
    Write-Host "Packaging Leadspace $version into $PackageOut..." -ForegroundColor Cyan
    $clock = [Diagnostics.Stopwatch]::StartNew()

    # Publish-PSResource needs a registered repository. It is registered in a child pwsh whose data folder is a
    # temporary one (PSResourceGet keeps its repository list under .NET's LocalApplicationData, which is
    # $XDG_DATA_HOME on Linux), so the user's own repository list is never touched; where that folder cannot be
    # redirected (Windows, macOS), the uniquely named registration is removed again at once.
    $isolated = Join-Path ([IO.Path]::GetTempPath()) "leadspace-publish-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $isolated -Force | Out-Null
    $quote = { param($s) "'" + ($s -replace "'", "''") + "'" }
    $script = @"
`$ErrorActionPreference = 'Stop'
`$name = 'LeadspaceBuild$([guid]::NewGuid().ToString('N').Substring(0, 8))'
Register-PSResourceRepository -Name `$name -Uri $(& $quote $PackageOut) -Trusted
try { Publish-PSResource -Path $(& $quote $ModuleOut) -Repository `$name }
finally { Unregister-PSResourceRepository -Name `$name }
"@
    $saved = $env:XDG_DATA_HOME
    try {
        $env:XDG_DATA_HOME = $isolated
        $cmd = @(Get-PwshCommand)
        $rest = @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script)))
        & $cmd[0] @rest | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "Publish-PSResource failed (exit code $LASTEXITCODE)." }
    }
    finally {
        $env:XDG_DATA_HOME = $saved
        Remove-Item $isolated -Recurse -Force -ErrorAction SilentlyContinue
    }

    Invoke-Native dotnet @('pack', (Join-Path $Root 'src/Leadspace.Simulator/Leadspace.Simulator.csproj'), '-c', $Configuration, '--no-build',
        '--nologo', '-v', 'q', "-p:Version=$version", '-o', $PackageOut)

    foreach ($id in 'Leadspace', 'Leadspace.Simulator') {
        $file = Join-Path $PackageOut "$id.$version.nupkg"
        if (-not (Test-Path $file)) { throw "Package: $file was not written." }
        Write-Host ("{0} ({1:N0} KB)" -f $file, ((Get-Item $file).Length / 1KB)) -ForegroundColor Green
    }
    Write-Host ("Packaged in {0:N1} s." -f $clock.Elapsed.TotalSeconds)
}

# Restores a project's PackageDownload items when one is missing (NuGet writes the .sha512 last, once a package is
# whole: a restore that finds them all still costs an MSBuild run) and returns NuGet's global packages folder.
function Restore-PackageDownload {
    param([Parameter(Mandatory)][string] $Project)
    $globalPackages = ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
    $downloads = @(([xml] (Get-Content -LiteralPath $Project -Raw)).SelectNodes('//PackageDownload') |
        ForEach-Object { $id = $_.Include.ToLowerInvariant(); $v = $_.Version.Trim('[', ']'); Join-Path $globalPackages "$id/$v/$id.$v.nupkg.sha512" })
    if (@($downloads | Where-Object { -not (Test-Path -LiteralPath $_) }).Count -gt 0) {
        Invoke-Native dotnet @('restore', $Project, '--nologo', '-v', 'q')
    }
    return $globalPackages
}

function Get-PesterModulePath {
    $globalPackages = Restore-PackageDownload (Join-Path $Root 'tests/Pester/Pester.Packages.csproj')
    $path = Join-Path $globalPackages "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $path)) { throw "Pester $PesterVersion was restored but $path is missing." }
    return $path
}

# The pwsh the Pester suite runs in (and every pwsh its tests start, which start the way this one was started: the
# same runtime, the same $PSHOME): a copy of the running PowerShell in out/pwsh whose own startup assemblies are
# compiled ReadyToRun by crossgen2, as PowerShell's release packages are. The dotnet tool package ships them as IL only,
# so each of the suite's hundred-odd pwsh processes spent about 1 CPU-second JIT-compiling PowerShell before a test ran
# (`pwsh -c 1`: 1.1 CPU-s from the tool, 0.5 from the copy). Same PowerShell version, same IL, same module under test.
# Start-ReadyToRunPwsh compiles in a thread job (beside the module's build); Wait-ReadyToRunPwsh returns the command
# (dotnet and the copy's pwsh.dll), or the running pwsh's own with the reason where there is no copy: not Linux x64
# (the one crossgen2 package restored), pwsh not run by dotnet, or crossgen2 failed.
function Start-ReadyToRunPwsh {
    $own = @(Get-PwshCommand)
    $target = Join-Path $Out 'pwsh'
    $state = [pscustomobject]@{ Own = $own; Command = @($own[0], (Join-Path $target 'pwsh.dll')); Job = $null; Reason = $null }
    $state.Reason = if (-not $IsLinux -or [Runtime.InteropServices.RuntimeInformation]::OSArchitecture -ne 'X64') { 'not Linux x64' }
        elseif ($own.Count -lt 2) { 'this pwsh is not run by dotnet' }
    if ($state.Reason) { return $state }
    # PowerShell's own assemblies that every pwsh loads, and the JSON library of ConvertTo/From-Json. Compiling all 44
    # IL-only assemblies took 36 s (Roslyn, WCF, directory services...) for nothing the tests start.
    $assemblies = 'System.Management.Automation', 'Microsoft.PowerShell.ConsoleHost', 'Microsoft.PowerShell.Commands.Utility',
        'Microsoft.PowerShell.Commands.Management', 'Microsoft.PowerShell.Security', 'pwsh', 'Newtonsoft.Json'
    # What the copy was made from: a changed PowerShell, runtime, crossgen2 or list of assemblies makes it again.
    $project = Join-Path $Root 'tests/Pester/ReadyToRun.Packages.csproj'
    $version = ([xml] (Get-Content -LiteralPath $project -Raw)).SelectSingleNode('//PackageDownload').Version.Trim('[', ']')
    $runtime = [Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
    $stamp = "$PSHOME|$($PSVersionTable.PSVersion)|$runtime|crossgen2 $version|$($assemblies -join ',')"
    $stampPath = Join-Path $target '.readytorun'
    if ((Test-Path -LiteralPath $stampPath) -and (Get-Content -LiteralPath $stampPath -Raw).Trim() -eq $stamp) { return $state }
    try { $crossgen = Join-Path (Restore-PackageDownload $project) "microsoft.netcore.app.crossgen2.linux-x64/$version/tools/crossgen2" }
    catch { $state.Reason = "crossgen2 was not restored: $_"; return $state }
    $state.Job = Start-ThreadJob -Name 'readytorun' -ArgumentList $PSHOME, $target, $runtime, $crossgen, $stamp, $stampPath, $assemblies -ScriptBlock {
        param($Source, $Target, $Runtime, $Crossgen, $Stamp, $StampPath, [string[]] $Assemblies)
        $clock = [Diagnostics.Stopwatch]::StartNew()
        if (Test-Path -LiteralPath $Target) { Remove-Item -LiteralPath $Target -Recurse -Force }
        Copy-Item -LiteralPath $Source -Destination $Target -Recurse
        $failed = @($Assemblies | ForEach-Object -ThrottleLimit 2 -Parallel {
            $output = Join-Path $using:Target "$_.dll.r2r"
            # A response file: pwsh would expand the references' wildcards itself on Unix.
            $rsp = "$output.rsp"
            Set-Content -LiteralPath $rsp -Value @((Join-Path $using:Source "$_.dll"), '-o', $output, '-r', (Join-Path $using:Runtime '*.dll'),
                '-r', (Join-Path $using:Source '*.dll'), '--targetos', 'linux', '--targetarch', 'x64', '-O')
            $log = & $using:Crossgen "@$rsp" 2>&1
            Remove-Item -LiteralPath $rsp
            if ($LASTEXITCODE -eq 0) { Move-Item -LiteralPath $output -Destination (Join-Path $using:Target "$_.dll") -Force }
            else { "$_ ($(@($log)[0]))" }
        })
        if ($failed.Count -gt 0) { throw "crossgen2 failed for $($failed -join ', ')" }
        Set-Content -LiteralPath $StampPath -Value $Stamp
        $clock.Elapsed.TotalSeconds
    }
    return $state
}

function Wait-ReadyToRunPwsh {
    param([Parameter(Mandatory)] $State)
    if ($State.Job) {
        try {
            $seconds = Receive-Job $State.Job -Wait -ErrorAction Stop | Select-Object -Last 1
            Write-Host ("PowerShell's assemblies compiled ReadyToRun into {0} in {1:N1} s: the Pester suite runs there." -f (Split-Path -Parent $State.Command[1]), $seconds)
        }
        catch { $State.Reason = "its ReadyToRun copy could not be made: $_" }
        finally { Remove-Job $State.Job -Force }
    }
    if ($State.Reason) {
        Write-Host "Pester runs in the PowerShell tool as it is ($($State.Reason))." -ForegroundColor Yellow
        return $State.Own
    }
    return $State.Command
}

function Get-TrxCounts {
    param([string] $Directory)
    $passed = 0; $failed = 0
    foreach ($file in Get-ChildItem $Directory -Filter *.trx -ErrorAction SilentlyContinue) {
        [xml] $trx = Get-Content -LiteralPath $file.FullName -Raw   # names can hold [1]: no wildcards
        $counters = $trx.TestRun.ResultSummary.Counters
        $passed += [int] $counters.passed
        $failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

# Every test's name and duration in the trx files of a folder (the slowest-tests list).
function Get-TrxTimes {
    param([string] $Directory)
    foreach ($file in Get-ChildItem $Directory -Filter *.trx -ErrorAction SilentlyContinue) {
        [xml] $trx = Get-Content -LiteralPath $file.FullName -Raw
        $framework = if ($file.BaseName -match '_(net[0-9.]+)$') { " ($($Matches[1]))" } else { '' }
        # XPath: a trx of a run that matched no test has no Results element (strict mode stops at a missing property).
        foreach ($r in @($trx.SelectNodes("//*[local-name()='UnitTestResult']"))) {
            if ($null -eq $r -or -not $r.duration) { continue }
            [pscustomobject]@{ Suite = 'xunit'; Name = "$($r.testName)$framework"; Seconds = [TimeSpan]::Parse($r.duration).TotalSeconds; Outcome = $r.outcome }
        }
    }
}

# Prints the background xunit run's output (kept whole, so it never interleaves with Pester's) and its time.
function Write-XunitOutput {
    param([Parameter(Mandatory)] $Job)
    Write-Host ''
    Write-Host '==== xunit ====' -ForegroundColor Cyan
    foreach ($item in @(Receive-Job $Job -Keep -ErrorAction SilentlyContinue)) {
        if ($item -is [string]) { Write-Host $item }
        else { Write-Host ("xunit: {0:N1} s in the background (test projects built in {1:N1} s, the store's tests started after {2:N1} s), exit {3}" -f $item.Seconds, $item.BuildSeconds, $item.FirstSeconds, $item.Exit) }
    }
    foreach ($e in @($Job.Error)) { Write-Host "$e" -ForegroundColor Red }
}

function Invoke-TestTask {
    $suiteClock = [Diagnostics.Stopwatch]::StartNew()
    # The runtime's tiered re-JIT for every process of the test command (the builds, the xunit hosts, every pwsh, the
    # simulators and Garnet), as tests/Pester/Invoke-PesterSuite.ps1 sets it for its own: these processes live seconds to
    # minutes, and recompiling warm code (first with PGO instrumentation) cost them more CPU than it saved on a CPU-bound
    # command (Leadspace.Tests on net10.0: 13.0 CPU-s with the defaults, 6.9 with these). Code runs the same, only when
    # it is recompiled changes; a value already set is kept.
    foreach ($knob in @{ DOTNET_TieredPGO = '0'; DOTNET_TC_CallCountingDelayMs = '5000' }.GetEnumerator()) {
        if (-not [Environment]::GetEnvironmentVariable($knob.Key)) { [Environment]::SetEnvironmentVariable($knob.Key, $knob.Value) }
    }
    $readyToRun = Start-ReadyToRunPwsh   # beside the build: it needs only the running PowerShell
    Invoke-BuildTask -ModuleOnly
    Invoke-PackageTask   # the install-by-name test (tests/Pester/Package.Tests.ps1) installs these packages
    if (Test-Path $TestResults) { Remove-Item $TestResults -Recurse -Force }
    New-Item -ItemType Directory -Path $TestResults -Force | Out-Null

    # The test projects are built, and the xunit suites run, in the background, beside the Pester parts that run with
    # others (those mostly wait on simulated latency, so two cores have room for both); their output is printed whole
    # once they end. The test projects are built without their references (--no-dependencies: the module's projects,
    # built above, are neither rebuilt nor rewritten under the running Pester tests). The store tests (Garnet servers
    # driven hard) run after the other assemblies, and the Pester parts that run alone (the store's fleets, measured
    # per second) start only once every xunit suite has ended.
    Write-Host 'Building the test projects and running xunit in the background, beside the Pester tests...' -ForegroundColor Cyan
    $xunitResults = Join-Path $TestResults 'xunit'
    $xunitJob = Start-ThreadJob -Name 'xunit' -ScriptBlock {
        param($Root, $Configuration, $xunitResults, $Version)
        $clock = [Diagnostics.Stopwatch]::StartNew()
        & dotnet build (Join-Path $Root 'LeadspacePS.Tests.slnf') -c $Configuration --no-dependencies --nologo -v q "-p:Version=$Version" -clp:ErrorsOnly 2>&1 | ForEach-Object { "$_" }
        if ($LASTEXITCODE -ne 0) {
            [pscustomobject]@{ Exit = $LASTEXITCODE; Seconds = $clock.Elapsed.TotalSeconds; BuildSeconds = $clock.Elapsed.TotalSeconds; FirstSeconds = 0 }
            return
        }
        $built = $clock.Elapsed.TotalSeconds
        & dotnet test (Join-Path $Root 'LeadspacePS.sln') -c $Configuration --no-build --nologo `
            --filter 'FullyQualifiedName!~Leadspace.RateLimitStore.Tests' `
            --logger 'trx' --logger 'console;verbosity=minimal' --results-directory $xunitResults 2>&1 | ForEach-Object { "$_" }
        $exit = $LASTEXITCODE
        $first = $clock.Elapsed.TotalSeconds
        & dotnet test (Join-Path $Root 'tests/Leadspace.RateLimitStore.Tests/Leadspace.RateLimitStore.Tests.csproj') -c $Configuration --no-build --nologo `
            --logger 'trx' --logger 'console;verbosity=minimal' --results-directory $xunitResults 2>&1 | ForEach-Object { "$_" }
        if ($LASTEXITCODE -ne 0) { $exit = $LASTEXITCODE }
        [pscustomobject]@{ Exit = $exit; Seconds = $clock.Elapsed.TotalSeconds; BuildSeconds = $built; FirstSeconds = $first }
    } -ArgumentList $Root, $Configuration, $xunitResults, (Get-ModuleVersion)

    $pesterExit = 0
    $pesterParts = @()
    try {
        $pesterPath = Get-PesterModulePath
        $pesterPwsh = Wait-ReadyToRunPwsh $readyToRun
        $suite = Join-Path $Root 'tests/Pester/Invoke-PesterSuite.ps1'
        foreach ($phase in 'Shared', 'Alone') {
            if ($phase -eq 'Alone') {
                $null = Wait-Job $xunitJob
                Write-XunitOutput $xunitJob
            }
            Write-Host "Running Pester tests ($($phase.ToLowerInvariant()) parts, each file in a fresh pwsh)..." -ForegroundColor Cyan
            $summaryPath = Join-Path $TestResults "pester-summary.$($phase.ToLowerInvariant()).json"
            $exit = Invoke-FreshPwsh -Pwsh $pesterPwsh -File $suite -ArgumentList @(
                '-PesterPath', $pesterPath, '-ModulePath', (Join-Path $ModuleOut 'Leadspace.psd1'), '-SummaryPath', $summaryPath,
                '-ResultDirectory', (Join-Path $TestResults 'pester'), '-PackagePath', $PackageOut, '-Phase', $phase)
            if ($exit -ne 0) { $pesterExit = $exit }
            $pesterParts += $summaryPath
        }
    }
    finally {
        if ($xunitJob.State -eq 'Running') { Stop-Job $xunitJob }
    }
    $xunitRun = @(Receive-Job $xunitJob -ErrorAction SilentlyContinue) | Where-Object { $_ -isnot [string] } | Select-Object -Last 1
    Remove-Job $xunitJob -Force
    $xunitExit = if ($xunitRun) { $xunitRun.Exit } else { 1 }   # no result from the job: a failure, never a pass
    $xunit = Get-TrxCounts $xunitResults

    # Both phases' summaries, merged into one (pester-summary.json); a missing or unreadable one is a failure.
    $pester = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; Tests = @(); FailedTests = @() }
    foreach ($summaryPath in $pesterParts) {
        $part = if (Test-Path $summaryPath) { Get-Content $summaryPath -Raw | ConvertFrom-Json } else { $null }
        if ($null -eq $part -or $part.Passed -isnot [long] -and $part.Passed -isnot [int] -or $null -eq $part.Failed) {
            # No readable summary: the suite crashed or its result was lost. Never report that as a pass.
            Write-Host "The Pester summary ($summaryPath) is missing or unreadable: counted as a failure." -ForegroundColor Red
            $pester.Failed++
            $pester.FailedTests += "$(Split-Path -Leaf $summaryPath) (no result)"
            continue
        }
        $pester.Passed += [int] $part.Passed
        $pester.Failed += [int] $part.Failed
        $pester.Skipped += [int] $part.Skipped
        $pester.Tests += @($part.Tests | Where-Object { $_ })
        $pester.FailedTests += @($part.FailedTests | Where-Object { $_ })
    }
    if ($pesterParts.Count -lt 2) { $pester.Failed++; $pester.FailedTests += 'Pester (a phase did not run)' }
    $pester | ConvertTo-Json -Depth 4 | Set-Content -Path (Join-Path $TestResults 'pester-summary.json') -Encoding utf8

    $passed = $xunit.Passed + $pester.Passed
    $failed = $xunit.Failed + $pester.Failed
    if ($xunitExit -ne 0 -and $xunit.Failed -eq 0) { $failed++ }   # a crashed test host counts as a failure
    if ($pesterExit -ne 0 -and $pester.Failed -eq 0) { $failed++ }
    Write-Host ''
    Write-Host 'Slowest ten tests:'
    $pesterTimes = if ($pester.PSObject.Properties['Tests']) { @($pester.Tests | Where-Object { $_ } | ForEach-Object { [pscustomobject]@{ Suite = 'Pester'; Name = $_.Name; Seconds = [double] $_.Seconds } }) } else { @() }
    foreach ($t in @(Get-TrxTimes $xunitResults) + $pesterTimes | Sort-Object Seconds -Descending | Select-Object -First 10) {
        Write-Host ("  {0,6:N1} s  {1,-6}  {2}" -f $t.Seconds, $t.Suite, $t.Name)
    }
    if ($pester.PSObject.Properties['FailedTests'] -and @($pester.FailedTests).Count -gt 0) {
        Write-Host 'Failed Pester tests:' -ForegroundColor Red
        foreach ($n in $pester.FailedTests) { Write-Host "  $n" -ForegroundColor Red }
    }
    Write-Host ''
    Write-Host "xunit:  $($xunit.Passed) passed, $($xunit.Failed) failed"
    Write-Host "Pester: $($pester.Passed) passed, $($pester.Failed) failed"
    Write-Host ("Test command wall time: {0:N0} s" -f $suiteClock.Elapsed.TotalSeconds)
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

# Runs .ci/run (the README's test command) $Runs times, each on a fresh clone of HEAD in a temporary folder, and
# reports every run. Uncommitted changes are not in the clones: commit first. With -BusyCore one core is kept busy
# by a 'yes > /dev/null' started here (and stopped here, by its process id) for the whole soak.
function Invoke-SoakTask {
    $sha = (& git -C $Root rev-parse HEAD).Trim()
    if ($LASTEXITCODE -ne 0) { throw 'Soak: this folder is not a git checkout.' }
    $dirty = & git -C $Root status --porcelain --untracked-files=no
    if ($dirty) { Write-Host 'Soak: uncommitted changes are not part of the clones (HEAD is tested).' -ForegroundColor Yellow }
    $soakOut = Join-Path $Out 'soak'
    New-Item -ItemType Directory -Path $soakOut -Force | Out-Null
    $busy = $null
    $rows = [Collections.Generic.List[object]]::new()
    try {
        if ($BusyCore) {
            $busy = Start-Process -FilePath 'bash' -ArgumentList @('-c', 'exec yes > /dev/null') -PassThru
            Write-Host "Soak: one core kept busy by 'yes > /dev/null' (pid $($busy.Id))." -ForegroundColor Cyan
        }
        for ($i = 1; $i -le $Runs; $i++) {
            $clone = Join-Path ([IO.Path]::GetTempPath()) "leadspace-soak-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
            $log = Join-Path $soakOut "run-$i.log"
            Write-Host "Soak run $i of $Runs ($($sha.Substring(0, 7)) in $clone)..." -ForegroundColor Cyan
            $clock = [Diagnostics.Stopwatch]::StartNew()
            try {
                & git clone --quiet --no-hardlinks $Root $clone 2>&1 | Out-Host
                & git -C $clone checkout --quiet --detach $sha 2>&1 | Out-Host
                if ($LASTEXITCODE -ne 0) { throw "Soak: could not check out $sha in $clone." }
                # Piped through bash: 'bash .ci/run' exactly as CI runs it, its output kept in the log.
                & bash -c 'cd "$1" && CI=true bash .ci/run < /dev/null > "$2" 2>&1' soak $clone $log
                $exit = $LASTEXITCODE
                $clock.Stop()
                $text = if (Test-Path $log) { Get-Content -LiteralPath $log } else { @() }
                $last = @($text | Where-Object { $_ -match '^\s*\d+ passed, \d+ failed' }) | Select-Object -Last 1
                $passed = if ($last -match '(\d+) passed, (\d+) failed') { [int] $Matches[1] } else { 0 }
                $failed = if ($last -match '(\d+) passed, (\d+) failed') { [int] $Matches[2] } else { 0 }
                # The failing tests: xunit's "Failed <name> [time]" lines, and the Pester summary's list.
                $names = @($text | ForEach-Object { if ($_ -match '^\s*Failed (\S+) \[') { $Matches[1] } })
                $summary = Join-Path $clone 'out/test-results/pester-summary.json'
                if (Test-Path $summary) {
                    $p = Get-Content -LiteralPath $summary -Raw | ConvertFrom-Json
                    if ($p.PSObject.Properties['FailedTests']) { $names += @($p.FailedTests | Where-Object { $_ }) }
                }
                if ($exit -ne 0 -and $names.Count -eq 0) { $names = @("(no test named: see $log)") }
                $row = [pscustomobject]@{ Run = $i; Exit = $exit; Seconds = [math]::Round($clock.Elapsed.TotalSeconds); Passed = $passed; Failed = $failed; FailedTests = ($names | Select-Object -Unique) -join '; ' }
                $rows.Add($row)
                Write-Host ("Run {0}: exit {1}, {2} s, {3} passed, {4} failed{5}" -f $row.Run, $row.Exit, $row.Seconds, $row.Passed, $row.Failed, $(if ($row.FailedTests) { ": $($row.FailedTests)" } else { '' }))
            }
            finally {
                if (Test-Path $clone) { Remove-Item $clone -Recurse -Force -ErrorAction SilentlyContinue }
            }
        }
    }
    finally {
        if ($busy -and -not $busy.HasExited) { $busy.Kill(); $null = $busy.WaitForExit(5000) }
    }
    Write-Host ''
    Write-Host ("Soak of {0} ({1} run(s){2}):" -f $sha.Substring(0, 7), $rows.Count, $(if ($BusyCore) { ', one core busy' } else { '' }))
    Write-Host '| Run | Exit | Time (s) | Passed | Failed | Failing tests |'
    Write-Host '|---:|---:|---:|---:|---:|---|'
    foreach ($r in $rows) { Write-Host "| $($r.Run) | $($r.Exit) | $($r.Seconds) | $($r.Passed) | $($r.Failed) | $($r.FailedTests) |" }
    $bad = @($rows | Where-Object { $_.Exit -ne 0 -or $_.Failed -gt 0 -or $_.Passed -eq 0 })
    Write-Host "$($rows.Count - $bad.Count) of $($rows.Count) runs passed. Logs: $soakOut"
    if ($bad.Count -gt 0 -or $rows.Count -lt $Runs) { exit 1 }
}

function Invoke-DemoTask {
    Invoke-BuildTask
    Import-Module (Join-Path $Root 'tests/Pester/LeadspaceSimulator.psm1') -Force
    $demoOut = Join-Path $Out 'demo'
    New-Item -ItemType Directory -Path $demoOut -Force | Out-Null
    $sim = $null
    try {
        # Realistic latency: 300 ms ± 100 ms per call, Leadspace's 30 calls/second limit.
        $sim = Start-LeadspaceSimulator -ArgumentList @('--latency-ms', '300', '--jitter-ms', '100', '--rate', '30')
        Write-Host "Leadspace simulator listening on $($sim.BaseUri)" -ForegroundColor Cyan
        $exit = Invoke-FreshPwsh -File (Join-Path $Root 'samples/Invoke-Demo.ps1') -ArgumentList @(
            '-ModulePath', (Join-Path $ModuleOut 'Leadspace.psd1'), '-BaseUri', $sim.BaseUri, '-Token', $sim.Token,
            '-InputPath', (Join-Path $Root 'samples/leads.csv'), '-OutputPath', (Join-Path $demoOut 'enriched.csv'))
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim
        Write-Host ("Simulator: {0} calls, {1} credits charged, {2} duplicate charges, peak {3} accepted calls in one second." -f `
                $stats.calls, $stats.creditsCharged, $stats.duplicateCharges, $stats.maxAcceptedInAnyWindow)
        if ($exit -ne 0) { throw "The demo failed (exit code $exit)." }
    }
    finally {
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
    }
}

function Invoke-BenchTask {
    Invoke-BuildTask
    $exit = Invoke-FreshPwsh -File (Join-Path $Root 'bench/Invoke-Benchmark.ps1') -ArgumentList @(
        '-ModulePath', (Join-Path $ModuleOut 'Leadspace.psd1'), '-OutputPath', (Join-Path $Out 'bench/results.md'))
    if ($exit -ne 0) { throw "The benchmark failed (exit code $exit)." }
}

function Invoke-CleanTask {
    foreach ($dir in @($Out) + @(Get-ChildItem $Root -Directory -Recurse -Include bin, obj | Select-Object -ExpandProperty FullName)) {
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force; Write-Host "Removed $dir" }
    }
}

Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-BuildTask }
        'Package' { Invoke-BuildTask; Invoke-PackageTask }
        'Test' { Invoke-TestTask }
        'Soak' { Invoke-SoakTask }
        'Demo' { Invoke-DemoTask }
        'Bench' { Invoke-BenchTask }
        'Clean' { Invoke-CleanTask }
    }
}
finally {
    Pop-Location
}
