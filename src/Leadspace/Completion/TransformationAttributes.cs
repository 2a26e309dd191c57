using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;
using System.Management.Automation;
using Leadspace.Session;

namespace Leadspace.Completion
{
    /// <summary>
    /// Lets -Connection take the id of an open connection (what tab completion offers, and what
    /// Get-LeadspaceConnection -All shows) as well as the connection object itself.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class ConnectionTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (value is LeadspaceConnection || !ConnectionSuggestions.TryParseId(value, out var id)) return inputData;
            var open = ConnectionRegistry.All;
            return ConnectionSuggestions.Find(open, id)
                ?? throw new ArgumentTransformationMetadataException(ConnectionSuggestions.NotFoundMessage(id, open));
        }
    }

    /// <summary>
    /// Lets -PropertyMap take 'Column=target' strings (the form tab completion fills in) as well as a hashtable;
    /// they become an ordered dictionary, so the cmdlet sees one kind of value.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class PropertyMapTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject pso ? pso.BaseObject : inputData;
            List<string>? entries = null;
            if (value is string s) entries = new List<string> { s };
            else if (value is IEnumerable list && !(value is IDictionary))
            {
                var items = list.Cast<object?>().Select(i => i is PSObject p ? p.BaseObject : i).ToList();
                if (items.Count > 0 && items.All(i => i is string)) entries = items.Cast<string>().ToList();
            }
            if (entries == null) return inputData;
            try
            {
                var map = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                foreach (var kv in PropertyMapText.Parse(entries)) map.Add(kv.Key, kv.Value);
                return map;
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentTransformationMetadataException(ex.Message, ex);
            }
        }
    }
}
