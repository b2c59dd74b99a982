namespace Ferry.Packaging;

/// <summary>
/// Unix file type and permission bits as zip stores them: in the upper 16 bits of an entry's external attributes
/// (the Info-ZIP convention that unzip, Python's zipfile and AWS Lambda follow).
/// </summary>
internal static class UnixFileKind
{
    public const int TypeMask = 0xF000;
    public const int RegularFile = 0x8000;
    public const int Directory = 0x4000;
    public const int Symlink = 0xA000;

    /// <summary>rwx for user, group and other; setuid, setgid and sticky bits are never stored or restored.</summary>
    public const int PermissionMask = 0x1FF;

    public const int DefaultFilePermissions = 0x1A4; // rw-r--r--
    public const int DefaultDirectoryPermissions = 0x1ED; // rwxr-xr-x
    public const int SymlinkPermissions = 0x1FF; // lrwxrwxrwx

    public static int ToExternalAttributes(int type, int permissions) =>
        unchecked((type | (permissions & PermissionMask)) << 16);

    public static int FromExternalAttributes(int externalAttributes) => (externalAttributes >> 16) & 0xFFFF;
}
