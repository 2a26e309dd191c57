namespace Leadspace.Completion
{
    /// <summary>One tab-completion suggestion, free of PowerShell types so that xunit can test how it is chosen.</summary>
    internal sealed class CompletionCandidate
    {
        public CompletionCandidate(string text, string listItem, string toolTip)
        {
            Text = text;
            ListItem = string.IsNullOrEmpty(listItem) ? text : listItem;
            ToolTip = string.IsNullOrEmpty(toolTip) ? ListItem : toolTip;
        }

        /// <summary>What replaces the word on the command line (quoted when it has to be).</summary>
        public string Text { get; }

        /// <summary>What the completion menu shows.</summary>
        public string ListItem { get; }

        /// <summary>What the menu shows beside the selected item.</summary>
        public string ToolTip { get; }

        public override string ToString() => Text;
    }
}
