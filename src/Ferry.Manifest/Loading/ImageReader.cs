using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads a function's <c>image</c>: a path to an OCI image archive in the app folder, or the Serverless image object
/// with <c>path</c> and the optional <c>entryPoint</c>, <c>command</c> and <c>workingDirectory</c>.
/// </summary>
internal sealed class ImageReader(ValueReader reader)
{
    /// <summary>The image, or null after reporting why it can't be used.</summary>
    public FunctionImage? Read(ValueNode value, string path)
    {
        switch (value)
        {
            case FailedValue:
                return null;
            case ScalarValue { IsNull: false } scalar:
                return ReadPath(scalar, path) is { } archive ? new FunctionImage(archive) : null;
            case MappingValue mapping:
                return ReadObject(mapping, path);
            default:
                reader.Error(value.Location, $"{path} must be the path of an OCI image archive in the app folder, or a mapping with 'path', got {value.Describe()}");
                return null;
        }
    }

    private FunctionImage? ReadObject(MappingValue mapping, string path)
    {
        string? archive = null;
        IReadOnlyList<string>? entryPoint = null;
        IReadOnlyList<string>? command = null;
        string? workingDirectory = null;
        var valid = true;
        foreach (var entry in mapping.Entries)
        {
            var entryPath = $"{path}.{entry.Key}";
            switch (entry.Key)
            {
                case "path":
                    archive = entry.Value is ScalarValue { IsNull: false } scalar ? ReadPath(scalar, entryPath) : Invalid(entry.Value, $"{entryPath} must be {ImageRules.PathRule}");
                    valid &= archive is not null;
                    break;
                case "entryPoint":
                    entryPoint = ReadArguments(entry.Value, entryPath, mayBeEmpty: false);
                    valid &= entryPoint is not null;
                    break;
                case "command":
                    command = ReadArguments(entry.Value, entryPath, mayBeEmpty: true);
                    valid &= command is not null;
                    break;
                case "workingDirectory":
                    workingDirectory = reader.String(entry.Value, entryPath);
                    if (workingDirectory is not null && ImageRules.FindWorkingDirectoryProblem(workingDirectory) is { } problem)
                    {
                        reader.Error(entry.Value.Location, $"{entryPath} {problem}, got {entry.Value.Describe()}");
                        valid = false;
                    }

                    break;
                case "uri" or "name":
                    reader.Error(entry.KeyLocation,
                        $"{entryPath}: Ferry runs images from OCI image archives shipped in the app folder, not from a registry; " +
                        $"save the image with `skopeo copy … oci-archive:images/fn.oci.tar` and set {path}.path");
                    valid = false;
                    break;
                default:
                    reader.Warning(entry.KeyLocation, $"unknown key '{entryPath}' is ignored");
                    break;
            }
        }

        if (valid && archive is null)
        {
            reader.Error(mapping.Location, $"{path} needs a 'path': {ImageRules.PathRule}");
            return null;
        }

        return valid ? new FunctionImage(archive!) { EntryPoint = entryPoint, Command = command, WorkingDirectory = workingDirectory } : null;
    }

    private string? ReadPath(ScalarValue scalar, string path)
    {
        if (ImageRules.NormalizePath(scalar.Text) is { } normalized)
        {
            return normalized;
        }

        reader.Error(scalar.Location, $"{path} must be {ImageRules.PathRule}, got {scalar.Describe()}");
        return null;
    }

    /// <summary>A list of strings taken word for word (an image's argv is never split like a shell would).</summary>
    private List<string>? ReadArguments(ValueNode value, string path, bool mayBeEmpty)
    {
        if (value is not SequenceValue)
        {
            Invalid(value, $"{path} must be a list of strings (the argv, word for word)");
            return null;
        }

        var errorsBefore = reader.Diagnostics.ErrorCount;
        var words = reader.Strings(value, path);
        if (reader.Diagnostics.ErrorCount > errorsBefore)
        {
            return null;
        }

        if (ImageRules.FindArgumentsProblem(words, mayBeEmpty) is { } problem)
        {
            reader.Error(value.Location, $"{path} {problem}");
            return null;
        }

        return words;
    }

    private string? Invalid(ValueNode value, string message)
    {
        if (value is not FailedValue)
        {
            reader.Error(value.Location, $"{message}, got {value.Describe()}");
        }

        return null;
    }
}
