namespace Ferry.Runtime.Images;

/// <summary>An image unpacked in the cache: its digest (manifest digest), its rootfs folder (read-only for instances) and its config.</summary>
public sealed record UnpackedImage(string Digest, string RootFilesystem, ImageConfig Config);
