Describe 'README' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:readme = Get-Content (Join-Path $PSScriptRoot '../../README.md') -Raw
    }

    It 'starts with the two commands for a new user' {
        $readme | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh ./build.ps1 -Task Demo'))
        $readme | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test'))
    }

    It 'holds the alias table exactly as the module defines it' {
        $m = [regex]::Match($readme, '(?s)<!-- alias-table:start -->\r?\n(.*?)\r?\n<!-- alias-table:end -->')
        $m.Success | Should -BeTrue
        ($m.Groups[1].Value -split '\r?\n') | Should -Be @([Leadspace.Mapping.RequestField]::AliasTableLines())
    }

    It 'is the command CI runs' {
        Get-Content (Join-Path $PSScriptRoot '../../.ci/run') -Raw | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test'))
    }
}
