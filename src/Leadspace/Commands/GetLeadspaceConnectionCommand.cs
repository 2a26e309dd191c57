using System.Management.Automation;
using Leadspace.Session;

namespace Leadspace.Commands
{
    /// <summary>Shows the current connection (or all of them), with the token redacted.</summary>
    [Cmdlet(VerbsCommon.Get, "LeadspaceConnection")]
    [OutputType(typeof(LeadspaceConnection))]
    public sealed class GetLeadspaceConnectionCommand : LeadspaceCmdlet
    {
        [Parameter]
        public SwitchParameter All { get; set; }

        protected override void EndProcessing()
        {
            if (All)
            {
                foreach (var c in ConnectionRegistry.All) WriteObject(c);
                return;
            }
            WriteObject(ResolveConnection(null));
        }
    }
}
