using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Leadspace.Session;

namespace Leadspace.Commands
{
    /// <summary>Shared plumbing of the module's cmdlets: picking the connection.</summary>
    public abstract class LeadspaceCmdlet : PSCmdlet
    {
        internal static Guid CurrentRunspaceId => Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;

        /// <summary>The given connection, else this runspace's default; a terminating error when there is none.</summary>
        internal LeadspaceConnection ResolveConnection(LeadspaceConnection? given)
        {
            if (given != null)
            {
                if (given.IsDisposed)
                {
                    ThrowTerminatingError(ErrorRecords.For(ErrorTable.ConnectionClosed,
                        new InvalidOperationException($"Leadspace connection {given.Id} was disconnected. Run Connect-Leadspace again."), given));
                }
                return given;
            }
            var connection = ConnectionRegistry.DefaultFor(CurrentRunspaceId);
            if (connection == null)
            {
                ThrowTerminatingError(ErrorRecords.For(ErrorTable.NoConnection,
                    new InvalidOperationException("There is no Leadspace connection. Run Connect-Leadspace first (or pass -Connection)."), null));
            }
            return connection!;
        }
    }
}
