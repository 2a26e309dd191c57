using System.Collections.Generic;

namespace Leadspace.Mapping
{
    /// <summary>What kind of value an input property holds.</summary>
    internal enum InputValueKind
    {
        /// <summary>One value (text, number, date, a one-item list): sendable as text.</summary>
        Text,
        /// <summary>Null or nothing.</summary>
        Empty,
        /// <summary>Several values (an array or list): never sent as one field.</summary>
        List,
        /// <summary>An object with properties of its own (hashtable, PSCustomObject).</summary>
        Nested,
        /// <summary>An object whose text is only its type name.</summary>
        Unprintable,
    }

    /// <summary>
    /// One property of an input record as the mapper sees it: its name, its value as text (invariant culture; for a
    /// list or nested value, a readable rendering used only by -IncludeInput), and what kind of value it was. The
    /// cmdlet builds these from PowerShell objects; the mapper decides what may be sent.
    /// </summary>
    internal sealed class InputProperty
    {
        public InputProperty(string name, string? text, InputValueKind kind = InputValueKind.Text, string? typeName = null,
            int count = 0, IReadOnlyList<InputProperty>? children = null, IReadOnlyList<IReadOnlyList<InputProperty>>? items = null)
        {
            Name = name;
            Text = text;
            Kind = text == null && kind == InputValueKind.Text ? InputValueKind.Empty : kind;
            TypeName = typeName;
            Count = count;
            Children = children;
            Items = items;
        }

        public string Name { get; }
        public string? Text { get; }
        public InputValueKind Kind { get; }
        /// <summary>The .NET type of a list, nested or unprintable value, for messages.</summary>
        public string? TypeName { get; }
        /// <summary>How many values a list holds.</summary>
        public int Count { get; }
        /// <summary>The properties of a nested value.</summary>
        public IReadOnlyList<InputProperty>? Children { get; }
        /// <summary>For a list of objects (e.g. custom_fields in the API's own shape): each item's properties.</summary>
        public IReadOnlyList<IReadOnlyList<InputProperty>>? Items { get; }

        public static InputProperty Of(string name, string? text) => new InputProperty(name, text);

        public override string ToString() => Name + "=" + Text;
    }
}
