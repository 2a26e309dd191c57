using System.Management.Automation;
using Leadspace.Session;

namespace Leadspace.Commands
{
    /// <summary>
    /// Forgets a connection and releases its resources (HTTP connections, token, rate gate). Without -Connection or
    /// -All it disconnects only this runspace's own default connection, never one another runspace made. A run in
    /// progress elsewhere keeps its connection until it ends.
    /// </summary>
    [Cmdlet(VerbsCommunications.Disconnect, "Leadspace", DefaultParameterSetName = DefaultSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(void))]
    public sealed class DisconnectLeadspaceCommand : LeadspaceCmdlet
    {
        public const string DefaultSet = "Default";
        public const string AllSet = "All";

        [Parameter(ParameterSetName = DefaultSet, ValueFromPipeline = true, Position = 0)]
        [Completion.ConnectionTransformation]
        [ArgumentCompleter(typeof(Completion.ConnectionCompleter))]
        public LeadspaceConnection? Connection { get; set; }

        [Parameter(ParameterSetName = AllSet, Mandatory = true)]
        public SwitchParameter All { get; set; }

        protected override void ProcessRecord()
        {
            var defaultBefore = ConnectionRegistry.DefaultFor(CurrentRunspaceId);
            if (All)
            {
                foreach (var c in ConnectionRegistry.All) Remove(c);
            }
            else
            {
                var connection = Connection ?? ConnectionRegistry.OwnDefaultFor(CurrentRunspaceId);
                if (connection == null)
                {
                    WriteVerbose("This runspace has no Leadspace connection of its own to disconnect (connections made elsewhere are left alone; use -Connection or -All for those).");
                    return;
                }
                Remove(connection);
            }
            var defaultAfter = ConnectionRegistry.DefaultFor(CurrentRunspaceId);
            // The default changed to another connection: the next run without -Connection goes to it (maybe another
            // program, spending its credits), so say so where the user looks, not only under -Verbose.
            if (defaultAfter != null && !ReferenceEquals(defaultAfter, defaultBefore))
                WriteWarning(NewDefaultMessage(defaultAfter));
        }

        /// <summary>The warning after a disconnect that left another connection as the default.</summary>
        internal static string NewDefaultMessage(LeadspaceConnection now)
            => $"Leadspace connection {now.Id} (program '{now.ProgramId ?? "(not given)"}', {now.BaseUri}) is now the default: "
               + "commands without -Connection use it. Run Disconnect-Leadspace again, or Connect-Leadspace, to change that.";

        private void Remove(LeadspaceConnection connection)
        {
            if (!ShouldProcess($"Leadspace connection {connection.Id} ({connection.BaseUri}, program '{connection.ProgramId ?? "(not given)"}')", "Disconnect")) return;
            int runs = connection.ActiveRuns;
            ConnectionRegistry.Remove(connection);
            WriteVerbose($"Disconnected Leadspace connection {connection.Id} (program '{connection.ProgramId ?? "(not given)"}')"
                + (runs > 0 ? $"; {runs} run(s) still using it finish first." : "."));
        }
    }
}
