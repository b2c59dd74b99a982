namespace Ferry.Hub;

/// <summary>The outcome of <see cref="TemplatePackage.VerifySignature"/>; <see cref="Message"/> says what was found.</summary>
public sealed record SignatureVerification(SignatureFailure? Failure, string Message, string? KeyId)
{
    public bool IsValid => Failure is null;

    public override string ToString() => Message;
}

public enum SignatureFailure
{
    /// <summary>The package has no signature.json.</summary>
    MissingSignature,

    /// <summary>signature.json is not valid, names another algorithm, or the signature is not base64 of 64 bytes.</summary>
    MalformedSignature,

    /// <summary>The signing key is not among the trusted keys.</summary>
    UnknownKey,

    /// <summary>The signature does not match template.json: it was changed after signing, or signed by another key.</summary>
    BadSignature,

    /// <summary>app.zip or a file in it does not match the hashes in template.json.</summary>
    TamperedContent,

    /// <summary>template.json's definition differs from the template section of the serverless.yml in app.zip, or that file is invalid.</summary>
    DefinitionMismatch,
}
