using System.Text.RegularExpressions;

namespace Ferry.Manifest.Rules;

/// <summary>
/// The <c>handler</c> of an event function: <c>dir/file.export</c>, a relative path inside the package
/// (no <c>..</c>, no leading <c>/</c>) followed by a dotted export name.
/// </summary>
internal static partial class HandlerSyntax
{
    public const int MaxLength = 256;

    public const string Rule = "'path/file.export', a relative file path without extension followed by the exported function name";

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex DirectorySegmentPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+(\.[A-Za-z_$][A-Za-z0-9_$]*)+$")]
    private static partial Regex FileAndExportPattern();

    public static bool IsValid(string handler)
    {
        if (handler.Length is 0 or > MaxLength || handler.StartsWith('/'))
        {
            return false;
        }

        var lastSlash = handler.LastIndexOf('/');
        var directories = lastSlash < 0 ? [] : handler[..lastSlash].Split('/');
        var fileAndExport = handler[(lastSlash + 1)..];
        return directories.All(IsValidDirectorySegment) && FileAndExportPattern().IsMatch(fileAndExport);
    }

    private static bool IsValidDirectorySegment(string segment) =>
        segment is not ("" or "." or "..") && DirectorySegmentPattern().IsMatch(segment);
}
