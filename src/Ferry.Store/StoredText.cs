namespace Ferry.Store;

/// <summary>
/// Text written by functions (log lines, error messages) as both stores can keep it. PostgreSQL's <c>text</c> cannot
/// hold U+0000: one such character made Npgsql's insert fail, and with it the whole telemetry batch, which holds the
/// lines and records of every function that wrote in the same moment (other tenants' too). Both stores therefore
/// keep a NUL as U+FFFD, the replacement character, so a line reads the same whichever store it came from.
/// </summary>
internal static class StoredText
{
    public const char Replacement = '\uFFFD';

    /// <summary><paramref name="rows"/> with every NUL in the text <paramref name="text"/> reads replaced; the same list when none has one.</summary>
    public static IReadOnlyList<TRow> WithoutNulCharacters<TRow>(IReadOnlyList<TRow> rows, Func<TRow, string?> text, Func<TRow, string, TRow> withText)
    {
        List<TRow>? replaced = null;
        for (var i = 0; i < rows.Count; i++)
        {
            if (text(rows[i]) is { } value && value.Contains('\0', StringComparison.Ordinal))
            {
                replaced ??= [.. rows];
                replaced[i] = withText(rows[i], value.Replace('\0', Replacement));
            }
        }

        return replaced ?? rows;
    }
}
