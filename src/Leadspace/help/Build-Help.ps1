# Placeholder replaced by the help pipeline (markdown -> MAML); creates the en-US folder.
param([Parameter(Mandatory)][string] $OutputPath)
New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null
