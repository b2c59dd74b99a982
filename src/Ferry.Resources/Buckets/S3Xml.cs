using System.Globalization;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.Http;

namespace Ferry.Resources.Buckets;

/// <summary>S3's XML: writing responses and reading the few request documents (Delete, CompleteMultipartUpload).</summary>
internal static class S3Xml
{
    public const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

    /// <summary>Request documents are small (1000 keys of 1 KiB, 10000 parts): more is not a valid request.</summary>
    public const int MaxRequestDocumentBytes = 2 * 1024 * 1024;

    private static readonly XmlWriterSettings WriterSettings = new()
    {
        Encoding = new UTF8Encoding(false),
        // Keys may hold characters XML 1.0 cannot carry (S3 allows them); they are written as character references
        // rather than failing the listing. Clients that care ask for encoding-type=url.
        CheckCharacters = false,
    };

    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreWhitespace = true,
        IgnoreComments = true,
        MaxCharactersInDocument = MaxRequestDocumentBytes,
    };

    public static async Task WriteAsync(HttpResponse response, int status, string root, Action<XmlWriter> body, CancellationToken cancellationToken)
    {
        var bytes = Document(root, body);
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, cancellationToken);
    }

    public static byte[] Document(string root, Action<XmlWriter> body, bool withNamespace = true)
    {
        using var memory = new MemoryStream();
        using (var writer = XmlWriter.Create(memory, WriterSettings))
        {
            writer.WriteStartDocument();
            if (withNamespace)
            {
                writer.WriteStartElement(root, Namespace);
            }
            else
            {
                writer.WriteStartElement(root);
            }

            body(writer);
            writer.WriteEndElement();
            writer.WriteEndDocument();
        }

        return memory.ToArray();
    }

    public static void Element(this XmlWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteElementString(name, Namespace, value);
        }
    }

    public static void Element(this XmlWriter writer, string name, long value)
        => writer.WriteElementString(name, Namespace, value.ToString(CultureInfo.InvariantCulture));

    public static void Element(this XmlWriter writer, string name, bool value)
        => writer.WriteElementString(name, Namespace, value ? "true" : "false");

    public static void Element(this XmlWriter writer, string name, DateTimeOffset value)
        => writer.WriteElementString(name, Namespace, Timestamp(value));

    public static string Timestamp(DateTimeOffset value)
        => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses a request document into element trees, without DTDs or external entities.</summary>
    public static XmlNode Parse(byte[] document, string expectedRoot)
    {
        var xml = new XmlDocument { XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(document), ReaderSettings);
            xml.Load(reader);
        }
        catch (XmlException e)
        {
            throw S3Exception.MalformedXml(e.Message);
        }

        var root = xml.DocumentElement;
        if (root is null || root.LocalName != expectedRoot)
        {
            throw S3Exception.MalformedXml($"the root element must be <{expectedRoot}>");
        }

        return root;
    }

    /// <summary>Child elements by local name (clients differ in whether they use S3's namespace).</summary>
    public static IEnumerable<XmlElement> Children(this XmlNode node, string localName)
        => node.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == localName);

    public static string? ChildText(this XmlNode node, string localName)
        => node.Children(localName).FirstOrDefault()?.InnerText;
}
