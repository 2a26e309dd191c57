#Requires -Version 7.0
<#
.SYNOPSIS
    Generates samples/leads.csv, a realistic-looking CRM lead export used as sample
    input for Invoke-LeadspaceEnrichment.

.DESCRIPTION
    The output is deterministic for a given -Seed (System.Random with a fixed seed;
    no Get-Random, no hashtable enumeration, no clock), so re-running the script
    reproduces the committed file byte for byte.

    The file mimics a Salesforce/HubSpot lead export:
      * 240 data rows, UTF-8 without BOM, CRLF record separators (RFC 4180).
      * Minimal RFC 4180 quoting: a field is quoted when it contains a comma, a double
        quote, CR or LF, or has leading/trailing whitespace; embedded quotes are doubled.
      * Salesforce-style 15-character Lead IDs (00Q5g00000xxxxx), unique, increasing.
      * Names from many countries (umlauts, Nordic, Polish, Czech, Spanish, Icelandic,
        Japanese kanji ...), company names with legal suffixes, commas and quotes,
        mixed website/phone formats, inconsistent country spellings.

    Deliberate edge cases (fixed row numbers, 1-based data rows):
      * 12 rows that fail Leadspace's minimum input (person enrichment needs first name +
        last name + one of company/email/website; account enrichment needs a company name).
        See $InvalidRows below.
      * 5 account-only rows (no person names, but company + website) - valid.
      * Multi-line Street values (embedded LF inside a quoted field).
      * One duplicate lead: the person in row 88 appears again in row 187 with a new Lead ID.

.PARAMETER Path
    Output path. Defaults to leads.csv next to this script.

.PARAMETER Seed
    Random seed. Changing it changes the generated data (not the edge-case layout).

.EXAMPLE
    dotnet pwsh -NoProfile -File samples/New-SampleLeads.ps1
#>
[CmdletBinding()]
param(
    [string] $Path = (Join-Path $PSScriptRoot 'leads.csv'),
    [int] $Seed = 4180
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$RowCount = 240
$rng = [System.Random]::new($Seed)

#region helpers
function Get-RandomIndex([int] $n) { $script:rng.Next($n) }
function Get-RandomItem([object[]] $items) { $items[$script:rng.Next($items.Count)] }
function Test-Chance([double] $p) { $script:rng.NextDouble() -lt $p }

# '#' -> random digit, '%' -> random non-zero digit, '@' -> area code.
function Format-Pattern([string] $pattern, [string] $area) {
    $sb = [System.Text.StringBuilder]::new()
    foreach ($ch in $pattern.ToCharArray()) {
        switch ($ch) {
            '#' { [void]$sb.Append([char](48 + $script:rng.Next(10))) }
            '%' { [void]$sb.Append([char](49 + $script:rng.Next(9))) }
            '@' { [void]$sb.Append($area) }
            default { [void]$sb.Append($ch) }
        }
    }
    $sb.ToString()
}

# Name pool entries are either 'Name' or 'Native=ascii' (for non-Latin scripts).
function Get-Display([string] $entry) { ($entry -split '=', 2)[0] }

function ConvertTo-AsciiToken([string] $entry, [bool] $germanic) {
    $parts = $entry -split '=', 2
    if ($parts.Count -eq 2) { return $parts[1].ToLowerInvariant() }
    $s = $parts[0]
    if ($germanic) {
        $s = $s.Replace('ä', 'ae').Replace('ö', 'oe').Replace('ü', 'ue').Replace('Ä', 'Ae').Replace('Ö', 'Oe').Replace('Ü', 'Ue')
    }
    $s = $s.Replace('ß', 'ss').Replace('ł', 'l').Replace('Ł', 'L').Replace('ø', 'o').Replace('Ø', 'O').Replace('æ', 'ae').Replace('Æ', 'Ae').Replace('ð', 'd').Replace('Ð', 'D').Replace('þ', 'th').Replace('Þ', 'Th')
    $decomposed = $s.Normalize([System.Text.NormalizationForm]::FormD)
    $sb = [System.Text.StringBuilder]::new()
    foreach ($ch in $decomposed.ToCharArray()) {
        if ([System.Globalization.CharUnicodeInfo]::GetUnicodeCategory($ch) -ne [System.Globalization.UnicodeCategory]::NonSpacingMark) {
            [void]$sb.Append($ch)
        }
    }
    ($sb.ToString().ToLowerInvariant() -replace "[^a-z\- ]", '')
}

# RFC 4180 field quoting.
function ConvertTo-CsvField([AllowNull()][string] $value) {
    if ($null -eq $value) { return '' }
    if ($value -match '[",\r\n]' -or $value -ne $value.Trim()) {
        return '"' + $value.Replace('"', '""') + '"'
    }
    $value
}

$Base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
function ConvertTo-Base62([long] $n, [int] $width) {
    $chars = [char[]]::new($width)
    for ($i = $width - 1; $i -ge 0; $i--) {
        $chars[$i] = $Base62[[int]($n % 62)]
        $n = [math]::Floor($n / 62)
    }
    -join $chars
}
#endregion

#region reference data
# Address: Street, City, State, Postal, Area (used by phone patterns)
function New-Address($street, $city, $state, $postal, $area) {
    [pscustomobject]@{ Street = $street; City = $city; State = $state; Postal = $postal; Area = $area }
}
function New-NameGroup([string[]] $first, [string[]] $last) {
    [pscustomobject]@{ First = $first; Last = $last }
}

$Countries = @(
    [pscustomobject]@{
        Code = 'US'; Spellings = @('United States', 'United States', 'United States', 'United States', 'United States', 'United States', 'USA', 'US'); Germanic = $false
        Addresses = @(
            (New-Address '500 Howard St' 'San Francisco' 'CA' '94105' '415'),
            (New-Address '1 Federal St' 'Boston' 'MA' '02110' '617'),
            (New-Address '233 Broadway, 11th Floor' 'New York' 'NY' '10279' '212'),
            (New-Address '2100 Ross Ave Suite 900' 'Dallas' 'TX' '75201' '214'),
            (New-Address '1600 Wynkoop St' 'Denver' 'CO' '80202' '303'),
            (New-Address '401 N Michigan Ave' 'Chicago' 'IL' '60611' '312'),
            (New-Address '600 University St Ste 2800' 'Seattle' 'WA' '98101' '206'),
            (New-Address '3350 Peachtree Rd NE' 'Atlanta' 'GA' '30326' '404'))
        Phones = @('(@) 555-01##', '@-555-01##', '+1 @ 555 01##', '@.555.01##', '+1 (@) 555-01## ext. ###', '1-@-555-01##', '+1@55501##')
        Names = @(New-NameGroup `
                @('Michael', 'Jennifer', 'David', 'Sarah', 'Christopher', 'Ashley', 'James', 'Emily', 'Robert', 'Jessica', 'Daniel', 'Megan', 'Kevin', 'Lauren', 'Brian', 'Nicole', 'DeShawn', 'Latoya', 'Tyler', 'Madison', 'Zoë', 'Renée') `
                @('Johnson', 'Williams', 'Brown', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Anderson', 'Thompson', "O'Brien", 'Nguyen', 'Patel', 'Kim', 'Washington', 'McAllister', 'Schwartz', 'Delgado'))
    },
    [pscustomobject]@{
        Code = 'CA'; Spellings = @('Canada'); Germanic = $false
        Addresses = @(
            (New-Address '123 Front St W' 'Toronto' 'ON' 'M5J 2M2' '416'),
            (New-Address '789 W Pender St' 'Vancouver' 'BC' 'V6C 1H2' '604'),
            (New-Address '1250 boul. René-Lévesque O' 'Montréal' 'QC' 'H3B 4W8' '514'))
        Phones = @('(@) 555-01##', '@-555-01##', '+1 @ 555 01##', '+1-@-555-01##')
        Names = @(New-NameGroup `
                @('Étienne', 'Chloé', 'Liam', 'Amélie', 'Noah', 'Geneviève', 'Connor', 'Mathieu') `
                @('Tremblay', 'Gagnon', 'MacDonald', 'Bouchard', 'Roy', 'Côté', 'Fraser', 'Lévesque'))
    },
    [pscustomobject]@{
        Code = 'GB'; Spellings = @('United Kingdom', 'United Kingdom', 'United Kingdom', 'United Kingdom', 'UK'); Germanic = $false
        Addresses = @(
            (New-Address '30 Finsbury Square' 'London' '' 'EC2A 1AG' '20 7946'),
            (New-Address '1 Spinningfields' 'Manchester' '' 'M3 3EB' '161 496'),
            (New-Address 'Quay House, 2 Welsh Back' 'Bristol' '' 'BS1 4SL' '117 496'))
        Phones = @('+44 @ 0###', '0@ 0###', '+44 (0)@ 0###', '07700 900###')
        Names = @(New-NameGroup `
                @('Oliver', 'Charlotte', 'Harry', 'Amelia', 'Rhys', 'Zoë', 'Graham', 'Fiona', 'Imogen', 'Callum', 'Eleanor', 'Alistair') `
                @('Smith', 'Taylor', 'Evans', 'Hughes', 'Davies', 'Lambert', 'McIntyre', 'Campbell', 'Fletcher', 'Ashworth', 'Pemberton', 'Sharma'))
    },
    [pscustomobject]@{
        Code = 'IE'; Spellings = @('Ireland'); Germanic = $false
        Addresses = @((New-Address '5 Hanover Quay, Grand Canal Dock' 'Dublin' 'Co. Dublin' 'D02 X285' '1'))
        Phones = @('+353 @ 555 ####', '(0@) 555 ####')
        Names = @(New-NameGroup @('Aoife', 'Ciarán', 'Siobhán', 'Seán', 'Niamh') @('Murphy', 'Ó Súilleabháin', 'Kelly', 'Byrne', "O'Connell"))
    },
    [pscustomobject]@{
        Code = 'DE'; Spellings = @('Germany', 'Germany', 'Germany', 'Germany', 'Deutschland'); Germanic = $true
        Addresses = @(
            (New-Address 'Friedrichstraße 68' 'Berlin' 'Berlin' '10117' '30'),
            (New-Address 'Leopoldstraße 244' 'München' 'Bayern' '80807' '89'),
            (New-Address 'Große Elbstraße 145' 'Hamburg' 'Hamburg' '22767' '40'),
            (New-Address 'Mainzer Landstraße 50' 'Frankfurt am Main' 'Hessen' '60325' '69'))
        Phones = @('+49 @ %#######', '0@ %######', '0@/%####-0', '+49 (0)@ %### ####', '+49 151 %#######')
        Names = @(New-NameGroup `
                @('Jürgen', 'Claudia', 'Björn', 'Katrin', 'Matthias', 'Sabine', 'Lukas', 'Anja', 'Stefan', 'Jörg', 'Ute', 'Maximilian') `
                @('Müller', 'Schröder', 'Weiß', 'Schäfer', 'Hoffmann', 'Krüger', 'Becker', 'Köhler', 'Groß', 'Fischer', 'von Bülow', 'Neumann'))
    },
    [pscustomobject]@{
        Code = 'AT'; Spellings = @('Austria'); Germanic = $true
        Addresses = @((New-Address 'Mariahilfer Straße 77' 'Wien' 'Wien' '1060' '1'))
        Phones = @('+43 @ %######', '+43 (0)@ %## ## ##', '0664 %######')
        Names = @(New-NameGroup @('Florian', 'Theresa', 'Günther', 'Johanna', 'Wolfgang') @('Gruber', 'Huber', 'Pölzl', 'Wagner', 'Steiner'))
    },
    [pscustomobject]@{
        Code = 'CH'; Spellings = @('Switzerland'); Germanic = $true
        Addresses = @(
            (New-Address 'Bahnhofstrasse 45' 'Zürich' 'ZH' '8001' '44'),
            (New-Address 'Rue du Rhône 30' 'Genève' 'GE' '1204' '22'))
        Phones = @('+41 @ %## ## ##', '0@ %## ## ##')
        Names = @(New-NameGroup @('Reto', 'Nadine', 'Céline', 'Urs', 'Mélanie') @('Meier', 'Zürcher', 'Favre', 'Bürki', 'Rochat'))
    },
    [pscustomobject]@{
        Code = 'FR'; Spellings = @('France'); Germanic = $false
        Addresses = @(
            (New-Address '12 rue de la Paix' 'Paris' 'Île-de-France' '75002' '1'),
            (New-Address '45 quai Rambaud' 'Lyon' 'Auvergne-Rhône-Alpes' '69002' '4'))
        Phones = @('+33 @ %# ## ## ##', '0@ %# ## ## ##', '0@.%#.##.##.##', '+33 6 %# ## ## ##')
        Names = @(New-NameGroup `
                @('François', 'Hélène', 'Benoît', 'Élodie', 'Jérôme', 'Anaïs', 'Jean-Luc', 'Margaux', 'Cédric') `
                @('Lefèvre', 'Dubois', 'Moreau', 'Laurent', 'Girard', 'Roux', 'Fontaine', 'Mercier', 'Chevalier'))
    },
    [pscustomobject]@{
        Code = 'ES'; Spellings = @('Spain'); Germanic = $false
        Addresses = @(
            (New-Address 'Calle de Alcalá 123' 'Madrid' 'Madrid' '28009' '91'),
            (New-Address 'Avinguda Diagonal 640' 'Barcelona' 'Cataluña' '08017' '93'))
        Phones = @('+34 @ %## ## ##', '@ %## ## ##', '+34 6## %## ###')
        Names = @(New-NameGroup `
                @('José', 'María José', 'Alejandro', 'Lucía', 'Íñigo', 'Begoña', 'Álvaro', 'Nuria') `
                @('Núñez', 'Fernández', 'Martínez', 'Gómez', 'Etxeberria', 'Sánchez', 'Ibáñez', 'Peña'))
    },
    [pscustomobject]@{
        Code = 'MX'; Spellings = @('Mexico', 'México'); Germanic = $false
        Addresses = @((New-Address 'Av. Paseo de la Reforma 296, Piso 12' 'Ciudad de México' 'CDMX' '06600' '55'))
        Phones = @('+52 @ %### ####', '+52 1 @ %### ####', '(@) %###-####')
        Names = @(New-NameGroup @('Guadalupe', 'Juan Pablo', 'Ximena', 'Santiago', 'Mariana') @('Hernández', 'de la Cruz', 'Ramírez', 'Castañeda', 'Orozco'))
    },
    [pscustomobject]@{
        Code = 'BR'; Spellings = @('Brazil', 'Brasil'); Germanic = $false
        Addresses = @((New-Address 'Av. Paulista, 1578' 'São Paulo' 'SP' '01310-200' '11'))
        Phones = @('+55 @ %###-####', '(@) 9####-%###', '+55 (@) 3###-%###')
        Names = @(New-NameGroup @('João', 'Ana Beatriz', 'Luíza', 'Thiago', 'Conceição') @('Silva', 'Souza', 'Conceição', 'Araújo', 'Gonçalves'))
    },
    [pscustomobject]@{
        Code = 'PT'; Spellings = @('Portugal'); Germanic = $false
        Addresses = @((New-Address 'Avenida da Liberdade 110' 'Lisboa' '' '1250-146' '21'))
        Phones = @('+351 @ %## ####', '+351 9## %## ###')
        Names = @(New-NameGroup @('Gonçalo', 'Inês', 'Tiago', 'Leonor') @('Rodrigues', 'Carvalho', 'Magalhães', 'Simões'))
    },
    [pscustomobject]@{
        Code = 'NL'; Spellings = @('Netherlands', 'The Netherlands'); Germanic = $false
        Addresses = @((New-Address 'Herengracht 420' 'Amsterdam' 'Noord-Holland' '1017 BZ' '20'))
        Phones = @('+31 @ %## ####', '0@-%######', '+31 6 %#######')
        Names = @(New-NameGroup @('Sanne', 'Joost', 'Maarten', 'Femke', 'Daan') @('de Vries', 'van der Berg', 'Bakker', 'Visser', "van 't Hof"))
    },
    [pscustomobject]@{
        Code = 'DK'; Spellings = @('Denmark'); Germanic = $false
        Addresses = @((New-Address 'Strandgade 93' 'København K' '' '1401' ''))
        Phones = @('+45 %# ## ## ##', '+45 %#######')
        Names = @(New-NameGroup @('Søren', 'Mette', 'Rasmus', 'Signe', 'Anders') @('Østergaard', 'Jørgensen', 'Holm', 'Sørensen', 'Kjær'))
    },
    [pscustomobject]@{
        Code = 'SE'; Spellings = @('Sweden'); Germanic = $false
        Addresses = @((New-Address 'Sveavägen 44' 'Stockholm' '' '111 34' '8'))
        Phones = @('+46 @ %## ## ##', '0@-%## ## ##', '+46 70 %## ## ##')
        Names = @(New-NameGroup @('Åsa', 'Björn', 'Linnéa', 'Göran', 'Elin') @('Lindqvist', 'Åkesson', 'Ström', 'Öberg', 'Nyström'))
    },
    [pscustomobject]@{
        Code = 'NO'; Spellings = @('Norway'); Germanic = $false
        Addresses = @((New-Address 'Karl Johans gate 22' 'Oslo' '' '0159' ''))
        Phones = @('+47 %# ## ## ##', '+47 4## %# ###')
        Names = @(New-NameGroup @('Øystein', 'Ingrid', 'Håkon', 'Solveig') @('Haugen', 'Bakke', 'Løvås', 'Strøm'))
    },
    [pscustomobject]@{
        Code = 'IS'; Spellings = @('Iceland'); Germanic = $false
        Addresses = @((New-Address 'Laugavegur 26' 'Reykjavík' '' '101' ''))
        Phones = @('+354 %## ####', '+354 %##-####')
        Names = @(
            (New-NameGroup @('Ólafur', 'Þórður', 'Gunnar') @('Guðmundsson', 'Þorsteinsson', 'Magnússon')),
            (New-NameGroup @('Sigríður', 'Guðrún', 'Katrín') @('Jónsdóttir', 'Magnúsdóttir', 'Guðmundsdóttir')))
    },
    [pscustomobject]@{
        Code = 'PL'; Spellings = @('Poland'); Germanic = $false
        Addresses = @(
            (New-Address 'ul. Marszałkowska 126' 'Warszawa' 'mazowieckie' '00-008' '22'),
            (New-Address 'ul. Floriańska 15' 'Kraków' 'małopolskie' '31-019' '12'))
        Phones = @('+48 @ %## ## ##', '+48 %## ### ###', '(@) %## ## ##')
        Names = @(
            (New-NameGroup @('Łukasz', 'Paweł', 'Krzysztof', 'Piotr') @('Wójcik', 'Kowalczyk', 'Zieliński', 'Woźniak', 'Szymański')),
            (New-NameGroup @('Agnieszka', 'Małgorzata', 'Zofia', 'Katarzyna') @('Wójcik', 'Kowalczyk', 'Zielińska', 'Dąbrowska', 'Szymańska')))
    },
    [pscustomobject]@{
        Code = 'CZ'; Spellings = @('Czech Republic', 'Czechia'); Germanic = $false
        Addresses = @((New-Address 'Václavské náměstí 56' 'Praha 1' '' '110 00' ''))
        Phones = @('+420 %## ### ###', '+420 2## %## ###')
        Names = @(
            (New-NameGroup @('Tomáš', 'Jiří', 'Ondřej', 'Pavel') @('Dvořák', 'Černý', 'Kučera', 'Novák')),
            (New-NameGroup @('Jana', 'Kateřina', 'Lucie') @('Nováková', 'Procházková', 'Dvořáková', 'Černá')))
    },
    [pscustomobject]@{
        Code = 'JP'; Spellings = @('Japan'); Germanic = $false
        Addresses = @(
            (New-Address '1-9-1 Marunouchi, Chiyoda-ku' 'Tokyo' 'Tokyo' '100-0005' '3'),
            (New-Address '2-4-9 Umeda, Kita-ku' 'Osaka' 'Osaka' '530-0001' '6'))
        Phones = @('+81 @-%###-####', '0@-%###-####', '+81 90-%###-####')
        Names = @(
            (New-NameGroup @('太郎=taro', '花子=hanako', '一郎=ichiro', '美咲=misaki', '健太=kenta') @('山田=yamada', '佐藤=sato', '鈴木=suzuki', '高橋=takahashi', '伊藤=ito')),
            (New-NameGroup @('Kenji', 'Yuki', 'Haruto', 'Aiko') @('Watanabe', 'Nakamura', 'Kobayashi', 'Yoshida')))
    },
    [pscustomobject]@{
        Code = 'SG'; Spellings = @('Singapore'); Germanic = $false
        Addresses = @((New-Address '1 Raffles Place, #20-61' 'Singapore' '' '048616' ''))
        Phones = @('+65 6### %###', '+65 9### %###')
        Names = @(
            (New-NameGroup @('Wei Ling', 'Jun Jie', 'Hui Min') @('Tan', 'Lim', 'Ng')),
            (New-NameGroup @('Rajesh', 'Kavitha') @('Kumar', 'Pillai')))
    },
    [pscustomobject]@{
        Code = 'IN'; Spellings = @('India'); Germanic = $false
        Addresses = @(
            (New-Address 'Outer Ring Road, Marathahalli' 'Bengaluru' 'Karnataka' '560037' '80'),
            (New-Address 'Bandra Kurla Complex' 'Mumbai' 'Maharashtra' '400051' '22'))
        Phones = @('+91 @ %### ####', '+91 9#### %####', '0@-%#######')
        Names = @(New-NameGroup @('Aarav', 'Ananya', 'Vikram', 'Priya', 'Rohan', 'Deepika') @('Sharma', 'Iyer', 'Reddy', 'Nair', 'Banerjee', 'Chatterjee'))
    },
    [pscustomobject]@{
        Code = 'AU'; Spellings = @('Australia'); Germanic = $false
        Addresses = @(
            (New-Address 'Level 12, 1 Margaret St' 'Sydney' 'NSW' '2000' '2'),
            (New-Address 'Level 5, 120 Collins St' 'Melbourne' 'VIC' '3000' '3'))
        Phones = @('+61 @ 5550 ####', '(0@) 5550 ####', '0491 570 %##')
        Names = @(New-NameGroup @('Jack', 'Chloe', 'Mitchell', 'Sienna', 'Lachlan') @('Wilson', 'Nguyen', "O'Connor", 'Harrington', 'Papadopoulos'))
    },
    [pscustomobject]@{
        Code = 'ZA'; Spellings = @('South Africa'); Germanic = $false
        Addresses = @((New-Address '100 Bree Street' 'Cape Town' 'Western Cape' '8001' '21'))
        Phones = @('+27 @ %## ####', '0@ %## ####', '+27 82 %## ####')
        Names = @(New-NameGroup @('Thabo', 'Naledi', 'Pieter', 'Lindiwe') @('Nkosi', 'Mokoena', 'van Wyk', 'Botha'))
    }
)

# Names of people working abroad; mixed into any Latin-script country now and then.
# Each group keeps first and last names of one origin together.
$GlobalNames = @(
    (New-NameGroup @('Wei', 'Mei Lin', 'Xiaoming') @('Zhang', 'Chen', 'Wang', 'Liu')),
    (New-NameGroup @('Min-jun', 'Ji-woo') @('Kim', 'Park', 'Lee')),
    (New-NameGroup @('Chidi', 'Oluwaseun', 'Ngozi') @('Okafor', 'Adeyemi', 'Eze')),
    (New-NameGroup @('Fatima', 'Ahmed', 'Omar') @('Al-Sayed', 'Hassan', 'Haddad')),
    (New-NameGroup @('Arjun', 'Neha', 'Sanjay') @('Mehta', 'Gupta', 'Krishnan')),
    (New-NameGroup @('Ayşe', 'Mehmet', 'Emre') @('Yılmaz', 'Öztürk', 'Şahin')),
    (New-NameGroup @('Nikos', 'Giorgos') @('Papadakis', 'Georgiou')),
    (New-NameGroup @('Dmitri', 'Sergei') @('Volkov', 'Ivanov')),
    (New-NameGroup @('Linh', 'Minh') @('Nguyen', 'Tran', 'Pham'))
)

function New-Company($name, $domain, $country, [int] $addr, [string] $emailPattern, [int] $weight) {
    [pscustomobject]@{ Name = $name; Domain = $domain; Country = $country; Addr = $addr; EmailPattern = $emailPattern; Weight = $weight }
}

# EmailPattern: first.last, flast, first, first_last, firstl
$Companies = @(
    (New-Company 'Smith, Jones & Partners, LLP'        'smithjonespartners.com'          'US' 2 'flast'  5),
    (New-Company 'Acme "Rockets" Inc.'                 'acme-rockets.example.com'        'US' 0 'first.last' 6),
    (New-Company 'Brightwave Analytics, Inc.'          'brightwave-analytics.example.com' 'US' 1 'first.last' 6),
    (New-Company 'Cobalt Ridge Software'               'cobaltridge.io'                  'US' 4 'first'   5),
    (New-Company 'Harborline Health Systems'           'harborlinehealth.org'            'US' 6 'first.last' 5),
    (New-Company 'Pinecrest Financial Group, LLC'      'pinecrestfg.com'                 'US' 5 'flast'  5),
    (New-Company 'Quillfeather Media LLC'              'quillfeather.media'              'US' 2 'first'   3),
    (New-Company 'Tallgrass Robotics'                  'tallgrassrobotics.com'           'US' 3 'first.last' 4),
    (New-Company 'Redwood & Vine Consulting'           'redwoodvine.example.com'         'US' 7 'firstl'  3),
    (New-Company 'Maple Leaf Data Systems Ltd.'        'mapleleafdata.ca'                'CA' 0 'first.last' 3),
    (New-Company 'Boréal Technologies Inc.'            'borealtech.ca'                   'CA' 2 'first.last' 3),
    (New-Company 'Thistle & Crown Insurance Ltd.'      'thistlecrown.co.uk'              'GB' 0 'first.last' 4),
    (New-Company 'Ravensbourne Digital Ltd'            'ravensbournedigital.co.uk'       'GB' 1 'first.last' 4),
    (New-Company 'Albion Freight plc'                  'albionfreight.co.uk'             'GB' 2 'flast'  3),
    (New-Company 'Whitcombe, Hale & Co.'               'whitcombehale.co.uk'             'GB' 0 'first_last' 3),
    (New-Company 'Liffey Cloud Services Ltd.'          'liffeycloud.ie'                  'IE' 0 'first.last' 3),
    (New-Company 'Nordlicht Maschinenbau GmbH'         'nordlicht-maschinenbau.de'       'DE' 1 'first.last' 5),
    (New-Company 'Weißdorn Software AG'                'weissdorn-software.de'           'DE' 0 'first.last' 4),
    (New-Company 'Brückner & Söhne GmbH & Co. KG'      'brueckner-soehne.de'             'DE' 3 'flast'  3),
    (New-Company 'Elbtal Logistik GmbH'                'elbtal-logistik.de'              'DE' 2 'first.last' 3),
    (New-Company 'Alpenglühen Versicherung AG'         'alpengluehen.at'                 'AT' 0 'first.last' 2),
    (New-Company 'Züriberg Treuhand AG'                'zueriberg-treuhand.ch'           'CH' 0 'first.last' 2),
    (New-Company 'Léman Capital SA'                    'lemancapital.ch'                 'CH' 1 'flast'  2),
    (New-Company 'Lumière Analytique SAS'              'lumiere-analytique.fr'           'FR' 0 'first.last' 4),
    (New-Company 'Groupe Rivière & Fils S.A.'          'riviere-fils.fr'                 'FR' 1 'first.last' 3),
    (New-Company "Côte d'Azur Biotech SARL"            'cotedazur-biotech.fr'            'FR' 0 'first.last' 2),
    (New-Company 'Banco Ibérico de Inversiones, S.A.'  'bancoiberico.example.com'        'ES' 0 'first.last' 3),
    (New-Company 'Soluciones Núñez y Asociados, S.L.'  'solucionesnunez.es'              'ES' 1 'first'   2),
    (New-Company 'Grupo Quetzal Tecnologías, S.A. de C.V.' 'quetzaltec.mx'               'MX' 0 'first.last' 3),
    (New-Company 'Ipê Sistemas Ltda.'                  'ipesistemas.com.br'              'BR' 0 'first.last' 3),
    (New-Company 'Tejo Digital, Lda.'                  'tejodigital.pt'                  'PT' 0 'first.last' 2),
    (New-Company 'Van der Meer Logistiek B.V.'         'vandermeer-logistiek.nl'         'NL' 0 'first.last' 3),
    (New-Company 'Havnefront ApS'                      'havnefront.dk'                   'DK' 0 'first'   2),
    (New-Company 'Nørrebro Design A/S'                 'norrebrodesign.dk'               'DK' 0 'first.last' 2),
    (New-Company 'Skärgård Systems AB'                 'skargardsystems.se'              'SE' 0 'first.last' 3),
    (New-Company 'Nordkapp Energi AS'                  'nordkapp-energi.no'              'NO' 0 'first.last' 2),
    (New-Company 'Hekla Gagnavinnsla ehf.'             'heklagogn.is'                    'IS' 0 'first'   2),
    (New-Company 'Wisła Software Sp. z o.o.'           'wislasoftware.pl'                'PL' 0 'first.last' 3),
    (New-Company 'Wawel Finanse S.A.'                  'wawelfinanse.pl'                 'PL' 1 'first.last' 2),
    (New-Company 'Vltava Systémy s.r.o.'               'vltavasystemy.cz'                'CZ' 0 'first.last' 3),
    (New-Company 'Yamada Seisakusho K.K.'              'yamada-seisakusho.co.jp'         'JP' 0 'first.last' 3),
    (New-Company '株式会社さくらデータ'                'sakuradata.co.jp'                'JP' 0 'first.last' 2),
    (New-Company 'Fujimori Electronics Co., Ltd.'      'fujimori-elec.co.jp'             'JP' 1 'first.last' 3),
    (New-Company 'Merlion Data Pte. Ltd.'              'merliondata.com.sg'              'SG' 0 'first'   3),
    (New-Company 'Kaveri Infotech Pvt. Ltd.'           'kaveriinfotech.in'               'IN' 0 'first.last' 4),
    (New-Company 'Sahyadri Payments Pvt. Ltd.'         'sahyadripay.in'                  'IN' 1 'first.last' 2),
    (New-Company 'Southern Cross Analytics Pty Ltd'    'southerncrossanalytics.com.au'   'AU' 0 'first.last' 3),
    (New-Company 'Yarra Bend Software Pty. Ltd.'       'yarrabend.com.au'                'AU' 1 'first'   2),
    (New-Company 'Table Mountain Ventures (Pty) Ltd'   'tablemtnventures.co.za'          'ZA' 0 'first.last' 2)
)

$Titles = @(
    'CEO', 'Chief Executive Officer', 'CFO', 'Chief Financial Officer', 'CTO', 'COO', 'Chief Revenue Officer',
    'VP of Sales', 'VP, Sales', 'Vice President of Engineering', 'SVP, Global Marketing', 'VP Marketing',
    'Director of Marketing Operations', 'Director, Demand Generation', 'Director of IT', 'Head of Revenue Operations',
    'Head of Data', 'Sales Operations Manager', 'Marketing Manager', 'Senior Marketing Manager', 'Marketing Coordinator',
    'Senior Software Engineer', 'Software Engineer', 'Staff Engineer', 'Data Scientist', 'Solutions Architect',
    'IT Manager', 'Procurement Specialist', 'Account Executive', 'Senior Account Executive', 'Business Development Representative',
    'Sales Development Rep', 'Product Manager', 'Senior Product Manager', 'Financial Controller', 'HR Business Partner',
    'Office Manager', 'Founder & CEO', 'Co-Founder', 'Managing Director', 'Operations Manager', 'Customer Success Manager',
    'Consultant', 'Head of Procurement', 'Chief Information Security Officer', 'Owner', 'Intern'
)
# Localised titles, chosen occasionally for a matching country.
$LocalTitles = @(
    [pscustomobject]@{ Codes = @('DE', 'AT', 'CH'); Titles = @('Geschäftsführer', 'Leiter Vertrieb', 'Einkäufer', 'Bereichsleitung Marketing', 'Softwareentwickler') },
    [pscustomobject]@{ Codes = @('FR', 'CH', 'CA'); Titles = @('Directeur Commercial', 'Responsable Marketing', 'Responsable Achats', 'Chef de projet') },
    [pscustomobject]@{ Codes = @('ES', 'MX'); Titles = @('Director Comercial', 'Responsable de Marketing', 'Gerente de Compras', 'Gerente de TI') },
    [pscustomobject]@{ Codes = @('JP'); Titles = @('営業部長', 'マーケティング部 課長', '代表取締役社長', 'エンジニア') },
    [pscustomobject]@{ Codes = @('BR', 'PT'); Titles = @('Diretor Comercial', 'Gerente de Marketing', 'Analista de TI') }
)

$LeadSources = @('Web', 'Website - Demo Request', 'Trade Show', 'Webinar', 'Partner Referral', 'Purchased List',
    'Content Download', 'Outbound', 'LinkedIn Sales Navigator', 'Event - SaaS Connect 2024', 'Cold Call', 'Other')
$Owners = @('Dana Whitfield', 'Marcus Feld', 'Priya Raman', 'Tomás Ortega', 'Hannah Kowalski', 'Kenji Mori', 'Integration User')

$Columns = @('Lead ID', 'First Name', 'Last Name', 'Email Address', 'Job Title', 'Company', 'Website', 'Phone',
    'Street', 'City', 'State', 'Postal Code', 'Country', 'LinkedIn URL', 'Lead Source', 'Owner')
#endregion

#region generation helpers
function Get-Country([string] $code) { $Countries | Where-Object Code -EQ $code | Select-Object -First 1 }
function Get-Company([string] $name) { $Companies | Where-Object Name -CEQ $name | Select-Object -First 1 }

$CompanyBag = [System.Collections.Generic.List[object]]::new()
foreach ($c in $Companies) { for ($i = 0; $i -lt $c.Weight; $i++) { $CompanyBag.Add($c) } }

function Format-Website([string] $domain) {
    $r = $script:rng.NextDouble()
    if ($r -lt 0.30) { "https://www.$domain" }
    elseif ($r -lt 0.55) { $domain }
    elseif ($r -lt 0.78) { "www.$domain" }
    elseif ($r -lt 0.86) { "http://$domain/" }
    elseif ($r -lt 0.93) { "https://$domain" }
    else { '' }
}

function Format-Email($company, [string] $firstEntry, [string] $lastEntry, [bool] $germanic) {
    $f = (ConvertTo-AsciiToken $firstEntry $germanic) -replace ' ', ''
    $l = (ConvertTo-AsciiToken $lastEntry $germanic) -replace '[ ]', ''
    $local = switch -CaseSensitive ($company.EmailPattern) {
        'flast' { $f.Substring(0, 1) + $l }
        'first' { $f }
        'first_last' { "${f}_$l" }
        'firstl' { $f + $l.Substring(0, 1) }
        default { "$f.$l" }
    }
    # Two people must not share a mailbox (only the deliberate duplicate lead does):
    # fall back to first.last, then to a numbered address, like real mail admins do.
    if ($script:UsedEmails.Contains("$local@$($company.Domain)")) { $local = "$f.$l" }
    for ($k = 2; $script:UsedEmails.Contains("$local@$($company.Domain)"); $k++) { $local = "$f.$l$k" }
    [void]$script:UsedEmails.Add("$local@$($company.Domain)")
    $email = "$local@$($company.Domain)"
    if (Test-Chance 0.04) {
        # CRMs keep whatever casing the person typed into the web form.
        $email = [cultureinfo]::InvariantCulture.TextInfo.ToTitleCase($local) + "@$($company.Domain)"
    }
    $email
}

function Format-LinkedIn([string] $firstEntry, [string] $lastEntry, [bool] $germanic, [string] $countryCode) {
    $f = (ConvertTo-AsciiToken $firstEntry $germanic) -replace ' ', '-'
    $l = (ConvertTo-AsciiToken $lastEntry $germanic) -replace ' ', '-'
    $suffix = '{0:x8}' -f $script:rng.Next()
    $r = $script:rng.NextDouble()
    if ($r -lt 0.55) { "https://www.linkedin.com/in/$f-$l-$($suffix.Substring(0, 6))" }
    elseif ($r -lt 0.75) { "linkedin.com/in/$f$l" }
    elseif ($r -lt 0.9) { "https://$($countryCode.ToLowerInvariant()).linkedin.com/in/$f-$l-$($suffix.Substring(0, 8))/" }
    else { "http://www.linkedin.com/in/$f$l$($script:rng.Next(10, 99))" }
}

function New-EmptyRow {
    $row = [ordered]@{}
    foreach ($col in $Columns) { $row[$col] = '' }
    $row
}

$UsedPeople = [System.Collections.Generic.HashSet[string]]::new()
$UsedEmails = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)

# A regular, valid person lead at $company (optionally with a fixed name/title).
function New-PersonRow($company, [string] $firstEntry, [string] $lastEntry, [string] $title) {
    $country = Get-Country $company.Country
    $addr = $country.Addresses[$company.Addr]

    if (-not $firstEntry) {
        for ($attempt = 0; $attempt -lt 50; $attempt++) {
            $group = if ($country.Code -notin 'JP', 'SG' -and (Test-Chance 0.12)) { Get-RandomItem $GlobalNames } else { Get-RandomItem $country.Names }
            $firstEntry = Get-RandomItem $group.First
            $lastEntry = Get-RandomItem $group.Last
            if (-not $UsedPeople.Contains("$firstEntry|$lastEntry")) { break }
        }
    }
    [void]$UsedPeople.Add("$firstEntry|$lastEntry")

    if (-not $title) {
        $local = $LocalTitles | Where-Object { $_.Codes -contains $country.Code } | Select-Object -First 1
        $title = if ($local -and (Test-Chance 0.3)) { Get-RandomItem $local.Titles } else { Get-RandomItem $Titles }
        if (Test-Chance 0.04) { $title = '' }
    }

    $first = Get-Display $firstEntry
    $last = Get-Display $lastEntry
    $caseRoll = $script:rng.NextDouble()
    if ($caseRoll -lt 0.03) { $last = $last.ToUpperInvariant() }                  # e.g. "DUBOIS"
    elseif ($caseRoll -lt 0.05) { $first = $first.ToLowerInvariant(); $last = $last.ToLowerInvariant() }

    $row = New-EmptyRow
    $row['First Name'] = $first
    $row['Last Name'] = $last
    $row['Email Address'] = if (Test-Chance 0.07) { '' } else { Format-Email $company $firstEntry $lastEntry $country.Germanic }
    $row['Job Title'] = $title
    $row['Company'] = $company.Name
    $row['Website'] = Format-Website $company.Domain
    $row['Phone'] = if (Test-Chance 0.12) { '' } else { Format-Pattern (Get-RandomItem $country.Phones) $addr.Area }
    $hasAddress = -not (Test-Chance 0.15)
    $row['Street'] = if ($hasAddress -and -not (Test-Chance 0.2)) { $addr.Street } else { '' }
    $row['City'] = if ($hasAddress) { $addr.City } else { '' }
    $row['State'] = if ($hasAddress) { $addr.State } else { '' }
    $row['Postal Code'] = if ($hasAddress) { $addr.Postal } else { '' }
    $row['Country'] = if ($hasAddress -or (Test-Chance 0.5)) { Get-RandomItem $country.Spellings } else { '' }
    $row['LinkedIn URL'] = if (Test-Chance 0.6) { Format-LinkedIn $firstEntry $lastEntry $country.Germanic $country.Code } else { '' }
    $row['Lead Source'] = Get-RandomItem $LeadSources
    $row['Owner'] = Get-RandomItem $Owners
    $row
}

# Account-only lead: no person, but company name + website (valid for account enrichment).
function New-AccountRow($company, [string] $email, [string] $source) {
    $country = Get-Country $company.Country
    $addr = $country.Addresses[$company.Addr]
    $row = New-EmptyRow
    $row['Company'] = $company.Name
    $row['Website'] = Format-Website $company.Domain
    if (-not $row['Website']) { $row['Website'] = "https://www.$($company.Domain)" }
    $row['Email Address'] = $email
    $row['Phone'] = Format-Pattern (Get-RandomItem $country.Phones) $addr.Area
    $row['Street'] = $addr.Street
    $row['City'] = $addr.City
    $row['State'] = $addr.State
    $row['Postal Code'] = $addr.Postal
    $row['Country'] = Get-RandomItem $country.Spellings
    $row['Lead Source'] = $source
    $row['Owner'] = Get-RandomItem $Owners
    $row
}

function New-SparseRow([hashtable] $values) {
    $row = New-EmptyRow
    foreach ($col in $Columns) { if ($values.ContainsKey($col)) { $row[$col] = $values[$col] } }
    $row
}
#endregion

#region edge-case layout (1-based data row numbers)
# Plain hashtables keyed by [int] row number ([ordered] would treat an int key as a position).
# Rows that fail Leadspace's minimum input for BOTH person and account enrichment.
$InvalidRows = @{
    7   = @{ 'Email Address' = 'info.desk@brightwave-analytics.example.com'; 'Lead Source' = 'Web'; 'Owner' = 'Integration User' }                  # email only
    23  = @{ 'First Name' = 'Kateřina'; 'Phone' = '+420 602 555 014'; 'Country' = 'Czech Republic'; 'Lead Source' = 'Trade Show'; 'Owner' = 'Hannah Kowalski' } # first name only
    41  = @{ 'First Name' = '   '; 'Last Name' = '   '; 'Company' = '   '; 'Email Address' = '   '; 'Website' = '   '; 'Lead Source' = 'Purchased List'; 'Owner' = 'Integration User' } # whitespace-only required fields
    58  = @{ }                                                                                                                                      # empty except Lead ID
    77  = @{ 'First Name' = 'Marco'; 'Last Name' = 'Bianchi'; 'Phone' = '+39 02 5555 0183'; 'City' = 'Milano'; 'Country' = 'Italy'; 'Lead Source' = 'Trade Show'; 'Owner' = 'Marcus Feld' } # names but no company/email/website
    96  = @{ 'Last Name' = 'Okonkwo'; 'Email Address' = 'okonkwo.c@mail.example.net'; 'Lead Source' = 'Content Download'; 'Owner' = 'Dana Whitfield' } # last name + personal email, no first name / company
    113 = @{ 'First Name' = 'Siobhán'; 'Email Address' = 'siobhan@liffeycloud.ie'; 'Job Title' = 'Marketing Manager'; 'City' = 'Dublin'; 'Country' = 'Ireland'; 'Lead Source' = 'Webinar'; 'Owner' = 'Priya Raman' } # first name + email, no last name / company
    131 = @{ 'Phone' = '+1 (312) 555-0148'; 'Country' = 'United States'; 'Lead Source' = 'Cold Call'; 'Owner' = 'Tomás Ortega' }                     # phone + country only
    152 = @{ 'Website' = 'www.tallgrassrobotics.com'; 'Lead Source' = 'Web'; 'Owner' = 'Integration User' }                                         # website only (account needs company name)
    174 = @{ 'First Name' = ' '; 'Last Name' = '  '; 'Email Address' = 'bewerbung@elbtal-logistik.de'; 'Country' = 'Germany'; 'Lead Source' = 'Web'; 'Owner' = 'Marcus Feld' } # whitespace names + email, no company
    198 = @{ 'First Name' = 'Anneliese'; 'Last Name' = 'Vogt'; 'Company' = '   '; 'Phone' = '0221 5550 1984'; 'City' = 'Köln'; 'Country' = 'Deutschland'; 'Lead Source' = 'Other'; 'Owner' = 'Hannah Kowalski' } # names, whitespace company, nothing else
    221 = @{ 'LinkedIn URL' = 'https://www.linkedin.com/in/sam-ellison-0b7a2c'; 'City' = 'London'; 'Lead Source' = 'LinkedIn Sales Navigator'; 'Owner' = 'Dana Whitfield' } # LinkedIn URL only
}

# Account-only rows (valid: account enrichment needs only a company name).
$AccountRows = @{
    15  = @('Cobalt Ridge Software', '', 'Purchased List')
    64  = @('Weißdorn Software AG', 'info@weissdorn-software.de', 'Web')
    120 = @('Fujimori Electronics Co., Ltd.', '', 'Trade Show')
    166 = @('Smith, Jones & Partners, LLP', '', 'Partner Referral')
    209 = @('Kaveri Infotech Pvt. Ltd.', 'sales@kaveriinfotech.in', 'Website - Demo Request')
}

# Named people that must appear (row => company, first, last, title).
$FeaturedRows = @{
    2   = @('Acme "Rockets" Inc.', 'Rebecca', 'Stone', 'VP of Engineering')
    3   = @('Nordlicht Maschinenbau GmbH', 'Jürgen', 'Müller', 'Head of Procurement')
    5   = @('Smith, Jones & Partners, LLP', 'Margaret', "O'Brien", 'Managing Partner')
    11  = @('Ravensbourne Digital Ltd', 'Zoë', 'Lambert', 'Director of Marketing Operations')
    19  = @('Nørrebro Design A/S', 'Søren', 'Østergaard', 'CFO')
    36  = @('Wisła Software Sp. z o.o.', 'Łukasz', 'Wójcik', 'Senior Software Engineer')
    49  = @('Lumière Analytique SAS', 'François', 'Lefèvre', 'VP of Sales')
    70  = @('Banco Ibérico de Inversiones, S.A.', 'José', 'Núñez', 'Director Comercial')
    85  = @('Yamada Seisakusho K.K.', '太郎=taro', '山田=yamada', '営業部長')
    101 = @('Hekla Gagnavinnsla ehf.', 'Ólafur', 'Guðmundsson', 'CTO')
    126 = @('Vltava Systémy s.r.o.', 'Tomáš', 'Dvořák', 'IT Manager')
    142 = @('Weißdorn Software AG', 'Björn', 'Weiß', 'Leiter Vertrieb')
}

# Multi-line streets (embedded LF inside a quoted field).
$MultiLineStreets = @{
    30  = @('Tallgrass Robotics', "Building 4`nFloor 2")
    142 = @('Weißdorn Software AG', "Friedrichstraße 68`n3. OG, Aufgang B")
}

$DuplicateOf = @{ 187 = 88 }   # row 187 repeats the person from row 88 (new Lead ID, new source/owner)
#endregion

#region build rows
# Reserve the featured people so random rows never reuse their names.
foreach ($spec in $FeaturedRows.Values) { [void]$UsedPeople.Add("$($spec[1])|$($spec[2])") }

$rows = [System.Collections.Generic.List[object]]::new()
for ($n = 1; $n -le $RowCount; $n++) {
    if ($InvalidRows.Contains($n)) {
        $row = New-SparseRow $InvalidRows[$n]
    }
    elseif ($AccountRows.Contains($n)) {
        $spec = $AccountRows[$n]
        $row = New-AccountRow (Get-Company $spec[0]) $spec[1] $spec[2]
    }
    elseif ($DuplicateOf.ContainsKey($n)) {
        $row = [ordered]@{}
        foreach ($col in $Columns) { $row[$col] = $rows[$DuplicateOf[$n] - 1][$col] }
        $row['Lead Source'] = 'Webinar'
        $row['Owner'] = 'Priya Raman'
        if ($row['Lead Source'] -eq $rows[$DuplicateOf[$n] - 1]['Lead Source']) { $row['Lead Source'] = 'Trade Show' }
    }
    elseif ($FeaturedRows.Contains($n)) {
        $spec = $FeaturedRows[$n]
        $row = New-PersonRow (Get-Company $spec[0]) $spec[1] $spec[2] $spec[3]
    }
    elseif ($MultiLineStreets.Contains($n)) {
        $row = New-PersonRow (Get-Company $MultiLineStreets[$n][0]) $null $null $null
    }
    else {
        $row = New-PersonRow $CompanyBag[$rng.Next($CompanyBag.Count)] $null $null $null
    }

    if ($MultiLineStreets.Contains($n)) {
        $company = Get-Company $MultiLineStreets[$n][0]
        $addr = (Get-Country $company.Country).Addresses[$company.Addr]
        $row['Street'] = $MultiLineStreets[$n][1]
        $row['City'] = $addr.City
        $row['State'] = $addr.State
        $row['Postal Code'] = $addr.Postal
        if (-not $row['Country']) { $row['Country'] = (Get-Country $company.Country).Spellings[0] }
    }
    $rows.Add($row)
}

# Salesforce-style Lead IDs: key prefix 00Q, pod 5g, then a base-62 sequence that
# increases in creation order (15 chars, case-sensitive, unique by construction).
[long] $seq = $rng.Next(40000000, 90000000)
foreach ($row in $rows) {
    $seq += $rng.Next(1, 4000)
    $row['Lead ID'] = '00Q5g00000' + (ConvertTo-Base62 $seq 5)
}
#endregion

#region write
$sb = [System.Text.StringBuilder]::new()
[void]$sb.Append((($Columns | ForEach-Object { ConvertTo-CsvField $_ }) -join ',')).Append("`r`n")
foreach ($row in $rows) {
    [void]$sb.Append((($Columns | ForEach-Object { ConvertTo-CsvField $row[$_] }) -join ',')).Append("`r`n")
}
$fullPath = [System.IO.Path]::GetFullPath($Path)
[System.IO.File]::WriteAllText($fullPath, $sb.ToString(), [System.Text.UTF8Encoding]::new($false))
Write-Verbose "Wrote $($rows.Count) leads to $fullPath"
#endregion
