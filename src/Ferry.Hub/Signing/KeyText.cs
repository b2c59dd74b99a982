namespace Ferry.Hub;

internal static class KeyText
{
    public static byte[] DecodeBase64(string text, string what)
    {
        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException($"the {what} after the prefix is not valid base64");
        }
    }
}
