#Requires -Version 7.4
<#
.SYNOPSIS
    Turns the help markdown next to this script into Leadspace.dll-Help.xml (MAML) and about_*.help.txt.
.DESCRIPTION
    Called by build.ps1 after Leadspace.dll has been copied to the module folder (the parent of -OutputPath).

    Where each fact comes from:
      - Syntax and parameter metadata (types, mandatory, position, pipeline input, parameter sets, defaults):
        the cmdlet classes themselves, read by a child pwsh that imports the built module and prints JSON.
        This process never loads Leadspace.dll.
      - Synopsis, description, examples, parameter descriptions, inputs, outputs, notes, links: <Cmdlet>.md.
      - Generated parts, written into the markdown where a marker line stands:
          {{ALIAS_TABLE}}     [Leadspace.Mapping.RequestField]::AliasTableLines()
          {{RESULT_COLUMNS}}  the public properties of Leadspace.Model.EnrichmentResult
          {{RESULT_COLUMN_NOTES}} the columns that summarise a list or hold part of an object ([Description] on the property)
          {{ERROR_IDS}}       Leadspace.Engine.ErrorIds with the ErrorCategory the cmdlet gives each one
          {{REQUEST_FIELD X}} the description of the Invoke-LeadspaceEnrichment parameter -X, from its RequestField

    The build fails when a cmdlet has no markdown, a markdown has no example or no synopsis, a parameter
    has no description, a documented parameter no longer exists, a status value of EnrichmentOutcome or an
    environment variable of Connect-Leadspace is not mentioned, or a marker cannot be filled.
.EXAMPLE
    ./src/Leadspace/help/Build-Help.ps1 -OutputPath out/Leadspace/en-US
#>
[CmdletBinding()]
param([Parameter(Mandatory)][string] $OutputPath)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$OutputPath = [IO.Path]::GetFullPath($OutputPath, (Get-Location).Path)
$ModuleDir = Split-Path $OutputPath
$Manifest = Join-Path $ModuleDir 'Leadspace.psd1'
$ModuleDll = Join-Path $ModuleDir 'Leadspace.dll'
foreach ($f in $Manifest, $ModuleDll) { if (-not (Test-Path $f)) { throw "Build-Help: $f is missing; copy the module there first." } }
New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null

#region Facts from the compiled module (child pwsh)

# The module's own dependencies may not be in the module folder yet (build.ps1 copies them after the help):
# the child then resolves them from the bin folder the module's Leadspace.dll was copied from.
function Get-DependencyDirectory {
    $hash = (Get-FileHash $ModuleDll).Hash
    Get-ChildItem (Join-Path $PSScriptRoot '..' 'bin') -Recurse -Filter Leadspace.dll -ErrorAction SilentlyContinue |
        Where-Object { (Get-FileHash $_.FullName).Hash -eq $hash } |
        ForEach-Object DirectoryName
}

$ChildScript = @'
param($Manifest, $DependencyDirs)
$ErrorActionPreference = 'Stop'
if ($DependencyDirs) {
    Add-Type -TypeDefinition @"
public static class LeadspaceHelpDependencyResolver {
    public static void Register(string[] dirs) {
        System.AppDomain.CurrentDomain.AssemblyResolve += (s, e) => {
            var name = new System.Reflection.AssemblyName(e.Name).Name;
            foreach (var d in dirs) {
                var p = System.IO.Path.Combine(d, name + ".dll");
                if (System.IO.File.Exists(p)) return System.Reflection.Assembly.LoadFrom(p);
            }
            return null;
        };
    }
}
"@
    [LeadspaceHelpDependencyResolver]::Register([string[]] $DependencyDirs)
}
Import-Module $Manifest
$common = [System.Management.Automation.PSCmdlet]::CommonParameters
function TypeName([type] $t) { $u = [Nullable]::GetUnderlyingType($t); if ($u) { $u.Name } else { $t.Name } }

$cmdlets = foreach ($cmd in Get-Command -Module Leadspace -CommandType Cmdlet) {
    $instance = [Activator]::CreateInstance($cmd.ImplementingType)
    $parameters = foreach ($p in $cmd.Parameters.Values | Where-Object Name -NotIn $common) {
        $prop = $cmd.ImplementingType.GetProperty($p.Name)
        $default = if ($prop) { $prop.GetValue($instance) } elseif ($p.SwitchParameter) { $false }
        [pscustomobject]@{
            Name = $p.Name; Type = $p.ParameterType.FullName; ShortType = TypeName $p.ParameterType
            IsSwitch = $p.SwitchParameter; Aliases = @($p.Aliases)
            Default = if ($null -eq $default) { 'None' } elseif ($default -is [System.Management.Automation.SwitchParameter]) { "$($default.IsPresent)" } else { "$default" }
        }
    }
    if ($instance -is [IDisposable]) { $instance.Dispose() }
    [pscustomobject]@{
        Name = $cmd.Name; Verb = $cmd.Verb; Noun = $cmd.Noun; DefaultSet = $cmd.DefaultParameterSet
        OutputTypes = @($cmd.OutputType | ForEach-Object { $_.Name } | Select-Object -Unique)
        Parameters = @($parameters)
        Sets = @(foreach ($set in $cmd.ParameterSets) {
            [pscustomobject]@{
                Name = $set.Name; IsDefault = $set.IsDefault
                Parameters = @(foreach ($p in $set.Parameters | Where-Object Name -NotIn $common) {
                    [pscustomobject]@{
                        Name = $p.Name; Mandatory = $p.IsMandatory; Position = $p.Position
                        ByValue = $p.ValueFromPipeline; ByPropertyName = $p.ValueFromPipelineByPropertyName
                    }
                })
            }
        })
    }
}

# ErrorIds, categories and retry semantics: Leadspace.Resilience.FailureTable is the one source of truth.
function Flag([bool] $b) { if ($b) { 'yes' } else { 'no' } }
$errorIds = @(
    [pscustomobject]@{ ErrorId = [Leadspace.Engine.ErrorIds]::InvalidInput; Category = 'InvalidData'; Status = 'Invalid'; Retried = 'no'; Ambiguous = 'no'; Fatal = 'no'; Cause = 'the row fails the minimum-input rule or holds a value that cannot be sent; no call made' }
    [pscustomobject]@{ ErrorId = [Leadspace.Engine.ErrorIds]::NotSent; Category = 'OperationStopped'; Status = 'NotSent'; Retried = 'no'; Ambiguous = 'no'; Fatal = 'no'; Cause = 'the run stopped before this row was sent; no call made' }
    [pscustomobject]@{ ErrorId = [Leadspace.Engine.ErrorIds]::Declined; Category = 'None'; Status = 'NotSent'; Retried = 'no'; Ambiguous = 'no'; Fatal = 'no'; Cause = 'declined at the -Confirm prompt: a result row, no error record' }
    foreach ($f in [Leadspace.Resilience.FailureTable]::All) {
        [pscustomobject]@{ ErrorId = $f.ErrorId; Category = "$($f.Category)"; Status = $(if ($f.Fatal) { 'NotSent, and the run''s terminating error' } else { 'Failed' })
            Retried = Flag $f.Retryable; Ambiguous = Flag $f.Ambiguous; Fatal = Flag $f.Fatal; Cause = "$($f.Kind): $($f.Cause)" }
    }
)
$statusRules = @([Leadspace.Resilience.FailureTable]::Statuses | ForEach-Object {
    [pscustomobject]@{ Statuses = $_.Statuses; Kind = "$($_.Kind)"; Why = $_.Why } })
$allIds = [Leadspace.Engine.ErrorIds].GetFields() | Where-Object IsLiteral | ForEach-Object { $_.GetValue($null) }

[pscustomobject]@{
    Cmdlets = @($cmdlets)
    AliasTable = @([Leadspace.Mapping.RequestField]::AliasTableLines())
    RequestFields = @([Leadspace.Mapping.RequestField]::All | Select-Object JsonPath, ParameterName, Description, @{ n = 'Aliases'; e = { @($_.Aliases) } })
    ResultColumns = @([Leadspace.Model.EnrichmentResult].GetProperties() | ForEach-Object {
        $note = $_.GetCustomAttributes([System.ComponentModel.DescriptionAttribute], $false) | Select-Object -First 1
        [pscustomobject]@{ Name = $_.Name; Type = TypeName $_.PropertyType; Note = if ($note) { $note.Description } } })
    Statuses = @([Leadspace.Model.EnrichmentOutcome]::All)
    ErrorIds = $errorIds
    StatusRules = $statusRules
    AllErrorIds = @($allIds)
    EnvironmentVariables = @([Leadspace.Commands.ConnectLeadspaceCommand].GetFields() |
        Where-Object { $_.IsLiteral -and $_.Name -like '*Variable' } | ForEach-Object { $_.GetValue($null) })
} | ConvertTo-Json -Depth 8 -Compress
'@

function Get-ModuleFacts {
    $scriptFile = Join-Path ([IO.Path]::GetTempPath()) "leadspace-help-$PID.ps1"
    Set-Content -Path $scriptFile -Value $ChildScript -Encoding utf8
    try {
        $pwsh = [Environment]::ProcessPath
        $pwshArgs = @()
        if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { $pwshArgs += Join-Path $PSHOME 'pwsh.dll' }
        $pwshArgs += '-NoProfile', '-NonInteractive', '-File', $scriptFile, '-Manifest', $Manifest
        $deps = @(Get-DependencyDirectory)
        if ($deps) { $pwshArgs += '-DependencyDirs', ($deps -join ',') }
        $json = & $pwsh @pwshArgs
        if ($LASTEXITCODE -ne 0) { throw "Build-Help: reading the cmdlets from $Manifest failed (exit code $LASTEXITCODE)." }
        ($json -join "`n") | ConvertFrom-Json
    }
    finally { Remove-Item $scriptFile -ErrorAction SilentlyContinue }
}

#endregion

#region Markdown

# Splits markdown lines into sections at headings of the given level, ignoring '#' lines inside code fences.
function Split-Section([string[]] $Lines, [int] $Level) {
    $prefix = ('#' * $Level) + ' '
    $sections = [ordered]@{}
    $current = $null
    $inCode = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') { $inCode = -not $inCode }
        if (-not $inCode -and $line.StartsWith($prefix)) {
            $current = $line.Substring($prefix.Length).Trim()
            $sections[$current] = [Collections.Generic.List[string]]::new()
        }
        elseif ($null -ne $current) { $sections[$current].Add($line) }
    }
    $sections
}

function ConvertFrom-Inline([string] $Text) {
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)]+)\)', { param($m) if ($m.Groups[2].Value -match '\.md$|^$') { $m.Groups[1].Value } else { "$($m.Groups[1].Value) ($($m.Groups[2].Value))" } })
    $Text = [regex]::Replace($Text, '(?<!`)`([^`]+)`(?!`)', '$1')
    $Text -replace '\*\*([^*]+)\*\*', '$1'
}

function Format-Table([string[]] $Rows) {
    $cells = foreach ($r in $Rows | Where-Object { $_ -notmatch '^\s*\|?[\s:|-]+\|?\s*$' }) {
        , @(($r.Trim().Trim('|') -split '(?<!\\)\|') | ForEach-Object { ConvertFrom-Inline $_.Trim() })
    }
    $widths = @(for ($i = 0; $i -lt $cells[0].Count; $i++) { ($cells | ForEach-Object { $_[$i].Length } | Measure-Object -Maximum).Maximum })
    foreach ($c in $cells) {
        $padded = for ($i = 0; $i -lt $c.Count; $i++) { if ($i -lt $c.Count - 1) { $c[$i].PadRight($widths[$i]) } else { $c[$i] } }
        ($padded -join '  ').TrimEnd()
    }
}

# Markdown lines -> blocks: @{ Kind = 'Para'|'List'|'Code'|'Table'; Lines = [string[]] } with inline markup removed.
function ConvertTo-Block([string[]] $Lines) {
    $blocks = [Collections.Generic.List[object]]::new()
    $i = 0
    while ($i -lt $Lines.Count) {
        $line = $Lines[$i]
        if ($line -match '^\s*$') { $i++; continue }
        if ($line -match '^\s*```') {
            $code = [Collections.Generic.List[string]]::new(); $i++
            while ($i -lt $Lines.Count -and $Lines[$i] -notmatch '^\s*```') { $code.Add($Lines[$i]); $i++ }
            $i++
            $blocks.Add(@{ Kind = 'Code'; Lines = $code.ToArray() }); continue
        }
        if ($line -match '^\s*\|') {
            $rows = while ($i -lt $Lines.Count -and $Lines[$i] -match '^\s*\|') { $Lines[$i]; $i++ }
            $blocks.Add(@{ Kind = 'Table'; Lines = @(Format-Table $rows) }); continue
        }
        if ($line -match '^\s*([-*]|\d+\.) ') {
            $items = [Collections.Generic.List[string]]::new()
            while ($i -lt $Lines.Count -and $Lines[$i] -notmatch '^\s*$' -and $Lines[$i] -notmatch '^\s*```') {
                if ($Lines[$i] -match '^\s*(?<b>[-*]|\d+\.) (?<t>.*)') {
                    $bullet = if ($Matches.b -in '-', '*') { '-' } else { $Matches.b }
                    $items.Add("$bullet $($Matches.t.Trim())")
                }
                else { $items[$items.Count - 1] += ' ' + $Lines[$i].Trim() }
                $i++
            }
            $blocks.Add(@{ Kind = 'List'; Lines = @($items | ForEach-Object { ConvertFrom-Inline $_ }) }); continue
        }
        $para = while ($i -lt $Lines.Count -and $Lines[$i] -notmatch '^\s*$' -and $Lines[$i] -notmatch '^\s*(```|\||[-*] |\d+\. )') { $Lines[$i].Trim(); $i++ }
        $blocks.Add(@{ Kind = 'Para'; Lines = @(ConvertFrom-Inline ($para -join ' ')) })
    }
    $blocks
}

# Replaces the marker lines with generated markdown.
function Expand-Marker([string[]] $Lines, $Facts) {
    foreach ($line in $Lines) {
        switch ($line.Trim()) {
            '{{ALIAS_TABLE}}' { $Facts.AliasTable }
            '{{RESULT_COLUMNS}}' {
                (($Facts.ResultColumns | ForEach-Object { "``$($_.Name)``" }) -join ', ') + '.'
                ''
                'Columns that are not text: ' + (($Facts.ResultColumns | Where-Object Type -NE 'String' |
                    ForEach-Object { "``$($_.Name)`` ($($_.Type))" }) -join ', ') + '.'
            }
            '{{RESULT_COLUMN_NOTES}}' {
                '| Column | What it holds |'
                '|---|---|'
                foreach ($c in $Facts.ResultColumns | Where-Object Note) { "| ``$($c.Name)`` | $($c.Note) |" }
            }
            '{{ERROR_IDS}}' {
                '| ErrorId | ErrorCategory | Row status | Retried | May have been charged | Ends the run | Cause |'
                '|---|---|---|---|---|---|---|'
                foreach ($e in $Facts.ErrorIds) { "| ``$($e.ErrorId)`` | $($e.Category) | $($e.Status) | $($e.Retried) | $($e.Ambiguous) | $($e.Fatal) | $($e.Cause) |" }
            }
            '{{STATUS_TABLE}}' {
                '| HTTP status | Classified as | Why |'
                '|---|---|---|'
                foreach ($r in $Facts.StatusRules) { "| $($r.Statuses) | $($r.Kind) | $($r.Why) |" }
            }
            { $_ -like '{{REQUEST_FIELD *}}' } {
                $name = $_.Substring(16).TrimEnd('}')
                $field = $Facts.RequestFields | Where-Object ParameterName -EQ $name
                if (-not $field) { throw "Build-Help: '$line' names no RequestField.ParameterName." }
                "Sets the request field ``$($field.JsonPath)`` ($($field.Description)) for a single record (Record parameter set). " +
                "In pipeline input, the columns $(($field.Aliases | ForEach-Object { "'$_'" }) -join ', ') map to it."
            }
            default {
                if ($line -match '\{\{[\w ]+\}\}') { throw "Build-Help: unknown marker in '$line'." }
                $line
            }
        }
    }
}

function Read-Markdown([string] $Path, $Facts) {
    $lines = @(Get-Content $Path -Encoding utf8)
    if ($lines.Count -gt 0 -and $lines[0] -eq '---') {
        $end = [Array]::IndexOf($lines, '---', 1)
        $lines = @($lines | Select-Object -Skip ($end + 1))
    }
    @(Expand-Marker $lines $Facts)
}

#endregion

#region MAML

function New-XmlWriter([string] $Path) {
    $settings = [Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.Encoding = [Text.UTF8Encoding]::new($false)
    [Xml.XmlWriter]::Create($Path, $settings)
}

$NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'

# Blocks -> <maml:para> elements. Lists, code and tables keep their lines (Get-Help indents each line of a
# para and trims the first, so they are not indented here).
function Write-Para([Xml.XmlWriter] $W, $Blocks) {
    foreach ($b in $Blocks) { $W.WriteElementString('maml', 'para', $NsMaml, $b.Lines -join "`n") }
}

function Write-Description([Xml.XmlWriter] $W, [string] $Prefix, $Blocks) {
    $W.WriteStartElement($Prefix, 'description', $(if ($Prefix -eq 'maml') { $NsMaml } else { $NsCommand }))
    Write-Para $W $Blocks
    $W.WriteEndElement()
}

function Write-Parameter([Xml.XmlWriter] $W, $Param, $SetParam, $Blocks) {
    $pipeline = @(if ($SetParam.ByValue) { 'ByValue' }; if ($SetParam.ByPropertyName) { 'ByPropertyName' })
    $W.WriteStartElement('command', 'parameter', $NsCommand)
    $W.WriteAttributeString('required', "$($SetParam.Mandatory)".ToLowerInvariant())
    $W.WriteAttributeString('variableLength', $(if ($Param.Type -like '*`[`]') { 'true' } else { 'false' }))
    $W.WriteAttributeString('globbing', 'false')
    $W.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $W.WriteAttributeString('position', $(if ($SetParam.Position -ge 0) { "$($SetParam.Position)" } else { 'named' }))
    $W.WriteAttributeString('aliases', $(if ($Param.Aliases) { $Param.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('maml', 'name', $NsMaml, $Param.Name)
    Write-Description $W 'maml' $Blocks
    if (-not $Param.IsSwitch) {
        $W.WriteStartElement('command', 'parameterValue', $NsCommand)
        $W.WriteAttributeString('required', 'true')
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($Param.ShortType)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $NsDev)
    $W.WriteElementString('maml', 'name', $NsMaml, $Param.Type)
    $W.WriteElementString('maml', 'uri', $NsMaml, '')
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $NsDev, $Param.Default)
    $W.WriteEndElement()
}

# INPUTS/OUTPUTS: '### Type' subsections, each with a description.
function Write-TypeList([Xml.XmlWriter] $W, [string] $Outer, [string] $Inner, $Section) {
    $W.WriteStartElement('command', $Outer, $NsCommand)
    foreach ($entry in (Split-Section $Section 3).GetEnumerator()) {
        $W.WriteStartElement('command', $Inner, $NsCommand)
        $W.WriteStartElement('dev', 'type', $NsDev)
        $W.WriteElementString('maml', 'name', $NsMaml, $entry.Key)
        $W.WriteEndElement()
        Write-Description $W 'maml' (ConvertTo-Block $entry.Value)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()
}

function Write-Command([Xml.XmlWriter] $W, $Cmd, [string[]] $Markdown, [string] $File) {
    $sections = Split-Section $Markdown 2
    foreach ($required in 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS') {
        if (-not $sections.Contains($required) -or -not ($sections[$required] -match '\S')) { throw "Build-Help: $File has no '## $required' text." }
    }
    $examples = Split-Section $sections['EXAMPLES'] 3
    if ($examples.Count -eq 0) { throw "Build-Help: $File has no example ('### Example N' under '## EXAMPLES')." }
    $paramDocs = @{}
    foreach ($e in (Split-Section $sections['PARAMETERS'] 3).GetEnumerator()) { $paramDocs[$e.Key.TrimStart('-')] = @(ConvertTo-Block $e.Value) }
    foreach ($p in $Cmd.Parameters) {
        if (-not $paramDocs.ContainsKey($p.Name) -or $paramDocs[$p.Name].Count -eq 0) { throw "Build-Help: parameter -$($p.Name) of $($Cmd.Name) has no description in $File." }
    }
    foreach ($name in $paramDocs.Keys) {
        if ($name -notin $Cmd.Parameters.Name) { throw "Build-Help: $File documents -$name, which $($Cmd.Name) does not have." }
    }

    $W.WriteStartElement('command', 'command', $NsCommand)
    $W.WriteAttributeString('xmlns', 'maml', $null, $NsMaml)
    $W.WriteAttributeString('xmlns', 'command', $null, $NsCommand)
    $W.WriteAttributeString('xmlns', 'dev', $null, $NsDev)

    $W.WriteStartElement('command', 'details', $NsCommand)
    $W.WriteElementString('command', 'name', $NsCommand, $Cmd.Name)
    $W.WriteElementString('command', 'verb', $NsCommand, $Cmd.Verb)
    $W.WriteElementString('command', 'noun', $NsCommand, $Cmd.Noun)
    Write-Description $W 'maml' (ConvertTo-Block $sections['SYNOPSIS'])
    $W.WriteEndElement()
    Write-Description $W 'maml' (ConvertTo-Block $sections['DESCRIPTION'])

    $byName = @{}; foreach ($p in $Cmd.Parameters) { $byName[$p.Name] = $p }
    $W.WriteStartElement('command', 'syntax', $NsCommand)
    foreach ($set in $Cmd.Sets | Sort-Object { -not $_.IsDefault }) {
        $W.WriteStartElement('command', 'syntaxItem', $NsCommand)
        $W.WriteElementString('maml', 'name', $NsMaml, $Cmd.Name)
        $ordered = $set.Parameters | Sort-Object -Stable { if ($_.Position -ge 0) { $_.Position } else { [int]::MaxValue } }, { -not $_.Mandatory }
        foreach ($sp in $ordered) { Write-Parameter $W $byName[$sp.Name] $sp $paramDocs[$sp.Name] }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'parameters', $NsCommand)
    foreach ($p in $Cmd.Parameters) {
        $inSets = @($Cmd.Sets | ForEach-Object { $_.Parameters | Where-Object Name -EQ $p.Name })
        $merged = [pscustomobject]@{
            Mandatory = @($inSets | Where-Object Mandatory).Count -eq $inSets.Count
            Position = $inSets[0].Position; ByValue = $inSets[0].ByValue; ByPropertyName = $inSets[0].ByPropertyName
        }
        Write-Parameter $W $p $merged $paramDocs[$p.Name]
    }
    $W.WriteEndElement()

    if ($sections.Contains('INPUTS')) { Write-TypeList $W 'inputTypes' 'inputType' $sections['INPUTS'] }
    if ($sections.Contains('OUTPUTS')) { Write-TypeList $W 'returnValues' 'returnValue' $sections['OUTPUTS'] }
    if ($sections.Contains('NOTES')) {
        $W.WriteStartElement('maml', 'alertSet', $NsMaml)
        $W.WriteStartElement('maml', 'alert', $NsMaml)
        Write-Para $W (ConvertTo-Block $sections['NOTES'])
        $W.WriteEndElement(); $W.WriteEndElement()
    }

    $W.WriteStartElement('command', 'examples', $NsCommand)
    foreach ($e in $examples.GetEnumerator()) {
        $blocks = @(ConvertTo-Block $e.Value)
        $code = @($blocks | Where-Object Kind -EQ 'Code')
        if (-not $code) { throw "Build-Help: '$($e.Key)' in $File has no code block." }
        $W.WriteStartElement('command', 'example', $NsCommand)
        $W.WriteElementString('maml', 'title', $NsMaml, "---------- $($e.Key) ----------")
        $W.WriteElementString('dev', 'code', $NsDev, (($code | ForEach-Object { $_.Lines -join "`n" }) -join "`n`n"))
        $W.WriteStartElement('dev', 'remarks', $NsDev)
        Write-Para $W @($blocks | Where-Object Kind -NE 'Code')
        $W.WriteElementString('maml', 'para', $NsMaml, '')   # a blank line before the next example
        $W.WriteEndElement(); $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'relatedLinks', $NsCommand)
    if ($sections.Contains('RELATED LINKS')) {
        foreach ($line in $sections['RELATED LINKS'] | Where-Object { $_ -match '\[([^\]]+)\]\(([^)]*)\)' }) {
            $null = $line -match '\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)'
            $W.WriteStartElement('maml', 'navigationLink', $NsMaml)
            $W.WriteElementString('maml', 'linkText', $NsMaml, $Matches.text)
            $W.WriteElementString('maml', 'uri', $NsMaml, $(if ($Matches.uri -match '^https?://') { $Matches.uri } else { '' }))
            $W.WriteEndElement()
        }
    }
    $W.WriteEndElement()
    $W.WriteEndElement()
}

#endregion

#region about_ topics (markdown -> plain text, 80 columns)

function Format-Wrapped([string] $Text, [string] $Indent, [string] $Hanging = $Indent, [int] $Width = 80) {
    $line = $Indent
    foreach ($word in $Text -split '\s+' | Where-Object { $_ }) {
        if ($line.Trim().Length -gt 0 -and $line.Length + 1 + $word.Length -gt $Width) { $line.TrimEnd(); $line = $Hanging }
        $line += $(if ($line.Trim().Length -gt 0) { " $word" } else { $word })
    }
    if ($line.Trim()) { $line.TrimEnd() }
}

function ConvertTo-AboutText([string[]] $Markdown) {
    $out = [Collections.Generic.List[string]]::new()
    $title = ($Markdown | Where-Object { $_ -match '^# ' } | Select-Object -First 1) -replace '^# ', ''
    $out.Add('TOPIC'); $out.Add("    $title"); $out.Add('')
    foreach ($section in (Split-Section $Markdown 2).GetEnumerator()) {
        $out.Add($section.Key.ToUpperInvariant())
        foreach ($sub in (Split-Section (@("### ") + $section.Value) 3).GetEnumerator()) {
            if ($sub.Key) { $out.Add("  $($sub.Key)") }
            foreach ($b in ConvertTo-Block $sub.Value) {
                switch ($b.Kind) {
                    'Para' { Format-Wrapped $b.Lines[0] '    ' | ForEach-Object { $out.Add($_) } }
                    'List' {
                        foreach ($item in $b.Lines) {
                            $hanging = ' ' * (5 + $item.IndexOf(' '))
                            Format-Wrapped $item '    ' $hanging | ForEach-Object { $out.Add($_) }
                        }
                    }
                    default { foreach ($l in $b.Lines) { $out.Add(("        $l").TrimEnd()) } }
                }
                $out.Add('')
            }
        }
    }
    $out
}

#endregion

$facts = Get-ModuleFacts
$missingIds = @($facts.AllErrorIds | Where-Object { $_ -notin $facts.ErrorIds.ErrorId })
if ($missingIds) { throw "Build-Help: ErrorIds not covered by the {{ERROR_IDS}} table: $($missingIds -join ', ')." }

# Facts that must be mentioned somewhere in the named help file.
$mustMention = @{
    'Invoke-LeadspaceEnrichment.md' = $facts.Statuses
    'Connect-Leadspace.md'          = $facts.EnvironmentVariables
    'about_Leadspace.md'            = @($facts.EnvironmentVariables) + @($facts.Statuses)
}

$mamlPath = Join-Path $OutputPath 'Leadspace.dll-Help.xml'
$writer = New-XmlWriter $mamlPath
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($cmd in $facts.Cmdlets | Sort-Object Name) {
        $file = Join-Path $PSScriptRoot "$($cmd.Name).md"
        if (-not (Test-Path $file)) { throw "Build-Help: $($cmd.Name) has no help markdown ($file)." }
        Write-Command $writer $cmd (Read-Markdown $file $facts) "$($cmd.Name).md"
    }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
}
finally { $writer.Dispose() }

foreach ($md in Get-ChildItem $PSScriptRoot -Filter *.md) {
    if ($md.BaseName -notlike 'about_*' -and $md.BaseName -notin $facts.Cmdlets.Name) { throw "Build-Help: $($md.Name) documents no exported cmdlet." }
    if ($mustMention.ContainsKey($md.Name)) {
        $text = Get-Content $md.FullName -Raw
        $absent = @($mustMention[$md.Name] | Where-Object { $text -notmatch "\b$([regex]::Escape($_))\b" })
        if ($absent) { throw "Build-Help: $($md.Name) does not mention $($absent -join ', ')." }
    }
    if ($md.BaseName -like 'about_*') {
        $text = ConvertTo-AboutText (Read-Markdown $md.FullName $facts)
        Set-Content -Path (Join-Path $OutputPath "$($md.BaseName).help.txt") -Value $text -Encoding utf8
    }
}
Write-Host "Help written to $OutputPath ($($facts.Cmdlets.Count) cmdlets)."
