namespace Ferry.Cli.Output;

/// <summary>Plain text columns separated by two spaces; the last column is not padded.</summary>
internal sealed class TextTable
{
    private const string Gap = "  ";
    private readonly List<string[]> _rows = [];
    private readonly int _columns;

    /// <param name="headers">Column titles, or none for a table without a header line (the column count comes from the first row).</param>
    public TextTable(params string[] headers)
    {
        Headers = headers;
        _columns = headers.Length;
    }

    public IReadOnlyList<string> Headers { get; }

    public bool HasHeaders => Headers.Count > 0;

    public int RowCount => _rows.Count;

    public TextTable AddRow(params string[] cells)
    {
        var expected = _columns > 0 ? _columns : _rows.Count > 0 ? _rows[0].Length : cells.Length;
        if (cells.Length != expected)
        {
            throw new ArgumentException($"A row of this table has {expected} cells, got {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    /// <summary>The table's lines: the header line first when there are headers.</summary>
    public IReadOnlyList<string> Render()
    {
        var all = HasHeaders ? _rows.Prepend([.. Headers]).ToList() : _rows;
        if (all.Count == 0)
        {
            return [];
        }

        var widths = new int[all[0].Length];
        foreach (var row in all)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        return all.Select(row => string.Join(Gap, row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd()).ToList();
    }
}
