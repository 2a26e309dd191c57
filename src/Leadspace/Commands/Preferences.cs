using System;
using System.Management.Automation;

namespace Leadspace.Commands
{
    /// <summary>What a cmdlet's common parameters and preference variables ask for, bound or inherited.</summary>
    internal static class Preferences
    {
        /// <summary>-WhatIf, or $WhatIfPreference.</summary>
        public static bool WhatIf(PSCmdlet cmdlet)
        {
            if (cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)) return w is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(w);
            return LanguagePrimitives.IsTrue(cmdlet.GetVariableValue("WhatIfPreference"));
        }

        /// <summary>-ErrorAction Stop (or Inquire), or the same $ErrorActionPreference: a row's error ends the run, so
        /// an invalid row's error is written before another paid call is sent rather than after the slower rows ahead of it.</summary>
        public static bool StopOnError(PSCmdlet cmdlet)
        {
            object? value = cmdlet.MyInvocation.BoundParameters.TryGetValue("ErrorAction", out var bound) ? bound : cmdlet.GetVariableValue("ErrorActionPreference");
            if (value is PSObject p) value = p.BaseObject;
            if (value is ActionPreference a) return a == ActionPreference.Stop || a == ActionPreference.Inquire;
            return value != null && (string.Equals(value.ToString(), "Stop", StringComparison.OrdinalIgnoreCase) || string.Equals(value.ToString(), "Inquire", StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>-Debug, or a $DebugPreference other than SilentlyContinue.</summary>
        public static bool Debug(PSCmdlet cmdlet)
            => cmdlet.MyInvocation.BoundParameters.ContainsKey("Debug") || !Equals(cmdlet.GetVariableValue("DebugPreference"), ActionPreference.SilentlyContinue);
    }
}
