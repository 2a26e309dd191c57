# The packages written by build.ps1 -Task Package (build.ps1 -Task Test writes them before running this):
# what is inside them, and the way a user installs them by name.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:PackageDir = if ($env:LEADSPACE_TEST_PACKAGES) { $env:LEADSPACE_TEST_PACKAGES } else { Join-Path $PSScriptRoot '../../out/packages' }
    $script:ModuleDir = Split-Path $ModulePath
    $script:Version = (Import-PowerShellDataFile $ModulePath).ModuleVersion
    $script:ModulePackage = Join-Path $PackageDir "Leadspace.$Version.nupkg"
    $script:ToolPackage = Join-Path $PackageDir "Leadspace.Simulator.$Version.nupkg"
    foreach ($p in $ModulePackage, $ToolPackage) {
        if (-not (Test-Path -LiteralPath $p)) { throw "$p is missing: run ./build.ps1 -Task Package first (./build.ps1 -Task Test does)." }
    }

    function script:Get-ZipEntryName([string] $Path) {
        $zip = [IO.Compression.ZipFile]::OpenRead($Path)
        try { @($zip.Entries | Where-Object { -not $_.FullName.EndsWith('/') } | ForEach-Object { [Uri]::UnescapeDataString($_.FullName) }) }
        finally { $zip.Dispose() }
    }

    function script:Get-ZipEntryBytes([string] $Path, [string] $Name) {
        $zip = [IO.Compression.ZipFile]::OpenRead($Path)
        try {
            $entry = $zip.Entries | Where-Object { [Uri]::UnescapeDataString($_.FullName) -eq $Name } | Select-Object -First 1
            if (-not $entry) { throw "$Name is not in $Path." }
            $stream = $entry.Open(); $memory = [IO.MemoryStream]::new()
            try { $stream.CopyTo($memory); , $memory.ToArray() } finally { $stream.Dispose(); $memory.Dispose() }
        }
        finally { $zip.Dispose() }
    }

    function script:Get-ZipEntryText([string] $Path, [string] $Name) {
        [Text.Encoding]::UTF8.GetString((Get-ZipEntryBytes $Path $Name)).TrimStart([char]0xFEFF)
    }

    # The names of the assemblies an assembly references, read from its metadata (nothing is loaded).
    function script:Get-AssemblyReference([byte[]] $Bytes) {
        $pe = [Reflection.PortableExecutable.PEReader]::new([IO.MemoryStream]::new($Bytes))
        try {
            $reader = [Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            foreach ($handle in $reader.AssemblyReferences) { $reader.GetString($reader.GetAssemblyReference($handle).Name) }
        }
        finally { $pe.Dispose() }
    }

    # Keep a Changelog: the section of this version, else Unreleased (the rule build.ps1 applies).
    function script:Get-ChangelogSection([string] $Version) {
        $changelog = Get-Content (Join-Path $PSScriptRoot '../../CHANGELOG.md') -Raw
        foreach ($name in $Version, 'Unreleased') {
            $m = [regex]::Match($changelog, "(?ms)^## \[$([regex]::Escape($name))\][^\r\n]*\r?\n(?<body>.*?)(?=^## \[|^\[[^\]]+\]:|\z)")
            if ($m.Success -and $m.Groups['body'].Value.Trim()) { return ($m.Groups['body'].Value.Trim() -replace '\r\n', "`n") }
        }
        throw "CHANGELOG.md has neither a [$Version] nor an [Unreleased] section."
    }
}

Describe 'Leadspace.<version>.nupkg (the module, for Install-PSResource)' {
    BeforeAll {
        $script:entries = Get-ZipEntryName $ModulePackage
        $script:payload = @($entries | Where-Object { $_ -notmatch '^(\[Content_Types\]\.xml|_rels/|package/services/|Leadspace\.nuspec$)' })
        [xml] $script:nuspec = Get-ZipEntryText $ModulePackage 'Leadspace.nuspec'
    }

    It 'holds the manifest, the format file, the licence, the help and assemblies' {
        $files = @($payload | Where-Object { $_ -notlike '*.dll' } | Sort-Object)
        $files | Should -Be @('en-US/about_Leadspace.help.txt', 'en-US/Leadspace.dll-Help.xml', 'Leadspace.Format.ps1xml', 'Leadspace.psd1', 'Leadspace.Types.ps1xml', 'LICENSE' | Sort-Object)
        $payload | Should -Contain 'Leadspace.dll'
    }

    It 'holds no pdb, no PowerShell assembly and no assembly the module does not reference' {
        $payload | Where-Object { $_ -like '*.pdb' } | Should -BeNullOrEmpty
        $payload | Where-Object { $_ -match '(^|/)(System\.Management\.Automation|Microsoft\.PowerShell\.[^/]*)\.dll$' } | Should -BeNullOrEmpty
        # Every shipped assembly is in Leadspace.dll's reference closure (PSResourceGet packs whatever the folder holds).
        $shipped = @{}
        foreach ($dll in $payload | Where-Object { $_ -like '*.dll' }) {
            $name = [IO.Path]::GetFileNameWithoutExtension($dll)
            if ($shipped.ContainsKey($name)) { $name = "$name ($dll)" }   # the same assembly in RateLimitStore/ as well
            $shipped[$name] = $dll
        }
        $reached = [Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
        # Two roots: the module, and the rate limit store it loads by path (RateLimitStore/) for -RateLimitStore.
        $queue = [Collections.Generic.Queue[string]]::new(); $queue.Enqueue('Leadspace'); $queue.Enqueue('Leadspace.RateLimitStore')
        while ($queue.Count) {
            $name = $queue.Dequeue()
            if (-not $shipped.ContainsKey($name) -or -not $reached.Add($name)) { continue }
            foreach ($ref in Get-AssemblyReference (Get-ZipEntryBytes $ModulePackage $shipped[$name])) { $queue.Enqueue($ref) }
        }
        @($shipped.Keys | Where-Object { -not $reached.Contains(($_ -replace ' \(.*\)$', '')) }) | Should -BeNullOrEmpty -Because 'nothing unreferenced should ship'
        $reached | Should -Contain 'System.Threading.RateLimiting'
        $reached | Should -Contain 'Microsoft.Bcl.TimeProvider'
    }

    It 'holds exactly the module the tests ran against' {
        foreach ($file in $payload) {
            $built = Join-Path $ModuleDir $file
            $built | Should -Exist
            [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData((Get-ZipEntryBytes $ModulePackage $file))) |
                Should -Be (Get-FileHash -LiteralPath $built -Algorithm SHA256).Hash -Because $file
        }
        @(Get-ChildItem $ModuleDir -Recurse -File).Count | Should -Be $payload.Count
    }

    It 'carries the manifest''s version, which is also the assembly''s' {
        $nuspec.package.metadata.id | Should -Be 'Leadspace'
        $nuspec.package.metadata.version | Should -Be $Version
        $assembly = [Reflection.AssemblyName]::GetAssemblyName((Join-Path $ModuleDir 'Leadspace.dll')).Version
        $assembly | Should -Be ([version] "$Version.0")
    }

    It 'has the Gallery metadata: description, author, MIT licence, tags, release notes from CHANGELOG.md' {
        $metadata = $nuspec.package.metadata
        $manifest = Import-PowerShellDataFile $ModulePath
        $metadata.description | Should -Be $manifest.Description
        $metadata.authors | Should -Be $manifest.Author
        $metadata.licenseUrl | Should -Be $manifest.PrivateData.PSData.LicenseUri
        $manifest.Copyright | Should -Match 'MIT'
        (Get-ZipEntryText $ModulePackage 'LICENSE') | Should -Match '^MIT License'
        $tags = $metadata.tags -split ' '
        foreach ($tag in 'PSModule', 'Leadspace', 'Enrichment', 'PSEdition_Core', 'PSEdition_Desktop') { $tags | Should -Contain $tag }
        $notes = Get-ChangelogSection $Version
        $notes | Should -Match 'Invoke-LeadspaceEnrichment'
        ($metadata.releaseNotes -replace '\r\n', "`n").Trim() | Should -Be $notes
        $manifest.PrivateData.PSData.ReleaseNotes | Should -Be $notes
    }
}

Describe 'Leadspace.Simulator.<version>.nupkg (the simulator as a .NET tool)' {
    BeforeAll {
        $script:entries = Get-ZipEntryName $ToolPackage
        [xml] $script:nuspec = Get-ZipEntryText $ToolPackage 'Leadspace.Simulator.nuspec'
    }

    It 'is a framework-dependent .NET tool named leadspace-simulator that runs on ASP.NET Core''s shared framework' {
        $nuspec.package.metadata.id | Should -Be 'Leadspace.Simulator'
        $nuspec.package.metadata.version | Should -Be $Version
        $nuspec.package.metadata.packageTypes.packageType.name | Should -Be 'DotnetTool'
        $nuspec.package.metadata.license.InnerText | Should -Be 'MIT'
        [xml] $settings = Get-ZipEntryText $ToolPackage 'tools/net10.0/any/DotnetToolSettings.xml'
        $settings.DotNetCliTool.Commands.Command.Name | Should -Be 'leadspace-simulator'
        $settings.DotNetCliTool.Commands.Command.EntryPoint | Should -Be 'Leadspace.Simulator.dll'
        $runtime = Get-ZipEntryText $ToolPackage 'tools/net10.0/any/Leadspace.Simulator.runtimeconfig.json' | ConvertFrom-Json
        $runtime.runtimeOptions.frameworks.name | Should -Contain 'Microsoft.AspNetCore.App'
    }

    It 'holds the simulator and nothing else (no pdb, no web.config)' {
        $tool = @($entries | Where-Object { $_ -like 'tools/*' } | ForEach-Object { Split-Path $_ -Leaf } | Sort-Object)
        $tool | Should -Be @('DotnetToolSettings.xml', 'Leadspace.Simulator.deps.json', 'Leadspace.Simulator.dll', 'Leadspace.Simulator.runtimeconfig.json' | Sort-Object)
    }
}

Describe 'Installed by name, as a user does' -Skip:$IsWindows {
    # Isolation goes through HOME: on Linux and macOS both PSResourceGet (its repository list and the CurrentUser
    # install folder) and PowerShell's user module path live under it. Windows keeps them elsewhere.
    BeforeAll {
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("leadspace-install-" + [guid]::NewGuid().ToString('N'))
        $script:userHome = Join-Path $work 'home'
        $script:userModules = Join-Path $userHome '.local/share/powershell/Modules'
        New-Item -ItemType Directory -Path $userModules, (Join-Path $userHome '.config'), (Join-Path $userHome '.cache') -Force | Out-Null

        # The simulator from its own package, the way a user's CI gets it: a tool path, our folder as the only source.
        $script:tools = Join-Path $work 'tools'
        $nugetConfig = Join-Path $work 'nuget.config'
        Set-Content -Path $nugetConfig -Encoding utf8 -Value @"
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="leadspace-packages" value="$([Security.SecurityElement]::Escape((Resolve-Path $PackageDir).Path))" />
  </packageSources>
</configuration>
"@
        $install = & dotnet tool install --tool-path $tools --configfile $nugetConfig --version $Version Leadspace.Simulator 2>&1
        if ($LASTEXITCODE -ne 0) { throw "dotnet tool install failed: $install" }
        $script:simulatorCommand = Join-Path $tools $(if ($IsWindows) { 'leadspace-simulator.exe' } else { 'leadspace-simulator' })
        $script:sim = Start-LeadspaceSimulator -SimulatorPath $simulatorCommand -ArgumentList @('--rate', '1000', '--no-match-rate', '0')
    }
    AfterAll {
        if ($sim) { Stop-LeadspaceSimulator -Simulator $sim }
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'installs the simulator as a .NET tool whose help is the built simulator''s, and whose first line is the base URI' {
        $simulatorCommand | Should -Exist
        $sim.BaseUri | Should -Match '^http://127\.0\.0\.1:\d+$'   # Start-LeadspaceSimulator read it from line 1
        $toolHelp = & $simulatorCommand --help
        $LASTEXITCODE | Should -Be 0
        $builtDll = Join-Path $PSScriptRoot '../../src/Leadspace.Simulator/bin/Release/net10.0/Leadspace.Simulator.dll'
        if (-not (Test-Path $builtDll)) { $builtDll = $builtDll -replace 'Release', 'Debug' }
        $toolHelp | Should -Be (& dotnet $builtDll --help)
        ($toolHelp -join "`n") | Should -Match '--latency-ms'
    }

    It 'Install-PSResource Leadspace from the folder repository, Import-Module Leadspace by name, enrich 20 rows' {
        $inputCsv = Join-Path $work 'leads.csv'
        $outputCsv = Join-Path $work 'enriched.csv'
        1..20 | ForEach-Object { New-Lead $_ } | Export-Csv $inputCsv -NoTypeInformation -Encoding utf8

        $q = { param($s) "'" + ($s -replace "'", "''") + "'" }
        $script = @"
`$ErrorActionPreference = 'Stop'
if (Get-Module -ListAvailable -Name Leadspace) { throw 'Leadspace is already on PSModulePath before the install.' }
Register-PSResourceRepository -Name LeadspaceLocal -Uri $(& $q (Resolve-Path $PackageDir).Path) -Trusted
Install-PSResource -Name Leadspace -Repository LeadspaceLocal
Import-Module Leadspace
`$m = Get-Module Leadspace
"INSTALLED `$(`$m.Version) `$(`$m.ModuleBase)"
Connect-Leadspace -Token (ConvertTo-SecureString $(& $q $sim.Token) -AsPlainText -Force) -ProgramId sim-program -BaseUri $(& $q $sim.BaseUri)
Import-Csv $(& $q $inputCsv) | Invoke-LeadspaceEnrichment -IncludeInput | Export-Csv $(& $q $outputCsv) -NoTypeInformation -Encoding utf8
"@
        $r = Invoke-FreshPwsh $script -Environment @{
            HOME = $userHome; PSModulePath = $userModules
            XDG_DATA_HOME = (Join-Path $userHome '.local/share'); XDG_CONFIG_HOME = (Join-Path $userHome '.config'); XDG_CACHE_HOME = (Join-Path $userHome '.cache')
        }
        $r.ExitCode | Should -Be 0 -Because $r.Text
        $r.Text | Should -Match "INSTALLED $([regex]::Escape($Version)) $([regex]::Escape($userModules))/Leadspace/$([regex]::Escape($Version))"
        Join-Path $userModules "Leadspace/$Version/Leadspace.dll" | Should -Exist

        $rows = @(Import-Csv $outputCsv)
        $rows.Count | Should -Be 20
        $rows.'Lead ID' | Should -Be (1..20 | ForEach-Object { "L$_" })
        $rows.ExternalId | Should -Be (1..20 | ForEach-Object { "L$_" })
        @($rows.Status | Sort-Object -Unique) | Should -Be @('Enriched')
        $stats = Get-LeadspaceSimulatorStats -Simulator $sim
        $stats.calls | Should -Be 20
        $stats.creditsCharged | Should -Be 20
        $stats.duplicateCharges | Should -Be 0
        @($stats.chargesByExternalId.Keys | Sort-Object) | Should -Be @(1..20 | ForEach-Object { "L$_" } | Sort-Object)
    }
}
