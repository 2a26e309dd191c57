using System;
using System.Management.Automation;
using System.Security;

namespace Leadspace.Commands
{
    /// <summary>
    /// -Token takes a SecureString. Plain text gets a clear error that says how to pass a token instead of
    /// PowerShell's generic conversion error. The text itself is never echoed (it is a secret).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class SecureTokenTransformationAttribute : ArgumentTransformationAttribute
    {
        public const string PlainTextMessage =
            "-Token takes a SecureString, not plain text (the text given was not used and is not shown). " +
            "Pass a token as one of: -Token (Read-Host -AsSecureString -Prompt 'Leadspace token'); " +
            "-Token (ConvertTo-SecureString -String $text -AsPlainText -Force); " +
            "-Token (Get-Secret -Name Leadspace) from Microsoft.PowerShell.SecretManagement; " +
            "or set $env:LEADSPACE_API_TOKEN and omit -Token.";

        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (value is string || value is char[])
                throw new ArgumentTransformationMetadataException(PlainTextMessage, new ArgumentException(PlainTextMessage, "Token"));
            return inputData;
        }
    }
}
