@{
    RootModule             = 'Leadspace.dll'
    ModuleVersion          = '0.1.0'
    CompatiblePSEditions   = @('Core', 'Desktop')
    GUID                   = '3f1d7c52-6a0e-4c8e-9a57-2b3c8e1f4d90'
    Author                 = 'Leadspace PowerShell module contributors'
    CompanyName            = 'Community'
    Copyright              = '(c) Leadspace PowerShell module contributors. MIT License.'
    Description            = 'Enrich leads and accounts through the Leadspace API from PowerShell: pipeline input from any CSV, typed CSV-ready results, at the program''s rate limit, never losing a row.'
    PowerShellVersion      = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    TypesToProcess         = @('Leadspace.Types.ps1xml')
    FormatsToProcess       = @('Leadspace.Format.ps1xml')
    CmdletsToExport        = @(
        'Connect-Leadspace'
        'Disconnect-Leadspace'
        'Get-LeadspaceConnection'
        'Invoke-LeadspaceEnrichment'
        'Get-LeadspaceRateStatus'
        'Remove-LeadspaceJournalEntry'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Leadspace', 'Enrichment', 'DataEnrichment', 'CRM', 'Leads', 'Accounts', 'REST', 'API', 'RateLimit',
                'SalesOps', 'RevOps', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'   # the licence text; LICENSE in the module folder holds the notice
            # build.ps1 writes the CHANGELOG.md section of this version here (keep the line as ReleaseNotes = '').
            ReleaseNotes = ''
        }
    }
}
