#Requires -Version 7.4
<#
.SYNOPSIS
    Benchmarks Invoke-LeadspaceEnrichment against plain PowerShell alternatives, on the Leadspace simulator.
.DESCRIPTION
    Run by build.ps1 -Task Bench (after the build). In one run it:
      - generates deterministic synthetic lead CSVs (CRM headers, every row valid, unique Lead IDs) under out/bench/data;
      - starts the Leadspace simulator (tests/Pester/LeadspaceSimulator.psm1) as a separate process and always
        stops it again (finally, also on Ctrl+C);
      - Scenario A (30 calls/s, strict sliding window; latency 50, 300 and 1000 ms, jitter 20 %): measures
          Module    Import-Csv | Invoke-LeadspaceEnrichment | Export-Csv
          Plain     Import-Csv | ForEach-Object { Invoke-RestMethod ... } | Export-Csv
          Parallel  Import-Csv | ForEach-Object -Parallel -ThrottleLimit 32 { Invoke-RestMethod -MaximumRetryCount 3 ... } | Export-Csv
      - Scenario B (client overhead; no rate limit, no latency): the module at -RequestsPerSecond 5000
        -MaxConcurrency 64 on 100,000 rows (CPU per row, peak working set), the plain loop on 5,000 rows, and
        Import-Csv | Export-Csv alone as the CSV baseline;
      - Scenario C (fleet: one program, several processes): 1, 2 and 4 separate pwsh processes enriching at the same
        time (released together) against one simulator at 30 calls/s and 300 ms latency, each connected with the default
        rate, without and with the shared rate gate (Connect-Leadspace -RateLimitStore on a Garnet started from the tool
        manifest): combined rows/s, 429s, and the store's round trip per grant;
      - Scenario D (the run journal; as B): -NoDedupe, the default (in-run dedupe with an answer store on a
        temporary file) at 100,000 and 400,000 rows (peak working set at each, bytes per distinct row between them),
        -CheckpointPath (CPU and journal bytes per row), and the same command again replaying the finished journal
        (rows/s, calls); for each, the time from a gate grant to its send (the write-ahead record lies in between);
      - Scenario L (limiter shapes): the module at the default 30 calls/s, 900 distinct rows, 300 ± 80 ms latency,
        against each limiter shape the simulator models (--rate-window sliding, fixed, tokenbucket, and leaky: a
        leaky bucket without burst, as nginx limit_req without burst): rows/s, share of the limit, 429 share;
      - every measured run is a fresh child pwsh (no shared JIT, connections or limiter), run one after the
        other, with the simulator's counters reset before and read (/__stats) after each run;
      - prints markdown tables (results, targets with PASS/MISS, module details) and writes them to -OutputPath.
    Every run's output CSV and measurements stay in out/bench/runs for inspection.
.PARAMETER ModulePath
    The built module manifest (out/Leadspace/Leadspace.psd1).
.PARAMETER OutputPath
    Where the markdown report is written (default out/bench/results.md).
.PARAMETER Quick
    A small smoke run (~1-2 minutes): 60 rows per run, latencies 50 and 300 ms, 5,000 rows in scenario B.
.PARAMETER Scenario
    A, B, C, D and/or L (default: A, B, C and D; L, the limiter shapes, runs when named).
.PARAMETER SimulatorPath
    Leadspace.Simulator.dll to run (default: src/Leadspace.Simulator/bin/Release|Debug/net10.0).
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Bench
.EXAMPLE
    dotnet pwsh ./bench/Invoke-Benchmark.ps1 -ModulePath ./out/Leadspace/Leadspace.psd1 -Quick
#>
[CmdletBinding(DefaultParameterSetName = 'Bench')]
param(
    [Parameter(ParameterSetName = 'Bench')]
    [Parameter(ParameterSetName = 'Worker')]
    [string] $ModulePath,

    [Parameter(ParameterSetName = 'Bench')]
    [string] $OutputPath,

    [Parameter(ParameterSetName = 'Bench')]
    [switch] $Quick,

    # Which scenarios to run (default all): A throughput, B client overhead, C fleet with and without the shared gate,
    # D the run journal, dedupe and replay.
    [Parameter(ParameterSetName = 'Bench')]
    [ValidateSet('A', 'B', 'C', 'D', 'L')]
    [string[]] $Scenario = @('A', 'B', 'C', 'D'),

    [Parameter(ParameterSetName = 'Bench')]
    [string] $SimulatorPath,

    # ---- Internal: one measured run, in a fresh pwsh started by this script. ----
    [Parameter(Mandatory, ParameterSetName = 'Worker')]
    [switch] $Worker,
    [Parameter(Mandatory, ParameterSetName = 'Worker')]
    [ValidateSet('Module', 'Plain', 'Parallel', 'CsvOnly', 'ModuleNoDedupe', 'ModuleJournal', 'Replay')]
    [string] $Kind,
    [Parameter(Mandatory, ParameterSetName = 'Worker')]
    [string] $InputPath,
    [Parameter(Mandatory, ParameterSetName = 'Worker')]
    [string] $ResultCsv,
    [Parameter(Mandatory, ParameterSetName = 'Worker')]
    [string] $ResultJson,
    [Parameter(ParameterSetName = 'Worker')]
    [string] $BaseUri = '',
    [Parameter(ParameterSetName = 'Worker')]
    [string] $Token = '',
    [Parameter(ParameterSetName = 'Worker')]
    [double] $RequestsPerSecond = 30,
    [Parameter(ParameterSetName = 'Worker')]
    [int] $MaxConcurrency = 64
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = Split-Path -Parent $PSScriptRoot
if (-not $ModulePath) { $ModulePath = Join-Path $Root 'out/Leadspace/Leadspace.psd1' }

# ------------------------------------------------------------------------------------------------------------
# What each client runs: exactly what a user would type (run with StrictMode off and the default
# $ErrorActionPreference, as in a user's session). The parameters are filled in by the worker.
# ------------------------------------------------------------------------------------------------------------
$UserCode = [ordered]@{
    Module   = {
        param($InputPath, $OutputCsv, $BaseUri, $Token)
        # (Connect-Leadspace -Token ... -BaseUri $BaseUri was run before.)
        Import-Csv $InputPath |
            Invoke-LeadspaceEnrichment -ErrorAction SilentlyContinue |
            Export-Csv $OutputCsv -NoTypeInformation -Encoding utf8
    }
    Plain    = {
        param($InputPath, $OutputCsv, $BaseUri, $Token)
        Import-Csv $InputPath | ForEach-Object {
            $body = @{
                person      = @{ first_name = $_.'First Name'; last_name = $_.'Last Name'; email = $_.'Email Address' }
                company     = @{ name = $_.Company; website = $_.Website }
                external_id = $_.'Lead ID'
            } | ConvertTo-Json -Compress
            try {
                $r = Invoke-RestMethod -Method Post -Uri "$BaseUri/enrichment/enrich/single" -Headers @{ Authorization = "Bearer $Token" } `
                    -ContentType 'application/json' -Body $body
                [pscustomobject]@{
                    'Lead ID'          = $_.'Lead ID'
                    'First Name'       = $_.'First Name'
                    'Last Name'        = $_.'Last Name'
                    'Email Address'    = $_.'Email Address'
                    'Company'          = $_.Company
                    'Enrichment'       = $r.data.enrichment_status
                    'Title'            = $r.data.person.title
                    'Department'       = $r.data.person.department
                    'Level'            = $r.data.person.level
                    'LinkedIn'         = $r.data.person.linkedin_profile
                    'Company Name'     = $r.data.company.name
                    'Industry'         = $r.data.company.industry
                    'Employees'        = $r.data.company.size.range
                    'Revenue'          = $r.data.company.revenue.range
                    'Company Country'  = $r.data.company.address.country
                }
            }
            catch { }   # the row is lost (a user would see the error and nothing in the CSV)
        } | Export-Csv $OutputCsv -NoTypeInformation -Encoding utf8
    }
    Parallel = {
        param($InputPath, $OutputCsv, $BaseUri, $Token)
        Import-Csv $InputPath | ForEach-Object -ThrottleLimit 32 -Parallel {
            $ProgressPreference = 'SilentlyContinue'
            $body = @{
                person      = @{ first_name = $_.'First Name'; last_name = $_.'Last Name'; email = $_.'Email Address' }
                company     = @{ name = $_.Company; website = $_.Website }
                external_id = $_.'Lead ID'
            } | ConvertTo-Json -Compress
            try {
                $r = Invoke-RestMethod -Method Post -Uri "$($using:BaseUri)/enrichment/enrich/single" -Headers @{ Authorization = "Bearer $($using:Token)" } `
                    -ContentType 'application/json' -Body $body -MaximumRetryCount 3 -RetryIntervalSec 1
                [pscustomobject]@{
                    'Lead ID'          = $_.'Lead ID'
                    'First Name'       = $_.'First Name'
                    'Last Name'        = $_.'Last Name'
                    'Email Address'    = $_.'Email Address'
                    'Company'          = $_.Company
                    'Enrichment'       = $r.data.enrichment_status
                    'Title'            = $r.data.person.title
                    'Department'       = $r.data.person.department
                    'Level'            = $r.data.person.level
                    'LinkedIn'         = $r.data.person.linkedin_profile
                    'Company Name'     = $r.data.company.name
                    'Industry'         = $r.data.company.industry
                    'Employees'        = $r.data.company.size.range
                    'Revenue'          = $r.data.company.revenue.range
                    'Company Country'  = $r.data.company.address.country
                }
            }
            catch { }   # the row is lost
        } | Export-Csv $OutputCsv -NoTypeInformation -Encoding utf8
    }
    CsvOnly  = {
        param($InputPath, $OutputCsv, $BaseUri, $Token)
        Import-Csv $InputPath | Export-Csv $OutputCsv -NoTypeInformation -Encoding utf8
    }
    # Scenario D: what the run journal and in-run dedupe cost. The journal sits beside the run's outputs.
    ModuleNoDedupe = {
        param($InputPath, $OutputCsv, $BaseUri, $Token)
        Import-Csv $InputPath |
            Invoke-LeadspaceEnrichment -NoDedupe -ErrorAction SilentlyContinue |
            Export-Csv $OutputCsv -NoTypeInformation -Encoding utf8
    }
    ModuleJournal = {
        param($InputPath, $OutputCsv, $BaseUri, $Token)
        Import-Csv $InputPath |
            Invoke-LeadspaceEnrichment -CheckpointPath (Join-Path (Split-Path $OutputCsv) 'D-journal.jsonl') -ErrorAction SilentlyContinue |
            Export-Csv $OutputCsv -NoTypeInformation -Encoding utf8
    }
    Replay = {
        param($InputPath, $OutputCsv, $BaseUri, $Token)
        # The same command again on the finished journal: every row is answered from it, no call is made.
        Import-Csv $InputPath |
            Invoke-LeadspaceEnrichment -CheckpointPath (Join-Path (Split-Path $OutputCsv) 'D-journal.jsonl') -ErrorAction SilentlyContinue |
            Export-Csv $OutputCsv -NoTypeInformation -Encoding utf8
    }
}

# ============================================================================================================
# Worker: one measured run in this (fresh) process. Writes its measurements to -ResultJson.
# ============================================================================================================
if ($PSCmdlet.ParameterSetName -eq 'Worker') {
    $ProgressPreference = 'SilentlyContinue'
    $isModule = $Kind -like 'Module*' -or $Kind -eq 'Replay'
    if ($isModule) {
        Import-Module $ModulePath
        Connect-Leadspace -Token (ConvertTo-SecureString $Token -AsPlainText -Force) -ProgramId 'sim-program' -BaseUri $BaseUri `
            -RequestsPerSecond $RequestsPerSecond -MaxConcurrency $MaxConcurrency
    }
    $code = $UserCode[$Kind]

    $cpuBefore = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    $clock = [Diagnostics.Stopwatch]::StartNew()
    & {
        Set-StrictMode -Off
        $ErrorActionPreference = 'Continue'
        & $code $InputPath $ResultCsv $BaseUri $Token
    }
    $clock.Stop()
    $self = [Diagnostics.Process]::GetCurrentProcess()
    $cpuAfter = $self.TotalProcessorTime
    $measured = [ordered]@{
        Kind             = $Kind
        ElapsedSec       = $clock.Elapsed.TotalSeconds
        PipelineCpuSec   = ($cpuAfter - $cpuBefore).TotalSeconds
        ProcessCpuSec    = $cpuAfter.TotalSeconds
        PeakWorkingSet   = $self.PeakWorkingSet64
        WorkingSet       = $self.WorkingSet64
        ProcessUptimeSec = ([DateTime]::Now - $self.StartTime).TotalSeconds
        RateStatus       = $null
        GrantToSend      = $null
    }
    if ($isModule) {
        $s = Get-LeadspaceRateStatus
        $measured.RateStatus = [ordered]@{
            ConfiguredRate  = $s.ConfiguredRate
            EffectiveRate   = $s.EffectiveRate
            Calls           = $s.Calls
            Successes       = $s.Successes
            RateLimited     = $s.RateLimited
            Retries         = $s.Retries
            Failures        = $s.Failures
            AnswersByStatus = $s.AnswersByStatusText
            LatencyP50Ms    = $s.LatencyP50Ms
            LatencyP95Ms    = $s.LatencyP95Ms
        }
        # Gate grant to send (ClientStatistics, not part of Get-LeadspaceRateStatus): read through the connection's
        # client; a module without this measurement reports nothing.
        $connection = Get-LeadspaceConnection
        $clientProperty = $connection.GetType().GetProperty('Client', [Reflection.BindingFlags]'Instance,Public,NonPublic')
        $statistics = if ($clientProperty) { $clientProperty.GetValue($connection).Statistics } else { $null }
        if ($statistics -and $statistics.GetType().GetMethod('GrantToSendPercentile')) {
            $measured.GrantToSend = [ordered]@{
                Count = $statistics.GrantToSendCount
                P50Ms = $statistics.GrantToSendPercentile(50)
                P99Ms = $statistics.GrantToSendPercentile(99)
                P999Ms = $statistics.GrantToSendPercentile(99.9)
                MaxMs = $statistics.GrantToSendMaxMs
            }
        }
        Disconnect-Leadspace
    }
    $measured | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $ResultJson -Encoding utf8
    exit 0
}

# ============================================================================================================
# Benchmark driver
# ============================================================================================================
$ProgressPreference = 'SilentlyContinue'   # no progress bars from the simulator helper's web calls
$BenchDir = Join-Path $Root 'out/bench'
if (-not $OutputPath) { $OutputPath = Join-Path $BenchDir 'results.md' }
$OutputPath = [IO.Path]::GetFullPath($OutputPath, (Get-Location).ProviderPath)
$ModulePath = [IO.Path]::GetFullPath($ModulePath, (Get-Location).ProviderPath)
if (-not (Test-Path -LiteralPath $ModulePath -PathType Leaf)) {
    throw "Module manifest not found at '$ModulePath'. Build first: dotnet pwsh ./build.ps1"
}
$DataDir = Join-Path $BenchDir 'data'
$RunDir = Join-Path $BenchDir 'runs'
foreach ($dir in $DataDir, $RunDir, (Split-Path -Parent $OutputPath)) { New-Item -ItemType Directory -Path $dir -Force | Out-Null }
Get-ChildItem -LiteralPath $RunDir -File | Remove-Item -Force

$Limit = 30
if ($Quick) {
    $LatencyPlan = @(
        @{ LatencyMs = 50; ModuleRows = 60; ParallelRows = 60; PlainRows = 60 }
        @{ LatencyMs = 300; ModuleRows = 60; ParallelRows = 60; PlainRows = 30 }
    )
    $OverheadRows = 5000
    $MemoryRows = 20000
    $OverheadPlainRows = 1000
    $FleetRows = 120
    $LimiterRows = 120
}
else {
    $LatencyPlan = @(
        @{ LatencyMs = 50; ModuleRows = 600; ParallelRows = 600; PlainRows = 200 }
        @{ LatencyMs = 300; ModuleRows = 600; ParallelRows = 600; PlainRows = 100 }
        @{ LatencyMs = 1000; ModuleRows = 600; ParallelRows = 600; PlainRows = 40 }
    )
    $OverheadRows = 100000
    $MemoryRows = 400000
    $OverheadPlainRows = 5000
    $FleetRows = 900
    $LimiterRows = 900
}
$LimiterShapes = @('sliding', 'fixed', 'tokenbucket', 'leaky')
$LimiterLatencyMs = 300
$LimiterJitterMs = 80
$FleetProcesses = @(1, 2, 4)
$FleetLatencyMs = 300

# ---- Synthetic input ---------------------------------------------------------------------------------------

function New-LeadCsv {
    <# Deterministic synthetic CRM export: row i is the same in every file, so smaller files are prefixes. #>
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][int] $Count)
    if (-not ('LeadspaceBench.LeadCsv' -as [type])) { Add-Type -TypeDefinition $LeadCsvSource -Language CSharp }
    $tmp = "$Path.tmp"
    [LeadspaceBench.LeadCsv]::Write($tmp, $Count)
    Move-Item -LiteralPath $tmp -Destination $Path -Force
}

# C#, because 100,000 rows in a PowerShell loop take minutes on a small machine.
$LeadCsvSource = @'
using System;
using System.IO;
using System.Text;

namespace LeadspaceBench
{
    public static class LeadCsv
    {
        // (display, ASCII for e-mail addresses)
        static readonly string[][] First = {
            new[]{"James","james"}, new[]{"Mary","mary"}, new[]{"Robert","robert"}, new[]{"Patricia","patricia"}, new[]{"Michael","michael"},
            new[]{"Jennifer","jennifer"}, new[]{"David","david"}, new[]{"Linda","linda"}, new[]{"Stefan","stefan"}, new[]{"Jürgen","juergen"},
            new[]{"Anaïs","anais"}, new[]{"Priya","priya"}, new[]{"Wei","wei"}, new[]{"Sofía","sofia"}, new[]{"Liam","liam"}, new[]{"Olivia","olivia"},
            new[]{"Rhys","rhys"}, new[]{"Zoë","zoe"}, new[]{"Mateus","mateus"}, new[]{"Aiko","aiko"}, new[]{"Noah","noah"}, new[]{"Emma","emma"},
            new[]{"Björn","bjoern"}, new[]{"Fatima","fatima"}, new[]{"Sean","sean"}, new[]{"Chloé","chloe"}, new[]{"Arjun","arjun"}, new[]{"Grace","grace"} };
        static readonly string[][] Last = {
            new[]{"Smith","smith"}, new[]{"Johnson","johnson"}, new[]{"Williams","williams"}, new[]{"Brown","brown"}, new[]{"Garcia","garcia"},
            new[]{"Müller","mueller"}, new[]{"Hoffmann","hoffmann"}, new[]{"O'Brien","obrien"}, new[]{"Nguyen","nguyen"}, new[]{"Kowalski","kowalski"},
            new[]{"Rossi","rossi"}, new[]{"Dubois","dubois"}, new[]{"Tanaka","tanaka"}, new[]{"Campbell","campbell"}, new[]{"Patel","patel"},
            new[]{"Silva","silva"}, new[]{"Andersson","andersson"}, new[]{"Stone","stone"}, new[]{"López","lopez"}, new[]{"van der Berg","vanderberg"},
            new[]{"Okafor","okafor"}, new[]{"Kim","kim"}, new[]{"Schäfer","schaefer"}, new[]{"Martin","martin"}, new[]{"Novak","novak"} };
        static readonly string[] Titles = {
            "VP of Engineering", "Director of IT", "Head of Procurement", "Office Manager", "Chief Financial Officer",
            "Marketing Operations Manager", "Senior Software Engineer", "Sales Director, EMEA", "IT Administrator",
            "Head of Data & Analytics", "Operations Lead", "Product Manager", "CEO", "Account Executive", "HR Business Partner" };
        // company, domain, street, city, state, postal code, country, phone prefix
        static readonly string[][] Companies = {
            new[]{"Acme \"Rockets\" Inc.", "acme-rockets.example.com", "500 Howard St", "San Francisco", "CA", "94105", "United States", "+1 415 555"},
            new[]{"Weißdorn Software AG", "weissdorn-software.de", "Friedrichstraße 68", "Berlin", "Berlin", "10117", "Germany", "+49 30 859"},
            new[]{"Whitcombe, Hale & Co.", "whitcombehale.co.uk", "30 Finsbury Square", "London", "", "EC2A 1AG", "United Kingdom", "+44 20 7946"},
            new[]{"Nordlicht Maschinenbau GmbH", "nordlicht-maschinenbau.de", "Leopoldstraße 244", "München", "Bayern", "80807", "Germany", "+49 89 215"},
            new[]{"Globex Corporation", "globex.example.com", "1 Globex Plaza", "Springfield", "IL", "62701", "United States", "+1 217 555"},
            new[]{"Initech LLC", "initech.example.com", "4120 Freidrich Ln", "Austin", "TX", "78744", "United States", "+1 512 555"},
            new[]{"Société Générale de Logiciels", "sgl-logiciels.fr", "12 Rue de la Paix", "Paris", "Île-de-France", "75002", "France", "+33 1 42"},
            new[]{"Umbrella Health Partners", "umbrellahealth.example.com", "77 Massachusetts Ave", "Cambridge", "MA", "02139", "United States", "+1 617 555"},
            new[]{"Hooli", "hooli.example.com", "1600 Amphitheatre Pkwy", "Mountain View", "CA", "94043", "United States", "+1 650 555"},
            new[]{"Tanaka Seimitsu K.K.", "tanaka-seimitsu.co.jp", "1-1-1 Marunouchi", "Tokyo", "Tokyo", "100-0005", "Japan", "+81 3 5555"},
            new[]{"Vandelay Industries", "vandelay.example.com", "129 W 81st St", "New York", "NY", "10024", "United States", "+1 212 555"},
            new[]{"Stark Logistics B.V.", "starklogistics.nl", "Keizersgracht 123", "Amsterdam", "Noord-Holland", "1015 CJ", "Netherlands", "+31 20 555"},
            new[]{"Wayne Analytics", "wayneanalytics.example.com", "1007 Mountain Dr", "Gotham", "NJ", "07001", "United States", "+1 201 555"},
            new[]{"Café Nova Ltda.", "cafenova.com.br", "Av. Paulista 1578", "São Paulo", "SP", "01310-200", "Brazil", "+55 11 5555"},
            new[]{"Northwind Traders", "northwind.example.com", "20 Bay St", "Toronto", "ON", "M5J 2N8", "Canada", "+1 416 555"},
            new[]{"Zürcher Präzision AG", "zuercher-praezision.ch", "Bahnhofstrasse 10", "Zürich", "ZH", "8001", "Switzerland", "+41 44 555"},
            new[]{"Contoso Pharmaceuticals", "contoso-pharma.example.com", "1 Microsoft Way", "Redmond", "WA", "98052", "United States", "+1 425 555"},
            new[]{"Fabrikam Retail Group", "fabrikam.example.com", "200 Pine St", "Seattle", "WA", "98101", "United States", "+1 206 555"},
            new[]{"Kowalski i Synowie Sp. z o.o.", "kowalski-synowie.pl", "ul. Marszałkowska 84", "Warszawa", "Mazowieckie", "00-514", "Poland", "+48 22 555"},
            new[]{"Bluth Company", "bluthcompany.example.com", "1 Ocean Blvd", "Newport Beach", "CA", "92660", "United States", "+1 949 555"} };
        static readonly string[] Sources = { "Website - Demo Request", "Event - SaaS Connect 2024", "Trade Show", "Webinar", "Partner Referral", "Cold Outreach", "Content Download" };
        static readonly string[] Owners = { "Tomás Ortega", "Integration User", "Priya Raman", "Dana Whitfield", "Marcus Lee" };
        const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

        static void Field(StringBuilder line, string value, bool first)
        {
            if (!first) line.Append(',');
            if (value.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0) line.Append('"').Append(value.Replace("\"", "\"\"")).Append('"');
            else line.Append(value);
        }

        public static void Write(string path, int count)
        {
            var random = new Random(20261127);   // seeded: the legacy algorithm, the same sequence on every .NET
            using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
            writer.Write("Lead ID,First Name,Last Name,Email Address,Job Title,Company,Website,Phone,Street,City,State,Postal Code,Country,LinkedIn URL,Lead Source,Owner\n");
            var line = new StringBuilder(512);
            var id = new char[6];
            for (int i = 0; i < count; i++)
            {
                // Salesforce-like 15-character lead id (case-sensitive, like Salesforce's), unique per row.
                int n = i;
                for (int k = 5; k >= 0; k--) { id[k] = Base62[n % 62]; n /= 62; }
                string leadId = "00Q5g0000" + new string(id);
                var f = First[random.Next(First.Length)];
                var l = Last[random.Next(Last.Length)];
                var c = Companies[random.Next(Companies.Length)];
                string title = Titles[random.Next(Titles.Length)];
                int style = random.Next(4);
                string website = style == 0 ? "https://www." + c[1] + "/" : style == 1 ? "http://" + c[1] + "/" : style == 2 ? "www." + c[1] : "";
                string email = random.Next(6) == 0 ? f[1][0] + l[1] + (i % 97) + "@" + c[1] : f[1] + "." + l[1] + "@" + c[1];
                string phone = random.Next(5) == 0 ? "" : c[7] + " " + random.Next(10000).ToString("D4");
                string linkedin = random.Next(3) == 0 ? "" : "https://www.linkedin.com/in/" + f[1] + "-" + l[1] + "-" + random.Next(100000, 999999);
                string source = Sources[random.Next(Sources.Length)];
                string owner = Owners[random.Next(Owners.Length)];
                line.Clear();
                Field(line, leadId, true); Field(line, f[0], false); Field(line, l[0], false); Field(line, email, false);
                Field(line, title, false); Field(line, c[0], false); Field(line, website, false); Field(line, phone, false);
                Field(line, c[2], false); Field(line, c[3], false); Field(line, c[4], false); Field(line, c[5], false);
                Field(line, c[6], false); Field(line, linkedin, false); Field(line, source, false); Field(line, owner, false);
                line.Append('\n');
                writer.Write(line.ToString());
            }
        }
    }
}
'@

function Get-LeadCsv {
    param([Parameter(Mandatory)][int] $Count)
    $path = Join-Path $DataDir "leads-v1-$Count.csv"
    if (-not (Test-Path -LiteralPath $path)) {
        $t = [Diagnostics.Stopwatch]::StartNew()
        New-LeadCsv -Path $path -Count $Count
        Write-Host ("  generated {0} ({1:N0} rows, {2:N1} s)" -f (Split-Path -Leaf $path), $Count, $t.Elapsed.TotalSeconds)
    }
    return $path
}

# ---- Child processes ---------------------------------------------------------------------------------------

function Get-PwshCommand {
    # The pwsh running this script, started fresh: the dotnet tool runs as 'dotnet pwsh.dll'.
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($process)
}

function Get-SimulatorStats {
    # /__stats as a case-sensitive hashtable: chargesByExternalId keys are CRM ids, which may differ only by case
    # (Salesforce ids do), and ConvertFrom-Json without -AsHashtable refuses such keys.
    (Invoke-WebRequest -Uri "$($Sim.BaseUri)/__stats" -Method Get).Content | ConvertFrom-Json -AsHashtable
}

function Invoke-MeasuredRun {
    <# Runs one client in a fresh pwsh against the simulator (counters reset first) and returns the measurements. #>
    param(
        [Parameter(Mandatory)][string] $Scenario,
        [Parameter(Mandatory)][string] $Client,
        [Parameter(Mandatory)][int] $Rows,
        [int] $LatencyMs = 0,
        [double] $RequestsPerSecond = 30,
        [int] $MaxConcurrency = 64,
        [int] $TimeoutSec = 900,
        # Distinguishes two runs of one client in one scenario (their files in out/bench/runs).
        [string] $Tag = '',
        # Scenario L: the simulator's limiter shape (--rate-window).
        [string] $Shape = ''
    )
    $inputCsv = Get-LeadCsv -Count $Rows
    $name = "$Scenario-$Client-$LatencyMs" + 'ms' + $(if ($Shape) { "-$Shape" } else { '' }) + $(if ($Tag) { "-$Tag" } else { '' })
    $resultCsv = Join-Path $RunDir "$name.csv"
    $resultJson = Join-Path $RunDir "$name.json"

    if ($Client -ne 'CsvOnly') { $null = Reset-LeadspaceSimulator -Simulator $Sim }
    Write-Host ("  {0,-9} {1,7:N0} rows ..." -f $Client, $Rows) -NoNewline

    $cmd = @(Get-PwshCommand)
    $psi = [Diagnostics.ProcessStartInfo]::new($cmd[0])
    $psi.UseShellExecute = $false
    $arguments = @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath,
        '-Worker', '-Kind', $Client, '-ModulePath', $ModulePath, '-InputPath', $inputCsv, '-ResultCsv', $resultCsv,
        '-ResultJson', $resultJson, '-BaseUri', $Sim.BaseUri, '-Token', $Sim.Token,
        '-RequestsPerSecond', [string]$RequestsPerSecond, '-MaxConcurrency', [string]$MaxConcurrency)
    foreach ($a in $arguments) { $psi.ArgumentList.Add([string]$a) }

    $wall = [Diagnostics.Stopwatch]::StartNew()
    $process = [Diagnostics.Process]::Start($psi)
    try {
        # Poll, so Ctrl+C can stop this script (and the finally below kills the child).
        while (-not $process.WaitForExit(200)) {
            if ($wall.Elapsed.TotalSeconds -gt $TimeoutSec) { throw "$name did not finish within $TimeoutSec s." }
        }
        $process.WaitForExit()
        if ($process.ExitCode -ne 0) { throw "$name failed: the child pwsh exited with code $($process.ExitCode)." }
    }
    finally {
        if (-not $process.HasExited) { $process.Kill($true); $null = $process.WaitForExit(10000) }
        $process.Dispose()
    }
    $wall.Stop()
    if (-not (Test-Path -LiteralPath $resultJson)) { throw "$name wrote no measurements ($resultJson)." }
    $m = Get-Content -LiteralPath $resultJson -Raw | ConvertFrom-Json

    $stats = if ($Client -ne 'CsvOnly') { Get-SimulatorStats } else { $null }

    # Rows in the output CSV: good = a 200 answer (module: Status Enriched or NotMatched), distinct by Lead ID.
    $good = [Collections.Generic.HashSet[string]]::new()
    $byStatus = @{}
    $outRows = 0
    if (Test-Path -LiteralPath $resultCsv) {
        foreach ($row in Import-Csv -LiteralPath $resultCsv) {
            $outRows++
            switch ($Client) {
                { $_ -like 'Module*' -or $_ -eq 'Replay' } {
                    $status = $row.Status
                    $byStatus[$status] = 1 + $(if ($byStatus.ContainsKey($status)) { $byStatus[$status] } else { 0 })
                    if ($status -eq 'Enriched' -or $status -eq 'NotMatched') { $null = $good.Add($row.ExternalId) }
                }
                'CsvOnly' { $null = $good.Add($row.'Lead ID') }
                default { if ($row.Enrichment) { $null = $good.Add($row.'Lead ID') } }
            }
        }
    }
    $notEnriched = 0
    foreach ($s in 'Failed', 'NotSent', 'Invalid') { if ($byStatus.ContainsKey($s)) { $notEnriched += $byStatus[$s] } }

    function StatusCount($stats, [string] $code) {
        if ($null -eq $stats) { return 0 }
        if ($stats.statusCounts.Contains($code)) { return [long]$stats.statusCounts[$code] } else { return 0 }
    }

    $result = [pscustomobject]@{
        Scenario          = $Scenario
        Shape             = $Shape
        Client            = $Client
        LatencyMs         = $LatencyMs
        Rows              = $Rows
        OutputRows        = $outRows
        GoodRows          = $good.Count
        Lost              = $Rows - $good.Count
        NotEnriched       = $notEnriched
        ElapsedSec        = [double]$m.ElapsedSec
        RowsPerSec        = $good.Count / [math]::Max([double]$m.ElapsedSec, 0.001)
        PipelineCpuMsRow  = 1000 * [double]$m.PipelineCpuSec / $Rows
        ProcessCpuMsRow   = 1000 * [double]$m.ProcessCpuSec / $Rows
        PipelineCpuSec    = [double]$m.PipelineCpuSec
        ProcessCpuSec     = [double]$m.ProcessCpuSec
        PeakWorkingSetMB  = [double]$m.PeakWorkingSet / 1MB
        ChildWallSec      = $wall.Elapsed.TotalSeconds
        Calls             = if ($stats) { [long]$stats.calls } else { 0 }
        Status429         = StatusCount $stats '429'
        Status200         = StatusCount $stats '200'
        StatusCounts      = if ($stats) { ($stats.statusCounts.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ' ' } else { '' }
        DuplicateCharges  = if ($stats) { [long]$stats.duplicateCharges } else { 0 }
        CreditsCharged    = if ($stats) { [long]$stats.creditsCharged } else { 0 }
        MaxInWindow       = if ($stats) { [long]$stats.maxAcceptedInAnyWindow } else { 0 }
        # The rate the server sustained between its first and last accepted call (the client's start and end left out).
        ServerRate        = if ($stats -and $stats.Contains('acceptedSpanMs') -and [double]$stats.acceptedSpanMs -gt 0) { ([long]$stats.accepted - 1) / ([double]$stats.acceptedSpanMs / 1000) } else { 0 }
        PeakConcurrency   = if ($stats) { [long]$stats.peakConcurrency } else { 0 }
        Dropped           = if ($stats) { [long]$stats.dropped } else { 0 }
        RateStatus        = $m.RateStatus
        GrantToSend       = $(if ($m.PSObject.Properties['GrantToSend']) { $m.GrantToSend } else { $null })
        Tag               = $Tag
    }
    Write-Host (" {0,6:N1} s, {1,7:N1} rows/s (server {7:N1}/s), {2} lost, {3} x 429, {4} duplicate charges, CPU {5:N3} ms/row, peak WS {6:N0} MB" -f `
            $result.ElapsedSec, $result.RowsPerSec, $result.Lost, $result.Status429, $result.DuplicateCharges, $result.PipelineCpuMsRow, $result.PeakWorkingSetMB, $result.ServerRate)
    return $result
}

# ---- Report helpers ----------------------------------------------------------------------------------------

function Format-N([double] $value, [int] $decimals = 1) { $value.ToString("N$decimals", [Globalization.CultureInfo]::InvariantCulture) }
function Format-Pct([double] $value) { (100 * $value).ToString('0.0', [Globalization.CultureInfo]::InvariantCulture) + ' %' }
function Mark([bool] $ok) { if ($ok) { 'PASS' } else { '**MISS**' } }

function Get-LoadAverage {
    if (Test-Path /proc/loadavg) { return (Get-Content /proc/loadavg -Raw).Split(' ')[0] }
    return $null
}

function Get-MachineLine {
    $os = [Runtime.InteropServices.RuntimeInformation]::OSDescription
    if (Test-Path /etc/os-release) {
        $pretty = Select-String -Path /etc/os-release -Pattern '^PRETTY_NAME="?([^"]*)"?' | Select-Object -First 1
        $kernel = if (Test-Path /proc/sys/kernel/osrelease) { 'Linux ' + (Get-Content /proc/sys/kernel/osrelease -Raw).Trim() } else { $os }
        if ($pretty) { $os = "$($pretty.Matches[0].Groups[1].Value) ($kernel, $([Runtime.InteropServices.RuntimeInformation]::OSArchitecture))" }
    }
    $cpu = ''
    if (Test-Path /proc/cpuinfo) {
        $model = Select-String -Path /proc/cpuinfo -Pattern '^model name\s*:\s*(.+)$' | Select-Object -First 1
        if ($model) { $cpu = ", $($model.Matches[0].Groups[1].Value.Trim())" }
    }
    $commit = ''
    try {
        $sha = & git -C $Root rev-parse --short HEAD 2>$null
        if ($LASTEXITCODE -eq 0 -and $sha) {
            $dirty = & git -C $Root status --porcelain --untracked-files=no 2>$null
            $commit = ", commit $sha" + $(if ($dirty) { ' (+ uncommitted changes)' } else { '' })
        }
    }
    catch { }
    $version = (Import-PowerShellDataFile $ModulePath).ModuleVersion
    "Machine: nproc $([Environment]::ProcessorCount)$cpu; $os; $([Runtime.InteropServices.RuntimeInformation]::FrameworkDescription); " +
    "PowerShell $($PSVersionTable.PSVersion); $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm', [Globalization.CultureInfo]::InvariantCulture)) UTC. " +
    $(if ($LoadAtStart) { "Load average (1 min) at start $LoadAtStart, at end $(Get-LoadAverage) (other work on the machine distorts the figures). " } else { '' }) +
    "Leadspace module $version$commit." + $(if ($Quick) { ' **-Quick run (smoke test; not the reference figures).**' } else { '' })
}

# ---- Run ---------------------------------------------------------------------------------------------------

Import-Module (Join-Path $Root 'tests/Pester/LeadspaceSimulator.psm1') -Force
Import-Module (Join-Path $Root 'tests/Pester/Fleet.psm1') -Force
$LoadAtStart = Get-LoadAverage
$benchClock = [Diagnostics.Stopwatch]::StartNew()
$Sim = $null
$Garnet = $null
$results = [Collections.Generic.List[object]]::new()
$fleet = [Collections.Generic.List[object]]::new()
try {
    Write-Host 'Generating input...' -ForegroundColor Cyan
    if ($Scenario -contains 'B') { $null = Get-LeadCsv -Count $OverheadRows; $null = Get-LeadCsv -Count $OverheadPlainRows }
    if ($Scenario -contains 'D') { $null = Get-LeadCsv -Count $OverheadRows; $null = Get-LeadCsv -Count $MemoryRows }
    if ($Scenario -contains 'A') { foreach ($p in $LatencyPlan) { foreach ($n in $p.ModuleRows, $p.ParallelRows, $p.PlainRows) { $null = Get-LeadCsv -Count $n } } }

    $firstLatency = $LatencyPlan[0].LatencyMs
    $Sim = Start-LeadspaceSimulator -SimulatorPath $SimulatorPath -ArgumentList @(
        '--rate', "$Limit", '--rate-window', 'sliding', '--latency-ms', "$firstLatency", '--jitter-ms', "$([int]($firstLatency * 0.2))")
    Write-Host "Leadspace simulator (pid $($Sim.Process.Id)) on $($Sim.BaseUri)" -ForegroundColor Cyan

    foreach ($p in $LatencyPlan) {
        if ($Scenario -notcontains 'A') { break }
        $lat = $p.LatencyMs; $jitter = [int]($lat * 0.2)
        $null = Set-LeadspaceSimulatorConfig -Simulator $Sim -Config @{ rate = $Limit; latencyMs = $lat; jitterMs = $jitter }
        Write-Host "Scenario A: $Limit calls/s (strict sliding window), latency $lat ± $jitter ms" -ForegroundColor Cyan
        $results.Add((Invoke-MeasuredRun -Scenario A -Client Module -Rows $p.ModuleRows -LatencyMs $lat))
        $results.Add((Invoke-MeasuredRun -Scenario A -Client Plain -Rows $p.PlainRows -LatencyMs $lat))
        $results.Add((Invoke-MeasuredRun -Scenario A -Client Parallel -Rows $p.ParallelRows -LatencyMs $lat))
    }

    if ($Scenario -contains 'L') {
        $null = Get-LeadCsv -Count $LimiterRows
        foreach ($shape in $LimiterShapes) {
            $null = Set-LeadspaceSimulatorConfig -Simulator $Sim -Config @{ rate = $Limit; rateWindow = $shape; latencyMs = $LimiterLatencyMs; jitterMs = $LimiterJitterMs }
            Write-Host "Scenario L: $Limit calls/s, --rate-window $shape, latency $LimiterLatencyMs ± $LimiterJitterMs ms" -ForegroundColor Cyan
            $results.Add((Invoke-MeasuredRun -Scenario L -Client Module -Rows $LimiterRows -LatencyMs $LimiterLatencyMs -Shape $shape))
        }
        $null = Set-LeadspaceSimulatorConfig -Simulator $Sim -Config @{ rateWindow = 'sliding' }
    }

    if ($Scenario -contains 'C') {
        $jitter = [int]($FleetLatencyMs * 0.2)
        $null = Set-LeadspaceSimulatorConfig -Simulator $Sim -Config @{ rate = $Limit; latencyMs = $FleetLatencyMs; jitterMs = $jitter }
        $Garnet = Start-GarnetServer
        Write-Host "Scenario C: fleet, $Limit calls/s, latency $FleetLatencyMs ± $jitter ms, $FleetRows rows in all; Garnet on $($Garnet.Configuration)" -ForegroundColor Cyan
        foreach ($n in $FleetProcesses) {
            foreach ($shared in $false, $true) {
                $null = Reset-LeadspaceSimulator -Simulator $Sim
                Write-Host ("  {0} process(es), {1,-12} ..." -f $n, $(if ($shared) { 'shared gate' } else { 'local gates' })) -NoNewline
                $per = [int][math]::Ceiling($FleetRows / $n)
                $runs = @(Invoke-Fleet -ModulePath $ModulePath -Simulator $Sim -Processes $n -Rows $per -RateLimitStore $(if ($shared) { $Garnet.Configuration } else { '' }) -TimeoutSeconds 900)
                $stats = Get-SimulatorStats
                $start = ($runs | ForEach-Object { [DateTime]::Parse($_.StartedUtc, [Globalization.CultureInfo]::InvariantCulture, 'RoundtripKind') } | Measure-Object -Minimum).Minimum
                $end = ($runs | ForEach-Object { [DateTime]::Parse($_.StartedUtc, [Globalization.CultureInfo]::InvariantCulture, 'RoundtripKind').AddSeconds($_.ElapsedSec) } | Measure-Object -Maximum).Maximum
                $span = ($end - $start).TotalSeconds
                $good = ($runs | Measure-Object -Property Good -Sum).Sum
                $rt = @($runs | Where-Object { $null -ne $_.StoreRoundTripMs } | ForEach-Object { [double] $_.StoreRoundTripMs })
                $fleet.Add([pscustomobject]@{
                    Processes        = $n
                    Shared           = $shared
                    Rows             = $per * $n
                    Good             = $good
                    ElapsedSec       = $span
                    RowsPerSec       = $good / [math]::Max($span, 0.001)
                    Sustained        = $good / [math]::Max($span - $FleetLatencyMs / 1000, 0.001)
                    Status429        = $(if ($stats.statusCounts.Contains('429')) { [long] $stats.statusCounts['429'] } else { 0 })
                    Calls            = [long] $stats.calls
                    MaxInWindow      = $stats.maxAcceptedInAnyWindow
                    DuplicateCharges = $stats.duplicateCharges
                    RoundTripMs      = $(if ($rt.Count) { ($rt | Measure-Object -Average).Average } else { $null })
                    Fallbacks        = ($runs | Measure-Object -Property Fallbacks -Sum).Sum
                })
                $f = $fleet[$fleet.Count - 1]
                Write-Host (" {0:N1} rows/s, {1} × 429" -f $f.RowsPerSec, $f.Status429)
            }
        }
    }

    if ($Scenario -contains 'B') {
    $null = Set-LeadspaceSimulatorConfig -Simulator $Sim -Config @{ rate = 0; latencyMs = 0; jitterMs = 0 }
    Write-Host 'Scenario B: client overhead (no rate limit, no latency)' -ForegroundColor Cyan
    $results.Add((Invoke-MeasuredRun -Scenario B -Client Module -Rows $OverheadRows -RequestsPerSecond 5000 -MaxConcurrency 64 -TimeoutSec 1800))
    $results.Add((Invoke-MeasuredRun -Scenario B -Client Plain -Rows $OverheadPlainRows))
    $results.Add((Invoke-MeasuredRun -Scenario B -Client CsvOnly -Rows $OverheadRows))
    }

    if ($Scenario -contains 'D') {
    $null = Set-LeadspaceSimulatorConfig -Simulator $Sim -Config @{ rate = 0; latencyMs = 0; jitterMs = 0 }
    Write-Host 'Scenario D: the run journal and in-run dedupe (no rate limit, no latency)' -ForegroundColor Cyan
    $journalPath = Join-Path $RunDir 'D-journal.jsonl'
    $results.Add((Invoke-MeasuredRun -Scenario D -Client ModuleNoDedupe -Rows $OverheadRows -RequestsPerSecond 5000 -MaxConcurrency 64 -TimeoutSec 1800))
    # Memory per distinct row: the default run (in-run dedupe keeps an index entry per distinct row) at two sizes.
    $results.Add((Invoke-MeasuredRun -Scenario D -Client Module -Rows $OverheadRows -RequestsPerSecond 5000 -MaxConcurrency 64 -TimeoutSec 1800 -Tag 'small'))
    $results.Add((Invoke-MeasuredRun -Scenario D -Client Module -Rows $MemoryRows -RequestsPerSecond 5000 -MaxConcurrency 64 -TimeoutSec 3600 -Tag 'large'))
    Remove-Item -LiteralPath $journalPath -ErrorAction SilentlyContinue
    $results.Add((Invoke-MeasuredRun -Scenario D -Client ModuleJournal -Rows $OverheadRows -RequestsPerSecond 5000 -MaxConcurrency 64 -TimeoutSec 1800))
    $JournalBytes = (Get-Item -LiteralPath $journalPath).Length
    $results.Add((Invoke-MeasuredRun -Scenario D -Client Replay -Rows $OverheadRows -RequestsPerSecond 5000 -MaxConcurrency 64 -TimeoutSec 1800))
    }
}
finally {
    if ($Sim) { Stop-LeadspaceSimulator -Simulator $Sim; Write-Host 'Simulator stopped.' }
    if ($Garnet) { Stop-GarnetServer -Server $Garnet; Write-Host 'Garnet stopped.' }
}

# ---- Report ------------------------------------------------------------------------------------------------

$md = [Collections.Generic.List[string]]::new()
$md.Add('# Leadspace benchmark')
$md.Add('')
$md.Add((Get-MachineLine))
$md.Add('')
$targets = [Collections.Generic.List[object]]::new()
function Add-Target([string] $what, [string] $measured, [bool] $ok) { $targets.Add([pscustomobject]@{ What = $what; Measured = $measured; Ok = $ok }) }
if ($Scenario -contains 'A') {
$md.Add("## Scenario A: $Limit calls/s (strict one-second sliding window), simulated latency ± 20 % jitter")
$md.Add('')
$md.Add('| Latency | Client | Rows | Elapsed (s) | Rows/s | Share of 30/s | Sustained share | Calls | 429s | Lost or missing | Not enriched | Duplicate charges | Module speed-up |')
$md.Add('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')

foreach ($p in $LatencyPlan) {
    $lat = $p.LatencyMs
    $mod = $results | Where-Object { $_.Scenario -eq 'A' -and $_.LatencyMs -eq $lat -and $_.Client -eq 'Module' }
    foreach ($r in $results | Where-Object { $_.Scenario -eq 'A' -and $_.LatencyMs -eq $lat }) {
        $share = $r.RowsPerSec / $Limit
        $sustained = if ($r.Client -eq 'Module') { Format-Pct ($r.GoodRows / [math]::Max($r.ElapsedSec - $lat / 1000, 0.001) / $Limit) } else { '—' }
        $speedup = if ($r.Client -eq 'Module') { '—' } else { (Format-N ($mod.RowsPerSec / [math]::Max($r.RowsPerSec, 0.001)) 1) + '×' }
        $pct429 = if ($r.Calls -gt 0) { " ($(Format-Pct ($r.Status429 / $r.Calls)))" } else { '' }
        $client = switch ($r.Client) { 'Module' { '**Invoke-LeadspaceEnrichment**' } 'Plain' { 'ForEach-Object { Invoke-RestMethod }' } 'Parallel' { 'ForEach-Object -Parallel 32 (3 retries)' } }
        $md.Add("| $lat ms | $client | $($r.Rows) | $(Format-N $r.ElapsedSec 1) | $(Format-N $r.RowsPerSec 1) | $(Format-Pct $share) | $sustained | $($r.Calls) | $($r.Status429)$pct429 | $($r.Lost) | $(if ($r.Client -eq 'Module') { $r.NotEnriched } else { '—' }) | $($r.DuplicateCharges) | $speedup |")
    }
    $plain = $results | Where-Object { $_.Scenario -eq 'A' -and $_.LatencyMs -eq $lat -and $_.Client -eq 'Plain' }
    $par = $results | Where-Object { $_.Scenario -eq 'A' -and $_.LatencyMs -eq $lat -and $_.Client -eq 'Parallel' }
    $share = $mod.RowsPerSec / $Limit
    $sustained = $mod.GoodRows / [math]::Max($mod.ElapsedSec - $lat / 1000, 0.001) / $Limit
    Add-Target "Module ≥ 95 % of the limit at $lat ms (end to end)" (Format-Pct $share) ($share -ge 0.95)
    Add-Target "Module ≥ 95 % of the limit at $lat ms (sustained: excluding the last call's latency)" (Format-Pct $sustained) ($sustained -ge 0.95)
    Add-Target "Module: zero rows lost or not enriched at $lat ms" "$($mod.Lost) lost, $($mod.NotEnriched) not enriched" ($mod.Lost -eq 0 -and $mod.NotEnriched -eq 0)
    Add-Target "Module: zero duplicate charges at $lat ms" "$($mod.DuplicateCharges)" ($mod.DuplicateCharges -eq 0)
    Add-Target "Module: 429s ≤ 1 % of calls at $lat ms" "$($mod.Status429) of $($mod.Calls)" ($mod.Status429 -le 0.01 * $mod.Calls)
    $vsPlain = $mod.RowsPerSec / [math]::Max($plain.RowsPerSec, 0.001)
    if ($lat -eq 300) { Add-Target 'Module ≥ 8× the plain loop at 300 ms' "$(Format-N $vsPlain 1)×" ($vsPlain -ge 8) }
    if ($lat -eq 1000) { Add-Target 'Module ≥ 25× the plain loop at 1000 ms' "$(Format-N $vsPlain 1)×" ($vsPlain -ge 25) }
    Add-Target "Module as fast as -Parallel or faster, with zero rows lost, at $lat ms" `
        "$(Format-N $mod.RowsPerSec 1) vs $(Format-N $par.RowsPerSec 1) rows/s; -Parallel lost $($par.Lost)" ($mod.RowsPerSec -ge $par.RowsPerSec -and $mod.Lost -eq 0)
}
$md.Add('')
$md.Add('- Rows/s = rows that got an enrichment (a 200 answer) in the output CSV ÷ the pipeline''s elapsed time (Import-Csv to the end of')
$md.Add('  Export-Csv, in the child process, excluding pwsh start-up and Import-Module). Share of 30/s = rows/s ÷ 30.')
$md.Add('- Sustained share (module only) = the same rows ÷ (elapsed − one configured latency) ÷ 30: the last call''s answer arrives one')
$md.Add('  latency after its permit, so a short run understates the rate the limiter holds (e.g. a perfect client doing 600 rows at')
$md.Add('  1,000 ms latency reaches 600 / 21 s = 95 % end to end). Jitter makes this exact to ± 20 % of one latency.')
$md.Add('- The module''s limiter admits at most 30 calls in any 1.025 s (a 25 ms guard against jitter), so its ceiling is 97.6 %')
$md.Add('  of the limit before any other cost.')
$md.Add('- The sequential plain loop is latency-bound (≈ 1 / latency rows/s), so it gets fewer rows; rows/s is the metric, so the')
$md.Add('  speed-up (module rows/s ÷ the alternative''s rows/s) is fair.')
$md.Add('- 429s, calls and duplicate charges come from the simulator''s /__stats (reset before each run). Lost or missing = input rows')
$md.Add('  without an enriched row in the output CSV. Not enriched = module rows output with Status Failed, NotSent or Invalid.')
$md.Add('- Each client runs in a fresh pwsh, one after the other, with $ProgressPreference = ''SilentlyContinue''. The plain alternatives')
$md.Add('  send 5 fields and keep 15 output columns; the module maps all 16 input columns and outputs its ~90 typed columns.')
$md.Add('')

}

# The default module run of B also stands in D's table (D without B leaves it out).
$bMod = $results | Where-Object { $_.Scenario -eq 'B' -and $_.Client -eq 'Module' }
if ($Scenario -contains 'B') {
$bPlain = $results | Where-Object { $_.Scenario -eq 'B' -and $_.Client -eq 'Plain' }
$bCsv = $results | Where-Object { $_.Scenario -eq 'B' -and $_.Client -eq 'CsvOnly' }
$md.Add('## Scenario B: client overhead (simulator without rate limit or latency, in its own process)')
$md.Add('')
$md.Add('| Client | Rows | Elapsed (s) | Rows/s | CPU ms/row (pipeline) | CPU ms/row (whole process) | Peak working set (MB) | Calls | 429s | Lost or missing | Not enriched | Duplicate charges |')
$md.Add('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
foreach ($r in $bMod, $bPlain, $bCsv) {
    $client = switch ($r.Client) {
        'Module' { '**Invoke-LeadspaceEnrichment** -RequestsPerSecond 5000 -MaxConcurrency 64' }
        'Plain' { 'ForEach-Object { Invoke-RestMethod }' }
        'CsvOnly' { 'Import-Csv \| Export-Csv alone (CSV baseline, no calls)' }
    }
    $calls = if ($r.Client -eq 'CsvOnly') { '—' } else { "$($r.Calls)" }
    $na = $r.Client -eq 'CsvOnly'
    $lost = if ($na) { '—' } else { "$($r.Lost)" }
    $s429 = if ($na) { '—' } else { "$($r.Status429)" }
    $dups = if ($na) { '—' } else { "$($r.DuplicateCharges)" }
    $notEnriched = if ($na) { '—' } else { "$($r.NotEnriched)" }
    $md.Add("| $client | $(Format-N $r.Rows 0) | $(Format-N $r.ElapsedSec 1) | $(Format-N $r.RowsPerSec 0) | $(Format-N $r.PipelineCpuMsRow 3) | $(Format-N $r.ProcessCpuMsRow 3) | $(Format-N $r.PeakWorkingSetMB 0) | $calls | $s429 | $lost | $notEnriched | $dups |")
}
$md.Add('')
$md.Add('- CPU = the child pwsh''s TotalProcessorTime (all threads) just before and after the pipeline; "whole process" also counts')
$md.Add('  pwsh start-up, Import-Module and Connect-Leadspace. The simulator''s CPU is not included (separate process).')
$md.Add('- Peak working set = the child''s PeakWorkingSet64 at the end of the run (before any verification reads the output).')
$md.Add('')
Add-Target 'Client overhead ≤ 0.5 ms CPU per row (scenario B, whole pipeline incl. Import-Csv/Export-Csv)' "$(Format-N $bMod.PipelineCpuMsRow 3) ms/row" ($bMod.PipelineCpuMsRow -le 0.5)
$wsLabel = if ($OverheadRows -ge 100000) { "$(Format-N $OverheadRows 0) rows with peak working set ≤ 200 MB" } else { "$(Format-N $OverheadRows 0) rows (-Quick; the target is for 100,000) with peak working set ≤ 200 MB" }
Add-Target $wsLabel "$(Format-N $bMod.PeakWorkingSetMB 0) MB" ($bMod.PeakWorkingSetMB -le 200)
Add-Target 'Scenario B: zero rows lost, zero duplicate charges' "$($bMod.Lost) lost, $($bMod.NotEnriched) not enriched, $($bMod.DuplicateCharges) duplicates" ($bMod.Lost -eq 0 -and $bMod.NotEnriched -eq 0 -and $bMod.DuplicateCharges -eq 0)

}

if ($Scenario -contains 'C') {
    $md.Add("## Scenario C: one program, several processes ($Limit calls/s, $FleetLatencyMs ms ± 20 %, $FleetRows rows in all)")
    $md.Add('')
    $md.Add('| Processes | Gate | Rows | Elapsed (s) | Rows/s combined | Share of 30/s | Sustained share | Calls | 429s | Most accepted in 1 s | Duplicate charges | Store round trip per grant (ms) |')
    $md.Add('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    foreach ($f in $fleet) {
        $gate = if ($f.Shared) { '**shared (Garnet)**' } else { 'local, one per process' }
        $rtText = if ($null -ne $f.RoundTripMs) { Format-N $f.RoundTripMs 2 } else { '—' }
        $md.Add("| $($f.Processes) | $gate | $($f.Rows) | $(Format-N $f.ElapsedSec 1) | $(Format-N $f.RowsPerSec 1) | $(Format-Pct ($f.RowsPerSec / $Limit)) | $(Format-Pct ($f.Sustained / $Limit)) | $($f.Calls) | $($f.Status429) | $($f.MaxInWindow) | $($f.DuplicateCharges) | $rtText |")
        if ($f.Shared -and $f.Processes -ge 2) {
            Add-Target "Fleet of $($f.Processes) with the shared gate: ≥ 95 % of the limit (sustained)" (Format-Pct ($f.Sustained / $Limit)) ($f.Sustained / $Limit -ge 0.95)
            Add-Target "Fleet of $($f.Processes) with the shared gate: 0 × 429" "$($f.Status429)" ($f.Status429 -eq 0)
        }
        if ($f.Shared) { Add-Target "Fleet of $($f.Processes) with the shared gate: every row enriched" "$($f.Good) of $($f.Rows)" ($f.Good -eq $f.Rows) }
    }
    $md.Add('')
    $md.Add('- Every process is a fresh pwsh connected as the same program with the default 30 calls/s; they are released together once')
    $md.Add('  all are connected. Rows/s combined = rows enriched by all ÷ (last process done − first process started). Sustained')
    $md.Add('  leaves one latency of tail out. 429s, calls and the busiest second come from the simulator''s /__stats.')
    $md.Add('- Store round trip per grant = the mean time of one reservation on the store (Get-LeadspaceRateStatus StoreRoundTripMs,')
    $md.Add('  averaged over the processes): the overhead the shared gate adds to each call, which it waits anyway when the limit binds.')
    $md.Add('')
}

if ($Scenario -contains 'D') {
$cNo = $results | Where-Object { $_.Scenario -eq 'D' -and $_.Client -eq 'ModuleNoDedupe' }
$cJournal = $results | Where-Object { $_.Scenario -eq 'D' -and $_.Client -eq 'ModuleJournal' }
$cReplay = $results | Where-Object { $_.Scenario -eq 'D' -and $_.Client -eq 'Replay' }
$cSmall = $results | Where-Object { $_.Scenario -eq 'D' -and $_.Client -eq 'Module' -and $_.Tag -eq 'small' }
$cLarge = $results | Where-Object { $_.Scenario -eq 'D' -and $_.Client -eq 'Module' -and $_.Tag -eq 'large' }
$md.Add('## Scenario D: the run journal and in-run dedupe (same input and simulator settings as B)')
$md.Add('')
$md.Add('| Client | Rows | Elapsed (s) | Rows/s | CPU ms/row (pipeline) | Peak working set (MB) | Calls | Journal bytes/row | Lost or missing | Duplicate charges |')
$md.Add('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
$dRuns = @($cNo, $bMod, $cSmall, $cLarge, $cJournal, $cReplay) | Where-Object { $_ }
foreach ($r in $dRuns) {
    $client = switch ($r.Client) {
        'ModuleNoDedupe' { 'Invoke-LeadspaceEnrichment -NoDedupe (no answer store)' }
        'Module' { 'Invoke-LeadspaceEnrichment (default: dedupe, answers on a temporary file)' + $(if ($r.Scenario -eq 'B') { ' (scenario B)' } else { '' }) }
        'ModuleJournal' { 'Invoke-LeadspaceEnrichment -CheckpointPath (write-ahead journal, synced every second)' }
        'Replay' { 'the same command again on the finished journal (replay)' }
    }
    $bytes = if ($r.Client -eq 'ModuleJournal') { Format-N ($JournalBytes / $r.Rows) 0 } else { '—' }
    $md.Add("| $client | $(Format-N $r.Rows 0) | $(Format-N $r.ElapsedSec 1) | $(Format-N $r.RowsPerSec 0) | $(Format-N $r.PipelineCpuMsRow 3) | $(Format-N $r.PeakWorkingSetMB 0) | $($r.Calls) | $bytes | $($r.Lost) | $($r.DuplicateCharges) |")
}
$md.Add('')
$md.Add("- Journal overhead = CPU per row with -CheckpointPath minus CPU per row with -NoDedupe: $(Format-N ($cJournal.PipelineCpuMsRow - $cNo.PipelineCpuMsRow) 3) ms/row; its file holds $(Format-N ($JournalBytes / 1MB) 1) MB for $(Format-N $cJournal.Rows 0) rows (a sent and a done record per row, the whole answer in each done record).")
$md.Add('- Replay: every row answered from the journal; Calls is what the simulator saw during the replay (should be 0).')
$perRow = ($cLarge.PeakWorkingSetMB - $cSmall.PeakWorkingSetMB) * 1MB / [math]::Max($cLarge.Rows - $cSmall.Rows, 1)
$md.Add("- Memory per distinct row = (peak working set at $(Format-N $cLarge.Rows 0) rows − at $(Format-N $cSmall.Rows 0) rows) ÷ the rows between them, default run (every row distinct): $(Format-N $cLarge.PeakWorkingSetMB 0) MB − $(Format-N $cSmall.PeakWorkingSetMB 0) MB = **$(Format-N $perRow 0) bytes per row**.")
$md.Add('')
$md.Add('| Client | Rows | Gate grant → send p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | Sends measured |')
$md.Add('|---|---:|---:|---:|---:|---:|---:|')
foreach ($r in $dRuns | Where-Object { $_.Client -ne 'Replay' }) {
    $g = $r.GrantToSend
    $name = switch ($r.Client) { 'ModuleNoDedupe' { '-NoDedupe' } 'Module' { 'default (temporary answer store)' } 'ModuleJournal' { '-CheckpointPath' } }
    if ($g) { $md.Add("| $name | $(Format-N $r.Rows 0) | ≤ $(Format-N ([double]$g.P50Ms) 3) | ≤ $(Format-N ([double]$g.P99Ms) 3) | ≤ $(Format-N ([double]$g.P999Ms) 3) | $(Format-N ([double]$g.MaxMs) 1) | $($g.Count) |") }
    else { $md.Add("| $name | $(Format-N $r.Rows 0) | — | — | — | — | not measured by this module |") }
}
$md.Add('')
$md.Add('- Gate grant → send: from the rate gate''s grant to the request going on the wire (a token check and, with -CheckpointPath, the')
$md.Add('  write-ahead `sent` record in between), every attempt; percentiles are the upper bounds of power-of-two buckets in µs.')
$md.Add('  A journal that held its lock during the once-a-second fsync would show here as a long tail with -CheckpointPath.')
$md.Add('')
$bound = if ($cLarge.Rows -ge 400000) { '' } else { ' (-Quick: a rough figure)' }
Add-Target "Memory per distinct row ≤ 150 bytes (peak working set, $(Format-N $cSmall.Rows 0) → $(Format-N $cLarge.Rows 0) rows)$bound" "$(Format-N $perRow 0) bytes/row" ($perRow -le 150)
Add-Target 'Replay of a finished 100,000-row journal ≥ 5,000 rows/s with zero calls' "$(Format-N $cReplay.RowsPerSec 0) rows/s, $($cReplay.Calls) calls" ($cReplay.RowsPerSec -ge 5000 -and $cReplay.Calls -eq 0)
}

if ($Scenario -contains 'L') {
    $md.Add("## Scenario L: limiter shapes ($Limit calls/s, $LimiterRows distinct rows, $LimiterLatencyMs ± $LimiterJitterMs ms)")
    $md.Add('')
    $md.Add('| Limiter (`--rate-window`) | Rows | Elapsed (s) | Rows/s | Share of 30/s | Server: sustained | Calls | 429s | 429 share | Lost | Not enriched | Duplicate charges | Server: most accepted in 1 s |')
    $md.Add('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    $describe = @{ sliding = 'sliding (strict 1 s window)'; fixed = 'fixed (per wall-clock second)'; tokenbucket = 'tokenbucket (30 tokens, refilled 30/s)'; leaky = 'leaky (no burst: 34 clock ms between calls, as nginx)' }
    foreach ($r in $results | Where-Object { $_.Scenario -eq 'L' }) {
        $share = $r.RowsPerSec / $Limit
        $share429 = if ($r.Calls -gt 0) { $r.Status429 / $r.Calls } else { 0 }
        $md.Add("| $($describe[$r.Shape]) | $($r.Rows) | $(Format-N $r.ElapsedSec 1) | $(Format-N $r.RowsPerSec 1) | $(Format-Pct $share) | $(Format-N $r.ServerRate 1)/s ($(Format-Pct ($r.ServerRate / $Limit))) | $($r.Calls) | $($r.Status429) | $(Format-Pct $share429) | $($r.Lost) | $($r.NotEnriched) | $($r.DuplicateCharges) | $($r.MaxInWindow) |")
        if ($r.Shape -eq 'leaky') {
            Add-Target 'Scenario L, leaky without burst: ≥ 87 % of the limit' (Format-Pct $share) ($share -ge 0.87)
            Add-Target 'Scenario L, leaky without burst: ≤ 3 % 429s' (Format-Pct $share429) ($share429 -le 0.03)
        }
        else {
            Add-Target "Scenario L, $($r.Shape): ≥ 93 % of the limit" (Format-Pct $share) ($share -ge 0.93)
            Add-Target "Scenario L, $($r.Shape): no 429s" "$($r.Status429)" ($r.Status429 -eq 0)
        }
        Add-Target "Scenario L, $($r.Shape): zero rows lost or not enriched, zero duplicate charges" "$($r.Lost) lost, $($r.NotEnriched) not enriched, $($r.DuplicateCharges) duplicates" ($r.Lost -eq 0 -and $r.NotEnriched -eq 0 -and $r.DuplicateCharges -eq 0)
    }
    $md.Add('')
    $md.Add('- Rows/s as in scenario A (end to end: Import-Csv to the end of Export-Csv, so one latency of the last call is included).')
    $md.Add('- Server: sustained = (accepted calls − 1) ÷ the time from the first to the last accepted call at the simulator (`acceptedSpanMs`):')
    $md.Add('  the pacing alone, without the child''s start (first call, connections) and end (the last answer''s latency, Export-Csv).')
    $md.Add('- 429 share = 429 answers ÷ calls at the simulator. Every row still ends enriched: a 429 is retried.')
    $md.Add('')
}

$md.Add('## Targets')
$md.Add('')
$md.Add('| Target | Measured | Result |')
$md.Add('|---|---|---|')
foreach ($t in $targets) { $md.Add("| $($t.What) | $($t.Measured) | $(Mark $t.Ok) |") }
$md.Add('')

if (@($results | Where-Object { $_.Client -eq 'Module' }).Count -gt 0) {
$md.Add('## Module details (Get-LeadspaceRateStatus in the child after the run; simulator /__stats)')
$md.Add('')
$md.Add('| Run | Calls | Successes | 429s | Retries | Failures | Effective rate | Latency p50 / p95 (ms) | Server: most accepted in 1 s | Server: peak concurrency | Server: statuses |')
$md.Add('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
foreach ($r in $results | Where-Object { $_.Client -eq 'Module' }) {
    $s = $r.RateStatus
    $label = if ($r.Scenario -eq 'A') { "A, $($r.LatencyMs) ms" } elseif ($r.Scenario -eq 'D') { "D, $(Format-N $r.Rows 0) rows" } elseif ($r.Scenario -eq 'L') { "L, $($r.Shape)" } else { 'B, overhead' }
    $md.Add("| $label | $($s.Calls) | $($s.Successes) | $($s.RateLimited) | $($s.Retries) | $($s.Failures) | $($s.EffectiveRate) / $($s.ConfiguredRate) | $(Format-N ([double]$s.LatencyP50Ms) 0) / $(Format-N ([double]$s.LatencyP95Ms) 0) | $($r.MaxInWindow) | $($r.PeakConcurrency) | $($r.StatusCounts) |")
}
$md.Add('')
}
$md.Add(("Benchmark wall time: {0:N0} s. Per-run output CSVs and measurements: out/bench/runs." -f $benchClock.Elapsed.TotalSeconds))

$text = $md -join [Environment]::NewLine
Set-Content -LiteralPath $OutputPath -Value $text -Encoding utf8
Write-Host ''
Write-Host $text
Write-Host ''
Write-Host "Written to $OutputPath" -ForegroundColor Green
$missed = @($targets | Where-Object { -not $_.Ok })
if ($missed.Count -gt 0) { Write-Host "$($missed.Count) target(s) missed (see the table); the benchmark itself completed." -ForegroundColor Yellow }
