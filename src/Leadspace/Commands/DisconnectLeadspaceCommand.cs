using System.Management.Automation;
using Leadspace.Session;

namespace Leadspace.Commands
{
    /// <summary>Forgets a connection and releases its resources (HTTP connections, token, rate gate).</summary>
    [Cmdlet(VerbsCommunications.Disconnect, "Leadspace", DefaultParameterSetName = DefaultSet)]
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
            if (All)
            {
                foreach (var c in ConnectionRegistry.All) Remove(c);
                return;
            }
            var connection = Connection ?? ConnectionRegistry.DefaultFor(CurrentRunspaceId);
            if (connection == null)
            {
                WriteVerbose("There is no Leadspace connection to disconnect.");
                return;
            }
            Remove(connection);
        }

        private void Remove(LeadspaceConnection connection)
        {
            ConnectionRegistry.Remove(connection);
            WriteVerbose($"Disconnected Leadspace connection {connection.Id} (program '{connection.ProgramId ?? "(not given)"}').");
        }
    }
}
