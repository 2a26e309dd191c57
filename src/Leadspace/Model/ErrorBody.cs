using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Leadspace.Mapping;

namespace Leadspace.Model
{
    /// <summary>
    /// The body of an error answer (a 5xx, or a 200 whose status is <c>failure</c>), whatever its shape: the
    /// addendum's JSON (<c>error</c>, <c>tracking_id</c>, <c>request_timestamp</c>, <c>details</c>), JSON with
    /// other key names or nesting, plain text, an HTML page from a gateway, or nothing. It finds the tracking id
    /// (support asks for it) under any key that names one, or in the text, and keeps the body, shortened, for
    /// the message.
    /// </summary>
    internal sealed class ErrorBody
    {
        /// <summary>How much of the body a message quotes.</summary>
        public const int MaxTextLength = 300;

        private ErrorBody() { }

        /// <summary>The error code or name (<c>error</c>, <c>code</c>, <c>errorCode</c>...).</summary>
        public string? Code { get; private set; }
        /// <summary>The explanation (<c>details</c>, <c>message</c>, <c>description</c>...).</summary>
        public string? Details { get; private set; }
        /// <summary>Leadspace's tracking id, or failing that another request id the body names (request, correlation, trace, ray id).</summary>
        public string? TrackingId { get; private set; }
        /// <summary>When the server says the request was made (<c>request_timestamp</c>, <c>timestamp</c>...).</summary>
        public string? Timestamp { get; private set; }
        /// <summary>The body as readable text (an HTML page reduced to its text, whitespace collapsed), at most
        /// <see cref="MaxTextLength"/> characters; null when the body is empty.</summary>
        public string? Text { get; private set; }
        /// <summary>The body is a JSON object or array.</summary>
        public bool IsJson { get; private set; }
        /// <summary>Every value of the JSON body went into Code, Details, TrackingId or Timestamp.</summary>
        private bool FullyRead { get; set; }

        private static readonly string[] CodeKeys = { "error", "errorcode", "code", "errortype", "errorname" };
        private static readonly string[] DetailKeys = { "details", "detail", "message", "errormessage", "errordescription", "description", "msg", "reason", "title" };
        private static readonly string[] TimestampKeys = { "requesttimestamp", "timestamp", "time", "datetime", "date" };
        private static readonly HashSet<string> EnvelopeKeys = new HashSet<string>(StringComparer.Ordinal) { "status", "statuscode", "success" };
        private static readonly string[] OtherIdKeys = { "requestid", "xrequestid", "correlationid", "xcorrelationid", "traceid", "transactionid", "incidentid", "supportid", "referenceid", "rayid", "cfray" };

        private const string IdPattern = @"(?=[A-Za-z._:-]*\d)(?<id>[A-Za-z0-9][A-Za-z0-9._:-]{3,127})";
        private const string Between = @"[\s""':=#(\[]*(?:is\s+)?";
        private static readonly Regex TrackingInText = new Regex(
            @"(?i)\btracking[\s_-]*(?:id|number|no\.?|code|ref(?:erence)?)?" + Between + IdPattern, RegexOptions.CultureInvariant);
        private static readonly Regex OtherIdInText = new Regex(
            @"(?i)\b(?:request|correlation|trace|incident|reference|support|ray)[\s_-]*id" + Between + IdPattern, RegexOptions.CultureInvariant);

        public static ErrorBody Parse(string? body)
        {
            var result = new ErrorBody();
            if (string.IsNullOrWhiteSpace(body)) return result;
            var trimmed = body!.Trim();
            if (trimmed[0] == '{' || trimmed[0] == '[')
            {
                try
                {
                    using var doc = JsonDocument.Parse(trimmed);
                    result.IsJson = true;
                    result.ReadJson(doc.RootElement);
                }
                catch (JsonException) { }
            }
            var text = LooksLikeHtml(trimmed) ? HtmlText(trimmed) : Collapse(trimmed);
            result.Text = Shorten(text);
            if (result.TrackingId == null) result.TrackingId = FindIdInText(result.IsJson ? result.AllStrings : text);
            return result;
        }

        private string AllStrings { get; set; } = string.Empty;

        private void ReadJson(JsonElement root)
        {
            var leaves = new List<KeyValuePair<string, string>>();
            Flatten(root, string.Empty, leaves, 0);
            var used = new HashSet<int>();
            string? Take(IEnumerable<string> keys, Func<string, bool>? match = null)
            {
                foreach (var key in keys)
                {
                    for (int i = 0; i < leaves.Count; i++)
                    {
                        if (!used.Contains(i) && leaves[i].Key == key && leaves[i].Value.Length > 0) { used.Add(i); return leaves[i].Value; }
                    }
                }
                if (match != null)
                {
                    for (int i = 0; i < leaves.Count; i++)
                    {
                        if (!used.Contains(i) && match(leaves[i].Key) && leaves[i].Value.Length > 0) { used.Add(i); return leaves[i].Value; }
                    }
                }
                return null;
            }
            TrackingId = Take(new[] { "trackingid" }, k => k.Contains("tracking")) ?? Take(OtherIdKeys);
            Code = Shorten(Take(CodeKeys) ?? string.Empty);
            Details = Shorten(Take(DetailKeys) ?? string.Empty);
            Timestamp = Take(TimestampKeys);
            // The envelope's own status ("failure", 503) says nothing the HTTP status and the caller do not.
            for (int i = 0; i < leaves.Count; i++) if (EnvelopeKeys.Contains(leaves[i].Key)) used.Add(i);
            FullyRead = used.Count == leaves.Count && (Code != null || Details != null || TrackingId != null);
            AllStrings = string.Join(" ", leaves.Select(l => l.Value));
        }

        /// <summary>Scalar values with their normalised key (lower case, letters and digits only), depth first.</summary>
        private static void Flatten(JsonElement e, string key, List<KeyValuePair<string, string>> leaves, int depth)
        {
            if (depth > 8) return;
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) Flatten(p.Value, RequestField.NormalizeName(p.Name), leaves, depth + 1);
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) Flatten(item, key, leaves, depth + 1);
                    break;
                case JsonValueKind.Null:
                case JsonValueKind.Undefined:
                    break;
                default:
                    leaves.Add(new KeyValuePair<string, string>(key, (e.ValueKind == JsonValueKind.String ? e.GetString() ?? string.Empty : e.GetRawText()).Trim()));
                    break;
            }
        }

        private static string? FindIdInText(string text)
        {
            var m = TrackingInText.Match(text);
            if (!m.Success) m = OtherIdInText.Match(text);
            return m.Success ? m.Groups["id"].Value.TrimEnd('.', ':', '-') : null;
        }

        private static bool LooksLikeHtml(string text)
            => text.StartsWith("<", StringComparison.Ordinal) && (text.IndexOf("</", StringComparison.Ordinal) >= 0 || text.IndexOf("<html", StringComparison.OrdinalIgnoreCase) >= 0);

        private static readonly Regex ScriptOrStyle = new Regex(@"(?is)<(script|style|head)\b.*?</\1\s*>", RegexOptions.CultureInvariant);
        private static readonly Regex Title = new Regex(@"(?is)<title\b[^>]*>(.*?)</title\s*>", RegexOptions.CultureInvariant);
        private static readonly Regex Tag = new Regex(@"<[^>]*>", RegexOptions.CultureInvariant);

        /// <summary>The readable text of an HTML page: its title, then its body's text.</summary>
        private static string HtmlText(string html)
        {
            var title = Title.Match(html);
            var bodyText = Tag.Replace(ScriptOrStyle.Replace(html, " "), " ");
            var text = WebUtility.HtmlDecode(bodyText);
            if (title.Success)
            {
                var t = Collapse(WebUtility.HtmlDecode(Tag.Replace(title.Groups[1].Value, " ")));
                var rest = Collapse(text);
                return rest.StartsWith(t, StringComparison.Ordinal) ? rest : (t + " — " + rest).Trim(' ', '—');
            }
            return Collapse(text);
        }

        private static string Collapse(string text)
        {
            var sb = new StringBuilder(Math.Min(text.Length, 4 * MaxTextLength));
            bool space = false;
            foreach (var ch in text)
            {
                if (char.IsWhiteSpace(ch) || char.IsControl(ch)) { space = sb.Length > 0; continue; }
                if (space) { sb.Append(' '); space = false; }
                sb.Append(ch);
                if (sb.Length > 4 * MaxTextLength) break;
            }
            return sb.ToString();
        }

        private static string? Shorten(string text)
        {
            if (text.Length == 0) return null;
            return text.Length <= MaxTextLength ? text : text.Substring(0, MaxTextLength).TrimEnd() + "…";
        }

        /// <summary>
        /// What the body says, for a message after "HTTP 503: server error": e.g.
        /// <c>'SERVICE_UNAVAILABLE': The service is unavailable. (tracking id 9f3c…, at 2026-11-27T05:30:00Z)</c>;
        /// the shortened body when its shape is not recognised; "no body" when there is none.
        /// </summary>
        public string Describe()
        {
            if (Text == null) return "no body";
            var sb = new StringBuilder();
            if (Code != null) sb.Append('\'').Append(Code).Append('\'');
            if (Details != null && Details != Code) sb.Append(sb.Length > 0 ? ": " : string.Empty).Append(Details);
            if (!FullyRead) sb.Append(sb.Length > 0 ? "; the answer: " : "the answer: ").Append(Text);
            var extras = new List<string>();
            if (TrackingId != null) extras.Add("tracking id " + TrackingId);
            if (Timestamp != null) extras.Add("at " + Timestamp);
            if (extras.Count > 0) sb.Append(" (").Append(string.Join(", ", extras)).Append(')');
            return sb.ToString();
        }

        public override string ToString() => Describe();
    }
}
