using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;

namespace Ferry.Resources.Queues;

/// <summary>
/// SQS's older query protocol (form POSTs with <c>Action=SendMessage&amp;…</c>, XML answers; boto3 before 1.34 and
/// the AWS SDK for JavaScript v2 use it), translated to and from the JSON protocol's shapes so one set of operations
/// serves both. Flattened parameters such as <c>MessageAttribute.1.Name</c> or <c>SendMessageBatchRequestEntry.2.Id</c>
/// become the JSON members <c>MessageAttributes</c> and <c>Entries</c>.
/// </summary>
internal static class QueryProtocol
{
    public const string Namespace = "http://queue.amazonaws.com/doc/2012-11-05/";

    /// <summary>The most parameters a form may have (a batch of 10 entries with 10 attributes each stays far below).</summary>
    private const int MaxParameters = 2000;

    /// <summary>The action and its input in the JSON protocol's shape.</summary>
    /// <exception cref="SqsException">A parameter is malformed.</exception>
    public static (string Action, JsonObject Input) Parse(IReadOnlyList<KeyValuePair<string, string>> form)
    {
        if (form.Count > MaxParameters)
        {
            throw SqsException.InvalidParameter($"A request may have at most {MaxParameters} parameters");
        }

        string? action = null;
        var tree = new Node();
        foreach (var (name, value) in form)
        {
            switch (name)
            {
                case "Action":
                    action = value;
                    continue;
                case "Version" or "AWSAccessKeyId" or "SignatureMethod" or "SignatureVersion" or "Signature" or "Timestamp" or "Expires":
                    continue;
            }

            var node = tree;
            foreach (var segment in name.Split('.'))
            {
                if (segment.Length == 0 || segment.Length > 100)
                {
                    throw SqsException.InvalidParameter($"Parameter name '{Shorten(name)}' is malformed");
                }

                node = node.Children.TryGetValue(segment, out var child) ? child : node.Children[segment] = new Node();
            }

            node.Value = value;
        }

        if (string.IsNullOrEmpty(action))
        {
            throw SqsException.MissingParameter("Action");
        }

        return (action, tree.Children.Count == 0 ? [] : (JsonObject)ToJson(tree, "")!);
    }

    private static JsonNode? ToJson(Node node, string name)
    {
        if (node.Children.Count == 0)
        {
            return node.Value is null ? null : JsonValue.Create(node.Value);
        }

        if (node.Children.Keys.All(IsIndex))
        {
            var items = node.Children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(c => c.Value).ToList();
            return name switch
            {
                // Attribute.N.Name / Attribute.N.Value → { Name: Value }
                "Attribute" or "MessageSystemAttribute" => Map(items, "Name", v => v.Children.TryGetValue("Value", out var value) ? ToJson(value, "Value") : null),
                "MessageAttribute" => Map(items, "Name", v => v.Children.TryGetValue("Value", out var value) ? ToJson(value, "Value") : null),
                "Tag" => Map(items, "Key", v => v.Children.TryGetValue("Value", out var value) ? ToJson(value, "Value") : null),
                _ => new JsonArray([.. items.Select(item => ToJson(item, ""))]),
            };
        }

        var result = new JsonObject();
        foreach (var (key, child) in node.Children)
        {
            result[JsonName(key)] = ToJson(child, key);
        }

        return result;
    }

    private static JsonObject Map(List<Node> items, string keyName, Func<Node, JsonNode?> value)
    {
        var map = new JsonObject();
        foreach (var item in items)
        {
            if (item.Children.TryGetValue(keyName, out var key) && key.Value is { } text)
            {
                map[text] = value(item);
            }
        }

        return map;
    }

    /// <summary>The JSON protocol's member for a query parameter.</summary>
    private static string JsonName(string queryName) => queryName switch
    {
        "Attribute" => "Attributes",
        "AttributeName" => "AttributeNames",
        "MessageAttribute" => "MessageAttributes",
        "MessageAttributeName" => "MessageAttributeNames",
        "MessageSystemAttribute" => "MessageSystemAttributes",
        "MessageSystemAttributeName" => "MessageSystemAttributeNames",
        "Tag" => "tags",
        "QueueNamePrefix" or "QueueName" => queryName,
        _ when queryName.EndsWith("BatchRequestEntry", StringComparison.Ordinal) => "Entries",
        _ => queryName,
    };

    private static bool IsIndex(string segment) => segment.Length is > 0 and < 6 && segment.All(char.IsAsciiDigit) && segment[0] != '0';

    private static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;

    /// <summary>The XML answer to <paramref name="action"/> whose result is <paramref name="output"/> (JSON protocol shape).</summary>
    public static byte[] Response(string action, JsonObject output, string requestId)
    {
        return Document(xml =>
        {
            xml.WriteStartElement(action + "Response", Namespace);
            xml.WriteStartElement(action + "Result");
            foreach (var (name, value) in output)
            {
                WriteMember(xml, action, name, value);
            }

            xml.WriteEndElement();
            xml.WriteStartElement("ResponseMetadata");
            xml.WriteElementString("RequestId", requestId);
            xml.WriteEndElement();
            xml.WriteEndElement();
        });
    }

    public static byte[] Error(SqsException error, string requestId) => Document(xml =>
    {
        xml.WriteStartElement("ErrorResponse", Namespace);
        xml.WriteStartElement("Error");
        xml.WriteElementString("Type", error.SenderFault ? "Sender" : "Receiver");
        xml.WriteElementString("Code", error.QueryCode);
        xml.WriteElementString("Message", error.Message);
        xml.WriteElementString("Detail", "");
        xml.WriteEndElement();
        xml.WriteElementString("RequestId", requestId);
        xml.WriteEndElement();
    });

    private static void WriteMember(XmlWriter xml, string action, string name, JsonNode? value)
    {
        switch (name, value)
        {
            case (_, null):
                return;
            case ("Attributes", JsonObject map):
                WriteMap(xml, "Attribute", map);
                return;
            case ("MessageAttributes", JsonObject map):
                WriteMap(xml, "MessageAttribute", map);
                return;
            case (_, JsonArray list):
                var element = name switch
                {
                    "QueueUrls" or "queueUrls" => "QueueUrl",
                    "Messages" => "Message",
                    "Failed" => "BatchResultErrorEntry",
                    "Successful" => action + "ResultEntry",
                    _ => name,
                };
                foreach (var item in list)
                {
                    WriteValue(xml, action, element, item);
                }

                return;
            default:
                WriteValue(xml, action, name, value);
                return;
        }
    }

    private static void WriteMap(XmlWriter xml, string element, JsonObject map)
    {
        foreach (var (key, value) in map)
        {
            xml.WriteStartElement(element);
            xml.WriteElementString("Name", key);
            WriteValue(xml, "", "Value", value);
            xml.WriteEndElement();
        }
    }

    private static void WriteValue(XmlWriter xml, string action, string element, JsonNode? value)
    {
        if (value is JsonObject structure)
        {
            xml.WriteStartElement(element);
            foreach (var (name, member) in structure)
            {
                WriteMember(xml, action, name, member);
            }

            xml.WriteEndElement();
        }
        else if (value is JsonValue scalar)
        {
            xml.WriteElementString(element, scalar.GetValueKind() switch
            {
                System.Text.Json.JsonValueKind.True => "true",
                System.Text.Json.JsonValueKind.False => "false",
                _ => scalar.ToString(),
            });
        }
    }

    private static byte[] Document(Action<XmlWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false }))
        {
            write(xml);
        }

        return buffer.ToArray();
    }

    private sealed class Node
    {
        public Dictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);

        public string? Value { get; set; }
    }
}
